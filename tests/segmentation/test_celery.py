"""Runs on real Celery workers: the on-demand run, the nightly fan-out, the beat entry, and a
worker killed in the middle of a run (old tiers intact, the next run completes)."""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.db import transaction

from customers.segmentation import selectors
from customers.segmentation.measures import register_measure, unregister_measure
from customers.segmentation.models import CustomerTier, SegmentationRun, TierChange
from customers.segmentation.progress import progress_get
from customers.segmentation.services import recompute_now, rule_save, run_request

from .conftest import BUILTIN_MATRIX, MATRIX
from .worker_app import SLOW
from .workers import start_worker, stop_worker

Status = SegmentationRun.Status


def _wait(seg, run_pk, until, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with seg.world.scope("a"), transaction.atomic():
            run = SegmentationRun.objects.get(pk=run_pk)
            if until(run):
                return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_pk} stayed {run.status}")


def _tiers(seg):
    with seg.world.scope("a"), transaction.atomic():
        return dict(CustomerTier.objects.filter(product_line=seg.line).values_list("hcp_id", "tier"))


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_an_on_demand_run_completes_on_a_real_worker(tseg, celery_worker_proc):
    with tseg.world.scope("a"), transaction.atomic():
        rule_save(kind="hcp", definition=BUILTIN_MATRIX, product_line=tseg.line, by=tseg.member())
        run = run_request(product_line=tseg.line, by=tseg.member(), queue=celery_worker_proc)
    run = _wait(tseg, run.pk, lambda r: not r.is_open)
    assert run.status == Status.SUCCEEDED and run.tier_changes > 200 and run.requested_by_id == tseg.member().pk
    with tseg.world.scope("a"), transaction.atomic():
        assert selectors.run_status(run)["percent"] == 100
        assert TierChange.objects.filter(run=run).count() == run.tier_changes


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_leaves_the_old_tiers_and_the_next_run_completes(tseg):
    register_measure(SLOW)  # the rule is checked here; the worker registers it too (worker_app)
    worker, queue = start_worker("tests.segmentation.worker_app")
    try:
        with tseg.world.scope("a"), transaction.atomic():
            rule_save(kind="hcp", definition=BUILTIN_MATRIX, product_line=tseg.line, by=tseg.member())
            recompute_now(product_line=tseg.line)
        before = _tiers(tseg)
        assert len(set(before.values())) >= 3
        slow_everyone_a = {**MATRIX, "adoption": {"measure": "test.slow", "by": "value", "thresholds": [1]},
                           "grid": [["A", "A"]] * 3}
        with tseg.world.scope("a"), transaction.atomic():
            rule_save(kind="hcp", definition=slow_everyone_a, product_line=tseg.line, by=tseg.member())
            killed = run_request(product_line=tseg.line, queue=queue)
        killed = _wait(tseg, killed.pk, lambda r: r.status == Status.RUNNING)
        deadline = time.time() + 30
        while time.time() < deadline:  # until the worker is inside the computing statement
            with tseg.world.scope("a"):
                if "compute" in ((progress_get(killed) or {}).get("step") or ""):
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("the run never reached its computing step")
        time.sleep(1.0)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        assert _tiers(tseg) == before, "the killed run must leave the old tiers"
        with tseg.world.scope("a"), transaction.atomic():
            assert SegmentationRun.objects.get(pk=killed.pk).status == Status.RUNNING  # stale until the next run
            assert not TierChange.objects.filter(run_id=killed.pk).exists()
        # The database notices the dead worker (client_connection_check_interval) and frees the lock.
        deadline = time.time() + 20
        while time.time() < deadline:
            with tseg.world.scope("a"), transaction.atomic():
                if not selectors.run_in_progress(product_line=tseg.line):
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("the killed run's lock was not released")
        worker2, queue2 = start_worker("tests.segmentation.worker_app")
        try:
            everyone_b = {**BUILTIN_MATRIX, "grid": [["B"] * 4] * 3}
            with tseg.world.scope("a"), transaction.atomic():
                rule_save(kind="hcp", definition=everyone_b, product_line=tseg.line, by=tseg.member())
                nxt = run_request(product_line=tseg.line, queue=queue2)
            nxt = _wait(tseg, nxt.pk, lambda r: not r.is_open)
            assert nxt.status == Status.SUCCEEDED, nxt.error
        finally:
            stop_worker(worker2)
        assert set(_tiers(tseg).values()) == {"B"}
        with tseg.world.scope("a"), transaction.atomic():
            stale = SegmentationRun.objects.get(pk=killed.pk)
            assert stale.status == Status.FAILED and stale.error
    finally:
        stop_worker(worker)
        unregister_measure("test.slow")


def test_the_nightly_fan_out_queues_one_run_per_tenant_and_line(seg, monkeypatch, django_capture_on_commit_callbacks):
    from customers.segmentation import tasks
    from sfe.core.tenancy import current_tenant_id

    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        rule_save(kind="institution", by=seg.member(), product_line=seg.line, definition={
            "method": "score", "weights": {"institution.beds": 100}, "cut": "share",
            "cutoffs": {"A": 20, "B": 30, "C": 30}})
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line2, by=seg.member())
    seen = []
    monkeypatch.setattr(tasks.recompute_tenant, "delay", lambda: seen.append(current_tenant_id()))
    assert tasks.recompute_all_tenants.run() >= 2
    assert {seg.world.tenants["a"].pk, seg.world.tenants["b"].pk} <= set(seen)
    with seg.world.scope("a"), django_capture_on_commit_callbacks() as callbacks:
        queued = tasks.recompute_tenant.run()
    assert queued == {str(seg.line.code): "queued", str(seg.line2.code): "queued"}
    assert len(callbacks) == 2  # one task per product line (both kinds of a line in one run)
    with seg.world.scope("a"):
        assert set(SegmentationRun.objects.values_list("trigger", "status")) == {("nightly", "queued")}


def test_the_beat_schedule_runs_the_fan_out_nightly_before_the_duplicates_scan():
    from sfe.celery import app
    from sfe.schedule import BEAT_SCHEDULE

    app.loader.import_default_modules()  # what a worker does at start: the apps' tasks modules
    entry = BEAT_SCHEDULE["segmentation-recompute"]
    assert entry["task"] == "segmentation.recompute_all_tenants" and entry["task"] in app.tasks
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({1}, {30})
    assert {"segmentation.recompute", "segmentation.recompute_tenant"} <= set(app.tasks)

"""Runs: requested, executed, never two at once for one line; stale and failed runs."""

from __future__ import annotations

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from customers.models import Hcp
from customers.segmentation import selectors
from customers.segmentation.measures import Measure, register_measure, unregister_measure
from customers.segmentation.models import CustomerTier, SegmentationRun
from customers.segmentation.services import recompute_now, rule_save, run_execute, run_request, tier_pin
from customers.segmentation.services.locks import lock_name

from .conftest import MATRIX, SCORE

Status = SegmentationRun.Status


class OtherWorker:
    """Another database session holding the line's lock, as a live run elsewhere does."""

    def __init__(self, name: str):
        cfg = connections["default"].settings_dict
        self.conn = psycopg.connect(host=cfg["HOST"], port=cfg["PORT"] or None, user=cfg["USER"],
                                    password=cfg["PASSWORD"] or None, dbname=cfg["NAME"], autocommit=True)
        self.conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [name])

    def close(self):
        self.conn.execute("SELECT pg_advisory_unlock_all()")
        self.conn.close()


def _rule(seg):
    rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())


def test_a_requested_run_is_queued_once_and_executed(seg, django_capture_on_commit_callbacks):
    with seg.world.scope("a"):
        _rule(seg)
        with django_capture_on_commit_callbacks() as callbacks:
            run = run_request(product_line=seg.line, by=seg.member())
            again = run_request(product_line=seg.line, by=seg.member())
        assert again.pk == run.pk and run.status == Status.QUEUED and len(callbacks) == 1
        assert selectors.run_status(run)["percent"] == 0
        done = run_execute(run_id=run.pk)
        assert done.status == Status.SUCCEEDED and done.tier_changes > 0 and done.started_at and done.finished_at
        status = selectors.run_status(done)
        assert status["finished"] and status["percent"] == 100 and status["tier_changes"] == done.tier_changes
        assert run_execute(run_id=run.pk).status == Status.SUCCEEDED  # a redelivered message does nothing
        assert SegmentationRun.objects.filter(status=Status.SUCCEEDED).count() == 1


def test_two_runs_of_one_line_never_overlap(seg, english):
    with seg.world.scope("a"):
        _rule(seg)
        # (taken before this test's own transaction takes the lock: it would hold it to the end)
        other = OtherWorker(lock_name("tier", seg.line.pk))
        queued = SegmentationRun.objects.create(product_line=seg.line, trigger="manual", status=Status.QUEUED)
        try:
            assert selectors.run_in_progress(product_line=seg.line)
            with pytest.raises(ValidationError) as info:
                run_request(product_line=seg.line)
            assert "is running" in info.value.message_dict["product_line"][0]
            nightly = run_request(product_line=seg.line, trigger="nightly")
            assert nightly.status == Status.SKIPPED
            assert run_execute(run_id=queued.pk).status == Status.SKIPPED
            with pytest.raises(ValidationError):
                recompute_now(product_line=seg.line)
            hcp = Hcp.objects.get(pk=seg.hcp_ids[0])
            with pytest.raises(ValidationError) as info:
                tier_pin(customer=hcp, product_line=seg.line, tier="A", reason="r", by=seg.member())
            assert "try again" in info.value.message_dict["tier"][0]
            # another line is not held up
            rule_save(kind="hcp", definition=SCORE, product_line=seg.line2, by=seg.member())
            assert recompute_now(product_line=seg.line2).status == Status.SUCCEEDED
        finally:
            other.close()
        assert not selectors.run_in_progress(product_line=seg.line)
        run = run_request(product_line=seg.line)
        assert run.pk != queued.pk
        assert run_execute(run_id=run.pk).status == Status.SUCCEEDED


def test_a_stale_running_row_does_not_block_the_next_run(seg):
    with seg.world.scope("a"):
        _rule(seg)
        stale = SegmentationRun.objects.create(product_line=seg.line, trigger="manual", status=Status.RUNNING)
        run = run_request(product_line=seg.line)
        stale.refresh_from_db()
        assert stale.status == Status.FAILED and stale.error
        assert run_execute(run_id=run.pk).status == Status.SUCCEEDED


def test_a_failing_run_is_recorded_and_leaves_the_old_tiers(seg):
    register_measure(Measure(key="test.broken", label="broken", kind="hcp",
                             sql="SELECT id, 1 / (id - id) FROM customers_hcp WHERE tenant_id = %(tenant)s"))
    try:
        with seg.world.scope("a"):
            _rule(seg)
            recompute_now(product_line=seg.line)
            before = dict(CustomerTier.objects.values_list("hcp_id", "tier"))
            rule_save(kind="hcp", by=seg.member(), product_line=seg.line,
                      definition={**MATRIX, "adoption": {"measure": "test.broken", "by": "value", "thresholds": [1]},
                                  "grid": [["A", "A"]] * 3})
            run = run_execute(run_id=run_request(product_line=seg.line).pk)
            assert run.status == Status.FAILED and "division by zero" in run.error
            assert dict(CustomerTier.objects.values_list("hcp_id", "tier")) == before
            assert not selectors.run_in_progress(product_line=seg.line)
    finally:
        unregister_measure("test.broken")


def test_a_line_without_an_active_rule_cannot_be_run(seg):
    with seg.world.scope("a"), pytest.raises(ValidationError) as info:
        run_request(product_line=seg.line)
    assert "product_line" in info.value.message_dict


def test_a_run_keeps_the_seconds_of_each_statement_and_leaves_the_session_settings(seg):
    """Where a slow night spent its time stays with the run; the recompute's own
    ``work_mem`` and parallel workers end with it."""
    from django.db import connection

    with seg.world.scope("a"):
        _rule(seg)
        with connection.cursor() as cur:
            cur.execute("SELECT current_setting('work_mem'), current_setting('max_parallel_workers_per_gather')")
            before = cur.fetchone()
        run = recompute_now(product_line=seg.line)
        with connection.cursor() as cur:
            cur.execute("SELECT current_setting('work_mem'), current_setting('max_parallel_workers_per_gather')")
            assert cur.fetchone() == before
    seconds = run.counts["tier:hcp"]["seconds"]
    assert {"write", "customers"} <= set(seconds), seconds  # the primary line: its customers' column too
    assert all(isinstance(v, float) and v >= 0 for v in seconds.values()), seconds

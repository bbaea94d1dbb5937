"""The nightly lock (set-based, through the task), the beat entry, the customer timeline's
calls (limited to what the viewer sees) and the segmentation measure."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from calls.models import Call

from .conftest import submit

pytestmark = pytest.mark.usefixtures("english")


def _run(task, tenant):
    """Run the task as a worker would receive it from inside ``tenant`` (the header the base
    task reads), in this process."""
    from sfe.core.tasks import HEADER_TENANT

    return task.apply(headers={HEADER_TENANT: tenant.pk}).get()


def test_the_lock_task_locks_old_submitted_calls_in_one_update(cw):
    from calls.services import settings_update
    from calls.tasks import lock_due

    with cw.world.scope("a"):
        settings_update(lock_after_days=3)
        today = cw.world.tenants["a"].today()
        old, fresh, draft = submit(cw), submit(cw), submit(cw, submit=False)
        Call.objects.filter(pk__in=[old.pk, draft.pk]).update(day=today - dt.timedelta(days=4))
        Call.objects.filter(pk=fresh.pk).update(day=today - dt.timedelta(days=3))
        with CaptureQueriesContext(connection) as ctx:
            assert _run(lock_due, cw.world.tenants["a"]) == 1
        assert sum(q["sql"].startswith("UPDATE") for q in ctx.captured_queries) == 1
        assert Call.objects.get(pk=old.pk).locked_at is not None
        assert Call.objects.get(pk=fresh.pk).locked_at is None and Call.objects.get(pk=draft.pk).locked_at is None
        assert _run(lock_due, cw.world.tenants["a"]) == 0
    with cw.world.scope("b"):
        assert _run(lock_due, cw.world.tenants["b"]) == 0


def test_the_fan_out_and_the_beat_entry(cw):
    from sfe.celery import app
    from sfe.schedule import BEAT_SCHEDULE

    app.loader.import_default_modules()
    entry = BEAT_SCHEDULE["calls-lock-due"]
    assert entry["task"] == "calls.lock_due_all_tenants" and entry["task"] in app.tasks


def test_the_customer_timeline_shows_the_calls_the_viewer_sees(cw):
    from customers.timeline import timeline

    with cw.world.scope("a"):
        mine = submit(cw, notes="", next_step="下次带资料")
        group = submit(cw, role="rep2", call_type="group", hcp="", institution=str(cw.c.i3.code),
                       attendees=[str(cw.c.h3.code)])
        rep_view = timeline(cw.c.zw, cw.user("rep"), kinds={"call"})
        assert [e.url.rsplit("/", 2)[-2] for e in rep_view] == [str(mine.code)]
        assert rep_view[0].detail == "下次带资料"
        assert timeline(cw.c.zw, cw.user("rep2"), kinds={"call"}) == []
        assert len(timeline(cw.c.h3, cw.user("rep2"), kinds={"call"})) == 1  # as an attendee
        assert timeline(cw.c.h3, cw.user("rep"), kinds={"call"}) == []
        assert len(timeline(cw.c.i1, cw.user("analyst"), kinds={"call"})) == 1
        manager = cw.user("manager")
        manager.membership = manager.membership_row  # as a request has it
        with CaptureQueriesContext(connection) as ctx:
            assert len(timeline(cw.c.i1, manager, kinds={"call"})) == 1
        assert len(ctx.captured_queries) == 1 and group


def test_the_measure_counts_submitted_calls_per_hcp_in_the_last_12_months(cw):
    from customers.segmentation.measures import get_measure

    measure = get_measure("calls.submitted_12m")
    assert measure is not None and measure.kind == "hcp" and measure.missing == 0
    with cw.world.scope("a"):
        today = cw.world.tenants["a"].today()
        a, b = submit(cw), submit(cw)
        submit(cw, submit=False)
        submit(cw, hcp=str(cw.c.h1.code))
        Call.objects.filter(pk=b.pk).update(day=today - dt.timedelta(days=400))
        with connection.cursor() as cur:
            cur.execute(measure.sql, {"tenant": cw.world.tenants["a"].pk, "today": today, "line": None})
            counts = dict(cur.fetchall())
        assert counts == {cw.c.zw.pk: 1, cw.c.h1.pk: 1} and a

"""Test data for planning: planned and done calls, follow-ups (bulk, inside tenant A)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone


def make_calls(pw, n: int, *, rep="rep", day=None, status="planned", hcps=None):
    """``n`` calls of ``rep`` on ``day`` (today by default), round-robin over ``hcps``."""
    from calls.models import Call

    tenant = pw.world.tenants["a"]
    day = day or tenant.today()
    zone = zoneinfo.ZoneInfo(tenant.time_zone)
    member = pw.member(rep)
    hcps = hcps or [h for h in pw.hcps if h.status != "merged"][:20]
    now = timezone.now()
    calls = []
    for i in range(n):
        h = hcps[i % len(hcps)]
        at = dt.datetime.combine(day, dt.time(8 + (i % 10), i % 60), tzinfo=zone)
        calls.append(Call(rep=member, hcp=h, institution_id=h.institution_id, status=status, at=at, day=day,
                          planned_at=at if status == "planned" else None, territory=pw.world.nodes["a"]["t1"],
                          submitted_at=now if status == "submitted" else None))
    return Call.objects.bulk_create(calls)


def make_tasks(pw, n: int, *, rep="rep", due=None):
    from calls.models import FollowUp

    tenant = pw.world.tenants["a"]
    due = due or tenant.today() - dt.timedelta(days=2)
    member = pw.member(rep)
    return FollowUp.objects.bulk_create([FollowUp(assignee=member, hcp=pw.hcps[i % 10], title=f"回访 {i}", due_date=due)
                                         for i in range(n)])

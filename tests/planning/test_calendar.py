"""The calendar and planned visits: constant queries, team view, move and cancel."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls.models import Call
from calls.planning.services import visit_plan

from .helpers import make_calls, make_tasks
from .test_today import statements


def _count(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements(ctx.captured_queries))


@pytest.mark.parametrize("role, view, most", [("rep", "week", 6), ("manager", "month", 7)])
def test_calendar_queries_do_not_grow_with_the_calls(pw, client, role, view, most):
    """Middleware 3; the team (managers) 1; calls 1; tasks 1; the navigation's numbers 1."""
    today = pw.world.tenants["a"].today()
    url = f"{reverse('planning:calendar')}?view={view}&date={today.isoformat()}"
    client.force_login(pw.world.users["a"][role])
    counts = []
    for n in (10, 100):
        with pw.world.scope("a"), transaction.atomic():
            make_calls(pw, n // 2)
            make_calls(pw, n // 2, day=today + dt.timedelta(days=1), status="submitted")
            make_tasks(pw, 3, due=today)
        counts.append(_count(client, url))
    assert counts[0] == counts[1]
    assert counts[0] <= most, counts


def test_manager_sees_the_team_and_filters_by_rep_rep_sees_own(pw, client):
    with pw.world.scope("a"), transaction.atomic():
        mine = make_calls(pw, 2)
        other = make_calls(pw, 3, rep="rep2")
    client.force_login(pw.world.users["a"]["rep"])
    codes = {c.code for d in client.get(reverse("planning:calendar")).context["days"] for c in d["calls"]}
    assert codes == {c.code for c in mine}
    client.force_login(pw.world.users["a"]["manager"])
    response = client.get(reverse("planning:calendar"))
    team = response.context["team"]
    codes = {c.code for d in response.context["days"] for c in d["calls"]}
    # The manager holds the district of t1 (rep), not rep2's (t3).
    assert {m.user.email for m in team} >= {"rep@a.test"} and "rep2@a.test" not in {m.user.email for m in team}
    assert codes == {c.code for c in mine}
    rep = next(m for m in team if m.user.email == "rep@a.test")
    response = client.get(reverse("planning:calendar") + f"?rep={rep.code}")
    assert response.context["chosen"].pk == rep.pk
    assert client.get(reverse("planning:calendar") + f"?rep={uuid.uuid4()}").status_code == 404
    assert not ({c.code for c in other} & codes)


def test_move_by_date_field_and_by_json_and_refusals(pw, client, english):
    today = pw.world.tenants["a"].today()
    from customers.models import Hcp

    with pw.world.scope("a"), transaction.atomic():
        seen = list(Hcp.objects.live().visible_to(pw.world.users["a"]["rep"])[:1])
        call = make_calls(pw, 1, hcps=seen)[0]
    client.force_login(pw.world.users["a"]["rep"])
    url = reverse("planning:visit_move", kwargs={"code": call.code})
    target = today + dt.timedelta(days=2)
    response = client.post(url, {"day": target.isoformat()})
    assert response.status_code == 302
    with pw.world.scope("a"), transaction.atomic():
        call.refresh_from_db()
    assert call.day == target and call.at.time() == call.planned_at.time()
    response = client.post(url, {"day": (today - dt.timedelta(days=1)).isoformat()}, HTTP_ACCEPT="application/json")
    assert response.status_code == 400 and "day" in response.json()["errors"]
    with pw.world.scope("a"), transaction.atomic():
        assert Call.objects.get(pk=call.pk).day == target  # nothing changed
    response = client.post(url, {"day": today.isoformat()}, HTTP_ACCEPT="application/json")
    assert response.json()["ok"] is True and response.json()["day"] == today.isoformat()
    # Another rep cannot move it (not visible: 404); the other tenant gets 404.
    client.force_login(pw.world.users["a"]["rep2"])
    assert client.post(url, {"day": today.isoformat()}).status_code == 404
    client.force_login(pw.world.users["b"]["rep"])
    assert client.post(url, {"day": today.isoformat()}).status_code == 404


def test_plan_a_visit_is_idempotent_and_refuses_past_days_and_unseen_hcps(pw, english):
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from customers.models import Hcp

    with pw.world.scope("a"), transaction.atomic():
        rep = pw.member("rep")
        seen = Hcp.objects.live().visible_to(pw.world.users["a"]["rep"]).first()
        at = timezone.now() + dt.timedelta(days=1)
        code = uuid.uuid4()
        first = visit_plan(rep=rep, hcp=seen, at=at, by=rep, code=code)
        again = visit_plan(rep=rep, hcp=seen, at=at, by=rep, code=code)
        assert first.pk == again.pk and Call.objects.filter(code=code).count() == 1
        assert first.status == "planned" and first.territory_id == pw.world.nodes["a"]["t1"].pk
        with pytest.raises(ValidationError) as exc:
            visit_plan(rep=rep, hcp=seen, at=timezone.now() - dt.timedelta(days=2), by=rep)
        assert "at" in exc.value.message_dict
        unseen = Hcp.objects.live().exclude(pk__in=Hcp.objects.visible_to(pw.world.users["a"]["rep"])
                                             .values("pk")).first()
        with pytest.raises(ValidationError) as exc:
            visit_plan(rep=rep, hcp=unseen, at=at, by=rep)
        assert "hcp" in exc.value.message_dict
        assert Call.objects.filter(rep=rep).count() == 1


def test_month_view_shows_a_few_calls_a_day_and_how_many_more(pw, client, english):
    """A busy day of the month view: the first calls by time, "+N more" linking to the week
    of that day (which shows them all), and the month's total still counts every call."""
    from calls.planning.views.calendar import MONTH_PER_DAY

    today = pw.world.tenants["a"].today()
    with pw.world.scope("a"), transaction.atomic():
        busy = make_calls(pw, MONTH_PER_DAY + 4)
        make_calls(pw, 2, day=today + dt.timedelta(days=1) if (today + dt.timedelta(days=1)).month == today.month
                   else today - dt.timedelta(days=1))
    client.force_login(pw.world.users["a"]["rep"])
    response = client.get(f"{reverse('planning:calendar')}?view=month&date={today.isoformat()}")
    day = next(d for d in response.context["days"] if d["day"] == today)
    first = sorted(busy, key=lambda c: (c.at, c.pk))[:MONTH_PER_DAY]
    assert [c.code for c in day["calls"]] == [c.code for c in first]
    assert day["more"] == 4 and response.context["count"] == MONTH_PER_DAY + 4 + 2
    html = response.content.decode()
    assert f'<a href="?view=week&date={today.isoformat()}">+4 more calls</a>' in html
    week = client.get(f"{reverse('planning:calendar')}?view=week&date={today.isoformat()}")
    shown = next(d for d in week.context["days"] if d["day"] == today)
    assert len(shown["calls"]) == MONTH_PER_DAY + 4 and shown["more"] == 0

"""The day plan: what it shows, whose it is, and its queries for the whole request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from calls.planning.models import CyclePlanLine
from calls.planning.services import plan_propose, plan_submit

from .helpers import make_calls, make_tasks

#: What every signed-in page costs before the view: the user with their active membership
#: and its tenant, in one query (``accounts.principal``: AuthenticationMiddleware reads it,
#: TenantMiddleware uses it). The session comes from Redis (cached_db) and costs none.
MIDDLEWARE_QUERIES = 1
#: The page's own: one SQL (visits, overdue follow-ups, HCPs behind plan, the navigation's
#: two counts).
PAGE_QUERIES = 1


def _get(client, user):
    client.force_login(user)
    client.get(reverse("planning:today"))  # warm the session cache (as a signed-in browser has)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("planning:today"))
    return response, statements(ctx.captured_queries)


def statements(queries) -> list[dict]:
    """The queries, without the savepoints the test's own transaction turns the
    middleware's ``atomic()`` into (in production that is BEGIN/COMMIT, not counted)."""
    return [q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


@pytest.mark.parametrize("n", [20, 200])
def test_today_is_the_same_few_queries_with_20_or_200_planned_calls(pw, client, n):
    with pw.world.scope("a"), transaction.atomic():
        make_calls(pw, n)
        make_tasks(pw, 5)
    response, queries = _get(client, pw.world.users["a"]["rep"])
    assert response.status_code == 200
    assert len(response.context["data"].visits) == n
    assert len(queries) == MIDDLEWARE_QUERIES + PAGE_QUERIES, "\n".join(q["sql"][:120] for q in queries)


def test_today_shows_visits_overdue_tasks_and_hcps_behind_plan(pw, client, english):
    from django.db.models import Sum

    from calls.models import Call

    today = pw.world.tenants["a"].today()
    with pw.world.scope("a"), transaction.atomic():
        rep = pw.member("rep")
        plan = plan_propose(rep=rep, cycle=pw.cycle, by=rep)
        plan_submit(plan=plan, by=rep)
        planned = dict(CyclePlanLine.objects.filter(plan=plan).values("hcp_id").annotate(n=Sum("planned_calls"))
                       .values_list("hcp_id", "n"))
        hcps = [h for h in pw.hcps if h.pk in planned]
        visits = make_calls(pw, 3, hcps=hcps)
        make_calls(pw, 2, rep="rep2")  # not the rep's
        make_tasks(pw, 2)
        make_tasks(pw, 1, due=today + dt.timedelta(days=1))  # not overdue
        make_tasks(pw, 1, rep="rep2")
        Call.objects.filter(pk=visits[0].pk).update(status="submitted", submitted_at=visits[0].at)
    client.force_login(pw.world.users["a"]["rep"])
    response = client.get(reverse("planning:today"))
    data = response.context["data"]
    assert {v["code"] for v in data.visits} == {c.code for c in visits[1:]}
    assert len(data.tasks) == 2 and all(t["due"] < today for t in data.tasks)
    assert data.logged_today == 1 and data.open_tasks == 2
    # Behind plan, computed here: done < planned × elapsed share of the cycle (rounded down).
    elapsed, days = (today - pw.cycle.start_date).days + 1, pw.cycle.days
    done = {visits[0].hcp_id: 1}
    code_of = {h.pk: h.code for h in pw.hcps}
    want = {code_of[h] for h, n in planned.items() if done.get(h, 0) < (n * elapsed) // days}
    assert {b["hcp_code"] for b in data.behind} <= want and len(data.behind) == min(len(want), 20)
    html = response.content.decode()
    assert f"?planned={visits[1].code}" in html and "Log this call" in html


def test_other_tenant_sees_their_own_empty_day(pw, client):
    with pw.world.scope("a"), transaction.atomic():
        make_calls(pw, 3)
    client.force_login(pw.world.users["b"]["rep"])
    response = client.get(reverse("planning:today"))
    assert response.status_code == 200
    assert response.context["data"].visits == []


def test_hcps_behind_plan_late_in_the_cycle_equal_a_count_made_here(pw):
    """On the cycle's last day everything planned is due: behind = done < planned."""
    from django.db.models import Sum

    from calls.planning.selectors import today_for

    last = pw.cycle.end_date
    with pw.world.scope("a"), transaction.atomic():
        rep = pw.member("rep")
        plan = plan_propose(rep=rep, cycle=pw.cycle, by=rep)
        plan_submit(plan=plan, by=rep)
        planned = dict(CyclePlanLine.objects.filter(plan=plan).values("hcp_id").annotate(n=Sum("planned_calls"))
                       .values_list("hcp_id", "n"))
        hcps = [h for h in pw.hcps if h.pk in planned][:4]
        # Each of the first four HCPs gets 1..4 submitted calls in the cycle; one call outside it.
        for i, h in enumerate(hcps):
            make_calls(pw, i + 1, day=pw.cycle.start_date, status="submitted", hcps=[h])
        make_calls(pw, 5, day=pw.cycle.start_date - dt.timedelta(days=1), status="submitted", hcps=[hcps[0]])
        data = today_for(rep, last)
    done = {h.pk: i + 1 for i, h in enumerate(hcps)}
    code_of = {h.pk: h.code for h in pw.hcps}
    want = {code_of[h]: (n, done.get(h, 0)) for h, n in planned.items() if done.get(h, 0) < n}
    assert len(want) > 0
    assert {b["hcp_code"]: (b["planned"], b["done"]) for b in data.behind} == dict(
        sorted(want.items(), key=lambda kv: -(kv[1][0] - kv[1][1]))[:20]) or len(want) > 20
    assert all(b["expected"] == b["planned"] for b in data.behind)


def test_the_rows_escape_what_they_show_and_give_the_time_in_the_tenants_zone(pw, client, english):
    """The rows are built in Python (``views/today.py``): every value escaped as a template
    would, the visit's time in the tenant's zone, links to the HCP and to the call form."""
    from calls.models import FollowUp
    from customers.models import Hcp, Institution

    with pw.world.scope("a"), transaction.atomic():
        hcp = pw.hcps[0]
        Hcp.objects.filter(pk=hcp.pk).update(name="<b>张伟</b> & Co")
        Institution.objects.filter(pk=hcp.institution_id).update(name='"医院" <i>x</i>')
        (visit,) = make_calls(pw, 1, hcps=[hcp])
        FollowUp.objects.filter(pk__in=[t.pk for t in make_tasks(pw, 1)]).update(title="<script>alert(1)</script>")
    client.force_login(pw.world.users["a"]["rep"])
    html = client.get(reverse("planning:today")).content.decode()
    assert "<b>张伟</b>" not in html and "&lt;b&gt;张伟&lt;/b&gt; &amp; Co" in html
    assert "<i>x</i>" not in html and "&quot;医院&quot; &lt;i&gt;x&lt;/i&gt;" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    local = visit.at.astimezone(dt.timezone(dt.timedelta(hours=8)))  # the tenant's zone: Asia/Shanghai
    assert pw.world.tenants["a"].time_zone == "Asia/Shanghai"
    assert f'<span class="me-2">{local:%H:%M}</span><a href="/customers/hcps/{hcp.code}/">' in html
    assert f'href="/calls/new/?planned={visit.code}"' in html

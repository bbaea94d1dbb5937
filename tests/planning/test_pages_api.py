"""Plan pages and the API: who sees which plan, bad input on the pages, idempotent visits,
and where a rep lands after signing in."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calls.models import Call
from calls.planning.models import CyclePlanLine, PlanState
from calls.planning.services import plan_propose


def _plans(pw):
    with pw.world.scope("a"), transaction.atomic():
        rep, rep2 = pw.member("rep"), pw.member("rep2")
        return plan_propose(rep=rep, cycle=pw.cycle, by=rep), plan_propose(rep=rep2, cycle=pw.cycle, by=rep2)


def test_api_plans_rep_sees_own_manager_the_team_other_tenant_none(pw, client):
    mine, other = _plans(pw)
    url = reverse("api-planning-plans-list")
    client.force_login(pw.world.users["a"]["rep"])
    assert [p["code"] for p in client.get(url).json()["results"]] == [str(mine.code)]
    assert client.get(reverse("api-planning-plans-detail", kwargs={"code": other.code})).status_code == 404
    detail = client.get(reverse("api-planning-plans-detail", kwargs={"code": mine.code})).json()
    assert detail["lines"] and {"hcp", "planned", "done"} <= set(detail["lines"][0])
    client.force_login(pw.world.users["a"]["manager"])  # holds the district of t1, not of t3
    assert [p["code"] for p in client.get(url).json()["results"]] == [str(mine.code)]
    client.force_login(pw.world.users["a"]["analyst"])
    assert {p["code"] for p in client.get(url).json()["results"]} == {str(mine.code), str(other.code)}
    client.force_login(pw.world.users["b"]["admin"])
    assert client.get(url).json()["results"] == []
    assert client.get(reverse("api-planning-plans-detail", kwargs={"code": mine.code})).status_code == 404


def test_plan_pages_visibility(pw, client):
    mine, other = _plans(pw)
    client.force_login(pw.world.users["a"]["rep"])
    assert client.get(reverse("planning:plan_detail", kwargs={"code": mine.code})).status_code == 200
    assert client.get(reverse("planning:plan_detail", kwargs={"code": other.code})).status_code == 404
    client.force_login(pw.world.users["a"]["manager"])
    page = client.get(reverse("planning:team_plans"))
    assert [r["plan"] for r in page.context["rows"] if r["plan"]] == [mine]
    assert client.get(reverse("planning:plan_detail", kwargs={"code": other.code})).status_code == 404
    client.force_login(pw.world.users["b"]["rep"])
    assert client.get(reverse("planning:plan_detail", kwargs={"code": mine.code})).status_code == 404


def test_plan_page_refuses_a_count_above_the_limit_and_keeps_the_plan(pw, client, english):
    mine, _other = _plans(pw)
    with pw.world.scope("a"), transaction.atomic():
        line = CyclePlanLine.objects.filter(plan=mine).first()
        before = line.planned_calls
    client.force_login(pw.world.users["a"]["rep"])
    url = reverse("planning:plan_detail", kwargs={"code": mine.code})
    response = client.post(url, {f"planned_{line.pk}": "40"})
    assert response.status_code == 400
    assert "40 calls" in response.content.decode() and 'value="40"' in response.content.decode()
    with pw.world.scope("a"), transaction.atomic():
        line.refresh_from_db()
    assert line.planned_calls == before
    response = client.post(reverse("planning:plan_submit", kwargs={"code": mine.code}))
    assert response.status_code == 302
    with pw.world.scope("a"), transaction.atomic():
        mine.refresh_from_db()
    assert mine.state == PlanState.SUBMITTED
    assert client.post(url, {f"planned_{line.pk}": "1"}).status_code == 400  # no longer editable


def test_api_visit_create_twice_makes_one_visit(pw, client):
    from customers.models import Hcp

    with pw.world.scope("a"), transaction.atomic():
        hcp = Hcp.objects.live().visible_to(pw.world.users["a"]["rep"]).first()
    client.force_login(pw.world.users["a"]["rep"])
    body = {"code": str(uuid.uuid4()), "hcp": str(hcp.code),
            "at": (timezone.now() + dt.timedelta(days=1)).isoformat()}
    url = reverse("api-planning-visits-list")
    first = client.post(url, body, content_type="application/json")
    again = client.post(url, body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["code"] == again.json()["code"] == body["code"]
    with pw.world.scope("a"), transaction.atomic():
        assert Call.objects.filter(code=body["code"]).count() == 1
    bad = client.post(url, {**body, "code": str(uuid.uuid4()), "at": "2001-01-01T09:00:00+08:00"},
                      content_type="application/json")
    assert bad.status_code == 400 and "at" in bad.json()
    assert [v["code"] for v in client.get(url).json()["results"]] == [body["code"]]

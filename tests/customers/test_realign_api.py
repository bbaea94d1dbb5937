"""The realignment API (admins) and the alignments-on-a-day API (any member, scoped)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse

from customers.models import Alignment, RealignmentBatch
from customers.services.realignment import realignment_apply, realignment_by_geography, realignment_by_institution
from tests.helpers import count_queries

pytestmark = pytest.mark.usefixtures("english")


def _today(world):
    return world.tenants["a"].today()


def _geo(world, customers, day=None):
    with world.scope("a"), transaction.atomic():
        return realignment_by_geography(name="上海 → 朝阳", product_line=customers.line,
                                        effective_date=day or _today(world) + dt.timedelta(days=3),
                                        territory=world.nodes["a"]["t3"], province="上海市",
                                        by=world.users["a"]["admin"].membership_row)


def test_list_and_detail_with_the_preview(client, world, customers):
    batch = _geo(world, customers)
    client.force_login(world.users["a"]["admin"])
    listed = client.get(reverse("api-customers-realignments-list")).json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert (row["code"], row["state"], row["method"], row["items"]) == (
        str(batch.code), "draft", "geography", {"institutions": 3, "hcps": 2})
    assert "preview" not in row
    detail = client.get(reverse("api-customers-realignments-detail", kwargs={"code": batch.code})).json()
    t3 = next(r for r in detail["preview"] if r["name"] == "朝阳一区")
    assert (t3["inst_before"], t3["inst_gained"], t3["inst_after"], t3["hcp_gained"], t3["hcp_after"]) == (1, 3, 4, 4, 5)
    assert detail["item_counts"]["following"] == 2


def test_apply_through_the_api_is_idempotent(client, world, customers):
    batch = _geo(world, customers)
    client.force_login(world.users["a"]["admin"])
    url = reverse("api-customers-realignments-apply", kwargs={"code": batch.code})
    first = client.post(url)
    assert first.status_code == 200
    assert (first.json()["state"], first.json()["applied_now"], first.json()["result"]) == (
        "applied", True, {"ended": 4, "deleted": 0, "created": 5})
    second = client.post(url).json()
    assert second["applied_now"] is False
    with world.scope("a"), transaction.atomic():
        assert Alignment.objects.filter(batch=batch).count() == 5


def test_apply_refused_names_the_field_and_changes_nothing(client, world, customers):
    batch = _geo(world, customers)
    with world.scope("a"), transaction.atomic():
        RealignmentBatch.objects.filter(pk=batch.pk).update(effective_date=_today(world) - dt.timedelta(days=1))
    client.force_login(world.users["a"]["admin"])
    response = client.post(reverse("api-customers-realignments-apply", kwargs={"code": batch.code}))
    assert response.status_code == 400
    assert "effective_date" in response.json()
    with world.scope("a"), transaction.atomic():
        assert RealignmentBatch.objects.get(pk=batch.pk).state == "draft"
        assert not Alignment.objects.filter(source="realignment").exists()


def test_non_admins_403_and_other_tenant_404(client, world, customers):
    batch = _geo(world, customers)
    for role in ("rep", "manager", "analyst", "data_steward", "finance"):
        client.force_login(world.users["a"][role])
        assert client.get(reverse("api-customers-realignments-list")).status_code == 403
        assert client.post(reverse("api-customers-realignments-apply", kwargs={"code": batch.code})).status_code == 403
    client.force_login(world.users["b"]["admin"])
    assert client.get(reverse("api-customers-realignments-detail", kwargs={"code": batch.code})).status_code == 404
    assert client.post(reverse("api-customers-realignments-apply", kwargs={"code": batch.code})).status_code == 404
    assert client.get(reverse("api-customers-realignments-list")).json()["count"] == 0


def test_list_query_count_stays_flat(client, world, customers):
    client.force_login(world.users["a"]["admin"])
    _geo(world, customers)
    url = reverse("api-customers-realignments-list")
    few = count_queries(lambda: client.get(url))
    for _ in range(20):
        _geo(world, customers)
    assert count_queries(lambda: client.get(url)) == few


def _alignments(client, **params):
    return client.get(reverse("api-customers-alignments"), params)


def test_alignments_on_a_day_follow_the_history(client, world, customers):
    today = _today(world)
    admin = world.users["a"]["admin"].membership_row
    with world.scope("a"), transaction.atomic():
        batch = realignment_by_institution(product_line=customers.line, effective_date=today,
                                           territory=world.nodes["a"]["t3"], institutions=[customers.i1], by=admin)
        realignment_apply(batch=batch, by=admin)
    # The rep held i1 (and 张伟 through it) until yesterday: they may read that day, not today.
    client.force_login(world.users["a"]["rep"])
    past = (today - dt.timedelta(days=2)).isoformat()
    body = _alignments(client, hcp=str(customers.zw.code), on=past).json()
    assert [(a["territory"]["name"], a["via"]) for a in body["alignments"]] == [("浦东一区", "institution")]
    assert _alignments(client, hcp=str(customers.zw.code)).status_code == 404
    # rep2 now holds it: today 朝阳一区.
    client.force_login(world.users["a"]["rep2"])
    body = _alignments(client, institution=str(customers.i1.code)).json()
    assert [(a["territory"]["name"], a["via"], a["source"]) for a in body["alignments"]] == [
        ("朝阳一区", "own", "realignment")]
    # An own alignment shows as own.
    client.force_login(world.users["a"]["analyst"])
    body = _alignments(client, hcp=str(customers.h1.code)).json()
    assert [(a["territory"]["name"], a["via"]) for a in body["alignments"]] == [("浦东一区", "own")]


def test_alignments_bad_input(client, world, customers):
    client.force_login(world.users["a"]["admin"])
    assert "hcp" in _alignments(client).json()
    assert _alignments(client, hcp=str(customers.h1.code), institution=str(customers.i1.code)).status_code == 400
    response = _alignments(client, hcp=str(customers.h1.code), on="31/12/2024")
    assert response.status_code == 400 and "on" in response.json()
    assert _alignments(client, hcp=str(customers.b_hcp.code)).status_code == 404

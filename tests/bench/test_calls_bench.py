"""The issue 5 benchmark's own correctness (``bench/calls*.py``): the calls it loads are
calls the product could have made, and its bare baselines are not product URLs."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.urls import Resolver404, resolve

from bench.calls_data import TAG, add_calls, reps_of
from tests.planning.conftest import build


@pytest.fixture
def pw(world):
    return build(world, chain=False)


def _tenant(pw, key="a") -> dict:
    tenant = pw.world.tenants[key]
    return {"id": tenant.pk, "tz": tenant.time_zone, "today": tenant.today()}


def test_loaded_calls_are_on_hcps_the_rep_sees_in_their_territory_and_tenant(pw):
    """Every call: an HCP its rep sees today (institution or HCP alignment, ended alignments,
    merged and terminated HCPs left out), the rep's territory, ``day`` = the tenant-local date
    of ``at``, in the window asked; the other tenant gets none."""
    from calls.models import Call
    from calls.visibility import territory_of
    from customers.models import Hcp

    t = _tenant(pw)
    first = t["today"] - dt.timedelta(days=30)
    with pw.world.scope("a"), transaction.atomic():
        connection.apply_tenant_settings()  # the raw psycopg connection runs in the tenant too
        raw = connection.connection
        reps = reps_of(raw, t)
        inserted = add_calls(raw, t, reps, per_rep=40, first=first, days=30, status="submitted", notes=TAG + " t")
        calls = list(Call.objects.filter(notes=TAG + " t").select_related("rep__user", "hcp"))
        by_rep = {}
        for rep_id, territory_id in reps:
            rep = next((c.rep for c in calls if c.rep_id == rep_id), None)
            if rep is None:
                continue
            rep.user.membership = rep
            by_rep[rep_id] = (set(Hcp.objects.visible_to(rep.user, on=t["today"]).filter(status="active")
                                  .exclude(stage="terminated").values_list("pk", flat=True)),
                              territory_of(rep, t["today"]).pk, territory_id)
    assert inserted == len(calls) > 0
    assert {c.rep_id for c in calls} == {pw.member("rep").pk, pw.member("rep2").pk}
    tz = zoneinfo.ZoneInfo(t["tz"])
    for c in calls:
        visible, territory, asked = by_rep[c.rep_id]
        assert c.hcp_id in visible
        assert c.territory_id == territory == asked
        assert c.day == c.at.astimezone(tz).date() and first <= c.day < t["today"]
        assert c.status == "submitted" and c.submitted_at is not None and c.institution_id == c.hcp.institution_id
    with pw.world.scope("b"), transaction.atomic():
        assert not Call.objects.filter(notes=TAG + " t").exists()


def test_planned_visits_today_are_what_the_today_page_lists(pw, client):
    from django.urls import reverse

    t = _tenant(pw)
    rep = pw.member("rep")
    with pw.world.scope("a"), transaction.atomic():
        connection.apply_tenant_settings()
        raw = connection.connection
        mine = [r for r in reps_of(raw, t) if r[0] == rep.pk]
        add_calls(raw, t, mine, per_rep=20, first=t["today"], days=1, status="planned", notes=TAG + " planned")
    client.force_login(pw.world.users["a"]["rep"])
    response = client.get(reverse("planning:today"))
    assert response.status_code == 200 and len(response.context["data"].visits) == 20


def test_the_bare_baselines_are_not_product_urls():
    with pytest.raises(Resolver404):
        resolve("/bench/fortunes/")
    with override_settings(ROOT_URLCONF="bench.calls_urls"):
        assert resolve("/bench/fortunes/").url_name == "bench_fortunes"
        assert resolve("/bench/insert/").url_name == "bench_insert"
        assert resolve("/plan/today/").url_name == "today"  # the product's URLs, all of them, too

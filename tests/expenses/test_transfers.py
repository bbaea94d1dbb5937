"""The transfer-of-value report: per HCP and per institution, approved expense shares per
category and samples at list price for a period, with totals; one aggregate statement; the
page, its exports (CSV with a BOM, Excel) and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from calls.samples.models import SampleLot, SampleMove
from expenses.models import ClaimState, ExpenseClaim, ExpenseLine, LineHcp
from expenses.services.transfers import BY_HCP, BY_INSTITUTION, transfer_report
from tests.helpers import assert_max_queries, count_queries
from tests.samples.conftest import make_call, make_catalogue

pytestmark = pytest.mark.usefixtures("english")


def claim(spend, lines, *, state=ClaimState.APPROVED, tenant="a"):
    """``lines``: (category, amount, day, [(hcp, share)…], call); written directly (test data)."""
    rep = spend.m("rep", tenant)
    total = sum(Decimal(a) for _c, a, _d, _h, _k in lines)
    c = ExpenseClaim.objects.create(rep=rep, purpose="测试", currency="CNY", total=total, state=state,
                                    submitted_at=None if state == ClaimState.DRAFT else timezone.now())
    for category, amount, day, shares, call in lines:
        line = ExpenseLine.objects.create(claim=c, category=category, day=day, amount=Decimal(amount), currency="CNY",
                                          base_amount=Decimal(amount), call=call)
        for hcp, share in shares:
            LineHcp.objects.create(line=line, hcp=hcp, amount=Decimal(share))
    return c


def given(rep, lot, units, *, call, hcp, at=None):
    return SampleMove.objects.create(kind="given", quantity=-units, rep=rep, lot=lot, call=call, hcp=hcp,
                                     at=at or timezone.now(), code=uuid.uuid4())


@pytest.fixture
def tov(spend):
    """Tenant A, this month: h1 meals 300 (half a 600 dinner with zw) + speaker fee 1,000 +
    3 samples at 5.00; zw meals 300; a 250 travel line naming no HCP in a call at i1; 2
    samples at 8.00 given at i1 with no HCP. Not counted: a submitted claim, a draft, an
    approved line 40 days ago, samples 50 days ago. Tenant B: an approved 8,000."""
    c = spend.customers
    w = spend.world
    cat = spend.categories
    with w.scope("a"), transaction.atomic():
        today = w.tenants["a"].today()
        sku1, sku2 = make_catalogue()
        lot1 = SampleLot.objects.create(sku=sku1, lot_number="T1", expiry=today + dt.timedelta(days=300))
        lot2 = SampleLot.objects.create(sku=sku2, lot_number="T2", expiry=today + dt.timedelta(days=300))
        rep = spend.m("rep")
        call = make_call(rep=rep, hcp=c.zw, inst=c.i1, territory=w.nodes["a"]["t1"], status="submitted")
        claim(spend, [(cat["meals"], "600", today, [(c.h1, "300"), (c.zw, "300")], None),
                      (cat["speaker"], "1000", today, [(c.h1, "1000")], None),
                      (cat["travel"], "250", today, [], call)])
        claim(spend, [(cat["meals"], "700", today, [(c.h1, "700")], None)], state=ClaimState.SUBMITTED)
        claim(spend, [(cat["meals"], "700", today, [(c.h1, "700")], None)], state=ClaimState.DRAFT)
        claim(spend, [(cat["meals"], "900", today - dt.timedelta(days=40), [(c.zw, "900")], None)])
        given(rep, lot1, 3, call=call, hcp=c.h1)
        given(rep, lot2, 2, call=call, hcp=None)
        given(rep, lot1, 9, call=call, hcp=c.h1, at=timezone.now() - dt.timedelta(days=50))
    with w.scope("b"), transaction.atomic():
        claim(spend, [(spend.b_category, "8000", w.tenants["b"].today(), [(c.b_hcp, "8000")], None)], tenant="b")
    return {"start": today - dt.timedelta(days=7), "end": today}


def _by_name(report):
    return {r.name: r for r in report.rows}


def _cats(report, row):
    return {col.key: value for col, value in zip(report.categories, row.categories, strict=True)}


def test_per_hcp_the_approved_shares_per_category_and_the_samples_at_list_price(spend, tov):
    c = spend.customers
    with spend.world.scope("a"):
        report = transfer_report(start=tov["start"], end=tov["end"], grouping=BY_HCP)
        rows = _by_name(report)
        assert set(rows) == {c.h1.name, c.zw.name} and report.count == 2
        h1 = rows[c.h1.name]
        assert _cats(report, h1) == {"meals": 300, "travel": 0, "venue": 0, "speaker": 1000}
        assert (h1.samples_units, h1.samples, h1.total) == (3, Decimal("15.00"), Decimal("1315.00"))
        assert h1.external_code == "D001" and report.rows[0].name == c.h1.name  # the largest first
        zw = rows[c.zw.name]
        assert (zw.total, zw.samples) == (Decimal(300), 0) and zw.institution == c.i1.name
        t = report.totals
        assert _cats(report, t) == {"meals": 600, "travel": 0, "venue": 0, "speaker": 1000}
        assert (t.samples_units, t.samples, t.total) == (3, Decimal(15), Decimal(1615))


def test_per_institution_adds_lines_and_samples_at_the_institution_without_an_hcp(spend, tov):
    c = spend.customers
    with spend.world.scope("a"):
        report = transfer_report(start=tov["start"], end=tov["end"], grouping=BY_INSTITUTION)
        rows = _by_name(report)
        i1 = rows[c.i1.name]
        assert _cats(report, i1) == {"meals": 300, "travel": 250, "venue": 0, "speaker": 0}
        assert (i1.samples_units, i1.samples, i1.total) == (2, Decimal(16), Decimal(566))
        assert rows[c.h1.institution.name].total == Decimal(1315)
        assert report.totals.total == Decimal(1881)


def test_the_period_bounds_are_inclusive_and_tenant_b_sees_only_its_own(spend, tov):
    c = spend.customers
    with spend.world.scope("a"):
        old = tov["end"] - dt.timedelta(days=40)
        report = transfer_report(start=old, end=old, grouping=BY_HCP)
        assert [(r.name, r.total) for r in report.rows] == [(c.zw.name, Decimal(900))]
        # samples count by their day in the tenant's time zone (Asia/Shanghai has no DST)
        day = tov["end"] - dt.timedelta(days=50)
        report = transfer_report(start=day, end=day, grouping=BY_HCP)
        assert [(r.name, r.samples_units, r.samples) for r in report.rows] == [(c.h1.name, 9, Decimal(45))]
        assert transfer_report(start=day + dt.timedelta(days=1), end=old - dt.timedelta(days=1)).rows == []
    with spend.world.scope("b"):
        report = transfer_report(start=tov["start"], end=tov["end"], grouping=BY_HCP)
        assert [(r.name, r.total) for r in report.rows] == [(c.b_hcp.name, Decimal(8000))]


def test_the_report_is_two_statements_whatever_the_size(spend, tov):
    c = spend.customers
    with spend.world.scope("a"):
        few = count_queries(lambda: transfer_report(start=tov["start"], end=tov["end"]))
        cat = spend.categories
        with transaction.atomic():
            for hcp in (c.h2, c.h3, c.unaligned):
                claim(spend, [(cat["venue"], "100", tov["end"], [(hcp, "100")], None)])
        assert count_queries(lambda: transfer_report(start=tov["start"], end=tov["end"])) == few == 2
        page = transfer_report(start=tov["start"], end=tov["end"], limit=2, offset=2)
        assert len(page.rows) == 2 and page.count == 5 and page.totals.total == Decimal(1915)


# --------------------------------------------------------------------------- pages


def _get(client, spend, role, name="expenses:transfer_report", **params):
    client.force_login(spend.world.users["a"][role])
    return client.get(reverse(name, **({"kwargs": params.pop("kwargs")} if "kwargs" in params else {})), params)


def test_finance_reads_the_page_with_totals_in_a_fixed_number_of_queries(client, spend, tov):
    c = spend.customers
    client.force_login(spend.world.users["a"]["finance"])
    url = reverse("expenses:transfer_report")
    params = {"start": tov["start"].isoformat(), "end": tov["end"].isoformat(), "by": "hcp"}
    with assert_max_queries(12) as few:
        response = client.get(url, params)
    assert response.status_code == 200
    body = response.content.decode()
    assert c.h1.name in body and "1,315.00" in body and "1,615.00" in body
    assert "Not tracked until the events app exists" in body and "table-responsive-cards" in body
    with spend.world.scope("a"), transaction.atomic():
        for hcp in (c.h2, c.h3, c.unaligned):
            claim(spend, [(spend.categories["venue"], "100", tov["end"], [(hcp, "100")], None)])
    with assert_max_queries(len(few.captured_queries)):
        assert client.get(url, params).status_code == 200
    response = client.get(url, {**params, "by": "institution"})
    assert response.status_code == 200 and c.i1.name in response.content.decode()


def test_the_csv_export_is_utf8_with_a_bom_and_ends_with_the_totals(client, spend, tov):
    c = spend.customers
    client.force_login(spend.world.users["a"]["admin"])
    response = client.get(reverse("expenses:transfer_export", kwargs={"fmt": "csv"}),
                          {"start": tov["start"].isoformat(), "end": tov["end"].isoformat()})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows[1]
    assert header[:2] == ["HCP", "External code"] and "Sponsored events" in header
    body = {r[0]: r for r in rows[2:]}
    assert body[c.h1.name][header.index("Total (CNY)")] == "1315.00"
    assert body[c.h1.name][header.index("Sponsored events")] == "Not tracked until the events app exists"
    assert rows[-1][0] == "Total" and rows[-1][header.index("Total (CNY)")] == "1615.00"


def test_the_excel_export_is_a_workbook(client, spend, tov):
    client.force_login(spend.world.users["a"]["analyst"])
    response = client.get(reverse("expenses:transfer_export", kwargs={"fmt": "xlsx"}),
                          {"start": tov["start"].isoformat(), "end": tov["end"].isoformat(), "by": "institution"})
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert "spreadsheetml" in response["Content-Type"] and ".xlsx" in response["Content-Disposition"]
    assert client.get(reverse("expenses:transfer_export", kwargs={"fmt": "pdf"})).status_code == 404


@pytest.mark.parametrize("params, field", [
    ({"start": "2026-03-01", "end": "2026-02-01"}, "The end of the period cannot be before its start."),
    ({"start": "not-a-date"}, "Enter a valid date."),
    ({"start": "2020-01-01", "end": "2026-01-01"}, "Choose a period of at most three years."),
])
def test_a_bad_period_is_refused_with_the_field_named(client, spend, params, field):
    client.force_login(spend.world.users["a"]["finance"])
    response = client.get(reverse("expenses:transfer_report"), params)
    assert response.status_code == 400
    assert field in response.content.decode() and "is-invalid" in response.content.decode()
    export = client.get(reverse("expenses:transfer_export", kwargs={"fmt": "csv"}), params)
    assert export.status_code == 400

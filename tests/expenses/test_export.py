"""Finance export: approved claims not yet exported, to CSV (UTF-8 with a BOM) or Excel, one
row per line; exporting marks them in one UPDATE, so they are not exported twice; a past
export comes again by its time or a date range. Finance and admins only; tenant B sees none."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from approvals.models import ApprovalStep, StepState
from approvals.services import approval_decide
from expenses.models import Budget, ExpenseClaim
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.usefixtures("english")


def _decide(claim, member):
    step = ApprovalStep.objects.get(request_id=claim.approval_id, state=StepState.PENDING)
    approval_decide(step=step, actor=member, decision="approved")


def _approved(spend, *lines, purpose="学术晚餐"):
    claim = spend.claim(*lines, purpose=purpose, submit=True)
    _decide(claim, spend.m("manager"))
    _decide(claim, spend.m("finance"))
    return ExpenseClaim.objects.get(pk=claim.pk)


def _login(client, spend, role, tenant="a"):
    client.force_login(spend.world.users[tenant][role])
    return client


def test_finance_exports_csv_one_row_per_line_and_marks_them_once(spend, client):
    c = spend.customers
    with spend.world.scope("a"):
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(amount=Decimal(90000))
        one = _approved(spend, spend.line(amount="600", hcps=[c.h1, c.zw]),
                        spend.line("travel", "100", currency="USD", hcps=[]))
        two = _approved(spend, spend.line(amount="80"), purpose="=HYPERLINK(\"x\")")
        waiting = spend.claim(spend.line(amount="50"), purpose="待批", submit=True)
    _login(client, spend, "finance")
    page = client.get(reverse("expenses:export")).content.decode()
    assert str(one.code) in page and str(two.code) in page and str(waiting.code) not in page
    response = client.post(reverse("expenses:export"), {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Claim", "Rep", "Territory"] and len(rows) == 4  # header + 3 lines
    usd = next(r for r in rows if r[6] == "USD")
    assert usd[0] == str(one.code) and usd[5] == "100.000" and Decimal(usd[7]) == Decimal("7.1")
    assert Decimal(usd[8]) == Decimal("710.00") and usd[2] == "浦东一区"
    dinner = next(r for r in rows if r[0] == str(one.code) and r[6] == "CNY")
    assert "李娜" in dinner[9] and "张伟" in dinner[9]
    assert next(r for r in rows if r[0] == str(two.code))[10].startswith("'=")  # no formula
    with spend.world.scope("a"):
        stamps = set(ExpenseClaim.objects.filter(pk__in=[one.pk, two.pk]).values_list("exported_at", flat=True))
        assert len(stamps) == 1 and None not in stamps
        assert ExpenseClaim.objects.get(pk=waiting.pk).exported_at is None
    # nothing left: a second export exports nothing
    response = client.post(reverse("expenses:export"), {"format": "csv"})
    assert response.status_code == 302
    assert str(one.code) not in client.get(reverse("expenses:export")).content.decode().split("Past exports")[0]
    # the past export again, by its time and by a range of days
    at = stamps.pop()
    again = client.get(reverse("expenses:export_again"), {"at": at.isoformat(), "format": "csv"})
    assert list(csv.reader(io.StringIO(again.content.decode("utf-8-sig")))) == rows
    day = timezone.localdate(at).isoformat()
    again = client.get(reverse("expenses:export_again"), {"from": day, "to": day, "format": "xlsx"})
    assert again.status_code == 200 and again.content[:2] == b"PK"
    assert again["Content-Disposition"].startswith("attachment")


def test_excel_export_and_only_the_chosen_claims(spend, client):
    with spend.world.scope("a"):
        one = _approved(spend, spend.line(amount="100"))
        two = _approved(spend, spend.line(amount="100"))
    _login(client, spend, "admin")
    response = client.post(reverse("expenses:export"), {"format": "xlsx", "claims": [str(one.code)]})
    assert response.status_code == 200 and response.content[:2] == b"PK"
    with spend.world.scope("a"):
        assert ExpenseClaim.objects.get(pk=one.pk).exported_at is not None
        assert ExpenseClaim.objects.get(pk=two.pk).exported_at is None
    assert client.post(reverse("expenses:export"), {"format": "pdf"}).status_code == 400
    assert client.post(reverse("expenses:export"), {"format": "csv", "claims": ["not-a-code"]}).status_code == 400
    assert client.get(reverse("expenses:export_again"), {"from": "bad"}).status_code == 302


def test_export_is_for_finance_and_admins_and_tenant_b_sees_none_of_ours(spend, client):
    with spend.world.scope("a"):
        claim = _approved(spend, spend.line(amount="100"))
    for role in ("rep", "manager", "analyst", "data_steward"):
        assert _login(client, spend, role).get(reverse("expenses:export")).status_code == 403
        assert _login(client, spend, role).post(reverse("expenses:export"), {"format": "csv"}).status_code == 403
    b = _login(client, spend, "admin", "b")
    assert str(claim.code) not in b.get(reverse("expenses:export")).content.decode()
    assert b.post(reverse("expenses:export"), {"format": "csv"}).status_code == 302  # nothing of B's to export
    with spend.world.scope("a"):
        assert ExpenseClaim.objects.get(pk=claim.pk).exported_at is None


def test_export_page_queries_do_not_grow(spend, client):
    with spend.world.scope("a"):
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(amount=Decimal(90000))
        _approved(spend, spend.line(amount="10"))
    _login(client, spend, "finance")
    with assert_max_queries(14) as few:
        client.get(reverse("expenses:export"))
    with spend.world.scope("a"):
        for _i in range(3):
            _approved(spend, spend.line(amount="10"), spend.line("travel", "5", hcps=[]))
    with assert_max_queries(len(few.captured_queries)):
        client.get(reverse("expenses:export"))

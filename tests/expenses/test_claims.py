"""Claims through their life: draft, submit (budgets and caps committed), approval steps,
spent, sent back, rejected, corrected; and every bad input refused with its field named."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from approvals.models import ApprovalStep, StepState
from approvals.services import approval_decide, approval_withdraw
from expenses.models import Budget, CapTally, ClaimCommitment, ClaimState, ExpenseClaim, LineHcp
from expenses.services import LineIn, claim_correct, claim_save, claim_submit

pytestmark = pytest.mark.usefixtures("english")


def _budget(spend, key):
    return Budget.objects.get(pk=spend.budgets[key].pk)


def _tally(spend, cap, hcp):
    return CapTally.objects.filter(cap=spend.caps[cap], hcp=hcp).first()


def _decide(claim, member, decision="approved", comment=""):
    step = ApprovalStep.objects.get(request_id=claim.approval_id, state=StepState.PENDING)
    return approval_decide(step=step, actor=member, decision=decision, comment=comment)


def test_submit_commits_and_approval_spends(spend):
    c = spend.customers
    with spend.world.scope("a"):
        claim = spend.claim(spend.line(amount="600", hcps=[c.h1, c.zw]), spend.line("travel", "250.50", hcps=[]),
                            submit=True)
        assert claim.state == ClaimState.SUBMITTED and claim.total == Decimal("850.50")
        # both budgets on the path take the whole claim; caps take each HCP's share
        for key in ("t1", "district"):
            b = _budget(spend, key)
            assert (b.committed, b.spent) == (Decimal("850.50"), 0)
        assert _tally(spend, "meals", c.h1).committed == Decimal(300)
        assert _tally(spend, "all", c.zw).committed == Decimal(300)
        assert list(LineHcp.objects.filter(line__claim=claim).values_list("amount", flat=True)) == [300, 300]
        _decide(claim, spend.m("manager"))
        assert ExpenseClaim.objects.get(pk=claim.pk).state == ClaimState.SUBMITTED  # finance is next
        _decide(claim, spend.m("finance"))
        claim.refresh_from_db()
        assert claim.state == ClaimState.APPROVED and claim.decided_at
        b = _budget(spend, "t1")
        assert (b.committed, b.spent) == (0, Decimal("850.50"))
        t = _tally(spend, "meals", c.h1)
        assert (t.committed, t.spent) == (0, Decimal(300))


def test_rejection_and_withdrawal_release_what_was_committed(spend):
    with spend.world.scope("a"):
        one = spend.claim(spend.line(amount="500"), submit=True)
        two = spend.claim(spend.line(amount="400"), submit=True)
        assert _budget(spend, "t1").committed == Decimal(900)
        _decide(one, spend.m("manager"), "rejected", "不合规 not compliant")
        assert ExpenseClaim.objects.get(pk=one.pk).state == ClaimState.REJECTED
        approval_withdraw(request=two.approval, actor=spend.m("rep"))
        assert ExpenseClaim.objects.get(pk=two.pk).state == ClaimState.WITHDRAWN
        b = _budget(spend, "t1")
        assert (b.committed, b.spent) == (0, 0)
        assert _tally(spend, "meals", spend.customers.h1).committed == 0
        assert not ClaimCommitment.objects.filter(claim__in=[one, two]).exists()


def test_sent_back_releases_and_resubmit_commits_again(spend):
    with spend.world.scope("a"):
        claim = spend.claim(spend.line(amount="500"), submit=True)
        _decide(claim, spend.m("manager"), "returned", "缺发票 add the receipt")
        claim.refresh_from_db()
        assert claim.state == ClaimState.RETURNED and _budget(spend, "t1").committed == 0
        claim, _ = claim_save(rep=spend.m("rep"), purpose="改 fixed", lines=[spend.line(amount="450")], claim=claim)
        claim = claim_submit(claim=claim, by=spend.m("rep"))
        assert claim.state == ClaimState.SUBMITTED and _budget(spend, "t1").committed == Decimal(450)
        _decide(claim, spend.m("manager"))
        _decide(claim, spend.m("finance"))
        assert ExpenseClaim.objects.get(pk=claim.pk).state == ClaimState.APPROVED


def test_hard_cap_refused_with_the_numbers_and_nothing_changes(spend):
    with spend.world.scope("a"):
        spend.claim(spend.line(amount="1800"), submit=True)
        claim = spend.claim(spend.line(amount="300"))
        with pytest.raises(ValidationError) as exc:
            claim_submit(claim=claim, by=spend.m("rep"))
        message = exc.value.message_dict["lines"][0]
        assert "2,000.00" in message and "1,800.00" in message and "300.00" in message and "李娜" in message
        assert ExpenseClaim.objects.get(pk=claim.pk).state == ClaimState.DRAFT
        assert _budget(spend, "t1").committed == Decimal(1800)
        assert _tally(spend, "meals", spend.customers.h1).committed == Decimal(1800)


def test_hard_budget_refused_with_the_numbers(spend):
    with spend.world.scope("a"):
        spend.claim(spend.line("travel", "2500", hcps=[]), submit=True)
        claim = spend.claim(spend.line("travel", "600", hcps=[]))
        with pytest.raises(ValidationError) as exc:
            claim_submit(claim=claim, by=spend.m("rep"))
        message = exc.value.message_dict["lines"][0]
        assert "浦东一区 2026" in message and "500.00" in message and "600.00" in message
        assert _budget(spend, "district").committed == Decimal(2500)  # the soft parent took nothing more


def test_soft_cap_adds_the_managers_manager_step(spend):
    from accounts.models import Position

    with spend.world.scope("a"):
        # someone above the manager: the region's holder
        Position.objects.create(node=spend.world.nodes["a"]["region"], holder=spend.m("analyst"),
                                start_date=spend.today() - dt.timedelta(days=30))
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(amount=Decimal(9000))
        claim = spend.claim(spend.line("travel", "100", hcps=[]),
                            spend.line("speaker", "5200", hcps=[spend.customers.h1]), submit=True)
        assert claim.over_soft_cap
        steps = list(ApprovalStep.objects.filter(request_id=claim.approval_id).order_by("order"))
        assert [s.kind for s in steps] == ["direct_manager", "managers_manager", "role"]
        quiet = spend.claim(spend.line("travel", "100", hcps=[]), submit=True)
        assert not quiet.over_soft_cap
        assert ApprovalStep.objects.filter(request_id=quiet.approval_id).count() == 2


def test_approved_claim_never_changes_and_a_correction_replaces_it(spend):
    with spend.world.scope("a"):
        claim = spend.claim(spend.line(amount="800"), submit=True)
        _decide(claim, spend.m("manager"))
        _decide(claim, spend.m("finance"))
        claim.refresh_from_db()
        with pytest.raises(ValidationError) as exc:
            claim_save(rep=spend.m("rep"), purpose="x", lines=[spend.line(amount="1")], claim=claim)
        assert "correction" in exc.value.message_dict["claim"][0]
        correction = claim_correct(claim=claim, by=spend.m("rep"))
        assert correction.corrects_id == claim.pk and correction.state == ClaimState.DRAFT
        assert correction.lines.get().amount == Decimal(800)
        correction, _ = claim_save(rep=spend.m("rep"), purpose=correction.purpose,
                                   lines=[spend.line(amount="700")], claim=correction)
        correction = claim_submit(claim=correction, by=spend.m("rep"))
        # while the correction waits both count (the original spent, the correction committed)
        assert _budget(spend, "t1").used == Decimal(1500)
        _decide(correction, spend.m("manager"))
        _decide(correction, spend.m("finance"))
        assert ExpenseClaim.objects.get(pk=claim.pk).state == ClaimState.SUPERSEDED
        b = _budget(spend, "t1")
        assert (b.committed, b.spent) == (0, Decimal(700))
        assert _tally(spend, "meals", spend.customers.h1).spent == Decimal(700)


BAD_LINES = [
    ({"amount": "-5"}, "line-0-amount", "more than zero"),
    ({"amount": "0"}, "line-0-amount", "more than zero"),
    ({"amount": "12.345"}, "line-0-amount", "2 decimals"),
    ({"amount": "abc"}, "line-0-amount", "not an amount"),
    ({"amount": "1000", "currency": "JPY"}, "line-0-currency", "no exchange rate"),
    ({"amount": "10.5", "currency": "JPY"}, "line-0-amount", "no decimals"),
    ({"day": "tomorrow"}, "line-0-day", "date"),
    ({"hcps": []}, "line-0-hcps", "add one at least"),
]


def test_bad_lines_are_refused_by_field(spend):
    with spend.world.scope("a"):
        for change, field, words in BAD_LINES:
            values = {"category": spend.categories["meals"], "day": spend.today(), "amount": "10",
                      "hcps": [spend.customers.h1], **change}
            if values["day"] == "tomorrow":
                values["day"] = spend.today() + dt.timedelta(days=1)
            with pytest.raises(ValidationError) as exc:
                claim_save(rep=spend.m("rep"), purpose="晚餐", lines=[LineIn(**values)])
            assert words in exc.value.message_dict[field][0], (change, exc.value.message_dict)
        assert not ExpenseClaim.objects.exists()


def test_an_hcp_the_rep_cannot_see_is_refused(spend):
    c = spend.customers
    for hcp in (c.h3, c.h2, c.b_hcp):  # rep2's, the manager's only, tenant B's
        with spend.world.scope("a"), pytest.raises(ValidationError) as exc:
            claim_save(rep=spend.m("rep"), purpose="晚餐", lines=[spend.line(hcps=[hcp.code])])
        assert "line-0-hcps" in exc.value.message_dict
    with spend.world.scope("a"):
        assert not ExpenseClaim.objects.exists()


def test_foreign_currency_is_converted_at_the_recorded_rate(spend):
    with spend.world.scope("a"):
        claim = spend.claim(spend.line("travel", "100.25", hcps=[], currency="usd"))
        line = claim.lines.get()
        assert (line.currency, line.rate, line.base_amount) == ("USD", Decimal("7.1"), Decimal("711.78"))
        assert claim.total == Decimal("711.78") and claim.currency == "CNY"


def test_budget_alerts_at_80_and_100_percent_once_each_and_cap_warning(spend):
    from accounts.models import Notification

    with spend.world.scope("a"):
        def alerts():
            return list(Notification.objects.filter(kind="expenses.budget").order_by("id")
                        .values_list("recipient_id", "title"))

        spend.claim(spend.line("travel", "2500", hcps=[]), submit=True)
        first = alerts()
        assert {r for r, _t in first} == {spend.m("rep").pk, spend.m("finance").pk}
        assert all("浦东一区 2026" in t and "80%" in t for _r, t in first)
        spend.claim(spend.line("travel", "400", hcps=[]), submit=True)
        assert alerts() == first  # 96 %: no second 80 % alert
        spend.claim(spend.line("travel", "100", hcps=[]), submit=True)
        assert [t for _r, t in alerts()[len(first):]] == [first[0][1].replace("80%", "100%")] * 2
        # the district (20,000) is at 15 %: never alerted
        assert not [t for _r, t in alerts() if "上海地区" in t]
        # a meals line taking 李娜 to 85 % of her 2,000 cap warns the rep
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(amount=9000)
        spend.claim(spend.line("meals", "1700"), submit=True)
        cap = Notification.objects.get(kind="expenses.cap")
        assert cap.recipient_id == spend.m("rep").pk and "李娜" in cap.title

"""Two claims submitted at the same moment, on two real connections, can never together pass a
hard cap or a hard budget: the second waits on the first's row lock, then re-checks against
the first one's amounts and is refused with the numbers; what is committed matches the claims."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import translation

from expenses.models import Budget, CapTally, ClaimState, ExpenseClaim
from expenses.services import claim_submit

from .conftest import build

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def tspend(tworld):
    return build(tworld)


def _race(spend, claims, *, hold_first: bool):
    """Submit ``claims`` from two threads; with ``hold_first`` the first keeps its transaction
    open until the second is seen waiting. Returns {claim pk: "submitted" | error dict}."""
    outcome: dict[int, object] = {}
    first_done = threading.Event()
    release = threading.Event()
    barrier = threading.Barrier(len(claims))

    def worker(claim, hold):
        try:
            with translation.override("en"), spend.world.scope("a"):
                if not hold_first:
                    barrier.wait(10)
                with transaction.atomic():
                    try:
                        claim_submit(claim=claim, by=spend.m("rep"))
                        outcome[claim.pk] = "submitted"
                    except ValidationError as exc:
                        outcome[claim.pk] = exc.message_dict
                    if hold:
                        first_done.set()
                        release.wait(10)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(c, hold_first and i == 0)) for i, c in enumerate(claims)]
    threads[0].start()
    if hold_first:
        assert first_done.wait(10)
        threads[1].start()
        time.sleep(0.5)
        assert threads[1].is_alive(), "the second submit should wait for the first one's row lock"
        release.set()
    else:
        threads[1].start()
    for t in threads:
        t.join(20)
    return outcome


@pytest.mark.parametrize("hold_first", [True, False], ids=["one-waits", "same-moment"])
def test_two_claims_cannot_pass_a_hard_cap_together(tspend, hold_first):
    s = tspend
    with s.world.scope("a"), transaction.atomic():
        Budget.objects.update(is_hard=False)  # only the cap is in play
        claims = [s.claim(s.line(amount="1200")) for _ in range(2)]
    outcome = _race(s, claims, hold_first=hold_first)
    assert sorted(v == "submitted" for v in outcome.values()) == [False, True], outcome
    refused = next(v for v in outcome.values() if v != "submitted")
    assert "2,000.00" in refused["lines"][0] and "1,200.00" in refused["lines"][0]
    with s.world.scope("a"), transaction.atomic():
        tally = CapTally.objects.get(cap=s.caps["meals"], hcp=s.customers.h1)
        assert (tally.committed, tally.spent) == (Decimal(1200), 0)
        assert ExpenseClaim.objects.filter(state=ClaimState.SUBMITTED).count() == 1
        assert ExpenseClaim.objects.filter(state=ClaimState.DRAFT).count() == 1


@pytest.mark.parametrize("hold_first", [True, False], ids=["one-waits", "same-moment"])
def test_two_claims_cannot_pass_a_hard_budget_together(tspend, hold_first):
    s = tspend
    with s.world.scope("a"), transaction.atomic():
        claims = [s.claim(s.line("travel", "2000", hcps=[])) for _ in range(2)]
    outcome = _race(s, claims, hold_first=hold_first)
    assert sorted(v == "submitted" for v in outcome.values()) == [False, True], outcome
    refused = next(v for v in outcome.values() if v != "submitted")
    assert "浦东一区 2026" in refused["lines"][0] and "1,000.00" in refused["lines"][0]
    with s.world.scope("a"), transaction.atomic():
        t1 = Budget.objects.get(pk=s.budgets["t1"].pk)
        district = Budget.objects.get(pk=s.budgets["district"].pk)
        assert (t1.committed, district.committed) == (Decimal(2000), Decimal(2000))

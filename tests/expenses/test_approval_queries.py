"""The figure of issue 6: a manager approving a claim of 50 lines is at most six statements and
one transaction, the same as for a claim of five lines; finance's final approval, which moves
the budgets and caps from committed to spent, too. (Transaction control — the savepoint of the
engine's ``atomic`` inside the request's — is not a query and is not counted.)"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Notification
from approvals.models import ApprovalEvent, ApprovalStep, StepState
from approvals.services import approval_decide
from expenses.models import Budget, ClaimState, ExpenseClaim

pytestmark = pytest.mark.usefixtures("english")
CONTROL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN", "COMMIT")


def _claim(spend, n_lines):
    c = spend.customers
    lines = [spend.line("meals" if i % 2 else "travel", "10", hcps=[c.h1, c.zw] if i % 2 else []) for i in range(n_lines)]
    return spend.claim(*lines, submit=True)


def _decide(claim, member):
    step = ApprovalStep.objects.get(request_id=claim.approval_id, state=StepState.PENDING)
    with CaptureQueriesContext(connection) as ctx:
        approval_decide(step=step, actor=member, decision=StepState.APPROVED)
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].startswith(CONTROL)]


def test_approving_50_lines_is_at_most_six_statements_whatever_the_lines(spend):
    with spend.world.scope("a"):
        counts = {}
        for n in (5, 50):
            claim = _claim(spend, n)
            manager = _decide(claim, spend.m("manager"))
            finance = _decide(claim, spend.m("finance"))
            counts[n] = (len(manager), len(finance))
            claim.refresh_from_db()
            assert claim.state == ClaimState.APPROVED
        assert counts[5] == counts[50], counts
        assert max(counts[50]) <= 6, counts
        # and the work was all done: history, notifications, spend
        events = list(ApprovalEvent.objects.filter(request_id=claim.approval_id).values_list("kind", flat=True))
        assert events == ["submitted", "assigned", "approved", "assigned", "approved", "completed"]
        assert Notification.objects.filter(recipient=spend.m("finance"), kind="approval.assigned").count() == 2
        assert Notification.objects.filter(recipient=spend.m("rep"), kind="approval.approved").count() == 2
        t1 = Budget.objects.get(pk=spend.budgets["t1"].pk)
        approved = sum(x.total for x in ExpenseClaim.objects.filter(state=ClaimState.APPROVED))
        assert (t1.committed, t1.spent) == (0, approved) and approved == 550

"""``seed_demo`` sets up expenses (``expenses.demo``): categories, caps, a USD rate, budgets
per region allocated to districts, two approval chains, claims in every state for the demo
reps (through the services) and tonight's spend flags. Seeded once per module."""

from __future__ import annotations

import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum

from accounts.models import Membership, Tenant
from approvals.models import ApprovalChain, ApprovalStep
from expenses.demo import DEMO_REPS
from expenses.models import (
    Budget,
    CapTally,
    ClaimState,
    ExchangeRate,
    ExpenseCategory,
    ExpenseClaim,
    ExpenseLine,
    SpendCap,
    SpendFlag,
)
from sfe.core.tenancy import tenant_scope

REPS = 12


@pytest.fixture(scope="module")
def demo_once(module_atomic, django_db_blocker):
    from expenses import demo

    demo.register()  # what expenses.hooks.register does (idempotent)
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("seed_demo", reps=REPS, logins_file="", stdout=out)
        return {t.slug: t for t in Tenant.objects.filter(slug__in=["huakang", "ruian"])}, out.getvalue()


@pytest.fixture
def demo(db, demo_once):
    return demo_once[0]


def test_categories_caps_rate_and_chains(demo):
    with tenant_scope(demo["huakang"]), transaction.atomic():
        assert list(ExpenseCategory.objects.values_list("name", "key")) == [
            ("餐费", "meals"), ("差旅", "travel"), ("会场", "venue"), ("学术礼品", "gifts"), ("讲课费", "speaker")]
        caps = {(c.category.key if c.category_id else "", c.annual_limit, c.is_hard)
                for c in SpendCap.objects.select_related("category")}
        assert caps == {("meals", Decimal(2000), True), ("", Decimal(10000), False)}
        assert ExchangeRate.objects.get(currency="USD").rate == Decimal("7.1")
        chains = {c.name: (c.min_amount, [s.kind for s in c.steps.order_by("order")])
                  for c in ApprovalChain.objects.filter(request_type="expense_claim")}
        assert sorted(chains.values(), key=lambda v: v[0] is None) == [
            (Decimal(5000), ["direct_manager", "managers_manager", "role"]), (None, ["direct_manager", "role"])]


def test_region_budgets_are_allocated_to_their_districts(demo):
    with tenant_scope(demo["huakang"]), transaction.atomic():
        regions = list(Budget.objects.filter(parent__isnull=True).select_related("node"))
        assert regions and all(b.node.kind == "region" for b in regions)
        for region in regions:
            children = Budget.objects.filter(parent=region)
            assert children.exists() and all(c.node.parent_id == region.node_id for c in children.select_related("node"))
            assert children.aggregate(s=Sum("amount"))["s"] <= region.amount
        assert Budget.objects.aggregate(s=Sum("spent"))["s"] > 0  # approved claims spent from them


def test_the_demo_reps_have_claims_in_every_state(demo):
    with tenant_scope(demo["huakang"]), transaction.atomic():
        states = Counter(ExpenseClaim.objects.values_list("state", flat=True))
        assert states[ClaimState.APPROVED] >= 2 * DEMO_REPS and states[ClaimState.SUBMITTED] >= DEMO_REPS
        assert states[ClaimState.DRAFT] and states[ClaimState.RETURNED] and states[ClaimState.REJECTED]
        rep = Membership.objects.get(user__email="rep@huakang.demo")
        mine = Counter(ExpenseClaim.objects.filter(rep=rep).values_list("state", flat=True))
        assert mine[ClaimState.APPROVED] == 2 and mine[ClaimState.SUBMITTED] == 2 and mine[ClaimState.DRAFT] == 1
        usd = ExpenseLine.objects.get(claim__rep=rep, currency="USD")
        assert usd.rate == Decimal("7.1") and usd.base_amount == Decimal("607.05")
        big = ExpenseClaim.objects.get(rep=rep, total__gte=5000)
        steps = list(ApprovalStep.objects.filter(request_id=big.approval_id).order_by("order")
                     .values_list("state", flat=True))
        assert steps == ["approved", "pending", "waiting"]  # at the manager's manager
        assert CapTally.objects.filter(spent__gt=0).exists()


def test_the_spend_flags_are_computed_and_the_command_counts_them(demo, demo_once):
    with tenant_scope(demo["huakang"]), transaction.atomic():
        flags = SpendFlag.objects.count()
        assert all(f.tier in ("C", "D") and f.spend > f.benchmark for f in SpendFlag.objects.all())
    assert "expense claims" in demo_once[1] and f"{flags:,} spend flags" in demo_once[1]
    with tenant_scope(demo["ruian"]), transaction.atomic():
        assert ExpenseCategory.objects.count() == 5 and ExpenseClaim.objects.exists()

"""Expenses fixtures (``spend``): in tenant A, four categories (meals and speaker fees name
the HCPs who benefited), an approval chain for claims (direct manager, then finance), a hard
meals cap of 2,000 per HCP per year and a soft all-spend cap of 5,000, a USD rate, and two
budgets: 上海地区 (the district, 20,000, soft) and 浦东一区 (the rep's territory, 3,000, hard).

The customers are ``tests.customers.factories.make_customers``: the rep sees ``h1`` and ``zw``
(浦东一区), the manager also ``h2``; ``h3`` is rep2's; ``b_hcp`` is tenant B's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction

from approvals.models import ApprovalChain, ApprovalChainStep, ApproverKind
from expenses.models import Budget, ExchangeRate, ExpenseCategory, SpendCap
from expenses.services import LineIn, claim_save, claim_submit
from tests.customers.factories import make_customers


@dataclass
class Spend:
    world: object
    customers: object
    categories: dict = field(default_factory=dict)
    caps: dict = field(default_factory=dict)
    budgets: dict = field(default_factory=dict)
    b_category: object = None

    def m(self, role, tenant="a"):
        return self.world.users[tenant][role].membership_row

    def today(self) -> dt.date:
        return self.world.tenants["a"].today()

    def line(self, category="meals", amount="300", hcps=None, day=None, **kw) -> LineIn:
        hcps = [self.customers.h1] if hcps is None else hcps
        return LineIn(category=self.categories[category], day=day or self.today(), amount=amount, hcps=hcps, **kw)

    def claim(self, *lines, rep="rep", purpose="学术晚餐 Dinner", submit=False):
        """A claim in tenant A (call inside ``world.scope('a')``)."""
        claim, _created = claim_save(rep=self.m(rep), purpose=purpose, lines=list(lines) or [self.line()])
        if submit:
            claim = claim_submit(claim=claim, by=self.m(rep))
        return claim


def make_chain(*, request_type="expense_claim"):
    chain = ApprovalChain.objects.create(request_type=request_type, name="费用审批 Expenses")
    ApprovalChainStep.objects.create(chain=chain, order=1, kind=ApproverKind.DIRECT_MANAGER, name="经理 Manager")
    ApprovalChainStep.objects.create(chain=chain, order=2, kind=ApproverKind.ROLE, role="finance", name="财务 Finance")
    return chain


def build(world) -> Spend:
    spend = Spend(world, make_customers(world))
    a = world.tenants["a"]
    with world.scope("a"), transaction.atomic():
        for i, (key, name, needs_hcp) in enumerate([("meals", "餐费 Meals", True), ("travel", "差旅 Travel", False),
                                                    ("venue", "会场 Venue", False),
                                                    ("speaker", "讲课费 Speaker fees", True)]):
            spend.categories[key] = ExpenseCategory.objects.create(key=key, name=name, needs_hcp=needs_hcp, position=i)
        make_chain()
        spend.caps["meals"] = SpendCap.objects.create(category=spend.categories["meals"], annual_limit=Decimal(2000),
                                                      is_hard=True)
        spend.caps["all"] = SpendCap.objects.create(category=None, annual_limit=Decimal(5000), is_hard=False)
        ExchangeRate.objects.create(currency="USD", rate=Decimal("7.1"), valid_from=a.today() - dt.timedelta(days=400))
        year_start, year_end = dt.date(a.today().year, 1, 1), dt.date(a.today().year, 12, 31)
        nodes = world.nodes["a"]
        spend.budgets["district"] = Budget.objects.create(name="上海地区 2026", node=nodes["district"],
                                                          start_date=year_start, end_date=year_end,
                                                          amount=Decimal(20000))
        spend.budgets["t1"] = Budget.objects.create(name="浦东一区 2026", node=nodes["t1"], start_date=year_start,
                                                    end_date=year_end, amount=Decimal(3000), is_hard=True,
                                                    parent=spend.budgets["district"])
    with world.scope("b"), transaction.atomic():
        spend.b_category = ExpenseCategory.objects.create(key="meals", name="乙餐费", needs_hcp=True)
        make_chain()
    return spend


@pytest.fixture
def spend(world):
    return build(world)

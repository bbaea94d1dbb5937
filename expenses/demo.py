"""Demo expenses for ``seed_demo``: one builder step, ``step_expenses``, appended after the
customers, segmentation, calls and approvals steps (``register``, called from
``expenses.hooks.register``).

* five categories: 餐费 (meals), 差旅 (travel), 会场 (meeting venue), 学术礼品 (gifts of
  academic value), 讲课费 (speaker fees); meals, gifts and speaker fees name the HCPs;
* two caps per HCP and year: meals hard at 2,000; all spend soft at 10,000;
* a USD rate (7.10) from the start of the organisation;
* a budget per region for this fiscal year (soft), allocated to its districts: 6,000 per
  territory under the district, the region holding a tenth more than its districts;
* two approval chains for ``expense_claim``: from 5,000 up, direct manager → manager's
  manager → finance; below, direct manager → finance;
* for up to ``DEMO_REPS`` reps (the fixed demo rep first), whatever the size, claims filed
  and decided **through the services** (so budgets, caps and tallies are what a real day
  would leave): two approved, one waiting for the manager, one draft, and one each of
  "over 5,000, at the manager's manager", "sent back" or "rejected"; the fixed rep also
  has a line in USD;
* then tonight's spend-against-value flags (``services.flags``).

The number of claims does not grow with the demo's size (15 a tenant): the large demo's
benchmarks seed their own history. Amounts and HCPs are drawn from the demo's generator, so
the same seed gives the same claims.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection

from accounts.demo.builder import START, DemoContext

DEMO_REPS = 3  # three reps show every state (a seed is paid by `make run` and by every demo test module)
CATEGORIES = [
    # key, name, needs_hcp
    ("meals", "餐费", True),
    ("travel", "差旅", False),
    ("venue", "会场", False),
    ("gifts", "学术礼品", True),
    ("speaker", "讲课费", True),
]
PER_TERRITORY = Decimal(6000)
BIG_CLAIM = Decimal(5000)


def _setup(ctx: DemoContext, today: dt.date) -> dict:
    from approvals.models import ApprovalChain, ApprovalChainStep, ApproverKind

    from .models import ExchangeRate, ExpenseCategory, SpendCap
    from .services.claims import KEY

    categories = {key: ExpenseCategory(key=key, name=name, needs_hcp=needs, position=i)
                  for i, (key, name, needs) in enumerate(CATEGORIES)}
    ExpenseCategory.objects.bulk_create(categories.values())
    SpendCap.objects.bulk_create([
        SpendCap(category=categories["meals"], annual_limit=Decimal(2000), is_hard=True, warn_percent=80),
        SpendCap(category=None, annual_limit=Decimal(10000), is_hard=False, warn_percent=80),
    ])
    ExchangeRate.objects.create(currency="USD", rate=Decimal("7.10000000"), valid_from=START)
    big = ApprovalChain.objects.create(request_type=KEY, name="费用报销（5,000 元以上）", priority=10,
                                       min_amount=BIG_CLAIM)
    usual = ApprovalChain.objects.create(request_type=KEY, name="费用报销", priority=20)
    ApprovalChainStep.objects.bulk_create([
        ApprovalChainStep(chain=big, order=1, name="直属经理", kind=ApproverKind.DIRECT_MANAGER),
        ApprovalChainStep(chain=big, order=2, name="上级经理", kind=ApproverKind.MANAGERS_MANAGER),
        ApprovalChainStep(chain=big, order=3, name="财务审核", kind=ApproverKind.ROLE, role="finance"),
        ApprovalChainStep(chain=usual, order=1, name="直属经理", kind=ApproverKind.DIRECT_MANAGER),
        ApprovalChainStep(chain=usual, order=2, name="财务审核", kind=ApproverKind.ROLE, role="finance"),
    ])
    ctx.counts["expense categories"] = len(categories)
    return categories


def _budgets(ctx: DemoContext, today: dt.date) -> int:
    """A region budget and one per district under it, sized by the territories below (two
    bulk inserts; the territory counts in one query)."""
    from accounts.models import OrgNode

    from .models import Budget
    from .services.money import fiscal_year, fiscal_year_bounds

    year = fiscal_year(today, ctx.tenant.fiscal_year_start_month)
    start, end = fiscal_year_bounds(year, ctx.tenant.fiscal_year_start_month)
    label = str(year) if ctx.tenant.fiscal_year_start_month == 1 else f"{year}/{str(year + 1)[-2:]}"
    with connection.cursor() as cur:
        cur.execute("""
            SELECT d.id, d.parent_id, count(t.id)
              FROM accounts_orgnode d
              JOIN accounts_orgnode t ON t.tenant_id = d.tenant_id AND t.kind = 'territory'
                   AND starts_with(t.path, d.path)
             WHERE d.tenant_id = %s AND d.kind = 'district' AND d.retired_on IS NULL AND t.retired_on IS NULL
             GROUP BY d.id, d.parent_id ORDER BY d.id""", [ctx.tenant.pk])
        districts = cur.fetchall()
    names = dict(OrgNode.objects.filter(kind__in=["region", "district"]).values_list("pk", "name"))
    per_region: dict[int, Decimal] = {}
    for _id, region_id, territories in districts:
        per_region[region_id] = per_region.get(region_id, Decimal(0)) + PER_TERRITORY * territories
    regions = {rid: Budget(name=f"{names.get(rid, '')} {label} 费用预算", node_id=rid, start_date=start, end_date=end,
                           amount=(amount * Decimal("1.1")).quantize(Decimal(1)))
               for rid, amount in per_region.items() if rid in names}
    Budget.objects.bulk_create(regions.values())
    children = [Budget(name=f"{names[did]} {label} 费用预算", node_id=did, start_date=start, end_date=end,
                       amount=PER_TERRITORY * territories, parent=regions[rid])
                for did, rid, territories in districts if rid in regions]
    Budget.objects.bulk_create(children)
    ctx.counts["budgets"] = len(regions) + len(children)
    return len(regions) + len(children)


def _demo_reps(ctx: DemoContext) -> list:
    from accounts.models import Membership, Position, Role

    held = Position.objects.active_on(ctx.tenant.today()).values("holder_id")
    reps = list(Membership.objects.active().with_role(Role.REP).filter(pk__in=held).select_related("user")
                .order_by("id")[:DEMO_REPS])
    fixed = ctx.memberships.get(f"rep@{ctx.plan.spec.domain}")
    if fixed is not None and fixed.pk not in {m.pk for m in reps}:
        reps = [Membership.objects.select_related("user").get(pk=fixed.pk), *reps[:DEMO_REPS - 1]]
    elif fixed is not None:
        reps.sort(key=lambda m: m.pk != fixed.pk)
    return reps


def _decide(claim, decision: str = "approved", comment: str = "", steps: int = 99) -> None:
    """Decide the claim's current steps as their approvers would, ``steps`` of them."""
    from accounts.models import Membership
    from approvals.models import ApprovalStep, StepState
    from approvals.services import approval_decide

    for _n in range(steps):
        step = ApprovalStep.objects.filter(request_id=claim.approval_id, state=StepState.PENDING).first()
        if step is None:
            return
        actor = step.approver
        if actor is None:
            actor = (Membership.objects.active().with_role(step.approver_role).order_by("id").first()
                     if step.approver_role else None) or Membership.objects.active().with_role("admin").order_by("id").first()
        approval_decide(step=step, actor=actor, decision=decision, comment=comment)
        if decision != StepState.APPROVED:
            return


def _claims_of(ctx: DemoContext, rep, index: int, categories: dict, today: dt.date) -> dict[str, int]:
    from approvals.models import StepState
    from customers.models import Hcp

    from .services import LineIn, claim_save, claim_submit

    rng = ctx.rng
    hcps = list(Hcp.objects.live().visible_to(rep.user).order_by("id").values_list("code", flat=True)[:40])
    if len(hcps) < 2:
        return {}
    rng.shuffle(hcps)
    made: dict[str, int] = {}
    earliest = max(START + dt.timedelta(days=1), today - dt.timedelta(days=150))

    def day(back: int) -> dt.date:
        return max(earliest, today - dt.timedelta(days=back))

    def money(low: int, high: int, step: int = 10) -> str:
        return str(rng.randrange(low, high, step))

    def line(key, amount, back, hcp_codes=(), description="", currency="", **kw):
        return LineIn(category=categories[key].code, day=day(back), amount=amount, hcps=list(hcp_codes),
                      description=description, currency=currency, **kw)

    def file(purpose, lines, *, submit=True):
        try:
            claim, _created = claim_save(rep=rep, purpose=purpose, lines=lines)
            if submit:
                claim = claim_submit(claim=claim, by=rep)
        except ValidationError:
            return None  # a cap or a budget said no: the demo goes on without this claim
        return claim

    # two approved claims
    travel = [line("travel", money(120, 380), 60 + index, description="高铁往返")]
    if index == 0:
        travel.append(line("travel", "85.50", 61, description="学术会议酒店（美元）", currency="USD"))
    dinner = file("学术交流晚餐", [line("meals", money(680, 1480), 58 + index, hcps[0:2], "科室学术交流晚餐"), *travel])
    if dinner is not None:
        _decide(dinner)
        made["approved"] = made.get("approved", 0) + 1
    talk = file("区域学术会讲课费", [line("speaker", money(1500, 3000, 100), 40 + index, hcps[2:3], "心血管学术会讲课")])
    if talk is not None:
        _decide(talk)
        made["approved"] = made.get("approved", 0) + 1
    # waiting for the manager
    if file("科室拜访餐叙", [line("meals", money(300, 700), 12 + index % 5, hcps[3:4], "科室会后工作餐"),
                         line("gifts", money(150, 300), 12 + index % 5, hcps[3:4], "专业书籍")]) is not None:
        made["submitted"] = 1
    # a draft
    if file("科室会场地费", [line("venue", money(800, 1600, 100), 3 + index % 3, description="医院会议室租用")],
            submit=False) is not None:
        made["draft"] = 1
    # one more, by turns: over 5,000 at the manager's manager; sent back; rejected
    kind = index % 3
    if kind == 0:
        big = file("城市学术会（大额）", [line("venue", money(3500, 4500, 100), 25 + index, description="酒店会议厅"),
                                   line("speaker", money(1600, 2400, 100), 25 + index, hcps[4:5], "主题讲座")])
        if big is not None:
            _decide(big, steps=1)
            made["submitted"] = made.get("submitted", 0) + 1
    else:
        other = file("病例讨论会餐费", [line("meals", money(400, 900), 20 + index, hcps[4:6], "病例讨论会后晚餐")])
        if other is not None:
            if kind == 1:
                _decide(other, StepState.RETURNED, "请补充发票照片")
                made["returned"] = 1
            else:
                _decide(other, StepState.REJECTED, "不符合合规要求：餐费超出标准")
                made["rejected"] = 1
    return made


def step_expenses(ctx: DemoContext) -> None:
    from .services.flags import spend_flags_recompute

    today = ctx.tenant.today()
    categories = _setup(ctx, today)
    _budgets(ctx, today)
    totals: dict[str, int] = {}
    for index, rep in enumerate(_demo_reps(ctx)):
        for state, n in _claims_of(ctx, rep, index, categories, today).items():
            totals[state] = totals.get(state, 0) + n
    ctx.counts["expense claims"] = sum(totals.values())
    ctx.counts["spend flags"] = spend_flags_recompute(today=today).flags


def register() -> None:
    from accounts.demo import builder

    if step_expenses not in builder.STEPS:
        builder.STEPS.append(step_expenses)

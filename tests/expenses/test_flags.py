"""Spend against value (R20): the set-based recompute on hand-made spend and tiers, the
tenant task and its nightly fan-out, and one run on a real Celery worker."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from customers.segmentation.models import CustomerTier
from expenses.models import ClaimState, ExpenseClaim, ExpenseLine, LineHcp, SpendFlag
from expenses.services.flags import period_ending, spend_flags_recompute
from tests.customers.factories import make_hcp
from tests.helpers import count_queries

pytestmark = pytest.mark.usefixtures("english")


def give(spend, hcp, amount, *, state=ClaimState.APPROVED, day=None, tenant="a", category=None):
    """One claim of one line for ``hcp`` in the given state, written directly (test data)."""
    amount = Decimal(amount)
    rep = spend.m("rep", tenant)
    now = timezone.now()
    claim = ExpenseClaim.objects.create(rep=rep, purpose="测试 test", currency="CNY", total=amount, state=state,
                                        submitted_at=None if state == ClaimState.DRAFT else now)
    line = ExpenseLine.objects.create(claim=claim, category=category or spend.categories["meals"],
                                      day=day or spend.world.tenants[tenant].today(), amount=amount, currency="CNY",
                                      base_amount=amount)
    LineHcp.objects.create(line=line, hcp=hcp, amount=amount)
    return claim


def tier(hcp, line, value):
    return CustomerTier.objects.create(purpose="tier", product_line=line, hcp=hcp, tier=value, computed_tier=value,
                                       changed_at=timezone.now())


def flags() -> dict:
    return {(f.hcp_id, f.product_line_id): f for f in SpendFlag.objects.all()}


@pytest.fixture
def tiers(spend):
    """Line 心血管: A = h1 (1,000), h2 (nothing), zw (3,000) → median 1,000.
    D: h3 (1,500 approved: flagged), d_old (5,000 but 400 days ago; 300 in the year: not flagged),
    d_pending (900 approved + 5,000 submitted + 5,000 draft: not flagged).
    C: unaligned (exactly 1,000: not above). B: b_big (9,000: B is never flagged).
    Line 2: A = h1, zw → median of 1,000 and 3,000 = 2,000; D h3 (1,500): not flagged there.
    Line 3: no A tier at all; h3 is D there: no benchmark, no flag.
    Tenant B: a D-tier HCP with spend and an old flag that tenant A's run must not touch."""
    from products.services import product_line_create

    c = spend.customers
    w = spend.world
    out = {}
    with w.scope("a"), transaction.atomic():
        inst = c.h1.institution
        out["d_old"] = make_hcp("赵敏", institution=inst, external_code="D101")
        out["d_pending"] = make_hcp("钱进", institution=inst, external_code="D102")
        out["b_big"] = make_hcp("孙丽", institution=inst, external_code="D103")
        out["line2"] = product_line_create(name="呼吸")
        out["line3"] = product_line_create(name="肿瘤")
        for hcp, value in ((c.h1, "A"), (c.h2, "A"), (c.zw, "A"), (c.h3, "D"), (out["d_old"], "D"),
                           (out["d_pending"], "D"), (c.unaligned, "C"), (out["b_big"], "B")):
            tier(hcp, c.line, value)
        for hcp, value in ((c.h1, "A"), (c.zw, "A"), (c.h3, "D")):
            tier(hcp, out["line2"], value)
        tier(c.h3, out["line3"], "D")
        today = w.tenants["a"].today()
        give(spend, c.h1, "1000")
        give(spend, c.zw, "1200", day=today - dt.timedelta(days=100))
        give(spend, c.zw, "1800", day=today - dt.timedelta(days=300))
        give(spend, c.h3, "1500")
        give(spend, out["d_old"], "5000", day=today - dt.timedelta(days=400))
        give(spend, out["d_old"], "300")
        give(spend, out["d_pending"], "900")
        give(spend, out["d_pending"], "5000", state=ClaimState.SUBMITTED)
        give(spend, out["d_pending"], "5000", state=ClaimState.DRAFT)
        give(spend, out["d_pending"], "5000", state=ClaimState.REJECTED)
        give(spend, out["d_pending"], "5000", state=ClaimState.SUPERSEDED)
        give(spend, c.unaligned, "1000")
        give(spend, out["b_big"], "9000")
        # a stale flag from last night: replaced
        SpendFlag.objects.create(hcp=c.h2, product_line=c.line, tier="D", top_tier="A", spend=1, benchmark=0,
                                 period_start=today, period_end=today, computed_at=timezone.now())
    with w.scope("b"), transaction.atomic():
        tier(c.b_hcp, c.b_line, "D")
        give(spend, c.b_hcp, "8000", tenant="b", category=spend.b_category)
        today = w.tenants["b"].today()
        out["b_flag"] = SpendFlag.objects.create(hcp=c.b_hcp, product_line=c.b_line, tier="D", top_tier="A",
                                                 spend=Decimal(8000), benchmark=Decimal(10), period_start=today,
                                                 period_end=today, computed_at=timezone.now())
    return out


def test_a_low_tier_hcp_above_the_top_tier_median_is_flagged(spend, tiers):
    c = spend.customers
    with spend.world.scope("a"):
        run = spend_flags_recompute()
        found = flags()
        assert run.flags == 1 and set(found) == {(c.h3.pk, c.line.pk)}
        f = found[(c.h3.pk, c.line.pk)]
        assert (f.tier, f.top_tier, f.spend, f.benchmark) == ("D", "A", Decimal(1500), Decimal(1000))
        assert (f.period_start, f.period_end) == period_ending(spend.today())
        assert f.period_end == spend.today() and (f.period_end - f.period_start).days in (364, 365)


def test_no_flag_below_or_at_the_median_for_other_states_old_spend_or_lines_without_a_tier(spend, tiers):
    c = spend.customers
    with spend.world.scope("a"):
        spend_flags_recompute()
        flagged = {hcp for hcp, _line in flags()}
        # at the median; B tier; only old, pending, draft, rejected or replaced spend above it
        assert not flagged & {c.unaligned.pk, tiers["b_big"].pk, tiers["d_old"].pk, tiers["d_pending"].pk}
        # line 2: the median of 1,000 and 3,000 is 2,000 > 1,500; line 3 has no A tier
        assert not SpendFlag.objects.filter(product_line__in=[tiers["line2"], tiers["line3"]]).exists()
        assert not SpendFlag.objects.filter(hcp=c.h2).exists()  # last night's stale flag is gone


def test_an_even_count_of_top_tier_hcps_takes_the_mean_of_the_middle_two(spend, tiers):
    c = spend.customers
    with spend.world.scope("a"), transaction.atomic():
        give(spend, c.h3, "600")  # h3 now 2,100 > 2,000 on line 2
        spend_flags_recompute()
        f = SpendFlag.objects.get(hcp=c.h3, product_line=tiers["line2"])
        assert (f.spend, f.benchmark) == (Decimal(2100), Decimal(2000))


def test_the_recompute_is_one_statement_per_step_and_stays_in_its_tenant(spend, tiers):
    c = spend.customers
    with spend.world.scope("a"):
        # lock, delete, insert: a fixed number of statements whatever the data
        assert count_queries(spend_flags_recompute) <= 5
        assert count_queries(spend_flags_recompute) <= 5
        assert SpendFlag.objects.count() == 1  # idempotent
    with spend.world.scope("b"):
        # tenant A's run neither saw tenant B's spend nor removed its flag
        assert list(SpendFlag.objects.values_list("pk", flat=True)) == [tiers["b_flag"].pk]
        assert spend_flags_recompute().flags == 0  # no A tier in tenant B
        assert not SpendFlag.objects.exists()
    with spend.world.scope("a"):
        assert set(flags()) == {(c.h3.pk, c.line.pk)}


def test_the_task_recomputes_its_tenant(spend, tiers):
    from expenses.tasks import spend_flags
    from sfe.core.tasks import HEADER_TENANT

    result = spend_flags.apply(headers={HEADER_TENANT: spend.world.tenants["a"].pk}).get()
    assert result["flags"] == 1 and result["period_end"] == spend.today().isoformat()
    with spend.world.scope("b"):
        assert SpendFlag.objects.count() == 1  # tenant B's own flag, untouched


@pytest.mark.celery
def test_the_nightly_task_runs_on_a_real_worker(tworld, celery_worker_proc):
    from customers.segmentation.models import CustomerTier as Tier
    from expenses.tasks import spend_flags
    from tests.expenses.conftest import build

    spend = build(tworld)
    c = spend.customers
    with tworld.scope("a"), transaction.atomic():
        for hcp, value in ((c.h1, "A"), (c.zw, "A"), (c.h3, "D")):
            tier(hcp, c.line, value)
        give(spend, c.h1, "100")
        give(spend, c.h3, "700")
    with tworld.scope("a"):
        result = spend_flags.apply_async(queue=celery_worker_proc).get(timeout=60)
    assert result["flags"] == 1
    with tworld.scope("a"), transaction.atomic():
        f = SpendFlag.objects.get()
        assert (f.hcp_id, f.spend, f.benchmark) == (c.h3.pk, Decimal(700), Decimal(50))
        assert Tier.objects.count() == 3


def test_the_fan_out_enqueues_one_task_per_active_tenant(world, monkeypatch):
    from expenses import tasks
    from sfe.core.tenancy import current_tenant_id

    seen = []
    monkeypatch.setattr(tasks.spend_flags, "delay", lambda *a, **k: seen.append(current_tenant_id()))
    world.tenants["b"].is_active = False
    world.tenants["b"].save(update_fields=["is_active"])
    assert tasks.spend_flags_all_tenants() == 1
    assert seen == [world.tenants["a"].pk]


def test_the_beat_schedule_runs_the_fan_out_nightly():
    from sfe.schedule import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["expenses-spend-flags"]
    assert entry["task"] == "expenses.spend_flags_all_tenants"
    assert entry["schedule"].hour == {3}


def test_period_ending_covers_twelve_months_and_leap_days():
    assert period_ending(dt.date(2026, 6, 15)) == (dt.date(2025, 6, 16), dt.date(2026, 6, 15))
    assert period_ending(dt.date(2028, 2, 29)) == (dt.date(2027, 3, 1), dt.date(2028, 2, 29))


# --------------------------------------------------------------------------- the page


def _flag(hcp, line, spend_amount, benchmark):
    today = timezone.now().date()
    return SpendFlag.objects.create(hcp=hcp, product_line=line, tier="D", top_tier="A", spend=Decimal(spend_amount),
                                    benchmark=Decimal(benchmark), period_start=today - dt.timedelta(days=364),
                                    period_end=today, computed_at=timezone.now())


def test_managers_see_the_flags_of_their_hcps_analysts_all_in_fixed_queries(client, spend):
    from django.urls import reverse

    from tests.helpers import assert_max_queries

    c = spend.customers
    with spend.world.scope("a"), transaction.atomic():
        _flag(c.h1, c.line, "3000", "1000")  # 浦东一区: the manager's district
        _flag(c.h3, c.line, "1500", "0")  # 朝阳一区: not the manager's
    url = reverse("expenses:flag_list")
    client.force_login(spend.world.users["a"]["manager"])
    with assert_max_queries(12) as few:
        body = client.get(url).content.decode()
    queries = len(few.captured_queries)
    assert c.h1.name in body and c.h3.name not in body and "3.0×" in body and "3,000.00" in body
    client.force_login(spend.world.users["a"]["analyst"])
    body = client.get(url).content.decode()
    assert c.h1.name in body and c.h3.name in body and "table-responsive-cards" in body
    with spend.world.scope("a"), transaction.atomic():
        for hcp in (c.h2, c.zw, c.unaligned):
            _flag(hcp, c.line, "2000", "1000")
    client.force_login(spend.world.users["a"]["manager"])
    with assert_max_queries(queries):
        response = client.get(url, {"line": str(c.line.code)})
    assert response.status_code == 200 and c.zw.name in response.content.decode()
    for role in ("rep", "finance", "data_steward"):
        client.force_login(spend.world.users["a"][role])
        assert client.get(url).status_code == 403

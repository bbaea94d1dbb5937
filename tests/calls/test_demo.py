"""``seed_demo`` gives every demo rep a working life (calls.demo*): seeded once per module."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from accounts.models import Membership, Tenant
from calls.models import Call, CallMessage, CallProduct, CallSettings, FollowUp, KeyMessage
from calls.planning.models import Cycle, CyclePlan, CyclePlanLine, PlanState
from calls.planning.selectors import today_for
from calls.planning.services.plans import check_limits
from calls.samples.models import Reconciliation, SampleMove, SampleStock
from customers.models import Hcp
from sfe.core.tenancy import tenant_scope

REPS = 12


@pytest.fixture(scope="module")
def demo_once(module_atomic, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", reps=REPS, logins_file="", stdout=io.StringIO())
        return {t.slug: t for t in Tenant.objects.filter(slug__in=["huakang", "ruian"])}


@pytest.fixture
def demo(db, demo_once):
    return demo_once


def _member(email: str) -> Membership:
    return Membership.objects.select_related("user").get(user__email=email)


def test_demo_rep_today_has_visits_overdue_tasks_and_hcps_behind_plan(demo):
    tenant = demo["huakang"]
    with tenant_scope(tenant), transaction.atomic():
        rep = _member("rep@huakang.demo")
        today = tenant.today()
        page = today_for(rep, today)
        assert 4 <= len(page.visits) <= 8
        assert page.tasks and all(t["due"] < today for t in page.tasks)
        # Pro rata, nobody is behind on a cycle's first day: look a week and a half in.
        cycle = Cycle.objects.get(start_date__lte=today, end_date__gte=today)
        later = min(cycle.end_date, max(today, cycle.start_date + dt.timedelta(days=9)))
        behind = today_for(rep, later).behind
        assert behind and all(b["done"] < b["expected"] <= b["planned"] for b in behind)
        plan = CyclePlan.objects.get(rep=rep, cycle=cycle)
        assert plan.state == PlanState.APPROVED


def test_calls_per_rep_and_day_are_in_range(demo):
    tenant = demo["huakang"]
    with tenant_scope(tenant), transaction.atomic():
        today = tenant.today()
        reps = list(Membership.objects.with_role("rep").filter(is_active=True))
        done = Counter(Call.objects.submitted().values_list("rep_id", "day"))
        planned = Counter(Call.objects.planned().values_list("rep_id", "day"))
        per_rep = Counter(rep for rep, _day in done.elements())
        assert set(per_rep) <= {m.pk for m in reps} and len(per_rep) >= REPS - 1
        for n in per_rep.values():
            assert 300 <= n <= 900, n
        assert set(done.values()) <= {1, 2, 3, 4} and Counter(done.values())[3] > 0
        assert all(day < today and day.isoweekday() < 6 for _rep, day in done)
        assert set(planned.values()) <= set(range(1, 9)) and max(planned.values()) >= 5
        assert all(today <= day <= today + dt.timedelta(days=6) for _rep, day in planned)
        types = Counter(Call.objects.submitted().values_list("call_type", flat=True))
        assert types["f2f"] > types["phone"] + types["video"] + types["group"]
        assert types["phone"] and types["video"] and types["group"]
        flags = Call.objects.submitted().filter(is_far=True).count(), Call.objects.filter(is_late=True).count()
        assert all(0 < n < Call.objects.count() * 0.1 for n in flags)


def test_every_call_is_valid_for_its_rep_on_its_day(demo):
    """HCP seen by the rep that day (alignment), the rep's territory that day, day = local
    date of ``at``, times in order, HCP in the master before the visit."""
    tenant = demo["huakang"]
    with tenant_scope(tenant), transaction.atomic(), connection.cursor() as cur:
        cur.execute("""
            SELECT count(*) FILTER (WHERE NOT EXISTS (
                       SELECT 1 FROM customers_alignment a JOIN customers_hcp h ON h.id = c.hcp_id
                        WHERE a.territory_id = c.territory_id AND (a.hcp_id = h.id OR a.institution_id = h.institution_id)
                          AND (a.start_date IS NULL OR a.start_date <= c.day)
                          AND (a.end_date IS NULL OR a.end_date >= c.day))),
                   count(*) FILTER (WHERE NOT EXISTS (
                       SELECT 1 FROM accounts_position p WHERE p.holder_id = c.rep_id AND p.node_id = c.territory_id
                          AND p.start_date <= c.day AND (p.end_date IS NULL OR p.end_date >= c.day))),
                   count(*) FILTER (WHERE c.day <> (c.at AT TIME ZONE 'Asia/Shanghai')::date),
                   count(*) FILTER (WHERE c.status = 'submitted' AND (c.submitted_at < c.at OR c.submitted_at > now())),
                   count(*) FILTER (WHERE (SELECT h.created_at FROM customers_hcp h WHERE h.id = c.hcp_id) > c.at),
                   count(*) FILTER (WHERE c.locked_at IS NULL AND c.status = 'submitted' AND c.day < %s),
                   count(*) FILTER (WHERE c.institution_id <> (SELECT h.institution_id FROM customers_hcp h
                                                                WHERE h.id = c.hcp_id)),
                   count(*)
              FROM calls_call c""", [tenant.today() - dt.timedelta(days=CallSettings.objects.get().lock_after_days)])
        *bad, total = cur.fetchone()
        assert bad == [0] * 7 and total > 0
        # The services' own rule, for a sample of the demo rep's calls.
        rep = _member("rep@huakang.demo")
        rep.user.membership = rep
        for call in Call.objects.filter(rep=rep).order_by("day", "id")[::40]:
            assert Hcp.objects.visible_to(rep.user, on=call.day).filter(pk=call.hcp_id).exists()


def test_products_messages_follow_ups_plans_samples_and_coaching_hold_their_rules(demo):
    tenant = demo["huakang"]
    zone = zoneinfo.ZoneInfo(tenant.time_zone)
    with tenant_scope(tenant), transaction.atomic():
        assert KeyMessage.objects.values("brand").distinct().count() >= 10
        assert all(2 <= n <= 4 for n in Counter(KeyMessage.objects.values_list("brand_id", flat=True)).values())
        positions = defaultdict(list)
        for call_id, pos in CallProduct.objects.values_list("call_id", "position"):
            positions[call_id].append(pos)
        assert all(sorted(p) == list(range(1, len(p) + 1)) and len(p) <= 3 for p in positions.values())
        assert len(positions) == Call.objects.submitted().count()
        assert not CallMessage.objects.exclude(key_message__brand_id=models_f("call_product__brand_id")).exists()
        assert not Call.objects.planned().filter(products__isnull=False).exists()

        today = tenant.today()
        open_overdue = FollowUp.objects.filter(done_at__isnull=True, due_date__lt=today)
        assert open_overdue.exists() and FollowUp.objects.filter(done_at__isnull=False).exists()
        assert set(open_overdue.values_list("assignee_id", flat=True)) >= set(
            Call.objects.exclude(next_step="").filter(day__lt=today - dt.timedelta(days=7))
            .values_list("rep_id", flat=True))

        states = Counter(CyclePlan.objects.values_list("state", flat=True))
        assert states[PlanState.APPROVED] > states[PlanState.SUBMITTED] + states[PlanState.DRAFT]
        for plan in CyclePlan.objects.all():
            lines = [{"hcp_id": h, "hcp_name": str(h), "proposed": a, "planned": b} for h, a, b in
                     CyclePlanLine.objects.filter(plan=plan).values_list("hcp_id", "proposed_calls", "planned_calls")]
            check_limits(lines)  # raises when a plan breaks the tenant's limits
            assert sum(line["planned"] for line in lines) > 0

        stock = {(s.rep_id, s.lot_id): s.quantity for s in SampleStock.objects.all()}
        ledger = Counter()
        for rep_id, lot_id, q in SampleMove.objects.values_list("rep_id", "lot_id", "quantity"):
            ledger[(rep_id, lot_id)] += q
        assert stock == dict(ledger) and min(stock.values()) >= 0
        gives = SampleMove.objects.filter(kind="given")
        assert gives.exists() and not gives.filter(signature__isnull=True).exists()
        assert not gives.exclude(call__rep_id=models_f("rep_id")).exists()
        month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        assert Reconciliation.objects.filter(month=month, state="confirmed").count() >= REPS - 1

        from calls.coaching.models import Evaluation, Score, Skill
        from calls.coaching.visibility import team_members

        assert list(Skill.objects.values_list("name", flat=True)) == ["开场", "需求探寻", "关键信息传递", "异议处理", "促成"]
        evaluations = list(Evaluation.objects.select_related("manager__user"))
        assert evaluations and {e.state for e in evaluations} <= {"shared", "acknowledged"}
        for e in evaluations[:20]:
            assert team_members(e.manager.user, on=e.day).filter(pk=e.rep_id).exists()
            assert e.shared_at.astimezone(zone).date() == e.day
        assert Score.objects.count() == 5 * len(evaluations)
        assert set(Score.objects.values_list("score", flat=True)) <= {1, 2, 3, 4, 5}


def models_f(name):
    from django.db.models import F

    return F(name)


def test_second_tenant_has_its_own_data_and_nothing_crosses(demo):
    for slug, tenant in demo.items():
        with tenant_scope(tenant), transaction.atomic():
            assert Call.objects.count() > 1000, slug
            assert CyclePlan.objects.exists() and SampleMove.objects.exists() and FollowUp.objects.exists()
            emails = set(Call.objects.values_list("rep__user__email", flat=True).distinct())
            assert emails and all(e.endswith(f"@{slug}.demo") for e in emails)
            # Under row-level security a reference into another tenant would drop out of the joins.
            assert Call.objects.filter(hcp__tenant=tenant, institution__tenant=tenant).count() == Call.objects.count()
            assert CallProduct.objects.filter(brand__tenant=tenant).count() == CallProduct.objects.count()
            assert SampleMove.objects.filter(lot__sku__tenant=tenant).count() == SampleMove.objects.count()

"""``/plan/`` and ``/api/v1/plan/``: the day plan (every member, their own day); the calendar
(reps and managers); planned visits (the rep who owns them; a manager who sees one may not
move it: 403; a rep who does not see it, and the other tenant: 404); cycle plans (the rep
their own, managers their team's, tenant-wide roles all; the other tenant 404); targets,
cycles and limits (admins). Anonymous: pages to the sign-in page, the API 403."""

from __future__ import annotations

import datetime as dt

from . import Row

ALL = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance")
NOT_REP = ("manager", "analyst", "admin", "data_steward", "finance")


def PREPARE(w):  # noqa: N802 - the matrix's hook name
    from approvals.models import ApprovalChain, ApprovalChainStep, ApproverKind
    from calls.planning.models import Cycle
    from calls.planning.services import cycles_make_months, frequency_targets_set
    from customers.models import Alignment, Hcp
    from customers.segmentation.models import SegmentationSettings
    from products.services import product_line_create
    from tests.customers.factories import make_hcp, make_institution

    if Cycle.objects.exists():
        return
    today = w.tenants["a"].today()
    cycles_make_months(year=today.year)
    line = product_line_create(name="规划矩阵线")
    SegmentationSettings.objects.update_or_create(defaults={"primary_product_line": line})
    hcp = make_hcp("规划矩阵医生", institution=make_institution("规划矩阵医院", external_code="PLM1"),
                   external_code="PLMD1")
    Hcp.objects.filter(pk=hcp.pk).update(tier="A")
    Alignment.objects.create(hcp=hcp, territory=w.nodes["a"]["t1"], product_line=line,
                             start_date=today - dt.timedelta(days=60))
    frequency_targets_set(product_line=line, calls={"A": 2})
    chain = ApprovalChain.objects.create(request_type="cycle_plan", name="计划审批")
    ApprovalChainStep.objects.create(chain=chain, order=1, kind=ApproverKind.DIRECT_MANAGER)


def _cycle(w):
    from calls.planning.models import Cycle

    today = w.tenants["a"].today()
    return Cycle.objects.get(start_date__lte=today, end_date__gte=today)


def _hcp(w):
    from customers.models import Hcp

    return Hcp.objects.get(external_code="PLMD1")


def _plan(w):
    from calls.planning.models import CyclePlan
    from calls.planning.services import plan_propose

    rep = w.users["a"]["rep"].membership_row
    return CyclePlan.objects.filter(rep=rep).first() or plan_propose(rep=rep, cycle=_cycle(w), by=rep)


def _visit(w):
    from django.utils import timezone

    from calls.models import Call
    from calls.planning.services import visit_plan

    rep = w.users["a"]["rep"].membership_row
    return Call.objects.filter(rep=rep, status="planned").first() or visit_plan(
        rep=rep, hcp=_hcp(w), at=timezone.now() + dt.timedelta(days=1), by=rep)


def _line_code(w):
    from products.models import ProductLine

    return str(ProductLine.objects.get(name="规划矩阵线").code)


def _plan_code(w):
    return {"code": _plan(w).code}


def _visit_code(w):
    return {"code": _visit(w).code}


def _cycle_code(w):
    return {"cycle_code": _cycle(w).code}


def _move_data(w):
    return {"day": (w.tenants["a"].today() + dt.timedelta(days=2)).isoformat()}


def _rows(name, expected: dict, *, method="get", kwargs=None, data=None, anon=302, query=""):
    return [Row(name, "anon", anon, method=method, kwargs=kwargs, data=data, query=query),
            *[Row(name, role, status, method=method, kwargs=kwargs, data=data, query=query)
              for role, status in expected.items()]]


def _by(ok: tuple, status_ok: int, other: int = 403, **extra) -> dict:
    out = {r: (status_ok if r in ok else other) for r in ALL}
    out.update(extra)
    return out


REPS = ("rep", "rep2")
ADMINS = ("admin",)

ROWS = [
    *_rows("planning:today", _by(ALL, 200, b_admin=200, b_rep=200)),
    *_rows("planning:calendar", _by(("rep", "rep2", "manager"), 200, b_admin=403, b_rep=200)),
    Row("planning:calendar", "manager", 200, query="view=month&date=2025-02-10"),
    Row("planning:calendar", "manager", 404, query="rep=00000000-0000-0000-0000-000000000000"),
    *_rows("planning:visit_new", _by(REPS, 200, b_admin=403, b_rep=200)),
    Row("planning:visit_new", "rep", 400, method="post", data=lambda w: {"hcp": "", "day": "", "time": ""}),
    *_rows("planning:visit_move", _by(("rep",), 302, rep2=404, manager=403, b_admin=403, b_rep=404),
           method="post", kwargs=_visit_code, data=_move_data),
    *_rows("planning:visit_cancel", _by(("rep",), 302, rep2=404, manager=403, b_admin=403, b_rep=404),
           method="post", kwargs=_visit_code),
    *_rows("planning:my_plan", _by(REPS, 200, b_admin=403, b_rep=200)),
    *_rows("planning:plan_propose", _by(REPS, 302, b_admin=403, b_rep=404), method="post", kwargs=_cycle_code),
    *_rows("planning:plan_detail", _by(ALL, 200, rep2=404, b_admin=404, b_rep=404), kwargs=_plan_code),
    Row("planning:plan_detail", "manager", 404, method="post", kwargs=_plan_code, data=lambda w: {}),
    Row("planning:plan_detail", "rep", 302, method="post", kwargs=_plan_code, data=lambda w: {}),
    *_rows("planning:plan_add_line", _by(("rep",), 400, rep2=404, b_admin=403, b_rep=404), method="post",
           kwargs=_plan_code, data=lambda w: {"hcp": "", "planned_calls": "1"}),
    *_rows("planning:plan_submit", _by(("rep",), 302, rep2=404, b_admin=403, b_rep=404), method="post",
           kwargs=_plan_code),
    *_rows("planning:team_plans", _by(("manager", "analyst", "admin"), 200, b_admin=200, b_rep=403)),
    *_rows("planning:targets", _by(ADMINS, 200, b_admin=200, b_rep=403)),
    Row("planning:targets", "admin", 400, method="post", data=lambda w: {"product_line": _line_code(w), "tier_A": "99"}),
    Row("planning:targets", "admin", 302, method="post", data=lambda w: {"product_line": _line_code(w), "tier_A": "3"}),
    *_rows("planning:settings", _by(ADMINS, 200, b_admin=200, b_rep=403)),
    Row("planning:settings", "admin", 400, method="post", data=lambda w: {"max_calls_per_cycle": "0"}),
    *_rows("planning:cycles", _by(ADMINS, 200, b_admin=200, b_rep=403)),
    Row("planning:cycles", "admin", 302, method="post", data=lambda w: {"action": "months", "months-year": "2031"}),
    Row("planning:cycles", "b_admin", 302, method="post", data=lambda w: {"action": "months", "months-year": "2031"}),
    Row("planning:cycles", "admin", 400, method="post",
        data=lambda w: {"cycle-name": "重叠", "cycle-start_date": w.tenants["a"].today().isoformat(),
                        "cycle-end_date": w.tenants["a"].today().isoformat()}),
]

# --------------------------------------------------------------------------- API


def _visit_post(w):
    return {"code": "6f1d2c3b-0000-4000-8000-000000000001", "hcp": str(_hcp(w).code),
            "at": (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()}


ROWS += [
    *_rows("api-planning-targets-list", _by(ALL, 200, b_admin=200, b_rep=200), anon=403),
    *_rows("api-planning-cycles-list", _by(ALL, 200, b_admin=200, b_rep=200), anon=403),
    *_rows("api-planning-cycles-detail", _by(ALL, 200, b_admin=404, b_rep=404), anon=403,
           kwargs=lambda w: {"code": _cycle(w).code}),
    *_rows("api-planning-plans-list", _by(ALL, 200, b_admin=200, b_rep=200), anon=403),
    *_rows("api-planning-plans-detail", _by(ALL, 200, rep2=404, b_admin=404, b_rep=404), anon=403,
           kwargs=_plan_code),
    *_rows("api-planning-plans-propose", _by(REPS, 201, b_admin=403, b_rep=400), anon=403, method="post",
           data=lambda w: {"cycle": str(_cycle(w).code)}),
    *_rows("api-planning-plans-submit", _by(("rep",), 200, rep2=404, b_admin=403, b_rep=404), anon=403,
           method="post", kwargs=_plan_code),
    *_rows("api-planning-visits-list", _by(REPS, 200, b_admin=403, b_rep=200), anon=403),
    *_rows("api-planning-visits-list", _by(("rep",), 201, rep2=400, b_admin=403, b_rep=400), anon=403,
           method="post", data=_visit_post),
    *_rows("api-planning-visits-move", _by(("rep",), 200, rep2=404, b_admin=403, b_rep=404), anon=403,
           method="post", kwargs=_visit_code, data=_move_data),
]

"""Cycle plans: my plan (the rep: propose, adjust, add an HCP, submit; planned vs done
during the cycle), a plan's page (the rep, their managers, tenant-wide roles), and the
team's plans (managers; the decision itself is taken in the approvals inbox)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Membership, Role
from accounts.permissions import role_required, tenant_member_required
from calls.visibility import team_q
from customers.models import Hcp
from customers.visibility import customer_visible_q
from products.models import ProductLine

from .. import selectors
from ..forms import AddLineForm
from ..models import Cycle, CyclePlan
from ..services import plan_line_add, plan_lines_update, plan_propose, plan_submit

TEAM_ROLES = (Role.MANAGER, Role.ADMIN, Role.ANALYST)


@role_required(Role.REP)
def my_plan(request):
    today = request.tenant.today()
    cycles = selectors.current_and_next_cycles(today)
    plans = {p.cycle_id: p for p in CyclePlan.objects.filter(rep=request.membership, cycle__in=cycles)}
    rows = [{"cycle": c, "plan": plans.get(c.pk), "is_current": c.start_date <= today} for c in cycles]
    return render(request, "planning/my_plan.html", {"rows": rows})


@require_POST
@role_required(Role.REP)
def plan_propose_view(request, cycle_code):
    cycle = selectors.cycle_for(cycle_code)
    try:
        plan = plan_propose(rep=request.membership, cycle=cycle, by=request.membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("planning:my_plan")
    messages.success(request, _("The plan for %(cycle)s is proposed from the call frequency targets.") % {
        "cycle": cycle.name})
    return redirect("planning:plan_detail", code=plan.code)


def _render_plan(request, plan, *, status=200, add_form=None, errors=None, posted=None):
    view = selectors.plan_lines(plan)
    if posted:
        for row in view.lines:
            if str(row.id) in posted:
                row.posted = posted[str(row.id)]
    can_edit = plan.rep_id == request.membership.pk and plan.is_editable
    lines = ProductLine.objects.filter(is_active=True).order_by("name") if can_edit else []
    return render(request, "planning/plan_detail.html", {
        "plan": plan, "view": view, "can_edit": can_edit, "errors": errors or [], "product_lines": lines,
        "add_form": add_form or AddLineForm(), "is_mine": plan.rep_id == request.membership.pk,
    }, status=status)


@tenant_member_required
def plan_detail(request, code):
    plan = selectors.plan_for(request.user, code)
    if request.method != "POST":
        return _render_plan(request, plan)
    if plan.rep_id != request.membership.pk:
        raise Http404
    planned = {}
    for key, value in request.POST.items():
        if key.startswith("planned_"):
            try:
                planned[int(key.removeprefix("planned_"))] = value
            except ValueError:
                continue
    try:
        plan_lines_update(plan=plan, planned=planned, by=request.membership)
    except ValidationError as exc:
        return _render_plan(request, plan, status=400, errors=exc.messages,
                            posted={str(k): v for k, v in planned.items()})
    messages.success(request, _("The plan is saved."))
    return redirect("planning:plan_detail", code=plan.code)


@require_POST
@role_required(Role.REP)
def plan_add_line_view(request, code):
    plan = selectors.plan_for(request.user, code)
    if plan.rep_id != request.membership.pk:
        raise Http404
    form = AddLineForm(request.POST)
    if form.is_valid():
        hcp = Hcp.objects.live().filter(code=form.cleaned_data["hcp"]).filter(
            customer_visible_q(Hcp, request.user, on=plan.cycle.start_date)).first()
        line = ProductLine.objects.filter(code=form.cleaned_data["product_line"]).first()
        try:
            plan_line_add(plan=plan, hcp=hcp, product_line=line, planned_calls=form.cleaned_data["planned_calls"],
                          by=request.membership)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("%(hcp)s is added to the plan.") % {"hcp": hcp.name})
            return redirect("planning:plan_detail", code=plan.code)
    return _render_plan(request, plan, status=400, add_form=form)


@require_POST
@role_required(Role.REP)
def plan_submit_view(request, code):
    plan = selectors.plan_for(request.user, code)
    if plan.rep_id != request.membership.pk:
        raise Http404
    try:
        plan_submit(plan=plan, by=request.membership)
    except ValidationError as exc:
        return _render_plan(request, plan, status=400, errors=exc.messages)
    messages.success(request, _("The plan is sent for approval."))
    return redirect("planning:plan_detail", code=plan.code)


@role_required(*TEAM_ROLES)
def team_plans(request):
    today = request.tenant.today()
    # The cycles up to the next one (a plan is made before its cycle), newest first.
    cycles = list(Cycle.objects.filter(start_date__lte=today + dt.timedelta(days=62)).order_by("-start_date")[:12])
    code = request.GET.get("cycle")
    cycle = next((c for c in cycles if str(c.code) == code), None) if code else None
    if code and cycle is None:
        raise Http404
    if cycle is None:
        cycle = next((c for c in cycles if c.start_date <= today <= c.end_date), cycles[0] if cycles else None)
    members = (Membership.objects.filter(team_q(request.user, include_self=False)).filter(
        is_active=True, roles__contains=[Role.REP]).select_related("user"))
    plans = {}
    if cycle is not None:
        plans = {p.rep_id: p for p in CyclePlan.objects.filter(cycle=cycle, rep__in=members).annotate(
            calls=Sum("lines__planned_calls"), hcps=Count("lines__hcp", distinct=True, filter=Q(lines__planned_calls__gt=0)))}
    rows = sorted(({"rep": m, "plan": plans.get(m.pk)} for m in members), key=lambda r: r["rep"].user.full_name)
    return render(request, "planning/team_plans.html", {"cycles": cycles, "cycle": cycle, "rows": rows})

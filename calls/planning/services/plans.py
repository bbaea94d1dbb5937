"""Cycle plans: propose, adjust within the tenant's limits, submit for approval; the
approval engine's hooks (request type ``cycle_plan``) move the plan's state."""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from customers.models import Hcp
from customers.visibility import customer_visible_q
from sfe.core.tenancy import require_tenant_id

from ..models import Cycle, CyclePlan, CyclePlanLine, PlanState
from .proposal import insert_proposal
from .targets import MAX_CALLS, settings_get

KEY = "cycle_plan"


def _rep_user(rep: Membership):
    user = rep.user
    user.membership = rep  # what the visibility rules read
    return user


def _editable(plan: CyclePlan, by: Membership) -> CyclePlan:
    plan = CyclePlan.objects.select_for_update().select_related("cycle", "rep__user").get(pk=plan.pk)
    if plan.rep_id != by.pk:
        raise PermissionDenied(_("Only the rep changes their plan."))
    if not plan.is_editable:
        raise ValidationError({"plan": _("This plan is %(state)s: it cannot be changed.") % {
            "state": plan.get_state_display()}})
    return plan


@transaction.atomic
def plan_propose(*, rep: Membership, cycle: Cycle, by: Membership | None = None) -> CyclePlan:
    """Make (or, while editable, remake) ``rep``'s plan for ``cycle`` from the frequency
    targets: the lines are replaced by the proposal (one DELETE, one INSERT … SELECT)."""
    by = by or rep
    if by.pk != rep.pk:
        raise PermissionDenied(_("Only the rep proposes their plan."))
    if not rep.has_role(Role.REP):
        raise ValidationError({"rep": _("Only reps have cycle plans.")})
    if cycle is None:
        raise ValidationError({"cycle": _("Choose a cycle.")})
    plan, _created = CyclePlan.objects.get_or_create(rep=rep, cycle=cycle)
    plan = _editable(plan, by)
    CyclePlanLine.objects.filter(plan=plan).delete()
    insert_proposal(tenant_id=require_tenant_id(), plan_id=plan.pk, rep_id=rep.pk, day=cycle.start_date)
    return plan


# --------------------------------------------------------------------------- limits


def check_limits(lines: list[dict], *, before: list[dict] | None = None) -> None:
    """Refuse a plan (``lines``: dicts with hcp_id, hcp_name, proposed, planned) outside the
    tenant's limits. Totals are refused only when a change makes them worse than ``before``
    (a proposal above a limit can still be brought down step by step); submit passes none."""
    s = settings_get()
    per_hcp: dict[int, int] = {}
    for line in lines:
        planned, proposed = line["planned"], line["proposed"]
        if planned < 0 or planned > MAX_CALLS:
            raise ValidationError({"planned_calls": _("Enter a number of calls from 0 to %(max)s.") % {"max": MAX_CALLS}})
        if proposed > 0 and abs(planned - proposed) * 100 > s.max_change_pct * proposed:
            raise ValidationError({"planned_calls": _(
                "%(hcp)s: %(planned)s calls is more than %(pct)s%% away from the %(proposed)s proposed."
            ) % {"hcp": line["hcp_name"], "planned": planned, "pct": s.max_change_pct, "proposed": proposed}})
        per_hcp[line["hcp_id"]] = per_hcp.get(line["hcp_id"], 0) + planned
    names = {line["hcp_id"]: line["hcp_name"] for line in lines}
    for hcp_id, n in per_hcp.items():
        if n > s.max_calls_per_hcp:
            raise ValidationError({"planned_calls": _(
                "%(hcp)s: %(n)s calls planned; at most %(max)s per HCP and cycle."
            ) % {"hcp": names[hcp_id], "n": n, "max": s.max_calls_per_hcp}})

    def totals(rows):
        total = sum(r["planned"] for r in rows)
        outside = sum(r["planned"] for r in rows if r["proposed"] == 0)
        return total, outside

    total, outside = totals(lines)
    old_total, old_outside = totals(before) if before is not None else (0, 0)
    if total > s.max_calls_per_cycle and (before is None or total > old_total):
        raise ValidationError({"planned_calls": _(
            "%(n)s calls planned in the cycle; at most %(max)s.") % {"n": total, "max": s.max_calls_per_cycle}})
    over = outside * 100 > s.max_non_target_pct * total
    if over and (before is None or outside * max(old_total, 1) > old_outside * max(total, 1)):
        raise ValidationError({"planned_calls": _(
            "%(pct)s%% of the calls are on HCPs outside the proposal; at most %(max)s%%."
        ) % {"pct": math.ceil(outside * 100 / total), "max": s.max_non_target_pct}})


def _line_dicts(plan: CyclePlan) -> dict[int, dict]:
    rows = CyclePlanLine.objects.filter(plan=plan).values_list("id", "hcp_id", "hcp__name", "proposed_calls",
                                                               "planned_calls")
    return {r[0]: {"id": r[0], "hcp_id": r[1], "hcp_name": r[2], "proposed": r[3], "planned": r[4]} for r in rows}


def _number(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValidationError({"planned_calls": _("Enter a whole number of calls.")}) from None


@transaction.atomic
def plan_lines_update(*, plan: CyclePlan, planned: dict[int, object], by: Membership) -> CyclePlan:
    """Set planned calls by line id (lines not named stay). A line that was added by the rep
    (nothing proposed) and is set to 0 is removed. One UPDATE (and one DELETE)."""
    plan = _editable(plan, by)
    lines = _line_dicts(plan)
    before = [dict(v) for v in lines.values()]
    for line_id, value in planned.items():
        if line_id not in lines:
            raise ValidationError({"planned_calls": _("This line is not in the plan.")})
        lines[line_id]["planned"] = _number(value)
    check_limits(list(lines.values()), before=before)
    changed = [CyclePlanLine(pk=lid, planned_calls=lines[lid]["planned"]) for lid in planned]
    drop = [lid for lid in planned if lines[lid]["proposed"] == 0 and lines[lid]["planned"] == 0]
    CyclePlanLine.objects.bulk_update([c for c in changed if c.pk not in drop], ["planned_calls"])
    if drop:
        CyclePlanLine.objects.filter(plan=plan, pk__in=drop).delete()
    plan.save(update_fields=["updated_at"])
    return plan


@transaction.atomic
def plan_line_add(*, plan: CyclePlan, hcp: Hcp | None, product_line, planned_calls, by: Membership) -> CyclePlanLine:
    """Add an HCP the rep sees (on the cycle's first day) to the plan, outside the proposal."""
    plan = _editable(plan, by)
    if hcp is None:
        raise ValidationError({"hcp": _("Choose an HCP.")})
    if product_line is None:
        raise ValidationError({"product_line": _("Choose a product line.")})
    visible = Hcp.objects.live().filter(pk=hcp.pk).filter(
        customer_visible_q(Hcp, _rep_user(plan.rep), on=plan.cycle.start_date)).exists()
    if not visible:
        raise ValidationError({"hcp": _("This HCP is not in your territories for this cycle.")})
    if CyclePlanLine.objects.filter(plan=plan, hcp=hcp, product_line=product_line).exists():
        raise ValidationError({"hcp": _("This HCP is in the plan for this product line already.")})
    n = _number(planned_calls)
    if n < 1:
        raise ValidationError({"planned_calls": _("Plan at least one call.")})
    lines = _line_dicts(plan)
    before = list(lines.values())
    check_limits([*before, {"id": None, "hcp_id": hcp.pk, "hcp_name": hcp.name, "proposed": 0, "planned": n}],
                 before=before)
    line = CyclePlanLine.objects.create(plan=plan, hcp=hcp, product_line=product_line, tier=hcp.tier or "",
                                        proposed_calls=0, planned_calls=n)
    plan.save(update_fields=["updated_at"])
    return line


@transaction.atomic
def plan_submit(*, plan: CyclePlan, by: Membership) -> CyclePlan:
    """Check the limits on the whole plan and send it to the approval engine (a plan sent
    back is resubmitted on its request; a rejected one opens a new request)."""
    from approvals.models import ApprovalRequest, RequestState
    from approvals.services import approval_resubmit, approval_submit

    plan = _editable(plan, by)
    lines = list(_line_dicts(plan).values())
    if not any(line["planned"] for line in lines):
        raise ValidationError({"planned_calls": _("The plan has no planned call.")})
    check_limits(lines)
    total = sum(line["planned"] for line in lines)
    hcps = len({line["hcp_id"] for line in lines if line["planned"]})
    payload = {"plan": str(plan.code), "calls": total, "hcps": hcps}
    request = None
    if plan.state == PlanState.RETURNED and plan.approval_code:
        request = ApprovalRequest.objects.filter(code=plan.approval_code, state=RequestState.RETURNED).first()
    if request is not None:
        approval_resubmit(request=request, actor=by, payload=payload)
    else:
        title = _("Cycle plan %(cycle)s: %(rep)s") % {"cycle": plan.cycle.name, "rep": plan.rep.user.full_name}
        request = approval_submit(request_type=KEY, requester=plan.rep, title=title, object_code=plan.code,
                                  payload=payload)
    plan.state, plan.approval_code, plan.submitted_at = PlanState.SUBMITTED, request.code, timezone.now()
    plan.decided_at, plan.decision_comment = None, ""
    plan.save(update_fields=["state", "approval_code", "submitted_at", "decided_at", "decision_comment", "updated_at"])
    return plan


# --------------------------------------------------------------------------- the engine's hooks


def _plan_of(request, *, lock: bool) -> CyclePlan | None:
    qs = CyclePlan.objects.select_related("cycle", "rep__user")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.filter(code=request.object_code, approval_code=request.code).first()


def _comment(request) -> str:
    from approvals.models import ApprovalStep

    step = (ApprovalStep.objects.filter(request=request).exclude(comment="").order_by("-order")
            .values_list("comment", flat=True).first())
    return (step or "")[:500]


def _decide(request, state: str) -> None:
    plan = _plan_of(request, lock=True)
    # RETURNED too: the rep may resubmit from the approvals page (the engine has no hook
    # for that), leaving the plan "returned" while its request waits again.
    if plan is None or plan.state not in (PlanState.SUBMITTED, PlanState.RETURNED):
        return
    plan.state, plan.decided_at = state, timezone.now()
    plan.decision_comment = "" if state == PlanState.APPROVED else _comment(request)
    plan.save(update_fields=["state", "decided_at", "decision_comment", "updated_at"])


def on_approved(request) -> None:
    _decide(request, PlanState.APPROVED)


def on_rejected(request) -> None:
    _decide(request, PlanState.REJECTED)


def on_returned(request) -> None:
    _decide(request, PlanState.RETURNED)


def on_withdrawn(request) -> None:
    """The rep withdrew the request: the plan is a draft again (a new submit opens a new request)."""
    plan = _plan_of(request, lock=True)
    if plan is None or plan.state not in (PlanState.SUBMITTED, PlanState.RETURNED):
        return
    plan.state, plan.decided_at, plan.decision_comment = PlanState.DRAFT, None, ""
    plan.save(update_fields=["state", "decided_at", "decision_comment", "updated_at"])


def describe(request) -> list[tuple[str, str]]:
    plan = _plan_of(request, lock=False)
    if plan is None:
        return []
    from django.db.models import Count, Sum

    totals = CyclePlanLine.objects.filter(plan=plan, planned_calls__gt=0).aggregate(
        calls=Sum("planned_calls"), proposed=Sum("proposed_calls"), hcps=Count("hcp_id", distinct=True))
    return [
        (_("Cycle"), f"{plan.cycle.name} ({plan.cycle.start_date:%Y-%m-%d} – {plan.cycle.end_date:%Y-%m-%d})"),
        (_("Rep"), plan.rep.user.full_name),
        (_("HCPs"), str(totals["hcps"] or 0)),
        (_("Planned calls"), str(totals["calls"] or 0)),
        (_("Proposed calls"), str(totals["proposed"] or 0)),
    ]


def object_url(request) -> str:
    if not request.object_code:
        return ""
    return reverse("planning:plan_detail", kwargs={"code": request.object_code})

"""Submitting requests and deciding steps: the approval engine's state changes.

Each function is one transaction and writes the request's history (``ApprovalEvent``)
in it; the audit trigger records every row it changes. A step is decided by a
conditional ``UPDATE … WHERE state = 'pending'``: of two approvers acting at the same
moment exactly one succeeds, the other gets ``AlreadyDecided``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from accounts.services.notifications import notify
from sfe.core.tenancy import audit_reason, current_tenant

from .. import registry
from ..models import (
    ApprovalChain,
    ApprovalEvent,
    ApprovalRequest,
    ApprovalStep,
    Delegation,
    RequestState,
    StepState,
)
from .fast import decide_own
from .resolution import requester_node, resolve
from .wording import assignment_note, decided_title, waiting_title

STEP_FIELDS = ("name", "kind", "role", "node_id", "user_id", "fallback_id", "time_limit_hours")


class AlreadyDecided(ValidationError):
    """Someone else decided this step first."""


def _today() -> dt.date:
    return current_tenant().today()


def choose_chain(*, request_type: str, amount: Decimal | None, category: str, node) -> ApprovalChain | None:
    """The first active chain of the type, by priority, whose conditions all hold."""
    chains = ApprovalChain.objects.filter(request_type=request_type, is_active=True).select_related("node")
    for chain in chains.order_by("priority", "id"):
        if chain.min_amount is not None and (amount is None or amount < chain.min_amount):
            continue
        if chain.max_amount is not None and (amount is None or amount >= chain.max_amount):
            continue
        if chain.category and chain.category != category:
            continue
        if chain.node_id and (node is None or not node.path.startswith(chain.node.path)):
            continue
        return chain
    return None


def _event(request, kind, *, step=None, actor=None, on_behalf_of=None, assignee=None, comment=""):
    return ApprovalEvent.objects.create(request=request, step=step, kind=kind, actor=actor,
                                        on_behalf_of=on_behalf_of, assignee=assignee, comment=comment)


def _request_url(request: ApprovalRequest) -> str:
    return reverse("approvals:detail", kwargs={"code": request.code})


def _activate(request: ApprovalRequest, step: ApprovalStep, *, kind=ApprovalEvent.Kind.ASSIGNED) -> None:
    """Make ``step`` the current one: resolve who decides, set the due time, tell them."""
    now = timezone.now()
    approver, role, how = resolve(step, request, _today())
    step.state = StepState.PENDING
    step.approver = approver
    step.approver_role = role
    step.activated_at = now
    step.due_at = now + dt.timedelta(hours=step.time_limit_hours)
    step.save(update_fields=["state", "approver", "approver_role", "activated_at", "due_at"])
    request.current_order = step.order
    request.save(update_fields=["current_order"])
    _event(request, kind, step=step, assignee=approver, comment=assignment_note(how))
    recipients = [approver] if approver else list(
        Membership.objects.active().with_role(role).exclude(pk=request.requester_id).select_related("user")
    )
    if recipients:
        notify(recipients=recipients, kind="approval.assigned",
               title=waiting_title(request.title), url=_request_url(request))


@transaction.atomic
def approval_submit(*, request_type: str, requester: Membership, title: str, amount: Decimal | None = None,
                    category: str = "", object_code=None, payload: dict | None = None,
                    extra_steps: list[dict] | None = None) -> ApprovalRequest:
    """Open a request: choose the chain, copy its steps into the request, start step one.

    ``extra_steps``: step definitions (``STEP_FIELDS`` values) the using app adds for this
    request alone, before the chain's last step (after a lone step; e.g. a claim over a soft spend cap takes the
    manager's manager too, before finance)."""
    registry.get(request_type)
    node = requester_node(requester, _today())
    chain = choose_chain(request_type=request_type, amount=amount, category=category, node=node)
    if chain is None:
        raise ValidationError({"request_type": _(
            "No approval chain is set up for this kind of request. Ask your administrator to configure one."
        )})
    chain_steps = list(chain.steps.order_by("order"))
    if not chain_steps:
        raise ValidationError({"request_type": _("The approval chain %(name)s has no steps.") % {"name": chain.name}})
    request = ApprovalRequest.objects.create(
        request_type=request_type, title=title[:200], requester=requester, node=node, amount=amount,
        category=category, object_code=object_code, payload=payload or {}, chain=chain, chain_name=chain.name,
        state=RequestState.PENDING, submitted_at=timezone.now(),
    )
    definitions = [{f: getattr(s, f) for f in STEP_FIELDS} for s in chain_steps]
    if extra_steps:
        extra = [{"name": "", "role": "", "node_id": None, "user_id": None, "fallback_id": None,
                  "time_limit_hours": 48, **step} for step in extra_steps]
        at = len(definitions) - 1 if len(definitions) > 1 else len(definitions)
        definitions[at:at] = extra
    steps = ApprovalStep.objects.bulk_create([
        ApprovalStep(request=request, order=i, **definition) for i, definition in enumerate(definitions, start=1)
    ])
    _event(request, ApprovalEvent.Kind.SUBMITTED, actor=requester)
    _activate(request, steps[0])
    return request


def acting_for(step: ApprovalStep, member: Membership, day: dt.date) -> Membership | None:
    """May ``member`` decide ``step``? Returns on whose behalf (None: their own), or raises."""
    request = step.request
    if member.pk == request.requester_id:
        raise PermissionDenied(_("Nobody approves their own request."))
    if step.approver_id == member.pk:
        return None
    if step.approver_id is None and step.approver_role and member.has_role(step.approver_role):
        return None
    if step.approver_id and step.approver_id != request.requester_id:
        delegated = Delegation.objects.active_on(day).filter(delegator_id=step.approver_id, delegate=member).exists()
        if delegated:
            return step.approver
    if step.approver_id is None and step.approver_role:
        # A delegate of any member of the role pool may act for them.
        delegators = Delegation.objects.active_on(day).filter(delegate=member).select_related("delegator")
        for d in delegators:
            if d.delegator.has_role(step.approver_role) and d.delegator_id != request.requester_id:
                return d.delegator
    raise PermissionDenied(_("This step is not yours to decide."))


@transaction.atomic
def approval_decide(*, step: ApprovalStep, actor: Membership, decision: str, comment: str = "") -> ApprovalRequest:
    """Approve, reject (reason required) or send back (comment required) the current step."""
    comment = (comment or "").strip()
    if decision not in (StepState.APPROVED, StepState.REJECTED, StepState.RETURNED):
        raise ValidationError({"decision": _("Unknown decision.")})
    if decision == StepState.REJECTED and not comment:
        raise ValidationError({"comment": _("Say why the request is rejected: the requester will read it.")})
    if decision == StepState.RETURNED and not comment:
        raise ValidationError({"comment": _("Say what should change: the requester will read it.")})
    decided = decide_own(step_id=step.pk, actor=actor, decision=decision, comment=comment, day=_today())
    if decided is not None:  # the approver's own step: a fixed handful of statements (fast.py)
        return decided
    step = ApprovalStep.objects.select_related("request", "approver__user").get(pk=step.pk)
    on_behalf_of = acting_for(step, actor, _today())
    now = timezone.now()
    won = ApprovalStep.objects.filter(pk=step.pk, state=StepState.PENDING).update(
        state=decision, decided_at=now, decided_by=actor, on_behalf_of=on_behalf_of, comment=comment,
    )
    if not won:
        raise AlreadyDecided({"decision": _("This step was already decided by someone else.")})
    request = ApprovalRequest.objects.select_for_update().get(pk=step.request_id)
    step.refresh_from_db()
    kinds = {StepState.APPROVED: ApprovalEvent.Kind.APPROVED, StepState.REJECTED: ApprovalEvent.Kind.REJECTED,
             StepState.RETURNED: ApprovalEvent.Kind.RETURNED}
    with audit_reason(comment):
        _event(request, kinds[decision], step=step, actor=actor, on_behalf_of=on_behalf_of, comment=comment)
        rtype = registry.get(request.request_type)
        if decision == StepState.APPROVED:
            following = request.steps.filter(order__gt=step.order, state=StepState.WAITING).order_by("order").first()
            if following is not None:
                _activate(request, following)
                return request
            _finish(request, RequestState.APPROVED, now)
            if rtype.on_approved:
                rtype.on_approved(request)
        elif decision == StepState.REJECTED:
            _finish(request, RequestState.REJECTED, now)
            if rtype.on_rejected:
                rtype.on_rejected(request)
        else:
            request.state = RequestState.RETURNED
            request.save(update_fields=["state"])
            if rtype.on_returned:
                rtype.on_returned(request)
    notify(recipients=[request.requester], kind=f"approval.{decision}", title=decided_title(decision, request.title),
           body=comment, url=_request_url(request))
    return request


def _finish(request: ApprovalRequest, state: str, now) -> None:
    request.steps.filter(state=StepState.WAITING).update(state=StepState.CANCELLED)
    request.state = state
    request.decided_at = now
    request.current_order = None
    request.save(update_fields=["state", "decided_at", "current_order"])
    _event(request, ApprovalEvent.Kind.COMPLETED)


@transaction.atomic
def approval_resubmit(*, request: ApprovalRequest, actor: Membership, comment: str = "",
                      payload: dict | None = None) -> ApprovalRequest:
    """After "sent back": the request restarts at the step that returned it, on fresh copies
    of the remaining steps (the decided ones stay as they were)."""
    request = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    if request.requester_id != actor.pk:
        raise PermissionDenied(_("Only the requester can resubmit."))
    if request.state != RequestState.RETURNED:
        raise ValidationError({"request": _("Only a request sent back for changes can be resubmitted.")})
    returned = request.steps.filter(state=StepState.RETURNED).order_by("-order").first()
    remaining = [returned, *request.steps.filter(order__gt=returned.order, state=StepState.WAITING).order_by("order")]
    top = request.steps.aggregate(m=Max("order"))["m"]
    request.steps.filter(order__gt=returned.order, state=StepState.WAITING).update(state=StepState.CANCELLED)
    copies = ApprovalStep.objects.bulk_create([
        ApprovalStep(request=request, order=top + i, **{f: getattr(s, f) for f in STEP_FIELDS})
        for i, s in enumerate(remaining, start=1)
    ])
    if payload is not None:
        request.payload = payload
    request.state = RequestState.PENDING
    request.save(update_fields=["state", "payload"])
    _event(request, ApprovalEvent.Kind.RESUBMITTED, actor=actor, comment=comment)
    _activate(request, copies[0])
    return request


@transaction.atomic
def approval_withdraw(*, request: ApprovalRequest, actor: Membership, comment: str = "") -> ApprovalRequest:
    request = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    if request.requester_id != actor.pk:
        raise PermissionDenied(_("Only the requester can withdraw a request."))
    if request.state not in (RequestState.PENDING, RequestState.RETURNED):
        raise ValidationError({"request": _("A decided request cannot be withdrawn.")})
    request.steps.filter(state__in=[StepState.PENDING, StepState.WAITING]).update(state=StepState.CANCELLED)
    request.state = RequestState.WITHDRAWN
    request.decided_at = timezone.now()
    request.current_order = None
    request.save(update_fields=["state", "decided_at", "current_order"])
    _event(request, ApprovalEvent.Kind.WITHDRAWN, actor=actor, comment=comment)
    rtype = registry.get(request.request_type)
    if rtype.on_withdrawn:
        rtype.on_withdrawn(request)
    return request


@transaction.atomic
def approval_steps_reassign(*, reason: str = "") -> int:
    """Move every pending step whose approver no longer qualifies (deactivated, lost the
    position, or the organisation changed) to whoever should decide it now. Returns how
    many moved; each move is in the request's history."""
    moved = 0
    steps = (
        ApprovalStep.objects.pending().filter(approver__isnull=False)
        .select_related("request", "approver__user").order_by("id")
    )
    day = _today()
    for step in steps.select_for_update(of=("self",)):
        approver, role, how = resolve(step, step.request, day)
        if (approver.pk if approver else None) == step.approver_id and role == step.approver_role:
            continue
        old = step.approver
        step.approver, step.approver_role = approver, role
        step.save(update_fields=["approver", "approver_role"])
        _event(step.request, ApprovalEvent.Kind.REASSIGNED, step=step, assignee=approver,
               comment=_("from %(old)s") % {"old": old.user.full_name if old else "—"} + (f" ({reason})" if reason else ""))
        recipients = [approver] if approver else list(Membership.objects.active().with_role(role).select_related("user"))
        if recipients:
            notify(recipients=recipients, kind="approval.assigned",
                   title=waiting_title(step.request.title),
                   url=_request_url(step.request))
        moved += 1
    return moved


def pending_for(member: Membership, day: dt.date | None = None):
    """Steps waiting for ``member``: their own, their roles' pools, and those delegated to
    them today (a delegate of a pool member sees that pool too); never their own requests."""
    day = day or _today()
    delegations = Delegation.objects.active_on(day).filter(delegate=member)
    pool_roles = set(member.roles or [])
    for roles in delegations.values_list("delegator__roles", flat=True):
        pool_roles.update(roles or [])
    mine = Q(approver=member) | Q(approver__isnull=True, approver_role__in=sorted(pool_roles) or ["-"])
    delegated = Q(approver_id__in=delegations.values("delegator_id"))
    return ApprovalStep.objects.pending().filter(mine | delegated).exclude(request__requester=member)


__all__ = [
    "AlreadyDecided", "acting_for", "approval_decide", "approval_resubmit", "approval_steps_reassign",
    "approval_submit", "approval_withdraw", "choose_chain", "pending_for", "Role",
]

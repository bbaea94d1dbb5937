"""The nightly check of one tenant's waiting approval steps: reassign, escalate, remind.

1. Steps whose approver lost the role or position move to whoever holds it now
   (``approval_steps_reassign``).
2. A step still waiting ``tenant.approval_escalate_after_hours`` past its due time moves
   one level up: to the holder of the nearest node above the approver's position (the
   requester skipped), else to the administrators. It gets a fresh time limit, so the
   next run leaves it alone until it is overdue again.
3. Every other overdue step's approver (or role pool) is reminded, at most once in
   ``REMIND_EVERY``.

Idempotent: a second run straight after the first sends nothing and moves nothing.
Concurrent runs for one tenant are excluded by a transaction advisory lock (the second
one returns at once).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from accounts.services.notifications import notify
from sfe.core.tenancy import current_tenant, require_tenant_id

from ..models import ApprovalEvent, ApprovalStep, ApproverKind
from .engine import approval_steps_reassign
from .resolution import _holders, requester_node

REMIND_EVERY = dt.timedelta(hours=20)
# First key of the run's advisory lock (the second is the tenant id): an arbitrary
# constant, unique among the product's locks.
_LOCK_CLASS = 0x5FE0A7


def _url(step: ApprovalStep) -> str:
    return reverse("approvals:detail", kwargs={"code": step.request.code})


def _who(member: Membership | None, role: str) -> str:
    if member is not None:
        return member.user.full_name
    label = str(Role(role).label) if role in Role.values else role
    return _("anyone with the role %(role)s") % {"role": label}


class _Pools:
    """Active members of a role, loaded once per role per run."""

    def __init__(self):
        self._cache: dict[str, list[Membership]] = {}

    def __call__(self, role: str, exclude: int) -> list[Membership]:
        if role not in self._cache:
            self._cache[role] = list(Membership.objects.active().with_role(role).select_related("user"))
        return [m for m in self._cache[role] if m.pk != exclude]


def _escalation_target(step: ApprovalStep, day: dt.date) -> tuple[Membership | None, int | None, str]:
    """The next level up from the current approver: ``(member, node_id, "")`` — the holder
    of the nearest node above the approver's position — or ``(None, None, "admin")``.

    Returns ``(None, None, "")`` when there is nowhere higher (already the administrators).
    """
    requester_id = step.request.requester_id
    if step.approver_id is not None:
        node = requester_node(step.approver, day)
        if node is not None:
            ancestors = node.ancestor_ids()[::-1]  # nearest first
            holders = _holders(ancestors, day, exclude=requester_id)
            for node_id in ancestors:
                m = holders.get(node_id)
                if m is not None and m.pk != step.approver_id:
                    return m, node_id, ""
        return None, None, Role.ADMIN
    if step.approver_role != Role.ADMIN:
        return None, None, Role.ADMIN
    return None, None, ""


def _escalate(step: ApprovalStep, now: dt.datetime, day: dt.date, pools: _Pools) -> bool:
    new_approver, node_id, new_role = _escalation_target(step, day)
    if new_approver is None and not new_role:
        return False
    old = _who(step.approver, step.approver_role)
    # The step now belongs to the higher level: its own copy of the definition says so,
    # so the nightly reassignment follows that position (or the pool) from now on
    # instead of handing the step back to the approver who let it lapse.
    if new_approver is not None:
        step.kind, step.node_id, step.role = ApproverKind.POSITION, node_id, ""
    else:
        step.kind, step.node_id, step.role = ApproverKind.ROLE, None, new_role
    step.user_id = None
    step.approver, step.approver_role = new_approver, new_role
    step.escalations += 1
    step.due_at = now + dt.timedelta(hours=step.time_limit_hours)
    step.reminded_at = None
    step.save(update_fields=["kind", "node", "role", "user", "approver", "approver_role", "escalations", "due_at",
                             "reminded_at"])
    new = _who(new_approver, new_role)
    ApprovalEvent.objects.create(
        request=step.request, step=step, kind=ApprovalEvent.Kind.ESCALATED, assignee=new_approver,
        comment=_("overdue: from %(old)s to %(new)s") % {"old": old, "new": new},
    )
    recipients = [new_approver] if new_approver else pools(new_role, exclude=step.request.requester_id)
    if recipients:
        notify(recipients=recipients, kind="approval.escalated", url=_url(step),
               title=_("Overdue, now waiting for you: %(title)s") % {"title": step.request.title},
               body=_("%(old)s has not decided this in time.") % {"old": old})
    return True


def _remind(step: ApprovalStep, now: dt.datetime, pools: _Pools) -> None:
    recipients = [step.approver] if step.approver else pools(step.approver_role, exclude=step.request.requester_id)
    step.reminded_at = now
    step.save(update_fields=["reminded_at"])
    ApprovalEvent.objects.create(request=step.request, step=step, kind=ApprovalEvent.Kind.REMINDED,
                                 assignee=step.approver)
    if recipients:
        notify(recipients=recipients, kind="approval.reminder", url=_url(step),
               title=_("Reminder: waiting for your approval since %(since)s: %(title)s") % {
                   "since": step.activated_at.astimezone(ZoneInfo(current_tenant().time_zone)).strftime("%Y-%m-%d"),
                   "title": step.request.title})


@transaction.atomic
def approvals_remind_overdue() -> dict[str, int]:
    """Reassign, escalate and remind the current tenant's overdue steps; return the counts."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, require_tenant_id()])
        if not cur.fetchone()[0]:
            return {"skipped": 1, "reassigned": 0, "escalated": 0, "reminded": 0}
    tenant = current_tenant()
    reassigned = approval_steps_reassign(reason=_("nightly check"))
    now = timezone.now()
    day = tenant.today()
    escalate_before = now - dt.timedelta(hours=tenant.approval_escalate_after_hours)
    overdue = (
        ApprovalStep.objects.pending().filter(due_at__lt=now)
        .filter(Q(due_at__lt=escalate_before) | Q(reminded_at__isnull=True) | Q(reminded_at__lt=now - REMIND_EVERY))
        .select_related("request", "approver__user").order_by("due_at", "id")
        .select_for_update(of=("self",))
    )
    pools = _Pools()
    escalated = reminded = 0
    for step in overdue:
        if step.due_at < escalate_before and _escalate(step, now, day, pools):
            escalated += 1
        elif step.reminded_at is None or step.reminded_at < now - REMIND_EVERY:
            _remind(step, now, pools)
            reminded += 1
    return {"skipped": 0, "reassigned": reassigned, "escalated": escalated, "reminded": reminded}


__all__ = ["REMIND_EVERY", "approvals_remind_overdue"]

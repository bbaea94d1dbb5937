"""Who decides a step: resolved when the step is reached (so it follows today's organisation).

Never the requester: a manager step walks further up past them; a named user, position
or role that is only the requester falls to the fallback, then to the tenant's admins.
"""

from __future__ import annotations

import datetime as dt

from accounts.models import Membership, OrgNode, Position, Role

from ..models import ApprovalRequest, ApproverKind, StepDefinition


def _holders(node_ids: list[int], day: dt.date, exclude: int) -> dict[int, Membership]:
    """The first active holder of each node that day (one query), the requester excluded."""
    found: dict[int, Membership] = {}
    rows = (
        Position.objects.active_on(day).filter(node_id__in=node_ids, holder__is_active=True,
                                               holder__user__is_active=True)
        .exclude(holder_id=exclude).select_related("holder__user").order_by("start_date", "id")
    )
    for p in rows:
        found.setdefault(p.node_id, p.holder)
    return found


def requester_node(requester: Membership, day: dt.date) -> OrgNode | None:
    position = (
        Position.objects.active_on(day).filter(holder=requester, node__retired_on__isnull=True)
        .select_related("node").order_by("start_date", "id").first()
    )
    return position.node if position else None


def _managers_above(node: OrgNode | None, day: dt.date, exclude: int) -> list[Membership]:
    """Holders of the ancestors of ``node``, nearest first (vacant levels skipped)."""
    if node is None:
        return []
    ancestors = node.ancestor_ids()[::-1]  # nearest first
    holders = _holders(ancestors, day, exclude)
    seen, out = set(), []
    for node_id in ancestors:
        m = holders.get(node_id)
        if m is not None and m.pk not in seen:
            seen.add(m.pk)
            out.append(m)
    return out


def resolve(step: StepDefinition, request: ApprovalRequest, day: dt.date) -> tuple[Membership | None, str, str]:
    """Return ``(approver, approver_role, how)``; exactly one of approver/role is set.

    ``how`` says why, for the history ("fallback", "admins", "" when resolved directly).
    """
    requester_id = request.requester_id
    approver: Membership | None = None
    if step.kind == ApproverKind.DIRECT_MANAGER:
        managers = _managers_above(request.node, day, requester_id)
        approver = managers[0] if managers else None
    elif step.kind == ApproverKind.MANAGERS_MANAGER:
        managers = _managers_above(request.node, day, requester_id)
        approver = managers[1] if len(managers) > 1 else None
    elif step.kind == ApproverKind.POSITION and step.node_id:
        approver = _holders([step.node_id], day, requester_id).get(step.node_id)
    elif step.kind == ApproverKind.USER and step.user_id and step.user_id != requester_id:
        user = Membership.objects.select_related("user").filter(pk=step.user_id, is_active=True,
                                                                user__is_active=True).first()
        approver = user
    elif step.kind == ApproverKind.ROLE and step.role:
        if role_has_members(step.role, exclude=requester_id):
            return None, step.role, ""
    if approver is not None:
        return approver, "", ""
    if step.fallback_id and step.fallback_id != requester_id:
        fallback = Membership.objects.select_related("user").filter(pk=step.fallback_id, is_active=True).first()
        if fallback is not None:
            return fallback, "", "fallback"
    return None, Role.ADMIN, "admins"


def role_has_members(role: str, exclude: int | None = None) -> bool:
    qs = Membership.objects.active().with_role(role)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def qualifies(step, membership: Membership, day: dt.date) -> bool:
    """Does ``membership`` still decide ``step`` (used when people or positions change)?"""
    if step.approver_id is None:
        return True  # a role pool is checked when someone acts
    return step.approver_id == membership.pk and membership.is_active and membership.user.is_active

"""Delegations: a member away from the office lets another member decide their approvals
for a date range (both ends inclusive).

The engine (``acting_for``, ``pending_for``) reads active delegations; a decision made
through one records the decider and on whose behalf. Every change is in the audit trail
(the trigger on ``approvals_delegation``).

A loop of delegations that overlap in time (A→B while B→A, or A→B→C→A) is refused when
it is set up. Creations are serialised: the delegator's and delegate's membership rows
are locked (so neither can be deactivated meanwhile) and a tenant-wide transaction lock
covers the loop check (a loop can close through rows neither creation locks).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from accounts.services.notifications import notify
from sfe.core.tenancy import audit_reason, current_tenant, require_tenant_id

from ..models import Delegation

# First key of the transaction advisory lock taken while a delegation is created (the
# second is the tenant id): an arbitrary constant, unique among the product's locks.
_LOCK_CLASS = 0x5FE0D1
MAX_DAYS = 366


def _today() -> dt.date:
    return current_tenant().today()


def _name(m: Membership) -> str:
    return m.user.full_name


def _find_loop(*, delegator: Membership, delegate: Membership, start: dt.date, end: dt.date) -> list[int] | None:
    """Member ids of a loop closed by ``delegator → delegate`` over ``[start, end]``, or None.

    A loop counts only if all its delegations share at least one day, so the search
    carries the intersection of the periods along each path (one query, then a search
    over the few active delegations that overlap the new one).
    """
    edges: dict[int, list[tuple[int, dt.date, dt.date]]] = {}
    rows = (
        Delegation.objects.filter(is_active=True, start_date__lte=end, end_date__gte=start)
        .values_list("delegator_id", "delegate_id", "start_date", "end_date")
    )
    for a, b, s, e in rows:
        edges.setdefault(a, []).append((b, s, e))

    def walk(node: int, lo: dt.date, hi: dt.date, path: list[int]) -> list[int] | None:
        if node == delegator.pk:
            return path
        for nxt, s, e in edges.get(node, ()):
            nlo, nhi = max(lo, s), min(hi, e)
            if nlo > nhi or (nxt in path and nxt != delegator.pk):
                continue
            found = walk(nxt, nlo, nhi, [*path, nxt])
            if found:
                return found
        return None

    return walk(delegate.pk, start, end, [delegator.pk, delegate.pk])


@transaction.atomic
def delegation_create(*, delegator: Membership, delegate: Membership, start_date: dt.date, end_date: dt.date,
                      reason: str = "", created_by: Membership) -> Delegation:
    """``delegate`` decides ``delegator``'s approvals from ``start_date`` to ``end_date``.

    ``created_by`` is the delegator themself or an administrator acting for them.
    """
    reason = (reason or "").strip()
    if created_by.pk != delegator.pk and not created_by.has_role(Role.ADMIN):
        raise PermissionDenied(_("Only an administrator can set up a delegation for someone else."))
    errors: dict[str, list[str]] = {}
    if delegate.pk == delegator.pk:
        errors.setdefault("delegate", []).append(_("Choose someone else: nobody can delegate to themself."))
    if end_date < start_date:
        errors.setdefault("end_date", []).append(_("The end date must not be before the start date."))
    elif end_date < _today():
        errors.setdefault("end_date", []).append(_("The end date is in the past."))
    elif (end_date - start_date).days >= MAX_DAYS:
        errors.setdefault("end_date", []).append(_("A delegation lasts at most a year."))
    if errors:
        raise ValidationError(errors)

    # Lock both members (in id order, so two creations never deadlock), then the tenant's
    # delegation lock for the loop check.
    locked = {
        m.pk: m for m in Membership.objects.select_for_update(of=("self",)).select_related("user")
        .filter(pk__in=[delegator.pk, delegate.pk]).order_by("pk")
    }
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, require_tenant_id()])
    delegator, delegate = locked[delegator.pk], locked[delegate.pk]
    if not (delegator.is_active and delegator.user.is_active):
        errors.setdefault("delegator", []).append(
            _("%(name)s is deactivated.") % {"name": _name(delegator)})
    if not (delegate.is_active and delegate.user.is_active):
        errors.setdefault("delegate", []).append(
            _("%(name)s is deactivated and cannot decide approvals.") % {"name": _name(delegate)})
    if errors:
        raise ValidationError(errors)

    loop = _find_loop(delegator=delegator, delegate=delegate, start=start_date, end=end_date)
    if loop:
        names = dict(Membership.objects.filter(pk__in=loop).values_list("pk", "user__full_name"))
        chain = " → ".join(names[pk] for pk in loop)  # the loop ends where it starts
        raise ValidationError({"delegate": _(
            "This would make a loop of delegations on overlapping days: %(chain)s. "
            "Change the dates or choose someone else."
        ) % {"chain": chain}})

    with audit_reason(reason):
        delegation = Delegation(delegator=delegator, delegate=delegate, start_date=start_date, end_date=end_date,
                                reason=reason[:200])
        delegation.full_clean()
        delegation.save()
    period = {"name": _name(delegator), "start": start_date.isoformat(), "end": end_date.isoformat()}
    notify(recipients=[delegate], kind="approval.delegation",
           title=_("You decide the approvals of %(name)s from %(start)s to %(end)s") % period)
    if created_by.pk != delegator.pk:
        notify(recipients=[delegator], kind="approval.delegation",
               title=_("An administrator delegated your approvals to %(delegate)s from %(start)s to %(end)s") % {
                   **period, "delegate": _name(delegate)})
    return delegation


def may_manage(delegation: Delegation, member: Membership) -> bool:
    """The delegator, the delegate and the administrators see and may cancel a delegation."""
    return member.pk in (delegation.delegator_id, delegation.delegate_id) or member.has_role(Role.ADMIN)


@transaction.atomic
def delegation_cancel(*, delegation: Delegation, actor: Membership) -> Delegation:
    """End a delegation now: from this moment the delegate no longer decides for the delegator."""
    delegation = Delegation.objects.select_for_update().select_related("delegator__user", "delegate__user").get(
        pk=delegation.pk)
    if not may_manage(delegation, actor):
        raise PermissionDenied(_("This delegation is not yours to cancel."))
    if not delegation.is_active:
        raise ValidationError({"delegation": _("This delegation was already cancelled.")})
    if delegation.end_date < _today():
        raise ValidationError({"delegation": _("This delegation has already ended.")})
    with audit_reason(_("cancelled by %(name)s") % {"name": _name(actor)}):
        delegation.is_active = False
        delegation.save(update_fields=["is_active"])
    others = [m for m in (delegation.delegator, delegation.delegate) if m.pk != actor.pk]
    if others:
        notify(recipients=others, kind="approval.delegation",
               title=_("The delegation of approvals from %(delegator)s to %(delegate)s was cancelled") % {
                   "delegator": _name(delegation.delegator), "delegate": _name(delegation.delegate)})
    return delegation

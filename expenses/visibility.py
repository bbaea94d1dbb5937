"""Who sees which expense claims (and so their lines, HCPs and receipts).

* the rep who made it sees it in every state; nobody else sees a draft;
* finance, admins and analysts see every submitted claim of the tenant (finance pays them,
  analysts read spend);
* a manager sees the claims credited to a territory they see today
  (``accounts.visibility.visible_node_ids``, positions only), like calls;
* whoever holds, or held, a step of the claim's approval sees it (a named approver outside
  the line of management, a delegate who decided).

Data stewards see none. Each rule is a plain filter or an ``IN (subquery)``: a list stays one
query.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import Role
from accounts.visibility import membership_of, visible_node_ids

from .models.claims import ClaimState

READERS = (Role.REP, Role.MANAGER, Role.ANALYST, Role.ADMIN, Role.FINANCE)
WHOLE_TENANT = (Role.ANALYST, Role.ADMIN, Role.FINANCE)


def claim_visible_q(user) -> Q:
    from approvals.models import ApprovalStep

    membership = membership_of(user)
    if membership is None or not membership.is_active or not membership.has_role(*READERS):
        return Q(pk__in=[])
    mine = Q(rep_id=membership.pk)
    shown = ~Q(state=ClaimState.DRAFT)
    if membership.has_role(*WHOLE_TENANT):
        return mine | shown
    steps = ApprovalStep.objects.filter(Q(approver_id=membership.pk) | Q(decided_by_id=membership.pk))
    others = Q(approval_id__in=steps.values("request_id"))
    if membership.has_role(Role.MANAGER):
        others |= Q(territory_id__in=visible_node_ids(user, positions_only=True))
    return mine | (shown & others)


def can_see_claim(user, claim) -> bool:
    from .models import ExpenseClaim

    return ExpenseClaim.objects.filter(pk=claim.pk).filter(claim_visible_q(user)).exists()

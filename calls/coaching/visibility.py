"""Who sees which evaluations, and whom a manager may evaluate.

* the author (the manager who wrote it) sees their evaluation in every state;
* nobody else sees a draft;
* a shared or acknowledged evaluation is seen by its rep, by a manager who looks after the
  rep today (``calls.visibility.team_q``: the members holding a position under a node the
  manager holds), and by analysts and admins (tenant-wide);
* data stewards and finance see none (coaching is not their business), nor does a rep
  see a colleague's, even one sharing their territory.

Each rule is a plain filter or an ``IN (subquery)``: a list stays one query.
"""

from __future__ import annotations

from django.db.models import Q

from accounts.models import Membership, Role
from accounts.visibility import membership_of
from calls.visibility import team_q

from .models import EvaluationState

READERS = (Role.REP, Role.MANAGER, Role.ANALYST, Role.ADMIN)
WHOLE_TENANT = (Role.ANALYST, Role.ADMIN)


def team_members(user, on=None):
    """The members ``user`` (a manager) looks after on ``on`` (default today), not themself.
    Empty for a member without the manager role."""
    membership = membership_of(user)
    if membership is None or not membership.is_active or not membership.has_role(Role.MANAGER):
        return Membership.objects.none()
    return Membership.objects.filter(team_q(user, on=on, include_self=False), is_active=True)


def evaluation_visible_q(user) -> Q:
    membership = membership_of(user)
    if membership is None or not membership.is_active or not membership.has_role(*READERS):
        return Q(pk__in=[])
    mine = Q(manager_id=membership.pk)
    final = ~Q(state=EvaluationState.DRAFT)
    if membership.has_role(*WHOLE_TENANT):
        return mine | final
    about = Q(rep_id=membership.pk)
    if membership.has_role(Role.MANAGER):
        about |= Q(rep_id__in=team_members(user).values("pk"))
    return mine | (final & about)

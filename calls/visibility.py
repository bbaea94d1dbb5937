"""Who sees which calls, and which reps a manager looks after (design §4).

* tenant-wide roles (analyst, admin, data steward, finance) see every call;
* anyone else sees their own calls, the calls they co-visited, and the calls credited to a
  territory they see on the day (``accounts.visibility.visible_node_ids``: a manager holding a
  district sees the calls of all its territories; a rep holding a territory, those of the
  territory — a colleague sharing it included).

Each rule is an ``IN (subquery)``, so a list stays one query. The same rule picks the reps a
manager looks after (``team_q``): the members holding a position, on the day, on a node the
manager sees.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from accounts.models import Membership, OrgNode, Position
from accounts.visibility import membership_of, sees_whole_tenant, visible_node_ids


def _today(membership: Membership) -> dt.date:
    from sfe.core.tenancy import current_tenant

    return (current_tenant() or membership.tenant).today()


def call_visible_q(user, on: dt.date | None = None) -> Q:
    """A filter of ``Call`` to what ``user`` sees (``on``: whose positions count; default today)."""
    membership = membership_of(user)
    if membership is None or not membership.is_active:
        return Q(pk__in=[])
    if sees_whole_tenant(user):
        return Q()
    day = on or _today(membership)
    return (Q(rep_id=membership.pk) | Q(co_visitor_id=membership.pk)
            | Q(territory_id__in=visible_node_ids(user, on=day, positions_only=True)))


def team_q(user, on: dt.date | None = None, *, include_self: bool = True) -> Q:
    """A filter of ``Membership`` to the members ``user`` looks after on ``on`` (tenant-wide roles:
    everyone), and ``user`` themself unless ``include_self`` is False."""
    membership = membership_of(user)
    if membership is None or not membership.is_active:
        return Q(pk__in=[])
    mine = Q(pk=membership.pk) if include_self else Q(pk__in=[])
    if sees_whole_tenant(user):
        return Q() if include_self else ~Q(pk=membership.pk)
    day = on or _today(membership)
    held = Position.objects.active_on(day).filter(
        node_id__in=visible_node_ids(user, on=day, positions_only=True)).values("holder_id")
    others = Q(pk__in=held) & ~Q(pk=membership.pk)
    return mine | others


def territory_of(membership: Membership, on: dt.date) -> OrgNode | None:
    """The territory ``membership`` holds on ``on`` (the first by path when several): what a
    call made that day is credited to. None for someone holding no territory."""
    position = (Position.objects.active_on(on)
                .filter(holder_id=membership.pk, node__kind=OrgNode.Kind.TERRITORY, node__retired_on__isnull=True)
                .select_related("node").order_by("node__path").first())
    return position.node if position else None


def can_see_call(user, call) -> bool:
    from .models import Call

    return Call.objects.filter(pk=call.pk).filter(call_visible_q(user)).exists()

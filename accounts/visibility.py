"""Who sees which part of the organisation (design §4, "Visibility inside a tenant").

* analyst, admin, data steward, finance: the whole tenant (read; what they may change is
  decided by each view's role check);
* anyone holding a position on a node on the day: that node and everything under it —
  a rep holding a territory sees the territory, a manager holding a district sees the
  district and all its territories;
* nobody else sees anything.

``visible_nodes_q`` is one ``EXISTS`` over the user's positions active that day, matched
on the materialised path, so lists stay one query. Later apps build their own
``visible_to`` on ``visible_node_ids``.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q

from .models import Membership, Position, Role

TENANT_WIDE_ROLES = (Role.ANALYST, Role.ADMIN, Role.DATA_STEWARD, Role.FINANCE)


def membership_of(user) -> Membership | None:
    membership = getattr(user, "membership", None)
    if membership is None and getattr(user, "is_authenticated", False):
        membership = Membership.objects.filter(user_id=user.pk).first()
    return membership


def sees_whole_tenant(user) -> bool:
    membership = membership_of(user)
    return bool(membership and membership.is_active and membership.has_role(*TENANT_WIDE_ROLES))


def _today(membership: Membership) -> dt.date:
    from sfe.core.tenancy import current_tenant

    tenant = current_tenant() or membership.tenant
    return tenant.today()


def visible_nodes_q(user, on: dt.date | None = None, *, positions_only: bool = False) -> Q:
    """``positions_only``: through the user's positions alone, ignoring a tenant-wide role."""
    membership = membership_of(user)
    if membership is None or not membership.is_active:
        return Q(pk__in=[])
    if membership.has_role(*TENANT_WIDE_ROLES) and not positions_only:
        return Q()
    day = on or _today(membership)
    held = (
        Position.objects.active_on(day)
        .filter(holder_id=membership.pk, node__retired_on__isnull=True)
        # The outer node lies in the subtree of the held node: its path starts with the held path.
        .filter(Func(OuterRef("path"), F("node__path"), function="starts_with", output_field=BooleanField()))
    )
    return Q(Exists(held))


def visible_node_ids(user, on: dt.date | None = None, *, positions_only: bool = False):
    """A subquery of the ids of the nodes ``user`` sees; use in ``__in`` filters."""
    from .models import OrgNode

    return OrgNode.objects.filter(visible_nodes_q(user, on=on, positions_only=positions_only)).values("id")

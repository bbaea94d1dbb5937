"""Reads of samples, always within what the reader may see.

Stock, moves, orders and reconciliations belong to one rep. A rep sees their own; a
manager their team (``calls.visibility.team_q``: the members holding a position on a node
they see, and themself); the tenant-wide roles (analyst, admin, data steward, finance)
everyone. A rep sharing a territory with a colleague does *not* see the colleague's
samples: stock is personal. Each rule is one ``IN (subquery)``, so lists stay one query.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.http import Http404

from accounts.models import Membership, Role
from accounts.visibility import membership_of, sees_whole_tenant
from calls.visibility import team_q

EXPIRY_WARNING_DAYS = 30


def rep_visible_q(user, *, field: str = "rep") -> Q:
    membership = membership_of(user)
    if membership is None or not membership.is_active:
        return Q(pk__in=[])
    if sees_whole_tenant(user):
        return Q()
    if membership.has_role(Role.MANAGER):
        return Q(**{f"{field}_id__in": Membership.objects.filter(team_q(user)).values("pk")})
    return Q(**{f"{field}_id": membership.pk})


def reps_for(user):
    """The members whose samples ``user`` may look at (for the rep pickers), by name."""
    membership = membership_of(user)
    qs = Membership.objects.active().select_related("user").order_by("user__full_name", "id")
    if membership is None:
        return qs.none()
    if sees_whole_tenant(user):
        return qs.filter(Q(roles__contains=[Role.REP]) | Q(roles__contains=[Role.MANAGER]))
    if membership.has_role(Role.MANAGER):
        return qs.filter(team_q(user))
    return qs.filter(pk=membership.pk)


def rep_for(user, code) -> Membership:
    """The member of ``code`` if ``user`` may look at their samples; 404 otherwise."""
    rep = reps_for(user).filter(code=code).first() if code else None
    if rep is None:
        raise Http404
    return rep


def stock_of(rep: Membership, *, include_empty: bool = False):
    from .models import SampleStock

    qs = SampleStock.objects.filter(rep_id=rep.pk).select_related("lot__sku__brand")
    if not include_empty:
        qs = qs.filter(quantity__gt=0)
    return qs.order_by("lot__sku__name", "lot__expiry", "lot__lot_number")


def expiry_state(lot, today: dt.date) -> str:
    """``expired``, ``soon`` (within EXPIRY_WARNING_DAYS) or ``ok``."""
    if lot.expiry < today:
        return "expired"
    if lot.expiry <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
        return "soon"
    return "ok"


def moves_for(user):
    from .models import SampleMove

    return (SampleMove.objects.visible_to(user)
            .select_related("lot__sku", "rep__user", "hcp", "by__user", "call")
            .order_by("-at", "-id"))


def orders_for(user):
    from .models import SampleOrder

    return SampleOrder.objects.visible_to(user).select_related("rep__user").order_by("-created_at", "-id")


def order_for(user, code):
    from .models import SampleOrder

    order = SampleOrder.objects.visible_to(user).select_related("rep__user").filter(code=code).first()
    if order is None:
        raise Http404
    return order


def call_for_give(user, code):
    """The call of ``code`` if ``user`` sees it (404 otherwise: another tenant's, invisible)."""
    from calls.models import Call
    from calls.visibility import call_visible_q

    call = (Call.objects.filter(call_visible_q(user)).select_related("hcp", "institution", "rep__user")
            .filter(code=code).first())
    if call is None:
        raise Http404
    return call


def given_in_call(call):
    from .models import MoveKind, SampleMove

    return (SampleMove.objects.filter(call_id=call.pk, kind=MoveKind.GIVEN)
            .select_related("lot__sku").order_by("id"))

"""Reads that span the approval models; the pages and the API share them."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from accounts.models import Membership, Role

from .models import ApprovalRequest, ApprovalStep
from .services import pending_for


def requests_visible_to(member: Membership, day: dt.date, qs=None):
    """The requests ``member`` has a part in: their own, those with a step waiting for them
    (own, pool or delegated), those where they decided a step (or one was decided for
    them), and — for admins — all of the tenant. Anyone else: none (404)."""
    qs = ApprovalRequest.objects.all() if qs is None else qs
    if member.has_role(Role.ADMIN):
        return qs
    waiting = pending_for(member, day).values("request_id")
    decided = ApprovalStep.objects.filter(Q(decided_by=member) | Q(on_behalf_of=member)).values("request_id")
    return qs.filter(Q(requester=member) | Q(pk__in=waiting) | Q(pk__in=decided))

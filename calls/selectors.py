"""Reads of calls for pages and the API; none loops over rows.

* ``call_list(user, params)`` — the calls ``user`` sees (``visibility.call_visible_q``),
  filtered (mine/team, status, type, HCP, date range, flagged), newest first: one query
  for a page, and ``capped_count`` counts at most ``COUNT_CAP`` rows;
* ``call_for(user, code)`` — one visible call or 404 (another tenant's code is not there);
  ``call_parts(call)`` its products with messages and its attendees (two queries);
* ``follow_ups_for(user, params)`` — the open (or done) tasks of the user, or of their team;
* ``hcp_choices(user, q)`` — as-you-type HCP search limited to what the rep sees today,
  each with the institutions a call on them may be at (two queries).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.dateparse import parse_date

from accounts.models import Membership
from customers.selectors import COUNT_CAP, capped_count, search_hcps

from .models import Call, CallMessage, CallProduct, FollowUp, KeyMessage
from .models.calls import CallStatus, CallType
from .visibility import call_visible_q, team_q

__all__ = ["COUNT_CAP", "call_for", "call_list", "call_parts", "capped_count", "follow_up_for", "follow_ups_for",
           "hcp_choices", "key_messages_by_brand"]


def _uuid(value):
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError):
        return None


def _date(value) -> dt.date | None:
    try:
        return parse_date(str(value or "").strip())
    except ValueError:
        return None


def _me(user) -> Membership | None:
    from accounts.visibility import membership_of

    return membership_of(user)


def call_list(user, params) -> QuerySet[Call]:
    """``params`` (a QueryDict or dict): ``who`` = mine | team (default: everything seen),
    ``status``, ``type``, ``hcp`` (code), ``from`` / ``to`` (dates), ``flagged`` (1)."""
    me = _me(user)
    qs = Call.objects.filter(call_visible_q(user))
    who = params.get("who") or ""
    if who == "mine" and me is not None:
        qs = qs.filter(rep_id=me.pk)
    elif who == "team":
        qs = qs.filter(rep_id__in=Membership.objects.filter(team_q(user, include_self=False)).values("pk"))
    status = params.get("status") or ""
    if status in CallStatus.values:
        qs = qs.filter(status=status)
    else:
        qs = qs.exclude(status=CallStatus.PLANNED)  # the calendar shows planned calls; this list, done ones
    call_type = params.get("type") or ""
    if call_type in CallType.values:
        qs = qs.filter(call_type=call_type)
    hcp = params.get("hcp") or ""
    if hcp:
        code = _uuid(hcp)
        qs = qs.filter(Q(hcp__code=code) | Q(attendees__hcp__code=code)).distinct() if code else qs.none()
    start, end = _date(params.get("from")), _date(params.get("to"))
    if start:
        qs = qs.filter(day__gte=start)
    if end:
        qs = qs.filter(day__lte=end)
    if str(params.get("flagged") or "") in ("1", "true", "on", "yes"):
        qs = qs.filter(Q(is_far=True) | Q(is_late=True))
    return qs.select_related("hcp", "institution", "rep__user").order_by("-at", "-id")


def call_for(user, code) -> Call:
    """The call with ``code`` if ``user`` sees it, else 404."""
    code = _uuid(code)
    call = (Call.objects.filter(code=code).filter(call_visible_q(user))
            .select_related("hcp", "institution", "department", "rep__user", "co_visitor__user", "territory")
            .first()) if code else None
    if call is None:
        raise Http404
    return call


def call_parts(call: Call) -> dict:
    """Products in order with their key messages (one query with a prefetch: two) and the
    attendees (one), whatever their number."""
    messages = Prefetch("messages", queryset=CallMessage.objects.select_related("key_message")
                        .order_by("key_message__position", "key_message_id"))
    products = list(CallProduct.objects.filter(call=call).select_related("brand").prefetch_related(messages)
                    .order_by("position"))
    attendees = list(call.attendees.select_related("hcp").order_by("hcp__name_pinyin", "pk")) \
        if call.call_type == CallType.GROUP else []
    return {"products": products, "attendees": attendees}


def follow_ups_for(user, params) -> QuerySet[FollowUp]:
    """The user's tasks (``who=team``: their team's), open ones unless ``done=1``, soonest due first."""
    me = _me(user)
    if me is None:
        return FollowUp.objects.none()
    if params.get("who") == "team":
        qs = FollowUp.objects.filter(assignee_id__in=Membership.objects.filter(team_q(user)).values("pk"))
    else:
        qs = FollowUp.objects.filter(assignee_id=me.pk)
    if str(params.get("done") or "") in ("1", "true", "yes"):
        qs = qs.filter(done_at__isnull=False).order_by("-done_at", "-id")
    else:
        qs = qs.filter(done_at__isnull=True).order_by("due_date", "id")
    return qs.select_related("hcp", "call", "assignee__user")


def follow_up_for(user, code) -> FollowUp:
    """A task the user may see: their own, or one of their team's (a manager's)."""
    code = _uuid(code)
    me = _me(user)
    if code is None or me is None:
        raise Http404
    task = (FollowUp.objects.filter(code=code)
            .filter(assignee_id__in=Membership.objects.filter(team_q(user)).values("pk"))
            .select_related("hcp", "assignee__user").first())
    if task is None:
        raise Http404
    return task


def hcp_choices(user, q: str, limit: int = 15) -> list:
    """The HCPs the user sees matching ``q`` (name, pinyin, initials), each with
    ``institution_choices``: the primary institution, then the affiliations (two queries)."""
    from customers.models import Affiliation

    found = search_hcps(user, q, limit) if (q or "").strip() else []
    if not found:
        return []
    extra: dict[int, list] = {}
    for aff in (Affiliation.objects.filter(hcp_id__in=[h.pk for h in found]).select_related("institution")
                .order_by("institution__name_pinyin")):
        extra.setdefault(aff.hcp_id, []).append(aff.institution)
    for hcp in found:
        hcp.institution_choices = [hcp.institution, *[i for i in extra.get(hcp.pk, []) if i.pk != hcp.institution_id]]
    return found


def hcp_choices_for(hcp) -> list:
    """The institutions a call on ``hcp`` may be at: the primary one, then the affiliations."""
    from customers.models import Affiliation

    others = [a.institution for a in Affiliation.objects.filter(hcp=hcp).exclude(institution_id=hcp.institution_id)
              .select_related("institution").order_by("institution__name_pinyin")]
    return [hcp.institution, *others]


def key_messages_by_brand() -> dict[int, list[KeyMessage]]:
    """The active key messages, by brand id, in the admin's order (one query)."""
    out: dict[int, list[KeyMessage]] = {}
    for m in KeyMessage.objects.filter(is_active=True).order_by("brand_id", "position", "id"):
        out.setdefault(m.brand_id, []).append(m)
    return out

"""The call list (filters in the URL; one query per page, a capped count) and a call's page
(the call, its products with messages and its attendees: a fixed number of queries)."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse

from accounts.models import Role
from accounts.permissions import tenant_member_required

from .. import selectors
from ..models.calls import CallStatus, CallType

PAGE_SIZE = 25
MAX_PAGE = selectors.COUNT_CAP // PAGE_SIZE
LOGGERS = (Role.REP, Role.MANAGER)
_CODE = "00000000-0000-0000-0000-000000000000"


def _page_number(request) -> int:
    try:
        return min(max(int(request.GET.get("page", "1")), 1), MAX_PAGE)
    except ValueError:
        return 1


@tenant_member_required
def call_list(request):
    qs = selectors.call_list(request.user, request.GET)
    number = _page_number(request)
    offset = (number - 1) * PAGE_SIZE
    rows = list(qs[offset: offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE and number < MAX_PAGE
    rows = rows[:PAGE_SIZE]
    if has_next:
        total, more = selectors.capped_count(qs)
    else:
        total, more = offset + len(rows), False
    url = reverse("calls:call_detail", kwargs={"code": _CODE})
    statuses, types = dict(CallStatus.choices), dict(CallType.choices)
    for row in rows:  # labels and links once per page, not per row in the template
        row.url = url.replace(_CODE, str(row.code))
        row.status_label, row.type_label = statuses[row.status], types[row.call_type]
    query = request.GET.copy()
    query.pop("page", None)
    membership = request.membership
    return render(request, "calls/call_list.html", {
        "rows": rows, "number": number, "has_next": has_next, "has_previous": number > 1, "total": total,
        "more": more, "first": offset + 1 if rows else 0, "last": offset + len(rows), "query": query.urlencode(),
        "f": request.GET, "statuses": CallStatus.choices, "types": CallType.choices,
        "can_log": membership.has_role(*LOGGERS), "is_manager": membership.has_role(Role.MANAGER),
    })


@tenant_member_required
def call_detail(request, code):
    call = selectors.call_for(request.user, code)
    parts = selectors.call_parts(call)
    mine = call.rep_id == request.membership.pk
    return render(request, "calls/call_detail.html", {
        "call": call, **parts, "mine": mine, "can_edit": mine and call.locked_at is None,
        "follow_ups": list(call.follow_ups.order_by("due_date", "pk")),
    })

"""Calls on the customer page's timeline (``customers.registry``): the calls on an HCP (as
the main HCP or an attendee) or at an institution, newest first, limited to the calls the
viewer sees — one query."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Hcp

from .models import Call, CallAttendee
from .models.calls import CallStatus, CallType
from .visibility import call_visible_q

_CODE = "00000000-0000-0000-0000-000000000000"


def fetch(customer, user, limit: int) -> list:
    from customers.registry import TimelineEntry

    if isinstance(customer, Hcp):
        on = Q(hcp_id=customer.pk) | Q(pk__in=CallAttendee.objects.filter(hcp_id=customer.pk).values("call_id"))
    else:
        on = Q(institution_id=customer.pk)
    rows = (Call.objects.filter(on).exclude(status=CallStatus.PLANNED).filter(call_visible_q(user))
            .select_related("rep__user", "hcp").order_by("-at", "-id")[:limit])
    url = reverse("calls:call_detail", kwargs={"code": _CODE})
    types = dict(CallType.choices)
    out = []
    for call in rows:
        title = _("%(type)s call") % {"type": types.get(call.call_type, call.call_type)}
        if not isinstance(customer, Hcp) and call.hcp_id:
            title = _("%(type)s call with %(name)s") % {"type": types.get(call.call_type, call.call_type),
                                                         "name": call.hcp.name}
        if call.status == CallStatus.DRAFT:
            title = _("%(title)s (draft)") % {"title": title}
        out.append(TimelineEntry(at=call.at, kind="call", title=title, detail=call.next_step,
                                 url=url.replace(_CODE, str(call.code)), icon="telephone-outbound",
                                 by=call.rep.user.full_name))
    return out


def register() -> None:
    from customers.registry import TimelineSource, register_timeline

    register_timeline(TimelineSource("call", gettext_lazy("Calls"), fetch, order=50))

"""The call form: log a call (``call_new``; ``?hcp=`` starts on an HCP, ``?planned=`` logs a
planned visit), change one's own call (``call_edit``: a reason once submitted; a locked call
is read-only), and the HCP search as you type (``hcp_options``).

The form is a plain POST that works without JavaScript; its hidden ``code`` (a UUID made
when the form renders) makes a retried or replayed submit find the call already made.
An offline replay (header ``X-Offline-Replay: 1``) is answered in JSON: ``{"ok": true,
"code", "url"}``, or ``{"ok": false, "errors": {field: [messages]}}`` with status 400.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from accounts.permissions import role_required
from customers.models import Hcp
from products.models import Brand

from .. import selectors
from ..forms import call_raw_from_post, call_values
from ..models import Call
from ..models.calls import CallSource, CallStatus, CallType
from ..services import call_save, parse_call_values, settings_get
from .calls import LOGGERS

REPLAY_HEADER = "X-Offline-Replay"
MANAGERS_MAX = 200


def _is_replay(request) -> bool:
    return request.headers.get(REPLAY_HEADER) == "1"


def _chosen_hcps(user, codes: list[str]) -> dict[str, Hcp]:
    """The HCPs named in the form that the user sees (to show them again), one query."""
    valid = []
    for c in codes:
        try:
            valid.append(uuid.UUID(str(c)))
        except ValueError:
            continue
    if not valid:
        return {}
    return {str(h.code): h for h in Hcp.objects.visible_to(user).filter(code__in=valid).select_related("institution")}


def _context(request, values: dict, *, code, call=None, errors=None) -> dict:
    chosen = _chosen_hcps(request.user, [values.get("hcp") or "", *values.get("attendees", [])])
    hcp = chosen.get(values.get("hcp") or "")
    if hcp is not None:
        hcp.institution_choices = selectors.hcp_choices_for(hcp)
    settings = settings_get()
    brands = list(Brand.objects.filter(is_active=True).order_by("name"))
    by_brand = selectors.key_messages_by_brand()
    for b in brands:
        b.active_messages = by_brand.get(b.pk, [])
    return {
        "v": values, "code": code, "call": call, "errors": errors or {}, "hcp": hcp,
        "general_errors": [*(errors or {}).get("__all__", []), *(errors or {}).get("code", [])],
        "attendees": [chosen[c] for c in values.get("attendees", []) if c in chosen],
        "brands": brands,
        "managers": list(Membership.objects.active().with_role(Role.MANAGER).exclude(pk=request.membership.pk)
                         .select_related("user").order_by("user__full_name")[:MANAGERS_MAX]),
        "types": CallType.choices, "checkin": settings.checkin != settings.CheckIn.OFF,
        "needs_reason": call is not None and call.status == CallStatus.SUBMITTED,
    }


def _save(request, *, code, call=None):
    raw = call_raw_from_post(request.POST)
    submit = request.POST.get("action") != "draft"
    # The form's script sends every submit as a replay (JSON answer); only what waited in the
    # device's queue says so with ``X-Offline-Queued`` and counts as sent after being offline.
    queued = _is_replay(request) and request.headers.get("X-Offline-Queued") == "1"
    source = CallSource.OFFLINE if queued else CallSource.WEB
    try:
        saved, _changed = call_save(rep=request.membership, code=code, data=parse_call_values(raw), submit=submit,
                                    reason=request.POST.get("reason", ""), edit=call is not None, source=source)
    except ValidationError as exc:
        errors = exc.message_dict
        if _is_replay(request):
            return JsonResponse({"ok": False, "errors": errors}, status=400)
        values = call_values(raw=raw)
        values["reason"] = request.POST.get("reason", "")
        return render(request, "calls/call_form.html", _context(request, values, code=code, call=call, errors=errors),
                      status=400)
    url = reverse("calls:call_detail", kwargs={"code": saved.code})
    if _is_replay(request):
        return JsonResponse({"ok": True, "code": str(saved.code), "url": url, "status": saved.status})
    if saved.status == CallStatus.SUBMITTED:
        messages.success(request, _("The call is submitted."))
    else:
        messages.success(request, _("The draft is saved."))
    return redirect(url)


@role_required(*LOGGERS)
def call_new(request):
    if request.method == "POST":
        return _save(request, code=request.POST.get("code", ""))
    planned = request.GET.get("planned")
    if planned:  # logging a planned visit: its code, so the planned call becomes this one
        call = selectors.call_for(request.user, planned)
        if call.rep_id != request.membership.pk or not call.is_planned:
            raise PermissionDenied
        parts = selectors.call_parts(call)
        return render(request, "calls/call_form.html",
                      _context(request, call_values(call=call, parts=parts), code=call.code))
    hcp = _chosen_hcps(request.user, [request.GET.get("hcp") or ""]).get(request.GET.get("hcp") or "")
    return render(request, "calls/call_form.html", _context(request, call_values(hcp=hcp), code=uuid.uuid4()))


@role_required(*LOGGERS)
def call_edit(request, code):
    call = selectors.call_for(request.user, code)
    if call.rep_id != request.membership.pk:
        raise PermissionDenied
    if call.locked_at is not None:
        return render(request, "calls/call_locked.html", {"call": call})
    if request.method == "POST":
        return _save(request, code=call.code, call=call)
    values = call_values(call=call, parts=selectors.call_parts(call))
    return render(request, "calls/call_form.html", _context(request, values, code=call.code, call=call))


@role_required(*LOGGERS)
def hcp_options(request):
    """The HCP picker's results as you type (``q``): the HCPs the user sees, each with the
    institutions a call on them may be at. ``mode=attendee`` gives checkboxes."""
    q = (request.GET.get("q") or request.GET.get("hcp_q") or request.GET.get("attendee_q") or "")[:100]
    found = selectors.hcp_choices(request.user, q)
    template = "calls/_attendee_options.html" if request.GET.get("mode") == "attendee" else "calls/_hcp_options.html"
    return render(request, template, {"hcps": found, "q": q})


def is_own_call(request, call: Call) -> bool:
    return call.rep_id == request.membership.pk

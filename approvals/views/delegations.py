"""Delegation pages: the list (mine given, mine received; admins see the whole tenant),
the form, and cancelling by code.

Thin views: parse with a form, call one service, render. A delegation is fetched
through ``get_delegation_for_member``: someone else's (or another tenant's) is a 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms.users import apply_service_errors
from accounts.models import Role
from accounts.permissions import tenant_member_required

from ..forms.delegations import DelegationForm
from ..models import Delegation
from ..services.delegation import delegation_cancel as cancel_service
from ..services.delegation import delegation_create as create_service
from ..services.delegation import may_manage

PAST_SHOWN = 20


def get_delegation_for_member(request, code) -> Delegation:
    delegation = get_object_or_404(
        Delegation.objects.select_related("delegator__user", "delegate__user"), code=code)
    if not may_manage(delegation, request.membership):
        raise Http404
    return delegation


def _status(d: Delegation, today: dt.date) -> str:
    if not d.is_active:
        return "cancelled"
    if d.end_date < today:
        return "past"
    if d.start_date > today:
        return "future"
    return "current"


def _split(rows, today: dt.date) -> dict[str, list[Delegation]]:
    """Current and future first (soonest first), then past and cancelled (latest first)."""
    out: dict[str, list[Delegation]] = {"open": [], "closed": []}
    for d in rows:
        d.status = _status(d, today)
        d.can_cancel = d.status in ("current", "future")
        out["open" if d.can_cancel else "closed"].append(d)
    out["open"].sort(key=lambda d: (d.start_date, d.pk))
    out["closed"].sort(key=lambda d: (d.end_date, d.pk), reverse=True)
    out["closed"] = out["closed"][:PAST_SHOWN]
    return out


@tenant_member_required
def delegation_list(request):
    member = request.membership
    today = request.tenant.today()
    base = Delegation.objects.select_related("delegator__user", "delegate__user")
    is_admin = member.has_role(Role.ADMIN)
    rows = list(base if is_admin else base.filter(Q(delegator=member) | Q(delegate=member)))
    sections = [
        {"key": "given", "title": _("I am away: my approvals go to"),
         "rows": _split([d for d in rows if d.delegator_id == member.pk], today)},
        {"key": "received", "title": _("I decide instead of"),
         "rows": _split([d for d in rows if d.delegate_id == member.pk], today)},
    ]
    if is_admin:
        sections.append({"key": "all", "title": _("All delegations of the company"), "rows": _split(rows, today)})
    return render(request, "approvals/delegations/list.html", {"sections": sections, "today": today})


@tenant_member_required
def delegation_create(request):
    member = request.membership
    on_behalf = member.has_role(Role.ADMIN)
    form = DelegationForm(request.POST or None, member=member, on_behalf=on_behalf)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delegation = create_service(
                delegator=data.get("delegator") or member, delegate=data["delegate"], start_date=data["start_date"],
                end_date=data["end_date"], reason=data["reason"], created_by=member,
            )
        except ValidationError as e:
            apply_service_errors(form, e)
        except PermissionDenied as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("From %(start)s to %(end)s, %(delegate)s decides the approvals of %(name)s.") % {
                "start": delegation.start_date.isoformat(), "end": delegation.end_date.isoformat(),
                "delegate": delegation.delegate.user.full_name, "name": delegation.delegator.user.full_name})
            return redirect("approvals:delegations")
    elif request.method != "POST":
        today = request.tenant.today()
        form.initial.update({"start_date": today, "end_date": today + dt.timedelta(days=6)})
    return render(request, "approvals/delegations/form.html", {"form": form, "on_behalf": on_behalf},
                  status=400 if form.is_bound else 200)


@require_POST
@tenant_member_required
def delegation_cancel(request, code):
    delegation = get_delegation_for_member(request, code)
    try:
        cancel_service(delegation=delegation, actor=request.membership)
    except (ValidationError, PermissionDenied) as e:
        for message in getattr(e, "messages", None) or [str(e)]:
            messages.error(request, message)
    else:
        messages.success(request, _("The delegation from %(delegator)s to %(delegate)s is cancelled.") % {
            "delegator": delegation.delegator.user.full_name, "delegate": delegation.delegate.user.full_name})
    return redirect("approvals:delegations")

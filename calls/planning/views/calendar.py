"""The calendar (week and month) of planned and done calls and follow-up tasks, and the
planned visits: plan one, move one (drag and drop, or a date field without script),
cancel one. A manager sees the reps they look after, with a rep filter; a rep, their own.

Queries per request do not grow with the calls shown: the team (managers), the calls, the
tasks — one query each.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import role_required
from calls.models import Call
from calls.visibility import call_visible_q
from customers.models import Hcp
from customers.visibility import customer_visible_q

from .. import selectors
from ..forms import MoveForm, VisitForm
from ..models import CyclePlanLine
from ..services import at_on, visit_cancel, visit_move, visit_plan
from .today import log_call_url, nav_with_badges

ROLES = (Role.REP, Role.MANAGER)


def _day(value, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _range(view: str, day: dt.date) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """First and last day shown, and the anchors of the previous and next pages."""
    if view == "month":
        first = day.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        prev = (first - dt.timedelta(days=1)).replace(day=1)
        start = first - dt.timedelta(days=first.weekday())
        last = nxt - dt.timedelta(days=1)
        end = last + dt.timedelta(days=6 - last.weekday())
        return start, end, prev, nxt
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6), start - dt.timedelta(days=7), start + dt.timedelta(days=7)


#: Calls shown on a day of the month view; the rest is "+N more" (the week view shows all).
MONTH_PER_DAY = 6


@role_required(*ROLES)
def calendar(request):
    today = request.tenant.today()
    view = "month" if request.GET.get("view") == "month" else "week"
    anchor = _day(request.GET.get("date"), today)
    start, end, prev, nxt = _range(view, anchor)
    me = request.membership
    team, chosen = [], None
    if me.has_role(Role.MANAGER):
        team = selectors.team_for(request.user, today)
        rep_code = request.GET.get("rep", "")
        chosen = next((m for m in team if str(m.code) == rep_code), None)
        if rep_code and chosen is None:
            raise Http404
        rep_ids = [chosen.pk] if chosen else [m.pk for m in team]
    else:
        rep_ids = [me.pk]
    calls, per_day = selectors.calendar_calls(request.user, rep_ids, start, end, today=today,
                                              per_day=MONTH_PER_DAY if view == "month" else None)
    tasks = selectors.calendar_tasks(rep_ids, start, end)
    by_day: dict[dt.date, dict] = {}
    d = start
    while d <= end:
        by_day[d] = {"day": d, "calls": [], "tasks": [], "is_today": d == today, "more": 0,
                     "outside": view == "month" and d.month != anchor.month}
        d += dt.timedelta(days=1)
    for call in calls:
        by_day[call.day]["calls"].append(call)
    for task in tasks:
        by_day[task.due_date]["tasks"].append(task)
    for day, total in per_day.items():
        by_day[day]["more"] = total - len(by_day[day]["calls"])
    days = list(by_day.values())
    counts = selectors.nav_counts(me, today)
    return render(request, "planning/calendar.html", {
        "nav": nav_with_badges(request, counts), "unread_notifications": counts["unread"],
        "view": view, "anchor": anchor, "start": start, "end": end, "prev": prev, "next": nxt, "today": today,
        "days": days, "weeks": [days[i:i + 7] for i in range(0, len(days), 7)], "team": team, "chosen": chosen,
        "show_rep": len(rep_ids) > 1, "me": me, "log_url": log_call_url(), "count": sum(per_day.values()),
    })


def _planned_call(request, code) -> Call:
    call = Call.objects.filter(code=code).filter(call_visible_q(request.user)).first()
    if call is None:
        raise Http404
    return call


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _calendar_url(day: dt.date, view: str = "week") -> str:
    return f"{reverse('planning:calendar')}?view={view}&date={day.isoformat()}"


@require_POST
@role_required(*ROLES)
def visit_move_view(request, code):
    call = _planned_call(request, code)
    form = MoveForm(request.POST)
    error = None
    if form.is_valid():
        try:
            at = at_on(form.cleaned_data["day"], form.cleaned_data["time"]) if form.cleaned_data["time"] else None
            call = visit_move(call=call, by=request.membership, day=form.cleaned_data["day"], at=at)
        except ValidationError as exc:
            error = exc
    else:
        error = ValidationError({k: v for k, v in form.errors.items()})
    view = request.POST.get("view", "week")
    if error is not None:
        text = " ".join(error.messages)
        if _wants_json(request):
            return JsonResponse({"ok": False, "errors": error.message_dict if hasattr(error, "error_dict") else
                                 {"day": error.messages}}, status=400)
        messages.error(request, text)
        return redirect(_calendar_url(call.day, view))
    if _wants_json(request):
        return JsonResponse({"ok": True, "day": call.day.isoformat(), "at": call.at.isoformat()})
    messages.success(request, _("The visit is moved to %(day)s.") % {"day": call.day.isoformat()})
    return redirect(_calendar_url(call.day, view))


@require_POST
@role_required(*ROLES)
def visit_cancel_view(request, code):
    call = _planned_call(request, code)
    try:
        visit_cancel(call=call, by=request.membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The planned visit is cancelled."))
    return redirect(_calendar_url(call.day))


def _hcp_choices(request, extra_code=None) -> list[tuple]:
    """The HCPs of the rep's plans of this and the next cycle (and ``extra_code`` if seen)."""
    day = request.tenant.today()
    cycles = selectors.current_and_next_cycles(day)
    rows = list(CyclePlanLine.objects.filter(plan__rep=request.membership, plan__cycle__in=cycles)
                .values_list("hcp__code", "hcp__name", "hcp__institution__name").distinct()
                .order_by("hcp__name"))
    if extra_code and not any(str(r[0]) == str(extra_code) for r in rows):
        hcp = (Hcp.objects.live().filter(code=extra_code).filter(customer_visible_q(Hcp, request.user))
               .values_list("code", "name", "institution__name").first())
        if hcp:
            rows.insert(0, hcp)
    return [(code, f"{name} · {inst}") for code, name, inst in rows]


@role_required(Role.REP)
def visit_new(request):
    today = request.tenant.today()
    if request.method == "POST":
        form = VisitForm(request.POST, hcps=_hcp_choices(request, request.POST.get("hcp")))
        if form.is_valid():
            hcp = Hcp.objects.filter(code=form.cleaned_data["hcp"]).first()
            try:
                visit_plan(rep=request.membership, hcp=hcp, by=request.membership, code=form.cleaned_data["code"],
                           at=at_on(form.cleaned_data["day"], form.cleaned_data["time"]))
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The visit is planned."))
                return redirect(_calendar_url(form.cleaned_data["day"]))
        return render(request, "planning/visit_form.html", {"form": form}, status=400)
    initial = {"day": _day(request.GET.get("day"), today), "time": dt.time(9, 0), "hcp": request.GET.get("hcp", "")}
    form = VisitForm(initial=initial, hcps=_hcp_choices(request, request.GET.get("hcp")))
    return render(request, "planning/visit_form.html", {"form": form})

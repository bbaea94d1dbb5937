"""My inventory (per SKU and lot, with expiry warnings) and the ledger (filters in the URL).

A rep sees their own; a manager picks a member of their team (``?rep=``); admins and the
other tenant-wide roles anyone. Another tenant's or an invisible member's code is 404. Each
page is a fixed number of queries whatever the number of lots or moves.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import tenant_member_required

from .. import selectors
from ..forms import LedgerFilterForm
from ..services import parse_month

LEDGER_PAGE = 50


def chosen_rep(request):
    """The rep whose samples the page shows: ``?rep=<member code>`` or oneself."""
    code = request.GET.get("rep")
    if code:
        return selectors.rep_for(request.user, code)
    return request.membership


def can_pick(membership) -> bool:
    from accounts.visibility import TENANT_WIDE_ROLES

    return membership.has_role(Role.MANAGER, *TENANT_WIDE_ROLES)


@tenant_member_required
def inventory(request):
    rep = chosen_rep(request)
    today = request.tenant.today()
    rows = []
    for stock in selectors.stock_of(rep):
        rows.append({"stock": stock, "lot": stock.lot, "state": selectors.expiry_state(stock.lot, today)})
    reps = list(selectors.reps_for(request.user)) if can_pick(request.membership) else []
    return render(request, "samples/inventory.html", {
        "rep": rep, "rows": rows, "reps": reps, "is_self": rep.pk == request.membership.pk,
        "total": sum(r["stock"].quantity for r in rows), "warn_days": selectors.EXPIRY_WARNING_DAYS,
        "is_admin": request.membership.has_role(Role.ADMIN), "tab": "inventory",
    })


def _month_range(month: dt.date, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    tz = zoneinfo.ZoneInfo(tz_name)
    start = dt.datetime(month.year, month.month, 1, tzinfo=tz)
    end = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=tz)
    return start, end


@tenant_member_required
def ledger(request):
    reps = list(selectors.reps_for(request.user)) if can_pick(request.membership) else []
    form = LedgerFilterForm(request.GET or None, reps=reps)
    moves = selectors.moves_for(request.user)
    if form.is_valid():
        data = form.cleaned_data
        if data["rep"]:
            moves = moves.filter(rep=selectors.rep_for(request.user, data["rep"]))
        if data["kind"]:
            moves = moves.filter(kind=data["kind"])
        month = parse_month(data["month"])
        if data["month"] and month is None:
            form.add_error("month", _("Enter a month as YYYY-MM."))
        if month is not None:
            start, end = _month_range(month, request.tenant.time_zone)
            moves = moves.filter(at__gte=start, at__lt=end)
    page = Paginator(moves, LEDGER_PAGE).get_page(request.GET.get("page"))
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(request, "samples/ledger.html", {
        "form": form, "page": page, "moves": page.object_list, "query": query.urlencode(), "tab": "ledger",
        "show_rep": bool(reps),
    })

"""The monthly reconciliation: the rep counts each lot they hold (``?month=YYYY-MM``,
default this month), saves the counts or confirms them; a confirmed month is shown, not
changed. Reps and managers reconcile their own stock."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import role_required

from .. import selectors
from ..models import Reconciliation
from ..services import month_start, parse_month, reconciliation_count

HOLDERS = (Role.REP, Role.MANAGER)


@role_required(*HOLDERS)
def reconcile(request):
    today = request.tenant.today()
    raw = request.GET.get("month") or request.POST.get("month")
    month = parse_month(raw) if raw else month_start(today)
    errors: list[str] = []
    status = 200
    if month is None:
        month, status = month_start(today), 400
        errors.append(_("Enter a month as YYYY-MM."))
    me = request.membership
    rows = list(selectors.stock_of(me))
    if request.method == "POST" and status == 200:
        counts = {str(r.lot.code): request.POST.get(f"count_{r.lot.code}", "").strip() for r in rows}
        try:
            rec = reconciliation_count(rep=me, month=month, counts=counts, reason=request.POST.get("reason", ""),
                                       by=me, confirm=bool(request.POST.get("confirm")))
        except ValidationError as exc:
            errors += exc.messages
            status = 400
        else:
            if rec.state == Reconciliation.State.CONFIRMED:
                messages.success(request, _("The month %(month)s is reconciled.") % {"month": f"{month:%Y-%m}"})
            else:
                messages.success(request, _("Your counts are saved."))
            return redirect(f"{request.path}?month={month:%Y-%m}")
    rec = Reconciliation.objects.filter(rep_id=me.pk, month=month).select_related("confirmed_by__user").first()
    lines = list(rec.lines.select_related("lot__sku").order_by("lot__sku__name", "lot__lot_number")) if rec else []
    counted = {line.lot_id: line.counted for line in lines}
    for r in rows:
        r.counted = request.POST.get(f"count_{r.lot.code}", "") if request.method == "POST" else counted.get(r.lot_id, "")
    return render(request, "samples/reconcile.html", {
        "month": month, "rec": rec, "rows": rows, "lines": lines, "errors": errors, "tab": "reconcile",
        "confirmed": bool(rec and rec.state == Reconciliation.State.CONFIRMED),
        "reason": request.POST.get("reason", rec.reason if rec else ""),
    }, status=status)

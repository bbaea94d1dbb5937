"""Finance export: approved claims not yet exported, exported for payment to Excel or CSV
(UTF-8 with a BOM, so Excel reads the Chinese), one row per line; exporting marks them
``exported_at`` in one UPDATE. A past export is downloaded again by its time, or every export
in a date range.

The one write, marking what was exported, is ``services.export.claims_export_mark``.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import role_required
from sfe.core.spreadsheets import csv_bytes

from .. import selectors
from ..forms import ExportForm
from ..models import ExpenseClaim
from ..services.export import claims_export_mark

EXPORTERS = (Role.FINANCE, Role.ADMIN)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _headers() -> list[str]:
    return [_("Claim"), _("Rep"), _("Territory"), _("Date"), _("Category"), _("Amount"), _("Currency"),
            _("Rate"), _("Amount in %(currency)s") % {"currency": _tenant_currency()}, _("HCPs"), _("Purpose")]


def _tenant_currency() -> str:
    from sfe.core.tenancy import current_tenant

    return current_tenant().currency


def _rows(claims_qs) -> list[list]:
    out = []
    for line in selectors.export_lines(claims_qs):
        claim = line.claim
        out.append([str(claim.code), claim.rep.user.full_name, claim.territory.name if claim.territory_id else "",
                    line.day, line.category.name, line.amount, line.currency, line.rate, line.base_amount,
                    "、".join(h.hcp.name for h in line.hcps.all()), claim.purpose])
    return out


def _csv(rows) -> bytes:
    return csv_bytes([_headers(), *rows])


def _xlsx(rows) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False})
    sheet = book.add_worksheet(_("Expenses"))
    bold = book.add_format({"bold": True})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    money = book.add_format({"num_format": "#,##0.00"})
    rate = book.add_format({"num_format": "0.00000000"})
    sheet.write_row(0, 0, _headers(), bold)
    for r, row in enumerate(rows, start=1):
        code, rep, territory, d, category, amount, currency, fx, base, hcps, purpose = row
        sheet.write_string(r, 0, code)
        sheet.write_string(r, 1, rep)
        sheet.write_string(r, 2, territory)
        sheet.write_datetime(r, 3, dt.datetime.combine(d, dt.time()), day)
        sheet.write_string(r, 4, category)
        sheet.write_number(r, 5, float(amount), money)
        sheet.write_string(r, 6, currency)
        sheet.write_number(r, 7, float(fx), rate)
        sheet.write_number(r, 8, float(base), money)
        sheet.write_string(r, 9, hcps)
        sheet.write_string(r, 10, purpose)
    sheet.set_column(0, 0, 38)
    sheet.set_column(1, 4, 14)
    sheet.set_column(9, 10, 30)
    book.close()
    return buffer.getvalue()


def _file(rows, fmt: str, stamp: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
        name = f"expenses-{stamp}.csv"
    else:
        response = HttpResponse(_xlsx(rows), content_type=XLSX)
        name = f"expenses-{stamp}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@role_required(*EXPORTERS)
def export(request):
    """GET: the claims waiting to be exported and the past exports; POST: export them."""
    form = ExportForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _page(request, form, status=400)
        try:
            codes = [uuid.UUID(c) for c in request.POST.getlist("claims") if c]
        except ValueError:
            form.add_error(None, _("Choose claims from the list."))
            return _page(request, form, status=400)
        at = claims_export_mark(codes=codes or None)
        if at is None:
            messages.info(request, _("There is nothing to export."))
            return redirect("expenses:export")
        rows = _rows(ExpenseClaim.objects.filter(exported_at=at))
        return _file(rows, form.cleaned_data["format"], timezone.localtime(at).strftime("%Y%m%d-%H%M%S"))
    return _page(request, form)


def _page(request, form, status=200):
    return render(request, "expenses/export.html", {
        "form": form, "claims": list(selectors.exportable_claims()), "past": selectors.past_exports(),
        "currency": request.tenant.currency}, status=status)


@role_required(*EXPORTERS)
def export_again(request):
    """A past export again: ``at`` (its exact time, as listed) or ``from``/``to`` (days of the
    exports); ``format``: xlsx or csv."""
    fmt = request.GET.get("format") if request.GET.get("format") in ("xlsx", "csv") else "xlsx"
    at = parse_datetime(request.GET.get("at") or "") if request.GET.get("at") else None
    if at is not None:
        qs = ExpenseClaim.objects.filter(exported_at=at)
        stamp = timezone.localtime(at).strftime("%Y%m%d-%H%M%S")
    else:
        try:
            start = dt.date.fromisoformat(request.GET.get("from") or "")
            end = dt.date.fromisoformat(request.GET.get("to") or "")
        except ValueError:
            messages.error(request, _("Give an export's time, or a range of days (from and to)."))
            return redirect("expenses:export")
        if end < start:
            messages.error(request, _("The end date must not be before the start date."))
            return redirect("expenses:export")
        qs = ExpenseClaim.objects.filter(exported_at__date__gte=start, exported_at__date__lte=end)
        stamp = f"{start:%Y%m%d}-{end:%Y%m%d}"
    rows = _rows(qs.filter(exported_at__isnull=False))
    if not rows:
        messages.info(request, _("No export matches."))
        return redirect("expenses:export")
    return _file(rows, fmt, stamp)

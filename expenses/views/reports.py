"""Report pages of expenses: the spend-against-value flags (R20) and the transfer-of-value
report with its Excel and CSV exports. See ``urls_reports``.

* ``flag_list``: managers see the flags of the HCPs they see today; analysts and admins
  every flag of the tenant. Three queries whatever the number of flags (the product lines
  of the filter, the count, the page).
* ``transfer_report`` / ``transfer_export``: finance, admins and analysts; one aggregate
  statement (``services.transfers``) for the page or the whole file.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

from django import forms
from django.core.paginator import Paginator
from django.db.models import Case, DecimalField, ExpressionWrapper, F, When
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from accounts.permissions import role_required
from customers.models import Hcp
from products.models import ProductLine
from sfe.core.spreadsheets import csv_bytes, neutralise
from sfe.core.tenancy import current_tenant

from ..models import SpendFlag
from ..services import transfers

FLAG_READERS = (Role.MANAGER, Role.ANALYST, Role.ADMIN)
FLAG_WHOLE_TENANT = (Role.ANALYST, Role.ADMIN)
TRANSFER_READERS = (Role.FINANCE, Role.ADMIN, Role.ANALYST)
PAGE_SIZE = 50
MAX_PERIOD_DAYS = 3 * 366


# --------------------------------------------------------------------------- flags


@role_required(*FLAG_READERS)
def flag_list(request):
    lines = list(ProductLine.objects.filter(is_active=True).order_by("name").only("pk", "code", "name"))
    line_code = request.GET.get("line", "")
    line = next((x for x in lines if str(x.code) == line_code), None)
    qs = SpendFlag.objects.all()
    if not request.membership.has_role(*FLAG_WHOLE_TENANT):
        qs = qs.filter(hcp_id__in=Hcp.objects.visible_to(request.user).values("pk"))
    if line is not None:
        qs = qs.filter(product_line=line)
    qs = (qs.select_related("hcp__institution", "product_line")
          .only("hcp__code", "hcp__name", "hcp__institution__name", "product_line__name", "tier", "top_tier",
                "spend", "benchmark", "period_start", "period_end", "computed_at")
          .annotate(ratio=Case(When(benchmark__gt=0, then=ExpressionWrapper(
              F("spend") / F("benchmark"), output_field=DecimalField(max_digits=20, decimal_places=4))), default=None))
          .order_by("-spend", "id"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    flags = list(page.object_list)
    return render(request, "expenses/flag_list.html", {
        "page": page, "flags": flags, "lines": lines, "line": line, "currency": current_tenant().currency,
        "query": f"line={line.code}" if line else "", "first": flags[0] if flags else None})


# --------------------------------------------------------------------------- transfer of value


class TransferFilter(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=gettext_lazy("To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    by = forms.ChoiceField(label=gettext_lazy("Per"), required=False, choices=[
        (transfers.BY_HCP, gettext_lazy("HCP")), (transfers.BY_INSTITUTION, gettext_lazy("Institution"))])

    def __init__(self, data, *, today: dt.date):
        self.today = today
        super().__init__(data, initial={"start": today.replace(month=1, day=1), "end": today, "by": transfers.BY_HCP})

    def clean(self):
        data = super().clean()
        start = data.get("start") or self.today.replace(month=1, day=1)
        end = data.get("end") or self.today
        if "start" in self.errors or "end" in self.errors:
            return data
        if end < start:
            self.add_error("end", _("The end of the period cannot be before its start."))
        elif (end - start).days > MAX_PERIOD_DAYS:
            self.add_error("end", _("Choose a period of at most three years."))
        data["start"], data["end"] = start, end
        data["by"] = data.get("by") or transfers.BY_HCP
        return data


def _filter(request) -> TransferFilter:
    data = {k: request.GET[k] for k in ("start", "end", "by") if k in request.GET}
    return TransferFilter(data or None, today=current_tenant().today())


def _period(form: TransferFilter) -> tuple[dt.date, dt.date, str]:
    if not form.is_bound:
        return form.initial["start"], form.initial["end"], transfers.BY_HCP
    return form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["by"]


@role_required(*TRANSFER_READERS)
def transfer_report(request):
    form = _filter(request)
    if form.is_bound and not form.is_valid():
        return render(request, "expenses/transfer_report.html", {"form": form, "report": None}, status=400)
    start, end, by = _period(form)
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        number = 1
    report = transfers.transfer_report(start=start, end=end, grouping=by, limit=PAGE_SIZE,
                                       offset=(number - 1) * PAGE_SIZE)
    labels = [c.label for c in report.categories]
    for row in [*report.rows, report.totals]:
        row.cells = list(zip(labels, row.categories, strict=True))
    number = report.offset // PAGE_SIZE + 1
    pages = max(1, -(-report.count // PAGE_SIZE))
    query = f"start={start.isoformat()}&end={end.isoformat()}&by={by}"
    return render(request, "expenses/transfer_report.html", {
        "form": form, "report": report, "query": query, "number": number, "pages": pages,
        "previous": number - 1 if number > 1 else None, "next": number + 1 if number < pages else None})


def _table(report: transfers.Report) -> tuple[list[str], list[list]]:
    per_hcp = report.grouping == transfers.BY_HCP
    not_tracked = _("Not tracked until the events app exists")
    header = ([_("HCP"), _("External code"), _("Institution"), _("City")] if per_hcp
              else [_("Institution"), _("External code"), _("City")])
    header += [c.label for c in report.categories]
    header += [_("Samples given (units)"), _("Samples (list price)"), _("Sponsored events"),
               _("Total (%(currency)s)") % {"currency": report.currency}]
    rows = []
    for r in report.rows:
        who = [r.name, r.external_code, r.institution, r.city] if per_hcp else [r.name, r.external_code, r.city]
        rows.append([*who, *r.categories, r.samples_units, r.samples, not_tracked, r.total])
    if report.totals is not None:
        t = report.totals
        pad = [""] * (3 if per_hcp else 2)
        rows.append([_("Total"), *pad, *t.categories, t.samples_units, t.samples, "", t.total])
    return header, rows


@role_required(*TRANSFER_READERS)
def transfer_export(request, fmt: str):
    if fmt not in ("csv", "xlsx"):
        raise Http404
    form = _filter(request)
    if form.is_bound and not form.is_valid():
        return render(request, "expenses/transfer_report.html", {"form": form, "report": None}, status=400)
    start, end, by = _period(form)
    report = transfers.transfer_report(start=start, end=end, grouping=by)
    header, rows = _table(report)
    filename = f"transfer-of-value-{by}-{start:%Y%m%d}-{end:%Y%m%d}.{fmt}"
    title = _("Transfers of value, %(start)s to %(end)s") % {"start": start.isoformat(), "end": end.isoformat()}
    if fmt == "csv":
        response = HttpResponse(csv_bytes([[title], header, *rows]), content_type="text/csv; charset=utf-8")
    else:
        import xlsxwriter

        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "in_memory": True})
        sheet = book.add_worksheet(_("Transfers of value")[:31])
        bold = book.add_format({"bold": True})
        amount = book.add_format({"num_format": "#,##0.00"})
        sheet.write(0, 0, title, bold)
        sheet.write_row(1, 0, header, bold)
        for n, row in enumerate(rows, start=2):
            for col, value in enumerate(row):
                if isinstance(value, Decimal):
                    sheet.write_number(n, col, float(value), amount)
                elif isinstance(value, int):
                    sheet.write_number(n, col, value)
                else:
                    sheet.write_string(n, col, neutralise(value or ""), bold if n == len(rows) + 1 else None)
        book.close()
        response = HttpResponse(out.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

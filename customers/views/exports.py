"""CSV and Excel exports of the lists: the same filters and visibility as the page.

Rows are read with a server-side cursor in chunks (``iterator``) as plain tuples, so
memory stays flat; an export stops at ``EXPORT_CAP`` rows and says so in its last line.
Cells that a spreadsheet would run as a formula (= + - @) are neutralised.
"""

from __future__ import annotations

import csv
import io

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import tenant_member_required
from sfe.core.spreadsheets import neutralise

from .. import selectors
from ..models import Grade, InstitutionKind, Specialty, Stage, Status, Title

EXPORT_CAP = 100_000


def _labels(choices) -> dict:
    return {k: str(v) for k, v in choices.choices}


def _hcp_rows(user, params):
    titles, specs, stages, statuses = _labels(Title), _labels(Specialty), _labels(Stage), _labels(Status)
    header = [_("Code"), _("Name"), _("Pinyin"), _("Title"), _("Specialty"), _("Institution"), _("Department"),
              _("City"), _("Tier"), _("Lifecycle stage"), _("Status"), _("KOL"), _("Target"), _("Potential"),
              _("External code")]
    qs = selectors.hcp_list(user, params).values_list(
        "code", "name", "name_pinyin", "title", "specialty", "institution__name", "department__name",
        "institution__city", "tier", "stage", "status", "is_kol", "is_target", "potential", "external_code")
    yes, no = _("yes"), _("no")

    def rows():
        for r in qs[:EXPORT_CAP].iterator(chunk_size=2000):
            yield [str(r[0]), r[1], r[2], titles.get(r[3], r[3]), specs.get(r[4], r[4]), r[5], r[6] or "", r[7], r[8],
                   stages.get(r[9], r[9]), statuses.get(r[10], r[10]), yes if r[11] else no, yes if r[12] else no,
                   r[13], r[14]]
    return header, rows()


def _institution_rows(user, params):
    kinds, grades, stages, statuses = _labels(InstitutionKind), _labels(Grade), _labels(Stage), _labels(Status)
    header = [_("Code"), _("Name"), _("Pinyin"), _("Type"), _("Grade"), _("Beds"), _("Province"), _("City"),
              _("District"), _("Address"), _("Tier"), _("Lifecycle stage"), _("Status"), _("Potential"),
              _("External code"), _("National code")]
    qs = selectors.institution_list(user, params).values_list(
        "code", "name", "name_pinyin", "kind", "grade", "beds", "province", "city", "district", "address", "tier",
        "stage", "status", "potential", "external_code", "national_code")

    def rows():
        for r in qs[:EXPORT_CAP].iterator(chunk_size=2000):
            yield [str(r[0]), r[1], r[2], kinds.get(r[3], r[3]), grades.get(r[4], r[4]), r[5] or "", r[6], r[7], r[8],
                   r[9], r[10], stages.get(r[11], r[11]), statuses.get(r[12], r[12]), r[13], r[14], r[15]]
    return header, rows()


EXPORTS = {"hcps": _hcp_rows, "institutions": _institution_rows}


@tenant_member_required
def export(request, list_name: str, fmt: str):
    if list_name not in EXPORTS or fmt not in ("csv", "xlsx"):
        raise Http404
    header, rows = EXPORTS[list_name](request.user, request.GET)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{list_name}-{stamp}.{fmt}"
    count = 0
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")  # Excel on Chinese Windows reads UTF-8 only with the BOM
        writer = csv.writer(buf)
        writer.writerow(header)
        for row in rows:
            writer.writerow([neutralise(v) for v in row])
            count += 1
        if count >= EXPORT_CAP:
            writer.writerow([_("The export stops at %(n)s rows; narrow the filter for the rest.") % {"n": EXPORT_CAP}])
        response = HttpResponse(buf.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    else:
        import xlsxwriter

        out = io.BytesIO()
        book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "in_memory": True})
        sheet = book.add_worksheet(_("HCPs") if list_name == "hcps" else _("Institutions"))
        bold = book.add_format({"bold": True})
        sheet.write_row(0, 0, header, bold)
        for count, row in enumerate(rows, start=1):  # noqa: B007 - count is read after the loop
            sheet.write_row(count, 0, [neutralise(v) if isinstance(v, str) else (float(v) if v.__class__.__name__ == "Decimal" else v)
                                       for v in row])
        if count >= EXPORT_CAP:
            sheet.write(count + 1, 0, _("The export stops at %(n)s rows; narrow the filter for the rest.") % {"n": EXPORT_CAP})
        book.close()
        response = HttpResponse(out.getvalue(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

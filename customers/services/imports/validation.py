"""Cleaning the rows of an import, one chunk at a time, with the master-data rules of
``customers.validation`` (``clean_institution`` / ``clean_hcp``): nothing here repeats them.

Two measured shortcuts keep 100,000 rows fast:

* the choice columns (type, grade, title, specialty …) hold few distinct values, so each
  distinct combination goes through ``clean_*`` once and the answer is reused; the other
  columns of every row go through ``clean_*`` with the choices left out (its slow part is
  matching labels in two languages);
* the pinyin keys (``customers.pinyin.name_keys``) are cached per distinct name.

References to other records (an HCP's institution, an alignment's customer, territory and
product line) are resolved set-based in SQL by ``loading``, not here.
"""

from __future__ import annotations

import abc
import datetime as dt
import re
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from ...models import CustomerKind, ImportJob
from ...pinyin import name_keys
from ...validation import FORMULA_START, clean_hcp, clean_institution, text
from .columns import HeaderMap

Kind = ImportJob.Kind
Error = tuple[int, str, str]  # (row number, field, message)

CHOICES = {
    Kind.INSTITUTIONS: ("kind", "grade", "ownership"),
    Kind.HCPS: ("gender", "title", "specialty", "is_kol"),
}
#: What the choice-only call of ``clean_*`` needs to say nothing about the other fields.
PLACEHOLDER = {
    Kind.INSTITUTIONS: {"name": "x", "province": "x", "city": "x"},
    Kind.HCPS: {"name": "x"},
}


def _names_cache(person: bool):
    @lru_cache(maxsize=20_000)
    def keys(name: str) -> tuple[str, str, str]:
        return name_keys(name, person=person)

    return keys


def plain(field: str, raw, errors: dict, *, required: bool = False, max_length: int = 120) -> str:
    """A reference or a name outside ``clean_*`` (institution code, department, territory …):
    NFKC text, required or not, bounded, and never a spreadsheet formula."""
    value = text(raw)
    if not value:
        if required:
            errors[field] = _("This field is required.")
        return ""
    if value.startswith(FORMULA_START):
        errors[field] = _("“%(value)s” looks like a spreadsheet formula; remove the leading “%(char)s”.") % {
            "value": value[:40], "char": value[0]}
    elif len(value) > max_length:
        errors[field] = _("Use at most %(n)s characters.") % {"n": max_length}
    return value


class RowCleaner(abc.ABC):
    """Turns the raw rows of one kind into staging tuples (``columns`` order) and errors."""

    columns: tuple[str, ...] = ()

    def __init__(self, header: HeaderMap):
        self.header = header
        self.present = set(header.positions)

    def raw(self, cells: list[str]) -> dict[str, str]:
        return {f: (cells[i] if i < len(cells) else "") for f, i in self.header.positions.items()}

    @abc.abstractmethod
    def clean(self, row_no: int, cells: list[str]) -> tuple[tuple | None, dict[str, str]]:
        """Each kind (institutions, HCPs, alignments) cleans one row: staged values or field errors."""

    def clean_chunk(self, chunk: list[tuple[int, list[str]]]) -> tuple[list[tuple], list[Error]]:
        staged: list[tuple] = []
        errors: list[Error] = []
        for row_no, cells in chunk:
            row, row_errors = self.clean(row_no, cells)
            if row_errors:
                errors += [(row_no, field, str(message)) for field, message in row_errors.items()]
            else:
                staged.append(row)
        return staged, errors


class _MasterCleaner(RowCleaner):
    kind: str
    person: bool

    def __init__(self, header: HeaderMap):
        super().__init__(header)
        self.clean_fn = clean_hcp if self.kind == Kind.HCPS else clean_institution
        self.choice_fields = CHOICES[self.kind]
        self._choices: dict[tuple, tuple[dict, dict]] = {}
        self.keys = _names_cache(self.person)

    def _clean_choices(self, raw: dict) -> tuple[dict, dict]:
        sig = tuple(raw.get(f, "") for f in self.choice_fields)
        found = self._choices.get(sig)
        if found is None:
            raw_choices = {**PLACEHOLDER[self.kind], **dict(zip(self.choice_fields, sig, strict=True))}
            values, errors = self.clean_fn(raw_choices)
            for language, _name in settings.LANGUAGES:
                if not any(f in errors for f in self.choice_fields):
                    break
                # A label in the other language ("医院" from an English-speaking user) is fine too.
                with translation.override(language):
                    other_values, other_errors = self.clean_fn(raw_choices)
                if not any(f in other_errors for f in self.choice_fields):
                    values, errors = other_values, other_errors
            found = ({f: values[f] for f in self.choice_fields},
                     {f: errors[f] for f in self.choice_fields if f in errors})
            if len(self._choices) < 10_000:
                self._choices[sig] = found
        return found

    def clean_master(self, raw: dict) -> tuple[dict, dict]:
        choice_values, choice_errors = self._clean_choices(raw)
        values, errors = self.clean_fn({f: v for f, v in raw.items() if f not in self.choice_fields})
        for f in self.choice_fields:
            errors.pop(f, None)
        values.update(choice_values)
        errors.update(choice_errors)
        if not values["external_code"] and "external_code" not in errors:
            errors["external_code"] = _("This field is required: imports match records on it.")
        return values, errors


class InstitutionCleaner(_MasterCleaner):
    kind = Kind.INSTITUTIONS
    person = False
    columns = ("row_no", "external_code", "name", "name_pinyin", "initials", "search_alt", "kind", "grade", "beds",
               "ownership", "province", "city", "district", "address", "national_code", "phone", "potential")

    def clean(self, row_no, cells):
        v, errors = self.clean_master(self.raw(cells))
        if errors:
            return None, errors
        return (row_no, v["external_code"], v["name"], *self.keys(v["name"]), v["kind"], v["grade"], v["beds"],
                v["ownership"], v["province"], v["city"], v["district"], v["address"], v["national_code"], v["phone"],
                v["potential"]), errors


class HcpCleaner(_MasterCleaner):
    kind = Kind.HCPS
    person = True
    columns = ("row_no", "external_code", "name", "name_pinyin", "initials", "search_alt", "gender", "title",
               "specialty", "phone", "email", "is_kol", "potential", "institution_code", "department")

    def clean(self, row_no, cells):
        raw = self.raw(cells)
        v, errors = self.clean_master({f: raw[f] for f in raw if f not in ("institution_code", "department")})
        institution_code = plain("institution_code", raw.get("institution_code"), errors, required=True, max_length=60)
        department = plain("department", raw.get("department"), errors)
        if errors:
            return None, errors
        return (row_no, v["external_code"], v["name"], *self.keys(v["name"]), v["gender"], v["title"], v["specialty"],
                v["phone"], v["email"], v["is_kol"], v["potential"], institution_code, department), errors


# --------------------------------------------------------------------------- alignments

_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(19|20)(\d{2})(\d{2})(\d{2})$")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap-year bug included)


def parse_date(value: str) -> dt.date | None:
    """ISO and the usual Chinese spellings (2025-01-31, 2025/1/31, 2025年1月31日, 20250131) or
    an Excel serial day number (45688); ``None`` when it is none of them."""
    m = _DATE.match(value)
    parts = (m.group(1), m.group(2), m.group(3)) if m else None
    if parts is None and (c := _COMPACT.match(value)):
        parts = (c.group(1) + c.group(2), c.group(3), c.group(4))
    if parts:
        try:
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            return None
    try:
        serial = float(value)
    except ValueError:
        return None
    if serial.is_integer() and 1 <= serial <= 2958465:
        return EXCEL_EPOCH + dt.timedelta(days=int(serial))
    return None


def _date(field: str, raw, errors: dict, *, required: bool) -> dt.date | None:
    value = text(raw)
    if not value:
        if required:
            errors[field] = _("This field is required.")
        return None
    day = parse_date(value)
    if day is None:
        errors[field] = _("“%(value)s” is not a date: write it as 2025-01-31.") % {"value": value[:40]}
    return day


def _customer_kind(raw, errors: dict) -> str:
    value = text(raw).casefold()
    if not value:
        return ""
    known = {
        "hcp": CustomerKind.HCP, "医生": CustomerKind.HCP, "医务人员": CustomerKind.HCP, "doctor": CustomerKind.HCP,
        "institution": CustomerKind.INSTITUTION, "机构": CustomerKind.INSTITUTION, "医院": CustomerKind.INSTITUTION,
        "hospital": CustomerKind.INSTITUTION, "终端": CustomerKind.INSTITUTION,
    }
    known |= {str(label).casefold(): key for key, label in CustomerKind.choices}
    if value in known:
        return known[value]
    errors["customer_kind"] = _("“%(value)s” is not one of the choices.") % {"value": text(raw)[:40]}
    return ""


class AlignmentCleaner(RowCleaner):
    columns = ("row_no", "customer_code", "customer_kind", "territory_ref", "line_name", "start_date", "end_date")

    def clean(self, row_no, cells):
        raw = self.raw(cells)
        errors: dict[str, str] = {}
        code = plain("customer_code", raw.get("customer_code"), errors, required=True, max_length=60)
        kind = _customer_kind(raw.get("customer_kind"), errors)
        territory = plain("territory", raw.get("territory"), errors, required=True)
        line = plain("product_line", raw.get("product_line"), errors, required=True)
        start = _date("start_date", raw.get("start_date"), errors, required=True)
        end = _date("end_date", raw.get("end_date"), errors, required=False)
        if start and end and end < start:
            errors["end_date"] = _("The end date must not be before the start date.")
        if errors:
            return None, errors
        return (row_no, code, kind, territory, line, start, end), errors


def cleaner_for(kind: str, header: HeaderMap) -> RowCleaner:
    return {Kind.INSTITUTIONS: InstitutionCleaner, Kind.HCPS: HcpCleaner, Kind.ALIGNMENTS: AlignmentCleaner}[kind](header)

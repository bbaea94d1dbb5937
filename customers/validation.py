"""Field rules for institutions and HCPs, shared by forms, services, change requests and
imports. Pure functions over strings (no database), so an import checks 100,000 rows
without a query per row; references (institution, department) are resolved by the caller.

``clean_*`` return ``(values, errors)``: ``errors`` maps a field name to a message in the
active language; ``values`` holds what could be cleaned.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from sfe.core.spreadsheets import FORMULA_START  # noqa: F401 - also read by the imports

from .models import Gender, Grade, InstitutionKind, Ownership, Specialty, Stage, Tier, Title

MOBILE_RE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^(?:\+?86)?0\d{2,3}\d{7,8}(?:\d{1,6})?$")

INSTITUTION_FIELDS = ("name", "kind", "grade", "beds", "ownership", "province", "city", "district", "address",
                      "external_code", "national_code", "phone", "potential")
HCP_FIELDS = ("name", "gender", "title", "specialty", "phone", "email", "is_kol", "external_code", "potential")
MAX_LENGTHS = {"name": 200, "province": 40, "city": 60, "district": 60, "address": 300, "external_code": 60,
               "national_code": 60, "email": 254}


def text(value) -> str:
    """NFKC (full-width to half-width), trimmed, control characters dropped."""
    if value is None:
        return ""
    value = unicodedata.normalize("NFKC", str(value))
    return "".join(ch for ch in value if ch >= " " or ch == "\n").strip()


def _choice(field: str, value: str, choices, errors: dict, labels_ok=True) -> str:
    """Accept a stored value, or a label in either language (imports say 三级甲等 or 主任医师)."""
    if value in choices.values:
        return value
    if labels_ok:
        folded = value.casefold()
        for key, label in choices.choices:
            label = str(label)
            # "Chief physician (主任医师)": match the whole label, the English or the Chinese part.
            names = {label.casefold(), *(p.strip(" )").casefold() for p in label.split("("))}
            if folded in names:
                return key
    errors[field] = _("“%(value)s” is not one of the choices.") % {"value": value}
    return ""


def phone(field: str, value: str, errors: dict, *, mobile_only: bool) -> str:
    digits = re.sub(r"[\s\-()]", "", value)
    if not digits:
        return ""
    if MOBILE_RE.match(digits) or (not mobile_only and LANDLINE_RE.match(digits)):
        return digits.removeprefix("+86").removeprefix("86") if MOBILE_RE.match(digits) else digits
    errors[field] = (_("“%(value)s” is not a mobile phone number (11 digits starting with 1).") if mobile_only
                     else _("“%(value)s” is not a phone number.")) % {"value": value}
    return ""


def _lengths(values: dict, errors: dict) -> None:
    for field, limit in MAX_LENGTHS.items():
        if field in values and len(values[field]) > limit and field not in errors:
            errors[field] = _("Use at most %(n)s characters.") % {"n": limit}


def _formula(values: dict, errors: dict) -> None:
    """A name or code starting like a spreadsheet formula is refused, never stored."""
    for field in ("name", "external_code", "national_code", "address", "city", "province", "district"):
        v = values.get(field, "")
        if v.startswith(FORMULA_START) and field not in errors:
            errors[field] = _("“%(value)s” looks like a spreadsheet formula; remove the leading “%(char)s”.") % {
                "value": v[:40], "char": v[0]}


def _potential(raw, errors: dict) -> Decimal:
    value = text(raw)
    if not value:
        return Decimal(0)
    try:
        amount = Decimal(value.replace(",", "").replace("¥", ""))
    except InvalidOperation:
        errors["potential"] = _("Enter a number.")
        return Decimal(0)
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        errors["potential"] = _("Enter an amount of zero or more.")
        return Decimal(0)
    return amount.quantize(Decimal("0.01"))


def _required(values: dict, errors: dict, *fields: str) -> None:
    for field in fields:
        if not values.get(field) and field not in errors:
            errors[field] = _("This field is required.")


def clean_institution(raw: dict) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    v = {f: text(raw.get(f)) for f in INSTITUTION_FIELDS}
    _required(v, errors, "name", "kind", "province", "city")
    if v["kind"]:
        v["kind"] = _choice("kind", v["kind"], InstitutionKind, errors)
    if v["grade"]:
        v["grade"] = _choice("grade", v["grade"], Grade, errors)
    if v["ownership"]:
        v["ownership"] = _choice("ownership", v["ownership"], Ownership, errors)
    beds = v.pop("beds")
    v["beds"] = None
    if beds:
        if beds.isdigit() and int(beds) < 100000:
            v["beds"] = int(beds)
        else:
            errors["beds"] = _("Enter a whole number of beds.")
    v["phone"] = phone("phone", v["phone"], errors, mobile_only=False)
    v["potential"] = _potential(raw.get("potential"), errors)
    _lengths(v, errors)
    _formula(v, errors)
    return v, errors


def clean_hcp(raw: dict) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    v = {f: text(raw.get(f)) for f in HCP_FIELDS}
    _required(v, errors, "name")
    if v["gender"]:
        g = {"男": "M", "女": "F", "m": "M", "f": "F", "male": "M", "female": "F"}.get(v["gender"].casefold(), v["gender"])
        v["gender"] = _choice("gender", g, Gender, errors)
    for field, choices in (("title", Title), ("specialty", Specialty)):
        if v[field]:
            v[field] = _choice(field, v[field], choices, errors)
    v["phone"] = phone("phone", v["phone"], errors, mobile_only=True)
    if v["email"]:
        try:
            validate_email(v["email"])
        except ValidationError:
            errors["email"] = _("“%(value)s” is not an email address.") % {"value": v["email"]}
    kol = v["is_kol"].casefold()
    v["is_kol"] = kol in {"1", "true", "yes", "y", "是", "on", "kol"}
    if kol and kol not in {"1", "true", "yes", "y", "是", "on", "kol", "0", "false", "no", "n", "否", "off"}:
        errors["is_kol"] = _("Answer yes or no.")
    v["potential"] = _potential(raw.get("potential"), errors)
    _lengths(v, errors)
    _formula(v, errors)
    return v, errors


def clean_stage(value: str) -> str:
    value = text(value)
    errors: dict = {}
    stage = _choice("stage", value, Stage, errors)
    if errors:
        raise ValidationError(errors)
    return stage


def clean_tier(value: str) -> str:
    value = text(value).upper()
    if value not in Tier.values:
        raise ValidationError({"tier": _("Choose A, B, C or D.")})
    return value

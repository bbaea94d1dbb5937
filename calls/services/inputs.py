"""What a call form or an API request says, resolved into rows of the caller's tenant.

``parse_call_input(raw)`` takes plain values (strings, codes, lists — from a POST, a JSON
body or an offline replay) and gives a ``CallInput`` of model rows, with a field-named
``ValidationError`` for a value that is malformed or names nothing in this tenant (another
tenant's code is simply not found). It does not decide who may log what: ``call_save``
checks visibility, dates and the rest. A fixed number of queries (one per kind of
reference), whatever the number of products, messages or attendees.

It is two steps, each usable alone: ``parse_call_values(raw)`` checks the form of the values
and keeps the references as codes (no query: the fast path of a new call, ``fast``, looks
them up in its own statement), and ``resolve_call_values`` looks them up.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from accounts.models import Membership
from customers.models import Hcp, Institution
from products.models import Brand

from ..geo import parse_coordinate
from ..models import KeyMessage
from ..models.calls import CallType

MAX_PRODUCTS = 10
MAX_ATTENDEES = 50


@dataclass
class ProductInput:
    brand: Brand
    messages: list[KeyMessage] = field(default_factory=list)


@dataclass
class CallInput:
    call_type: str = CallType.FACE_TO_FACE
    at: dt.datetime | None = None
    hcp: Hcp | None = None
    institution: Institution | None = None
    duration_min: int | None = None
    notes: str = ""
    next_step: str = ""
    next_step_due: dt.date | None = None
    co_visitor: Membership | None = None
    attendees: list[Hcp] = field(default_factory=list)
    products: list[ProductInput] = field(default_factory=list)
    checkin_lat: Decimal | None = None
    checkin_lng: Decimal | None = None
    checkin_accuracy_m: int | None = None
    checkin_at: dt.datetime | None = None


def as_uuid(value, field_name: str, errors: dict) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError):
        errors.setdefault(field_name, _("“%(value)s” is not a valid code.") % {"value": str(value)[:40]})
        return None


def parse_moment(value, tz: str) -> dt.datetime | None:
    """An ISO date-time (a browser's ``datetime-local`` value is naive: the tenant's zone)."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = parse_datetime(str(value).strip().replace(" ", "T")) if value not in (None, "") else None
        if moment is None:
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, zoneinfo.ZoneInfo(tz))
    return moment


def _int(value, field_name: str, errors: dict, *, low: int, high: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        errors.setdefault(field_name, _("Give a whole number."))
        return None
    if not low <= number <= high:
        errors.setdefault(field_name, _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high})
        return None
    return number


def _scalars(raw: dict, tz: str, out: CallInput, errors: dict) -> None:
    call_type = str(raw.get("call_type") or CallType.FACE_TO_FACE)
    if call_type not in CallType.values:
        errors["call_type"] = _("Choose the call type.")
    out.call_type = call_type
    try:
        out.at = parse_moment(raw.get("at"), tz)
    except (ValueError, TypeError):
        out.at = None
    if out.at is None:
        errors["at"] = _("Give the date and time of the visit.")
    out.duration_min = _int(raw.get("duration_min"), "duration_min", errors, low=1, high=600)
    out.notes = str(raw.get("notes") or "").strip()
    out.next_step = " ".join(str(raw.get("next_step") or "").split())
    due = raw.get("next_step_due")
    if due not in (None, ""):
        try:
            out.next_step_due = due if isinstance(due, dt.date) else parse_date(str(due).strip())
        except ValueError:
            out.next_step_due = None
        if out.next_step_due is None:
            errors["next_step_due"] = _("Give a date (YYYY-MM-DD).")


def _checkin(raw: dict, tz: str, out: CallInput, errors: dict) -> None:
    for name, limit in (("checkin_lat", 90), ("checkin_lng", 180)):
        try:
            setattr(out, name, parse_coordinate(raw.get(name), limit=limit))
        except (ValueError, ArithmeticError):
            errors[name] = _("The location is not valid; check in again or leave it out.")
    if (out.checkin_lat is None) != (out.checkin_lng is None):
        out.checkin_lat = out.checkin_lng = None  # half a location is no location
    out.checkin_accuracy_m = _int(raw.get("checkin_accuracy_m"), "checkin_accuracy_m", errors, low=0,
                                  high=1_000_000) if raw.get("checkin_accuracy_m") not in (None, "") else None
    try:
        out.checkin_at = parse_moment(raw.get("checkin_at"), tz)
    except (ValueError, TypeError):
        out.checkin_at = None


def _products(raw_products, errors: dict) -> list[tuple[uuid.UUID, list[uuid.UUID]]]:
    found = []
    if not isinstance(raw_products, list | tuple):
        errors["products"] = _("Give the products as a list.")
        return found
    if len(raw_products) > MAX_PRODUCTS:
        errors["products"] = _("Give at most %(n)s products.") % {"n": MAX_PRODUCTS}
        return found
    for item in raw_products:
        if not isinstance(item, dict):
            errors["products"] = _("Give each product as its brand and its key messages.")
            return found
        brand = as_uuid(item.get("brand"), "products", errors)
        messages = item.get("messages") or []
        if not isinstance(messages, list | tuple):
            errors["products"] = _("Give each product's key messages as a list.")
            return found
        codes = [as_uuid(m, "products", errors) for m in messages]
        if brand is not None:
            found.append((brand, [c for c in codes if c is not None]))
        elif codes:
            errors.setdefault("products", _("Choose the product of these key messages."))
    return found


@dataclass
class CallValues:
    """A call's plain values parsed (``parse_call_values``): the scalars and the check-in in
    ``data``, the references still as codes (nothing looked up yet)."""

    data: CallInput
    hcp: uuid.UUID | None = None
    institution: uuid.UUID | None = None
    co_visitor: uuid.UUID | None = None
    attendees: list[uuid.UUID] = field(default_factory=list)
    #: ``(brand code, [key message codes])`` in the order given
    products: list[tuple[uuid.UUID, list[uuid.UUID]]] = field(default_factory=list)


def parse_call_values(raw: dict) -> CallValues:
    """The values of ``raw``, checked for form but not looked up (no query); raises
    ``ValidationError`` by field for a malformed value, as ``parse_call_input`` does."""
    from sfe.core.tenancy import current_tenant

    tz = current_tenant().time_zone
    errors: dict[str, str] = {}
    out = CallInput()
    _scalars(raw, tz, out, errors)
    _checkin(raw, tz, out, errors)
    hcp_code = as_uuid(raw.get("hcp"), "hcp", errors)
    inst_code = as_uuid(raw.get("institution"), "institution", errors)
    visitor_code = as_uuid(raw.get("co_visitor"), "co_visitor", errors)
    attendees_raw = raw.get("attendees") or []
    if not isinstance(attendees_raw, list | tuple):
        errors["attendees"] = _("Give the attendees as a list.")
        attendees_raw = []
    if len(attendees_raw) > MAX_ATTENDEES:
        errors["attendees"] = _("Give at most %(n)s attendees.") % {"n": MAX_ATTENDEES}
        attendees_raw = []
    attendee_codes = list(dict.fromkeys(c for c in (as_uuid(a, "attendees", errors) for a in attendees_raw) if c))
    products = _products(raw.get("products") or [], errors)
    if errors:
        raise ValidationError(errors)
    return CallValues(data=out, hcp=hcp_code, institution=inst_code, co_visitor=visitor_code,
                      attendees=attendee_codes, products=products)


def resolve_call_values(values: CallValues) -> CallInput:
    """The rows ``values`` name in this tenant (one query per kind of reference); raises
    ``ValidationError`` by field for a code that names nothing here."""
    errors: dict[str, str] = {}
    out = values.data
    hcp_code, inst_code, visitor_code = values.hcp, values.institution, values.co_visitor
    attendee_codes, products = values.attendees, values.products
    hcp_codes = {c for c in [hcp_code, *attendee_codes] if c}
    hcps = {h.code: h for h in Hcp.objects.filter(code__in=hcp_codes).select_related("institution")} if hcp_codes else {}
    if hcp_code:
        out.hcp = hcps.get(hcp_code)
        if out.hcp is None:
            errors["hcp"] = _("This HCP was not found.")
    out.attendees = [hcps[c] for c in attendee_codes if c in hcps]
    if len(out.attendees) != len(attendee_codes):
        errors["attendees"] = _("An attendee was not found.")
    if inst_code:
        out.institution = Institution.objects.filter(code=inst_code).first()
        if out.institution is None:
            errors["institution"] = _("This institution was not found.")
    if visitor_code:
        out.co_visitor = Membership.objects.filter(code=visitor_code).select_related("user").first()
        if out.co_visitor is None:
            errors["co_visitor"] = _("This colleague was not found.")
    if products:
        brands = {b.code: b for b in Brand.objects.filter(code__in=[b for b, _m in products])}
        messages = {m.code: m for m in KeyMessage.objects.filter(code__in=[c for _b, ms in products for c in ms])}
        for brand_code, message_codes in products:
            brand = brands.get(brand_code)
            if brand is None:
                errors["products"] = _("A product was not found.")
                continue
            found = [messages[c] for c in dict.fromkeys(message_codes) if c in messages]
            if len(found) != len(set(message_codes)):
                errors["products"] = _("A key message was not found.")
            out.products.append(ProductInput(brand=brand, messages=found))
    if errors:
        raise ValidationError(errors)
    return out


def parse_call_input(raw: dict) -> CallInput:
    """Resolve ``raw`` (see the module docstring); raises ``ValidationError`` by field."""
    return resolve_call_values(parse_call_values(raw))

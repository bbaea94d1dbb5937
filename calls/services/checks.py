"""The checks of a call before anything is written (``calls.services.calls.call_save``).

Each check collects field-named messages; ``call_save`` raises them together, so the rep
sees every problem of a form at once and nothing is half-saved.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from customers.models import Affiliation, Hcp, Institution, Status

from ..models.calls import CallType
from .inputs import CallInput

FUTURE_SLACK = dt.timedelta(minutes=5)
NOTES_MAX = 4000
NEXT_STEP_MAX = 300


def local_day(moment: dt.datetime, tenant) -> dt.date:
    return timezone.localtime(moment, zoneinfo.ZoneInfo(tenant.time_zone)).date()


def check_when(data: CallInput, tenant, settings, errors: dict, *, now: dt.datetime, new: bool) -> dt.date | None:
    """The visit's time: not in the future, not before the HCP existed, not so old that it
    would be locked already (for a call logged now). Returns the visit's day."""
    if data.at is None:
        return None
    if data.at > now + FUTURE_SLACK:
        errors["at"] = _("The time of the visit is in the future.")
    day = local_day(data.at, tenant)
    if new and day < tenant.today() - dt.timedelta(days=settings.lock_after_days):
        errors.setdefault("at", _("Calls older than %(n)s days can no longer be logged.") % {"n": settings.lock_after_days})
    for hcp in [data.hcp, *data.attendees]:
        if hcp is not None and day < local_day(hcp.created_at, tenant):
            errors.setdefault("at", _("The visit is dated before %(name)s was in the customer master.")
                              % {"name": hcp.name})
    return day


def _visible_ids(user, ids: set[int], day: dt.date) -> set[int]:
    if not ids:
        return set()
    return set(Hcp.objects.visible_to(user, on=day).filter(pk__in=ids).values_list("pk", flat=True))


def check_customers(data: CallInput, user, day: dt.date | None, errors: dict) -> None:
    """The HCP and the attendees: seen by the rep on the call's day, not merged away; the
    institution: the HCP's primary one or one of their affiliations (or, for a group call
    with no main HCP, one the rep sees or an attendee's)."""
    if data.call_type != CallType.GROUP and data.hcp is None:
        errors.setdefault("hcp", _("Choose the HCP of the call."))
    if data.call_type == CallType.GROUP and not data.attendees:
        errors.setdefault("attendees", _("A group call needs at least one attendee."))
    if day is None:
        return
    ids = {h.pk for h in [data.hcp, *data.attendees] if h is not None}
    visible = _visible_ids(user, ids, day)
    if data.hcp is not None:
        if data.hcp.pk not in visible:
            errors.setdefault("hcp", _("You do not see this HCP on the day of the call."))
        elif data.hcp.status == Status.MERGED:
            errors.setdefault("hcp", _("This HCP was merged into another record; choose that one."))
    bad = [a.name for a in data.attendees if a.pk not in visible or a.status == Status.MERGED]
    if bad:
        errors.setdefault("attendees", _("You do not see these attendees on the day of the call: %(names)s.")
                          % {"names": ", ".join(bad)})
    _check_institution(data, user, day, errors)


def _check_institution(data: CallInput, user, day: dt.date, errors: dict) -> None:
    if data.hcp is not None:
        if data.institution is None:
            data.institution = data.hcp.institution
            return
        if data.institution.pk == data.hcp.institution_id:
            return
        if not Affiliation.objects.filter(hcp=data.hcp, institution=data.institution).exists():
            errors.setdefault("institution", _("%(name)s does not work at this institution.") % {"name": data.hcp.name})
        return
    if data.institution is None:
        if data.attendees:
            data.institution = data.attendees[0].institution
            return
        errors.setdefault("institution", _("Choose the institution."))
        return
    if data.institution.pk in {a.institution_id for a in data.attendees}:
        return
    if not Institution.objects.visible_to(user, on=day).filter(pk=data.institution.pk).exists():
        errors.setdefault("institution", _("You do not see this institution on the day of the call."))


def check_products(data: CallInput, errors: dict, *, kept: tuple[set, set] = (set(), set())) -> None:
    """Products in order, none twice; each key message belongs to its product; a product or
    key message an admin switched off is refused unless the call has it already (``kept``:
    its brand ids and key message ids — an old call stays editable)."""
    seen = set()
    kept_brands, kept_messages = kept
    for item in data.products:
        if item.brand.pk in seen:
            errors.setdefault("products", _("%(brand)s is in the call twice.") % {"brand": item.brand.name})
        seen.add(item.brand.pk)
        if not item.brand.is_active and item.brand.pk not in kept_brands:
            errors.setdefault("products", _("%(brand)s is no longer promoted: choose another product.")
                              % {"brand": item.brand.name})
        wrong = [m.text for m in item.messages if m.brand_id != item.brand.pk]
        if wrong:
            errors.setdefault("products", _("“%(message)s” is not a key message of %(brand)s.")
                              % {"message": wrong[0], "brand": item.brand.name})
        retired = [m.text for m in item.messages if not m.is_active and m.pk not in kept_messages]
        if retired:
            errors.setdefault("products", _("“%(message)s” is no longer a key message in use.")
                              % {"message": retired[0]})


def check_text_and_people(data: CallInput, rep, errors: dict) -> None:
    if len(data.notes) > NOTES_MAX:
        errors["notes"] = _("Use at most %(n)s characters.") % {"n": NOTES_MAX}
    if len(data.next_step) > NEXT_STEP_MAX:
        errors["next_step"] = _("Use at most %(n)s characters.") % {"n": NEXT_STEP_MAX}
    visitor = data.co_visitor
    if visitor is not None:
        if visitor.pk == rep.pk:
            errors["co_visitor"] = _("The co-visiting manager is someone other than you.")
        elif not (visitor.is_active and visitor.has_role(Role.MANAGER)):
            errors["co_visitor"] = _("The co-visitor must be an active member with the manager role.")

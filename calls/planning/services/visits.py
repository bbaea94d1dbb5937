"""Planned visits: ``calls.Call`` rows with ``status="planned"`` (``at`` and ``planned_at``
the planned time, ``day`` its tenant-local date, ``territory`` the rep's on that day). The
``calls`` core turns one into a done call when the rep logs it.

``code`` comes from the client, so planning the same visit twice (a retried request) gives
back the visit already made.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from calls.models import Call
from calls.models.calls import CallSource, CallStatus, CallType
from calls.visibility import territory_of
from customers.models import Hcp
from customers.visibility import customer_visible_q
from sfe.core.tenancy import current_tenant


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(current_tenant().time_zone)


def local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(_zone()).date()


def at_on(day: dt.date, time: dt.time) -> dt.datetime:
    """The aware datetime of ``day`` at ``time`` in the tenant's time zone."""
    return dt.datetime.combine(day, time, tzinfo=_zone())


def _check_when(at, field: str = "at") -> dt.date:
    if at is None:
        raise ValidationError({field: _("Enter the day and time of the visit.")})
    if timezone.is_naive(at):
        raise ValidationError({field: _("Give the time with its time zone.")})
    day = local_day(at)
    if day < current_tenant().today():
        raise ValidationError({field: _("A visit is planned for today or a later day.")})
    return day


def _rep_sees(rep: Membership, hcp: Hcp, day: dt.date) -> bool:
    user = rep.user
    user.membership = rep
    return Hcp.objects.live().filter(pk=hcp.pk).filter(customer_visible_q(Hcp, user, on=day)).exists()


@transaction.atomic
def visit_plan(*, rep: Membership, hcp: Hcp | None, at: dt.datetime | None, by: Membership,
               code: uuid.UUID | None = None, source: str = CallSource.WEB) -> Call:
    """Plan a visit of ``rep`` to ``hcp`` at ``at``; idempotent by ``code``."""
    if by.pk != rep.pk:
        raise PermissionDenied(_("Reps plan their own visits."))
    if code is not None:
        existing = Call.objects.filter(code=code).first()
        if existing is not None:
            if existing.rep_id != rep.pk:
                raise ValidationError({"code": _("This code belongs to another call.")})
            return existing
    if hcp is None:
        raise ValidationError({"hcp": _("Choose an HCP.")})
    day = _check_when(at)
    if not _rep_sees(rep, hcp, day):
        raise ValidationError({"hcp": _("This HCP is not in your territories on that day.")})
    call = Call(rep=rep, hcp=hcp, institution_id=hcp.institution_id, status=CallStatus.PLANNED,
                call_type=CallType.FACE_TO_FACE, at=at, planned_at=at, day=day, territory=territory_of(rep, day),
                source=source)
    if code is not None:
        call.code = code
    call.save()
    return call


def _planned_of(call: Call, by: Membership) -> Call:
    call = Call.objects.select_for_update(of=("self",)).select_related("hcp").get(pk=call.pk)
    if call.rep_id != by.pk:
        raise PermissionDenied(_("Only the rep moves or cancels their visits."))
    if call.status != CallStatus.PLANNED:
        raise ValidationError({"status": _("This call is logged already: it is no longer a planned visit.")})
    return call


@transaction.atomic
def visit_move(*, call: Call, by: Membership, day: dt.date | None = None, at: dt.datetime | None = None) -> Call:
    """Move a planned visit to another day (keeping its time) or to another time."""
    call = _planned_of(call, by)
    if at is None:
        if day is None:
            raise ValidationError({"day": _("Enter the new day.")})
        at = at_on(day, call.at.astimezone(_zone()).time())
    new_day = _check_when(at, "day")
    if call.hcp_id and not _rep_sees(by, call.hcp, new_day):
        raise ValidationError({"day": _("This HCP is not in your territories on that day.")})
    call.at, call.planned_at, call.day = at, at, new_day
    call.territory = territory_of(by, new_day)
    call.save(update_fields=["at", "planned_at", "day", "territory", "updated_at"])
    return call


@transaction.atomic
def visit_cancel(*, call: Call, by: Membership) -> None:
    call = _planned_of(call, by)
    call.delete()

"""Logging a call: ``call_save`` creates or changes a draft, submits, converts a planned
call, or edits a submitted one with a reason — idempotent by the client's ``code``.

* A **new code** makes a new call (draft or submitted).
* The code of one of the rep's **planned** calls turns it into the draft or submitted call
  (``planned_at`` keeps the planned time).
* The code of the rep's **draft** updates it (and submits it when asked).
* The code of the rep's **submitted** call, sent again (a retried submit, an offline
  replay, the API's second POST), returns that call unchanged: never a second one. Only
  an *edit* (``edit=True``: the edit page, the API's PATCH) changes it, with a reason that
  the audit rows carry, counting ``edit_count`` up; a locked call, or one past the tenant's
  ``lock_after_days`` (locked on the spot), is refused.
* A code of **another rep's** call is refused. (Another tenant's calls are invisible under
  row-level security: their code is simply unknown here, and the unique key is per tenant.)

Everything the rep sent is checked first (``checks``), all messages together by field,
and then written in one transaction. Check-in (when the tenant has it on) records the
browser's location and its distance to the institution; a refused location (none sent)
never blocks. ``is_far`` / ``is_late`` are the manager's flags.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.validation import text
from sfe.core.tenancy import audit_reason, current_tenant

from ..geo import distance_to
from ..models import Call, CallAttendee, CallMessage, CallProduct, CallSettings, FollowUp
from ..models.calls import CallSource, CallStatus
from ..visibility import territory_of
from . import checks, fast
from .inputs import CallInput, CallValues, resolve_call_values
from .rows import call_code, follow_up_due, stamp_saved
from .settings import settings_get

REASON_MAX = 300


class _TooLate(Exception):
    def __init__(self, call_id: int, days: int):
        super().__init__(call_id)
        self.call_id, self.days = call_id, days


def call_save(*, rep, code, data: CallInput | CallValues, submit: bool, reason: str = "", edit: bool = False,
              source: str = CallSource.WEB) -> tuple[Call, bool]:
    """Save the call with ``code`` for ``rep`` (a Membership); returns ``(call, changed)``:
    ``changed`` is False when the request repeated one already done (nothing written).

    ``data``: the rows (``parse_call_input``), or the values not yet looked up
    (``parse_call_values``), with which a new call takes the fast path (``fast``) when it can."""
    if isinstance(data, CallValues):
        if not edit:
            call = fast.call_new(rep=rep, code=code, values=data, submit=submit, source=source, reason=reason)
            if call is not None:
                return call, True
        data = resolve_call_values(data)
    try:
        return _call_save(rep=rep, code=code, data=data, submit=submit, reason=reason, edit=edit, source=source)
    except _TooLate as late:
        lock_calls(ids=[late.call_id])  # its own transaction: the lock stays although the edit is refused
        raise ValidationError({NON_FIELD_ERRORS: _(
            "This call is locked: submitted calls can be changed for %(n)s days after the visit.")
            % {"n": late.days}}) from None


@transaction.atomic
def _call_save(*, rep, code, data: CallInput, submit: bool, reason: str, edit: bool, source: str):
    code = call_code(code)
    tenant = current_tenant()
    settings = settings_get()
    now = timezone.now()
    call = Call.objects.select_for_update().filter(code=code).first()
    if call is not None and call.rep_id != rep.pk:
        raise ValidationError({"code": _("This call belongs to someone else.")})
    if call is not None and call.status == CallStatus.SUBMITTED:
        if not edit:
            return call, False  # a repeated submit: the call is made already
        _editable(call, tenant, settings)
        reason = text(reason or "")
        if not reason:
            raise ValidationError({"reason": _("Say why you change a submitted call.")})
        if len(reason) > REASON_MAX:
            raise ValidationError({"reason": _("Use at most %(n)s characters.") % {"n": REASON_MAX}})
    errors: dict[str, str] = {}
    is_new = call is None or call.status == CallStatus.PLANNED
    day = checks.check_when(data, tenant, settings, errors, now=now, new=is_new)
    checks.check_customers(data, _user_of(rep), day, errors)
    checks.check_products(data, errors, kept=_kept_products(call))
    checks.check_text_and_people(data, rep, errors)
    if errors:
        raise ValidationError(errors)
    with audit_reason(reason):
        call = _write(call, rep=rep, code=code, data=data, day=day, submit=submit, source=source,
                      settings=settings, now=now)
    return call, True


def _kept_products(call: Call | None) -> tuple[set, set]:
    """The brand ids and key message ids ``call`` has already (none for a new call)."""
    if call is None:
        return set(), set()
    rows = list(CallProduct.objects.filter(call=call).values_list("brand_id", "messages__key_message_id"))
    return {brand for brand, _m in rows}, {message for _b, message in rows if message is not None}


def _user_of(rep):
    """The rep's user with the membership on it, as visibility reads it (no query when it is
    the request's own: the middleware caches them on each other)."""
    user = rep.user
    if getattr(user, "membership", None) is None:
        user.membership = rep
    return user


def _editable(call: Call, tenant, settings: CallSettings) -> None:
    if call.locked_at is not None:
        raise ValidationError({NON_FIELD_ERRORS: _("This call is locked and can no longer be changed.")})
    if call.day < tenant.today() - dt.timedelta(days=settings.lock_after_days):
        raise _TooLate(call.pk, settings.lock_after_days)


def _write(call: Call | None, *, rep, code, data: CallInput, day, submit, source, settings, now) -> Call:
    was_submitted = call is not None and call.status == CallStatus.SUBMITTED
    new = call is None
    if call is None:
        call = Call(code=code, rep=rep)
    elif call.status == CallStatus.PLANNED:
        call.planned_at = call.planned_at or call.at
    call.call_type, call.at, call.day = data.call_type, data.at, day
    call.hcp, call.institution = data.hcp, data.institution
    call.department_id = data.hcp.department_id if data.hcp is not None else None
    call.duration_min, call.notes, call.next_step = data.duration_min, data.notes, data.next_step
    call.co_visitor = data.co_visitor
    call.territory = territory_of(rep, day)
    _checkin(call, data, settings, now)
    if was_submitted:
        call.edit_count += 1
    else:
        stamp_saved(call, submit=submit, source=source, late_hours=settings.late_hours, now=now)
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError:  # the same code saved by a concurrent request: the first one wins
        raise ValidationError({"code": _("This call is being saved already; reload the page.")}) from None
    _write_parts(call, data, new=new)
    if call.status == CallStatus.SUBMITTED:
        _follow_up(call, data, rep)
    return call


def _checkin(call: Call, data: CallInput, settings: CallSettings, now) -> None:
    """Record the location when the tenant asks for it and the browser gave one; keep an
    earlier check-in when this request has none (a refusal changes nothing)."""
    if settings.checkin == CallSettings.CheckIn.OFF or data.checkin_lat is None:
        if call.checkin_lat is not None:
            call.distance_m = distance_to(call.institution, call.checkin_lat, call.checkin_lng)
            call.is_far = call.distance_m is not None and call.distance_m > settings.far_distance_m
        return
    call.checkin_lat, call.checkin_lng = data.checkin_lat, data.checkin_lng
    call.checkin_accuracy_m = data.checkin_accuracy_m
    call.checkin_at = min(data.checkin_at or now, now)
    call.distance_m = distance_to(call.institution, call.checkin_lat, call.checkin_lng)
    call.is_far = call.distance_m is not None and call.distance_m > settings.far_distance_m


def _write_parts(call: Call, data: CallInput, *, new: bool) -> None:
    """Products (in order) with their messages, and attendees: replaced as a whole, a fixed
    number of statements whatever their number (a call made just now has none to remove)."""
    if not new:
        CallProduct.objects.filter(call=call).delete()
        CallAttendee.objects.filter(call=call).delete()
    if data.products:
        rows = CallProduct.objects.bulk_create([CallProduct(call=call, brand=p.brand, position=i + 1)
                                                for i, p in enumerate(data.products)])
        CallMessage.objects.bulk_create([CallMessage(call_product=row, key_message=m)
                                         for row, p in zip(rows, data.products, strict=True) for m in p.messages])
    if data.attendees:
        CallAttendee.objects.bulk_create([CallAttendee(call=call, hcp=h) for h in data.attendees])


def _follow_up(call: Call, data: CallInput, rep) -> None:
    """The next step becomes (or updates) the call's open follow-up task."""
    if not data.next_step:
        return
    task = FollowUp.objects.filter(call=call).order_by("pk").first()
    due = follow_up_due(data.next_step_due, current_tenant().today())
    if task is None:
        FollowUp.objects.create(assignee=rep, hcp=call.hcp, call=call, title=data.next_step, due_date=due)
    elif task.done_at is None and (task.title != data.next_step or (data.next_step_due and task.due_date != due)):
        task.title, task.due_date = data.next_step, due
        task.save(update_fields=["title", "due_date"])


# --------------------------------------------------------------------------- lock


def lock_calls(*, ids: list[int] | None = None) -> int:
    """Lock what is due in the current tenant: one UPDATE of every submitted, unlocked call
    whose day is more than ``lock_after_days`` ago (``ids``: only those calls). Returns how
    many were locked."""
    settings = settings_get()
    cutoff = current_tenant().today() - dt.timedelta(days=settings.lock_after_days)
    with transaction.atomic():
        qs = Call.objects.filter(status=CallStatus.SUBMITTED, locked_at__isnull=True, day__lt=cutoff)
        if ids is not None:
            qs = qs.filter(pk__in=ids)
        return qs.update(locked_at=timezone.now())

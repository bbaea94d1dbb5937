"""What a saved call holds that both ways of saving it decide alike: the general path
(``calls``) and the new call's fast path (``fast``) — the client's code, the status stamps
of a draft or a submit, and the due date of the follow-up a next step makes."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models.calls import CallStatus

FOLLOW_UP_DAYS = 7


def call_code(code) -> uuid.UUID:
    """The client's code as a UUID; refused by field when missing or malformed."""
    try:
        return code if isinstance(code, uuid.UUID) else uuid.UUID(str(code).strip())
    except (ValueError, AttributeError):
        raise ValidationError({"code": _("The form's code is missing or not valid; reload the form.")}) from None


def stamp_saved(call, *, submit: bool, source: str, late_hours: int, now: dt.datetime) -> None:
    """A call saved as submitted (when, from where, late?) or as a draft."""
    if submit:
        call.status, call.submitted_at, call.source = CallStatus.SUBMITTED, now, source
        call.is_late = now - call.at > dt.timedelta(hours=late_hours)
    else:
        call.status, call.source = CallStatus.DRAFT, source


def follow_up_due(next_step_due: dt.date | None, today: dt.date) -> dt.date:
    return next_step_due or today + dt.timedelta(days=FOLLOW_UP_DAYS)

"""The tenant's call settings (one row; absent = the model's defaults)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import CallSettings

#: field → (lowest, highest) allowed
LIMITS = {"lock_after_days": (1, 90), "far_distance_m": (50, 100_000), "late_hours": (1, 720)}


def settings_get() -> CallSettings:
    """The tenant's settings (an unsaved row with the defaults if it has none)."""
    return CallSettings.objects.first() or CallSettings()


def _whole(field: str, value) -> int:
    low, high = LIMITS[field]
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({field: _("Give a whole number from %(low)s to %(high)s.")
                               % {"low": low, "high": high}}) from None
    if not low <= number <= high:
        raise ValidationError({field: _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}})
    return number


@transaction.atomic
def settings_update(*, lock_after_days=..., checkin=..., far_distance_m=..., late_hours=...,
                    signature_required=...) -> CallSettings:
    """Change what is given (``...`` = leave as is); every value is checked before anything is saved."""
    row = CallSettings.objects.select_for_update().first() or CallSettings()
    values = {}
    for field, value in (("lock_after_days", lock_after_days), ("far_distance_m", far_distance_m),
                         ("late_hours", late_hours)):
        if value is not ...:
            values[field] = _whole(field, value)
    if checkin is not ...:
        if checkin not in CallSettings.CheckIn.values:
            raise ValidationError({"checkin": _("Choose off or optional.")})
        values["checkin"] = checkin
    if signature_required is not ...:
        values["signature_required"] = bool(signature_required)
    for field, value in values.items():
        setattr(row, field, value)
    row.save()
    return row

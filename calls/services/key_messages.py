"""Key messages per brand (admins): create, change, reorder, deactivate.

A deactivated message is no longer offered in the call form, but calls that carried it keep
it (and a call sent from a phone that was offline while the message was deactivated is
still accepted: see ``calls.services.calls``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from customers.validation import text

from ..models import KeyMessage

TEXT_MAX = 200


def _text(value) -> str:
    value = text(value).replace("\n", " ")
    if not value:
        raise ValidationError({"text": _("Write the message.")})
    if len(value) > TEXT_MAX:
        raise ValidationError({"text": _("Use at most %(n)s characters.") % {"n": TEXT_MAX}})
    return value


def _unique(brand, value: str, exclude_pk=None) -> None:
    qs = KeyMessage.objects.filter(brand=brand, text=value)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    if qs.exists():
        raise ValidationError({"text": _("This brand has this key message already.")})


@transaction.atomic
def key_message_create(*, brand, text: str) -> KeyMessage:
    """Add a message at the end of the brand's list."""
    if brand is None:
        raise ValidationError({"brand": _("Choose the brand.")})
    value = _text(text)
    _unique(brand, value)
    last = KeyMessage.objects.filter(brand=brand).aggregate(m=Max("position"))["m"]
    try:
        with transaction.atomic():
            return KeyMessage.objects.create(brand=brand, text=value, position=(last or 0) + 1)
    except IntegrityError:  # a concurrent twin
        raise ValidationError({"text": _("This brand has this key message already.")}) from None


@transaction.atomic
def key_message_update(*, message: KeyMessage, text=..., is_active=...) -> KeyMessage:
    message = KeyMessage.objects.select_for_update().get(pk=message.pk)
    if text is not ...:
        value = _text(text)
        _unique(message.brand_id, value, exclude_pk=message.pk)
        message.text = value
    if is_active is not ...:
        message.is_active = bool(is_active)
    message.save()
    return message


def key_message_deactivate(*, message: KeyMessage) -> KeyMessage:
    return key_message_update(message=message, is_active=False)


@transaction.atomic
def key_message_reorder(*, brand, codes: list) -> list[KeyMessage]:
    """Put the brand's messages in the order of ``codes`` (every message of the brand, once);
    one UPDATE for the whole list."""
    from django.db.models import Case, IntegerField, Value, When

    current = {str(m.code): m for m in KeyMessage.objects.select_for_update().filter(brand=brand)}
    wanted = [str(c) for c in codes]
    if sorted(wanted) != sorted(current) or len(set(wanted)) != len(wanted):
        raise ValidationError({"order": _("Give every message of the brand once.")})
    if wanted:
        whens = [When(pk=current[c].pk, then=Value(i + 1)) for i, c in enumerate(wanted)]
        KeyMessage.objects.filter(brand=brand).update(position=Case(*whens, output_field=IntegerField()))
    return list(KeyMessage.objects.filter(brand=brand).order_by("position", "id"))

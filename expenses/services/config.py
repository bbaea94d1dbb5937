"""Spend-control configuration (admins and finance): expense categories, per-HCP spend caps
and exchange rates. Each refusal a ``ValidationError`` naming the field; nothing half-saved;
the audit trail is the database trigger's.

* category: a name, a ``key`` (a slug, unique in the tenant: what approval chains match on),
  whether its lines name the HCPs who benefited, an order, active or not;
* cap: one active cap per category (or one for all categories together), a limit per HCP
  per fiscal year above zero, warn at 1–100 percent, hard (refused) or soft (an extra
  approval step); a cap is deactivated, never deleted (its tallies say what was counted);
* exchange rate: a three-letter ISO currency other than the tenant's, a rate above zero
  (tenant currency per unit), valid from a day; one rate per currency and day.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from customers.validation import text
from sfe.core.tenancy import current_tenant

from ..models import ExchangeRate, ExpenseCategory, SpendCap
from .budgets import budget_places, require_configurer
from .money import clean_currency, parse_decimal

KEY_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
MAX_LIMIT = Decimal("999999999999.99")
MAX_RATE = Decimal("99999999")


# --------------------------------------------------------------------------- categories


def _category_name(value) -> str:
    value = text(value)
    if not value:
        raise ValidationError({"name": _("Give the category a name.")})
    if len(value) > 100:
        raise ValidationError({"name": _("Use at most %(n)s characters.") % {"n": 100}})
    return value


def _key(value) -> str:
    value = text(value).lower()
    if not value:
        raise ValidationError({"key": _("Give the category a key, such as meals.")})
    if len(value) > 60:
        raise ValidationError({"key": _("Use at most %(n)s characters.") % {"n": 60}})
    if not KEY_RE.match(value):
        raise ValidationError({"key": _("Use lower-case letters, digits, “-” and “_” only, such as speaker-fees.")})
    return value


def _position(value) -> int:
    if value in (None, ""):
        return 0
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"position": _("Give the order as a whole number.")}) from None
    if not 0 <= value <= 32767:
        raise ValidationError({"position": _("Give the order as a number from 0 to 32767.")})
    return value


def _save_category(category: ExpenseCategory, fields=None) -> ExpenseCategory:
    try:
        with transaction.atomic():
            category.save(update_fields=fields) if fields else category.save()
    except IntegrityError:
        raise ValidationError({"key": _("A category with this key exists already.")}) from None
    return category


@transaction.atomic
def category_create(*, by, name, key, needs_hcp: bool = False, position=0, is_active: bool = True) -> ExpenseCategory:
    require_configurer(by, "name")
    category = ExpenseCategory(name=_category_name(name), key=_key(key), needs_hcp=bool(needs_hcp),
                               position=_position(position), is_active=bool(is_active))
    if ExpenseCategory.objects.filter(key=category.key).exists():
        raise ValidationError({"key": _("A category with this key exists already.")})
    return _save_category(category)


@transaction.atomic
def category_update(*, category: ExpenseCategory, by, name=..., key=..., needs_hcp=..., position=...,
                    is_active=...) -> ExpenseCategory:
    """Change what is given (``...`` = leave as is). Lines already filed keep their category."""
    require_configurer(by, "name")
    category = ExpenseCategory.objects.select_for_update().get(pk=category.pk)
    if name is not ...:
        category.name = _category_name(name)
    if key is not ...:
        category.key = _key(key)
        if ExpenseCategory.objects.filter(key=category.key).exclude(pk=category.pk).exists():
            raise ValidationError({"key": _("A category with this key exists already.")})
    if needs_hcp is not ...:
        category.needs_hcp = bool(needs_hcp)
    if position is not ...:
        category.position = _position(position)
    if is_active is not ...:
        category.is_active = bool(is_active)
    return _save_category(category, ["name", "key", "needs_hcp", "position", "is_active"])


# --------------------------------------------------------------------------- caps


def _limit(value) -> Decimal:
    return parse_decimal("annual_limit", value, places=budget_places(), maximum=MAX_LIMIT,
                         empty=_("Enter the limit."), not_positive=_("A cap must be more than zero."))


def _warn(value) -> int:
    try:
        value = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError({"warn_percent": _("Warn at a percentage from 1 to 100.")}) from None
    if not 1 <= value <= 100:
        raise ValidationError({"warn_percent": _("Warn at a percentage from 1 to 100.")})
    return value


def _one_active(category, *, without: int | None = None) -> None:
    others = SpendCap.objects.filter(is_active=True, category=category)
    if without is not None:
        others = others.exclude(pk=without)
    if others.exists():
        message = (_("%(category)s has an active cap already: change or deactivate it.") % {"category": category.name}
                   if category is not None else
                   _("There is an active cap for all categories already: change or deactivate it."))
        raise ValidationError({"category": message})


def _save_cap(cap: SpendCap, fields=None) -> SpendCap:
    try:
        with transaction.atomic():
            cap.save(update_fields=fields) if fields else cap.save()
    except IntegrityError:  # two caps for the same category saved at the same moment
        raise ValidationError({"category": _("This category has an active cap already.")}) from None
    return cap


@transaction.atomic
def cap_create(*, by, annual_limit, category=None, is_hard: bool = True, warn_percent=80) -> SpendCap:
    """A new active cap for ``category`` (``None``: all categories together)."""
    require_configurer(by, "annual_limit")
    if category is not None and not category.is_active:
        raise ValidationError({"category": _("%(name)s is no longer in use.") % {"name": category.name}})
    cap = SpendCap(category=category, annual_limit=_limit(annual_limit), is_hard=bool(is_hard),
                   warn_percent=_warn(warn_percent), is_active=True)
    _one_active(category)
    return _save_cap(cap)


@transaction.atomic
def cap_update(*, cap: SpendCap, by, annual_limit=..., is_hard=..., warn_percent=...) -> SpendCap:
    """Change the limit, hard or soft, the warning. What claims counted so far stays counted."""
    require_configurer(by, "annual_limit")
    cap = SpendCap.objects.select_for_update().get(pk=cap.pk)
    if not cap.is_active:
        raise ValidationError({"annual_limit": _("This cap is no longer active: add a new one instead.")})
    if annual_limit is not ...:
        cap.annual_limit = _limit(annual_limit)
    if is_hard is not ...:
        cap.is_hard = bool(is_hard)
    if warn_percent is not ...:
        cap.warn_percent = _warn(warn_percent)
    return _save_cap(cap, ["annual_limit", "is_hard", "warn_percent", "updated_at"])


@transaction.atomic
def cap_deactivate(*, cap: SpendCap, by) -> SpendCap:
    """The cap stops applying to new claims; claims already submitted keep their tallies."""
    require_configurer(by, "annual_limit")
    cap = SpendCap.objects.select_for_update().get(pk=cap.pk)
    if cap.is_active:
        cap.is_active = False
        cap.save(update_fields=["is_active", "updated_at"])
    return cap


# --------------------------------------------------------------------------- exchange rates


def _rate(value) -> Decimal:
    return parse_decimal("rate", value, places=8, maximum=MAX_RATE, empty=_("Enter the rate."),
                         not_number=_("“%(value)s” is not a number."), not_positive=_("A rate must be more than zero."),
                         too_big=_("A rate above %(max)s is surely a typo."))


@transaction.atomic
def rate_add(*, by, currency, rate, valid_from) -> ExchangeRate:
    """Tenant currency per unit of ``currency`` from ``valid_from`` on (until the next rate)."""
    require_configurer(by, "currency")
    currency = clean_currency("currency", currency)
    tenant = current_tenant()
    if tenant is not None and currency == tenant.currency:
        raise ValidationError({"currency": _("%(currency)s is the tenant's own currency: it needs no rate.")
                               % {"currency": currency}})
    value = _rate(rate)
    if not isinstance(valid_from, dt.date):
        raise ValidationError({"valid_from": _("Enter a valid date.")})
    if ExchangeRate.objects.filter(currency=currency, valid_from=valid_from).exists():
        raise ValidationError({"valid_from": _("%(currency)s has a rate from that day already.")
                               % {"currency": currency}})
    try:
        with transaction.atomic():
            return ExchangeRate.objects.create(currency=currency, rate=value, valid_from=valid_from)
    except IntegrityError:
        raise ValidationError({"valid_from": _("%(currency)s has a rate from that day already.")
                               % {"currency": currency}}) from None

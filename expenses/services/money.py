"""Money rules: amounts as ``Decimal`` with no more decimals than their currency has, rates to
the tenant's currency, even splits across HCPs, and the tenant's fiscal year."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.validation import text

#: ISO 4217 minor units that are not 2 (every other currency has two decimals).
MINOR_UNITS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
    "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}
MAX_AMOUNT = Decimal("100000000")  # one line; a typo guard, far above any real expense
CENT = Decimal("0.01")


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


def clean_currency(field: str, value) -> str:
    code = str(value or "").strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValidationError({field: _("Give the currency as a three-letter code such as CNY.")})
    return code


def parse_decimal(field: str, value, *, places: int, maximum: Decimal, allow_zero: bool = False,
                  empty: str | None = None, not_number: str | None = None, not_positive: str | None = None,
                  decimals: str | None = None, too_big: str | None = None) -> Decimal:
    """A number as typed ("1,280.50", full-width digits, spaces) with at most ``places``
    decimals, above zero (or zero too with ``allow_zero``) and at most ``maximum``; each
    refusal names ``field``, in the words given or the amount's default ones."""
    raw = text(value).replace(",", "").replace(" ", "")
    if not raw:
        raise ValidationError({field: empty or _("Enter the amount.")})
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValidationError({field: (not_number or _("“%(value)s” is not an amount.")) % {"value": raw[:30]}})
    if number < 0 or (number == 0 and not allow_zero):
        raise ValidationError({field: not_positive or _("An amount must be more than zero.")})
    if number != number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        raise ValidationError({field: decimals or _("Use at most %(n)s decimals.") % {"n": places}})
    if number > maximum:
        raise ValidationError({field: (too_big or _("An amount above %(max)s is surely a typo.")) % {
            "max": f"{maximum:,}"}})
    return number


def clean_amount(field: str, value, currency: str) -> Decimal:
    """A positive amount with at most the currency's decimals; "1,280.50" and " 1280.5 " are fine."""
    places = minor_units(currency)
    if places == 0:
        decimals = _("%(currency)s has no decimals: give a whole amount.") % {"currency": currency}
    else:
        decimals = _("%(currency)s has %(n)s decimals at most.") % {"currency": currency, "n": places}
    return parse_decimal(field, value, places=places, maximum=MAX_AMOUNT, decimals=decimals)


def to_base(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def split(amount: Decimal, n: int) -> list[Decimal]:
    """``amount`` in ``n`` shares that add up exactly (the remainder cents on the first)."""
    if n <= 0:
        return []
    share = (amount / n).quantize(CENT, rounding="ROUND_DOWN")
    shares = [share] * n
    shares[0] += amount - share * n
    return shares


def fiscal_year(day: dt.date, start_month: int) -> int:
    """The fiscal year of ``day``, named by the calendar year it starts in."""
    return day.year if day.month >= start_month else day.year - 1


def fiscal_year_bounds(year: int, start_month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, start_month, 1)
    end = dt.date(year + 1, start_month, 1) - dt.timedelta(days=1)
    return start, end


def money(amount: Decimal | None, currency: str) -> str:
    """"1,280.50 CNY" — grouping, the currency's decimals."""
    if amount is None:
        return "—"
    places = minor_units(currency)
    return f"{amount:,.{places}f} {currency}"

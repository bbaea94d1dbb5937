"""Number formatting that groups thousands in every language (Django's zh-Hans formats do
not), e.g. ``{{ n|grouped }}`` → 1,234,567 and ``{{ amount|money }}`` → 1,234.50."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def grouped(value) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)


@register.filter
def money(value, places: int = 2) -> str:
    try:
        return f"{Decimal(value):,.{int(places)}f}"
    except (TypeError, ValueError, InvalidOperation):
        return "" if value is None else str(value)

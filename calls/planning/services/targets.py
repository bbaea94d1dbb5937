"""Frequency targets, cycles and the planning limits (tenant admins)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from sfe.core.tenancy import require_tenant_id

from ..models import TIERS, Cycle, FrequencyTarget, PlanningSettings

MAX_CALLS = 60


def _count(value, field: str) -> int | None:
    """A number of calls from a form or JSON value; empty means none."""
    if value in (None, ""):
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: _("Enter a whole number of calls.")}) from None
    if n < 0 or n > MAX_CALLS:
        raise ValidationError({field: _("Enter a number of calls from 0 to %(max)s.") % {"max": MAX_CALLS}})
    return n


@transaction.atomic
def frequency_targets_set(*, product_line, calls: dict[str, object], by=None) -> list[FrequencyTarget]:
    """Set the calls per cycle of ``product_line``'s tiers (``{"A": 4, "B": "", …}``; empty
    removes the tier's target). All tiers are checked before anything is written."""
    if product_line is None:
        raise ValidationError({"product_line": _("Choose a product line.")})
    values: dict[str, int | None] = {}
    for tier, value in calls.items():
        if tier not in TIERS:
            raise ValidationError({"tier": _("Unknown tier %(tier)s.") % {"tier": tier}})
        values[tier] = _count(value, f"tier_{tier}")
    keep = {t: n for t, n in values.items() if n is not None}
    FrequencyTarget.objects.filter(product_line=product_line, tier__in=[t for t, n in values.items() if n is None]).delete()
    existing = {ft.tier: ft for ft in FrequencyTarget.objects.select_for_update().filter(product_line=product_line)}
    changed = []
    for tier, n in keep.items():
        ft = existing.get(tier)
        if ft is None:
            changed.append(FrequencyTarget.objects.create(product_line=product_line, tier=tier, calls_per_cycle=n))
        elif ft.calls_per_cycle != n:
            ft.calls_per_cycle = n
            ft.save(update_fields=["calls_per_cycle", "updated_at"])
            changed.append(ft)
    return changed


def targets_by_line() -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for ft in FrequencyTarget.objects.all():
        out.setdefault(ft.product_line_id, {})[ft.tier] = ft.calls_per_cycle
    return out


# --------------------------------------------------------------------------- limits


def settings_get() -> PlanningSettings:
    """The tenant's limits (an unsaved row with the defaults if it has none)."""
    return PlanningSettings.objects.first() or PlanningSettings()


SETTINGS_FIELDS = ("max_calls_per_cycle", "max_calls_per_hcp", "max_non_target_pct", "max_change_pct")


@transaction.atomic
def settings_update(*, by=None, **values) -> PlanningSettings:
    settings = PlanningSettings.objects.select_for_update().first() or PlanningSettings()
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("Unknown setting.")})
    for name, value in values.items():
        setattr(settings, name, value)
    settings.full_clean(exclude=["tenant"])
    if settings.pk:
        settings.save(update_fields=[*values, "updated_at"])
    else:
        settings.save()
    return settings


# --------------------------------------------------------------------------- cycles


def _check_cycle(cycle: Cycle) -> None:
    errors = {}
    if not (cycle.name or "").strip():
        errors["name"] = _("Give the cycle a name.")
    if cycle.start_date is None:
        errors["start_date"] = _("Enter the start date.")
    if cycle.end_date is None:
        errors["end_date"] = _("Enter the end date.")
    if errors:
        raise ValidationError(errors)
    if cycle.end_date < cycle.start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    clash = Cycle.objects.filter(start_date__lte=cycle.end_date, end_date__gte=cycle.start_date)
    if cycle.pk:
        clash = clash.exclude(pk=cycle.pk)
    other = clash.first()
    if other is not None:
        raise ValidationError({"start_date": _("This cycle overlaps the cycle %(name)s.") % {"name": other.name}})


@transaction.atomic
def cycle_create(*, name: str, start_date: dt.date, end_date: dt.date, by=None) -> Cycle:
    cycle = Cycle(name=(name or "").strip(), start_date=start_date, end_date=end_date)
    _check_cycle(cycle)
    try:
        with transaction.atomic():
            cycle.save()
    except IntegrityError:  # a concurrent overlapping cycle: the exclusion constraint decides
        raise ValidationError({"start_date": _("This cycle overlaps another cycle.")}) from None
    return cycle


@transaction.atomic
def cycle_update(*, cycle: Cycle, name: str, start_date: dt.date, end_date: dt.date, by=None) -> Cycle:
    if cycle.plans.exists() and (start_date != cycle.start_date or end_date != cycle.end_date):
        raise ValidationError({"start_date": _("Plans exist for this cycle: its dates cannot change.")})
    cycle.name, cycle.start_date, cycle.end_date = (name or "").strip(), start_date, end_date
    _check_cycle(cycle)
    cycle.save(update_fields=["name", "start_date", "end_date"])
    return cycle


@transaction.atomic
def cycles_make_months(*, year: int, by=None) -> int:
    """The monthly cycles of ``year`` (named ``2025-01`` …), one ``INSERT … SELECT``; a month
    that would overlap an existing cycle is left out. Returns how many were made."""
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Enter a year from 2000 to 2100.")})
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO planning_cycle (tenant_id, code, name, start_date, end_date, created_at)
            SELECT %(t)s, gen_random_uuid(), to_char(m, 'YYYY-MM'), m::date, (m + interval '1 month - 1 day')::date, now()
              FROM generate_series(make_date(%(y)s, 1, 1), make_date(%(y)s, 12, 1), interval '1 month') AS m
             WHERE NOT EXISTS (SELECT 1 FROM planning_cycle c WHERE c.tenant_id = %(t)s
                                AND daterange(c.start_date, c.end_date, '[]')
                                    && daterange(m::date, (m + interval '1 month - 1 day')::date, '[]'))
            """,
            {"t": require_tenant_id(), "y": year},
        )
        return cur.rowcount


def cycle_on(day: dt.date) -> Cycle | None:
    return Cycle.objects.filter(start_date__lte=day, end_date__gte=day).first()

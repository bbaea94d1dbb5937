"""Celery entry points of expenses: the nightly spend-against-value flags (R20).

* ``expenses.spend_flags`` — in one tenant, ``services.flags.spend_flags_recompute``: one
  transaction that replaces the tenant's ``SpendFlag`` rows set-based;
* ``expenses.spend_flags_all_tenants`` — the nightly fan-out (beat, ``sfe.schedule``): one
  ``expenses.spend_flags`` per active tenant, each inside its tenant.
"""

from __future__ import annotations

from celery import shared_task

from sfe.core.tasks import TenantTask, fan_out

__all__ = ["spend_flags", "spend_flags_all_tenants"]


@shared_task(base=TenantTask, name="expenses.spend_flags")
def spend_flags() -> dict:
    """Recompute the current tenant's spend flags; returns the count and the period."""
    from .services.flags import spend_flags_recompute

    run = spend_flags_recompute()
    return {"flags": run.flags, "period_start": run.period_start.isoformat(), "period_end": run.period_end.isoformat()}


@shared_task(base=TenantTask, name="expenses.spend_flags_all_tenants", tenant_required=False, atomic=False)
def spend_flags_all_tenants() -> int:
    """Fan out: one ``expenses.spend_flags`` per active tenant. Returns how many."""
    return fan_out(spend_flags)

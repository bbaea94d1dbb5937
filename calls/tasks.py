"""Celery entry points of calls: the nightly lock, one task per tenant (never per call).

* ``calls.lock_due`` — in one tenant, one set-based UPDATE locks every submitted call whose
  day is more than the tenant's ``lock_after_days`` ago (``services.calls.lock_calls``);
* ``calls.lock_due_all_tenants`` — the nightly fan-out (beat, ``sfe.schedule``): one
  ``calls.lock_due`` per active tenant.
"""

from __future__ import annotations

from celery import shared_task

from sfe.core.tasks import TenantTask, fan_out

__all__ = ["lock_due", "lock_due_all_tenants"]


@shared_task(base=TenantTask, name="calls.lock_due")
def lock_due() -> int:
    """Lock the current tenant's calls that are due; returns how many."""
    from .services import lock_calls

    return lock_calls()


@shared_task(base=TenantTask, name="calls.lock_due_all_tenants", tenant_required=False, atomic=False)
def lock_due_all_tenants() -> int:
    """Fan out: one ``calls.lock_due`` per active tenant. Returns how many."""
    return fan_out(lock_due)

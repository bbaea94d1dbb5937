"""Nightly duplicate scan: ``customers.scan_duplicates_all_tenants`` (beat, see
``sfe.schedule``) lists the active tenants and enqueues one ``customers.scan_duplicates``
per tenant inside that tenant; each runs the set-based scan of
``customers.services.duplicates.scan_tenant`` in its own transaction."""

from __future__ import annotations

from celery import shared_task

from sfe.core.tasks import TenantTask, fan_out


@shared_task(base=TenantTask, name="customers.scan_duplicates")
def scan_duplicates() -> dict[str, int]:
    """One tenant: add the pairs found tonight to the duplicates queue."""
    from customers.services.duplicates import scan_tenant

    return scan_tenant()


@shared_task(base=TenantTask, name="customers.scan_duplicates_all_tenants", tenant_required=False, atomic=False)
def scan_duplicates_all_tenants() -> int:
    """Fan out: one ``customers.scan_duplicates`` per active tenant. Returns how many."""
    return fan_out(scan_duplicates)


__all__ = ["scan_duplicates", "scan_duplicates_all_tenants"]

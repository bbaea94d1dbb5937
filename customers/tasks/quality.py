"""Nightly duplicate scan: ``customers.scan_duplicates_all_tenants`` (beat, see
``sfe.schedule``) lists the active tenants and enqueues one ``customers.scan_duplicates``
per tenant inside that tenant; each runs the set-based scan of
``customers.services.duplicates.scan_tenant`` in its own transaction."""

from __future__ import annotations

from celery import shared_task

from sfe.core.tasks import TenantTask
from sfe.core.tenancy import tenant_scope


@shared_task(base=TenantTask, name="customers.scan_duplicates")
def scan_duplicates() -> dict[str, int]:
    """One tenant: add the pairs found tonight to the duplicates queue."""
    from customers.services.duplicates import scan_tenant

    return scan_tenant()


@shared_task(base=TenantTask, name="customers.scan_duplicates_all_tenants", tenant_required=False, atomic=False)
def scan_duplicates_all_tenants() -> int:
    """Fan out: one ``customers.scan_duplicates`` per active tenant. Returns how many."""
    from accounts.models import Tenant

    tenant_ids = list(Tenant.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        with tenant_scope(tenant_id):
            scan_duplicates.delay()
    return len(tenant_ids)


__all__ = ["scan_duplicates", "scan_duplicates_all_tenants"]

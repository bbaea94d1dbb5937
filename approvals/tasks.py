"""Approvals' background jobs: the nightly reminder and escalation run.

The beat schedule (``sfe.schedule``) runs ``approvals.remind_overdue_all_tenants``, which
only lists the active tenants and enqueues one ``approvals.remind_overdue`` per tenant
inside that tenant; each of those enters its tenant (``TenantTask``) and calls one
service. Never a loop over tenants inside one task's transaction.
"""

from __future__ import annotations

from celery import shared_task

from sfe.core.tasks import TenantTask, fan_out


@shared_task(base=TenantTask, name="approvals.remind_overdue")
def remind_overdue() -> dict[str, int]:
    """One tenant: reassign, escalate and remind its overdue approval steps."""
    from .services.reminders import approvals_remind_overdue

    return approvals_remind_overdue()


@shared_task(base=TenantTask, name="approvals.remind_overdue_all_tenants", tenant_required=False, atomic=False)
def remind_overdue_all_tenants() -> int:
    """Fan out: one ``approvals.remind_overdue`` per active tenant (``Tenant`` is a
    platform table, readable with no tenant). Returns how many were enqueued."""
    return fan_out(remind_overdue)

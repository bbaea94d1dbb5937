"""Celery base task that carries the tenant from the caller to the worker.

``apply_async`` (and so ``delay`` / ``delay_on_commit``) copies the current tenant and
audit actor into the message headers; the worker enters that tenant, opens one
transaction (the tenant setting is transaction-local) and runs the task inside it.
A task declared ``tenant_required=True`` refuses to be enqueued with no tenant active.
Tasks take ids, never model instances.
"""

from __future__ import annotations

from celery import Task
from django.db import close_old_connections, transaction

from .tenancy import audit_context, current_audit, current_scope, no_tenant, tenant_scope

HEADER_TENANT = "sfe_tenant"
HEADER_ACTOR = "sfe_actor"


class TenantTask(Task):
    abstract = True
    tenant_required = True
    #: Run the task body in one transaction (set False for work that commits in chunks;
    #: it must then open ``transaction.atomic()`` around each chunk).
    atomic = True

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None,
                    link_error=None, shadow=None, **options):
        scope = current_scope()
        if self.tenant_required and scope.tenant_id is None:
            from .tenancy import TenantScopeError

            raise TenantScopeError(f"{self.name} needs a tenant: enqueue it inside tenant_scope().")
        headers = dict(options.pop("headers", None) or {})
        headers[HEADER_TENANT] = scope.tenant_id
        headers[HEADER_ACTOR] = current_audit().actor_id
        return super().apply_async(args, kwargs, task_id, producer, link, link_error, shadow,
                                   headers=headers, **options)

    def _header(self, name):
        value = getattr(self.request, name, None)
        if value is None:
            value = (getattr(self.request, "headers", None) or {}).get(name)
        return value

    def __call__(self, *args, **kwargs):
        tenant_id = self._header(HEADER_TENANT)
        actor_id = self._header(HEADER_ACTOR)
        if self.request.called_directly or self.request.is_eager:
            pass
        else:
            close_old_connections()
        request_id = f"task:{self.request.id}" if self.request.id else ""
        with audit_context(actor_id=actor_id, request_id=request_id):
            if tenant_id is None:
                if self.tenant_required:
                    from .tenancy import TenantScopeError

                    raise TenantScopeError(f"{self.name} received no tenant")
                with no_tenant():
                    return self._run(*args, **kwargs)
            with tenant_scope(int(tenant_id)):
                return self._run(*args, **kwargs)

    def _run(self, *args, **kwargs):
        if self.atomic:
            with transaction.atomic():
                return self.run(*args, **kwargs)
        return self.run(*args, **kwargs)


def fan_out(task: Task) -> int:
    """Enqueue ``task`` once per active tenant, each message inside its tenant (the nightly
    fan-outs of beat: one task per tenant, never per record). ``Tenant`` is a platform table,
    readable with no tenant. Returns how many were enqueued."""
    from accounts.models import Tenant

    tenant_ids = list(Tenant.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        with tenant_scope(tenant_id):
            task.delay()
    return len(tenant_ids)


from celery import shared_task  # noqa: E402


@shared_task(base=TenantTask, name="core.tenant_probe")
def tenant_probe() -> dict:
    """Report what a worker sees in the task's tenant: used by the health page and the
    tenancy tests. Counts with raw SQL (row security alone) and with the ORM."""
    import os

    from django.db import connection

    from accounts.models import OrgNode

    from .tenancy import current_tenant_id

    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('app.tenant_id', true), count(*) FROM accounts_orgnode")
        setting, raw_count = cur.fetchone()
    return {"tenant_id": current_tenant_id(), "setting": setting, "raw_nodes": raw_count,
            "orm_nodes": OrgNode.objects.count(), "pid": os.getpid()}


HEARTBEAT_KEY = "sfe:worker-heartbeat"


@shared_task(base=TenantTask, name="core.worker_heartbeat", tenant_required=False, atomic=False)
def worker_heartbeat() -> str:
    """Record that beat and a worker are alive (platform-level: no tenant)."""
    from django.core.cache import cache
    from django.utils import timezone

    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=24 * 3600)
    return now

"""The tenant context: who the current tenant is, for this thread or task.

The tenant is entered in exactly one place per entry point: ``TenantMiddleware`` for
pages and the API, ``TenantTask`` for Celery, ``TenantCommand`` (``--tenant``) for
management commands, and the test fixtures.  Tenant-owned managers raise
``TenantScopeError`` when no tenant is active (fail closed); the database wrapper
(``sfe.core.db``) copies the tenant into the transaction-local setting
``app.tenant_id`` that the row-level security policies read.

Crossing tenants is ``dangerously_all_tenants(reason)``, for platform jobs only: it
routes queries to the owner connection (which bypasses row-level security) and logs why.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import Tenant

log = logging.getLogger("sfe.tenancy")


class TenantScopeError(RuntimeError):
    """Tenant-owned data was touched with no tenant active, or across tenants."""


@dataclass(frozen=True)
class Scope:
    tenant_id: int | None = None
    tenant: Tenant | None = field(default=None, compare=False)
    all_tenants: bool = False


@dataclass(frozen=True)
class AuditContext:
    actor_id: int | None = None
    request_id: str = ""
    reason: str = ""


_scope: contextvars.ContextVar[Scope] = contextvars.ContextVar("sfe_scope", default=Scope())  # noqa: B039 - frozen
_audit: contextvars.ContextVar[AuditContext] = contextvars.ContextVar("sfe_audit", default=AuditContext())  # noqa: B039 - frozen


def current_scope() -> Scope:
    return _scope.get()


def current_tenant_id() -> int | None:
    return _scope.get().tenant_id


def current_tenant() -> Tenant | None:
    scope = _scope.get()
    if scope.tenant is None and scope.tenant_id is not None:
        from accounts.models import Tenant

        tenant = Tenant.objects.get(pk=scope.tenant_id)
        _scope.set(Scope(tenant_id=tenant.pk, tenant=tenant, all_tenants=scope.all_tenants))
        return tenant
    return scope.tenant


def require_tenant_id() -> int:
    tenant_id = _scope.get().tenant_id
    if tenant_id is None:
        raise TenantScopeError("No tenant is active: enter one with tenant_scope(tenant).")
    return tenant_id


@contextmanager
def tenant_scope(tenant: Tenant | int) -> Iterator[None]:
    """Make ``tenant`` the current tenant. Nesting a *different* tenant is refused."""
    from accounts.models import Tenant

    if isinstance(tenant, Tenant):
        scope = Scope(tenant_id=tenant.pk, tenant=tenant)
    else:
        scope = Scope(tenant_id=int(tenant))
    outer = _scope.get()
    if outer.tenant_id is not None and outer.tenant_id != scope.tenant_id:
        raise TenantScopeError(
            f"Tenant {outer.tenant_id} is active; entering tenant {scope.tenant_id} inside it is refused."
        )
    token = _scope.set(scope)
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def no_tenant() -> Iterator[None]:
    """Run with no tenant active (platform code such as login, tenant creation)."""
    token = _scope.set(Scope())
    try:
        yield
    finally:
        _scope.reset(token)


@contextmanager
def dangerously_all_tenants(reason: str) -> Iterator[None]:
    """Cross tenants, for a named platform job. Queries go to the owner connection."""
    if not reason:
        raise ValueError("dangerously_all_tenants needs a reason")
    log.warning("crossing tenants: %s", reason)
    token = _scope.set(Scope(all_tenants=True))
    audit_token = _audit.set(AuditContext(
        actor_id=_audit.get().actor_id, request_id=_audit.get().request_id, reason=f"platform: {reason}"
    ))
    try:
        yield
    finally:
        _audit.reset(audit_token)
        _scope.reset(token)


# --------------------------------------------------------------------------- audit context


def current_audit() -> AuditContext:
    return _audit.get()


@contextmanager
def audit_context(*, actor_id: int | None = None, request_id: str | None = None,
                  reason: str | None = None) -> Iterator[None]:
    """Who is acting, for which request, and why: copied into every audit row."""
    outer = _audit.get()
    token = _audit.set(AuditContext(
        actor_id=actor_id if actor_id is not None else outer.actor_id,
        request_id=request_id if request_id is not None else outer.request_id,
        reason=reason if reason is not None else outer.reason,
    ))
    try:
        yield
    finally:
        _audit.reset(token)


def audit_reason(reason: str):
    """Attach the user's reason to the audit rows written inside the block; an empty
    reason keeps the one given further out."""
    return audit_context(reason=reason or None)


def transaction_settings() -> tuple[str, str, str, str]:
    """The values the database wrapper sets, transaction-local, before tenant work."""
    scope = _scope.get()
    audit = _audit.get()
    return (
        "" if scope.tenant_id is None else str(scope.tenant_id),
        "" if audit.actor_id is None else str(audit.actor_id),
        audit.request_id[:64],
        audit.reason[:500],
    )


# --------------------------------------------------------------------------- router, cache


class TenantRouter:
    """Inside ``dangerously_all_tenants`` every query uses the owner connection."""

    def db_for_read(self, model, **hints):
        return "owner" if _scope.get().all_tenants else None

    def db_for_write(self, model, **hints):
        return "owner" if _scope.get().all_tenants else None

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return True


def cache_key(key: str, key_prefix: str, version: int) -> str:
    """Cache keys carry the tenant, so one tenant's cached value never serves another."""
    tenant_id = _scope.get().tenant_id
    scope = f"t{tenant_id}" if tenant_id is not None else "global"
    return f"{key_prefix}:{version}:{scope}:{key}"

"""PostgreSQL backend that carries the tenant into every transaction.

Before the first statement of each transaction (and whenever the tenant or the audit
context changes inside one) it runs one ``SELECT set_config(..., true)``: the
*transaction-local* form, so the value vanishes at COMMIT or ROLLBACK and a persistent
or pooled connection can never carry one request's tenant into the next.

Tenant work outside a transaction would lose the setting at once, so it is refused:
enter ``transaction.atomic()`` (the middleware, the task base class and the command base
class do) — fail closed rather than run with no tenant.
"""

from __future__ import annotations

from django.db.backends.postgresql import base as pg_base
from psycopg import pq

from sfe.core.tenancy import TenantScopeError, transaction_settings

_EMPTY = ("", "", "", "")
_SET_SQL = (
    "SELECT set_config('app.tenant_id', %s, true), set_config('app.actor_id', %s, true), "
    "set_config('app.request_id', %s, true), set_config('app.reason', %s, true)"
)


class DatabaseWrapper(pg_base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sfe_applied: tuple[str, str, str, str] | None = None
        self._sfe_connecting = False
        self.execute_wrappers.append(self._sfe_scope_wrapper)

    def connect(self):
        # Connection set-up (type lookups of django.contrib.postgres) reads only the
        # catalogue and may run before the caller's transaction starts.
        self._sfe_connecting = True
        try:
            super().connect()
        finally:
            self._sfe_connecting = False

    def _sfe_scope_wrapper(self, execute, sql, params, many, context):
        if not self._sfe_connecting:
            self.apply_tenant_settings()
        return execute(sql, params, many, context)

    def apply_tenant_settings(self) -> None:
        """Make the transaction's settings match the current tenant and audit context.

        Call it before using a raw psycopg cursor (COPY), which bypasses the wrapper.
        """
        self.ensure_connection()
        want = transaction_settings()
        if self.connection.info.transaction_status == pq.TransactionStatus.IDLE:
            self._sfe_applied = None  # a transaction ended: its local settings are gone
        if want == self._sfe_applied:
            return
        if not self.in_atomic_block:
            if want[0] == "":
                return  # no tenant and no transaction: nothing to carry
            raise TenantScopeError(
                "Tenant-scoped database work must run inside transaction.atomic(): "
                "a transaction-local tenant setting would be lost after one statement."
            )
        self.connection.execute(_SET_SQL, want)
        self._sfe_applied = want

    def _savepoint_rollback(self, sid):
        super()._savepoint_rollback(sid)
        self._sfe_applied = None  # settings made inside the savepoint were rolled back

    def _rollback(self):
        super()._rollback()
        self._sfe_applied = None

    def _commit(self):
        super()._commit()
        self._sfe_applied = None

    def _close(self):
        super()._close()
        self._sfe_applied = None

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

import functools
import re

import psycopg
from django.db.backends.postgresql import base as pg_base
from psycopg import pq

from sfe.core.tenancy import TenantScopeError, transaction_settings

_EMPTY = ("", "", "", "")
_SET_SQL = (
    "SELECT set_config('app.tenant_id', %s, true), set_config('app.actor_id', %s, true), "
    "set_config('app.request_id', %s, true), set_config('app.reason', %s, true)"
)


#: psycopg prepares a statement only when asked (``prepared_cursor``): Django's own cursors
#: bind client-side and are never prepared, whatever the threshold; Django's default
#: (``None``) would refuse even an explicit request.
PREPARE_ONLY_WHEN_ASKED = 2**31 - 1


_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=128)
def compact_sql(sql: str) -> str:
    """``sql`` with each run of whitespace outside its string literals made one space.

    psycopg converts a statement's ``%(name)s`` placeholders once per text and remembers
    the result only for texts of up to 4,096 characters (``MAX_CACHED_STATEMENT_LENGTH``):
    the Today page's one statement (4,392 characters, 3,803 compacted) was split with a
    regular expression on every request. Left as it is when it holds a comment, a
    dollar-quoted or quoted-identifier part (where a newline or a space may mean
    something) or a backslash (an ``E'…\\'…'`` escape string would end elsewhere than a
    split on quotes thinks)."""
    if any(mark in sql for mark in ("--", "/*", "$", '"', "\\")):
        return sql
    parts = sql.split("'")  # even parts: outside the literals ('' inside one: an empty odd part)
    return "'".join(_SPACE.sub(" ", part) if i % 2 == 0 else part for i, part in enumerate(parts)).strip()


class _PreparedCursor(psycopg.Cursor):
    """Server-side binding, and every statement prepared on the connection (once)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if isinstance(query, str):
            query = compact_sql(query)
        return super().execute(query, params, prepare=True, binary=binary)


class DatabaseOperations(pg_base.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        if isinstance(cursor, _PreparedCursor):  # bound server-side: show it with its values
            try:
                return self.compose_sql(sql, params)
            except psycopg.errors.DataError:
                return sql
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(pg_base.DatabaseWrapper):
    ops_class = DatabaseOperations

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

    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        conn.prepare_threshold = PREPARE_ONLY_WHEN_ASKED
        return conn

    def prepared_cursor(self):
        """A cursor whose statements PostgreSQL plans once per connection and keeps.

        For the hot pages' one big query (a CTE of five parts plans in ~6 ms and runs in
        under 1 ms): after five executions PostgreSQL settles on a generic plan when it
        costs no more than the custom ones. The statements go through the same wrappers as
        any other (the tenant's settings, the test's query capture); row security is
        applied at execution, so a cached plan serves every tenant correctly. Parameters
        are bound server-side (``%(name)s`` placeholders; give casts where a type is
        ambiguous)."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = _PreparedCursor(self.connection)
            # As Django's own cursors: the connection's time zone for timestamptz values.
            tzloader = self.connection.adapters.get_loader(pg_base.TIMESTAMPTZ_OID, pq.Format.TEXT)
            if self.timezone != tzloader.timezone:
                pg_base.register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)

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

"""Runs of one tenant and product line never overlap: a PostgreSQL advisory lock.

The key is a 64-bit hash of ``segmentation:<tenant>:<purpose>:<line>``. A run holds it as
a *session* lock from before it claims its row to after it has committed or rolled back;
the lock is the database's, so it goes when the worker's connection goes — a worker
killed with ``kill -9`` leaves a stale ``running`` row but no lock, and the next run (or
request) finds the lock free, marks that row ``failed`` ("interrupted") and goes ahead.
The run's transaction sets ``client_connection_check_interval``, so a backend whose
worker died stops within seconds instead of finishing its statement first.

Pins take the lock for their transaction only (``try_xact_lock``) and refuse while a run
holds it, so a pin never races a recompute of the same line.
"""

from __future__ import annotations

from django.db import connection

from sfe.core.tenancy import require_tenant_id


def lock_name(purpose: str, line_id: int | None) -> str:
    return f"segmentation:{require_tenant_id()}:{purpose}:{line_id or 0}"


def try_session_lock(purpose: str, line_id: int | None) -> bool:
    """Take the lock for this connection (inside a transaction: the database wrapper
    refuses tenant work outside one; the lock outlives it)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [lock_name(purpose, line_id)])
        return bool(cur.fetchone()[0])


def release_session_lock(purpose: str, line_id: int | None) -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [lock_name(purpose, line_id)])


def try_xact_lock(purpose: str, line_id: int | None) -> bool:
    """Take the lock until the current transaction ends; False if a run holds it."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [lock_name(purpose, line_id)])
        return bool(cur.fetchone()[0])


def is_locked(purpose: str, line_id: int | None) -> bool:
    """Whether a live run holds the lock (tried and released at once)."""
    if try_session_lock(purpose, line_id):
        release_session_lock(purpose, line_id)
        return False
    return True

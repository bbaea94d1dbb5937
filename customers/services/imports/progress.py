"""Live progress of a running import, kept in the cache (Redis).

The import's own transaction stays open until it is done, so nothing it writes to its
``ImportJob`` row can be seen meanwhile; the worker puts its progress in the cache instead
and the job page reads it. Keys go through the cache's key function, which puts the tenant
in every key (``sfe.core.tenancy.cache_key``), so one tenant never reads another's.
"""

from __future__ import annotations

from django.core.cache import cache

TIMEOUT = 24 * 3600


def _key(job) -> str:
    return f"customers:import:{job.code}"


def progress_set(job, *, state: str, processed: int = 0, total: int = 0) -> None:
    cache.set(_key(job), {"state": state, "processed": processed, "total": total}, TIMEOUT)


def progress_get(job) -> dict | None:
    return cache.get(_key(job))


def progress_clear(job) -> None:
    cache.delete(_key(job))

"""Live progress of a running recompute, kept in the cache (as imports do).

The run's own transaction stays open until it commits, so its ``SegmentationRun`` row
cannot show progress meanwhile; the worker puts ``{state, step, done, total, changed}``
in the cache after each step and the run page polls it. Keys go through the cache's key
function, which puts the tenant in every key, so one tenant never reads another's.
"""

from __future__ import annotations

from django.core.cache import cache

TIMEOUT = 24 * 3600


def _key(run) -> str:
    return f"segmentation:run:{run.code}"


def progress_set(run, *, state: str, step: str = "", done: int = 0, total: int = 0, changed: int = 0) -> None:
    cache.set(_key(run), {"state": state, "step": step, "done": done, "total": total, "changed": changed}, TIMEOUT)


def progress_get(run) -> dict | None:
    return cache.get(_key(run))


def progress_clear(run) -> None:
    cache.delete(_key(run))

"""``/health/``: database, cache/broker and worker heartbeat, as JSON (no tenant data).

Used by docker-compose health checks and by operators. Returns 503 when the database or
Redis is down; a stale worker heartbeat is reported but does not fail the web check.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .tasks import HEARTBEAT_KEY


@never_cache
def health(request):
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is reported as such
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        cache.set("sfe:health", "1", 10)
        checks["redis"] = "ok" if cache.get("sfe:health") == "1" else "error: no round trip"
        beat = cache.get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
        beat = None
    if beat:
        age = (timezone.now() - dt.datetime.fromisoformat(beat)).total_seconds()
        checks["worker"] = "ok" if age < 150 else f"stale: last heartbeat {int(age)} s ago"
    else:
        checks["worker"] = "unknown: no heartbeat yet"
    healthy = checks["database"] == "ok" and checks["redis"] == "ok"
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)

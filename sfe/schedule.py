"""The whole Celery beat schedule, in one place. Each entry says what it does and when.

Times are Asia/Shanghai (``CELERY_TIMEZONE``). Nightly jobs of later capabilities fan out
one task per tenant (never per record); each task enters its tenant through ``TenantTask``.
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Every minute: a worker writes its heartbeat to the cache; /health/ reports its age,
    # so a stopped worker or beat shows on the health page within two minutes.
    "core-worker-heartbeat": {
        "task": "core.worker_heartbeat",
        "schedule": crontab(minute="*"),
    },
}

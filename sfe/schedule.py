"""The whole Celery beat schedule, in one place. Each entry says what it does and when.

Times are Asia/Shanghai (``CELERY_TIMEZONE``); each nightly job fans out one task per
tenant (never per record), and each task enters its tenant through ``TenantTask``.
"""

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Close positions whose end date has passed and refresh visibility caches: 00:10.
    "accounts-nightly-positions": {
        "task": "accounts.tasks.nightly_fanout",
        "schedule": crontab(hour=0, minute=10),
    },
}

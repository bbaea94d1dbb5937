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
    # Nightly at 05:30, before the working day: one approvals.remind_overdue task per active
    # tenant, which moves steps whose approver lost the role or position, escalates steps
    # overdue past the tenant's limit one level up and reminds the approvers of the others
    # (approvals/services/reminders.py).
    "approvals-remind-overdue": {
        "task": "approvals.remind_overdue_all_tenants",
        "schedule": crontab(hour=5, minute=30),
    },
    # Nightly at 01:30, before the duplicates scan: one segmentation.recompute_tenant per active
    # tenant, which queues one segmentation.recompute per product line with an active tier rule
    # (and one for the channel classes and distributor credit ratings); each run recomputes its
    # line set-based in one transaction and writes only the tiers that changed, with their
    # history, alerting account owners of channel changes (customers/segmentation/services/).
    "segmentation-recompute": {
        "task": "segmentation.recompute_all_tenants",
        "schedule": crontab(hour=1, minute=30),
    },
    # Nightly at 03:30, after the tier recompute (01:30): one expenses.spend_flags task per active
    # tenant, which replaces the tenant's spend-against-value flags in one transaction: per product
    # line, HCPs of tiers C/D whose approved spend over the last 12 months exceeds the median of
    # tier A (expenses/services/flags.py).
    "expenses-spend-flags": {
        "task": "expenses.spend_flags_all_tenants",
        "schedule": crontab(hour=3, minute=30),
    },
    # Nightly at 02:30, when nobody edits customers: one customers.scan_duplicates task per
    # active tenant, which compares HCPs within each institution and institutions within each
    # city (same or similar name by trigram, same phone, same national code) in two set-based
    # INSERT … SELECT statements and adds new pairs to the duplicates queue
    # (customers/services/duplicates.py); dismissed pairs stay dismissed.
    "customers-scan-duplicates": {
        "task": "customers.scan_duplicates_all_tenants",
        "schedule": crontab(hour=2, minute=30),
    },
    # Nightly at 00:30, after the day has turned in China: one calls.lock_due task per active
    # tenant, which locks (one set-based UPDATE) every submitted call whose day is more than
    # the tenant's lock_after_days ago; a locked call can no longer be edited (calls/tasks.py).
    "calls-lock-due": {
        "task": "calls.lock_due_all_tenants",
        "schedule": crontab(hour=0, minute=30),
    },
}

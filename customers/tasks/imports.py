"""Import tasks: one job per task, in the tenant that enqueued it."""

from __future__ import annotations

from celery import shared_task

from sfe.core.tasks import TenantTask

__all__ = ["import_run_task"]


@shared_task(base=TenantTask, name="customers.import_run", atomic=False)
def import_run_task(job_id: int) -> str | None:
    """Validate and load one queued ``ImportJob``. Not one transaction around the task: the
    service claims the job, loads in a transaction of its own and records a failure apart."""
    from customers.services.imports import import_run

    return import_run(job_id=job_id)

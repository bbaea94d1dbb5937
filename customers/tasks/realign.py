"""Realignment tasks: a large batch applied by a worker, in the tenant that queued it."""

from __future__ import annotations

import logging

from celery import shared_task

from sfe.core.tasks import TenantTask

__all__ = ["realignment_apply_task"]

log = logging.getLogger(__name__)


@shared_task(base=TenantTask, name="customers.realignment_apply")
def realignment_apply_task(batch_id: int, membership_id: int) -> str:
    """Apply one batch queued by ``realignment_apply_later``. Idempotent: the service takes
    the batch row lock and leaves an applied batch alone, so a redelivered or doubled task
    applies once. If the service refuses (cancelled, date passed, territory retired…) or
    fails, the reasons are recorded on the batch and the page stops waiting."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from accounts.models import Membership
    from customers.models import RealignmentBatch
    from customers.services.realignment import realignment_apply, realignment_apply_failed

    batch = RealignmentBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return "missing"
    by = Membership.objects.get(pk=membership_id)
    try:  # the service's own transaction is a savepoint: a failure leaves this one usable
        batch, applied = realignment_apply(batch=batch, by=by)
    except ValidationError as exc:
        realignment_apply_failed(batch=batch, reasons=exc.messages)
        return "refused"
    except Exception:
        log.exception("realignment %s: apply failed", batch_id)
        realignment_apply_failed(batch=batch, reasons=[_("The apply failed on the server; try again.")])
        return "failed"
    return "applied" if applied else "applied already"

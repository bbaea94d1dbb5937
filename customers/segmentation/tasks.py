"""Celery entry points: one task per tenant and product line (never per customer).

* ``segmentation.recompute`` — one queued ``SegmentationRun`` (``services.runs.run_execute``:
  lock, claim, recompute in one transaction, release). Not wrapped in a transaction by the
  base task: the service commits the claim, the recompute and a failure record apart.
* ``segmentation.recompute_all_tenants`` — the nightly fan-out (beat, ``sfe.schedule``): for
  each active tenant, one ``segmentation.recompute_tenant``, which queues one run per
  product line with an active tier rule, then one channel run if the tenant has channel
  rules.
"""

from __future__ import annotations

import logging

from celery import shared_task

from sfe.core.tasks import TenantTask, fan_out

log = logging.getLogger(__name__)

__all__ = ["recompute_all_tenants", "recompute_task", "recompute_tenant"]


@shared_task(base=TenantTask, name="segmentation.recompute", atomic=False)
def recompute_task(run_id: int) -> str | None:
    from .services.runs import run_execute

    run = run_execute(run_id=run_id)
    return run.status if run else None


@shared_task(base=TenantTask, name="segmentation.recompute_tenant")
def recompute_tenant() -> dict:
    """Queue tonight's runs of one tenant; returns {line code or "channel": status}."""
    from django.core.exceptions import ValidationError

    from products.models import ProductLine

    from .models import Purpose, RunPurpose, SegmentationRule, SegmentationRun
    from .services.runs import run_request

    queued = {}
    line_ids = (SegmentationRule.objects.filter(purpose=Purpose.TIER, is_active=True)
                .values_list("product_line_id", flat=True).distinct())
    for line in ProductLine.objects.filter(pk__in=line_ids).order_by("pk"):
        try:
            run = run_request(product_line=line, trigger=SegmentationRun.Trigger.NIGHTLY)
            queued[str(line.code)] = run.status
        except ValidationError as exc:  # the rule went inactive meanwhile
            log.info("segmentation: line %s not queued: %s", line.pk, exc.messages)
    if SegmentationRule.objects.filter(is_active=True).exclude(purpose=Purpose.TIER).exists():
        run = run_request(purpose=RunPurpose.CHANNEL, trigger=SegmentationRun.Trigger.NIGHTLY)
        queued["channel"] = run.status
    return queued


@shared_task(base=TenantTask, name="segmentation.recompute_all_tenants", tenant_required=False, atomic=False)
def recompute_all_tenants() -> int:
    """Fan out: one ``segmentation.recompute_tenant`` per active tenant. Returns how many."""
    return fan_out(recompute_tenant)

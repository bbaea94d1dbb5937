"""Apply a batch (idempotent, under the batch row lock) and cancel a draft.

A batch of more than ``BACKGROUND_ABOVE`` items is applied by a Celery worker
(``customers.realignment_apply``) instead of in the request: ``realignment_apply_later``
marks it ``summary["applying"]`` (it stays a draft meanwhile: the page shows "being
applied" and polls) and enqueues the task after the commit; the task runs
``realignment_apply`` and, if that refuses, records why in ``summary["apply_error"]``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OrgNode
from sfe.core.tenancy import require_tenant_id

from ...models import Alignment, RealignmentBatch, RealignmentItem, Status
from .common import State, _today
from .preview import item_counts, realignment_preview

#: A batch with more items than this is applied by a Celery worker, not in the request.
BACKGROUND_ABOVE = 20_000
#: The Celery queue of those applies (``None``: the default queue).
BACKGROUND_QUEUE: str | None = None

_LEAVE_SQL = """
WITH it AS MATERIALIZED (
    SELECT DISTINCT institution_id, hcp_id, from_territory_id AS tid FROM customers_realignmentitem
     WHERE tenant_id = %(tenant)s AND batch_id = %(batch)s AND from_territory_id IS NOT NULL
),
leaving AS MATERIALIZED (
    SELECT a.id, a.start_date FROM customers_alignment a JOIN it ON it.institution_id = a.institution_id
     WHERE a.tenant_id = %(tenant)s AND a.territory_id = it.tid AND a.product_line_id = %(line)s
       AND (a.end_date IS NULL OR a.end_date >= %(day)s)
    UNION
    SELECT a.id, a.start_date FROM customers_alignment a JOIN it ON it.hcp_id = a.hcp_id
     WHERE a.tenant_id = %(tenant)s AND a.territory_id = it.tid AND a.product_line_id = %(line)s
       AND (a.end_date IS NULL OR a.end_date >= %(day)s)
),
deleted AS (
    DELETE FROM customers_alignment d WHERE d.tenant_id = %(tenant)s
       AND d.id IN (SELECT id FROM leaving WHERE start_date >= %(day)s) RETURNING 1
),
ended AS (
    UPDATE customers_alignment u SET end_date = %(day)s::date - 1 WHERE u.tenant_id = %(tenant)s
       AND u.id IN (SELECT id FROM leaving WHERE start_date < %(day)s) RETURNING 1
)
SELECT (SELECT count(*) FROM ended), (SELECT count(*) FROM deleted)
"""

_JOIN_SQL = """
WITH jn AS MATERIALIZED (
    SELECT DISTINCT institution_id, hcp_id, to_territory_id AS tid FROM customers_realignmentitem
     WHERE tenant_id = %(tenant)s AND batch_id = %(batch)s AND to_territory_id IS NOT NULL
),
new AS (
    SELECT jn.institution_id, NULL::bigint AS hcp_id, jn.tid,
           (SELECT min(f.start_date) FROM customers_alignment f
             WHERE f.tenant_id = %(tenant)s AND f.institution_id = jn.institution_id AND f.product_line_id = %(line)s
               AND f.territory_id = jn.tid AND f.start_date > %(day)s) AS next_start
      FROM jn JOIN customers_institution i ON i.tenant_id = %(tenant)s AND i.id = jn.institution_id
     WHERE i.status <> %(merged)s
       AND NOT EXISTS (SELECT 1 FROM customers_alignment a
                        WHERE a.tenant_id = %(tenant)s AND a.institution_id = jn.institution_id
                          AND a.product_line_id = %(line)s AND a.territory_id = jn.tid
                          AND a.start_date <= %(day)s AND (a.end_date IS NULL OR a.end_date >= %(day)s))
    UNION ALL
    SELECT NULL::bigint, jn.hcp_id, jn.tid,
           (SELECT min(f.start_date) FROM customers_alignment f
             WHERE f.tenant_id = %(tenant)s AND f.hcp_id = jn.hcp_id AND f.product_line_id = %(line)s
               AND f.territory_id = jn.tid AND f.start_date > %(day)s)
      FROM jn JOIN customers_hcp h ON h.tenant_id = %(tenant)s AND h.id = jn.hcp_id
     WHERE h.status <> %(merged)s
       AND NOT EXISTS (SELECT 1 FROM customers_alignment a
                        WHERE a.tenant_id = %(tenant)s AND a.hcp_id = jn.hcp_id
                          AND a.product_line_id = %(line)s AND a.territory_id = jn.tid
                          AND a.start_date <= %(day)s AND (a.end_date IS NULL OR a.end_date >= %(day)s))
)
INSERT INTO customers_alignment (tenant_id, code, institution_id, hcp_id, territory_id, product_line_id,
                                 start_date, end_date, source, batch_id, created_at)
SELECT %(tenant)s, gen_random_uuid(), institution_id, hcp_id, tid, %(line)s, %(day)s, next_start - 1,
       %(source)s, %(batch)s, now()
  FROM new
"""


def _check_targets(batch: RealignmentBatch) -> None:
    """Every territory the batch joins must still be an active territory."""
    joined = RealignmentItem.objects.filter(batch=batch, to_territory__isnull=False).values("to_territory_id")
    bad = list(OrgNode.objects.filter(id__in=joined).filter(
        Q(retired_on__isnull=False) | ~Q(kind=OrgNode.Kind.TERRITORY)).values_list("name", flat=True)[:10])
    if bad:
        raise ValidationError({"territory": _("These territories are retired or no longer territories: %(names)s. "
                                              "Prepare the batch again.") % {"names": ", ".join(bad)}})


def _check_can_apply(batch: RealignmentBatch) -> None:
    if batch.state == State.CANCELLED:
        raise ValidationError({"state": _("This batch was cancelled; it cannot be applied.")})
    if batch.effective_date < _today():
        raise ValidationError({"effective_date": _("The effective date %(day)s has passed: prepare the batch again "
                                                   "with today or a later day.") % {"day": batch.effective_date}})


def prepared_items(batch: RealignmentBatch) -> int:
    """The number of items of the batch, as counted when it was prepared (no query)."""
    items = (batch.summary or {}).get("prepared", {}).get("items", {})
    return int(items.get("institutions") or 0) + int(items.get("hcps") or 0)


def applies_in_background(batch: RealignmentBatch) -> bool:
    """Whether applying the batch is left to a Celery worker (more than ``BACKGROUND_ABOVE`` items)."""
    return prepared_items(batch) > BACKGROUND_ABOVE


def is_applying(batch: RealignmentBatch) -> bool:
    """Whether a worker is to apply the draft batch (queued by ``realignment_apply_later``)."""
    return batch.state == State.DRAFT and bool((batch.summary or {}).get("applying"))


@transaction.atomic
def realignment_apply_later(*, batch: RealignmentBatch, by) -> tuple[RealignmentBatch, bool]:
    """Queue the apply of a draft batch on a Celery worker, after the commit; returns
    ``(batch, queued_now)``. An applied batch is left as it is (``False``). A batch queued
    already is queued again — the apply is idempotent and takes the batch row lock, so a
    batch whose worker was lost can be retried and two runs apply once."""
    batch = RealignmentBatch.objects.select_for_update().select_related("product_line").get(pk=batch.pk)
    if batch.state == State.APPLIED:
        return batch, False
    _check_can_apply(batch)
    summary = {k: v for k, v in (batch.summary or {}).items() if k != "apply_error"}
    summary["applying"] = {"by": by.pk, "queued_at": timezone.now().isoformat()}
    batch.summary = summary
    batch.save(update_fields=["summary"])

    from customers.tasks.realign import realignment_apply_task

    args, options = (batch.pk, by.pk), ({"queue": BACKGROUND_QUEUE} if BACKGROUND_QUEUE else {})
    transaction.on_commit(lambda: realignment_apply_task.apply_async(args, **options))
    return batch, True


@transaction.atomic
def realignment_apply_failed(*, batch: RealignmentBatch, reasons: list[str]) -> None:
    """Record why a queued apply did not happen (the batch stays as it was: the page stops
    polling and shows the reasons)."""
    batch = RealignmentBatch.objects.select_for_update().get(pk=batch.pk)
    summary = {k: v for k, v in (batch.summary or {}).items() if k != "applying"}
    if batch.state == State.DRAFT:
        summary["apply_error"] = [str(r) for r in reasons]
    batch.summary = summary
    batch.save(update_fields=["summary"])


@transaction.atomic
def realignment_apply(*, batch: RealignmentBatch, by) -> tuple[RealignmentBatch, bool]:
    """Apply a draft batch; returns ``(batch, applied_now)``.

    Takes the batch row lock first, so of two applies at once the second waits and then
    finds the batch applied: it changes nothing and answers ``applied_now=False``.
    """
    batch = RealignmentBatch.objects.select_for_update().select_related("product_line").get(pk=batch.pk)
    if batch.state == State.APPLIED:
        return batch, False
    _check_can_apply(batch)
    _check_targets(batch)
    preview = realignment_preview(batch=batch)
    counts = item_counts(batch=batch)
    params = {"tenant": require_tenant_id(), "batch": batch.pk, "line": batch.product_line_id,
              "day": batch.effective_date, "merged": Status.MERGED, "source": Alignment.Source.REALIGNMENT}
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(_LEAVE_SQL, params)
            ended, deleted = cur.fetchone()
            cur.execute(_JOIN_SQL, params)
            created = cur.rowcount
    except IntegrityError:
        raise ValidationError({"state": _("Some of these customers were realigned by someone else at the same time; "
                                          "open the batch again and retry.")}) from None
    batch.state = State.APPLIED
    batch.applied_by = by
    batch.applied_at = timezone.now()
    summary = {k: v for k, v in (batch.summary or {}).items() if k not in ("applying", "apply_error")}
    batch.summary = {**summary, "applied": {"ended": ended, "deleted": deleted, "created": created},
                     "items": counts, "preview": [row.as_json() for row in preview]}
    batch.save(update_fields=["state", "applied_by", "applied_at", "summary"])
    return batch, True


@transaction.atomic
def realignment_cancel(*, batch: RealignmentBatch, by) -> bool:
    """Cancel a draft (a conditional UPDATE: a batch applied meanwhile stays applied, and
    one a worker is applying cannot be cancelled)."""
    changed = (RealignmentBatch.objects.filter(pk=batch.pk, state=State.DRAFT).exclude(summary__has_key="applying")
               .update(state=State.CANCELLED))
    if changed:
        batch.state = State.CANCELLED
        return True
    batch.refresh_from_db(fields=["state", "summary"])
    if batch.state == State.APPLIED:
        raise ValidationError({"state": _("This batch is applied already; prepare a new batch to undo it.")})
    if is_applying(batch):
        raise ValidationError({"state": _("This batch is being applied; it cannot be cancelled now.")})
    return False

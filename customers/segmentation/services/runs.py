"""Runs: one recompute of a product line's tiers (or of the tenant's channel classes and
credit ratings), recorded as a ``SegmentationRun``.

* ``run_request`` (pages, API, the nightly fan-out): records a ``queued`` run and enqueues
  ``segmentation.recompute`` after the commit. While another run of the same line holds the
  lock it refuses (on demand) or records a ``skipped`` run (nightly); a second click while
  one is still queued gets that one back.
* ``run_execute`` (the task's body, no transaction around it): takes the advisory lock
  (``locks``), claims the row (``queued`` → ``running``, committed, so the page sees it),
  marks any other ``running`` row of the line as interrupted (a killed worker's: the lock
  was free), then recomputes every active rule of the line in **one** transaction and
  marks the run done in that same transaction — a run says ``succeeded`` exactly when its
  tiers are committed. A failure rolls the tiers back and records the error apart.
* ``recompute_now``: the same recompute inside the caller's transaction (demo seeding,
  tests, scripts).

Progress goes to the cache after each step (``progress``), for the run page to poll.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Purpose, RunPurpose, SegmentationRule, SegmentationRun
from ..progress import progress_set
from ..tuning import CLIENT_CHECK
from .locks import release_session_lock, try_session_lock, try_xact_lock
from .recompute import recompute_rule
from .rules import settings_get

log = logging.getLogger(__name__)

Status, Trigger = SegmentationRun.Status, SegmentationRun.Trigger
#: A queued run younger than this is handed back instead of queueing another; an older
#: one lost its message (a broker restart) and is closed.
QUEUED_FRESH = dt.timedelta(minutes=30)


def _running_elsewhere() -> str:
    return _("A recompute of this product line is running; wait for it to finish.")


def rules_for(purpose: str, line_id: int | None) -> list[SegmentationRule]:
    """The active rules a run of (purpose, line) recomputes, HCPs before institutions."""
    qs = SegmentationRule.objects.filter(is_active=True)
    if purpose == RunPurpose.TIER:
        qs = qs.filter(purpose=Purpose.TIER, product_line_id=line_id)
    else:
        qs = qs.filter(purpose__in=[Purpose.CHANNEL_CLASS, Purpose.CREDIT_RATING], product_line__isnull=True)
    return list(qs.select_related("product_line").order_by("purpose", "kind"))


def _close_stale(purpose: str, line_id: int | None, *, except_pk: int | None = None) -> int:
    """Mark ``running`` rows of the line failed. Call only holding the lock or having found it
    free: then no live worker runs them (their worker died; the tiers are as they were)."""
    return (SegmentationRun.objects.filter(purpose=purpose, product_line_id=line_id, status=Status.RUNNING)
            .exclude(pk=except_pk)
            .update(status=Status.FAILED, finished_at=timezone.now(),
                    error=_("Interrupted: the worker stopped before the run finished; the tiers were left as "
                            "they were.")))


def _execute(run: SegmentationRun) -> SegmentationRun:
    """Recompute every active rule of ``run`` in the current transaction; fill in its counts."""
    from .channel import channel_notify

    rules = rules_for(run.purpose, run.product_line_id)
    primary = settings_get().primary_product_line_id
    state = {"done": 0, "changed": 0}
    total = 2 * len(rules)
    counts = {}
    for rule in rules:
        def step(name: str, rule=rule) -> None:
            progress_set(run, state="running", step=f"{rule.purpose}:{rule.kind}:{name}", done=state["done"],
                         total=total, changed=state["changed"])
            state["done"] += 1

        sync = rule.purpose == Purpose.TIER and primary is not None and rule.product_line_id == primary
        result = recompute_rule(rule=rule, run=run, sync_customers=sync, step=step)
        state["changed"] += result.tier_changes
        counts[f"{rule.purpose}:{rule.kind}"] = result.as_json()
        run.rows_changed += result.rows_changed
        run.tier_changes += result.tier_changes
        run.customers_updated += result.customers_updated
        if result.changes:
            counts[f"{rule.purpose}:{rule.kind}"]["notified"] = channel_notify(purpose=rule.purpose,
                                                                               changes=result.changes)
    run.counts = counts
    progress_set(run, state="running", step="commit", done=total, total=total, changed=state["changed"])
    return run


def _finish(run: SegmentationRun) -> None:
    run.status, run.finished_at = Status.SUCCEEDED, timezone.now()
    run.save(update_fields=["status", "finished_at", "rows_changed", "tier_changes", "customers_updated", "counts"])


@transaction.atomic
def run_request(*, product_line=None, purpose: str = RunPurpose.TIER, by=None, trigger: str = Trigger.MANUAL,
                queue: str | None = None) -> SegmentationRun:
    """Queue a recompute of ``product_line`` (or of the channel rules); see the module."""
    from ..tasks import recompute_task

    line_id = product_line.pk if product_line is not None else None
    if purpose == RunPurpose.TIER and line_id is None:
        raise ValidationError({"product_line": _("Choose the product line.")})
    if not rules_for(purpose, line_id):
        raise ValidationError({"product_line": _("There is no active rule to run for this product line.")})
    now = timezone.now()
    if not try_xact_lock(purpose, line_id):
        if trigger == Trigger.NIGHTLY:
            return SegmentationRun.objects.create(purpose=purpose, product_line_id=line_id, trigger=trigger,
                                                  status=Status.SKIPPED, finished_at=now, error=_running_elsewhere())
        raise ValidationError({"product_line": _running_elsewhere()})
    _close_stale(purpose, line_id)
    queued = (SegmentationRun.objects.filter(purpose=purpose, product_line_id=line_id, status=Status.QUEUED)
              .order_by("-created_at").first())
    if queued is not None and queued.created_at > now - QUEUED_FRESH:
        return queued
    SegmentationRun.objects.filter(purpose=purpose, product_line_id=line_id, status=Status.QUEUED).update(
        status=Status.FAILED, finished_at=now, error=_("Never started: no worker took it up."))
    run = SegmentationRun.objects.create(purpose=purpose, product_line_id=line_id, trigger=trigger,
                                         requested_by=by, status=Status.QUEUED)
    progress_set(run, state="queued")
    options = {"queue": queue} if queue else {}
    transaction.on_commit(lambda: recompute_task.apply_async((run.pk,), **options))
    return run


def run_execute(*, run_id: int) -> SegmentationRun | None:
    """The task's body: lock, claim, recompute and commit, release (see the module)."""
    with transaction.atomic():
        run = SegmentationRun.objects.filter(pk=run_id).first()
        if run is None or not run.is_open:
            return run  # done already (a redelivered message)
        locked = try_session_lock(run.purpose, run.product_line_id)
    if not locked:
        with transaction.atomic():
            SegmentationRun.objects.filter(pk=run_id, status=Status.QUEUED).update(
                status=Status.SKIPPED, finished_at=timezone.now(), error=_running_elsewhere())
        progress_set(run, state="skipped")
        return _reload(run_id)
    try:
        with transaction.atomic():
            claimed = SegmentationRun.objects.filter(pk=run_id, status__in=[Status.QUEUED, Status.RUNNING]).update(
                status=Status.RUNNING, started_at=timezone.now(), error="")
            _close_stale(run.purpose, run.product_line_id, except_pk=run_id)
        if not claimed:
            return run
        progress_set(run, state="running", step="start")
        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute(f"SET LOCAL client_connection_check_interval = '{CLIENT_CHECK}'")
                run = SegmentationRun.objects.get(pk=run_id)
                _finish(_execute(run))
        except Exception as exc:
            log.exception("segmentation run %s failed", run_id)
            with transaction.atomic():
                SegmentationRun.objects.filter(pk=run_id).update(
                    status=Status.FAILED, finished_at=timezone.now(),
                    error=_("The recompute failed: %(error)s") % {"error": str(exc)[:1500]})
            progress_set(run, state="failed")
            return _reload(run_id)
        progress_set(run, state="succeeded", done=1, total=1, changed=run.tier_changes)
        return run
    finally:
        try:
            with transaction.atomic():
                release_session_lock(run.purpose, run.product_line_id)
        except DatabaseError:
            connection.close()  # a session lock goes with its connection


def _reload(run_id: int) -> SegmentationRun | None:
    with transaction.atomic():
        return SegmentationRun.objects.filter(pk=run_id).first()


def recompute_now(*, product_line=None, purpose: str = RunPurpose.TIER, by=None,
                  trigger: str = Trigger.MANUAL) -> SegmentationRun:
    """Recompute synchronously inside the caller's transaction (demo seeding, tests, scripts);
    refuses while another run of the line holds the lock."""
    line_id = product_line.pk if product_line is not None else None
    with transaction.atomic():
        if not try_xact_lock(purpose, line_id):
            raise ValidationError({"product_line": _running_elsewhere()})
        _close_stale(purpose, line_id)
        run = SegmentationRun.objects.create(purpose=purpose, product_line_id=line_id, trigger=trigger,
                                             requested_by=by, status=Status.RUNNING, started_at=timezone.now())
        _finish(_execute(run))
    progress_set(run, state="succeeded", done=1, total=1, changed=run.tier_changes)
    return run

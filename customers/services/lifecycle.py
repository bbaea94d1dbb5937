"""Lifecycle moves (R4): prospect → developing → active → key → dormant → terminated.

Any stage may follow any other (a dormant customer comes back; a prospect is dropped), but
each move is recorded with who, when and why; terminated customers leave the lists by
default and stay in history and KPIs. Bulk moves are one UPDATE plus one INSERT … SELECT.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sfe.core.tenancy import require_tenant_id

from ..models import Hcp, Institution, Stage, StageChange, Status
from ..validation import clean_stage, text


def _reason(reason: str) -> str:
    reason = text(reason)
    if not reason:
        raise ValidationError({"reason": _("Say why the stage changes.")})
    if len(reason) > 300:
        raise ValidationError({"reason": _("Use at most %(n)s characters.") % {"n": 300}})
    return reason


@transaction.atomic
def stage_change(*, record: Institution | Hcp, stage: str, reason: str, by) -> bool:
    stage = clean_stage(stage)
    reason = _reason(reason)
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if record.status == Status.MERGED:
        raise ValidationError({"stage": _("This record was merged into another one.")})
    if record.stage == stage:
        return False
    now = timezone.now()
    StageChange.objects.create(**{"hcp" if isinstance(record, Hcp) else "institution": record},
                               from_stage=record.stage, to_stage=stage, changed_by=by, changed_at=now, reason=reason)
    record.stage, record.stage_changed_at = stage, now
    record.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    return True


@transaction.atomic
def stage_change_bulk(*, model, ids, stage: str, reason: str, by) -> int:
    """Move the records with ``ids`` (already filtered to what the user may see) to ``stage``:
    one INSERT … SELECT of the history, one UPDATE; records already there are skipped."""
    stage = clean_stage(stage)
    reason = _reason(reason)
    ids = list(ids)
    if not ids:
        return 0
    table = model._meta.db_table
    column = "hcp_id" if model is Hcp else "institution_id"
    with connection.cursor() as cur:
        cur.execute(
            f"WITH moved AS (UPDATE {table} t SET stage = %s, stage_changed_at = now(), updated_at = now() "
            f"FROM (SELECT id, stage AS old_stage FROM {table} WHERE tenant_id = %s AND id = ANY(%s) "
            f"AND stage <> %s AND status <> %s FOR UPDATE) o WHERE t.id = o.id RETURNING t.id, o.old_stage) "
            f"INSERT INTO customers_stagechange (tenant_id, {column}, from_stage, to_stage, changed_by_id, changed_at, reason) "
            f"SELECT %s, id, old_stage, %s, %s, now(), %s FROM moved",
            [stage, require_tenant_id(), ids, stage, Status.MERGED, require_tenant_id(), stage, by.pk, reason],
        )
        return cur.rowcount


__all__ = ["Stage", "stage_change", "stage_change_bulk"]

"""Monthly reconciliation: the rep counts each lot they hold; confirming turns each
difference with the ledger into an ``adjusted`` move with the reason — the moves and the
stock change in one set-based statement. A confirmed month is final: confirming it again
changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from sfe.core.tenancy import current_tenant, require_tenant_id

from ..models import Reconciliation, ReconciliationLine, SampleLot, SampleStock
from .ledger import lock_code, parse_code

ADJUST_SQL = """
WITH d AS (
  SELECT l.lot_id, l.counted - l.ledger_quantity AS diff
  FROM samples_reconciliationline l
  WHERE l.tenant_id = %(tenant)s AND l.reconciliation_id = %(rec)s AND l.counted <> l.ledger_quantity
), moves AS (
  INSERT INTO samples_samplemove (tenant_id, kind, quantity, rep_id, lot_id, reason, by_id, at, code)
  SELECT %(tenant)s, 'adjusted', d.diff, %(rep)s, d.lot_id, %(reason)s, %(by)s, %(at)s, %(code)s FROM d
  RETURNING lot_id
), held AS (
  UPDATE samples_samplestock s SET quantity = s.quantity + d.diff, updated_at = %(at)s
  FROM d WHERE s.tenant_id = %(tenant)s AND s.rep_id = %(rep)s AND s.lot_id = d.lot_id
  RETURNING s.lot_id
)
INSERT INTO samples_samplestock (tenant_id, rep_id, lot_id, quantity, updated_at)
SELECT %(tenant)s, %(rep)s, d.lot_id, d.diff, %(at)s FROM d WHERE d.lot_id NOT IN (SELECT lot_id FROM held)
"""


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def parse_month(value: str | None) -> dt.date | None:
    try:
        return dt.datetime.strptime((value or "").strip(), "%Y-%m").date()
    except ValueError:
        return None


@transaction.atomic
def reconciliation_count(*, rep: Membership, month: dt.date, counts: dict, reason: str = "",
                         by: Membership, confirm: bool = False) -> Reconciliation:
    """Save the counts of ``month`` (``{lot code: counted}``; every lot the rep holds must be
    counted) and, with ``confirm``, adjust the ledger to them."""
    month = month_start(month)
    if month > month_start(current_tenant().today()):
        raise ValidationError({"month": _("A month in the future cannot be reconciled.")})
    lock_code(f"{rep.pk}:{month:%Y-%m}", "reconcile")
    rec = Reconciliation.objects.filter(rep_id=rep.pk, month=month).first()
    if rec is not None and rec.state == Reconciliation.State.CONFIRMED:
        return rec  # reconciled already: nothing changes
    stock = {s.lot_id: s.quantity for s in SampleStock.objects.select_for_update().filter(rep_id=rep.pk)}
    parsed: dict[int, int] = {}
    lot_ids = {lot.code: lot.pk for lot in SampleLot.objects.filter(code__in=[parse_code(c, "counts") for c in counts])}
    for lot_code, value in counts.items():
        lot_id = lot_ids.get(parse_code(lot_code, "counts"))
        if lot_id is None:
            raise ValidationError({"counts": _("Count only lots of the catalogue.")})
        try:
            counted = int(value)
        except (TypeError, ValueError):
            raise ValidationError({"counts": _("Enter each count as a whole number.")}) from None
        if counted < 0:
            raise ValidationError({"counts": _("A count cannot be negative.")})
        parsed[lot_id] = counted
    missing = [lot_id for lot_id, q in stock.items() if q > 0 and lot_id not in parsed]
    if missing:
        names = ", ".join(str(lot) for lot in SampleLot.objects.filter(pk__in=missing).order_by("lot_number"))
        raise ValidationError({"counts": _("Count every lot you hold: %(lots)s.") % {"lots": names}})
    reason = (reason or "").strip()[:300]
    if confirm and not reason and any(parsed[lot_id] != stock.get(lot_id, 0) for lot_id in parsed):
        raise ValidationError({"reason": _("Say why the counts differ from the ledger.")})
    if rec is None:
        rec = Reconciliation.objects.create(rep=rep, month=month, reason=reason)
    else:
        rec.reason = reason
        rec.save(update_fields=["reason"])
        rec.lines.all().delete()
    ReconciliationLine.objects.bulk_create([
        ReconciliationLine(reconciliation=rec, lot_id=lot_id, counted=counted, ledger_quantity=stock.get(lot_id, 0))
        for lot_id, counted in parsed.items()
    ])
    if confirm:
        _confirm(rec, by=by)
    return rec


def _confirm(rec: Reconciliation, *, by: Membership) -> None:
    now = timezone.now()
    won = Reconciliation.objects.filter(pk=rec.pk, state=Reconciliation.State.DRAFT).update(
        state=Reconciliation.State.CONFIRMED, confirmed_by=by, confirmed_at=now)
    if not won:
        return
    with connection.cursor() as cur:
        cur.execute(ADJUST_SQL, {"tenant": require_tenant_id(), "rec": rec.pk, "rep": rec.rep_id,
                                 "reason": rec.reason or str(_("Monthly reconciliation")), "by": by.pk, "at": now,
                                 "code": rec.code})
    rec.refresh_from_db()

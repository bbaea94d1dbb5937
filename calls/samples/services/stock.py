"""Stock in and out outside calls: receipts (from the warehouse or an order's delivery),
returns to the warehouse and adjustments (reason required). Each is one transaction,
idempotent by the client's ``code``."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership

from ..models import MoveKind, SampleLot, SampleMove
from .ledger import lock_code, merge_lines, parse_code, put, take


def _done(code, kind: str, rep: Membership) -> list | None:
    moves = list(SampleMove.objects.filter(code=code).order_by("id"))
    if not moves:
        return None
    if moves[0].kind != kind or moves[0].rep_id != rep.pk:
        raise ValidationError({"code": _("This code was used for another operation.")})
    return moves


def lot_get_or_create(*, sku, lot_number: str, expiry: dt.date | None) -> SampleLot:
    """The lot ``lot_number`` of ``sku`` (made if new); a known lot keeps its expiry date."""
    lot_number = (lot_number or "").strip()
    if not lot_number:
        raise ValidationError({"lot_number": _("Enter the lot number printed on the box.")})
    if len(lot_number) > 40:
        raise ValidationError({"lot_number": _("The lot number is at most 40 characters.")})
    lot = SampleLot.objects.filter(sku=sku, lot_number=lot_number).first()
    if lot is not None:
        if expiry and expiry != lot.expiry:
            raise ValidationError({"expiry": _("Lot %(lot)s of %(sku)s expires on %(day)s, not on %(other)s.") % {
                "lot": lot_number, "sku": sku, "day": f"{lot.expiry:%Y-%m-%d}", "other": f"{expiry:%Y-%m-%d}"}})
        return lot
    if expiry is None:
        raise ValidationError({"expiry": _("Enter the expiry date of a new lot.")})
    SampleLot.objects.bulk_create([SampleLot(sku=sku, lot_number=lot_number, expiry=expiry)], ignore_conflicts=True)
    return SampleLot.objects.get(sku=sku, lot_number=lot_number)


@transaction.atomic
def stock_receive(*, rep: Membership, lines, by: Membership, code, order=None, reason: str = "") -> list:
    """Put stock in the rep's inventory: ``lines`` is ``[{"sku": Sku, "lot_number": str,
    "expiry": date, "quantity": n}, …]`` (lots made as needed)."""
    code = parse_code(code)
    lock_code(code)
    done = _done(code, MoveKind.RECEIVED, rep)
    if done is not None:
        return done
    if not rep.is_active:
        raise ValidationError({"rep": _("This member is not active.")})
    quantities: dict[int, int] = {}
    lots = {}
    for line in lines or []:
        try:
            quantity = int(line.get("quantity"))
        except (TypeError, ValueError):
            raise ValidationError({"quantity": _("Enter a whole quantity.")}) from None
        if quantity <= 0:
            raise ValidationError({"quantity": _("Quantities must be at least 1.")})
        lot = lot_get_or_create(sku=line["sku"], lot_number=line.get("lot_number"), expiry=line.get("expiry"))
        lots[lot.pk] = lot
        quantities[lot.pk] = quantities.get(lot.pk, 0) + quantity
    if not quantities:
        raise ValidationError({"lines": _("Enter at least one SKU, lot and quantity.")})
    put(rep_id=rep.pk, quantities=quantities)
    now = timezone.now()
    return SampleMove.objects.bulk_create([
        SampleMove(kind=MoveKind.RECEIVED, quantity=n, rep_id=rep.pk, lot=lots[lot_id], order=order,
                   reason=(reason or "").strip()[:300], by=by, at=now, code=code)
        for lot_id, n in quantities.items()
    ])


def _lots(codes) -> dict:
    lots = {lot.code: lot for lot in SampleLot.objects.filter(code__in=list(codes))}
    if len(lots) != len(set(codes)):
        raise ValidationError({"lines": _("Choose lots from the stock.")})
    return lots


@transaction.atomic
def stock_return(*, rep: Membership, lines, by: Membership, code, reason: str = "") -> list:
    """The rep sends stock back to the warehouse: ``[{"lot": lot code, "quantity": n}, …]``."""
    code = parse_code(code)
    lock_code(code)
    done = _done(code, MoveKind.RETURNED, rep)
    if done is not None:
        return done
    wanted = merge_lines(lines)
    lots = _lots(wanted)
    take(rep_id=rep.pk, quantities={lots[c].pk: n for c, n in wanted.items()})
    now = timezone.now()
    return SampleMove.objects.bulk_create([
        SampleMove(kind=MoveKind.RETURNED, quantity=-n, rep_id=rep.pk, lot=lots[c], reason=(reason or "").strip()[:300],
                   by=by, at=now, code=code)
        for c, n in wanted.items()
    ])


@transaction.atomic
def stock_adjust(*, rep: Membership, lot: SampleLot, quantity: int, reason: str, by: Membership, code) -> SampleMove:
    """Correct the rep's stock of ``lot`` by ``quantity`` (signed), with the reason."""
    code = parse_code(code)
    lock_code(code)
    done = _done(code, MoveKind.ADJUSTED, rep)
    if done is not None:
        return done[0]
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the stock is adjusted.")})
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise ValidationError({"quantity": _("Enter a whole quantity.")}) from None
    if quantity == 0:
        raise ValidationError({"quantity": _("An adjustment cannot be zero.")})
    if quantity < 0:
        take(rep_id=rep.pk, quantities={lot.pk: -quantity}, field="quantity")
    else:
        put(rep_id=rep.pk, quantities={lot.pk: quantity})
    return SampleMove.objects.create(kind=MoveKind.ADJUSTED, quantity=quantity, rep_id=rep.pk, lot=lot,
                                     reason=reason[:300], by=by, at=timezone.now(), code=code)

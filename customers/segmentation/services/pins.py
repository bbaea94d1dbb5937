"""Pins: an analyst fixes a customer's tier by hand, with a reason.

A pin lives on the customer's ``CustomerTier`` row (``pinned_tier``, reason, who, when); the
effective ``tier`` is the pin while it lasts, whatever the nightly runs compute (they keep
updating ``computed_tier`` and the bands underneath). Unpinning gives the computed tier
back. Both write a ``TierChange`` (kind ``pinned`` / ``unpinned``, by whom, the reason),
even when the tier itself stays the same, and keep the customer's own ``tier`` column in
step for the primary product line. A pin waits for nobody: while a run of the same line
holds its lock, pinning is refused with a message (try again in a minute).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.backends.postgresql.psycopg_any import NumericRange
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Hcp, Status
from customers.validation import text

from ..definition import TIERS
from ..models import CustomerTier, Purpose, TierChange, TierChangeBatch
from ..models.history import NO_TIER
from .locks import try_xact_lock
from .rules import settings_get

REASON_MAX = 300


def _customer_field(customer) -> str:
    return "hcp" if isinstance(customer, Hcp) else "institution"


def _line_filter(product_line) -> dict:
    return {"product_line": product_line} if product_line is not None else {"product_line__isnull": True}


def _lock(purpose: str, product_line) -> None:
    run_purpose = "tier" if purpose == Purpose.TIER else "channel"
    if not try_xact_lock(run_purpose, product_line.pk if product_line is not None else None):
        raise ValidationError({"tier": _("A recompute of this product line is running; try again in a minute.")})


def _sync_customer(customer, purpose: str, product_line, tier: str) -> None:
    if purpose == Purpose.TIER and product_line is not None and settings_get().primary_product_line_id == product_line.pk:
        type(customer).objects.filter(pk=customer.pk).exclude(tier=tier).update(tier=tier)


def _record(customer, purpose: str, product_line, old: str, new: str, kind: str, by, at, reason: str) -> None:
    """The history of a pin or an unpin: a batch of one change (``models/history.py``)."""
    TierChangeBatch.objects.create(
        purpose=purpose, product_line=product_line, customer_kind=_customer_field(customer), kind=kind, by=by,
        at=at, reason=reason, span=NumericRange(customer.pk, customer.pk, "[]"), customers=[customer.pk],
        from_tiers=old or NO_TIER, to_tiers=new or NO_TIER)


def _reason(reason: str, *, required: bool) -> str:
    reason = text(reason or "")
    if required and not reason:
        raise ValidationError({"reason": _("Say why the tier is pinned.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Use at most %(n)s characters.") % {"n": REASON_MAX}})
    return reason


@transaction.atomic
def tier_pin(*, customer, tier: str, reason: str, by, product_line=None, purpose: str = Purpose.TIER) -> CustomerTier:
    """Pin ``customer``'s tier in ``product_line`` to ``tier`` (A–D)."""
    tier = str(tier or "").strip().upper()
    if tier not in TIERS:
        raise ValidationError({"tier": _("Choose a tier: A, B, C or D.")})
    reason = _reason(reason, required=True)
    if purpose == Purpose.TIER and product_line is None:
        raise ValidationError({"product_line": _("Choose the product line.")})
    if customer.status == Status.MERGED:
        raise ValidationError({"tier": _("This record was merged into another one.")})
    _lock(purpose, product_line)
    field = _customer_field(customer)
    now = timezone.now()
    row = (CustomerTier.objects.select_for_update()
           .filter(**{field: customer}, purpose=purpose, **_line_filter(product_line)).first())
    old = row.tier if row else ""
    if row is None:
        row = CustomerTier(**{field: customer}, purpose=purpose, product_line=product_line, changed_at=now)
    row.pinned_tier, row.pin_reason, row.pinned_by, row.pinned_at, row.tier = tier, reason, by, now, tier
    if old != tier:
        row.changed_at = now
    row.save()
    _record(customer, purpose, product_line, old, tier, TierChange.Kind.PINNED, by, now, reason)
    _sync_customer(customer, purpose, product_line, tier)
    return row


@transaction.atomic
def tier_unpin(*, customer, by, product_line=None, reason: str = "", purpose: str = Purpose.TIER) -> CustomerTier | None:
    """Remove the pin: the computed tier applies again (no tier if the customer has none, e.g.
    it left the rule's population). Returns the row, or None if none is left."""
    reason = _reason(reason, required=False)
    _lock(purpose, product_line)
    field = _customer_field(customer)
    row = (CustomerTier.objects.select_for_update()
           .filter(**{field: customer}, purpose=purpose, **_line_filter(product_line)).first())
    if row is None or not row.pinned_tier:
        raise ValidationError({"tier": _("This customer's tier is not pinned.")})
    now = timezone.now()
    old, new = row.tier, row.computed_tier
    _record(customer, purpose, product_line, old, new, TierChange.Kind.UNPINNED, by, now, reason)
    _sync_customer(customer, purpose, product_line, new)
    if not new:
        row.delete()
        return None
    row.pinned_tier, row.pin_reason, row.pinned_by, row.pinned_at, row.tier = "", "", None, None, new
    if old != new:
        row.changed_at = now
    row.save()
    return row

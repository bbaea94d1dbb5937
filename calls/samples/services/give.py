"""Samples given in a call, with the HCP's signature.

``samples_give`` is idempotent by the client's ``code``: a retry (same code) returns the
moves the first request made and changes nothing. It refuses — naming the field, nothing
saved — a call that is not the rep's own, is only planned or is locked; a lot unknown,
expired or beyond the rep's stock (checked by the conditional UPDATE, so two gives at the
same moment can never take the same units); a missing signature when the tenant requires
one (``CallSettings.signature_required``; no settings row means required).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership
from sfe.core.tenancy import current_tenant

from ..models import MoveKind, SampleLot, SampleMove, SampleSignature
from .ledger import lock_code, merge_lines, parse_code, take

SVG_PATH_RE = re.compile(r"^[MLmlZz0-9.,\s-]+$")
MAX_SVG = 200_000
MAX_PNG = 512 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Drawing:
    """The signature as drawn: stroke path (``M x y L x y …``) and/or a PNG."""

    svg_path: str = ""
    png: bytes = b""

    @property
    def is_empty(self) -> bool:
        return not (self.svg_path or "").strip() and not self.png


@dataclass
class GiveResult:
    moves: list = field(default_factory=list)
    signature: SampleSignature | None = None
    created: bool = True


def signature_required() -> bool:
    from calls.models import CallSettings

    settings = CallSettings.objects.first()
    return True if settings is None else settings.signature_required


def call_is_locked(call, today: dt.date | None = None) -> bool:
    """Locked: marked so, or submitted more than the tenant's ``lock_after_days`` ago."""
    from calls.models import CallSettings
    from calls.models.calls import CallStatus

    if call.locked_at is not None:
        return True
    if call.status != CallStatus.SUBMITTED:
        return False
    settings = CallSettings.objects.first()
    days = settings.lock_after_days if settings else CallSettings._meta.get_field("lock_after_days").default
    return call.day + dt.timedelta(days=days) < (today or current_tenant().today())


def _check_call(call, by: Membership) -> None:
    from calls.models.calls import CallStatus

    if call.rep_id != by.pk:
        raise ValidationError({"call": _("You can give samples only in your own calls.")})
    if call.status == CallStatus.PLANNED:
        raise ValidationError({"call": _("This call is only planned: log the visit before giving samples.")})
    if call_is_locked(call):
        raise ValidationError({"call": _("This call is locked: samples can no longer be added to it.")})


def _check_drawing(drawing: Drawing | None) -> Drawing | None:
    if drawing is None or drawing.is_empty:
        return None
    svg = (drawing.svg_path or "").strip()
    if svg and (len(svg) > MAX_SVG or not SVG_PATH_RE.match(svg)):
        raise ValidationError({"signature": _("The signature could not be read: please sign again.")})
    if drawing.png and (len(drawing.png) > MAX_PNG or not drawing.png.startswith(PNG_MAGIC)):
        raise ValidationError({"signature": _("The signature image must be a PNG of at most 512 KB.")})
    return Drawing(svg_path=svg, png=drawing.png)


def _existing(code) -> GiveResult | None:
    moves = list(SampleMove.objects.filter(code=code).select_related("lot__sku").order_by("id"))
    if not moves:
        return None
    return GiveResult(moves=moves, signature=moves[0].signature, created=False)


@transaction.atomic
def samples_give(*, call, lines, signature: Drawing | None, code, by: Membership) -> GiveResult:
    """Give samples in ``call``: ``lines`` is ``[{"lot": lot code, "quantity": n}, …]``."""
    from calls.models import Call

    code = parse_code(code)
    lock_code(code)
    done = _existing(code)
    if done is not None:
        if done.moves[0].kind != MoveKind.GIVEN or done.moves[0].call_id != call.pk:
            raise ValidationError({"code": _("This code was used for another operation.")})
        return done
    call = Call.objects.select_for_update(of=("self",)).get(pk=call.pk)
    _check_call(call, by)
    wanted = merge_lines(lines)
    drawing = _check_drawing(signature)
    if drawing is None and signature_required():
        raise ValidationError({"signature": _("The HCP's signature is required for samples.")})
    lots = {lot.code: lot for lot in SampleLot.objects.filter(code__in=list(wanted)).select_related("sku")}
    unknown = [c for c in wanted if c not in lots]
    if unknown:
        raise ValidationError({"lines": _("Choose lots from your stock.")})
    today = current_tenant().today()
    expired = [lots[c] for c in wanted if lots[c].expiry < today]
    if expired:
        raise ValidationError({"lines": [
            _("%(sku)s lot %(lot)s expired on %(day)s: it cannot be given.") % {
                "sku": lot.sku, "lot": lot.lot_number, "day": f"{lot.expiry:%Y-%m-%d}"} for lot in expired]})
    take(rep_id=by.pk, quantities={lots[c].pk: n for c, n in wanted.items()})
    now = timezone.now()
    sig = None
    if drawing is not None:
        sig = SampleSignature(call=call, hcp_id=call.hcp_id, svg_path=drawing.svg_path, signed_at=now)
        if drawing.png:
            sig.image.save("signature.png", ContentFile(drawing.png), save=False)
        sig.save()
    moves = SampleMove.objects.bulk_create([
        SampleMove(kind=MoveKind.GIVEN, quantity=-n, rep_id=by.pk, lot=lots[c], call=call, hcp_id=call.hcp_id,
                   signature=sig, by=by, at=now, code=code)
        for c, n in wanted.items()
    ])
    return GiveResult(moves=moves, signature=sig, created=True)

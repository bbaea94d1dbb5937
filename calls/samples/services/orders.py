"""Sample orders through the approval engine (request type ``sample_order``).

``sample_order_submit`` saves the order and opens its approval request in one transaction:
with no chain configured nothing is saved. The hooks (``on_approved`` …) run inside the
deciding transaction and move the order's state by a conditional UPDATE. An approved order
is a pending delivery: ``sample_order_receive`` (the rep, once) puts the lots in stock.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership

from ..models import OrderState, SampleOrder, SampleOrderLine
from .ledger import lock_code, parse_code
from .stock import stock_receive

KEY = "sample_order"
MAX_QUANTITY = 10_000


@transaction.atomic
def sample_order_submit(*, rep: Membership, lines, note: str = "", code=None) -> SampleOrder:
    """``lines``: ``[{"sku": Sku, "quantity": n}, …]``. Idempotent by ``code``."""
    from approvals.services import approval_submit

    code = parse_code(code) if code is not None else None
    if code is not None:
        lock_code(code, "order")
        existing = SampleOrder.objects.filter(code=code).first()
        if existing is not None:
            if existing.rep_id != rep.pk:
                raise ValidationError({"code": _("This code was used for another operation.")})
            return existing
    merged: dict = {}
    for line in lines or []:
        sku = line.get("sku")
        try:
            quantity = int(line.get("quantity"))
        except (TypeError, ValueError):
            raise ValidationError({"lines": _("Each line needs a SKU and a whole quantity.")}) from None
        if sku is None:
            raise ValidationError({"lines": _("Each line needs a SKU and a whole quantity.")})
        if sku.is_discontinued:
            raise ValidationError({"lines": _("%(sku)s is discontinued.") % {"sku": sku}})
        if not 0 < quantity <= MAX_QUANTITY:
            raise ValidationError({"lines": _("Quantities must be between 1 and %(max)s.") % {"max": MAX_QUANTITY}})
        merged[sku.pk] = (sku, merged.get(sku.pk, (sku, 0))[1] + quantity)
    if not merged:
        raise ValidationError({"lines": _("Order at least one SKU.")})
    order = SampleOrder(rep=rep, note=(note or "").strip()[:500])
    if code is not None:
        order.code = code
    order.save()
    SampleOrderLine.objects.bulk_create([SampleOrderLine(order=order, sku=sku, quantity=n) for sku, n in merged.values()])
    amount = sum((sku.list_price * n for sku, n in merged.values()), Decimal(0))
    title = _("Sample order of %(name)s: %(n)s units") % {
        "name": rep.user.full_name, "n": sum(n for _sku, n in merged.values())}
    request = approval_submit(request_type=KEY, requester=rep, title=title, amount=amount, object_code=order.code,
                              payload={"order": str(order.code)})
    order.approval_code = request.code
    order.save(update_fields=["approval_code"])
    return order


def _move(request, to: str, from_states) -> None:
    SampleOrder.objects.filter(code=request.object_code, state__in=from_states).update(
        state=to, decided_at=timezone.now() if to != OrderState.RETURNED else None,
        decision_comment=_last_comment(request))


def _last_comment(request) -> str:
    step = request.steps.exclude(comment="").order_by("-decided_at", "-order").first()
    return (step.comment if step else "")[:1000]


def on_approved(request) -> None:
    _move(request, OrderState.APPROVED, [OrderState.PENDING, OrderState.RETURNED])


def on_rejected(request) -> None:
    _move(request, OrderState.REJECTED, [OrderState.PENDING, OrderState.RETURNED])


def on_returned(request) -> None:
    _move(request, OrderState.RETURNED, [OrderState.PENDING])


def on_withdrawn(request) -> None:
    _move(request, OrderState.WITHDRAWN, [OrderState.PENDING, OrderState.RETURNED])


def describe(request) -> list[tuple[str, str]]:
    order = SampleOrder.objects.filter(code=request.object_code).first()
    if order is None:
        return []
    lines = order.lines.select_related("sku").order_by("id")
    out = [(str(line.sku), str(line.quantity)) for line in lines]
    if order.note:
        out.append((_("Note"), order.note))
    return out


def object_url(request) -> str:
    return reverse("samples:order_detail", kwargs={"code": request.object_code}) if request.object_code else ""


@transaction.atomic
def sample_order_receive(*, order: SampleOrder, by: Membership, lines) -> SampleOrder:
    """The rep confirms the delivery: ``lines`` is ``[{"line": SampleOrderLine id, "lot_number",
    "expiry", "quantity"}, …]`` (a quantity of 0 skips a line). Once only."""
    if order.rep_id != by.pk:
        raise ValidationError({"order": _("Only the rep who ordered can confirm the delivery.")})
    lock_code(order.code, "order-receive")
    order = SampleOrder.objects.get(pk=order.pk)
    if order.state == OrderState.RECEIVED:
        return order
    if order.state != OrderState.APPROVED:
        raise ValidationError({"order": _("Only an approved order can be received.")})
    ordered = {line.pk: line for line in order.lines.select_related("sku")}
    receipt = []
    for line in lines or []:
        ol = ordered.get(line.get("line"))
        if ol is None:
            raise ValidationError({"lines": _("This line is not in the order.")})
        quantity = int(line.get("quantity") or 0)
        if quantity < 0 or quantity > ol.quantity:
            raise ValidationError({"quantity": _("Receive between 0 and %(n)s of %(sku)s.") % {
                "n": ol.quantity, "sku": ol.sku}})
        if quantity:
            receipt.append({"sku": ol.sku, "lot_number": line.get("lot_number"), "expiry": line.get("expiry"),
                            "quantity": quantity})
    if not receipt:
        raise ValidationError({"lines": _("Enter what you received.")})
    stock_receive(rep=by, lines=receipt, by=by, code=order.code, order=order,
                  reason=_("Sample order delivery"))
    won = SampleOrder.objects.filter(pk=order.pk, state=OrderState.APPROVED).update(
        state=OrderState.RECEIVED, received_at=timezone.now())
    if not won:
        raise ValidationError({"order": _("Only an approved order can be received.")})
    order.refresh_from_db()
    return order

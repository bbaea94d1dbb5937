"""The ledger's primitives, set-based: take stock away (a conditional ``UPDATE … WHERE
quantity >= n`` over all lines at once), put stock in (one ``INSERT … ON CONFLICT``), and
serialise the operations of one client code (a transaction-level advisory lock)."""

from __future__ import annotations

import uuid
from collections import OrderedDict

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from sfe.core.tenancy import require_tenant_id


def lock_code(code: uuid.UUID | str, scope: str = "move") -> None:
    """Serialise every operation with this client code until the transaction ends, so a
    retried request waits for the first and then finds what it made."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                    [f"samples:{scope}:{require_tenant_id()}:{code}"])


def parse_code(code, field: str = "code") -> uuid.UUID:
    if isinstance(code, uuid.UUID):
        return code
    try:
        return uuid.UUID(str(code))
    except (TypeError, ValueError):
        raise ValidationError({field: _("Send the operation's code, a UUID made by the client.")}) from None


def merge_lines(lines, *, field: str = "lines") -> OrderedDict:
    """``[{"lot": code, "quantity": n}, …]`` → ``{lot code: total}`` in order; refuses bad quantities."""
    merged: OrderedDict = OrderedDict()
    for line in lines or []:
        try:
            quantity = int(line.get("quantity"))
            lot = parse_code(line.get("lot"), field)
        except (TypeError, ValueError, AttributeError):
            raise ValidationError({field: _("Each line needs a lot and a whole quantity.")}) from None
        if quantity <= 0:
            raise ValidationError({field: _("Quantities must be at least 1.")})
        merged[lot] = merged.get(lot, 0) + quantity
    if not merged:
        raise ValidationError({field: _("Choose at least one lot and a quantity.")})
    return merged


def take(*, rep_id: int, quantities: dict[int, int], field: str = "lines") -> None:
    """Take ``{lot_id: n}`` from the rep's stock, all or nothing: one conditional UPDATE;
    a lot with less than ``n`` (or none) is refused, naming the lot and what is left."""
    tenant_id = require_tenant_id()
    values = ", ".join(["(%s::bigint, %s::integer)"] * len(quantities))
    params: list = [x for pair in quantities.items() for x in pair]
    with connection.cursor() as cur:
        cur.execute(
            f"""UPDATE samples_samplestock s SET quantity = s.quantity - v.n, updated_at = now()
                FROM (VALUES {values}) AS v(lot_id, n)
                WHERE s.tenant_id = %s AND s.rep_id = %s AND s.lot_id = v.lot_id AND s.quantity >= v.n
                RETURNING s.lot_id""",  # noqa: S608 - only placeholders are interpolated
            [*params, tenant_id, rep_id])
        taken = {row[0] for row in cur.fetchall()}
    short = [lot_id for lot_id in quantities if lot_id not in taken]
    if short:
        raise ValidationError({field: [_short_message(rep_id, lot_id, quantities[lot_id]) for lot_id in short]})


def _short_message(rep_id: int, lot_id: int, wanted: int) -> str:
    from ..models import SampleLot, SampleStock

    lot = SampleLot.objects.select_related("sku").get(pk=lot_id)
    held = SampleStock.objects.filter(rep_id=rep_id, lot_id=lot_id).values_list("quantity", flat=True).first() or 0
    return _("Not enough in stock: %(sku)s lot %(lot)s, %(held)s left, %(wanted)s asked.") % {
        "sku": lot.sku, "lot": lot.lot_number, "held": held, "wanted": wanted}


def put(*, rep_id: int, quantities: dict[int, int]) -> None:
    """Add ``{lot_id: n}`` to the rep's stock (rows made as needed): one statement."""
    tenant_id = require_tenant_id()
    values = ", ".join(["(%s::bigint, %s::integer)"] * len(quantities))
    params: list = [x for pair in quantities.items() for x in pair]
    with connection.cursor() as cur:
        cur.execute(
            f"""INSERT INTO samples_samplestock (tenant_id, rep_id, lot_id, quantity, updated_at)
                SELECT %s, %s, v.lot_id, v.n, now() FROM (VALUES {values}) AS v(lot_id, n)
                ON CONFLICT (tenant_id, rep_id, lot_id)
                DO UPDATE SET quantity = samples_samplestock.quantity + EXCLUDED.quantity,
                              updated_at = EXCLUDED.updated_at""",  # noqa: S608 - placeholders only
            [tenant_id, rep_id, *params])

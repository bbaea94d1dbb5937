"""Aligning many customers of one kind to one territory at once (the lists' bulk action
"align to territory"), and ending many alignments at once.

Set-based: one ``INSERT … SELECT`` (or one ``UPDATE``/``DELETE`` pair) whatever the number
of customers; the ids must already be filtered to what the user may see.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from sfe.core.tenancy import require_tenant_id

from ..models import Alignment, Hcp, Institution, Status
from .alignment import check_territory


def _column(model) -> str:
    if model is Hcp:
        return "hcp_id"
    if model is Institution:
        return "institution_id"
    raise ValueError(f"not a customer model: {model!r}")


def _common(*, model, territory, product_line, day, day_field: str) -> str:
    column = _column(model)
    errors = {}
    try:
        check_territory(territory)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if product_line is None:
        errors["product_line"] = [_("This field is required.")]
    if not isinstance(day, dt.date):
        errors[day_field] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    return column


@transaction.atomic
def align_bulk(*, model, ids, territory, product_line, start_date: dt.date, by=None) -> int:
    """Align the customers with ``ids`` to ``territory`` for ``product_line`` from
    ``start_date``; returns how many alignments were created.

    Customers already aligned there on ``start_date`` are skipped (aligning twice changes
    nothing); merged records are skipped. When the customer already has a later alignment
    to the same territory, the new one ends the day before it starts (no overlap).
    ``by`` is recorded by the audit trail (the request's actor).
    """
    column = _common(model=model, territory=territory, product_line=product_line, day=start_date,
                     day_field="start_date")
    ids = list({int(i) for i in ids})
    if not ids:
        return 0
    table = model._meta.db_table
    params = {"tenant": require_tenant_id(), "ids": ids, "territory": territory.pk, "line": product_line.pk,
              "day": start_date, "merged": Status.MERGED, "source": Alignment.Source.MANUAL}
    sql = f"""
        INSERT INTO customers_alignment (tenant_id, code, institution_id, hcp_id, territory_id, product_line_id,
                                         start_date, end_date, source, batch_id, created_at)
        SELECT %(tenant)s, gen_random_uuid(), {'c.id' if column == 'institution_id' else 'NULL'},
               {'c.id' if column == 'hcp_id' else 'NULL'}, %(territory)s, %(line)s, %(day)s,
               (SELECT min(f.start_date) - 1 FROM customers_alignment f
                 WHERE f.tenant_id = %(tenant)s AND f.{column} = c.id AND f.product_line_id = %(line)s
                   AND f.territory_id = %(territory)s AND f.start_date > %(day)s),
               %(source)s, NULL, now()
          FROM {table} c
         WHERE c.tenant_id = %(tenant)s AND c.id = ANY(%(ids)s) AND c.status <> %(merged)s
           AND NOT EXISTS (SELECT 1 FROM customers_alignment a
                            WHERE a.tenant_id = %(tenant)s AND a.{column} = c.id AND a.product_line_id = %(line)s
                              AND a.territory_id = %(territory)s AND a.start_date <= %(day)s
                              AND (a.end_date IS NULL OR a.end_date >= %(day)s))
    """
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount
    except IntegrityError:  # a concurrent alignment of the same customer and territory
        raise ValidationError({"start_date": _("Some of these records were aligned to %(territory)s at the same "
                                               "time by someone else; try again.") % {"territory": territory.name}}
                              ) from None


@transaction.atomic
def unalign_bulk(*, model, ids, territory, product_line, end_date: dt.date, by=None) -> int:
    """End the alignments of the customers with ``ids`` to ``territory`` for ``product_line``
    on ``end_date`` (inclusive); returns how many alignments changed.

    Alignments already ended by then are left alone; those that would start after
    ``end_date`` are removed (cut to nothing), as ``alignment_end`` does for one.
    """
    column = _common(model=model, territory=territory, product_line=product_line, day=end_date,
                     day_field="end_date")
    ids = list({int(i) for i in ids})
    if not ids:
        return 0
    params = {"tenant": require_tenant_id(), "ids": ids, "territory": territory.pk, "line": product_line.pk,
              "day": end_date}
    where = (f"tenant_id = %(tenant)s AND {column} = ANY(%(ids)s) AND product_line_id = %(line)s "
             f"AND territory_id = %(territory)s AND (end_date IS NULL OR end_date > %(day)s)")
    with connection.cursor() as cur:
        cur.execute(
            f"WITH gone AS (DELETE FROM customers_alignment WHERE {where} AND start_date > %(day)s RETURNING 1), "
            f"cut AS (UPDATE customers_alignment SET end_date = %(day)s WHERE {where} AND start_date <= %(day)s "
            f"RETURNING 1) SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM cut)", params)
        return cur.fetchone()[0]


__all__ = ["align_bulk", "unalign_bulk"]

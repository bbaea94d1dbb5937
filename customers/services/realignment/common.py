"""What every method shares: the common checks, the new batch, and the batch's items
computed from a *selection* in one ``INSERT … SELECT`` (see the package docstring)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from sfe.core.tenancy import current_tenant, require_tenant_id

from ...models import RealignmentBatch, Status
from ...validation import text
from ..alignment import check_territory

Method = RealignmentBatch.Method
State = RealignmentBatch.State


def _today() -> dt.date:
    return current_tenant().today()


def _check_common(*, name: str, product_line, effective_date, territory=None, need_territory=True) -> tuple[str, dict]:
    errors: dict[str, list] = {}
    name = text(name)
    if len(name) > 120:
        errors["name"] = [_("Use at most %(n)s characters.") % {"n": 120}]
    if product_line is None:
        errors["product_line"] = [_("This field is required.")]
    elif not product_line.is_active:
        errors["product_line"] = [_("%(name)s is not active.") % {"name": product_line.name}]
    if not isinstance(effective_date, dt.date):
        errors["effective_date"] = [_("This field is required.")]
    elif effective_date < _today():
        errors["effective_date"] = [_("The effective date cannot be in the past: choose today or a later day.")]
    if need_territory:
        try:
            check_territory(territory)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    return name, errors


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _new_batch(*, name: str, method: str, product_line, effective_date: dt.date, criteria: dict, by) -> RealignmentBatch:
    if not name:
        name = _("%(line)s from %(day)s (%(method)s)") % {
            "line": product_line.name, "day": effective_date.isoformat(), "method": Method(method).label}
    return RealignmentBatch.objects.create(name=name[:120], method=method, product_line=product_line,
                                           effective_date=effective_date, criteria=criteria, created_by=by)


# --------------------------------------------------------------------------- items (one INSERT … SELECT)

# The selection's columns: kind ('institution' | 'hcp'), cid, tid (null only for a drop of
# every territory), action ('move' | 'add' | 'drop').
_ITEMS_SQL = """
WITH sel AS MATERIALIZED ({selection}),
cur AS MATERIALIZED (
    SELECT 'institution'::text AS kind, a.institution_id AS cid, a.territory_id AS tid,
           bool_or(a.start_date <= %(day)s) AS on_day
      FROM customers_alignment a
     WHERE a.tenant_id = %(tenant)s AND a.product_line_id = %(line)s
       AND (a.end_date IS NULL OR a.end_date >= %(day)s)
       AND a.institution_id IN (SELECT cid FROM sel WHERE kind = 'institution')
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'hcp', a.hcp_id, a.territory_id, bool_or(a.start_date <= %(day)s)
      FROM customers_alignment a
     WHERE a.tenant_id = %(tenant)s AND a.product_line_id = %(line)s
       AND (a.end_date IS NULL OR a.end_date >= %(day)s)
       AND a.hcp_id IN (SELECT cid FROM sel WHERE kind = 'hcp')
     GROUP BY 1, 2, 3
),
-- Wanted and current territories side by side per (customer, territory): an aggregate, not a
-- join between the two sets, so the plan stays linear whatever the planner estimates.
g AS (
    SELECT kind, cid, tid,
           bool_or(action IN ('move', 'add')) AS wanted,
           bool_or(action = 'drop') AS dropped,
           bool_or(action = 'move') AS moved,
           bool_or(action = 'cur') AS present,
           bool_or(action = 'cur' AND on_day) AS present_on_day
      FROM (SELECT kind, cid, tid, action, false AS on_day FROM sel
            UNION ALL SELECT kind, cid, tid, 'cur', on_day FROM cur) x
     GROUP BY kind, cid, tid
),
w AS (
    SELECT g.*, bool_or(moved) OVER p AS has_move, bool_or(dropped AND tid IS NULL) OVER p AS drop_all
      FROM g WINDOW p AS (PARTITION BY kind, cid)
),
-- the n-th territory left is paired with the n-th joined (an item X → T)
mv AS (
    SELECT kind, cid, tid AS f, NULL::bigint AS t, row_number() OVER (PARTITION BY kind, cid ORDER BY tid) AS rn
      FROM w WHERE present AND NOT wanted AND (has_move OR dropped OR drop_all)
    UNION ALL
    SELECT kind, cid, NULL, tid, row_number() OVER (PARTITION BY kind, cid ORDER BY tid)
      FROM w WHERE wanted AND NOT present_on_day
),
ins AS (
    INSERT INTO customers_realignmentitem (tenant_id, batch_id, institution_id, hcp_id, from_territory_id,
                                           to_territory_id)
    SELECT %(tenant)s, %(batch)s, CASE WHEN kind = 'institution' THEN cid END, CASE WHEN kind = 'hcp' THEN cid END,
           max(f), max(t)
      FROM mv GROUP BY kind, cid, rn
    RETURNING institution_id
)
SELECT (SELECT count(DISTINCT cid) FROM sel WHERE kind = 'institution'),
       (SELECT count(DISTINCT cid) FROM sel WHERE kind = 'hcp'),
       (SELECT count(*) FROM ins WHERE institution_id IS NOT NULL),
       (SELECT count(*) FROM ins WHERE institution_id IS NULL)
"""

_INST_SELECT = ("SELECT 'institution'::text AS kind, i.id AS cid, %(territory)s::bigint AS tid, 'move'::text AS action "
                "FROM customers_institution i WHERE {where}")
# HCPs of the chosen institutions that have an alignment of their own in the line go along;
# the others follow their institution without an item.
_OWN_HCPS_SELECT = """
SELECT 'hcp'::text, h.id, %(territory)s::bigint, 'move'::text
  FROM customers_institution i
  JOIN customers_hcp h ON h.tenant_id = i.tenant_id AND h.institution_id = i.id
 WHERE {where} AND h.status <> %(merged)s
   AND EXISTS (SELECT 1 FROM customers_alignment a
                WHERE a.tenant_id = %(tenant)s AND a.hcp_id = h.id AND a.product_line_id = %(line)s
                  AND (a.end_date IS NULL OR a.end_date >= %(day)s))
"""


def _build_items(batch: RealignmentBatch, selection: str, params: dict) -> dict:
    params = {**params, "tenant": require_tenant_id(), "batch": batch.pk, "line": batch.product_line_id,
              "day": batch.effective_date, "merged": Status.MERGED}
    with connection.cursor() as cur:
        cur.execute(_ITEMS_SQL.format(selection=selection), params)
        sel_inst, sel_hcp, items_inst, items_hcp = cur.fetchone()
    return {"selected": {"institutions": sel_inst, "hcps": sel_hcp},
            "items": {"institutions": items_inst, "hcps": items_hcp}}


def _finish(batch: RealignmentBatch, counts: dict, empty_field: str) -> RealignmentBatch:
    if not counts["selected"]["institutions"] and not counts["selected"]["hcps"]:
        raise ValidationError({empty_field: _("No customer matches: nothing would move.")})
    batch.summary = {"prepared": counts}
    batch.save(update_fields=["summary"])
    return batch


def _institution_where(params: dict, *, province="", city="", district="", kinds=(), grades=(), tiers=(),
                       ids=None) -> str:
    where = ["i.tenant_id = %(tenant)s", "i.status <> %(merged)s"]
    for key, value in (("province", province), ("city", city), ("district", district)):
        if value:
            params[key] = value
            where.append(f"i.{key} = %({key})s")
    for key, values in (("kind", kinds), ("grade", grades), ("tier", tiers)):
        if values:
            params[f"{key}s"] = list(values)
            where.append(f"i.{key} = ANY(%({key}s)s)")
    if ids is not None:
        params["ids"] = list(ids)
        where.append("i.id = ANY(%(ids)s)")
    return " AND ".join(where)

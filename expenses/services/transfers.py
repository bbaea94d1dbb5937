"""The transfer-of-value report: everything of value given to each HCP, or to each
institution, over a period — the basis of Sunshine-Act or EFPIA-style disclosure.

One aggregate SQL statement, whatever the size (``transfer_report``): the value given, per
recipient,

* **expenses**: the HCPs' shares (``LineHcp.amount``, tenant currency) of the lines of
  *approved* claims whose day is in the period, one column per expense category. Per
  institution: the shares of its HCPs (their primary institution), plus the lines that name
  no HCP but belong to a call at the institution (a department meeting's venue);
* **samples**: units given (``SampleMove`` of kind ``given``, in the period in the tenant's
  time zone) valued at the SKU's list price. Per institution: those of its HCPs, or given in
  a call at it when no HCP signed. List prices are taken as in the tenant's currency;
* **sponsored events**: not tracked until the events app exists — a column that says so.

The page reads one page of rows with the total count and the grand totals (window
functions over the same aggregate); the exports read every row. Finance, admins and
analysts read the whole tenant's spend, so no visibility filter applies.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from sfe.core.tenancy import current_tenant, require_tenant_id

BY_HCP = "hcp"
BY_INSTITUTION = "institution"
GROUPINGS = (BY_HCP, BY_INSTITUTION)
ZERO = Decimal("0.00")

_VALUES = """
v AS (
    SELECT h.hcp_id, hc.institution_id, l.category_id, h.amount, 0 AS units
      FROM expenses_linehcp h
      JOIN expenses_expenseline l ON l.tenant_id = h.tenant_id AND l.id = h.line_id
      JOIN expenses_expenseclaim c ON c.tenant_id = l.tenant_id AND c.id = l.claim_id
      JOIN customers_hcp hc ON hc.tenant_id = h.tenant_id AND hc.id = h.hcp_id
     WHERE h.tenant_id = %(tenant)s AND c.state = 'approved' AND l.day BETWEEN %(start)s AND %(end)s
    UNION ALL
    SELECT NULL, k.institution_id, l.category_id, l.base_amount, 0
      FROM expenses_expenseline l
      JOIN expenses_expenseclaim c ON c.tenant_id = l.tenant_id AND c.id = l.claim_id
      JOIN calls_call k ON k.tenant_id = l.tenant_id AND k.id = l.call_id
     WHERE l.tenant_id = %(tenant)s AND %(by_institution)s AND c.state = 'approved'
       AND l.day BETWEEN %(start)s AND %(end)s
       AND NOT EXISTS (SELECT 1 FROM expenses_linehcp x WHERE x.tenant_id = l.tenant_id AND x.line_id = l.id)
    UNION ALL
    SELECT m.hcp_id, coalesce(hc.institution_id, k.institution_id), NULL, -m.quantity * s.list_price, -m.quantity
      FROM samples_samplemove m
      JOIN samples_samplelot lo ON lo.tenant_id = m.tenant_id AND lo.id = m.lot_id
      JOIN products_sku s ON s.tenant_id = lo.tenant_id AND s.id = lo.sku_id
      LEFT JOIN customers_hcp hc ON hc.tenant_id = m.tenant_id AND hc.id = m.hcp_id
      LEFT JOIN calls_call k ON k.tenant_id = m.tenant_id AND k.id = m.call_id
     WHERE m.tenant_id = %(tenant)s AND m.kind = 'given' AND m.at >= %(from_ts)s AND m.at < %(to_ts)s
)"""

_RECIPIENT = {
    BY_HCP: ("v.hcp_id", """JOIN customers_hcp r ON r.tenant_id = %(tenant)s AND r.id = g.key
        JOIN customers_institution i ON i.tenant_id = r.tenant_id AND i.id = r.institution_id""",
             "r.code, r.name, r.external_code, i.name, i.city"),
    BY_INSTITUTION: ("v.institution_id", "JOIN customers_institution i ON i.tenant_id = %(tenant)s AND i.id = g.key",
                     "i.code, i.name, i.external_code, '', i.city"),
}


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass
class Row:
    code: str
    name: str
    external_code: str
    institution: str
    city: str
    categories: list[Decimal]
    samples_units: int
    samples: Decimal
    total: Decimal


@dataclass
class Report:
    grouping: str
    start: dt.date
    end: dt.date
    currency: str
    categories: list[Column]
    rows: list[Row] = field(default_factory=list)
    count: int = 0
    offset: int = 0
    totals: Row | None = None


def _sql(grouping: str, n_categories: int, *, paged: bool) -> str:
    key, join, names = _RECIPIENT[grouping]
    per_category = "".join(
        f", coalesce(sum(v.amount) FILTER (WHERE v.category_id = %(c{n})s), 0) AS c{n}" for n in range(n_categories))
    category_cols = "".join(f", g.c{n}" for n in range(n_categories))
    category_totals = "".join(f", sum(g.c{n}) OVER ()" for n in range(n_categories))
    return f"""
WITH {_VALUES},
g AS (
    SELECT {key} AS key{per_category},
           coalesce(sum(v.units), 0) AS units,
           coalesce(sum(v.amount) FILTER (WHERE v.category_id IS NULL), 0) AS samples,
           coalesce(sum(v.amount), 0) AS total
      FROM v WHERE {key} IS NOT NULL
     GROUP BY {key}
)
SELECT {names}{category_cols}, g.units, g.samples, g.total,
       count(*) OVER (){category_totals}, sum(g.units) OVER (), sum(g.samples) OVER (), sum(g.total) OVER ()
  FROM g {join}
 ORDER BY g.total DESC, 2, 1
 {"LIMIT %(limit)s OFFSET %(offset)s" if paged else ""}
"""


def _bounds(start: dt.date, end: dt.date, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    tz = zoneinfo.ZoneInfo(time_zone)
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def transfer_report(*, start: dt.date, end: dt.date, grouping: str = BY_HCP, limit: int | None = None,
                    offset: int = 0) -> Report:
    """The report for ``[start, end]``; ``limit``: one page of rows (the count and the
    totals still cover every row). Two queries: the categories, then the aggregate."""
    from ..models import ExpenseCategory

    if grouping not in GROUPINGS:
        raise ValueError(grouping)
    tenant = current_tenant()
    categories = list(ExpenseCategory.objects.order_by("position", "name").values_list("pk", "key", "name"))
    from_ts, to_ts = _bounds(start, end, tenant.time_zone)
    params: dict = {"tenant": require_tenant_id(), "start": start, "end": end, "from_ts": from_ts, "to_ts": to_ts,
                    "by_institution": grouping == BY_INSTITUTION, "limit": limit, "offset": offset}
    params.update({f"c{n}": pk for n, (pk, _key, _name) in enumerate(categories)})
    report = Report(grouping=grouping, start=start, end=end, currency=tenant.currency, offset=offset,
                    categories=[Column(key, name) for _pk, key, name in categories])
    n = len(categories)
    with connection.cursor() as cur:
        cur.execute(_sql(grouping, n, paged=limit is not None), params)
        rows = cur.fetchall()
    for r in rows:
        report.rows.append(Row(code=str(r[0]), name=r[1], external_code=r[2] or "", institution=r[3] or "",
                               city=r[4] or "", categories=list(r[5:5 + n]), samples_units=int(r[5 + n]),
                               samples=r[6 + n], total=r[7 + n]))
    if rows:
        tail = rows[0][8 + n:]
        report.count = int(tail[0])
        report.totals = Row(code="", name="", external_code="", institution="", city="",
                            categories=list(tail[1:1 + n]), samples_units=int(tail[1 + n]), samples=tail[2 + n],
                            total=tail[3 + n])
    elif offset and limit is not None:  # a page past the end: still give the count and totals
        return transfer_report(start=start, end=end, grouping=grouping, limit=limit, offset=0)
    else:
        report.totals = Row(code="", name="", external_code="", institution="", city="", categories=[ZERO] * n,
                            samples_units=0, samples=ZERO, total=ZERO)
    return report

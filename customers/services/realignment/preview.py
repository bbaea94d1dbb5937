"""The impact preview (one aggregate query) and the item counts of a batch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal

from django.db import connection

from sfe.core.tenancy import require_tenant_id

from ...models import RealignmentBatch, Status
from .common import State


@dataclass
class TerritoryImpact:
    territory_id: int
    code: str
    name: str
    path: str
    retired: bool
    inst_before: int = 0
    inst_gained: int = 0
    inst_lost: int = 0
    inst_after: int = 0
    hcp_before: int = 0
    hcp_gained: int = 0
    hcp_lost: int = 0
    hcp_after: int = 0
    target_before: int = 0
    target_gained: int = 0
    target_lost: int = 0
    target_after: int = 0
    inst_potential_before: Decimal = Decimal(0)
    inst_potential_gained: Decimal = Decimal(0)
    inst_potential_lost: Decimal = Decimal(0)
    inst_potential_after: Decimal = Decimal(0)
    hcp_potential_before: Decimal = Decimal(0)
    hcp_potential_gained: Decimal = Decimal(0)
    hcp_potential_lost: Decimal = Decimal(0)
    hcp_potential_after: Decimal = Decimal(0)

    @property
    def potential_gained(self) -> Decimal:
        return self.inst_potential_gained + self.hcp_potential_gained

    @property
    def potential_lost(self) -> Decimal:
        return self.inst_potential_lost + self.hcp_potential_lost

    def as_json(self) -> dict:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> TerritoryImpact:
        decimals = {f.name for f in fields(cls) if f.type in ("Decimal", Decimal)}
        return cls(**{k: (Decimal(v) if k in decimals else v) for k, v in data.items() if k in cls.__dataclass_fields__})


_PREVIEW_SQL = """
WITH
it AS MATERIALIZED (
    SELECT institution_id, hcp_id, from_territory_id AS f, to_territory_id AS t
      FROM customers_realignmentitem WHERE tenant_id = %(tenant)s AND batch_id = %(batch)s
),
al AS NOT MATERIALIZED (
    SELECT institution_id, hcp_id, territory_id FROM customers_alignment
     WHERE tenant_id = %(tenant)s AND product_line_id = %(line)s
       AND start_date <= %(day)s AND (end_date IS NULL OR end_date >= %(day)s)
),
-- HCPs whose territories may change: an item of their own, or one of their primary institution
ah AS MATERIALIZED (
    SELECT h.id, h.institution_id FROM customers_hcp h
     WHERE h.tenant_id = %(tenant)s AND h.status <> %(merged)s
       AND h.id IN (SELECT hcp_id FROM it WHERE hcp_id IS NOT NULL)
    UNION
    SELECT h.id, h.institution_id FROM customers_hcp h
     WHERE h.tenant_id = %(tenant)s AND h.status <> %(merged)s
       AND h.institution_id IN (SELECT institution_id FROM it WHERE institution_id IS NOT NULL)
),
-- institutions whose territories matter: with an item, or primary institution of such an HCP
ri AS MATERIALIZED (SELECT institution_id AS id FROM it WHERE institution_id IS NOT NULL UNION SELECT institution_id FROM ah),
-- (institution, territory) served before and after: current alignments, minus the items' leaves,
-- plus their joins -- one aggregate (no join between the sets)
ist AS MATERIALIZED (
    SELECT id, tid, bool_or(src = 'b') AS before,
           (bool_or(src = 'b') AND NOT bool_or(src = 'l')) OR bool_or(src = 'j') AS after
      FROM (SELECT a.institution_id AS id, a.territory_id AS tid, 'b'::text AS src FROM al a
             WHERE a.institution_id IN (SELECT id FROM ri)
            UNION ALL SELECT institution_id, f, 'l' FROM it WHERE institution_id IS NOT NULL AND f IS NOT NULL
            UNION ALL SELECT institution_id, t, 'j' FROM it WHERE institution_id IS NOT NULL AND t IS NOT NULL) x
     GROUP BY id, tid
),
-- (HCP, territory) through the HCP's own alignments, likewise
hst AS (
    SELECT id, tid, bool_or(src = 'b') AS before,
           (bool_or(src = 'b') AND NOT bool_or(src = 'l')) OR bool_or(src = 'j') AS after
      FROM (SELECT a.hcp_id AS id, a.territory_id AS tid, 'b'::text AS src FROM al a
             WHERE a.hcp_id IN (SELECT id FROM ah)
            UNION ALL SELECT hcp_id, f, 'l' FROM it WHERE hcp_id IS NOT NULL AND f IS NOT NULL
            UNION ALL SELECT hcp_id, t, 'j' FROM it WHERE hcp_id IS NOT NULL AND t IS NOT NULL) x
     GROUP BY id, tid
),
-- each affected HCP beside their institution's territories before and after (a window over
-- the institution, not a join)
hin AS (
    SELECT hcp, ib, ia FROM (
        SELECT hcp, array_agg(tid) FILTER (WHERE hcp IS NULL AND before) OVER w AS ib,
               array_agg(tid) FILTER (WHERE hcp IS NULL AND after) OVER w AS ia
          FROM (SELECT id AS inst, NULL::bigint AS hcp, tid, before, after FROM ist
                UNION ALL SELECT institution_id, id, NULL, NULL, NULL FROM ah) y
        WINDOW w AS (PARTITION BY inst)) z
     WHERE hcp IS NOT NULL
),
hrows AS (
    SELECT id, tid, before AS own_b, after AS own_a, false AS inst_b, false AS inst_a FROM hst
    UNION ALL SELECT hcp, unnest(ib), false, false, true, false FROM hin
    UNION ALL SELECT hcp, unnest(ia), false, false, false, true FROM hin
),
-- served: by their own alignments, or -- with none of their own -- by their institution's
hsv AS (
    SELECT id, tid, bool_or(own_b OR (NOT has_b AND inst_b)) AS before, bool_or(own_a OR (NOT has_a AND inst_a)) AS after
      FROM (SELECT hrows.*, bool_or(own_b) OVER p AS has_b, bool_or(own_a) OVER p AS has_a
              FROM hrows WINDOW p AS (PARTITION BY id)) f
     GROUP BY id, tid
),
delta AS (
    SELECT 'institution'::text AS kind, d.tid, d.after AS gained, i.potential, false AS is_target
      FROM ist d JOIN customers_institution i ON i.tenant_id = %(tenant)s AND i.id = d.id
     WHERE d.before <> d.after AND i.status <> %(merged)s
    UNION ALL
    SELECT 'hcp', d.tid, d.after, h.potential, h.is_target
      FROM hsv d JOIN customers_hcp h ON h.tenant_id = %(tenant)s AND h.id = d.id
     WHERE d.before <> d.after AND h.status <> %(merged)s
),
moved AS (
    SELECT d.tid,
           count(*) FILTER (WHERE d.kind = 'institution' AND d.gained) AS inst_gained,
           count(*) FILTER (WHERE d.kind = 'institution' AND NOT d.gained) AS inst_lost,
           count(*) FILTER (WHERE d.kind = 'hcp' AND d.gained) AS hcp_gained,
           count(*) FILTER (WHERE d.kind = 'hcp' AND NOT d.gained) AS hcp_lost,
           count(*) FILTER (WHERE d.kind = 'hcp' AND d.gained AND d.is_target) AS target_gained,
           count(*) FILTER (WHERE d.kind = 'hcp' AND NOT d.gained AND d.is_target) AS target_lost,
           coalesce(sum(d.potential) FILTER (WHERE d.kind = 'institution' AND d.gained), 0) AS ip_gained,
           coalesce(sum(d.potential) FILTER (WHERE d.kind = 'institution' AND NOT d.gained), 0) AS ip_lost,
           coalesce(sum(d.potential) FILTER (WHERE d.kind = 'hcp' AND d.gained), 0) AS hp_gained,
           coalesce(sum(d.potential) FILTER (WHERE d.kind = 'hcp' AND NOT d.gained), 0) AS hp_lost
      FROM delta d
     GROUP BY d.tid
),
terr AS MATERIALIZED (
    SELECT f AS tid FROM it WHERE f IS NOT NULL UNION SELECT t FROM it WHERE t IS NOT NULL UNION SELECT tid FROM moved
),
-- the territories' totals before: every customer they serve, not only those the batch moves
tot_inst AS (
    SELECT a.territory_id AS tid, count(*) AS n, coalesce(sum(i.potential), 0) AS p
      FROM al a JOIN customers_institution i ON i.tenant_id = %(tenant)s AND i.id = a.institution_id
     WHERE a.territory_id IN (SELECT tid FROM terr) AND i.status <> %(merged)s
     GROUP BY 1
),
tot_hcp AS (
    SELECT s.tid, count(*) AS n, count(*) FILTER (WHERE s.is_target) AS targets, coalesce(sum(s.potential), 0) AS p
      FROM (SELECT a.territory_id AS tid, h.is_target, h.potential FROM al a
              JOIN customers_hcp h ON h.tenant_id = %(tenant)s AND h.id = a.hcp_id
             WHERE a.territory_id IN (SELECT tid FROM terr) AND h.status <> %(merged)s
            UNION ALL  -- disjoint: the second part has only HCPs with no alignment of their own
            SELECT a.territory_id, h.is_target, h.potential FROM al a
              JOIN customers_hcp h ON h.tenant_id = %(tenant)s AND h.institution_id = a.institution_id
             WHERE a.territory_id IN (SELECT tid FROM terr) AND h.status <> %(merged)s
               AND NOT EXISTS (SELECT 1 FROM al o WHERE o.hcp_id = h.id)) s
     GROUP BY 1
)
SELECT n.id, n.code::text, n.name, n.path, n.retired_on IS NOT NULL,
       coalesce(ti.n, 0), coalesce(m.inst_gained, 0), coalesce(m.inst_lost, 0),
       coalesce(th.n, 0), coalesce(m.hcp_gained, 0), coalesce(m.hcp_lost, 0),
       coalesce(th.targets, 0), coalesce(m.target_gained, 0), coalesce(m.target_lost, 0),
       coalesce(ti.p, 0), coalesce(m.ip_gained, 0), coalesce(m.ip_lost, 0),
       coalesce(th.p, 0), coalesce(m.hp_gained, 0), coalesce(m.hp_lost, 0)
  FROM terr
  JOIN accounts_orgnode n ON n.tenant_id = %(tenant)s AND n.id = terr.tid
  LEFT JOIN moved m ON m.tid = terr.tid
  LEFT JOIN tot_inst ti ON ti.tid = terr.tid
  LEFT JOIN tot_hcp th ON th.tid = terr.tid
 ORDER BY n.path, n.id
"""


def realignment_preview(*, batch: RealignmentBatch) -> list[TerritoryImpact]:
    """Per territory touched, what the batch would change on its effective date (see the
    module docstring for what counts), computed now from the current alignments: one query.

    An applied batch answers with the preview stored when it was applied.
    """
    if batch.state == State.APPLIED and "preview" in (batch.summary or {}):
        return [TerritoryImpact.from_json(row) for row in batch.summary["preview"]]
    params = {"tenant": require_tenant_id(), "batch": batch.pk, "line": batch.product_line_id,
              "day": batch.effective_date, "merged": Status.MERGED}
    with connection.cursor() as cur:
        cur.execute(_PREVIEW_SQL, params)
        found = cur.fetchall()
    out = []
    for r in found:
        row = TerritoryImpact(
            territory_id=r[0], code=r[1], name=r[2], path=r[3], retired=r[4],
            inst_before=r[5], inst_gained=r[6], inst_lost=r[7],
            hcp_before=r[8], hcp_gained=r[9], hcp_lost=r[10],
            target_before=r[11], target_gained=r[12], target_lost=r[13],
            inst_potential_before=r[14], inst_potential_gained=r[15], inst_potential_lost=r[16],
            hcp_potential_before=r[17], hcp_potential_gained=r[18], hcp_potential_lost=r[19],
        )
        row.inst_after = row.inst_before + row.inst_gained - row.inst_lost
        row.hcp_after = row.hcp_before + row.hcp_gained - row.hcp_lost
        row.target_after = row.target_before + row.target_gained - row.target_lost
        row.inst_potential_after = row.inst_potential_before + row.inst_potential_gained - row.inst_potential_lost
        row.hcp_potential_after = row.hcp_potential_before + row.hcp_potential_gained - row.hcp_potential_lost
        out.append(row)
    return out


def item_counts(*, batch: RealignmentBatch) -> dict:
    """The items of the batch by kind and by what they do, and the HCPs that move with their
    institution without an item of their own (one query)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH it AS MATERIALIZED (SELECT institution_id, hcp_id, from_territory_id, to_territory_id
                                       FROM customers_realignmentitem WHERE tenant_id = %(tenant)s AND batch_id = %(batch)s)
            SELECT count(*) FILTER (WHERE institution_id IS NOT NULL),
                   count(*) FILTER (WHERE hcp_id IS NOT NULL),
                   count(*) FILTER (WHERE from_territory_id IS NOT NULL AND to_territory_id IS NOT NULL),
                   count(*) FILTER (WHERE from_territory_id IS NULL),
                   count(*) FILTER (WHERE to_territory_id IS NULL),
                   (SELECT count(*) FROM customers_hcp h
                     WHERE h.tenant_id = %(tenant)s AND h.status <> %(merged)s
                       AND h.institution_id IN (SELECT institution_id FROM it WHERE institution_id IS NOT NULL)
                       AND NOT EXISTS (SELECT 1 FROM customers_alignment a
                                        WHERE a.tenant_id = %(tenant)s AND a.hcp_id = h.id
                                          AND a.product_line_id = %(line)s AND a.start_date <= %(day)s
                                          AND (a.end_date IS NULL OR a.end_date >= %(day)s)))
              FROM it
            """,
            {"tenant": require_tenant_id(), "batch": batch.pk, "line": batch.product_line_id,
             "day": batch.effective_date, "merged": Status.MERGED})
        inst, hcp, moves, joins, leaves, following = cur.fetchone()
    return {"institutions": inst, "hcps": hcp, "total": inst + hcp, "moves": moves, "joins": joins,
            "leaves": leaves, "following": following}

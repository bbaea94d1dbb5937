"""Preview a candidate rule before saving it: one SELECT, no writes.

The candidate's classification (``sql.compute_sql``) joined to today's tiers of the same
(purpose, product line, kind), grouped by (tier today, tier after): how many customers land
in each tier, how many would change, and the from → to moves. Pins win here as in a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from sfe.core.tenancy import current_tenant, require_tenant_id

from ..definition import TIERS, validate_definition
from ..models import Purpose
from ..sql import COLUMNS, compute_sql
from .rules import settings_get

LABELS = (*TIERS, "")


@dataclass(frozen=True)
class Preview:
    #: Customers per tier after the change (``""``: no tier), and today.
    after: dict[str, int]
    before: dict[str, int]
    #: Customers whose tier would change, and the moves (from, to) → count.
    changes: int
    moves: dict[tuple[str, str], int] = field(default_factory=dict)
    population: int = 0
    pinned: int = 0

    def as_json(self) -> dict:
        return {"after": self.after, "before": self.before, "changes": self.changes, "population": self.population,
                "pinned": self.pinned,
                "moves": [{"from": a, "to": b, "count": n} for (a, b), n in sorted(self.moves.items())]}


def rule_preview(*, kind: str, definition, product_line=None, purpose: str = Purpose.TIER) -> Preview:
    """What ``definition`` would do if saved now (``ValidationError`` for a bad one, as at save)."""
    clean = validate_definition(definition, kind=kind, purpose=purpose, weights_total=settings_get().weights_total)
    line_id = product_line.pk if product_line is not None else None
    compiled = compute_sql(clean, kind, tenant_id=require_tenant_id(), line_id=line_id,
                           today=current_tenant().today())
    line = "t.product_line_id = %(line)s" if line_id is not None else "t.product_line_id IS NULL"
    sql = f"""
        WITH n AS ({compiled.sql})
        SELECT coalesce(t.tier, '') AS before,
               CASE WHEN coalesce(t.pinned_tier, '') <> '' THEN t.pinned_tier ELSE n.label END AS after,
               count(*), count(*) FILTER (WHERE coalesce(t.pinned_tier, '') <> ''), count(*) FILTER (WHERE n.in_pop)
          FROM n
          LEFT JOIN segmentation_customertier t
            ON t.{COLUMNS[kind]} = n.id AND t.tenant_id = %(tenant)s AND t.purpose = %(purpose)s AND {line}
         WHERE n.in_pop OR t.id IS NOT NULL
         GROUP BY 1, 2
    """
    after = dict.fromkeys(LABELS, 0)
    before = dict.fromkeys(LABELS, 0)
    moves: dict[tuple[str, str], int] = {}
    pinned = population = 0
    with connection.cursor() as cur:
        cur.execute(sql, {**compiled.params, "purpose": purpose})
        for old, new, n, n_pinned, n_pop in cur.fetchall():
            after[new] += n
            before[old] += n
            pinned += n_pinned
            population += n_pop
            if old != new:
                moves[(old, new)] = n
    return Preview(after=after, before=before, changes=sum(moves.values()), moves=moves, population=population,
                   pinned=pinned)

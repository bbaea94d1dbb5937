"""The recompute of one rule: classify the whole population set-based, write only what changed.

For a rule (purpose, product line, kind), in the caller's transaction:

1. ``seg_diff`` (a temporary table), one statement: ``sql.compute_sql`` — every customer of
   the kind in the tenant with its bands and computed label, by window functions — joined
   to the current ``CustomerTier`` rows of the rule (one hash join), kept where the row
   changes (computed tier or a band) or, for the tenant's primary product line, where the
   customer's own ``tier`` column differs from the new effective tier; nothing else is
   materialised, so a quiet night's temporary table holds only the few changes;
2. writes, each one statement over ``seg_diff``: UPDATE the changed rows (a pin wins: the
   effective tier of a pinned row stays the pin), DELETE the rows of customers that left the
   population (unless pinned), INSERT the new ones, record every change of the effective
   tier (from, to, run, at, why: the bands before and after and the rule's version) as
   ``TierChangeBatch`` rows, one per range of ``BATCH_SPAN`` customer ids (``GROUP BY``,
   arrays in customer order: ``models/history.py`` says why not a row per change), and
   UPDATE ``customers_hcp.tier`` / ``customers_institution.tier`` where it differs (primary
   line only; ``updated_at`` is left alone — a computed tier is not an edit of the record).

Nothing is written for a customer whose bands did not move, so the same night run twice
changes nothing and writes no history. The caller's transaction commits it all at once: a
worker killed half-way leaves the old tiers as they were.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from sfe.core.tenancy import current_tenant, require_tenant_id

from ..models.history import BATCH_SPAN, NO_TIER
from ..sql import COLUMNS, TABLES, compute_sql
from ..tuning import PARALLEL_WORKERS, WORK_MEM

BAND_COLUMNS = ("potential_band", "adoption_band", "score_band")


@dataclass
class RuleResult:
    rows_changed: int = 0
    tier_changes: int = 0
    customers_updated: int = 0
    #: (customer id, from, to) of the effective changes, kept for channel rules (alerts).
    changes: list[tuple[int, str, str]] = field(default_factory=list)
    #: Seconds of each statement (``diff``, ``update``, ``delete``, ``insert``, ``history``,
    #: ``customers``), kept with the run's counts: where a slow night spent its time.
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"rows_changed": self.rows_changed, "tier_changes": self.tier_changes,
                "customers_updated": self.customers_updated, "seconds": self.seconds}


def _letters(column: str) -> str:
    """One letter per change (``NO_TIER`` for none).

    The batch's aggregates take no ``ORDER BY`` of their own (each would sort its group
    again: nine sorts of every change): one aggregation reads its rows once, in one order,
    so its arrays stay aligned whatever that order; the sorted subquery makes it customer
    order, as PostgreSQL reads a sorted subquery's rows in order."""
    return f"string_agg(CASE WHEN {column} = '' THEN '{NO_TIER}' ELSE {column} END, '')"


def _line_predicate(alias: str, line_id: int | None) -> str:
    return f"{alias}.product_line_id = %(line)s" if line_id is not None else f"{alias}.product_line_id IS NULL"


def recompute_rule(*, rule, run, sync_customers: bool,
                   step: Callable[[str], None] | None = None) -> RuleResult:
    """Recompute ``rule`` for ``run`` (see the module). ``sync_customers``: keep the
    customers' own ``tier`` column in step (the tenant's primary product line).
    ``step(name)`` is called before each phase (progress)."""
    step = step or (lambda name: None)
    tenant_id = require_tenant_id()
    line_id = rule.product_line_id
    compiled = compute_sql(rule.definition, rule.kind, tenant_id=tenant_id, line_id=line_id,
                           today=current_tenant().today())
    col, table = COLUMNS[rule.kind], TABLES[rule.kind]
    # One moment for every row the rule writes (``TierChange.at`` and ``changed_at``): not
    # later than the run's ``finished_at``, not earlier than its ``started_at``.
    params = {**compiled.params, "purpose": rule.purpose, "run": run.pk if run else None,
              "version": rule.version, "at": timezone.now()}
    result = RuleResult()
    clock = [time.perf_counter()]

    def timed(name: str) -> None:  # the statement just run
        now = time.perf_counter()
        result.seconds[name] = round(now - clock[0], 3)
        clock[0] = now

    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('work_mem'), set_config('work_mem', %s, true), "
                    "current_setting('max_parallel_workers_per_gather'), "
                    "set_config('max_parallel_workers_per_gather', %s, true)", [WORK_MEM, str(PARALLEL_WORKERS)])
        work_mem, _, parallel, _ = cur.fetchone()
        cur.execute("DROP TABLE IF EXISTS seg_diff")
        step("compute")
        clock[0] = time.perf_counter()
        old = ", ".join(f"t.{b} AS old_{b}" for b in BAND_COLUMNS)
        new = ", ".join(f"n.{b} AS new_{b}" for b in BAND_COLUMNS)
        new_tier = "CASE WHEN coalesce(t.pinned_tier, '') <> '' THEN t.pinned_tier ELSE n.label END"
        moved = ("(t.computed_tier, t.potential_band, t.adoption_band, t.score_band) "
                 "IS DISTINCT FROM (n.label, n.potential_band, n.adoption_band, n.score_band)")
        cur.execute(f"""
            CREATE TEMP TABLE seg_diff ON COMMIT DROP AS
            SELECT n.id AS customer_id, t.id AS row_id, coalesce(t.tier, '') AS old_tier,
                   coalesce(t.computed_tier, '') AS old_computed, {old}, coalesce(t.pinned_tier, '') AS pinned,
                   n.label AS new_computed, {new}, {new_tier} AS new_tier,
                   (CASE WHEN t.id IS NULL THEN n.label <> '' ELSE {moved} END) AS row_write
              FROM ({compiled.sql}) n
              LEFT JOIN segmentation_customertier t
                ON t.{col} = n.id AND t.tenant_id = %(tenant)s AND t.purpose = %(purpose)s
               AND {_line_predicate('t', line_id)}
             WHERE (t.id IS NULL AND n.label <> '') OR (t.id IS NOT NULL AND {moved})
                {f"OR n.customer_tier IS DISTINCT FROM {new_tier}" if sync_customers else ""}
        """, params)
        timed("diff")
        step("write")
        cur.execute("""
            UPDATE segmentation_customertier t
               SET computed_tier = d.new_computed, potential_band = d.new_potential_band,
                   adoption_band = d.new_adoption_band, score_band = d.new_score_band, tier = d.new_tier,
                   changed_at = CASE WHEN t.tier <> d.new_tier THEN %(at)s ELSE t.changed_at END
              FROM seg_diff d
             WHERE t.id = d.row_id AND d.row_write AND (d.new_computed <> '' OR d.pinned <> '')
        """, params)
        result.rows_changed += cur.rowcount
        timed("update")
        cur.execute("""
            DELETE FROM segmentation_customertier t USING seg_diff d
             WHERE t.id = d.row_id AND d.row_write AND d.new_computed = '' AND d.pinned = ''
        """, params)
        result.rows_changed += cur.rowcount
        timed("delete")
        cur.execute(f"""
            INSERT INTO segmentation_customertier
                   (tenant_id, purpose, product_line_id, {col}, tier, computed_tier, potential_band, adoption_band,
                    score_band, pinned_tier, pin_reason, changed_at)
            SELECT %(tenant)s, %(purpose)s, %(line)s, customer_id, new_tier, new_computed, new_potential_band,
                   new_adoption_band, new_score_band, '', '', %(at)s
              FROM seg_diff WHERE row_id IS NULL AND new_computed <> '' ORDER BY customer_id
        """, params)
        result.rows_changed += cur.rowcount
        timed("insert")
        cur.execute(f"""
            WITH batch AS (
                INSERT INTO segmentation_tierchangebatch
                       (tenant_id, purpose, product_line_id, customer_kind, kind, run_id, at, reason, rule_version,
                        span, customers, from_tiers, to_tiers, from_potential_bands, to_potential_bands,
                        from_adoption_bands, to_adoption_bands, from_score_bands, to_score_bands)
                SELECT %(tenant)s, %(purpose)s, %(line)s, %(kind)s, 'computed', %(run)s, %(at)s, '', %(version)s,
                       int8range(min(customer_id), max(customer_id), '[]'), array_agg(customer_id),
                       {_letters('old_tier')}, {_letters('new_tier')},
                       {', '.join(f"array_agg({side}_{b})" for b in BAND_COLUMNS for side in ("old", "new"))}
                  FROM (SELECT * FROM seg_diff WHERE old_tier <> new_tier ORDER BY customer_id) d
                 GROUP BY customer_id / {BATCH_SPAN} ORDER BY min(customer_id)
                RETURNING cardinality(customers) AS n)
            SELECT coalesce(sum(n), 0) FROM batch
        """, {**params, "kind": rule.kind})
        result.tier_changes = int(cur.fetchone()[0])
        timed("history")
        if sync_customers:
            cur.execute(f"""
                UPDATE {table} c SET tier = d.new_tier FROM seg_diff d
                 WHERE c.id = d.customer_id AND c.tenant_id = %(tenant)s AND c.tier IS DISTINCT FROM d.new_tier
            """, params)
            result.customers_updated = cur.rowcount
            timed("customers")
        if rule.purpose != "tier":
            cur.execute("SELECT customer_id, old_tier, new_tier FROM seg_diff WHERE old_tier <> new_tier "
                        "ORDER BY customer_id")
            result.changes = [tuple(r) for r in cur.fetchall()]
        cur.execute("DROP TABLE seg_diff")
        cur.execute("SELECT set_config('work_mem', %s, true), set_config('max_parallel_workers_per_gather', %s, true)",
                    [work_mem, parallel])
    return result


def sync_customer_tiers(*, product_line_id: int, kind: str) -> int:
    """Bring every customer's ``tier`` column of ``kind`` in step with ``product_line_id``'s
    effective tiers ('' where it has none); one UPDATE of the rows that differ. Used when
    the tenant changes its primary product line (each run keeps them in step afterwards)."""
    col, table = COLUMNS[kind], TABLES[kind]
    params = {"tenant": require_tenant_id(), "line": product_line_id}
    with connection.cursor() as cur:
        cur.execute(f"""
            UPDATE {table} c SET tier = x.new_tier
              FROM (SELECT c2.id, coalesce(t.tier, '') AS new_tier FROM {table} c2
                      LEFT JOIN segmentation_customertier t
                        ON t.{col} = c2.id AND t.tenant_id = %(tenant)s AND t.purpose = 'tier'
                       AND t.product_line_id = %(line)s
                     WHERE c2.tenant_id = %(tenant)s) x
             WHERE c.id = x.id AND c.tenant_id = %(tenant)s AND c.tier IS DISTINCT FROM x.new_tier
        """, params)
        return cur.rowcount

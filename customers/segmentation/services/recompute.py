"""The recompute of one rule: classify the whole population set-based, write only what changed.

For a rule (purpose, product line, kind), in the caller's transaction, one statement:

1. ``MERGE`` into ``CustomerTier`` from ``sql.compute_sql`` (every customer of the kind in
   the tenant with its bands and computed label) — the shape of a hand-written
   ``UPDATE … FROM (window query)``, one hash join: UPDATE the rows whose computed tier or a
   band moved (a pin wins: the effective tier of a pinned row stays the pin), DELETE those
   of customers that left the population (unless pinned), INSERT the new ones; ``RETURNING``
   each row's tier and bands before and after (PostgreSQL 18's ``old`` / ``new``). The
   planner hashes the classification and reads the tier rows in their order on disk, so
   each page is written once (the other way round, probing with the classification in
   the customers table's order, dirtied twice the pages: 6.8 s instead of 4.8 s at 963,671
   changes). The source used to be sorted by customer id to make sure of it; with the
   window-based classification the planner makes that choice unsorted (seen in
   ``EXPLAIN``), and the sort cost ~0.6 s;
2. from what it returned, the history: every change of the effective tier (from, to, run,
   at, why: the bands before and after and the rule's version) as ``TierChangeBatch`` rows,
   one per range of ``BATCH_SPAN`` customer ids (a hashed ``GROUP BY``, the arrays in the
   order the MERGE returned the changes; ``models/history.py`` says why not a row per
   change);
3. for the tenant's primary product line, ``customers_hcp.tier`` / ``customers_institution.tier``
   where it differs from the new effective tier (``updated_at`` is left alone — a computed
   tier is not an edit of the record); a customer whose own column drifted from an unmoved
   row is returned by a no-op update of the row, and one with a tier but no row (its row
   left with a merge) is cleared by a second statement.

Measured at 963,671 changes against the bare ``UPDATE … FROM (window query)`` in alternation
(``bench/segmentation.py``): the temporary table of the changes, an UPDATE from it and a row
of history per change took 1.5–2.3× the bare statement; this, about its time.

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
    """One letter per change (``NO_TIER`` for none), in the order of the batch's ``customers``."""
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

    eff = "CASE WHEN t.pinned_tier <> '' THEN t.pinned_tier ELSE n.label END"  # the new effective tier
    moved = ("(t.computed_tier, t.potential_band, t.adoption_band, t.score_band) "
             "IS DISTINCT FROM (n.label, n.potential_band, n.adoption_band, n.score_band)")
    bands = ", ".join(f"old.{b} AS old_{b}, new.{b} AS new_{b}" for b in BAND_COLUMNS)
    # Customers of the primary line whose own ``tier`` column drifted from their (unmoved)
    # row: a no-op update of the row returns them, for the customers' UPDATE below.
    drift = "WHEN MATCHED AND n.customer_tier IS DISTINCT FROM t.tier THEN UPDATE SET tier = t.tier" if sync_customers else ""
    customers = (f""", customers AS (
                UPDATE {table} c SET tier = m.new_tier FROM m
                 WHERE c.id = m.customer_id AND c.tenant_id = %(tenant)s AND c.tier IS DISTINCT FROM m.new_tier
                RETURNING 1)""" if sync_customers else "")
    changes = ("(SELECT coalesce(json_agg(json_build_array(customer_id, old_tier, new_tier) ORDER BY customer_id), "
               "'[]') FROM m WHERE old_tier <> new_tier)" if rule.purpose != "tier" else "NULL")
    with connection.cursor() as cur:
        # ``enable_sort`` off: the history's ``GROUP BY`` over what the MERGE returned (a CTE,
        # no statistics) is planned as a sort of every change (0.6 s at a million) because the
        # planner cannot know there are few groups (~500); hashed, the batches' arrays follow
        # the MERGE's order. The sorts the statement needs (ORDER BY, windows) are still made.
        cur.execute("SELECT current_setting('work_mem'), set_config('work_mem', %s, true), "
                    "current_setting('max_parallel_workers_per_gather'), "
                    "set_config('max_parallel_workers_per_gather', %s, true), "
                    "current_setting('enable_sort'), set_config('enable_sort', 'off', true)",
                    [WORK_MEM, str(PARALLEL_WORKERS)])
        work_mem, _, parallel, _, enable_sort, _ = cur.fetchone()
        step("compute")
        clock[0] = time.perf_counter()
        cur.execute(f"""
            WITH m AS (
                MERGE INTO segmentation_customertier t
                USING ({compiled.sql}) n
                   ON t.{col} = n.id AND t.tenant_id = %(tenant)s AND t.purpose = %(purpose)s
                  AND {_line_predicate('t', line_id)}
                 WHEN MATCHED AND n.label = '' AND t.pinned_tier = '' THEN DELETE
                 WHEN MATCHED AND {moved} THEN UPDATE
                      SET computed_tier = n.label, potential_band = n.potential_band, adoption_band = n.adoption_band,
                          score_band = n.score_band, tier = {eff},
                          changed_at = CASE WHEN t.tier <> {eff} THEN %(at)s ELSE t.changed_at END
                 {drift}
                 WHEN NOT MATCHED AND n.label <> '' THEN INSERT
                      (tenant_id, purpose, product_line_id, {col}, tier, computed_tier, potential_band, adoption_band,
                       score_band, pinned_tier, pin_reason, changed_at)
                      VALUES (%(tenant)s, %(purpose)s, %(line)s, n.id, n.label, n.label, n.potential_band,
                              n.adoption_band, n.score_band, '', '', %(at)s)
                RETURNING n.id AS customer_id, coalesce(old.tier, '') AS old_tier, coalesce(new.tier, '') AS new_tier,
                          (merge_action() <> 'UPDATE' OR (old.computed_tier, old.potential_band, old.adoption_band,
                           old.score_band) IS DISTINCT FROM (new.computed_tier, new.potential_band,
                           new.adoption_band, new.score_band)) AS row_changed, {bands}),
            batch AS (
                INSERT INTO segmentation_tierchangebatch
                       (tenant_id, purpose, product_line_id, customer_kind, kind, run_id, at, reason, rule_version,
                        span, customers, from_tiers, to_tiers, from_potential_bands, to_potential_bands,
                        from_adoption_bands, to_adoption_bands, from_score_bands, to_score_bands)
                SELECT %(tenant)s, %(purpose)s, %(line)s, %(kind)s, 'computed', %(run)s, %(at)s, '', %(version)s,
                       int8range(min(customer_id), max(customer_id), '[]'), array_agg(customer_id),
                       {_letters('old_tier')}, {_letters('new_tier')},
                       {', '.join(f"array_agg({side}_{b})" for b in BAND_COLUMNS for side in ("old", "new"))}
                  FROM m WHERE old_tier <> new_tier
                 GROUP BY customer_id / {BATCH_SPAN} ORDER BY min(customer_id)
                RETURNING cardinality(customers) AS n){customers}
            SELECT (SELECT count(*) FROM m WHERE row_changed), (SELECT coalesce(sum(n), 0) FROM batch),
                   {"(SELECT count(*) FROM customers)" if sync_customers else "0"}, {changes}
        """, {**params, "kind": rule.kind})
        rows_changed, tier_changes, customers_updated, changed = cur.fetchone()
        result.rows_changed, result.tier_changes, result.customers_updated = rows_changed, int(tier_changes), customers_updated
        result.changes = [tuple(c) for c in (changed or [])]
        timed("write")
        if sync_customers:
            # A customer with a tier but no row (its row left with a merge): no row to return.
            cur.execute(f"""
                UPDATE {table} c SET tier = '' WHERE c.tenant_id = %(tenant)s AND c.tier <> '' AND NOT EXISTS (
                    SELECT 1 FROM segmentation_customertier t WHERE t.{col} = c.id AND t.tenant_id = %(tenant)s
                       AND t.purpose = %(purpose)s AND {_line_predicate('t', line_id)})
            """, params)
            result.customers_updated += cur.rowcount
            timed("customers")
        cur.execute("SELECT set_config('work_mem', %s, true), set_config('max_parallel_workers_per_gather', %s, true), "
                    "set_config('enable_sort', %s, true)", [work_mem, parallel, enable_sort])
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

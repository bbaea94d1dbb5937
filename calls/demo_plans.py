"""Demo cycle plans (``seed_demo`` step ``step_calls_plans``): every rep's plan for the
current cycle, its lines made for all reps at once by the proposal's rule
(``calls.planning.services.proposal``: HCPs aligned on the cycle's first day to a node the
rep holds, their tier per line, the line's frequency target) in one ``INSERT … SELECT``.

The rep keeps the calls proposed on the line of each target HCP's specialty (on every line
for a KOL) and sets the others to 0 — within the demo's limits (``PLANNING_LIMITS``:
changes up to 100 %, at most 20 calls per HCP). Most plans are approved, about one in ten
is waiting for the manager (submitted through ``plan_submit``, so the manager's inbox has
real requests), one in twenty is still a draft. The demo rep's plan is approved.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from accounts.demo.builder import DemoContext

from .demo import Lap, run, salt_of
from .demo_calls import _spec_lines

PLANS_SQL = """
INSERT INTO planning_cycleplan (tenant_id, code, rep_id, cycle_id, state, decision_comment, submitted_at,
                                decided_at, created_at, updated_at)
SELECT %(t)s, gen_random_uuid(), r.rep_id, %(cycle)s,
       CASE WHEN r.rep_id = %(fixed)s THEN 'approved'
            WHEN abs(hashtextextended(r.rkey, %(s)s)) %% 20 < 3 THEN 'draft' ELSE 'approved' END,
       '',
       CASE WHEN r.rep_id = %(fixed)s OR abs(hashtextextended(r.rkey, %(s)s)) %% 20 >= 3 THEN %(submitted)s END,
       CASE WHEN r.rep_id = %(fixed)s OR abs(hashtextextended(r.rkey, %(s)s)) %% 20 >= 3 THEN %(decided)s END,
       %(created)s, %(created)s
  FROM demo_rep r
"""

LINES_SQL = """
DROP TABLE IF EXISTS demo_aligned;
CREATE TEMP TABLE demo_aligned AS
WITH plans AS (
    SELECT p.id AS plan_id, p.rep_id FROM planning_cycleplan p WHERE p.tenant_id = %(t)s AND p.cycle_id = %(cycle)s
), held AS (
    SELECT pl.plan_id, h.path FROM plans pl
      JOIN accounts_position p ON p.tenant_id = %(t)s AND p.holder_id = pl.rep_id AND p.start_date <= %(d)s
       AND (p.end_date IS NULL OR p.end_date >= %(d)s)
      JOIN accounts_orgnode h ON h.tenant_id = p.tenant_id AND h.id = p.node_id AND h.retired_on IS NULL
), nodes AS (
    SELECT DISTINCT held.plan_id, n.id FROM accounts_orgnode n JOIN held ON starts_with(n.path, held.path)
     WHERE n.tenant_id = %(t)s
), active AS (
    SELECT nodes.plan_id, a.hcp_id, a.institution_id, a.product_line_id
      FROM customers_alignment a JOIN nodes ON nodes.id = a.territory_id
     WHERE a.tenant_id = %(t)s AND (a.start_date IS NULL OR a.start_date <= %(d)s)
       AND (a.end_date IS NULL OR a.end_date >= %(d)s)
), aligned AS (
    SELECT plan_id, hcp_id, product_line_id FROM active WHERE hcp_id IS NOT NULL
    UNION
    SELECT x.plan_id, h.id, x.product_line_id FROM active x
      JOIN customers_hcp h ON h.tenant_id = %(t)s AND h.institution_id = x.institution_id
     WHERE x.institution_id IS NOT NULL
)
SELECT * FROM aligned;
ANALYZE demo_aligned;
"""

INSERT_LINES_SQL = """
WITH primary_line AS (
    SELECT primary_product_line_id AS id FROM segmentation_segmentationsettings WHERE tenant_id = %(t)s
), tiered AS (
    SELECT x.plan_id, x.hcp_id, x.product_line_id, h.is_target, h.is_kol,
           COALESCE(NULLIF(ct.tier, ''),
                    CASE WHEN x.product_line_id = (SELECT id FROM primary_line) THEN NULLIF(h.tier, '') END) AS tier,
           first_value(x.product_line_id) OVER (PARTITION BY x.plan_id, x.hcp_id
                                               ORDER BY x.product_line_id = sp.line_id DESC, x.product_line_id)
               AS main_line
      FROM demo_aligned x
      JOIN customers_hcp h ON h.tenant_id = %(t)s AND h.id = x.hcp_id
      LEFT JOIN unnest(%(spec)s::text[], %(spec_line)s::bigint[]) AS sp(specialty, line_id) ON sp.specialty = h.specialty
      LEFT JOIN segmentation_customertier ct
             ON ct.tenant_id = %(t)s AND ct.hcp_id = x.hcp_id AND ct.purpose = 'tier'
            AND ct.product_line_id = x.product_line_id
     WHERE h.status <> 'merged' AND h.stage <> 'terminated'
)
INSERT INTO planning_cycleplanline (tenant_id, plan_id, hcp_id, product_line_id, tier, proposed_calls, planned_calls)
SELECT %(t)s, z.plan_id, z.hcp_id, z.product_line_id, z.tier, ft.calls_per_cycle,
       CASE WHEN z.is_kol OR (z.is_target AND z.product_line_id = z.main_line) THEN ft.calls_per_cycle ELSE 0 END
  FROM tiered z
  JOIN planning_frequencytarget ft
    ON ft.tenant_id = %(t)s AND ft.product_line_id = z.product_line_id AND ft.tier = z.tier
 WHERE ft.calls_per_cycle > 0
"""

# A plan above the cycle's limit keeps its largest lines (KOLs and A first) within it.
TRIM_SQL = """
UPDATE planning_cycleplanline l SET planned_calls = 0
  FROM (SELECT l.id, sum(l.planned_calls) OVER (PARTITION BY l.plan_id
                                               ORDER BY l.planned_calls DESC, l.tier, l.id) AS running
          FROM planning_cycleplanline l JOIN planning_cycleplan p ON p.tenant_id = l.tenant_id AND p.id = l.plan_id
         WHERE l.tenant_id = %(t)s AND p.cycle_id = %(cycle)s AND l.planned_calls > 0) x
 WHERE l.tenant_id = %(t)s AND l.id = x.id AND x.running > %(max)s
"""


def step_calls_plans(ctx: DemoContext) -> None:
    from accounts.models import Membership
    from calls.planning.models import CyclePlan
    from calls.planning.services.plans import plan_submit
    from calls.planning.services.targets import cycle_on, settings_get

    today = ctx.tenant.today()
    cycle = cycle_on(today)
    if cycle is None:
        return
    fixed = ctx.memberships.get(f"rep@{ctx.plan.spec.domain}")
    tz = timezone.get_fixed_timezone(0)
    before = dt.datetime.combine(cycle.start_date - dt.timedelta(days=3), dt.time(2, 0), tzinfo=tz)
    p = {"t": ctx.tenant.pk, "s": salt_of(ctx, "plans"), "cycle": cycle.pk, "d": cycle.start_date,
         "fixed": fixed.pk if fixed else None, "submitted": before, "decided": before + dt.timedelta(days=1, hours=5),
         "created": before - dt.timedelta(days=1)}
    spec, spec_line = _spec_lines()
    lap = Lap(ctx, "plans")
    ctx.counts["cycle plans"] = run(PLANS_SQL, p)
    lap("plans")
    run(LINES_SQL, p)
    lap("aligned")
    ctx.counts["cycle plan lines"] = run(INSERT_LINES_SQL, {**p, "spec": spec, "spec_line": spec_line})
    run("DROP TABLE demo_aligned")
    lap("lines")
    run("ANALYZE planning_cycleplan; ANALYZE planning_cycleplanline")
    lap("analyze")
    run(TRIM_SQL, {**p, "max": settings_get().max_calls_per_cycle})
    lap("trim")
    # About one in ten waits for the manager: sent through the engine, as the rep would.
    with connection.cursor() as cur:
        cur.execute("SELECT p.id FROM planning_cycleplan p JOIN demo_rep r ON r.rep_id = p.rep_id "
                    "WHERE p.tenant_id = %(t)s AND p.cycle_id = %(cycle)s AND p.state = 'draft' "
                    "AND abs(hashtextextended(r.rkey, %(s)s)) %% 20 >= 1 ORDER BY r.rkey", p)
        ids = [row[0] for row in cur.fetchall()]
    waiting = sorted(CyclePlan.objects.filter(pk__in=ids).select_related("cycle", "rep__user"),
                     key=lambda plan: ids.index(plan.pk))
    reps = Membership.objects.in_bulk([plan.rep_id for plan in waiting])
    for plan in waiting:
        if plan.lines.filter(planned_calls__gt=0).exists():
            plan_submit(plan=plan, by=reps[plan.rep_id])
    lap("submitted")

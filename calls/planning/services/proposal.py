"""The proposal of a cycle plan: one ``INSERT … SELECT`` (no row is read into Python).

For a rep and a cycle, the HCPs aligned on the cycle's first day — directly, or through
their primary institution (as ``customers.visibility`` does) — to a node the rep holds (or
one under it), per product line; their tier for that line (``segmentation.CustomerTier``,
else, for the tenant's primary product line, the HCP's own ``tier`` column); the line's
frequency target for that tier gives the proposed (and initially planned) calls. HCPs
without a target for their tier (or with 0 calls) are left out; merged and terminated
HCPs too.
"""

from __future__ import annotations

from django.db import connection

PROPOSAL_SQL = """
WITH held AS (
    SELECT h.path FROM accounts_position p JOIN accounts_orgnode h ON h.id = p.node_id AND h.tenant_id = p.tenant_id
     WHERE p.tenant_id = %(t)s AND p.holder_id = %(rep)s AND p.start_date <= %(d)s
       AND (p.end_date IS NULL OR p.end_date >= %(d)s) AND h.retired_on IS NULL
), nodes AS (
    SELECT n.id FROM accounts_orgnode n JOIN held ON starts_with(n.path, held.path) WHERE n.tenant_id = %(t)s
), aligned AS (
    SELECT a.hcp_id, a.product_line_id FROM customers_alignment a
     WHERE a.tenant_id = %(t)s AND a.hcp_id IS NOT NULL AND a.territory_id IN (SELECT id FROM nodes)
       AND (a.start_date IS NULL OR a.start_date <= %(d)s) AND (a.end_date IS NULL OR a.end_date >= %(d)s)
    UNION
    SELECT h.id, a.product_line_id FROM customers_alignment a
      JOIN customers_hcp h ON h.tenant_id = a.tenant_id AND h.institution_id = a.institution_id
     WHERE a.tenant_id = %(t)s AND a.institution_id IS NOT NULL AND a.territory_id IN (SELECT id FROM nodes)
       AND (a.start_date IS NULL OR a.start_date <= %(d)s) AND (a.end_date IS NULL OR a.end_date >= %(d)s)
), primary_line AS (
    SELECT primary_product_line_id AS id FROM segmentation_segmentationsettings WHERE tenant_id = %(t)s
), tiered AS (
    SELECT x.hcp_id, x.product_line_id,
           COALESCE(NULLIF(ct.tier, ''),
                    CASE WHEN x.product_line_id = (SELECT id FROM primary_line) THEN NULLIF(h.tier, '') END) AS tier
      FROM aligned x
      JOIN customers_hcp h ON h.tenant_id = %(t)s AND h.id = x.hcp_id
      LEFT JOIN segmentation_customertier ct
             ON ct.tenant_id = %(t)s AND ct.hcp_id = x.hcp_id AND ct.purpose = 'tier'
            AND ct.product_line_id = x.product_line_id
     WHERE h.status <> 'merged' AND h.stage <> 'terminated'
)
INSERT INTO planning_cycleplanline (tenant_id, plan_id, hcp_id, product_line_id, tier, proposed_calls, planned_calls)
SELECT %(t)s, %(plan)s, z.hcp_id, z.product_line_id, z.tier, ft.calls_per_cycle, ft.calls_per_cycle
  FROM tiered z
  JOIN planning_frequencytarget ft
    ON ft.tenant_id = %(t)s AND ft.product_line_id = z.product_line_id AND ft.tier = z.tier
 WHERE ft.calls_per_cycle > 0
ON CONFLICT DO NOTHING
"""


def insert_proposal(*, tenant_id: int, plan_id: int, rep_id: int, day) -> int:
    """Insert the proposal's lines into the (empty) plan; returns how many."""
    with connection.cursor() as cur:
        cur.execute(PROPOSAL_SQL, {"t": tenant_id, "plan": plan_id, "rep": rep_id, "d": day})
        return cur.rowcount

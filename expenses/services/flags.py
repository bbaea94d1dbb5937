"""Spend against value (R20): the nightly spend flags of one tenant.

``spend_flags_recompute`` replaces the tenant's ``SpendFlag`` rows in one transaction, with
one lock, one DELETE and one ``INSERT … SELECT`` (set-based, whatever the number of HCPs):

* **spend** of an HCP: the sum of their shares (``LineHcp.amount``, tenant currency) of the
  lines of *approved* claims whose day is in the 12 months ending today (the period is
  ``[today − 1 year + 1 day, today]``). Drafts, submitted, rejected, withdrawn and superseded
  claims do not count (a correction that replaced a claim counts once, as itself);
* per product line, the **benchmark** is the median (``percentile_cont(0.5)``) spend of the
  HCPs in the line's top tier, **A** (value tiers: ``CustomerTier`` of purpose ``tier``),
  *counting the A-tier HCPs who received nothing* — "more than the median A-tier HCP
  receives" is read literally. A line with no A-tier HCP has no benchmark and no flags;
* **flagged**: every live HCP whose tier in that line is in the bottom half of the tiers,
  **C or D** (``FLAGGED_TIERS``), and whose spend is above the benchmark (so spend > 0).
  B-tier HCPs are not flagged: spending on the second tier as on the first is normal.

An HCP tiered in several lines can be flagged once per line. Two runs of the same tenant
never interleave (a transaction-level advisory lock); running it twice gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from sfe.core.tenancy import current_tenant, require_tenant_id

TOP_TIER = "A"
FLAGGED_TIERS = ("C", "D")
#: The advisory lock's first key ("expenses.spend_flags"); the second is the tenant id.
LOCK_KEY = 0x5E5F

RECOMPUTE = """
WITH spend AS MATERIALIZED (
    SELECT h.hcp_id, sum(h.amount) AS spend
      FROM expenses_linehcp h
      JOIN expenses_expenseline l ON l.tenant_id = h.tenant_id AND l.id = h.line_id
      JOIN expenses_expenseclaim c ON c.tenant_id = l.tenant_id AND c.id = l.claim_id
     WHERE h.tenant_id = %(tenant)s AND c.state = 'approved' AND l.day BETWEEN %(start)s AND %(end)s
     GROUP BY h.hcp_id
), tiered AS (
    SELECT t.product_line_id, t.hcp_id, t.tier, coalesce(s.spend, 0) AS spend
      FROM segmentation_customertier t
      JOIN customers_hcp hc ON hc.tenant_id = t.tenant_id AND hc.id = t.hcp_id AND hc.status <> 'merged'
      LEFT JOIN spend s ON s.hcp_id = t.hcp_id
     WHERE t.tenant_id = %(tenant)s AND t.purpose = 'tier' AND t.hcp_id IS NOT NULL
       AND t.tier IN (%(top)s, %(flagged0)s, %(flagged1)s)
), bench AS MATERIALIZED (  -- once: inlined, the median was recomputed per flagged row
    SELECT product_line_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY spend) AS benchmark
      FROM tiered WHERE tier = %(top)s
     GROUP BY product_line_id
)
INSERT INTO expenses_spendflag (tenant_id, hcp_id, product_line_id, tier, top_tier, spend, benchmark,
                                period_start, period_end, computed_at)
SELECT %(tenant)s, t.hcp_id, t.product_line_id, t.tier, %(top)s, t.spend, round(b.benchmark::numeric, 2),
       %(start)s, %(end)s, %(now)s
  FROM tiered t
  JOIN bench b ON coalesce(b.product_line_id, 0) = coalesce(t.product_line_id, 0)
 WHERE t.tier IN (%(flagged0)s, %(flagged1)s) AND t.spend > b.benchmark
"""


@dataclass(frozen=True)
class FlagRun:
    flags: int
    period_start: dt.date
    period_end: dt.date


def period_ending(day: dt.date) -> tuple[dt.date, dt.date]:
    """The 12 months ending on ``day`` (both ends included)."""
    try:
        year_before = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        year_before = day.replace(year=day.year - 1, day=28)
    return year_before + dt.timedelta(days=1), day


@transaction.atomic
def spend_flags_recompute(*, today: dt.date | None = None) -> FlagRun:
    """Replace the current tenant's spend flags (see the module docstring)."""
    tenant_id = require_tenant_id()
    start, end = period_ending(today or current_tenant().today())
    params = {"tenant": tenant_id, "start": start, "end": end, "now": timezone.now(), "top": TOP_TIER,
              "flagged0": FLAGGED_TIERS[0], "flagged1": FLAGGED_TIERS[1]}
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_KEY, tenant_id])
        cur.execute("DELETE FROM expenses_spendflag WHERE tenant_id = %s", [tenant_id])
        cur.execute(RECOMPUTE, params)
        flags = cur.rowcount
    return FlagRun(flags=flags, period_start=start, period_end=end)

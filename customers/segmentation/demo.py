"""Demo segmentation: a sensible rule per product line, recomputed once (set-based).

``seed_segmentation(tenant)`` (called from the demo seeding, inside or outside the tenant's
scope and transaction) gives every active product line

* an HCP matrix: potential = the HCP's potential, cut at its 50th, 80th and 95th
  percentiles; adoption = the lifecycle stage (prospect or dormant 1, developing 2, active 3,
  key 4) until prescription and sales measures exist; a grid where high potential and high
  adoption make A;
* an institution matrix: potential = hospital grade (一级 and ungraded … 三甲), adoption =
  the institution's potential percentile;

and the tenant a channel-class rule (pharmacies, chains, distributors by potential: a
stand-in until sales growth is registered). It then recomputes every line once — HCPs and
institutions, one set-based run per line (about 10–20 s per line for 1,000,000 HCPs on two
cores; ``recompute="primary"`` recomputes only the first line, the rest wait for the night)
— and makes the first line the primary one, which brings the customers' own ``tier``
column in step with it (one UPDATE of the rows that differ).
"""

from __future__ import annotations

import time

from django.db import transaction

from sfe.core.tenancy import tenant_scope

HCP_RULE = {
    "method": "matrix",
    "potential": {"measure": "hcp.potential", "by": "percentile", "thresholds": [50, 80, 95]},
    "adoption": {"measure": "hcp.stage_rank", "by": "value", "thresholds": [2, 3, 4]},
    "grid": [["D", "D", "C", "C"],
             ["D", "C", "C", "B"],
             ["C", "C", "B", "A"],
             ["C", "B", "A", "A"]],
}
INSTITUTION_RULE = {
    "method": "matrix",
    "potential": {"measure": "institution.grade_rank", "by": "value", "thresholds": [3, 5, 7]},
    "adoption": {"measure": "institution.potential", "by": "percentile", "thresholds": [50, 80]},
    "grid": [["D", "D", "C"],
             ["D", "C", "B"],
             ["C", "B", "A"],
             ["B", "A", "A"]],
}
CHANNEL_RULE = {
    "method": "score", "normalise": "percent_rank", "weights": {"institution.potential": 100},
    "cut": "share", "cutoffs": {"A": 10, "B": 25, "C": 40},
}


def seed_segmentation(tenant, *, by=None, recompute: str = "all") -> dict:
    """Rules for every active product line (and the channel rule), recomputed once; see the
    module. ``recompute``: ``"all"``, ``"primary"`` (the first line only) or ``"none"``.
    Returns counts and seconds, for the seeding's report."""
    from products.models import ProductLine

    from .models import RunPurpose
    from .services import recompute_now, rule_save, settings_update

    started = time.perf_counter()
    out = {"rules": 0, "runs": 0, "tier_changes": 0}
    with tenant_scope(tenant), transaction.atomic():
        lines = list(ProductLine.objects.filter(is_active=True).order_by("pk"))
        for line in lines:
            rule_save(kind="hcp", product_line=line, definition=HCP_RULE, by=by, name=f"{line.name} · HCP")
            rule_save(kind="institution", product_line=line, definition=INSTITUTION_RULE, by=by,
                      name=f"{line.name} · 医院")
            out["rules"] += 2
        rule_save(kind="institution", purpose="channel_class", definition=CHANNEL_RULE, by=by, name="渠道客户分类")
        out["rules"] += 1
        todo = {"all": lines, "primary": lines[:1], "none": []}[recompute]
        for line in todo:
            run = recompute_now(product_line=line, by=by)
            out["runs"] += 1
            out["tier_changes"] += run.tier_changes
        if recompute == "all":
            run = recompute_now(purpose=RunPurpose.CHANNEL, by=by)
            out["runs"] += 1
            out["tier_changes"] += run.tier_changes
        if lines:
            settings_update(primary_product_line=lines[0])  # after the runs: one sync of the column
    out["seconds"] = round(time.perf_counter() - started, 2)
    return out


def step_segmentation(ctx) -> None:
    """``accounts.demo.builder`` step form (after the customers step)."""
    # Every line's first run writes a tier and a history row per customer: at the large size
    # (1,000,000 HCPs) the demo computes the primary line only; the others run tonight.
    big = ctx.counts.get("HCPs", 0) > 100_000
    result = seed_segmentation(ctx.tenant, by=ctx.admin, recompute="primary" if big else "all")
    ctx.counts["segmentation rules"] = result["rules"]
    ctx.counts["tier changes"] = result["tier_changes"]

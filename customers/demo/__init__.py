"""Demo customers for ``seed_demo``: one more builder step (``step_customers``).

It adds, for each demo tenant, the product catalogue (through ``products.services``) and a
customer master shaped like a Chinese pharma company's, laid over the org tree the builder
made: institutions in each territory's city and district (hospitals 三级甲等 … 一级 with
beds and departments, clinics, retail pharmacies, pharmacy chains, distributors), HCPs
with Chinese names and their pinyin keys, affiliations and KOL links, a supply network
(distributor → sub-distributor → hospitals and pharmacies, per brand, with dates),
alignments per product line (so a rep's book is the customers of their territory and a
manager's the customers of their subtree), and some lifecycle history.

Sizes follow the number of reps: from 300 reps up, about 333 HCPs and 20 institutions per
rep, so the large demo (3,000 reps) has 1,000,000 HCPs and 60,000 institutions; smaller
demos have fewer per rep (``density``), down to 45 % (the small demo: 4,500 HCPs), so that
they seed in a few seconds — an audited, fully indexed HCP row costs the database about
0.2 ms whatever the loader does (see ``bench/results.md``). Rows are generated in Python
as COPY text, chunk by chunk, copied into temporary staging tables and moved into the real
tables with one ``INSERT … SELECT`` per chunk (PostgreSQL refuses COPY FROM into a table
with row-level security); ids are reserved from the sequences first, so every reference
is known before the insert. The fixed demo rep's book always holds exactly one HCP named
张伟 (the browser journey searches "zw" and opens 张伟).
"""

from __future__ import annotations

from .sizes import HCPS_PER_REP, INSTITUTIONS_PER_REP, TARGETS, customer_counts, density
from .step import ANALYZED, CustomerDemo, step_customers

__all__ = ["ANALYZED", "HCPS_PER_REP", "INSTITUTIONS_PER_REP", "TARGETS", "CustomerDemo", "customer_counts", "density",
           "register", "step_customers"]


def register() -> None:
    """The customers step, then the change requests and the segmentation over them (seed_demo's order)."""
    from accounts.demo import builder

    from ..demo_changes import demo_step as step_customer_changes
    from ..segmentation.demo import step_segmentation

    if step_customers not in builder.STEPS:
        builder.STEPS.append(step_customers)
    if step_customer_changes not in builder.STEPS:
        builder.STEPS.append(step_customer_changes)  # needs the rep's customers: after them
    if step_segmentation not in builder.STEPS:
        builder.STEPS.append(step_segmentation)  # rules and tiers over the customers above

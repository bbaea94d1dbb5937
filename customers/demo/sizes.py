"""How many customers a demo tenant gets (by its number of reps, or as a benchmark asks)."""

from __future__ import annotations

HCPS_PER_REP = 1_000_000 / 3_000
INSTITUTIONS_PER_REP = 20
#: Tenant slug → (institutions, HCPs), instead of the numbers that follow from the reps
#: (the isolation benchmark builds tenants of given sizes).
TARGETS: dict[str, tuple[int, int]] = {}


def density(reps: int) -> float:
    """Customers per rep, as a share of the large demo's: all of it from 300 reps up; fewer
    in a small demo (and the tests' 12 reps), so that it seeds in seconds."""
    return min(1.0, max(0.45, reps / 300))


def customer_counts(slug: str, reps: int) -> tuple[int, int]:
    """(institutions, HCPs) of a demo tenant: 60,000 and 1,000,000 for 3,000 reps."""
    if slug in TARGETS:
        return TARGETS[slug]
    share = density(reps) * reps
    return round(INSTITUTIONS_PER_REP * share), round(HCPS_PER_REP * share)



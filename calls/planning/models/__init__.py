"""Models of calls.planning (label ``planning``).

* ``targets``: call frequency targets per product line and tier, cycles (months by default,
  tenant-defined allowed, never overlapping), the tenant's planning limits;
* ``plans``: a rep's cycle plan (draft → submitted → approved / rejected / returned) and its
  lines (one per HCP and product line: the proposal and the rep's planned calls).

Planned visits are ``calls.Call`` rows with ``status="planned"`` (``services.visits``).
"""

from .plans import CyclePlan, CyclePlanLine, PlanState
from .targets import TIERS, Cycle, FrequencyTarget, PlanningSettings

__all__ = ["TIERS", "Cycle", "CyclePlan", "CyclePlanLine", "FrequencyTarget", "PlanState", "PlanningSettings"]

"""Planning's operations (keyword-only, transactional, ``ValidationError`` by field):

* targets and limits — ``frequency_targets_set``, ``settings_get``, ``settings_update``;
* cycles — ``cycle_create``, ``cycle_update``, ``cycles_make_months``, ``cycle_on``;
* plans — ``plan_propose`` (one INSERT … SELECT), ``plan_lines_update``, ``plan_line_add``,
  ``plan_submit``, and the approval hooks (``plans.on_approved`` …);
* planned visits — ``visit_plan`` (idempotent by code), ``visit_move``, ``visit_cancel``.
"""

from .plans import KEY, check_limits, plan_line_add, plan_lines_update, plan_propose, plan_submit
from .targets import (
    cycle_create,
    cycle_on,
    cycle_update,
    cycles_make_months,
    frequency_targets_set,
    settings_get,
    settings_update,
    targets_by_line,
)
from .visits import at_on, local_day, visit_cancel, visit_move, visit_plan

__all__ = [
    "KEY", "at_on", "check_limits", "cycle_create", "cycle_on", "cycle_update", "cycles_make_months",
    "frequency_targets_set", "local_day", "plan_line_add", "plan_lines_update", "plan_propose", "plan_submit",
    "settings_get", "settings_update", "targets_by_line", "visit_cancel", "visit_move", "visit_plan",
]

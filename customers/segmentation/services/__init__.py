"""Segmentation's operations (keyword-only, transactional, ``ValidationError`` by field).

The page and API layers call these:

* rules and settings — ``rule_save``, ``rule_set_active``, ``settings_get``, ``settings_update``;
* preview — ``rule_preview`` (no writes);
* runs — ``run_request`` (queue), ``run_execute`` (the task), ``recompute_now`` (synchronous);
* pins — ``tier_pin``, ``tier_unpin``;
* target lists — ``target_list_create``, ``_update``, ``_freeze``, ``_unfreeze``, ``_delete``.
"""

from .pins import tier_pin, tier_unpin
from .preview import Preview, rule_preview
from .rules import rule_save, rule_set_active, settings_get, settings_update
from .runs import recompute_now, run_execute, run_request
from .target_lists import (
    target_list_create,
    target_list_delete,
    target_list_freeze,
    target_list_unfreeze,
    target_list_update,
)

__all__ = [
    "Preview", "recompute_now", "rule_preview", "rule_save", "rule_set_active", "run_execute", "run_request",
    "settings_get", "settings_update", "target_list_create", "target_list_delete", "target_list_freeze",
    "target_list_unfreeze", "target_list_update", "tier_pin", "tier_unpin",
]

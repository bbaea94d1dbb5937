"""Calls' operations (keyword-only, transactional, ``ValidationError`` by field).

* settings — ``settings_get``, ``settings_update``;
* key messages — ``key_message_create``, ``_update``, ``_reorder``, ``_deactivate``;
* calls — ``parse_call_input`` (plain values → rows; in two steps: ``parse_call_values``, no
  query, and ``resolve_call_values``), ``call_save`` (draft, submit, planned → done, edit with a
  reason; idempotent by the client's code; a new call from parsed values tries ``fast`` first),
  ``lock_calls`` (the nightly lock);
* follow-ups — ``follow_up_create``, ``follow_up_done``.
"""

from .calls import call_save, lock_calls
from .follow_ups import follow_up_create, follow_up_done
from .inputs import CallInput, CallValues, ProductInput, parse_call_input, parse_call_values, resolve_call_values
from .key_messages import key_message_create, key_message_deactivate, key_message_reorder, key_message_update
from .settings import settings_get, settings_update

__all__ = [
    "CallInput", "CallValues", "ProductInput", "call_save", "follow_up_create", "follow_up_done", "key_message_create",
    "key_message_deactivate", "key_message_reorder", "key_message_update", "lock_calls", "parse_call_input",
    "parse_call_values", "resolve_call_values", "settings_get", "settings_update",
]

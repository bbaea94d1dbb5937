"""Calls' operations (keyword-only, transactional, ``ValidationError`` by field).

* settings — ``settings_get``, ``settings_update``;
* key messages — ``key_message_create``, ``_update``, ``_reorder``, ``_deactivate``;
* calls — ``parse_call_input`` (plain values → rows), ``call_save`` (draft, submit, planned
  → done, edit with a reason; idempotent by the client's code), ``lock_calls`` (the nightly lock);
* follow-ups — ``follow_up_create``, ``follow_up_done``.
"""

from .calls import call_save, lock_calls
from .follow_ups import follow_up_create, follow_up_done
from .inputs import CallInput, ProductInput, parse_call_input
from .key_messages import key_message_create, key_message_deactivate, key_message_reorder, key_message_update
from .settings import settings_get, settings_update

__all__ = [
    "CallInput", "ProductInput", "call_save", "follow_up_create", "follow_up_done", "key_message_create",
    "key_message_deactivate", "key_message_reorder", "key_message_update", "lock_calls", "parse_call_input",
    "settings_get", "settings_update",
]

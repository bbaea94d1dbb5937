"""The approval engine's operations (see engine.py); chain configuration (chains.py),
delegations (delegation.py) and reminders (reminders.py) live beside it."""

from .engine import (  # noqa: F401
    AlreadyDecided,
    acting_for,
    approval_decide,
    approval_resubmit,
    approval_steps_reassign,
    approval_submit,
    approval_withdraw,
    choose_chain,
    pending_for,
)

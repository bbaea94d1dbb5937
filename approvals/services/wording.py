"""What the engine says, in one place for its general path (engine.py) and its fast path
(fast.py): the note on an assignment, and the titles of the notifications."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..models import StepState


def assignment_note(how: str) -> str:
    """Why a step went to whom it went (``resolution.resolve``'s ``how``)."""
    notes = {"fallback": _("no one holds it: fallback approver"), "admins": _("no one can decide it: the administrators")}
    return str(notes.get(how, ""))


def waiting_title(title: str) -> str:
    return _("Waiting for your approval: %(title)s") % {"title": title}


def decided_title(decision: str, title: str) -> str:
    words = {StepState.APPROVED: _("Approved: %(title)s"), StepState.REJECTED: _("Rejected: %(title)s"),
             StepState.RETURNED: _("Sent back for changes: %(title)s")}[decision]
    return words % {"title": title}

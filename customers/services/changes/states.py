"""Kinds, states and the request types of data change requests."""

from __future__ import annotations

from django.db.models import Q

from ...models import ChangeRequest

KEY_CHANGE = "customer_change"
KEY_ALIGN = "alignment_challenge"

Kind = ChangeRequest.Kind
State = ChangeRequest.State

#: What a change request may propose, per record type (potential and tier are computed).
HCP_CHANGE_FIELDS = ("name", "gender", "title", "specialty", "department", "phone", "email", "is_kol", "external_code")
INSTITUTION_CHANGE_FIELDS = ("name", "kind", "grade", "beds", "ownership", "province", "city", "district", "address",
                             "external_code", "national_code", "phone")
ALIGN_KINDS = (Kind.ALIGN_ADD, Kind.ALIGN_DROP)
RECORD_KINDS = (Kind.EDIT, Kind.DEACTIVATE, Kind.ALIGN_ADD, Kind.ALIGN_DROP)
OPEN_STATES = (State.PENDING, State.RETURNED)
REASON_MAX = 500

# The engine has no hook for resubmit and withdraw: while the DCR is open its state follows
# the approval request's (see ``effective_state``).
_FOLLOWS_APPROVAL = {"pending": State.PENDING, "returned": State.RETURNED, "withdrawn": State.WITHDRAWN}


def request_type_for(kind: str) -> str:
    return KEY_ALIGN if kind in ALIGN_KINDS else KEY_CHANGE


def effective_state(dcr: ChangeRequest) -> str:
    """The state to show: an open DCR follows its approval request (resubmitted, withdrawn)."""
    if dcr.state in OPEN_STATES and dcr.approval_id:
        return _FOLLOWS_APPROVAL.get(dcr.approval.state, dcr.state)
    return dcr.state


def state_q(state: str) -> Q:
    """A filter on the state as ``effective_state`` shows it."""
    follows = [k for k, v in _FOLLOWS_APPROVAL.items() if v == state]
    if not follows:
        return Q(state=state)
    return Q(state=state, approval__isnull=True) | Q(state__in=OPEN_STATES, approval__state__in=follows) | (
        Q(state=state) & ~Q(state__in=OPEN_STATES))


def effective_state_label(dcr: ChangeRequest) -> str:
    return str(State(effective_state(dcr)).label)



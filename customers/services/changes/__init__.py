"""Data change requests (R5): reps propose, the approval engine decides, approving applies.

Reps (and managers) never edit master data: they submit a ``ChangeRequest`` with a reason
and it becomes an ``ApprovalRequest`` of a registered type (``customer_change``, or
``alignment_challenge`` for adding or dropping a customer to or from one's territory;
``customers.approval_types``). Whoever the chain names decides it in the approvals inbox.

On approval the proposal is applied *inside the deciding transaction* through the same
services an admin uses (``records``, ``alignment``), in a savepoint: if applying fails
validation (the external code was taken meanwhile, the institution was deactivated …) the
savepoint is rolled back, the request stays approved, the DCR becomes ``failed`` with the
message and the requester is notified — the decision never crashes.

Corrections store ``before`` and ``proposed`` for the changed fields only; the steward
sees the record's current value beside them when it changed in between.
"""

from __future__ import annotations

from .hooks import (  # noqa: F401 - the package's API
    change_detail_url,
    describe,
    object_url,
    on_approved,
    on_rejected,
    on_returned,
    proposal_rows,
)
from .states import (  # noqa: F401 - the package's API
    ALIGN_KINDS,
    HCP_CHANGE_FIELDS,
    INSTITUTION_CHANGE_FIELDS,
    KEY_ALIGN,
    KEY_CHANGE,
    OPEN_STATES,
    REASON_MAX,
    RECORD_KINDS,
    Kind,
    State,
    effective_state,
    effective_state_label,
    request_type_for,
    state_q,
)
from .submit import (  # noqa: F401 - the package's API
    change_submit,
)
from .values import (  # noqa: F401 - the package's API
    _user_of,
    changes_visible_to,
    display_value,
    field_label,
    record_values,
    requester_territories,
)

"""The common decision in a fixed, small number of statements: the approver decides a step that
is theirs (named on it, or in its role pool), not on someone's behalf.

* one statement decides the step (``UPDATE … WHERE state = 'pending'`` and the approver is the
  actor: of two approvers at once exactly one wins), locks the request, writes the history
  row, and returns the request and the next waiting step;
* approved with a step to follow: who decides it is resolved (``resolution.resolve``, as in
  the general path), then one statement activates it, moves the request on, writes the
  history and notifies the approver or the role's pool;
* approved at the last step, rejected, or sent back: one statement closes the request (or
  marks it sent back), writes the history and notifies the requester; then the request
  type's hook runs.

Anything else — a delegate acting for someone, a step already decided, someone who may not
decide it — returns None and ``approval_decide`` takes its general path, which explains the
refusal or records the delegation. Mail goes out after the commit (``notifications.mail_on_commit``, as ``notify``).
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from accounts.services.notifications import mail_on_commit
from sfe.core.tenancy import audit_reason, require_tenant_id

from .. import registry
from ..models import ApprovalEvent, ApprovalRequest, ApprovalStep, ApproverKind, RequestState, StepState
from .resolution import resolve
from .wording import assignment_note, decided_title, waiting_title

_REQ_COLS = [f.column for f in ApprovalRequest._meta.concrete_fields]
_STEP_COLS = [f.column for f in ApprovalStep._meta.concrete_fields]

DECIDE = f"""
WITH s AS (
    UPDATE approvals_approvalstep st
    SET state = %(decision)s, decided_at = %(now)s, decided_by_id = %(actor)s, on_behalf_of_id = NULL,
        comment = %(comment)s
    WHERE st.tenant_id = %(t)s AND st.id = %(step)s AND st.state = 'pending'
      AND (st.approver_id = %(actor)s OR (st.approver_id IS NULL AND st.approver_role = ANY(%(roles)s)))
      AND EXISTS (SELECT 1 FROM approvals_approvalrequest q
                  WHERE q.tenant_id = %(t)s AND q.id = st.request_id AND q.requester_id <> %(actor)s)
    RETURNING st.id, st.request_id, st."order"
), r AS (
    SELECT q.* FROM approvals_approvalrequest q
    WHERE q.tenant_id = %(t)s AND q.id = (SELECT request_id FROM s) FOR UPDATE
), ev AS (
    INSERT INTO approvals_approvalevent (tenant_id, request_id, step_id, kind, at, actor_id, comment)
    SELECT %(t)s, s.request_id, s.id, %(kind)s, %(now)s, %(actor)s, %(comment)s FROM s
)
SELECT {", ".join(f"r.{c}" for c in _REQ_COLS)}, {", ".join(f"n.{c}" for c in _STEP_COLS)},
       -- a role step's pool has someone (resolution.role_has_members, read here to save a round trip)
       EXISTS (SELECT 1 FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id
               WHERE m.tenant_id = %(t)s AND n.kind = 'role' AND n.role <> ''
                 AND m.roles @> ARRAY[n.role]::varchar[] AND m.is_active AND u.is_active
                 AND m.id <> r.requester_id)
FROM s JOIN r ON r.id = s.request_id
LEFT JOIN LATERAL (
    SELECT * FROM approvals_approvalstep w
    WHERE w.tenant_id = %(t)s AND w.request_id = s.request_id AND w."order" > s."order" AND w.state = 'waiting'
    ORDER BY w."order" LIMIT 1
) n ON true
"""

#: Recipients: the approver, or (no approver) the active members of the role but the requester.
_RECIPIENTS = """
    rcpt AS (
        SELECT m.id, u.email, (m.is_active AND u.is_active) AS reachable
        FROM accounts_membership m JOIN accounts_user u ON u.id = m.user_id
        WHERE m.tenant_id = %(t)s AND (m.id = %(recipient)s OR (%(recipient)s::bigint IS NULL
              AND m.roles @> ARRAY[%(role)s]::varchar[] AND m.is_active AND u.is_active AND m.id <> %(requester)s))
    ), n AS (
        INSERT INTO accounts_notification (tenant_id, code, recipient_id, kind, title, body, url, created_at)
        SELECT %(t)s, gen_random_uuid(), rcpt.id, %(nkind)s, %(title)s, %(body)s, %(url)s, %(now)s FROM rcpt
        RETURNING id
    )"""

ACTIVATE = f"""
WITH st AS (
    UPDATE approvals_approvalstep SET state = 'pending', approver_id = %(approver)s, approver_role = %(role)s,
        activated_at = %(now)s, due_at = %(due)s
    WHERE tenant_id = %(t)s AND id = %(step)s RETURNING id
), rq AS (
    UPDATE approvals_approvalrequest SET current_order = %(order)s WHERE tenant_id = %(t)s AND id = %(req)s
    RETURNING id
), ev AS (
    INSERT INTO approvals_approvalevent (tenant_id, request_id, step_id, kind, at, assignee_id, comment)
    VALUES (%(t)s, %(req)s, %(step)s, 'assigned', %(now)s, %(approver)s, %(note)s)
), {_RECIPIENTS}
SELECT rcpt.email FROM rcpt WHERE rcpt.reachable AND (SELECT count(*) FROM n) >= 0
"""

CLOSE = f"""
WITH c AS (
    UPDATE approvals_approvalstep SET state = 'cancelled'
    WHERE tenant_id = %(t)s AND request_id = %(req)s AND state = 'waiting' AND %(closing)s
), rq AS (
    UPDATE approvals_approvalrequest SET state = %(state)s,
        decided_at = CASE WHEN %(closing)s THEN %(now)s ELSE decided_at END,
        current_order = CASE WHEN %(closing)s THEN NULL ELSE current_order END
    WHERE tenant_id = %(t)s AND id = %(req)s RETURNING id
), ev AS (
    INSERT INTO approvals_approvalevent (tenant_id, request_id, kind, at, comment)
    SELECT %(t)s, %(req)s, 'completed', %(now)s, '' WHERE %(closing)s
), {_RECIPIENTS}
SELECT rcpt.email FROM rcpt WHERE rcpt.reachable AND (SELECT count(*) FROM n) >= 0
"""

_KINDS = {StepState.APPROVED: ApprovalEvent.Kind.APPROVED, StepState.REJECTED: ApprovalEvent.Kind.REJECTED,
          StepState.RETURNED: ApprovalEvent.Kind.RETURNED}


def _notify(cursor, sql: str, params: dict, *, title: str, body: str, url: str) -> None:
    cursor.execute(sql, {**params, "title": title[:200], "body": body, "url": url})
    mail_on_commit([row[0] for row in cursor.fetchall()], title=title, body=body, link=url)


def decide_own(*, step_id: int, actor: Membership, decision: str, comment: str, day: dt.date):
    """Decide ``step_id`` as its own approver; the request, or None when this is not that case."""
    now = timezone.now()
    t = require_tenant_id()
    with audit_reason(comment), connection.prepared_cursor() as cursor:
        cursor.execute(DECIDE, {"t": t, "step": step_id, "actor": actor.pk, "decision": decision, "now": now,
                                "comment": comment, "roles": list(actor.roles or []), "kind": _KINDS[decision]})
        row = cursor.fetchone()
        if row is None:
            return None
        request = ApprovalRequest.from_db("default", [f.attname for f in ApprovalRequest._meta.concrete_fields],
                                          row[:len(_REQ_COLS)])
        if isinstance(request.payload, str):  # a raw cursor reads jsonb as text (no field converters here)
            request.payload = json.loads(request.payload)
        following = None
        if row[len(_REQ_COLS)] is not None:
            following = ApprovalStep.from_db("default", [f.attname for f in ApprovalStep._meta.concrete_fields],
                                             row[len(_REQ_COLS):-1])
        pool_has_members = bool(row[-1])
        url = reverse("approvals:detail", kwargs={"code": request.code})
        rtype = registry.get(request.request_type)
        base = {"t": t, "req": request.pk, "now": now, "requester": request.requester_id}
        if decision == StepState.APPROVED and following is not None:
            if following.kind == ApproverKind.ROLE and following.role and pool_has_members:
                approver, role, how = None, following.role, ""  # what resolve() would answer
            else:
                approver, role, how = resolve(following, request, day)
            _notify(cursor, ACTIVATE, {**base, "step": following.pk, "order": following.order,
                                       "approver": approver.pk if approver else None, "role": role,
                                       "due": now + dt.timedelta(hours=following.time_limit_hours), "note": assignment_note(how),
                                       "recipient": approver.pk if approver else None, "nkind": "approval.assigned"},
                    title=waiting_title(request.title), body="", url=url)
            request.current_order = following.order
            return request
        closing = decision != StepState.RETURNED
        state = {StepState.APPROVED: RequestState.APPROVED, StepState.REJECTED: RequestState.REJECTED,
                 StepState.RETURNED: RequestState.RETURNED}[decision]
        title = decided_title(decision, request.title)
        _notify(cursor, CLOSE, {**base, "state": state, "closing": closing, "recipient": request.requester_id,
                                "role": "", "nkind": f"approval.{decision}"}, title=title, body=comment, url=url)
        request.state = state
        if closing:
            request.decided_at, request.current_order = now, None
        hook = {StepState.APPROVED: rtype.on_approved, StepState.REJECTED: rtype.on_rejected,
                StepState.RETURNED: rtype.on_returned}[decision]
        if hook:
            hook(request)
        return request

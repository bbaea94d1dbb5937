"""``/api/v1/approvals/``: the inbox and the own requests for every member; a request by
code for the requester, its current decider, past deciders and admins (else 404; tenant
B: 404); a decision only by whoever may decide the current step (403 otherwise)."""

from . import Row

MEMBERS = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance", "b_admin", "b_rep")


def _request(w):
    from approvals.access import role_request_submit
    from tests.approvals.conftest import make_chain

    make_chain(w)
    req = role_request_submit(requester=w.users["a"]["rep"].membership_row, role="analyst", reason="报表")
    return {"code": req.code}


def _decision(decision, comment=""):
    return lambda w: {"decision": decision, "comment": comment}


ROWS = [
    Row("api-approvals-inbox-list", "anon", 403),
    *[Row("api-approvals-inbox-list", r, 200) for r in MEMBERS],
    Row("api-approvals-inbox-list", "manager", 200, query="overdue=true"),
    Row("api-approvals-requests-list", "anon", 403),
    *[Row("api-approvals-requests-list", r, 200) for r in MEMBERS],
    Row("api-approvals-requests-detail", "anon", 403, kwargs=_request),
    *[Row("api-approvals-requests-detail", r, 200, kwargs=_request) for r in ("rep", "manager", "admin")],
    *[Row("api-approvals-requests-detail", r, 404, kwargs=_request)
      for r in ("rep2", "analyst", "data_steward", "finance", "b_admin", "b_rep")],
    Row("api-approvals-requests-decision", "anon", 403, method="post", kwargs=_request, data=_decision("approved")),
    Row("api-approvals-requests-decision", "manager", 200, method="post", kwargs=_request, data=_decision("approved")),
    Row("api-approvals-requests-decision", "manager", 400, method="post", kwargs=_request, data=_decision("rejected")),
    Row("api-approvals-requests-decision", "manager", 400, method="post", kwargs=_request, data=_decision("maybe")),
    Row("api-approvals-requests-decision", "rep", 403, method="post", kwargs=_request, data=_decision("approved")),
    Row("api-approvals-requests-decision", "admin", 403, method="post", kwargs=_request, data=_decision("approved")),
    *[Row("api-approvals-requests-decision", r, 404, method="post", kwargs=_request, data=_decision("approved"))
      for r in ("rep2", "analyst", "b_admin", "b_rep")],
    Row("api-approvals-requests-decision", "manager", 405, kwargs=_request),
]

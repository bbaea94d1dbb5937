"""The approvals inbox and request pages: every member has an inbox and a list of their
own requests; a request's page is for the requester, whoever decides (or decided) a step,
and the admins — anyone else in the tenant, and the other tenant, get 404."""

from __future__ import annotations

from . import Row

MEMBERS = ("rep", "manager", "analyst", "admin", "b_admin")


def _request(w):
    from approvals.access import role_request_submit
    from tests.approvals.conftest import make_chain

    make_chain(w)
    req = role_request_submit(requester=w.users["a"]["rep"].membership_row, role="analyst", reason="报表")
    return {"code": req.code}


def _returned(w):
    """A request the manager (step one) sent back to the rep."""
    from approvals.models import ApprovalRequest, ApprovalStep
    from approvals.services import approval_decide

    code = _request(w)["code"]
    step = ApprovalStep.objects.pending().select_related("request").get(request__code=code)
    approval_decide(step=step, actor=w.users["a"]["manager"].membership_row, decision="returned", comment="补充")
    assert ApprovalRequest.objects.get(code=code).state == "returned"
    return {"code": code}


def _items(w):
    return {"items": f"{_request(w)['code']}:1"}


def _role_request(w):
    from tests.approvals.conftest import make_chain

    make_chain(w)
    return {"role": "data_steward", "reason": "需要维护客户数据"}


def _post(name, role, expected, kwargs=None, data=None):
    return Row(name, role, expected, method="post", kwargs=kwargs, data=data)


APPROVE = lambda w: {"decision": "approved", "order": "1"}  # noqa: E731 - a row's data


ROWS = [
    # The inbox: every member has one (the other tenant's admin sees their own, empty).
    Row("approvals:inbox", "anon", 302),
    *[Row("approvals:inbox", r, 200) for r in MEMBERS],
    Row("approvals:inbox", "manager", 200, query="type=role_request"),
    # Bulk approve: a POST of the ticked items; what is not the member's is reported, not done.
    _post("approvals:bulk_approve", "anon", 302, data=_items),
    *[_post("approvals:bulk_approve", r, 302, data=_items) for r in MEMBERS],
    # My requests.
    Row("approvals:my_requests", "anon", 302),
    *[Row("approvals:my_requests", r, 200) for r in MEMBERS],
    Row("approvals:my_requests", "rep", 200, query="state=pending"),
    # A request's page.
    Row("approvals:detail", "anon", 302, kwargs=_request),
    Row("approvals:detail", "rep", 200, kwargs=_request),  # the requester
    Row("approvals:detail", "manager", 200, kwargs=_request),  # decides step one
    Row("approvals:detail", "admin", 200, kwargs=_request),
    Row("approvals:detail", "analyst", 404, kwargs=_request),  # no part in it
    Row("approvals:detail", "rep2", 404, kwargs=_request),
    Row("approvals:detail", "b_admin", 404, kwargs=_request),
    # Decide: the holder of the step decides; the requester and an admin who does not hold
    # it are told why (400); anyone else is 404.
    _post("approvals:decide", "anon", 302, kwargs=_request, data=APPROVE),
    _post("approvals:decide", "manager", 302, kwargs=_request, data=APPROVE),
    _post("approvals:decide", "manager", 400, kwargs=_request, data=lambda w: {"decision": "rejected"}),
    _post("approvals:decide", "rep", 400, kwargs=_request, data=APPROVE),
    _post("approvals:decide", "admin", 400, kwargs=_request, data=APPROVE),
    _post("approvals:decide", "analyst", 404, kwargs=_request, data=APPROVE),
    _post("approvals:decide", "b_admin", 404, kwargs=_request, data=APPROVE),
    # Withdraw: the requester only; others who see the request get 403.
    _post("approvals:withdraw", "anon", 302, kwargs=_request),
    _post("approvals:withdraw", "rep", 302, kwargs=_request),
    _post("approvals:withdraw", "manager", 403, kwargs=_request),
    _post("approvals:withdraw", "admin", 403, kwargs=_request),
    _post("approvals:withdraw", "analyst", 404, kwargs=_request),
    _post("approvals:withdraw", "b_admin", 404, kwargs=_request),
    # Resubmit: the requester, once sent back; a pending request cannot be (400).
    _post("approvals:resubmit", "anon", 302, kwargs=_returned, data=lambda w: {"comment": "已补充"}),
    _post("approvals:resubmit", "rep", 302, kwargs=_returned, data=lambda w: {"comment": "已补充"}),
    _post("approvals:resubmit", "rep", 400, kwargs=_request, data=lambda w: {"comment": "已补充"}),
    _post("approvals:resubmit", "manager", 403, kwargs=_returned, data=lambda w: {"comment": "已补充"}),
    _post("approvals:resubmit", "admin", 403, kwargs=_returned, data=lambda w: {"comment": "已补充"}),
    _post("approvals:resubmit", "analyst", 404, kwargs=_returned, data=lambda w: {"comment": "已补充"}),
    _post("approvals:resubmit", "b_admin", 404, kwargs=_returned, data=lambda w: {"comment": "已补充"}),
    # Asking for an extra role: every member; with no chain configured the form says so (400).
    Row("approvals:new_role_request", "anon", 302),
    *[Row("approvals:new_role_request", r, 200) for r in MEMBERS],
    _post("approvals:new_role_request", "anon", 302, data=_role_request),
    *[_post("approvals:new_role_request", r, 302, data=_role_request) for r in ("rep", "manager", "analyst", "admin")],
    _post("approvals:new_role_request", "rep", 400, data=lambda w: {"role": "analyst", "reason": "无审批链"}),
    _post("approvals:new_role_request", "b_admin", 400, data=_role_request),  # tenant B has no chain
]

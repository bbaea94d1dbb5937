from . import Row


def _request(w):
    from approvals.access import role_request_submit
    from tests.approvals.conftest import make_chain

    make_chain(w)
    req = role_request_submit(requester=w.users["a"]["rep"].membership_row, role="analyst", reason="报表")
    return {"code": req.code}


ROWS = [
    Row("approvals:detail", "anon", 302, kwargs=_request),
    Row("approvals:detail", "rep", 200, kwargs=_request),
    Row("approvals:detail", "b_admin", 404, kwargs=_request),
]

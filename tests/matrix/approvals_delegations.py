"""Delegation pages: any member lists theirs and delegates their own approvals; a
delegation is cancelled by its delegator, its delegate or an admin (anyone else: 404,
another tenant: 404)."""

import datetime as dt

from . import Row

MEMBERS = ("rep", "manager", "analyst", "admin", "b_admin")


def _delegation(w):
    from approvals.services.delegation import delegation_create

    manager = w.users["a"]["manager"].membership_row
    today = w.tenants["a"].today()
    d = delegation_create(delegator=manager, delegate=w.users["a"]["analyst"].membership_row, start_date=today,
                          end_date=today + dt.timedelta(days=2), reason="出差", created_by=manager)
    return {"code": d.code}


def _form(delegate="analyst"):
    def data(w):
        today = w.tenants["a"].today()
        return {"delegate": str(w.users["a"][delegate].membership_row.code), "start_date": today.isoformat(),
                "end_date": (today + dt.timedelta(days=3)).isoformat(), "reason": "年假"}

    return data


ROWS = [
    Row("approvals:delegations", "anon", 302),
    *[Row("approvals:delegations", r, 200) for r in MEMBERS],
    Row("approvals:delegation_create", "anon", 302),
    *[Row("approvals:delegation_create", r, 200) for r in MEMBERS],
    Row("approvals:delegation_create", "anon", 302, method="post", data=_form()),
    Row("approvals:delegation_create", "manager", 302, method="post", data=_form()),
    Row("approvals:delegation_create", "rep", 302, method="post", data=_form("rep2")),
    Row("approvals:delegation_create", "manager", 400, method="post", data=_form("manager")),  # to themself
    Row("approvals:delegation_create", "b_admin", 400, method="post", data=_form()),  # tenant A's member: no such choice
    Row("approvals:delegation_cancel", "anon", 302, method="post", kwargs=_delegation),
    Row("approvals:delegation_cancel", "manager", 302, method="post", kwargs=_delegation),
    Row("approvals:delegation_cancel", "analyst", 302, method="post", kwargs=_delegation),
    Row("approvals:delegation_cancel", "admin", 302, method="post", kwargs=_delegation),
    Row("approvals:delegation_cancel", "rep", 404, method="post", kwargs=_delegation),
    Row("approvals:delegation_cancel", "b_admin", 404, method="post", kwargs=_delegation),
    Row("approvals:delegation_cancel", "manager", 405, kwargs=_delegation),
]

"""The notification list: every member sees their own; marking one read needs it to be
theirs (another member's or the other tenant's code is 404)."""

from __future__ import annotations

from . import Row

MEMBERS = ("rep", "manager", "analyst", "admin", "b_admin")


def _rep_notification(w):
    from accounts.services.notifications import notify

    n = notify(recipients=[w.users["a"]["rep"].membership_row], kind="test", title="提醒", email=False)[0]
    return {"code": str(n.code)}


ROWS = [
    Row("notifications:list", "anon", 302),
    *[Row("notifications:list", r, 200) for r in MEMBERS],
    Row("notifications:list", "rep", 200, query="page=2"),
    Row("notifications:mark_read", "anon", 302, method="post"),
    *[Row("notifications:mark_read", r, 302, method="post") for r in MEMBERS],  # all of one's own
    Row("notifications:mark_read", "rep", 302, method="post", data=_rep_notification),
    Row("notifications:mark_read", "manager", 404, method="post", data=_rep_notification),
    Row("notifications:mark_read", "b_admin", 404, method="post", data=_rep_notification),
    Row("notifications:mark_read", "rep", 405),  # POST only
    Row("notifications:list", "rep", 405, method="post"),
]

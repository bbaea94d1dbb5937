"""Organisation pages: admins change, analysts and managers read (within their
visibility), reps get 403, the other tenant's admin gets 404 for tenant A's codes."""

from __future__ import annotations

from . import Row

READERS = ("manager", "analyst", "admin")
NOT_WRITERS = ("manager", "analyst")


def _node(key):
    return lambda w: {"code": w.nodes["a"][key].code}


def _rep_position(w):
    from accounts.models import Position

    return {"code": Position.objects.get(node=w.nodes["a"]["t1"]).code}


def _today(w):
    return w.tenants["a"].today().isoformat()


def _writes(name, kwargs, data, ok=302, b_admin=404):
    return [
        Row(name, "anon", 302, method="post", kwargs=kwargs, data=data),
        Row(name, "rep", 403, method="post", kwargs=kwargs, data=data),
        *[Row(name, r, 403, method="post", kwargs=kwargs, data=data) for r in NOT_WRITERS],
        Row(name, "admin", ok, method="post", kwargs=kwargs, data=data),
        Row(name, "b_admin", b_admin, method="post", kwargs=kwargs, data=data),
    ]


ROWS = [
    # The tree: read pages.
    Row("org:tree", "anon", 302),
    Row("org:tree", "rep", 403),
    *[Row("org:tree", r, 200) for r in READERS],
    Row("org:tree", "b_admin", 200),  # their own tenant's tree
    Row("org:tree", "admin", 200, query="show_retired=1&as_of=2020-01-01"),
    # A node's page: 404 when not visible (other subtree, other tenant).
    Row("org:node_detail", "anon", 302, kwargs=_node("t1")),
    Row("org:node_detail", "rep", 403, kwargs=_node("t1")),
    *[Row("org:node_detail", r, 200, kwargs=_node("t1")) for r in READERS],
    Row("org:node_detail", "manager", 404, kwargs=_node("t3")),  # outside the manager's district
    Row("org:node_detail", "b_admin", 404, kwargs=_node("t1")),
    # Writes: admins only; another tenant's node or position is 404.
    *_writes("org:node_rename", _node("t1"), lambda w: {"name": "浦东新区"}),
    *_writes("org:node_move", _node("t1"), lambda w: {"parent": w.nodes["a"]["other"].code}),
    *_writes("org:node_retire", _node("t2"), lambda w: {"reason": "merged"}),
    *_writes("org:node_create", _node("district"),
             lambda w: {"name": "闵行三区", "kind": "territory"}),
    *_writes("org:position_assign", _node("t2"),
             lambda w: {"holder": w.users["a"]["rep2"].membership_row.code, "start_date": _today(w)}),
    *_writes("org:position_end", _rep_position, lambda w: {"end_date": _today(w)}),
    # A top-level node carries no code: the other tenant's admin adds one to their own tree.
    *_writes("org:root_create", None, lambda w: {"name": "全球", "kind": "nation"}, b_admin=302),
    Row("org:root_create", "admin", 200),
    Row("org:root_create", "manager", 403),
    # Company settings: admins only, each for their own tenant.
    Row("org:settings", "anon", 302),
    Row("org:settings", "rep", 403),
    *[Row("org:settings", r, 403) for r in NOT_WRITERS],
    Row("org:settings", "admin", 200),
    Row("org:settings", "b_admin", 200),
    *_writes("org:settings", None, lambda w: {
        "name": "甲制药", "default_language": "zh-hans", "time_zone": "Asia/Shanghai", "currency": "CNY",
        "fiscal_year_start_month": "4", "allow_overlapping_positions": "", "approval_escalate_after_hours": "72",
    }, b_admin=302),
]

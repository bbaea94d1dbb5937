from . import Row


def _node(w):
    return {"table": "accounts_orgnode", "code": w.nodes["a"]["t1"].code}


ROWS = [
    Row("audit:list", "anon", 302),
    *[Row("audit:list", r, 403) for r in ("rep", "manager", "analyst", "data_steward", "finance")],
    Row("audit:list", "admin", 200),
    Row("audit:list", "admin", 200, query="format=csv"),
    Row("audit:list", "b_admin", 200),  # their own tenant's trail
    Row("audit:record", "anon", 302, kwargs=_node),
    Row("audit:record", "rep", 403, kwargs=_node),
    Row("audit:record", "admin", 200, kwargs=_node),
    Row("audit:record", "b_admin", 404, kwargs=_node),
]

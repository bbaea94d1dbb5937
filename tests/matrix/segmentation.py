"""``/api/v1/segmentation/``: analysts and admins only (other members 403, anonymous 403);
the other tenant's admin gets their own (empty) lists, 404 for tenant A's codes, and 400
when asking to run tenant A's product line (not in their catalogue)."""

from __future__ import annotations

from . import Row

OTHERS = ("rep", "rep2", "manager", "data_steward", "finance", "b_rep")
RULE = {"method": "matrix",
        "potential": {"measure": "hcp.potential", "by": "percentile", "thresholds": [50]},
        "adoption": {"measure": "hcp.title_rank", "by": "value", "thresholds": [3]},
        "grid": [["C", "B"], ["B", "A"]]}


def _line(w):
    from products.models import ProductLine
    from products.services import product_line_create

    return ProductLine.objects.filter(name="分级矩阵线").first() or product_line_create(name="分级矩阵线")


def _rule(w):
    from customers.segmentation.services import rule_save

    return rule_save(kind="hcp", definition=RULE, product_line=_line(w), by=w.users["a"]["analyst"].membership_row)


def _rule_code(w):
    return {"code": _rule(w).code}


def _run_code(w):
    from customers.segmentation.services import recompute_now

    _rule(w)
    return {"code": recompute_now(product_line=_line(w)).code}


def _run_data(w):
    _rule(w)
    return {"product_line": str(_line(w).code)}


def _rows(name, *, method="get", kwargs=None, data=None, ok=200, b_admin=200, query=""):
    return [
        Row(name, "anon", 403, method=method, kwargs=kwargs, data=data, query=query),
        *[Row(name, r, 403, method=method, kwargs=kwargs, data=data, query=query) for r in OTHERS],
        Row(name, "analyst", ok, method=method, kwargs=kwargs, data=data, query=query),
        Row(name, "admin", ok, method=method, kwargs=kwargs, data=data, query=query),
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data, query=query),
    ]


ROWS = [
    *_rows("api-segmentation-rules-list", kwargs=lambda w: (_rule(w), {})[1]),
    Row("api-segmentation-rules-list", "analyst", 200, query="purpose=tier&kind=hcp"),
    Row("api-segmentation-rules-list", "analyst", 400, query="product_line=not-a-code"),
    *_rows("api-segmentation-rules-detail", kwargs=_rule_code, b_admin=404),
    Row("api-segmentation-rules-detail", "admin", 405, kwargs=_rule_code, method="delete"),
    *_rows("api-segmentation-tiers-list", kwargs=lambda w: (_run_code(w), {})[1]),
    Row("api-segmentation-tiers-list", "analyst", 200, query="kind=hcp&tier=A&purpose=tier"),
    Row("api-segmentation-tiers-list", "analyst", 400, query="tier=E"),
    *_rows("api-segmentation-history-list", kwargs=lambda w: (_run_code(w), {})[1]),
    Row("api-segmentation-history-list", "analyst", 200, query="kind=institution&page=1"),
    Row("api-segmentation-history-list", "analyst", 404, query="page=999"),
    *_rows("api-segmentation-pins-list"),
    Row("api-segmentation-pins-list", "admin", 200, query="purpose=credit_rating"),
    *_rows("api-segmentation-runs-list"),
    *_rows("api-segmentation-runs-list", method="post", data=_run_data, ok=202, b_admin=400),
    Row("api-segmentation-runs-list", "analyst", 400, method="post", data=lambda w: {"purpose": "tier"}),
    *_rows("api-segmentation-runs-detail", kwargs=_run_code, b_admin=404),
    Row("api-segmentation-runs-detail", "analyst", 405, kwargs=_run_code, method="post"),
]

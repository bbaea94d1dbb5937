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


# --------------------------------------------------------------------------- pages (/segmentation/)
# Rules, runs and pins: analysts and admins (other members 403, anonymous to the sign-in
# page); the other tenant's admin has their own (empty) pages and gets 404 for tenant A's
# codes. Target lists: every member reads; analysts, admins and managers create; a manager
# changes only their own lists (the rows' list belongs to the analyst).

PAGE_OTHERS = ("rep", "rep2", "manager", "data_steward", "finance")
READERS = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance")


def _page(name, *, method="get", kwargs=None, data=None, ok=200, b_admin=404):
    return [
        Row(name, "anon", 302, method=method, kwargs=kwargs, data=data),
        *[Row(name, r, 403, method=method, kwargs=kwargs, data=data) for r in PAGE_OTHERS],
        Row(name, "analyst", ok, method=method, kwargs=kwargs, data=data),
        Row(name, "admin", ok, method=method, kwargs=kwargs, data=data),
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data),
        Row(name, "b_rep", 403, method=method, kwargs=kwargs, data=data),
    ]


def _edit_kwargs(w):
    return {"line_code": _line(w).code, "kind": "hcp"}


def _rule_post(w):
    return {"method": "matrix", "is_active": "on", "potential_measure": "hcp.potential", "potential_by": "percentile",
            "potential_thresholds": "50", "adoption_measure": "hcp.title_rank", "adoption_by": "value",
            "adoption_thresholds": "3", "grid_0_0": "C", "grid_0_1": "B", "grid_1_0": "B", "grid_1_1": "A"}


def _hcp(w):
    from customers.models import Hcp
    from tests.customers.factories import make_hcp, make_institution

    hcp = Hcp.objects.filter(external_code="SEGP01").first()
    if hcp is None:
        inst = make_institution("分级医院", province="浙江省", city="杭州市", external_code="SEGI01")
        hcp = make_hcp("分级医生", institution=inst, external_code="SEGP01")
    return hcp


def _pin_kwargs(w):
    return {"kind": "hcp", "code": _hcp(w).code}


def _pin_data(w):
    return {"product_line": str(_line(w).code), "tier": "A", "reason": "矩阵测试"}


def _pinned_kwargs(w):
    from customers.segmentation.services import tier_pin

    tier_pin(customer=_hcp(w), tier="B", reason="矩阵", product_line=_line(w), by=w.users["a"]["analyst"].membership_row)
    return {"kind": "hcp", "code": _hcp(w).code, "line_code": _line(w).code}


def _list_code(w):
    from customers.segmentation.models import TargetList
    from customers.segmentation.services import target_list_create

    tl = TargetList.objects.filter(name="矩阵名单").first() or target_list_create(
        name="矩阵名单", kind="hcp", filters={"tiers": ["A"]}, by=w.users["a"]["analyst"].membership_row)
    return {"code": tl.code}


def _list_post(w):
    return {"name": "矩阵新名单", "kind": "hcp", "tiers": ["A", "B"], "stages": ["active"]}


def _lists(name, *, method="get", kwargs=None, data=None, editors=("analyst", "admin", "manager"), ok=200,
           b_admin=404, b_rep=403, others=403):
    return [
        Row(name, "anon", 302, method=method, kwargs=kwargs, data=data),
        *[Row(name, r, ok if r in editors else others, method=method, kwargs=kwargs, data=data) for r in READERS],
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data),
        Row(name, "b_rep", b_rep, method=method, kwargs=kwargs, data=data),
    ]


ROWS += [
    *_page("segmentation:rule_list", kwargs=lambda w: (_rule(w), {})[1], b_admin=200),
    *_page("segmentation:settings", b_admin=200),
    *_page("segmentation:settings", method="post", data=lambda w: {"weights_total": "100"}, ok=302, b_admin=302),
    Row("segmentation:settings", "admin", 400, method="post", data=lambda w: {"weights_total": "0"}),
    *_page("segmentation:rule_edit", kwargs=_edit_kwargs),
    Row("segmentation:rule_edit", "analyst", 200, kwargs=lambda w: {**_edit_kwargs(w), "kind": "institution"}),
    Row("segmentation:rule_edit", "analyst", 404, kwargs=lambda w: {**_edit_kwargs(w), "kind": "doctor"}),
    *_page("segmentation:rule_edit", method="post", kwargs=_edit_kwargs, data=_rule_post, ok=302),
    Row("segmentation:rule_edit", "analyst", 400, method="post", kwargs=_edit_kwargs,
        data=lambda w: {**_rule_post(w), "grid_0_0": ""}),
    *_page("segmentation:rule_preview", method="post", kwargs=_edit_kwargs, data=_rule_post),
    Row("segmentation:rule_preview", "analyst", 405, kwargs=_edit_kwargs),
    *_page("segmentation:run_list", b_admin=200),
    Row("segmentation:run_list", "admin", 200, query="page=9"),
    *_page("segmentation:run_new", method="post", data=_run_data, ok=302),
    Row("segmentation:run_new", "analyst", 405),
    *_page("segmentation:run_detail", kwargs=_run_code),
    *_page("segmentation:run_progress", kwargs=_run_code, ok=286),
    *_page("segmentation:pin_list", b_admin=200),
    *_page("segmentation:pin_add", method="post", kwargs=_pin_kwargs, data=_pin_data, ok=302),
    Row("segmentation:pin_add", "analyst", 405, kwargs=_pin_kwargs),
    *_page("segmentation:pin_remove", method="post", kwargs=_pinned_kwargs, data=lambda w: {"reason": "撤销"}, ok=302),
    *_lists("segmentation:target_list_list", editors=READERS, b_admin=200, b_rep=200),
    *_lists("segmentation:target_list_new", b_admin=200),
    *_lists("segmentation:target_list_new", method="post", data=_list_post, ok=302, b_admin=302),
    *_lists("segmentation:target_list_detail", kwargs=_list_code, editors=READERS, b_rep=404),
    *_lists("segmentation:target_list_edit", kwargs=_list_code, editors=("analyst", "admin")),
    *_lists("segmentation:target_list_freeze", method="post", kwargs=_list_code, editors=("analyst", "admin"), ok=302),
    *_lists("segmentation:target_list_delete", method="post", kwargs=_list_code, editors=("analyst", "admin"), ok=302),
]

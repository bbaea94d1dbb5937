"""Bulk realignment: pages and API for tenant admins only (other members 403, anonymous to the
login page or 403 on the API); the other tenant's admin gets 404 for tenant A's batch codes
(and their own, empty, list and new-batch pages). The alignments API answers any member
who sees the customer; others, and the other tenant, get 404."""

from __future__ import annotations

from . import Row

NOT_ADMINS = ("rep", "rep2", "manager", "analyst", "data_steward", "finance")
HCP_CODE = "6f1c1e2a-0000-4000-8000-00000000a101"


def _line(w):
    from products.models import ProductLine
    from products.services import product_line_create

    return ProductLine.objects.filter(name="矩阵产品线").first() or product_line_create(name="矩阵产品线")


def _institution(w):
    from customers.models import Institution
    from tests.customers.factories import make_institution

    return (Institution.objects.filter(external_code="MX001").first()
            or make_institution("矩阵医院", province="浙江省", city="杭州市", external_code="MX001"))


def _batch(w):
    from customers.services.realignment import realignment_by_institution

    batch = realignment_by_institution(product_line=_line(w), effective_date=w.tenants["a"].today(),
                                       territory=w.nodes["a"]["t1"], institutions=[_institution(w)],
                                       by=w.users["a"]["admin"].membership_row)
    return {"code": batch.code}


def _new_data(w):
    _institution(w)
    return {"method": "geography", "name": "", "product_line": str(_line(w).code),
            "effective_date": w.tenants["a"].today().isoformat(), "province": "浙江省",
            "territory": str(w.nodes["a"]["t1"].code)}


def _aligned_hcp(w):
    """An HCP (fixed code) at an institution aligned to t1 (the rep's; the manager's district)."""
    from customers.models import Hcp
    from customers.services.alignment import align
    from tests.customers.factories import make_hcp

    inst = _institution(w)
    align(customer=inst, territory=w.nodes["a"]["t1"], product_line=_line(w), start_date=w.tenants["a"].today())
    hcp = make_hcp("矩阵医生", institution=inst, external_code="MXD01")
    Hcp.objects.filter(pk=hcp.pk).update(code=HCP_CODE)
    return {}


def _page(name, kwargs=None, data=None, method="get", ok=200, b_admin=404):
    return [
        Row(name, "anon", 302, method=method, kwargs=kwargs, data=data),
        *[Row(name, r, 403, method=method, kwargs=kwargs, data=data) for r in NOT_ADMINS],
        Row(name, "admin", ok, method=method, kwargs=kwargs, data=data),
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data),
        Row(name, "b_rep", 403, method=method, kwargs=kwargs, data=data),
    ]


def _api(name, kwargs=None, method="get", ok=200, b_admin=404, query=""):
    return [
        Row(name, "anon", 403, method=method, kwargs=kwargs, query=query),
        *[Row(name, r, 403, method=method, kwargs=kwargs, query=query) for r in NOT_ADMINS],
        Row(name, "admin", ok, method=method, kwargs=kwargs, query=query),
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, query=query),
        Row(name, "b_rep", 403, method=method, kwargs=kwargs, query=query),
    ]


ROWS = [
    *_page("customers:realignment_list", b_admin=200),
    Row("customers:realignment_list", "admin", 200, query="state=applied&page=2"),
    *_page("customers:realignment_new", b_admin=200),
    Row("customers:realignment_new", "admin", 200, query="method=rule"),
    Row("customers:realignment_new", "admin", 200, query="method=file"),
    Row("customers:realignment_new", "admin", 200, query="method=institution&institutions=MX001"),
    # tenant B's admin posts tenant A's product line: not in their catalogue, the form says so
    *_page("customers:realignment_new", data=_new_data, method="post", ok=302, b_admin=200),
    *_page("customers:realignment_detail", kwargs=_batch),
    Row("customers:realignment_detail", "admin", 200, kwargs=_batch, query="page=3"),
    *_page("customers:realignment_apply", kwargs=_batch, method="post", ok=302),
    Row("customers:realignment_apply", "admin", 405, kwargs=_batch),
    # the polled partial: a batch not being applied answers its outcome with 286 (stop polling)
    *_page("customers:realignment_progress", kwargs=_batch, ok=286),
    Row("customers:realignment_progress", "admin", 405, kwargs=_batch, method="post"),
    *_page("customers:realignment_cancel", kwargs=_batch, method="post", ok=302),
    Row("customers:realignment_cancel", "admin", 405, kwargs=_batch),
    # API
    *_api("api-customers-realignments-list", b_admin=200),
    Row("api-customers-realignments-list", "admin", 200, query="state=draft"),
    *_api("api-customers-realignments-detail", kwargs=_batch),
    *_api("api-customers-realignments-apply", kwargs=_batch, method="post"),
    Row("api-customers-realignments-apply", "admin", 405, kwargs=_batch),
    Row("api-customers-alignments", "anon", 403, kwargs=_aligned_hcp, query=f"hcp={HCP_CODE}"),
    *[Row("api-customers-alignments", r, 200, kwargs=_aligned_hcp, query=f"hcp={HCP_CODE}")
      for r in ("rep", "manager", "analyst", "admin", "data_steward", "finance")],
    *[Row("api-customers-alignments", r, 404, kwargs=_aligned_hcp, query=f"hcp={HCP_CODE}")
      for r in ("rep2", "b_admin", "b_rep")],
    Row("api-customers-alignments", "rep", 400, kwargs=_aligned_hcp),
    Row("api-customers-alignments", "rep", 400, kwargs=_aligned_hcp, query=f"hcp={HCP_CODE}&on=yesterday"),
    Row("api-customers-alignments", "rep", 404, kwargs=_aligned_hcp, query="hcp=not-a-code"),
]

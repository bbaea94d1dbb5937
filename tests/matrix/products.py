"""The product catalogue: every member reads it; only admins change it; the other tenant's
admin gets 404 for tenant A's codes (and their own, empty, catalogue and create pages)."""

from __future__ import annotations

from . import Row

MEMBERS = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance", "b_admin", "b_rep")
NOT_ADMINS = ("rep", "manager", "analyst", "data_steward", "finance")


def _catalogue(w):
    from products.models import Sku

    sku = Sku.objects.select_related("brand__product_line").first()
    if sku is None:
        from tests.products.factories import make_catalogue

        _line, _brand, (sku,) = make_catalogue()
    return sku


def _line(w):
    return {"code": _catalogue(w).brand.product_line.code}


def _brand(w):
    return {"code": _catalogue(w).brand.code}


def _sku(w):
    return {"code": _catalogue(w).code}


def _line_data(w):
    return {"name": "矩阵产品线", "is_active": "on"}


def _brand_data(w):
    return {"product_line": _catalogue(w).brand.product_line.code, "name": "矩阵品牌", "is_active": "on"}


def _sku_data(w):
    return {"brand": _catalogue(w).brand.code, "name": "矩阵规格", "strength": "5 mg", "pack": "14片/盒",
            "unit": "盒", "list_price": "12.30", "status": "active"}


def _page(name, kwargs=None, data=None, method="get", ok=200, b_admin=404):
    return [
        Row(name, "anon", 302, method=method, kwargs=kwargs, data=data),
        *[Row(name, r, 403, method=method, kwargs=kwargs, data=data) for r in NOT_ADMINS],
        Row(name, "admin", ok, method=method, kwargs=kwargs, data=data),
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data),
        Row(name, "b_rep", 403, method=method, kwargs=kwargs, data=data),
    ]




ROWS = [
    Row("products:catalogue", "anon", 302, kwargs=None, data=None),
    *[Row("products:catalogue", r, 200, data=None) for r in MEMBERS],
    *_page("products:line_create", b_admin=200),
    *_page("products:line_create", data=_line_data, method="post", ok=302, b_admin=302),
    *_page("products:line_edit", kwargs=_line),
    *_page("products:line_edit", kwargs=_line, data=_line_data, method="post", ok=302),
    *_page("products:brand_create", b_admin=200),
    *_page("products:brand_create", data=_brand_data, method="post", ok=302, b_admin=200),
    *_page("products:brand_edit", kwargs=_brand),
    *_page("products:brand_edit", kwargs=_brand, data=_brand_data, method="post", ok=302),
    *_page("products:sku_create", b_admin=200),
    *_page("products:sku_create", data=_sku_data, method="post", ok=302, b_admin=200),
    *_page("products:sku_edit", kwargs=_sku),
    *_page("products:sku_edit", kwargs=_sku, data=_sku_data, method="post", ok=302),
    # API: every member reads; tenant B gets 404 on tenant A's SKU
    Row("api-products-skus-list", "anon", 403),
    *[Row("api-products-skus-list", r, 200) for r in MEMBERS],
    Row("api-products-skus-detail", "anon", 403, kwargs=_sku),
    *[Row("api-products-skus-detail", r, 200, kwargs=_sku) for r in MEMBERS if not r.startswith("b_")],
    Row("api-products-skus-detail", "b_admin", 404, kwargs=_sku),
    Row("api-products-skus-detail", "b_rep", 404, kwargs=_sku),
]

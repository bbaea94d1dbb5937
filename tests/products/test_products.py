"""The product catalogue: services refuse bad input by field, pages, API, tenancy, query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from products import services
from products.models import Brand, ProductLine, Sku
from tests.helpers import assert_uses_tenant_index, count_queries
from tests.products.factories import make_catalogue

pytestmark = pytest.mark.usefixtures("english")


def _field_error(exc: ValidationError) -> set[str]:
    return set(exc.message_dict)


# --------------------------------------------------------------------------- services


def test_sku_create_takes_the_tenant_currency_and_rounds_nothing(world):
    with world.scope("a"):
        _line, _brand, (sku,) = make_catalogue()
        sku.refresh_from_db()
        assert sku.currency == world.tenants["a"].currency
        assert sku.list_price == Decimal("35.50")


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": "  "}, "name"),
    ({"list_price": "-1"}, "list_price"),
    ({"list_price": "1.234"}, "list_price"),
    ({"list_price": "abc"}, "list_price"),
    ({"status": "gone"}, "status"),
])
def test_sku_create_bad_input_names_the_field_and_saves_nothing(world, kwargs, field):
    with world.scope("a"):
        _line, brand, _skus = make_catalogue(skus=0)
        data = {"brand": brand, "name": "新规格", "strength": "5 mg", "pack": "7片/盒", "unit": "盒",
                "list_price": "10.00", **kwargs}
        with pytest.raises(ValidationError) as exc:
            services.sku_create(**data)
        assert field in _field_error(exc.value)
        assert Sku.objects.count() == 0


def test_duplicate_sku_is_refused_on_name(world):
    with world.scope("a"):
        _line, brand, (sku,) = make_catalogue()
        with pytest.raises(ValidationError) as exc:
            services.sku_create(brand=brand, name=sku.name, strength=sku.strength, pack=sku.pack,
                                list_price="1")
        assert "name" in _field_error(exc.value)
        assert Sku.objects.count() == 1
        # another pack of the same name and strength is another SKU
        services.sku_create(brand=brand, name=sku.name, strength=sku.strength, pack="14片/盒", list_price="1")
        assert Sku.objects.count() == 2


def test_empty_and_duplicate_line_and_brand_names_are_refused(world):
    with world.scope("a"):
        line, brand, _skus = make_catalogue(skus=0)
        with pytest.raises(ValidationError) as exc:
            services.product_line_create(name="")
        assert "name" in _field_error(exc.value)
        with pytest.raises(ValidationError) as exc:
            services.product_line_create(name=line.name)
        assert "name" in _field_error(exc.value)
        with pytest.raises(ValidationError) as exc:
            services.brand_create(product_line=line, name=brand.name)
        assert "name" in _field_error(exc.value)
        assert ProductLine.objects.count() == 1 and Brand.objects.count() == 1


def test_brand_of_a_discontinued_line_is_refused(world):
    with world.scope("a"):
        line, brand, _skus = make_catalogue(skus=0)
        services.product_line_update(line=line, name=line.name, is_active=False)
        with pytest.raises(ValidationError) as exc:
            services.brand_create(product_line=line, name="新品牌")
        assert "product_line" in _field_error(exc.value)
        assert Brand.objects.count() == 1
        # an existing brand of the line can still be edited
        services.brand_update(brand=brand, product_line=line, name=brand.name, name_en="Lipitor 2")


def test_same_names_in_two_tenants_do_not_clash(world):
    with world.scope("a"):
        make_catalogue()
    with world.scope("b"):
        make_catalogue()
        assert Sku.objects.count() == 1


# --------------------------------------------------------------------------- pages


def test_rep_reads_the_catalogue_without_edit_links(world, login):
    with world.scope("a"):
        _line, _brand, (sku,) = make_catalogue()
    response = login(world.users["a"]["rep"]).get(reverse("products:catalogue"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "立普妥" in body and "7片/盒" in body and "35.50" in body
    assert reverse("products:sku_edit", kwargs={"code": sku.code}) not in body
    assert 'data-label="List price"' in body and "table-responsive-cards" in body
    assert "<script>" not in body


def test_admin_creates_a_sku_from_the_page(world, login):
    with world.scope("a"):
        _line, brand, _skus = make_catalogue(skus=0)
    client = login(world.users["a"]["admin"])
    response = client.post(reverse("products:sku_create"), {
        "brand": brand.code, "name": "立普妥 20", "strength": "20 mg", "pack": "7片/盒", "unit": "盒",
        "list_price": "48.00", "status": "active"})
    assert response.status_code == 302
    with world.scope("a"):
        sku = Sku.objects.get()
        assert (sku.name, sku.list_price, sku.currency) == ("立普妥 20", Decimal("48.00"), "CNY")


def test_negative_price_on_the_page_shows_the_error_and_saves_nothing(world, login):
    with world.scope("a"):
        _line, brand, _skus = make_catalogue(skus=0)
    client = login(world.users["a"]["admin"])
    response = client.post(reverse("products:sku_create"), {
        "brand": brand.code, "name": "坏价格", "list_price": "-5", "status": "active"})
    assert response.status_code == 200
    assert "cannot be negative" in response.content.decode()
    assert "list_price" in response.context["form"].errors
    with world.scope("a"):
        assert not Sku.objects.exists()


def test_admin_edits_a_line_and_other_tenant_gets_404(world, login):
    with world.scope("a"):
        line, _brand, _skus = make_catalogue(skus=0)
    url = reverse("products:line_edit", kwargs={"code": line.code})
    assert login(world.users["b"]["admin"]).get(url).status_code == 404
    response = login(world.users["a"]["admin"]).post(url, {"name": "心血管 CV"})
    assert response.status_code == 302
    with world.scope("a"):
        line.refresh_from_db()
        assert line.name == "心血管 CV" and not line.is_active


def test_catalogue_queries_do_not_grow_with_the_skus(world, login):
    client = login(world.users["a"]["admin"])
    url = reverse("products:catalogue")
    with world.scope("a"):
        make_catalogue(skus=2, line_name="线一", brand_name="品牌一")
    client.get(url)  # warm up session and caches
    small = count_queries(lambda: client.get(url))
    with world.scope("a"):
        make_catalogue(skus=20, line_name="线二", brand_name="品牌二")
    large = count_queries(lambda: client.get(url))
    assert large == small


def test_sku_list_query_uses_a_tenant_index(world):
    with world.scope("a"):
        make_catalogue()
        assert_uses_tenant_index(Sku.objects.filter(status=Sku.Status.ACTIVE).order_by("name"))


# --------------------------------------------------------------------------- API


def test_api_lists_skus_with_brand_and_line(world, login):
    with world.scope("a"):
        line, brand, (sku,) = make_catalogue()
    response = login(world.users["a"]["rep"]).get(reverse("api-products-skus-list"))
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["code"] == str(sku.code)
    assert (row["strength"], row["pack"], row["unit"]) == ("10 mg", "7片/盒", "盒")
    assert (row["list_price"], row["currency"], row["status"]) == ("35.50", "CNY", "active")
    assert row["brand"]["code"] == str(brand.code) and row["brand"]["name"] == "立普妥"
    assert row["product_line"] == {"code": str(line.code), "name": "心血管"}


def test_api_detail_of_other_tenant_sku_is_404(world, login):
    with world.scope("a"):
        _line, _brand, (sku,) = make_catalogue()
    url = reverse("api-products-skus-detail", kwargs={"code": sku.code})
    assert login(world.users["a"]["rep"]).get(url).status_code == 200
    assert login(world.users["b"]["admin"]).get(url).status_code == 404
    assert login(world.users["b"]["admin"]).get(reverse("api-products-skus-list")).json()["count"] == 0


def test_api_list_queries_do_not_grow_with_the_skus(world, login):
    client = login(world.users["a"]["rep"])
    url = reverse("api-products-skus-list")
    with world.scope("a"):
        make_catalogue(skus=2, line_name="线一", brand_name="品牌一")
    client.get(url)
    small = count_queries(lambda: client.get(url))
    with world.scope("a"):
        make_catalogue(skus=20, line_name="线二", brand_name="品牌二")
    large = count_queries(lambda: client.get(url))
    assert large == small

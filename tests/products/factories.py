"""Catalogue rows for tests (inside a tenant scope)."""

from __future__ import annotations

from products import services


def make_catalogue(*, skus: int = 1, line_name: str = "心血管", brand_name: str = "立普妥"):
    line = services.product_line_create(name=line_name)
    brand = services.brand_create(product_line=line, name=brand_name, name_en="Lipitor",
                                  generic_name="阿托伐他汀钙片")
    made = [services.sku_create(brand=brand, name=f"{brand_name} {i}", strength=f"{10 * (i + 1)} mg",
                                pack="7片/盒", unit="盒", list_price="35.50") for i in range(skus)]
    return line, brand, made

"""Changes to the product catalogue: one transaction each, errors named by field.

Keyword-only; the audit trigger records every change (``sfe.core.schema``).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sfe.core.tenancy import current_tenant

from .models import Brand, ProductLine, Sku


def _required(field: str, value: str, max_length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError({field: _("Use at most %(n)s characters.") % {"n": max_length}})
    return value


def _optional(field: str, value: str | None, max_length: int) -> str:
    value = (value or "").strip()
    if len(value) > max_length:
        raise ValidationError({field: _("Use at most %(n)s characters.") % {"n": max_length}})
    return value


def _price(value) -> Decimal:
    if value is None or value == "":
        raise ValidationError({"list_price": _("This field is required.")})
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"list_price": _("Enter a number.")}) from None
    if not price.is_finite():
        raise ValidationError({"list_price": _("Enter a number.")})
    if price < 0:
        raise ValidationError({"list_price": _("The list price cannot be negative.")})
    if price.as_tuple().exponent < -2 and price != price.quantize(Decimal("0.01")):
        raise ValidationError({"list_price": _("Use at most 2 decimal places.")})
    if price >= Decimal("10000000000"):
        raise ValidationError({"list_price": _("The list price is too large.")})
    return price.quantize(Decimal("0.01"))


def _save(obj, *, fields: list[str] | None, duplicate_field: str, duplicate_message: str):
    """Save in a savepoint so a unique-constraint race still answers with a named field."""
    try:
        with transaction.atomic():
            if fields is None:
                obj.save()
            else:
                obj.save(update_fields=[*fields, "updated_at"])
    except IntegrityError:
        raise ValidationError({duplicate_field: duplicate_message}) from None
    return obj


# --------------------------------------------------------------------------- product lines


def _check_line(*, name: str, exclude_pk: int | None) -> str:
    name = _required("name", name, 120)
    if ProductLine.objects.filter(name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": _("A product line with this name exists already.")})
    return name


@transaction.atomic
def product_line_create(*, name: str, is_active: bool = True) -> ProductLine:
    name = _check_line(name=name, exclude_pk=None)
    line = ProductLine(name=name, is_active=is_active)
    return _save(line, fields=None, duplicate_field="name",
                 duplicate_message=_("A product line with this name exists already."))


@transaction.atomic
def product_line_update(*, line: ProductLine, name: str, is_active: bool) -> ProductLine:
    line.name = _check_line(name=name, exclude_pk=line.pk)
    line.is_active = is_active
    return _save(line, fields=["name", "is_active"], duplicate_field="name",
                 duplicate_message=_("A product line with this name exists already."))


# --------------------------------------------------------------------------- brands


def _check_brand(*, product_line: ProductLine | None, name: str, name_en: str, generic_name: str,
                 exclude_pk: int | None, was_line_id: int | None) -> tuple[str, str, str]:
    if product_line is None:
        raise ValidationError({"product_line": _("This field is required.")})
    if not product_line.is_active and product_line.pk != was_line_id:
        raise ValidationError({"product_line": _("%(name)s is discontinued: no brand can be added to it.")
                               % {"name": product_line.name}})
    name = _required("name", name, 120)
    name_en = _optional("name_en", name_en, 120)
    generic_name = _optional("generic_name", generic_name, 200)
    if Brand.objects.filter(product_line=product_line, name=name).exclude(pk=exclude_pk).exists():
        raise ValidationError({"name": _("This product line has a brand with this name already.")})
    return name, name_en, generic_name


@transaction.atomic
def brand_create(*, product_line: ProductLine, name: str, name_en: str = "", generic_name: str = "",
                 is_active: bool = True) -> Brand:
    name, name_en, generic_name = _check_brand(product_line=product_line, name=name, name_en=name_en,
                                               generic_name=generic_name, exclude_pk=None, was_line_id=None)
    brand = Brand(product_line=product_line, name=name, name_en=name_en, generic_name=generic_name,
                  is_active=is_active)
    return _save(brand, fields=None, duplicate_field="name",
                 duplicate_message=_("This product line has a brand with this name already."))


@transaction.atomic
def brand_update(*, brand: Brand, product_line: ProductLine, name: str, name_en: str = "",
                 generic_name: str = "", is_active: bool = True) -> Brand:
    name, name_en, generic_name = _check_brand(product_line=product_line, name=name, name_en=name_en,
                                               generic_name=generic_name, exclude_pk=brand.pk,
                                               was_line_id=brand.product_line_id)
    brand.product_line = product_line
    brand.name, brand.name_en, brand.generic_name, brand.is_active = name, name_en, generic_name, is_active
    return _save(brand, fields=["product_line", "name", "name_en", "generic_name", "is_active"],
                 duplicate_field="name",
                 duplicate_message=_("This product line has a brand with this name already."))


# --------------------------------------------------------------------------- SKUs

def _sku_duplicate() -> str:
    return _("This brand has a SKU with this name, strength and pack already.")


def _check_sku(*, brand: Brand | None, name: str, strength: str, pack: str, unit: str, list_price,
               external_code: str, status: str, exclude_pk: int | None) -> dict:
    if brand is None:
        raise ValidationError({"brand": _("This field is required.")})
    data = {
        "name": _required("name", name, 160),
        "strength": _optional("strength", strength, 60),
        "pack": _optional("pack", pack, 60),
        "unit": _optional("unit", unit, 20),
        "list_price": _price(list_price),
        "external_code": _optional("external_code", external_code, 60),
    }
    if status not in Sku.Status.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    data["status"] = status
    if (Sku.objects.filter(brand=brand, name=data["name"], strength=data["strength"], pack=data["pack"])
            .exclude(pk=exclude_pk).exists()):
        raise ValidationError({"name": _sku_duplicate()})
    return data


@transaction.atomic
def sku_create(*, brand: Brand, name: str, list_price, strength: str = "", pack: str = "", unit: str = "",
               external_code: str = "", status: str = Sku.Status.ACTIVE) -> Sku:
    data = _check_sku(brand=brand, name=name, strength=strength, pack=pack, unit=unit, list_price=list_price,
                      external_code=external_code, status=status, exclude_pk=None)
    tenant = current_tenant()
    sku = Sku(brand=brand, currency=tenant.currency if tenant else "CNY", **data)
    return _save(sku, fields=None, duplicate_field="name", duplicate_message=_sku_duplicate())


@transaction.atomic
def sku_update(*, sku: Sku, brand: Brand, name: str, list_price, strength: str = "", pack: str = "",
               unit: str = "", external_code: str = "", status: str = Sku.Status.ACTIVE) -> Sku:
    data = _check_sku(brand=brand, name=name, strength=strength, pack=pack, unit=unit, list_price=list_price,
                      external_code=external_code, status=status, exclude_pk=sku.pk)
    sku.brand = brand
    for key, value in data.items():
        setattr(sku, key, value)
    return _save(sku, fields=["brand", *data], duplicate_field="name", duplicate_message=_sku_duplicate())

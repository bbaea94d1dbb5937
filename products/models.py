"""The product catalogue: product lines (therapeutic areas) → brands → SKUs.

Every member of a tenant reads the catalogue; admins change it through
``products.services``.
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned


class ProductLine(TenantOwned, Coded):
    """A product line or therapeutic area, e.g. 心血管 (cardiovascular)."""

    name = models.CharField(_("name"), max_length=120)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("product line")
        ordering = ["name"]
        indexes = [models.Index(fields=["tenant", "name"], name="productline_tenant_name")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="productline_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "name"], name="productline_tenant_name_uniq",
                                    violation_error_message=_("A product line with this name exists already.")),
        ]

    def __str__(self) -> str:
        return self.name


class Brand(TenantOwned, Coded):
    """A brand within a product line: the Chinese name, the English name, the generic name."""

    product_line = models.ForeignKey(ProductLine, on_delete=models.PROTECT, related_name="brands",
                                     verbose_name=_("product line"), db_index=False)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    generic_name = models.CharField(_("generic name"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("brand")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="brand_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "product_line", "name"], name="brand_tenant_line_name",
                                    violation_error_message=_("This product line has a brand with this name already.")),
        ]

    def __str__(self) -> str:
        return self.name


class Sku(TenantOwned, Coded):
    """A sellable unit of a brand: strength, pack, unit and list price."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        DISCONTINUED = "discontinued", _("discontinued")

    brand = models.ForeignKey(Brand, on_delete=models.PROTECT, related_name="skus",
                              verbose_name=_("brand"), db_index=False)
    name = models.CharField(_("name"), max_length=160)
    strength = models.CharField(_("strength"), max_length=60, blank=True, help_text=_("For example 10 mg."))
    pack = models.CharField(_("pack"), max_length=60, blank=True, help_text=_("For example 7 tablets per box."))
    unit = models.CharField(_("unit"), max_length=20, blank=True, help_text=_("For example box."))
    list_price = models.DecimalField(_("list price"), max_digits=12, decimal_places=2,
                                     validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    external_code = models.CharField(_("external code"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("SKU")
        ordering = ["name", "strength", "pack"]
        indexes = [models.Index(fields=["tenant", "status", "name"], name="sku_tenant_status_name")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="sku_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "brand", "name", "strength", "pack"], name="sku_tenant_brand_uniq",
                                    violation_error_message=_("This brand has a SKU with this name, strength and pack already.")),
            models.CheckConstraint(condition=Q(list_price__gte=0), name="sku_list_price_not_negative",
                                   violation_error_message=_("The list price cannot be negative.")),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="sku_currency_iso",
                                   violation_error_message=_("The currency must be a three-letter ISO code such as CNY.")),
        ]

    def __str__(self) -> str:
        return " ".join(p for p in (self.name, self.strength, self.pack) if p)

    @property
    def is_discontinued(self) -> bool:
        return self.status == self.Status.DISCONTINUED

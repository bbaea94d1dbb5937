"""The tenant's segmentation settings and its rules.

A rule says how one kind of customer (HCPs or institutions) is classified for one
purpose: a value ``tier`` per product line (R6), or — institutions only, no product line —
the ``channel_class`` of pharmacies, chains and distributors and the ``credit_rating`` of
distributors (R9). At most one rule per (purpose, product line, kind). The definition is
JSON checked by ``definition.validate_definition``; ``version`` counts its saves (history
rows say which version moved a customer).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models.choices import CustomerKind
from sfe.core.models import Coded, TenantOwned


class Purpose(models.TextChoices):
    TIER = "tier", _("Value tier")
    CHANNEL_CLASS = "channel_class", _("Channel customer class")
    CREDIT_RATING = "credit_rating", _("Distributor credit rating")


class SegmentationSettings(TenantOwned):
    """One row per tenant (absent = the defaults)."""

    primary_product_line = models.ForeignKey(
        "products.ProductLine", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False,
        verbose_name=_("primary product line"),
        help_text=_("The tier of this product line is the customer's tier in the customer lists."))
    weights_total = models.PositiveSmallIntegerField(
        _("score weights must add up to"), null=True, blank=True, default=100,
        help_text=_("Leave empty to accept any positive total."))
    updated_at = models.DateTimeField(auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("segmentation settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="segsettings_one_per_tenant")]


class SegmentationRule(TenantOwned, Coded):
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices, default=Purpose.TIER)
    product_line = models.ForeignKey("products.ProductLine", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", db_index=False, verbose_name=_("product line"))
    kind = models.CharField(_("customers"), max_length=12, choices=CustomerKind.choices)
    name = models.CharField(_("name"), max_length=120, blank=True)
    definition = models.JSONField(_("definition"))
    version = models.PositiveIntegerField(_("version"), default=1)
    is_active = models.BooleanField(_("active"), default=True,
                                    help_text=_("An inactive rule is not run; the tiers it gave stay as they are."))
    created_by = models.ForeignKey("accounts.Membership", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", db_index=False)
    updated_by = models.ForeignKey("accounts.Membership", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("segmentation rule")
        ordering = ["purpose", "product_line__name", "kind"]
        indexes = [models.Index(fields=["tenant", "purpose", "product_line"], name="segrule_tenant_purpose_line")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="segrule_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "purpose", "product_line", "kind"], nulls_distinct=False,
                                    name="segrule_one_per_line_kind",
                                    violation_error_message=_("This product line has a rule for these customers already.")),
            models.CheckConstraint(condition=Q(purpose=Purpose.TIER, product_line__isnull=False)
                                   | (~Q(purpose=Purpose.TIER) & Q(product_line__isnull=True, kind=CustomerKind.INSTITUTION)),
                                   name="segrule_purpose_shape"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_purpose_display()} · {self.get_kind_display()}"

    @property
    def method(self) -> str:
        return (self.definition or {}).get("method", "")

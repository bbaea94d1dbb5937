"""Sample orders: a rep asks for quantities of SKUs; the approval engine decides
(request type ``sample_order``); an approved order is a delivery the rep confirms as
received (lot and expiry per line), which puts the stock in their inventory."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned

from .inventory import RepOwnedQuerySet


class OrderState(models.TextChoices):
    PENDING = "pending", _("waiting for approval")
    RETURNED = "returned", _("sent back for changes")
    APPROVED = "approved", _("approved, waiting for delivery")
    REJECTED = "rejected", _("rejected")
    RECEIVED = "received", _("received")
    WITHDRAWN = "withdrawn", _("withdrawn")


class SampleOrder(TenantOwned, Coded):
    rep = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+",
                            verbose_name=_("rep"), db_index=False)
    state = models.CharField(_("state"), max_length=10, choices=OrderState.choices, default=OrderState.PENDING)
    note = models.CharField(_("note"), max_length=500, blank=True)
    approval_code = models.UUIDField(_("approval request"), null=True, blank=True)
    decision_comment = models.CharField(_("approver's comment"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    objects = TenantManager.from_queryset(RepOwnedQuerySet)()

    class Meta:
        verbose_name = _("sample order")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "rep", "-created_at"], name="sampleorder_tenant_rep")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="sampleorder_tenant_code"),
            models.CheckConstraint(condition=~Q(state=OrderState.RECEIVED) | Q(received_at__isnull=False),
                                   name="sampleorder_received_has_time"),
        ]

    def __str__(self) -> str:
        return str(_("Sample order of %(day)s")) % {"day": f"{self.created_at:%Y-%m-%d}"}


class SampleOrderLine(TenantOwned):
    order = models.ForeignKey(SampleOrder, on_delete=models.CASCADE, related_name="lines", db_index=False)
    sku = models.ForeignKey("products.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"),
                            db_index=False)
    quantity = models.PositiveIntegerField(_("quantity"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("order line")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "order", "sku"], name="sampleorderline_order_sku",
                                    violation_error_message=_("This SKU is in the order already.")),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="sampleorderline_quantity_positive"),
        ]

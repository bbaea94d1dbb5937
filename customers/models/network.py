"""The supply network (R2): distributor → sub-distributor → terminal, per product."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned

from .institutions import Institution
from .querysets import DatedQuerySet


class SupplyRelation(TenantOwned, Coded):
    """``supplier`` delivers ``brand`` (every product when blank) to ``customer``."""

    supplier = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="supplies",
                                 verbose_name=_("supplier"), db_index=False)
    customer = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="supplied_by",
                                 verbose_name=_("customer"), db_index=False)
    brand = models.ForeignKey("products.Brand", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("product"), db_index=False,
                              help_text=_("Leave empty when the supplier delivers every product."))
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    objects = TenantManager.from_queryset(DatedQuerySet)()

    class Meta:
        verbose_name = _("supply relation")
        indexes = [
            models.Index(fields=["tenant", "supplier"], name="supply_tenant_supplier"),
            models.Index(fields=["tenant", "customer"], name="supply_tenant_customer"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="supply_tenant_code"),
            models.CheckConstraint(condition=~Q(supplier=models.F("customer")), name="supply_not_self",
                                   violation_error_message=_("An institution cannot supply itself.")),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(start_date__isnull=True)
                                   | Q(end_date__gte=models.F("start_date")), name="supply_dates_ordered",
                                   violation_error_message=_("The end date must not be before the start date.")),
        ]

"""Monthly reconciliation: the rep counts what they hold per lot; each difference with the
ledger becomes an ``adjusted`` move with the reason when the month is confirmed."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned

from .inventory import RepOwnedQuerySet


class Reconciliation(TenantOwned, Coded):
    class State(models.TextChoices):
        DRAFT = "draft", _("counting")
        CONFIRMED = "confirmed", _("confirmed")

    rep = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+",
                            verbose_name=_("rep"), db_index=False)
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    reason = models.CharField(_("reason for the differences"), max_length=300, blank=True)
    confirmed_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("confirmed by"), db_index=False)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager.from_queryset(RepOwnedQuerySet)()

    class Meta:
        verbose_name = _("reconciliation")
        ordering = ["-month", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="reconciliation_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "rep", "month"], name="reconciliation_tenant_rep_month",
                                    violation_error_message=_("This month is reconciled already.")),
            models.CheckConstraint(condition=Q(month__day=1), name="reconciliation_month_first_day"),
            models.CheckConstraint(condition=~Q(state="confirmed") | Q(confirmed_at__isnull=False),
                                   name="reconciliation_confirmed_has_time"),
        ]


class ReconciliationLine(TenantOwned):
    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="lines",
                                       db_index=False)
    lot = models.ForeignKey("samples.SampleLot", on_delete=models.PROTECT, related_name="+", verbose_name=_("lot"),
                            db_index=False)
    #: The ledger's balance when the counts were saved, and again when confirmed.
    ledger_quantity = models.IntegerField(_("in the ledger"))
    counted = models.PositiveIntegerField(_("counted"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("reconciliation line")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "reconciliation", "lot"], name="reconline_recon_lot"),
        ]

    @property
    def difference(self) -> int:
        return self.counted - self.ledger_quantity

"""Current tiers (one row per purpose, product line and customer), their history, and runs.

``CustomerTier`` holds what a run computed — the bands and the ``computed_tier`` — the
analyst's pin (``pinned_tier`` with reason, who, when) and the effective ``tier`` (the pin
if any, else the computed tier). It stores bands (and a score's tenth), never a continuous
rank, so a night in which nothing moved writes nothing; it is written only where something
changed, and in place: no index names a column a run changes, and ``fillfactor`` 70 leaves
room on each page, so those updates are HOT (no index entries written). A customer without a tier has no
row. No audit trigger: these are derived rows written in bulk, and every change of the
effective tier is recorded as a ``TierChange`` (which run or who, when, from, to, why).

The history of those changes is in ``history`` (``TierChangeBatch``, read as ``TierChange``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantOwned

from .rules import Purpose

TIER_VALUES = ["A", "B", "C", "D"]
_ONE_CUSTOMER = (Q(institution__isnull=False) & Q(hcp__isnull=True)) | (Q(institution__isnull=True) & Q(hcp__isnull=False))


class CustomerTier(TenantOwned):
    audit_trigger = False

    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.TIER)
    product_line = models.ForeignKey("products.ProductLine", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="+", db_index=False, verbose_name=_("product line"))
    hcp = models.ForeignKey("customers.Hcp", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                            db_index=False, verbose_name=_("HCP"))
    institution = models.ForeignKey("customers.Institution", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="+", db_index=False, verbose_name=_("institution"))
    tier = models.CharField(_("tier"), max_length=1, blank=True, default="")
    computed_tier = models.CharField(_("computed tier"), max_length=1, blank=True, default="")
    potential_band = models.SmallIntegerField(_("potential band"), null=True, blank=True)
    adoption_band = models.SmallIntegerField(_("adoption band"), null=True, blank=True)
    score_band = models.SmallIntegerField(_("score band (tenth of 0–100)"), null=True, blank=True)
    pinned_tier = models.CharField(_("pinned tier"), max_length=1, blank=True, default="")
    pin_reason = models.CharField(_("reason for the pin"), max_length=300, blank=True, default="")
    pinned_by = models.ForeignKey("accounts.Membership", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", db_index=False)
    pinned_at = models.DateTimeField(null=True, blank=True)
    #: When the effective tier last changed (not when it was last computed: that would
    #: rewrite every row every night).
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("customer tier")
        indexes = [
            # Not on ``tier``: a column no index names is updated in place (HOT) when a run
            # changes it; reads by tier filter a line's rows found through this index.
            models.Index(fields=["tenant", "product_line", "purpose"], name="custtier_tenant_line"),
            models.Index(fields=["tenant", "product_line", "purpose"], name="custtier_tenant_pins",
                         condition=~Q(pinned_tier="")),
        ]
        constraints = [
            models.CheckConstraint(condition=_ONE_CUSTOMER, name="custtier_one_customer"),
            models.CheckConstraint(condition=Q(tier__in=["", *TIER_VALUES]) & Q(computed_tier__in=["", *TIER_VALUES])
                                   & Q(pinned_tier__in=["", *TIER_VALUES]), name="custtier_tier_values"),
            models.CheckConstraint(condition=Q(pinned_tier="") | Q(tier=models.F("pinned_tier")),
                                   name="custtier_pin_wins"),
            models.UniqueConstraint(fields=["tenant", "hcp", "purpose", "product_line"], nulls_distinct=False,
                                    condition=Q(hcp__isnull=False), name="custtier_unique_hcp"),
            models.UniqueConstraint(fields=["tenant", "institution", "purpose", "product_line"], nulls_distinct=False,
                                    condition=Q(institution__isnull=False), name="custtier_unique_institution"),
        ]

    def __str__(self) -> str:
        return self.tier or "-"

    @property
    def customer_id(self) -> int:
        return self.hcp_id or self.institution_id

    @property
    def is_pinned(self) -> bool:
        return bool(self.pinned_tier)


class RunPurpose(models.TextChoices):
    TIER = "tier", _("Value tiers")
    CHANNEL = "channel", _("Channel classes and credit ratings")


class SegmentationRun(TenantOwned, Coded):
    """One recompute of one product line's tiers (or of the tenant's channel classes)."""

    audit_trigger = False

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", _("Nightly")
        MANUAL = "manual", _("On demand")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    purpose = models.CharField(max_length=10, choices=RunPurpose.choices, default=RunPurpose.TIER)
    product_line = models.ForeignKey("products.ProductLine", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="+", db_index=False, verbose_name=_("product line"))
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey("accounts.Membership", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", db_index=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: Tier rows inserted, updated or deleted; of those, effective tier changes (history
    #: rows); customer rows whose ``tier`` column was brought in step.
    rows_changed = models.PositiveIntegerField(default=0)
    tier_changes = models.PositiveIntegerField(default=0)
    customers_updated = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        verbose_name = _("segmentation run")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "product_line", "-created_at"], name="segrun_tenant_line_recent"),
            models.Index(fields=["tenant", "status"], name="segrun_tenant_open",
                         condition=Q(status__in=["queued", "running"])),
        ]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="segrun_tenant_code")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.created_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

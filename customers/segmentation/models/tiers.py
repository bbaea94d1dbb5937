"""Current tiers (one row per purpose, product line and customer), their history, and runs.

``CustomerTier`` holds what a run computed — the bands and the ``computed_tier`` — the
analyst's pin (``pinned_tier`` with reason, who, when) and the effective ``tier`` (the pin
if any, else the computed tier). It stores bands (and a score's tenth), never a continuous
rank, so a night in which nothing moved writes nothing; it is written only where something
changed, and in place: no index names a column a run changes, and ``fillfactor`` 70 leaves
room on each page, so those updates are HOT (no index entries written). A customer without a tier has no
row. No audit trigger: these are derived rows written in bulk, and every change of the
effective tier is a ``TierChange`` row (which run or who, when, from, to, why).

``TierChange`` is append-only and written by the same statements that change tiers (up to
a million rows a night): its references carry no foreign-key constraints (each would cost
a lookup and a row lock on the customer per inserted row); the writer takes every id from
rows it has just read in the same transaction.
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


class TierChange(TenantOwned):
    """One change of a customer's effective tier: append-only history, written a million rows
    at a time by a recompute (one ``INSERT … SELECT``).

    No column here is a checked foreign key: the rows only record ids (the tenant's is
    enforced by row-level security's ``WITH CHECK``; customers, lines, runs and members are
    never deleted, only deactivated or merged — a merge moves the rows). Per-row foreign-key
    checks cost more than the rows themselves: measured at 963,671 changes, the deferred
    checks of the tenant and member keys took 8.9 s at commit, the INSERT 11.1 s.
    """

    audit_trigger = False
    tenant_key = False  # nothing points at a history row: one index less to write per change
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.DO_NOTHING, editable=False, related_name="+",
                               db_index=False, db_constraint=False)

    class Kind(models.TextChoices):
        COMPUTED = "computed", _("Recomputed")
        PINNED = "pinned", _("Pinned by hand")
        UNPINNED = "unpinned", _("Pin removed")

    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.TIER)
    product_line = models.ForeignKey("products.ProductLine", on_delete=models.DO_NOTHING, null=True, blank=True,
                                     related_name="+", db_index=False, db_constraint=False)
    hcp = models.ForeignKey("customers.Hcp", on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+",
                            db_index=False, db_constraint=False)
    institution = models.ForeignKey("customers.Institution", on_delete=models.DO_NOTHING, null=True, blank=True,
                                    related_name="+", db_index=False, db_constraint=False)
    from_tier = models.CharField(_("from"), max_length=1, blank=True, default="")
    to_tier = models.CharField(_("to"), max_length=1, blank=True, default="")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    run = models.ForeignKey(SegmentationRun, on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+",
                            db_index=False, db_constraint=False)
    by = models.ForeignKey("accounts.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                           db_index=False, db_constraint=False)
    at = models.DateTimeField()
    #: Why a run moved it: the rule's version and the bands before and after (plain columns,
    #: not JSON: building a JSON value per row doubled the cost of writing a million of them).
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    from_potential_band = models.SmallIntegerField(null=True, blank=True)
    to_potential_band = models.SmallIntegerField(null=True, blank=True)
    from_adoption_band = models.SmallIntegerField(null=True, blank=True)
    to_adoption_band = models.SmallIntegerField(null=True, blank=True)
    from_score_band = models.SmallIntegerField(null=True, blank=True)
    to_score_band = models.SmallIntegerField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("tier change")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(models.F("tenant"), models.F("hcp"), models.F("at").desc(), name="tierchange_tenant_hcp",
                         condition=Q(hcp__isnull=False)),
            models.Index(models.F("tenant"), models.F("institution"), models.F("at").desc(),
                         name="tierchange_tenant_inst", condition=Q(institution__isnull=False)),
            # Newest first, and a run's changes: they all carry one ``at`` between the run's
            # start and finish (``selectors.run_changes``), so no index on ``run`` is needed.
            models.Index(models.F("tenant"), models.F("at").desc(), name="tierchange_tenant_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.from_tier or '-'} → {self.to_tier or '-'}"

    @property
    def customer_id(self) -> int:
        return self.hcp_id or self.institution_id

    @property
    def why(self) -> dict:
        """The inputs that moved it: ``{"potential_band": [1, 3], …}`` (bands that were or are
        set), ``left_population`` when the customer left the rule's customers, the rule's
        ``version``; empty for pins (their ``reason`` says why)."""
        if self.kind != self.Kind.COMPUTED:
            return {}
        out: dict = {"version": self.rule_version}
        for band in ("potential_band", "adoption_band", "score_band"):
            pair = [getattr(self, f"from_{band}"), getattr(self, f"to_{band}")]
            if pair != [None, None]:
                out[band] = pair
        if not self.to_tier:
            out["left_population"] = True
        return out

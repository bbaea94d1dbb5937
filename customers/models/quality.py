"""Lifecycle history (R4) and data quality (R5): change requests, duplicates, merges."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantOwned

from .choices import CustomerKind, Stage
from .hcps import Hcp
from .institutions import Institution


class StageChange(TenantOwned):
    """One move along the lifecycle: who, when, from what, to what, why."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                    db_index=False)
    hcp = models.ForeignKey(Hcp, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False)
    from_stage = models.CharField(max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=12, choices=Stage.choices)
    changed_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, null=True, related_name="+",
                                   db_index=False)
    changed_at = models.DateTimeField()
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "hcp", "-changed_at"], name="stage_tenant_hcp", condition=Q(hcp__isnull=False)),
            models.Index(fields=["tenant", "institution", "-changed_at"], name="stage_tenant_inst",
                         condition=Q(institution__isnull=False)),
            models.Index(fields=["tenant", "changed_at"], name="stage_tenant_at"),
        ]


class ChangeRequest(TenantOwned, Coded):
    """A data change request (DCR): a rep proposes, a data steward decides in the approval
    engine; approving applies the proposal through the same services an admin uses.

    Alignment challenges (add or drop a customer for one's territory) are change requests too.
    """

    class Kind(models.TextChoices):
        NEW_INSTITUTION = "new_institution", _("New institution")
        NEW_HCP = "new_hcp", _("New HCP")
        EDIT = "edit", _("Correction")
        DEACTIVATE = "deactivate", _("Deactivation")
        ALIGN_ADD = "align_add", _("Add to my territory")
        ALIGN_DROP = "align_drop", _("Drop from my territory")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved and applied")
        REJECTED = "rejected", _("Rejected")
        RETURNED = "returned", _("Sent back")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        FAILED = "failed", _("Approved, could not be applied")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    db_index=False)
    hcp = models.ForeignKey(Hcp, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    territory = models.ForeignKey("accounts.OrgNode", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", db_index=False)
    product_line = models.ForeignKey("products.ProductLine", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", db_index=False)
    #: Proposed values by field name (for new records and corrections).
    proposed = models.JSONField(default=dict, blank=True)
    #: The values when the request was made, to show the difference and detect later edits.
    before = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    requested_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+", db_index=False)
    approval = models.ForeignKey("approvals.ApprovalRequest", on_delete=models.PROTECT, null=True, related_name="+",
                                 db_index=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("data change request")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "requested_by", "-created_at"], name="dcr_tenant_requester"),
            models.Index(fields=["tenant", "state", "-created_at"], name="dcr_tenant_state"),
            models.Index(fields=["tenant", "hcp"], name="dcr_tenant_hcp", condition=Q(hcp__isnull=False)),
            models.Index(fields=["tenant", "institution"], name="dcr_tenant_inst", condition=Q(institution__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="dcr_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "approval"], name="dcr_tenant_approval",
                                    condition=Q(approval__isnull=False)),
        ]


class DuplicateCandidate(TenantOwned, Coded):
    """A pair that may be one customer, found on create or by the nightly scan."""

    class Reason(models.TextChoices):
        SAME_NAME_INSTITUTION = "same_name_institution", _("Same name at the same institution")
        SAME_NAME_CITY = "same_name_city", _("Same name in the same city")
        SIMILAR_NAME = "similar_name", _("Similar name")
        SAME_EXTERNAL_CODE = "same_external_code", _("Same external or national code")
        SAME_PHONE = "same_phone", _("Same phone number")

    class State(models.TextChoices):
        OPEN = "open", _("To review")
        MERGED = "merged", _("Merged")
        DISMISSED = "dismissed", _("Not a duplicate")

    kind = models.CharField(max_length=12, choices=CustomerKind.choices)
    institution_a = models.ForeignKey(Institution, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                      db_index=False)
    institution_b = models.ForeignKey(Institution, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                      db_index=False)
    hcp_a = models.ForeignKey(Hcp, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False)
    hcp_b = models.ForeignKey(Hcp, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False)
    reasons = ArrayField(models.CharField(max_length=24, choices=Reason.choices), default=list)
    score = models.FloatField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    found_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", db_index=False)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("possible duplicate")
        ordering = ["-score", "-found_at"]
        indexes = [models.Index(fields=["tenant", "state", "-score"], name="dup_tenant_state_score")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="dup_tenant_code"),
            # One row per unordered pair: a < b.
            models.UniqueConstraint(fields=["tenant", "hcp_a", "hcp_b"], name="dup_tenant_hcp_pair",
                                    condition=Q(hcp_a__isnull=False)),
            models.UniqueConstraint(fields=["tenant", "institution_a", "institution_b"], name="dup_tenant_inst_pair",
                                    condition=Q(institution_a__isnull=False)),
            models.CheckConstraint(
                condition=(Q(kind=CustomerKind.HCP) & Q(hcp_a__lt=models.F("hcp_b")) & Q(institution_a__isnull=True))
                | (Q(kind=CustomerKind.INSTITUTION) & Q(institution_a__lt=models.F("institution_b")) & Q(hcp_a__isnull=True)),
                name="dup_ordered_pair"),
        ]

    @property
    def pair(self):
        return (self.hcp_a, self.hcp_b) if self.kind == CustomerKind.HCP else (self.institution_a, self.institution_b)


class Merge(TenantOwned, Coded):
    """A merge of ``merged`` into ``survivor``; ``moved`` lists, per reference, the ids of the
    rows that were repointed, so the merge can be undone exactly."""

    kind = models.CharField(max_length=12, choices=CustomerKind.choices)
    survivor_institution = models.ForeignKey(Institution, on_delete=models.PROTECT, null=True, blank=True,
                                             related_name="+", db_index=False)
    merged_institution = models.ForeignKey(Institution, on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="+", db_index=False)
    survivor_hcp = models.ForeignKey(Hcp, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     db_index=False)
    merged_hcp = models.ForeignKey(Hcp, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   db_index=False)
    moved = models.JSONField(default=dict)
    #: The merged record's fields before the merge, restored by undo.
    merged_before = models.JSONField(default=dict)
    #: Survivor fields filled from the merged record, cleared again by undo.
    survivor_filled = models.JSONField(default=dict)
    merged_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+", db_index=False)
    merged_at = models.DateTimeField()
    undone_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", db_index=False)
    undone_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("merge")
        ordering = ["-merged_at"]
        indexes = [models.Index(fields=["tenant", "-merged_at"], name="merge_tenant_at")]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="merge_tenant_code")]

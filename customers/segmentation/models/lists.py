"""Target lists (R8): a saved segment filter over HCPs or institutions.

A live list is its filter, evaluated when read, always within what the reader sees
(``visible_to``). Frozen, it is a snapshot: the members the freezing user saw at that
moment, copied set-based into ``TargetListMember``; readers still see only the members
they may see. Cycle plans and campaigns read lists through ``selectors.target_list_members``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models.choices import CustomerKind
from sfe.core.models import Coded, TenantOwned


class TargetList(TenantOwned, Coded):
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=500, blank=True, default="")
    kind = models.CharField(_("customers"), max_length=12, choices=CustomerKind.choices, default=CustomerKind.HCP)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    owner = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+", db_index=False)
    is_frozen = models.BooleanField(_("frozen"), default=False)
    frozen_at = models.DateTimeField(null=True, blank=True)
    frozen_by = models.ForeignKey("accounts.Membership", on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", db_index=False)
    member_count = models.PositiveIntegerField(null=True, blank=True, help_text="Members of the snapshot.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("target list")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["tenant", "-updated_at"], name="targetlist_tenant_recent")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="targetlist_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "name"], name="targetlist_tenant_name",
                                    violation_error_message=_("A target list with this name exists already.")),
        ]

    def __str__(self) -> str:
        return self.name


class TargetListMember(TenantOwned):
    """A member of a frozen list's snapshot (written in bulk; the list's freeze is audited)."""

    audit_trigger = False

    target_list = models.ForeignKey(TargetList, on_delete=models.CASCADE, related_name="members", db_index=False)
    hcp = models.ForeignKey("customers.Hcp", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                            db_index=False)
    institution = models.ForeignKey("customers.Institution", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="+", db_index=False)

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "hcp"], name="tlmember_tenant_hcp", condition=Q(hcp__isnull=False)),
            models.Index(fields=["tenant", "institution"], name="tlmember_tenant_inst",
                         condition=Q(institution__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=(Q(institution__isnull=False) & Q(hcp__isnull=True))
                                   | (Q(institution__isnull=True) & Q(hcp__isnull=False)), name="tlmember_one_customer"),
            models.UniqueConstraint(fields=["tenant", "target_list", "hcp"], condition=Q(hcp__isnull=False),
                                    name="tlmember_unique_hcp"),
            models.UniqueConstraint(fields=["tenant", "target_list", "institution"],
                                    condition=Q(institution__isnull=False), name="tlmember_unique_inst"),
        ]

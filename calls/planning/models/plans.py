"""Cycle plans (R11): a rep's planned calls per HCP for one cycle, approved by the manager.

A plan is proposed set-based (``services.plans.plan_propose``: one ``INSERT … SELECT``),
adjusted by the rep within the tenant's limits, and submitted to the approval engine
(request type ``cycle_plan``); the engine's hooks move ``state``. ``proposed_calls`` is
what the frequency targets gave (0 for an HCP the rep added), ``planned_calls`` what the
rep plans.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantOwned


class PlanState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("waiting for approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    RETURNED = "returned", _("sent back for changes")


#: States in which the rep may change the plan.
EDITABLE = (PlanState.DRAFT, PlanState.RETURNED, PlanState.REJECTED)


class CyclePlan(TenantOwned, Coded):
    rep = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+", db_index=False,
                            verbose_name=_("rep"))
    cycle = models.ForeignKey("planning.Cycle", on_delete=models.PROTECT, related_name="plans", db_index=False,
                              verbose_name=_("cycle"))
    state = models.CharField(_("state"), max_length=10, choices=PlanState.choices, default=PlanState.DRAFT)
    #: The ``code`` of the approval request of the latest submission (its ``object_code`` is
    #: the plan's code: the engine's hooks find the plan by it).
    approval_code = models.UUIDField(_("approval request"), null=True, blank=True)
    decision_comment = models.CharField(_("comment of the decision"), max_length=500, blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("cycle plan")
        ordering = ["-cycle__start_date", "id"]
        indexes = [models.Index(fields=["tenant", "cycle", "state"], name="cycleplan_tenant_cycle")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="cycleplan_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "rep", "cycle"], name="cycleplan_tenant_rep_cycle",
                                    violation_error_message=_("This rep has a plan for this cycle already.")),
        ]

    def __str__(self) -> str:
        return f"{self.cycle} · {self.rep}"

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE


class CyclePlanLine(TenantOwned):
    """One HCP and product line of a plan (written in bulk; the plan's changes are audited)."""

    audit_trigger = False

    plan = models.ForeignKey(CyclePlan, on_delete=models.CASCADE, related_name="lines", db_index=False)
    hcp = models.ForeignKey("customers.Hcp", on_delete=models.PROTECT, related_name="+", db_index=False,
                            verbose_name=_("HCP"))
    product_line = models.ForeignKey("products.ProductLine", on_delete=models.PROTECT, related_name="+",
                                     db_index=False, verbose_name=_("product line"))
    tier = models.CharField(_("tier at proposal"), max_length=1, blank=True, default="")
    proposed_calls = models.PositiveSmallIntegerField(_("proposed calls"), default=0)
    planned_calls = models.PositiveSmallIntegerField(_("planned calls"), default=0)

    class Meta:
        verbose_name = _("cycle plan line")
        indexes = [models.Index(fields=["tenant", "hcp"], name="planline_tenant_hcp")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "plan", "hcp", "product_line"], name="planline_unique",
                                    violation_error_message=_("This HCP is in the plan for this product line already.")),
            models.CheckConstraint(condition=Q(tier__in=["", "A", "B", "C", "D"]), name="planline_tier_known"),
        ]

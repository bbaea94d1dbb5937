"""Expense claims: a rep's claim of one or more lines, with the HCPs who benefited and receipts.

* ``ExpenseCategory``: tenant-configured (meals, travel, meeting venue, gifts of academic
  value, speaker fees…). ``key`` is what approval chains match on (``ApprovalChain.category``);
  ``needs_hcp``: a line of this category names at least one HCP who benefited.
* ``ExpenseClaim``: **draft** (the rep's alone, editable) → **submitted** (in approval; the
  amounts are *committed* against budgets and caps) → **approved** (spent; read-only for
  ever, a correction is a new claim that ``corrects`` it) or **rejected** / **withdrawn**
  (commitments released) or **returned** (released; the rep edits and submits again).
* ``ExpenseLine``: one expense: category, day, amount and currency, the rate to the tenant's
  currency recorded on submit, the call (and, once campaigns exist, the event) it belongs to.
* ``LineHcp``: an HCP who benefited from a line, with their share in the tenant's currency
  (the line split evenly, the cent remainder on the first): what caps and the
  transfer-of-value report count.
* ``Receipt``: a photo or PDF, checked by content, stored under the tenant's own path.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned, TenantQuerySet, tenant_upload_to


class ExpenseCategory(TenantOwned, Coded):
    name = models.CharField(_("name"), max_length=100)
    key = models.SlugField(_("key"), max_length=60,
                           help_text=_("What approval chains match on (their “category”)."))
    needs_hcp = models.BooleanField(_("names the HCPs who benefited"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("expense category")
        verbose_name_plural = _("expense categories")
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="expcat_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "key"], name="expcat_tenant_key",
                                    violation_error_message=_("A category with this key exists already.")),
            models.CheckConstraint(condition=~Q(name=""), name="expcat_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class ClaimState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("waiting for approval")
    RETURNED = "returned", _("sent back for changes")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")
    SUPERSEDED = "superseded", _("replaced by a correction")


#: States in which the rep may still change the claim.
EDITABLE_STATES = (ClaimState.DRAFT, ClaimState.RETURNED)


class ClaimQuerySet(TenantQuerySet):
    def visible_to(self, user):
        from ..visibility import claim_visible_q

        return self.filter(claim_visible_q(user))


class ExpenseClaim(TenantOwned, Coded):
    rep = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+",
                            verbose_name=_("rep"), db_index=False)
    #: The rep's territory when the claim was made: budgets and visibility follow it.
    territory = models.ForeignKey("accounts.OrgNode", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("territory"), db_index=False)
    purpose = models.CharField(_("purpose"), max_length=200)
    state = models.CharField(_("state"), max_length=12, choices=ClaimState.choices, default=ClaimState.DRAFT)
    currency = models.CharField(_("currency"), max_length=3)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    over_soft_cap = models.BooleanField(_("over a soft cap"), default=False)
    approval = models.ForeignKey("approvals.ApprovalRequest", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", db_index=False)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections",
                                 verbose_name=_("corrects"), db_index=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    exported_at = models.DateTimeField(_("exported for payment at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager.from_queryset(ClaimQuerySet)()
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("expense claim")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "rep", "-created_at"], name="expclaim_tenant_rep"),
            models.Index(fields=["tenant", "territory", "-created_at"], name="expclaim_tenant_territory"),
            models.Index(fields=["tenant", "state", "exported_at"], name="expclaim_tenant_state"),
            # the approval engine's hooks find the claim by its request
            models.Index(fields=["tenant", "approval"], name="expclaim_tenant_approval",
                         condition=Q(approval__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="expclaim_tenant_code"),
            models.CheckConstraint(condition=Q(total__gte=0), name="expclaim_total_not_negative"),
            models.CheckConstraint(condition=Q(state=ClaimState.DRAFT) | Q(submitted_at__isnull=False),
                                   name="expclaim_submitted_has_time"),
        ]

    def __str__(self) -> str:
        return self.purpose

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES


class ExpenseLine(TenantOwned, Coded):
    claim = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE, related_name="lines", db_index=False)
    category = models.ForeignKey(ExpenseCategory, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("category"), db_index=False)
    day = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=3)
    currency = models.CharField(_("currency"), max_length=3)
    #: Tenant currency per unit of ``currency`` on ``day`` (1 for the tenant's own).
    rate = models.DecimalField(_("exchange rate"), max_digits=16, decimal_places=8, default=1)
    base_amount = models.DecimalField(_("amount in the tenant's currency"), max_digits=14, decimal_places=2)
    description = models.CharField(_("description"), max_length=300, blank=True, default="")
    call = models.ForeignKey("calls.Call", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("call"), db_index=False)
    #: The event the line belongs to, once "Campaigns, events and content" exists.
    event_code = models.UUIDField(_("event"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects = TenantManager()

    class Meta:
        verbose_name = _("expense line")
        ordering = ["claim", "position", "id"]
        indexes = [
            models.Index(fields=["tenant", "claim", "position"], name="expline_tenant_claim"),
            models.Index(fields=["tenant", "call"], name="expline_tenant_call", condition=Q(call__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="expline_tenant_code"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="expline_amount_positive",
                                   violation_error_message=_("An amount must be more than zero.")),
            models.CheckConstraint(condition=Q(base_amount__gt=0), name="expline_base_positive"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="expline_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.amount} {self.currency}"


class LineHcp(TenantOwned):
    line = models.ForeignKey(ExpenseLine, on_delete=models.CASCADE, related_name="hcps", db_index=False)
    hcp = models.ForeignKey("customers.Hcp", on_delete=models.PROTECT, related_name="+", verbose_name=_("HCP"),
                            db_index=False)
    #: This HCP's share of the line, in the tenant's currency.
    amount = models.DecimalField(_("share"), max_digits=14, decimal_places=2)

    objects = TenantManager()

    class Meta:
        verbose_name = _("HCP who benefited")
        indexes = [models.Index(fields=["tenant", "hcp"], name="explinehcp_tenant_hcp")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "line", "hcp"], name="explinehcp_unique",
                                    violation_error_message=_("This HCP is on the line already.")),
            models.CheckConstraint(condition=Q(amount__gte=0), name="explinehcp_amount_not_negative"),
        ]


class Receipt(TenantOwned, Coded):
    claim = models.ForeignKey(ExpenseClaim, on_delete=models.CASCADE, related_name="receipts", db_index=False)
    file = models.FileField(upload_to=tenant_upload_to("receipts"), max_length=200)
    #: Detected from the content, never from the name.
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True, default="")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+",
                                    db_index=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("receipt")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["tenant", "claim"], name="receipt_tenant_claim")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="receipt_tenant_code"),
            models.CheckConstraint(condition=Q(size__gt=0), name="receipt_not_empty"),
        ]

    def __str__(self) -> str:
        return self.original_name or str(self.code)



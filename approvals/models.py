"""The approval engine's data: chains (configuration), requests with their own copy of
the steps (so changing a chain never changes a request under way), the history of each
request, and delegations.

The engine never names the apps that use it: a request carries a ``request_type`` key
registered in ``approvals.registry`` by the using app.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Membership, OrgNode, Role
from sfe.core.models import Coded, TenantManager, TenantOwned, TenantQuerySet


class ApproverKind(models.TextChoices):
    DIRECT_MANAGER = "direct_manager", _("Direct manager")
    MANAGERS_MANAGER = "managers_manager", _("Manager's manager")
    POSITION = "position", _("Holder of a position")
    ROLE = "role", _("Anyone with a role")
    USER = "user", _("A named user")


class ApprovalChain(TenantOwned, Coded):
    """Which steps a request of a type goes through, chosen by conditions.

    Chains of one type are tried in ``priority`` order; the first whose conditions all
    hold is used. Empty conditions match everything.
    """

    request_type = models.CharField(_("request type"), max_length=50)
    name = models.CharField(_("name"), max_length=120)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100,
                                                help_text=_("Lower numbers are tried first."))
    min_amount = models.DecimalField(_("amount at least"), max_digits=14, decimal_places=2, null=True, blank=True)
    max_amount = models.DecimalField(_("amount below"), max_digits=14, decimal_places=2, null=True, blank=True)
    node = models.ForeignKey(OrgNode, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("for requesters under"), db_index=False)
    category = models.CharField(_("category"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("approval chain")
        ordering = ["request_type", "priority", "name"]
        indexes = [models.Index(fields=["tenant", "request_type", "priority"], name="chain_tenant_type")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="chain_tenant_code"),
            models.CheckConstraint(
                condition=Q(min_amount__isnull=True) | Q(max_amount__isnull=True) | Q(max_amount__gt=models.F("min_amount")),
                name="chain_amount_range", violation_error_message=_("“Amount below” must be more than “amount at least”."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StepDefinition(models.Model):
    """Fields shared by a chain's step and a request's copy of it."""

    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("step name"), max_length=80, blank=True)
    kind = models.CharField(_("approved by"), max_length=20, choices=ApproverKind.choices)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    node = models.ForeignKey(OrgNode, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("position"), db_index=False)
    user = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("user"), db_index=False)
    fallback = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("fallback approver"), db_index=False,
                                 help_text=_("Who decides when no one holds the position or the role."))
    time_limit_hours = models.PositiveIntegerField(_("time limit (hours)"), default=48)

    class Meta:
        abstract = True


class ApprovalChainStep(TenantOwned, StepDefinition):
    chain = models.ForeignKey(ApprovalChain, on_delete=models.CASCADE, related_name="steps", db_index=False)

    objects = TenantManager()

    class Meta:
        ordering = ["order"]
        indexes = [models.Index(fields=["tenant", "chain", "order"], name="chainstep_tenant_chain")]
        constraints = [models.UniqueConstraint(fields=["tenant", "chain", "order"], name="chainstep_unique_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name or self.get_kind_display()}"


class RequestState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Sent back for changes")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ApprovalRequestQuerySet(TenantQuerySet):
    def of_requester(self, membership: Membership):
        return self.filter(requester=membership)


class ApprovalRequest(TenantOwned, Coded):
    request_type = models.CharField(_("request type"), max_length=50)
    title = models.CharField(pgettext_lazy("approval", "title"), max_length=200)
    requester = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", db_index=False)
    node = models.ForeignKey(OrgNode, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    category = models.CharField(max_length=60, blank=True)
    object_code = models.UUIDField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    chain = models.ForeignKey(ApprovalChain, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False)
    chain_name = models.CharField(max_length=120, blank=True)
    state = models.CharField(max_length=20, choices=RequestState.choices, default=RequestState.PENDING)
    current_order = models.PositiveSmallIntegerField(null=True)
    submitted_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager.from_queryset(ApprovalRequestQuerySet)()

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["tenant", "requester", "-submitted_at"], name="request_tenant_requester"),
            models.Index(fields=["tenant", "request_type", "state"], name="request_tenant_type_state"),
        ]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="request_tenant_code")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == RequestState.PENDING


class StepState(models.TextChoices):
    WAITING = "waiting", _("Not reached yet")
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Sent back")
    CANCELLED = "cancelled", _("Cancelled")


class ApprovalStepQuerySet(TenantQuerySet):
    def pending(self):
        return self.filter(state=StepState.PENDING)


class ApprovalStep(TenantOwned, StepDefinition):
    """A request's own copy of one step, with who holds it now and what was decided.

    ``approver`` is the member who decides; for a role step with no single approver it is
    null and ``approver_role`` names the pool.
    """

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="steps", db_index=False)
    state = models.CharField(max_length=20, choices=StepState.choices, default=StepState.WAITING)
    approver = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False)
    approver_role = models.CharField(max_length=20, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(default=0)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                   db_index=False)
    on_behalf_of = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     db_index=False)
    comment = models.TextField(blank=True)

    objects = TenantManager.from_queryset(ApprovalStepQuerySet)()

    class Meta:
        ordering = ["request", "order"]
        indexes = [
            models.Index(fields=["tenant", "state", "approver"], name="step_tenant_state_approver"),
            models.Index(fields=["tenant", "state", "approver_role"], name="step_tenant_state_role"),
            models.Index(fields=["tenant", "request", "order"], name="step_tenant_request"),
            models.Index(fields=["tenant", "state", "due_at"], name="step_tenant_state_due"),
        ]
        constraints = [models.UniqueConstraint(fields=["tenant", "request", "order"], name="step_unique_order")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name or self.get_kind_display()} ({self.get_state_display()})"


class ApprovalEvent(TenantOwned):
    """The history of a request: every submission, decision, reassignment and reminder."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        RESUBMITTED = "resubmitted", _("resubmitted")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        RETURNED = "returned", _("sent back for changes")
        WITHDRAWN = "withdrawn", _("withdrawn")
        ASSIGNED = "assigned", _("assigned")
        REASSIGNED = "reassigned", _("reassigned")
        ESCALATED = "escalated", _("escalated")
        REMINDED = "reminded", _("reminded")
        COMPLETED = "completed", _("completed")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="events", db_index=False)
    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                             db_index=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)
    on_behalf_of = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     db_index=False)
    assignee = models.ForeignKey(Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False)
    comment = models.TextField(blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["tenant", "request", "at"], name="event_tenant_request")]


class DelegationQuerySet(TenantQuerySet):
    def active_on(self, day: dt.date):
        return self.filter(is_active=True, start_date__lte=day, end_date__gte=day)


class Delegation(TenantOwned, Coded):
    """``delegator`` lets ``delegate`` decide their approvals from start to end (inclusive)."""

    delegator = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", db_index=False,
                                  verbose_name=_("away"))
    delegate = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", db_index=False,
                                 verbose_name=_("decides instead"))
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager.from_queryset(DelegationQuerySet)()

    class Meta:
        indexes = [
            models.Index(fields=["tenant", "delegate", "start_date"], name="delegation_tenant_delegate"),
            models.Index(fields=["tenant", "delegator", "start_date"], name="delegation_tenant_delegator"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="delegation_tenant_code"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="delegation_dates_ordered",
                                   violation_error_message=_("The end date must not be before the start date.")),
            models.CheckConstraint(condition=~Q(delegator=models.F("delegate")), name="delegation_not_self",
                                   violation_error_message=_("Nobody can delegate to themself.")),
        ]

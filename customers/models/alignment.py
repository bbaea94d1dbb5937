"""Alignment: a customer is served by one or more territories per product line, with dates.

Past rows stay (an alignment is ended, never deleted), so history is credited to the
territory of its time (``customers.selectors.territory_on``). Bulk realignments are prepared
as a batch of items, previewed, then applied with a future effective date.
"""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import Func, Q, Value
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned

from .hcps import Hcp
from .institutions import Institution
from .querysets import DatedQuerySet

_ONE_CUSTOMER = (Q(institution__isnull=False) & Q(hcp__isnull=True)) | (Q(institution__isnull=True) & Q(hcp__isnull=False))


def _period():
    return Func(models.F("start_date"), models.F("end_date"), Value("[]"), function="daterange")


class Alignment(TenantOwned, Coded):
    class Source(models.TextChoices):
        MANUAL = "manual", _("Set by hand")
        REALIGNMENT = "realignment", _("Realignment")
        IMPORT = "import", _("Import")
        REQUEST = "request", _("Approved request")

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="alignments", db_index=False, verbose_name=_("institution"))
    hcp = models.ForeignKey(Hcp, on_delete=models.PROTECT, null=True, blank=True, related_name="alignments",
                            db_index=False, verbose_name=_("HCP"))
    territory = models.ForeignKey("accounts.OrgNode", on_delete=models.PROTECT, related_name="+", db_index=False,
                                  verbose_name=_("territory"))
    product_line = models.ForeignKey("products.ProductLine", on_delete=models.PROTECT, related_name="+",
                                     db_index=False, verbose_name=_("product line"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.MANUAL)
    batch = models.ForeignKey("customers.RealignmentBatch", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager.from_queryset(DatedQuerySet)()

    class Meta:
        verbose_name = _("alignment")
        indexes = [
            models.Index(fields=["tenant", "hcp", "start_date"], name="align_tenant_hcp",
                         condition=Q(hcp__isnull=False)),
            models.Index(fields=["tenant", "institution", "start_date"], name="align_tenant_inst",
                         condition=Q(institution__isnull=False)),
            models.Index(fields=["tenant", "territory", "start_date"], name="align_tenant_territory"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="align_tenant_code"),
            models.CheckConstraint(condition=_ONE_CUSTOMER, name="align_one_customer"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                                   name="align_dates_ordered",
                                   violation_error_message=_("The end date must not be before the start date.")),
            ExclusionConstraint(
                name="align_hcp_no_overlap", condition=Q(hcp__isnull=False),
                expressions=[("tenant", RangeOperators.EQUAL), ("hcp", RangeOperators.EQUAL),
                             ("product_line", RangeOperators.EQUAL), ("territory", RangeOperators.EQUAL),
                             (_period(), RangeOperators.OVERLAPS)],
            ),
            ExclusionConstraint(
                name="align_inst_no_overlap", condition=Q(institution__isnull=False),
                expressions=[("tenant", RangeOperators.EQUAL), ("institution", RangeOperators.EQUAL),
                             ("product_line", RangeOperators.EQUAL), ("territory", RangeOperators.EQUAL),
                             (_period(), RangeOperators.OVERLAPS)],
            ),
        ]

    @property
    def customer(self):
        return self.hcp if self.hcp_id else self.institution


class RealignmentBatch(TenantOwned, Coded):
    """A prepared set of moves (``RealignmentItem``) applied together from ``effective_date``."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPLIED = "applied", _("Applied")
        CANCELLED = "cancelled", _("Cancelled")

    class Method(models.TextChoices):
        GEOGRAPHY = "geography", _("By province and city")
        INSTITUTION = "institution", _("By institution")
        RULE = "rule", _("By rule")
        FILE = "file", _("From a file")

    name = models.CharField(_("name"), max_length=120)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    effective_date = models.DateField(_("effective date"))
    product_line = models.ForeignKey("products.ProductLine", on_delete=models.PROTECT, related_name="+",
                                     db_index=False, verbose_name=_("product line"))
    criteria = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, null=True, related_name="+",
                                   db_index=False)
    applied_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("realignment")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["tenant", "state", "-created_at"], name="realign_tenant_state")]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="realign_tenant_code")]

    def __str__(self) -> str:
        return self.name


class RealignmentItem(TenantOwned):
    """One move of a batch: the customer leaves ``from_territory`` (if any) and joins
    ``to_territory`` (if any) for the batch's product line."""

    # Derived rows, written in bulk: no per-row audit (the Alignment rows they change are audited).
    audit_trigger = False

    batch = models.ForeignKey(RealignmentBatch, on_delete=models.CASCADE, related_name="items", db_index=False)
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                    db_index=False)
    hcp = models.ForeignKey(Hcp, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False)
    from_territory = models.ForeignKey("accounts.OrgNode", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", db_index=False)
    to_territory = models.ForeignKey("accounts.OrgNode", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", db_index=False)

    class Meta:
        indexes = [models.Index(fields=["tenant", "batch"], name="realignitem_tenant_batch")]
        constraints = [
            models.CheckConstraint(condition=_ONE_CUSTOMER, name="realignitem_one_customer"),
            models.CheckConstraint(condition=Q(from_territory__isnull=False) | Q(to_territory__isnull=False),
                                   name="realignitem_moves"),
        ]

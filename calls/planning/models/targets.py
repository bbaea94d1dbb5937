"""Frequency targets (R7), cycles and the tenant's planning limits."""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Func, Q, Value
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantOwned

TIERS = ("A", "B", "C", "D")


class FrequencyTarget(TenantOwned):
    """How many calls a target HCP of ``tier`` should get per cycle for ``product_line``."""

    product_line = models.ForeignKey("products.ProductLine", on_delete=models.CASCADE, related_name="+",
                                     db_index=False, verbose_name=_("product line"))
    tier = models.CharField(_("tier"), max_length=1, choices=[(t, t) for t in TIERS])
    calls_per_cycle = models.PositiveSmallIntegerField(_("calls per cycle"), validators=[MaxValueValidator(60)])
    updated_at = models.DateTimeField(auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("call frequency target")
        ordering = ["product_line_id", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "product_line", "tier"], name="freqtarget_tenant_line_tier",
                                    violation_error_message=_("This tier of this product line has a target already.")),
            models.CheckConstraint(condition=Q(tier__in=TIERS), name="freqtarget_tier_known"),
            models.CheckConstraint(condition=Q(calls_per_cycle__lte=60), name="freqtarget_calls_max"),
        ]

    def __str__(self) -> str:
        return f"{self.tier}: {self.calls_per_cycle}"


def _period():
    return Func(models.F("start_date"), models.F("end_date"), Value("[]"), function="daterange")


class Cycle(TenantOwned, Coded):
    """A planning period: a month by default (``services.cycles_make_months``), or any
    span the tenant defines; two cycles never overlap."""

    name = models.CharField(_("name"), max_length=60)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cycle")
        ordering = ["start_date"]
        indexes = [models.Index(fields=["tenant", "start_date"], name="cycle_tenant_start")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="cycle_tenant_code"),
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="cycle_dates_ordered",
                                   violation_error_message=_("The end date must not be before the start date.")),
            ExclusionConstraint(name="cycle_no_overlap",
                                expressions=[("tenant", RangeOperators.EQUAL), (_period(), RangeOperators.OVERLAPS)],
                                violation_error_message=_("This cycle overlaps another cycle.")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class PlanningSettings(TenantOwned):
    """One row per tenant (absent = the defaults): the limits a cycle plan must keep."""

    max_calls_per_cycle = models.PositiveSmallIntegerField(
        _("planned calls per rep and cycle, at most"), default=200, validators=[MinValueValidator(1)])
    max_calls_per_hcp = models.PositiveSmallIntegerField(
        _("planned calls per HCP and cycle, at most"), default=8, validators=[MinValueValidator(1)])
    max_non_target_pct = models.PositiveSmallIntegerField(
        _("share of calls on HCPs outside the proposal, at most (%)"), default=20, validators=[MaxValueValidator(100)])
    max_change_pct = models.PositiveSmallIntegerField(
        _("change from the proposed calls of an HCP, at most (%)"), default=50, validators=[MaxValueValidator(100)],
        help_text=_("100 lets a rep drop a proposed HCP altogether."))
    updated_at = models.DateTimeField(auto_now=True)

    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("planning settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="planningsettings_one_per_tenant"),
            models.CheckConstraint(condition=Q(max_non_target_pct__lte=100) & Q(max_change_pct__lte=100),
                                   name="planningsettings_pct_range"),
        ]

"""Spend control: budgets, per-HCP caps, the running tallies, exchange rates, and flags.

* ``Budget``: an amount for a territory subtree (``node``), optionally one category and one
  campaign, over a period; allocated down the organisation (``parent``: the budget it was
  carved from; the children's amounts never exceed the parent's). ``committed`` is what
  submitted claims hold, ``spent`` what approved claims used. A hard budget is enforced by
  the database itself (a check constraint: committed + spent ≤ amount), so two claims
  submitted at the same moment can never together pass it.
* ``SpendCap``: a tenant's annual limit per HCP, for one category or all; hard (refused) or
  soft (the claim takes an extra approval step). ``warn_percent``: when the rep is warned.
* ``CapTally``: per cap, HCP and fiscal year, what is committed and spent — so a check reads
  one row per HCP and cap, whatever the history.
* ``ClaimCommitment``: which budget or tally each claim's amounts went to, so approving or
  releasing a claim moves exactly those amounts, in one statement.
* ``ExchangeRate``: tenant currency per unit of a foreign currency, from a day on.
* ``SpendFlag``: the nightly spend-against-value findings (R20).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned


class Budget(TenantOwned, Coded):
    name = models.CharField(_("name"), max_length=120)
    node = models.ForeignKey("accounts.OrgNode", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("for the organisation under"), db_index=False)
    category = models.ForeignKey("expenses.ExpenseCategory", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("category"), db_index=False,
                                 help_text=_("Empty: every category."))
    campaign = models.CharField(_("campaign"), max_length=120, blank=True, default="",
                                help_text=_("Empty: not tied to a campaign."))
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    committed = models.DecimalField(_("committed"), max_digits=14, decimal_places=2, default=0)
    spent = models.DecimalField(_("spent"), max_digits=14, decimal_places=2, default=0)
    is_hard = models.BooleanField(_("hard limit"), default=False,
                                  help_text=_("A claim that would go over a hard budget is refused."))
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("allocated from"), db_index=False)
    #: The highest alert sent (0, 80 or 100 percent), so each is sent once.
    alerted_percent = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    audit_exclude = ("updated_at", "committed", "spent", "alerted_percent")

    class Meta:
        verbose_name = _("budget")
        ordering = ["start_date", "name"]
        indexes = [
            models.Index(fields=["tenant", "node", "start_date"], name="budget_tenant_node"),
            models.Index(fields=["tenant", "parent"], name="budget_tenant_parent", condition=Q(parent__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="budget_tenant_code"),
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="budget_dates_ordered",
                                   violation_error_message=_("The end date must not be before the start date.")),
            models.CheckConstraint(condition=Q(amount__gte=0), name="budget_amount_not_negative",
                                   violation_error_message=_("A budget cannot be negative.")),
            models.CheckConstraint(condition=Q(committed__gte=0) & Q(spent__gte=0), name="budget_use_not_negative"),
            models.CheckConstraint(condition=Q(is_hard=False) | Q(amount__gte=F("committed") + F("spent")),
                                   name="budget_hard_limit",
                                   violation_error_message=_("A hard budget cannot be used beyond its amount.")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def used(self):
        return self.committed + self.spent

    @property
    def used_percent(self) -> int:
        return int(self.used * 100 / self.amount) if self.amount else (100 if self.used else 0)


class SpendCap(TenantOwned, Coded):
    category = models.ForeignKey("expenses.ExpenseCategory", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("category"), db_index=False,
                                 help_text=_("Empty: all categories together."))
    annual_limit = models.DecimalField(_("limit per HCP per year"), max_digits=14, decimal_places=2)
    is_hard = models.BooleanField(_("hard cap"), default=True,
                                  help_text=_("Hard: a claim over it is refused. Soft: it takes an extra approval step."))
    warn_percent = models.PositiveSmallIntegerField(_("warn at (percent)"), default=80)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("spend cap")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="spendcap_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "category"], nulls_distinct=False, name="spendcap_one_per_category",
                                    condition=Q(is_active=True),
                                    violation_error_message=_("This category has an active cap already.")),
            models.CheckConstraint(condition=Q(annual_limit__gt=0), name="spendcap_limit_positive",
                                   violation_error_message=_("A cap must be more than zero.")),
            models.CheckConstraint(condition=Q(warn_percent__gte=1, warn_percent__lte=100), name="spendcap_warn_range",
                                   violation_error_message=_("Warn at a percentage from 1 to 100.")),
        ]

    def __str__(self) -> str:
        return str(self.annual_limit)


class CapTally(TenantOwned):
    cap = models.ForeignKey(SpendCap, on_delete=models.CASCADE, related_name="+", db_index=False)
    hcp = models.ForeignKey("customers.Hcp", on_delete=models.CASCADE, related_name="+", db_index=False)
    #: The fiscal year, named by the calendar year it starts in.
    year = models.PositiveSmallIntegerField()
    committed = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    spent = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    objects = TenantManager()
    audit_trigger = False  # derived from the claims (audited), rebuilt by expenses.services.tallies

    class Meta:
        indexes = [models.Index(fields=["tenant", "hcp", "year"], name="captally_tenant_hcp")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "cap", "hcp", "year"], name="captally_unique"),
            models.CheckConstraint(condition=Q(committed__gte=0) & Q(spent__gte=0), name="captally_not_negative"),
        ]


class ClaimCommitment(TenantOwned):
    claim = models.ForeignKey("expenses.ExpenseClaim", on_delete=models.CASCADE, related_name="+", db_index=False)
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                               db_index=False)
    tally = models.ForeignKey(CapTally, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                              db_index=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2)

    objects = TenantManager()
    audit_trigger = False  # the claim's state change is the audited fact

    class Meta:
        indexes = [models.Index(fields=["tenant", "claim"], name="claimcommit_tenant_claim")]
        constraints = [
            models.CheckConstraint(condition=Q(budget__isnull=True, tally__isnull=False) | Q(budget__isnull=False, tally__isnull=True),
                                   name="claimcommit_one_target"),
        ]


class ExchangeRate(TenantOwned, Coded):
    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=16, decimal_places=8,
                               help_text=_("How much of the tenant's currency one unit is worth."))
    valid_from = models.DateField(_("valid from"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("exchange rate")
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="fxrate_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "currency", "valid_from"], name="fxrate_unique_day",
                                    violation_error_message=_("This currency has a rate from that day already.")),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fxrate_positive",
                                   violation_error_message=_("A rate must be more than zero.")),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="fxrate_currency_iso",
                                   violation_error_message=_("The currency must be a three-letter ISO code.")),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} ({self.valid_from})"


class SpendFlag(TenantOwned):
    hcp = models.ForeignKey("customers.Hcp", on_delete=models.CASCADE, related_name="+", db_index=False)
    product_line = models.ForeignKey("products.ProductLine", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="+", db_index=False)
    tier = models.CharField(_("tier"), max_length=1)
    top_tier = models.CharField(_("top tier"), max_length=1)
    spend = models.DecimalField(_("spend"), max_digits=14, decimal_places=2)
    benchmark = models.DecimalField(_("median spend of the top tier"), max_digits=14, decimal_places=2)
    period_start = models.DateField()
    period_end = models.DateField()
    computed_at = models.DateTimeField()

    objects = TenantManager()
    audit_trigger = False  # recomputed nightly from audited claims and tiers

    class Meta:
        verbose_name = _("spend flag")
        indexes = [models.Index(fields=["tenant", "-spend"], name="spendflag_tenant_spend")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "hcp", "product_line"], nulls_distinct=False,
                                    name="spendflag_unique"),
        ]

"""The history of tiers: every change of a customer's effective tier (which run or who, when,
from, to, why).

Stored as ``TierChangeBatch`` rows, each one event (a run, a pin, an unpin) for up to
``BATCH_SPAN`` consecutive customer ids, with the customers and their before/after values
in parallel arrays; read one change per row through the view ``segmentation_tierchange``
(``TierChange``, unmanaged), which unnests them.

Why not one row per change: a recompute in which every tier moves writes a million changes
in the same transaction as the tiers. As rows (one heap tuple, a primary key and a
``(tenant, customer, at)`` index entry each) they cost 7–10 s, most of a night's run, against
8.6–12 s for the tiers' own ``UPDATE`` (measured at 963,671 changes); as about 500 batches
(one ``GROUP BY`` of what the run already has, arrays stored uncompressed — ``migrations/0004``)
they cost 1.4 s.

Reading them back:

* a customer's history: batches whose ``span`` (the range of their customer ids) contains
  the customer, through the GiST ``(tenant, span)`` index, then the customer's element —
  every reader by customer adds ``span__contains`` (``selectors.tier_history``, the API's
  filters, the merge's ``Reference.narrow``);
* a run's changes: its batches, through the ``(tenant, run)`` index;
* newest first: by ``(batch, position)``, which follows the batch key backwards.

A merge moves a change to the survivor through the view (an ``INSTEAD OF UPDATE`` trigger
rewrites the element and widens the batch's span); nothing else updates history. The view
and the trigger are defined in ``migrations/0004_tier_history_batches.py``: ``TierChange.id``
is the batch's id × ``ID_FACTOR`` + the position, letters ``NO_TIER`` read as ''.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField, BigIntegerRangeField
from django.contrib.postgres.indexes import GistIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from sfe.core.models import TenantOwned

from .rules import Purpose
from .tiers import SegmentationRun

#: Customer ids one batch of a run covers (``customer_id / BATCH_SPAN`` groups them).
BATCH_SPAN = 2000
#: ``TierChange.id`` = batch id × ``ID_FACTOR`` + position (a batch holds ≤ ``BATCH_SPAN``).
ID_FACTOR = 10000
#: How an empty tier ('' — none) is written in ``from_tiers`` / ``to_tiers``.
NO_TIER = "-"


class ChangeKind(models.TextChoices):
    COMPUTED = "computed", _("Recomputed")
    PINNED = "pinned", _("Pinned by hand")
    UNPINNED = "unpinned", _("Pin removed")


def _unchecked(to: str, **kwargs) -> models.ForeignKey:
    # Ids only (customers, lines, runs and members are never deleted, only deactivated or
    # merged; a merge moves them): no per-row foreign-key check.
    kwargs.setdefault("on_delete", models.DO_NOTHING)
    return models.ForeignKey(to, null=True, blank=True, related_name="+", db_index=False, db_constraint=False, **kwargs)


class TierChangeBatch(TenantOwned):
    """One event's changes for a range of customer ids (see the module)."""

    audit_trigger = False  # the history itself

    class CustomerKind(models.TextChoices):
        HCP = "hcp", _("HCP")
        INSTITUTION = "institution", _("Institution")

    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.TIER)
    product_line = _unchecked("products.ProductLine")
    customer_kind = models.CharField(max_length=12, choices=CustomerKind.choices)
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    run = _unchecked(SegmentationRun)
    by = _unchecked("accounts.Membership", on_delete=models.SET_NULL)
    at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True, default="")
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    #: The smallest and the largest customer id of ``customers``, both included.
    span = BigIntegerRangeField()
    customers = ArrayField(models.BigIntegerField())
    #: One letter per customer (``NO_TIER`` for none), in the order of ``customers``.
    from_tiers = models.TextField()
    to_tiers = models.TextField()
    #: The bands before and after, per customer (empty for pins: their reason says why).
    from_potential_bands = ArrayField(models.SmallIntegerField(null=True), default=list)
    to_potential_bands = ArrayField(models.SmallIntegerField(null=True), default=list)
    from_adoption_bands = ArrayField(models.SmallIntegerField(null=True), default=list)
    to_adoption_bands = ArrayField(models.SmallIntegerField(null=True), default=list)
    from_score_bands = ArrayField(models.SmallIntegerField(null=True), default=list)
    to_score_bands = ArrayField(models.SmallIntegerField(null=True), default=list)

    class Meta:
        verbose_name = _("tier changes")
        indexes = [
            GistIndex(fields=["tenant", "span"], name="tierbatch_tenant_span"),
            models.Index(fields=["tenant", "run", "id"], name="tierbatch_tenant_run"),
        ]


class TierChange(TenantOwned):
    """One change of one customer's effective tier: a row of the view over ``TierChangeBatch``
    (read only, but for a merge's move of the customer)."""

    Kind = ChangeKind

    audit_trigger = False
    tenant_key = False
    id = models.BigIntegerField(primary_key=True)
    tenant = models.ForeignKey("accounts.Tenant", on_delete=models.DO_NOTHING, editable=False, related_name="+",
                               db_index=False, db_constraint=False)
    batch = models.ForeignKey(TierChangeBatch, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    position = models.PositiveIntegerField()
    span = BigIntegerRangeField()
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.TIER)
    product_line = _unchecked("products.ProductLine")
    hcp = _unchecked("customers.Hcp")
    institution = _unchecked("customers.Institution")
    from_tier = models.CharField(_("from"), max_length=1, blank=True, default="")
    to_tier = models.CharField(_("to"), max_length=1, blank=True, default="")
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    run = _unchecked(SegmentationRun)
    by = _unchecked("accounts.Membership", on_delete=models.SET_NULL)
    at = models.DateTimeField()
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    from_potential_band = models.SmallIntegerField(null=True, blank=True)
    to_potential_band = models.SmallIntegerField(null=True, blank=True)
    from_adoption_band = models.SmallIntegerField(null=True, blank=True)
    to_adoption_band = models.SmallIntegerField(null=True, blank=True)
    from_score_band = models.SmallIntegerField(null=True, blank=True)
    to_score_band = models.SmallIntegerField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True, default="")

    class Meta:
        managed = False
        db_table = "segmentation_tierchange"
        verbose_name = _("tier change")
        ordering = ["-at", "-id"]

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

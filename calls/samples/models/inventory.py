"""Lots, stock, the ledger and signatures.

``SampleStock.quantity`` is the running balance of a rep's lot: every service that writes a
``SampleMove`` changes it in the same transaction, by a conditional ``UPDATE … WHERE
quantity >= n`` when it takes stock away, so two concurrent gives can never take the same
units (and the ``CHECK (quantity >= 0)`` is the last wall). The ledger is append-only: a
trigger (migration 0002) refuses deletes and any change but a customer merge moving
``hcp_id``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned, TenantQuerySet, tenant_upload_to


class MoveKind(models.TextChoices):
    RECEIVED = "received", _("received")
    GIVEN = "given", _("given")
    RETURNED = "returned", _("returned")
    ADJUSTED = "adjusted", _("adjusted")
    TRANSFERRED = "transferred", _("transferred")


def _rep_visible_q(user, field: str = "rep") -> Q:
    from ..selectors import rep_visible_q

    return rep_visible_q(user, field=field)


class RepOwnedQuerySet(TenantQuerySet):
    """Rows of one rep (stock, moves, orders, reconciliations): ``visible_to`` keeps the
    user's own, a manager's team, or everything for the tenant-wide roles."""

    def visible_to(self, user):
        return self.filter(_rep_visible_q(user))


class SampleLot(TenantOwned, Coded):
    sku = models.ForeignKey("products.Sku", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"),
                            db_index=False)
    lot_number = models.CharField(_("lot number"), max_length=40)
    expiry = models.DateField(_("expiry date"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("sample lot")
        ordering = ["expiry", "lot_number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="samplelot_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "sku", "lot_number"], name="samplelot_tenant_sku_lot",
                                    violation_error_message=_("This SKU has a lot with this number already.")),
            models.CheckConstraint(condition=~Q(lot_number=""), name="samplelot_number_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.lot_number} ({self.expiry:%Y-%m-%d})"


class SampleStock(TenantOwned):
    """What a rep holds of a lot: the ledger's running balance (its moves are audited)."""

    audit_trigger = False

    rep = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+",
                            verbose_name=_("rep"), db_index=False)
    lot = models.ForeignKey(SampleLot, on_delete=models.PROTECT, related_name="stocks", verbose_name=_("lot"),
                            db_index=False)
    quantity = models.IntegerField(_("quantity"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager.from_queryset(RepOwnedQuerySet)()

    class Meta:
        verbose_name = _("sample stock")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "rep", "lot"], name="samplestock_tenant_rep_lot"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="samplestock_not_negative",
                                   violation_error_message=_("The stock cannot go below zero.")),
        ]


class SampleSignature(TenantOwned, Coded):
    """The HCP's signature for the samples given in a call: the strokes as an SVG path
    (``M x y L x y …`` in a 600 × 200 box) and/or a PNG stored under the tenant's folder."""

    call = models.ForeignKey("calls.Call", on_delete=models.PROTECT, related_name="+", verbose_name=_("call"),
                             db_index=False)
    hcp = models.ForeignKey("customers.Hcp", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                            verbose_name=_("HCP"), db_index=False)
    svg_path = models.TextField(_("signature (strokes)"), blank=True)
    image = models.FileField(_("signature (image)"), upload_to=tenant_upload_to("signatures"), max_length=200,
                             blank=True)
    signed_at = models.DateTimeField(_("signed at"))

    objects = TenantManager()

    class Meta:
        verbose_name = _("signature")
        indexes = [models.Index(fields=["tenant", "call"], name="samplesig_tenant_call")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="samplesig_tenant_code"),
            models.CheckConstraint(condition=~Q(svg_path="") | ~Q(image=""), name="samplesig_not_empty"),
        ]


class SampleMove(TenantOwned):
    """One line of the ledger. ``code`` is the client's code of the operation (a give, a
    receipt, a reconciliation…): all its lines share it, and a retried operation finds them."""

    kind = models.CharField(_("kind"), max_length=12, choices=MoveKind.choices)
    quantity = models.IntegerField(_("quantity"), help_text=_("Positive in, negative out."))
    rep = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, related_name="+",
                            verbose_name=_("rep"), db_index=False)
    lot = models.ForeignKey(SampleLot, on_delete=models.PROTECT, related_name="moves", verbose_name=_("lot"),
                            db_index=False)
    call = models.ForeignKey("calls.Call", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name=_("call"), db_index=False)
    hcp = models.ForeignKey("customers.Hcp", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                            verbose_name=_("HCP"), db_index=False)
    signature = models.ForeignKey(SampleSignature, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="moves", db_index=False)
    order = models.ForeignKey("samples.SampleOrder", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", db_index=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    by = models.ForeignKey("accounts.Membership", on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+", verbose_name=_("recorded by"), db_index=False)
    at = models.DateTimeField(_("time"))
    code = models.UUIDField(_("operation code"))

    objects = TenantManager.from_queryset(RepOwnedQuerySet)()

    class Meta:
        verbose_name = _("sample move")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "rep", "-at"], name="samplemove_tenant_rep_at"),
            models.Index(fields=["tenant", "-at"], name="samplemove_tenant_at"),
            models.Index(fields=["tenant", "lot"], name="samplemove_tenant_lot"),
            models.Index(fields=["tenant", "call"], name="samplemove_tenant_call", condition=Q(call__isnull=False)),
            models.Index(fields=["tenant", "hcp"], name="samplemove_tenant_hcp", condition=Q(hcp__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code", "rep", "lot"], name="samplemove_tenant_code_rep_lot"),
            models.CheckConstraint(
                condition=(Q(kind__in=[MoveKind.RECEIVED], quantity__gt=0)
                           | Q(kind__in=[MoveKind.GIVEN, MoveKind.RETURNED], quantity__lt=0)
                           | (Q(kind__in=[MoveKind.ADJUSTED, MoveKind.TRANSFERRED]) & ~Q(quantity=0))),
                name="samplemove_sign_by_kind"),
            models.CheckConstraint(condition=~Q(kind=MoveKind.ADJUSTED) | ~Q(reason=""),
                                   name="samplemove_adjusted_has_reason",
                                   violation_error_message=_("Say why the stock is adjusted.")),
            models.CheckConstraint(condition=~Q(kind=MoveKind.GIVEN) | Q(call__isnull=False),
                                   name="samplemove_given_in_call"),
        ]

    @property
    def units(self) -> int:
        return abs(self.quantity)

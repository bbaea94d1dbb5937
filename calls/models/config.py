"""What a tenant configures about calls: the settings row and the key messages per brand."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned


class CallSettings(TenantOwned):
    """One row per tenant (absent = the defaults below, see ``calls.services.settings_get``)."""

    class CheckIn(models.TextChoices):
        OFF = "off", _("off")
        OPTIONAL = "optional", _("optional (asked, may be refused)")

    lock_after_days = models.PositiveSmallIntegerField(
        _("lock submitted calls after (days)"), default=7, validators=[MaxValueValidator(90)],
        help_text=_("A submitted call can be edited, with a reason, until this many days after its visit."))
    checkin = models.CharField(_("location check-in"), max_length=10, choices=CheckIn.choices, default=CheckIn.OFF)
    far_distance_m = models.PositiveIntegerField(
        _("flag calls logged farther than (metres)"), default=1000, validators=[MinValueValidator(50)])
    late_hours = models.PositiveSmallIntegerField(
        _("flag calls logged later than (hours after the visit)"), default=24, validators=[MinValueValidator(1)])
    signature_required = models.BooleanField(
        _("samples need the HCP's signature"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("call settings")
        constraints = [models.UniqueConstraint(fields=["tenant"], name="callsettings_one_per_tenant")]


class KeyMessage(TenantOwned, Coded):
    """A message the reps carry for a brand (e.g. 'once-daily dosing'), in the admin's order."""

    brand = models.ForeignKey("products.Brand", on_delete=models.PROTECT, related_name="key_messages",
                              verbose_name=_("brand"), db_index=False)
    text = models.CharField(_("message"), max_length=200)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()
    audit_exclude = ("updated_at",)

    class Meta:
        verbose_name = _("key message")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "brand", "position"], name="keymessage_tenant_brand")]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "brand", "text"], name="keymessage_tenant_brand_text",
                                    violation_error_message=_("This brand has this key message already.")),
            models.CheckConstraint(condition=~Q(text=""), name="keymessage_text_not_empty"),
        ]

    def __str__(self) -> str:
        return self.text

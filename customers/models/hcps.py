"""Healthcare professionals, their affiliations and the links between key opinion leaders."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantOwned

from .choices import Gender, Specialty, Title
from .institutions import Customer, Department, Institution, _customer_constraints, _customer_indexes


class Hcp(Customer):
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    title = models.CharField(_("title"), max_length=20, choices=Title.choices, blank=True)
    specialty = models.CharField(_("specialty"), max_length=20, choices=Specialty.choices, blank=True)
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="hcps",
                                    verbose_name=_("primary institution"), db_index=False)
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="hcps",
                                   verbose_name=_("department"), db_index=False)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_kol = models.BooleanField(_("key opinion leader"), default=False)
    #: On the target list (maintained by segmentation; seeded by the demo).
    is_target = models.BooleanField(_("target"), default=False)

    class Meta:
        verbose_name = _("HCP")
        verbose_name_plural = _("HCPs")
        ordering = ["name_pinyin", "id"]
        indexes = [
            *_customer_indexes("hcp"),
            models.Index(fields=["tenant", "institution"], name="hcp_tenant_institution"),
            models.Index(fields=["tenant", "specialty", "tier"], name="hcp_tenant_specialty_tier"),
            # Duplicate checks match phones: an index, or a scan of the tenant per created HCP.
            models.Index(fields=["tenant", "phone"], name="hcp_tenant_phone", condition=~Q(phone="")),
        ]
        constraints = _customer_constraints("hcp")


class Affiliation(TenantOwned, Coded):
    """An HCP's other role at an institution (visiting expert, committee member, …)."""

    hcp = models.ForeignKey(Hcp, on_delete=models.CASCADE, related_name="affiliations", db_index=False,
                            verbose_name=_("HCP"))
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="affiliations",
                                    db_index=False, verbose_name=_("institution"))
    department = models.ForeignKey(Department, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   db_index=False, verbose_name=_("department"))
    role = models.CharField(_("role"), max_length=80, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("affiliation")
        indexes = [
            models.Index(fields=["tenant", "hcp"], name="affil_tenant_hcp"),
            models.Index(fields=["tenant", "institution"], name="affil_tenant_institution"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="affil_tenant_code"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(start_date__isnull=True)
                                   | Q(end_date__gte=models.F("start_date")), name="affil_dates_ordered",
                                   violation_error_message=_("The end date must not be before the start date.")),
        ]


class KolLink(TenantOwned, Coded):
    """A directed link between two HCPs: a mentor, a co-author, an influence."""

    class Kind(models.TextChoices):
        MENTOR = "mentor", _("Mentor of")
        COAUTHOR = "coauthor", _("Co-author with")
        INFLUENCES = "influences", _("Influences")
        PEER = "peer", _("Peer of")

    source = models.ForeignKey(Hcp, on_delete=models.CASCADE, related_name="kol_links_out", db_index=False)
    target = models.ForeignKey(Hcp, on_delete=models.CASCADE, related_name="kol_links_in", db_index=False)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("KOL link")
        indexes = [
            models.Index(fields=["tenant", "source"], name="kollink_tenant_source"),
            models.Index(fields=["tenant", "target"], name="kollink_tenant_target"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="kollink_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "source", "target", "kind"], name="kollink_unique",
                                    violation_error_message=_("These two HCPs have this link already.")),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="kollink_not_self",
                                   violation_error_message=_("An HCP cannot be linked to themselves.")),
        ]

"""Institutions (hospitals, clinics, pharmacies, chains, distributors) and their departments."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sfe.core.models import Coded, TenantManager, TenantOwned

from .choices import Grade, InstitutionKind, Ownership, Stage, Status, Tier
from .querysets import CustomerQuerySet


class Customer(TenantOwned, Coded):
    """What institutions and HCPs share: names in Chinese and pinyin, codes, status, stage,
    potential and tier, and the pointer a merged record keeps to its survivor."""

    name = models.CharField(_("name"), max_length=200)
    #: Full pinyin without spaces ("zhangwei"), lower case: the sort key (Chinese has no
    #: collation in the embedded PostgreSQL) and the prefix search key.
    name_pinyin = models.CharField(_("pinyin"), max_length=400, blank=True)
    #: Initials ("zw").
    initials = models.CharField(_("initials"), max_length=100, blank=True)
    #: Other readings of heteronyms, space separated (pinyin and initials), for search only.
    search_alt = models.CharField(max_length=600, blank=True)
    external_code = models.CharField(_("external code"), max_length=60, blank=True,
                                     help_text=_("The code in your source system; imports match on it."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    stage = models.CharField(_("lifecycle stage"), max_length=12, choices=Stage.choices, default=Stage.PROSPECT)
    stage_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, default=Tier.NONE, blank=True)
    potential = models.DecimalField(_("potential (yearly value)"), max_digits=14, decimal_places=2, default=0,
                                    validators=[MinValueValidator(0)])
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    db_index=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager.from_queryset(CustomerQuerySet)()
    # ``tier`` is the primary product line's effective tier, copied here by the recompute: its
    # history (which run or analyst, from, to, why) is ``segmentation.TierChange``; audited
    # here too, a night that re-tiers a million customers wrote a million audit rows more.
    audit_exclude = ("updated_at", "search_alt", "tier")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def is_merged(self) -> bool:
        return self.status == Status.MERGED


def _customer_indexes(prefix: str) -> list:
    return [
        # Lists sort by pinyin; search matches its prefix and the initials' prefix.
        models.Index(fields=["tenant", "name_pinyin", "id"], name=f"{prefix}_tenant_pinyin"),
        models.Index(fields=["tenant", "name_pinyin"], name=f"{prefix}_tenant_pinyin_like",
                     opclasses=["int8_ops", "varchar_pattern_ops"]),
        models.Index(fields=["tenant", "initials"], name=f"{prefix}_tenant_initials",
                     opclasses=["int8_ops", "varchar_pattern_ops"]),
        models.Index(fields=["tenant", "name"], name=f"{prefix}_tenant_name",
                     opclasses=["int8_ops", "varchar_pattern_ops"]),
        # Typos and infixes: trigram, led by the tenant (btree_gin).
        GinIndex(OpClass(models.F("tenant_id"), name="int8_ops"),
                 OpClass(models.F("name"), name="gin_trgm_ops"), name=f"{prefix}_tenant_name_trgm"),
        GinIndex(OpClass(models.F("tenant_id"), name="int8_ops"),
                 OpClass(models.F("name_pinyin"), name="gin_trgm_ops"), name=f"{prefix}_tenant_pinyin_trgm"),
        GinIndex(OpClass(models.F("tenant_id"), name="int8_ops"),
                 OpClass(models.F("search_alt"), name="gin_trgm_ops"), name=f"{prefix}_tenant_alt_trgm"),
        models.Index(fields=["tenant", "stage"], name=f"{prefix}_tenant_stage"),
        models.Index(models.F("tenant"), models.F("potential").desc(), models.F("id"), name=f"{prefix}_tenant_potential"),
        models.Index(fields=["tenant", "-updated_at"], name=f"{prefix}_tenant_updated"),
        # The foreign key to the survivor: without it, deleting a row would scan the table.
        models.Index(fields=["tenant", "merged_into"], name=f"{prefix}_tenant_merged",
                     condition=Q(merged_into__isnull=False)),
    ]


def _customer_constraints(prefix: str) -> list:
    return [
        models.UniqueConstraint(fields=["tenant", "code"], name=f"{prefix}_tenant_code"),
        models.UniqueConstraint(fields=["tenant", "external_code"], condition=~Q(external_code=""),
                                name=f"{prefix}_tenant_external_code",
                                violation_error_message=_("Another record has this external code.")),
        models.CheckConstraint(condition=Q(potential__gte=0), name=f"{prefix}_potential_not_negative",
                               violation_error_message=_("The potential cannot be negative.")),
        models.CheckConstraint(condition=(Q(status=Status.MERGED) & Q(merged_into__isnull=False))
                               | (~Q(status=Status.MERGED) & Q(merged_into__isnull=True)),
                               name=f"{prefix}_merged_has_survivor"),
    ]


class Institution(Customer):
    kind = models.CharField(_("type"), max_length=20, choices=InstitutionKind.choices)
    grade = models.CharField(_("grade"), max_length=2, choices=Grade.choices, blank=True)
    beds = models.PositiveIntegerField(_("beds"), null=True, blank=True)
    ownership = models.CharField(_("ownership"), max_length=10, choices=Ownership.choices, blank=True)
    province = models.CharField(_("province"), max_length=40)
    city = models.CharField(_("city"), max_length=60)
    district = models.CharField(_("district"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    national_code = models.CharField(_("national code"), max_length=60, blank=True,
                                     help_text=_("For example the medical institution licence number."))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    #: Where the institution is (WGS-84, as browsers report it): a call's check-in is measured
    #: against it. Empty: check-ins there are recorded without a distance.
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name_pinyin", "id"]
        indexes = [
            *_customer_indexes("inst"),
            models.Index(fields=["tenant", "province", "city"], name="inst_tenant_geo"),
            models.Index(fields=["tenant", "kind", "grade"], name="inst_tenant_kind_grade"),
            models.Index(fields=["tenant", "national_code"], name="inst_tenant_national_code",
                         condition=~Q(national_code="")),
        ]
        constraints = [
            *_customer_constraints("inst"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="inst_location_valid",
                violation_error_message=_("Give both latitude (−90 to 90) and longitude (−180 to 180), or neither.")),
        ]


class Department(TenantOwned, Coded):
    """A department (科室) inside an institution."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="departments",
                                    verbose_name=_("institution"), db_index=False)
    name = models.CharField(_("name"), max_length=120)
    specialty = models.CharField(_("specialty"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="dept_tenant_code"),
            models.UniqueConstraint(fields=["tenant", "institution", "name"], name="dept_tenant_inst_name",
                                    violation_error_message=_("This institution has a department with this name already.")),
        ]

    def __str__(self) -> str:
        return self.name


__all__ = ["Customer", "Department", "Institution", "Tier"]

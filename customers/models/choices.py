"""Enumerations shared by institutions and HCPs (kept apart so forms, imports and the API
read them without importing the models)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Stage(models.TextChoices):
    """Lifecycle (R4). Order matters: moving right along the first five is progress."""

    PROSPECT = "prospect", _("Prospect")
    DEVELOPING = "developing", _("Developing")
    ACTIVE = "active", pgettext_lazy("lifecycle", "Active")
    KEY = "key", pgettext_lazy("lifecycle", "Key")
    DORMANT = "dormant", _("Dormant")
    TERMINATED = "terminated", _("Terminated")


class Status(models.TextChoices):
    """Record status: ``merged`` rows point at their survivor and leave every list."""

    ACTIVE = "active", pgettext_lazy("record", "Active")
    INACTIVE = "inactive", _("Inactive")
    MERGED = "merged", _("Merged")


class InstitutionKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    CLINIC = "clinic", _("Clinic")
    RETAIL_PHARMACY = "retail_pharmacy", _("Retail pharmacy")
    PHARMACY_CHAIN = "pharmacy_chain", _("Pharmacy chain")
    DISTRIBUTOR = "distributor", _("Distributor")


class Grade(models.TextChoices):
    """China's hospital grades (医院等级)."""

    G3A = "3A", _("Tertiary A (三级甲等)")
    G3B = "3B", _("Tertiary B (三级乙等)")
    G3C = "3C", _("Tertiary C (三级丙等)")
    G2A = "2A", _("Secondary A (二级甲等)")
    G2B = "2B", _("Secondary B (二级乙等)")
    G2C = "2C", _("Secondary C (二级丙等)")
    G1 = "1", _("Primary (一级)")
    UNGRADED = "", _("Not graded")


class Ownership(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")
    MILITARY = "military", _("Military")
    OTHER = "other", _("Other")


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    UNKNOWN = "", _("Not given")


class Title(models.TextChoices):
    """Professional titles (职称)."""

    CHIEF = "chief", _("Chief physician (主任医师)")
    ASSOCIATE_CHIEF = "associate_chief", _("Associate chief physician (副主任医师)")
    ATTENDING = "attending", _("Attending physician (主治医师)")
    RESIDENT = "resident", _("Resident (住院医师)")
    CHIEF_PHARMACIST = "chief_pharmacist", _("Chief pharmacist (主任药师)")
    PHARMACIST = "pharmacist", _("Pharmacist (药师)")
    NURSE = "nurse", _("Nurse (护士)")
    OTHER = "other", _("Other")


class Specialty(models.TextChoices):
    CARDIOLOGY = "cardiology", _("Cardiology (心内科)")
    ENDOCRINOLOGY = "endocrinology", _("Endocrinology (内分泌科)")
    ONCOLOGY = "oncology", _("Oncology (肿瘤科)")
    RESPIRATORY = "respiratory", _("Respiratory (呼吸科)")
    NEUROLOGY = "neurology", _("Neurology (神经内科)")
    GASTRO = "gastroenterology", _("Gastroenterology (消化科)")
    NEPHROLOGY = "nephrology", _("Nephrology (肾内科)")
    GENERAL = "general", _("General medicine (全科)")
    SURGERY = "surgery", _("Surgery (外科)")
    PEDIATRICS = "pediatrics", _("Pediatrics (儿科)")
    PHARMACY = "pharmacy", _("Pharmacy (药剂科)")
    OTHER = "other", _("Other")


class Tier(models.TextChoices):
    """Value tier (客户分级); computed by segmentation, blank until then."""

    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"
    NONE = "", _("Not tiered")


class CustomerKind(models.TextChoices):
    INSTITUTION = "institution", _("Institution")
    HCP = "hcp", _("HCP")

"""Affiliations, KOL links and supply relations (R2): master data, changed by admins and
data stewards (reps propose through change requests)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import Affiliation, Hcp, Institution, InstitutionKind, KolLink, Status, SupplyRelation
from ..validation import text


def _dates(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and end < start:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})


def _live(record, field: str) -> None:
    if record is None:
        raise ValidationError({field: _("This field is required.")})
    if record.status == Status.MERGED:
        raise ValidationError({field: _("This record was merged into another one.")})


@transaction.atomic
def affiliation_add(*, hcp: Hcp, institution: Institution, role: str = "", department: str = "",
                    start_date: dt.date | None = None, end_date: dt.date | None = None) -> Affiliation:
    from .records import department_create

    _live(hcp, "hcp")
    _live(institution, "institution")
    _dates(start_date, end_date)
    role = text(role)
    if len(role) > 80:
        raise ValidationError({"role": _("Use at most %(n)s characters.") % {"n": 80}})
    dept = department_create(institution=institution, name=department) if text(department) else None
    return Affiliation.objects.create(hcp=hcp, institution=institution, department=dept, role=role,
                                      start_date=start_date, end_date=end_date)


@transaction.atomic
def kol_link_add(*, source: Hcp, target: Hcp, kind: str, note: str = "") -> KolLink:
    _live(source, "source")
    _live(target, "target")
    if kind not in KolLink.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of link.")})
    if source.pk == target.pk:
        raise ValidationError({"target": _("An HCP cannot be linked to themselves.")})
    try:
        with transaction.atomic():
            return KolLink.objects.create(source=source, target=target, kind=kind, note=text(note)[:200])
    except IntegrityError:
        raise ValidationError({"target": _("These two HCPs have this link already.")}) from None


@transaction.atomic
def supply_relation_add(*, supplier: Institution, customer: Institution, brand=None,
                        start_date: dt.date | None = None, end_date: dt.date | None = None) -> SupplyRelation:
    _live(supplier, "supplier")
    _live(customer, "customer")
    if supplier.kind not in (InstitutionKind.DISTRIBUTOR, InstitutionKind.PHARMACY_CHAIN):
        raise ValidationError({"supplier": _("%(name)s is not a distributor or a pharmacy chain.") % {"name": supplier.name}})
    if supplier.pk == customer.pk:
        raise ValidationError({"customer": _("An institution cannot supply itself.")})
    _dates(start_date, end_date)
    return SupplyRelation.objects.create(supplier=supplier, customer=customer, brand=brand,
                                         start_date=start_date, end_date=end_date)


@transaction.atomic
def relation_end(*, relation: Affiliation | SupplyRelation, end_date: dt.date) -> None:
    """End an affiliation or a supply relation (kept for history); a KOL link is deleted."""
    if relation.start_date and end_date < relation.start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    relation.end_date = end_date
    relation.save(update_fields=["end_date"])

"""Creating and correcting institutions, departments and HCPs (master data: admins and
data stewards directly; reps through change requests, which end up here too).

Keyword-only, one transaction each; errors are ``ValidationError`` keyed by field; the
audit trigger records every change.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Department, Hcp, Institution, Stage, Status
from ..pinyin import name_keys
from ..validation import clean_hcp, clean_institution, text


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _set_keys(obj, *, person: bool) -> None:
    obj.name_pinyin, obj.initials, obj.search_alt = name_keys(obj.name, person=person)


def _external_code_free(model, code: str, exclude_pk=None) -> None:
    if code and model.objects.filter(external_code=code).exclude(pk=exclude_pk).exists():
        raise ValidationError({"external_code": _("Another record has this external code.")})


def _save(obj, fields=None):
    try:
        with transaction.atomic():
            obj.save(update_fields=fields)
    except IntegrityError as exc:
        if "external_code" in str(exc):
            raise ValidationError({"external_code": _("Another record has this external code.")}) from None
        raise
    return obj


def _changed(obj, values: dict) -> list[str]:
    return [f for f, v in values.items() if getattr(obj, f) != v]


# --------------------------------------------------------------------------- institutions


@transaction.atomic
def institution_create(*, data: dict, stage: str = Stage.PROSPECT) -> Institution:
    values, errors = clean_institution(data)
    _raise(errors)
    _external_code_free(Institution, values["external_code"])
    inst = Institution(**values, stage=stage, stage_changed_at=timezone.now())
    _set_keys(inst, person=False)
    return _save(inst)


@transaction.atomic
def institution_update(*, institution: Institution, data: dict) -> list[str]:
    """Apply the fields present in ``data``; returns the names of the fields that changed."""
    current = {f: getattr(institution, f) for f in ("name", "kind", "grade", "beds", "ownership", "province", "city",
                                                      "district", "address", "external_code", "national_code",
                                                      "phone", "potential")}
    values, errors = clean_institution({**current, **data})
    _raise(errors)
    _external_code_free(Institution, values["external_code"], exclude_pk=institution.pk)
    changed = _changed(institution, values)
    if not changed:
        return []
    for f in changed:
        setattr(institution, f, values[f])
    fields = [*changed, "updated_at"]
    if "name" in changed:
        _set_keys(institution, person=False)
        fields += ["name_pinyin", "initials", "search_alt"]
    _save(institution, fields)
    return changed


@transaction.atomic
def department_create(*, institution: Institution, name: str, specialty: str = "") -> Department:
    name = text(name)
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    if len(name) > 120:
        raise ValidationError({"name": _("Use at most %(n)s characters.") % {"n": 120}})
    existing = Department.objects.filter(institution=institution, name=name).first()
    if existing:
        return existing
    return Department.objects.create(institution=institution, name=name, specialty=text(specialty)[:20])


# --------------------------------------------------------------------------- HCPs


def _department_of(institution: Institution, department) -> Department | None:
    if department in (None, ""):
        return None
    if isinstance(department, Department):
        if department.institution_id != institution.pk:
            raise ValidationError({"department": _("This department belongs to another institution.")})
        return department
    return department_create(institution=institution, name=str(department))


@transaction.atomic
def hcp_create(*, data: dict, institution: Institution, department=None, stage: str = Stage.PROSPECT) -> Hcp:
    values, errors = clean_hcp(data)
    if institution is None:
        errors["institution"] = _("This field is required.")
    elif institution.status != Status.ACTIVE:
        errors["institution"] = _("%(name)s is not active.") % {"name": institution.name}
    _raise(errors)
    _external_code_free(Hcp, values["external_code"])
    hcp = Hcp(**values, institution=institution, department=_department_of(institution, department),
              stage=stage, stage_changed_at=timezone.now())
    _set_keys(hcp, person=True)
    return _save(hcp)


HCP_EDITABLE = ("name", "gender", "title", "specialty", "phone", "email", "is_kol", "external_code", "potential")


@transaction.atomic
def hcp_update(*, hcp: Hcp, data: dict, institution: Institution | None = None, department=None) -> list[str]:
    current = {f: getattr(hcp, f) for f in HCP_EDITABLE}
    current["is_kol"] = "1" if hcp.is_kol else "0"
    values, errors = clean_hcp({**current, **data})
    _raise(errors)
    _external_code_free(Hcp, values["external_code"], exclude_pk=hcp.pk)
    changed = _changed(hcp, values)
    for f in changed:
        setattr(hcp, f, values[f])
    if institution is not None and institution.pk != hcp.institution_id:
        if institution.status != Status.ACTIVE:
            raise ValidationError({"institution": _("%(name)s is not active.") % {"name": institution.name}})
        hcp.institution = institution
        changed.append("institution")
        if department is None and hcp.department_id:
            hcp.department = None
            changed.append("department")
    if department is not None:
        dept = _department_of(institution or hcp.institution, department)
        if (dept.pk if dept else None) != hcp.department_id:
            hcp.department = dept
            changed.append("department")
    if not changed:
        return []
    fields = [*changed, "updated_at"]
    if "name" in changed:
        _set_keys(hcp, person=True)
        fields += ["name_pinyin", "initials", "search_alt"]
    _save(hcp, fields)
    return changed


# --------------------------------------------------------------------------- status


@transaction.atomic
def record_set_active(*, record: Institution | Hcp, active: bool) -> bool:
    """Deactivate or reactivate (merged records cannot be reactivated: undo the merge)."""
    if record.status == Status.MERGED:
        raise ValidationError({"status": _("This record was merged; undo the merge instead.")})
    target = Status.ACTIVE if active else Status.INACTIVE
    if record.status == target:
        return False
    if not active and isinstance(record, Institution):
        if Hcp.objects.filter(institution=record, status=Status.ACTIVE).exists():
            raise ValidationError({"status": _("Active HCPs still have this institution as primary; move them first.")})
    record.status = target
    record.save(update_fields=["status", "updated_at"])
    return True

"""Skills: the tenant's coaching criteria, in the admin's order (admins only)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Max, Value, When
from django.utils.translation import gettext as _

from accounts.models import Role
from customers.validation import text

from ..models import Skill


def _admin(by) -> None:
    if by is None or not by.has_role(Role.ADMIN):
        raise ValidationError({"skill": _("Only a tenant administrator can change the coaching skills.")})


def _name(value) -> str:
    value = text(value)
    if not value:
        raise ValidationError({"name": _("Give the skill a name.")})
    if len(value) > 100:
        raise ValidationError({"name": _("Use at most %(n)s characters.") % {"n": 100}})
    return value


def _description(value) -> str:
    value = text(value)
    if len(value) > 500:
        raise ValidationError({"description": _("Use at most %(n)s characters.") % {"n": 500}})
    return value


def _save(skill: Skill, fields: list[str] | None = None) -> Skill:
    try:
        with transaction.atomic():
            skill.save(update_fields=fields) if fields else skill.save()
    except IntegrityError:
        raise ValidationError({"name": _("A skill with this name exists already.")}) from None
    return skill


@transaction.atomic
def skill_create(*, name: str, by, description: str = "") -> Skill:
    """A new active skill, last in the order."""
    _admin(by)
    last = Skill.objects.aggregate(m=Max("position"))["m"]
    skill = Skill(name=_name(name), description=_description(description),
                  position=0 if last is None else last + 1)
    return _save(skill)


@transaction.atomic
def skill_update(*, skill: Skill, by, name=..., description=..., is_active=...) -> Skill:
    """Change what is given (``...`` = leave as is). A retired skill keeps its scores."""
    _admin(by)
    skill = Skill.objects.select_for_update().get(pk=skill.pk)
    fields = ["updated_at"]
    if name is not ...:
        skill.name = _name(name)
        fields.append("name")
    if description is not ...:
        skill.description = _description(description)
        fields.append("description")
    if is_active is not ...:
        skill.is_active = bool(is_active)
        fields.append("is_active")
    return _save(skill, fields)


def _renumber(ids: list[int]) -> None:
    """One UPDATE: the skills ``ids`` get positions 0, 1, 2… in that order."""
    Skill.objects.filter(pk__in=ids).update(
        position=Case(*[When(pk=pk, then=Value(n)) for n, pk in enumerate(ids)]))


@transaction.atomic
def skill_reorder(*, codes: list, by) -> None:
    """Put the skills in the order of ``codes`` (every skill once)."""
    _admin(by)
    current = list(Skill.objects.select_for_update().order_by("position", "id").values_list("code", "pk"))
    by_code = {str(code): pk for code, pk in current}
    wanted = [str(c) for c in codes]
    if sorted(wanted) != sorted(by_code) or len(set(wanted)) != len(wanted):
        raise ValidationError({"codes": _("List every skill once.")})
    _renumber([by_code[c] for c in wanted])


@transaction.atomic
def skill_move(*, skill: Skill, by, up: bool) -> None:
    """Swap ``skill`` with its neighbour above (``up``) or below; at an end, nothing moves."""
    _admin(by)
    ids = list(Skill.objects.select_for_update().order_by("position", "id").values_list("pk", flat=True))
    i = ids.index(skill.pk)
    j = i - 1 if up else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
    _renumber(ids)

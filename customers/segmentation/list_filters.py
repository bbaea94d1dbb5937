"""Target-list filters: the JSON a target list keeps, its check, and the queryset filter.

::

    {"product_line": "<code>", "tiers": ["A", "B"],      # tier in that line ("none": no tier)
     "specialties": ["cardiology"], "titles": ["chief"],  # HCPs
     "kinds": ["hospital"], "grades": ["3A"],             # institutions
     "provinces": ["上海市"], "cities": ["上海市"],          # the institution's (an HCP's primary one)
     "stages": ["active", "key"], "kol": true, "target": true}

Without ``product_line``, ``tiers`` reads the customer's own ``tier`` column (the tenant's
primary product line). Members are always live customers (not merged, not terminated,
status active); the reader's visibility (``visible_to``) is applied by the selectors.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from customers.models import Grade, Hcp, InstitutionKind, Specialty, Stage, Title

from .definition import TIERS

CHOICES = {
    "specialties": ("hcp", Specialty.values),
    "titles": ("hcp", Title.values),
    "kinds": ("institution", InstitutionKind.values),
    "grades": ("institution", Grade.values),
    "stages": (None, Stage.values),
}
TEXTS = ("provinces", "cities")
FLAGS = ("kol", "target")  # HCPs only
MAX_VALUES = 200


def _list(raw, key: str) -> list[str]:
    value = raw.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or len(value) > MAX_VALUES:
        raise ValidationError({f"filters.{key}": _("Give a list of at most %(n)s values.") % {"n": MAX_VALUES}})
    return [str(v).strip() for v in value if str(v).strip() or v == ""]


def clean_filters(raw, *, kind: str) -> dict:
    """The filters checked and normalised (sorted lists, no empty keys); product line by code."""
    from products.models import ProductLine

    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValidationError({"filters": _("The filters are a set of conditions.")})
    out: dict = {}
    for key, (only, allowed) in CHOICES.items():
        values = _list(raw, key)
        if not values:
            continue
        if only is not None and only != kind:
            raise ValidationError({f"filters.{key}": _("This condition does not apply to these customers.")})
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValidationError({f"filters.{key}": _("“%(value)s” is not a valid choice.") % {"value": bad[0]}})
        out[key] = sorted(set(values))
    for key in TEXTS:
        values = _list(raw, key)
        if values:
            out[key] = sorted(set(values))
    tiers = [v.upper() if v != "none" else v for v in _list(raw, "tiers")]
    bad = [v for v in tiers if v not in (*TIERS, "none")]
    if bad:
        raise ValidationError({"filters.tiers": _("“%(value)s” is not a tier.") % {"value": bad[0]}})
    if tiers:
        out["tiers"] = sorted(set(tiers))
    code = str(raw.get("product_line") or "").strip()
    if code:
        try:
            line = ProductLine.objects.filter(code=uuid.UUID(code)).first()
        except ValueError:
            line = None
        if line is None:
            raise ValidationError({"filters.product_line": _("Choose a product line of your catalogue.")})
        out["product_line"] = str(line.code)
    for key in FLAGS:
        value = raw.get(key)
        if value in (None, ""):
            continue
        if kind != "hcp":
            raise ValidationError({f"filters.{key}": _("This condition does not apply to these customers.")})
        if not isinstance(value, bool):
            value = str(value).strip().lower() in ("1", "true", "yes", "on")
        out[key] = value
    return out


def filters_q(filters: dict, *, kind: str) -> Q:
    """The filter as a ``Q`` on ``Hcp`` or ``Institution`` (visibility and liveness apart)."""
    from products.models import ProductLine

    from .models import CustomerTier

    q = Q()
    inst = "institution__" if kind == "hcp" else ""
    for key, column in (("specialties", "specialty"), ("titles", "title"), ("kinds", "kind"), ("grades", "grade"),
                        ("stages", "stage")):
        if filters.get(key):
            q &= Q(**{f"{column}__in": filters[key]})
    if filters.get("provinces"):
        q &= Q(**{f"{inst}province__in": filters["provinces"]})
    if filters.get("cities"):
        q &= Q(**{f"{inst}city__in": filters["cities"]})
    for key, column in (("kol", "is_kol"), ("target", "is_target")):
        if key in filters:
            q &= Q(**{column: filters[key]})
    tiers = filters.get("tiers") or []
    if tiers:
        letters = [t for t in tiers if t != "none"]
        if filters.get("product_line"):
            line = ProductLine.objects.filter(code=filters["product_line"]).values("pk")
            field = "hcp_id" if kind == "hcp" else "institution_id"
            rows = CustomerTier.objects.filter(purpose="tier", product_line__in=line)
            tier_q = Q(pk__in=rows.filter(tier__in=letters).values(field)) if letters else Q(pk__in=[])
            if "none" in tiers:
                tier_q |= ~Q(pk__in=rows.exclude(tier="").values(field))
        else:
            tier_q = Q(tier__in=[*letters, *([""] if "none" in tiers else [])])
        q &= tier_q
    return q


def model_of(kind: str):
    from customers.models import Institution

    return Hcp if kind == "hcp" else Institution

"""Three of the four methods: by geography, by institution, by rule."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from sfe.core.tenancy import require_tenant_id

from ...models import Grade, Institution, InstitutionKind, RealignmentBatch, Specialty, Status, Tier
from ...validation import text
from .common import _INST_SELECT, _OWN_HCPS_SELECT, Method, _build_items, _check_common, _finish, _institution_where, _new_batch, _raise

MAX_CODES = 10_000


@transaction.atomic
def realignment_by_geography(*, name: str = "", product_line, effective_date: dt.date, territory, province: str,
                             city: str = "", district: str = "", by) -> RealignmentBatch:
    """The institutions of ``province`` (optionally ``city``, ``district``) and their HCPs
    move to ``territory``."""
    name, errors = _check_common(name=name, product_line=product_line, effective_date=effective_date,
                                 territory=territory)
    province, city, district = text(province), text(city), text(district)
    if not province:
        errors["province"] = [_("This field is required.")]
    if district and not city:
        errors["city"] = [_("Give the city of the district.")]
    _raise(errors)
    batch = _new_batch(name=name, method=Method.GEOGRAPHY, product_line=product_line, effective_date=effective_date,
                       by=by, criteria={"province": province, "city": city, "district": district,
                                        "territory": str(territory.code), "territory_name": territory.name})
    params: dict = {"territory": territory.pk, "tenant": require_tenant_id(), "merged": Status.MERGED}
    where = _institution_where(params, province=province, city=city, district=district)
    selection = _INST_SELECT.format(where=where) + " UNION ALL " + _OWN_HCPS_SELECT.format(where=where)
    field = "district" if district else "city" if city else "province"
    return _finish(batch, _build_items(batch, selection, params), field)


def _resolve_institutions(codes) -> tuple[list[int], list[str]]:
    """Institution ids for UUID codes or external codes (one query); and the unknown ones."""
    raw = [text(c) for c in codes if text(c)]
    uuids, externals = [], []
    for value in raw:
        try:
            uuids.append(uuid.UUID(value))
        except ValueError:
            externals.append(value)
    found = list(Institution.objects.live().filter(Q(code__in=uuids) | Q(external_code__in=externals))
                 .values_list("id", "code", "external_code"))
    known = {str(c) for _i, c, _e in found} | {e for _i, _c, e in found if e}
    missing = [v for v in raw if v not in known and not _uuid_in(v, known)]
    return sorted({i for i, _c, _e in found}), missing


def _uuid_in(value: str, known: set[str]) -> bool:
    try:
        return str(uuid.UUID(value)) in known
    except ValueError:
        return False


@transaction.atomic
def realignment_by_institution(*, name: str = "", product_line, effective_date: dt.date, territory, institutions,
                               by) -> RealignmentBatch:
    """The chosen institutions (``Institution`` objects, or their codes or external codes)
    and their HCPs move to ``territory``."""
    name, errors = _check_common(name=name, product_line=product_line, effective_date=effective_date,
                                 territory=territory)
    institutions = list(institutions or [])
    if not institutions:
        errors["institutions"] = [_("Choose at least one institution.")]
    elif len(institutions) > MAX_CODES:
        errors["institutions"] = [_("Choose at most %(n)s institutions at once; use a file for more.") % {"n": MAX_CODES}]
    _raise(errors)
    if all(isinstance(i, Institution) for i in institutions):
        ids = sorted({i.pk for i in institutions if not i.is_merged})
        missing = []
    else:
        ids, missing = _resolve_institutions(institutions)
    if missing:
        shown = ", ".join(missing[:20]) + (" …" if len(missing) > 20 else "")
        raise ValidationError({"institutions": _("Unknown institution codes: %(codes)s") % {"codes": shown}})
    batch = _new_batch(name=name, method=Method.INSTITUTION, product_line=product_line, effective_date=effective_date,
                       by=by, criteria={"institutions": len(ids), "territory": str(territory.code),
                                        "territory_name": territory.name})
    params: dict = {"territory": territory.pk, "tenant": require_tenant_id(), "merged": Status.MERGED}
    where = _institution_where(params, ids=ids)
    selection = _INST_SELECT.format(where=where) + " UNION ALL " + _OWN_HCPS_SELECT.format(where=where)
    return _finish(batch, _build_items(batch, selection, params), "institutions")


RULE_LEVELS = ("institution", "hcp")


@transaction.atomic
def realignment_by_rule(*, name: str = "", product_line, effective_date: dt.date, territory, level: str = "institution",
                        kinds=(), grades=(), province: str = "", city: str = "", specialties=(), tiers=(),
                        by) -> RealignmentBatch:
    """The customers matching a rule move to ``territory``.

    ``level="institution"``: institutions of the given kinds, grades, province/city and tiers
    (institution items; their HCPs without an alignment of their own follow them).
    ``level="hcp"``: HCPs of the given specialties and tiers whose primary institution
    matches the kinds, grades and province/city (HCP items).
    """
    name, errors = _check_common(name=name, product_line=product_line, effective_date=effective_date,
                                 territory=territory)
    province, city = text(province), text(city)
    kinds, grades, specialties, tiers = list(kinds or []), list(grades or []), list(specialties or []), list(tiers or [])
    if level not in RULE_LEVELS:
        errors["level"] = [_("Choose institutions or HCPs.")]
    for field, values, choices in (("kinds", kinds, InstitutionKind), ("grades", grades, Grade),
                                   ("specialties", specialties, Specialty), ("tiers", tiers, Tier)):
        bad = [v for v in values if v not in choices.values]
        if bad:
            errors[field] = [_("“%(value)s” is not one of the choices.") % {"value": bad[0]}]
    if level == "institution" and specialties:
        errors["specialties"] = [_("A specialty belongs to HCPs: choose HCPs, or leave the specialty empty.")]
    if not (kinds or grades or province or city or specialties or tiers):
        errors["kinds"] = [_("Give at least one condition (type, grade, province, city, specialty or tier).")]
    _raise(errors)
    criteria = {"level": level, "kinds": kinds, "grades": grades, "province": province, "city": city,
                "specialties": specialties, "tiers": tiers, "territory": str(territory.code),
                "territory_name": territory.name}
    batch = _new_batch(name=name, method=Method.RULE, product_line=product_line, effective_date=effective_date,
                       by=by, criteria=criteria)
    params: dict = {"territory": territory.pk, "tenant": require_tenant_id(), "merged": Status.MERGED}
    if level == "institution":
        where = _institution_where(params, province=province, city=city, kinds=kinds, grades=grades, tiers=tiers)
        selection = _INST_SELECT.format(where=where)
    else:
        where = _institution_where(params, province=province, city=city, kinds=kinds, grades=grades)
        hcp_where = ["h.status <> %(merged)s"]
        if specialties:
            params["specialties"] = specialties
            hcp_where.append("h.specialty = ANY(%(specialties)s)")
        if tiers:
            params["hcp_tiers"] = tiers
            hcp_where.append("h.tier = ANY(%(hcp_tiers)s)")
        selection = (
            "SELECT 'hcp'::text AS kind, h.id AS cid, %(territory)s::bigint AS tid, 'move'::text AS action "
            "FROM customers_hcp h JOIN customers_institution i ON i.tenant_id = h.tenant_id AND i.id = h.institution_id "
            f"WHERE h.tenant_id = %(tenant)s AND {' AND '.join(hcp_where)} AND {where}"
        )
    return _finish(batch, _build_items(batch, selection, params), "kinds")

"""What a change proposes (cleaned values, labels, display) and who sees which request."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.models import Membership, OrgNode, Position
from accounts.visibility import TENANT_WIDE_ROLES, visible_node_ids
from sfe.core.tenancy import current_tenant

from ...models import ChangeRequest, Hcp, Institution
from ...validation import clean_hcp, clean_institution, text
from .states import HCP_CHANGE_FIELDS, INSTITUTION_CHANGE_FIELDS, REASON_MAX, RECORD_KINDS, Kind

# --------------------------------------------------------------------------- values


def _today() -> dt.date:
    return current_tenant().today()


def _user_of(member: Membership):
    user = member.user
    user.membership = member  # read by accounts.visibility: saves a query per check
    return user


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def record_values(record) -> dict:
    """The proposable fields of ``record`` as stored in ``before`` / ``proposed``."""
    if isinstance(record, Hcp):
        values = {f: getattr(record, f) for f in HCP_CHANGE_FIELDS if f != "department"}
        values["department"] = record.department.name if record.department_id else ""
        return values
    return {f: _json(getattr(record, f)) for f in INSTITUTION_CHANGE_FIELDS}


def _model_for(dcr_or_kind) -> type[Hcp] | type[Institution]:
    kind = dcr_or_kind if isinstance(dcr_or_kind, str) else None
    if kind is None:
        dcr = dcr_or_kind
        if dcr.kind == Kind.NEW_HCP or (dcr.kind in RECORD_KINDS and dcr.hcp_id):
            return Hcp
        return Institution
    return Hcp if kind == Kind.NEW_HCP else Institution


def field_label(model, field: str) -> str:
    return str(capfirst(model._meta.get_field(field).verbose_name))


def display_value(model, field: str, value) -> str:
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    model_field = model._meta.get_field(field)
    if model_field.choices:
        return str(dict(model_field.choices).get(value, value))
    return str(value)


def _clean(model, raw: dict) -> tuple[dict, dict]:
    raw = {k: ("1" if v else "0") if isinstance(v, bool) else v for k, v in raw.items()}
    return clean_hcp(raw) if model is Hcp else clean_institution(raw)


def _proposal_for_new(model, data: dict) -> tuple[dict, dict]:
    fields = HCP_CHANGE_FIELDS if model is Hcp else INSTITUTION_CHANGE_FIELDS
    values, errors = _clean(model, {f: data.get(f) for f in fields if f != "department"})
    proposed = {f: _json(values[f]) for f in fields if f != "department" and values.get(f) not in ("", None, False)}
    if model is Hcp:
        department = text(data.get("department"))
        if len(department) > 120:
            errors["department"] = _("Use at most %(n)s characters.") % {"n": 120}
        if department:
            proposed["department"] = department
    return proposed, errors


def _proposal_for_edit(record, data: dict) -> tuple[dict, dict, dict]:
    """``(before, proposed, errors)`` for the fields of ``data`` that differ from the record."""
    model = type(record)
    fields = HCP_CHANGE_FIELDS if model is Hcp else INSTITUTION_CHANGE_FIELDS
    current = record_values(record)
    submitted = {f: data[f] for f in fields if f in data}
    raw_current = {f: current[f] for f in fields if f != "department"}
    cleaned_current, _ignored = _clean(model, raw_current)
    merged = {**raw_current, **{f: v for f, v in submitted.items() if f != "department"}}
    values, errors = _clean(model, merged)
    # A field the requester did not touch is not theirs to fix (an old, invalid value).
    touched = {f for f, v in submitted.items() if _as_text(v) != _as_text(current.get(f))}
    errors = {f: m for f, m in errors.items() if f in touched}
    before, proposed = {}, {}
    for f in fields:
        if f == "department":
            if "department" in submitted:
                new = text(submitted["department"])
                if len(new) > 120:
                    errors["department"] = _("Use at most %(n)s characters.") % {"n": 120}
                elif new != current["department"]:
                    before[f], proposed[f] = current[f], new
            continue
        if f in errors or f not in submitted:
            continue
        new, old = _json(values[f]), _json(cleaned_current.get(f, current[f]))
        if new != old:
            before[f], proposed[f] = current[f], new
    return before, proposed, errors


def _as_text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return text(value)


def _reason(reason: str) -> str:
    reason = text(reason)
    if not reason:
        raise ValidationError({"reason": _("Say why: the data steward reads it.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Use at most %(n)s characters.") % {"n": REASON_MAX}})
    return reason


# --------------------------------------------------------------------------- who sees what


def requester_territories(member: Membership, day: dt.date | None = None):
    """The live territories under the nodes ``member`` holds (never the whole tenant)."""
    return (OrgNode.objects.filter(pk__in=visible_node_ids(_user_of(member), on=day or _today(), positions_only=True))
            .filter(kind=OrgNode.Kind.TERRITORY, retired_on__isnull=True).order_by("path"))


def _visible(member: Membership, record) -> bool:
    return type(record).objects.visible_to(_user_of(member)).filter(pk=record.pk).exists()


def changes_visible_to(member: Membership, day: dt.date | None = None, qs=None):
    """The change requests ``member`` may open: their own; all of them for the tenant-wide
    roles (stewards and admins decide them); those of requesters under a node the member
    holds (managers above); and those whose approval request the member has a part in
    (a delegate deciding for someone)."""
    from approvals.selectors import requests_visible_to

    qs = ChangeRequest.objects.all() if qs is None else qs
    if member.has_role(*TENANT_WIDE_ROLES):
        return qs
    day = day or _today()
    above = (
        Position.objects.active_on(day).filter(holder_id=member.pk, node__retired_on__isnull=True)
        .filter(Func(OuterRef("approval__node__path"), F("node__path"), function="starts_with",
                     output_field=BooleanField()))
        .exclude(node_id=OuterRef("approval__node_id"))
    )
    part = requests_visible_to(member, day).values("pk")
    return qs.filter(Q(requested_by=member) | Q(Exists(above)) | Q(approval_id__in=part))



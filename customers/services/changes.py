"""Data change requests (R5): reps propose, the approval engine decides, approving applies.

Reps (and managers) never edit master data: they submit a ``ChangeRequest`` with a reason
and it becomes an ``ApprovalRequest`` of a registered type (``customer_change``, or
``alignment_challenge`` for adding or dropping a customer to or from one's territory;
``customers.approval_types``). Whoever the chain names decides it in the approvals inbox.

On approval the proposal is applied *inside the deciding transaction* through the same
services an admin uses (``records``, ``alignment``), in a savepoint: if applying fails
validation (the external code was taken meanwhile, the institution was deactivated …) the
savepoint is rolled back, the request stays approved, the DCR becomes ``failed`` with the
message and the requester is notified — the decision never crashes.

Corrections store ``before`` and ``proposed`` for the changed fields only; the steward
sees the record's current value beside them when it changed in between.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.models import Membership, OrgNode, Position
from accounts.services.notifications import notify
from accounts.visibility import TENANT_WIDE_ROLES, visible_node_ids
from sfe.core.tenancy import current_tenant

from ..models import Alignment, ChangeRequest, Hcp, Institution, Status
from ..validation import clean_hcp, clean_institution, text
from . import alignment as alignment_services
from . import records

KEY_CHANGE = "customer_change"
KEY_ALIGN = "alignment_challenge"

Kind = ChangeRequest.Kind
State = ChangeRequest.State

#: What a change request may propose, per record type (potential and tier are computed).
HCP_CHANGE_FIELDS = ("name", "gender", "title", "specialty", "department", "phone", "email", "is_kol", "external_code")
INSTITUTION_CHANGE_FIELDS = ("name", "kind", "grade", "beds", "ownership", "province", "city", "district", "address",
                             "external_code", "national_code", "phone")
ALIGN_KINDS = (Kind.ALIGN_ADD, Kind.ALIGN_DROP)
RECORD_KINDS = (Kind.EDIT, Kind.DEACTIVATE, Kind.ALIGN_ADD, Kind.ALIGN_DROP)
OPEN_STATES = (State.PENDING, State.RETURNED)
REASON_MAX = 500

# The engine has no hook for resubmit and withdraw: while the DCR is open its state follows
# the approval request's (see ``effective_state``).
_FOLLOWS_APPROVAL = {"pending": State.PENDING, "returned": State.RETURNED, "withdrawn": State.WITHDRAWN}


def request_type_for(kind: str) -> str:
    return KEY_ALIGN if kind in ALIGN_KINDS else KEY_CHANGE


def effective_state(dcr: ChangeRequest) -> str:
    """The state to show: an open DCR follows its approval request (resubmitted, withdrawn)."""
    if dcr.state in OPEN_STATES and dcr.approval_id:
        return _FOLLOWS_APPROVAL.get(dcr.approval.state, dcr.state)
    return dcr.state


def state_q(state: str) -> Q:
    """A filter on the state as ``effective_state`` shows it."""
    follows = [k for k, v in _FOLLOWS_APPROVAL.items() if v == state]
    if not follows:
        return Q(state=state)
    return Q(state=state, approval__isnull=True) | Q(state__in=OPEN_STATES, approval__state__in=follows) | (
        Q(state=state) & ~Q(state__in=OPEN_STATES))


def effective_state_label(dcr: ChangeRequest) -> str:
    return str(State(effective_state(dcr)).label)


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


# --------------------------------------------------------------------------- submitting


def _title(dcr: ChangeRequest, name: str) -> str:
    if dcr.kind == Kind.EDIT:
        return _("Correction of %(name)s") % {"name": name}
    if dcr.kind == Kind.DEACTIVATE:
        return _("Deactivate %(name)s") % {"name": name}
    if dcr.kind == Kind.NEW_HCP:
        return _("New HCP %(name)s at %(institution)s") % {"name": name, "institution": dcr.institution.name}
    if dcr.kind == Kind.NEW_INSTITUTION:
        return _("New institution %(name)s") % {"name": name}
    words = {Kind.ALIGN_ADD: _("Add %(name)s to %(territory)s (%(line)s)"),
             Kind.ALIGN_DROP: _("Drop %(name)s from %(territory)s (%(line)s)")}
    return words[dcr.kind] % {"name": name, "territory": dcr.territory.name, "line": dcr.product_line.name}


def _check_alignment_target(member, territory, product_line, *, required: bool) -> None:
    if territory is None and product_line is None and not required:
        return
    if territory is None:
        raise ValidationError({"territory": _("Choose a territory.")})
    if product_line is None:
        raise ValidationError({"product_line": _("Choose a product line.")})
    alignment_services.check_territory(territory)
    if not product_line.is_active:
        raise ValidationError({"product_line": _("%(name)s is discontinued.") % {"name": product_line.name}})
    if not member.has_role(*TENANT_WIDE_ROLES) and not requester_territories(member).filter(pk=territory.pk).exists():
        raise ValidationError({"territory": _("Choose one of your territories.")})


def _existing_alignment(record, territory, product_line, day: dt.date):
    field = alignment_services.customer_field(record)
    return (Alignment.objects.filter(**{field: record}, territory=territory, product_line=product_line)
            .active_on(day).first())


@transaction.atomic
def change_submit(*, requester: Membership, kind: str, reason: str, record: Hcp | Institution | None = None,
                  institution: Institution | None = None, data: dict | None = None, territory: OrgNode | None = None,
                  product_line=None, day: dt.date | None = None) -> ChangeRequest:
    """Open a change request and its approval request; errors are keyed by field.

    * ``edit``: ``record`` and ``data`` (only the fields that differ are kept);
    * ``deactivate``: ``record``;
    * ``new_hcp``: ``institution`` (one the requester sees) and ``data``; ``new_institution``:
      ``data``; both optionally aligned to ``territory`` for ``product_line`` once approved;
    * ``align_add`` / ``align_drop``: ``record``, ``territory``, ``product_line`` and ``day``
      (the first day in, or the first day out).
    """
    from approvals.services import approval_submit

    data = data or {}
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Unknown kind of change.")})
    reason_value = text(reason)
    errors: dict[str, str] = {}
    dcr = ChangeRequest(kind=kind, requested_by=requester, reason=reason_value)
    if kind in RECORD_KINDS:
        if record is None:
            raise ValidationError({"customer": _("Choose a customer.")})
        record = type(record).objects.select_related(*(["department", "institution"] if isinstance(record, Hcp)
                                                       else [])).get(pk=record.pk)
        if record.status == Status.MERGED or not _visible(requester, record):
            raise ValidationError({"customer": _("You cannot propose changes to this customer.")})
        if isinstance(record, Hcp):
            dcr.hcp = record
        else:
            dcr.institution = record
    name = record.name if record is not None else ""

    if kind == Kind.EDIT:
        dcr.before, dcr.proposed, errors = _proposal_for_edit(record, data)
        if not errors and not dcr.proposed:
            raise ValidationError(_("Nothing was changed: change at least one field."))
        if not errors and dcr.proposed.get("external_code"):
            if type(record).objects.filter(external_code=dcr.proposed["external_code"]).exclude(pk=record.pk).exists():
                errors["external_code"] = _("Another record has this external code.")
    elif kind == Kind.DEACTIVATE:
        if record.status != Status.ACTIVE:
            raise ValidationError({"customer": _("%(name)s is not active.") % {"name": record.name}})
        dcr.before, dcr.proposed = {"status": record.status}, {"status": Status.INACTIVE}
    elif kind in (Kind.NEW_HCP, Kind.NEW_INSTITUTION):
        model = Hcp if kind == Kind.NEW_HCP else Institution
        dcr.proposed, errors = _proposal_for_new(model, data)
        if kind == Kind.NEW_HCP:
            if institution is None:
                errors["institution"] = _("Choose the institution.")
            elif institution.status != Status.ACTIVE or not _visible(requester, institution):
                errors["institution"] = _("Choose an active institution you can see.")
            else:
                dcr.institution = institution
        code = dcr.proposed.get("external_code")
        if code and "external_code" not in errors and model.objects.filter(external_code=code).exists():
            errors["external_code"] = _("Another record has this external code.")
        name = dcr.proposed.get("name", "")
    if not reason_value:
        errors.setdefault("reason", _("Say why: the data steward reads it."))
    if errors:
        raise ValidationError(errors)
    dcr.reason = _reason(reason_value)

    if kind in ALIGN_KINDS or kind in (Kind.NEW_HCP, Kind.NEW_INSTITUTION):
        _check_alignment_target(requester, territory, product_line, required=kind in ALIGN_KINDS)
        dcr.territory, dcr.product_line = territory, product_line
    if kind in ALIGN_KINDS or (territory is not None and kind in (Kind.NEW_HCP, Kind.NEW_INSTITUTION)):
        today = _today()
        day = day or today
        if day < today:
            raise ValidationError({"day": _("Choose today or a later day: past alignments are history.")})
        dcr.proposed = {**dcr.proposed, "day": day.isoformat()}
        if kind == Kind.ALIGN_ADD and _existing_alignment(record, territory, product_line, day):
            raise ValidationError({"territory": _("%(name)s is already aligned to %(territory)s for %(line)s on that day.") % {
                "name": name, "territory": territory.name, "line": product_line.name}})
        if kind == Kind.ALIGN_DROP and not _existing_alignment(record, territory, product_line, day):
            raise ValidationError({"territory": _("%(name)s is not aligned to %(territory)s for %(line)s on that day.") % {
                "name": name, "territory": territory.name, "line": product_line.name}})

    dcr.save()
    approval = approval_submit(request_type=request_type_for(kind), requester=requester, title=_title(dcr, name),
                               category=kind, object_code=dcr.code,
                               payload={"change": str(dcr.code), "kind": kind, "reason": dcr.reason})
    dcr.approval = approval
    dcr.save(update_fields=["approval"])
    return dcr


# --------------------------------------------------------------------------- the engine's hooks


def _dcr_for(request, *, lock: bool) -> ChangeRequest | None:
    qs = ChangeRequest.objects.select_related("requested_by__user", "hcp__institution", "institution", "territory",
                                              "product_line")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return qs.filter(approval_id=request.pk).first()


def _day_of(dcr: ChangeRequest) -> dt.date:
    raw = dcr.proposed.get("day")
    return dt.date.fromisoformat(raw) if raw else _today()


def _live(record):
    """The record, locked; a record merged since is refused with where it went."""
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if record.status == Status.MERGED:
        survivor = type(record).objects.filter(pk=record.merged_into_id).first()
        raise ValidationError({"customer": _("%(name)s was merged into %(survivor)s since; propose the change there.") % {
            "name": record.name, "survivor": survivor.name if survivor else "—"}})
    return record


def _apply(dcr: ChangeRequest):
    """Apply the proposal through the master-data services; returns the record it made or changed."""
    proposed = dict(dcr.proposed)
    day = _day_of(dcr)
    if dcr.kind == Kind.EDIT:
        record = _live(dcr.hcp or dcr.institution)
        values = {f: v for f, v in proposed.items() if f != "department"}
        if isinstance(record, Hcp):
            records.hcp_update(hcp=record, data=values, department=proposed.get("department"))
        else:
            records.institution_update(institution=record, data=values)
        return record
    if dcr.kind == Kind.DEACTIVATE:
        record = _live(dcr.hcp or dcr.institution)
        records.record_set_active(record=record, active=False)
        return record
    if dcr.kind in (Kind.NEW_HCP, Kind.NEW_INSTITUTION):
        proposed.pop("day", None)
        if dcr.kind == Kind.NEW_HCP:
            institution = _live(dcr.institution)
            department = proposed.pop("department", None)
            record = records.hcp_create(data=proposed, institution=institution, department=department)
        else:
            record = records.institution_create(data=proposed)
        if dcr.territory_id:
            alignment_services.align(customer=record, territory=dcr.territory, product_line=dcr.product_line,
                                     start_date=day, source=Alignment.Source.REQUEST)
        return record
    record = _live(dcr.hcp or dcr.institution)
    if dcr.kind == Kind.ALIGN_ADD:
        alignment_services.align(customer=record, territory=dcr.territory, product_line=dcr.product_line,
                                 start_date=day, source=Alignment.Source.REQUEST)
        return record
    current = _existing_alignment(record, dcr.territory, dcr.product_line, day)
    if current is None:
        raise ValidationError({"territory": _("%(name)s is no longer aligned to %(territory)s on that day.") % {
            "name": record.name, "territory": dcr.territory.name}})
    alignment_services.alignment_end(alignment=current, end_date=day - dt.timedelta(days=1))
    return record


def _messages(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return _("The database refused the change.")


def change_detail_url(dcr: ChangeRequest) -> str:
    return reverse("customers:change_detail", kwargs={"code": dcr.code})


def on_approved(request) -> None:
    """Apply the proposal in a savepoint of the deciding transaction; on a refusal the DCR
    is ``failed`` (with the message) and the requester is told — the approval stands."""
    dcr = _dcr_for(request, lock=True)
    if dcr is None or dcr.state not in OPEN_STATES:
        return
    now = timezone.now()
    try:
        with transaction.atomic():
            record = _apply(dcr)
    except (ValidationError, IntegrityError) as exc:
        dcr.state, dcr.error, dcr.decided_at = State.FAILED, _messages(exc)[:500], now
        dcr.save(update_fields=["state", "error", "decided_at"])
        notify(recipients=[dcr.requested_by], kind="customers.change_failed",
               title=_("Approved but not applied: %(title)s") % {"title": request.title},
               body=dcr.error, url=change_detail_url(dcr))
        return
    fields = ["state", "decided_at", "error"]
    if dcr.kind == Kind.NEW_HCP:
        dcr.hcp = record
        fields.append("hcp")
    elif dcr.kind == Kind.NEW_INSTITUTION:
        dcr.institution = record
        fields.append("institution")
    dcr.state, dcr.decided_at, dcr.error = State.APPROVED, now, ""
    dcr.save(update_fields=fields)


def on_rejected(request) -> None:
    dcr = _dcr_for(request, lock=True)
    if dcr is not None and dcr.state in OPEN_STATES:
        dcr.state, dcr.decided_at = State.REJECTED, timezone.now()
        dcr.save(update_fields=["state", "decided_at"])


def on_returned(request) -> None:
    dcr = _dcr_for(request, lock=True)
    if dcr is not None and dcr.state in OPEN_STATES:
        dcr.state = State.RETURNED
        dcr.save(update_fields=["state"])


def proposal_rows(dcr: ChangeRequest) -> list[dict]:
    """One row per proposed field: label, value before, proposed value and — for a
    correction — the record's value now, flagged when it changed since the request."""
    model = _model_for(dcr)
    record = dcr.hcp if model is Hcp else dcr.institution
    now_values = record_values(record) if dcr.kind == Kind.EDIT and record is not None else {}
    rows = []
    for field, value in dcr.proposed.items():
        if field == "day":
            continue
        if field == "status":
            label = _("Status")
            before, proposed = (str(Status(v).label) if v in Status.values else v
                                for v in (dcr.before.get(field), value))
            rows.append({"field": field, "label": label, "before": before, "proposed": proposed, "now": "",
                         "changed_since": False})
            continue
        before = dcr.before.get(field)
        now = now_values.get(field) if now_values else None
        rows.append({
            "field": field, "label": field_label(model, field),
            "before": display_value(model, field, before) if dcr.kind == Kind.EDIT else "",
            "proposed": display_value(model, field, value),
            "now": display_value(model, field, now) if now_values else "",
            "changed_since": bool(now_values) and now != before,
        })
    return rows


def describe(request) -> list[tuple[str, str]]:
    """The approval page's lines: what changes (field: before → after; the value now when
    the record changed since), the territory and day of an alignment, and the reason."""
    dcr = _dcr_for(request, lock=False)
    if dcr is None:
        return [(_("Reason"), request.payload.get("reason", ""))]
    lines: list[tuple[str, str]] = [(_("Change"), str(Kind(dcr.kind).label))]
    record = dcr.hcp or (dcr.institution if dcr.kind != Kind.NEW_HCP else None)
    if record is not None and dcr.kind in RECORD_KINDS:
        where = f" ({dcr.hcp.institution.name})" if dcr.hcp_id else f" ({record.city})"
        lines.append((_("Customer"), record.name + where))
    if dcr.kind == Kind.NEW_HCP and dcr.institution_id:
        lines.append((_("Institution"), dcr.institution.name))
    for row in proposal_rows(dcr):
        if dcr.kind in (Kind.EDIT, Kind.DEACTIVATE):
            value = f"{row['before']} → {row['proposed']}"
            if row["changed_since"]:
                value += "\n" + _("Changed since the request; now: %(value)s") % {"value": row["now"]}
        else:
            value = row["proposed"]
        lines.append((row["label"], value))
    if dcr.territory_id:
        lines.append((_("Territory"), dcr.territory.name))
        lines.append((_("Product line"), dcr.product_line.name))
        label = _("Out of the territory from") if dcr.kind == Kind.ALIGN_DROP else _("In the territory from")
        lines.append((label, _day_of(dcr).isoformat()))
    lines.append((_("Reason"), dcr.reason))
    if dcr.state == State.FAILED:
        lines.append((_("Could not be applied"), dcr.error))
    return lines


def object_url(request) -> str:
    if not request.object_code:
        return ""
    return reverse("customers:change_detail", kwargs={"code": request.object_code})


__all__ = [
    "KEY_ALIGN", "KEY_CHANGE", "change_submit", "changes_visible_to", "describe", "effective_state",
    "on_approved", "on_rejected", "on_returned", "proposal_rows", "requester_territories",
]

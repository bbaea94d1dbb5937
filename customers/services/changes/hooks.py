"""The approval engine's hooks: apply on approval (in a savepoint), reject, send back, describe."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services.notifications import notify

from ...models import Alignment, ChangeRequest, Hcp, Status
from .. import alignment as alignment_services
from .. import records
from .states import OPEN_STATES, RECORD_KINDS, Kind, State
from .submit import _existing_alignment
from .values import _model_for, _today, display_value, field_label, record_values

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

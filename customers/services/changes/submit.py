"""Submitting a change request through the approval engine."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, OrgNode
from accounts.visibility import TENANT_WIDE_ROLES

from ...models import Alignment, ChangeRequest, Hcp, Institution, Status
from ...validation import text
from .. import alignment as alignment_services
from .states import ALIGN_KINDS, RECORD_KINDS, Kind, request_type_for
from .values import _proposal_for_edit, _proposal_for_new, _reason, _today, _visible, requester_territories

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



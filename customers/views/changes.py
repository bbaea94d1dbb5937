"""Data change request pages: propose a correction, a new HCP or institution, a
deactivation or an alignment change; "my change requests"; one request's page.

A proposal is for a customer the member sees (``visible_to``; anyone else, and another
tenant, gets 404). Each page is one service call (``customers.services.changes``); a
refused proposal shows the form again (status 400) with the reasons beside the fields and
everything typed kept.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms.org import add_service_errors
from accounts.models import OrgNode
from accounts.permissions import tenant_member_required
from products.models import ProductLine

from ..forms.changes import (
    INSTITUTION_CHOICES_MAX,
    AlignForm,
    DeactivateForm,
    HcpChangeForm,
    InstitutionChangeForm,
    NewHcpForm,
    NewInstitutionForm,
)
from ..models import ChangeRequest, CustomerKind, Hcp, Institution, Status
from ..services.changes import (
    change_submit,
    changes_visible_to,
    effective_state,
    proposal_rows,
    requester_territories,
    state_q,
)

Kind = ChangeRequest.Kind
PAGE_SIZE = 50
MODELS = {CustomerKind.HCP: Hcp, CustomerKind.INSTITUTION: Institution}


# --------------------------------------------------------------------------- helpers


def visible_record(request, model, code):
    """A live record of the tenant that the member sees, or 404."""
    qs = model.objects.visible_to(request.user).live()
    if model is Hcp:
        qs = qs.select_related("institution", "department")
    return get_object_or_404(qs, code=code)


def _record_for(request, kind: str, code):
    model = MODELS.get(kind)
    if model is None:
        raise Http404
    return visible_record(request, model, code)


def record_url(record) -> str:
    name = "customers:hcp_detail" if isinstance(record, Hcp) else "customers:institution_detail"
    return reverse(name, kwargs={"code": record.code})


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _resolve(form, field: str, qs, message: str):
    raw = (form.cleaned_data.get(field) or "").strip()
    if not raw:
        return None
    code = _uuid(raw)
    obj = qs.filter(code=code).first() if code else None
    if obj is None:
        form.add_error(field, message)
    return obj


def _targets(request):
    territories = list(requester_territories(request.membership))
    lines = list(ProductLine.objects.filter(is_active=True).order_by("name", "pk"))
    return territories, lines


def _target_initial(territories, lines) -> dict:
    """Preselect the member's territory and the product line when there is only one."""
    initial = {}
    if territories:
        initial["territory"] = str(territories[0].code)
    if len(lines) == 1:
        initial["product_line"] = str(lines[0].code)
    return initial


def _resolve_targets(form):
    territory = _resolve(form, "territory", OrgNode.objects.all(), _("Choose one of your territories."))
    line = _resolve(form, "product_line", ProductLine.objects.all(), _("Choose a product line."))
    return territory, line


def _submit(form, **kwargs):
    """Call the service; its errors go beside the fields. Returns the DCR or None.

    When the page already found an error (an unknown territory …) the service still runs,
    so every field's message shows at once, and its work is rolled back."""
    refused = bool(form.errors)
    try:
        with transaction.atomic():
            dcr = change_submit(**kwargs)
            if refused:
                transaction.set_rollback(True)
                return None
            return dcr
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            exc = ValidationError({f: e for f, e in exc.error_dict.items() if f not in form.errors})
        if not hasattr(exc, "error_dict") or exc.error_dict:
            add_service_errors(form, exc)
        return None


def _done(request, dcr: ChangeRequest):
    messages.success(request, _("Your change request was sent for approval."))
    return redirect("customers:change_detail", code=dcr.code)


def _page(request, form, *, title: str, record=None, intro: str = "", kind: str = ""):
    return render(request, "customers/quality/change_form.html", {
        "form": form, "title": title, "record": record, "record_url": record_url(record) if record else "",
        "intro": intro, "kind": kind,
    }, status=400 if form.is_bound else 200)


# --------------------------------------------------------------------------- proposals


@require_http_methods(["GET", "POST"])
@tenant_member_required
def change_hcp_edit(request, code):
    hcp = visible_record(request, Hcp, code)
    if request.method == "POST":
        form = HcpChangeForm(request.POST)
        if form.is_valid():
            dcr = _submit(form, requester=request.membership, kind=Kind.EDIT, record=hcp, data=form.proposal(),
                          reason=form.cleaned_data["reason"])
            if dcr:
                return _done(request, dcr)
    else:
        form = HcpChangeForm(initial=HcpChangeForm.initial_for(hcp))
    return _page(request, form, title=_("Propose a correction: %(name)s") % {"name": hcp.name}, record=hcp,
                 intro=_("Change what is wrong and say why; a data steward approves it before it is applied."))


@require_http_methods(["GET", "POST"])
@tenant_member_required
def change_institution_edit(request, code):
    institution = visible_record(request, Institution, code)
    if request.method == "POST":
        form = InstitutionChangeForm(request.POST)
        if form.is_valid():
            dcr = _submit(form, requester=request.membership, kind=Kind.EDIT, record=institution,
                          data=form.proposal(), reason=form.cleaned_data["reason"])
            if dcr:
                return _done(request, dcr)
    else:
        form = InstitutionChangeForm(initial=InstitutionChangeForm.initial_for(institution))
    return _page(request, form, title=_("Propose a correction: %(name)s") % {"name": institution.name},
                 record=institution,
                 intro=_("Change what is wrong and say why; a data steward approves it before it is applied."))


def _institution_choices(request, preset: Institution | None):
    qs = (Institution.objects.visible_to(request.user).filter(status=Status.ACTIVE)
          .order_by("name_pinyin", "pk")[:INSTITUTION_CHOICES_MAX])
    found = list(qs)
    if preset is not None and all(i.pk != preset.pk for i in found):
        found.insert(0, preset)
    return found


@require_http_methods(["GET", "POST"])
@tenant_member_required
def change_new_hcp(request):
    visible = Institution.objects.visible_to(request.user).filter(status=Status.ACTIVE)
    territories, lines = _targets(request)
    preset = None
    if request.method == "POST":
        form = NewHcpForm(request.POST)
        if form.is_valid():
            institution = _resolve(form, "institution", visible, _("Choose an active institution you can see."))
            if institution is None and "institution" not in form.errors:
                form.add_error("institution", _("Choose the institution."))
            preset = institution
            territory, line = _resolve_targets(form)
            dcr = _submit(form, requester=request.membership, kind=Kind.NEW_HCP, institution=institution,
                          data=form.proposal(), territory=territory, product_line=line, day=form.cleaned_data["day"],
                          reason=form.cleaned_data["reason"])
            if dcr:
                return _done(request, dcr)
    else:
        code = _uuid(request.GET.get("institution", ""))
        preset = visible.filter(code=code).first() if code else None
        initial = {"institution": str(preset.code) if preset else "", "day": request.tenant.today(),
                   **_target_initial(territories, lines)}
        form = NewHcpForm(initial=initial)
    form.set_institutions(_institution_choices(request, preset))
    form.set_targets(territories, lines, blank=True)
    return _page(request, form, title=_("Propose a new HCP"), record=preset,
                 intro=_("An HCP who is not in the system yet. Choose one of your territories to have them "
                         "aligned to it once approved."))


@require_http_methods(["GET", "POST"])
@tenant_member_required
def change_new_institution(request):
    territories, lines = _targets(request)
    if request.method == "POST":
        form = NewInstitutionForm(request.POST)
        if form.is_valid():
            territory, line = _resolve_targets(form)
            dcr = _submit(form, requester=request.membership, kind=Kind.NEW_INSTITUTION, data=form.proposal(),
                          territory=territory, product_line=line, day=form.cleaned_data["day"],
                          reason=form.cleaned_data["reason"])
            if dcr:
                return _done(request, dcr)
    else:
        initial = {"day": request.tenant.today(), "kind": "hospital", **_target_initial(territories, lines)}
        form = NewInstitutionForm(initial=initial)
    form.set_targets(territories, lines, blank=True)
    return _page(request, form, title=_("Propose a new institution"),
                 intro=_("An institution that is not in the system yet. Choose one of your territories to have it "
                         "aligned to it once approved."))


@require_http_methods(["GET", "POST"])
@tenant_member_required
def change_deactivate(request, kind, code):
    record = _record_for(request, kind, code)
    if request.method == "POST":
        form = DeactivateForm(request.POST)
        if form.is_valid():
            dcr = _submit(form, requester=request.membership, kind=Kind.DEACTIVATE, record=record,
                          reason=form.cleaned_data["reason"])
            if dcr:
                return _done(request, dcr)
    else:
        form = DeactivateForm()
    return _page(request, form, title=_("Propose to deactivate %(name)s") % {"name": record.name}, record=record,
                 intro=_("For a customer who retired, moved away or closed. Say why; a data steward decides."))


@require_http_methods(["GET", "POST"])
@tenant_member_required
def change_align(request, kind, code):
    record = _record_for(request, kind, code)
    territories, lines = _targets(request)
    if request.method == "POST":
        form = AlignForm(request.POST)
        if form.is_valid():
            territory, line = _resolve_targets(form)
            if territory is None and "territory" not in form.errors:
                form.add_error("territory", _("Choose a territory."))
            if line is None and "product_line" not in form.errors:
                form.add_error("product_line", _("Choose a product line."))
            action = Kind.ALIGN_ADD if form.cleaned_data["action"] == "add" else Kind.ALIGN_DROP
            dcr = _submit(form, requester=request.membership, kind=action, record=record, territory=territory,
                          product_line=line, day=form.cleaned_data["day"], reason=form.cleaned_data["reason"])
            if dcr:
                return _done(request, dcr)
    else:
        action = "drop" if request.GET.get("action") == "drop" else "add"
        form = AlignForm(initial={"action": action, "day": request.tenant.today(), **_target_initial(territories, lines)})
    form.set_targets(territories, lines, blank=len(territories) != 1)
    return _page(request, form, title=_("Ask to add or drop %(name)s") % {"name": record.name}, record=record,
                 intro=_("Your manager decides. Adding: the customer joins your territory from the day you give. "
                         "Dropping: they leave it that day."))


# --------------------------------------------------------------------------- lists and one request


def subject(dcr: ChangeRequest) -> tuple[str, str]:
    """(name, URL) of what the request is about; a record not made yet has no URL."""
    record = dcr.hcp if dcr.hcp_id else (dcr.institution if dcr.kind != Kind.NEW_HCP else None)
    if record is not None:
        return record.name, record_url(record)
    return dcr.proposed.get("name", "—"), ""


@require_GET
@tenant_member_required
def my_changes(request):
    """The member's change requests, newest first, with their state (a fixed number of
    queries whatever their number)."""
    state = request.GET.get("state", "")
    qs = ChangeRequest.objects.filter(requested_by=request.membership)
    if state in ChangeRequest.State.values:
        qs = qs.filter(state_q(state))
    else:
        state = ""
    qs = qs.select_related("hcp", "institution", "territory", "product_line", "approval").order_by("-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for dcr in page.object_list:
        dcr.subject_name, dcr.subject_url = subject(dcr)
        dcr.shown_state = ChangeRequest.State(effective_state(dcr))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "customers/quality/my_changes.html", {
        "page": page, "state": state, "states": ChangeRequest.State.choices, "query": query.urlencode(),
    })


@require_GET
@tenant_member_required
def change_detail(request, code):
    """One request: for its requester, the tenant-wide roles, the managers above the
    requester and whoever has a part in its approval; anyone else gets 404."""
    from approvals.selectors import requests_visible_to

    member = request.membership
    qs = changes_visible_to(member, request.tenant.today()).select_related(
        "hcp__institution", "hcp__department", "institution", "territory", "product_line", "approval",
        "requested_by__user")
    dcr = get_object_or_404(qs, code=code)
    dcr.subject_name, dcr.subject_url = subject(dcr)
    shown = ChangeRequest.State(effective_state(dcr))
    approval_visible = bool(dcr.approval_id) and requests_visible_to(member, request.tenant.today()).filter(
        pk=dcr.approval_id).exists()
    day = dcr.proposed.get("day")
    return render(request, "customers/quality/change_detail.html", {
        "dcr": dcr, "shown_state": shown, "rows": proposal_rows(dcr), "approval_visible": approval_visible,
        "is_edit": dcr.kind == Kind.EDIT, "day": dt.date.fromisoformat(day) if day else None,
        "is_requester": dcr.requested_by_id == member.pk,
    })

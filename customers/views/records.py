"""The customer page (R3, customer 360) of an HCP and of an institution, the master-data
forms (admins and data stewards; reps propose changes through change requests) and the
lifecycle move.

A record the user does not see, or of another tenant, is 404. Each page issues a fixed
number of queries: one per section, whatever the size of the history.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms.org import add_service_errors
from accounts.models import Role
from accounts.permissions import role_required, tenant_member_required

from .. import registry, selectors
from ..forms.records import HcpForm, InstitutionForm, StageForm
from ..models import Affiliation, Hcp, Institution, KolLink, Status, SupplyRelation
from ..services import lifecycle, records
from ..timeline import timeline
from .lists import MASTER_ROLES, STAGE_ROLES

HCPS_ON_PAGE = 20


def _check_kind(kind: str) -> None:
    from django.http import Http404

    if kind not in ("hcp", "institution"):
        raise Http404


def _url_or_blank(name: str, **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _warn_duplicates(request, record) -> None:
    """Duplicate detection on create: the pairs found go to the stewards' queue; the person
    who created the record is told at once."""
    from ..services.duplicates import find_for

    pairs = find_for(record)
    if pairs:
        others = [b if a.pk == record.pk else a for a, b in (p.pair for p in pairs)]
        messages.warning(request, _("%(name)s may be a duplicate of: %(others)s. A data steward will review it.") % {
            "name": record.name, "others": "、".join(o.name for o in others[:5])})


def _common(request, record, kind: str) -> dict:
    from ..services.merge import merges_into

    membership = request.membership
    is_master = membership.has_role(*MASTER_ROLES)
    return {
        "merges": list(merges_into(record)) if is_master else [], "can_undo": is_master, "here": request.path,
        "record": record, "kind": kind,
        "alignments": selectors.current_alignments(record),
        "timeline": timeline(record, request.user, limit=40),
        "panels": registry.panels_for(record, request.user),
        "stage_form": StageForm(initial={"stage": record.stage}) if membership.has_role(*STAGE_ROLES) else None,
        "can_edit": is_master and record.status != Status.MERGED,
        "can_propose": not is_master and membership.has_role(Role.REP, Role.MANAGER) and record.status == Status.ACTIVE,
        "propose_url": _url_or_blank(f"customers:change_{kind}_edit", code=record.code),
        "align_url": _url_or_blank("customers:change_align", code=record.code),
    }


@tenant_member_required
def hcp_detail(request, code):
    hcp = selectors.hcp_for(request.user, code)
    affiliations = list(Affiliation.objects.filter(hcp=hcp).select_related("institution", "department")
                        .order_by("-start_date", "pk"))
    links = list(KolLink.objects.filter(Q(source=hcp) | Q(target=hcp)).select_related("source", "target")
                 .order_by("kind", "pk")[:50])
    return render(request, "customers/hcp_detail.html", {
        **_common(request, hcp, "hcp"), "affiliations": affiliations,
        "kol_kinds": KolLink.Kind.choices,
        "kol_links": [(link, link.target if link.source_id == hcp.pk else link.source, link.source_id == hcp.pk)
                      for link in links],
    })


def _graph(inst, suppliers, customers) -> dict:
    """Coordinates of a small left-to-right SVG: suppliers → institution → customers."""
    height = max(len(suppliers), len(customers), 1) * 48 + 24

    def column(items, x):
        step = height / (len(items) + 1) if items else 0
        return [{"x": x, "y": round(step * (i + 1)), "name": r.name, "code": r.code} for i, r in enumerate(items)]

    return {"height": height, "center": {"x": 300, "y": height // 2, "name": inst.name},
            "left": column(suppliers, 90), "right": column(customers, 510)}


@tenant_member_required
def institution_detail(request, code):
    inst = selectors.institution_for(request.user, code)
    today = request.tenant.today()
    supplied_by = list(SupplyRelation.objects.active_on(today).filter(customer=inst)
                       .select_related("supplier", "brand").order_by("supplier__name_pinyin")[:30])
    supplies = list(SupplyRelation.objects.active_on(today).filter(supplier=inst)
                    .select_related("customer", "brand").order_by("customer__name_pinyin")[:30])
    hcps_qs = Hcp.objects.live().filter(institution=inst).filter(
        selectors.customer_visible_q(Hcp, request.user))
    hcps = list(hcps_qs.select_related("department").order_by("name_pinyin", "id")[:HCPS_ON_PAGE])
    departments = list(inst.departments.annotate(n=Count("hcps", filter=~Q(hcps__status=Status.MERGED)))
                       .order_by("name"))
    suppliers = list({r.supplier_id: r.supplier for r in supplied_by}.values())[:8]
    customers = list({r.customer_id: r.customer for r in supplies}.values())[:8]
    return render(request, "customers/institution_detail.html", {
        **_common(request, inst, "institution"), "supplied_by": supplied_by, "supplies": supplies,
        "hcps": hcps, "hcp_count": hcps_qs.count() if len(hcps) >= HCPS_ON_PAGE else len(hcps),
        "departments": departments, "graph": _graph(inst, suppliers, customers),
        "brands": _brands() if request.membership.has_role(*MASTER_ROLES) else [],
    })


def _brands():
    from products.models import Brand

    return list(Brand.objects.filter(is_active=True).order_by("name").only("code", "name"))


# --------------------------------------------------------------------------- lifecycle


@require_POST
@role_required(*STAGE_ROLES)
def stage_change(request, kind: str, code):
    _check_kind(kind)
    record = selectors.hcp_for(request.user, code) if kind == "hcp" else selectors.institution_for(request.user, code)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            moved = lifecycle.stage_change(record=record, stage=form.cleaned_data["stage"],
                                           reason=form.cleaned_data["reason"], by=request.membership)
        except ValidationError as exc:
            for errors in exc.message_dict.values():
                for error in errors:
                    messages.error(request, error)
        else:
            if moved:
                record.refresh_from_db(fields=["stage"])
                messages.success(request, _("%(name)s is now at the stage %(stage)s.") % {
                    "name": record.name, "stage": record.get_stage_display()})
            else:
                messages.info(request, _("%(name)s is already at this stage.") % {"name": record.name})
    else:
        for field, errors in form.errors.items():
            for error in errors:
                messages.error(request, f"{form.fields[field].label}: {error}")
    return redirect(f"customers:{kind}_detail", code=record.code)


# --------------------------------------------------------------------------- master data forms


def _more_errors(form, cleaner) -> None:
    """When the form stops at a required field, still name every other wrong field at once."""
    if form.is_bound and form.errors:
        _values, errors = cleaner(form.data)
        for field, message in errors.items():
            if field in form.fields and field not in form.errors:
                form.add_error(field, message)


def _edit_page(request, *, template_kind: str, form, record, title: str):
    from ..validation import clean_institution

    _more_errors(form, clean_institution)
    return render(request, "customers/record_form.html", {"form": form, "record": record, "title": title,
                                                          "kind": template_kind})


@role_required(*MASTER_ROLES)
def institution_new(request):
    form = InstitutionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            inst = records.institution_create(data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": inst.name})
            _warn_duplicates(request, inst)
            return redirect("customers:institution_detail", code=inst.code)
    return _edit_page(request, template_kind="institution", form=form, record=None, title=_("New institution"))


@role_required(*MASTER_ROLES)
def institution_edit(request, code):
    inst = selectors.institution_for(request.user, code)
    if inst.status == Status.MERGED:
        raise PermissionDenied
    form = InstitutionForm(request.POST or None, initial=InstitutionForm.initial_for(inst))
    if request.method == "POST" and form.is_valid():
        try:
            changed = records.institution_update(institution=inst, data=form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is saved.") % {"name": inst.name} if changed else _("Nothing changed."))
            return redirect("customers:institution_detail", code=inst.code)
    return _edit_page(request, template_kind="institution", form=form, record=inst,
                      title=_("Edit %(name)s") % {"name": inst.name})


def _hcp_form_page(request, hcp):
    initial = HcpForm.initial_for(hcp) if hcp else {}
    form = HcpForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        institution, department = form.resolve(request.user)
        if institution is not None:
            try:
                if hcp is None:
                    hcp = records.hcp_create(data=form.cleaned_data, institution=institution, department=department)
                    _warn_duplicates(request, hcp)
                else:
                    records.hcp_update(hcp=hcp, data=form.cleaned_data, institution=institution,
                                       department=department or None)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s is saved.") % {"name": hcp.name})
                return redirect("customers:hcp_detail", code=hcp.code)
    from ..validation import clean_hcp

    _more_errors(form, clean_hcp)
    chosen = None
    code = form.data.get("institution") if form.is_bound else (hcp.institution.code if hcp else None)
    if code:
        chosen = Institution.objects.visible_to(request.user).filter(code=code).first() if form.is_bound else hcp.institution
    return render(request, "customers/record_form.html", {
        "form": form, "record": hcp, "kind": "hcp", "chosen_institution": chosen,
        "title": _("Edit %(name)s") % {"name": hcp.name} if hcp else _("New HCP")})


@role_required(*MASTER_ROLES)
def hcp_new(request):
    return _hcp_form_page(request, None)


@role_required(*MASTER_ROLES)
def hcp_edit(request, code):
    hcp = selectors.hcp_for(request.user, code)
    if hcp.status == Status.MERGED:
        raise PermissionDenied
    return _hcp_form_page(request, hcp)


@tenant_member_required
def institution_options(request):
    """``<option>``s of the visible institutions matching ``q`` (the HCP form's picker)."""
    q = (request.GET.get("institution_q") or request.GET.get("q") or "")[:100]
    found = selectors.search_institutions(request.user, q, limit=20) if q.strip() else []
    return render(request, "customers/includes/institution_options.html", {"institutions": found, "q": q})


@require_POST
@role_required(*MASTER_ROLES)
def record_status(request, kind: str, code):
    _check_kind(kind)
    record = selectors.hcp_for(request.user, code) if kind == "hcp" else selectors.institution_for(request.user, code)
    active = request.POST.get("active") == "1"
    try:
        records.record_set_active(record=record, active=active)
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, (_("%(name)s is active again.") if active else _("%(name)s is deactivated.")) % {
            "name": record.name})
    return redirect(f"customers:{kind}_detail", code=record.code)

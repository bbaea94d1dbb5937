"""Target lists: every member reads them (members filtered by what the reader sees);
analysts and admins create, change, freeze and delete any list, managers their own. Another
tenant's list code is 404.

The list page is one query for a page of lists; a list's page is the list, one capped page
of members and a count, whatever the number of members.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import role_required, tenant_member_required

from .. import selectors
from ..forms import TargetListForm
from ..services import (
    target_list_create,
    target_list_delete,
    target_list_freeze,
    target_list_unfreeze,
    target_list_update,
)

EDITORS = (Role.ANALYST, Role.ADMIN, Role.MANAGER)
PAGE_SIZE = 25
MEMBERS_PAGE_SIZE = 50


def can_manage(membership, tl=None) -> bool:
    if membership.has_role(Role.ANALYST, Role.ADMIN):
        return True
    return membership.has_role(Role.MANAGER) and (tl is None or tl.owner_id == membership.pk)


def _managed(request, code):
    tl = selectors.target_list_for(request.user, code)
    if not can_manage(request.membership, tl):
        raise PermissionDenied
    return tl


@tenant_member_required
def target_list_list(request):
    page = Paginator(selectors.target_lists_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "segmentation/lists.html", {
        "page": page, "lists": page.object_list, "can_create": can_manage(request.membership)})


@role_required(*EDITORS)
def target_list_new(request):
    if request.method == "POST":
        form = TargetListForm(request.POST)
        if form.is_valid():
            try:
                tl = target_list_create(name=form.cleaned_data["name"], kind=form.cleaned_data["kind"],
                                        description=form.cleaned_data["description"], filters=form.filters(),
                                        by=request.membership)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The target list %(name)s is saved.") % {"name": tl.name})
                return redirect("segmentation:target_list_detail", code=tl.code)
        return render(request, "segmentation/list_form.html", {"form": form}, status=400)
    return render(request, "segmentation/list_form.html", {"form": TargetListForm(initial={"kind": "hcp"})})


@role_required(*EDITORS)
def target_list_edit(request, code):
    tl = _managed(request, code)
    if request.method == "POST":
        form = TargetListForm(request.POST, initial={"kind": tl.kind}, kind_locked=True)
        if form.is_valid():
            try:
                tl = target_list_update(target_list=tl, name=form.cleaned_data["name"],
                                        description=form.cleaned_data["description"], filters=form.filters(),
                                        by=request.membership)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The target list %(name)s is saved.") % {"name": tl.name})
                return redirect("segmentation:target_list_detail", code=tl.code)
        return render(request, "segmentation/list_form.html", {"form": form, "tl": tl}, status=400)
    form = TargetListForm(initial=TargetListForm.initial_from(tl), kind_locked=True)
    return render(request, "segmentation/list_form.html", {"form": form, "tl": tl})


@tenant_member_required
def target_list_detail(request, code):
    tl = selectors.target_list_for(request.user, code)
    members = selectors.target_list_members(tl, request.user)
    if tl.kind == "hcp":
        members = members.select_related("institution")
    members = members.order_by("name_pinyin", "id")
    page = Paginator(members, MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "segmentation/list_detail.html", {
        "tl": tl, "page": page, "members": page.object_list, "can_manage": can_manage(request.membership, tl),
        "is_hcp": tl.kind == "hcp", "filters": _describe_filters(tl),
    })


def _describe_filters(tl) -> list[tuple[str, str]]:
    from customers.models import Grade, InstitutionKind, Specialty, Stage, Title
    from products.models import ProductLine

    f = tl.filters or {}
    labels = {"specialties": (_("Specialties"), Specialty), "titles": (_("Titles"), Title),
              "kinds": (_("Kinds"), InstitutionKind), "grades": (_("Grades"), Grade), "stages": (_("Stages"), Stage)}
    out = []
    if f.get("tiers"):
        line = ProductLine.objects.filter(code=f["product_line"]).first() if f.get("product_line") else None
        out.append((_("Tiers in %(line)s") % {"line": line.name if line else _("the primary product line")},
                    ", ".join(_("no tier") if t == "none" else t for t in f["tiers"])))
    for key, (label, choices) in labels.items():
        if f.get(key):
            out.append((label, ", ".join(str(dict(choices.choices).get(v, v)) for v in f[key])))
    for key, label in (("provinces", _("Provinces")), ("cities", _("Cities"))):
        if f.get(key):
            out.append((label, ", ".join(f[key])))
    for key, yes, no in (("kol", _("Only KOLs"), _("No KOLs")), ("target", _("Targets only"), _("Non-targets only"))):
        if key in f:
            out.append((_("KOL") if key == "kol" else _("Target"), yes if f[key] else no))
    return out


@require_POST
@role_required(*EDITORS)
def target_list_freeze_view(request, code):
    tl = _managed(request, code)
    if request.POST.get("unfreeze"):
        target_list_unfreeze(target_list=tl, by=request.membership)
        messages.success(request, _("The target list %(name)s is live again: it follows its filters.") % {"name": tl.name})
    else:
        tl = target_list_freeze(target_list=tl, by=request.membership)
        messages.success(request, _("The target list %(name)s is frozen with %(n)s members.") % {
            "name": tl.name, "n": tl.member_count})
    return redirect("segmentation:target_list_detail", code=tl.code)


@require_POST
@role_required(*EDITORS)
def target_list_delete_view(request, code):
    tl = _managed(request, code)
    target_list_delete(target_list=tl, by=request.membership)
    messages.success(request, _("The target list %(name)s is deleted.") % {"name": tl.name})
    return redirect("segmentation:target_list_list")



"""Adding and ending affiliations, KOL links and supply relations from the customer page
(admins and data stewards). Each is a small POST form; errors come back as messages
naming the field, and nothing is saved."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.permissions import role_required, tenant_member_required
from products.models import Brand

from .. import selectors
from ..models import Affiliation, Hcp, Institution, KolLink, SupplyRelation
from ..services import network
from .lists import MASTER_ROLES


class AffiliationForm(forms.Form):
    institution = forms.UUIDField(label=gettext_lazy("Institution"))
    role = forms.CharField(label=gettext_lazy("Role"), max_length=80, required=False)
    department = forms.CharField(label=gettext_lazy("Department"), max_length=120, required=False)
    start_date = forms.DateField(label=gettext_lazy("Start date"), required=False)


class KolLinkForm(forms.Form):
    target = forms.UUIDField(label=gettext_lazy("HCP"))
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=KolLink.Kind.choices)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class SupplyForm(forms.Form):
    supplier = forms.UUIDField(label=gettext_lazy("Supplier"))
    brand = forms.UUIDField(label=gettext_lazy("Product"), required=False)
    start_date = forms.DateField(label=gettext_lazy("Start date"), required=False)


def _errors(request, form=None, exc: ValidationError | None = None) -> None:
    if form is not None:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
    if exc is not None:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)


def _visible_institution(user, code):
    return Institution.objects.visible_to(user).live().filter(code=code).first()


@require_POST
@role_required(*MASTER_ROLES)
def affiliation_add(request, code):
    hcp = selectors.hcp_for(request.user, code)
    form = AffiliationForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
    else:
        d = form.cleaned_data
        inst = _visible_institution(request.user, d["institution"])
        try:
            if inst is None:
                raise ValidationError({"institution": _("Choose an institution from the list.")})
            network.affiliation_add(hcp=hcp, institution=inst, role=d["role"], department=d["department"],
                                    start_date=d["start_date"])
        except ValidationError as exc:
            _errors(request, exc=exc)
        else:
            messages.success(request, _("The affiliation is added."))
    return redirect("customers:hcp_detail", code=hcp.code)


@require_POST
@role_required(*MASTER_ROLES)
def kol_link_add(request, code):
    hcp = selectors.hcp_for(request.user, code)
    form = KolLinkForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
    else:
        d = form.cleaned_data
        target = Hcp.objects.visible_to(request.user).live().filter(code=d["target"]).first()
        try:
            if target is None:
                raise ValidationError({"target": _("Choose an HCP from the list.")})
            network.kol_link_add(source=hcp, target=target, kind=d["kind"], note=d["note"])
        except ValidationError as exc:
            _errors(request, exc=exc)
        else:
            messages.success(request, _("The link is added."))
    return redirect("customers:hcp_detail", code=hcp.code)


@require_POST
@role_required(*MASTER_ROLES)
def supply_add(request, code):
    customer = selectors.institution_for(request.user, code)
    form = SupplyForm(request.POST)
    if not form.is_valid():
        _errors(request, form)
    else:
        d = form.cleaned_data
        supplier = _visible_institution(request.user, d["supplier"])
        brand = Brand.objects.filter(code=d["brand"]).first() if d.get("brand") else None
        try:
            if supplier is None:
                raise ValidationError({"supplier": _("Choose an institution from the list.")})
            network.supply_relation_add(supplier=supplier, customer=customer, brand=brand, start_date=d["start_date"])
        except ValidationError as exc:
            _errors(request, exc=exc)
        else:
            messages.success(request, _("The supply relation is added."))
    return redirect("customers:institution_detail", code=customer.code)


RELATIONS = {"affiliation": Affiliation, "kol": KolLink, "supply": SupplyRelation}


@require_POST
@role_required(*MASTER_ROLES)
def relation_end(request, kind: str, code):
    model = RELATIONS.get(kind)
    if model is None:
        raise Http404
    relation = get_object_or_404(model, code=code)
    if kind == "kol":
        back = ("customers:hcp_detail", relation.source.code)
        relation.delete()
        messages.success(request, _("The link is removed."))
    else:
        back = (("customers:hcp_detail", relation.hcp.code) if kind == "affiliation"
                else ("customers:institution_detail", relation.customer.code))
        try:
            network.relation_end(relation=relation, end_date=request.tenant.today() - dt.timedelta(days=1)
                                 if relation.start_date is None or relation.start_date < request.tenant.today()
                                 else request.tenant.today())
        except ValidationError as exc:
            _errors(request, exc=exc)
        else:
            messages.success(request, _("The relation is ended; it stays in the history."))
    return redirect(back[0], code=back[1])


@tenant_member_required
def hcp_options(request):
    """``<option>``s of the visible HCPs matching ``q`` (pickers)."""
    q = (request.GET.get("hcp_q") or request.GET.get("q") or "")[:100]
    found = selectors.search_hcps(request.user, q, limit=20) if q.strip() else []
    return render(request, "customers/includes/hcp_options.html", {"hcps": found, "q": q})

"""Pins: the list of pinned tiers with unpin, and pinning from the customer page. Analysts
and admins only; a customer the user does not see, or of another tenant, is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import role_required
from customers import selectors as customer_selectors

from .. import selectors
from ..forms import PinForm, UnpinForm
from ..services import tier_pin, tier_unpin
from .rules import line_for

ROLES = (Role.ANALYST, Role.ADMIN)
PAGE_SIZE = 50


def customer_for(request, kind: str, code):
    if kind == "hcp":
        return customer_selectors.hcp_for(request.user, code)
    if kind == "institution":
        return customer_selectors.institution_for(request.user, code)
    raise Http404


def _back(request, kind, customer):
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect(f"customers:{kind}_detail", code=customer.code)


@role_required(*ROLES)
def pin_list(request):
    page = Paginator(selectors.pins(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "segmentation/pins.html", {"page": page, "pins": page.object_list})


@require_POST
@role_required(*ROLES)
def pin_add(request, kind, code):
    customer = customer_for(request, kind, code)
    form = PinForm(request.POST)
    if form.is_valid():
        try:
            tier_pin(customer=customer, tier=form.cleaned_data["tier"], reason=form.cleaned_data["reason"],
                     product_line=form.cleaned_data["product_line"], by=request.membership)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("The tier of %(name)s in %(line)s is pinned to %(tier)s.") % {
                "name": customer.name, "line": form.cleaned_data["product_line"].name, "tier": form.cleaned_data["tier"]})
    else:
        messages.error(request, " ".join(f"{form.fields[f].label}: {' '.join(e)}" if f in form.fields else " ".join(e)
                                         for f, e in form.errors.items()))
    return _back(request, kind, customer)


@require_POST
@role_required(*ROLES)
def pin_remove(request, kind, code, line_code):
    customer = customer_for(request, kind, code)
    line = line_for(line_code)
    form = UnpinForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        tier_unpin(customer=customer, product_line=line, reason=reason, by=request.membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The pin on %(name)s in %(line)s is removed: the computed tier applies again.")
                         % {"name": customer.name, "line": line.name})
    return _back(request, kind, customer)

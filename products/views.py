"""The catalogue page (every member) and the admin's create/edit pages.

Each change is one service call, then a redirect to the catalogue with a message, or the
page again with the reasons beside the fields. Objects are fetched in the current tenant
only, so another tenant's code is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.forms.org import add_service_errors
from accounts.models import Role
from accounts.permissions import role_required, tenant_member_required

from . import services
from .forms import BrandForm, ProductLineForm, SkuForm
from .models import Brand, ProductLine, Sku


def _can_write(request) -> bool:
    return request.membership.has_role(Role.ADMIN)


@tenant_member_required
def catalogue(request):
    """Lines → brands → SKUs: one query per level, whatever the size of the catalogue."""
    skus = Sku.objects.order_by("name", "strength", "pack", "pk")
    brands = Brand.objects.order_by("-is_active", "name", "pk").prefetch_related(Prefetch("skus", queryset=skus))
    lines = list(ProductLine.objects.order_by("-is_active", "name", "pk")
                 .prefetch_related(Prefetch("brands", queryset=brands)))
    sku_count = sum(len(b.skus.all()) for line in lines for b in line.brands.all())
    return render(request, "products/catalogue.html", {
        "lines": lines, "sku_count": sku_count, "can_write": _can_write(request),
    })


def _form_page(request, *, form, title: str, obj, kind: str):
    return render(request, "products/form.html", {"form": form, "title": title, "obj": obj, "kind": kind})


def _edit(request, *, form_class, obj, create, update, kind: str, title: str, saved_message: str):
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                saved = create(**form.cleaned_data) if obj is None else update(obj, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, saved_message % {"name": str(saved)})
                return redirect("products:catalogue")
    else:
        form = form_class(initial=form_class.initial_for(obj) if obj is not None else None)
    return _form_page(request, form=form, title=title, obj=obj, kind=kind)


# --------------------------------------------------------------------------- product lines


@role_required(Role.ADMIN)
def line_create(request):
    return _edit(request, form_class=ProductLineForm, obj=None, kind="line",
                 create=lambda **d: services.product_line_create(**d), update=None,
                 title=_("New product line"), saved_message=_("The product line %(name)s is saved."))


@role_required(Role.ADMIN)
def line_edit(request, code):
    line = get_object_or_404(ProductLine, code=code)
    return _edit(request, form_class=ProductLineForm, obj=line, kind="line", create=None,
                 update=lambda o, **d: services.product_line_update(line=o, **d),
                 title=_("Edit product line %(name)s") % {"name": line.name},
                 saved_message=_("The product line %(name)s is saved."))


# --------------------------------------------------------------------------- brands


@role_required(Role.ADMIN)
def brand_create(request):
    return _edit(request, form_class=BrandForm, obj=None, kind="brand",
                 create=lambda **d: services.brand_create(**d), update=None,
                 title=_("New brand"), saved_message=_("The brand %(name)s is saved."))


@role_required(Role.ADMIN)
def brand_edit(request, code):
    brand = get_object_or_404(Brand.objects.select_related("product_line"), code=code)
    return _edit(request, form_class=BrandForm, obj=brand, kind="brand", create=None,
                 update=lambda o, **d: services.brand_update(brand=o, **d),
                 title=_("Edit brand %(name)s") % {"name": brand.name},
                 saved_message=_("The brand %(name)s is saved."))


# --------------------------------------------------------------------------- SKUs


@role_required(Role.ADMIN)
def sku_create(request):
    return _edit(request, form_class=SkuForm, obj=None, kind="sku",
                 create=lambda **d: services.sku_create(**d), update=None,
                 title=_("New SKU"), saved_message=_("The SKU %(name)s is saved."))


@role_required(Role.ADMIN)
def sku_edit(request, code):
    sku = get_object_or_404(Sku.objects.select_related("brand"), code=code)
    return _edit(request, form_class=SkuForm, obj=sku, kind="sku", create=None,
                 update=lambda o, **d: services.sku_update(sku=o, **d),
                 title=_("Edit SKU %(name)s") % {"name": str(sku)},
                 saved_message=_("The SKU %(name)s is saved."))

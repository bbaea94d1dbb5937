"""Spend-control configuration pages (admins and finance): expense categories, per-HCP spend
caps and exchange rates. Each list page carries the form that adds one (a failed add
comes back with status 400 and what was typed); categories and caps have an edit page,
caps a deactivate button."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import role_required

from ..forms_control import CapForm, CategoryForm, RateForm, add_service_errors
from ..models import ExchangeRate, ExpenseCategory, SpendCap
from ..services.budgets import CONFIGURERS
from ..services.config import cap_create, cap_deactivate, cap_update, category_create, category_update, rate_add
from ..services.money import money

# --------------------------------------------------------------------------- categories


def _categories():
    return list(ExpenseCategory.objects.order_by("-is_active", "position", "name"))


@role_required(*CONFIGURERS)
def category_list(request):
    form = CategoryForm(initial={"is_active": True, "position": 0})
    status = 200
    if request.method == "POST":
        form = CategoryForm(request.POST)
        if form.is_valid():
            try:
                category = category_create(by=request.membership, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The category %(name)s is added.") % {"name": category.name})
                return redirect("expenses:category_list")
        status = 400
    return render(request, "expenses/category_list.html", {"categories": _categories(), "form": form}, status=status)


@role_required(*CONFIGURERS)
def category_edit(request, code):
    category = get_object_or_404(ExpenseCategory, code=code)
    if request.method == "POST":
        form = CategoryForm(request.POST)
        if form.is_valid():
            try:
                category = category_update(category=category, by=request.membership, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The category %(name)s is saved.") % {"name": category.name})
                return redirect("expenses:category_list")
        return render(request, "expenses/category_form.html", {"form": form, "category": category}, status=400)
    form = CategoryForm(initial={"name": category.name, "key": category.key, "needs_hcp": category.needs_hcp,
                                 "position": category.position, "is_active": category.is_active})
    return render(request, "expenses/category_form.html", {"form": form, "category": category})


# --------------------------------------------------------------------------- caps


def _cap_rows(currency):
    caps = SpendCap.objects.select_related("category").order_by("-is_active", "category__position", "category__name")
    return [(cap, money(cap.annual_limit, currency)) for cap in caps]


@role_required(*CONFIGURERS)
def cap_list(request):
    categories = list(ExpenseCategory.objects.filter(is_active=True))
    form = CapForm(initial={"warn_percent": 80, "is_hard": True}, categories=categories)
    status = 200
    if request.method == "POST":
        form = CapForm(request.POST, categories=categories)
        if form.is_valid():
            try:
                cap_create(by=request.membership, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The cap is added."))
                return redirect("expenses:cap_list")
        status = 400
    currency = request.membership.tenant.currency
    return render(request, "expenses/cap_list.html", {"caps": _cap_rows(currency), "form": form,
                                                      "currency": currency}, status=status)


def _cap_for(code) -> SpendCap:
    return get_object_or_404(SpendCap.objects.select_related("category"), code=code)


@role_required(*CONFIGURERS)
def cap_edit(request, code):
    cap = _cap_for(code)
    if not cap.is_active:
        messages.info(request, _("This cap is no longer active: add a new one instead."))
        return redirect("expenses:cap_list")
    if request.method == "POST":
        form = CapForm(request.POST, editing=True)
        if form.is_valid():
            try:
                cap_update(cap=cap, by=request.membership, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The cap is saved."))
                return redirect("expenses:cap_list")
        return render(request, "expenses/cap_form.html", {"form": form, "cap": cap}, status=400)
    form = CapForm(initial={"annual_limit": f"{cap.annual_limit}", "warn_percent": cap.warn_percent,
                            "is_hard": cap.is_hard}, editing=True)
    return render(request, "expenses/cap_form.html", {"form": form, "cap": cap})


@require_POST
@role_required(*CONFIGURERS)
def cap_deactivate_view(request, code):
    cap = cap_deactivate(cap=_cap_for(code), by=request.membership)
    messages.success(request, _("The cap for %(category)s is deactivated.")
                     % {"category": cap.category.name if cap.category_id else _("all categories")})
    return redirect("expenses:cap_list")


# --------------------------------------------------------------------------- exchange rates


def _plain(rate) -> str:
    """7.10000000 → "7.1", 10.00000000 → "10"."""
    text = f"{rate:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@role_required(*CONFIGURERS)
def rate_list(request):
    today = request.membership.tenant.today()
    form = RateForm(initial={"valid_from": today})
    status = 200
    if request.method == "POST":
        form = RateForm(request.POST)
        if form.is_valid():
            try:
                rate = rate_add(by=request.membership, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The rate for %(currency)s is added.") % {"currency": rate.currency})
                return redirect("expenses:rate_list")
        status = 400
    rates = list(ExchangeRate.objects.order_by("currency", "-valid_from"))
    current: dict[str, int] = {}
    for r in rates:  # the rate in force today per currency: the latest that has started
        if r.valid_from <= today and r.currency not in current:
            current[r.currency] = r.pk
    return render(request, "expenses/rate_list.html",
                  {"rates": [(r, _plain(r.rate)) for r in rates], "current": set(current.values()), "form": form,
                   "currency": request.membership.tenant.currency, "today": today}, status=status)

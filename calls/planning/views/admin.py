"""Tenant admins: call frequency targets per product line and tier, cycles, the limits of
a cycle plan."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import role_required
from products.models import ProductLine

from ..forms import CycleForm, MonthsForm, SettingsForm
from ..models import TIERS, Cycle
from ..services import cycle_create, cycles_make_months, frequency_targets_set, settings_get, settings_update, targets_by_line

ADMIN = (Role.ADMIN,)


@role_required(*ADMIN)
def targets(request):
    lines = list(ProductLine.objects.filter(is_active=True).order_by("name"))
    status, error_line, errors = 200, None, []
    if request.method == "POST":
        line = next((pl for pl in lines if str(pl.code) == request.POST.get("product_line")), None)
        try:
            frequency_targets_set(product_line=line, calls={t: request.POST.get(f"tier_{t}", "") for t in TIERS},
                                  by=request.membership)
        except ValidationError as exc:
            status, error_line, errors = 400, line, exc.messages
        else:
            messages.success(request, _("The call frequency targets of %(line)s are saved.") % {"line": line.name})
            return redirect("planning:targets")
    values = targets_by_line()
    rows = [{"line": pl, "cells": [(t, values.get(pl.pk, {}).get(t, "")) for t in TIERS],
             "errors": errors if error_line and error_line.pk == pl.pk else []} for pl in lines]
    return render(request, "planning/targets.html", {"rows": rows, "tiers": TIERS, "errors": errors}, status=status)


@role_required(*ADMIN)
def settings_view(request):
    current = settings_get()
    if request.method == "POST":
        form = SettingsForm(request.POST, instance=settings_get())
        if form.is_valid():
            try:
                settings_update(by=request.membership, **{f: form.cleaned_data[f] for f in SettingsForm.Meta.fields})
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The planning limits are saved."))
                return redirect("planning:settings")
        return render(request, "planning/settings.html", {"form": form}, status=400)
    return render(request, "planning/settings.html", {"form": SettingsForm(instance=current)})


@role_required(*ADMIN)
def cycles(request):
    form, months = CycleForm(prefix="cycle"), MonthsForm(prefix="months", initial={"year": request.tenant.today().year})
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "months":
            months = MonthsForm(request.POST, prefix="months")
            if months.is_valid():
                try:
                    n = cycles_make_months(year=months.cleaned_data["year"], by=request.membership)
                except ValidationError as exc:
                    months.add_service_error(exc)
                else:
                    messages.success(request, _("%(n)s monthly cycles made.") % {"n": n})
                    return redirect("planning:cycles")
        else:
            form = CycleForm(request.POST, prefix="cycle")
            if form.is_valid():
                try:
                    cycle = cycle_create(by=request.membership, **form.cleaned_data)
                except ValidationError as exc:
                    form.add_service_error(exc)
                else:
                    messages.success(request, _("The cycle %(name)s is saved.") % {"name": cycle.name})
                    return redirect("planning:cycles")
        status = 400
    return render(request, "planning/cycles.html", {
        "cycles": Cycle.objects.order_by("-start_date")[:60], "form": form, "months": months}, status=status)

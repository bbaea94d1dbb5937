"""Rules: the list per product line and kind (tier counts, last run, recompute now), the
editor of one rule (matrix or weighted score) with its htmx preview, and the tenant's
settings. Analysts and admins only; another tenant's product line code is 404.

The rules page costs a fixed number of queries whatever the number of product lines: the
lines, the rules, one GROUP BY for every line's tier counts and one ``DISTINCT ON`` for the
last run of each line.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms.org import add_service_errors
from accounts.models import Role
from accounts.permissions import role_required
from products.models import ProductLine

from .. import selectors
from ..definition import describe
from ..forms import RuleForm, SettingsForm, add_path_errors
from ..models import Purpose
from ..services import rule_preview, rule_save, settings_get, settings_update

ROLES = (Role.ANALYST, Role.ADMIN)
KINDS = ("hcp", "institution")
TIERS = ("A", "B", "C", "D")
#: What a new rule's editor starts with (the demo's HCP rule shape, built-in measures only).
NEW_RULE = {
    "hcp": {"method": "matrix", "potential_measure": "hcp.potential", "potential_by": "percentile",
            "potential_thresholds": "50, 80", "adoption_measure": "hcp.stage_rank", "adoption_by": "value",
            "adoption_thresholds": "3", "normalise": "percent_rank", "cut": "share", "is_active": True,
            "grid_cells": [["D", "C"], ["C", "B"], ["B", "A"]]},
    "institution": {"method": "matrix", "potential_measure": "institution.grade_rank", "potential_by": "value",
                    "potential_thresholds": "5, 7", "adoption_measure": "institution.potential",
                    "adoption_by": "percentile", "adoption_thresholds": "50", "normalise": "percent_rank",
                    "cut": "share", "is_active": True, "grid_cells": [["D", "C"], ["C", "B"], ["B", "A"]]},
}


def line_for(code) -> ProductLine:
    return get_object_or_404(ProductLine, code=code)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise Http404


@role_required(*ROLES)
def rule_list(request):
    lines = list(ProductLine.objects.filter(is_active=True).order_by("name", "id"))
    all_rules = list(selectors.rules())
    by_key = {(r.purpose, r.product_line_id, r.kind): r for r in all_rules}
    counts = selectors.tier_counts_by_line()
    last = selectors.last_runs_by_line()
    rows = []
    for line in lines:
        kinds = []
        for kind in KINDS:
            rule = by_key.get((Purpose.TIER, line.pk, kind))
            c = counts.get((line.pk, kind)) or dict.fromkeys(TIERS, 0)
            kinds.append({"kind": kind, "rule": rule, "summary": describe(rule.definition) if rule else "",
                          "counts": [(t, c.get(t, 0)) for t in TIERS], "total": sum(c.get(t, 0) for t in TIERS)})
        rows.append({"line": line, "kinds": kinds, "last_run": last.get(line.pk),
                     "can_run": any(k["rule"] and k["rule"].is_active for k in kinds)})
    others = [r for r in all_rules if r.purpose != Purpose.TIER]
    return render(request, "segmentation/rules.html", {
        "rows": rows, "others": others, "settings": settings_get(), "last_channel": last.get(None),
        "kind_labels": {"hcp": _("HCPs"), "institution": _("Institutions")},
    })


def _editor_context(request, line, kind, form, rule) -> dict:
    return {"line": line, "kind": kind, "form": form, "rule": rule,
            "kind_label": _("HCPs") if kind == "hcp" else _("Institutions"),
            "weights_total": settings_get().weights_total}


@role_required(*ROLES)
def rule_edit(request, line_code, kind):
    _check_kind(kind)
    line = line_for(line_code)
    rule = selectors.rule_of(kind=kind, product_line=line)
    if request.method == "POST":
        form = RuleForm(request.POST, kind=kind)
        if request.POST.get("action") == "resize":  # the thresholds changed: redraw the grid
            return render(request, "segmentation/rule_edit.html", _editor_context(request, line, kind, form, rule))
        if form.is_valid():
            try:
                saved = rule_save(kind=kind, product_line=line, definition=form.definition(), by=request.membership,
                                  name=form.cleaned_data["name"], is_active=form.cleaned_data["is_active"])
            except ValidationError as exc:
                add_path_errors(form, exc)
            else:
                messages.success(request, _("The rule for %(kind)s of %(line)s is saved (version %(v)s). "
                                            "Recompute now to apply it, or wait for tonight's run.") % {
                    "kind": _("HCPs") if kind == "hcp" else _("institutions"), "line": line.name, "v": saved.version})
                return redirect("segmentation:rule_list")
        return render(request, "segmentation/rule_edit.html", _editor_context(request, line, kind, form, rule),
                      status=400)
    if rule is not None:
        form = RuleForm(kind=kind, rule=rule)
    else:
        form = RuleForm(kind=kind, initial={**NEW_RULE[kind], "name": f"{line.name} · "
                                            + (_("HCPs") if kind == "hcp" else _("Institutions"))})
    return render(request, "segmentation/rule_edit.html", _editor_context(request, line, kind, form, rule))


@require_POST
@role_required(*ROLES)
def rule_preview_view(request, line_code, kind):
    """The htmx partial under the editor: customers per tier after the change vs today, how
    many change, and the before → after moves; errors as the save would give them."""
    _check_kind(kind)
    line = line_for(line_code)
    form = RuleForm(request.POST, kind=kind)
    preview = None
    if form.is_valid():
        try:
            preview = rule_preview(kind=kind, product_line=line, definition=form.definition())
        except ValidationError as exc:
            add_path_errors(form, exc)
    context = {"form": form, "preview": preview}
    if preview is not None:
        labels = [*TIERS, ""]
        context["tiers"] = [{"tier": t, "before": preview.before.get(t, 0), "after": preview.after.get(t, 0),
                             "delta": preview.after.get(t, 0) - preview.before.get(t, 0)} for t in labels]
        context["moves"] = [{"from": a, "cells": [preview.moves.get((a, b), 0) if a != b else None for b in labels]}
                            for a in labels if any(preview.moves.get((a, b)) for b in labels)]
        context["labels"] = labels
    return render(request, "segmentation/_preview.html", context)


@role_required(*ROLES)
def settings_view(request):
    current = settings_get()
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                settings_update(primary_product_line=form.cleaned_data["primary_product_line"],
                                weights_total=form.cleaned_data["weights_total"], by=request.membership)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The segmentation settings are saved."))
                return redirect("segmentation:rule_list")
        return render(request, "segmentation/settings.html", {"form": form}, status=400)
    form = SettingsForm(initial={"primary_product_line": current.primary_product_line,
                                 "weights_total": "" if current.weights_total is None else current.weights_total})
    return render(request, "segmentation/settings.html", {"form": form})

"""Forms of the segmentation pages. They turn plain fields into what the services take (a
rule's definition dict, target-list filters) and put the services' ``ValidationError`` —
keyed by paths such as ``potential.thresholds``, ``grid``, ``weights`` — beside the field
that caused it. No business rule lives here: ``definition.validate_definition`` and the
services decide.

The rule editor has one set of fields per axis (measure, how to cut, the cut values typed
as "50, 80, 95"), a grid of A–D selects sized by the number of bands (one cell per
potential band × adoption band), and for a score one weight per measure (blank = unused),
the normalisation, how to cut and the three cut-offs.
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import Grade, InstitutionKind, Specialty, Stage, Title
from products.models import ProductLine

from .definition import MAX_THRESHOLDS, TIERS
from .selectors import measures_for

SPLIT = re.compile(r"[,，;；\s]+")
GRID_CHOICES = [("", "—"), *[(t, t) for t in TIERS]]


def split_values(raw: str) -> list[str]:
    return [v for v in SPLIT.split(raw or "") if v]


def bands_of(raw: str) -> int:
    """How many bands the typed thresholds make (at least 1, at most MAX_THRESHOLDS + 1)."""
    return max(1, min(MAX_THRESHOLDS, len(split_values(raw))) + 1) if split_values(raw) else 1


def _join(values) -> str:
    return ", ".join(str(v) for v in values or [])


def field_for_path(path: str, form: forms.Form) -> str | None:
    """The form field an engine error path belongs to (``potential.thresholds`` →
    ``potential_thresholds``; ``population.kinds`` → ``population_kinds``), else None."""
    name = path.replace(".", "_")
    if name in form.fields:
        return name
    head = path.split(".")[0]
    return head if head in form.fields else None


def add_path_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for path, errors in exc.error_dict.items():
            form.add_error(field_for_path(path, form), errors)
    else:
        form.add_error(None, exc.messages)


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, required=False)
    is_active = forms.BooleanField(label=_("Active (recomputed every night)"), required=False, initial=True)
    method = forms.ChoiceField(label=_("Method"), choices=[("matrix", _("Potential × adoption matrix")),
                                                           ("score", _("Weighted score"))],
                               widget=forms.RadioSelect)
    # --- matrix
    potential_measure = forms.ChoiceField(label=_("Potential: measure"), required=False)
    potential_by = forms.ChoiceField(label=_("Potential: cut by"), required=False,
                                     choices=[("value", _("Value thresholds")), ("percentile", _("Percentiles (0–100)"))])
    potential_thresholds = forms.CharField(label=_("Potential: thresholds"), required=False, max_length=200,
                                           help_text=_("Ascending, separated by commas, e.g. 50, 80, 95."))
    adoption_measure = forms.ChoiceField(label=_("Adoption: measure"), required=False)
    adoption_by = forms.ChoiceField(label=_("Adoption: cut by"), required=False,
                                    choices=[("value", _("Value thresholds")), ("percentile", _("Percentiles (0–100)"))])
    adoption_thresholds = forms.CharField(label=_("Adoption: thresholds"), required=False, max_length=200,
                                          help_text=_("Ascending, separated by commas, e.g. 2, 3, 4."))
    # --- score
    normalise = forms.ChoiceField(label=_("Normalise each measure by"), required=False,
                                  choices=[("percent_rank", _("Percent rank (robust to outliers and units)")),
                                           ("min_max", _("Min–max"))])
    cut = forms.ChoiceField(label=_("Cut tiers by"), required=False,
                            choices=[("share", _("Share of customers (top x %)")), ("score", _("Score (0–100)"))])
    cutoff_A = forms.CharField(label=_("A"), required=False, max_length=12)
    cutoff_B = forms.CharField(label=_("B"), required=False, max_length=12)
    cutoff_C = forms.CharField(label=_("C"), required=False, max_length=12)
    # --- population
    population_aligned_only = forms.BooleanField(label=_("Only customers aligned to this product line"), required=False)
    # Anchors for errors about a group of fields (rendered beside the group).
    grid = forms.CharField(required=False, widget=forms.HiddenInput)
    weights = forms.CharField(required=False, widget=forms.HiddenInput)
    cutoffs = forms.CharField(required=False, widget=forms.HiddenInput)
    population = forms.CharField(required=False, widget=forms.HiddenInput)
    potential = forms.CharField(required=False, widget=forms.HiddenInput)
    adoption = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, kind: str, rule=None, **kwargs):
        self.kind = kind
        if rule is not None and not args and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(rule)
        super().__init__(*args, **kwargs)
        self.measures = measures_for(kind)
        choices = [("", _("Choose a measure")), *[(m.key, str(m.label)) for m in self.measures]]
        self.fields["potential_measure"].choices = choices
        self.fields["adoption_measure"].choices = choices
        for m in self.measures:
            self.fields[f"weight_{m.key}"] = forms.CharField(label=str(m.label), required=False, max_length=12)
        if kind == "hcp":
            self.fields["population_specialties"] = forms.MultipleChoiceField(
                label=_("Only these specialties"), required=False, choices=Specialty.choices,
                widget=forms.SelectMultiple(attrs={"size": 4}))
        else:
            self.fields["population_kinds"] = forms.MultipleChoiceField(
                label=_("Only these kinds of institution"), required=False, choices=InstitutionKind.choices,
                widget=forms.SelectMultiple(attrs={"size": 4}))
        self.rows = bands_of(self._value("potential_thresholds"))
        self.cols = bands_of(self._value("adoption_thresholds"))
        grid = self.initial.get("grid_cells") or []
        for i in range(self.rows):
            for j in range(self.cols):
                initial = grid[i][j] if i < len(grid) and j < len(grid[i]) else ""
                self.fields[f"grid_{i}_{j}"] = forms.ChoiceField(
                    label=_("Potential band %(row)s × adoption band %(col)s") % {"row": i + 1, "col": j + 1},
                    choices=GRID_CHOICES, required=False, initial=initial)

    def _value(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(name, "")
        return str(self.initial.get(name, ""))

    @staticmethod
    def initial_from(rule) -> dict:
        d = rule.definition or {}
        out = {"name": rule.name, "is_active": rule.is_active, "method": d.get("method", "matrix")}
        for axis in ("potential", "adoption"):
            a = d.get(axis) or {}
            out[f"{axis}_measure"] = a.get("measure", "")
            out[f"{axis}_by"] = a.get("by", "value")
            out[f"{axis}_thresholds"] = _join(a.get("thresholds"))
        out["grid_cells"] = d.get("grid") or []
        out["normalise"] = d.get("normalise", "percent_rank")
        out["cut"] = d.get("cut", "share")
        for tier in TIERS[:3]:
            out[f"cutoff_{tier}"] = (d.get("cutoffs") or {}).get(tier, "")
        for key, weight in (d.get("weights") or {}).items():
            out[f"weight_{key}"] = weight
        pop = d.get("population") or {}
        out["population_aligned_only"] = bool(pop.get("aligned_only"))
        out["population_specialties"] = pop.get("specialties") or []
        out["population_kinds"] = pop.get("kinds") or []
        return out

    # ---------------------------------------------------------------- for the template

    def grid_rows(self) -> list[dict]:
        """Highest potential band first (as a matrix is read), each with its cells."""
        rows = []
        for i in reversed(range(self.rows)):
            rows.append({"band": i + 1, "cells": [self[f"grid_{i}_{j}"] for j in range(self.cols)]})
        return rows

    def adoption_bands(self) -> list[int]:
        return list(range(1, self.cols + 1))

    def weight_fields(self) -> list:
        return [self[f"weight_{m.key}"] for m in self.measures]

    def population_field(self):
        return self["population_specialties"] if self.kind == "hcp" else self["population_kinds"]

    # ---------------------------------------------------------------- to the engine

    def definition(self) -> dict:
        """The engine's definition dict, from ``cleaned_data`` (values kept as typed: the
        engine checks and normalises them)."""
        data = self.cleaned_data
        population: dict = {}
        if data.get("population_aligned_only"):
            population["aligned_only"] = True
        if data.get("population_specialties"):
            population["specialties"] = data["population_specialties"]
        if data.get("population_kinds"):
            population["kinds"] = data["population_kinds"]
        if data["method"] == "matrix":
            out = {"method": "matrix",
                   "grid": [[data.get(f"grid_{i}_{j}") or "" for j in range(self.cols)] for i in range(self.rows)]}
            for axis in ("potential", "adoption"):
                out[axis] = {"measure": data.get(f"{axis}_measure") or "", "by": data.get(f"{axis}_by") or "value",
                             "thresholds": split_values(data.get(f"{axis}_thresholds") or "")}
        else:
            weights = {}
            for m in self.measures:
                raw = (data.get(f"weight_{m.key}") or "").strip()
                if raw:
                    weights[m.key] = raw
            out = {"method": "score", "normalise": data.get("normalise") or "percent_rank",
                   "cut": data.get("cut") or "share", "weights": weights,
                   "cutoffs": {t: (data.get(f"cutoff_{t}") or "").strip() for t in TIERS[:3]}}
        if population:
            out["population"] = population
        return out


class SettingsForm(forms.Form):
    primary_product_line = forms.ModelChoiceField(
        label=_("Primary product line"), queryset=None, to_field_name="code", required=False,
        empty_label=_("None"),
        help_text=_("The tier of this product line is the customer's tier in the customer lists."))
    weights_total = forms.CharField(
        label=_("Score weights must add up to"), required=False, max_length=6,
        help_text=_("Leave empty to accept any positive total."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["primary_product_line"].queryset = ProductLine.objects.filter(is_active=True).order_by("name")


class PinForm(forms.Form):
    product_line = forms.ModelChoiceField(label=_("Product line"), queryset=None, to_field_name="code",
                                          empty_label=_("Choose a product line"))
    tier = forms.ChoiceField(label=_("Tier"), choices=[(t, t) for t in TIERS])
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].queryset = ProductLine.objects.filter(is_active=True).order_by("name")


class UnpinForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)


class TargetListForm(forms.Form):
    """A list's name and filters as plain fields; ``filters()`` gives the service's dict."""

    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), max_length=500, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("Customers"), choices=[("hcp", _("HCPs")), ("institution", _("Institutions"))])
    product_line = forms.ModelChoiceField(label=_("Tier of product line"), queryset=None, to_field_name="code",
                                          required=False, empty_label=_("Primary product line"))
    tiers = forms.MultipleChoiceField(label=_("Tiers"), required=False,
                                      choices=[*[(t, t) for t in TIERS], ("none", _("No tier"))],
                                      widget=forms.CheckboxSelectMultiple)
    specialties = forms.MultipleChoiceField(label=_("Specialties (HCPs)"), required=False, choices=Specialty.choices,
                                            widget=forms.SelectMultiple(attrs={"size": 4}))
    titles = forms.MultipleChoiceField(label=_("Titles (HCPs)"), required=False, choices=Title.choices,
                                       widget=forms.SelectMultiple(attrs={"size": 4}))
    kinds = forms.MultipleChoiceField(label=_("Kinds (institutions)"), required=False, choices=InstitutionKind.choices,
                                      widget=forms.SelectMultiple(attrs={"size": 4}))
    grades = forms.MultipleChoiceField(label=_("Grades (institutions)"), required=False, choices=Grade.choices,
                                       widget=forms.SelectMultiple(attrs={"size": 4}))
    stages = forms.MultipleChoiceField(label=_("Lifecycle stages"), required=False, choices=Stage.choices,
                                       widget=forms.SelectMultiple(attrs={"size": 4}))
    provinces = forms.CharField(label=_("Provinces"), required=False, max_length=500,
                                help_text=_("Separated by commas."))
    cities = forms.CharField(label=_("Cities"), required=False, max_length=500, help_text=_("Separated by commas."))
    kol = forms.ChoiceField(label=_("Key opinion leaders (HCPs)"), required=False,
                            choices=[("", _("Any")), ("1", _("Only KOLs")), ("0", _("No KOLs"))])
    target = forms.ChoiceField(label=_("Target flag (HCPs)"), required=False,
                               choices=[("", _("Any")), ("1", _("Targets only")), ("0", _("Non-targets only"))])
    filters_error = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, kind_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].queryset = ProductLine.objects.filter(is_active=True).order_by("name")
        if kind_locked:
            self.fields["kind"].disabled = True

    @staticmethod
    def initial_from(tl) -> dict:
        f = tl.filters or {}
        line = None
        if f.get("product_line"):
            line = ProductLine.objects.filter(code=f["product_line"]).first()
        return {"name": tl.name, "description": tl.description, "kind": tl.kind, "product_line": line,
                "tiers": f.get("tiers", []), "specialties": f.get("specialties", []), "titles": f.get("titles", []),
                "kinds": f.get("kinds", []), "grades": f.get("grades", []), "stages": f.get("stages", []),
                "provinces": _join(f.get("provinces")), "cities": _join(f.get("cities")),
                "kol": "" if "kol" not in f else ("1" if f["kol"] else "0"),
                "target": "" if "target" not in f else ("1" if f["target"] else "0")}

    def filters(self) -> dict:
        d = self.cleaned_data
        kind = d["kind"]
        out: dict = {"tiers": d.get("tiers") or [], "stages": d.get("stages") or [],
                     "provinces": split_values(d.get("provinces") or ""), "cities": split_values(d.get("cities") or "")}
        if d.get("product_line"):
            out["product_line"] = str(d["product_line"].code)
        if kind == "hcp":
            out.update(specialties=d.get("specialties") or [], titles=d.get("titles") or [])
            for key in ("kol", "target"):
                if d.get(key) in ("0", "1"):
                    out[key] = d[key] == "1"
        else:
            out.update(kinds=d.get("kinds") or [], grades=d.get("grades") or [])
        return out

    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for path, errors in exc.error_dict.items():
                name = path.removeprefix("filters.")
                self.add_error(name if name in self.fields else ("filters_error" if path.startswith("filters")
                                                                 else None), errors)
        else:
            self.add_error(None, exc.messages)

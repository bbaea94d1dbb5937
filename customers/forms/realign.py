"""Forms of the realignment pages: one per method, sharing the batch fields (name, product
line, effective date). They parse what was typed; ``customers.services.realignment`` decides."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms.org import DateInput
from accounts.models import OrgNode
from products.models import ProductLine

from ..models import Grade, InstitutionKind, RealignmentBatch, Specialty, Tier
from ..services.realignment import MAX_CODES, MAX_FILE_BYTES

Method = RealignmentBatch.Method


class TerritoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.external_code})" if obj.external_code else obj.name


def territory_queryset():
    return OrgNode.objects.filter(kind=OrgNode.Kind.TERRITORY, retired_on__isnull=True).order_by("path")


class BatchForm(forms.Form):
    """What every method asks: the batch's name, product line and effective date."""

    method = forms.ChoiceField(choices=Method.choices, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=120, required=False,
                           help_text=_("Leave empty for a name made of the product line and the date."))
    product_line = forms.ModelChoiceField(label=_("Product line"), queryset=None, to_field_name="code",
                                          empty_label=_("Choose a product line"))
    effective_date = forms.DateField(label=_("Effective date"), widget=DateInput(),
                                     help_text=_("Today or later. Until then everyone keeps their customers."))

    #: Form fields that go to the service as they are (besides name, product line, date).
    service_fields: tuple[str, ...] = ()

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].queryset = ProductLine.objects.filter(is_active=True).order_by("name")
        if "territory" in self.fields:
            self.fields["territory"].queryset = territory_queryset()
        if today is not None and not self.is_bound:
            self.initial.setdefault("effective_date", today)
        self.initial.setdefault("method", self.method_value)

    method_value = ""

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kw = {"name": data.get("name", ""), "product_line": data["product_line"],
              "effective_date": data["effective_date"]}
        kw.update({f: data.get(f) for f in self.service_fields})
        return kw


def _territory_field():
    return TerritoryField(label=_("Move to territory"), queryset=None, to_field_name="code",
                          empty_label=_("Choose a territory"))


class GeographyForm(BatchForm):
    method_value = Method.GEOGRAPHY
    province = forms.CharField(label=_("Province"), max_length=40,
                               widget=forms.TextInput(attrs={"list": "provinces", "autocomplete": "off"}))
    city = forms.CharField(label=_("City"), max_length=60, required=False,
                           help_text=_("Leave empty for the whole province."))
    district = forms.CharField(label=_("District"), max_length=60, required=False)
    territory = _territory_field()
    service_fields = ("province", "city", "district", "territory")


class InstitutionForm(BatchForm):
    method_value = Method.INSTITUTION
    institutions = forms.CharField(
        label=_("Institutions"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("External codes (or codes) of the institutions, separated by spaces, commas or new lines. "
                    "Their HCPs move with them."))
    territory = _territory_field()
    service_fields = ("institutions", "territory")

    def clean_institutions(self):
        codes = [c for c in re.split(r"[\s,;，；、]+", self.cleaned_data["institutions"]) if c]
        if not codes:
            raise forms.ValidationError(_("Choose at least one institution."))
        if len(codes) > MAX_CODES:
            raise forms.ValidationError(_("Choose at most %(n)s institutions at once; use a file for more.") % {
                "n": MAX_CODES})
        return list(dict.fromkeys(codes))


class RuleForm(BatchForm):
    method_value = Method.RULE
    LEVELS = [("institution", _("Institutions (their HCPs without an alignment of their own follow them)")),
              ("hcp", _("HCPs"))]

    level = forms.ChoiceField(label=_("Move"), choices=LEVELS, initial="institution", widget=forms.RadioSelect)
    kinds = forms.MultipleChoiceField(label=_("Institution types"), choices=InstitutionKind.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    grades = forms.MultipleChoiceField(label=_("Grades"), choices=[c for c in Grade.choices if c[0]], required=False,
                                       widget=forms.CheckboxSelectMultiple)
    province = forms.CharField(label=_("Province"), max_length=40, required=False,
                               widget=forms.TextInput(attrs={"list": "provinces", "autocomplete": "off"}))
    city = forms.CharField(label=_("City"), max_length=60, required=False)
    specialties = forms.MultipleChoiceField(label=_("HCP specialties"), choices=Specialty.choices, required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text=_("Only when moving HCPs."))
    tiers = forms.MultipleChoiceField(label=_("Tiers"), choices=[c for c in Tier.choices if c[0]], required=False,
                                      widget=forms.CheckboxSelectMultiple,
                                      help_text=_("The tier of the institution, or of the HCP when moving HCPs."))
    territory = _territory_field()
    service_fields = ("level", "kinds", "grades", "province", "city", "specialties", "tiers", "territory")


class FileForm(BatchForm):
    method_value = Method.FILE
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: customer external code, kind (hcp or institution; may be left empty), territory "
                    "(external code or name), action (add, move or drop). UTF-8 or GB18030; a header row is "
                    "optional. A drop with no territory leaves every territory of the product line."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("The file is larger than %(mb)s MB: split it.") % {
                "mb": MAX_FILE_BYTES // (1024 * 1024)})
        return f

    def service_kwargs(self) -> dict:
        kw = super().service_kwargs()
        f = self.cleaned_data["file"]
        kw.update({"file": f, "filename": f.name})
        return kw


FORMS: dict[str, type[BatchForm]] = {
    Method.GEOGRAPHY: GeographyForm,
    Method.INSTITUTION: InstitutionForm,
    Method.RULE: RuleForm,
    Method.FILE: FileForm,
}


class MethodForm(forms.Form):
    """The method picker at the top of the page (a GET form; the page shows that method's form)."""

    method = forms.ChoiceField(label=_("How to choose the customers"), choices=Method.choices,
                               widget=forms.Select(attrs={"data-autosubmit": "1"}))

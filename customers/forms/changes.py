"""Forms of the data change requests: propose a correction, a new HCP or institution, a
deactivation, an alignment change. Every field is optional here: the service checks the
values (``customers.validation``) and its messages are shown beside the fields, with
what was typed kept."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from ..models import Gender, Grade, Hcp, Institution, InstitutionKind, Ownership, Specialty, Title

BLANK = [("", "—")]
INSTITUTION_CHOICES_MAX = 300


def _label(model, field: str):
    return capfirst(model._meta.get_field(field).verbose_name)


def _text(model, field: str, max_length: int, **kw):
    return forms.CharField(label=_label(model, field), required=False, max_length=max_length, **kw)


def _choice(model, field: str, choices, blank: bool = True):
    values = list(choices)
    if blank and not any(v == "" for v, _l in values):
        values = BLANK + values
    return forms.ChoiceField(label=_label(model, field), required=False, choices=values)


class ReasonField(forms.CharField):
    def __init__(self, **kw):
        super().__init__(label=_("Why?"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
                         help_text=_("The data steward (or your manager) reads this."), **kw)


class HcpChangeForm(forms.Form):
    name = _text(Hcp, "name", 200)
    gender = _choice(Hcp, "gender", Gender.choices)
    title = _choice(Hcp, "title", Title.choices)
    specialty = _choice(Hcp, "specialty", Specialty.choices)
    department = forms.CharField(label=_label(Hcp, "department"), required=False, max_length=120,
                                 help_text=_("The department's name, e.g. 心内科."))
    phone = _text(Hcp, "phone", 20, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    email = _text(Hcp, "email", 254, widget=forms.TextInput(attrs={"inputmode": "email", "autocomplete": "off"}))
    is_kol = forms.BooleanField(label=_label(Hcp, "is_kol"), required=False)
    external_code = _text(Hcp, "external_code", 60)
    reason = ReasonField()

    record_fields = ("name", "gender", "title", "specialty", "department", "phone", "email", "is_kol", "external_code")

    @classmethod
    def initial_for(cls, hcp: Hcp) -> dict:
        from ..services.changes import record_values

        return record_values(hcp)

    def proposal(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.record_fields}


class InstitutionChangeForm(forms.Form):
    name = _text(Institution, "name", 200)
    kind = _choice(Institution, "kind", InstitutionKind.choices)
    grade = _choice(Institution, "grade", Grade.choices)
    beds = forms.CharField(label=_label(Institution, "beds"), required=False, max_length=10,
                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    ownership = _choice(Institution, "ownership", Ownership.choices)
    province = _text(Institution, "province", 40)
    city = _text(Institution, "city", 60)
    district = _text(Institution, "district", 60)
    address = _text(Institution, "address", 300)
    phone = _text(Institution, "phone", 30, widget=forms.TextInput(attrs={"inputmode": "tel"}))
    external_code = _text(Institution, "external_code", 60)
    national_code = _text(Institution, "national_code", 60)
    reason = ReasonField()

    record_fields = ("name", "kind", "grade", "beds", "ownership", "province", "city", "district", "address",
                     "external_code", "national_code", "phone")

    @classmethod
    def initial_for(cls, institution: Institution) -> dict:
        from ..services.changes import record_values

        values = record_values(institution)
        values["beds"] = "" if values["beds"] is None else str(values["beds"])
        return values

    def proposal(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.record_fields}


class AlignTargetMixin(forms.Form):
    """Where a new record is aligned once approved (optional), or the alignment to change."""

    territory = forms.CharField(label=_("Territory"), required=False, widget=forms.Select())
    product_line = forms.CharField(label=_("Product line"), required=False, widget=forms.Select())

    def set_targets(self, territories, lines, *, blank: bool):
        first = BLANK if blank else []
        self.fields["territory"].widget.choices = first + [(str(t.code), t.name) for t in territories]
        self.fields["product_line"].widget.choices = first + [(str(p.code), p.name) for p in lines]


class NewHcpForm(AlignTargetMixin, HcpChangeForm):
    institution = forms.CharField(label=_("Institution"), required=False, widget=forms.Select())
    day = forms.DateField(label=_("In my territory from"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    field_order = ["institution", "name", "gender", "title", "specialty", "department", "phone", "email", "is_kol",
                   "external_code", "territory", "product_line", "day", "reason"]

    def set_institutions(self, institutions):
        self.fields["institution"].widget.choices = BLANK + [(str(i.code), f"{i.name}（{i.city}）") for i in institutions]


class NewInstitutionForm(AlignTargetMixin, InstitutionChangeForm):
    day = forms.DateField(label=_("In my territory from"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class DeactivateForm(forms.Form):
    reason = ReasonField()


class AlignForm(AlignTargetMixin, forms.Form):
    ACTIONS = [("add", _("Add to my territory")), ("drop", _("Drop from my territory"))]

    action = forms.ChoiceField(label=_("What"), choices=ACTIONS, widget=forms.RadioSelect, initial="add")
    day = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                          help_text=_("Adding: the first day in your territory. Dropping: the first day out of it."))
    reason = ReasonField()

    field_order = ["action", "territory", "product_line", "day", "reason"]

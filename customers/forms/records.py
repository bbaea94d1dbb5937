"""Forms of the master-data pages. They only collect strings; the rules live in
``customers.validation`` (shared with imports and change requests) and errors come back
from the services beside the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import Department, Gender, Grade, Institution, InstitutionKind, Ownership, Specialty, Stage, Title


def _choices(enum, blank=True):
    return ([("", "—")] if blank else []) + [(v, label) for v, label in enum.choices if v != ""]


class InstitutionForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=_choices(InstitutionKind))
    grade = forms.ChoiceField(label=_("Grade"), choices=_choices(Grade), required=False)
    beds = forms.CharField(label=_("Beds"), max_length=10, required=False)
    ownership = forms.ChoiceField(label=_("Ownership"), choices=_choices(Ownership), required=False)
    province = forms.CharField(label=_("Province"), max_length=40)
    city = forms.CharField(label=_("City"), max_length=60)
    district = forms.CharField(label=_("District"), max_length=60, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    external_code = forms.CharField(label=_("External code"), max_length=60, required=False)
    national_code = forms.CharField(label=_("National code"), max_length=60, required=False)
    potential = forms.CharField(label=_("Potential (yearly value)"), max_length=20, required=False)

    @classmethod
    def initial_for(cls, obj: Institution) -> dict:
        return {f: getattr(obj, f) if getattr(obj, f) is not None else "" for f in cls.base_fields}


class HcpForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    gender = forms.ChoiceField(label=_("Gender"), choices=_choices(Gender), required=False)
    title = forms.ChoiceField(label=_("Title"), choices=_choices(Title), required=False)
    specialty = forms.ChoiceField(label=_("Specialty"), choices=_choices(Specialty), required=False)
    institution = forms.UUIDField(label=_("Primary institution"),
                                  help_text=_("Search by name and choose from the list."))
    department = forms.CharField(label=_("Department"), max_length=120, required=False,
                                 help_text=_("A new name adds the department to the institution."))
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    email = forms.CharField(label=_("Email"), max_length=254, required=False)
    is_kol = forms.BooleanField(label=_("Key opinion leader"), required=False)
    external_code = forms.CharField(label=_("External code"), max_length=60, required=False)
    potential = forms.CharField(label=_("Potential (yearly value)"), max_length=20, required=False)

    @classmethod
    def initial_for(cls, obj) -> dict:
        data = {f: getattr(obj, f) for f in ("name", "gender", "title", "specialty", "phone", "email", "is_kol",
                                              "external_code", "potential")}
        data["institution"] = obj.institution.code
        data["department"] = obj.department.name if obj.department_id else ""
        return data

    def resolve(self, user):
        """The chosen institution (visible to ``user``) and department name, or field errors."""
        inst = Institution.objects.visible_to(user).live().filter(code=self.cleaned_data["institution"]).first()
        if inst is None:
            self.add_error("institution", _("Choose an institution from the list."))
        return inst, self.cleaned_data.get("department", "")


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("New stage"), choices=Stage.choices)
    reason = forms.CharField(label=_("Reason"), max_length=300)


__all__ = ["Department", "HcpForm", "InstitutionForm", "StageForm"]

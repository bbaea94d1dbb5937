"""Forms of planning's pages (parsing only: the services decide)."""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import PlanningSettings


class ServiceErrorsMixin:
    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)


class CycleForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    start_date = forms.DateField(label=_("Start date"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("End date"), widget=forms.DateInput(attrs={"type": "date"}))


class MonthsForm(ServiceErrorsMixin, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)


class SettingsForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = PlanningSettings
        fields = ["max_calls_per_cycle", "max_calls_per_hcp", "max_non_target_pct", "max_change_pct"]


class VisitForm(ServiceErrorsMixin, forms.Form):
    hcp = forms.ChoiceField(label=_("HCP"))
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}))
    code = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, hcps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["hcp"].choices = [("", "—"), *[(str(code), label) for code, label in hcps]]


class MoveForm(ServiceErrorsMixin, forms.Form):
    day = forms.DateField(label=_("New day"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))


class AddLineForm(ServiceErrorsMixin, forms.Form):
    hcp = forms.UUIDField(label=_("HCP (code)"))
    product_line = forms.UUIDField(label=_("Product line"))
    planned_calls = forms.IntegerField(label=_("Planned calls"), min_value=1, max_value=60)

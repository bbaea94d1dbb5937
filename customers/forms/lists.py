"""The list pages' filter choices, the bulk-action form and the saved-filter form."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import OrgNode, Role
from products.models import ProductLine

from ..models import Grade, InstitutionKind, Specialty, Stage, Tier
from ..selectors import SORTS

MAX_BULK = 500


def filter_context(request, list_name: str) -> dict:
    from ..views.lists import territory_choices

    get = request.GET
    return {
        "f": {
            "q": get.get("q", ""), "sort": get.get("sort", "name"), "stage": get.getlist("stage"),
            "tier": get.getlist("tier"), "specialty": get.getlist("specialty"), "kind": get.getlist("kind"),
            "grade": get.getlist("grade"), "city": get.get("city", ""), "province": get.get("province", ""),
            "territory": get.get("territory", ""), "mine": bool(get.get("mine")), "show": get.get("show", ""),
            "kol": bool(get.get("kol")), "target": bool(get.get("target")),
        },
        "stages": Stage.choices, "tiers": [(v, label) for v, label in Tier.choices if v],
        "specialties": Specialty.choices, "kinds": InstitutionKind.choices,
        "grades": [(v, label) for v, label in Grade.choices if v],
        "sorts": [(s.key, s.label) for s in SORTS.values()],
        "territories": territory_choices(request.user),
    }


class SavedFilterForm(forms.Form):
    name = forms.CharField(label=_("Name of the filter"), max_length=80)
    query = forms.CharField(max_length=1000, required=False)

    def clean_query(self):
        query = self.cleaned_data.get("query", "")
        return "&".join(p for p in query.split("&") if p and not p.startswith(("page=", "csrfmiddlewaretoken=")))


class BulkActionForm(forms.Form):
    ACTIONS = [("stage", _("Change the lifecycle stage")), ("align", _("Align to a territory"))]

    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    codes = forms.CharField(widget=forms.MultipleHiddenInput, required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    territory = forms.ModelChoiceField(label=_("Territory"), queryset=None, required=False,
                                       to_field_name="code")
    product_line = forms.ModelChoiceField(label=_("Product line"), queryset=None, required=False,
                                          to_field_name="code")
    start_date = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["territory"].queryset = OrgNode.objects.none()
        self.fields["product_line"].queryset = ProductLine.objects.none()
        if not membership.has_role(Role.ADMIN):
            self.fields["action"].choices = self.ACTIONS[:1]
        else:
            self.fields["territory"].queryset = OrgNode.objects.filter(kind=OrgNode.Kind.TERRITORY,
                                                                       retired_on__isnull=True).order_by("path")
            self.fields["product_line"].queryset = ProductLine.objects.filter(is_active=True).order_by("name")

    def clean_codes(self):
        raw = self.data.getlist("codes") if hasattr(self.data, "getlist") else self.data.get("codes", [])
        codes = []
        for value in raw:
            try:
                codes.append(uuid.UUID(str(value)))
            except ValueError:
                raise forms.ValidationError(_("Choose records from the list.")) from None
        if not codes:
            raise forms.ValidationError(_("Tick at least one record."))
        if len(codes) > MAX_BULK:
            raise forms.ValidationError(_("Choose at most %(n)s records at once.") % {"n": MAX_BULK})
        return codes

    def clean(self):
        data = super().clean()
        if data.get("action") == "stage":
            if not data.get("stage"):
                self.add_error("stage", _("This field is required."))
            if not (data.get("reason") or "").strip():
                self.add_error("reason", _("Say why the stage changes."))
        elif data.get("action") == "align":
            for field in ("territory", "product_line", "start_date"):
                if not data.get(field):
                    self.add_error(field, _("This field is required."))
        return data

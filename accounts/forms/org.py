"""Forms of the organisation pages and the company settings.

Forms parse and check what was typed; the services in ``accounts.services.org`` decide
and change. ``add_service_errors`` puts a service's ``ValidationError`` next to the
field it names, so the page re-renders with what was typed and the reason beside it.
"""

from __future__ import annotations

import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..models import Membership, OrgNode, Tenant
from ..services.org import ISO_4217, validate_currency


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Map a service's ValidationError onto the form: by field where the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _node_label(node: OrgNode) -> str:
    indent = "\u2003" * node.depth  # em spaces: the select reads as the tree
    return f"{indent}{node.name} ({node.get_kind_display()})"


class NodeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _node_label(obj)


class HolderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.user.full_name} <{obj.user.email}>"


def _effective_date_field():
    return forms.DateField(
        label=_("Effective from"), required=False, widget=DateInput(),
        help_text=_("Leave empty for today. A past date rewrites the history from that day."),
    )


class _PrefixedIds(forms.Form):
    """Several forms share the node page: each gets its own element ids (labels must
    point at their own field), while the field names stay plain."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class NodeCreateForm(_PrefixedIds):
    id_prefix = "create"

    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Level"), choices=OrgNode.Kind.choices)
    external_code = forms.CharField(label=_("External code"), max_length=40, required=False)
    effective_date = _effective_date_field()


class NodeRenameForm(_PrefixedIds):
    id_prefix = "rename"

    name = forms.CharField(label=_("New name"), max_length=120)
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    effective_date = _effective_date_field()


class NodeMoveForm(_PrefixedIds):
    id_prefix = "move"

    parent = NodeChoiceField(
        label=_("New parent"), queryset=None, to_field_name="code", required=False,
        empty_label=_("(top level: no parent)"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
    effective_date = _effective_date_field()

    def __init__(self, *args, node: OrgNode, **kwargs):
        super().__init__(*args, **kwargs)
        self.node = node
        # Live nodes outside the node's own subtree: a node cannot move under itself.
        self.fields["parent"].queryset = (
            OrgNode.objects.live().exclude(path__startswith=node.path).order_by("path")
        )
        self.initial.setdefault("parent", None)


class NodeRetireForm(_PrefixedIds):
    id_prefix = "retire"

    reason = forms.CharField(label=_("Reason"), max_length=300)
    effective_date = _effective_date_field()


class PositionAssignForm(_PrefixedIds):
    id_prefix = "assign"

    holder = HolderChoiceField(
        label=_("Holder"), queryset=None, to_field_name="code",
        empty_label=_("Choose a person"),
    )
    title = forms.CharField(label=_("Title"), max_length=80, required=False,
                            help_text=_("For example: Medical representative, District manager."))
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())
    end_date = forms.DateField(label=_("End date"), required=False, widget=DateInput(),
                               help_text=_("Inclusive. Leave empty while the position is open."))

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Active members of this tenant only (the tenant manager filters): a member of
        # another tenant is "not one of the available choices".
        self.fields["holder"].queryset = (
            Membership.objects.active().select_related("user").order_by("user__full_name", "user__email")
        )
        if today is not None:
            self.fields["start_date"].initial = today

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date must not be before the start date."))
        return data


class PositionEndForm(forms.Form):
    end_date = forms.DateField(label=_("Last day"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, position=None, today=None, **kwargs):
        if position is not None:
            kwargs.setdefault("auto_id", f"id_end_{position.code.hex}_%s")
        super().__init__(*args, **kwargs)
        if today is not None:
            self.fields["end_date"].initial = today


class TreeFilterForm(forms.Form):
    """The tree page's filters, kept in the URL."""

    as_of = forms.DateField(label=_("As of"), required=False, widget=DateInput())
    show_retired = forms.BooleanField(label=_("Show retired nodes"), required=False)


class TenantSettingsForm(forms.ModelForm):
    time_zone = forms.CharField(
        label=_("Time zone"), max_length=64,
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("An IANA time zone name, such as Asia/Shanghai."),
    )
    currency = forms.CharField(
        label=_("Currency"), max_length=3, min_length=3,
        widget=forms.TextInput(attrs={"list": "currencies", "autocomplete": "off", "class": "text-uppercase"}),
        help_text=_("A three-letter ISO 4217 code, such as CNY."),
    )
    fiscal_year_start_month = forms.TypedChoiceField(
        label=_("Fiscal year starts in"), coerce=int,
        choices=[(1, _("January")), (2, _("February")), (3, _("March")), (4, _("April")),
                 (5, pgettext_lazy("month", "May")), (6, _("June")), (7, _("July")), (8, _("August")),
                 (9, _("September")), (10, _("October")), (11, _("November")), (12, _("December"))],
    )

    class Meta:
        model = Tenant
        fields = ["name", "default_language", "time_zone", "currency", "fiscal_year_start_month",
                  "allow_overlapping_positions", "approval_escalate_after_hours"]

    time_zones = sorted(zoneinfo.available_timezones())
    currencies = sorted(ISO_4217)

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"].strip()
        if value not in zoneinfo.available_timezones():
            raise ValidationError(
                _("%(value)s is not a known time zone: use a name such as Asia/Shanghai."),
                params={"value": value},
            )
        return value

    def clean_currency(self):
        try:
            return validate_currency(self.cleaned_data["currency"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["currency"]) from None

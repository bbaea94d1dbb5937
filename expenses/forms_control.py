"""Forms of the spend-control pages (budgets, caps, categories, exchange rates). They turn
plain fields into what the services take and put the services' ``ValidationError`` beside
the field that caused it; the rules themselves live in ``services/budgets.py`` and
``services/config.py``. Amounts are text fields so the services' own wording explains a
bad one, and the typed value comes back as typed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms.org import DateInput, add_service_errors  # noqa: F401 - the views use it from here


def node_label(node) -> str:
    indent = "\u2003" * node.depth  # em spaces: the select reads as the tree
    return f"{indent}{node.name} ({node.get_kind_display()})"


class CodeChoiceField(forms.ChoiceField):
    """A choice among objects by their public code; ``clean`` gives the object (or None)."""

    def __init__(self, *args, objects=(), label_of=str, empty_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_objects(objects, label_of, empty_label)

    def set_objects(self, objects, label_of=str, empty_label=None):
        self.objects = {str(o.code): o for o in objects}
        choices = [(code, label_of(o)) for code, o in self.objects.items()]
        if empty_label is not None:
            choices.insert(0, ("", empty_label))
        self.choices = choices

    def clean(self, value):
        value = super().clean(value)
        return self.objects.get(value) if value else None


class BudgetForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    node = CodeChoiceField(label=_("For the organisation under"))
    category = CodeChoiceField(label=_("Category"), required=False)
    campaign = forms.CharField(label=_("Campaign"), max_length=120, required=False,
                               help_text=_("Empty: not tied to a campaign."))
    start_date = forms.DateField(label=_("From"), widget=DateInput)
    end_date = forms.DateField(label=_("Until"), widget=DateInput)
    amount = forms.CharField(label=_("Amount"), max_length=40,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    is_hard = forms.BooleanField(label=_("Hard limit (a claim that would go over it is refused)"), required=False)

    def __init__(self, *args, nodes, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].set_objects(nodes, node_label, "—")
        self.fields["category"].set_objects(categories, str, _("Every category"))

    @staticmethod
    def initial_from(budget) -> dict:
        return {"name": budget.name, "node": str(budget.node.code),
                "category": str(budget.category.code) if budget.category_id else "", "campaign": budget.campaign,
                "start_date": budget.start_date, "end_date": budget.end_date, "amount": f"{budget.amount}",
                "is_hard": budget.is_hard}


class BudgetFilterForm(forms.Form):
    """The budget page's filters; a value that does not fit is ignored (the page still shows)."""

    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    node = CodeChoiceField(label=_("Part of the organisation"), required=False)

    def __init__(self, *args, years, nodes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("Every year")), *[(str(y), str(y)) for y in years]]
        self.fields["node"].set_objects(nodes, node_label, _("Everywhere I see"))

    def value(self, name):
        return self.cleaned_data.get(name) if self.is_valid() else None


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    key = forms.CharField(label=_("Key"), max_length=60,
                          help_text=_("Lower-case letters, digits, “-” and “_”; what approval chains match on "
                                      "(their “category”)."))
    needs_hcp = forms.BooleanField(label=_("Lines name the HCPs who benefited"), required=False)
    position = forms.IntegerField(label=_("Order"), required=False, min_value=0, max_value=32767, initial=0)
    is_active = forms.BooleanField(label=_("Active (offered on new claims)"), required=False, initial=True)


class CapForm(forms.Form):
    category = CodeChoiceField(label=_("Category"), required=False)
    annual_limit = forms.CharField(label=_("Limit per HCP per year"), max_length=40,
                                   widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    warn_percent = forms.IntegerField(label=_("Warn the rep at (percent)"), min_value=1, max_value=100, initial=80)
    is_hard = forms.BooleanField(label=_("Hard cap (a claim over it is refused; otherwise it takes an extra "
                                         "approval step)"), required=False, initial=True)

    def __init__(self, *args, categories=(), editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["category"]
        else:
            self.fields["category"].set_objects(categories, str, _("All categories together"))


class RateForm(forms.Form):
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3,
                               widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off",
                                                             "placeholder": "USD"}))
    rate = forms.CharField(label=_("Rate"), max_length=30,
                           help_text=_("How much of the tenant's currency one unit is worth."),
                           widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)

"""Forms of the claim pages. They carry what was typed to the services (``LineIn``) and put the
services' ``ValidationError`` beside the field that caused it; the rules live in the services.

The claim form is ``ClaimForm`` (purpose) plus a formset of ``LineForm`` with the prefix
``line``: the services name a line's error ``line-<i>-<field>``, ``i`` counting the lines
given — the formset's empty and removed rows are skipped, so ``map_service_errors`` translates
that ``i`` back to the row it came from.
"""

from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from .services import LineIn

LINE_FIELDS = ("category", "day", "amount", "currency", "description", "hcps", "call")


class CodeListField(forms.Field):
    """A list of UUID codes posted under one name (the HCPs chosen for a line)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        out = []
        for v in value:
            try:
                code = str(uuid.UUID(str(v)))
            except (TypeError, ValueError, AttributeError):
                raise ValidationError(_("Choose HCPs from the search results.")) from None
            if code not in out:
                out.append(code)
        return out


class ClaimForm(forms.Form):
    code = forms.UUIDField(widget=forms.HiddenInput, required=False)
    purpose = forms.CharField(label=_("Purpose"), max_length=200,
                              help_text=_("What the expenses were for, e.g. an academic dinner."))


def _call_label(call) -> str:
    who = call.hcp.name if call.hcp_id else call.institution.name
    return f"{call.day:%Y-%m-%d} · {who}"


class LineForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), required=False)
    day = forms.CharField(label=_("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.CharField(label=_("Amount"), required=False, max_length=30,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3,
                               widget=forms.TextInput(attrs={"size": 4, "autocapitalize": "characters"}))
    description = forms.CharField(label=_("Description"), required=False, max_length=300)
    hcps = CodeListField(label=_("HCPs who benefited"), required=False)
    call = forms.ChoiceField(label=_("Call"), required=False, help_text=_("Optional: one of your own calls."))

    def __init__(self, *args, categories=(), calls=(), hcp_lookup=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Choose…")), *[(str(c.code), c.name) for c in categories]]
        self.fields["call"].choices = [("", _("none")), *[(str(c.code), _call_label(c)) for c in calls]]
        self.hcp_lookup = hcp_lookup if hcp_lookup is not None else {}

    def is_blank(self) -> bool:
        """Nothing typed on this row (an unused extra row is not a line)."""
        if not hasattr(self, "cleaned_data"):
            return False
        d = self.cleaned_data
        return not any(d.get(f) for f in ("category", "amount", "description", "hcps", "call"))

    def chosen_hcps(self) -> list:
        """The HCPs of this row as objects (what was posted, else the initial ones) for the template."""
        if self.is_bound:
            codes = self.data.getlist(self.add_prefix("hcps")) if hasattr(self.data, "getlist") else []
        else:
            codes = self.initial.get("hcps") or []
        return [self.hcp_lookup[c] for c in codes if c in self.hcp_lookup]

    def line_in(self) -> LineIn:
        d = self.cleaned_data
        return LineIn(category=d.get("category") or None, day=d.get("day") or "", amount=d.get("amount") or "",
                      currency=d.get("currency") or "", description=d.get("description") or "",
                      hcps=d.get("hcps") or [], call=d.get("call") or None)


LineFormSet = formset_factory(LineForm, extra=0, can_delete=True, max_num=100, absolute_max=100, validate_max=True)


def raw_lines(formset) -> list[dict]:
    """The lines as typed, for the live cap preview (no validation: what cannot be read is skipped)."""
    data = formset.data
    out = []
    try:
        total = min(int(data.get("line-TOTAL_FORMS", 0)), 100)
    except ValueError:
        return out
    for i in range(total):
        p = f"line-{i}-"
        if data.get(p + "DELETE"):
            continue
        out.append({"category": data.get(p + "category"), "day": data.get(p + "day"),
                    "amount": data.get(p + "amount"), "currency": data.get(p + "currency"),
                    "hcps": data.getlist(p + "hcps") if hasattr(data, "getlist") else []})
    return out


def lines_from(formset) -> tuple[list[LineIn], list[int]]:
    """The lines to give the service and, for each, the index of its formset row."""
    lines, rows = [], []
    for i, form in enumerate(formset.forms):
        if formset.can_delete and formset._should_delete_form(form):
            continue
        if form.is_blank():
            continue
        lines.append(form.line_in())
        rows.append(i)
    return lines, rows


def map_service_errors(form: ClaimForm, formset, rows: list[int], exc: ValidationError) -> None:
    """Put each of the service's errors beside its field: ``purpose`` on the claim form,
    ``line-<i>-<field>`` on row ``rows[i]``'s field, ``lines`` and the rest above the lines."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for key, errors in exc.error_dict.items():
        if key in form.fields:
            form.add_error(key, errors)
            continue
        parts = key.split("-", 2)
        if len(parts) == 3 and parts[0] == "line" and parts[1].isdigit() and parts[2] in LINE_FIELDS:
            n = int(parts[1])
            if n < len(rows):
                formset.forms[rows[n]].add_error(parts[2], errors)
                continue
        formset.line_errors = [*getattr(formset, "line_errors", []), *[m for e in errors for m in e.messages]]


def initial_lines(claim, *, default_currency: str) -> list[dict]:
    lines = [{"category": str(line.category.code), "day": line.day.isoformat(),
              "amount": f"{line.amount.normalize():f}", "currency": line.currency, "description": line.description,
              "hcps": [str(h.hcp.code) for h in line.hcps.all()],
              "call": str(line.call.code) if line.call_id else ""} for line in claim.lines.all()]
    return lines or [{"currency": default_currency}]


class ReceiptForm(forms.Form):
    file = forms.FileField(label=_("Receipt (photo or PDF)"))


class ExportForm(forms.Form):
    FORMATS = [("xlsx", _("Excel")), ("csv", _("CSV"))]
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="xlsx")


def new_code() -> str:
    return str(uuid.uuid4())

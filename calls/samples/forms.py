"""Forms of the sample pages (parsing only: the services decide)."""

from __future__ import annotations

import base64
import binascii

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from products.models import Sku

from .models import MoveKind


def add_service_error(form: forms.Form, exc) -> None:
    """Put a service's ``ValidationError`` on the form, on the named field when it has one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


class GiveForm(forms.Form):
    """The lots come as ``qty_<lot code>`` inputs (read in the view); the signature as the
    strokes' SVG path and a PNG data URL drawn by ``static/samples/signature.js``."""

    code = forms.UUIDField(widget=forms.HiddenInput)
    signature_svg = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200_000)
    signature_png = forms.CharField(required=False, widget=forms.HiddenInput, max_length=800_000)
    lines = forms.CharField(required=False, widget=forms.HiddenInput)  # errors about the lines land here
    signature = forms.CharField(required=False, widget=forms.HiddenInput)  # and about the signature here
    call = forms.CharField(required=False, widget=forms.HiddenInput)

    def png_bytes(self) -> bytes:
        data = self.cleaned_data.get("signature_png") or ""
        prefix = "data:image/png;base64,"
        if not data.startswith(prefix):
            return b""
        try:
            return base64.b64decode(data[len(prefix):], validate=True)
        except (binascii.Error, ValueError):
            return b""


class LedgerFilterForm(forms.Form):
    rep = forms.ChoiceField(label=_("Rep"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *MoveKind.choices])
    month = forms.CharField(label=_("Month"), required=False, widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args, reps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rep"].choices = [("", _("Everyone I see")), *[(str(m.code), m.user.full_name) for m in reps]]


class OrderForm(forms.Form):
    note = forms.CharField(label=_("Note for the approver"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))
    code = forms.UUIDField(widget=forms.HiddenInput)
    lines = forms.CharField(required=False, widget=forms.HiddenInput)


class ReceiveForm(forms.Form):
    """An admin puts stock in a rep's inventory (a delivery from the warehouse)."""

    rep = forms.ChoiceField(label=_("Rep"))
    sku = forms.ModelChoiceField(label=_("SKU"), queryset=QuerySet(model=Sku).none())
    lot_number = forms.CharField(label=_("Lot number"), max_length=40)
    expiry = forms.DateField(label=_("Expiry date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                             help_text=_("Needed for a new lot."))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=100_000)
    reason = forms.CharField(label=_("Note"), required=False, max_length=300)
    code = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, reps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rep"].choices = [("", "—"), *[(str(m.code), m.user.full_name) for m in reps]]
        self.fields["sku"].queryset = Sku.objects.filter(status=Sku.Status.ACTIVE).order_by("name")


class AdjustForm(forms.Form):
    quantity = forms.IntegerField(label=_("Change (+ or −)"))
    reason = forms.CharField(label=_("Reason"), max_length=300)
    code = forms.UUIDField(widget=forms.HiddenInput)

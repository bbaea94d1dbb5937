"""Forms of the catalogue pages: they parse what was typed; ``products.services`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Brand, ProductLine, Sku


class _NamedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        if not getattr(obj, "is_active", True):
            return _("%(name)s (inactive)") % {"name": obj.name}
        return obj.name


class ProductLineForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @staticmethod
    def initial_for(line: ProductLine) -> dict:
        return {"name": line.name, "is_active": line.is_active}


class BrandForm(forms.Form):
    product_line = _NamedChoiceField(label=_("Product line"), queryset=None, to_field_name="code",
                                     empty_label=_("Choose a product line"))
    name = forms.CharField(label=_("Name (Chinese)"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    generic_name = forms.CharField(label=_("Generic name"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product_line"].queryset = ProductLine.objects.order_by("-is_active", "name")

    @staticmethod
    def initial_for(brand: Brand) -> dict:
        return {"product_line": brand.product_line.code, "name": brand.name, "name_en": brand.name_en,
                "generic_name": brand.generic_name, "is_active": brand.is_active}


class SkuForm(forms.Form):
    brand = _NamedChoiceField(label=_("Brand"), queryset=None, to_field_name="code",
                              empty_label=_("Choose a brand"))
    name = forms.CharField(label=_("Name"), max_length=160)
    strength = forms.CharField(label=_("Strength"), max_length=60, required=False,
                               help_text=_("For example 10 mg."))
    pack = forms.CharField(label=_("Pack"), max_length=60, required=False,
                           help_text=_("For example 7 tablets per box."))
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False, help_text=_("For example box."))
    # Parsed as text: the service names the problem (negative, too many decimals).
    list_price = forms.CharField(label=_("List price"), max_length=20)
    external_code = forms.CharField(label=_("External code"), max_length=60, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Sku.Status.choices, initial=Sku.Status.ACTIVE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand"].queryset = Brand.objects.select_related("product_line").order_by(
            "-is_active", "name")
        self.fields["list_price"].widget.attrs.update({"inputmode": "decimal"})

    @staticmethod
    def initial_for(sku: Sku) -> dict:
        return {"brand": sku.brand.code, "name": sku.name, "strength": sku.strength, "pack": sku.pack,
                "unit": sku.unit, "list_price": sku.list_price, "external_code": sku.external_code,
                "status": sku.status}

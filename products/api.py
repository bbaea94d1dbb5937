"""API v1 of the product catalogue: read-only SKUs (``/api/v1/products/skus/``).

Every member of the tenant may read the catalogue, so ``restrict_queryset`` keeps the
tenant's whole queryset (the base has already scoped it to the tenant).
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.routers import SimpleRouter

from sfe.core.api import TenantReadOnlyViewSet

from .models import Sku


class SkuSerializer(serializers.ModelSerializer):
    brand = serializers.SerializerMethodField()
    product_line = serializers.SerializerMethodField()

    class Meta:
        model = Sku
        fields = ["code", "name", "strength", "pack", "unit", "list_price", "currency", "status",
                  "external_code", "brand", "product_line"]

    def get_brand(self, obj) -> dict:
        return {"code": str(obj.brand.code), "name": obj.brand.name, "name_en": obj.brand.name_en,
                "generic_name": obj.brand.generic_name}

    def get_product_line(self, obj) -> dict:
        line = obj.brand.product_line
        return {"code": str(line.code), "name": line.name}


class SkuFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Sku.Status.choices, label=_("status"))
    brand = django_filters.UUIDFilter(field_name="brand__code", label=_("brand"))
    product_line = django_filters.UUIDFilter(field_name="brand__product_line__code", label=_("product line"))

    class Meta:
        model = Sku
        fields: list[str] = []


@extend_schema_view(list=extend_schema(tags=["products"]), retrieve=extend_schema(tags=["products"]))
class SkuViewSet(TenantReadOnlyViewSet):
    """The tenant's SKUs with their brand and product line; every member may read them."""

    model = Sku
    serializer_class = SkuSerializer
    filterset_class = SkuFilter

    def restrict_queryset(self, qs):
        return qs  # the catalogue is readable by every member of the tenant

    def scope_queryset(self, qs):
        return qs.select_related("brand__product_line").order_by(
            "brand__product_line__name", "brand__name", "name", "strength", "pack", "pk")


router = SimpleRouter()
router.register("skus", SkuViewSet, basename="api-products-skus")

urlpatterns = router.urls

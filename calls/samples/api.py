"""API v1 of samples, under ``/api/v1/samples/`` (every member; each sees their own, a
manager their team, the tenant-wide roles everyone; another tenant's codes 404):

* ``inventory/`` — stock per rep and lot (``rep`` filter: member code);
* ``ledger/`` — the moves, newest first (``rep``, ``kind``, ``call`` filters);
* ``give/`` — ``POST`` samples given in a call, with the signature; idempotent by ``code``
  (201 the first time, 200 with the same moves on a retry);
* ``orders/`` — list and ``POST`` a new order (idempotent by ``code``); ``orders/{code}/``.
"""

from __future__ import annotations

import base64
import binascii
import uuid

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.response import Response

from customers.api import CappedPagination, service_error
from products.models import Sku
from sfe.core.api import TenantAPIView, TenantViewSet

from . import selectors
from .models import MoveKind, SampleMove, SampleOrder, SampleStock
from .serializers import GiveSerializer, MoveSerializer, OrderCreateSerializer, OrderSerializer, StockSerializer
from .services import Drawing, sample_order_submit, samples_give

TAGS = ["samples"]


class StockFilter(django_filters.FilterSet):
    rep = django_filters.UUIDFilter(field_name="rep__code", label=_lazy("rep (member code)"))

    class Meta:
        model = SampleStock
        fields: list[str] = []


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Sample stock per rep and lot"))
class InventoryViewSet(mixins.ListModelMixin, TenantViewSet):
    serializer_class = StockSerializer
    filterset_class = StockFilter
    pagination_class = CappedPagination
    model = SampleStock

    def scope_queryset(self, qs):
        return qs.select_related("rep__user", "lot__sku").order_by("rep_id", "lot__sku__name", "lot__expiry", "id")


class LedgerFilter(django_filters.FilterSet):
    rep = django_filters.UUIDFilter(field_name="rep__code", label=_lazy("rep (member code)"))
    kind = django_filters.ChoiceFilter(choices=MoveKind.choices, label=_lazy("kind"))
    call = django_filters.UUIDFilter(field_name="call__code", label=_lazy("call (code)"))

    class Meta:
        model = SampleMove
        fields: list[str] = []


@extend_schema_view(list=extend_schema(tags=TAGS, summary="The sample ledger, newest first"))
class LedgerViewSet(mixins.ListModelMixin, TenantViewSet):
    serializer_class = MoveSerializer
    filterset_class = LedgerFilter
    pagination_class = CappedPagination
    model = SampleMove

    def scope_queryset(self, qs):
        return qs.select_related("rep", "lot__sku", "call", "hcp").order_by("-at", "-id")


def _png(value: str) -> bytes:
    if not value:
        return b""
    if value.startswith("data:image/png;base64,"):
        value = value.split(",", 1)[1]
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise exceptions.ValidationError({"signature": [_("The signature image must be a base64 PNG.")]}) from None


class GiveView(TenantAPIView):
    """Samples given in a call (the caller's own), with the HCP's signature."""

    @extend_schema(tags=TAGS, summary="Give samples in a call (idempotent by code)", request=GiveSerializer,
                   responses={201: MoveSerializer(many=True), 200: MoveSerializer(many=True)})
    def post(self, request):
        # The call first: an outsider learns nothing from validation messages.
        try:
            call = selectors.call_for_give(request.user, uuid.UUID(str(request.data.get("call"))))
        except (Http404, ValueError):
            raise exceptions.NotFound from None
        if call.rep_id != request.membership.pk:
            raise exceptions.PermissionDenied(_("You can give samples only in your own calls."))
        form = GiveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        sig = data.get("signature") or {}
        drawing = Drawing(svg_path=sig.get("svg_path", ""), png=_png(sig.get("png", "")))
        try:
            result = samples_give(call=call, lines=[dict(line) for line in data["lines"]], signature=drawing,
                                  code=data["code"], by=request.membership)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        moves = SampleMove.objects.filter(pk__in=[m.pk for m in result.moves]).select_related(
            "rep", "lot__sku", "call", "hcp").order_by("id")
        return Response(MoveSerializer(moves, many=True).data,
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(tags=TAGS, summary="Sample orders, newest first"),
    retrieve=extend_schema(tags=TAGS, summary="A sample order and its lines"),
    create=extend_schema(tags=TAGS, summary="Order samples (sent for approval; idempotent by code)",
                         request=OrderCreateSerializer, responses={201: OrderSerializer, 200: OrderSerializer}),
)
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet):
    serializer_class = OrderSerializer
    pagination_class = CappedPagination
    model = SampleOrder

    def scope_queryset(self, qs):
        return qs.select_related("rep__user").prefetch_related("lines__sku").order_by("-created_at", "-id")

    def create(self, request, *args, **kwargs):
        from accounts.models import Role

        if not request.membership.has_role(Role.REP, Role.MANAGER):
            raise exceptions.PermissionDenied(_("Your role does not allow this."))
        form = OrderCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        codes = [line["sku"]["code"] for line in data["lines"]]
        skus = {s.code: s for s in Sku.objects.filter(code__in=codes)}
        if len(skus) != len(set(codes)):
            raise exceptions.ValidationError({"lines": [_("Choose SKUs of your catalogue.")]})
        existed = SampleOrder.objects.filter(code=data["code"]).exists()
        try:
            order = sample_order_submit(rep=request.membership, note=data.get("note", ""), code=data["code"],
                                        lines=[{"sku": skus[line["sku"]["code"]], "quantity": line["quantity"]}
                                               for line in data["lines"]])
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        order = self.get_queryset().get(pk=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

"""API v1 of segmentation, under ``/api/v1/segmentation/`` (analysts and admins; other
members 403, another tenant's codes 404):

* ``rules/`` and ``rules/{code}/`` — the rules with their definitions (read);
* ``tiers/`` — current tiers, classes and ratings, filtered by ``product_line``, ``purpose``,
  ``kind``, ``hcp``, ``institution`` (codes) and ``tier``;
* ``history/`` — tier changes, newest first, with the same filters and ``run``;
* ``runs/`` — the runs (list); ``POST`` queues one (``product_line`` code, or ``purpose:
  channel``) and answers 202; ``runs/{code}/`` — one run with its live progress (poll it);
* ``pins/`` — the pinned tiers (read).

Lists page like the customer lists (``customers.api.CappedPagination``): one query for the
page and one capped count, whatever the number of rows.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.response import Response

from accounts.models import Role
from customers.api import CappedPagination, service_error
from customers.models import CustomerKind, Hcp, Institution
from products.models import ProductLine
from sfe.core.api import HasRole, TenantReadOnlyViewSet, TenantViewSet

from . import selectors
from .models import CustomerTier, Purpose, SegmentationRule, SegmentationRun, TierChange
from .serializers import (
    RuleSerializer,
    RunDetailSerializer,
    RunRequestSerializer,
    RunSerializer,
    TierChangeSerializer,
    TierSerializer,
)
from .services import run_request

ROLES = (Role.ANALYST, Role.ADMIN)
TAGS = ["segmentation"]


class _Base:
    permission_classes = [HasRole(*ROLES)]
    pagination_class = CappedPagination

    def restrict_queryset(self, qs):
        return qs  # analysts and admins (the permission) see the whole tenant


class RuleFilter(django_filters.FilterSet):
    purpose = django_filters.ChoiceFilter(choices=Purpose.choices, label=_lazy("purpose"))
    kind = django_filters.ChoiceFilter(choices=CustomerKind.choices, label=_lazy("customers"))
    product_line = django_filters.UUIDFilter(field_name="product_line__code", label=_lazy("product line (code)"))

    class Meta:
        model = SegmentationRule
        fields: list[str] = []


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Segmentation rules"),
                    retrieve=extend_schema(tags=TAGS, summary="A segmentation rule and its definition"))
class RuleViewSet(_Base, TenantReadOnlyViewSet):
    serializer_class = RuleSerializer
    filterset_class = RuleFilter

    def get_base_queryset(self):
        return selectors.rules()


def _kind_filter(qs, name, value):
    return qs.filter(hcp__isnull=False) if value == CustomerKind.HCP else qs.filter(institution__isnull=False)


class TierFilter(django_filters.FilterSet):
    purpose = django_filters.ChoiceFilter(choices=Purpose.choices, label=_lazy("purpose"))
    kind = django_filters.ChoiceFilter(choices=CustomerKind.choices, method=_kind_filter, label=_lazy("customers"))
    product_line = django_filters.UUIDFilter(field_name="product_line__code", label=_lazy("product line (code)"))
    hcp = django_filters.UUIDFilter(field_name="hcp__code", label=_lazy("HCP (code)"))
    institution = django_filters.UUIDFilter(field_name="institution__code", label=_lazy("institution (code)"))
    tier = django_filters.ChoiceFilter(choices=[(t, t) for t in "ABCD"], label=_lazy("tier"))

    class Meta:
        model = CustomerTier
        fields: list[str] = []


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Current tiers (classes, ratings) of customers"))
class TierViewSet(_Base, mixins.ListModelMixin, TenantViewSet):
    serializer_class = TierSerializer
    filterset_class = TierFilter
    model = CustomerTier

    def scope_queryset(self, qs):
        return qs.select_related("product_line", "hcp", "institution", "pinned_by__user").order_by("id")


def _run_filter(qs, name, value):
    run = SegmentationRun.objects.filter(code=value).first()
    return qs.filter(run=run) if run is not None else qs.none()


def _changes_of_customer(qs, name, value):
    customer = (Hcp if name == "hcp" else Institution).objects.filter(code=value).first()
    return selectors.changes_of(customer, qs) if customer is not None else qs.none()


class HistoryFilter(TierFilter):
    tier = django_filters.ChoiceFilter(field_name="to_tier", choices=[(t, t) for t in "ABCD"], label=_lazy("new tier"))
    run = django_filters.UUIDFilter(method=_run_filter, label=_lazy("run (code)"))
    hcp = django_filters.UUIDFilter(method=_changes_of_customer, label=_lazy("HCP (code)"))
    institution = django_filters.UUIDFilter(method=_changes_of_customer, label=_lazy("institution (code)"))

    class Meta:
        model = TierChange
        fields: list[str] = []


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Tier history: every change, newest first"))
class HistoryViewSet(_Base, mixins.ListModelMixin, TenantViewSet):
    serializer_class = TierChangeSerializer
    filterset_class = HistoryFilter
    model = TierChange

    def scope_queryset(self, qs):
        # Newest first by batch and position (batches are written in time order; pins wait
        # for runs): the batches' ``(tenant_id, id)`` key serves it, unnesting page by page.
        return qs.select_related("product_line", "hcp", "institution", "by__user", "run").order_by(
            *selectors.NEWEST_FIRST)


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Pinned tiers, newest pin first"))
class PinViewSet(_Base, mixins.ListModelMixin, TenantViewSet):
    serializer_class = TierSerializer
    filterset_class = TierFilter

    def get_base_queryset(self):
        return selectors.pins(purpose=self.request.query_params.get("purpose") or Purpose.TIER)


class RunFilter(django_filters.FilterSet):
    product_line = django_filters.UUIDFilter(field_name="product_line__code", label=_lazy("product line (code)"))
    status = django_filters.ChoiceFilter(choices=SegmentationRun.Status.choices, label=_lazy("status"))

    class Meta:
        model = SegmentationRun
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(tags=TAGS, summary="Recompute runs, newest first"),
    retrieve=extend_schema(tags=TAGS, summary="A run with its live progress"),
    create=extend_schema(tags=TAGS, summary="Queue a recompute of a product line (or of the channel rules)",
                         request=RunRequestSerializer, responses={202: RunDetailSerializer, 400: None}),
)
class RunViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet):
    filterset_class = RunFilter

    def get_base_queryset(self):
        return selectors.runs()

    def get_serializer_class(self):
        return {"list": RunSerializer, "create": RunRequestSerializer}.get(self.action, RunDetailSerializer)

    def create(self, request, *args, **kwargs):
        form = RunRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        code = form.validated_data.get("product_line")
        line = None
        if code is not None:
            line = ProductLine.objects.filter(code=code).first()
            if line is None:
                raise exceptions.ValidationError({"product_line": [_("Choose a product line of your catalogue.")]})
        try:
            run = run_request(product_line=line, purpose=form.validated_data["purpose"], by=request.membership)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        run = selectors.runs().get(pk=run.pk)
        return Response(RunDetailSerializer(run, context=self.get_serializer_context()).data,
                        status=status.HTTP_202_ACCEPTED)

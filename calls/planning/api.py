"""API v1 of planning, under ``/api/v1/plan/``:

* ``targets/`` — call frequency targets (read; every member);
* ``cycles/``, ``cycles/{code}/`` — cycles (read; every member);
* ``plans/``, ``plans/{code}/`` — the plans one sees (the rep their own, a manager the
  team's, tenant-wide roles all), the detail with its lines and planned vs done;
  ``POST plans/propose/`` (a rep: ``{"cycle": code}``) and ``POST plans/{code}/submit/``;
* ``visits/`` — the caller's planned visits (``from``/``to`` dates); ``POST`` plans one,
  idempotent by the client's ``code`` (201 new, 200 the one already made);
  ``POST visits/{code}/move/`` (``day`` or ``at``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Role
from calls.models import Call
from calls.visibility import call_visible_q
from customers.api import CappedPagination, service_error
from customers.models import Hcp
from sfe.core.api import HasRole, TenantReadOnlyViewSet, TenantViewSet

from . import selectors
from .models import Cycle, FrequencyTarget
from .serializers import (
    CycleSerializer,
    PlanLineSerializer,
    PlanSerializer,
    ProposeSerializer,
    TargetSerializer,
    VisitCreateSerializer,
    VisitMoveSerializer,
    VisitSerializer,
)
from .services import plan_propose, plan_submit, visit_move, visit_plan

TAGS = ["planning"]


def _call_service(fn, **kwargs):
    try:
        return fn(**kwargs)
    except DjangoValidationError as exc:
        raise service_error(exc) from None


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Call frequency targets"))
class TargetViewSet(mixins.ListModelMixin, TenantViewSet):
    serializer_class = TargetSerializer
    pagination_class = CappedPagination
    model = FrequencyTarget

    def restrict_queryset(self, qs):
        return qs  # tenant-wide configuration every member may read

    def scope_queryset(self, qs):
        return qs.select_related("product_line").order_by("product_line__name", "tier")


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Cycles"), retrieve=extend_schema(tags=TAGS, summary="A cycle"))
class CycleViewSet(TenantReadOnlyViewSet):
    serializer_class = CycleSerializer
    pagination_class = CappedPagination
    model = Cycle

    def restrict_queryset(self, qs):
        return qs

    def scope_queryset(self, qs):
        return qs.order_by("start_date")


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Cycle plans you see"),
                    retrieve=extend_schema(tags=TAGS, summary="A cycle plan with its lines, planned vs done"))
class PlanViewSet(TenantReadOnlyViewSet):
    serializer_class = PlanSerializer
    pagination_class = CappedPagination

    def get_base_queryset(self):
        from .models import CyclePlan

        return CyclePlan.objects.all()

    def restrict_queryset(self, qs):
        return qs.filter(selectors.plans_visible_q(self.request.user))

    def scope_queryset(self, qs):
        return qs.select_related("cycle", "rep__user").order_by("-cycle__start_date", "id")

    def retrieve(self, request, *args, **kwargs):
        plan = self.get_object()
        data = PlanSerializer(plan).data
        data["lines"] = PlanLineSerializer(selectors.plan_lines(plan).lines, many=True).data
        return Response(data)

    @extend_schema(tags=TAGS, summary="Propose your plan for a cycle", request=ProposeSerializer,
                   responses={201: PlanSerializer})
    @action(detail=False, methods=["post"], permission_classes=[HasRole(Role.REP)])
    def propose(self, request):
        s = ProposeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        cycle = Cycle.objects.filter(code=s.validated_data["cycle"]).first()
        if cycle is None:
            raise exceptions.ValidationError({"cycle": ["No such cycle."]})
        plan = _call_service(plan_propose, rep=request.membership, cycle=cycle, by=request.membership)
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAGS, summary="Submit your plan for approval", request=None, responses={200: PlanSerializer})
    @action(detail=True, methods=["post"], permission_classes=[HasRole(Role.REP)])
    def submit(self, request, code=None):
        plan = self.get_object()
        if plan.rep_id != request.membership.pk:
            raise exceptions.NotFound
        plan = _call_service(plan_submit, plan=plan, by=request.membership)
        return Response(PlanSerializer(plan).data)


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Your planned visits"))
class VisitViewSet(mixins.ListModelMixin, TenantViewSet):
    serializer_class = VisitSerializer
    pagination_class = CappedPagination
    permission_classes = [HasRole(Role.REP)]
    model = Call

    def restrict_queryset(self, qs):
        return qs.filter(call_visible_q(self.request.user))

    def scope_queryset(self, qs):
        qs = qs.filter(status="planned")
        if self.action == "list":
            qs = qs.filter(rep_id=self.request.membership.pk)
            for param, lookup in (("from", "day__gte"), ("to", "day__lte")):
                if self.request.query_params.get(param):
                    try:
                        qs = qs.filter(**{lookup: dt.date.fromisoformat(self.request.query_params[param])})
                    except ValueError:
                        raise exceptions.ValidationError({param: ["Enter a date as YYYY-MM-DD."]}) from None
        return qs.select_related("hcp", "institution").order_by("at", "id")

    @extend_schema(tags=TAGS, summary="Plan a visit (idempotent by code)", request=VisitCreateSerializer,
                   responses={201: VisitSerializer, 200: VisitSerializer})
    def create(self, request):
        s = VisitCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        code = s.validated_data["code"]
        known = Call.objects.filter(code=code, rep_id=request.membership.pk).exists()
        hcp = Hcp.objects.filter(code=s.validated_data["hcp"]).first()
        call = _call_service(visit_plan, rep=request.membership, hcp=hcp, at=s.validated_data["at"],
                             by=request.membership, code=code, source="api")
        return Response(VisitSerializer(call).data, status=status.HTTP_200_OK if known else status.HTTP_201_CREATED)

    @extend_schema(tags=TAGS, summary="Move a planned visit", request=VisitMoveSerializer,
                   responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def move(self, request, code=None):
        call = self.get_object()
        s = VisitMoveSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        if not s.validated_data:
            raise exceptions.ValidationError({"day": ["Give the new day or time."]})
        call = _call_service(visit_move, call=call, by=request.membership, day=s.validated_data.get("day"),
                             at=s.validated_data.get("at"))
        return Response(VisitSerializer(call).data)

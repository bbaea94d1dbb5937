"""API v1 of calls (``/api/v1/calls/``): calls and follow-up tasks.

* ``calls/`` — the calls the caller sees (the page's filters: ``who``, ``status``, ``type``,
  ``hcp``, ``from``, ``to``, ``flagged``), capped pagination as the customer lists; a call
  by code with its products, messages and attendees; **create** (reps and managers),
  idempotent by the client's ``code``: the same POST twice makes one call, the second
  answers 200 with it; **PATCH** one's own call (a reason once submitted; locked → 400).
* ``tasks/`` — the caller's open tasks (``who=team``, ``done=1``), create one (idempotent by
  ``code`` too), ``tasks/<code>/done/``.

Another tenant's code, or a call the caller does not see, is 404.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Role
from customers.api import CappedPagination, service_error
from customers.models import Hcp
from sfe.core.api import HasRole, IsTenantMember, TenantViewSet

from . import selectors
from .models import Call, FollowUp
from .models.calls import CallSource
from .serializers import (
    CallDetailSerializer,
    CallListSerializer,
    CallWriteSerializer,
    FollowUpDoneSerializer,
    FollowUpSerializer,
    FollowUpWriteSerializer,
    call_raw,
)
from .services import call_save, follow_up_create, follow_up_done, parse_call_input

LOGGERS = (Role.REP, Role.MANAGER)


def _plain(data) -> dict:
    """The validated body as the plain values of ``parse_call_input`` (UUIDs as strings)."""
    out = {}
    for key, value in data.items():
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif key == "attendees":
            value = [str(v) for v in value]
        elif key == "products":
            value = [{"brand": str(p["brand"]), "messages": [str(m) for m in p.get("messages", [])]} for p in value]
        out[key] = value
    return out


@extend_schema_view(
    list=extend_schema(tags=["calls"], responses=CallListSerializer(many=True)),
    retrieve=extend_schema(tags=["calls"], responses=CallDetailSerializer),
    create=extend_schema(tags=["calls"], request=CallWriteSerializer,
                         responses={201: CallDetailSerializer, 200: CallDetailSerializer,
                                    400: OpenApiResponse(description="Field errors.")}),
    partial_update=extend_schema(tags=["calls"], request=CallWriteSerializer,
                                 responses={200: CallDetailSerializer, 400: OpenApiResponse(description="Field errors.")}),
)
class CallViewSet(TenantViewSet):
    model = Call
    pagination_class = CappedPagination
    filter_backends: list = []
    serializer_class = CallDetailSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_permissions(self):
        if self.action in ("create", "partial_update"):
            return [HasRole(*LOGGERS)]
        return [IsTenantMember()]

    def restrict_queryset(self, qs):
        return selectors.call_list(self.request.user, self.request.query_params)

    def get_object(self):
        return selectors.call_for(self.request.user, self.kwargs["code"])

    def _detail(self, call, status_code=status.HTTP_200_OK) -> Response:
        call = selectors.call_for(self.request.user, call.code)
        context = {**self.get_serializer_context(), **selectors.call_parts(call)}
        return Response(CallDetailSerializer(call, context=context).data, status=status_code)

    def list(self, request):
        rows = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CallListSerializer(rows, many=True).data)

    def retrieve(self, request, code=None):
        return self._detail(self.get_object())

    def create(self, request):
        form = CallWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = _plain(form.validated_data)
        code = data.pop("code", None) or str(uuid.uuid4())
        submit, reason = data.pop("submit", True), data.pop("reason", "")
        existed = Call.objects.filter(code=code).exists()
        try:
            call, _changed = call_save(rep=request.membership, code=code, data=parse_call_input(data), submit=submit,
                                       reason=reason, source=CallSource.API)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self._detail(call, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    def partial_update(self, request, code=None):
        call = self.get_object()
        if call.rep_id != request.membership.pk:
            raise exceptions.PermissionDenied
        form = CallWriteSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        data = _plain(form.validated_data)
        data.pop("code", None)
        submit, reason = data.pop("submit", True), data.pop("reason", "")
        raw = {**call_raw(call, selectors.call_parts(call)), **data}
        try:
            call, _changed = call_save(rep=request.membership, code=call.code, data=parse_call_input(raw),
                                       submit=submit, reason=reason, edit=True, source=CallSource.API)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self._detail(call)


@extend_schema_view(
    list=extend_schema(tags=["calls"], responses=FollowUpSerializer(many=True)),
    create=extend_schema(tags=["calls"], request=FollowUpWriteSerializer,
                         responses={201: FollowUpSerializer, 200: FollowUpSerializer}),
)
class FollowUpViewSet(TenantViewSet):
    model = FollowUp
    pagination_class = CappedPagination
    filter_backends: list = []
    serializer_class = FollowUpSerializer
    http_method_names = ["get", "post", "head", "options"]

    def restrict_queryset(self, qs):
        return selectors.follow_ups_for(self.request.user, self.request.query_params)

    def list(self, request):
        rows = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(FollowUpSerializer(rows, many=True).data)

    def create(self, request):
        form = FollowUpWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        hcp = None
        if data.get("hcp"):
            hcp = Hcp.objects.visible_to(request.user).filter(code=data["hcp"]).first()
            if hcp is None:
                raise exceptions.ValidationError({"hcp": ["This HCP was not found."]})
        code = data.get("code")
        existed = code is not None and FollowUp.objects.filter(code=code).exists()
        try:
            task = follow_up_create(by=request.membership, title=data["title"], due_date=data.get("due_date"),
                                    hcp=hcp, code=code)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        task = selectors.follow_ups_for(request.user, {"done": "1" if task.done_at else ""}).get(pk=task.pk)
        return Response(FollowUpSerializer(task).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)

    @extend_schema(tags=["calls"], request=FollowUpDoneSerializer, responses=FollowUpSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, code=None):
        task = selectors.follow_up_for(request.user, code)
        if task.assignee_id != request.membership.pk:
            raise exceptions.PermissionDenied
        form = FollowUpDoneSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        task = follow_up_done(task=task, by=request.membership, done=form.validated_data["done"])
        task = FollowUp.objects.select_related("hcp", "call", "assignee__user").get(pk=task.pk)
        return Response(FollowUpSerializer(task).data)

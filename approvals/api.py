"""API v1 of approvals: the caller's inbox, their requests, a request's detail and deciding it.

Thin views on ``sfe.core.api``: the base enters the tenant and owns ``get_queryset()``;
these say who sees what (``restrict_queryset``) and what to load (``scope_queryset``).
The inbox is exactly ``pending_for`` (the pages' inbox); a request is visible, as on
its page, to its requester, whoever may decide its current step, whoever decided (or
was decided for) one of its steps, and the tenant's admins — anyone else gets 404.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from sfe.core.api import TenantReadOnlyViewSet, TenantViewSet

from . import registry
from .models import ApprovalEvent, ApprovalRequest, ApprovalStep, RequestState
from .selectors import requests_visible_to
from .serializers import (
    ApprovalRequestDetailSerializer,
    ApprovalRequestSerializer,
    DecisionSerializer,
    InboxStepSerializer,
)
from .services import AlreadyDecided, approval_decide, pending_for


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This step was already decided by someone else.")
    default_code = "already_decided"


def _service_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's 400, field by field."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    return exceptions.ValidationError({"non_field_errors": [str(m) for m in exc.messages]})


# --------------------------------------------------------------------------- inbox


class InboxFilter(django_filters.FilterSet):
    request_type = django_filters.ChoiceFilter(field_name="request__request_type", choices=registry.choices,
                                               label=gettext_lazy("request type"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=gettext_lazy("overdue"))

    class Meta:
        model = ApprovalStep
        fields: list[str] = []

    def filter_overdue(self, qs, name, value):
        now = timezone.now()
        return qs.filter(due_at__lt=now) if value else qs.exclude(due_at__lt=now)


@extend_schema_view(list=extend_schema(tags=["approvals"]))
class InboxViewSet(mixins.ListModelMixin, TenantViewSet):
    """Steps waiting for the caller: their own, their roles' pools and those delegated to
    them today; never their own requests. Oldest due first."""

    model = ApprovalStep
    serializer_class = InboxStepSerializer
    filterset_class = InboxFilter

    def restrict_queryset(self, qs):
        return qs & pending_for(self.request.membership, self.request.tenant.today())

    def scope_queryset(self, qs):
        return qs.select_related("request__requester__user", "approver__user").order_by("due_at", "id")


# --------------------------------------------------------------------------- requests


class RequestFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=RequestState.choices, label=gettext_lazy("state"))
    request_type = django_filters.ChoiceFilter(choices=registry.choices, label=gettext_lazy("request type"))

    class Meta:
        model = ApprovalRequest
        fields: list[str] = []


@extend_schema_view(list=extend_schema(tags=["approvals"]), retrieve=extend_schema(tags=["approvals"]))
class ApprovalRequestViewSet(TenantReadOnlyViewSet):
    """The caller's own requests (the list), any request they have a part in (by code),
    and deciding its current step."""

    model = ApprovalRequest
    serializer_class = ApprovalRequestSerializer
    filterset_class = RequestFilter

    def get_serializer_class(self):
        return ApprovalRequestSerializer if self.action == "list" else ApprovalRequestDetailSerializer

    def restrict_queryset(self, qs):
        return requests_visible_to(self.request.membership, self.request.tenant.today(), qs)

    def scope_queryset(self, qs):
        pending = ApprovalStep.objects.pending().select_related("approver__user").order_by("order")
        qs = qs.select_related("requester__user").prefetch_related(
            Prefetch("steps", queryset=pending, to_attr="pending_steps"))
        if self.action == "list":
            return qs.filter(requester=self.request.membership).order_by("-submitted_at", "-id")
        people = ("approver__user", "decided_by__user", "on_behalf_of__user")
        return qs.prefetch_related(
            Prefetch("steps", queryset=ApprovalStep.objects.select_related(*people).order_by("order")),
            Prefetch("events", queryset=ApprovalEvent.objects.select_related(
                "actor__user", "on_behalf_of__user", "assignee__user").order_by("at", "id")),
        )

    @extend_schema(tags=["approvals"], request=DecisionSerializer, responses=ApprovalRequestDetailSerializer)
    @action(detail=True, methods=["post"], url_path="decision")
    def decision(self, request, code=None):
        """Approve, reject (``comment`` required) or send back (``comment`` required) the
        current step. 409 when it was already decided; 403 when it is not the caller's."""
        req = self.get_object()
        form = DecisionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        step = ApprovalStep.objects.pending().filter(request=req).order_by("order").first()
        if step is None or (data.get("order") is not None and data["order"] != step.order):
            raise Conflict(_("This step was already decided: the request is no longer waiting for it."))
        try:
            approval_decide(step=step, actor=request.membership, decision=data["decision"], comment=data["comment"])
        except AlreadyDecided as e:
            raise Conflict(" ".join(str(m) for m in e.messages)) from None
        except DjangoValidationError as e:
            raise _service_error(e) from None
        except PermissionDenied as e:
            raise exceptions.PermissionDenied(str(e) or _("This step is not yours to decide.")) from None
        req = self.scope_queryset(ApprovalRequest.objects.filter(pk=req.pk)).get()
        return Response(ApprovalRequestDetailSerializer(req, context=self.get_serializer_context()).data)

"""API v1 of realignment, under ``/api/v1/customers/``.

* ``realignments/`` and ``realignments/{code}/`` (with the impact preview), and
  ``realignments/{code}/apply/`` (POST): tenant admins only (others 403; another tenant's
  code 404); a batch of more than ``BACKGROUND_ABOVE`` items is queued for a Celery worker
  (HTTP 202, ``applying: true``; poll the detail until ``state`` is ``applied``);
* ``alignments/?hcp=<code>|institution=<code>&on=<date>``: the alignments in force for one
  customer on a day (today by default), for any member who sees that customer today or saw
  it on that day (else 404): history is credited to the territory of its time.
"""

from __future__ import annotations

import datetime as dt
import uuid

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts.models import Role
from sfe.core.api import HasRole, TenantAPIView, TenantReadOnlyViewSet

from .models import Hcp, Institution, RealignmentBatch
from .services import realignment as services
from .visibility import customer_visible_q


class BatchSerializer(serializers.ModelSerializer):
    product_line = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    applied_by = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField()
    applying = serializers.SerializerMethodField()
    apply_error = serializers.SerializerMethodField()

    class Meta:
        model = RealignmentBatch
        fields = ["code", "name", "method", "state", "effective_date", "product_line", "criteria", "created_at",
                  "created_by", "applied_at", "applied_by", "items", "result", "applying", "apply_error"]

    def get_product_line(self, obj) -> dict:
        return {"code": str(obj.product_line.code), "name": obj.product_line.name}

    def get_created_by(self, obj) -> str:
        return obj.created_by.user.full_name

    def get_applied_by(self, obj) -> str | None:
        return obj.applied_by.user.full_name if obj.applied_by_id else None

    def get_items(self, obj) -> dict:
        """Items by kind, as prepared."""
        return (obj.summary or {}).get("prepared", {}).get("items", {})

    def get_result(self, obj) -> dict | None:
        """What applying did: alignments created, ended, and future ones removed."""
        return (obj.summary or {}).get("applied")

    def get_applying(self, obj) -> bool:
        """A Celery worker is to apply this draft (a large batch)."""
        return services.is_applying(obj)

    def get_apply_error(self, obj) -> list[str]:
        """Why the last background apply did not happen (a draft only)."""
        return (obj.summary or {}).get("apply_error", []) if obj.state == RealignmentBatch.State.DRAFT else []


class BatchDetailSerializer(BatchSerializer):
    preview = serializers.SerializerMethodField()
    item_counts = serializers.SerializerMethodField()

    class Meta(BatchSerializer.Meta):
        fields = [*BatchSerializer.Meta.fields, "item_counts", "preview"]

    def get_preview(self, obj) -> list[dict]:
        """Per territory touched: institutions, HCPs and target HCPs before, gained, lost and
        after, and the institutions' and HCPs' potential likewise (decimals as strings)."""
        if obj.state == RealignmentBatch.State.CANCELLED:
            return []
        return [row.as_json() for row in services.realignment_preview(batch=obj)]

    def get_item_counts(self, obj) -> dict:
        if obj.state == RealignmentBatch.State.APPLIED and "items" in (obj.summary or {}):
            return obj.summary["items"]
        return services.item_counts(batch=obj)


class BatchFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=RealignmentBatch.State.choices, label=_("state"))
    method = django_filters.ChoiceFilter(choices=RealignmentBatch.Method.choices, label=_("method"))

    class Meta:
        model = RealignmentBatch
        fields: list[str] = []


@extend_schema_view(list=extend_schema(tags=["customers"]), retrieve=extend_schema(tags=["customers"]),
                    apply=extend_schema(tags=["customers"], request=None))
class RealignmentViewSet(TenantReadOnlyViewSet):
    """Realignment batches of the tenant (admins only); the detail carries the impact preview."""

    model = RealignmentBatch
    permission_classes = [HasRole(Role.ADMIN)]
    filterset_class = BatchFilter

    def restrict_queryset(self, qs):
        return qs  # admins only (the permission), and they see the whole tenant

    def scope_queryset(self, qs):
        return qs.select_related("product_line", "created_by__user", "applied_by__user").order_by("-created_at", "-id")

    def get_serializer_class(self):
        return BatchSerializer if self.action == "list" else BatchDetailSerializer

    @action(detail=True, methods=["post"])
    def apply(self, request, code=None):
        """Apply a draft batch (idempotent: applying an applied batch changes nothing). A
        batch of more than 20,000 items is queued for a background worker instead: HTTP 202
        with ``applying: true``; poll the detail until ``state`` is ``applied``."""
        batch = self.get_object()
        background = services.applies_in_background(batch)
        try:
            if background:
                batch, queued = services.realignment_apply_later(batch=batch, by=request.membership)
                applied = False
            else:
                batch, applied = services.realignment_apply(batch=batch, by=request.membership)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from None
        data = BatchDetailSerializer(batch, context=self.get_serializer_context()).data
        if background and queued:
            return Response({**data, "applied_now": False}, status=202)
        return Response({**data, "applied_now": applied})


def _day(raw: str | None, today: dt.date) -> dt.date:
    if not raw:
        return today
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise exceptions.ValidationError({"on": [_("Give the date as YYYY-MM-DD.")]}) from None


class AlignmentsView(TenantAPIView):
    """The alignments in force for one HCP or institution on a day, with the territory and
    product line; for an HCP, the institution's alignments they follow (``via``:
    ``institution``) where they have none of their own in that line."""

    @extend_schema(tags=["customers"], responses={200: OpenApiTypes.OBJECT}, parameters=[
        OpenApiParameter("hcp", str, description="the HCP's code"),
        OpenApiParameter("institution", str, description="the institution's code"),
        OpenApiParameter("on", dt.date, description="the day (default today)"),
    ])
    def get(self, request):
        params = request.query_params
        hcp_code, inst_code = params.get("hcp", "").strip(), params.get("institution", "").strip()
        if bool(hcp_code) == bool(inst_code):
            raise exceptions.ValidationError({"hcp": [_("Give either hcp or institution (a code).")]})
        day = _day(params.get("on"), request.tenant.today())
        model = Hcp if hcp_code else Institution
        try:
            code = uuid.UUID(hcp_code or inst_code)
        except ValueError:
            raise exceptions.NotFound from None
        now_q = customer_visible_q(model, request.user)
        seen = now_q
        if now_q and day != request.tenant.today():  # who saw it on that day may read that day
            seen = now_q | customer_visible_q(model, request.user, on=day)
        customer = model.objects.filter(code=code).filter(seen).first()
        if customer is None:
            raise exceptions.NotFound
        rows = services.alignments_on(customer, day)
        return Response({
            "customer": {"kind": "hcp" if model is Hcp else "institution", "code": str(customer.code),
                         "name": customer.name, "external_code": customer.external_code},
            "on": day.isoformat(),
            "alignments": [{
                "code": str(a.code), "product_line": {"code": str(a.product_line.code), "name": a.product_line.name},
                "territory": {"code": str(a.territory.code), "name": a.territory.name},
                "start_date": a.start_date.isoformat(), "end_date": a.end_date.isoformat() if a.end_date else None,
                "source": a.source, "via": "institution" if model is Hcp and not a.hcp_id else "own",
            } for a in rows],
        })


router = SimpleRouter()
router.register("realignments", RealignmentViewSet, basename="api-customers-realignments")

urlpatterns = [
    path("alignments/", AlignmentsView.as_view(), name="api-customers-alignments"),
    *router.urls,
]

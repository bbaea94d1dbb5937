"""API v1 of data quality (``/api/v1/customers/``): change requests, the duplicates queue,
merging a pair and undoing a merge.

* ``changes/``: the caller's own change requests (list), one they may open (by code, as
  on its page), and submitting one. Customers are named by code and must be visible to
  the caller: another tenant's or an invisible one is 404, like a missing one.
* ``duplicates/``: open pairs for data stewards and admins; ``merge`` (body:
  ``{"survivor": "a" | "b", "reason": …}``) and ``dismiss``.
* ``merges/``: the merge history (stewards and admins) and ``undo``.

Service refusals are 400 with the messages by field.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import OrgNode, Role
from products.models import ProductLine
from sfe.core.api import HasRole, TenantViewSet

from ..models import ChangeRequest, CustomerKind, DuplicateCandidate, Hcp, Institution, Merge
from ..services.changes import change_submit, changes_visible_to, effective_state
from ..services.duplicates import duplicate_dismiss, duplicate_merge, open_candidates, with_records
from ..services.merge import undo_merge

STEWARDS = (Role.DATA_STEWARD, Role.ADMIN)


def service_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's 400, field by field."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError({("non_field_errors" if k == "__all__" else k): [str(m) for m in v]
                                           for k, v in exc.message_dict.items()})
    return exceptions.ValidationError({"non_field_errors": [str(m) for m in exc.messages]})


def _enum(choices, component: str):
    """A choice field documented as the named enum component ``component`` (one enum per
    choice set in the schema: no collision with other apps' ``kind`` or ``state``)."""
    choices = getattr(choices, "choices", choices)

    @extend_schema_field(serializers.ChoiceField(choices=choices), component_name=component)
    class EnumField(serializers.ChoiceField):
        def __init__(self, **kwargs):
            super().__init__(choices=choices, **kwargs)

    EnumField.__name__ = EnumField.__qualname__ = f"{component}Field"
    return EnumField


ChangeKindField = _enum(ChangeRequest.Kind, "ChangeRequestKind")
ChangeStateField = _enum(ChangeRequest.State, "ChangeRequestState")
CustomerKindField = _enum(CustomerKind, "CustomerKind")
DuplicateStateField = _enum(DuplicateCandidate.State, "DuplicateState")
DuplicateReasonField = _enum(DuplicateCandidate.Reason, "DuplicateReason")


def _ref(obj) -> dict | None:
    return {"code": str(obj.code), "name": obj.name} if obj is not None else None


# --------------------------------------------------------------------------- change requests


class ChangeRequestSerializer(serializers.ModelSerializer):
    kind = ChangeKindField(read_only=True)
    state = serializers.SerializerMethodField()
    hcp = serializers.SerializerMethodField()
    institution = serializers.SerializerMethodField()
    territory = serializers.SerializerMethodField()
    product_line = serializers.SerializerMethodField()
    approval = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRequest
        fields = ["code", "kind", "state", "hcp", "institution", "territory", "product_line", "before", "proposed",
                  "reason", "error", "created_at", "decided_at", "approval"]

    @extend_schema_field(ChangeStateField)
    def get_state(self, obj) -> str:
        return effective_state(obj)

    def get_hcp(self, obj) -> dict | None:
        return _ref(obj.hcp)

    def get_institution(self, obj) -> dict | None:
        return _ref(obj.institution)

    def get_territory(self, obj) -> dict | None:
        return _ref(obj.territory)

    def get_product_line(self, obj) -> dict | None:
        return _ref(obj.product_line)

    def get_approval(self, obj) -> str | None:
        return str(obj.approval.code) if obj.approval_id else None


class ChangeRequestCreateSerializer(serializers.Serializer):
    kind = ChangeKindField()
    hcp = serializers.UUIDField(required=False, allow_null=True,
                                help_text=_("The HCP to correct, deactivate or (re)align."))
    institution = serializers.UUIDField(required=False, allow_null=True,
                                        help_text=_("The institution to change, or the new HCP's institution."))
    proposed = serializers.DictField(required=False, default=dict,
                                     help_text=_("Field → new value (corrections and new records)."))
    reason = serializers.CharField(allow_blank=True, max_length=2000)
    territory = serializers.UUIDField(required=False, allow_null=True)
    product_line = serializers.UUIDField(required=False, allow_null=True)
    day = serializers.DateField(required=False, allow_null=True,
                                help_text=_("Alignment: the first day in (add) or out (drop)."))


def _visible(model, user, code):
    obj = model.objects.visible_to(user).live().filter(code=code).first()
    if obj is None:
        raise exceptions.NotFound(_("Not found."))
    return obj


def _by_code(model, code, field: str):
    if code is None:
        return None
    obj = model.objects.filter(code=code).first()
    if obj is None:
        raise exceptions.ValidationError({field: [str(_("Not found."))]})
    return obj


@extend_schema_view(list=extend_schema(tags=["customers"]), retrieve=extend_schema(tags=["customers"]),
                    create=extend_schema(tags=["customers"], request=ChangeRequestCreateSerializer,
                                         responses={201: ChangeRequestSerializer}))
class ChangeRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet):
    """The caller's change requests (list, newest first); one they may open; submit one."""

    model = ChangeRequest
    serializer_class = ChangeRequestSerializer

    def restrict_queryset(self, qs):
        if self.action == "list":
            return qs.filter(requested_by=self.request.membership)
        return changes_visible_to(self.request.membership, self.request.tenant.today(), qs)

    def scope_queryset(self, qs):
        return qs.select_related("hcp", "institution", "territory", "product_line", "approval").order_by(
            "-created_at", "-id")

    def create(self, request, *args, **kwargs):
        form = ChangeRequestCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        kind = data["kind"]
        user = request.user
        record = institution = None
        if kind == ChangeRequest.Kind.NEW_HCP:
            if data.get("institution") is None:
                raise exceptions.ValidationError({"institution": [str(_("This field is required."))]})
            institution = _visible(Institution, user, data["institution"])
        elif kind != ChangeRequest.Kind.NEW_INSTITUTION:
            if data.get("hcp"):
                record = _visible(Hcp, user, data["hcp"])
            elif data.get("institution"):
                record = _visible(Institution, user, data["institution"])
            else:
                raise exceptions.ValidationError({"hcp": [str(_("Name the HCP or the institution."))]})
        try:
            dcr = change_submit(
                requester=request.membership, kind=kind, reason=data["reason"], record=record, institution=institution,
                data=data.get("proposed") or {}, territory=_by_code(OrgNode, data.get("territory"), "territory"),
                product_line=_by_code(ProductLine, data.get("product_line"), "product_line"), day=data.get("day"),
            )
        except DjangoValidationError as e:
            raise service_error(e) from None
        dcr = self.scope_queryset(ChangeRequest.objects.filter(pk=dcr.pk)).get()
        return Response(ChangeRequestSerializer(dcr, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- duplicates and merges


class CandidateSerializer(serializers.ModelSerializer):
    kind = CustomerKindField(read_only=True)
    state = DuplicateStateField(read_only=True)
    reasons = serializers.ListField(child=DuplicateReasonField(), read_only=True)
    a = serializers.SerializerMethodField()
    b = serializers.SerializerMethodField()

    class Meta:
        model = DuplicateCandidate
        fields = ["code", "kind", "a", "b", "reasons", "score", "state", "found_at"]

    def get_a(self, obj) -> dict:
        return _ref(obj.pair[0])

    def get_b(self, obj) -> dict:
        return _ref(obj.pair[1])


class MergeSerializer(serializers.ModelSerializer):
    kind = CustomerKindField(read_only=True)
    survivor = serializers.SerializerMethodField()
    merged = serializers.SerializerMethodField()

    class Meta:
        model = Merge
        fields = ["code", "kind", "survivor", "merged", "reason", "merged_at", "undone_at"]

    def get_survivor(self, obj) -> dict:
        return _ref(obj.survivor_hcp or obj.survivor_institution)

    def get_merged(self, obj) -> dict:
        return _ref(obj.merged_hcp or obj.merged_institution)


class MergeRequestSerializer(serializers.Serializer):
    survivor = serializers.ChoiceField(choices=[("a", "a"), ("b", "b")], help_text=_("Which record stays."))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class UndoSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


@extend_schema_view(list=extend_schema(tags=["customers"]), retrieve=extend_schema(tags=["customers"]))
class DuplicateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Open possible duplicates, best first (data stewards and admins)."""

    model = DuplicateCandidate
    serializer_class = CandidateSerializer
    permission_classes = [HasRole(*STEWARDS)]

    def restrict_queryset(self, qs):
        if self.action == "list":
            return qs & open_candidates(self.request.query_params.get("kind", ""))
        return qs  # stewards see the whole tenant's queue

    def scope_queryset(self, qs):
        return with_records(qs).order_by("-score", "-found_at", "-id")

    @extend_schema(tags=["customers"], request=MergeRequestSerializer, responses={201: MergeSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, code=None):
        """Merge the pair into the record named by ``survivor``."""
        candidate = self.get_object()
        form = MergeRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            done = duplicate_merge(candidate=candidate, survivor=form.validated_data["survivor"], by=request.membership,
                                   reason=form.validated_data["reason"])
        except DjangoValidationError as e:
            raise service_error(e) from None
        return Response(MergeSerializer(done).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["customers"], request=None, responses=CandidateSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, code=None):
        """Not a duplicate: the pair leaves the queue for good."""
        candidate = self.get_object()
        try:
            done = duplicate_dismiss(candidate=candidate, by=request.membership)
        except DjangoValidationError as e:
            raise service_error(e) from None
        return Response(CandidateSerializer(with_records(DuplicateCandidate.objects.filter(pk=done.pk)).get()).data)


@extend_schema_view(list=extend_schema(tags=["customers"]))
class MergeViewSet(mixins.ListModelMixin, TenantViewSet):
    """The merge history, newest first (data stewards and admins); undo one."""

    model = Merge
    serializer_class = MergeSerializer
    permission_classes = [HasRole(*STEWARDS)]

    def restrict_queryset(self, qs):
        return qs

    def scope_queryset(self, qs):
        return qs.select_related("survivor_hcp", "merged_hcp", "survivor_institution", "merged_institution").order_by(
            "-merged_at", "-id")

    @extend_schema(tags=["customers"], request=UndoSerializer, responses=MergeSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request, code=None):
        """Move back exactly what the merge moved and restore the merged record."""
        merge = self.get_object()
        form = UndoSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            done = undo_merge(merge=merge, by=request.membership, reason=form.validated_data["reason"])
        except DjangoValidationError as e:
            raise service_error(e) from None
        return Response(MergeSerializer(self.scope_queryset(Merge.objects.filter(pk=done.pk)).get()).data)

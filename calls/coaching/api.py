"""API v1 of coaching, under ``/api/v1/coaching/`` (reps, managers, analysts, admins; data
stewards and finance 403; another tenant's or an invisible code 404):

* ``skills/`` and ``skills/{code}/`` — the tenant's coaching skills (read);
* ``evaluations/`` — the evaluations the caller sees (filters ``rep``, ``state``, ``day_from``,
  ``day_to``); ``POST`` (managers) creates one, idempotent by the client's ``code``: 201 the
  first time, 200 with the same evaluation after;
* ``evaluations/{code}/`` — one evaluation with its scores;
* ``evaluations/{code}/share/`` (its author) and ``evaluations/{code}/acknowledge/`` (its rep).
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Membership, Role
from customers.api import CappedPagination, service_error
from sfe.core.api import HasRole, TenantReadOnlyViewSet, TenantViewSet

from . import selectors
from .models import Evaluation, EvaluationState, Score
from .serializers import AcknowledgeSerializer, EvaluationCreateSerializer, EvaluationSerializer, SkillSerializer
from .services import ScoreIn, evaluation_acknowledge, evaluation_create, evaluation_share
from .visibility import READERS

TAGS = ["coaching"]


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Coaching skills, in order"),
                    retrieve=extend_schema(tags=TAGS, summary="A coaching skill"))
class SkillViewSet(TenantReadOnlyViewSet):
    permission_classes = [HasRole(*READERS)]
    pagination_class = CappedPagination
    serializer_class = SkillSerializer

    def get_base_queryset(self):
        return selectors.skills()

    def restrict_queryset(self, qs):
        return qs  # the tenant's skills are no secret to its members


class EvaluationFilter(django_filters.FilterSet):
    rep = django_filters.UUIDFilter(field_name="rep__code", label=gettext_lazy("rep (membership code)"))
    state = django_filters.ChoiceFilter(choices=EvaluationState.choices, label=gettext_lazy("state"))
    day_from = django_filters.DateFilter(field_name="day", lookup_expr="gte", label=gettext_lazy("from day"))
    day_to = django_filters.DateFilter(field_name="day", lookup_expr="lte", label=gettext_lazy("to day"))

    class Meta:
        model = Evaluation
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(tags=TAGS, summary="Co-visit evaluations the caller sees, newest first"),
    retrieve=extend_schema(tags=TAGS, summary="A co-visit evaluation with its scores"),
    create=extend_schema(tags=TAGS, summary="Record a co-visit evaluation (managers; idempotent by code)",
                         request=EvaluationCreateSerializer, responses={201: EvaluationSerializer,
                                                                        200: EvaluationSerializer}),
    share=extend_schema(tags=TAGS, summary="Share a draft evaluation with the rep (its author)", request=None,
                        responses={200: EvaluationSerializer}),
    acknowledge=extend_schema(tags=TAGS, summary="Acknowledge a shared evaluation (its rep)",
                              request=AcknowledgeSerializer, responses={200: EvaluationSerializer}),
)
class EvaluationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet):
    permission_classes = [HasRole(*READERS)]
    pagination_class = CappedPagination
    serializer_class = EvaluationSerializer
    filterset_class = EvaluationFilter
    model = Evaluation

    def scope_queryset(self, qs):
        scores = Score.objects.select_related("skill").order_by("skill__position", "skill__id")
        return (qs.select_related("manager__user", "rep__user", "call")
                .prefetch_related(Prefetch("scores", queryset=scores)).order_by("-day", "-id"))

    def get_serializer_class(self):
        return {"create": EvaluationCreateSerializer, "acknowledge": AcknowledgeSerializer}.get(
            self.action, EvaluationSerializer)

    def _out(self, evaluation, code=status.HTTP_200_OK):
        evaluation = self.get_queryset().get(pk=evaluation.pk)
        return Response(EvaluationSerializer(evaluation, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        from calls.models import Call

        if not request.membership.has_role(Role.MANAGER):
            raise exceptions.PermissionDenied(_("Only a manager can record a co-visit evaluation."))
        form = EvaluationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        rep = Membership.objects.select_related("user").filter(code=d["rep"]).first()
        if rep is None:
            raise exceptions.ValidationError({"rep": [_("Choose a rep of your team.")]})
        call = None
        if d.get("call"):
            call = Call.objects.filter(code=d["call"]).first()
            if call is None:
                raise exceptions.ValidationError({"call": [_("This call is not one of %(name)s's.") % {
                    "name": rep.user.full_name}]})
        try:
            evaluation, created = evaluation_create(
                manager=request.membership, rep=rep, day=d["day"], call=call, comment=d["comment"],
                strengths=d["strengths"], to_improve=d["to_improve"], code=d.get("code"), share=d["share"],
                scores=[ScoreIn(skill=s["skill"], score=s["score"], comment=s["comment"]) for s in d["scores"]])
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self._out(evaluation, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @action(detail=True, methods=["post"])
    def share(self, request, code=None):
        evaluation = self.get_object()
        if evaluation.manager_id != request.membership.pk:
            raise exceptions.PermissionDenied(_("Only the manager who wrote this evaluation can change it."))
        try:
            evaluation_share(evaluation=evaluation, by=request.membership)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self._out(evaluation)

    @action(detail=True, methods=["post"])
    def acknowledge(self, request, code=None):
        evaluation = self.get_object()
        if evaluation.rep_id != request.membership.pk:
            raise exceptions.PermissionDenied(_("Only the evaluated rep can acknowledge this evaluation."))
        form = AcknowledgeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            evaluation_acknowledge(evaluation=evaluation, by=request.membership,
                                   comment=form.validated_data["comment"])
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self._out(evaluation)

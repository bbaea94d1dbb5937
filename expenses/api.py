"""API v1 of expenses, under ``/api/v1/expenses/`` (reps, managers, analysts, admins and
finance; data stewards 403; another tenant's or an invisible code 404):

* ``claims/`` — the claims the caller sees (``expenses.visibility``; filters ``state``,
  ``rep``, ``date_from``, ``date_to`` on the day the claim was made); ``POST`` (reps and
  managers) saves a draft, idempotent by the client's ``code``: 201 the first time, 200 with
  the same claim after;
* ``claims/{code}/`` — one claim with its lines (category, day, amount, currency, rate, amount
  in the tenant's currency, HCPs with their shares), receipts (with download URLs) and
  approval; ``PUT``/``PATCH`` change a draft or a claim sent back, ``DELETE`` a draft never
  submitted (its rep only: anyone else who sees it gets 403);
* ``claims/{code}/submit/``, ``claims/{code}/correct/`` (201: the new correction draft) and
  ``claims/{code}/receipts/`` (multipart upload, field ``receipt``) — its rep;
* ``receipts/{code}/`` (``GET`` the receipt, ``DELETE`` by the claim's rep) and
  ``receipts/{code}/file/`` — the file, for whoever sees the claim;
* ``budgets/`` (managers: budgets of nodes they hold or under them; analysts, admins and
  finance: all; reps 403), ``caps/`` and ``categories/`` (read).

Every refusal of a service is a 400 keyed by the service's field names (``purpose``,
``lines``, ``claim``, ``code``, ``receipt`` or ``line-<i>-<field>``); input the serializer
refuses uses the same keys (a bad date on line 2 is ``line-1-day``).
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.models import Role
from accounts.visibility import visible_node_ids
from customers.api import CappedPagination, service_error
from sfe.core.api import HasRole, TenantReadOnlyViewSet, TenantViewSet

from .models import Budget, ClaimState, ExpenseCategory, ExpenseClaim, ExpenseLine, LineHcp, Receipt, SpendCap
from .serializers import (
    ExpenseBudgetSerializer,
    ExpenseCategorySerializer,
    ExpenseClaimSerializer,
    ExpenseClaimWriteSerializer,
    ExpenseReceiptSerializer,
    ExpenseReceiptUploadSerializer,
    ExpenseSpendCapSerializer,
)
from .services import LineIn, claim_correct, claim_delete, claim_save, claim_submit, receipt_add, receipt_remove
from .visibility import READERS, WHOLE_TENANT

TAGS = ["expenses"]
FILERS = (Role.REP, Role.MANAGER)
BUDGET_READERS = (Role.MANAGER, Role.ANALYST, Role.ADMIN, Role.FINANCE)


def _messages(value) -> list[str]:
    """DRF's error detail (a list, a dict of index → list, nested) as flat strings."""
    if isinstance(value, dict):
        return [m for v in value.values() for m in _messages(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def _input_error(errors: dict) -> exceptions.ValidationError:
    """The serializer's errors with the services' keys: ``lines[1].day`` becomes ``line-1-day``."""
    out: dict[str, list[str]] = {}
    for key, value in errors.items():
        if key == "lines" and isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for n, item in enumerate(value):
                for name, detail in (item or {}).items():
                    out[f"line-{n}-{name}"] = _messages(detail)
        elif key == "lines" and isinstance(value, dict) and all(isinstance(k, int) for k in value):
            for n, item in value.items():
                for name, detail in (item or {}).items():
                    out[f"line-{n}-{name}"] = _messages(detail)
        else:
            out[key] = _messages(value)
    return exceptions.ValidationError(out)


def _line_in(data: dict) -> LineIn:
    return LineIn(category=data.get("category"), day=data.get("day"), amount=data.get("amount"),
                  currency=data.get("currency") or "", description=data.get("description") or "",
                  hcps=list(data.get("hcps") or []), call=data.get("call"), code=data.get("code"))


def _lines_of(claim: ExpenseClaim) -> list[LineIn]:
    """The claim's lines as they are (a PATCH without ``lines`` keeps them)."""
    lines = (ExpenseLine.objects.filter(claim=claim).select_related("category", "call")
             .prefetch_related(Prefetch("hcps", queryset=LineHcp.objects.select_related("hcp").order_by("id")))
             .order_by("position", "id"))
    return [LineIn(category=line.category.code, day=line.day, amount=line.amount, currency=line.currency,
                   description=line.description, hcps=[h.hcp.code for h in line.hcps.all()],
                   call=line.call.code if line.call_id else None, code=line.code) for line in lines]


# --------------------------------------------------------------------------- claims


class ClaimFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=ClaimState.choices, label=gettext_lazy("state"))
    rep = django_filters.UUIDFilter(field_name="rep__code", label=gettext_lazy("rep (membership code)"))
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte",
                                          label=gettext_lazy("made on or after (date)"))
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte",
                                        label=gettext_lazy("made on or before (date)"))

    class Meta:
        model = ExpenseClaim
        fields: list[str] = []


_CLAIM = ExpenseClaimSerializer
_WRITE = ExpenseClaimWriteSerializer
_ERRORS = {400: OpenApiResponse(description="Refused: the keys name the fields (purpose, lines, claim, code, "
                                            "line-<i>-<field>).")}


@extend_schema_view(
    list=extend_schema(tags=TAGS, summary="Expense claims the caller sees, newest first"),
    retrieve=extend_schema(tags=TAGS, summary="An expense claim with its lines, receipts and approval"),
    create=extend_schema(tags=TAGS, summary="Save a draft claim (reps and managers; idempotent by code)",
                         request=_WRITE, responses={201: _CLAIM, 200: _CLAIM, **_ERRORS}),
    update=extend_schema(tags=TAGS, summary="Change a draft or a claim sent back (its rep)", request=_WRITE,
                         responses={200: _CLAIM, **_ERRORS}),
    partial_update=extend_schema(tags=TAGS, summary="Change the purpose or the lines of a draft or a claim sent back "
                                                    "(its rep)", request=_WRITE, responses={200: _CLAIM, **_ERRORS}),
    destroy=extend_schema(tags=TAGS, summary="Delete a draft that was never submitted (its rep)",
                          responses={204: None, **_ERRORS}),
    submit=extend_schema(tags=TAGS, summary="Submit for approval: budgets and caps checked and committed (its rep)",
                         request=None, responses={200: _CLAIM, **_ERRORS}),
    correct=extend_schema(tags=TAGS, summary="Open a correction of an approved claim: a new linked draft (its rep)",
                          request=None, responses={201: _CLAIM, **_ERRORS}),
    receipts=extend_schema(tags=TAGS, summary="Add a receipt (photo or PDF) to a draft or a claim sent back (its rep)",
                           request={"multipart/form-data": ExpenseReceiptUploadSerializer},
                           responses={201: ExpenseReceiptSerializer, **_ERRORS}),
)
class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    permission_classes = [HasRole(*READERS)]
    pagination_class = CappedPagination
    serializer_class = ExpenseClaimSerializer
    filterset_class = ClaimFilter
    model = ExpenseClaim

    def scope_queryset(self, qs):
        hcps = LineHcp.objects.select_related("hcp").order_by("id")
        lines = (ExpenseLine.objects.select_related("category", "call").order_by("position", "id")
                 .prefetch_related(Prefetch("hcps", queryset=hcps)))
        return (qs.select_related("rep__user", "territory", "approval", "corrects")
                .prefetch_related(Prefetch("lines", queryset=lines),
                                  Prefetch("receipts", queryset=Receipt.objects.order_by("uploaded_at", "id")))
                .order_by("-created_at", "-id"))

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return ExpenseClaimWriteSerializer
        if self.action == "receipts":
            return ExpenseReceiptUploadSerializer
        return ExpenseClaimSerializer

    def _out(self, claim, code=status.HTTP_200_OK):
        claim = self.get_queryset().get(pk=claim.pk)
        return Response(ExpenseClaimSerializer(claim, context=self.get_serializer_context()).data, status=code)

    def _own(self, claim, message):
        if claim.rep_id != self.request.membership.pk:
            raise exceptions.PermissionDenied(message)
        return claim

    def _input(self, *, partial: bool) -> dict:
        form = ExpenseClaimWriteSerializer(data=self.request.data, partial=partial)
        if not form.is_valid():
            raise _input_error(form.errors)
        return form.validated_data

    def create(self, request, *args, **kwargs):
        if not request.membership.has_role(*FILERS):
            raise exceptions.PermissionDenied(_("Only reps and managers file expense claims."))
        d = self._input(partial=False)
        try:
            claim, created = claim_save(rep=request.membership, purpose=d["purpose"],
                                        lines=[_line_in(line) for line in d["lines"]], code=d.get("code"))
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self._out(claim, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def _update(self, *, partial: bool):
        claim = self._own(self.get_object(), _("Only the rep who made the claim can change it."))
        d = self._input(partial=partial)
        purpose = d["purpose"] if "purpose" in d else claim.purpose
        lines = [_line_in(line) for line in d["lines"]] if "lines" in d else _lines_of(claim)
        try:
            claim, _created = claim_save(rep=self.request.membership, purpose=purpose, lines=lines, claim=claim)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self._out(claim)

    def update(self, request, *args, **kwargs):
        return self._update(partial=False)

    def partial_update(self, request, *args, **kwargs):
        return self._update(partial=True)

    def destroy(self, request, *args, **kwargs):
        claim = self._own(self.get_object(), _("Only the rep who made the claim can delete it."))
        try:
            claim_delete(claim=claim, by=request.membership)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def submit(self, request, code=None):
        claim = self._own(self.get_object(), _("Only the rep who made the claim can submit it."))
        try:
            claim = claim_submit(claim=claim, by=request.membership)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self._out(claim)

    @action(detail=True, methods=["post"])
    def correct(self, request, code=None):
        claim = self._own(self.get_object(), _("Only the rep who made the claim can correct it."))
        try:
            correction = claim_correct(claim=claim, by=request.membership)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self._out(correction, status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def receipts(self, request, code=None):
        claim = self._own(self.get_object(), _("Only the rep who made the claim adds receipts."))
        upload = request.FILES.get("receipt")
        if upload is None:
            raise exceptions.ValidationError({"receipt": [_("Choose a photo or a PDF of the receipt.")]})
        try:
            receipt = receipt_add(claim=claim, upload=upload, by=request.membership)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return Response(ExpenseReceiptSerializer(receipt, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------- receipts


@extend_schema_view(
    retrieve=extend_schema(tags=TAGS, summary="A receipt (whoever sees its claim)"),
    destroy=extend_schema(tags=TAGS, summary="Remove a receipt of a draft or a claim sent back (the claim's rep)",
                          responses={204: None, **_ERRORS}),
    file=extend_schema(tags=TAGS, summary="Download the receipt's file (whoever sees its claim)",
                       responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}),
)
class ReceiptViewSet(mixins.RetrieveModelMixin, mixins.DestroyModelMixin, TenantViewSet):
    permission_classes = [HasRole(*READERS)]
    serializer_class = ExpenseReceiptSerializer
    model = Receipt

    def restrict_queryset(self, qs):
        return qs.filter(claim_id__in=ExpenseClaim.objects.visible_to(self.request.user).values("id"))

    def destroy(self, request, *args, **kwargs):
        receipt = self.get_object()
        if receipt.claim.rep_id != request.membership.pk:
            raise exceptions.PermissionDenied(_("Only the rep who made the claim removes its receipts."))
        try:
            receipt_remove(receipt=receipt, by=request.membership)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["get"])
    def file(self, request, code=None):
        receipt = self.get_object()
        try:
            handle = receipt.file.open("rb")
        except FileNotFoundError:
            raise exceptions.NotFound(_("The file of this receipt is missing.")) from None
        ext = "." + receipt.file.name.rsplit(".", 1)[-1] if "." in receipt.file.name else ""
        name = receipt.original_name or f"receipt{ext}"
        response = FileResponse(handle, content_type=receipt.content_type, as_attachment=True, filename=name)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

    def scope_queryset(self, qs):
        return qs.select_related("claim")


# --------------------------------------------------------------------------- spend control


class BudgetFilter(django_filters.FilterSet):
    node = django_filters.UUIDFilter(field_name="node__code", label=gettext_lazy("organisation node (code)"))
    category = django_filters.UUIDFilter(field_name="category__code", label=gettext_lazy("category (code)"))
    on = django_filters.DateFilter(method="filter_on", label=gettext_lazy("in force on (date)"))

    class Meta:
        model = Budget
        fields: list[str] = []

    def filter_on(self, qs, name, value):
        return qs.filter(start_date__lte=value, end_date__gte=value)


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Budgets with what is committed and spent"),
                    retrieve=extend_schema(tags=TAGS, summary="A budget with what is committed and spent"))
class BudgetViewSet(TenantReadOnlyViewSet):
    permission_classes = [HasRole(*BUDGET_READERS)]
    pagination_class = CappedPagination
    serializer_class = ExpenseBudgetSerializer
    filterset_class = BudgetFilter
    model = Budget

    def restrict_queryset(self, qs):
        if self.request.membership.has_role(*WHOLE_TENANT):
            return qs
        return qs.filter(node_id__in=visible_node_ids(self.request.user, positions_only=True))

    def scope_queryset(self, qs):
        return qs.select_related("node", "category", "parent").order_by("start_date", "name", "id")


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Spend caps per HCP per year"),
                    retrieve=extend_schema(tags=TAGS, summary="A spend cap"))
class CapViewSet(TenantReadOnlyViewSet):
    permission_classes = [HasRole(*READERS)]
    pagination_class = CappedPagination
    serializer_class = ExpenseSpendCapSerializer
    model = SpendCap

    def restrict_queryset(self, qs):
        return qs  # a tenant's caps are no secret to those who file or read claims

    def scope_queryset(self, qs):
        return qs.select_related("category").order_by("-is_active", "category__position", "id")


@extend_schema_view(list=extend_schema(tags=TAGS, summary="Expense categories, in order"),
                    retrieve=extend_schema(tags=TAGS, summary="An expense category"))
class CategoryViewSet(TenantReadOnlyViewSet):
    permission_classes = [HasRole(*READERS)]
    pagination_class = CappedPagination
    serializer_class = ExpenseCategorySerializer
    model = ExpenseCategory

    def restrict_queryset(self, qs):
        return qs

    def scope_queryset(self, qs):
        return qs.order_by("position", "name", "id")

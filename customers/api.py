"""API v1 of the customer master's core records: HCPs, institutions, search, timelines.

``/api/v1/customers/hcps/`` and ``…/institutions/``: lists with the pages' filters
(``customers.selectors``), a record by code with its parts, creation and correction
(admins and data stewards: reps propose changes through change requests), lifecycle moves
(reps, managers, admins, data stewards), the timeline; ``…/search/`` as you type.

Everything is scoped: the base (``sfe.core.api``) enters the caller's tenant; lists are
the selectors' querysets (visibility included) and single records come from
``selectors.hcp_for`` / ``institution_for``, so another tenant's code and a record the
caller does not see are the same 404.

Lists are paginated by page number without an unbounded ``COUNT``: a page reads one row
more than it shows (is there a next page?) and the total is counted only up to
``selectors.COUNT_CAP`` (``count_capped`` says the real total is larger); pages go no
deeper than that cap — narrow the filter instead. A list request is a fixed number of
queries whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from accounts.models import Role
from accounts.visibility import sees_whole_tenant
from sfe.core.api import HasRole, IsTenantMember, TenantAPIView, TenantViewSet

from . import selectors
from .models import Affiliation, Department, Hcp, Institution, KolLink, Status, SupplyRelation
from .serializers import (
    HcpDetailSerializer,
    HcpFilterSerializer,
    HcpListSerializer,
    HcpWriteSerializer,
    InstitutionDetailSerializer,
    InstitutionFilterSerializer,
    InstitutionListSerializer,
    InstitutionWriteSerializer,
    SearchQuerySerializer,
    SearchSerializer,
    StageChangeSerializer,
    StageResultSerializer,
    TimelineEntrySerializer,
    TimelineQuerySerializer,
    supply_item,
)
from .timeline import timeline as customer_timeline
from .visibility import customer_visible_q

MASTER_ROLES = (Role.ADMIN, Role.DATA_STEWARD)
STAGE_ROLES = (Role.REP, Role.MANAGER, Role.ADMIN, Role.DATA_STEWARD)
NETWORK_LIMIT = 100
KOL_LINK_LIMIT = 200


def service_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's 400, field by field (messages already in the
    caller's language)."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    return exceptions.ValidationError({"non_field_errors": [str(m) for m in exc.messages]})


def _merged_refused(record) -> None:
    if record.status == Status.MERGED:
        raise exceptions.ValidationError({"non_field_errors": [_("This record was merged into another one.")]})


# --------------------------------------------------------------------------- pagination


class CappedPagination(PageNumberPagination):
    """Page numbers, one row read ahead, the total counted up to ``COUNT_CAP`` only."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    cap = selectors.COUNT_CAP

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self.get_page_size(request)
        raw = request.query_params.get(self.page_query_param, "1")
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = 0
        if number < 1:
            raise exceptions.NotFound(_("Invalid page."))
        offset = (number - 1) * size
        if offset >= self.cap:
            raise exceptions.NotFound(_("Pages go no further than the first %(n)s records: narrow the filter.")
                                      % {"n": self.cap})
        rows = list(queryset[offset: offset + size + 1])
        if not rows and number > 1:
            raise exceptions.NotFound(_("Invalid page."))
        more_rows = len(rows) > size
        rows = rows[:size]
        self.number, self.size = number, size
        self.has_next = more_rows and offset + size < self.cap
        if more_rows:
            self.count, self.count_capped = selectors.capped_count(queryset, self.cap)
        else:  # the last page: the total is known without counting
            self.count, self.count_capped = offset + len(rows), False
        return rows

    def _page_url(self, number: int) -> str:
        from rest_framework.utils.urls import remove_query_param, replace_query_param

        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_paginated_response(self, data):
        return Response({
            "count": self.count,
            "count_capped": self.count_capped,
            "next": self._page_url(self.number + 1) if self.has_next else None,
            "previous": self._page_url(self.number - 1) if self.number > 1 else None,
            "results": data,
        })

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "count_capped", "results"],
            "properties": {
                "count": {"type": "integer", "example": 123,
                          "description": f"The number of matching records, counted up to {self.cap}."},
                "count_capped": {"type": "boolean",
                                 "description": "True when more records match than ``count`` says."},
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


# --------------------------------------------------------------------------- shared viewset


class _CustomerViewSet(TenantViewSet):
    """What the HCP and institution endpoints share; subclasses name the model, the
    selectors, the serializers and the services."""

    pagination_class = CappedPagination
    filter_backends: list = []
    filter_serializer = None
    list_serializer = detail_serializer = write_serializer = None

    def get_permissions(self):
        if self.action in ("create", "partial_update"):
            return [HasRole(*MASTER_ROLES)]
        if self.action == "stage":
            return [HasRole(*STAGE_ROLES)]
        return [IsTenantMember()]

    def get_serializer_class(self):
        return {"list": self.list_serializer, "stage": StageChangeSerializer,
                "timeline": TimelineEntrySerializer}.get(self.action, self.detail_serializer)

    # --- reads

    #: Each concrete viewset names its two selectors: ``select_list(user, params)``, the
    #: list's queryset (filters, visibility), and ``find(user, code)``, one visible record
    #: or 404.
    select_list: Callable
    find: Callable

    def restrict_queryset(self, qs):
        """The list is the selector's queryset: visibility (``customer_visible_q``) and the
        page's filters in one query; only ``list`` reads the queryset."""
        form = self.filter_serializer(data=self.request.query_params)
        form.is_valid(raise_exception=True)
        return self.select_list(self.request.user, form.as_params())

    def get_object(self):
        return self.find(self.request.user, self.kwargs["code"])

    def detail_context(self, record) -> dict:
        return {}

    def detail_response(self, record, status_code=status.HTTP_200_OK) -> Response:
        context = {**self.get_serializer_context(), **self.detail_context(record)}
        return Response(self.detail_serializer(record, context=context).data, status=status_code)

    def list(self, request):
        rows = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.list_serializer(rows, many=True).data)

    def retrieve(self, request, code=None):
        return self.detail_response(self.get_object())

    # --- writes

    def write_form(self, request):
        form = self.write_serializer(data=request.data)
        form.is_valid(raise_exception=True)
        return form

    @staticmethod
    def _settable_status(value) -> bool | None:
        if value in (None, ""):
            return None
        if value not in (Status.ACTIVE, Status.INACTIVE):
            raise exceptions.ValidationError(
                {"status": [_("“%(value)s” is not one of the choices.") % {"value": value}]})
        return value == Status.ACTIVE

    def _stage_on_create(self, form) -> dict:
        from .validation import clean_stage

        stage = form.validated_data.get("stage")
        return {"stage": clean_stage(stage)} if stage else {}

    def create(self, request):
        form = self.write_form(request)
        if form.validated_data.get("status") not in (None, "", Status.ACTIVE):
            raise exceptions.ValidationError({"status": [_("A new record is active.")]})
        try:
            record = self.perform_create_record(form)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self.detail_response(self.find(request.user, record.code), status.HTTP_201_CREATED)

    def partial_update(self, request, code=None):
        from .services.records import record_set_active

        record = self.get_object()
        _merged_refused(record)
        form = self.write_form(request)
        if "stage" in form.validated_data:
            raise exceptions.ValidationError({"stage": [_("Change the stage with …/stage/ (a reason is needed).")]})
        active = self._settable_status(form.validated_data.get("status"))
        try:
            self.perform_update_record(record, form)
            if active is not None:
                record_set_active(record=record, active=active)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        return self.detail_response(self.find(request.user, record.code))

    # --- lifecycle, timeline

    def _stage(self, request, code=None):
        from .services.lifecycle import stage_change

        record = self.get_object()
        form = StageChangeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            changed = stage_change(record=record, stage=form.validated_data.get("stage", ""),
                                   reason=form.validated_data.get("reason", ""), by=request.membership)
        except DjangoValidationError as exc:
            raise service_error(exc) from None
        record = type(record).objects.only("code", "stage", "stage_changed_at").get(pk=record.pk)
        return Response(StageResultSerializer({"code": record.code, "stage": record.stage,
                                               "stage_changed_at": record.stage_changed_at,
                                               "changed": changed}).data)

    def _timeline(self, request, code=None):
        record = self.get_object()
        form = TimelineQuerySerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        kinds = set(form.validated_data.get("kind") or ()) or None
        entries = customer_timeline(record, request.user, kinds=kinds, limit=form.validated_data["limit"])
        return Response(TimelineEntrySerializer(entries, many=True).data)


_TIMELINE_SCHEMA = extend_schema(tags=["customers"], parameters=[TimelineQuerySerializer],
                                 responses=TimelineEntrySerializer(many=True))
_STAGE_SCHEMA = extend_schema(tags=["customers"], request=StageChangeSerializer, responses=StageResultSerializer)


def _list_schema(filters, serializer):
    return extend_schema(tags=["customers"], parameters=[filters], responses=serializer(many=True))


def _write_schema(write, detail, created=False):
    ok = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return extend_schema(tags=["customers"], request=write,
                         responses={ok: detail, 400: OpenApiResponse(description="Field errors.")})


# --------------------------------------------------------------------------- HCPs


@extend_schema_view(
    list=_list_schema(HcpFilterSerializer, HcpListSerializer),
    retrieve=extend_schema(tags=["customers"], responses=HcpDetailSerializer),
    create=_write_schema(HcpWriteSerializer, HcpDetailSerializer, created=True),
    partial_update=_write_schema(HcpWriteSerializer, HcpDetailSerializer),
)
class HcpViewSet(_CustomerViewSet):
    """HCPs the caller sees (alignment of the HCP or of their primary institution).

    Creating and correcting is for admins and data stewards; a rep proposes a new HCP or a
    correction as a data change request instead.
    """

    model = Hcp
    filter_serializer = HcpFilterSerializer
    list_serializer = HcpListSerializer
    detail_serializer = HcpDetailSerializer
    write_serializer = HcpWriteSerializer

    select_list = staticmethod(selectors.hcp_list)  # filters by institution code too
    find = staticmethod(selectors.hcp_for)

    def detail_context(self, hcp: Hcp) -> dict:
        affiliations = list(Affiliation.objects.filter(hcp=hcp).select_related("institution", "department")
                            .order_by("institution__name_pinyin", "pk"))
        return {"affiliations": affiliations, "kol_links": self._kol_links(hcp),
                "alignments": selectors.current_alignments(hcp)}

    def _kol_links(self, hcp: Hcp) -> list[dict]:
        """Links to and from ``hcp``, cut to the other HCPs the caller sees (two queries)."""
        user = self.request.user
        links = list(KolLink.objects.filter(Q(source=hcp) | Q(target=hcp)).select_related("source", "target")
                     .order_by("kind", "pk")[:KOL_LINK_LIMIT])
        others = {link.target_id if link.source_id == hcp.pk else link.source_id for link in links}
        if others and not sees_whole_tenant(user):
            others = set(Hcp.objects.filter(pk__in=others).filter(customer_visible_q(Hcp, user))
                         .values_list("pk", flat=True))
        out = []
        for link in links:
            outgoing = link.source_id == hcp.pk
            other = link.target if outgoing else link.source
            if other.pk in others:
                out.append({"code": link.code, "kind": link.kind, "kind_label": link.get_kind_display(),
                            "direction": "out" if outgoing else "in",
                            "hcp": {"code": other.code, "name": other.name}, "note": link.note})
        return out

    def _institution(self, form):
        code = form.validated_data.get("institution")
        if code is None:
            return None
        inst = Institution.objects.filter(code=code).first()
        if inst is None:
            raise exceptions.ValidationError({"institution": [_("No institution has this code.")]})
        return inst

    def perform_create_record(self, form) -> Hcp:
        from .services.records import hcp_create

        institution = self._institution(form)
        department = form.validated_data.get("department") or None
        return hcp_create(data=form.service_data(), institution=institution, department=department,
                          **self._stage_on_create(form))

    def perform_update_record(self, hcp: Hcp, form) -> None:
        from .services.records import hcp_update

        data = form.validated_data
        department = None
        if "department" in data:
            department = data["department"] or ""
        hcp_update(hcp=hcp, data=form.service_data(), institution=self._institution(form), department=department)

    @_STAGE_SCHEMA
    @action(detail=True, methods=["post"], url_path="stage")
    def stage(self, request, code=None):
        """Move the HCP along the lifecycle, with a reason (recorded with who and when)."""
        return self._stage(request, code)

    @_TIMELINE_SCHEMA
    @action(detail=True, methods=["get"], url_path="timeline", pagination_class=None)
    def timeline(self, request, code=None):
        """The newest entries of the HCP's timeline (lifecycle, alignment, change requests,
        merges and whatever other apps add), newest first."""
        return self._timeline(request, code)


# --------------------------------------------------------------------------- institutions


@extend_schema_view(
    list=_list_schema(InstitutionFilterSerializer, InstitutionListSerializer),
    retrieve=extend_schema(tags=["customers"], responses=InstitutionDetailSerializer),
    create=_write_schema(InstitutionWriteSerializer, InstitutionDetailSerializer, created=True),
    partial_update=_write_schema(InstitutionWriteSerializer, InstitutionDetailSerializer),
)
class InstitutionViewSet(_CustomerViewSet):
    """Institutions the caller sees (their alignment), with departments, HCP counts and the
    supply network. Creating and correcting is for admins and data stewards."""

    model = Institution
    filter_serializer = InstitutionFilterSerializer
    list_serializer = InstitutionListSerializer
    detail_serializer = InstitutionDetailSerializer
    write_serializer = InstitutionWriteSerializer

    select_list = staticmethod(selectors.institution_list)
    find = staticmethod(selectors.institution_for)

    def detail_context(self, inst: Institution) -> dict:
        counts = Hcp.objects.live().filter(institution=inst).aggregate(
            total=Count("pk"),
            active=Count("pk", filter=Q(status=Status.ACTIVE)),
            kol=Count("pk", filter=Q(status=Status.ACTIVE, is_kol=True)),
            target=Count("pk", filter=Q(status=Status.ACTIVE, is_target=True)),
        )
        return {"departments": list(Department.objects.filter(institution=inst).order_by("name", "pk")),
                "hcp_counts": counts, "supply_network": self._network(inst),
                "alignments": selectors.current_alignments(inst)}

    def _network(self, inst: Institution) -> dict:
        """Relations in force today or later, each way (one query each, at most
        ``NETWORK_LIMIT`` rows; ``*_more`` says there are more)."""
        today = self.request.tenant.today()
        current = SupplyRelation.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=today)).select_related("brand")
        suppliers = list(current.filter(customer=inst).select_related("supplier")
                         .order_by("supplier__name_pinyin", "pk")[:NETWORK_LIMIT + 1])
        customers = list(current.filter(supplier=inst).select_related("customer")
                         .order_by("customer__name_pinyin", "pk")[:NETWORK_LIMIT + 1])
        return {"suppliers": [supply_item(r, r.supplier) for r in suppliers[:NETWORK_LIMIT]],
                "suppliers_more": len(suppliers) > NETWORK_LIMIT,
                "customers": [supply_item(r, r.customer) for r in customers[:NETWORK_LIMIT]],
                "customers_more": len(customers) > NETWORK_LIMIT}

    def perform_create_record(self, form) -> Institution:
        from .services.records import institution_create

        return institution_create(data=form.service_data(), **self._stage_on_create(form))

    def perform_update_record(self, inst: Institution, form) -> None:
        from .services.records import institution_update

        institution_update(institution=inst, data=form.service_data())

    @_STAGE_SCHEMA
    @action(detail=True, methods=["post"], url_path="stage")
    def stage(self, request, code=None):
        """Move the institution along the lifecycle, with a reason."""
        return self._stage(request, code)

    @_TIMELINE_SCHEMA
    @action(detail=True, methods=["get"], url_path="timeline", pagination_class=None)
    def timeline(self, request, code=None):
        """The newest entries of the institution's timeline, newest first."""
        return self._timeline(request, code)


# --------------------------------------------------------------------------- search


@extend_schema(tags=["customers"], parameters=[SearchQuerySerializer], responses=SearchSerializer)
class SearchView(TenantAPIView):
    """As-you-type search over the HCPs and institutions the caller sees: the start of the
    Chinese name, the full pinyin or the initials ("张", "zhangwei", "zw"); from three
    letters also other readings and typos (trigram). Two queries."""

    def get(self, request):
        form = SearchQuerySerializer(data=request.query_params)
        form.is_valid(raise_exception=True)
        found = selectors.search(request.user, form.validated_data.get("q", ""), form.validated_data["limit"])
        return Response(SearchSerializer(found).data)


__all__ = ["CappedPagination", "HcpViewSet", "InstitutionViewSet", "SearchView", "service_error"]


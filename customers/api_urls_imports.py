"""API of imports (admins and data stewards), under ``/api/v1/customers/``:

* ``POST imports/`` (multipart: ``kind``, ``mode``, ``file``) → 202 with the job's code;
* ``GET imports/`` → the tenant's imports, newest first, paginated;
* ``GET imports/{code}/`` → state, counts, live progress and the errors by row.

The same service as the upload page (``import_job_create``): the same checks, the same
task. Another tenant's job is 404; a file over the limit is refused before it is read
(413), as on the page.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from accounts.models import Role
from sfe.core.api import HasRole, TenantViewSet

from .models import ImportJob
from .services.imports import import_job_create, progress_get, size_limit_message
from .views.imports import body_too_large, limit_upload


class FileTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "file_too_large"


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("Row number as a spreadsheet shows it (the header is row 1)."))
    column = serializers.CharField(help_text=_("The column's header as written in the file."))
    message = serializers.CharField()


class ImportProgressSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ImportJob.State.choices)
    processed = serializers.IntegerField()
    total = serializers.IntegerField()


class ImportJobSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["code", "kind", "mode", "state", "original_name", "encoding", "total_rows", "processed_rows",
                  "created_rows", "updated_rows", "unchanged_rows", "error_rows", "message", "created_at",
                  "started_at", "finished_at", "created_by"]

    def get_created_by(self, obj) -> dict:
        return {"code": str(obj.created_by.code), "name": obj.created_by.user.full_name}


class ImportJobDetailSerializer(ImportJobSerializer):
    errors = ImportErrorSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta(ImportJobSerializer.Meta):
        fields = [*ImportJobSerializer.Meta.fields, "progress", "errors"]

    @extend_schema_field(ImportProgressSerializer(allow_null=True))
    def get_progress(self, obj) -> dict | None:
        if obj.is_finished:
            return None
        return progress_get(obj) or {"state": obj.state, "processed": obj.processed_rows, "total": obj.total_rows}


class ImportJobCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices)
    mode = serializers.ChoiceField(choices=ImportJob.Mode.choices, default=ImportJob.Mode.VALID_ROWS)
    file = serializers.FileField(help_text=_("CSV (UTF-8 or GBK) or .xlsx, at most 50 MB."))


@extend_schema_view(
    list=extend_schema(tags=["customers"], summary="The tenant's imports, newest first"),
    retrieve=extend_schema(tags=["customers"], summary="An import: state, counts, progress, errors by row"),
    create=extend_schema(tags=["customers"], summary="Upload a file to import",
                         request={"multipart/form-data": ImportJobCreateSerializer},
                         responses={202: ImportJobSerializer, 400: None, 413: None}),
)
class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet):
    model = ImportJob
    permission_classes = [HasRole(Role.ADMIN, Role.DATA_STEWARD)]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def initialize_request(self, request, *args, **kwargs):
        if request.method == "POST":
            limit_upload(request)  # before anything (the CSRF check included) reads the body
        return super().initialize_request(request, *args, **kwargs)

    def get_serializer_class(self):
        if self.action == "create":
            return ImportJobCreateSerializer
        return ImportJobDetailSerializer if self.action == "retrieve" else ImportJobSerializer

    def restrict_queryset(self, qs):
        return qs  # admins and data stewards (the permission) see every import of their tenant

    def scope_queryset(self, qs):
        return qs.select_related("created_by__user").order_by("-created_at", "-id")

    def create(self, request, *args, **kwargs):
        if body_too_large(request) or getattr(request._request, "upload_too_large", False):
            raise FileTooLarge({"file": [size_limit_message()]})
        form = ImportJobCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            job = import_job_create(kind=data["kind"], mode=data["mode"], upload=data["file"], by=request.membership)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from None
        job = self.scope_queryset(ImportJob.objects.filter(pk=job.pk)).get()
        return Response(ImportJobSerializer(job, context=self.get_serializer_context()).data,
                        status=status.HTTP_202_ACCEPTED)


router = SimpleRouter()
router.register("imports", ImportJobViewSet, basename="api-customers-imports")

urlpatterns = router.urls

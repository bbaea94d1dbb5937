"""Import pages (admins and data stewards): the tenant's imports, the upload form, a job's
page with its live progress (htmx polls a partial every second; HTTP 286 stops the polling
once the job is finished), the errors as CSV and the empty templates.

A file over ``MAX_BYTES`` is refused before it is read: by its ``Content-Length`` when the
client sends one, else by an upload handler that stops storing it at the limit. The handler
must be in place before anything reads the body, so the upload view is CSRF-exempt outside
and CSRF-protected inside (Django's documented pattern for custom upload handlers).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET

from accounts.forms.org import add_service_errors
from accounts.models import Role
from accounts.permissions import role_required

from ..forms.imports import ImportForm
from ..models import ImportJob
from ..services.imports import MAX_BYTES, errors_csv, import_job_create, progress_get, size_limit_message, template_csv

ROLES = (Role.ADMIN, Role.DATA_STEWARD)
PAGE_SIZE = 25
ERRORS_ON_PAGE = 200
#: Room for the form's other fields and the multipart boundaries around the file.
BODY_SLACK = 64 * 1024
HTMX_STOP_POLLING = 286


# --------------------------------------------------------------------------- upload limit


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops storing an uploaded file past ``limit`` bytes and marks the request."""

    def __init__(self, request=None, limit: int = MAX_BYTES):
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.request.upload_too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def body_too_large(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > MAX_BYTES + BODY_SLACK


def limit_upload(request) -> None:
    """Put the size limit first among the request's upload handlers (before the body is read)."""
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request, MAX_BYTES))


def _limited(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST":
            if body_too_large(request):
                form = ImportForm(data={})  # the body is not read: nothing of it is shown again
                form.is_valid()
                form.errors.clear()
                form.add_error("file", size_limit_message())
                return render(request, "customers/imports/new.html", {"form": form}, status=413)
            limit_upload(request)
        return view(request, *args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------- helpers


def get_job(request, code) -> ImportJob:
    """The tenant's job with ``code`` (another tenant's is 404, as a missing one)."""
    return get_object_or_404(ImportJob.objects.select_related("created_by__user"), code=code)


def progress_of(job: ImportJob) -> dict:
    """What the progress bar shows: the live figures from the cache while the job runs."""
    live = progress_get(job) or {}
    state = live.get("state", job.state)
    processed, total = live.get("processed", job.processed_rows), live.get("total", job.total_rows)
    if state == ImportJob.State.IMPORTING:
        percent = 95
    elif state == ImportJob.State.VALIDATING and total:
        percent = min(90, int(90 * processed / total))
    else:
        percent = 0
    return {"state": state, "state_label": ImportJob.State(state).label if state in ImportJob.State.values else state,
            "processed": processed, "total": total, "percent": percent}


# --------------------------------------------------------------------------- pages


@role_required(*ROLES)
def import_list(request):
    jobs = ImportJob.objects.select_related("created_by__user").order_by("-created_at", "-id")
    page = Paginator(jobs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/imports/list.html", {"page": page})


@csrf_exempt
@role_required(*ROLES)
@_limited
@csrf_protect
def import_new(request):
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if getattr(request, "upload_too_large", False):
            form.is_valid()
            form.errors.pop("file", None)
            form.add_error("file", size_limit_message())
        elif form.is_valid():
            data = form.cleaned_data
            try:
                job = import_job_create(kind=data["kind"], mode=data["mode"], upload=data["file"], by=request.membership)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The file is uploaded; its rows are being checked."))
                return redirect("customers:import_detail", code=job.code)
    else:
        form = ImportForm(initial={"kind": request.GET.get("kind") or None})
    return render(request, "customers/imports/new.html", {"form": form}, status=400 if form.is_bound else 200)


@role_required(*ROLES)
@require_GET
def import_detail(request, code):
    job = get_job(request, code)
    return render(request, "customers/imports/detail.html", {
        "job": job, "progress": progress_of(job), "errors": job.errors[:ERRORS_ON_PAGE],
        "more_errors": max(len(job.errors) - ERRORS_ON_PAGE, 0),
    })


@role_required(*ROLES)
@require_GET
def import_progress(request, code):
    """The partial the job page polls: the progress bar, or the result with HTTP 286."""
    job = get_job(request, code)
    if job.is_finished:
        return render(request, "customers/imports/_result.html", {
            "job": job, "errors": job.errors[:ERRORS_ON_PAGE], "more_errors": max(len(job.errors) - ERRORS_ON_PAGE, 0),
        }, status=HTMX_STOP_POLLING)
    return render(request, "customers/imports/_progress.html", {"job": job, "progress": progress_of(job)})


@role_required(*ROLES)
@require_GET
def import_errors_csv(request, code):
    job = get_job(request, code)
    response = HttpResponse(errors_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-errors-{job.code}.csv"'
    return response


@role_required(*ROLES)
@require_GET
def import_template(request, kind):
    if kind not in ImportJob.Kind.values:
        raise Http404
    response = HttpResponse(template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-template-{kind}.csv"'
    return response

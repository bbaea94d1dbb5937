"""Runs: "recompute now" for a product line (or the channel rules), the run page whose
progress bar htmx polls every second (HTTP 286 stops it), and the recent runs, nightly and
on demand. Analysts and admins only; another tenant's run code is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.permissions import role_required

from .. import selectors
from ..models import RunPurpose
from ..services import run_request
from .rules import line_for

ROLES = (Role.ANALYST, Role.ADMIN)
HTMX_STOP_POLLING = 286
PAGE_SIZE = 25
CHANGES_ON_PAGE = 50
#: The Celery queue runs go to (None: the default queue; tests point it at their worker).
RUN_QUEUE: str | None = None


@require_POST
@role_required(*ROLES)
def run_new(request):
    code = request.POST.get("product_line", "")
    try:
        if request.POST.get("purpose") == RunPurpose.CHANNEL:
            run = run_request(purpose=RunPurpose.CHANNEL, by=request.membership, queue=RUN_QUEUE)
        else:
            try:
                line = line_for(code)
            except (ValueError, ValidationError):
                raise ValidationError({"product_line": _("Choose the product line.")}) from None
            run = run_request(product_line=line, by=request.membership, queue=RUN_QUEUE)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("segmentation:rule_list")
    return redirect("segmentation:run_detail", code=run.code)


@role_required(*ROLES)
def run_list(request):
    page = Paginator(selectors.runs(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "segmentation/runs.html", {"page": page, "runs": page.object_list})


def _result_context(run) -> dict:
    changes = list(selectors.run_changes(run)[:CHANGES_ON_PAGE]) if not run.is_open else []
    for change in changes:
        change.why_text = selectors.why_text(change)
    return {"run": run, "status": selectors.run_status(run), "changes": changes,
            "counts": sorted((run.counts or {}).items())}


@role_required(*ROLES)
def run_detail(request, code):
    run = selectors.run_for_code(code)
    return render(request, "segmentation/run_detail.html", _result_context(run))


@require_GET
@role_required(*ROLES)
def run_progress(request, code):
    """The partial the run page polls: the bar while the run is open, else the result (286)."""
    run = selectors.run_for_code(code)
    if run.is_open:
        return render(request, "segmentation/_run_progress.html", {"run": run, "status": selectors.run_status(run)})
    return render(request, "segmentation/_run_result.html", _result_context(run), status=HTMX_STOP_POLLING)

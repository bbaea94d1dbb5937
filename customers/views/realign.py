"""Bulk realignment pages (admins only): the batch list, a new batch by one of four methods,
the batch with its impact preview and items, apply and cancel.

Each page is a bounded number of queries: the list is one page of batches (their counts
were stored when they were prepared); the batch page is the batch, one aggregate query for
the preview, one for the item counts and one for a page of items, whatever the number of
items. Another tenant's batch code is 404.

A batch of more than ``BACKGROUND_ABOVE`` items (``customers.services.realignment.apply``)
is applied by a Celery worker: the batch page then shows "being applied" and htmx polls
the small ``realignment_progress`` partial every 2 s (one query) until HTTP 286 stops it.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.forms.org import add_service_errors
from accounts.models import Role
from accounts.permissions import role_required

from ..forms.realign import FORMS, MethodForm
from ..models import Institution, RealignmentBatch, RealignmentItem
from ..services import realignment as services

LIST_PAGE_SIZE = 25
ITEMS_PAGE_SIZE = 50
MAX_ITEMS_PAGE = 2000
HTMX_STOP_POLLING = 286
#: A batch queued this long ago and still not applied may be queued again (a lost worker).
STALE_AFTER = dt.timedelta(minutes=10)

SERVICES = {
    RealignmentBatch.Method.GEOGRAPHY: services.realignment_by_geography,
    RealignmentBatch.Method.INSTITUTION: services.realignment_by_institution,
    RealignmentBatch.Method.RULE: services.realignment_by_rule,
    RealignmentBatch.Method.FILE: services.realignment_from_file,
}


def get_batch_for_admin(request, code) -> RealignmentBatch:
    """The batch with ``code`` in the current tenant, else 404 (another tenant's too)."""
    return get_object_or_404(
        RealignmentBatch.objects.select_related("product_line", "created_by__user", "applied_by__user"), code=code)


def _page_number(request, maximum: int) -> int:
    try:
        return max(1, min(maximum, int(request.GET.get("page", 1))))
    except (TypeError, ValueError):
        return 1


@role_required(Role.ADMIN)
def realignment_list(request):
    batches = RealignmentBatch.objects.select_related("product_line", "created_by__user").order_by("-created_at", "-id")
    state = request.GET.get("state", "")
    if state in RealignmentBatch.State.values:
        batches = batches.filter(state=state)
    page = Paginator(batches, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/realign/list.html", {
        "page": page, "batches": page.object_list, "state": state, "states": RealignmentBatch.State.choices,
        "query": f"state={state}" if state else "",
    })


def _provinces() -> list[str]:
    return list(Institution.objects.live().order_by("province").values_list("province", flat=True).distinct()[:200])


@role_required(Role.ADMIN)
def realignment_new(request):
    method = request.POST.get("method") or request.GET.get("method") or RealignmentBatch.Method.GEOGRAPHY
    if method not in FORMS:
        method = RealignmentBatch.Method.GEOGRAPHY
    form_class = FORMS[method]
    today = request.tenant.today()
    if request.method == "POST":
        form = form_class(request.POST, request.FILES, today=today)
        if form.is_valid():
            try:
                batch = SERVICES[method](**form.service_kwargs(), by=request.membership)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The batch %(name)s is prepared: check its impact, then apply it.") % {
                    "name": batch.name})
                return redirect("customers:realignment_detail", code=batch.code)
    else:
        initial = {}
        if request.GET.get("institutions"):
            initial["institutions"] = "\n".join(request.GET.getlist("institutions"))
        form = form_class(initial=initial, today=today)
    return render(request, "customers/realign/new.html", {
        "form": form, "method": method, "method_form": MethodForm(initial={"method": method}),
        "method_label": RealignmentBatch.Method(method).label,
        "provinces": _provinces() if method in (RealignmentBatch.Method.GEOGRAPHY, RealignmentBatch.Method.RULE) else [],
    })


@role_required(Role.ADMIN)
def realignment_detail(request, code):
    batch = get_batch_for_admin(request, code)
    cancelled = batch.state == RealignmentBatch.State.CANCELLED
    preview = [] if cancelled else services.realignment_preview(batch=batch)
    if batch.state == RealignmentBatch.State.APPLIED and "items" in batch.summary:
        counts = batch.summary["items"]
    else:
        counts = services.item_counts(batch=batch)
    number = _page_number(request, MAX_ITEMS_PAGE)
    offset = (number - 1) * ITEMS_PAGE_SIZE
    items = list(RealignmentItem.objects.filter(batch=batch)
                 .select_related("institution", "hcp", "from_territory", "to_territory")
                 .order_by("id")[offset: offset + ITEMS_PAGE_SIZE + 1])
    has_next = len(items) > ITEMS_PAGE_SIZE and number < MAX_ITEMS_PAGE
    return render(request, "customers/realign/detail.html", {
        "batch": batch, "preview": preview, "counts": counts, "items": items[:ITEMS_PAGE_SIZE],
        "number": number, "has_next": has_next, "has_previous": number > 1,
        "first": offset + 1 if items else 0, "last": offset + len(items[:ITEMS_PAGE_SIZE]),
        "is_draft": batch.state == RealignmentBatch.State.DRAFT,
        "date_passed": batch.effective_date < request.tenant.today(),
        **_applying_context(batch),
    })


def _applying_context(batch: RealignmentBatch) -> dict:
    applying = services.is_applying(batch)
    stale = False
    if applying:
        try:
            queued = dt.datetime.fromisoformat(batch.summary["applying"]["queued_at"])
            stale = timezone.now() - queued > STALE_AFTER
        except (KeyError, TypeError, ValueError):
            stale = True
    errors = batch.summary.get("apply_error") if batch.state == RealignmentBatch.State.DRAFT else None
    return {"applying": applying, "stale": stale, "apply_error": errors or []}


@role_required(Role.ADMIN)
@require_GET
def realignment_progress(request, code):
    """The partial the batch page polls while a worker applies it: "being applied" (200),
    else the outcome with HTTP 286, which stops the polling. One query."""
    batch = get_object_or_404(RealignmentBatch.objects.select_related("applied_by__user"), code=code)
    context = {"batch": batch, **_applying_context(batch)}
    if context["applying"]:
        return render(request, "customers/realign/_applying.html", context)
    return render(request, "customers/realign/_applied.html", context, status=HTMX_STOP_POLLING)


@require_POST
@role_required(Role.ADMIN)
def realignment_apply(request, code):
    batch = get_batch_for_admin(request, code)
    if services.applies_in_background(batch):
        try:
            batch, queued = services.realignment_apply_later(batch=batch, by=request.membership)
        except ValidationError as exc:
            messages.error(request, _("The batch was not applied: %(reasons)s") % {"reasons": " ".join(exc.messages)})
        else:
            if queued:
                messages.info(request, _("The batch %(name)s has %(n)s items: it is being applied in the background. "
                                         "This page shows when it is done.") % {
                    "name": batch.name, "n": services.prepared_items(batch)})
            else:
                messages.info(request, _("The batch %(name)s was applied already: nothing changed.") % {
                    "name": batch.name})
        return redirect("customers:realignment_detail", code=batch.code)
    try:
        batch, applied = services.realignment_apply(batch=batch, by=request.membership)
    except ValidationError as exc:
        messages.error(request, _("The batch was not applied: %(reasons)s") % {"reasons": " ".join(exc.messages)})
    else:
        if applied:
            done = batch.summary["applied"]
            messages.success(request, _("The batch %(name)s is applied from %(day)s: %(created)s alignments created, "
                                        "%(ended)s ended, %(deleted)s future ones removed.") % {
                "name": batch.name, "day": batch.effective_date, "created": done["created"],
                "ended": done["ended"], "deleted": done["deleted"]})
        else:
            messages.info(request, _("The batch %(name)s was applied already: nothing changed.") % {"name": batch.name})
    return redirect("customers:realignment_detail", code=batch.code)


@require_POST
@role_required(Role.ADMIN)
def realignment_cancel(request, code):
    batch = get_batch_for_admin(request, code)
    try:
        cancelled = services.realignment_cancel(batch=batch, by=request.membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if cancelled:
            messages.success(request, _("The batch %(name)s is cancelled.") % {"name": batch.name})
        else:
            messages.info(request, _("The batch %(name)s was cancelled already.") % {"name": batch.name})
    return redirect("customers:realignment_detail", code=batch.code)

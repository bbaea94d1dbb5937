"""The duplicates queue, the side-by-side compare page with its merge and "not a
duplicate" buttons, the merge history and undo — for data stewards and admins.

Objects are fetched in the current tenant only (another tenant's code is 404); each action
is one service call, then a redirect with a message, or the page again (status 400) with
the reason.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.permissions import role_required

from ..models import Affiliation, Alignment, CustomerKind, DuplicateCandidate, Hcp, Merge
from ..services.duplicates import duplicate_dismiss, duplicate_merge, open_candidates, with_records
from ..services.merge import undo_merge
from .changes import record_url

STEWARDS = (Role.DATA_STEWARD, Role.ADMIN)
PAGE_SIZE = 50


def _messages_of(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def reason_labels(candidate: DuplicateCandidate) -> list[str]:
    return [str(DuplicateCandidate.Reason(r).label) for r in candidate.reasons if r in DuplicateCandidate.Reason.values]


def _next_url(request) -> str | None:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return None


@require_GET
@role_required(*STEWARDS)
def duplicate_list(request):
    """Open pairs, best score first (a fixed number of queries whatever their number)."""
    kind = request.GET.get("kind", "")
    kind = kind if kind in CustomerKind.values else ""
    qs = with_records(open_candidates(kind))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for c in page.object_list:
        c.reason_labels = reason_labels(c)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "customers/quality/duplicate_list.html", {
        "page": page, "kind": kind, "kinds": CustomerKind.choices, "query": query.urlencode(),
    })


def _side(record, kind: str, counts: dict, alignments: dict) -> dict:
    """The key fields shown for one side of the compare page."""
    if kind == CustomerKind.HCP:
        fields = [
            (_("Name"), record.name), (_("Pinyin"), record.name_pinyin),
            (_("Primary institution"), record.institution.name),
            (_("Department"), record.department.name if record.department_id else ""),
            (_("Title"), record.get_title_display()), (_("Specialty"), record.get_specialty_display()),
            (_("Gender"), record.get_gender_display() if record.gender else ""),
            (_("Mobile phone"), record.phone), (_("Email"), record.email),
            (_("External code"), record.external_code),
            (_("Key opinion leader"), _("Yes") if record.is_kol else _("No")),
        ]
    else:
        fields = [
            (_("Name"), record.name), (_("Pinyin"), record.name_pinyin), (_("Type"), record.get_kind_display()),
            (_("Grade"), record.get_grade_display() if record.grade else ""),
            (_("Province"), record.province), (_("City"), record.city), (_("District"), record.district),
            (_("Address"), record.address), (_("Phone"), record.phone),
            (_("External code"), record.external_code), (_("National code"), record.national_code),
            (_("Beds"), "" if record.beds is None else str(record.beds)),
        ]
    fields += [(_("Status"), record.get_status_display()), (_("Lifecycle stage"), record.get_stage_display()),
               (_("Created"), record.created_at)]
    return {"record": record, "url": record_url(record), "fields": fields, "affiliations": counts.get(record.pk, 0),
            "alignments": alignments.get(record.pk, [])}


def _compare_context(request, candidate: DuplicateCandidate) -> dict:
    a, b = candidate.pair
    field = "hcp_id" if candidate.kind == CustomerKind.HCP else "institution_id"
    ids = [a.pk, b.pk]
    counts = dict(Affiliation.objects.filter(**{f"{field}__in": ids}).values_list(field).annotate(n=Count("id")))
    if candidate.kind == CustomerKind.HCP:
        hcp_ids = ids
        hcps_at = {}
    else:
        hcp_ids = []
        hcps_at = dict(Hcp.objects.filter(institution_id__in=ids).live().values_list("institution_id")
                       .annotate(n=Count("id")))
    alignments: dict[int, list] = {}
    today = request.tenant.today()
    rows = (Alignment.objects.filter(**{f"{field}__in": ids}).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .select_related("territory", "product_line").order_by("start_date", "id"))
    for row in rows:
        alignments.setdefault(getattr(row, field), []).append(row)
    left, right = _side(a, candidate.kind, counts, alignments), _side(b, candidate.kind, counts, alignments)
    if not hcp_ids:
        left["hcps"], right["hcps"] = hcps_at.get(a.pk, 0), hcps_at.get(b.pk, 0)
    return {"candidate": candidate, "left": left, "right": right,
            "reasons": reason_labels(candidate),
            "errors": [], "reason_text": ""}


def _candidate(code):
    return get_object_or_404(with_records(DuplicateCandidate.objects.all()), code=code)


@require_GET
@role_required(*STEWARDS)
def duplicate_detail(request, code):
    candidate = _candidate(code)
    return render(request, "customers/quality/duplicate_detail.html", _compare_context(request, candidate))


@require_POST
@role_required(*STEWARDS)
def duplicate_merge_view(request, code):
    candidate = _candidate(code)
    reason = request.POST.get("reason", "")
    try:
        done = duplicate_merge(candidate=candidate, survivor=request.POST.get("survivor", ""), by=request.membership,
                               reason=reason)
    except ValidationError as exc:
        context = _compare_context(request, _candidate(code))
        context.update(errors=_messages_of(exc), reason_text=reason)
        return render(request, "customers/quality/duplicate_detail.html", context, status=400)
    survivor = done.survivor_hcp or done.survivor_institution
    merged = done.merged_hcp or done.merged_institution
    messages.success(request, _("%(merged)s was merged into %(survivor)s. You can undo it from the merge history.") % {
        "merged": merged.name, "survivor": survivor.name})
    return redirect("customers:duplicate_list")


@require_POST
@role_required(*STEWARDS)
def duplicate_dismiss_view(request, code):
    candidate = _candidate(code)
    try:
        duplicate_dismiss(candidate=candidate, by=request.membership)
    except ValidationError as exc:
        context = _compare_context(request, candidate)
        context.update(errors=_messages_of(exc))
        return render(request, "customers/quality/duplicate_detail.html", context, status=400)
    a, b = candidate.pair
    messages.success(request, _("%(a)s and %(b)s are marked as not duplicates.") % {"a": a.name, "b": b.name})
    return redirect("customers:duplicate_list")


@require_GET
@role_required(*STEWARDS)
def merge_list(request):
    """Every merge, newest first, with undo for those not undone yet."""
    qs = Merge.objects.select_related(
        "survivor_hcp", "merged_hcp", "survivor_institution", "merged_institution", "merged_by__user",
        "undone_by__user").order_by("-merged_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for m in page.object_list:
        m.survivor = m.survivor_hcp or m.survivor_institution
        m.merged = m.merged_hcp or m.merged_institution
        m.survivor_url = record_url(m.survivor)
    return render(request, "customers/quality/merge_list.html", {"page": page, "query": "",
                                                                 "here": request.get_full_path()})


@require_POST
@role_required(*STEWARDS)
def merge_undo(request, code):
    merge = get_object_or_404(Merge.objects.select_related("survivor_hcp", "merged_hcp", "survivor_institution",
                                                           "merged_institution"), code=code)
    back = _next_url(request)
    try:
        undo_merge(merge=merge, by=request.membership, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(_messages_of(exc)))
        return redirect(back or "customers:merge_list")
    merged = merge.merged_hcp or merge.merged_institution
    messages.success(request, _("The merge was undone: %(name)s is back with what it had.") % {"name": merged.name})
    return redirect(back or "customers:merge_list")

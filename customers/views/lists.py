"""The HCP and institution lists: filters, sorting, saved filters, bulk actions, exports.

One query for the page (``PAGE_SIZE + 1`` rows, so "next" needs no count), one capped
count, one for the saved filters and one for the territories of the filter: the number of
queries does not depend on the number of customers (asserted in the tests).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.models import OrgNode, Role
from accounts.permissions import tenant_member_required

from .. import selectors
from ..forms.lists import BulkActionForm, SavedFilterForm, filter_context
from ..models import Hcp, Institution, SavedFilter

PAGE_SIZE = 50
MAX_PAGE = 200  # deeper than 10,000 rows: narrow the filter instead
#: The page says "1–50 of more than 1,000" past this: an exact count of a manager's
#: 250,000 HCPs would cost more than the page itself.
LIST_COUNT_CAP = 1_000
STAGE_ROLES = (Role.REP, Role.MANAGER, Role.ADMIN, Role.DATA_STEWARD)
MASTER_ROLES = (Role.ADMIN, Role.DATA_STEWARD)

#: The columns a list row shows (``only``): a page of 51 rows then carries 15 columns, not
#: the 60 of three whole tables, which is a fifth of the page's time at 1,000,000 HCPs.
HCP_ROW = ("code", "name", "title", "specialty", "tier", "stage", "status", "is_kol", "is_target",
           "institution__name", "department__name")
INSTITUTION_ROW = ("code", "name", "external_code", "kind", "grade", "province", "city", "district", "tier", "stage",
                   "status")

LISTS = {
    "hcps": {"model": Hcp, "select": selectors.hcp_list, "template": "customers/hcp_list.html",
             "url": "customers:hcp_list", "detail": "customers:hcp_detail", "row": HCP_ROW},
    "institutions": {"model": Institution, "select": selectors.institution_list,
                     "template": "customers/institution_list.html", "url": "customers:institution_list",
                     "detail": "customers:institution_detail", "row": INSTITUTION_ROW},
}


def _page_number(request) -> int:
    try:
        return max(1, min(MAX_PAGE, int(request.GET.get("page", 1))))
    except (TypeError, ValueError):
        return 1


def _list(request, list_name: str):
    spec = LISTS[list_name]
    qs = spec["select"](request.user, request.GET)
    query = request.GET.copy()
    query.pop("page", None)
    if query.pop("_count", None):
        # The deferred count ("of 1,234" / "of more than 1,000"), fetched by the page after it
        # is shown: the page itself never waits for a count.
        total, more = selectors.capped_count(qs, cap=LIST_COUNT_CAP)
        return render(request, "customers/includes/list_count.html", {"total": total, "more": more})
    number = _page_number(request)
    offset = (number - 1) * PAGE_SIZE
    rows = list(qs.only(*spec["row"])[offset: offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE and number < MAX_PAGE
    rows = rows[:PAGE_SIZE]
    _label_rows(rows, spec["detail"])
    membership = request.membership
    partial = bool(request.htmx and not request.htmx.history_restore_request)
    context = {
        "rows": rows, "number": number, "has_next": has_next, "has_previous": number > 1,
        "first": offset + 1 if rows else 0, "last": offset + len(rows),
        # Known without counting on the last page; otherwise counted by a second request.
        "total": None if has_next else offset + len(rows),
        "query": query.urlencode(), "filtered": bool(query), "list_name": list_name, "list_url": request.path,
        "can_change_stage": membership.has_role(*STAGE_ROLES),
        "can_align": membership.has_role(Role.ADMIN),
        "can_edit": membership.has_role(*MASTER_ROLES),
    }
    if context["can_change_stage"] or context["can_align"]:
        context["bulk_form"] = BulkActionForm(membership=membership)
    template = spec["template"]
    if partial:  # the results only (filtering as you type): no filter form, no saved filters
        template += "#results"
    else:
        context["saved_filters"] = list(SavedFilter.objects.filter(owner=membership, list_name=list_name))
        context.update(filter_context(request, list_name))
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


_CODE = "00000000-0000-0000-0000-000000000000"


def _label_rows(rows, detail_url: str) -> None:
    """What each row shows, computed once per page in Python rather than per row in the
    template: display labels (``get_FOO_display`` hashes the field's choices on every call),
    the link (one ``reverse`` per page, not one per row) and the checkbox's label."""
    from ..models import Grade, InstitutionKind, Specialty, Stage, Status, Title

    labels = {name: {k: str(v) for k, v in enum.choices} for name, enum in (
        ("title", Title), ("specialty", Specialty), ("stage", Stage), ("status", Status), ("kind", InstitutionKind),
        ("grade", Grade))}
    url = reverse(detail_url, kwargs={"code": _CODE})
    select = _("Select %(name)s")
    for row in rows:
        row.labels = {name: choices.get(getattr(row, name, None), "") for name, choices in labels.items()
                      if hasattr(row, name)}
        row.url = url.replace(_CODE, str(row.code))
        row.select_label = select % {"name": row.name}


@tenant_member_required
def hcp_list(request):
    return _list(request, "hcps")


@tenant_member_required
def institution_list(request):
    return _list(request, "institutions")


# --------------------------------------------------------------------------- saved filters


def _back(request, list_name: str, query: str = "") -> HttpResponseRedirect:
    url = reverse(LISTS[list_name]["url"])
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@tenant_member_required
def saved_filter_save(request, list_name: str):
    if list_name not in LISTS:
        from django.http import Http404

        raise Http404
    form = SavedFilterForm(request.POST)
    if form.is_valid():
        name, query = form.cleaned_data["name"], form.cleaned_data["query"]
        SavedFilter.objects.update_or_create(owner=request.membership, list_name=list_name, name=name,
                                             defaults={"query": query})
        messages.success(request, _("The filter “%(name)s” is saved.") % {"name": name})
        return _back(request, list_name, query)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)
    return _back(request, list_name, request.POST.get("query", ""))


@require_POST
@tenant_member_required
def saved_filter_delete(request, code):
    saved = get_object_or_404(SavedFilter, code=code, owner=request.membership)
    list_name = saved.list_name
    saved.delete()
    messages.success(request, _("The filter “%(name)s” is deleted.") % {"name": saved.name})
    return _back(request, list_name)


# --------------------------------------------------------------------------- bulk actions


@require_POST
@tenant_member_required
def bulk_action(request, list_name: str):
    from django.http import Http404

    if list_name not in LISTS:
        raise Http404
    spec = LISTS[list_name]
    form = BulkActionForm(request.POST, membership=request.membership)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse(spec["url"])
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
        return redirect(back)
    data = form.cleaned_data
    model = spec["model"]
    # Only what the user sees: codes of invisible or other tenants' records are dropped here.
    ids = list(model.objects.visible_to(request.user).filter(code__in=data["codes"]).values_list("id", flat=True))
    try:
        if data["action"] == "stage":
            from ..services.lifecycle import stage_change_bulk

            n = stage_change_bulk(model=model, ids=ids, stage=data["stage"], reason=data["reason"],
                                  by=request.membership)
            messages.success(request, ngettext("%(n)s record moved to the stage %(stage)s.",
                                               "%(n)s records moved to the stage %(stage)s.", n) % {
                "n": n, "stage": dict(form.fields["stage"].choices)[data["stage"]]})
        else:
            from ..services.alignment_bulk import align_bulk

            n = align_bulk(model=model, ids=ids, territory=data["territory"], product_line=data["product_line"],
                           start_date=data["start_date"], by=request.membership)
            messages.success(request, ngettext("%(n)s record aligned to %(territory)s.",
                                               "%(n)s records aligned to %(territory)s.", n) % {
                "n": n, "territory": data["territory"].name})
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    return redirect(back)


MAX_TERRITORY_CHOICES = 150


TERRITORY_CHOICES_TTL = 120  # seconds


def territory_choices(user) -> list[dict]:
    """The organisation units a user may filter by, from what they see: their territories,
    or, when they see more than ``MAX_TERRITORY_CHOICES`` (a regional manager, an
    analyst), the districts and regions above them, so the form stays small; the filter
    takes any node and includes what lies under it. Plain tuples, no model objects.

    Kept two minutes in the cache (the key carries the tenant, the member and the language):
    a list page should not walk the organisation on every keystroke. The choices only fill
    the drop-down; what a filter finds is always limited by the visibility of the moment."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    from accounts.visibility import membership_of

    key = f"customers:territory-choices:{membership_of(user).pk}:{get_language()}"
    choices = cache.get(key)
    if choices is None:
        choices = _territory_choices(user)
        cache.set(key, choices, TERRITORY_CHOICES_TTL)
    return choices


def _territory_choices(user) -> list[dict]:
    visible = OrgNode.objects.visible_to(user).filter(retired_on__isnull=True).order_by("path")
    kinds = dict(OrgNode.Kind.choices)
    rows = list(visible.filter(kind=OrgNode.Kind.TERRITORY).values_list("code", "name", "kind")[:MAX_TERRITORY_CHOICES + 1])
    if len(rows) > MAX_TERRITORY_CHOICES:
        rows = list(visible.exclude(kind=OrgNode.Kind.TERRITORY).values_list("code", "name", "kind"))
    return [{"code": str(code), "name": name, "kind": kind, "kind_label": str(kinds.get(kind, kind))}
            for code, name, kind in rows]

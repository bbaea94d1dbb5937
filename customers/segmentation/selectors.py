"""Reads of segmentation for pages and the API; none loops over rows.

Rules, tiers, history, pins and runs are tenant-wide facts for analysts and admins (the
views check the role). A customer's tiers and history are read for a customer the caller
has already fetched through ``customers.selectors.hcp_for`` / ``institution_for`` (so
visibility is settled). Target-list members are always filtered by the reader's
visibility (``customer_visible_q``).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from customers.models import Hcp, Status
from customers.visibility import customer_visible_q

from .list_filters import filters_q, model_of
from .measures import Measure, measures
from .models import CustomerTier, Purpose, SegmentationRule, SegmentationRun, TargetList, TargetListMember, TierChange
from .progress import progress_get
from .services.locks import is_locked

# --------------------------------------------------------------------------- rules, measures


def rules(*, purpose: str | None = None, product_line=None) -> QuerySet[SegmentationRule]:
    qs = SegmentationRule.objects.select_related("product_line", "updated_by__user")
    if purpose:
        qs = qs.filter(purpose=purpose)
    if product_line is not None:
        qs = qs.filter(product_line=product_line)
    return qs.order_by("purpose", "product_line__name", "kind")


def rule_for_code(code) -> SegmentationRule:
    rule = rules().filter(code=code).first()
    if rule is None:
        raise Http404
    return rule


def rule_of(*, kind: str, product_line=None, purpose: str = Purpose.TIER) -> SegmentationRule | None:
    return SegmentationRule.objects.filter(purpose=purpose, product_line=product_line, kind=kind).first()


def measures_for(kind: str) -> list[Measure]:
    """The measures a rule over ``kind`` may use (for the editor's choices)."""
    return measures(kind)


# --------------------------------------------------------------------------- tiers, history, pins


def _customer_filter(customer) -> dict:
    return {"hcp": customer} if isinstance(customer, Hcp) else {"institution": customer}


def tiers_of(customer) -> list[CustomerTier]:
    """The customer's current tiers, classes and ratings, one row per (purpose, line)."""
    return list(CustomerTier.objects.filter(**_customer_filter(customer)).select_related("product_line", "pinned_by__user")
                .order_by("purpose", "product_line__name"))


def tier_of(customer, product_line=None, purpose: str = Purpose.TIER) -> CustomerTier | None:
    line = {"product_line": product_line} if product_line is not None else {"product_line__isnull": True}
    return CustomerTier.objects.filter(**_customer_filter(customer), purpose=purpose, **line).first()


def changes_of(customer, qs: QuerySet[TierChange] | None = None) -> QuerySet[TierChange]:
    """The customer's tier changes (of ``qs``), found through the batches' ``(tenant, span)``
    index (a filter on the customer alone would unnest every batch: ``models/history.py``)."""
    qs = TierChange.objects.all() if qs is None else qs
    return qs.filter(**_customer_filter(customer), span__contains=customer.pk)


def tier_history(customer, *, product_line=None, purpose: str | None = None, limit: int = 50) -> list[TierChange]:
    """Newest first: every change of the customer's tiers (runs and pins), with who or which run."""
    qs = changes_of(customer)
    if product_line is not None:
        qs = qs.filter(product_line=product_line)
    if purpose:
        qs = qs.filter(purpose=purpose)
    return list(qs.select_related("product_line", "by__user", "run").order_by("-at", "-id")[:limit])


def why_text(change: TierChange) -> str:
    """The history row's reason in words: the bands that moved, or the pin's reason."""
    if change.kind != TierChange.Kind.COMPUTED:
        return change.reason
    why = change.why
    names = {"potential_band": _("potential band"), "adoption_band": _("adoption band"),
             "score_band": _("score band")}
    parts = [f"{label} {why[key][0] if why[key][0] is not None else '–'} → {why[key][1] if why[key][1] is not None else '–'}"
             for key, label in names.items() if key in why and why[key][0] != why[key][1]]
    if why.get("left_population"):
        parts.append(_("left the rule's customers"))
    return "; ".join(parts)


def tier_counts(*, kind: str, product_line=None, purpose: str = Purpose.TIER) -> dict[str, int]:
    """Customers per effective tier now (one GROUP BY over the tenant-leading index)."""
    field = "hcp__isnull" if kind == "hcp" else "institution__isnull"
    line = {"product_line": product_line} if product_line is not None else {"product_line__isnull": True}
    rows = (CustomerTier.objects.filter(purpose=purpose, **line, **{field: False}).values("tier")
            .annotate(n=Count("id")).order_by())
    counts = dict.fromkeys(["A", "B", "C", "D"], 0)
    counts.update({r["tier"]: r["n"] for r in rows})
    return counts


def pins(*, product_line=None, kind: str | None = None, purpose: str = Purpose.TIER) -> QuerySet[CustomerTier]:
    """The pinned tiers (of a product line, a kind), newest pin first."""
    qs = CustomerTier.objects.filter(purpose=purpose).exclude(pinned_tier="")
    if product_line is not None:
        qs = qs.filter(product_line=product_line)
    if kind == "hcp":
        qs = qs.filter(hcp__isnull=False)
    elif kind == "institution":
        qs = qs.filter(institution__isnull=False)
    return qs.select_related("product_line", "hcp", "institution", "pinned_by__user").order_by("-pinned_at", "-id")


#: Newest change first: by batch, then position in it — what the batches' keys give without
#: unnesting them all (``TierChange.id`` orders the same, but the planner cannot know it).
NEWEST_FIRST = ("-batch_id", "-position")


# --------------------------------------------------------------------------- runs


def runs(*, product_line=None, purpose: str | None = None) -> QuerySet[SegmentationRun]:
    qs = SegmentationRun.objects.select_related("product_line", "requested_by__user")
    if product_line is not None:
        qs = qs.filter(product_line=product_line)
    if purpose:
        qs = qs.filter(purpose=purpose)
    return qs.order_by("-created_at", "-id")


def run_for_code(code) -> SegmentationRun:
    run = runs().filter(code=code).first()
    if run is None:
        raise Http404
    return run


def run_status(run: SegmentationRun) -> dict:
    """What a progress bar needs: the row's state and counts, and while open the live
    progress from the cache (``percent`` 0–100, the current ``step``)."""
    live = progress_get(run) if run.is_open else None
    done, total = (live or {}).get("done", 0), (live or {}).get("total", 0)
    finished = not run.is_open
    return {
        "code": str(run.code), "status": run.status, "status_label": run.get_status_display(), "finished": finished,
        "step": (live or {}).get("step", ""), "percent": 100 if finished else (int(100 * done / total) if total else 0),
        "rows_changed": run.rows_changed, "tier_changes": run.tier_changes if finished else (live or {}).get("changed", 0),
        "customers_updated": run.customers_updated, "error": run.error,
        "started_at": run.started_at, "finished_at": run.finished_at,
    }


def run_changes(run: SegmentationRun) -> QuerySet[TierChange]:
    """The tier changes a run wrote, newest first (its batches through the ``(tenant, run)``
    index, each unnested in turn: ``NEWEST_FIRST``)."""
    return TierChange.objects.filter(run=run).select_related("product_line", "hcp", "institution").order_by(*NEWEST_FIRST)


def run_in_progress(*, product_line=None, purpose: str = "tier") -> bool:
    """Whether a live worker is recomputing this line now (the advisory lock is held)."""
    return is_locked(purpose, product_line.pk if product_line is not None else None)


# --------------------------------------------------------------------------- target lists


def target_lists_for(user) -> QuerySet[TargetList]:
    """The tenant's target lists (every member may read them; their members are filtered)."""
    return TargetList.objects.select_related("owner__user").order_by("name", "id")


def target_list_for(user, code) -> TargetList:
    tl = target_lists_for(user).filter(code=code).first()
    if tl is None:
        raise Http404
    return tl


def target_list_live_members(target_list: TargetList, user) -> QuerySet:
    """The list's filter evaluated now, within what ``user`` sees."""
    model = model_of(target_list.kind)
    return (model.objects.in_lists().filter(status=Status.ACTIVE)
            .filter(filters_q(target_list.filters, kind=target_list.kind))
            .filter(customer_visible_q(model, user)))


def target_list_members(target_list: TargetList, user) -> QuerySet:
    """The members ``user`` sees: the snapshot if the list is frozen, else the live filter.
    Cycle plans and campaigns read lists through this."""
    if not target_list.is_frozen:
        return target_list_live_members(target_list, user)
    model = model_of(target_list.kind)
    field = "hcp_id" if target_list.kind == "hcp" else "institution_id"
    snapshot = TargetListMember.objects.filter(target_list=target_list).values(field)
    return model.objects.filter(pk__in=snapshot).filter(customer_visible_q(model, user))


def tier_counts_by_line(*, purpose: str = Purpose.TIER) -> dict[tuple[int | None, str], dict[str, int]]:
    """``(product line id, kind) → {tier: customers}`` for every line at once (one GROUP BY):
    the rules page shows every line's counts whatever the number of lines."""
    from django.db.models import Case, CharField, Value, When

    rows = (CustomerTier.objects.filter(purpose=purpose)
            .annotate(k=Case(When(hcp__isnull=False, then=Value("hcp")), default=Value("institution"),
                             output_field=CharField()))
            .values("product_line_id", "k", "tier").annotate(n=Count("id")).order_by())
    out: dict[tuple[int | None, str], dict[str, int]] = {}
    for r in rows:
        counts = out.setdefault((r["product_line_id"], r["k"]), dict.fromkeys(["A", "B", "C", "D"], 0))
        counts[r["tier"]] = counts.get(r["tier"], 0) + r["n"]
    return out


def last_runs_by_line(*, purpose: str = "tier") -> dict[int | None, SegmentationRun]:
    """The newest run of each product line (one query, ``DISTINCT ON``)."""
    qs = (SegmentationRun.objects.filter(purpose=purpose).select_related("requested_by__user")
          .order_by("product_line_id", "-created_at", "-id").distinct("product_line_id"))
    return {r.product_line_id: r for r in qs}

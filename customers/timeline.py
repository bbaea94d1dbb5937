"""The customer page's timeline (R3): built-in entries (lifecycle, alignment, change
requests, merges) plus whatever higher apps register in ``customers.registry``.

Each source is one query limited to ``limit`` rows; the page merges them newest first.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import registry
from .models import Alignment, ChangeRequest, Hcp, Merge, Stage, StageChange


def _field(customer) -> str:
    return "hcp" if isinstance(customer, Hcp) else "institution"


def _stages(customer, user, limit):
    rows = (StageChange.objects.filter(**{_field(customer): customer}).select_related("changed_by__user")
            .order_by("-changed_at")[:limit])
    return [registry.TimelineEntry(
        at=r.changed_at, kind="stage", icon="signpost",
        title=_("Stage: %(from)s → %(to)s") % {"from": Stage(r.from_stage).label if r.from_stage else "—",
                                               "to": Stage(r.to_stage).label},
        detail=r.reason, by=r.changed_by.user.full_name if r.changed_by_id else "") for r in rows]


def _alignments(customer, user, limit):
    rows = (Alignment.objects.filter(**{_field(customer): customer}).select_related("territory", "product_line")
            .order_by("-start_date")[:limit])
    out = []
    for a in rows:
        out.append(registry.TimelineEntry(
            at=a.start_date, kind="alignment", icon="geo-alt",
            title=_("Aligned to %(territory)s for %(line)s") % {"territory": a.territory.name, "line": a.product_line.name},
            detail=a.get_source_display()))
        if a.end_date:
            out.append(registry.TimelineEntry(
                at=a.end_date, kind="alignment", icon="geo",
                title=_("Left %(territory)s for %(line)s") % {"territory": a.territory.name, "line": a.product_line.name}))
    return out


def _changes(customer, user, limit):
    rows = (ChangeRequest.objects.filter(**{_field(customer): customer}).select_related("requested_by__user")
            .order_by("-created_at")[:limit])
    return [registry.TimelineEntry(
        at=r.created_at, kind="change", icon="pencil-square",
        title=_("%(kind)s requested (%(state)s)") % {"kind": r.get_kind_display(), "state": r.get_state_display()},
        detail=r.reason, by=r.requested_by.user.full_name,
        url=_change_url(r)) for r in rows]


def _change_url(r) -> str:
    try:
        return reverse("customers:change_detail", kwargs={"code": r.code})
    except Exception:  # noqa: BLE001 - the change-request pages are optional here
        return ""


def _merges(customer, user, limit):
    field = "survivor_hcp" if isinstance(customer, Hcp) else "survivor_institution"
    rows = Merge.objects.filter(**{field: customer}).select_related("merged_by__user").order_by("-merged_at")[:limit]
    return [registry.TimelineEntry(
        at=m.merged_at, kind="merge", icon="union",
        title=_("Merged a duplicate record into this one (undone)") if m.undone_at
        else _("Merged a duplicate record into this one"),
        detail=m.reason, by=m.merged_by.user.full_name) for m in rows]


registry.register_timeline(registry.TimelineSource("stage", gettext_lazy("Lifecycle"), _stages, order=10))
registry.register_timeline(registry.TimelineSource("alignment", gettext_lazy("Alignment"), _alignments, order=20))
registry.register_timeline(registry.TimelineSource("change", gettext_lazy("Change requests"), _changes, order=30))
registry.register_timeline(registry.TimelineSource("merge", gettext_lazy("Merges"), _merges, order=40))


def _sort_key(entry: registry.TimelineEntry):
    at = entry.at
    if isinstance(at, dt.datetime):
        return at
    return timezone.make_aware(dt.datetime.combine(at, dt.time.max))


def timeline(customer, user, *, kinds: set[str] | None = None, limit: int = 50) -> list[registry.TimelineEntry]:
    """The newest ``limit`` entries over every source (or those in ``kinds``)."""
    entries: list[registry.TimelineEntry] = []
    for source in registry.timeline_sources():
        if kinds and source.key not in kinds:
            continue
        entries += source.fetch(customer, user, limit)
    entries.sort(key=_sort_key, reverse=True)
    return entries[:limit]

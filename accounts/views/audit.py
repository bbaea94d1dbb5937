"""The audit trail browser (R29): every change of every tenant record, for admins."""

from __future__ import annotations

import csv
import datetime as dt

from django.apps import apps
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from sfe.core.models import AuditEvent

from ..models import User
from ..permissions import role_required

EXPORT_LIMIT = 100_000


def _table_labels() -> dict[str, str]:
    labels = {}
    for model in apps.get_models():
        labels[model._meta.db_table] = str(model._meta.verbose_name)
    return labels


def _parse_date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filtered(request):
    qs = AuditEvent.objects.all().order_by("-at", "-id")
    table = request.GET.get("table") or ""
    if table:
        qs = qs.filter(table_name=table)
    actor = request.GET.get("actor") or ""
    if actor:
        user = User.objects.filter(code=actor).values("id").first() if len(actor) == 36 else None
        qs = qs.filter(actor_id=user["id"] if user else -1)
    date_from, date_to = _parse_date(request.GET.get("from")), _parse_date(request.GET.get("to"))
    tz = request.tenant.time_zone
    if date_from:
        qs = qs.extra(where=["(at AT TIME ZONE %s)::date >= %s"], params=[tz, date_from])
    if date_to:
        qs = qs.extra(where=["(at AT TIME ZONE %s)::date <= %s"], params=[tz, date_to])
    action = request.GET.get("action") or ""
    if action in AuditEvent.Action.values:
        qs = qs.filter(action=action)
    return qs, {"table": table, "actor": actor, "from": date_from, "to": date_to, "action": action}


def _decorate(events: list[AuditEvent]) -> list[AuditEvent]:
    """Attach actor names and table labels: one query for all actors on the page."""
    actor_ids = {e.actor_id for e in events if e.actor_id}
    names = dict(User.objects.filter(id__in=actor_ids).values_list("id", "full_name")) if actor_ids else {}
    labels = _table_labels()
    for e in events:
        e.actor_name = names.get(e.actor_id, _("system") if e.actor_id is None else f"#{e.actor_id}")
        e.table_label = labels.get(e.table_name, e.table_name)
        e.rows = e.change_rows()
    return events


@role_required("admin")
def audit_list(request):
    qs, filters = _filtered(request)
    if request.GET.get("format") == "csv":
        return _export_csv(qs)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    events = _decorate(list(page.object_list))
    tables = sorted(
        ((t, label) for t, label in _table_labels().items()
         if t.startswith(("accounts_",)) and t not in ("accounts_user_groups", "accounts_user_user_permissions")),
        key=lambda x: x[1],
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/audit/list.html", {
        "page": page, "events": events, "filters": filters, "tables": tables,
        "actions": AuditEvent.Action.choices, "query": query.urlencode(),
    })


@role_required("admin")
def audit_record(request, table: str, code):
    """Every change of one record, found by its table and public code."""
    if table not in _table_labels():
        raise Http404
    first = AuditEvent.objects.filter(table_name=table, row_code=code).values("row_id").first()
    if first is None:
        raise Http404
    events = list(
        AuditEvent.objects.filter(table_name=table, row_id=first["row_id"]).order_by("-at", "-id")[:500]
    )
    return render(request, "accounts/audit/record.html", {
        "events": _decorate(events), "table_label": _table_labels()[table], "code": code,
    })


def _export_csv(qs) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    response.write("\ufeff")  # Excel on Chinese Windows needs the BOM to read UTF-8
    writer = csv.writer(response)
    writer.writerow([_("When"), _("Who"), _("Record"), _("Row"), _("Action"), _("Changes"), _("Reason"), _("Request")])
    events = list(qs[:EXPORT_LIMIT])
    for e in _decorate(events):
        changes = "; ".join(f"{k}: {o} → {n}" for k, o, n in e.rows)
        row = [e.at.isoformat(), e.actor_name, e.table_label, str(e.row_code or e.row_id),
               e.get_action_display(), changes, e.reason or "", e.request_id or ""]
        writer.writerow([("'" + c) if c[:1] in ("=", "+", "-", "@") else c for c in row])
    return response

"""Merging two records into one (R5), and undoing it exactly.

``merge(survivor=S, merged=M, by=…, reason=…)`` moves every reference of M to S, each move
one set-based ``UPDATE … RETURNING id``; the ids go into ``Merge.moved`` (in order), so
``undo_merge`` moves exactly those rows back — and only those still pointing at S.

What moves:

* HCPs: alignments, affiliations, KOL links (out and in), stage changes, change requests,
  realignment items, and every reference later apps register
  (``customers.registry.references("hcp")``: calls, events …);
* institutions: alignments, affiliations, the HCPs whose primary institution it is,
  departments (a department whose name the survivor has already is folded into the
  survivor's: its HCPs and affiliations move to that one), supply relations (both ends),
  stage changes, change requests, realignment items, and registered references.

Rows that would collide stay on the merged record (and undo finds them there): an
alignment overlapping one of the survivor's for the same territory and product line
(``align_*_no_overlap``), a KOL link that would link the survivor to itself or repeat one
it has, a supply relation that would make the survivor supply itself, and rows of a
registered reference that would repeat one of the survivor's on its ``unique_with``
columns. The merged record is a ``merged`` record pointing at the survivor, out of every
list; the survivor's empty fields are filled from it (``survivor_filled``; undo clears
them again unless they were changed since). The reason goes into the audit context, so
every audit row the merge writes carries it.
"""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sfe.core.tenancy import audit_reason, require_tenant_id

from .. import registry
from ..models import CustomerKind, DuplicateCandidate, Hcp, Institution, Merge, Status
from ..validation import text

HCP_FILL = ("gender", "title", "specialty", "phone", "email", "external_code", "potential", "tier")
INSTITUTION_FILL = ("grade", "beds", "ownership", "district", "address", "external_code", "national_code", "phone",
                    "potential", "tier")
FLAGS = {Hcp: ("is_kol", "is_target"), Institution: ()}
REASON_MAX = 300

_OVERLAP = ("NOT EXISTS (SELECT 1 FROM customers_alignment s WHERE s.tenant_id = t.tenant_id AND s.{col} = %(to)s "
            "AND s.product_line_id = t.product_line_id AND s.territory_id = t.territory_id "
            "AND daterange(s.start_date, s.end_date, '[]') && daterange(t.start_date, t.end_date, '[]'))")

#: The customer master's own references: (table, column, extra condition that keeps a row
#: from moving). Registered references of later apps are added at merge time.
BUILTIN = {
    CustomerKind.HCP: [
        ("customers_alignment", "hcp_id", _OVERLAP.format(col="hcp_id")),
        ("customers_affiliation", "hcp_id", ""),
        ("customers_kollink", "source_id",
         "t.target_id <> %(to)s AND NOT EXISTS (SELECT 1 FROM customers_kollink k WHERE k.tenant_id = t.tenant_id "
         "AND k.source_id = %(to)s AND k.target_id = t.target_id AND k.kind = t.kind)"),
        ("customers_kollink", "target_id",
         "t.source_id <> %(to)s AND NOT EXISTS (SELECT 1 FROM customers_kollink k WHERE k.tenant_id = t.tenant_id "
         "AND k.target_id = %(to)s AND k.source_id = t.source_id AND k.kind = t.kind)"),
        ("customers_stagechange", "hcp_id", ""),
        ("customers_changerequest", "hcp_id", ""),
        ("customers_realignmentitem", "hcp_id", ""),
    ],
    CustomerKind.INSTITUTION: [
        ("customers_alignment", "institution_id", _OVERLAP.format(col="institution_id")),
        ("customers_affiliation", "institution_id", ""),
        ("customers_hcp", "institution_id", ""),
        ("departments", "", ""),  # folded by name, see _departments
        ("customers_supplyrelation", "supplier_id", "t.customer_id <> %(to)s"),
        ("customers_supplyrelation", "customer_id", "t.supplier_id <> %(to)s"),
        ("customers_stagechange", "institution_id", ""),
        ("customers_changerequest", "institution_id", ""),
        ("customers_realignmentitem", "institution_id", ""),
    ],
}


def kind_of(record) -> str:
    return CustomerKind.HCP if isinstance(record, Hcp) else CustomerKind.INSTITUTION


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _registered(kind: str) -> list[tuple[str, str, str, str]]:
    """Later apps' references as (table, column, condition, narrow), minus those built in."""
    builtin = {(t, c) for t, c, _cond in BUILTIN[kind]}
    out = []
    for ref in registry.references(kind):
        model = apps.get_model(ref.model)
        table = model._meta.db_table
        column = model._meta.get_field(ref.field).column
        if (table, column) in builtin:
            continue
        condition = ""
        if ref.unique_with:
            cols = [model._meta.get_field(f).column for f in ref.unique_with]
            same = " AND ".join(f"u.{_q(c)} IS NOT DISTINCT FROM t.{_q(c)}" for c in cols)
            condition = (f"NOT EXISTS (SELECT 1 FROM {_q(table)} u WHERE u.tenant_id = t.tenant_id "
                         f"AND u.{_q(column)} = %(to)s AND {same})")
        out.append((table, column, condition, ref.narrow))
    return out


class _Mover:
    """Runs the moves and writes down what each did, in order."""

    def __init__(self, *, frm: int, to: int):
        self.tenant_id = require_tenant_id()
        self.frm, self.to = frm, to
        self.steps: list[dict] = []

    def move(self, table: str, column: str, condition: str = "", narrow: str = "") -> None:
        """``condition``: which of the merged record's rows move (the others stay, and are
        written down); ``narrow``: how to find them through an index (``Reference.narrow``)."""
        mine = f" AND {narrow}" if narrow else ""
        where = f"{mine} AND {condition}" if condition else mine
        params = {"t": self.tenant_id, "frm": self.frm, "to": self.to}
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {_q(table)} t SET {_q(column)} = %(to)s "
                        f"WHERE t.tenant_id = %(t)s AND t.{_q(column)} = %(frm)s{where} RETURNING t.id", params)
            ids = sorted(r[0] for r in cur.fetchall())
            kept: list[int] = []
            if condition:  # what stayed behind, for the record (undo leaves it where it is)
                cur.execute(f"SELECT t.id FROM {_q(table)} t WHERE t.tenant_id = %(t)s AND t.{_q(column)} = %(frm)s"
                            f"{mine}", params)
                kept = sorted(r[0] for r in cur.fetchall())
        self.steps.append({"table": table, "column": column, "from": self.frm, "to": self.to, "ids": ids,
                           **({"kept": kept} if kept else {}), **({"narrow": narrow} if narrow else {})})

    def remap(self, table: str, column: str, pairs_sql: str) -> None:
        """Repoint ``column`` per row through ``pairs_sql`` (old → new ids); each row's old
        value is kept, since they differ."""
        with connection.cursor() as cur:
            cur.execute(f"WITH pairs AS ({pairs_sql}) UPDATE {_q(table)} t SET {_q(column)} = p.new FROM pairs p "
                        f"WHERE t.tenant_id = %(t)s AND t.{_q(column)} = p.old RETURNING t.id, p.old, p.new",
                        {"t": self.tenant_id, "frm": self.frm, "to": self.to})
            rows = sorted([list(r) for r in cur.fetchall()])
        self.steps.append({"table": table, "column": column, "rows": rows})


_SAME_NAME_DEPARTMENTS = (
    "SELECT dm.id AS old, ds.id AS new FROM customers_department dm JOIN customers_department ds "
    "ON ds.tenant_id = dm.tenant_id AND ds.institution_id = %(to)s AND ds.name = dm.name "
    "WHERE dm.tenant_id = %(t)s AND dm.institution_id = %(frm)s"
)


def _departments(mover: _Mover) -> None:
    """A department the survivor has by name is folded into the survivor's; the others move."""
    mover.remap("customers_hcp", "department_id", _SAME_NAME_DEPARTMENTS)
    mover.remap("customers_affiliation", "department_id", _SAME_NAME_DEPARTMENTS)
    mover.move("customers_department", "institution_id",
               "NOT EXISTS (SELECT 1 FROM customers_department s WHERE s.tenant_id = t.tenant_id "
               "AND s.institution_id = %(to)s AND s.name = t.name)")


def _empty(value) -> bool:
    return value in ("", None) or (isinstance(value, (int, Decimal)) and not isinstance(value, bool) and value == 0)


def _json(value):
    return str(value) if isinstance(value, Decimal) else value


def _lock(model, *pks):
    rows = {r.pk: r for r in model.objects.select_for_update().filter(pk__in=pks).order_by("pk")}
    return [rows.get(pk) for pk in pks]


def _merge_fields(kind: str, survivor, merged) -> dict:
    return ({"survivor_hcp": survivor, "merged_hcp": merged} if kind == CustomerKind.HCP
            else {"survivor_institution": survivor, "merged_institution": merged})


@transaction.atomic
def merge(*, survivor: Hcp | Institution, merged: Hcp | Institution, by, reason: str = "") -> Merge:
    """Merge ``merged`` into ``survivor`` (same kind, both live, not the same record)."""
    if type(survivor) is not type(merged) or not isinstance(survivor, (Hcp, Institution)):
        raise ValidationError({"merged": _("Only two HCPs or two institutions can be merged.")})
    if survivor.pk == merged.pk:
        raise ValidationError({"merged": _("A record cannot be merged into itself.")})
    model = type(survivor)
    survivor, merged = _lock(model, survivor.pk, merged.pk)
    if survivor is None or merged is None:
        raise ValidationError({"merged": _("This record does not exist.")})
    if merged.status == Status.MERGED:
        raise ValidationError({"merged": _("%(name)s was already merged into another record.") % {"name": merged.name}})
    if survivor.status == Status.MERGED:
        raise ValidationError({"survivor": _("%(name)s was merged into another record; merge into that one.") % {
            "name": survivor.name}})
    reason = text(reason)[:REASON_MAX] or _("Merged %(merged)s into %(survivor)s") % {
        "merged": merged.name, "survivor": survivor.name}
    kind = kind_of(survivor)
    with audit_reason(reason):
        mover = _Mover(frm=merged.pk, to=survivor.pk)
        for table, column, condition, *narrow in [*BUILTIN[kind], *_registered(kind)]:
            if table == "departments":
                _departments(mover)
            else:
                mover.move(table, column, condition, *narrow)
        pair = (min(survivor.pk, merged.pk), max(survivor.pk, merged.pk))
        candidates = DuplicateCandidate.objects.filter(state=DuplicateCandidate.State.OPEN).filter(
            Q(hcp_a_id=pair[0], hcp_b_id=pair[1]) if kind == CustomerKind.HCP
            else Q(institution_a_id=pair[0], institution_b_id=pair[1]))
        resolved = list(candidates.values_list("pk", flat=True))
        now = timezone.now()
        candidates.update(state=DuplicateCandidate.State.MERGED, resolved_by=by, resolved_at=now)

        merged_before = {"status": merged.status, "external_code": merged.external_code}
        filled = {}
        for field in (HCP_FILL if kind == CustomerKind.HCP else INSTITUTION_FILL):
            if _empty(getattr(survivor, field)) and not _empty(getattr(merged, field)):
                filled[field] = _json(getattr(merged, field))
        for field in FLAGS[model]:
            if getattr(merged, field) and not getattr(survivor, field):
                filled[field] = True
        # The merged record first: its external code may move to the survivor (unique).
        merged.status, merged.merged_into = Status.MERGED, survivor
        if "external_code" in filled:
            merged.external_code = ""
        merged.save(update_fields=["status", "merged_into", "external_code", "updated_at"])
        if filled:
            for field, value in filled.items():
                setattr(survivor, field, getattr(merged, field) if field != "external_code" else value)
            survivor.save(update_fields=[*filled, "updated_at"])
        return Merge.objects.create(
            kind=kind, **_merge_fields(kind, survivor, merged), moved={"steps": mover.steps, "candidates": resolved},
            merged_before=merged_before, survivor_filled=filled, merged_by=by, merged_at=now, reason=reason,
        )


def _restore(step: dict, tenant_id: int) -> int:
    table, column = _q(step["table"]), _q(step["column"])
    with connection.cursor() as cur:
        if "rows" in step:
            if not step["rows"]:
                return 0
            ids, olds, news = zip(*step["rows"], strict=True)
            cur.execute(f"UPDATE {table} t SET {column} = u.old "
                        f"FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS u(id, old, new) "
                        f"WHERE t.tenant_id = %s AND t.id = u.id AND t.{column} = u.new",
                        [list(ids), list(olds), list(news), tenant_id])
            return cur.rowcount
        if not step["ids"]:
            return 0
        # The rows are on the survivor now: ``narrow`` finds them there (its ``frm`` is theirs).
        narrow = f" AND {step['narrow']}" if step.get("narrow") else ""
        cur.execute(f"UPDATE {table} t SET {column} = %(back)s WHERE t.tenant_id = %(t)s AND t.id = ANY(%(ids)s) "
                    f"AND t.{column} = %(frm)s{narrow}",
                    {"back": step["from"], "t": tenant_id, "ids": step["ids"], "frm": step["to"]})
        return cur.rowcount


@transaction.atomic
def undo_merge(*, merge: Merge, by, reason: str = "") -> Merge:
    """Move back exactly the rows the merge moved (those still on the survivor), restore the
    merged record and clear the survivor's filled fields that nobody changed since."""
    merge = Merge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ValidationError({"merge": _("This merge was already undone.")})
    model = Hcp if merge.kind == CustomerKind.HCP else Institution
    survivor_id = merge.survivor_hcp_id or merge.survivor_institution_id
    merged_id = merge.merged_hcp_id or merge.merged_institution_id
    survivor, merged = _lock(model, survivor_id, merged_id)
    if survivor.status == Status.MERGED:
        raise ValidationError({"merge": _("%(name)s was merged into another record since: undo that merge first.") % {
            "name": survivor.name}})
    if merged.status != Status.MERGED or merged.merged_into_id != survivor.pk:
        raise ValidationError({"merge": _("%(name)s is no longer merged into %(survivor)s.") % {
            "name": merged.name, "survivor": survivor.name}})
    tenant_id = require_tenant_id()
    note = text(reason)[:REASON_MAX] or _("Undo of the merge of %(merged)s into %(survivor)s") % {
        "merged": merged.name, "survivor": survivor.name}
    with audit_reason(note):
        for step in reversed(merge.moved.get("steps", [])):
            _restore(step, tenant_id)
        DuplicateCandidate.objects.filter(pk__in=merge.moved.get("candidates", []),
                                          state=DuplicateCandidate.State.MERGED).update(
            state=DuplicateCandidate.State.OPEN, resolved_by=None, resolved_at=None)
        # The survivor first: an external code it got from the merged record goes back.
        cleared = []
        for field, value in merge.survivor_filled.items():
            current = getattr(survivor, field)
            if _json(current) == value or (isinstance(current, Decimal) and current == Decimal(str(value))):
                setattr(survivor, field, model._meta.get_field(field).get_default())
                cleared.append(field)
        if cleared:
            survivor.save(update_fields=[*cleared, "updated_at"])
        merged.status = merge.merged_before.get("status", Status.ACTIVE)
        merged.merged_into = None
        code = merge.merged_before.get("external_code", "")
        if code and model.objects.filter(external_code=code).exclude(pk=merged.pk).exists():
            code = ""  # taken since by another record: the restored record goes without
        merged.external_code = code
        merged.save(update_fields=["status", "merged_into", "external_code", "updated_at"])
        merge.undone_by, merge.undone_at = by, timezone.now()
        merge.save(update_fields=["undone_by", "undone_at"])
    return merge


def merges_into(record, limit: int = 20):
    """Past merges into ``record`` (newest first), for its page's "merged here" list."""
    field = "survivor_hcp" if isinstance(record, Hcp) else "survivor_institution"
    return (Merge.objects.filter(**{field: record}).select_related(
        "merged_hcp", "merged_institution", "merged_by__user", "undone_by__user").order_by("-merged_at", "-id")[:limit])


__all__ = ["merge", "merges_into", "undo_merge"]

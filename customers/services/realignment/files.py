"""The fourth method: a CSV file of (customer, kind, territory, action) rows, checked
whole before anything is created (COPY into a temporary table, codes resolved set-based)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from accounts.models import OrgNode
from sfe.core.tenancy import require_tenant_id

from ...models import RealignmentBatch, Status
from ...validation import text
from .common import Method, _build_items, _check_common, _finish, _new_batch, _raise

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILE_ROWS = 200_000
MAX_ERRORS_SHOWN = 50

ACTIONS = {
    "move": ("move", "转移", "调整", "移动"),
    "add": ("add", "新增", "加入", "增加"),
    "drop": ("drop", "移出", "删除", "去除"),
}
KINDS = {
    "hcp": ("hcp", "医生", "医疗专业人士", "专业人士"),
    "institution": ("institution", "机构", "医院", "终端"),
}
HEADERS = {
    "code": ("code", "external_code", "external code", "customer", "customer code", "customer_code",
             "客户编码", "客户代码", "编码"),
    "kind": ("kind", "type", "customer type", "类型", "客户类型"),
    "territory": ("territory", "territory code", "territory_code", "辖区", "区域", "辖区编码"),
    "action": ("action", "操作", "动作"),
}



@dataclass
class _Row:
    line: int
    code: str
    kind: str
    territory_id: int | None
    action: str


def _decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise ValidationError({"file": _("This is an Excel or zip file: save it as CSV (UTF-8 or GB18030) first.")})
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": _("The file is neither UTF-8 nor GB18030 text.")})


def _lookup(value: str, table: dict) -> str | None:
    folded = value.casefold()
    for key, names in table.items():
        if folded in names:
            return key
    return None


def _columns(first: list[str]) -> tuple[dict[str, int], bool]:
    """Column positions from the header row, or the fixed order when there is none."""
    heads = [_lookup(text(c), HEADERS) for c in first]
    if any(h is not None for h in heads):
        found = {h: i for i, h in enumerate(heads) if h is not None}
        missing = [h for h in ("code", "territory", "action") if h not in found]
        if missing:
            names = {"code": _("customer code"), "territory": _("territory"), "action": _("action")}
            raise ValidationError({"file": _("The header has no column for: %(columns)s.") % {
                "columns": ", ".join(str(names[m]) for m in missing)}})
        return found, True
    if len(first) >= 4:
        return {"code": 0, "kind": 1, "territory": 2, "action": 3}, False
    return {"code": 0, "territory": 1, "action": 2}, False


def _territory_index() -> dict[str, list[int]]:
    """Active territories by external code and by name (one query; territories are few)."""
    index: dict[str, list[int]] = {}
    for pk, name, ext in OrgNode.objects.filter(kind=OrgNode.Kind.TERRITORY, retired_on__isnull=True).values_list(
            "id", "name", "external_code"):
        if ext:
            index.setdefault(f"code:{ext.casefold()}", []).append(pk)
        index.setdefault(f"name:{name.casefold()}", []).append(pk)
    return index


def _cell(cells: list[str], cols: dict[str, int], key: str) -> str:
    i = cols.get(key)
    return text(cells[i]) if i is not None and i < len(cells) else ""


def _parse(data: bytes) -> tuple[list[_Row], list[tuple[int, str]]]:
    content = _decode(data)
    reader = csv.reader(io.StringIO(content, newline=""))
    territories = _territory_index()
    rows: list[_Row] = []
    errors: list[tuple[int, str]] = []
    cols: dict[str, int] | None = None
    for line, cells in enumerate(reader, start=1):
        if not any(text(c) for c in cells):
            continue
        if cols is None:
            cols, header = _columns(cells)
            if header:
                continue
        if len(rows) + len(errors) >= MAX_FILE_ROWS:
            raise ValidationError({"file": _("The file has more than %(n)s rows: split it.") % {"n": MAX_FILE_ROWS}})

        problems = []
        code, kind_raw, terr_raw, action_raw = (_cell(cells, cols, k) for k in ("code", "kind", "territory", "action"))
        if not code:
            problems.append(_("the customer code is empty"))
        kind = ""
        if kind_raw:
            kind = _lookup(kind_raw, KINDS) or ""
            if not kind:
                problems.append(_("the kind “%(value)s” is neither hcp nor institution") % {"value": kind_raw})
        action = _lookup(action_raw, ACTIONS) if action_raw else None
        if action is None:
            problems.append(_("the action must be add, move or drop") if not action_raw else
                            _("the action “%(value)s” is not add, move or drop") % {"value": action_raw})
        territory_id = None
        if terr_raw:
            key = terr_raw.casefold()
            matches = territories.get(f"code:{key}") or territories.get(f"name:{key}") or []
            if not matches:
                problems.append(_("no active territory has the code or name “%(value)s”") % {"value": terr_raw})
            elif len(matches) > 1:
                problems.append(_("several territories are called “%(value)s”: use its code") % {"value": terr_raw})
            else:
                territory_id = matches[0]
        elif action in ("add", "move"):
            problems.append(_("the territory is empty"))
        if problems:
            errors.append((line, "; ".join(problems)))
        else:
            rows.append(_Row(line, code, kind, territory_id, action))
    return rows, errors


_STAGE_SQL = """
CREATE TEMP TABLE realign_rows (line int, code text, kind text, tid bigint, action text,
                                inst_id bigint, hcp_id bigint) ON COMMIT DROP
"""

# Rows whose customer is unknown or ambiguous, or that contradict another row of the same customer.
_FILE_ERRORS_SQL = """
WITH r AS (
    SELECT line, code, kind, tid, action, inst_id, hcp_id,
           CASE WHEN inst_id IS NOT NULL AND hcp_id IS NULL THEN 'institution'
                WHEN hcp_id IS NOT NULL AND inst_id IS NULL THEN 'hcp' END AS k,
           coalesce(inst_id, hcp_id) AS cid
      FROM realign_rows
),
w AS (
    SELECT r.*, min(line) OVER c AS first_line, count(*) OVER c AS n, bool_or(action = 'move') OVER c AS has_move,
           min(line) OVER t AS first_same, count(*) OVER t AS n_same,
           bool_or(action = 'drop') OVER t AS drops, bool_or(action <> 'drop') OVER t AS joins
      FROM r
    WINDOW c AS (PARTITION BY k, cid), t AS (PARTITION BY k, cid, coalesce(tid, 0))
)
SELECT line, code, kind, (inst_id IS NULL AND hcp_id IS NULL) AS unknown,
       (inst_id IS NOT NULL AND hcp_id IS NOT NULL) AS ambiguous,
       CASE WHEN k IS NOT NULL AND n > 1 AND has_move AND line <> first_line THEN first_line END AS move_clash,
       CASE WHEN k IS NOT NULL AND n_same > 1 AND line <> first_same THEN first_same END AS repeat_of,
       (k IS NOT NULL AND drops AND joins) AS contradicts
  FROM w
 WHERE k IS NULL OR (n > 1 AND has_move AND line <> first_line) OR (n_same > 1 AND line <> first_same)
    OR (drops AND joins)
 ORDER BY line
"""


def _stage_file_rows(rows: list[_Row]) -> list[tuple[int, str]]:
    """COPY the rows into a temporary table, resolve the customer codes set-based (one
    UPDATE per kind), and return the rows with a problem."""
    tenant = require_tenant_id()
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS realign_rows")
        cur.execute(_STAGE_SQL)
        connection.apply_tenant_settings()
        with cur.cursor.copy("COPY realign_rows (line, code, kind, tid, action) FROM STDIN") as copy:
            for r in rows:
                copy.write_row((r.line, r.code, r.kind, r.territory_id, r.action))
        cur.execute("ANALYZE realign_rows")
        cur.execute("UPDATE realign_rows r SET inst_id = i.id FROM customers_institution i "
                    "WHERE i.tenant_id = %s AND i.external_code = r.code AND i.status <> %s AND r.kind IN ('', 'institution')",
                    [tenant, Status.MERGED])
        cur.execute("UPDATE realign_rows r SET hcp_id = h.id FROM customers_hcp h "
                    "WHERE h.tenant_id = %s AND h.external_code = r.code AND h.status <> %s AND r.kind IN ('', 'hcp')",
                    [tenant, Status.MERGED])
        cur.execute(_FILE_ERRORS_SQL)
        found = cur.fetchall()
    errors = []
    for line, code, kind, unknown, ambiguous, move_clash, repeat_of, contradicts in found:
        if unknown:
            what = {"hcp": _("no HCP"), "institution": _("no institution")}.get(kind, _("no HCP or institution"))
            errors.append((line, _("%(what)s has the external code “%(code)s”") % {"what": what, "code": code}))
        elif ambiguous:
            errors.append((line, _("both an HCP and an institution have the code “%(code)s”: fill in the kind") % {
                "code": code}))
        elif contradicts:
            errors.append((line, _("the customer both joins and leaves this territory")))
        elif move_clash:
            errors.append((line, _("the customer is in row %(row)s too; a move must be the customer's only row") % {
                "row": move_clash}))
        elif repeat_of:
            errors.append((line, _("repeats row %(row)s for the same customer and territory") % {"row": repeat_of}))
    return errors


def _file_error(errors: list[tuple[int, str]]) -> ValidationError:
    errors = sorted(errors)
    messages = [_("Row %(row)s: %(problem)s.") % {"row": line, "problem": problem}
                for line, problem in errors[:MAX_ERRORS_SHOWN]]
    if len(errors) > MAX_ERRORS_SHOWN:
        messages.append(_("… and %(n)s more rows with problems.") % {"n": len(errors) - MAX_ERRORS_SHOWN})
    messages.insert(0, _("Nothing was prepared: correct these rows and upload the file again."))
    return ValidationError({"file": messages})


def _read(file) -> bytes:
    if file is None:
        raise ValidationError({"file": _("Choose a CSV file.")})
    if isinstance(file, bytes | bytearray):
        data = bytes(file)
    else:
        if hasattr(file, "seek"):
            file.seek(0)
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB: split it.") % {
            "mb": MAX_FILE_BYTES // (1024 * 1024)}})
    if not data.strip():
        raise ValidationError({"file": _("The file is empty.")})
    return data


@transaction.atomic
def realignment_from_file(*, name: str = "", product_line, effective_date: dt.date, file, by,
                          filename: str = "") -> RealignmentBatch:
    """A CSV (UTF-8 with or without BOM, or GB18030) with the columns customer external code,
    kind (``hcp``/``institution``, optional), territory (external code or name) and action
    (``add``/``move``/``drop``; a drop with no territory leaves every territory of the line).

    Every row is checked first; if any row is wrong, nothing is created and the error names
    each wrong row (``Row 3: …``, counting the header as row 1).
    """
    name, errors = _check_common(name=name, product_line=product_line, effective_date=effective_date,
                                 need_territory=False)
    try:
        data = _read(file)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _raise(errors)
    rows, row_errors = _parse(data)
    if not rows and not row_errors:
        raise ValidationError({"file": _("The file has no rows.")})
    if rows:
        row_errors += _stage_file_rows(rows)
    if row_errors:
        raise _file_error(row_errors)
    batch = _new_batch(name=name, method=Method.FILE, product_line=product_line, effective_date=effective_date, by=by,
                       criteria={"filename": text(filename)[:200], "rows": len(rows)})
    selection = ("SELECT CASE WHEN inst_id IS NOT NULL THEN 'institution' ELSE 'hcp' END AS kind, "
                 "coalesce(inst_id, hcp_id) AS cid, tid, action FROM realign_rows")
    counts = _build_items(batch, selection, {})
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS realign_rows")
    return _finish(batch, counts, "file")

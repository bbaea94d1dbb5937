"""Loading an import, set-based: cleaned rows are COPYed into a TEMP staging table, checked
against each other and the database in a few statements, then written with
``INSERT … SELECT … ON CONFLICT (tenant_id, external_code) … DO UPDATE … WHERE (changed)``;
an HCP's institution and department are joined in by external code and by name.

A row whose values equal the stored ones is not rewritten (so no audit row appears), which
makes re-importing a file change nothing. PostgreSQL refuses ``COPY FROM`` into tables with
row-level security, hence the TEMP tables (``ON COMMIT DROP``; dropped at the end anyway).
Every statement runs in the caller's transaction: a failure leaves nothing behind.

Errors found in SQL go to the TEMP table ``imp_err`` as a key and a value; ``messages``
words them in the active language when they are read.

The statements take a range of row numbers, so a file can be checked and loaded chunk by
chunk (``jobs`` does so in "every valid row" mode, on a thread of its own, while the next
chunk is being read and validated) or all at once. They run on the raw psycopg connection of
the caller's transaction (the tenant setting applied first), which that thread may share.
"""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from sfe.core.tenancy import require_tenant_id

from ...models import ImportJob, Stage, Status
from .validation import AlignmentCleaner, HcpCleaner, InstitutionCleaner

Kind = ImportJob.Kind

ERR_TABLE = """CREATE TEMP TABLE imp_err (row_no int NOT NULL, field text NOT NULL, message text, key text,
               value text, ref int) ON COMMIT DROP"""

STAGES = {
    Kind.INSTITUTIONS: """CREATE TEMP TABLE imp_stage (row_no int NOT NULL, external_code text NOT NULL, name text NOT NULL,
        name_pinyin text NOT NULL, initials text NOT NULL, search_alt text NOT NULL, kind text NOT NULL,
        grade text NOT NULL, beds int, ownership text NOT NULL, province text NOT NULL, city text NOT NULL,
        district text NOT NULL, address text NOT NULL, national_code text NOT NULL, phone text NOT NULL,
        potential numeric(14, 2) NOT NULL, bad boolean NOT NULL DEFAULT false) ON COMMIT DROP""",
    Kind.HCPS: """CREATE TEMP TABLE imp_stage (row_no int NOT NULL, external_code text NOT NULL, name text NOT NULL,
        name_pinyin text NOT NULL, initials text NOT NULL, search_alt text NOT NULL, gender text NOT NULL,
        title text NOT NULL, specialty text NOT NULL, phone text NOT NULL, email text NOT NULL, is_kol boolean NOT NULL,
        potential numeric(14, 2) NOT NULL, institution_code text NOT NULL, department text NOT NULL,
        bad boolean NOT NULL DEFAULT false) ON COMMIT DROP""",
    Kind.ALIGNMENTS: """CREATE TEMP TABLE imp_stage (row_no int NOT NULL, customer_code text NOT NULL,
        customer_kind text NOT NULL, territory_ref text NOT NULL, line_name text NOT NULL, start_date date NOT NULL,
        end_date date, hcp_id bigint, institution_id bigint, customer_status text, territory_id bigint, line_id bigint,
        bad boolean NOT NULL DEFAULT false, covered boolean NOT NULL DEFAULT false) ON COMMIT DROP""",
}
COLUMNS = {Kind.INSTITUTIONS: InstitutionCleaner.columns, Kind.HCPS: HcpCleaner.columns,
           Kind.ALIGNMENTS: AlignmentCleaner.columns}

#: Fields a file may leave out: a column that is not in the file is not touched on update.
OPTIONAL = {
    Kind.INSTITUTIONS: ("kind", "grade", "beds", "ownership", "province", "city", "district", "address",
                        "national_code", "phone", "potential"),
    Kind.HCPS: ("gender", "title", "specialty", "phone", "email", "is_kol", "potential"),
}
NAME_KEYS = ("name", "name_pinyin", "initials", "search_alt")
#: An HCP row's institution, by external code (the tenant-leading partial unique index).
INSTITUTION_OF_ROW = "i.tenant_id = %(t)s AND NOT (i.external_code = '') AND i.external_code = s.institution_code"


def messages() -> dict[str, str]:
    return {
        "duplicate": _("The external code “%(value)s” is already in row %(ref)s of this file."),
        "merged": _("“%(value)s” belongs to a record that was merged into another one: use the surviving record's code."),
        "unknown_institution": _("No institution has the external code “%(value)s”."),
        "inactive_institution": _("The institution “%(value)s” is not active."),
        "unknown_customer": _("No HCP or institution has the external code “%(value)s”."),
        "unknown_hcp": _("No HCP has the external code “%(value)s”."),
        "unknown_institution_customer": _("No institution has the external code “%(value)s”."),
        "unknown_territory": _("No territory has the external code or name “%(value)s”."),
        "ambiguous_territory": _("Several organisation nodes are called “%(value)s”: use the external code."),
        "not_territory": _("%(name)s is not a territory.").replace("%(name)s", "%(value)s"),
        "retired_territory": _("%(name)s is retired.").replace("%(name)s", "%(value)s"),
        "unknown_line": _("No product line is called “%(value)s”."),
        "overlap_in_file": _("Row %(ref)s of this file aligns the same customer to the same territory and product "
                             "line in an overlapping period."),
        "overlap_existing": _("“%(value)s” is already aligned to this territory for this product line in an "
                              "overlapping period."),
    }


class Loader:
    """One import's staging tables and statements (``kind`` decides which)."""

    def __init__(self, kind: str, present: set[str]):
        self.kind = kind
        self.present = present
        self.tenant_id = require_tenant_id()
        connection.apply_tenant_settings()  # the raw connection below skips Django's wrapper
        self.conn = connection.connection
        self.created = self.updated = self.valid = 0
        self._analyzed = False
        self._sql("DROP TABLE IF EXISTS imp_stage, imp_err, imp_map")
        self._sql(STAGES[kind])
        self._sql(ERR_TABLE)
        self._sql("CREATE INDEX ON imp_stage (row_no)")
        if kind != Kind.ALIGNMENTS:
            self._sql("CREATE INDEX ON imp_stage (external_code, row_no)")

    # ----------------------------------------------------------------- plumbing

    def _sql(self, sql: str, params=None) -> int:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def _one(self, sql: str, params=None):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()

    def _copy(self, table: str, columns, rows) -> None:
        if not rows:
            return
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def copy(self, staged: list[tuple], errors: list[tuple[int, str, str]]) -> None:
        """Append one chunk: the clean rows to the stage, the rows' errors to ``imp_err``."""
        self._copy("imp_stage", COLUMNS[self.kind], staged)
        self._copy("imp_err", ("row_no", "field", "message"), errors)

    def _flag_bad(self, r: dict) -> None:
        self._sql("UPDATE imp_stage s SET bad = true FROM (SELECT DISTINCT row_no FROM imp_err "
                  "WHERE row_no BETWEEN %(lo)s AND %(hi)s) e WHERE e.row_no = s.row_no AND NOT s.bad", r)

    def chunk(self, staged: list[tuple], errors: list, lo: int, hi: int) -> None:
        """Stage, check and load the rows ``lo``…``hi`` (a chunk, in "every valid row" mode)."""
        self.copy(staged, errors)
        self.check(lo, hi)
        self.load(lo, hi)

    # ----------------------------------------------------------------- checks

    def check(self, lo: int = 0, hi: int = 2**31 - 1) -> None:
        """Every check that needs other rows of the file or the database, for the rows
        ``lo``…``hi`` (the whole file by default); failing rows get ``bad``."""
        if not self._analyzed:
            self._sql("ANALYZE imp_stage")  # TEMP tables get no statistics otherwise
            self._analyzed = True
        r = {"lo": lo, "hi": hi, "t": self.tenant_id}
        if self.kind == Kind.ALIGNMENTS:
            self._check_alignments()
        else:
            self._check_master(r)
        self._flag_bad(r)

    def _check_master(self, r: dict) -> None:
        table = "customers_hcp" if self.kind == Kind.HCPS else "customers_institution"
        r = {**r, "merged": Status.MERGED, "active": Status.ACTIVE}
        # A code seen in an earlier row of the file: the later row is the error.
        self._sql("""INSERT INTO imp_err (row_no, field, key, value, ref)
                     SELECT s.row_no, 'external_code', 'duplicate', s.external_code, f.first_row FROM imp_stage s
                     CROSS JOIN LATERAL (SELECT min(p.row_no) AS first_row FROM imp_stage p
                                         WHERE p.external_code = s.external_code) f
                     WHERE s.row_no BETWEEN %(lo)s AND %(hi)s AND f.first_row < s.row_no""", r)
        self._sql(f"""INSERT INTO imp_err (row_no, field, key, value)
                      SELECT s.row_no, 'external_code', 'merged', s.external_code FROM imp_stage s
                      JOIN {table} c ON c.tenant_id = %(t)s AND NOT (c.external_code = '')
                                    AND c.external_code = s.external_code
                      WHERE s.row_no BETWEEN %(lo)s AND %(hi)s AND c.status = %(merged)s""", r)
        if self.kind == Kind.HCPS:
            # The institution is joined where it is needed (no UPDATE of the stage): here for the errors.
            self._sql(f"""INSERT INTO imp_err (row_no, field, key, value)
                          SELECT s.row_no, 'institution_code',
                                 CASE WHEN i.id IS NULL THEN 'unknown_institution' ELSE 'inactive_institution' END,
                                 s.institution_code
                          FROM imp_stage s LEFT JOIN customers_institution i ON {INSTITUTION_OF_ROW}
                          WHERE s.row_no BETWEEN %(lo)s AND %(hi)s AND (i.id IS NULL OR i.status <> %(active)s)""", r)

    def _resolve(self, what: str, column: str, resolved: dict[str, tuple[int | None, str | None]], target: str) -> None:
        """Write ``resolved`` (reference → (id, error key)) to the stage's ``target`` column."""
        self._sql("DROP TABLE IF EXISTS imp_map")
        self._sql("CREATE TEMP TABLE imp_map (ref text NOT NULL, id bigint, key text) ON COMMIT DROP")
        self._copy("imp_map", ("ref", "id", "key"), [(ref, pk, key) for ref, (pk, key) in resolved.items()])
        self._sql(f"UPDATE imp_stage s SET {target} = m.id FROM imp_map m WHERE m.ref = s.{column} AND m.id IS NOT NULL")
        self._sql(f"""INSERT INTO imp_err (row_no, field, key, value)
                      SELECT s.row_no, %s, m.key, s.{column} FROM imp_stage s JOIN imp_map m ON m.ref = s.{column}
                      WHERE m.key IS NOT NULL""", [what])

    def _distinct(self, column: str) -> list[str]:
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT DISTINCT {column} FROM imp_stage")
            return [r[0] for r in cur.fetchall()]

    def _territories(self) -> dict[str, tuple[int | None, str | None]]:
        """Each distinct reference (bounded by the organisation's size, not the file's) →
        the territory whose external code, or else whose name, it is."""
        from django.db.models import Q

        from accounts.models import OrgNode

        refs = self._distinct("territory_ref")
        nodes = list(OrgNode.objects.filter(Q(external_code__in=refs) | Q(name__in=refs))
                     .values("pk", "name", "external_code", "kind", "retired_on"))
        out: dict[str, tuple[int | None, str | None]] = {}
        for ref in refs:
            found = [n for n in nodes if n["external_code"] == ref] or [n for n in nodes if n["name"] == ref]
            if not found:
                out[ref] = (None, "unknown_territory")
            elif len(found) > 1:
                out[ref] = (None, "ambiguous_territory")
            elif found[0]["kind"] != OrgNode.Kind.TERRITORY:
                out[ref] = (None, "not_territory")
            elif found[0]["retired_on"] is not None:
                out[ref] = (None, "retired_territory")
            else:
                out[ref] = (found[0]["pk"], None)
        return out

    def _lines(self) -> dict[str, tuple[int | None, str | None]]:
        from products.models import ProductLine

        names = self._distinct("line_name")
        found = dict(ProductLine.objects.filter(name__in=names).values_list("name", "pk"))
        return {n: (found[n], None) if n in found else (None, "unknown_line") for n in names}

    def _check_alignments(self) -> None:
        t = {"t": self.tenant_id}
        everything = {"lo": 0, "hi": 2**31 - 1}
        self._sql("""UPDATE imp_stage s SET hcp_id = h.id, customer_status = h.status FROM customers_hcp h
                     WHERE h.tenant_id = %(t)s AND NOT (h.external_code = '') AND h.external_code = s.customer_code
                       AND s.customer_kind IN ('hcp', '')""", t)
        self._sql("""UPDATE imp_stage s SET institution_id = i.id, customer_status = i.status FROM customers_institution i
                     WHERE i.tenant_id = %(t)s AND NOT (i.external_code = '') AND i.external_code = s.customer_code
                       AND (s.customer_kind = 'institution' OR (s.customer_kind = '' AND s.hcp_id IS NULL))""", t)
        self._sql("""INSERT INTO imp_err (row_no, field, key, value)
                     SELECT row_no, 'customer_code',
                            CASE WHEN hcp_id IS NOT NULL OR institution_id IS NOT NULL THEN 'merged'
                                 WHEN customer_kind = 'hcp' THEN 'unknown_hcp'
                                 WHEN customer_kind = 'institution' THEN 'unknown_institution_customer'
                                 ELSE 'unknown_customer' END, customer_code
                     FROM imp_stage WHERE (hcp_id IS NULL AND institution_id IS NULL) OR customer_status = %(merged)s""",
                  {"merged": Status.MERGED})
        self._resolve("territory", "territory_ref", self._territories(), "territory_id")
        self._resolve("product_line", "line_name", self._lines(), "line_id")
        self._flag_bad(everything)
        # Two rows of the file for the same customer, territory and line whose periods overlap.
        self._sql("""INSERT INTO imp_err (row_no, field, key, value, ref)
                     SELECT DISTINCT ON (b.row_no) b.row_no, 'start_date', 'overlap_in_file', b.customer_code, a.row_no
                     FROM imp_stage a JOIN imp_stage b
                       ON coalesce(a.hcp_id, 0) = coalesce(b.hcp_id, 0)
                      AND coalesce(a.institution_id, 0) = coalesce(b.institution_id, 0)
                      AND a.territory_id = b.territory_id AND a.line_id = b.line_id AND a.row_no < b.row_no
                     WHERE NOT a.bad AND NOT b.bad
                       AND daterange(a.start_date, a.end_date, '[]') && daterange(b.start_date, b.end_date, '[]')
                     ORDER BY b.row_no, a.row_no""")
        self._flag_bad(everything)
        for column in ("hcp_id", "institution_id"):
            same = (f"a.tenant_id = %(t)s AND a.{column} = s.{column} AND a.territory_id = s.territory_id "
                    f"AND a.product_line_id = s.line_id")
            # As ``services.alignment.align``: an alignment already covering the period is left as it is …
            self._sql(f"""UPDATE imp_stage s SET covered = true WHERE NOT s.bad AND s.{column} IS NOT NULL
                          AND EXISTS (SELECT 1 FROM customers_alignment a WHERE {same} AND a.start_date <= s.start_date
                                      AND (a.end_date IS NULL OR (s.end_date IS NOT NULL AND a.end_date >= s.end_date)))""",
                      t)
            # … and one overlapping it otherwise is a conflict.
            self._sql(f"""INSERT INTO imp_err (row_no, field, key, value)
                          SELECT s.row_no, 'start_date', 'overlap_existing', s.customer_code FROM imp_stage s
                          WHERE NOT s.bad AND NOT s.covered AND s.{column} IS NOT NULL
                            AND EXISTS (SELECT 1 FROM customers_alignment a WHERE {same}
                                        AND daterange(a.start_date, a.end_date, '[]')
                                            && daterange(s.start_date, s.end_date, '[]'))""", t)

    # ----------------------------------------------------------------- results

    def error_rows(self) -> int:
        return self._one("SELECT count(DISTINCT row_no) FROM imp_err")[0]

    def valid_rows(self, lo: int = 0, hi: int = 2**31 - 1) -> int:
        return self._one("SELECT count(*) FROM imp_stage WHERE NOT bad AND row_no BETWEEN %s AND %s", [lo, hi])[0]

    def first_errors(self, limit: int, column_name) -> list[dict]:
        """The errors of the first rows, worded: ``[{"row", "column", "message"}, …]``."""
        words = messages()
        with self.conn.cursor() as cur:
            cur.execute("SELECT row_no, field, message, key, value, ref FROM imp_err ORDER BY row_no, field LIMIT %s",
                        [limit])
            found = cur.fetchall()
        out = []
        for row_no, field, message, key, value, ref in found:
            if message is None:
                message = words[key] % {"value": value or "", "ref": ref or ""}
            out.append({"row": row_no, "column": column_name(field), "message": message})
        return out

    def load(self, lo: int = 0, hi: int = 2**31 - 1) -> None:
        """Write the valid rows ``lo``…``hi``; adds to ``created``, ``updated`` and ``valid``."""
        valid = self.valid_rows(lo, hi)
        if not valid:
            return
        self.valid += valid
        r = {"lo": lo, "hi": hi, "t": self.tenant_id}
        if self.kind == Kind.ALIGNMENTS:
            self.created += self._sql("""INSERT INTO customers_alignment (tenant_id, code, institution_id, hcp_id,
                                             territory_id, product_line_id, start_date, end_date, source, created_at)
                                         SELECT %(t)s, gen_random_uuid(), institution_id, hcp_id, territory_id, line_id,
                                                start_date, end_date, 'import', now()
                                         FROM imp_stage WHERE NOT bad AND NOT covered
                                           AND row_no BETWEEN %(lo)s AND %(hi)s ORDER BY row_no""", r)
            return
        if self.kind == Kind.HCPS:
            self._departments(r)
        created, updated = self._upsert(r)
        self.created += created
        self.updated += updated

    @property
    def counts(self) -> tuple[int, int, int]:
        """``(created, updated, unchanged)`` so far."""
        return self.created, self.updated, self.valid - self.created - self.updated

    def _departments(self, r: dict) -> None:
        """Departments named in the rows, created once per institution (set-based)."""
        if "department" not in self.present:
            return
        self._sql(f"""INSERT INTO customers_department (tenant_id, code, institution_id, name, specialty, is_active)
                      SELECT %(t)s, gen_random_uuid(), institution_id, department, '', true FROM (
                        SELECT DISTINCT i.id AS institution_id, s.department
                        FROM imp_stage s JOIN customers_institution i ON {INSTITUTION_OF_ROW}
                        WHERE NOT s.bad AND s.department <> '' AND s.row_no BETWEEN %(lo)s AND %(hi)s
                      ) d ORDER BY institution_id, department
                      ON CONFLICT (tenant_id, institution_id, name) DO NOTHING""", r)

    def _upsert(self, r: dict) -> tuple[int, int]:
        hcp = self.kind == Kind.HCPS
        table = "customers_hcp" if hcp else "customers_institution"
        own = ("gender", "title", "specialty", "institution_id", "department_id", "phone", "email", "is_kol") if hcp \
            else ("kind", "grade", "beds", "ownership", "province", "city", "district", "address", "national_code", "phone")
        insert_cols = ("external_code", *NAME_KEYS, "potential", *own)
        extra = "false" if hcp else None  # is_target
        # What an update may change: the name (and its keys), the columns in the file, the institution.
        changed = ["name", *(f for f in OPTIONAL[self.kind] if f in self.present)]
        sets = [*NAME_KEYS, *changed[1:]]
        if hcp:
            changed.append("institution_id")
            sets.append("institution_id")
            if "department" in self.present:
                changed.append("department_id")
                sets.append("department_id")
        # An HCP's institution and department come from joins, by external code and by name.
        sources = {"institution_id": "i.id", "department_id": "d.id"} if hcp else {}
        joins = (f"JOIN customers_institution i ON {INSTITUTION_OF_ROW} LEFT JOIN customers_department d "
                 f"ON d.tenant_id = %(t)s AND d.institution_id = i.id AND d.name = s.department") if hcp else ""
        assignments = [f"{c} = EXCLUDED.{c}" for c in sets]
        if hcp and "department" not in self.present:
            # As ``hcp_update``: moving to another institution without naming a department clears it.
            assignments.append("department_id = CASE WHEN t.institution_id = EXCLUDED.institution_id "
                               "THEN t.department_id END")
        sql = f"""
            WITH up AS (
              INSERT INTO {table} AS t (tenant_id, code, status, stage, stage_changed_at, tier, created_at, updated_at,
                                        {", ".join(insert_cols)}{", is_target" if extra else ""})
              SELECT %(t)s, gen_random_uuid(), %(status)s, %(stage)s, now(), '', now(), now(),
                     {", ".join(sources.get(c, "s." + c) for c in insert_cols)}{", " + extra if extra else ""}
              FROM imp_stage s {joins}
              WHERE NOT s.bad AND s.row_no BETWEEN %(lo)s AND %(hi)s ORDER BY s.external_code
              ON CONFLICT (tenant_id, external_code) WHERE NOT (external_code = '') DO UPDATE
                SET {", ".join(assignments)}, updated_at = now()
                WHERE ({", ".join("t." + c for c in changed)}) IS DISTINCT FROM ({", ".join("EXCLUDED." + c for c in changed)})
              RETURNING (t.xmax = 0) AS created
            )
            SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up"""
        # No nested loops for this statement. A new tenant's rows have no statistics yet (the
        # first import of a tenant, the usual case), so the planner estimates one institution and
        # one department and probes the departments once per row through an index on the tenant
        # alone: 5,000 rows × 10,800 departments filtered, 16 s a chunk by the end of 100,000
        # rows. Hash joins read the tenant's institutions and departments once a chunk.
        nestloop = self._one("SELECT current_setting('enable_nestloop'), set_config('enable_nestloop', 'off', true)")[0]
        try:
            created, updated = self._one(sql, {**r, "status": Status.ACTIVE, "stage": Stage.PROSPECT})
        finally:
            self._sql("SELECT set_config('enable_nestloop', %s, true)", [nestloop])
        return created, updated

    def drop(self) -> None:
        self._sql("DROP TABLE IF EXISTS imp_stage, imp_err, imp_map")

"""The baseline for ``seed_demo``: a bare, hand-written COPY of as many rows into the same tables.

Run as its own process (so its time and memory are measured like the seed's)::

    python -m bench.copyload --conninfo "host=… dbname=sfe_bench user=sfe_app" \
        --counts '{"users": 3313, ...}' --into real|temp

``--into temp`` COPYs the rows into unindexed temporary copies of those tables
(``CREATE TEMP TABLE … (LIKE …)``: no index, no trigger, no WAL, no row security).
``--into real`` loads one new tenant into the real tables as the application role, with
row-level security, indexes, composite foreign keys and the audit trigger all in force.
PostgreSQL refuses ``COPY FROM`` into a table with row-level security ("COPY FROM not
supported with row-level security"), so the bare way is the one stack.md describes: COPY
into the temporary copies, then one ``INSERT … SELECT`` per table. Prints one JSON line:
``--into real-no-audit`` is ``real`` run as the owner role with the audit trigger of the
loaded tables disabled inside the transaction (and enabled again before the commit): the
owner bypasses row security too, so the difference with ``real`` is what the audit
trigger (and the tiny RLS check) costs. Prints one JSON line: the seconds the load took,
from the first statement to the commit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
import uuid

import psycopg

TABLES = {  # table → the columns written (every NOT NULL column, as Django would write it)
    "accounts_user": ["id", "password", "is_superuser", "code", "email", "full_name", "language", "is_active",
                      "is_staff", "date_joined"],
    "accounts_membership": ["id", "tenant_id", "code", "user_id", "roles", "employee_no", "phone", "is_active",
                            "created_at"],
    "accounts_orgnode": ["id", "tenant_id", "code", "name", "kind", "parent_id", "path", "depth", "external_code",
                         "created_at"],
    "accounts_orgnodeversion": ["tenant_id", "node_id", "name", "kind", "parent_id", "retired", "valid_from",
                                "change", "reason"],
    "accounts_position": ["tenant_id", "code", "node_id", "holder_id", "title", "start_date", "created_at"],
}
HASH = "pbkdf2_sha256$1000000$" + "s" * 22 + "$" + "h" * 44  # as long as a real hash


def rows(counts: dict[str, int], tenant_id: int, ids: dict[str, list[int]]):
    """The rows of each table; shaped like the demo's (Chinese names, paths, one version per node)."""
    now = dt.datetime.now(dt.UTC)
    start = dt.date(2025, 1, 1)
    users, nodes, members = ids["accounts_user"], ids["accounts_orgnode"], ids["accounts_membership"]
    root = f"/{nodes[0]}/"
    yield "accounts_user", (
        (pk, HASH, False, uuid.uuid4(), f"copy{tenant_id}-{i:06d}@copy.bench", "张伟明", "zh-hans", True, False, now)
        for i, pk in enumerate(users))
    yield "accounts_membership", (
        (pk, tenant_id, uuid.uuid4(), users[i], ["rep"], f"CP{i:05d}", "13800000000", True, now)
        for i, pk in enumerate(members))
    yield "accounts_orgnode", (
        (pk, tenant_id, uuid.uuid4(), "上海浦东一区" if i else "全国", "territory" if i else "nation",
         nodes[0] if i else None, f"{root}{pk}/" if i else root, 1 if i else 0, f"T{i:04d}", now)
        for i, pk in enumerate(nodes))
    yield "accounts_orgnodeversion", (
        (tenant_id, pk, "上海浦东一区", "territory", nodes[0] if i else None, False, start, "created", "")
        for i, pk in enumerate(nodes[: counts["accounts_orgnodeversion"]]))
    yield "accounts_position", (
        (tenant_id, uuid.uuid4(), nodes[1 + i % (len(nodes) - 1)], members[i % len(members)], "医药代表", start, now)
        for i in range(counts["accounts_position"]))


def load(conninfo: str, counts: dict[str, int], into: str) -> float:
    with psycopg.connect(conninfo) as conn:
        started = time.perf_counter()
        for table in TABLES:
            conn.execute(f"CREATE TEMP TABLE stage_{table} (LIKE public.{table} INCLUDING IDENTITY)")
        if into == "temp":
            tenant_id = 1
            ids = {t: list(range(1, counts[t] + 1))
                   for t in ("accounts_user", "accounts_membership", "accounts_orgnode")}
        else:
            if into == "real-no-audit":
                for table in TABLES:
                    conn.execute(f"ALTER TABLE public.{table} DISABLE TRIGGER USER")
            tenant_id = conn.execute(
                "INSERT INTO accounts_tenant (code, name, slug, default_language, time_zone, currency, "
                "fiscal_year_start_month, approval_escalate_after_hours, allow_overlapping_positions, is_active, created_at) "
                "VALUES (%s, 'COPY baseline', %s, 'zh-hans', 'Asia/Shanghai', 'CNY', 1, 72, false, true, now()) "
                "RETURNING id", [uuid.uuid4(), f"copy-{uuid.uuid4().hex[:8]}"]).fetchone()[0]
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
            ids = {t: [r[0] for r in conn.execute(
                f"SELECT nextval(pg_get_serial_sequence('{t}', 'id')) FROM generate_series(1, %s)", [counts[t]])]
                for t in ("accounts_user", "accounts_membership", "accounts_orgnode")}
        with conn.cursor() as cur:
            for table, table_rows in rows(counts, tenant_id, ids):
                with cur.copy(f"COPY stage_{table} ({', '.join(TABLES[table])}) FROM STDIN") as copy:
                    for row in table_rows:
                        copy.write_row(row)
                if into != "temp":
                    cols = ", ".join(TABLES[table])
                    cur.execute(f"INSERT INTO public.{table} ({cols}) SELECT {cols} FROM stage_{table}")
        if into == "real-no-audit":
            conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # run the deferred key checks before the ALTER
            for table in TABLES:
                conn.execute(f"ALTER TABLE public.{table} ENABLE TRIGGER USER")
        conn.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conninfo", required=True)
    parser.add_argument("--counts", required=True, help="JSON: table → rows")
    parser.add_argument("--into", choices=["real", "real-no-audit", "temp"], required=True)
    args = parser.parse_args()
    counts = json.loads(args.counts)
    seconds = load(args.conninfo, counts, args.into)
    print(json.dumps({"seconds": seconds, "rows": sum(counts[t] for t in TABLES)}))


if __name__ == "__main__":
    main()

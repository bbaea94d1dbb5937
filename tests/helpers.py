"""Test helpers every app uses: query-count bounds and the tenant-index EXPLAIN check."""

from __future__ import annotations

import json
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext


@contextmanager
def assert_max_queries(n: int, using=connection):
    """Fail if the block issues more than ``n`` queries (the tenant ``set_config`` counts not:
    it runs on the raw connection, once per transaction)."""
    with CaptureQueriesContext(using) as ctx:
        yield ctx
    executed = len(ctx.captured_queries)
    assert executed <= n, f"{executed} queries, expected at most {n}:\n" + "\n".join(
        q["sql"] for q in ctx.captured_queries
    )


def count_queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _index_scans(plan: dict) -> list[str]:
    found = []
    if plan.get("Node Type") in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
        found.append(plan["Index Name"])
    for child in plan.get("Plans", []):
        found += _index_scans(child)
    return found


def index_leading_columns(index_name: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(
            """SELECT a.attname FROM pg_index i
               JOIN pg_class c ON c.oid = i.indexrelid
               JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
               WHERE c.relname = %s ORDER BY k.ord""",
            [index_name],
        )
        return [r[0] for r in cur.fetchall()]


def assert_uses_tenant_index(queryset) -> list[str]:
    """EXPLAIN the queryset (sequential scans disabled, so the planner shows which index
    it *can* use even on a small test table) and check an index leading with tenant_id."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cur.fetchone()[0]
        cur.execute("SET LOCAL enable_seqscan = on")
    if isinstance(plan, str):
        plan = json.loads(plan)
    indexes = _index_scans(plan[0]["Plan"])
    assert indexes, f"no index scan in plan: {json.dumps(plan, indent=1)}"
    leading = {ix: index_leading_columns(ix) for ix in indexes}
    assert any(cols and cols[0] == "tenant_id" for cols in leading.values()), (
        f"no index leading with tenant_id used: {leading}"
    )
    return indexes

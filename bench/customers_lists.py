"""Benchmark: the HCP list page and search-as-you-type for a manager who sees about a fifth
of the demo's HCPs (200,000 of 1,000,000 at ``SIZE=large``), against a bare psycopg
``SELECT … LIMIT 50`` with the same filter, the same visibility predicate and the same
order, written by hand, in the same run.

Run by ``bench/run.py`` as its own process, on the bench database (``SFE_DB_NAME``), after
``seed_demo`` and ``ANALYZE``::

    python -m bench.customers_lists --tenant huakang --requests 30

Ours is the server time of a request through Django's test ``Client`` (the whole middleware
stack: session, tenant, transaction, view, template) — or, while the page does not answer
200, the selector's query alone — and the number of SQL statements it sends. The bare
baseline is the page's main statement alone, run through psycopg as the application role
(row-level security on, as for the page). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

LIST_SQL = """
WITH visible AS (
  SELECT n.id FROM accounts_orgnode n
  WHERE n.tenant_id = %(t)s AND EXISTS (
    SELECT 1 FROM accounts_position p JOIN accounts_orgnode held ON held.id = p.node_id
    WHERE p.tenant_id = %(t)s AND p.holder_id = %(m)s AND p.start_date <= %(d)s
      AND (p.end_date IS NULL OR p.end_date >= %(d)s) AND held.retired_on IS NULL
      AND starts_with(n.path, held.path)))
SELECT h.id, h.code, h.name, h.name_pinyin, h.title, h.specialty, h.tier, h.stage, h.potential, h.is_kol,
       h.is_target, h.status, i.code, i.name, i.city, d.name
FROM customers_hcp h
JOIN customers_institution i ON i.id = h.institution_id
LEFT JOIN customers_department d ON d.id = h.department_id
WHERE h.tenant_id = %(t)s AND h.status = 'active' AND h.stage <> 'terminated' {match}
  AND (h.id IN (SELECT a.hcp_id FROM customers_alignment a
               WHERE a.tenant_id = %(t)s AND a.hcp_id IS NOT NULL AND a.start_date <= %(d)s
                 AND (a.end_date IS NULL OR a.end_date >= %(d)s) AND a.territory_id IN (SELECT id FROM visible))
       OR h.institution_id IN (SELECT a.institution_id FROM customers_alignment a
               WHERE a.tenant_id = %(t)s AND a.institution_id IS NOT NULL AND a.start_date <= %(d)s
                 AND (a.end_date IS NULL OR a.end_date >= %(d)s) AND a.territory_id IN (SELECT id FROM visible)))
ORDER BY {order}
LIMIT %(limit)s
"""
# Search as you type for a query of two letters: initials or pinyin prefix, best match first.
# (^@, PostgreSQL's starts-with, is leakproof: under row security it is an index range, LIKE is not.)
SEARCH_MATCH = "AND (h.initials ^@ %(q)s OR h.name_pinyin ^@ %(q)s)"
SEARCH_ORDER = "CASE WHEN h.initials = %(q)s OR h.name_pinyin = %(q)s THEN 0 ELSE 1 END, h.name_pinyin, h.id"
INSTITUTION_SEARCH_SQL = """
WITH visible AS (
  SELECT n.id FROM accounts_orgnode n
  WHERE n.tenant_id = %(t)s AND EXISTS (
    SELECT 1 FROM accounts_position p JOIN accounts_orgnode held ON held.id = p.node_id
    WHERE p.tenant_id = %(t)s AND p.holder_id = %(m)s AND p.start_date <= %(d)s
      AND (p.end_date IS NULL OR p.end_date >= %(d)s) AND held.retired_on IS NULL
      AND starts_with(n.path, held.path)))
SELECT i.id, i.code, i.name, i.name_pinyin, i.kind, i.grade, i.city
FROM customers_institution i
WHERE i.tenant_id = %(t)s AND i.status <> 'merged' AND (i.initials ^@ %(q)s OR i.name_pinyin ^@ %(q)s)
  AND i.id IN (SELECT a.institution_id FROM customers_alignment a
              WHERE a.tenant_id = %(t)s AND a.institution_id IS NOT NULL AND a.start_date <= %(d)s
                AND (a.end_date IS NULL OR a.end_date >= %(d)s) AND a.territory_id IN (SELECT id FROM visible))
ORDER BY CASE WHEN i.initials = %(q)s OR i.name_pinyin = %(q)s THEN 0 ELSE 1 END, i.name_pinyin, i.id
LIMIT 5
"""


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(seconds: list[float]) -> dict:
    return {"median_ms": statistics.median(seconds) * 1000, "p95_ms": percentile(seconds, 0.95) * 1000,
            "n": len(seconds)}


def pick_manager(tenant, day):
    """The manager (district or region) of the smallest subtree holding a fifth of the HCPs."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            WITH per_inst AS (
              SELECT institution_id, count(*) AS n FROM customers_hcp
              WHERE status = 'active' AND stage <> 'terminated' GROUP BY institution_id),
            aligned AS (
              SELECT DISTINCT a.institution_id, t.parent_id AS district, d.parent_id AS region
              FROM customers_alignment a JOIN accounts_orgnode t ON t.id = a.territory_id
              JOIN accounts_orgnode d ON d.id = t.parent_id
              WHERE a.institution_id IS NOT NULL AND a.start_date <= %(d)s
                AND (a.end_date IS NULL OR a.end_date >= %(d)s)),
            per_node AS (
              SELECT node, sum(n) AS hcps FROM (
                SELECT DISTINCT institution_id, district AS node FROM aligned
                UNION SELECT DISTINCT institution_id, region FROM aligned) x
              JOIN per_inst p USING (institution_id) GROUP BY node)
            SELECT per_node.node, per_node.hcps, p.holder_id, (SELECT sum(n) FROM per_inst)
            FROM per_node JOIN accounts_position p ON p.node_id = per_node.node
              AND p.start_date <= %(d)s AND (p.end_date IS NULL OR p.end_date >= %(d)s)
            """, {"d": day})
        rows = cur.fetchall()
    total = int(rows[0][3])
    # The smallest subtree that holds at least a fifth (the biggest one if none does).
    enough = [r for r in rows if int(r[1]) >= total / 5] or [max(rows, key=lambda r: int(r[1]))]
    node, hcps, holder, _total = min(enough, key=lambda r: (int(r[1]), r[0]))
    return node, int(hcps), holder, total


def time_client(client, url: str, params: dict, headers: dict, n: int, warm: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm):
        response = client.get(url, params, headers=headers)
        if response.status_code != 200:
            return [], 0, response.status_code
    seconds = []
    for _ in range(n):
        started = time.perf_counter()
        client.get(url, params, headers=headers)
        seconds.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as ctx:  # counted apart: capturing slows each query a little
        client.get(url, params, headers=headers)
    return seconds, len(ctx.captured_queries), 200


def time_callable(fn, n: int, warm: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm):
        fn()
    seconds = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return seconds, len(ctx.captured_queries)


def time_bare(conninfo: str, tenant_id: int, statements: list[tuple[str, dict]], n: int, warm: int) -> list[float]:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant_id)])
        for _ in range(warm):
            for sql, params in statements:
                conn.execute(sql, params).fetchall()
        seconds = []
        for _ in range(n):
            started = time.perf_counter()
            for sql, params in statements:
                rows = conn.execute(sql, params).fetchall()
            seconds.append(time.perf_counter() - started)
            assert rows is not None
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant", default="huakang")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--q", default="zw")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.http import QueryDict
    from django.test import Client
    from django.urls import reverse

    from accounts.models import Membership, Tenant
    from bench.run import conninfo
    from customers import selectors
    from customers.models import Hcp
    from sfe.core.tenancy import tenant_scope

    tenant = Tenant.objects.get(slug=args.tenant)
    day = tenant.today()
    with tenant_scope(tenant), transaction.atomic():
        node, approx, holder_id, total = pick_manager(tenant, day)
        membership = Membership.objects.select_related("user").get(pk=holder_id)
        user = membership.user
        user.membership = membership
        visible = Hcp.objects.visible_to(user).in_lists().filter(status="active").count()
        match_count = selectors.hcp_list(user, QueryDict(f"q={args.q}")).count()
    out = {"tenant": tenant.slug, "hcps_in_lists": total, "manager": user.email, "manager_sees": visible,
           "node": node, "q": args.q, "q_matches_seen": match_count, "requests": args.requests}

    client = Client()
    client.force_login(user)
    pages = {
        "list": (reverse("customers:hcp_list"), {}, {}),
        "search": (reverse("customers:search"), {"q": args.q}, {"HX-Request": "true"}),
    }
    for key, (url, params, headers) in pages.items():
        seconds, queries, status = time_client(client, url, params, headers, args.requests, args.warm)
        if status == 200:
            out[key] = {"mode": "page", "url": url, **summary(seconds), "queries": queries}
            continue
        # The page does not answer yet: the selector's own queries, in the tenant and a transaction.
        def run(key=key):
            with tenant_scope(tenant), transaction.atomic():
                if key == "list":
                    qs = selectors.hcp_list(user, QueryDict(""))
                    list(qs[:51])
                    selectors.capped_count(qs)
                else:
                    selectors.search(user, args.q)

        seconds, queries = time_callable(run, args.requests, args.warm)
        out[key] = {"mode": f"selectors (the page answered {status})", "url": url, **summary(seconds),
                    "queries": queries}

    app = conninfo(settings.DATABASES["default"], settings.DATABASES["default"]["NAME"])
    base = {"t": tenant.pk, "m": holder_id, "d": day}
    list_sql = LIST_SQL.format(match="", order="h.name_pinyin, h.id")
    search_sql = LIST_SQL.format(match=SEARCH_MATCH, order=SEARCH_ORDER)
    prefix = {"q": args.q, "prefix": args.q + "%"}
    bare = {
        "list": [(list_sql, {**base, "limit": 50})],
        "search": [(search_sql, {**base, **prefix, "limit": 10}), (INSTITUTION_SEARCH_SQL, {**base, **prefix})],
    }
    for key, statements in bare.items():
        out[key]["bare"] = {**summary(time_bare(app, tenant.pk, statements, args.requests, args.warm)),
                            "queries": len(statements)}
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()

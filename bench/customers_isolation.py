"""Benchmark: what tenant isolation costs the small tenant's HCP search and list.

Three tenants share the customer tables: the demo's big one (1,000,000 HCPs at
``SIZE=large``) and two built here with the demo builder, a tenth and a fiftieth of its
size (100,000 and 20,000 HCPs at ``SIZE=large``). The small tenant's search and list
statements — exactly the SQL that ``customers.selectors`` sends, captured — run through
row-level security and the tenant filters on the shared tables, and then, the same SQL
text, on a single-tenant copy: a schema ``iso`` holding only that tenant's rows in tables
made ``LIKE`` the real ones (the same indexes, no row security, no other tenants), reached
through ``search_path``. Both as the application role, warm, alternating statement by
statement. Prints one JSON object.

    python -m bench.customers_isolation build --big-hcps 1000000
    python -m bench.customers_isolation measure --requests 50
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import time

TENANTS = {  # slug → (name, share of the big tenant's HCPs, e-mail domain, employee prefix, first region)
    "iso-mid": ("中联药业 Zhonglian (isolation bench)", 10, "isomid.bench", "ZL", 3),
    "iso-small": ("康宁生物 Kangning (isolation bench)", 50, "isosmall.bench", "KN", 4),
}
COPIED = ["customers_hcp", "customers_institution", "customers_department", "customers_alignment",
          "accounts_orgnode", "accounts_position"]
QUERIES = [("search", "zw"), ("search", "zhangwei"), ("search", "张"), ("list", "")]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    import django

    django.setup()


def build(big_hcps: int) -> dict:
    """The two smaller tenants, through the demo builder (all its steps), one transaction each."""
    setup_django()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.demo import builder
    from accounts.models import Tenant
    from customers import demo
    from customers.models import Hcp
    from sfe.core.tenancy import tenant_scope

    password_hash = make_password("Bench-Isolation-2026")
    out = {}
    for slug, (name, share, domain, prefix, first_region) in TENANTS.items():
        existing = Tenant.objects.filter(slug=slug).first()
        if existing is not None:  # a database reused from an earlier run (bench/run.py --reuse-db)
            with tenant_scope(existing), transaction.atomic():
                out[slug] = {"seconds": 0.0, "reused": True, "HCPs": Hcp.objects.count()}
            continue
        hcps = max(200, big_hcps // share)
        reps = max(8, round(hcps / demo.HCPS_PER_REP))
        demo.TARGETS[slug] = (max(30, round(hcps * 0.06)), hcps)
        spec = builder.TenantSpec(slug=slug, name=name, reps=reps, domain=domain, prefix=prefix,
                                  first_region=first_region)
        started = time.perf_counter()
        with transaction.atomic():
            ctx = builder.build_tenant(builder.make_plan(spec, 42), password_hash=password_hash, seed=42)
        out[slug] = {"seconds": time.perf_counter() - started, "reps": reps, **ctx.counts}
    return out


def _summary(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    return {"median_ms": statistics.median(seconds) * 1000,
            "p95_ms": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000}


def captured_statements(slug: str) -> tuple[int, str, dict[str, list[str]]]:
    """The SQL the selectors send for the tenant's first district manager, per query."""
    from django.db import connection, transaction
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from accounts.models import Membership, Tenant
    from customers import selectors
    from sfe.core.tenancy import tenant_scope

    tenant = Tenant.objects.get(slug=slug)
    out: dict[str, list[str]] = {}
    with tenant_scope(tenant), transaction.atomic():
        membership = Membership.objects.select_related("user").get(user__email=f"manager@{TENANTS[slug][2]}")
        user = membership.user
        user.membership = membership
        for kind, q in QUERIES:
            with CaptureQueriesContext(connection) as ctx:
                if kind == "search":
                    selectors.search(user, q)
                else:
                    list(selectors.hcp_list(user, QueryDict(""))[:51])
            out[f"{kind} {q}".strip()] = [c["sql"] for c in ctx.captured_queries
                                          if c["sql"].lstrip().upper().startswith("SELECT") and "customers_" in c["sql"]]
    return tenant.pk, user.email, out


def make_copy(owner: str, app_role: str, tenant_id: int) -> dict[str, int]:
    import psycopg

    rows = {}
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS iso CASCADE")
        conn.execute("CREATE SCHEMA iso")
        for table in COPIED:
            conn.execute(f"CREATE TABLE iso.{table} (LIKE public.{table} INCLUDING ALL)")
            rows[table] = conn.execute(f"INSERT INTO iso.{table} SELECT * FROM public.{table} WHERE tenant_id = %s",
                                       [tenant_id]).rowcount
            conn.execute(f"ANALYZE iso.{table}")
            conn.execute(f"ANALYZE public.{table}")
        conn.execute(f'GRANT USAGE ON SCHEMA iso TO "{app_role}"')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA iso TO "{app_role}"')
    return rows


def measure(requests: int, warm: int, slug: str) -> dict:
    setup_django()
    import psycopg
    from django.conf import settings

    from bench.run import conninfo

    db = settings.DATABASES["default"]
    tenant_id, manager, statements = captured_statements(slug)
    for sqls in statements.values():
        for sql in sqls:
            tables = set(re.findall(r'(?:FROM|JOIN) "?(\w+)"?', sql))
            missing = tables - set(COPIED)
            assert not missing, f"the copy lacks {missing}"
    copied = make_copy(conninfo(settings.DATABASES["owner"], db["NAME"]), db["USER"], tenant_id)
    app = conninfo(db, db["NAME"])
    out = {"tenant": slug, "manager": manager, "copied_rows": copied, "requests": requests, "queries": {}}
    with psycopg.connect(app, autocommit=True) as shared, \
            psycopg.connect(app, autocommit=True, options="-c search_path=iso,public") as alone:
        for conn in (shared, alone):
            conn.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant_id)])
        for key, sqls in statements.items():
            times = {"shared": [], "alone": []}
            counts = {}
            for round_ in range(warm + requests):
                for name, conn in (("shared", shared), ("alone", alone)) if round_ % 2 else (
                        ("alone", alone), ("shared", shared)):
                    started = time.perf_counter()
                    n = sum(len(conn.execute(sql).fetchall()) for sql in sqls)
                    if round_ >= warm:
                        times[name].append(time.perf_counter() - started)
                    counts[name] = n
            assert counts["shared"] == counts["alone"], (key, counts)  # the same rows either way
            out["queries"][key] = {"statements": len(sqls), "rows": counts["shared"],
                                   "shared": _summary(times["shared"]), "alone": _summary(times["alone"])}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--big-hcps", type=int, required=True)
    m = sub.add_parser("measure")
    m.add_argument("--requests", type=int, default=50)
    m.add_argument("--warm", type=int, default=5)
    m.add_argument("--tenant", default="iso-small")
    args = parser.parse_args()
    if args.cmd == "build":
        print(json.dumps(build(args.big_hcps), ensure_ascii=False))
    else:
        print(json.dumps(measure(args.requests, args.warm, args.tenant), ensure_ascii=False))


if __name__ == "__main__":
    main()

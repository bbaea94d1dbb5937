"""The subprocess side of ``bench/segmentation.py`` (issue 7's benchmark): its data (the
bench measures, registered on import, the rule's grids), the hand-written baseline SQL, and
the commands the benchmark runs each in a process of its own:

    python -m bench.segmentation_setup prepare|rule|task|celery|baseline [options]

The Celery case's worker is started with ``-A bench.segmentation_setup``, so that it knows
the bench measures.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from customers.segmentation.measures import Measure, register_measure

ROOT = Path(__file__).resolve().parent.parent
TENANT = "huakang"
CALLS_MAX = 4  # calls per HCP: 0 … 4 over the year (2 on average)
ADDED_CALLS = 5  # case 2: recent calls added for every tenth HCP
# Product runs per case and way (task, Celery), each followed by a baseline run; medians reported
# (a lone baseline varied ±40 %).
REPEATS = 5
G = [["D", "D", "C", "C"], ["D", "C", "C", "B"], ["C", "C", "B", "A"], ["C", "B", "A", "A"]]
ROTATE = {"A": "B", "B": "C", "C": "D", "D": "A"}
G2 = [[ROTATE[t] for t in row] for row in G]
POTENTIAL_CUTS = [50, 80, 95]
ADOPTION_CUTS = [1, 3, 5]

MEASURES = [
    Measure(key="bench.calls_12m", label="calls, last 12 months (bench)", kind="hcp", missing=0,
            sql="SELECT hcp_id, count(*) FROM bench_seg_calls WHERE tenant_id = %(tenant)s "
                "AND day > %(today)s::date - 365 GROUP BY hcp_id"),
    Measure(key="bench.sales_12m", label="sales of the primary institution, last 12 months (bench)", kind="hcp",
            per_institution=True,
            sql="SELECT institution_id, sum(amount) FROM bench_seg_sales WHERE tenant_id = %(tenant)s "
                "AND month > %(today)s::date - 365 GROUP BY institution_id"),
]
for _m in MEASURES:
    register_measure(_m)

from sfe.celery import app  # noqa: E402, F401 - the worker of the Celery case is started with -A bench.segmentation_setup


def rule(grid) -> dict:
    return {"method": "matrix",
            "potential": {"measure": "bench.sales_12m", "by": "percentile", "thresholds": POTENTIAL_CUTS},
            "adoption": {"measure": "bench.calls_12m", "by": "value", "thresholds": ADOPTION_CUTS},
            "grid": grid}


# --------------------------------------------------------------------------- the hand-written SQL

VALUES_SQL = """
WITH calls AS (SELECT hcp_id, count(*) AS n FROM bench_seg_calls
                WHERE tenant_id = %(t)s AND day > %(today)s::date - 365 GROUP BY hcp_id),
     sales AS (SELECT institution_id, sum(amount) AS total FROM bench_seg_sales
                WHERE tenant_id = %(t)s AND month > %(today)s::date - 365 GROUP BY institution_id),
     v AS (SELECT h.id, s.total AS sales, coalesce(c.n, 0) AS calls
             FROM customers_hcp h
             LEFT JOIN sales s ON s.institution_id = h.institution_id
             LEFT JOIN calls c ON c.hcp_id = h.id
            WHERE h.tenant_id = %(t)s AND h.status = 'active' AND h.stage <> 'terminated'),
     b AS (SELECT id,
                  CASE WHEN sales IS NULL THEN 1 ELSE width_bucket(
                    CASE WHEN count(sales) OVER () <= 1 THEN 0
                         ELSE (rank() OVER (ORDER BY sales) - 1) * 100.0 / (count(sales) OVER () - 1) END,
                    %(pcuts)s::numeric[]) + 1 END AS pb,
                  width_bucket(calls, %(acuts)s::numeric[]) + 1 AS ab
             FROM v)
"""
UPDATE_SQL = VALUES_SQL + """
UPDATE segmentation_customertier t
   SET tier = (%(grid)s::text[])[(b.pb - 1) * 4 + b.ab], computed_tier = (%(grid)s::text[])[(b.pb - 1) * 4 + b.ab],
       potential_band = b.pb, adoption_band = b.ab
  FROM b
 WHERE t.tenant_id = %(t)s AND t.purpose = 'tier' AND t.product_line_id = %(line)s AND t.hcp_id = b.id
"""
NEW_TABLE_SQL = "CREATE TABLE bench_seg_result AS " + VALUES_SQL + """
SELECT id AS hcp_id, pb AS potential_band, ab AS adoption_band, (%(grid)s::text[])[(pb - 1) * 4 + ab] AS tier FROM b
"""
RLS = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint"


# --------------------------------------------------------------------------- subprocess commands


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    import django

    django.setup()


def _tenant():
    from accounts.models import Tenant  # not tenant-owned: found by slug without a scope

    return Tenant.objects.get(slug=TENANT)


def _scope(tenant):
    from sfe.core.tenancy import tenant_scope

    return tenant_scope(tenant)


def _line():
    from customers.segmentation.services import settings_get
    from products.models import ProductLine

    primary = settings_get().primary_product_line_id
    return ProductLine.objects.exclude(pk=primary).order_by("pk").first()


def cmd_prepare(args) -> dict:
    """Bench tables (as the owner), the rule (grid G) on a non-primary line, the first run."""
    import psycopg

    _django()
    from django.db import transaction

    from customers.models import Hcp, Institution
    from customers.segmentation.models import SegmentationRule
    from customers.segmentation.services import recompute_now, rule_save, rule_set_active

    tenant = _tenant()
    today = tenant.today()
    with psycopg.connect(args.owner, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_seg_calls, bench_seg_sales, bench_seg_result")
        conn.execute("CREATE TABLE bench_seg_calls (tenant_id bigint NOT NULL, hcp_id bigint NOT NULL, day date NOT NULL)")
        conn.execute("CREATE TABLE bench_seg_sales (tenant_id bigint NOT NULL, institution_id bigint NOT NULL, "
                     "month date NOT NULL, amount numeric(14, 2) NOT NULL)")
        conn.execute("SELECT setseed(0.42)")
        conn.execute(f"INSERT INTO bench_seg_calls SELECT h.tenant_id, h.id, %(d)s::date - (random() * 364)::int "
                     f"FROM customers_hcp h CROSS JOIN LATERAL generate_series(1, (abs(hashint8(h.id)) %% "
                     f"{CALLS_MAX + 1})::int) g WHERE h.tenant_id = %(t)s", {"t": tenant.pk, "d": today})
        conn.execute("INSERT INTO bench_seg_sales SELECT i.tenant_id, i.id, (date_trunc('month', %(d)s::date) "
                     "- make_interval(months => m))::date, round((random() * 100000)::numeric, 2) "
                     "FROM customers_institution i CROSS JOIN generate_series(0, 11) m WHERE i.tenant_id = %(t)s",
                     {"t": tenant.pk, "d": today})
        for table in ("bench_seg_calls", "bench_seg_sales"):
            conn.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            conn.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            conn.execute(f"CREATE POLICY tenant_isolation ON {table} USING ({RLS}) WITH CHECK ({RLS})")
            conn.execute(f'GRANT SELECT, INSERT, DELETE ON {table} TO "{args.app_role}"')
            conn.execute(f"ANALYZE {table}")
        calls = conn.execute("SELECT count(*) FROM bench_seg_calls").fetchone()[0]
        sales = conn.execute("SELECT count(*) FROM bench_seg_sales").fetchone()[0]
    with _scope(tenant), transaction.atomic():
        line = _line()
        for r in SegmentationRule.objects.filter(product_line=line, kind="institution"):
            rule_set_active(rule=r, is_active=False, by=None)
        rule_save(kind="hcp", product_line=line, definition=rule(G), by=None, name="bench")
        hcps, insts = Hcp.objects.count(), Institution.objects.count()
    started = time.perf_counter()
    with _scope(tenant), transaction.atomic():
        first = recompute_now(product_line=line)
    with psycopg.connect(args.owner, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE segmentation_customertier")
        conn.execute("VACUUM ANALYZE segmentation_tierchangebatch")
    return {"tenant": tenant.pk, "line": line.pk, "today": today.isoformat(), "hcps": hcps, "institutions": insts,
            "calls": calls, "sales_rows": sales, "first_run_s": round(time.perf_counter() - started, 2),
            "first_run_changes": first.tier_changes}


def cmd_rule(args) -> dict:
    _django()
    from django.db import transaction

    from customers.segmentation.services import rule_save

    tenant = _tenant()
    with _scope(tenant), transaction.atomic():
        r = rule_save(kind="hcp", product_line=_line(), definition=rule(G2 if args.grid == "G2" else G), by=None,
                      name="bench")
    return {"version": r.version}


def _run_json(run, seconds: float) -> dict:
    db = (run.finished_at - run.started_at).total_seconds() if run.finished_at and run.started_at else None
    return {"seconds": seconds, "db_seconds": db, "status": run.status, "tier_changes": run.tier_changes,
            "rows_changed": run.rows_changed, "error": run.error[:300],
            "statements": {k: v.get("seconds") for k, v in (run.counts or {}).items() if isinstance(v, dict)}}


def cmd_task(args) -> dict:
    """The product's run through the task function, in this process."""
    _django()
    from django.db import transaction

    from customers.segmentation.models import SegmentationRun
    from customers.segmentation.tasks import recompute_task

    tenant = _tenant()
    with _scope(tenant):
        with transaction.atomic():
            run = SegmentationRun.objects.create(product_line=_line(), trigger="manual")
        started = time.perf_counter()
        recompute_task.run(run.pk)
        seconds = time.perf_counter() - started
        with transaction.atomic():
            run.refresh_from_db()
    return _run_json(run, seconds)


def cmd_celery(args) -> dict:
    """The product's run through a real worker on ``args.queue``: enqueue (commit) → done."""
    _django()
    from django.db import transaction

    from customers.segmentation.models import SegmentationRun
    from customers.segmentation.services import run_request

    tenant = _tenant()
    with _scope(tenant):
        started = time.perf_counter()
        with transaction.atomic():
            run = run_request(product_line=_line(), queue=args.queue)
        while True:
            with transaction.atomic():
                run = SegmentationRun.objects.get(pk=run.pk)
            if not run.is_open:
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - started
    return _run_json(run, seconds)


def cmd_baseline(args) -> dict:
    """The hand-written statement, plain psycopg as the application role (row security on)."""
    import psycopg

    from customers.segmentation.tuning import WORK_MEM

    params = {"t": args.tenant, "line": args.line, "today": args.today, "pcuts": POTENTIAL_CUTS,
              "acuts": ADOPTION_CUTS, "grid": [t for row in (G2 if args.grid == "G2" else G) for t in row]}
    with psycopg.connect(args.app) as conn:
        if args.what == "newtable":
            with psycopg.connect(args.owner, autocommit=True) as owner:
                owner.execute("DROP TABLE IF EXISTS bench_seg_result")
                owner.execute(f'GRANT CREATE ON SCHEMA public TO "{args.app_role}"')
        started = time.perf_counter()
        conn.execute("SELECT set_config('app.tenant_id', %s, true)", [str(args.tenant)])
        conn.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])  # as the product's run sets it
        cur = conn.execute(UPDATE_SQL if args.what == "update" else NEW_TABLE_SQL, params)
        rows = cur.rowcount
        conn.commit()
        seconds = time.perf_counter() - started
        out = {"seconds": seconds, "rows": rows}
        if args.what == "newtable":
            conn.execute("SELECT set_config('app.tenant_id', %s, true)", [str(args.tenant)])
            out["differ_from_product"] = conn.execute(
                "SELECT count(*) FROM bench_seg_result r JOIN segmentation_customertier t ON t.hcp_id = r.hcp_id "
                "AND t.tenant_id = %(t)s AND t.purpose = 'tier' AND t.product_line_id = %(line)s "
                "WHERE (t.computed_tier, t.potential_band, t.adoption_band) IS DISTINCT FROM "
                "(r.tier, r.potential_band, r.adoption_band)", params).fetchone()[0]
            conn.commit()
            with psycopg.connect(args.owner, autocommit=True) as owner:
                owner.execute("DROP TABLE IF EXISTS bench_seg_result")
                owner.execute(f'REVOKE CREATE ON SCHEMA public FROM "{args.app_role}"')
    return out


COMMANDS = {"prepare": cmd_prepare, "rule": cmd_rule, "task": cmd_task, "celery": cmd_celery, "baseline": cmd_baseline}


def main() -> None:
    parser = argparse.ArgumentParser(description="a command of bench/segmentation.py")
    parser.add_argument("command", choices=list(COMMANDS))
    for opt in ("--owner", "--app", "--app-role", "--queue", "--grid", "--what", "--today"):
        parser.add_argument(opt, default="")
    parser.add_argument("--tenant", type=int, default=0)
    parser.add_argument("--line", type=int, default=0)
    args = parser.parse_args()
    print(json.dumps(COMMANDS[args.command](args), default=str))


if __name__ == "__main__":
    main()

"""Benchmark: the nightly tier recompute (issue 7) on the demo tenant (1,000,000 HCPs at
``SIZE=large``), with 12 months of calls and sales synthesised in bench-only tables
(``bench_seg_calls``: 0–4 calls per HCP; ``bench_seg_sales``: 12 monthly amounts per
institution; both under the same row security as tenant tables) and registered as measures.

The rule is a matrix: potential = the primary institution's sales of the last 12 months cut
at the 50th/80th/95th percentiles, adoption = the HCP's calls of the last 12 months cut at
1, 3 and 5 calls; grid G, or G′ (every cell one tier along: A→B→C→D→A).

* **Case 1, every tier changes** (the rule flips between G and G′): the product's run through
  Celery (a real worker, enqueue → done) and through the task function in a process of its
  own (``run_execute``), against one hand-written ``UPDATE segmentation_customertier … FROM
  (window query)`` computing the same tiers from the same data into the same rows. (Its
  result is checked: the product's next run with the same rule changes nothing.)
* **Case 2, 10 % change** (five recent calls added for every tenth HCP, then removed): the
  same two runs, against merely writing the result into a new table (``CREATE TABLE AS``
  of the same window query).

Each case runs each side ``REPEATS`` times, alternating, and reports the medians (the same
lone UPDATE took 12.5 s in one run and 22.3 s in the next on this machine).

The product line measured is not the tenant's primary one (no ``customers_hcp.tier``
column to keep in step: both sides write the same table); its institution rule, if any, is
switched off for the bench. Both sides run with the ``work_mem`` the product's recompute
sets for its own statements (``customers.segmentation.tuning.WORK_MEM``). Wall times are the
statements' (or the run's) own, inside each process; peak memory is each process's peak RSS
(the worker's ``VmHWM``). PostgreSQL's own memory is on neither side.

Standalone, on a throwaway database (small by default; do not run large next to other work):

    python -m bench.segmentation --size small
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from customers.segmentation.measures import Measure, register_measure

ROOT = Path(__file__).resolve().parent.parent
TENANT = "huakang"
CALLS_MAX = 4  # calls per HCP: 0 … 4 over the year (2 on average)
ADDED_CALLS = 5  # case 2: recent calls added for every tenth HCP
REPEATS = 3  # runs of each side per case, alternating; medians reported (a lone baseline varied ±40 %)
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

from sfe.celery import app  # noqa: E402 - the worker of the Celery case is started with -A bench.segmentation


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
        conn.execute("VACUUM ANALYZE segmentation_tierchange")
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


# --------------------------------------------------------------------------- the benchmark


def _sub(b, *argv: str):
    from bench.run import run_measured

    m = run_measured([sys.executable, "-m", "bench.segmentation", *argv], b.env)
    return m, json.loads(m.stdout.strip().splitlines()[-1])


def _worker(b) -> tuple[subprocess.Popen, str]:
    import uuid

    queue = f"bench-seg-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "bench.segmentation", "worker", "--pool=solo",
                             "-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle",
                             "--without-heartbeat", "--loglevel=WARNING"], cwd=ROOT, env=b.env,
                            stdout=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the bench Celery worker exited ({proc.returncode})")
        if app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1):
            return proc, queue
    proc.kill()
    raise SystemExit("the bench Celery worker did not answer")


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _celery_run(b) -> tuple[dict, float]:
    proc, queue = _worker(b)
    try:
        _m, r = _sub(b, "celery", "--queue", queue)
        return r, _vm_hwm_mb(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def _median(runs: list[dict]) -> dict:
    """The run of median time (an odd number of runs: one of them, not an average)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def _check(r: dict, what: str) -> None:
    if r.get("status") != "succeeded":
        raise SystemExit(f"{what}: the run did not succeed: {r}")


def bench_tier_recompute(b) -> list[dict]:
    """See the module: case 1 (every tier changes) and case 2 (10 % change)."""
    import psycopg

    from bench.run import _demo_ready

    total = _demo_ready(b)
    with psycopg.connect(b.owner) as conn:
        last_run = conn.execute("SELECT coalesce(max(id), 0) FROM segmentation_segmentationrun").fetchone()[0]
    try:
        return _bench_tier_recompute(b, total)
    finally:
        # The history the bench's own runs wrote (millions of rows a run) goes again, so that
        # a reused database does not make each next run's history inserts slower.
        with psycopg.connect(b.owner, autocommit=True) as conn:
            removed = conn.execute("DELETE FROM segmentation_tierchange WHERE run_id > %s", [last_run]).rowcount
            conn.execute("VACUUM ANALYZE segmentation_tierchange")
        b.notes.setdefault("tier recompute", {})["history rows of the bench's runs removed afterwards"] = removed


def _bench_tier_recompute(b, total: int) -> list[dict]:
    import psycopg

    from bench.run import entry

    app_role = psycopg.conninfo.conninfo_to_dict(b.app)["user"]
    _m, prep = _sub(b, "prepare", "--owner", b.owner, "--app-role", app_role)
    base = ["--tenant", str(prep["tenant"]), "--line", str(prep["line"]), "--today", prep["today"], "--app", b.app,
            "--owner", b.owner, "--app-role", app_role]
    n = prep["hcps"]

    # Case 1: every tier changes. G → G′ once through Celery; then REPEATS times, alternating:
    # the product's task G′ → G, the hand-written UPDATE G → G′ (each changes every row).
    # The product's run with G′ afterwards must change nothing.
    _sub(b, "rule", "--grid", "G2")
    c1_celery, c1_celery_rss = _celery_run(b)
    _check(c1_celery, "case 1, Celery")
    c1_tasks, upds, m_task1, m_upd = [], [], None, None
    for _ in range(REPEATS):
        _sub(b, "rule", "--grid", "G")
        m_task1, r = _sub(b, "task")
        _check(r, "case 1, task")
        c1_tasks.append(r)
        m_upd, r = _sub(b, "baseline", "--what", "update", "--grid", "G2", *base)
        upds.append(r)
    _sub(b, "rule", "--grid", "G2")
    _m, settle = _sub(b, "task")
    _check(settle, "after the UPDATE")

    # Case 2: 10 % of the HCPs get five recent calls (Celery); then REPEATS times, alternating:
    # the calls removed (or added back) and the product's task, and the new-table baseline.
    def toggle(add: bool) -> None:
        with psycopg.connect(b.owner, autocommit=True) as conn:
            if add:
                conn.execute(f"INSERT INTO bench_seg_calls SELECT h.tenant_id, h.id, %(d)s::date - 1 "
                             f"FROM customers_hcp h CROSS JOIN generate_series(1, {ADDED_CALLS}) "
                             f"WHERE h.tenant_id = %(t)s AND h.id %% 10 = 3", {"t": prep["tenant"], "d": prep["today"]})
                conn.execute("ANALYZE bench_seg_calls")
            else:
                conn.execute("DELETE FROM bench_seg_calls WHERE day = %(d)s::date - 1 AND hcp_id %% 10 = 3",
                             {"d": prep["today"]})
                conn.execute("VACUUM ANALYZE bench_seg_calls")

    toggle(add=True)
    c2_celery, c2_celery_rss = _celery_run(b)
    _check(c2_celery, "case 2, Celery")
    c2_tasks, news, m_task2, m_new, added = [], [], None, None, True
    for _ in range(REPEATS):
        added = not added
        toggle(add=added)
        m_task2, r = _sub(b, "task")
        _check(r, "case 2, task")
        c2_tasks.append(r)
        m_new, r = _sub(b, "baseline", "--what", "newtable", "--grid", "G2", *base)
        news.append(r)
    if added:
        toggle(add=False)  # the bench's calls as they were
    c1_task, upd = _median(c1_tasks), _median(upds)
    c2_task, new = _median(c2_tasks), _median(news)

    b.notes.setdefault("tier recompute", {}).update({
        "scale": f"{n:,} HCPs in the demo tenant ({total:,} in the database) at SIZE={b.size}; 1,000,000 at large",
        "data": {"calls (12 months)": prep["calls"], "sales rows (institution × month)": prep["sales_rows"]},
        "first run (every HCP new, s)": prep["first_run_s"],
        "repeats": f"{REPEATS} alternating runs of each side per case; the figures are their medians",
        "seconds of each run": {
            "case 1 task": [round(r["seconds"], 2) for r in c1_tasks], "case 1 UPDATE": [round(r["seconds"], 2) for r in upds],
            "case 2 task": [round(r["seconds"], 2) for r in c2_tasks],
            "case 2 new table": [round(r["seconds"], 2) for r in news]},
        "changes": {"case 1 Celery": c1_celery["tier_changes"], "case 1 task": [r["tier_changes"] for r in c1_tasks],
                    "case 1 UPDATE rows": [r["rows"] for r in upds],
                    "product run after the UPDATE (must be 0)": settle["rows_changed"],
                    "case 2 Celery": c2_celery["tier_changes"], "case 2 task": [r["tier_changes"] for r in c2_tasks],
                    "new table rows": [r["rows"] for r in news],
                    "new table rows differing from the product's": [r["differ_from_product"] for r in news]},
        "seconds of each statement of the product's runs (diff, update, delete, insert, history)": {
            "case 1 task": [r.get("statements") for r in c1_tasks], "case 2 task": [r.get("statements") for r in c2_tasks]},
        "run seconds inside the database (started → finished)": {
            "case 1 Celery": c1_celery["db_seconds"], "case 1 task": [r["db_seconds"] for r in c1_tasks],
            "case 2 Celery": c2_celery["db_seconds"], "case 2 task": [r["db_seconds"] for r in c2_tasks]},
    })
    upd_label = ("one hand-written UPDATE segmentation_customertier … FROM (window query), same tiers, same rows "
                 f"(median of {REPEATS})")
    new_label = f"the same window query written into a new table (CREATE TABLE AS) (median of {REPEATS})"
    return [
        entry(f"tier recompute, every tier changes ({n:,} HCPs): the product's run through Celery (enqueue → done)",
              b.size, c1_celery["seconds"], "s", upd_label, upd["seconds"]),
        entry(f"tier recompute, every tier changes ({n:,} HCPs): the product's run through the task function "
              f"(median of {REPEATS})", b.size, c1_task["seconds"], "s", upd_label, upd["seconds"]),
        entry("tier recompute, every tier changes: peak memory of the task process (RSS)", b.size,
              m_task1.peak_rss_mb, "MB", "peak RSS of the process running the UPDATE", m_upd.peak_rss_mb),
        entry("tier recompute, every tier changes: peak memory of the Celery worker (VmHWM)", b.size,
              c1_celery_rss, "MB", "peak RSS of the process running the UPDATE", m_upd.peak_rss_mb),
        entry(f"tier recompute, {c2_celery['tier_changes']:,} of {n:,} tiers change: the product's run through Celery",
              b.size, c2_celery["seconds"], "s", new_label, new["seconds"]),
        entry(f"tier recompute, {c2_task['tier_changes']:,} of {n:,} tiers change: the product's run through the task "
              f"function (median of {REPEATS})", b.size, c2_task["seconds"], "s", new_label, new["seconds"]),
        entry("tier recompute, 10 % change: peak memory of the task process (RSS)", b.size, m_task2.peak_rss_mb, "MB",
              "peak RSS of the process writing the new table", m_new.peak_rss_mb),
        entry("tier recompute, 10 % change: peak memory of the Celery worker (VmHWM)", b.size, c2_celery_rss, "MB",
              "peak RSS of the process writing the new table", m_new.peak_rss_mb),
        entry("tier recompute: Celery overhead (run through a worker, enqueue → done)", b.size,
              c1_celery["seconds"] + c2_celery["seconds"], "s", "the same two runs through the task function",
              c1_task["seconds"] + c2_task["seconds"]),
    ]


# --------------------------------------------------------------------------- entry points


def standalone(size: str, db: str, keep: bool) -> None:
    """A fresh throwaway database, migrated and seeded, this benchmark alone, then dropped."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    os.environ.pop("SFE_DB_NAME", None)
    from django.conf import settings

    from bench.run import Bench, conninfo, drop_database, fresh_database

    owner_cfg, app_cfg = settings.DATABASES["owner"], settings.DATABASES["default"]
    env = {**os.environ, "SFE_DB_NAME": db}
    b = Bench(size=size, owner=conninfo(owner_cfg, db), app=conninfo(app_cfg, db), env=env, notes={})
    fresh_database(owner_cfg, app_cfg["USER"], db)
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--skip-checks", "-v0"], cwd=ROOT, env=env, check=True,
                       stderr=subprocess.DEVNULL)
        results = bench_tier_recompute(b)
    finally:
        if not keep:
            drop_database(owner_cfg, db)
    print(json.dumps({"results": results, "notes": b.notes}, ensure_ascii=False, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=[*COMMANDS, "bench"], default="bench")
    parser.add_argument("--size", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--db", default="sfe_bench_seg")
    parser.add_argument("--keep-db", action="store_true")
    for opt in ("--owner", "--app", "--app-role", "--queue", "--grid", "--what", "--today"):
        parser.add_argument(opt, default="")
    parser.add_argument("--tenant", type=int, default=0)
    parser.add_argument("--line", type=int, default=0)
    args = parser.parse_args()
    if args.command == "bench":
        standalone(args.size, args.db, args.keep_db)
        return
    print(json.dumps(COMMANDS[args.command](args), default=str))


if __name__ == "__main__":
    main()

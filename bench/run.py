"""``make bench SIZE=small|medium|large``: run the benchmarks on a throwaway database and
write ``bench/results.json`` and ``bench/results.md``.

Every figure is compared with a baseline measured in the same run (timings on this kind
of machine vary 5–18 % between runs; a ratio from one run is what to compare), and
``ratio`` is ours ÷ baseline: lower is better.

The throwaway database (``sfe_bench``, or ``--db NAME``) is created on the embedded PostgreSQL
by the owner role and dropped at the end (``--keep-db`` keeps it); Django reaches it through the
``SFE_DB_NAME`` environment variable. To add a benchmark, write a function that takes the
``Bench`` and returns entries, and append it to ``BENCHMARKS``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
BENCH_DB = "sfe_bench"


@dataclass
class Bench:
    size: str
    owner: str  # conninfo of the owner role on the bench database
    app: str  # conninfo of the application role on the bench database
    env: dict[str, str]  # environment that points Django at the bench database
    notes: dict


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    stdout: str


def run_measured(cmd: list[str], env: dict[str, str]) -> Measured:
    """Run ``cmd`` to the end; its wall time and its own peak RSS (``wait4``: this child only)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err, text=True)  # noqa: S603 - our own commands
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.read()[-3000:]}")
        return Measured(seconds, usage.ru_maxrss / 1024, out.read())  # ru_maxrss is in KiB on Linux


def conninfo(cfg: dict, dbname: str) -> str:
    # The session settings of the product's connections too (e.g. no parallel workers for
    # the application role), so a bare baseline runs under the same server settings.
    return psycopg.conninfo.make_conninfo(host=cfg["HOST"], port=cfg["PORT"] or None, user=cfg["USER"],
                                          password=cfg["PASSWORD"] or None, dbname=dbname,
                                          options=(cfg.get("OPTIONS") or {}).get("options") or None)


def entry(name: str, size: str, value: float, unit: str, baseline: str, baseline_value: float) -> dict:
    return {"name": name, "size": size, "value": round(value, 3), "unit": unit, "baseline": baseline,
            "baseline_value": round(baseline_value, 3), "ratio": round(value / baseline_value, 2)}


# --------------------------------------------------------------------------- benchmarks


SEEDED_TABLES = ["accounts_user", "accounts_membership", "accounts_orgnode", "accounts_orgnodeversion",
                 "accounts_position"]


def bench_seed_demo(b: Bench) -> list[dict]:
    """``seed_demo`` against a bare COPY of as many rows into the same tables.

    The bare load covers the organisation (users, tree, positions); the customer master
    that ``seed_demo`` also builds (``customers.demo``, its own step) is left out of both
    sides of these ratios and reported per step in the notes."""
    manage = [sys.executable, "manage.py"]
    seed = run_measured(manage + ["seed_demo", "--skip-checks", "-v2", "--size", b.size, "--logins-file", ""],
                        b.env)
    hashing = float(re.search(r"password hashed once in ([\d.]+) s", seed.stdout).group(1))
    customers_s = sum(float(x) for x in re.findall(r"^\s+customers\s+([\d.]+) s$", seed.stdout, re.M))
    in_process = float(re.search(r"seeded in ([\d.]+) s", seed.stdout).group(1)) - hashing - customers_s
    with psycopg.connect(b.owner) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SEEDED_TABLES}
        audit_rows = conn.execute("SELECT count(*) FROM core_auditevent").fetchone()[0]
    b.notes["seed_demo rows"] = counts
    b.notes["seed_demo audit rows (one per inserted row, by trigger)"] = audit_rows
    b.notes["seed_demo steps"] = [line.strip() for line in seed.stdout.splitlines()
                                  if re.search(r"\d s$|^\w+: [\d,]+ users", line.strip())]
    with psycopg.connect(b.owner) as conn:
        b.notes["seed_demo customer rows"] = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                                              for t in CUSTOMER_TABLES}
    b.notes["seed_demo customers step, both tenants (s; its rows are not in the bare load)"] = round(customers_s, 2)

    def copyload(into: str, conninfo: str) -> tuple[Measured, float]:
        m = run_measured([sys.executable, "-m", "bench.copyload", "--conninfo", conninfo,
                          "--counts", json.dumps(counts), "--into", into], b.env)
        return m, json.loads(m.stdout)["seconds"]

    real, real_s = copyload("real", b.app)
    _, no_audit_s = copyload("real-no-audit", b.owner)
    _, temp_s = copyload("temp", b.app)
    rows = sum(counts.values())
    bare = f"bare psycopg load of the same {rows:,} rows into the same tables (COPY to staging, INSERT … SELECT)"
    return [
        entry("seed_demo wall time without its customers step (process start to exit)", b.size,
              seed.seconds - customers_s, "s", bare + ", process start to exit", real.seconds),
        entry("seed_demo peak memory (RSS, with the customers step)", b.size, seed.peak_rss_mb, "MB",
              "peak RSS of that bare load process", real.peak_rss_mb),
        entry("seed_demo load time without its customers step (in the process, without its one password hash)",
              b.size, in_process, "s", bare + ", first statement to commit", real_s),
        entry("bare load into the real tables, audit trigger on", b.size, real_s, "s",
              "the same load with the audit trigger disabled (owner role)", no_audit_s),
        entry("bare load into the real tables (RLS, keys, indexes, audit trigger)", b.size, real_s, "s",
              "the same COPY into unindexed temporary copies only", temp_s),
    ]


CUSTOMER_TABLES = ["products_productline", "products_brand", "products_sku", "customers_institution",
                   "customers_department", "customers_hcp", "customers_affiliation", "customers_kollink",
                   "customers_supplyrelation", "customers_alignment", "customers_stagechange"]
DEMO_TENANT = "huakang"


def _demo_ready(b: Bench) -> int:
    """The demo tenant's HCPs (seeding it first if ``bench_seed_demo`` did not run), with fresh
    planner statistics (ANALYZE as the owner: the application role may not)."""
    with psycopg.connect(b.owner) as conn:
        seeded = conn.execute("SELECT 1 FROM accounts_tenant WHERE slug = %s", [DEMO_TENANT]).fetchone()
    if not seeded:
        run_measured([sys.executable, "manage.py", "seed_demo", "--skip-checks", "--size", b.size,
                      "--logins-file", ""], b.env)
    with psycopg.connect(b.owner, autocommit=True) as conn:
        for table in [*CUSTOMER_TABLES, "accounts_orgnode", "accounts_position", "accounts_membership"]:
            conn.execute(f"ANALYZE {table}")
        return conn.execute("SELECT count(*) FROM customers_hcp h JOIN accounts_tenant t ON t.id = h.tenant_id "
                            "WHERE t.slug = %s", [DEMO_TENANT]).fetchone()[0]


def _json_tail(stdout: str) -> dict:
    return json.loads(stdout.strip().splitlines()[-1])


def bench_customer_lists(b: Bench) -> list[dict]:
    """The HCP list page and search as you type for a manager seeing a fifth of the demo's
    HCPs (200,000 of 1,000,000 at SIZE=large) against a bare SELECT … LIMIT 50 with the same
    filter, visibility and order (bench/customers_lists.py)."""
    total = _demo_ready(b)
    m = run_measured([sys.executable, "-m", "bench.customers_lists", "--tenant", DEMO_TENANT, "--requests", "30"],
                     b.env)
    r = _json_tail(m.stdout)
    b.notes["customer lists"] = {k: v for k, v in r.items() if k not in ("list", "search")} | {
        "scale": f"the demo tenant has {total:,} HCPs at SIZE={b.size} (1,000,000 at large); the manager sees "
                 f"{r['manager_sees']:,} of {r['hcps_in_lists']:,} in the lists",
        "modes": {k: r[k]["mode"] for k in ("list", "search")}}
    seen = f"manager seeing {r['manager_sees']:,} of {r['hcps_in_lists']:,} HCPs"
    bare = "bare psycopg SELECT, same filter, visibility and order, hand-written (row security on)"
    out = []
    for key, label, base in (("list", "HCP list page (customers:hcp_list, first page by pinyin)", bare + ", LIMIT 50"),
                             ("search", f"search as you type (customers:search, q={r['q']}, htmx fragment)",
                              bare + ", HCPs LIMIT 10 + institutions LIMIT 5")):
        ours, theirs = r[key], r[key]["bare"]
        out += [
            entry(f"{label}, {seen}: median server time", b.size, ours["median_ms"], "ms", base + ", median",
                  theirs["median_ms"]),
            entry(f"{label}, {seen}: p95 server time", b.size, ours["p95_ms"], "ms", base + ", p95", theirs["p95_ms"]),
            entry(f"{label}: SQL statements per request", b.size, ours["queries"], "queries",
                  "statements of the bare version", theirs["queries"]),
        ]
    return out


def bench_customer_isolation(b: Bench) -> list[dict]:
    """Tenant isolation: the small tenant's search and list through row security and the
    tenant filter on tables shared with two bigger tenants, against the same SQL on a
    single-tenant copy of its rows (bench/customers_isolation.py)."""
    total = _demo_ready(b)
    built = run_measured([sys.executable, "-m", "bench.customers_isolation", "build", "--big-hcps", str(total)],
                         b.env)
    sizes = _json_tail(built.stdout)
    with psycopg.connect(b.owner, autocommit=True) as conn:
        for table in CUSTOMER_TABLES:
            conn.execute(f"ANALYZE {table}")
    m = run_measured([sys.executable, "-m", "bench.customers_isolation", "measure", "--requests", "50"], b.env)
    r = _json_tail(m.stdout)
    b.notes["tenant isolation"] = {
        "tenants (HCPs)": {DEMO_TENANT: total, **{k: v["HCPs"] for k, v in sizes.items()}},
        "built in (s)": {k: round(v["seconds"], 1) for k, v in sizes.items()},
        "scale": f"1,000,000 / 100,000 / 20,000 HCPs at SIZE=large; here {total:,} / "
                 f"{sizes['iso-mid']['HCPs']:,} / {sizes['iso-small']['HCPs']:,}",
        "copy": r["copied_rows"], "p95 ms (shared / alone)": {
            k: [round(v["shared"]["p95_ms"], 2), round(v["alone"]["p95_ms"], 2)] for k, v in r["queries"].items()},
    }
    small = sizes["iso-small"]["HCPs"]
    return [
        entry(f"tenant isolation: small tenant ({small:,} HCPs) {key} ({v['statements']} statements, {v['rows']} rows), "
              "shared tables with row security: median", b.size, v["shared"]["median_ms"], "ms",
              "the same SQL on a single-tenant copy (same indexes, no row security), median", v["alone"]["median_ms"])
        for key, v in r["queries"].items()
    ]


IMPORT_ROWS = {"small": 20_000, "medium": 50_000, "large": 100_000}


def bench_customer_import(b: Bench) -> list[dict]:
    """The HCP import (validated, matched, aligned) against a bare COPY of the same rows;
    first, before a seed fills the tables (a bigger table slows our import, not the copy)."""
    from bench.customers_import import bench_import

    b.notes["customer import rows"] = IMPORT_ROWS[b.size]
    return bench_import(b, rows=IMPORT_ROWS[b.size])


def bench_tier_recompute(b: Bench) -> list[dict]:
    """Issue 7: the nightly tier recompute against one hand-written UPDATE … FROM (window
    query) and against writing the result into a new table (bench/segmentation.py)."""
    from bench.segmentation import bench_tier_recompute as run

    return run(b)


def bench_calls(b: Bench) -> list[dict]:
    """Issue 5: the rep's Today page (statements; throughput and p95 under gunicorn against a
    bare fortunes view), the call form's submit against a bare one-row insert, the manager's
    month calendar with 500 and 5,000 calls (bench/calls.py)."""
    from bench.calls import bench_calls as run

    return run(b)


def bench_expenses(b: Bench) -> list[dict]:
    """Issue 6: spend checks on submit, a manager approving 50 claim lines (``bench/expenses.py``)."""
    from bench.expenses import bench_expenses as run

    return run(b)


BENCHMARKS: list[Callable[[Bench], list[dict]]] = [bench_customer_import, bench_seed_demo, bench_customer_lists,
                                                  bench_customer_isolation, bench_tier_recompute, bench_calls,
                                                  bench_expenses]


# --------------------------------------------------------------------------- database and output


def fresh_database(owner_cfg: dict, app_role: str, name: str = BENCH_DB) -> None:
    with psycopg.connect(conninfo(owner_cfg, owner_cfg["NAME"]), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
        conn.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE {name} TO "{app_role}"')


def drop_database(owner_cfg: dict, name: str = BENCH_DB) -> None:
    """Drop it, also when autovacuum is at work in it after a big load: FORCE may not signal
    the autovacuum worker (it is not the owner's), a plain DROP cancels it by itself."""
    with psycopg.connect(conninfo(owner_cfg, owner_cfg["NAME"]), autocommit=True) as conn:
        for attempt in range(10):
            try:
                conn.execute(f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if attempt % 2 == 0 else ""))
                return
            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse) as exc:
                if attempt == 9:
                    print(f"could not drop the database {name}: {exc}", file=sys.stderr)
                time.sleep(1)


def write_results(results: list[dict], run_info: dict, out: Path = HERE) -> None:
    (out / "results.json").write_text(
        json.dumps({"run": run_info, "results": results}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Benchmarks", "",
        f"Run {run_info['at']} on {run_info['machine']}, PostgreSQL {run_info['postgres']}, size "
        f"`{run_info['size']}`. Ratio = ours ÷ baseline, measured in the same run (lower is better).", "",
        "| figure | size | value | baseline | baseline value | ratio |",
        "| --- | --- | ---: | --- | ---: | ---: |",
    ]
    for r in results:
        lines.append(f"| {r['name']} | {r['size']} | {r['value']:,} {r['unit']} | {r['baseline']} | "
                     f"{r['baseline_value']:,} {r['unit']} | {r['ratio']} |")
    lines += ["", "Notes:", ""]
    lines += [f"- {k}: {json.dumps(v, ensure_ascii=False)}" for k, v in run_info["notes"].items()]
    (out / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--db", default=BENCH_DB, help=f"name of the throwaway database (default {BENCH_DB}); "
                        "two runs at once need different names")
    parser.add_argument("--out", default=str(HERE), help="directory for results.json and results.md")
    parser.add_argument("--reuse-db", action="store_true",
                        help="measure on the existing --db as it is (no fresh database, no migrate, kept afterwards): "
                             "seed once at SIZE=large, then run --only the figures you want")
    parser.add_argument("--only", action="append", default=[],
                        help="run only these benchmarks (function names, repeatable)")
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL"):
        raise SystemExit("make bench runs on the embedded PostgreSQL: unset DATABASE_URL.")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    os.environ.pop("SFE_DB_NAME", None)
    from django.conf import settings

    owner_cfg, app_cfg = settings.DATABASES["owner"], settings.DATABASES["default"]
    # Served as in production (DEBUG off: no query log, manifest static files), so the pages'
    # figures are those a deployment sees, not those of the development server's debugging aids.
    env = {**os.environ, "SFE_DB_NAME": args.db, "DEBUG": "0"}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    b = Bench(size=args.size, owner=conninfo(owner_cfg, args.db), app=conninfo(app_cfg, args.db), env=env,
              notes={})

    if not args.reuse_db:
        fresh_database(owner_cfg, app_cfg["USER"], args.db)
    try:
        if not args.reuse_db:
            subprocess.run([sys.executable, "manage.py", "migrate", "--skip-checks", "-v0"], cwd=ROOT, env=env,
                           check=True, stderr=subprocess.DEVNULL)
        with psycopg.connect(b.owner) as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
        results = []
        for bench in BENCHMARKS:
            if args.only and bench.__name__ not in args.only:
                continue
            print(f"running {bench.__name__} ({args.size}) …", flush=True)
            try:
                results += bench(b)
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - one broken figure must not cost the others
                print(f"{bench.__name__} failed: {str(exc)[-2000:]}", file=sys.stderr, flush=True)
                b.notes[f"{bench.__name__} FAILED"] = str(exc)[-600:]
    finally:
        if not (args.keep_db or args.reuse_db):
            drop_database(owner_cfg, args.db)

    run_info = {"at": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "size": args.size,
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
                "postgres": postgres, "notes": b.notes}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_results(results, run_info, out)
    for r in results:
        print(f"{r['name']}: {r['value']} {r['unit']} vs {r['baseline_value']} {r['unit']} → ratio {r['ratio']}")
    print(f"written to {out / 'results.json'} and {out / 'results.md'}")


if __name__ == "__main__":
    main()

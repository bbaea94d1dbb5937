"""``make bench SIZE=small|medium|large``: run the benchmarks on a throwaway database and
write ``bench/results.json`` and ``bench/results.md``.

Every figure is compared with a baseline measured in the same run (timings on this kind
of machine vary 5–18 % between runs; a ratio from one run is what to compare), and
``ratio`` is ours ÷ baseline: lower is better.

The throwaway database (``sfe_bench``) is created on the embedded PostgreSQL by the owner
role and dropped at the end (``--keep-db`` keeps it); Django reaches it through the
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
    return psycopg.conninfo.make_conninfo(host=cfg["HOST"], port=cfg["PORT"] or None, user=cfg["USER"],
                                          password=cfg["PASSWORD"] or None, dbname=dbname)


def entry(name: str, size: str, value: float, unit: str, baseline: str, baseline_value: float) -> dict:
    return {"name": name, "size": size, "value": round(value, 3), "unit": unit, "baseline": baseline,
            "baseline_value": round(baseline_value, 3), "ratio": round(value / baseline_value, 2)}


# --------------------------------------------------------------------------- benchmarks


SEEDED_TABLES = ["accounts_user", "accounts_membership", "accounts_orgnode", "accounts_orgnodeversion",
                 "accounts_position"]


def bench_seed_demo(b: Bench) -> list[dict]:
    """``seed_demo`` against a bare COPY of as many rows into the same tables."""
    manage = [sys.executable, "manage.py"]
    seed = run_measured(manage + ["seed_demo", "--skip-checks", "-v2", "--size", b.size, "--logins-file", ""],
                        b.env)
    hashing = float(re.search(r"password hashed once in ([\d.]+) s", seed.stdout).group(1))
    in_process = float(re.search(r"seeded in ([\d.]+) s", seed.stdout).group(1)) - hashing
    with psycopg.connect(b.owner) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SEEDED_TABLES}
        audit_rows = conn.execute("SELECT count(*) FROM core_auditevent").fetchone()[0]
    b.notes["seed_demo rows"] = counts
    b.notes["seed_demo audit rows (one per inserted row, by trigger)"] = audit_rows
    b.notes["seed_demo steps"] = [line.strip() for line in seed.stdout.splitlines()
                                  if re.search(r"\d s$|^\w+: [\d,]+ users", line.strip())]

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
        entry("seed_demo wall time (process start to exit)", b.size, seed.seconds, "s",
              bare + ", process start to exit", real.seconds),
        entry("seed_demo peak memory (RSS)", b.size, seed.peak_rss_mb, "MB",
              "peak RSS of that bare load process", real.peak_rss_mb),
        entry("seed_demo load time (in the process, without its one password hash)", b.size, in_process, "s",
              bare + ", first statement to commit", real_s),
        entry("bare load into the real tables, audit trigger on", b.size, real_s, "s",
              "the same load with the audit trigger disabled (owner role)", no_audit_s),
        entry("bare load into the real tables (RLS, keys, indexes, audit trigger)", b.size, real_s, "s",
              "the same COPY into unindexed temporary copies only", temp_s),
    ]


BENCHMARKS: list[Callable[[Bench], list[dict]]] = [bench_seed_demo]


# --------------------------------------------------------------------------- database and output


def fresh_database(owner_cfg: dict, app_role: str) -> None:
    with psycopg.connect(conninfo(owner_cfg, owner_cfg["NAME"]), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
        conn.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE {BENCH_DB} TO "{app_role}"')


def drop_database(owner_cfg: dict) -> None:
    with psycopg.connect(conninfo(owner_cfg, owner_cfg["NAME"]), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def write_results(results: list[dict], run_info: dict) -> None:
    (HERE / "results.json").write_text(
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
    (HERE / "results.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--keep-db", action="store_true", help=f"keep the {BENCH_DB} database afterwards")
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL"):
        raise SystemExit("make bench runs on the embedded PostgreSQL: unset DATABASE_URL.")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    os.environ.pop("SFE_DB_NAME", None)
    from django.conf import settings

    owner_cfg, app_cfg = settings.DATABASES["owner"], settings.DATABASES["default"]
    env = {**os.environ, "SFE_DB_NAME": BENCH_DB}
    b = Bench(size=args.size, owner=conninfo(owner_cfg, BENCH_DB), app=conninfo(app_cfg, BENCH_DB), env=env,
              notes={})

    fresh_database(owner_cfg, app_cfg["USER"])
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--skip-checks", "-v0"], cwd=ROOT, env=env,
                       check=True, stderr=subprocess.DEVNULL)
        with psycopg.connect(b.owner) as conn:
            postgres = conn.execute("SHOW server_version").fetchone()[0]
        results = []
        for bench in BENCHMARKS:
            print(f"running {bench.__name__} ({args.size}) …", flush=True)
            results += bench(b)
    finally:
        if not args.keep_db:
            drop_database(owner_cfg)

    run_info = {"at": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "size": args.size,
                "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
                "postgres": postgres, "notes": b.notes}
    write_results(results, run_info)
    for r in results:
        print(f"{r['name']}: {r['value']} {r['unit']} vs {r['baseline_value']} {r['unit']} → ratio {r['ratio']}")
    print(f"written to {HERE / 'results.json'} and {HERE / 'results.md'}")


if __name__ == "__main__":
    main()

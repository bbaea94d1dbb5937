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
lone UPDATE took 12.5 s in one run and 22.3 s in the next on this machine; three runs of
this bench on one morning measured it at 9.9, 14.4 and 12.8 s); the seconds of each run
are in the notes, so the ratios of the pairs can be read too.

The product line measured is not the tenant's primary one (no ``customers_hcp.tier``
column to keep in step: both sides write the same table); its institution rule, if any, is
switched off for the bench. Both sides run with the ``work_mem`` the product's recompute
sets for its own statements (``customers.segmentation.tuning.WORK_MEM``). Wall times are the
statements' (or the run's) own, inside each process; peak memory is each process's peak RSS
(the worker's ``VmHWM``). PostgreSQL's own memory is on neither side.

The data, the baseline SQL and the commands each step runs in a process of its own are in
``bench/segmentation_setup.py``.

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

from bench.segmentation_setup import ADDED_CALLS, REPEATS, ROOT, app

# --------------------------------------------------------------------------- the benchmark


def _sub(b, *argv: str):
    from bench.run import run_measured

    m = run_measured([sys.executable, "-m", "bench.segmentation_setup", *argv], b.env)
    return m, json.loads(m.stdout.strip().splitlines()[-1])


def _worker(b) -> tuple[subprocess.Popen, str]:
    import uuid

    queue = f"bench-seg-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "bench.segmentation_setup", "worker", "--pool=solo",
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
        # The history the bench's own runs wrote (a million changes a run) goes again, so that
        # a reused database does not grow with each bench.
        with psycopg.connect(b.owner, autocommit=True) as conn:
            removed = conn.execute("DELETE FROM segmentation_tierchangebatch WHERE run_id > %s RETURNING "
                                   "cardinality(customers)", [last_run]).fetchall()
            conn.execute("VACUUM ANALYZE segmentation_tierchangebatch")
        b.notes.setdefault("tier recompute", {})["history (changes) of the bench's runs removed afterwards"] = sum(
            n for (n,) in removed)


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
        "seconds of each statement of the product's runs (write: the MERGE and its history)": {
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
    parser.add_argument("--size", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--db", default="sfe_bench_seg")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()
    standalone(args.size, args.db, args.keep_db)


if __name__ == "__main__":
    main()

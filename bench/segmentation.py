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

Each case runs the product ``REPEATS`` times through the task function and ``REPEATS`` times
through one Celery worker, each run followed by a run of its baseline, and reports the
medians; the seconds of each run are in the notes, so the ratios of the pairs can be read
too. Before every timed run, of either side, the written tables are vacuumed and a
checkpoint taken (``_settle``): a run leaves a million dead row versions and as many dirty
pages, and their cleanup used to land inside the next run (the same lone UPDATE took
12.5 s in one run and 22.3 s in the next on this machine).

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


def _median(runs: list[dict]) -> dict:
    """The run of median time (an odd number of runs: one of them, not an average)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def _check(r: dict, what: str) -> None:
    if r.get("status") != "succeeded":
        raise SystemExit(f"{what}: the run did not succeed: {r}")


def _settle(b) -> str:
    """The same state of the server before every timed run, of either side: the tables the
    runs write vacuumed (a run leaves up to a million dead row versions, which autovacuum
    would otherwise clean up during the next run) and a checkpoint (the previous run's
    dirty pages are otherwise written back during the next one). Without it one lone
    ``UPDATE`` took anywhere from 8.9 to 17.1 s on one morning. ``CHECKPOINT`` needs the
    superuser (or ``pg_checkpoint``): taken through the embedded server's superuser where
    the bench runs on it, else tried as the owner; what was done is returned for the notes."""
    import psycopg

    with psycopg.connect(b.owner, autocommit=True) as conn:
        for table in ("segmentation_customertier", "segmentation_tierchangebatch", "bench_seg_calls"):
            conn.execute(f"VACUUM {table}")
        try:
            conn.execute("CHECKPOINT")
            return "VACUUM + CHECKPOINT (owner)"
        except psycopg.errors.InsufficientPrivilege:
            pass
    try:
        from sfe import embedded

        state, target = embedded.read_state(), psycopg.conninfo.conninfo_to_dict(b.owner)
        if (state.get("socket_dir") and embedded._pid_alive(state.get("pid"))
                and str(target.get("port")) == str(state.get("port"))):
            embedded._psql(state, "CHECKPOINT")
            return "VACUUM + CHECKPOINT (embedded superuser)"
    except (ImportError, OSError, RuntimeError):
        pass
    return "VACUUM only (no role here may CHECKPOINT)"


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
    worker, queue = _worker(b)
    settled = set()

    def product(side: str) -> tuple:
        settled.add(_settle(b))
        return _sub(b, "task") if side == "task" else _sub(b, "celery", "--queue", queue)

    def baseline(what: str) -> tuple:
        settled.add(_settle(b))
        return _sub(b, "baseline", "--what", what, "--grid", "G2", *base)

    try:
        # The tiers at G′ first (untimed), so that the first product run (G′ → G) changes
        # every tier too.
        _m, warm = _sub(b, "baseline", "--what", "update", "--grid", "G2", *base)
        # Case 1: every tier changes. REPEATS times, alternating: the product's run G′ → G
        # (the task function in a process of its own, or the Celery worker), then the
        # hand-written UPDATE G → G′ (each changes every row). The product's run with G′
        # afterwards must change nothing.
        c1 = {"task": [], "celery": []}
        upds, m_task1, m_upd = [], None, None
        for _ in range(REPEATS):
            for side in ("task", "celery"):
                _sub(b, "rule", "--grid", "G")
                m, r = product(side)
                _check(r, f"case 1, {side}")
                if r["tier_changes"] != warm["rows"]:
                    raise SystemExit(f"case 1, {side}: {r['tier_changes']:,} tiers changed, not every one "
                                     f"({warm['rows']:,})")
                c1[side].append(r)
                m_task1 = m if side == "task" else m_task1
                m_upd, r = baseline("update")
                upds.append(r)
        c1_rss = _vm_hwm_mb(worker.pid)
        _sub(b, "rule", "--grid", "G2")
        _m, settle = _sub(b, "task")
        _check(settle, "after the UPDATE")

        # Case 2: 10 % of the HCPs get five recent calls (or lose them again) before each of
        # the product's runs; the new-table baseline after each.
        def toggle(add: bool) -> None:
            with psycopg.connect(b.owner, autocommit=True) as conn:
                if add:
                    conn.execute(f"INSERT INTO bench_seg_calls SELECT h.tenant_id, h.id, %(d)s::date - 1 "
                                 f"FROM customers_hcp h CROSS JOIN generate_series(1, {ADDED_CALLS}) "
                                 f"WHERE h.tenant_id = %(t)s AND h.id %% 10 = 3",
                                 {"t": prep["tenant"], "d": prep["today"]})
                    conn.execute("ANALYZE bench_seg_calls")
                else:
                    conn.execute("DELETE FROM bench_seg_calls WHERE day = %(d)s::date - 1 AND hcp_id %% 10 = 3",
                                 {"d": prep["today"]})
                    conn.execute("VACUUM ANALYZE bench_seg_calls")

        c2 = {"task": [], "celery": []}
        news, m_task2, m_new, added = [], None, None, False
        for _ in range(REPEATS):
            for side in ("task", "celery"):
                added = not added
                toggle(add=added)
                m, r = product(side)
                _check(r, f"case 2, {side}")
                c2[side].append(r)
                m_task2 = m if side == "task" else m_task2
                m_new, r = baseline("newtable")
                news.append(r)
        if added:
            toggle(add=False)  # the bench's calls as they were
        c2_rss = _vm_hwm_mb(worker.pid)
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()

    med = {(case, side): _median(runs[side]) for case, runs in (("1", c1), ("2", c2)) for side in ("task", "celery")}
    upd, new = _median(upds), _median(news)
    secs = lambda runs: [round(r["seconds"], 2) for r in runs]  # noqa: E731
    b.notes.setdefault("tier recompute", {}).update({
        "scale": f"{n:,} HCPs in the demo tenant ({total:,} in the database) at SIZE={b.size}; 1,000,000 at large",
        "data": {"calls (12 months)": prep["calls"], "sales rows (institution × month)": prep["sales_rows"]},
        "first run (every HCP new, s)": prep["first_run_s"],
        "repeats": (f"{REPEATS} runs of each side of the product per case (task, Celery), each followed by a baseline "
                    f"run; the figures are medians"),
        "before every timed run": sorted(settled),
        "ratio of each pair (a product run ÷ the baseline run right after it)": {
            f"case {case} {side}": [round(r["seconds"] / base_runs[2 * k + (side == "celery")]["seconds"], 2)
                                    for k, r in enumerate(runs[side])]
            for case, runs, base_runs in (("1", c1, upds), ("2", c2, news)) for side in ("task", "celery")},
        "seconds of each run, in the order run": {
            "case 1 task": secs(c1["task"]), "case 1 Celery": secs(c1["celery"]), "case 1 UPDATE": secs(upds),
            "case 2 task": secs(c2["task"]), "case 2 Celery": secs(c2["celery"]), "case 2 new table": secs(news)},
        "changes": {"case 1 task": [r["tier_changes"] for r in c1["task"]],
                    "case 1 Celery": [r["tier_changes"] for r in c1["celery"]],
                    "case 1 UPDATE rows": [r["rows"] for r in upds],
                    "product run after the UPDATE (must be 0)": settle["rows_changed"],
                    "case 2 task": [r["tier_changes"] for r in c2["task"]],
                    "case 2 Celery": [r["tier_changes"] for r in c2["celery"]],
                    "new table rows": [r["rows"] for r in news],
                    "new table rows differing from the product's": [r["differ_from_product"] for r in news]},
        "seconds of each statement of the product's runs (write: the MERGE and its history)": {
            "case 1 task": [r.get("statements") for r in c1["task"]],
            "case 2 task": [r.get("statements") for r in c2["task"]]},
        "run seconds inside the database (started → finished)": {
            f"case {case} {side}": [r["db_seconds"] for r in runs[side]]
            for case, runs in (("1", c1), ("2", c2)) for side in ("task", "celery")},
    })
    of = f"(median of {REPEATS})"
    upd_label = f"one hand-written UPDATE segmentation_customertier … FROM (window query), same tiers, same rows {of}"
    new_label = f"the same window query written into a new table (CREATE TABLE AS) {of}"
    changes2 = med[("2", "celery")]["tier_changes"]
    return [
        entry(f"tier recompute, every tier changes ({n:,} HCPs): the product's run through Celery (enqueue → done) "
              f"{of}", b.size, med[("1", "celery")]["seconds"], "s", upd_label, upd["seconds"]),
        entry(f"tier recompute, every tier changes ({n:,} HCPs): the product's run through the task function {of}",
              b.size, med[("1", "task")]["seconds"], "s", upd_label, upd["seconds"]),
        entry("tier recompute, every tier changes: peak memory of the task process (RSS)", b.size,
              m_task1.peak_rss_mb, "MB", "peak RSS of the process running the UPDATE", m_upd.peak_rss_mb),
        entry("tier recompute, every tier changes: peak memory of the Celery worker (VmHWM)", b.size,
              c1_rss, "MB", "peak RSS of the process running the UPDATE", m_upd.peak_rss_mb),
        entry(f"tier recompute, {changes2:,} of {n:,} tiers change: the product's run through Celery {of}",
              b.size, med[("2", "celery")]["seconds"], "s", new_label, new["seconds"]),
        entry(f"tier recompute, {med[('2', 'task')]['tier_changes']:,} of {n:,} tiers change: the product's run "
              f"through the task function {of}", b.size, med[("2", "task")]["seconds"], "s", new_label, new["seconds"]),
        entry("tier recompute, 10 % change: peak memory of the task process (RSS)", b.size, m_task2.peak_rss_mb, "MB",
              "peak RSS of the process writing the new table", m_new.peak_rss_mb),
        entry("tier recompute, 10 % change: peak memory of the Celery worker (VmHWM)", b.size, c2_rss, "MB",
              "peak RSS of the process writing the new table", m_new.peak_rss_mb),
        entry("tier recompute: Celery overhead (run through a worker, enqueue → done; medians)", b.size,
              med[("1", "celery")]["seconds"] + med[("2", "celery")]["seconds"], "s",
              "the same two cases through the task function (medians)",
              med[("1", "task")]["seconds"] + med[("2", "task")]["seconds"]),
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

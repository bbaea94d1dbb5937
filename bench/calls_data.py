"""Data of ``bench/calls.py``, written set-based as the owner role (psycopg, no Django):

* ``top_up_calls`` — submitted calls of the demo tenant's reps over the HCPs aligned to
  their territory (institution or HCP alignment), spread over the last 365 days, until the
  tenant has ``target`` calls (what ``seed_demo`` made already counts): ``INSERT … SELECT``
  over ``generate_series``, a few statements of ~250,000 rows, audit trigger on;
* ``add_calls`` — the same for chosen reps on chosen days, tagged in ``notes`` (the measured
  rep's planned visits today, the manager's month on the calendar, …) and
  ``remove_tagged`` — their removal afterwards;
* the bare baselines' tables (``bench_fortune``, ``bench_insert``).
"""

from __future__ import annotations

import datetime as dt
import math
import time
import zoneinfo

import psycopg

TAG = "bench5:"  # notes of every call the bench adds for one measurement (removed afterwards)
CHUNK_CALLS = 250_000

REPS_SQL = """
SELECT DISTINCT ON (p.holder_id) p.holder_id, p.node_id
  FROM accounts_position p
  JOIN accounts_orgnode n ON n.tenant_id = p.tenant_id AND n.id = p.node_id
  JOIN accounts_membership m ON m.tenant_id = p.tenant_id AND m.id = p.holder_id
 WHERE p.tenant_id = %(t)s AND n.kind = 'territory' AND n.retired_on IS NULL AND m.is_active
   AND 'rep' = ANY(m.roles) AND p.start_date <= %(d)s AND (p.end_date IS NULL OR p.end_date >= %(d)s)
 ORDER BY p.holder_id, n.path
"""

# Calls for the reps (rep_id, territory_id) of %(reps)s / %(territories)s: %(per_rep)s each, on
# HCPs aligned today to the rep's territory (k-th of the territory's pool, k by hash), on a day
# from %(first)s to %(first)s + %(days)s - 1 (by hash), between 08:00 and 16:59 tenant time.
ADD_CALLS_SQL = """
WITH reps AS (
    SELECT * FROM unnest(%(reps)s::bigint[], %(territories)s::bigint[]) AS r(rep_id, territory_id)
), pool AS (
    SELECT territory_id, hcp_id, institution_id, department_id,
           (row_number() OVER (PARTITION BY territory_id ORDER BY hcp_id) - 1)::int AS k
      FROM (SELECT a.territory_id, h.id AS hcp_id, h.institution_id, h.department_id
              FROM customers_alignment a
              JOIN customers_hcp h ON h.tenant_id = a.tenant_id AND h.institution_id = a.institution_id
             WHERE a.tenant_id = %(t)s AND a.institution_id IS NOT NULL AND a.territory_id = ANY(%(territories)s)
               AND a.start_date <= %(today)s AND (a.end_date IS NULL OR a.end_date >= %(today)s)
               AND h.status = 'active' AND h.stage <> 'terminated'
            UNION
            SELECT a.territory_id, h.id, h.institution_id, h.department_id
              FROM customers_alignment a
              JOIN customers_hcp h ON h.tenant_id = a.tenant_id AND h.id = a.hcp_id
             WHERE a.tenant_id = %(t)s AND a.hcp_id IS NOT NULL AND a.territory_id = ANY(%(territories)s)
               AND a.start_date <= %(today)s AND (a.end_date IS NULL OR a.end_date >= %(today)s)
               AND h.status = 'active' AND h.stage <> 'terminated') x
), sizes AS (
    SELECT territory_id, count(*)::int AS n FROM pool GROUP BY territory_id
), gen AS (
    SELECT r.rep_id, r.territory_id, s.n, abs(hashint8(r.rep_id * 1000003 + g + %(salt)s))::bigint AS hsh
      FROM reps r JOIN sizes s USING (territory_id) CROSS JOIN generate_series(1, %(per_rep)s) g
), v AS (
    SELECT g.*, %(first)s::date + (g.hsh / 13 %% %(days)s)::int AS day FROM gen g
)
INSERT INTO calls_call (tenant_id, code, rep_id, territory_id, call_type, status, hcp_id, institution_id,
                        department_id, at, day, notes, next_step, is_far, is_late, source, submitted_at,
                        edit_count, created_at, updated_at)
SELECT %(t)s, gen_random_uuid(), v.rep_id, v.territory_id,
       (ARRAY['f2f', 'f2f', 'f2f', 'f2f', 'f2f', 'f2f', 'phone', 'video'])[(1 + v.hsh %% 8)::int], %(status)s::varchar,
       p.hcp_id, p.institution_id, p.department_id, w.at, v.day, %(notes)s, '', false, false, 'web',
       CASE WHEN %(status)s::varchar = 'submitted' THEN w.at + interval '2 hours' END, 0,
       least(w.at + interval '2 hours', now()), least(w.at + interval '2 hours', now())
  FROM v
  JOIN pool p ON p.territory_id = v.territory_id AND p.k = (v.hsh %% v.n)::int
 CROSS JOIN LATERAL (SELECT (v.day + make_time(8 + (v.hsh / 7 %% 9)::int, (v.hsh / 11 %% 60)::int, 0))
                            AT TIME ZONE %(tz)s AS at) w
"""


def tenant_info(owner: str, slug: str) -> dict:
    with psycopg.connect(owner) as conn:
        tid, tz = conn.execute("SELECT id, time_zone FROM accounts_tenant WHERE slug = %s", [slug]).fetchone()
    today = dt.datetime.now(zoneinfo.ZoneInfo(tz)).date()
    return {"id": tid, "tz": tz, "today": today}


def reps_of(conn, t: dict) -> list[tuple[int, int]]:
    return conn.execute(REPS_SQL, {"t": t["id"], "d": t["today"]}).fetchall()


def calls_count(conn, t: dict) -> int:
    return conn.execute("SELECT count(*) FROM calls_call WHERE tenant_id = %s", [t["id"]]).fetchone()[0]


def add_calls(conn, t: dict, reps: list[tuple[int, int]], *, per_rep: int, first: dt.date, days: int,
              status: str, notes: str, salt: int = 0) -> int:
    """One INSERT … SELECT (see ``ADD_CALLS_SQL``); returns the rows inserted."""
    if not reps or per_rep <= 0:
        return 0
    cur = conn.execute(ADD_CALLS_SQL, {
        "t": t["id"], "tz": t["tz"], "today": t["today"], "reps": [r for r, _ in reps],
        "territories": [n for _, n in reps], "per_rep": per_rep, "first": first, "days": days, "status": status,
        "notes": notes, "salt": salt})
    return cur.rowcount


def top_up_calls(owner: str, t: dict, target: int) -> dict:
    """Submitted calls of the last 365 days until the tenant has ``target`` calls."""
    started = time.perf_counter()
    with psycopg.connect(owner, autocommit=True) as conn:
        before = calls_count(conn, t)
        reps = reps_of(conn, t)
        missing = target - before
        added = 0
        if missing > 0 and reps:
            per_rep = math.ceil(missing / len(reps))
            chunk = max(1, CHUNK_CALLS // per_rep)
            salt = before  # a second top-up draws other days and HCPs
            for i in range(0, len(reps), chunk):
                added += add_calls(conn, t, reps[i:i + chunk], per_rep=per_rep,
                                   first=t["today"] - dt.timedelta(days=365), days=365, status="submitted",
                                   notes="", salt=salt)
            conn.execute("VACUUM ANALYZE calls_call")
        after = calls_count(conn, t)
    return {"before": before, "added": added, "after": after, "reps": len(reps),
            "seconds": round(time.perf_counter() - started, 1)}


def remove_tagged(owner: str, t: dict) -> int:
    """Delete every call the bench tagged (with its products and messages, which the call
    form's submits made), and the follow-ups it added."""
    with psycopg.connect(owner) as conn:
        ids = "SELECT id FROM calls_call WHERE tenant_id = %(t)s AND notes LIKE %(tag)s"
        p = {"t": t["id"], "tag": TAG + "%"}
        conn.execute(f"DELETE FROM calls_callmessage WHERE tenant_id = %(t)s AND call_product_id IN "
                     f"(SELECT id FROM calls_callproduct WHERE tenant_id = %(t)s AND call_id IN ({ids}))", p)
        conn.execute(f"DELETE FROM calls_callproduct WHERE tenant_id = %(t)s AND call_id IN ({ids})", p)
        conn.execute(f"DELETE FROM calls_callattendee WHERE tenant_id = %(t)s AND call_id IN ({ids})", p)
        conn.execute(f"DELETE FROM calls_followup WHERE tenant_id = %(t)s AND (call_id IN ({ids}) "
                     f"OR title LIKE %(tag)s)", p)
        n = conn.execute("DELETE FROM calls_call WHERE tenant_id = %(t)s AND notes LIKE %(tag)s", p).rowcount
        conn.execute("DELETE FROM calls_keymessage WHERE tenant_id = %(t)s AND text LIKE %(tag)s", p)
        conn.commit()
    return n


def ensure_key_messages(owner: str, t: dict, brands: int = 2) -> int:
    """A key message (tagged) for each of the first ``brands`` active brands by name, when the
    tenant has no active key message at all (a bench database seeded before the demo had
    them): the submitted call then carries products *with* their key messages."""
    with psycopg.connect(owner) as conn:
        rows = conn.execute(
            "INSERT INTO calls_keymessage (tenant_id, code, brand_id, text, position, is_active, updated_at) "
            "SELECT %(t)s, gen_random_uuid(), b.id, %(tag)s || ' key message', 1, true, now() "
            "FROM (SELECT id FROM products_brand WHERE tenant_id = %(t)s AND is_active ORDER BY name LIMIT %(n)s) b "
            "WHERE NOT EXISTS (SELECT 1 FROM calls_keymessage k WHERE k.tenant_id = %(t)s AND k.is_active)",
            {"t": t["id"], "tag": TAG, "n": brands}).rowcount
        conn.commit()
    return rows


def add_overdue_tasks(owner: str, t: dict, rep_id: int, n: int) -> int:
    """Overdue follow-ups of the measured rep (tagged): ``n`` minus those open already."""
    with psycopg.connect(owner) as conn:
        have = conn.execute("SELECT count(*) FROM calls_followup WHERE tenant_id = %s AND assignee_id = %s "
                            "AND done_at IS NULL AND due_date < %s", [t["id"], rep_id, t["today"]]).fetchone()[0]
        rows = conn.execute(
            "INSERT INTO calls_followup (tenant_id, code, assignee_id, title, due_date, created_at) "
            "SELECT %(t)s, gen_random_uuid(), %(rep)s, %(tag)s || ' follow-up ' || g, %(d)s::date - g, now() "
            "FROM generate_series(1, %(n)s) g",
            {"t": t["id"], "rep": rep_id, "tag": TAG, "d": t["today"], "n": max(0, n - have)}).rowcount
        conn.commit()
    return rows


FORTUNES = [
    "fortune: No such file or directory", "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.", "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.", "Computers make very fast, very accurate mistakes.",
    "<script>alert(\"This should not be displayed in a browser alert box.\");</script>", "フレームワークのベンチマーク",
]


def make_baseline_tables(owner: str, app_role: str) -> None:
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_fortune, bench_insert")
        conn.execute("CREATE TABLE bench_fortune (id integer PRIMARY KEY, message varchar(2048) NOT NULL)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_fortune VALUES (%s, %s)", list(enumerate(FORTUNES, start=1)))
        conn.execute("CREATE TABLE bench_insert (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
                     "code uuid NOT NULL UNIQUE, at timestamptz NOT NULL, body text NOT NULL)")
        conn.execute(f'GRANT SELECT ON bench_fortune TO "{app_role}"')
        conn.execute(f'GRANT SELECT, INSERT ON bench_insert TO "{app_role}"')
        conn.execute("ANALYZE bench_fortune")


def drop_baseline_tables(owner: str) -> int:
    with psycopg.connect(owner, autocommit=True) as conn:
        rows = conn.execute("SELECT count(*) FROM bench_insert").fetchone()[0]
        conn.execute("DROP TABLE IF EXISTS bench_fortune, bench_insert")
    return rows

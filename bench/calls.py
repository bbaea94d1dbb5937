"""Benchmark of issue 5 (field force activity) on the demo tenant (3,000 reps and 1,000,000
HCPs at ``SIZE=large``), with its calls topped up to 2,000,000 (``bench/calls_data.py``).

1. **Today** (``planning:today``) of the demo rep with 20, then 200 planned visits today:
   SQL statements per request (in this process through Django's test client, as the tests
   count them: the tenant's ``set_config`` and BEGIN/COMMIT are not statements of the page),
   and served by gunicorn (``bench/calls_load.py``) to 8 concurrent clients signed in with
   a real session cookie: throughput, median and p95 — against a bare Django "fortunes" view
   (one query, one template; ``bench/calls_urls.py``) served by the same gunicorn in the
   same run, to anonymous clients (the bare view: one query) and to the same signed-in
   clients (the same middleware cost as Today: the user, the membership, the transaction).
2. **Call submit**: one client POSTs the real call form (``calls:call_new``: a valid
   face-to-face call with two products and a key message each, a fresh ``code`` each time,
   the CSRF token of the form) — against a bare view inserting one row in one transaction,
   on the same stack (gunicorn, settings, middleware, session, CSRF), alternating.
3. **Month calendar** of a district manager with about 10 reps: statements per request with
   500, then 5,000 calls in the month shown (planned visits in the month after next, so the
   number is exactly the bench's), and its server time (one client) at each.

What the bench adds for one measurement (planned visits, calendar calls, submitted calls,
overdue follow-ups; tagged ``bench5:`` in ``notes``/title) and the two bare tables are
removed at the end; the topped-up calls stay (a reused database does not pay for them twice).

Standalone, on a throwaway database (small by default; the lead runs large on a quiet machine):

    python -m bench.calls --size small
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TENANT = "huakang"
CALLS = {"small": 20_000, "medium": 200_000, "large": 2_000_000}  # 2,000,000 for 3,000 reps: ~667 a rep
REQUESTS = {"small": 40, "medium": 80, "large": 120}  # per client and round, after the warm-up
SUBMITS = {"small": 20, "medium": 40, "large": 60}  # per side and round
CLIENTS, ROUNDS, WARM = 8, 2, 5
PLANNED = (20, 200)
MONTH_CALLS = (500, 5000)
TEAM = 10
OVERDUE_TASKS = 5


# --------------------------------------------------------------------------- subprocess commands (Django)


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.calls_settings")
    import django

    django.setup()


MANAGER_SQL = """
SELECT mp.holder_id, count(DISTINCT rp.holder_id) AS reps
  FROM accounts_position mp
  JOIN accounts_orgnode mn ON mn.tenant_id = mp.tenant_id AND mn.id = mp.node_id AND mn.kind = 'district'
  JOIN accounts_orgnode tn ON tn.tenant_id = mn.tenant_id AND tn.kind = 'territory' AND tn.retired_on IS NULL
                          AND starts_with(tn.path, mn.path)
  JOIN accounts_position rp ON rp.tenant_id = tn.tenant_id AND rp.node_id = tn.id
                           AND rp.start_date <= %(d)s AND (rp.end_date IS NULL OR rp.end_date >= %(d)s)
  JOIN accounts_membership rm ON rm.tenant_id = rp.tenant_id AND rm.id = rp.holder_id AND rm.is_active
                             AND 'rep' = ANY(rm.roles)
 WHERE mp.start_date <= %(d)s AND (mp.end_date IS NULL OR mp.end_date >= %(d)s) AND mn.retired_on IS NULL
 GROUP BY mp.holder_id
 ORDER BY abs(count(DISTINCT rp.holder_id) - %(team)s), mp.holder_id
 LIMIT 1
"""


def _session_for(user) -> str:
    """A session as a sign-in makes it (``login()`` through the test client: the session
    store of the settings, cached_db: Redis and PostgreSQL); its key is the cookie."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def cmd_prepare(args) -> dict:
    """The measured rep (the demo's fixed ``rep@`` login), a district manager with about 10
    reps and their team, a session for each, and a valid call form for the rep."""
    _django()
    from django.db import connection, transaction

    from accounts.models import Membership, Role, Tenant
    from calls.models import KeyMessage
    from calls.planning.selectors import team_for
    from customers.models import Hcp
    from products.models import Brand
    from sfe.core.tenancy import tenant_scope

    tenant = Tenant.objects.get(slug=TENANT)
    day = tenant.today()
    with tenant_scope(tenant), transaction.atomic():
        reps = Membership.objects.active().with_role(Role.REP).select_related("user")
        rep = reps.filter(user__email__startswith="rep@").first() or reps.order_by("pk").first()
        with connection.cursor() as cur:
            cur.execute(MANAGER_SQL, {"d": day, "team": TEAM})
            manager_id, _n = cur.fetchone()
        manager = Membership.objects.select_related("user").get(pk=manager_id)
        manager.user.membership = manager
        team = [m.pk for m in team_for(manager.user, day) if m.pk != manager.pk]
        rep.user.membership = rep
        hcp = Hcp.objects.visible_to(rep.user).filter(status="active").order_by("pk").first()
        # Two products with a key message each (the form's usual content; the bench makes the
        # messages when the database has none: ``calls_data.ensure_key_messages``).
        with_messages = KeyMessage.objects.filter(is_active=True).values("brand_id")
        brands = list(Brand.objects.filter(is_active=True, pk__in=with_messages).order_by("name")[:2])
        messages = {m.brand_id: m for m in KeyMessage.objects.filter(brand__in=brands, is_active=True).order_by("pk")}
        products = [(str(b.code), str(messages[b.pk].code) if b.pk in messages else "") for b in brands]
    return {"tenant": tenant.pk, "today": day.isoformat(), "rep": rep.pk, "rep_user": rep.user_id,
            "rep_email": rep.user.email, "manager": manager.pk, "manager_user": manager.user_id,
            "manager_email": manager.user.email, "team": team,
            "rep_session": _session_for(rep.user), "manager_session": _session_for(manager.user),
            "hcp": str(hcp.code) if hcp else "", "products": products}


#: Not counted as the page's statements (as in the tests, which count the page's queries
#: without the savepoints their own transaction turns the middleware's into): BEGIN and
#: COMMIT of the request's transaction. The tenant's ``set_config`` at its start runs on the
#: raw connection and is not captured at all. Both are listed in the notes.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def cmd_queries(args) -> dict:
    """Statements of one request of ``args.path`` (after one warm request), signed in as the
    user ``args.user`` (0: anonymous), in this process through the test client."""
    _django()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from accounts.models import User

    setup_test_environment()  # the response's template context, to check what the page shows
    client = Client()
    if args.user:
        client.force_login(User.objects.get(pk=args.user))
    client.get(args.path)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(args.path)
    control = [q for q in ctx.captured_queries if q["sql"].startswith(TRANSACTION_CONTROL)]
    out = {"status": response.status_code, "queries": len(ctx.captured_queries) - len(control),
           "transaction_control": len(control), "sql": [q["sql"][:90] for q in ctx.captured_queries]}
    context = response.context
    if context is not None and "data" in context:
        data = context["data"]
        out |= {"visits": len(data.visits), "tasks": len(data.tasks), "behind": len(data.behind)}
    if context is not None and "count" in context:
        out |= {"calls_shown": context["count"], "reps_shown": len(context["team"])}
    return out


COMMANDS = {"prepare": cmd_prepare, "queries": cmd_queries}


def _sub(b, *argv: str, settings: str = "bench.calls_settings") -> dict:
    from bench.run import run_measured

    m = run_measured([sys.executable, "-m", "bench.calls", *argv], {**b.env, "DJANGO_SETTINGS_MODULE": settings})
    return json.loads(m.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the benchmark


def _month_after_next(today: dt.date) -> tuple[dt.date, int]:
    first = (today.replace(day=1) + dt.timedelta(days=62)).replace(day=1)
    days = ((first + dt.timedelta(days=32)).replace(day=1) - first).days
    return first, days


def bench_calls(b) -> list[dict]:
    """See the module docstring."""
    import psycopg

    from bench import calls_data as data
    from bench import calls_load as web
    from bench.run import _demo_ready

    total_hcps = _demo_ready(b)
    t = data.tenant_info(b.owner, TENANT)
    seeded = data.top_up_calls(b.owner, t, CALLS[b.size])
    data.remove_tagged(b.owner, t)  # what an interrupted earlier run left
    data.ensure_key_messages(b.owner, t)
    prep = _sub(b, "prepare")
    app_role = psycopg.conninfo.conninfo_to_dict(b.app)["user"]
    data.make_baseline_tables(b.owner, app_role)
    rep_cookie = f"sessionid={prep['rep_session']}"
    today_path = "/plan/today/"
    notes: dict = {"calls in the tenant": seeded, "HCPs in the tenant": total_hcps, "rep": prep["rep_email"],
                   "manager": prep["manager_email"], "team reps": len(prep["team"])}
    try:
        with psycopg.connect(b.owner) as conn:
            rep_row = [r for r in data.reps_of(conn, t) if r[0] == prep["rep"]]
            team_rows = [r for r in data.reps_of(conn, t) if r[0] in set(prep["team"])]
            planned_before = conn.execute(
                "SELECT count(*) FROM calls_call WHERE tenant_id = %s AND rep_id = %s AND day = %s AND status = 'planned'",
                [t["id"], prep["rep"], t["today"]]).fetchone()[0]
            conn.commit()
        data.add_overdue_tasks(b.owner, t, prep["rep"], OVERDUE_TASKS)
        results: dict = {"today": {}, "fortunes": {}, "fortunes_signed_in": {}}
        with web.Server(b.env) as server:
            planned = planned_before
            for target in PLANNED:
                with psycopg.connect(b.owner) as conn:
                    planned += data.add_calls(conn, t, rep_row, per_rep=target - planned, first=t["today"], days=1,
                                              status="planned", notes=data.TAG + " planned visit", salt=target)
                    conn.commit()
                q = _sub(b, "queries", "--path", today_path, "--user", str(prep["rep_user"]))
                if q["status"] != 200 or q["visits"] != planned:
                    raise SystemExit(f"today with {planned} planned visits: {q}")
                got = web.alternate(server.port, {
                    "today": (today_path, rep_cookie), "fortunes": ("/bench/fortunes/", ""),
                    "fortunes_signed_in": ("/bench/fortunes/", rep_cookie)},
                    rounds=ROUNDS, clients=CLIENTS, requests=REQUESTS[b.size], warm=WARM)
                results["today"][target] = {**got["today"], "queries": q["queries"],
                                             "transaction_control": q["transaction_control"], "shows": {
                    k: q[k] for k in ("visits", "tasks", "behind")}, "sql": q["sql"]}
                results["fortunes"][target] = got["fortunes"]
                results["fortunes_signed_in"][target] = got["fortunes_signed_in"]
            fq = {k: _sub(b, "queries", "--path", "/bench/fortunes/", "--user", u)["queries"]
                  for k, u in (("anonymous", "0"), ("signed in", str(prep["rep_user"])))}
            submit = _submits(b, web, server.port, prep, t, rep_cookie)
            calendar = _calendar(b, web, data, server.port, prep, t, team_rows)
        with psycopg.connect(b.owner) as conn:
            made = conn.execute(
                "SELECT count(*), (SELECT count(*) FROM calls_callproduct p WHERE p.tenant_id = %(t)s AND p.call_id "
                "IN (SELECT id FROM calls_call WHERE tenant_id = %(t)s AND notes = %(n)s)) FROM calls_call "
                "WHERE tenant_id = %(t)s AND notes = %(n)s AND status = 'submitted'",
                {"t": t["id"], "n": data.TAG + " submit"}).fetchone()
    finally:
        inserted = data.drop_baseline_tables(b.owner)
        removed = data.remove_tagged(b.owner, t)
    submit["check"] = {"calls made by the form's POSTs": made[0], "their products": made[1],
                       "rows inserted by the bare view": inserted, "bench rows removed afterwards": removed}
    notes |= {"today": results["today"], "fortunes (anonymous)": results["fortunes"],
              "fortunes (signed in)": results["fortunes_signed_in"], "fortunes statements": fq,
              "call submit": submit, "month calendar": calendar,
              "server": f"gunicorn sfe.wsgi, {web.WORKERS} workers × {web.THREADS} threads, DEBUG=0, access log, "
                        f"bench.calls_settings; {CLIENTS} clients = threads of the bench process, keep-alive, "
                        f"{WARM} warm-up + {REQUESTS[b.size]} requests each, {ROUNDS} rounds alternating the pages; "
                        "all on the same cores as PostgreSQL"}
    b.notes["calls (issue 5)"] = notes
    return _entries(b, results, fq, submit, calendar, seeded["after"])


def _submits(b, web, port: int, prep: dict, t: dict, cookie: str) -> dict:
    """The call form's POST against the bare insert, alternating, one client."""
    import zoneinfo

    from bench import calls_data as data

    token, csrf = web.csrf_of(port, "/calls/new/", cookie)
    cookie = f"{cookie}; csrftoken={csrf}"
    at = (dt.datetime.now(zoneinfo.ZoneInfo(t["tz"])) - dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    form = [("csrfmiddlewaretoken", token), ("code", ""), ("call_type", "f2f"), ("hcp", prep["hcp"]),
            ("institution", ""), ("at", at), ("duration_min", "15"), ("notes", data.TAG + " submit"),
            ("next_step", ""), ("next_step_due", ""), ("co_visitor", ""), ("action", "submit")]
    for i, (brand, message) in enumerate(prep["products"], start=1):
        form += [(f"product_{i}", brand)] + ([(f"messages_{i}", message)] if message else [])
    bare = [("csrfmiddlewaretoken", token), ("notes", data.TAG + " insert")]
    ours, theirs = [], []
    for r in range(ROUNDS):
        warm = WARM if r == 0 else 0
        ours += web.post_series(port, "/calls/new/", form, cookie=cookie, n=SUBMITS[b.size], warm=warm,
                                location="/calls/")
        theirs += web.post_series(port, "/bench/insert/", bare, cookie=cookie, n=SUBMITS[b.size], warm=warm,
                                  location="/bench/")
    return {"call_new": web.summary(ours), "bare_insert": web.summary(theirs),
            "products": len(prep["products"]), "key messages": sum(1 for _b, m in prep["products"] if m)}


def _calendar(b, web, data, port: int, prep: dict, t: dict, team_rows) -> dict:
    import psycopg

    first, days = _month_after_next(t["today"])
    path = f"/plan/calendar/?view=month&date={first.isoformat()}"
    cookie = f"sessionid={prep['manager_session']}"
    out = {}
    have = 0
    for target in MONTH_CALLS:
        with psycopg.connect(b.owner) as conn:
            per_rep = -(-(target - have) // max(1, len(team_rows)))
            data.add_calls(conn, t, team_rows, per_rep=per_rep, first=first, days=days, status="planned",
                           notes=data.TAG + " calendar", salt=target)
            shown = [prep["manager"], *prep["team"]]  # the calendar shows the manager's own calls too
            have = conn.execute("SELECT count(*) FROM calls_call WHERE tenant_id = %s AND rep_id = ANY(%s) "
                                "AND day >= %s AND day < %s", [t["id"], shown, first,
                                                               first + dt.timedelta(days=days)]).fetchone()[0]
            conn.commit()
        q = _sub(b, "queries", "--path", path, "--user", str(prep["manager_user"]))
        if q["status"] != 200 or q.get("calls_shown") != have:
            raise SystemExit(f"calendar with {have} calls: {q}")
        timing = web.load(port, path, cookie=cookie, clients=1, requests=10, warm=2)
        out[target] = {"calls in the month": have, "queries": q["queries"], "reps shown": q["reps_shown"],
                       "median_ms": timing["median_ms"], "p95_ms": timing["p95_ms"], "bytes": timing["bytes"],
                       "sql": q["sql"]}
    return out


def _entries(b, results: dict, fq: dict, submit: dict, calendar: dict, calls: int) -> list[dict]:
    from bench.run import entry

    lo, hi = PLANNED
    out = []
    scale = f"{calls:,} calls in the tenant"
    bare = "bare Django fortunes view (one query, one template), same gunicorn, same run"
    for n in PLANNED:
        ours, anon, signed = results["today"][n], results["fortunes"][n], results["fortunes_signed_in"][n]
        label = f"Today page, {ours['shows']['visits']} planned visits, {scale}, {CLIENTS} clients"
        out += [
            entry(f"{label}: throughput (req/s; higher is better, goal ratio ≥ 0.5)", b.size, ours["rps"], "req/s",
                  bare + ", anonymous clients", anon["rps"]),
            entry(f"{label}: throughput against the same view signed in (req/s; higher is better)", b.size,
                  ours["rps"], "req/s", bare + ", the same signed-in clients (user, membership, transaction)",
                  signed["rps"]),
            entry(f"{label}: p95 latency (goal < 50 ms)", b.size, ours["p95_ms"], "ms", bare + ", anonymous, p95",
                  anon["p95_ms"]),
            entry(f"{label}: median latency", b.size, ours["median_ms"], "ms", bare + ", anonymous, median",
                  anon["median_ms"]),
        ]
    out += [
        entry(f"Today page: SQL statements per request with {hi} planned visits (goal ≤ 3; BEGIN/COMMIT and the "
              "tenant's set_config not counted, as in the tests)", b.size,
              results["today"][hi]["queries"], "queries", f"the same with {lo} planned visits",
              results["today"][lo]["queries"]),
        entry(f"Today page: SQL statements per request with {lo} planned visits", b.size,
              results["today"][lo]["queries"], "queries", "the fortunes view signed in (same middleware)",
              fq["signed in"]),
        entry(f"call submit (calls:call_new, {submit['products']} products, through the form): median time per request"
              " (goal ratio ≤ 2)", b.size, submit["call_new"]["median_ms"], "ms",
              "bare view inserting one row in one transaction, same stack (signed in, CSRF), median",
              submit["bare_insert"]["median_ms"]),
        entry("call submit: p95 time per request", b.size, submit["call_new"]["p95_ms"], "ms",
              "bare insert view, p95", submit["bare_insert"]["p95_ms"]),
    ]
    small, big = (calendar[n] for n in MONTH_CALLS)
    who = f"manager with {big['reps shown'] - 1} reps"
    out += [
        entry(f"month calendar ({who}): SQL statements per request with {big['calls in the month']:,} calls "
              "(goal: constant)", b.size, big["queries"], "queries",
              f"the same with {small['calls in the month']:,} calls", small["queries"]),
        entry(f"month calendar ({who}): median server time with {big['calls in the month']:,} calls (one client)",
              b.size, big["median_ms"], "ms", f"the same with {small['calls in the month']:,} calls",
              small["median_ms"]),
    ]
    return out


# --------------------------------------------------------------------------- entry points


def standalone(size: str, db: str, keep: bool) -> None:
    """A fresh throwaway database, migrated, static files collected, this benchmark alone."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    os.environ.pop("SFE_DB_NAME", None)
    from django.conf import settings

    from bench.run import Bench, conninfo, drop_database, fresh_database

    owner_cfg, app_cfg = settings.DATABASES["owner"], settings.DATABASES["default"]
    env = {**os.environ, "SFE_DB_NAME": db, "DEBUG": "0"}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    b = Bench(size=size, owner=conninfo(owner_cfg, db), app=conninfo(app_cfg, db), env=env, notes={})
    fresh_database(owner_cfg, app_cfg["USER"], db)
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--skip-checks", "-v0"], cwd=ROOT, env=env, check=True,
                       stderr=subprocess.DEVNULL)
        results = bench_calls(b)
    finally:
        if not keep:
            drop_database(owner_cfg, db)
    print(json.dumps({"results": results, "notes": b.notes, "seconds": round(time.perf_counter() - started)},
                     ensure_ascii=False, indent=1, default=str))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=[*COMMANDS, "bench"], default="bench")
    parser.add_argument("--size", choices=["small", "medium", "large"], default="small")
    parser.add_argument("--db", default="sfe_bench_calls")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--path", default="")
    parser.add_argument("--user", type=int, default=0)
    args = parser.parse_args()
    if args.command == "bench":
        standalone(args.size, args.db, args.keep_db)
        return
    print(json.dumps(COMMANDS[args.command](args), default=str))


if __name__ == "__main__":
    main()

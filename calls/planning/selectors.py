"""Reads of planning for pages and the API; none loops over rows.

Who sees which plan: the rep their own; a manager the plans of the reps they look after
(``calls.visibility.team_q``); tenant-wide roles every plan. Another tenant's code, or a
plan one may not see, is 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from accounts.models import Membership, Role
from accounts.visibility import membership_of, sees_whole_tenant
from calls.models import Call, FollowUp
from calls.visibility import call_visible_q, team_q
from sfe.core.tenancy import require_tenant_id

from .models import Cycle, CyclePlan

# --------------------------------------------------------------------------- plans


def plans_visible_q(user) -> Q:
    membership = membership_of(user)
    if membership is None or not membership.is_active:
        return Q(pk__in=[])
    if sees_whole_tenant(user):
        return Q()
    if membership.has_role(Role.MANAGER):
        return Q(rep_id__in=Membership.objects.filter(team_q(user)).values("pk"))
    return Q(rep_id=membership.pk)


def plans_for(user) -> QuerySet[CyclePlan]:
    return CyclePlan.objects.filter(plans_visible_q(user)).select_related("cycle", "rep__user")


def plan_for(user, code) -> CyclePlan:
    plan = plans_for(user).filter(code=code).first()
    if plan is None:
        raise Http404
    return plan


def cycle_for(code) -> Cycle:
    cycle = Cycle.objects.filter(code=code).first()
    if cycle is None:
        raise Http404
    return cycle


def current_and_next_cycles(day: dt.date) -> list[Cycle]:
    """The cycle of ``day`` and the next one (what a rep plans), in one query."""
    return list(Cycle.objects.filter(end_date__gte=day).order_by("start_date")[:2])


PLAN_LINES_SQL = """
SELECT l.id, h.code, h.name, i.name, pl.name, l.tier, l.proposed_calls, l.planned_calls, COALESCE(d.n, 0)
  FROM planning_cycleplanline l
  JOIN customers_hcp h ON h.tenant_id = l.tenant_id AND h.id = l.hcp_id
  JOIN customers_institution i ON i.tenant_id = h.tenant_id AND i.id = h.institution_id
  JOIN products_productline pl ON pl.tenant_id = l.tenant_id AND pl.id = l.product_line_id
  LEFT JOIN (SELECT c.hcp_id, count(*) AS n FROM calls_call c
              WHERE c.tenant_id = %(t)s AND c.rep_id = %(rep)s AND c.status = 'submitted'
                AND c.day BETWEEN %(start)s AND %(end)s AND c.hcp_id IS NOT NULL
              GROUP BY c.hcp_id) d ON d.hcp_id = l.hcp_id
 WHERE l.tenant_id = %(t)s AND l.plan_id = %(plan)s
 ORDER BY l.proposed_calls = 0, h.name_pinyin, h.id, pl.name
"""


@dataclass
class PlanLineRow:
    id: int
    hcp_code: str
    hcp_name: str
    institution: str
    product_line: str
    tier: str
    proposed: int
    planned: int
    done: int  # submitted calls on the HCP in the cycle (all lines of the HCP)
    posted: str | None = None  # what the rep typed, shown again after a refusal


@dataclass
class PlanView:
    lines: list[PlanLineRow] = field(default_factory=list)

    @property
    def planned(self) -> int:
        return sum(r.planned for r in self.lines)

    @property
    def proposed(self) -> int:
        return sum(r.proposed for r in self.lines)

    @property
    def hcps(self) -> int:
        return len({r.hcp_code for r in self.lines if r.planned})

    @property
    def done(self) -> int:
        return sum({r.hcp_code: r.done for r in self.lines}.values())


def plan_lines(plan: CyclePlan) -> PlanView:
    """The plan's lines with planned vs done per HCP: one query (the done calls are one
    grouped subquery over ``calls_call``: submitted calls of the rep in the cycle per HCP)."""
    with connection.cursor() as cur:
        cur.execute(PLAN_LINES_SQL, {"t": require_tenant_id(), "rep": plan.rep_id, "plan": plan.pk,
                                     "start": plan.cycle.start_date, "end": plan.cycle.end_date})
        return PlanView([PlanLineRow(r[0], str(r[1]), *r[2:]) for r in cur.fetchall()])


# --------------------------------------------------------------------------- the day plan

# The navigation's numbers (``approvals.apps.waiting_count``: ``pending_for``;
# ``calls.nav._open_tasks``; the bell's unread count), as scalar subqueries, so that a page
# can fetch them with its own query instead of one COUNT each at render.
UNREAD = """(SELECT count(*) FROM accounts_notification n
          WHERE n.tenant_id = %(t)s AND n.recipient_id = %(m)s AND n.read_at IS NULL)::int,"""
APPROVALS_WAITING = """        (SELECT count(*) FROM approvals_approvalstep s
           JOIN approvals_approvalrequest r ON r.tenant_id = s.tenant_id AND r.id = s.request_id
          WHERE s.tenant_id = %(t)s AND s.state = 'pending' AND r.requester_id <> %(m)s
            AND (s.approver_id = %(m)s
                 OR s.approver_id IN (SELECT g.delegator_id FROM approvals_delegation g
                                       WHERE g.tenant_id = %(t)s AND g.delegate_id = %(m)s AND g.is_active
                                         AND g.start_date <= %(d)s AND g.end_date >= %(d)s)
                 OR (s.approver_id IS NULL AND s.approver_role = ANY(
                        %(roles)s::varchar[] || ARRAY(
                          SELECT unnest(dm.roles) FROM approvals_delegation g
                            JOIN accounts_membership dm ON dm.tenant_id = g.tenant_id AND dm.id = g.delegator_id
                           WHERE g.tenant_id = %(t)s AND g.delegate_id = %(m)s AND g.is_active
                             AND g.start_date <= %(d)s AND g.end_date >= %(d)s)::varchar[]))))::int,
"""
OPEN_TASKS = """(SELECT count(*) FROM calls_followup f WHERE f.tenant_id = %(t)s AND f.assignee_id = %(m)s
            AND f.done_at IS NULL AND f.due_date <= %(d)s)::int,"""

TODAY_SQL = f"""
WITH visits AS (
    SELECT 'visit'::text AS kind, c.code, c.at, c.day, COALESCE(h.name, i.name) AS title, i.name AS subtitle,
           h.code AS ref, 0 AS n1, 0 AS n2, 0 AS n3
      FROM calls_call c
      JOIN customers_institution i ON i.tenant_id = c.tenant_id AND i.id = c.institution_id
      LEFT JOIN customers_hcp h ON h.tenant_id = c.tenant_id AND h.id = c.hcp_id
     WHERE c.tenant_id = %(t)s AND c.rep_id = %(m)s AND c.day = %(d)s AND c.status = 'planned'
), tasks AS (
    SELECT 'task'::text, f.code, NULL::timestamptz, f.due_date, f.title, h.name, h.code, 0, 0, 0
      FROM calls_followup f
      LEFT JOIN customers_hcp h ON h.tenant_id = f.tenant_id AND h.id = f.hcp_id
     WHERE f.tenant_id = %(t)s AND f.assignee_id = %(m)s AND f.done_at IS NULL AND f.due_date < %(d)s
     ORDER BY f.due_date, f.id LIMIT %(task_limit)s
), cycle AS (
    SELECT id, start_date, end_date FROM planning_cycle
     WHERE tenant_id = %(t)s AND start_date <= %(d)s AND end_date >= %(d)s
), plan AS (
    SELECT p.id FROM planning_cycleplan p JOIN cycle ON cycle.id = p.cycle_id
     WHERE p.tenant_id = %(t)s AND p.rep_id = %(m)s AND p.state IN ('submitted', 'approved')
), planned AS (
    SELECT l.hcp_id, sum(l.planned_calls)::int AS planned FROM planning_cycleplanline l
     WHERE l.tenant_id = %(t)s AND l.plan_id = (SELECT id FROM plan) GROUP BY l.hcp_id
), done AS (
    SELECT c.hcp_id, count(*)::int AS done FROM calls_call c, cycle
     WHERE c.tenant_id = %(t)s AND c.rep_id = %(m)s AND c.status = 'submitted'
       AND c.day BETWEEN cycle.start_date AND %(d)s AND c.hcp_id IN (SELECT hcp_id FROM planned)
     GROUP BY c.hcp_id
), behind AS (
    SELECT 'behind'::text, h.code, NULL::timestamptz, NULL::date, h.name, i.name, h.code,
           p.planned, COALESCE(done.done, 0),
           floor(p.planned * ((%(d)s::date - cycle.start_date) + 1)::numeric
                 / ((cycle.end_date - cycle.start_date) + 1))::int AS expected
      FROM planned p CROSS JOIN cycle
      JOIN customers_hcp h ON h.tenant_id = %(t)s AND h.id = p.hcp_id
      JOIN customers_institution i ON i.tenant_id = %(t)s AND i.id = h.institution_id
      LEFT JOIN done ON done.hcp_id = p.hcp_id
     WHERE COALESCE(done.done, 0) < floor(p.planned * ((%(d)s::date - cycle.start_date) + 1)::numeric
                                           / ((cycle.end_date - cycle.start_date) + 1))
     ORDER BY 10 DESC, 9, h.name_pinyin LIMIT %(behind_limit)s
), counts AS (
    SELECT 'counts'::text, NULL::uuid, NULL::timestamptz, NULL::date, NULL::text, NULL::text, NULL::uuid,
        {UNREAD}
{APPROVALS_WAITING}        (SELECT count(*) FROM calls_call c WHERE c.tenant_id = %(t)s AND c.rep_id = %(m)s AND c.day = %(d)s
            AND c.status <> 'planned')::int
), open_tasks AS (
    SELECT 'open_tasks'::text, NULL::uuid, NULL::timestamptz, NULL::date, NULL::text, NULL::text, NULL::uuid,
        {OPEN_TASKS} 0, 0
)
SELECT * FROM visits
UNION ALL SELECT * FROM tasks
UNION ALL SELECT * FROM behind
UNION ALL SELECT * FROM counts
UNION ALL SELECT * FROM open_tasks
"""


@dataclass
class Today:
    day: dt.date
    visits: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    behind: list[dict] = field(default_factory=list)
    unread_notifications: int = 0
    approvals_waiting: int = 0
    logged_today: int = 0
    open_tasks: int = 0  # the "Tasks" entry's number in the navigation (due by today, not done)


TASK_LIMIT = 50
BEHIND_LIMIT = 20


def today_for(membership: Membership, day: dt.date) -> Today:
    """Everything the day plan shows — planned visits, overdue follow-ups, HCPs behind plan
    (planned vs done pro rata in the cycle of the day, for a submitted or approved plan),
    and the counts the page's navigation shows (unread notifications; approvals waiting:
    the rule of ``approvals.services.pending_for``; open tasks: the rule of
    ``calls.nav._open_tasks``) — in one query."""
    params = {"t": require_tenant_id(), "m": membership.pk, "d": day, "roles": list(membership.roles or []),
              "task_limit": TASK_LIMIT, "behind_limit": BEHIND_LIMIT}
    out = Today(day=day)
    with connection.prepared_cursor() as cur:  # planning it costs more than running it
        cur.execute(TODAY_SQL, params)
        rows = cur.fetchall()
    for kind, code, at, d, title, subtitle, ref, n1, n2, n3 in rows:
        if kind == "visit":
            out.visits.append({"code": code, "at": at, "hcp": title, "institution": subtitle, "hcp_code": ref})
        elif kind == "task":
            out.tasks.append({"code": code, "due": d, "title": title, "hcp": subtitle, "hcp_code": ref})
        elif kind == "behind":
            out.behind.append({"hcp_code": code, "hcp": title, "institution": subtitle, "planned": n1, "done": n2,
                               "expected": n3})
        elif kind == "open_tasks":
            out.open_tasks = n1
        else:
            out.unread_notifications, out.approvals_waiting, out.logged_today = n1, n2, n3
    out.visits.sort(key=lambda v: v["at"])
    return out


# --------------------------------------------------------------------------- calendar


def nav_counts(membership: Membership, day: dt.date) -> dict[str, int]:
    """The navigation's numbers in one query: ``{"unread", "approvals", "call_tasks"}``."""
    sql = f"SELECT {UNREAD} {APPROVALS_WAITING} {OPEN_TASKS.rstrip(',')}"
    with connection.prepared_cursor() as cur:
        cur.execute(sql, {"t": require_tenant_id(), "m": membership.pk, "d": day, "roles": list(membership.roles or [])})
        unread, approvals, tasks = cur.fetchone()
    return {"unread": unread, "approvals": approvals, "call_tasks": tasks}


def team_for(user, day: dt.date) -> list[Membership]:
    """The reps whose calendar ``user`` may show (themself first when they hold the rep
    role): one query."""
    membership = membership_of(user)
    qs = Membership.objects.filter(team_q(user, on=day)).filter(is_active=True).select_related("user")
    members = sorted(qs, key=lambda m: (m.pk != membership.pk, m.user.full_name))
    return [m for m in members if m.pk == membership.pk or m.has_role(Role.REP)]


def calendar_calls(user, rep_ids: list[int], start: dt.date, end: dt.date, *, today: dt.date,
                   per_day: int | None = None) -> tuple[list[Call], dict[dt.date, int]]:
    """Planned and done calls of ``rep_ids`` from ``start`` to ``end``, limited to what
    ``user`` sees (positions of ``today``), and the number of them on each day: one query.

    ``per_day`` keeps only the first calls of each day (by time) — a month of a team is
    thousands of calls; the month view shows a few a day and "+N more" — counted and cut
    in the database (window functions), so the page's work stays the same whatever the
    month holds."""
    qs = (Call.objects.filter(rep_id__in=rep_ids, day__gte=start, day__lte=end)
          .filter(call_visible_q(user, on=today))
          .select_related("hcp", "institution", "rep__user")
          .annotate(day_total=Window(Count("id"), partition_by=[F("day")]),
                    day_rank=Window(RowNumber(), partition_by=[F("day")], order_by=[F("at"), F("id")]))
          .order_by("day", "at", "id"))
    if per_day is not None:
        qs = qs.filter(day_rank__lte=per_day)
    calls = list(qs)
    return calls, {c.day: c.day_total for c in calls}


def calendar_tasks(rep_ids: list[int], start: dt.date, end: dt.date) -> list[FollowUp]:
    return list(FollowUp.objects.filter(assignee_id__in=rep_ids, due_date__gte=start, due_date__lte=end)
                .select_related("hcp")
                .order_by("due_date", "id"))

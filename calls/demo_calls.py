"""Demo calls (``seed_demo`` step ``step_calls_activity``), all set-based.

Temporary tables first (dropped by the last demo step of the tenant):

* ``demo_rep``: every rep holding a territory since before the history started, with its
  district's manager;
* ``demo_book``: the HCPs each rep sees on every day of the history and of this week (an
  alignment of the HCP or of its primary institution to the rep's territory covering the
  whole span — so every call's HCP is visible to its rep on its day), with the product
  lines they are aligned for (the line of their specialty first) and a weight: a target
  HCP of tier A gets 4 tickets, B 2, C 1; a few non-target HCPs 1;
* ``demo_ticket``: the weights as rows, numbered per rep (a call draws one by hash).

Then ``demo_call`` holds the calls with their ids taken from the sequence: 2–4 a working
day per rep (a day off now and then) for ``HISTORY_DAYS``, submitted, locked after
``LOCK_AFTER_DAYS``; and 4–8 planned visits for today and the working days of the coming
week. From it: the calls, their products (1–3 brands of the HCP's lines, the line of the
specialty first) and key messages, group calls' attendees, follow-ups (the latest overdue
one of every rep left open, some others too).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from accounts.demo.builder import DemoContext

from .demo import LOCK_AFTER_DAYS, Lap, history_start, run, salt_of

NOTES = ["介绍了产品最新临床数据，医生表示认可", "医生关注药物相互作用，已提供说明书", "科室近期患者量增加，需求稳定",
         "医生询问医保报销政策，已解答", "跟进上次提到的不良反应病例，医生反馈良好", "医生对新剂型感兴趣，希望看到更多数据",
         "讨论了指南更新要点", "医生时间紧张，简短沟通", "", ""]
NEXT_STEPS = ["下周送文献资料", "邀请参加科室会", "跟进处方情况", "安排专家讲座", "提供患者教育手册", "预约下次拜访"]

REP_SQL = """
CREATE TEMP TABLE demo_rep AS
SELECT m.id AS rep_id, m.employee_no AS rkey, p.node_id AS territory_id,
       (SELECT dp.holder_id FROM accounts_position dp
         WHERE dp.tenant_id = n.tenant_id AND dp.node_id = n.parent_id AND dp.start_date <= %(h0)s
           AND dp.end_date IS NULL ORDER BY dp.id LIMIT 1) AS manager_id,
       0 AS tickets
  FROM accounts_membership m
  JOIN accounts_position p ON p.tenant_id = m.tenant_id AND p.holder_id = m.id
   AND p.start_date <= %(h0)s AND p.end_date IS NULL
  JOIN accounts_orgnode n ON n.tenant_id = p.tenant_id AND n.id = p.node_id AND n.kind = 'territory'
   AND n.retired_on IS NULL
 WHERE m.tenant_id = %(t)s AND m.is_active AND m.roles @> ARRAY['rep']::varchar[]
"""

BOOK_SQL = """
CREATE TEMP TABLE demo_book AS
WITH al AS (
    SELECT r.rep_id, a.institution_id, a.hcp_id, a.product_line_id
      FROM customers_alignment a JOIN demo_rep r ON r.territory_id = a.territory_id
     WHERE a.tenant_id = %(t)s AND (a.start_date IS NULL OR a.start_date <= %(h0)s)
       AND (a.end_date IS NULL OR a.end_date >= %(w1)s)
), pairs AS (
    SELECT al.rep_id, h.id AS hcp_id, al.product_line_id
      FROM al JOIN customers_hcp h ON h.tenant_id = %(t)s AND h.institution_id = al.institution_id
     WHERE al.institution_id IS NOT NULL
    UNION
    SELECT al.rep_id, al.hcp_id, al.product_line_id FROM al WHERE al.hcp_id IS NOT NULL
)
SELECT p.rep_id, h.id AS hcp_id, h.external_code AS hkey, h.institution_id, h.department_id, h.tier,
       h.is_target, h.is_kol,
       array_agg(p.product_line_id ORDER BY p.product_line_id = sp.line_id DESC, p.product_line_id) AS lines,
       CASE WHEN h.is_target THEN CASE h.tier WHEN 'A' THEN 4 WHEN 'B' THEN 2 WHEN 'C' THEN 1 ELSE 0 END
            WHEN h.tier IN ('A', 'B', 'C') AND abs(hashtextextended(h.external_code, %(s)s)) %% 3 = 0 THEN 1
            ELSE 0 END AS w,
       0 AS dept_n
  FROM pairs p
  JOIN customers_hcp h ON h.tenant_id = %(t)s AND h.id = p.hcp_id
  LEFT JOIN unnest(%(spec)s::text[], %(spec_line)s::bigint[]) AS sp(specialty, line_id) ON sp.specialty = h.specialty
 WHERE h.status = 'active' AND h.stage <> 'terminated'
 GROUP BY p.rep_id, h.id, sp.line_id
"""

BRANDS_SQL = """
CREATE TEMP TABLE demo_lines AS
SELECT l.lines,
       ARRAY(SELECT b.id FROM unnest(l.lines) WITH ORDINALITY AS x(line, o)
               JOIN products_brand b ON b.tenant_id = %(t)s AND b.product_line_id = x.line
              ORDER BY x.o, b.id) AS brands,
       (SELECT count(*) FROM products_brand b WHERE b.tenant_id = %(t)s AND b.product_line_id = l.lines[1])::int AS main_n
  FROM (SELECT DISTINCT lines FROM demo_book) l;
CREATE TEMP TABLE demo_brand_msgs AS
SELECT brand_id, array_agg(id ORDER BY position, id) AS msgs, count(*)::int AS n
  FROM calls_keymessage WHERE tenant_id = %(t)s AND is_active GROUP BY brand_id;
"""

TICKETS_SQL = """
CREATE TEMP TABLE demo_ticket AS
SELECT b.rep_id, (row_number() OVER (PARTITION BY b.rep_id
                                     ORDER BY hashtextextended(b.hkey || ':' || g, %(s)s), b.hkey, g) - 1)::int AS k,
       b.hcp_id
  FROM demo_book b CROSS JOIN LATERAL generate_series(1, b.w) AS g WHERE b.w > 0;
CREATE INDEX ON demo_ticket (rep_id, k);
UPDATE demo_rep r SET tickets = c.n FROM (SELECT rep_id, count(*)::int AS n FROM demo_ticket GROUP BY rep_id) c
 WHERE c.rep_id = r.rep_id;
UPDATE demo_book b SET dept_n = c.n
  FROM (SELECT rep_id, department_id, count(*)::int AS n FROM demo_book WHERE department_id IS NOT NULL
         GROUP BY 1, 2) c
 WHERE c.rep_id = b.rep_id AND c.department_id = b.department_id;
CREATE INDEX ON demo_book (rep_id, hcp_id);
CREATE INDEX ON demo_book (rep_id, department_id);
ANALYZE demo_rep; ANALYZE demo_book; ANALYZE demo_ticket;
"""

# One row per call: x is the call's hash; its quotients by small primes are its other draws.
CALL_STAGE_SQL = """
CREATE TEMP TABLE demo_call AS
WITH days AS (
    SELECT d::date AS day, false AS planned FROM generate_series(%(h0)s::date, %(yesterday)s::date, interval '1 day') d
     WHERE extract(isodow FROM d) < 6
    UNION ALL
    SELECT d::date, true FROM generate_series(%(today)s::date, %(w1)s::date, interval '1 day') d
     WHERE extract(isodow FROM d) < 6 OR d::date = %(today)s::date
), slots AS (
    SELECT r.rep_id, r.territory_id, r.manager_id, r.tickets, d.day, d.planned, g.i,
           abs(hashtextextended(r.rkey || d.day::text || ':' || g.i, %(s)s)) AS x
      FROM demo_rep r CROSS JOIN days d
     CROSS JOIN LATERAL generate_series(1, CASE WHEN d.planned
                   THEN 4 + (abs(hashtextextended(r.rkey || d.day::text, %(s)s)) %% 5)::int
                   ELSE 2 + (abs(hashtextextended(r.rkey || d.day::text, %(s)s)) %% 3)::int END) AS g(i)
     WHERE r.tickets > 0
       AND (d.planned OR abs(hashtextextended(r.rkey || d.day::text || ':off', %(s)s)) %% 20 <> 0)
), picked AS (
    SELECT DISTINCT ON (s.rep_id, s.day, t.hcp_id) s.*, t.hcp_id
      FROM slots s JOIN demo_ticket t ON t.rep_id = s.rep_id AND t.k = (s.x %% s.tickets)
     ORDER BY s.rep_id, s.day, t.hcp_id, s.i
)
SELECT nextval(pg_get_serial_sequence('calls_call', 'id')) AS id, p.rep_id, p.territory_id, p.hcp_id, p.day,
       p.planned, p.x, b.hkey, b.institution_id, b.department_id, b.lines,
       CASE WHEN p.planned THEN 'f2f'
            WHEN (p.x / 64) %% 100 < 78 THEN 'f2f' WHEN (p.x / 64) %% 100 < 86 THEN 'phone'
            WHEN (p.x / 64) %% 100 < 92 THEN 'video'
            WHEN b.dept_n >= 2 THEN 'group' ELSE 'f2f' END AS call_type,
       (p.day + time '09:00' + (row_number() OVER (PARTITION BY p.rep_id, p.day ORDER BY p.i) - 1)
               * CASE WHEN p.planned THEN interval '75 minutes' ELSE interval '100 minutes' END
               + (p.x %% 40) * interval '1 minute') AT TIME ZONE %(tz)s AS at,
       p.manager_id
  FROM picked p JOIN demo_book b ON b.rep_id = p.rep_id AND b.hcp_id = p.hcp_id;
CREATE INDEX ON demo_call (id);
ANALYZE demo_call;
"""

CALL_INSERT_SQL = """
INSERT INTO calls_call (id, tenant_id, code, rep_id, territory_id, call_type, status, hcp_id, institution_id,
    department_id, at, day, planned_at, duration_min, notes, next_step, co_visitor_id, checkin_at, checkin_lat,
    checkin_lng, checkin_accuracy_m, distance_m, is_far, is_late, source, submitted_at, locked_at, edit_count,
    created_at, updated_at)
SELECT c.id, %(t)s, gen_random_uuid(), c.rep_id, c.territory_id, c.call_type,
       CASE WHEN c.planned THEN 'planned' ELSE 'submitted' END, c.hcp_id, c.institution_id, c.department_id,
       c.at, c.day,
       CASE WHEN c.planned OR (c.x / 47) %% 10 < 4 THEN c.at END,
       CASE WHEN c.planned THEN NULL WHEN c.call_type = 'phone' THEN 5 + (c.x / 43) %% 10
            WHEN c.call_type = 'group' THEN 30 + (c.x / 43) %% 30 ELSE 10 + (c.x / 43) %% 20 END,
       CASE WHEN c.planned THEN '' ELSE (%(notes)s::text[])[1 + (c.x / 31) %% %(n_notes)s] END,
       CASE WHEN NOT c.planned AND (c.x / 37) %% 5 = 0 THEN (%(steps)s::text[])[1 + (c.x / 41) %% %(n_steps)s]
            ELSE '' END,
       CASE WHEN NOT c.planned AND c.call_type = 'f2f' AND (c.x / 29) %% 40 = 0 THEN c.manager_id END,
       CASE WHEN k.checked THEN c.at - interval '3 minutes' END,
       k.lat, k.lng,
       CASE WHEN k.checked THEN 10 + (c.x / 23) %% 60 END,
       k.distance, COALESCE(k.distance > %(far)s, false),
       NOT c.planned AND s.submitted - c.at > %(late)s * interval '1 hour',
       CASE WHEN NOT c.planned AND (c.x / 53) %% 12 = 0 THEN 'offline' ELSE 'web' END,
       s.submitted,
       CASE WHEN NOT c.planned AND c.day < %(lock_before)s::date
            THEN (c.day + %(lock_days)s + 1 + time '02:00') AT TIME ZONE %(tz)s END,
       0, COALESCE(s.submitted, %(now)s), COALESCE(s.submitted, %(now)s)
  FROM demo_call c
  JOIN customers_institution i ON i.tenant_id = %(t)s AND i.id = c.institution_id
 CROSS JOIN LATERAL (SELECT CASE WHEN c.planned THEN NULL
                                 WHEN (c.x / 59) %% 40 = 0 AND c.at + interval '30 hours' < %(now)s
                                 THEN least(c.at + interval '26 hours' + ((c.x / 7) %% 48) * interval '1 hour', %(now)s - interval '1 hour')
                                 ELSE c.at + (15 + (c.x / 11) %% 150) * interval '1 minute' END AS submitted) s
 CROSS JOIN LATERAL (
    SELECT q.checked, q.lat, q.lng,
           CASE WHEN q.checked THEN round(2 * 6371008.8 * asin(least(1, sqrt(
                power(sin(radians(q.lat - i.latitude) / 2), 2)
                + cos(radians(i.latitude)) * cos(radians(q.lat)) * power(sin(radians(q.lng - i.longitude) / 2), 2)))))::int
           END AS distance
      FROM (SELECT v.checked,
                   CASE WHEN v.checked THEN round(i.latitude + v.dlat, 6) END AS lat,
                   CASE WHEN v.checked THEN round(i.longitude + v.dlng, 6) END AS lng
              FROM (SELECT NOT c.planned AND c.call_type = 'f2f' AND i.latitude IS NOT NULL
                           AND (c.x / 13) %% 10 < 7 AS checked,
                           CASE WHEN (c.x / 17) %% 40 = 0 THEN 0.025 + ((c.x / 19) %% 100) / 4000.0
                                ELSE ((c.x / 19) %% 1001 - 500) / 1000000.0 END::numeric AS dlat,
                           (((c.x / 67) %% 1001) - 500) / 1000000.0::numeric AS dlng) v) q) k
"""

PARTS_SQL = """
CREATE TEMP TABLE demo_cp AS
SELECT nextval(pg_get_serial_sequence('calls_callproduct', 'id')) AS id, c.id AS call_id, c.x, g.pos,
       l.brands[1 + ((c.x / 71) %% l.main_n + g.pos - 1) %% cardinality(l.brands)] AS brand_id
  FROM demo_call c JOIN demo_lines l ON l.lines = c.lines
 CROSS JOIN LATERAL generate_series(1, least(cardinality(l.brands),
            1 + ((c.x / 73) %% 100 >= 55)::int + ((c.x / 73) %% 100 >= 90)::int)) AS g(pos)
 WHERE NOT c.planned AND l.main_n > 0;
INSERT INTO calls_callproduct (id, tenant_id, call_id, brand_id, position)
SELECT id, %(t)s, call_id, brand_id, pos FROM demo_cp;
INSERT INTO calls_callmessage (tenant_id, call_product_id, key_message_id)
SELECT %(t)s, cp.id, m.msgs[1 + ((cp.x / 79 + cp.pos) %% m.n + g - 1) %% m.n]
  FROM demo_cp cp JOIN demo_brand_msgs m ON m.brand_id = cp.brand_id
 CROSS JOIN LATERAL generate_series(1, least(m.n, 1 + ((cp.x / 83 + cp.pos) %% 10 < 3)::int)) AS g;
INSERT INTO calls_callattendee (tenant_id, call_id, hcp_id)
SELECT %(t)s, z.call_id, z.hcp_id
  FROM (SELECT c.id AS call_id, b.hcp_id,
               row_number() OVER (PARTITION BY c.id ORDER BY hashtextextended(b.hkey || c.x::text, %(s)s), b.hkey) AS rn
          FROM demo_call c
          JOIN demo_book b ON b.rep_id = c.rep_id AND b.department_id = c.department_id AND b.hcp_id <> c.hcp_id
         WHERE c.call_type = 'group') z
 WHERE z.rn <= 3;
"""

FOLLOW_UPS_SQL = """
INSERT INTO calls_followup (tenant_id, code, assignee_id, hcp_id, call_id, title, due_date, done_at, created_at)
SELECT %(t)s, gen_random_uuid(), f.rep_id, f.hcp_id, f.id, f.next_step, f.due,
       CASE WHEN f.due < %(today)s AND (f.rk = 1 OR (f.x / 89) %% 8 = 0) THEN NULL
            WHEN f.due < %(today)s THEN least(f.submitted_at + (1 + (f.x / 97) %% 6) * interval '1 day', %(now)s)
            WHEN (f.x / 101) %% 3 = 0 AND f.submitted_at + interval '1 day' < %(now)s
            THEN f.submitted_at + interval '1 day' END,
       f.submitted_at
  FROM (SELECT c.id, c.rep_id, c.hcp_id, cc.next_step, cc.submitted_at, c.x, c.day + 7 AS due,
               row_number() OVER (PARTITION BY c.rep_id, c.day + 7 < %(today)s ORDER BY c.day DESC, c.x) AS rk
          FROM demo_call c JOIN calls_call cc ON cc.tenant_id = %(t)s AND cc.id = c.id
         WHERE NOT c.planned AND cc.next_step <> '') f
"""

# The services refuse a call dated before its HCP was in the customer master; the demo's
# customers are created "now", so the called HCPs (and attendees) are dated back to before
# the history. (A no-op once customers.demo creates HCPs in the past.)
HCP_DATES_SQL = """
UPDATE customers_hcp h SET created_at = (%(h0)s::date - 1 + time '08:00') AT TIME ZONE %(tz)s
 WHERE h.tenant_id = %(t)s AND h.created_at > (%(h0)s::date - 1 + time '08:00') AT TIME ZONE %(tz)s
   AND (h.id IN (SELECT hcp_id FROM calls_call WHERE tenant_id = %(t)s AND hcp_id IS NOT NULL)
        OR h.id IN (SELECT hcp_id FROM calls_callattendee WHERE tenant_id = %(t)s))
"""


def _spec_lines() -> tuple[list[str], list[int]]:
    """Specialty → product line (the first line of the catalogue listing it)."""
    from customers.demo_names import CATALOGUE
    from products.models import ProductLine

    ids = dict(ProductLine.objects.values_list("name", "id"))
    mapping: dict[str, int] = {}
    for line_name, specialties, _brands in CATALOGUE:
        for specialty in specialties:
            if line_name in ids:
                mapping.setdefault(specialty, ids[line_name])
    return list(mapping), list(mapping.values())


def drop_temp_tables() -> None:
    run("DROP TABLE IF EXISTS demo_rep, demo_book, demo_lines, demo_brand_msgs, demo_ticket, demo_call, demo_cp")


def params(ctx: DemoContext) -> dict:
    today = ctx.tenant.today()
    return {"t": ctx.tenant.pk, "s": salt_of(ctx, "calls"), "tz": ctx.tenant.time_zone, "today": today,
            "yesterday": today - dt.timedelta(days=1), "h0": history_start(today, ctx.plan.spec.reps),
            "w1": today + dt.timedelta(days=6), "now": timezone.now()}


def step_calls_activity(ctx: DemoContext) -> None:
    from calls.models import CallSettings

    settings = CallSettings.objects.get()
    p = params(ctx)
    spec, spec_line = _spec_lines()
    drop_temp_tables()
    connection.apply_tenant_settings()
    lap = Lap(ctx, "calls")
    run(REP_SQL, p)
    run(BOOK_SQL, {**p, "spec": spec, "spec_line": spec_line})
    run(BRANDS_SQL, p)
    run(TICKETS_SQL, p)
    lap("book")
    run(CALL_STAGE_SQL, p)
    lap("stage")
    ctx.counts["calls"] = run(CALL_INSERT_SQL, {
        **p, "notes": NOTES, "n_notes": len(NOTES), "steps": NEXT_STEPS, "n_steps": len(NEXT_STEPS),
        "far": settings.far_distance_m, "late": settings.late_hours, "lock_days": settings.lock_after_days,
        "lock_before": p["today"] - dt.timedelta(days=LOCK_AFTER_DAYS)})
    lap("calls")
    run(PARTS_SQL, p)
    lap("products")
    run(HCP_DATES_SQL, p)
    lap("hcp dates")
    ctx.counts["follow-ups"] = run(FOLLOW_UPS_SQL, p)
    lap("follow-ups")
    run("ANALYZE calls_call; ANALYZE calls_callproduct; ANALYZE calls_callmessage; ANALYZE calls_followup; "
        "ANALYZE calls_callattendee")
    lap("analyze")
    # The deferred key checks of these rows run now rather than at the commit (or in the
    # next tenant's customers step), so the step's time includes them.
    run("SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED")
    lap("key checks")

"""Demo samples and coaching (``seed_demo`` step ``step_calls_extras``), set-based over the
calls the activity step made (its temporary tables; dropped here at the end).

Samples: two lots of one SKU of each product line but oncology; a receipt per rep at the
start of the history (what the rep gives later, plus a reserve); gives in about one call in
twelve that discussed a sampled brand, each signed (an SVG stroke path); last month's
reconciliation, confirmed, a box found missing now and then (an ``adjusted`` move with the
reason); the stock is the ledger's balance.

Coaching: the five skills (``calls.demo``); one evaluation a month at most per rep for the
co-visits of the last six months by their district manager, shared, and acknowledged when
older than two weeks; scores that improve over the months, so the trends draw a line.
"""

from __future__ import annotations

import datetime as dt

from accounts.demo.builder import DemoContext

from .demo import run, salt_of
from .demo_calls import drop_temp_tables, params

LOTS_SQL = """
CREATE TEMP TABLE demo_lot AS
WITH skus AS (
    SELECT DISTINCT ON (pl.id) s.id AS sku_id, b.id AS brand_id, pl.id AS line_id
      FROM products_productline pl
      JOIN products_brand b ON b.tenant_id = pl.tenant_id AND b.product_line_id = pl.id
      JOIN products_sku s ON s.tenant_id = b.tenant_id AND s.brand_id = b.id AND s.status = 'active'
     WHERE pl.tenant_id = %(t)s AND pl.name <> '肿瘤'
     ORDER BY pl.id, b.id, s.id
)
SELECT nextval(pg_get_serial_sequence('samples_samplelot', 'id')) AS id, s.sku_id, s.brand_id, g.n,
       %(prefix)s || to_char(%(today)s::date, 'YY') || lpad(s.line_id::text, 3, '0') || g.n AS lot_number,
       %(today)s::date + CASE g.n WHEN 1 THEN 200 ELSE 420 END AS expiry
  FROM skus s CROSS JOIN generate_series(1, 2) AS g(n);
INSERT INTO samples_samplelot (id, tenant_id, code, sku_id, lot_number, expiry, created_at)
SELECT id, %(t)s, gen_random_uuid(), sku_id, lot_number, expiry, %(start)s FROM demo_lot;
"""

GIVES_SQL = """
CREATE TEMP TABLE demo_give AS
SELECT c.id AS call_id, c.rep_id, c.hcp_id, c.x, cc.at, gen_random_uuid() AS code,
       nextval(pg_get_serial_sequence('samples_samplesignature', 'id')) AS signature_id
  FROM demo_call c JOIN calls_call cc ON cc.tenant_id = %(t)s AND cc.id = c.id
 WHERE NOT c.planned AND c.call_type = 'f2f' AND (c.x / 103) %% 12 = 0
   AND EXISTS (SELECT 1 FROM demo_cp cp JOIN demo_lot l ON l.brand_id = cp.brand_id WHERE cp.call_id = c.id);
INSERT INTO samples_samplesignature (id, tenant_id, code, call_id, hcp_id, svg_path, image, signed_at)
SELECT g.signature_id, %(t)s, gen_random_uuid(), g.call_id, g.hcp_id,
       format('M %%s 120 L %%s 60 L %%s 140 L %%s 70 L %%s 130 M %%s 100 L %%s %%s L %%s 110',
              30 + g.x %% 20, 70 + g.x %% 30, 110 + g.x %% 25, 150 + g.x %% 35, 200 + g.x %% 30,
              260 + g.x %% 40, 330 + g.x %% 30, 80 + g.x %% 40, 420 + g.x %% 60),
       '', g.at + interval '5 minutes'
  FROM demo_give g;
CREATE TEMP TABLE demo_given AS
SELECT g.rep_id, l.id AS lot_id, g.call_id, g.hcp_id, g.signature_id, g.code, g.at + interval '5 minutes' AS at,
       1 + ((g.x / 107 + cp.pos) %% 2)::int AS n
  FROM demo_give g JOIN demo_cp cp ON cp.call_id = g.call_id
  JOIN demo_lot l ON l.brand_id = cp.brand_id AND l.n = 1 + (g.x / 109) %% 2;
"""

MOVES_SQL = """
INSERT INTO samples_samplemove (tenant_id, kind, quantity, rep_id, lot_id, reason, by_id, at, code)
SELECT %(t)s, 'received', coalesce(sum(d.n), 0) + 40 + abs(hashtextextended(r.rkey || l.lot_number, %(s)s)) %% 60,
       r.rep_id, l.id, '季度样品发放', %(admin)s, %(received_at)s, r.code
  FROM (SELECT rep_id, rkey, gen_random_uuid() AS code FROM demo_rep) r CROSS JOIN demo_lot l
  LEFT JOIN demo_given d ON d.rep_id = r.rep_id AND d.lot_id = l.id
 GROUP BY r.rep_id, r.rkey, r.code, l.id, l.lot_number;
INSERT INTO samples_samplemove (tenant_id, kind, quantity, rep_id, lot_id, call_id, hcp_id, signature_id, reason,
                                by_id, at, code)
SELECT %(t)s, 'given', -d.n, d.rep_id, d.lot_id, d.call_id, d.hcp_id, d.signature_id, '', d.rep_id, d.at, d.code
  FROM demo_given d;
"""

RECONCILE_SQL = """
CREATE TEMP TABLE demo_rec AS
SELECT r.rep_id, nextval(pg_get_serial_sequence('samples_reconciliation', 'id')) AS id, gen_random_uuid() AS code,
       l.id AS lot_id, b.balance,
       b.balance - CASE WHEN b.balance > 0 AND abs(hashtextextended(r.rkey || l.lot_number, %(s)s + 1)) %% 15 = 0
                        THEN 1 ELSE 0 END AS counted
  FROM demo_rep r CROSS JOIN demo_lot l
  JOIN LATERAL (SELECT coalesce(sum(m.quantity), 0)::int AS balance FROM samples_samplemove m
                 WHERE m.tenant_id = %(t)s AND m.rep_id = r.rep_id AND m.lot_id = l.id AND m.at < %(counted_at)s) b
    ON true;
UPDATE demo_rec d SET id = f.id, code = f.code
  FROM (SELECT DISTINCT ON (rep_id) rep_id, id, code FROM demo_rec ORDER BY rep_id, id) f WHERE f.rep_id = d.rep_id;
INSERT INTO samples_reconciliation (id, tenant_id, code, rep_id, month, state, reason, confirmed_by_id, confirmed_at,
                                    created_at)
SELECT id, %(t)s, code, rep_id, %(month)s, 'confirmed',
       CASE WHEN bool_or(counted <> balance) THEN '盘点发现包装破损，已报损' ELSE '' END, rep_id, %(counted_at)s,
       %(counted_at)s
  FROM demo_rec GROUP BY id, code, rep_id;
INSERT INTO samples_reconciliationline (tenant_id, reconciliation_id, lot_id, ledger_quantity, counted)
SELECT %(t)s, id, lot_id, balance, counted FROM demo_rec WHERE balance > 0;
INSERT INTO samples_samplemove (tenant_id, kind, quantity, rep_id, lot_id, reason, by_id, at, code)
SELECT %(t)s, 'adjusted', counted - balance, rep_id, lot_id, '盘点发现包装破损，已报损', rep_id, %(counted_at)s, code
  FROM demo_rec WHERE counted <> balance;
"""

STOCK_SQL = """
INSERT INTO samples_samplestock (tenant_id, rep_id, lot_id, quantity, updated_at)
SELECT %(t)s, rep_id, lot_id, sum(quantity), %(now)s FROM samples_samplemove
 WHERE tenant_id = %(t)s GROUP BY rep_id, lot_id;
"""

COACHING_SQL = """
CREATE TEMP TABLE demo_eval AS
SELECT DISTINCT ON (c.rep_id, date_trunc('month', c.day))
       nextval(pg_get_serial_sequence('coaching_evaluation', 'id')) AS id, c.id AS call_id, c.rep_id,
       cc.co_visitor_id AS manager_id, c.day, c.x,
       ((%(today)s::date - c.day) / 30)::int AS months_ago,
       (c.day + time '18:00') AT TIME ZONE %(tz)s AS shared_at
  FROM demo_call c JOIN calls_call cc ON cc.tenant_id = %(t)s AND cc.id = c.id
 WHERE cc.co_visitor_id IS NOT NULL AND c.day >= %(since)s
 ORDER BY c.rep_id, date_trunc('month', c.day), c.day, c.x;
INSERT INTO coaching_evaluation (id, tenant_id, code, manager_id, rep_id, day, call_id, comment, strengths, to_improve,
                                 state, shared_at, acknowledged_at, rep_comment, created_at, updated_at)
SELECT e.id, %(t)s, gen_random_uuid(), e.manager_id, e.rep_id, e.day, e.call_id,
       (%(comments)s::text[])[1 + (e.x / 113) %% 3], (%(strengths)s::text[])[1 + (e.x / 127) %% 3],
       (%(improve)s::text[])[1 + (e.x / 131) %% 3],
       CASE WHEN e.day < %(ack_before)s THEN 'acknowledged' ELSE 'shared' END, e.shared_at,
       CASE WHEN e.day < %(ack_before)s THEN e.shared_at + interval '1 day' END,
       CASE WHEN e.day < %(ack_before)s AND (e.x / 137) %% 3 = 0 THEN '谢谢经理指导，我会继续改进' ELSE '' END,
       e.shared_at, e.shared_at
  FROM demo_eval e;
INSERT INTO coaching_score (tenant_id, evaluation_id, skill_id, score, comment)
SELECT %(t)s, e.id, s.id,
       least(5, greatest(1, 4 - e.months_ago / 2 + ((e.x / (139 + s.position)) %% 3)::int - 1
                            - CASE WHEN s.position = 3 THEN 1 ELSE 0 END)),
       ''
  FROM demo_eval e JOIN coaching_skill s ON s.tenant_id = %(t)s AND s.is_active;
"""

COMMENTS = ["整体拜访流程完整，准备充分", "拜访目标明确，沟通自然", "本次拜访时间控制较好"]
STRENGTHS = ["开场自然，与医生关系融洽", "产品知识扎实，数据引用准确", "善于倾听，提问有针对性"]
TO_IMPROVE = ["异议处理时可多引用循证证据", "结尾时应明确下一步行动", "关键信息传递需更加聚焦"]


def _samples(ctx: DemoContext, p: dict) -> None:
    today = p["today"]
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    zone = p["tz"]
    import zoneinfo

    tz = zoneinfo.ZoneInfo(zone)
    q = {**p, "s": salt_of(ctx, "samples"), "prefix": ctx.plan.spec.prefix, "admin": ctx.admin.pk,
         "start": dt.datetime.combine(p["h0"] - dt.timedelta(days=2), dt.time(9), tzinfo=tz),
         "received_at": dt.datetime.combine(p["h0"] - dt.timedelta(days=1), dt.time(9), tzinfo=tz),
         "month": month, "counted_at": dt.datetime.combine(month_end, dt.time(18), tzinfo=tz)}
    run(LOTS_SQL, q)
    run(GIVES_SQL, q)
    run(MOVES_SQL, q)
    if month >= p["h0"].replace(day=1):
        run(RECONCILE_SQL, q)
    run(STOCK_SQL, q)
    run("ANALYZE samples_samplemove; ANALYZE samples_samplestock")
    with_counts = {"sample lots": "samples_samplelot", "sample moves": "samples_samplemove"}
    from django.db import connection

    with connection.cursor() as cur:
        for label, table in with_counts.items():
            cur.execute(f"SELECT count(*) FROM {table} WHERE tenant_id = %s", [ctx.tenant.pk])  # noqa: S608
            ctx.counts[label] = cur.fetchone()[0]


def _coaching(ctx: DemoContext, p: dict) -> None:
    q = {**p, "since": p["today"] - dt.timedelta(days=183), "ack_before": p["today"] - dt.timedelta(days=14),
         "comments": COMMENTS, "strengths": STRENGTHS, "improve": TO_IMPROVE}
    run(COACHING_SQL, q)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM demo_eval")
        ctx.counts["coaching evaluations"] = cur.fetchone()[0]


def step_calls_extras(ctx: DemoContext) -> None:
    p = params(ctx)
    try:
        _samples(ctx, p)
        _coaching(ctx, p)
    finally:
        run("DROP TABLE IF EXISTS demo_lot, demo_give, demo_given, demo_rec, demo_eval")
        drop_temp_tables()

"""Demo field force activity for ``seed_demo``: builder steps appended after the customers
and segmentation steps (``register``, called from ``CallsConfig.ready``).

* ``step_calls_setup`` (this module): the tenant's configuration — call settings (check-in
  optional, lock after 7 days), 2–4 Chinese key messages per brand, the five coaching skills,
  planning limits, frequency targets per product line and tier (A 4, B 2, C 1, D 0 a month),
  monthly cycles for this year and next, an approval chain for cycle plans (the direct
  manager), and coordinates for the institutions (around their province's capital; the
  check-in measures distances to them).
* ``step_calls_activity`` (``demo_calls``): ten months of submitted calls per rep with
  products and key messages, planned visits for this week, follow-ups.
* ``step_calls_plans`` (``demo_plans``): every rep's cycle plan for the current cycle.
* ``step_calls_extras`` (``demo_extras``): sample lots, stock, gives with signatures, last
  month's reconciliation; coaching evaluations of co-visits.

Everything is set-based (``INSERT … SELECT`` over the seeded tables, ``generate_series``),
and every choice is a hash of stable keys (employee numbers, HCP codes, days) salted from
the demo's seed, so the same seed gives the same activity whatever the ids.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection

from accounts.demo.builder import DemoContext

# --------------------------------------------------------------------------- shared


def run(sql: str, params: dict | None = None) -> int:
    with connection.cursor() as cur:
        cur.execute(sql, params or {})
        return cur.rowcount


class Lap:
    """Seconds per part of a step, into ``ctx.timings`` (``seed_demo -v2`` prints them)."""

    def __init__(self, ctx: DemoContext, prefix: str):
        self.ctx, self.prefix, self.mark = ctx, prefix, time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.ctx.timings[f"{self.prefix}/{name}"] = now - self.mark
        self.mark = now


def salt_of(ctx: DemoContext, name: str) -> int:
    """A 31-bit salt for one step, drawn from the demo's generator (so: from the seed)."""
    salts = ctx.__dict__.setdefault("_calls_salts", {})
    if name not in salts:
        salts[name] = ctx.rng.getrandbits(31)
    return salts[name]


def history_start(today: dt.date, reps: int = 0) -> dt.date:
    """First day of the calls' history, never before the organisation existed: about ten
    months back for a demo of up to 300 reps (medium: about 190,000 calls), one month for a
    larger one (large: 3,000 reps at 2–4 calls a working day make about 200,000 calls in a
    month; ten months would be 2,000,000, and half an hour of seeding — the issue 5
    benchmark tops the large demo up to 2,000,000 calls itself, ``bench/calls_data.py``)."""
    from accounts.demo.builder import START

    days = HISTORY_DAYS if reps <= 300 else HISTORY_DAYS_LARGE
    return max(START + dt.timedelta(days=14), today - dt.timedelta(days=days))


HISTORY_DAYS = 300
HISTORY_DAYS_LARGE = 30
LOCK_AFTER_DAYS = 7

FREQUENCY = {"A": 4, "B": 2, "C": 1, "D": 0}
PLANNING_LIMITS = {"max_calls_per_cycle": 250, "max_calls_per_hcp": 20, "max_non_target_pct": 20,
                   "max_change_pct": 100}
SKILLS = [
    ("开场", "自我介绍、说明拜访目的，建立信任"),
    ("需求探寻", "开放式提问，了解医生的处方习惯与患者需求"),
    ("关键信息传递", "准确、合规地传递产品关键信息"),
    ("异议处理", "倾听、澄清并用证据回应医生的顾虑"),
    ("促成", "明确下一步行动并获得医生承诺"),
]
MESSAGE_TEMPLATES = [
    "{brand}：每日一次，提高患者依从性",
    "{brand}：大型临床研究证实疗效显著",
    "{brand}：安全性良好，不良反应发生率低",
    "{brand}：已纳入国家医保目录，患者负担更轻",
    "{brand}：写入最新版中国临床诊疗指南推荐",
    "{brand}：起效迅速，症状改善明显",
]

# Approximate coordinates of each province's capital: institutions are placed around them.
PROVINCE_CENTRES = {
    "上海市": (31.23, 121.47), "浙江省": (30.27, 120.15), "江苏省": (32.06, 118.80), "山东省": (36.65, 117.12),
    "福建省": (26.08, 119.30), "安徽省": (31.82, 117.23), "江西省": (28.68, 115.86), "北京市": (39.90, 116.40),
    "天津市": (39.13, 117.20), "河北省": (38.04, 114.51), "山西省": (37.87, 112.55), "内蒙古自治区": (40.84, 111.75),
    "广东省": (23.13, 113.26), "广西壮族自治区": (22.82, 108.37), "海南省": (20.04, 110.20), "湖北省": (30.59, 114.31),
    "河南省": (34.75, 113.63), "湖南省": (28.23, 112.94), "四川省": (30.57, 104.07), "重庆市": (29.56, 106.55),
    "云南省": (25.04, 102.71), "贵州省": (26.65, 106.63), "西藏自治区": (29.65, 91.14), "陕西省": (34.34, 108.94),
    "甘肃省": (36.06, 103.83), "新疆维吾尔自治区": (43.83, 87.62), "宁夏回族自治区": (38.49, 106.23),
    "青海省": (36.62, 101.78), "辽宁省": (41.80, 123.43), "黑龙江省": (45.80, 126.53), "吉林省": (43.82, 125.32),
}


# --------------------------------------------------------------------------- configuration


def _config(ctx: DemoContext) -> None:
    from calls.models import CallSettings, KeyMessage
    from calls.planning.models import FrequencyTarget, PlanningSettings
    from products.models import Brand, ProductLine

    CallSettings.objects.create(lock_after_days=LOCK_AFTER_DAYS, checkin=CallSettings.CheckIn.OPTIONAL,
                                far_distance_m=1000, late_hours=24, signature_required=True)
    salt = salt_of(ctx, "messages")
    messages = []
    for k, brand in enumerate(Brand.objects.order_by("id")):
        n = 2 + (salt + k) % 3
        first = (salt // 7 + k) % len(MESSAGE_TEMPLATES)
        for pos in range(n):
            template = MESSAGE_TEMPLATES[(first + pos) % len(MESSAGE_TEMPLATES)]
            messages.append(KeyMessage(brand=brand, text=template.format(brand=brand.name), position=pos + 1))
    KeyMessage.objects.bulk_create(messages)
    PlanningSettings.objects.create(**PLANNING_LIMITS)
    FrequencyTarget.objects.bulk_create([
        FrequencyTarget(product_line=line, tier=tier, calls_per_cycle=n)
        for line in ProductLine.objects.filter(is_active=True).order_by("id") for tier, n in FREQUENCY.items()
    ])
    ctx.counts["key messages"] = len(messages)


def _cycles_and_chain(ctx: DemoContext, today: dt.date) -> None:
    from approvals.models import ApprovalChain, ApprovalChainStep, ApproverKind
    from calls.planning.services import plans as plan_services
    from calls.planning.services.targets import cycles_make_months

    made = cycles_make_months(year=today.year) + cycles_make_months(year=today.year + 1)
    ctx.counts["cycles"] = made
    chain = ApprovalChain.objects.create(request_type=plan_services.KEY, name="拜访计划（直属经理审批）", priority=10)
    ApprovalChainStep.objects.create(chain=chain, order=1, name="直属经理", kind=ApproverKind.DIRECT_MANAGER)


def _coaching_skills() -> None:
    from calls.coaching.models import Skill

    Skill.objects.bulk_create([Skill(name=name, description=text, position=i)
                               for i, (name, text) in enumerate(SKILLS)])


def _coordinates(ctx: DemoContext) -> None:
    """Institutions get coordinates within about 25 km of their province's capital (one UPDATE)."""
    provinces = list(PROVINCE_CENTRES)
    run("""
        UPDATE customers_institution i
           SET latitude = round((c.lat + ((abs(hashtextextended(i.external_code, %(s)s)) %% 4001) - 2000) / 8000.0)::numeric, 6),
               longitude = round((c.lng + ((abs(hashtextextended(i.external_code, %(s)s + 1)) %% 4001) - 2000) / 8000.0)::numeric, 6)
          FROM unnest(%(p)s::text[], %(lat)s::float8[], %(lng)s::float8[]) AS c(province, lat, lng)
         WHERE i.tenant_id = %(t)s AND i.province = c.province AND i.latitude IS NULL
        """, {"s": salt_of(ctx, "coordinates"), "p": provinces, "t": ctx.tenant.pk,
              "lat": [PROVINCE_CENTRES[p][0] for p in provinces], "lng": [PROVINCE_CENTRES[p][1] for p in provinces]})


def step_calls_setup(ctx: DemoContext) -> None:
    today = ctx.tenant.today()
    _config(ctx)
    _cycles_and_chain(ctx, today)
    _coaching_skills()
    _coordinates(ctx)


def register() -> None:
    from accounts.demo import builder

    from .demo_calls import step_calls_activity
    from .demo_extras import step_calls_extras
    from .demo_plans import step_calls_plans

    for step in (step_calls_setup, step_calls_activity, step_calls_plans, step_calls_extras):
        if step not in builder.STEPS:
            builder.STEPS.append(step)

"""The demo's shapes: territories, institutions, names, the catalogue, weights and scores."""

from __future__ import annotations

import random
import time
from bisect import bisect
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from accounts.demo import geo
from accounts.demo.builder import START, DemoContext

from .. import demo_names as V
from .loading import PREFIX_SEP

# --------------------------------------------------------------------------- the plan


@dataclass(slots=True)
class Territory:
    index: int  # in plan.nodes
    node_id: int
    city: str  # 上海
    area: str  # 浦东
    district: int  # plan index of the district node
    province: str
    holder_id: int | None  # membership id of the rep, None when vacant
    big_city: bool
    oncology: Territory | None = None  # who covers oncology at the district's big hospitals


@dataclass(slots=True)
class Inst:
    id: int
    t: Territory
    kind: str
    grade: str
    external_code: str = ""
    pieces: tuple[str, ...] = ()
    name: str = ""
    chain: Inst | None = None
    primary: bool = False  # a distributor that delivers to other distributors
    n_hcps: int = 0
    tier: str = ""
    stage: str = "active"
    depts: list[tuple[int, str, str]] = field(default_factory=list)  # (id, name, specialty)


STAGES = ["prospect", "developing", "active", "key", "dormant", "terminated"]
STAGE_WEIGHTS = {  # by tier
    "A": [3, 8, 44, 38, 6, 1], "B": [8, 20, 50, 10, 10, 2], "C": [25, 25, 35, 2, 9, 4],
    "D": [50, 20, 15, 0, 10, 5], "": [60, 15, 10, 0, 10, 5],
}
STAGE_CUM = {k: list(accumulate(v)) for k, v in STAGE_WEIGHTS.items()}
PREVIOUS_STAGE = {"developing": "prospect", "active": "developing", "key": "active", "dormant": "active",
                  "terminated": "dormant", "prospect": "developing"}
GRADE_SCORE = {"3A": 3.0, "3B": 2.5, "3C": 2.0, "2A": 2.0, "2B": 1.5, "2C": 1.0, "1": 0.5}
KIND_SCORE = {"clinic": 0.4, "retail_pharmacy": 0.2, "pharmacy_chain": 0.3, "distributor": 0.0}
TITLE_SCORE = {"chief": 3.0, "associate_chief": 2.5, "attending": 1.5, "resident": 0.5, "chief_pharmacist": 1.5,
               "pharmacist": 0.6, "nurse": 0.0, "other": 0.0}
TITLES = {  # (title, weight) by setting
    "doctor": [("chief", 10), ("associate_chief", 20), ("attending", 35), ("resident", 30), ("nurse", 5)],
    "hospital_pharmacy": [("chief_pharmacist", 15), ("pharmacist", 85)],
    "clinic": [("associate_chief", 5), ("attending", 35), ("resident", 40), ("other", 20)],
    "pharmacy": [("pharmacist", 85), ("other", 15)],
}
TITLE_CUM = {k: (list(t for t, _w in v), list(accumulate(w for _t, w in v))) for k, v in TITLES.items()}
POTENTIAL_BASE = {"A": 300_000, "B": 120_000, "C": 50_000, "D": 15_000, "": 5_000}
TARGET_SHARE = {"A": 1.0, "B": 0.7, "C": 0.3, "D": 0.05, "": 0.0}  # about a third are targets
KOL_KINDS = ["coauthor", "influences", "peer"]  # and "mentor", from a chief
MAIL_HOSTS = ["163.com", "126.com", "qq.com", "sina.com"]  # four: picked by seq % 4


def _tier(score: float) -> str:
    """About 10 % of HCPs are A, 20 % B, 30 % C, 30 % D, the rest not tiered."""
    if score >= 6.6:
        return "A"
    if score >= 5.6:
        return "B"
    if score >= 4.3:
        return "C"
    if score >= 2.2:
        return "D"
    return ""


def _pick(rng: random.Random, items: list, cum: list[float]):
    return items[bisect(cum, rng.random() * cum[-1])]


def _spread(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """``total`` split proportionally to ``weights`` (largest remainder, ties broken at random)."""
    s = sum(weights)
    if not weights or s <= 0:
        return [0] * len(weights)
    exact = [total * w / s for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], rng.random()))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def territories_of(ctx: DemoContext) -> list[Territory]:
    """The plan's territories with the city and district they are named after."""
    nodes = ctx.plan.nodes
    holders = {p.holds: ctx.memberships[p.email].pk for p in ctx.plan.people if p.holds is not None}
    capitals = {cities[0] for provinces in geo.REGIONS.values() for _p, cities in provinces}
    out: list[Territory] = []
    by_district: dict[int, list[Territory]] = defaultdict(list)
    for i, node in enumerate(nodes):
        if node.kind != "territory":
            continue
        district = nodes[node.parent]
        city = district.name.split("第")[0].removesuffix("地区")
        area = node.name.removesuffix("区").removeprefix(city).rstrip("一二三四五六七八九十0123456789")
        t = Territory(index=i, node_id=ctx.node_ids[i], city=city, area=area, district=node.parent,
                      province=geo.province_of(city), holder_id=holders.get(i), big_city=city in capitals)
        out.append(t)
        by_district[node.parent].append(t)
    for members in by_district.values():
        for t in members:
            t.oncology = members[-1]  # the district's last territory covers oncology at its 三甲 hospitals
    return out


class Namer:
    """Unique institution names per city, made of pieces whose pinyin is cached."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: dict[str, set[str]] = defaultdict(set)
        self.counters: dict[tuple[str, str], int] = defaultdict(int)

    def _take(self, city: str, candidates: Iterator[tuple[str, ...]]) -> tuple[str, ...]:
        used = self.used[city]
        for pieces in candidates:
            name = "".join(pieces)
            if name not in used:
                used.add(name)
                return pieces
        raise AssertionError("the candidate stream never ends")

    def _numbered(self, city: str, key: str, make) -> Iterator[tuple[str, ...]]:
        while True:
            self.counters[(city, key)] += 1
            yield make(geo.chinese_number(self.counters[(city, key)]))

    def name(self, inst: Inst) -> tuple[str, ...]:
        t, rng = inst.t, self.rng
        city = V.city_name(t.city)
        district = V.district_name(t.area)
        street = lambda: rng.choice(V.STREETS)  # noqa: E731
        word = lambda: rng.choice(V.WORDS)  # noqa: E731

        def candidates() -> Iterator[tuple[str, ...]]:
            kind, grade = inst.kind, inst.grade
            if kind == "hospital" and grade == "3A":
                yield from ((city, p) for p in V.HOSPITAL_3A)
                yield from self._numbered(city, "3A", lambda n: (city, f"第{n}人民医院"))
            elif kind == "hospital" and grade in ("3B", "3C", "2A"):
                yield from ((city, district, p) for p in ("人民医院", "中心医院", "中医医院"))
                yield from ((city, p) for p in V.HOSPITAL_MID)
                yield from self._numbered(city, "mid", lambda n: (city, district, f"第{n}医院"))
            elif kind == "hospital" and grade in ("2B", "2C"):
                yield from ((district, p) for p in ("妇幼保健院", "中医医院", "第二人民医院"))
                for _ in range(12):
                    yield (district, word(), "医院")
                yield from self._numbered(city, "2B", lambda n: (district, f"第{n}医院"))
            elif kind == "hospital":
                for _ in range(12):
                    yield (district, street(), "社区医院") if rng.random() < 0.5 else (t.city, word(), "医院")
                yield from self._numbered(city, "1", lambda n: (district, word(), f"第{n}医院"))
            elif kind == "clinic":
                for _ in range(16):
                    r = rng.random()
                    if r < 0.45:
                        yield (district, street(), "社区卫生服务中心")
                    elif r < 0.7:
                        yield (district, street(), "社区卫生服务站")
                    elif r < 0.85:
                        yield (district, word(), "门诊部")
                    else:
                        yield (word(), "诊所")
                yield from self._numbered(city, "clinic", lambda n: (district, street(), f"第{n}门诊部"))
            elif kind == "retail_pharmacy" and inst.chain is not None:
                chain = inst.chain.pieces[1]
                for _ in range(12):
                    yield (chain, "大药房", f"（{street()}店）")
                yield from self._numbered(city, "store" + chain, lambda n: (chain, "大药房", f"（{street()}{n}店）"))
            elif kind == "retail_pharmacy":
                for _ in range(12):
                    yield (word(), "大药房") if rng.random() < 0.5 else (district, word(), "药店")
                yield from self._numbered(city, "pharmacy", lambda n: (district, word(), f"第{n}药店"))
            elif kind == "pharmacy_chain":
                for chain in rng.sample(V.CHAINS, len(V.CHAINS)):
                    yield (city, chain, "医药连锁有限公司")
                yield from self._numbered(city, "chain", lambda n: (city, rng.choice(V.CHAINS), f"第{n}医药连锁有限公司"))
            else:  # distributor
                for w in rng.sample(V.DISTRIBUTOR_WORDS, len(V.DISTRIBUTOR_WORDS)):
                    yield (city, w, "医药有限公司") if inst.primary else (district, w, "医药有限公司")
                yield from self._numbered(city, "dist", lambda n: (district, rng.choice(V.DISTRIBUTOR_WORDS),
                                                                   f"第{n}医药有限公司"))

        return self._take(t.city, candidates())


@dataclass
class Catalogue:
    lines: dict[str, int]  # name → id
    brands: dict[str, list[int]]  # line name → brand ids
    line_of_specialty: dict[str, str]


def _catalogue(ctx: DemoContext) -> Catalogue:
    from products.models import Sku
    from products.services import brand_create, product_line_create, sku_create

    cat = Catalogue(lines={}, brands={}, line_of_specialty={})
    n_sku = 0
    prefix = ctx.plan.spec.prefix
    for line_name, specialties, brands in V.CATALOGUE:
        line = product_line_create(name=line_name)
        cat.lines[line_name] = line.pk
        cat.brands[line_name] = []
        for specialty in specialties:
            cat.line_of_specialty.setdefault(specialty, line_name)
        for brand_name, name_en, generic, skus in brands:
            brand = brand_create(product_line=line, name=brand_name, name_en=name_en, generic_name=generic)
            cat.brands[line_name].append(brand.pk)
            for name, strength, pack, unit, price in skus:
                n_sku += 1
                sku_create(brand=brand, name=name, strength=strength, pack=pack, unit=unit, list_price=price,
                           external_code=f"{prefix}{PREFIX_SEP}SKU{n_sku:04d}")
            if brand_name == "糖平":
                name, strength, pack, unit, price = V.DISCONTINUED_SKU
                n_sku += 1
                sku_create(brand=brand, name=name, strength=strength, pack=pack, unit=unit, list_price=price,
                           external_code=f"{prefix}{PREFIX_SEP}SKU{n_sku:04d}", status=Sku.Status.DISCONTINUED)
    ctx.counts["product lines"] = len(cat.lines)
    ctx.counts["brands"] = sum(len(b) for b in cat.brands.values())
    ctx.counts["SKUs"] = n_sku
    return cat


class Timer:
    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        self.mark = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.ctx.timings[f"cust/{name}"] = now - self.mark
        self.mark = now


#: The demo's customers are on file from the day its organisation began (``START``), so its
#: history (calls, alignments, stages) never predates them — the call service refuses a call
#: dated before its HCP existed.
CREATED_AT = f"'{START.isoformat()} 08:00:00+08'::timestamptz"

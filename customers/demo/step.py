"""The customers step of ``seed_demo``: ``CustomerDemo(ctx, rng).run()``."""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from collections import defaultdict
from collections.abc import Iterator
from itertools import accumulate

from django.db import connection

from accounts.demo.builder import START, DemoContext

from .. import demo_names as V
from .loading import POOL, PREFIX_SEP, Loader, _n
from .plan import (
    CREATED_AT,
    GRADE_SCORE,
    KIND_SCORE,
    KOL_KINDS,
    MAIL_HOSTS,
    POTENTIAL_BASE,
    PREVIOUS_STAGE,
    STAGE_CUM,
    STAGES,
    TARGET_SHARE,
    TITLE_CUM,
    TITLE_SCORE,
    Inst,
    Namer,
    Territory,
    Timer,
    _catalogue,
    _pick,
    _spread,
    _tier,
    territories_of,
)
from .sizes import customer_counts

# --------------------------------------------------------------------------- the step



class CustomerDemo:
    def __init__(self, ctx: DemoContext, rng: random.Random):
        self.ctx = ctx
        self.rng = rng
        self.spec = ctx.plan.spec
        self.today = ctx.tenant.today()
        self.realigned_on = max(START + dt.timedelta(days=200), self.today - dt.timedelta(days=120))
        self.load = Loader(ctx.tenant.pk)
        self.territories = territories_of(ctx)
        self.rep_territory = self._fixed_rep_territory()
        self.insts: list[Inst] = []
        self.kols: list[tuple[int, Inst, str, str]] = []  # (hcp id, institution, specialty, title)
        self.hcp_alignments: list[str] = []
        self.affiliations: list[str] = []
        self.hcp_history: list[str] = []
        self.inst_history: list[str] = []
        self.zw_home: Inst | None = None  # where the demo rep's 张伟 works
        self._draw_pools()
        self.zhang_wei: int | None = None

    def _fixed_rep_territory(self) -> Territory | None:
        fixed = self.ctx.memberships.get(f"rep@{self.spec.domain}")
        return next((t for t in self.territories if fixed and t.holder_id == fixed.pk), None)

    def _code(self, letter: str, n: int) -> str:
        return f"{self.spec.prefix}{PREFIX_SEP}{letter}{n:06d}"

    def _day(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange(max(1, (end - start).days)))

    def _moment(self) -> str:
        """A time in office hours since the demo organisation started (from a drawn pool)."""
        return self.moments[int(self.rng.random() * len(self.moments))]

    def _draw_pools(self) -> None:
        rng, days = self.rng, max(1, (self.today - START).days)
        self.moments = [f"{(START + dt.timedelta(days=rng.randrange(days))).isoformat()} "
                        f"{rng.randrange(8, 19):02d}:{rng.randrange(60):02d}:00+08" for _ in range(POOL)]
        self.lognormal = [rng.lognormvariate(0, 0.5) for _ in range(POOL)]

    # ---------------------------------------------------------------- institutions

    def plan_institutions(self) -> None:
        rng = self.rng
        total, total_hcps = customer_counts(self.spec.slug, self.spec.reps)
        weights = [(1.3 if t.big_city else 1.0) * rng.uniform(0.8, 1.2) for t in self.territories]
        per_territory = _spread(total, weights, rng)
        kinds = [(k, g) for k, g, _n, _h in V.INSTITUTION_MIX]
        expected = [n for _k, _g, n, _h in V.INSTITUTION_MIX]
        big = [n * (1.6 if g in ("3A", "3B") else 1.0) for (_k, g), n in zip(kinds, expected, strict=True)]
        cum, cum_big = list(accumulate(expected)), list(accumulate(big))
        ids = self.load.reserve_ids("customers_institution", total)
        k = 0
        by_district: dict[int, list[Inst]] = defaultdict(list)
        for t, n in zip(self.territories, per_territory, strict=True):
            drawn = [_pick(rng, kinds, cum_big if t.big_city else cum) for _ in range(n)]
            if n and not any(kind == "hospital" and grade in ("3A", "3B", "2A") for kind, grade in drawn):
                drawn[0] = ("hospital", "3A" if t.big_city else "2A")  # every territory has a sizeable hospital
            for kind, grade in sorted(drawn, key=lambda kg: kinds.index(kg)):
                inst = Inst(id=ids[k], t=t, kind=kind, grade=grade)
                k += 1
                self.insts.append(inst)
                by_district[t.district].append(inst)
        # Every district has a primary distributor; a few pharmacies belong to its chains.
        for members in by_district.values():
            dists = [i for i in members if i.kind == "distributor"]
            spares = [i for i in reversed(members) if i.kind == "retail_pharmacy"]
            while len(dists) < (2 if len(members) >= 20 else 1):  # a primary and a sub-distributor
                spare = spares.pop(0) if spares else members[-1]
                spare.kind, spare.grade = "distributor", ""
                dists.append(spare)
            for d in dists[: 1 + len(dists) // 3]:
                d.primary = True
            stores = [i for i in members if i.kind == "retail_pharmacy"]
            if len(stores) >= 6 and not any(i.kind == "pharmacy_chain" for i in members):
                stores[0].kind = "pharmacy_chain"
        namer = Namer(rng)
        letters = {"hospital": "H", "clinic": "C", "retail_pharmacy": "P", "pharmacy_chain": "L", "distributor": "S"}
        counters: dict[str, int] = defaultdict(int)
        for kind in ("distributor", "pharmacy_chain", "hospital", "clinic", "retail_pharmacy"):
            for members in by_district.values():
                chains = [i for i in members if i.kind == "pharmacy_chain"]
                for inst in members:
                    if inst.kind != kind:
                        continue
                    if kind == "retail_pharmacy" and chains and rng.random() < 0.7:
                        inst.chain = rng.choice(chains)
                    inst.pieces = namer.name(inst)
                    inst.name = "".join(inst.pieces)
                    counters[kind] += 1
                    inst.external_code = self._code(letters[kind], counters[kind])
        # HCPs in the master data per institution.
        weight_of = {(k, g): h for k, g, _n, h in V.INSTITUTION_MIX}
        w = [weight_of[(i.kind, i.grade)] * rng.uniform(0.6, 1.4) for i in self.insts]
        for inst, n in zip(self.insts, _spread(total_hcps, w, rng), strict=True):
            inst.n_hcps = n
        if self.rep_territory is not None:  # 张伟 needs a doctor's office in the rep's book
            best = max((i for i in self.insts if i.t is self.rep_territory and i.kind == "hospital"),
                       key=lambda i: (i.n_hcps, -i.id))
            best.n_hcps = max(best.n_hcps, 1)
            self.zw_home = best

    def load_institutions(self) -> None:
        rng = self.rng
        def lines() -> Iterator[str]:
            for inst in self.insts:
                t = inst.t
                kind, grade = inst.kind, inst.grade
                pinyin, initials, alt = V.place_keys(inst.pieces)
                city = V.city_name(t.city)
                district = V.district_name(t.area)
                province = t.province
                beds = rng.randint(*V.BEDS[grade]) if kind == "hospital" else (
                    rng.choice([None, 0, 10, 20]) if kind == "clinic" else None)
                if kind == "hospital":
                    ownership = "public" if grade[0] in "32" and rng.random() < 0.9 else rng.choice(
                        ["private", "private", "military", "other"])
                else:
                    ownership = "public" if kind == "clinic" and "社区" in inst.name else "private"
                prefix = "12" if ownership == "public" else ("52" if kind in ("hospital", "clinic") else "91")
                national = V.credit_code(f"{prefix}{V.PROVINCE_CODES.get(province, '110000')}{rng.randrange(10**9):09d}")
                area_code = V.AREA_CODES.get(t.city)
                phone = f"{area_code}{rng.randrange(2, 9)}{rng.randrange(10**7):07d}" if (
                    area_code and kind in ("hospital", "distributor", "pharmacy_chain")) else ""
                address = ("" if province == city else province) + f"{city}{district}{rng.choice(V.STREETS)}" \
                    f"{rng.randrange(1, 999)}号"
                score = GRADE_SCORE.get(grade, 0.0) * 2 if kind == "hospital" else KIND_SCORE[kind] * 5
                tier = "" if kind == "distributor" else _tier(score + rng.uniform(0.0, 2.0))
                inst.tier = tier
                stage = "active" if kind == "distributor" else _pick(rng, STAGES, STAGE_CUM[tier])
                inst.stage = stage
                base = {"hospital": 2_000_000 * GRADE_SCORE.get(grade, 0.3) ** 2, "clinic": 80_000,
                        "retail_pharmacy": 150_000, "pharmacy_chain": 3_000_000, "distributor": 0}[kind]
                potential = f"{base * self.lognormal[int(rng.random() * POOL)]:.2f}"
                status = "inactive" if stage == "terminated" and rng.random() < 0.3 else "active"
                changed = self._moment() if stage != "prospect" else f"{START.isoformat()} 09:00:00+08"
                yield (f"{inst.id}\t{inst.name}\t{pinyin}\t{initials}\t{alt}\t{inst.external_code}\t{status}\t"
                       f"{stage}\t{changed}\t{tier}\t{potential}\t{kind}\t{grade}\t{_n(beds)}\t{ownership}\t"
                       f"{province}\t{city}\t{district}\t{address}\t{national}\t{phone}\n")
                if stage != "prospect":
                    self.inst_history.append(
                        f"{inst.id}\t{PREVIOUS_STAGE[stage]}\t{stage}\t{_n(t.holder_id)}\t{changed}\t"
                        f"{V.STAGE_REASONS[stage]}\n")

        n = self.load.load(
            "customers_institution",
            ["id", "name", "name_pinyin", "initials", "search_alt", "external_code", "status", "stage",
             "stage_changed_at", "tier", "potential", "kind", "grade", "beds", "ownership", "province", "city",
             "district", "address", "national_code", "phone"],
            lines(), {"code": "gen_random_uuid()", "created_at": CREATED_AT, "updated_at": "now()"})
        self.ctx.counts["institutions"] = n

    def load_departments(self) -> None:
        order = {s: k for k, s in enumerate(V._DEPT_ORDER)}
        dept_name = {s: name for s, name, _w in V.DEPARTMENTS}
        hospitals = [i for i in self.insts if i.kind == "hospital"]
        wanted = [sorted(V._DEPT_ORDER[: V.DEPARTMENTS_BY_GRADE[i.grade]], key=order.get) for i in hospitals]
        ids = iter(self.load.reserve_ids("customers_department", sum(len(w) for w in wanted)))
        for inst, specialties in zip(hospitals, wanted, strict=True):
            inst.depts = [(next(ids), dept_name[s], s) for s in specialties]

        def lines() -> Iterator[str]:
            for inst in hospitals:
                for pk, name, specialty in inst.depts:
                    yield f"{pk}\t{inst.id}\t{name}\t{specialty}\n"

        self.ctx.counts["departments"] = self.load.load(
            "customers_department", ["id", "institution_id", "name", "specialty"], lines(),
            {"code": "gen_random_uuid()", "is_active": "true"})

    # ---------------------------------------------------------------- HCPs

    def hcp_lines(self) -> Iterator[str]:
        rng = self.rng
        surnames, cum = V.SURNAME_LIST, V.SURNAME_CUM
        given_chars = V.GIVEN
        n_given = len(given_chars)
        person_keys = V.person_keys
        dept_weight = {s: w for s, _n, w in V.DEPARTMENTS}
        line_of = self.catalogue.line_of_specialty
        lines_id = self.catalogue.lines
        ids = self.hcp_ids
        moments, lognormal = self.moments, self.lognormal
        prefixes, n_prefixes = V.MOBILE_PREFIXES, len(V.MOBILE_PREFIXES)
        code_prefix = f"{self.spec.prefix}{PREFIX_SEP}D"
        k = 0
        seq = 0
        phone_mul, phone_add = 48_271, rng.randrange(10**8)
        book = self.rep_territory
        start_txt = f"{START.isoformat()} 09:00:00+08"
        stage_cum, title_cum = STAGE_CUM, TITLE_CUM
        for inst in self.insts:
            if not inst.n_hcps:
                continue
            kind, grade = inst.kind, inst.grade
            in_book = book is not None and (inst.t is book or (inst.t.oncology is book and grade == "3A"))
            base_score = GRADE_SCORE.get(grade, 0.0) if kind == "hospital" else KIND_SCORE[kind]
            if inst.depts:
                depts = inst.depts
                dept_cum = list(accumulate(dept_weight[s] for _pk, _n, s in depts))
            else:
                depts = None
            names = rng.choices(surnames, cum_weights=cum, k=inst.n_hcps)
            for j, surname in enumerate(names):
                hcp_id = ids[k]
                k += 1
                seq += 1
                if depts is not None:
                    dept_id, _dn, specialty = depts[bisect(dept_cum, rng.random() * dept_cum[-1])]
                    setting = "hospital_pharmacy" if specialty == "pharmacy" else "doctor"
                elif kind == "clinic":
                    dept_id, specialty, setting = None, "general", "clinic"
                else:
                    dept_id, specialty, setting = None, "pharmacy", "pharmacy"
                titles, tcum = title_cum[setting]
                title = titles[bisect(tcum, rng.random() * tcum[-1])]
                if inst is self.zw_home and j == 0:
                    surname, given = "张", "伟"
                    specialty, title = "cardiology", "chief"
                    dept_id = next((pk for pk, _n, s in depts if s == "cardiology"), dept_id)
                    self.zhang_wei = hcp_id
                else:
                    while True:
                        if rng.random() < 0.25:
                            given = given_chars[int(rng.random() * n_given)]
                        else:
                            a, b = int(rng.random() * n_given), int(rng.random() * n_given)
                            if a == b:
                                continue
                            given = given_chars[a] + given_chars[b]
                        if not (in_book and surname == "张" and given[0] == "伟"):
                            break
                name = surname + given
                pinyin, initials, alt = person_keys(surname, given)
                kol = hcp_id == self.zhang_wei or (title in ("chief", "associate_chief") and grade in ("3A", "3B")
                                                   and rng.random() < (0.22 if title == "chief" else 0.07))
                tier = "A" if kol else _tier(base_score + TITLE_SCORE[title] + rng.random() * 2.5)
                target = rng.random() < TARGET_SHARE[tier]
                stage = STAGES[bisect(stage_cum[tier], rng.random() * stage_cum[tier][-1])]
                if not target and stage == "key":
                    stage = "active"
                status = "inactive" if stage == "terminated" and rng.random() < 0.3 else "active"
                if hcp_id == self.zhang_wei:  # the browser journey's doctor: a key customer, in every list
                    stage, status, target = "key", "active", True
                potential = POTENTIAL_BASE[tier] * (0.3 if setting == "pharmacy" else 1.0) * lognormal[
                    int(rng.random() * POOL)]
                changed = moments[int(rng.random() * POOL)] if stage != "prospect" else start_txt
                r = rng.random()
                phone = f"{prefixes[int(r / 0.9 * n_prefixes)]}{(seq * phone_mul + phone_add) % 10**8:08d}" \
                    if r < 0.9 else ""
                email = f"{pinyin}{seq % 1000}@{MAIL_HOSTS[seq % 4]}" if rng.random() < 0.15 else ""
                gender = "M" if rng.random() < 0.52 else "F"
                yield (f"{hcp_id}\t{name}\t{pinyin}\t{initials}\t{alt}\t{code_prefix}{seq:07d}\t{status}\t"
                       f"{stage}\t{changed}\t{tier}\t{potential:.2f}\t{gender}\t{title}\t{specialty}\t{phone}\t"
                       f"{email}\t{'t' if kol else 'f'}\t{'t' if target else 'f'}\t{inst.id}\t{_n(dept_id)}\n")
                if kol:
                    self.kols.append((hcp_id, inst, specialty, title))
                    line = line_of.get(specialty)
                    if line:
                        territory = inst.t.oncology if line == "肿瘤" and grade == "3A" else inst.t
                        self.hcp_alignments.append(
                            f"\\N\t{hcp_id}\t{territory.node_id}\t{lines_id[line]}\t{START.isoformat()}\t\\N\tmanual\n")
                if stage != "prospect" and (in_book or kol or rng.random() < 0.03):
                    self.hcp_history.append(f"{hcp_id}\t{PREVIOUS_STAGE[stage]}\t{stage}\t"
                                            f"{_n(inst.t.holder_id)}\t{changed}\t{V.STAGE_REASONS[stage]}\n")
                if title in ("chief", "associate_chief") and grade in ("3A", "3B") and rng.random() < 0.15:
                    self._affiliate(hcp_id, inst, specialty)

    def _affiliate(self, hcp_id: int, inst: Inst, specialty: str) -> None:
        others = self.district_hospitals[inst.t.district]
        if len(others) < 2:
            return
        other = others[int(self.rng.random() * len(others))]
        if other is inst:
            return
        dept = next((pk for pk, _n, s in other.depts if s == specialty), None)
        start = self._day(dt.date(2018, 1, 1), self.today)
        end = self._day(start, self.today).isoformat() if self.rng.random() < 0.1 else "\\N"
        self.affiliations.append(f"{hcp_id}\t{other.id}\t{_n(dept)}\t{self.rng.choice(V.AFFILIATION_ROLES)}\t"
                                 f"{start.isoformat()}\t{end}\n")

    def load_hcps(self) -> None:
        self.district_hospitals: dict[int, list[Inst]] = defaultdict(list)
        for inst in self.insts:
            if inst.kind == "hospital" and inst.grade in ("3A", "3B", "3C", "2A"):
                self.district_hospitals[inst.t.district].append(inst)
        self.hcp_ids = self.load.reserve_ids("customers_hcp", sum(i.n_hcps for i in self.insts))
        self.ctx.counts["HCPs"] = self.load.load(
            "customers_hcp",
            ["id", "name", "name_pinyin", "initials", "search_alt", "external_code", "status", "stage",
             "stage_changed_at", "tier", "potential", "gender", "title", "specialty", "phone", "email", "is_kol",
             "is_target", "institution_id", "department_id"],
            self.hcp_lines(), {"code": "gen_random_uuid()", "created_at": CREATED_AT, "updated_at": "now()"})

    # ---------------------------------------------------------------- alignments

    def load_alignments(self) -> None:
        rng, lines_id = self.rng, self.catalogue.lines
        start, realigned = START.isoformat(), self.realigned_on
        by_district: dict[int, list[Territory]] = defaultdict(list)
        for t in self.territories:
            by_district[t.district].append(t)

        def lines() -> Iterator[str]:
            # About 3 % of the institutions came from a neighbouring territory at the last realignment.
            movable = [i for i in self.insts if len(by_district[i.t.district]) > 1 and i.t is not self.rep_territory]
            moved_ids = {i.id for i in rng.sample(movable, min(len(movable), max(2, round(0.03 * len(self.insts)))))}
            for inst in self.insts:
                t = inst.t
                neighbours = by_district[t.district]
                moved = inst.id in moved_ids
                since, source = (realigned.isoformat(), "realignment") if moved else (start, "manual")
                for line in V.LINES_FOR[(inst.kind, inst.grade)]:
                    territory = t.oncology if line == "肿瘤" and inst.grade == "3A" else t
                    yield f"{inst.id}\t\\N\t{territory.node_id}\t{lines_id[line]}\t{since}\t\\N\t{source}\n"
                    if moved:
                        before = neighbours[(neighbours.index(t) + 1) % len(neighbours)]
                        yield (f"{inst.id}\t\\N\t{before.node_id}\t{lines_id[line]}\t{start}\t"
                               f"{(realigned - dt.timedelta(days=1)).isoformat()}\tmanual\n")
            yield from self.hcp_alignments

        self.ctx.counts["alignments"] = self.load.load(
            "customers_alignment",
            ["institution_id", "hcp_id", "territory_id", "product_line_id", "start_date", "end_date", "source"],
            lines(), {"code": "gen_random_uuid()", "created_at": "now()"})

    # ---------------------------------------------------------------- supply network

    def load_network(self) -> None:
        rng = self.rng
        brands = self.catalogue.brands
        by_district: dict[int, list[Inst]] = defaultdict(list)
        for inst in self.insts:
            by_district[inst.t.district].append(inst)
        first = dt.date(2022, 1, 1)

        def relation(supplier: Inst, customer: Inst, brand: int | None) -> str:
            start = self._day(first, START + dt.timedelta(days=365))
            end = "\\N"
            if rng.random() < 0.05:
                end = self._day(start + dt.timedelta(days=30), self.today).isoformat()
            return f"{supplier.id}\t{customer.id}\t{_n(brand)}\t{start.isoformat()}\t{end}\n"

        def lines() -> Iterator[str]:
            for members in by_district.values():
                primaries = [i for i in members if i.kind == "distributor" and i.primary]
                subs = [i for i in members if i.kind == "distributor" and not i.primary] or primaries
                for sub in subs:
                    if not sub.primary:
                        yield relation(rng.choice(primaries), sub, None)
                for inst in members:
                    if inst.kind == "hospital" and inst.grade in ("3A", "3B", "3C", "2A"):
                        suppliers = rng.sample(primaries, min(len(primaries), rng.choice([1, 1, 2])))
                        for supplier in suppliers:
                            if rng.random() < 0.7:
                                yield relation(supplier, inst, None)
                            else:
                                lines_here = V.LINES_FOR[(inst.kind, inst.grade)]
                                pool = [b for line in lines_here for b in brands[line]]
                                for brand in rng.sample(pool, min(2, len(pool))):
                                    yield relation(supplier, inst, brand)
                    elif inst.kind == "hospital" or (inst.kind == "clinic" and rng.random() < 0.5):
                        yield relation(rng.choice(subs), inst, None)
                    elif inst.kind == "pharmacy_chain":
                        yield relation(rng.choice(primaries), inst, None)
                    elif inst.kind == "retail_pharmacy":
                        yield relation(inst.chain if inst.chain is not None else rng.choice(subs), inst, None)

        self.ctx.counts["supply relations"] = self.load.load(
            "customers_supplyrelation", ["supplier_id", "customer_id", "brand_id", "start_date", "end_date"],
            lines(), {"code": "gen_random_uuid()"})

    # ---------------------------------------------------------------- affiliations, KOL links, history

    def load_relations(self) -> None:
        rng = self.rng
        self.ctx.counts["affiliations"] = self.load.load(
            "customers_affiliation", ["hcp_id", "institution_id", "department_id", "role", "start_date", "end_date"],
            self.affiliations, {"code": "gen_random_uuid()"})
        groups: dict[tuple[int, str], list[tuple[int, Inst, str, str]]] = defaultdict(list)
        for kol in self.kols:
            groups[(kol[1].t.district, kol[2])].append(kol)

        def links() -> Iterator[str]:
            seen: set[tuple[int, int, str]] = set()
            for members in groups.values():
                members.sort(key=lambda m: (m[3] != "chief", m[0]))  # chiefs first: they mentor
                for j, (target, _inst, _s, _t) in enumerate(members[1:], start=1):
                    source = members[int(rng.random() * j)][0]
                    kind = "mentor" if members[0][3] == "chief" and rng.random() < 0.5 else rng.choice(KOL_KINDS)
                    if (source, target, kind) not in seen:
                        seen.add((source, target, kind))
                        yield f"{source}\t{target}\t{kind}\t\n"

        self.ctx.counts["KOL links"] = self.load.load(
            "customers_kollink", ["source_id", "target_id", "kind", "note"], links(), {"code": "gen_random_uuid()"})

    def load_history(self) -> None:
        cols = ["from_stage", "to_stage", "changed_by_id", "changed_at", "reason"]
        n = self.load.load("customers_stagechange", ["institution_id", *cols], self.inst_history)
        n += self.load.load("customers_stagechange", ["hcp_id", *cols], self.hcp_history)
        self.ctx.counts["stage changes"] = n

    def run(self) -> None:
        timer = Timer(self.ctx)
        self.catalogue = _catalogue(self.ctx)
        timer.lap("products")
        self.plan_institutions()
        timer.lap("plan")
        self.load_institutions()
        timer.lap("institutions")
        self.load_departments()
        timer.lap("departments")
        self.load_hcps()
        timer.lap("hcps")
        self.load_alignments()
        timer.lap("alignments")
        self.load_network()
        timer.lap("network")
        self.load_relations()
        self.load_history()
        timer.lap("links+history")
        # The deferred key checks of these rows run now rather than at the commit, so the
        # step's time includes them; every key stays deferrable for the later steps.
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
        timer.lap("key checks")
        # Statistics for what this transaction loaded: the later steps (change requests,
        # segmentation) query it with visibility subqueries, which the planner, knowing
        # nothing of a million fresh rows, planned as loops that ran for minutes. ANALYZE
        # inside the transaction counts its own rows; the application role may run it
        # through MAINTAIN (sfe.core.schema; on PostgreSQL 17 and later, else it is skipped).
        with connection.cursor() as cur:
            cur.execute("ANALYZE " + ", ".join(ANALYZED))
        timer.lap("analyze")
        self.ctx.timings["cust/(python)"] = self.load.python_s



ANALYZED = ("customers_institution", "customers_department", "customers_hcp", "customers_alignment",
            "customers_affiliation", "accounts_orgnode", "accounts_position", "accounts_membership")


def step_customers(ctx: DemoContext) -> None:
    rng = random.Random(f"customers:{ctx.plan.spec.slug}:{ctx.rng.getrandbits(64)}")  # noqa: S311 - demo data
    CustomerDemo(ctx, rng).run()

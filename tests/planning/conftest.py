"""Planning fixtures: generated customers with tiers, alignments and frequency targets.

``pw`` gives tenant A two product lines (心血管, the primary one: tiers from the HCPs' own
``tier`` column; 肿瘤: tiers from ``CustomerTier`` rows), 6 institutions and 80 HCPs with
random tiers, aligned at random — directly or through their institution, to the rep's
territory (t1), t2 or rep2's (t3), some alignments ended before the cycle — some HCPs
merged or terminated; frequency targets for both lines; the monthly cycles of this year
and the next; a two-step chain for ``cycle_plan`` (the rep's manager, then an admin).
Tenant B has one line, one HCP aligned to its rep, targets and cycles of its own.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.utils import timezone

TIERS = ["A", "B", "C", "D", ""]


@dataclass
class PW:
    world: object
    line: object = None
    line2: object = None
    institutions: list = field(default_factory=list)
    hcps: list = field(default_factory=list)
    #: What was generated, for the independent computation: hcp id -> dict.
    spec: dict = field(default_factory=dict)
    inst_align: list = field(default_factory=list)  # (institution id, line id, node key, start, end)
    hcp_align: list = field(default_factory=list)  # (hcp id, line id, node key, start, end)
    targets: dict = field(default_factory=dict)  # (line id, tier) -> calls
    cycle: object = None
    b_hcp: object = None
    b_cycle: object = None

    def member(self, role="rep", tenant="a"):
        return self.world.users[tenant][role].membership_row


def build(world, *, chain=True) -> PW:
    from accounts.models import OrgNode  # noqa: F401
    from calls.planning.models import Cycle
    from calls.planning.services import cycles_make_months, frequency_targets_set
    from customers.models import Alignment, Hcp, Institution
    from customers.segmentation.models import CustomerTier, SegmentationSettings
    from products.services import product_line_create

    pw = PW(world=world)
    rng = random.Random(11)  # noqa: S311 - test data
    nodes = world.nodes["a"]
    today = world.tenants["a"].today()
    with world.scope("a"), transaction.atomic():
        cycles_make_months(year=today.year)
        cycles_make_months(year=today.year + 1)
        pw.cycle = Cycle.objects.get(start_date__lte=today, end_date__gte=today)
        start = pw.cycle.start_date
        pw.line = product_line_create(name="心血管")
        pw.line2 = product_line_create(name="肿瘤")
        SegmentationSettings.objects.create(primary_product_line=pw.line)
        pw.institutions = Institution.objects.bulk_create([
            Institution(name=f"规划医院{i}", name_pinyin=f"guihuayiyuan{i}", kind="hospital", province="上海市",
                        city="上海市") for i in range(6)])
        hcps = []
        for i in range(80):
            roll = rng.random()
            hcps.append(Hcp(name=f"规划医生{i:02d}", name_pinyin=f"guihuayisheng{i:02d}",
                            institution=rng.choice(pw.institutions), tier=rng.choice(TIERS),
                            stage="terminated" if roll < 0.05 else "active"))
            hcps[-1].merged = i > 0 and 0.05 <= roll < 0.09
        pw.hcps = Hcp.objects.bulk_create(hcps)
        merged = [h.pk for h, spec in zip(pw.hcps, hcps, strict=True) if spec.merged]
        Hcp.objects.filter(pk__in=merged).update(status="merged", merged_into=pw.hcps[0])
        for h in pw.hcps:
            if h.pk in merged:
                h.status = "merged"
        for h in pw.hcps:
            pw.spec[h.pk] = {"tier": h.tier, "live": h.status != "merged" and h.stage != "terminated",
                             "institution_id": h.institution_id, "tiers2": ""}
        now = timezone.now()
        tiers2 = []
        for h in pw.hcps:
            if rng.random() < 0.7:
                t = rng.choice(["A", "B", "C"])
                pw.spec[h.pk]["tiers2"] = t
                tiers2.append(CustomerTier(hcp=h, product_line=pw.line2, tier=t, computed_tier=t, changed_at=now))
            if rng.random() < 0.15:  # a tier row for the primary line wins over the column
                t = rng.choice(["A", "D"])
                pw.spec[h.pk]["tier_row"] = t
                tiers2.append(CustomerTier(hcp=h, product_line=pw.line, tier=t, computed_tier=t, changed_at=now))
        CustomerTier.objects.bulk_create(tiers2)
        aligns = []
        spans = [(start - dt.timedelta(days=40), None), (start - dt.timedelta(days=40), start - dt.timedelta(days=1)),
                 (start, None), (start + dt.timedelta(days=3), None)]
        for inst in pw.institutions:
            for line in (pw.line, pw.line2):
                if rng.random() < 0.5:
                    key = rng.choice(["t1", "t2", "t3"])
                    s, e = rng.choice(spans)
                    pw.inst_align.append((inst.pk, line.pk, key, s, e))
                    aligns.append(Alignment(institution=inst, territory=nodes[key], product_line=line,
                                            start_date=s, end_date=e))
        for h in pw.hcps:
            for line in (pw.line, pw.line2):
                if rng.random() < 0.6:
                    key = rng.choice(["t1", "t1", "t2", "t3"])
                    s, e = rng.choice(spans)
                    pw.hcp_align.append((h.pk, line.pk, key, s, e))
                    aligns.append(Alignment(hcp=h, territory=nodes[key], product_line=line, start_date=s, end_date=e))
        Alignment.objects.bulk_create(aligns)
        for line, values in ((pw.line, {"A": 4, "B": 2, "C": 1, "D": ""}), (pw.line2, {"A": 3, "B": 1, "C": 0})):
            frequency_targets_set(product_line=line, calls=values)
            for t, n in values.items():
                if n != "":
                    pw.targets[(line.pk, t)] = n
    with world.scope("b"), transaction.atomic():
        from tests.customers.factories import make_hcp, make_institution

        cycles_make_months(year=today.year)
        pw.b_cycle = Cycle.objects.get(start_date__lte=today, end_date__gte=today)
        b_line = product_line_create(name="心血管")
        inst = make_institution("乙方医院")
        pw.b_hcp = make_hcp("乙方医生", institution=inst)
        Hcp.objects.filter(pk=pw.b_hcp.pk).update(tier="A")
        Alignment.objects.create(hcp=pw.b_hcp, territory=world.nodes["b"]["t1"], product_line=b_line,
                                 start_date=today - dt.timedelta(days=60))
        SegmentationSettings.objects.create(primary_product_line=b_line)
        frequency_targets_set(product_line=b_line, calls={"A": 2})
    if chain:
        from approvals.models import ApproverKind
        from tests.approvals.conftest import make_chain

        make_chain(world, request_type="cycle_plan", steps=[{"kind": ApproverKind.DIRECT_MANAGER}])
    return pw


@pytest.fixture
def pw(world):
    return build(world)


@pytest.fixture
def tpw(tworld):
    return build(tworld)

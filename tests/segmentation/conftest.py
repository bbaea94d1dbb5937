"""Segmentation fixtures: generated customers with many ties and gaps, in both tenants.

``seg`` (and ``tseg`` for transactional tests) gives tenant A two product lines (心脑血管,
the primary one, and 肿瘤), 14 institutions and 300 HCPs drawn from small value sets (so
values tie, also at the thresholds the tests use), some terminated, inactive or without
data; tenant B one product line and 20 HCPs of its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction

from customers.segmentation.measures import Measure, register_measure

#: Test measures over the phone column (a number or empty): without data → NULL, or 0.
TEST_MEASURES = [
    Measure(key="test.phone", label="phone as a number", kind="hcp",
            sql="SELECT id, phone::numeric FROM customers_hcp WHERE tenant_id = %(tenant)s AND phone <> ''"),
    Measure(key="test.phone0", label="phone as a number, 0 if none", kind="hcp", missing=0,
            sql="SELECT id, phone::numeric FROM customers_hcp WHERE tenant_id = %(tenant)s AND phone <> ''"),
]
for _m in TEST_MEASURES:
    register_measure(_m)

POTENTIALS = [0, 500, 1000, 1000, 2000, 5000, 5000, 10000]
TITLES = ["chief", "associate_chief", "attending", "resident", "pharmacist", "nurse", "other", ""]
STAGES = ["prospect", "developing", "active", "active", "key", "dormant", "terminated"]
SPECIALTIES = ["cardiology", "oncology", "endocrinology", "respiratory"]
PHONES = ["", "", "1", "2", "3", "3", "5", "8", "13"]
GRADES = ["3A", "3B", "2A", "2B", "1", ""]
BEDS = [None, 100, 300, 300, 800, 1500]


@dataclass
class Seg:
    world: object
    line: object = None
    line2: object = None
    institutions: list = field(default_factory=list)
    hcp_ids: list = field(default_factory=list)
    b_line: object = None
    b_hcp_ids: list = field(default_factory=list)

    def member(self, role="analyst", tenant="a"):
        return self.world.users[tenant][role].membership_row


def make_customers(rng: random.Random, n_hcps: int, n_inst: int, prefix: str):
    from customers.models import Hcp, Institution

    kinds = ["hospital"] * (n_inst - 4) + ["retail_pharmacy", "pharmacy_chain", "distributor", "distributor"]
    insts = Institution.objects.bulk_create([
        Institution(name=f"{prefix}医院{i}", name_pinyin=f"{prefix}yiyuan{i}", kind=kinds[i],
                    grade=rng.choice(GRADES) if kinds[i] == "hospital" else "", beds=rng.choice(BEDS),
                    province="上海市", city=rng.choice(["上海市", "杭州市"]),
                    potential=Decimal(rng.choice(POTENTIALS)), stage=rng.choice(STAGES[:-1]))
        for i in range(n_inst)])
    hcps = Hcp.objects.bulk_create([
        Hcp(name=f"{prefix}医生{i}", name_pinyin=f"{prefix}yisheng{i}", institution=rng.choice(insts),
            title=rng.choice(TITLES), specialty=rng.choice(SPECIALTIES), potential=Decimal(rng.choice(POTENTIALS)),
            is_kol=rng.random() < 0.1, stage=rng.choice(STAGES), phone=rng.choice(PHONES),
            status="inactive" if rng.random() < 0.03 else "active")
        for i in range(n_hcps)])
    return insts, [h.pk for h in hcps]


def build(world) -> Seg:
    from customers.segmentation.services import settings_update
    from products.services import product_line_create

    seg = Seg(world=world)
    rng = random.Random(7)  # noqa: S311 - test data
    with world.scope("a"), transaction.atomic():
        seg.line = product_line_create(name="心脑血管")
        seg.line2 = product_line_create(name="肿瘤")
        seg.institutions, seg.hcp_ids = make_customers(rng, 300, 14, "甲")
        settings_update(primary_product_line=seg.line)
    with world.scope("b"), transaction.atomic():
        seg.b_line = product_line_create(name="心血管")
        _insts, seg.b_hcp_ids = make_customers(rng, 20, 5, "乙")
        settings_update(primary_product_line=seg.b_line)
    return seg


@pytest.fixture
def seg(world):
    return build(world)


@pytest.fixture
def tseg(tworld):
    return build(tworld)


MATRIX = {
    "method": "matrix",
    "potential": {"measure": "hcp.potential", "by": "value", "thresholds": [1000, 5000]},
    "adoption": {"measure": "test.phone", "by": "percentile", "thresholds": [25, 50, 75]},
    "grid": [["D", "D", "C", "C"], ["C", "C", "B", "B"], ["B", "B", "A", "A"]],
}
#: Built-in measures only (for workers that do not register the test measures).
BUILTIN_MATRIX = {**MATRIX, "adoption": {"measure": "hcp.title_rank", "by": "percentile", "thresholds": [25, 50, 75]}}
SCORE = {
    "method": "score", "normalise": "percent_rank",
    "weights": {"hcp.potential": 50, "hcp.title_rank": 30, "test.phone0": 20},
    "cut": "share", "cutoffs": {"A": 10, "B": 20, "C": 30},
}

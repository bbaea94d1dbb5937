"""Samples fixtures: tenant A's catalogue of two SKUs, an HCP, stock for ``rep`` (lot L1:
10 units, far expiry; lot L2: 5 units, expiring in 20 days; lot LX: 3 units, expired), a
draft call of ``rep`` and one of ``rep2``; tenant B a call of its own rep."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone


@dataclass
class Smp:
    world: object
    sku1: object = None
    sku2: object = None
    lot1: object = None
    lot2: object = None
    lotx: object = None
    hcp: object = None
    inst: object = None
    call: object = None
    call2: object = None
    b_call: object = None
    extra: dict = field(default_factory=dict)

    def m(self, role="rep", tenant="a"):
        return self.world.users[tenant][role].membership_row

    def scope(self, tenant="a"):
        return self.world.scope(tenant)


def make_call(*, rep, hcp, inst, territory=None, status="draft", at=None, **extra):
    from calls.models import Call

    at = at or timezone.now() - dt.timedelta(hours=1)
    return Call.objects.create(rep=rep, territory=territory, hcp=hcp, institution=inst, at=at,
                               day=timezone.localtime(at).date(), status=status,
                               submitted_at=at if status == "submitted" else None, **extra)


def make_catalogue(suffix=""):
    from products.services import brand_create, product_line_create, sku_create

    line = product_line_create(name=f"样品线{suffix}")
    brand = brand_create(product_line=line, name=f"立普妥{suffix}")
    sku1 = sku_create(brand=brand, name=f"立普妥{suffix}", strength="10 mg", pack="7片", list_price=Decimal("5.00"))
    sku2 = sku_create(brand=brand, name=f"立普妥{suffix}", strength="20 mg", pack="7片", list_price=Decimal("8.00"))
    return sku1, sku2


def build(world) -> Smp:
    from calls.samples.models import SampleLot
    from calls.samples.services import stock_receive
    from tests.customers.factories import make_hcp, make_institution

    s = Smp(world=world)
    with world.scope("a"), transaction.atomic():
        today = world.tenants["a"].today()
        s.sku1, s.sku2 = make_catalogue()
        s.inst = make_institution("样品医院", external_code="SMPH1")
        s.hcp = make_hcp("赵敏", institution=s.inst, external_code="SMPD1")
        stock_receive(rep=s.m("rep"), by=s.m("admin"), code=uuid.uuid4(), lines=[
            {"sku": s.sku1, "lot_number": "L1", "expiry": today + dt.timedelta(days=400), "quantity": 10},
            {"sku": s.sku2, "lot_number": "L2", "expiry": today + dt.timedelta(days=20), "quantity": 5},
            {"sku": s.sku1, "lot_number": "LX", "expiry": today - dt.timedelta(days=1), "quantity": 3},
        ])
        s.lot1 = SampleLot.objects.get(lot_number="L1")
        s.lot2 = SampleLot.objects.get(lot_number="L2")
        s.lotx = SampleLot.objects.get(lot_number="LX")
        s.call = make_call(rep=s.m("rep"), hcp=s.hcp, inst=s.inst, territory=world.nodes["a"]["t1"])
        s.call2 = make_call(rep=s.m("rep2"), hcp=s.hcp, inst=s.inst, territory=world.nodes["a"]["t3"])
    with world.scope("b"), transaction.atomic():
        b_sku, _ = make_catalogue("乙")
        b_inst = make_institution("乙方医院", external_code="SMPH1")
        b_hcp = make_hcp("赵敏", institution=b_inst, external_code="SMPD1")
        s.b_call = make_call(rep=s.m("rep", "b"), hcp=b_hcp, inst=b_inst, territory=world.nodes["b"]["t1"])
        stock_receive(rep=s.m("rep", "b"), by=s.m("admin", "b"), code=uuid.uuid4(), lines=[
            {"sku": b_sku, "lot_number": "B1", "expiry": today + dt.timedelta(days=400), "quantity": 7}])
    return s


SVG = "M10 10 L20 20 L30 15 M40 40 L50 45"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def stock(s: Smp, lot, role="rep") -> int:
    from calls.samples.models import SampleStock

    return SampleStock.objects.filter(rep=s.m(role), lot=lot).values_list("quantity", flat=True).first() or 0


@pytest.fixture
def smp(world):
    return build(world)


@pytest.fixture
def tsmp(tworld):
    return build(tworld)

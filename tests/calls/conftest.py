"""Calls fixtures: tenant A's customers (``tests.customers.factories``: ``h1``/``zw`` seen by
the rep, ``h3`` by rep2, ``h2`` by the manager through the district), two brands with key
messages, institution coordinates, and HCPs backdated so calls of the last days are
allowed; tenant B gets one HCP of its own."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

# 上海市第一人民医院 (i1) and a point about 5.5 km east of it.
I1_LAT, I1_LNG = Decimal("31.245000"), Decimal("121.480000")
FAR_LAT, FAR_LNG = "31.245000", "121.538000"


@dataclass
class CallsWorld:
    world: object
    c: object = None
    brand1: object = None
    brand2: object = None
    km: dict = field(default_factory=dict)
    b_hcp: object = None
    b_brand: object = None

    def m(self, role="rep", tenant="a"):
        return self.world.users[tenant][role].membership_row

    def user(self, role="rep", tenant="a"):
        return self.world.users[tenant][role]

    def raw(self, **over) -> dict:
        """A valid face-to-face call on ``zw`` (at i1) an hour ago, two products in order."""
        raw = {"call_type": "f2f", "hcp": str(self.c.zw.code), "at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
               "products": [{"brand": str(self.brand1.code), "messages": [str(self.km["b1a"].code), str(self.km["b1b"].code)]},
                            {"brand": str(self.brand2.code), "messages": [str(self.km["b2a"].code)]}],
               "notes": "讨论了疗效", "next_step": "送文献"}
        raw.update(over)
        return raw


def backdate_customers(days: int = 60) -> None:
    from customers.models import Hcp, Institution

    then = timezone.now() - dt.timedelta(days=days)
    Hcp.objects.update(created_at=then)
    Institution.objects.update(created_at=then)


def make_calls_world(world) -> CallsWorld:
    from calls.services import key_message_create
    from customers.models import Institution
    from customers.services.alignment import align
    from products.services import brand_create, product_line_create
    from tests.customers.factories import make_customers_a, make_hcp, make_institution

    cw = CallsWorld(world=world)
    with world.scope("a"), transaction.atomic():
        cw.c = make_customers_a(world)
        Institution.objects.filter(pk=cw.c.i1.pk).update(latitude=I1_LAT, longitude=I1_LNG)
        cw.c.i1.refresh_from_db()
        cw.brand1 = brand_create(product_line=cw.c.line, name="立普妥")
        cw.brand2 = brand_create(product_line=cw.c.line, name="络活喜")
        cw.km["b1a"] = key_message_create(brand=cw.brand1, text="每日一次")
        cw.km["b1b"] = key_message_create(brand=cw.brand1, text="降低LDL-C")
        cw.km["b2a"] = key_message_create(brand=cw.brand2, text="平稳降压")
        backdate_customers()
    with world.scope("b"), transaction.atomic():
        line = product_line_create(name="心血管")
        cw.b_brand = brand_create(product_line=line, name="立普妥")
        cw.b_hcp = make_hcp("张伟", institution=make_institution("北京医院"))
        align(customer=cw.b_hcp, territory=world.nodes["b"]["t1"], product_line=line,
              start_date=world.tenants["b"].today() - dt.timedelta(days=10))
        backdate_customers()
    return cw


@pytest.fixture
def cw(world):
    return make_calls_world(world)


@pytest.fixture
def tcw(tworld):
    return make_calls_world(tworld)


def submit(cw, role="rep", code=None, *, submit=True, **over):
    """Log (and submit) a call through the service as ``role``; returns the call."""
    from calls.services import call_save, parse_call_input

    call, _changed = call_save(rep=cw.m(role), code=code or uuid.uuid4(), data=parse_call_input(cw.raw(**over)),
                               submit=submit)
    return call

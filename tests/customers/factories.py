"""Customer rows for tests (inside a tenant scope)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from customers.models import Institution, InstitutionKind
from customers.services.alignment import align
from customers.services.records import hcp_create, institution_create


def make_institution(name="上海市第一人民医院", *, kind=InstitutionKind.HOSPITAL, city="上海市", province="上海市",
                     grade="3A", external_code="", **extra) -> Institution:
    return institution_create(data={"name": name, "kind": kind, "grade": grade, "province": province, "city": city,
                                    "external_code": external_code, **extra})


def make_hcp(name="张伟", *, institution, department="心内科", **extra):
    data = {"name": name, "title": "chief", "specialty": "cardiology", **extra}
    return hcp_create(data=data, institution=institution, department=department)


@dataclass
class Customers:
    """Tenant A's customers in the conftest world:

    * ``h1`` (浦东一区, t1: rep), ``h2`` (浦西二区, t2: nobody; the manager sees it through the
      district), ``h3`` (朝阳一区, t3: rep2); institutions ``i1``/``i2``/``i3`` aligned the same way;
    * ``zw`` is 张伟 at i1 (aligned through the institution only), ``unaligned`` nobody's;
    * ``b_hcp`` is tenant B's 张伟.
    """

    line: object = None
    i1: Institution | None = None
    i2: Institution | None = None
    i3: Institution | None = None
    h1: object = None
    h2: object = None
    h3: object = None
    zw: object = None
    unaligned: object = None
    b_hcp: object = None
    b_line: object = None
    extra: dict = field(default_factory=dict)


def make_customers_a(world, c: Customers | None = None) -> Customers:
    """Tenant A's part; call inside ``world.scope("a")``."""
    from products.services import product_line_create

    c = c or Customers()
    start = world.tenants["a"].today() - dt.timedelta(days=10)
    nodes = world.nodes["a"]
    c.line = product_line_create(name="心血管")
    c.i1 = make_institution("上海市第一人民医院", external_code="H001")
    c.i2 = make_institution("复旦大学附属中山医院", external_code="H002")
    c.i3 = make_institution("北京协和医院", city="北京市", province="北京市", external_code="H003")
    loose = make_institution("无人医院", external_code="H009")
    for inst, node in ((c.i1, "t1"), (c.i2, "t2"), (c.i3, "t3")):
        align(customer=inst, territory=nodes[node], product_line=c.line, start_date=start)
    c.zw = make_hcp("张伟", institution=c.i1, phone="13800138000")
    c.h1 = make_hcp("李娜", institution=loose, external_code="D001")
    c.h2 = make_hcp("王芳", institution=loose, external_code="D002")
    c.h3 = make_hcp("刘洋", institution=loose, external_code="D003")
    c.unaligned = make_hcp("陈静", institution=loose, external_code="D004")
    for hcp, node in ((c.h1, "t1"), (c.h2, "t2"), (c.h3, "t3")):
        align(customer=hcp, territory=nodes[node], product_line=c.line, start_date=start)
    return c


def make_customers(world) -> Customers:
    from products.services import product_line_create

    c = Customers()
    start = world.tenants["a"].today() - dt.timedelta(days=10)
    with world.scope("a"):
        make_customers_a(world, c)
    with world.scope("b"):
        c.b_line = product_line_create(name="心血管")
        b_inst = make_institution("乙方医院", external_code="H001")
        c.b_hcp = make_hcp("张伟", institution=b_inst, external_code="D001")
        align(customer=b_inst, territory=world.nodes["b"]["t1"], product_line=c.b_line, start_date=start)
    return c

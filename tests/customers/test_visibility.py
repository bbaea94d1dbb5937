"""Alignment drives who sees which customer (design §4)."""

from __future__ import annotations

import datetime as dt

from customers.models import Hcp, Institution
from customers.services.alignment import align, alignment_end


def _names(world, role, model=Hcp, **kw):
    user = world.users["a"][role]
    with world.scope("a"):
        return set(model.objects.visible_to(user, **kw).values_list("name", flat=True))


def test_rep_sees_customers_of_own_territory_and_through_the_institution(world, customers):
    assert _names(world, "rep") == {"李娜", "张伟"}
    assert _names(world, "rep", Institution) == {"上海市第一人民医院"}


def test_rep2_sees_only_own_territory(world, customers):
    assert _names(world, "rep2") == {"刘洋"}


def test_manager_sees_the_district(world, customers):
    assert _names(world, "manager") == {"李娜", "张伟", "王芳"}


def test_tenant_wide_roles_see_everything_but_not_the_other_tenant(world, customers):
    for role in ("analyst", "admin", "data_steward", "finance"):
        assert _names(world, role) == {"李娜", "张伟", "王芳", "刘洋", "陈静"}


def test_other_tenant_sees_none_of_a(world, customers):
    user = world.users["b"]["admin"]
    with world.scope("b"):
        assert set(Hcp.objects.visible_to(user).values_list("name", flat=True)) == {"张伟"}
        assert not Hcp.objects.filter(pk=customers.h1.pk).exists()


def test_visibility_follows_alignment_dates(world, customers):
    rep = world.users["a"]["rep"]
    today = world.tenants["a"].today()
    with world.scope("a"):
        a = customers.h1.alignments.get()
        alignment_end(alignment=a, end_date=today - dt.timedelta(days=1))
        assert "李娜" not in set(Hcp.objects.visible_to(rep).values_list("name", flat=True))
        # ... but on a past day the rep saw her: history is credited to the territory of its time.
        assert "李娜" in set(Hcp.objects.visible_to(rep, on=today - dt.timedelta(days=2)).values_list("name", flat=True))
        # A future alignment is not visible yet.
        align(customer=customers.h2, territory=world.nodes["a"]["t1"], product_line=customers.line,
              start_date=today + dt.timedelta(days=5))
        assert "王芳" not in set(Hcp.objects.visible_to(rep).values_list("name", flat=True))
        assert "王芳" in set(Hcp.objects.visible_to(rep, on=today + dt.timedelta(days=5)).values_list("name", flat=True))


def test_mine_narrows_a_tenant_wide_viewer_to_their_positions(world, customers):
    from customers.visibility import customer_visible_q

    analyst = world.users["a"]["analyst"]
    with world.scope("a"):
        assert not Hcp.objects.filter(customer_visible_q(Hcp, analyst, mine=True)).exists()
        rep = world.users["a"]["rep"]
        assert set(Hcp.objects.filter(customer_visible_q(Hcp, rep, mine=True)).values_list("name", flat=True)) == {"李娜", "张伟"}

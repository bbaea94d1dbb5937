"""Spend on the customer page's timeline (``expenses.timeline``): shown to the users who see
the claim, never for a draft, on the HCP's page and on their institution's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from approvals.models import ApprovalStep, StepState
from approvals.services import approval_decide
from customers.timeline import timeline

pytestmark = pytest.mark.usefixtures("english")


def _spend(customer, user):
    return timeline(customer, user, kinds={"expense"})


def _titles(customer, user):
    return [e.title for e in _spend(customer, user)]


def test_the_claim_s_spend_shows_to_those_who_see_the_claim(spend):
    c, users = spend.customers, spend.world.users["a"]
    with spend.world.scope("a"):
        claim = spend.claim(spend.line(amount="300", hcps=[c.h1]), submit=True)
        for role in ("rep", "manager", "finance", "analyst", "admin"):
            entries = _spend(c.h1, users[role])
            assert len(entries) == 1, role
            e = entries[0]
            assert e.kind == "expense" and "300.00 CNY" in e.title and "waiting for approval" in e.title
            assert str(claim.code) in e.url and e.by == users["rep"].full_name
        for role in ("rep2", "data_steward"):
            assert _spend(c.h1, users[role]) == [], role


def test_a_draft_never_shows_not_even_to_its_rep(spend):
    c, users = spend.customers, spend.world.users["a"]
    with spend.world.scope("a"):
        spend.claim(spend.line(amount="480", hcps=[c.h1, c.zw]))
        for role in ("rep", "manager", "finance", "analyst", "admin"):
            assert _spend(c.h1, users[role]) == [] and _spend(c.zw, users[role]) == [], role
            assert _spend(c.i1, users[role]) == [], role


def test_approved_spend_shows_without_the_waiting_note_and_on_the_institution(spend):
    c, users = spend.customers, spend.world.users["a"]
    with spend.world.scope("a"):
        claim = spend.claim(spend.line(amount="600", hcps=[c.h1, c.zw]), submit=True)
        for role in ("manager", "finance"):
            step = ApprovalStep.objects.get(request_id=claim.approval_id, state=StepState.PENDING)
            approval_decide(step=step, actor=spend.m(role), decision="approved", comment="")
        # an HCP's page shows their share (the dinner was for two); the institution the whole line
        assert _titles(c.zw, users["rep"]) == ["餐费 Meals: 300.00 CNY (of 600.00 CNY)"]
        # zw works at i1: the line shows on the institution's timeline as well
        assert len(_spend(c.i1, users["manager"])) == 1
        assert _spend(c.i1, users["rep2"]) == []


def test_another_rep_s_claim_stays_out_of_sight(spend):
    c, users = spend.customers, spend.world.users["a"]
    with spend.world.scope("a"):
        spend.claim(spend.line(amount="200", hcps=[c.h3]), rep="rep2", submit=True)
        assert len(_spend(c.h3, users["rep2"])) == 1
        assert _spend(c.h3, users["rep"]) == []
        assert _spend(c.h3, users["manager"]) == []  # 朝阳一区 is outside the manager's district
        assert len(_spend(c.h3, users["finance"])) == 1


def test_the_customer_page_shows_the_spend_entry(client, spend):
    c, users = spend.customers, spend.world.users["a"]
    with spend.world.scope("a"):
        spend.claim(spend.line(amount="321", hcps=[c.h1]), submit=True, purpose="晚餐 dinner")
        spend.claim(spend.line(amount="654", hcps=[c.h1]))  # a draft
    client.force_login(users["manager"])
    body = client.get(reverse("customers:hcp_detail", kwargs={"code": c.h1.code})).content.decode()
    assert "321.00 CNY" in body and "654.00" not in body
    client.force_login(users["rep2"])
    response = client.get(reverse("customers:hcp_detail", kwargs={"code": c.h1.code}))
    assert response.status_code == 404 or "321.00 CNY" not in response.content.decode()

"""The customers card on the home page counts what the member sees, nothing else."""

from __future__ import annotations

from django.urls import reverse


def _card(client, user):
    client.force_login(user)
    r = client.get(reverse("home"))
    assert r.status_code == 200
    return next(c["ctx"] for c in r.context["cards"] if c["template"] == "customers/home_card.html")


def test_rep_manager_and_steward_cards(world, customers, client):
    from customers.models import Hcp

    with world.scope("a"):
        Hcp.objects.filter(pk=customers.zw.pk).update(is_target=True)
    rep = _card(client, world.users["a"]["rep"])
    assert rep["hcps"] == (2, False) and rep["targets"] == (1, False) and rep["institutions"] == (1, False)
    assert not rep["steward"]
    assert _card(client, world.users["a"]["manager"])["hcps"] == (3, False)
    steward = _card(client, world.users["a"]["data_steward"])
    assert steward["hcps"] == (5, False) and steward["open_duplicates"] == 0 and steward["pending_changes"] == 0


def test_other_tenant_card_counts_only_its_own(world, customers, client):
    card = _card(client, world.users["b"]["admin"])
    assert card["hcps"] == (1, False) and card["institutions"] == (1, False)

"""The home page shows what waits in the approvals inbox (a card added by approvals)."""

from __future__ import annotations

import re

from django.db import transaction

from approvals.access import role_request_submit
from tests.approvals.conftest import make_chain, member


def test_manager_home_counts_the_approvals_waiting(world, chain, client):
    with world.scope("a"), transaction.atomic():
        role_request_submit(requester=member(world, "rep"), role="analyst", reason="报表")
    client.force_login(world.users["a"]["manager"])
    body = client.get("/").content.decode()
    waiting = re.search(r'data-testid="home-approvals-waiting">(\d+)<', body).group(1)
    assert waiting == "1" and "/approvals/" in body
    client.force_login(world.users["a"]["rep2"])  # nothing waits for another rep
    body = client.get("/").content.decode()
    assert re.search(r'data-testid="home-approvals-waiting">(\d+)<', body).group(1) == "0"


def test_other_tenant_home_counts_none_of_it(world, client):
    make_chain(world)
    with world.scope("a"), transaction.atomic():
        role_request_submit(requester=member(world, "rep"), role="analyst", reason="报表")
    client.force_login(world.users["b"]["manager"])
    body = client.get("/").content.decode()
    assert re.search(r'data-testid="home-approvals-waiting">(\d+)<', body).group(1) == "0"

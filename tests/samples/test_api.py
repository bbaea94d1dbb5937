"""``/api/v1/samples/``: inventory and ledger within what the caller sees, the idempotent
give (201, then 200 with the same moves), orders; another tenant's codes are 404."""

from __future__ import annotations

import base64
import uuid

import pytest
from django.db import transaction
from django.urls import reverse

from calls.samples.models import MoveKind, SampleMove, SampleOrder
from calls.samples.services import SAMPLE_ORDER
from tests.approvals.conftest import make_chain
from tests.helpers import assert_max_queries, count_queries

from .conftest import PNG, SVG, stock
from .test_pages import _more_stock

pytestmark = pytest.mark.usefixtures("english")

GIVE = "/api/v1/samples/give/"


def _give(client, s, *, call=None, code=None, qty=2, signature=True):
    body = {"code": str(code or uuid.uuid4()), "call": str((call or s.call).code),
            "lines": [{"lot": str(s.lot1.code), "quantity": qty}]}
    if signature:
        body["signature"] = {"svg_path": SVG, "png": base64.b64encode(PNG).decode()}
    return client.post(GIVE, body, content_type="application/json")


def test_give_is_idempotent(smp, login):
    s = smp
    client = login(s.world.users["a"]["rep"])
    code = uuid.uuid4()
    first = _give(client, s, code=code)
    assert first.status_code == 201, first.content
    again = _give(client, s, code=code)
    assert again.status_code == 200 and again.json() == first.json()
    assert first.json()[0]["quantity"] == -2 and first.json()[0]["call"] == str(s.call.code)
    with s.scope(), transaction.atomic():
        assert stock(s, s.lot1) == 8
        assert SampleMove.objects.filter(kind=MoveKind.GIVEN).count() == 1


def test_give_refusals(smp, login):
    s = smp
    client = login(s.world.users["a"]["rep"])
    r = _give(client, s, qty=11)
    assert r.status_code == 400 and "lines" in r.json()
    r = _give(client, s, signature=False)
    assert r.status_code == 400 and r.json() == {"signature": ["The HCP's signature is required for samples."]}
    r = client.post(GIVE, {"call": str(s.call.code), "lines": []}, content_type="application/json")
    assert client.post(GIVE, {"lines": []}, content_type="application/json").status_code == 404
    assert r.status_code == 400 and "code" in r.json()
    assert _give(client, s, call=s.b_call).status_code == 404
    assert _give(client, s, call=s.call2).status_code == 404  # rep2's call in another territory
    assert _give(login(s.world.users["a"]["manager"]), s).status_code == 403
    assert _give(login(s.world.users["b"]["rep"]), s).status_code == 404
    with s.scope(), transaction.atomic():
        assert stock(s, s.lot1) == 10 and not SampleMove.objects.filter(kind=MoveKind.GIVEN).exists()


def _lots(response):
    return sorted(row["lot_number"] for row in response.json()["results"])


def test_inventory_and_ledger_visibility(smp, login):
    s = smp
    _more_stock(s, 1, role="rep2")
    inv, ledger = "/api/v1/samples/inventory/", "/api/v1/samples/ledger/"
    assert _lots(login(s.world.users["a"]["rep"]).get(inv)) == ["L1", "L2", "LX"]
    assert _lots(login(s.world.users["a"]["rep2"]).get(inv)) == ["Mrep20"]
    assert _lots(login(s.world.users["a"]["manager"]).get(inv)) == ["L1", "L2", "LX"]
    assert _lots(login(s.world.users["a"]["admin"]).get(inv)) == ["L1", "L2", "LX", "Mrep20"]
    assert _lots(login(s.world.users["b"]["admin"]).get(inv)) == ["B1"]
    assert _lots(login(s.world.users["a"]["rep2"]).get(ledger)) == ["Mrep20"]
    client = login(s.world.users["a"]["rep"])
    _give(client, s)
    given = client.get(ledger, {"kind": "given", "call": str(s.call.code)}).json()["results"]
    assert [(m["lot_number"], m["quantity"]) for m in given] == [("L1", -2)]
    assert client.get(ledger, {"kind": "stolen"}).status_code == 400


def test_list_queries_do_not_grow(smp, login):
    s = smp
    client = login(s.world.users["a"]["manager"])
    for url in ("/api/v1/samples/inventory/", "/api/v1/samples/ledger/"):
        client.get(url)
    few = {url: count_queries(lambda url=url: client.get(url))
           for url in ("/api/v1/samples/inventory/", "/api/v1/samples/ledger/")}
    _more_stock(s, 30)
    for url, n in few.items():
        with assert_max_queries(n):
            assert client.get(url).status_code == 200


def test_orders_api(smp, login):
    s = smp
    make_chain(s.world, request_type=SAMPLE_ORDER, steps=[{"kind": "direct_manager"}])
    client = login(s.world.users["a"]["rep"])
    body = {"code": str(uuid.uuid4()), "note": "API", "lines": [{"sku": str(s.sku1.code), "quantity": 3}]}
    first = client.post("/api/v1/samples/orders/", body, content_type="application/json")
    assert first.status_code == 201, first.content
    assert client.post("/api/v1/samples/orders/", body, content_type="application/json").status_code == 200
    assert first.json()["state"] == "pending" and first.json()["lines"][0]["quantity"] == 3
    bad = {**body, "code": str(uuid.uuid4()), "lines": [{"sku": str(uuid.uuid4()), "quantity": 3}]}
    assert client.post("/api/v1/samples/orders/", bad, content_type="application/json").status_code == 400
    detail = reverse("api-samples-orders-detail", kwargs={"code": first.json()["code"]})
    assert client.get(detail).status_code == 200
    assert login(s.world.users["a"]["manager"]).get(detail).status_code == 200
    assert login(s.world.users["a"]["rep2"]).get(detail).status_code == 404
    assert login(s.world.users["b"]["admin"]).get(detail).status_code == 404
    assert login(s.world.users["a"]["analyst"]).post("/api/v1/samples/orders/", body,
                                                     content_type="application/json").status_code == 403
    with s.scope(), transaction.atomic():
        assert SampleOrder.objects.count() == 1

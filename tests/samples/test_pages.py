"""The sample pages: what each role sees (rep own, manager team, other tenant 404), the
give page's form with its refusals and its retry safety, orders, the monthly count, and
bounded query counts that do not grow with the data."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.urls import reverse

from calls.samples.models import MoveKind, OrderState, Reconciliation, SampleMove, SampleOrder
from calls.samples.services import SAMPLE_ORDER, stock_receive
from tests.approvals.conftest import make_chain
from tests.helpers import assert_max_queries, count_queries

from .conftest import SVG, stock

pytestmark = pytest.mark.usefixtures("english")


def _more_stock(s, n, role="rep"):
    with s.scope(), transaction.atomic():
        today = s.world.tenants["a"].today()
        stock_receive(rep=s.m(role), by=s.m("admin"), code=uuid.uuid4(), lines=[
            {"sku": s.sku2, "lot_number": f"M{role}{i}", "expiry": today + dt.timedelta(days=100 + i), "quantity": 2}
            for i in range(n)])


def test_rep_sees_own_inventory_with_expiry_warnings(smp, login):
    s = smp
    body = login(s.world.users["a"]["rep"]).get(reverse("samples:inventory")).content.decode()
    assert "L1" in body and "L2" in body and "LX" in body
    assert "Expires soon" in body and "Expired" in body
    assert 'data-label="Lot"' in body and "table-responsive-cards" in body


def test_rep_cannot_look_at_another_reps_inventory(smp, login):
    s = smp
    with s.scope(), transaction.atomic():
        rep2, rep = s.m("rep2").code, s.m("rep").code
    client = login(s.world.users["a"]["rep"])
    assert client.get(reverse("samples:inventory"), {"rep": rep2}).status_code == 404
    manager = login(s.world.users["a"]["manager"])
    assert "L1" in manager.get(reverse("samples:inventory"), {"rep": rep}).content.decode()
    assert manager.get(reverse("samples:inventory"), {"rep": rep2}).status_code == 404  # not in the district
    b_admin = login(s.world.users["b"]["admin"])
    assert b_admin.get(reverse("samples:inventory"), {"rep": rep}).status_code == 404


def test_inventory_queries_do_not_grow_with_lots(smp, login):
    s = smp
    client = login(s.world.users["a"]["rep"])
    url = reverse("samples:inventory")
    client.get(url)
    few = count_queries(lambda: client.get(url))
    _more_stock(s, 25)
    with assert_max_queries(few):
        assert "Mrep24" in client.get(url).content.decode()
    assert few <= 12


def test_ledger_shows_own_moves_to_a_rep_and_the_team_to_a_manager(smp, login):
    s = smp
    _more_stock(s, 1, role="rep2")
    # The lot numbers as the ledger's cells show them (a bare "L1" may occur in the page's random CSP nonce).
    rep_body = login(s.world.users["a"]["rep"]).get(reverse("samples:ledger")).content.decode()
    assert ">L1<" in rep_body and "Mrep20" not in rep_body
    manager_body = login(s.world.users["a"]["manager"]).get(reverse("samples:ledger")).content.decode()
    assert ">L1<" in manager_body and "Mrep20" not in manager_body
    admin_body = login(s.world.users["a"]["admin"]).get(reverse("samples:ledger")).content.decode()
    assert ">L1<" in admin_body and "Mrep20" in admin_body
    b_body = login(s.world.users["b"]["admin"]).get(reverse("samples:ledger")).content.decode()
    assert ">L1<" not in b_body and ">B1<" in b_body


def test_ledger_filters_and_bad_month(smp, login):
    s = smp
    client = login(s.world.users["a"]["admin"])
    with s.scope(), transaction.atomic():
        rep2 = s.m("rep2").code
    body = client.get(reverse("samples:ledger"), {"kind": "given"}).content.decode()
    assert "No moves match." in body
    month = s.world.tenants["a"].today().strftime("%Y-%m")
    assert "L1" in client.get(reverse("samples:ledger"), {"month": month, "kind": "received"}).content.decode()
    assert "No moves match." in client.get(reverse("samples:ledger"), {"month": "2001-01"}).content.decode()
    assert "No moves match." in client.get(reverse("samples:ledger"), {"rep": rep2}).content.decode()
    assert "Enter a month as YYYY-MM." in client.get(reverse("samples:ledger"), {"month": "soon"}).content.decode()


def test_ledger_queries_do_not_grow_with_moves(smp, login):
    s = smp
    client = login(s.world.users["a"]["manager"])
    url = reverse("samples:ledger")
    client.get(url)
    few = count_queries(lambda: client.get(url))
    _more_stock(s, 60)
    with assert_max_queries(few):
        client.get(url)
    with assert_max_queries(few):
        assert "Page 2 of 2" in client.get(url, {"page": 2}).content.decode()


def _give_url(call):
    return reverse("samples:give", kwargs={"code": call.code})


def test_give_page_gives_and_a_double_submit_gives_once(smp, login):
    s = smp
    client = login(s.world.users["a"]["rep"])
    body = client.get(_give_url(s.call)).content.decode()
    assert "Signature pad" in body and f'name="qty_{s.lot1.code}"' in body
    assert f'id="qty_{s.lotx.code}"' in body and "disabled" in body  # the expired lot is shown, not offered
    data = {"code": str(uuid.uuid4()), f"qty_{s.lot1.code}": "2", f"qty_{s.lot2.code}": "1", "signature_svg": SVG}
    assert client.post(_give_url(s.call), data).status_code == 302
    assert client.post(_give_url(s.call), data).status_code == 302
    with s.scope(), transaction.atomic():
        assert (stock(s, s.lot1), stock(s, s.lot2)) == (8, 4)
        assert SampleMove.objects.filter(kind=MoveKind.GIVEN).count() == 2
    body = client.get(_give_url(s.call)).content.decode()
    assert "Given in this call" in body


def test_give_page_refusals_keep_the_stock(smp, login):
    s = smp
    client = login(s.world.users["a"]["rep"])
    r = client.post(_give_url(s.call), {"code": str(uuid.uuid4()), f"qty_{s.lot1.code}": "11", "signature_svg": SVG})
    assert r.status_code == 400 and "10 left, 11 asked" in r.content.decode()
    r = client.post(_give_url(s.call), {"code": str(uuid.uuid4()), f"qty_{s.lot1.code}": "1"})
    assert r.status_code == 400 and "signature is required" in r.content.decode()
    r = client.post(_give_url(s.call), {"code": str(uuid.uuid4()), "signature_svg": SVG})
    assert r.status_code == 400 and "Choose at least one lot" in r.content.decode()
    with s.scope(), transaction.atomic():
        assert stock(s, s.lot1) == 10 and not SampleMove.objects.filter(kind=MoveKind.GIVEN).exists()


def test_give_page_is_for_the_calls_rep_only(smp, login):
    s = smp
    assert login(s.world.users["a"]["manager"]).get(_give_url(s.call)).status_code == 403  # sees it, not theirs
    assert login(s.world.users["a"]["rep2"]).get(_give_url(s.call)).status_code == 404    # does not see it
    assert login(s.world.users["b"]["rep"]).get(_give_url(s.call)).status_code == 404
    assert login(s.world.users["b"]["admin"]).get(_give_url(s.call)).status_code == 404


def test_give_page_queries_do_not_grow_with_lots(smp, login):
    s = smp
    client = login(s.world.users["a"]["rep"])
    client.get(_give_url(s.call))
    few = count_queries(lambda: client.get(_give_url(s.call)))
    _more_stock(s, 25)
    with assert_max_queries(few):
        client.get(_give_url(s.call))


def test_order_new_detail_and_delivery(smp, login):
    s = smp
    make_chain(s.world, request_type=SAMPLE_ORDER, steps=[{"kind": "direct_manager"}])
    client = login(s.world.users["a"]["rep"])
    r = client.post(reverse("samples:order_new"), {"code": str(uuid.uuid4()), "sku_0": str(s.sku1.code), "qty_0": "0"})
    assert r.status_code == 400 and "Quantities must be between 1 and" in r.content.decode()
    r = client.post(reverse("samples:order_new"), {"code": str(uuid.uuid4()), "sku_0": str(s.sku1.code), "qty_0": "6",
                                                   "note": "新科室"})
    assert r.status_code == 302
    with s.scope(), transaction.atomic():
        order = SampleOrder.objects.get()
        SampleOrder.objects.filter(pk=order.pk).update(state=OrderState.APPROVED)
        line = order.lines.get()
    assert "新科室" in client.get(reverse("samples:order_list")).content.decode()
    assert "Confirm the delivery" in client.get(r.url).content.decode()
    assert login(s.world.users["a"]["rep2"]).get(r.url).status_code == 404
    assert login(s.world.users["b"]["admin"]).get(r.url).status_code == 404
    client = login(s.world.users["a"]["rep"])  # the one test client: sign the rep in again
    url = reverse("samples:order_receive", kwargs={"code": order.code})
    r = client.post(url, {f"lot_{line.pk}": "N9", f"expiry_{line.pk}": "", f"qty_{line.pk}": "6"})
    assert r.status_code == 400 and "expiry date of a new lot" in r.content.decode()
    r = client.post(url, {f"lot_{line.pk}": "N9", f"expiry_{line.pk}": "2031-01-31", f"qty_{line.pk}": "6"})
    assert r.status_code == 302
    with s.scope(), transaction.atomic():
        assert SampleOrder.objects.get().state == OrderState.RECEIVED
        assert SampleMove.objects.filter(order=order).get().quantity == 6


def test_monthly_count_page_confirms_once(smp, login):
    s = smp
    client = login(s.world.users["a"]["rep"])
    body = client.get(reverse("samples:reconcile")).content.decode()
    assert f'name="count_{s.lot1.code}"' in body
    data = {f"count_{s.lot1.code}": "9", f"count_{s.lot2.code}": "5", f"count_{s.lotx.code}": "3", "confirm": "1"}
    r = client.post(reverse("samples:reconcile"), data)
    assert r.status_code == 400 and "Say why the counts differ" in r.content.decode()
    assert client.post(reverse("samples:reconcile"), {**data, "reason": "破损一盒"}).status_code == 302
    body = client.get(reverse("samples:reconcile")).content.decode()
    assert "is reconciled" in body and "破损一盒" in body
    with s.scope(), transaction.atomic():
        assert Reconciliation.objects.get().state == "confirmed" and stock(s, s.lot1) == 9
    assert client.get(reverse("samples:reconcile"), {"month": "13-2020"}).status_code == 400


def test_admin_receives_and_adjusts_stock(smp, login):
    s = smp
    with s.scope(), transaction.atomic():
        rep = s.m("rep").code
    client = login(s.world.users["a"]["admin"])
    data = {"rep": str(rep), "sku": s.sku2.pk, "lot_number": "L2", "quantity": "3", "code": str(uuid.uuid4())}
    assert client.post(reverse("samples:receive"), data).status_code == 302
    adjust = reverse("samples:adjust", kwargs={"rep_code": rep, "lot_code": s.lot2.code})
    r = client.post(adjust, {"quantity": "-1", "reason": "", "code": str(uuid.uuid4())})
    assert r.status_code == 400
    assert client.post(adjust, {"quantity": "-1", "reason": "破损", "code": str(uuid.uuid4())}).status_code == 302
    with s.scope(), transaction.atomic():
        assert stock(s, s.lot2) == 7

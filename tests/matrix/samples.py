"""``/samples/`` and ``/api/v1/samples/``.

Inventory, ledger and orders list answer every member (each sees their own part:
tests/samples). Giving samples is for the call's rep: others who see the call get 403,
those who do not (rep2, tenant B) 404. Orders: reps and managers order; an order's page
answers who sees its rep (rep2 and tenant B: 404); only its rep receives it. The monthly
count is for reps and managers; receiving and adjusting stock for admins.
"""

from __future__ import annotations

import datetime as dt
import uuid

from . import Row

A = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance")
WIDE = ("analyst", "admin", "data_steward", "finance")


def _prep(w):
    """Tenant A's catalogue, rep's stock (lot ML1), a call of rep, an approved order of rep
    and a sample-order chain; made once per URL (``PREPARE``), found by every row."""
    from calls.samples.models import OrderState, SampleLot, SampleOrder

    lot = SampleLot.objects.filter(lot_number="ML1").select_related("sku").first()
    if lot is not None:
        from calls.models import Call

        return {"lot": lot, "sku": lot.sku, "call": Call.objects.get(notes="matrix samples"),
                "order": SampleOrder.objects.get(note="matrix samples")}
    from calls.samples.services import SAMPLE_ORDER, sample_order_submit, stock_receive
    from tests.approvals.conftest import make_chain
    from tests.customers.factories import make_hcp, make_institution
    from tests.samples.conftest import make_call, make_catalogue

    rep, admin = w.users["a"]["rep"].membership_row, w.users["a"]["admin"].membership_row
    sku, _ = make_catalogue("矩阵")
    stock_receive(rep=rep, by=admin, code=uuid.uuid4(), lines=[
        {"sku": sku, "lot_number": "ML1", "expiry": w.tenants["a"].today() + dt.timedelta(days=300), "quantity": 9}])
    inst = make_institution("矩阵样品医院", external_code="MSH1")
    hcp = make_hcp("矩阵医生", institution=inst, external_code="MSD1")
    make_call(rep=rep, hcp=hcp, inst=inst, territory=w.nodes["a"]["t1"], notes="matrix samples")
    make_chain(w, request_type=SAMPLE_ORDER, steps=[{"kind": "direct_manager"}])
    order = sample_order_submit(rep=rep, lines=[{"sku": sku, "quantity": 4}], note="matrix samples")
    SampleOrder.objects.filter(pk=order.pk).update(state=OrderState.APPROVED)
    return _prep(w)


def PREPARE(w):  # noqa: N802 - the hook's name in tests/test_permission_matrix.py
    _prep(w)


def _rows(name, expected: dict, *, anon=302, method="get", kwargs=None, data=None, query=""):
    """``expected`` maps roles (A's, plus ``b_admin``/``b_rep``) to statuses."""
    roles = (*A, "b_admin", "b_rep")
    return [Row(name, "anon", anon, method=method, kwargs=kwargs, data=data, query=query),
            *[Row(name, r, expected[r], method=method, kwargs=kwargs, data=data, query=query) for r in roles]]


def _all(status=200, **extra):
    return {r: status for r in (*A, "b_admin", "b_rep")} | extra


def _call(w):
    return {"code": _prep(w)["call"].code}


def _order(w):
    return {"code": _prep(w)["order"].code}


def _give_data(w):
    lot = _prep(w)["lot"]
    return {"code": str(uuid.uuid4()), f"qty_{lot.code}": "1", "signature_svg": "M1 1 L5 5"}


def _receive_data(w):
    line = _prep(w)["order"].lines.get()
    return {f"lot_{line.pk}": "ML1", f"expiry_{line.pk}": "", f"qty_{line.pk}": "4"}


def _order_data(w):
    return {"code": str(uuid.uuid4()), "sku_0": str(_prep(w)["sku"].code), "qty_0": "2"}


def _admin_receive_data(w):
    return {"rep": str(w.users["a"]["rep"].membership_row.code), "sku": _prep(w)["sku"].pk, "lot_number": "ML1",
            "quantity": "2", "code": str(uuid.uuid4())}


def _adjust(w):
    return {"rep_code": w.users["a"]["rep"].membership_row.code, "lot_code": _prep(w)["lot"].code}


def _count_data(w):
    return {f"count_{_prep(w)['lot'].code}": "9"}


OWN_CALL = _all(403, rep=200, rep2=404, b_admin=404, b_rep=404)
OWN_CALL_POST = {**OWN_CALL, "rep": 302}
HOLDERS = _all(403, rep=200, rep2=200, manager=200, b_rep=200)
ORDER = _all(200, rep2=404, b_admin=404, b_rep=404)
RECEIVE_ORDER = _all(403, rep=302, rep2=404, b_admin=404, b_rep=404)
ADMIN = _all(403, admin=200, b_admin=200)

ROWS = [
    *_rows("samples:inventory", _all()),
    *_rows("samples:ledger", _all()),
    *_rows("samples:give", OWN_CALL, kwargs=_call),
    *_rows("samples:give", OWN_CALL_POST, method="post", kwargs=_call, data=_give_data),
    Row("samples:give", "rep", 400, method="post", kwargs=_call, data=lambda w: {"code": str(uuid.uuid4())}),
    *_rows("samples:order_list", _all()),
    *_rows("samples:order_new", HOLDERS),
    # Tenant B has no chain and not A's SKU: 400.
    *_rows("samples:order_new", {**HOLDERS, "rep": 302, "rep2": 302, "manager": 302, "b_rep": 400}, method="post",
           data=_order_data),
    *_rows("samples:order_detail", ORDER, kwargs=_order),
    *_rows("samples:order_receive", RECEIVE_ORDER, method="post", kwargs=_order, data=_receive_data),
    Row("samples:order_receive", "rep", 405, kwargs=_order),
    *_rows("samples:reconcile", HOLDERS),
    *_rows("samples:reconcile", {**HOLDERS, "rep": 302, "rep2": 302, "manager": 302, "b_rep": 302}, method="post",
           data=_count_data),
    Row("samples:reconcile", "rep", 400, method="post", data=lambda w: {}),  # ML1 held, not counted
    *_rows("samples:receive", ADMIN),
    *_rows("samples:receive", {**ADMIN, "admin": 302, "b_admin": 400}, method="post", data=_admin_receive_data),
    *_rows("samples:adjust", {**ADMIN, "b_admin": 404}, kwargs=_adjust),
    *_rows("samples:adjust", {**ADMIN, "admin": 302, "b_admin": 404}, method="post", kwargs=_adjust,
           data=lambda w: {"quantity": "-1", "reason": "破损", "code": str(uuid.uuid4())}),
    # API: anonymous 403. Form-encoded bodies cannot carry the nested lines: a caller who
    # passes the access checks gets 400 (the JSON writes are in tests/samples/test_api.py).
    *_rows("api-samples-inventory-list", _all(), anon=403),
    *_rows("api-samples-ledger-list", _all(), anon=403),
    *_rows("api-samples-give", {**OWN_CALL, "rep": 400}, anon=403, method="post",
           data=lambda w: {"call": str(_prep(w)["call"].code), "code": str(uuid.uuid4())}),
    *_rows("api-samples-orders-list", _all(), anon=403),
    *_rows("api-samples-orders-list", _all(403, rep=400, rep2=400, manager=400, b_rep=400), anon=403, method="post",
           data=lambda w: {"code": str(uuid.uuid4())}),
    *_rows("api-samples-orders-detail", ORDER, anon=403, kwargs=_order),
    Row("api-samples-orders-detail", "rep", 405, method="delete", kwargs=_order),
]

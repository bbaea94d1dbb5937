"""Receipts, returns and adjustments: the stock is the ledger's running balance; bad input
is refused naming the field, with nothing saved; each is idempotent by its code."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from calls.samples.models import MoveKind, SampleLot, SampleMove, SampleStock
from calls.samples.services import stock_adjust, stock_receive, stock_return

from .conftest import stock

pytestmark = pytest.mark.usefixtures("english")


def _balance_matches_ledger(s):
    ledger = dict(SampleMove.objects.values_list("rep_id", "lot_id").annotate(t=Sum("quantity"))
                  .values_list("lot_id", "t").filter(rep=s.m()))
    held = dict(SampleStock.objects.filter(rep=s.m()).values_list("lot_id", "quantity"))
    assert ledger == held


def test_receiving_again_adds_to_the_same_lot_and_is_idempotent(smp):
    s = smp
    code = uuid.uuid4()
    with s.scope():
        line = {"sku": s.sku1, "lot_number": "L1", "expiry": None, "quantity": 4}
        stock_receive(rep=s.m(), lines=[line], by=s.m("admin"), code=code)
        stock_receive(rep=s.m(), lines=[line], by=s.m("admin"), code=code)
        assert stock(s, s.lot1) == 14
        assert SampleLot.objects.filter(lot_number="L1").count() == 1
        _balance_matches_ledger(s)


@pytest.mark.parametrize(("line", "field"), [
    ({"lot_number": "", "expiry": dt.date(2030, 1, 1), "quantity": 1}, "lot_number"),
    ({"lot_number": "NEW", "expiry": None, "quantity": 1}, "expiry"),
    ({"lot_number": "L1", "expiry": dt.date(2031, 1, 1), "quantity": 1}, "expiry"),
    ({"lot_number": "NEW", "expiry": dt.date(2030, 1, 1), "quantity": 0}, "quantity"),
])
def test_bad_receipts_are_refused(smp, line, field):
    s = smp
    with s.scope():
        before = SampleMove.objects.count()
        with pytest.raises(ValidationError) as exc:
            stock_receive(rep=s.m(), lines=[{"sku": s.sku1, **line}], by=s.m("admin"), code=uuid.uuid4())
        assert field in exc.value.message_dict
        assert SampleMove.objects.count() == before
        assert not SampleLot.objects.filter(lot_number="NEW").exists()


def test_return_takes_stock_back_and_refuses_beyond_it(smp):
    s = smp
    with s.scope():
        stock_return(rep=s.m(), lines=[{"lot": s.lotx.code, "quantity": 3}], by=s.m(), code=uuid.uuid4(),
                     reason="过期退回")
        assert stock(s, s.lotx) == 0
        with pytest.raises(ValidationError) as exc:
            stock_return(rep=s.m(), lines=[{"lot": s.lot1.code, "quantity": 11}], by=s.m(), code=uuid.uuid4())
        assert "lines" in exc.value.message_dict
        assert stock(s, s.lot1) == 10
        _balance_matches_ledger(s)


def test_adjust_needs_a_reason_and_cannot_go_below_zero(smp):
    s = smp
    with s.scope():
        with pytest.raises(ValidationError) as exc:
            stock_adjust(rep=s.m(), lot=s.lot1, quantity=-1, reason=" ", by=s.m("admin"), code=uuid.uuid4())
        assert exc.value.message_dict == {"reason": ["Say why the stock is adjusted."]}
        with pytest.raises(ValidationError) as exc:
            stock_adjust(rep=s.m(), lot=s.lot1, quantity=-11, reason="丢失", by=s.m("admin"), code=uuid.uuid4())
        assert "quantity" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            stock_adjust(rep=s.m(), lot=s.lot1, quantity=0, reason="丢失", by=s.m("admin"), code=uuid.uuid4())
        assert "quantity" in exc.value.message_dict
        assert not SampleMove.objects.filter(kind=MoveKind.ADJUSTED).exists()
        move = stock_adjust(rep=s.m(), lot=s.lot1, quantity=-2, reason="破损", by=s.m("admin"), code=uuid.uuid4())
        assert (move.quantity, move.reason, stock(s, s.lot1)) == (-2, "破损", 8)
        _balance_matches_ledger(s)


def test_the_rep_stock_query_uses_a_tenant_index(smp):
    from tests.helpers import assert_uses_tenant_index

    s = smp
    with s.scope():
        assert_uses_tenant_index(SampleStock.objects.filter(rep=s.m()))
        assert_uses_tenant_index(SampleMove.objects.filter(rep=s.m()).order_by("-at")[:50])

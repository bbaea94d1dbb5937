"""Sample orders through the approval engine: submitted with the request in one
transaction (no chain: nothing saved), the hooks move the order (approved, rejected, sent
back), and an approved order's delivery confirmed by the rep puts the lots in stock, once."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from approvals.models import ApprovalRequest, ApproverKind, StepState
from approvals.services import approval_decide
from calls.samples.models import MoveKind, OrderState, SampleLot, SampleMove, SampleOrder
from calls.samples.services import SAMPLE_ORDER, sample_order_receive, sample_order_submit
from tests.approvals.conftest import make_chain

from .conftest import stock

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def chain(smp):
    return make_chain(smp.world, request_type=SAMPLE_ORDER, steps=[{"kind": ApproverKind.DIRECT_MANAGER}])


def _submit(s, **kw):
    return sample_order_submit(rep=s.m(), lines=kw.pop("lines", [{"sku": s.sku1, "quantity": 20},
                                                                 {"sku": s.sku2, "quantity": 5}]),
                               note="新科室", code=kw.pop("code", uuid.uuid4()), **kw)


def _decide(s, order, decision, comment=""):
    request = ApprovalRequest.objects.get(code=order.approval_code)
    step = request.steps.get(state=StepState.PENDING)
    approval_decide(step=step, actor=s.m("manager"), decision=decision, comment=comment)
    order.refresh_from_db()
    return order


def test_without_a_chain_nothing_is_saved(smp):
    s = smp
    with s.scope():
        with pytest.raises(ValidationError) as exc:
            _submit(s)
        assert "request_type" in exc.value.message_dict
        assert not SampleOrder.objects.exists()
        assert not ApprovalRequest.objects.exists()


def test_an_order_goes_for_approval_with_its_amount(smp, chain):
    s = smp
    with s.scope():
        order = _submit(s)
        request = ApprovalRequest.objects.get(code=order.approval_code)
        assert (order.state, request.request_type, request.object_code) == (OrderState.PENDING, SAMPLE_ORDER, order.code)
        assert request.amount == Decimal("140.00")  # 20 × 5 + 5 × 8
        assert request.steps.get(state=StepState.PENDING).approver_id == s.m("manager").pk
        from approvals.registry import get

        assert get(SAMPLE_ORDER).describe(request) == [(str(s.sku1), "20"), (str(s.sku2), "5"), ("Note", "新科室")]
        assert get(SAMPLE_ORDER).object_url(request) == f"/samples/orders/{order.code}/"


def test_the_same_code_orders_once(smp, chain):
    s = smp
    code = uuid.uuid4()
    with s.scope():
        assert _submit(s, code=code).pk == _submit(s, code=code).pk
        assert SampleOrder.objects.count() == 1 and ApprovalRequest.objects.count() == 1


@pytest.mark.parametrize("lines", [[], [{"sku": None, "quantity": 1}], [{"sku": "sku1", "quantity": 0}],
                                   [{"sku": "sku1", "quantity": 10_001}], [{"sku": "sku1", "quantity": "x"}]])
def test_bad_order_lines_are_refused(smp, chain, lines):
    s = smp
    with s.scope():
        lines = [{**line, "sku": s.sku1} if line.get("sku") == "sku1" else line for line in lines]
        with pytest.raises(ValidationError) as exc:
            _submit(s, lines=lines)
        assert list(exc.value.message_dict) == ["lines"]
        assert not SampleOrder.objects.exists() and not ApprovalRequest.objects.exists()


def test_approved_then_received_puts_the_lots_in_stock_once(smp, chain):
    s = smp
    with s.scope():
        order = _decide(s, _submit(s), StepState.APPROVED)
        assert order.state == OrderState.APPROVED and order.decided_at is not None
        lines = list(order.lines.order_by("id"))
        expiry = s.world.tenants["a"].today() + dt.timedelta(days=300)
        receipt = [{"line": lines[0].pk, "lot_number": "L1", "expiry": None, "quantity": 20},
                   {"line": lines[1].pk, "lot_number": "N2", "expiry": expiry, "quantity": 4}]
        with pytest.raises(ValidationError) as exc:
            sample_order_receive(order=order, by=s.m("rep2"), lines=receipt)
        assert "order" in exc.value.message_dict
        order = sample_order_receive(order=order, by=s.m(), lines=receipt)
        assert order.state == OrderState.RECEIVED
        assert stock(s, s.lot1) == 30 and stock(s, SampleLot.objects.get(lot_number="N2")) == 4
        assert SampleMove.objects.filter(order=order, kind=MoveKind.RECEIVED).count() == 2
        sample_order_receive(order=order, by=s.m(), lines=receipt)  # again: nothing changes
        assert stock(s, s.lot1) == 30


def test_receiving_more_than_ordered_or_before_approval_is_refused(smp, chain):
    s = smp
    with s.scope():
        order = _submit(s)
        line = order.lines.order_by("id").first()
        receipt = [{"line": line.pk, "lot_number": "L1", "expiry": None, "quantity": 20}]
        with pytest.raises(ValidationError) as exc:
            sample_order_receive(order=order, by=s.m(), lines=receipt)
        assert "order" in exc.value.message_dict
        order = _decide(s, order, StepState.APPROVED)
        with pytest.raises(ValidationError) as exc:
            sample_order_receive(order=order, by=s.m(), lines=[{**receipt[0], "quantity": 21}])
        assert "quantity" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            sample_order_receive(order=order, by=s.m(), lines=[{**receipt[0], "lot_number": "NEW", "expiry": None}])
        assert "expiry" in exc.value.message_dict
        assert stock(s, s.lot1) == 10 and SampleOrder.objects.get().state == OrderState.APPROVED


def test_rejected_and_sent_back_orders(smp, chain):
    s = smp
    with s.scope():
        rejected = _decide(s, _submit(s), StepState.REJECTED, "本月预算已满")
        assert (rejected.state, rejected.decision_comment) == (OrderState.REJECTED, "本月预算已满")
        returned = _decide(s, _submit(s), StepState.RETURNED, "数量减半")
        assert (returned.state, returned.decision_comment) == (OrderState.RETURNED, "数量减半")
        from approvals.services import approval_resubmit

        approval_resubmit(request=ApprovalRequest.objects.get(code=returned.approval_code), actor=s.m())
        assert _decide(s, returned, StepState.APPROVED).state == OrderState.APPROVED


def test_a_withdrawn_order_is_withdrawn_and_cannot_be_received(smp, chain):
    from approvals.services import approval_withdraw

    s = smp
    with s.scope():
        order = _submit(s)
        received = SampleMove.objects.filter(kind=MoveKind.RECEIVED).count()
        approval_withdraw(request=ApprovalRequest.objects.get(code=order.approval_code), actor=s.m())
        order.refresh_from_db()
        assert order.state == OrderState.WITHDRAWN and order.decided_at is not None
        line = order.lines.first()
        with pytest.raises(ValidationError):
            sample_order_receive(order=order, by=s.m(), lines=[{"line": line.pk, "lot_number": "W1",
                                                                "expiry": dt.date.today() + dt.timedelta(days=300),
                                                                "quantity": line.quantity}])
        assert SampleMove.objects.filter(kind=MoveKind.RECEIVED).count() == received

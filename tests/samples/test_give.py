"""Giving samples in a call: stock goes down by a conditional UPDATE, the moves and the
signature are saved; every refusal names its field and leaves nothing behind; a retry with
the same code gives once."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from calls.models import CallSettings
from calls.samples.models import MoveKind, SampleMove, SampleSignature
from calls.samples.services import Drawing, samples_give

from .conftest import PNG, SVG, make_call, stock

pytestmark = pytest.mark.usefixtures("english")


SIGNED = Drawing(svg_path=SVG)


def _give(s, lines, *, call=None, signature=SIGNED, code=None, by="rep"):
    return samples_give(call=call or s.call, lines=lines, signature=signature, code=code or uuid.uuid4(), by=s.m(by))


def _nothing_given(s):
    assert not SampleMove.objects.filter(kind=MoveKind.GIVEN).exists()
    assert not SampleSignature.objects.exists()
    assert (stock(s, s.lot1), stock(s, s.lot2)) == (10, 5)


def test_rep_gives_two_samples_with_a_signature(smp):
    s = smp
    with s.scope():
        result = _give(s, [{"lot": s.lot1.code, "quantity": 2}, {"lot": s.lot2.code, "quantity": 1}],
                       signature=Drawing(svg_path=SVG, png=PNG))
        assert result.created
        assert (stock(s, s.lot1), stock(s, s.lot2)) == (8, 4)
        moves = SampleMove.objects.filter(kind=MoveKind.GIVEN).order_by("id")
        assert [(m.lot_id, m.quantity, m.hcp_id, m.call_id) for m in moves] == [
            (s.lot1.pk, -2, s.hcp.pk, s.call.pk), (s.lot2.pk, -1, s.hcp.pk, s.call.pk)]
        sig = SampleSignature.objects.get()
        assert sig.svg_path == SVG and sig.hcp_id == s.hcp.pk and sig.call_id == s.call.pk
        assert sig.image.name.startswith(f"t{s.world.tenants['a'].pk}/signatures/")
        assert sig.image.read() == PNG
        assert {m.signature_id for m in moves} == {sig.pk}


def test_same_code_twice_gives_once(smp):
    s = smp
    code = uuid.uuid4()
    with s.scope():
        first = _give(s, [{"lot": s.lot1.code, "quantity": 3}], code=code)
        again = _give(s, [{"lot": s.lot1.code, "quantity": 3}], code=code)
        assert first.created and not again.created
        assert [m.pk for m in again.moves] == [m.pk for m in first.moves]
        assert stock(s, s.lot1) == 7
        assert SampleMove.objects.filter(kind=MoveKind.GIVEN).count() == 1
        assert SampleSignature.objects.count() == 1


def test_same_lot_on_two_lines_counts_once(smp):
    s = smp
    with s.scope():
        _give(s, [{"lot": s.lot1.code, "quantity": 2}, {"lot": str(s.lot1.code), "quantity": "3"}])
        assert stock(s, s.lot1) == 5
        assert SampleMove.objects.get(kind=MoveKind.GIVEN).quantity == -5


def test_beyond_stock_is_refused_and_nothing_is_taken(smp):
    s = smp
    with s.scope():
        with pytest.raises(ValidationError) as exc:
            _give(s, [{"lot": s.lot1.code, "quantity": 2}, {"lot": s.lot2.code, "quantity": 6}])
        assert "lines" in exc.value.message_dict
        assert "5 left, 6 asked" in exc.value.message_dict["lines"][0]
        _nothing_given(s)


def test_a_lot_the_rep_does_not_hold_is_refused(smp):
    s = smp
    with s.scope():
        with pytest.raises(ValidationError) as exc:
            _give(s, [{"lot": s.lot1.code, "quantity": 1}], call=s.call2, by="rep2")
        assert "0 left" in exc.value.message_dict["lines"][0]
        assert not SampleMove.objects.filter(kind=MoveKind.GIVEN).exists()


@pytest.mark.parametrize("settings_row", [None, True])
def test_missing_signature_is_refused_when_required(smp, settings_row):
    s = smp
    with s.scope():
        if settings_row is not None:
            CallSettings.objects.create(signature_required=settings_row)
        for drawing in (None, Drawing(), Drawing(svg_path="   ")):
            with pytest.raises(ValidationError) as exc:
                _give(s, [{"lot": s.lot1.code, "quantity": 1}], signature=drawing)
            assert exc.value.message_dict == {"signature": ["The HCP's signature is required for samples."]}
        _nothing_given(s)


def test_no_signature_needed_when_the_tenant_says_so(smp):
    s = smp
    with s.scope():
        CallSettings.objects.create(signature_required=False)
        result = _give(s, [{"lot": s.lot1.code, "quantity": 1}], signature=None)
        assert result.signature is None and stock(s, s.lot1) == 9


@pytest.mark.parametrize("drawing", [Drawing(svg_path="<script>alert(1)</script>"), Drawing(png=b"GIF89a...")])
def test_a_malformed_signature_is_refused(smp, drawing):
    s = smp
    with s.scope():
        with pytest.raises(ValidationError) as exc:
            _give(s, [{"lot": s.lot1.code, "quantity": 1}], signature=drawing)
        assert "signature" in exc.value.message_dict
        _nothing_given(s)


def test_another_reps_call_is_refused(smp):
    s = smp
    with s.scope():
        with pytest.raises(ValidationError) as exc:
            _give(s, [{"lot": s.lot1.code, "quantity": 1}], call=s.call2)
        assert exc.value.message_dict == {"call": ["You can give samples only in your own calls."]}
        _nothing_given(s)


def test_a_locked_call_is_refused(smp):
    s = smp
    with s.scope():
        locked = make_call(rep=s.m(), hcp=s.hcp, inst=s.inst, status="submitted", locked_at=timezone.now())
        old = make_call(rep=s.m(), hcp=s.hcp, inst=s.inst, status="submitted",
                        at=timezone.now() - dt.timedelta(days=30))  # past lock_after_days (7), not yet marked
        for call in (locked, old):
            with pytest.raises(ValidationError) as exc:
                _give(s, [{"lot": s.lot1.code, "quantity": 1}], call=call)
            assert "locked" in exc.value.message_dict["call"][0]
        _nothing_given(s)


def test_a_planned_call_is_refused(smp):
    s = smp
    with s.scope():
        planned = make_call(rep=s.m(), hcp=s.hcp, inst=s.inst, status="planned")
        with pytest.raises(ValidationError) as exc:
            _give(s, [{"lot": s.lot1.code, "quantity": 1}], call=planned)
        assert "only planned" in exc.value.message_dict["call"][0]
        _nothing_given(s)


def test_an_expired_lot_is_refused(smp):
    s = smp
    with s.scope():
        with pytest.raises(ValidationError) as exc:
            _give(s, [{"lot": s.lot1.code, "quantity": 1}, {"lot": s.lotx.code, "quantity": 1}])
        assert "LX expired on" in exc.value.message_dict["lines"][0]
        _nothing_given(s)
        assert stock(s, s.lotx) == 3


@pytest.mark.parametrize("lines", [[], [{"lot": "x", "quantity": 1}], [{"lot": uuid.uuid4(), "quantity": 1}],
                                   [{"quantity": 1}], [{"lot": "L1", "quantity": 0}], [{"lot": "L1", "quantity": -2}],
                                   [{"lot": "L1", "quantity": "two"}]])
def test_bad_lines_are_refused(smp, lines):
    s = smp
    with s.scope():
        lines = [{**line, "lot": s.lot1.code} if line.get("lot") == "L1" else line for line in lines]
        with pytest.raises(ValidationError) as exc:
            _give(s, lines)
        assert list(exc.value.message_dict) == ["lines"]
        _nothing_given(s)


def test_a_code_used_by_another_operation_is_refused(smp):
    s = smp
    code = uuid.uuid4()
    with s.scope():
        _give(s, [{"lot": s.lot1.code, "quantity": 1}], code=code)
        other = make_call(rep=s.m(), hcp=s.hcp, inst=s.inst)
        with pytest.raises(ValidationError) as exc:
            _give(s, [{"lot": s.lot1.code, "quantity": 1}], call=other, code=code)
        assert "code" in exc.value.message_dict
        assert stock(s, s.lot1) == 9


def test_the_ledger_is_append_only(smp):
    from django.db import IntegrityError

    s = smp
    with s.scope():
        move = SampleMove.objects.filter(lot=s.lot1).first()
        with pytest.raises(IntegrityError), transaction.atomic():
            SampleMove.objects.filter(pk=move.pk).update(quantity=99)
        with pytest.raises(IntegrityError), transaction.atomic():
            SampleMove.objects.filter(pk=move.pk).delete()
        assert SampleMove.objects.get(pk=move.pk).quantity == 10

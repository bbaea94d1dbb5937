"""Monthly reconciliation: differences become adjusted moves with the reason (one
statement); a confirmed month reconciled again changes nothing; bad counts are refused."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError

from calls.samples.models import MoveKind, Reconciliation, SampleMove
from calls.samples.services import reconciliation_count, samples_give
from calls.samples.services.give import Drawing

from .conftest import SVG, stock

pytestmark = pytest.mark.usefixtures("english")


def _month(s):
    return s.world.tenants["a"].today().replace(day=1)


def test_differences_become_adjusted_moves_and_a_second_confirm_changes_nothing(smp):
    s = smp
    with s.scope():
        counts = {s.lot1.code: 9, s.lot2.code: 5, s.lotx.code: 4}
        rec = reconciliation_count(rep=s.m(), month=_month(s), counts=counts, reason="盘点差异", by=s.m(),
                                   confirm=True)
        assert rec.state == Reconciliation.State.CONFIRMED and rec.confirmed_by_id == s.m().pk
        adjusted = {m.lot_id: (m.quantity, m.reason, m.code) for m in SampleMove.objects.filter(kind=MoveKind.ADJUSTED)}
        assert adjusted == {s.lot1.pk: (-1, "盘点差异", rec.code), s.lotx.pk: (1, "盘点差异", rec.code)}
        assert (stock(s, s.lot1), stock(s, s.lot2), stock(s, s.lotx)) == (9, 5, 4)
        lines = {line.lot_id: (line.ledger_quantity, line.counted) for line in rec.lines.all()}
        assert lines == {s.lot1.pk: (10, 9), s.lot2.pk: (5, 5), s.lotx.pk: (3, 4)}

        moves_before = SampleMove.objects.count()
        again = reconciliation_count(rep=s.m(), month=_month(s), counts={s.lot1.code: 0, s.lot2.code: 0,
                                     s.lotx.code: 0}, reason="再来一次", by=s.m(), confirm=True)
        assert again.pk == rec.pk and again.reason == "盘点差异"
        assert SampleMove.objects.count() == moves_before
        assert stock(s, s.lot1) == 9


def test_counts_saved_then_confirmed_use_the_ledger_at_confirmation(smp):
    s = smp
    with s.scope():
        counts = {s.lot1.code: 10, s.lot2.code: 5, s.lotx.code: 3}
        rec = reconciliation_count(rep=s.m(), month=_month(s), counts=counts, by=s.m())
        assert rec.state == Reconciliation.State.DRAFT
        assert not SampleMove.objects.filter(kind=MoveKind.ADJUSTED).exists()
        samples_give(call=s.call, lines=[{"lot": s.lot1.code, "quantity": 2}], signature=Drawing(svg_path=SVG),
                     code=uuid.uuid4(), by=s.m())
        rec = reconciliation_count(rep=s.m(), month=_month(s), counts={**counts, s.lot1.code: 8}, by=s.m(),
                                   confirm=True)
        assert rec.state == Reconciliation.State.CONFIRMED
        assert not SampleMove.objects.filter(kind=MoveKind.ADJUSTED).exists()  # no difference: no adjustment
        assert rec.lines.count() == 3


@pytest.mark.parametrize(("counts", "reason", "field"), [
    ({"lot1": 10, "lot2": 5}, "", "counts"),              # lot LX held but not counted
    ({"lot1": -1, "lot2": 5, "lotx": 3}, "x", "counts"),
    ({"lot1": "many", "lot2": 5, "lotx": 3}, "x", "counts"),
    ({"lot1": 9, "lot2": 5, "lotx": 3}, "", "reason"),    # a difference needs a reason
])
def test_bad_counts_are_refused(smp, counts, reason, field):
    s = smp
    with s.scope():
        lots = {"lot1": s.lot1, "lot2": s.lot2, "lotx": s.lotx}
        with pytest.raises(ValidationError) as exc:
            reconciliation_count(rep=s.m(), month=_month(s), counts={lots[k].code: v for k, v in counts.items()},
                                 reason=reason, by=s.m(), confirm=True)
        assert field in exc.value.message_dict
        assert not Reconciliation.objects.exists()
        assert not SampleMove.objects.filter(kind=MoveKind.ADJUSTED).exists()


def test_a_future_month_is_refused(smp):
    s = smp
    with s.scope():
        month = (_month(s) + dt.timedelta(days=40)).replace(day=1)
        with pytest.raises(ValidationError) as exc:
            reconciliation_count(rep=s.m(), month=month, counts={}, by=s.m(), confirm=True)
        assert "month" in exc.value.message_dict

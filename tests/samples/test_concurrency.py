"""Two gives of the same lot at the same moment, on two connections: the second waits on
the first's row lock, then finds too little left and is refused; stock never goes below
zero and the ledger matches the stock."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import translation

from calls.samples.models import MoveKind, SampleMove
from calls.samples.services import Drawing, samples_give

from .conftest import SVG, stock

pytestmark = pytest.mark.usefixtures("english")


def test_two_concurrent_gives_never_take_the_same_units(tsmp):
    s = tsmp
    first_gave = threading.Event()
    release_first = threading.Event()
    outcome: dict[str, object] = {}

    def worker(name, *, hold):
        try:  # a thread starts in the default language: ask for the English wording here too
            with translation.override("en"), s.scope(), transaction.atomic():
                try:
                    samples_give(call=s.call, lines=[{"lot": s.lot1.code, "quantity": 7}],
                                 signature=Drawing(svg_path=SVG), code=uuid.uuid4(), by=s.m())
                    outcome[name] = "given"
                except ValidationError as exc:
                    outcome[name] = exc.message_dict
                if hold:
                    first_gave.set()
                    release_first.wait(10)  # keep the row locked while the other one tries
        finally:
            connection.close()

    a = threading.Thread(target=worker, args=("a",), kwargs={"hold": True})
    a.start()
    assert first_gave.wait(10)
    b = threading.Thread(target=worker, args=("b",), kwargs={"hold": False})
    b.start()
    time.sleep(0.5)
    assert b.is_alive(), "the second give should wait for the first one's row lock"
    release_first.set()
    a.join(10)
    b.join(10)
    assert outcome["a"] == "given"
    assert "3 left, 7 asked" in outcome["b"]["lines"][0]
    with s.scope(), transaction.atomic():
        assert stock(s, s.lot1) == 3
        assert SampleMove.objects.filter(kind=MoveKind.GIVEN).count() == 1
        assert SampleMove.objects.filter(rep=s.m(), lot=s.lot1).aggregate(t=Sum("quantity"))["t"] == 3


def test_the_same_code_sent_twice_at_once_gives_once(tsmp):
    s = tsmp
    code = uuid.uuid4()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait(10)
            with s.scope(), transaction.atomic():
                r = samples_give(call=s.call, lines=[{"lot": s.lot1.code, "quantity": 2}],
                                 signature=Drawing(svg_path=SVG), code=code, by=s.m())
                results.append(r.created)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert sorted(results) == [False, True]
    with s.scope(), transaction.atomic():
        assert stock(s, s.lot1) == 8
        assert SampleMove.objects.filter(kind=MoveKind.GIVEN).count() == 1

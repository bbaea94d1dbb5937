"""Large realignments are applied by a Celery worker: the apply page and the API queue the
batch (above ``BACKGROUND_ABOVE`` items, lowered here), the batch page shows "being applied"
and polls a small partial every 2 s until HTTP 286; small batches still apply in the
request; the task is idempotent and records why it refused. One run on a real worker."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import transaction
from django.urls import reverse

from customers.models import Alignment, RealignmentBatch
from customers.services.realignment import apply as apply_module
from customers.services.realignment import realignment_by_geography, realignment_cancel
from customers.tasks.realign import realignment_apply_task
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def background(monkeypatch):
    """Every batch (more than 0 items) goes to the worker."""
    monkeypatch.setattr(apply_module, "BACKGROUND_ABOVE", 0)


def _admin(world):
    return world.users["a"]["admin"].membership_row


def _batch(world, customers, day=None):
    with world.scope("a"), transaction.atomic():
        return realignment_by_geography(product_line=customers.line, effective_date=day or world.tenants["a"].today(),
                                        territory=world.nodes["a"]["t3"], province="上海市", by=_admin(world))


def _get(world, batch):
    with world.scope("a"), transaction.atomic():
        return RealignmentBatch.objects.get(pk=batch.pk)


def _urls(batch):
    return {name: reverse(f"customers:realignment_{name}", kwargs={"code": batch.code})
            for name in ("detail", "apply", "progress", "cancel")}


def test_a_small_batch_still_applies_in_the_request(client, world, customers):
    batch = _batch(world, customers)
    assert apply_module.prepared_items(batch) == 5 <= apply_module.BACKGROUND_ABOVE
    client.force_login(world.users["a"]["admin"])
    html = client.post(_urls(batch)["apply"], follow=True).content.decode()
    assert "5 alignments created" in html and "Being applied" not in html
    batch = _get(world, batch)
    assert batch.state == "applied" and "applying" not in batch.summary
    assert client.get(_urls(batch)["progress"]).status_code == 286


def test_a_large_batch_is_queued_and_the_page_polls_until_it_is_applied(client, world, customers, background):
    batch = _batch(world, customers)
    urls = _urls(batch)
    client.force_login(world.users["a"]["admin"])
    html = client.post(urls["apply"], follow=True).content.decode()
    assert "it is being applied in the background" in html
    assert "Being applied" in html
    assert f'hx-get="{urls["progress"]}" hx-trigger="every 2s"' in html
    assert f'action="{urls["apply"]}"' not in html and f'action="{urls["cancel"]}"' not in html  # no buttons meanwhile
    batch = _get(world, batch)
    assert batch.state == "draft" and batch.summary["applying"]["by"] == _admin(world).pk
    with world.scope("a"), transaction.atomic():
        assert not Alignment.objects.filter(batch=batch).exists()  # the test transaction never commits: no task ran

    with assert_max_queries(8):  # session, membership, tenant … and the batch: flat
        polled = client.get(urls["progress"])
    assert polled.status_code == 200 and "every 2s" in polled.content.decode()

    # cancelling while a worker is to apply it is refused
    with world.scope("a"), transaction.atomic(), pytest.raises(Exception, match="being applied"):
        realignment_cancel(batch=batch, by=_admin(world))

    # what the worker runs (the real worker is below): the batch is applied, the poll stops
    with world.scope("a"), transaction.atomic():
        assert realignment_apply_task.run(batch.pk, _admin(world).pk) == "applied"
        assert realignment_apply_task.run(batch.pk, _admin(world).pk) == "applied already"
        assert Alignment.objects.filter(batch=batch).count() == 5
    done = client.get(urls["progress"])
    assert done.status_code == 286
    text = done.content.decode()
    assert "The batch is applied: 5 alignments created, 4 ended, 0 future ones removed." in text
    assert "hx-get" not in text
    batch = _get(world, batch)
    assert batch.state == "applied" and "applying" not in batch.summary
    assert "Being applied" not in client.get(urls["detail"]).content.decode()


def test_a_refused_background_apply_is_shown_and_the_poll_stops(client, world, customers, background):
    batch = _batch(world, customers)
    client.force_login(world.users["a"]["admin"])
    client.post(_urls(batch)["apply"])
    with world.scope("a"), transaction.atomic():  # the day passes before a worker gets to it
        RealignmentBatch.objects.filter(pk=batch.pk).update(effective_date=world.tenants["a"].today() - dt.timedelta(1))
        assert realignment_apply_task.run(batch.pk, _admin(world).pk) == "refused"
        assert not Alignment.objects.filter(batch=batch).exists()
    batch = _get(world, batch)
    assert batch.state == "draft" and "applying" not in batch.summary
    assert "has passed" in batch.summary["apply_error"][0]
    done = client.get(_urls(batch)["progress"])
    assert done.status_code == 286 and "The batch was not applied:" in done.content.decode()
    html = client.get(_urls(batch)["detail"]).content.decode()
    assert "The batch was not applied:" in html and "has passed" in html and "Being applied" not in html
    with world.scope("a"), transaction.atomic():  # no longer being applied: it can be cancelled
        assert realignment_cancel(batch=batch, by=_admin(world))


def test_the_api_queues_a_large_batch_with_202(client, world, customers, background):
    batch = _batch(world, customers)
    client.force_login(world.users["a"]["admin"])
    url = reverse("api-customers-realignments-apply", kwargs={"code": batch.code})
    response = client.post(url)
    assert response.status_code == 202
    body = response.json()
    assert (body["state"], body["applying"], body["applied_now"], body["apply_error"]) == ("draft", True, False, [])
    detail = client.get(reverse("api-customers-realignments-detail", kwargs={"code": batch.code})).json()
    assert detail["applying"] is True
    with world.scope("a"), transaction.atomic():
        realignment_apply_task.run(batch.pk, _admin(world).pk)
    again = client.post(url)
    assert again.status_code == 200 and again.json()["applied_now"] is False and again.json()["state"] == "applied"


# --------------------------------------------------------------------------- a real worker


@pytest.mark.celery
def test_a_large_batch_is_applied_by_a_real_worker(client, tworld, tcustomers, celery_worker_proc, monkeypatch):
    monkeypatch.setattr(apply_module, "BACKGROUND_ABOVE", 0)
    monkeypatch.setattr(apply_module, "BACKGROUND_QUEUE", celery_worker_proc)
    batch = _batch(tworld, tcustomers)
    urls = _urls(batch)
    client.force_login(tworld.users["a"]["admin"])
    assert "Being applied" in client.post(urls["apply"], follow=True).content.decode()
    deadline = time.time() + 60
    while time.time() < deadline:
        polled = client.get(urls["progress"])
        if polled.status_code == 286:
            break
        assert polled.status_code == 200 and "Being applied" in polled.content.decode()
        time.sleep(0.5)
    assert polled.status_code == 286, "the worker did not apply the batch within 60 s"
    assert "The batch is applied: 5 alignments created" in polled.content.decode()
    batch = _get(tworld, batch)
    assert batch.state == "applied" and batch.applied_by_id == _admin(tworld).pk
    with tworld.scope("a"), transaction.atomic():
        assert Alignment.objects.filter(batch=batch).count() == 5
    # idempotent: the same task again changes nothing
    with tworld.scope("a"):
        result = realignment_apply_task.apply_async((batch.pk, _admin(tworld).pk), queue=celery_worker_proc)
        assert result.get(timeout=60) == "applied already"
    with tworld.scope("a"), transaction.atomic():
        assert Alignment.objects.filter(batch=batch).count() == 5
    with tworld.scope("b"), transaction.atomic():
        assert not RealignmentBatch.objects.exists()

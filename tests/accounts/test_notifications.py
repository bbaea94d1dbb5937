"""The in-app notification list: a member's own notifications, unread first and newest
first, marked read one at a time or all at once; the bell in the navigation counts the
unread ones; queries do not grow with the list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, Notification, User
from accounts.services.notifications import notify

LIST = reverse("notifications:list")
MARK = reverse("notifications:mark_read")


@pytest.fixture(autouse=True)
def english(world):
    from django.utils import translation

    User.objects.filter(pk__in=[u.pk for u in world.users["a"].values()]).update(language="en")
    with translation.override("en"):
        yield


def _notify(world, role="rep", key="a", title="提醒", url="", **kwargs):
    with world.scope(key), transaction.atomic():
        m = Membership.objects.select_related("user").get(user=world.users[key][role])
        return notify(recipients=[m], kind="test", title=title, url=url, email=False, **kwargs)[0]


def _unread(world, role="rep", key="a"):
    with world.scope(key):
        return Notification.objects.filter(recipient__user=world.users[key][role]).unread().count()


def test_list_shows_own_notifications_unread_first_then_newest(world, login):
    old_read = _notify(world, title="old and read")
    old_unread = _notify(world, title="old unread")
    new_unread = _notify(world, title="new unread")
    _notify(world, role="manager", title="the manager's")
    _notify(world, role="rep", key="b", title="tenant B's")
    with world.scope("a"):
        base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        for i, n in enumerate((old_read, old_unread, new_unread)):
            Notification.objects.filter(pk=n.pk).update(created_at=base + dt.timedelta(hours=i))
        Notification.objects.filter(pk=old_read.pk).update(read_at=base)
    response = login(world.users["a"]["rep"]).get(LIST)
    assert response.status_code == 200
    titles = [n.title for n in response.context["page"].object_list]
    assert titles == ["new unread", "old unread", "old and read"]
    html = response.content.decode()
    assert "the manager's" not in html and "tenant B's" not in html
    # The bell: the unread count, said in words for screen readers.
    assert '2<span class="visually-hidden"> unread</span>' in html


def test_mark_one_read_then_all(world, login):
    first = _notify(world, title="first")
    _notify(world, title="second")
    _notify(world, title="third")
    client = login(world.users["a"]["rep"])
    response = client.post(MARK, {"code": first.code})
    assert response.status_code == 302 and response.url == LIST
    assert _unread(world) == 2
    with world.scope("a"):
        first.refresh_from_db()
    assert first.read_at is not None
    response = client.post(MARK)
    assert response.status_code == 302
    assert _unread(world) == 0
    page = client.get(LIST).content.decode()
    assert "2 notifications marked as read." in page and "unread</span>" not in page


def test_open_marks_read_and_goes_to_what_it_is_about(world, login):
    n = _notify(world, title="waiting", url="/approvals/")
    response = login(world.users["a"]["rep"]).post(MARK, {"code": n.code, "open": "1"})
    assert response.status_code == 302 and response.url == "/approvals/"
    assert _unread(world) == 0


def test_someone_elses_or_another_tenants_notification_is_404_and_stays_unread(world, login):
    n = _notify(world, title="the rep's")
    assert login(world.users["a"]["manager"]).post(MARK, {"code": n.code}).status_code == 404
    assert login(world.users["b"]["admin"]).post(MARK, {"code": n.code}).status_code == 404
    assert login(world.users["a"]["rep"]).post(MARK, {"code": "not-a-code"}).status_code == 404
    assert _unread(world) == 1


def test_list_is_paginated_and_queries_do_not_grow(world, login):
    client = login(world.users["a"]["rep"])
    for i in range(3):
        _notify(world, title=f"n{i}")

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for i in range(40):
        _notify(world, title=f"more {i}")
    assert queries() == few
    response = client.get(LIST, {"page": 2})
    assert len(response.context["page"].object_list) == 43 - 25

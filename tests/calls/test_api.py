"""``/api/v1/calls/``: create idempotent by the client's code, PATCH with a reason,
visibility on list and detail (other tenant 404), tasks; the list's queries do not grow."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from calls.models import Call, FollowUp
from tests.helpers import count_queries

from .conftest import submit

pytestmark = pytest.mark.usefixtures("english")


def _post(client, body):
    return client.post(reverse("api-calls-calls-list"), body, content_type="application/json")


def test_the_same_post_twice_gives_one_call(cw, login):
    client = login(cw.user())
    body = {**cw.raw(), "code": str(uuid.uuid4())}
    first, second = _post(client, body), _post(client, body)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["code"] == second.json()["code"] == body["code"]
    assert [p["brand"]["name"] for p in first.json()["products"]] == ["立普妥", "络活喜"]
    with cw.world.scope("a"):
        assert Call.objects.count() == 1 and FollowUp.objects.count() == 1


def test_bad_input_is_refused_by_field_with_nothing_saved(cw, login):
    client = login(cw.user())
    for over, field in (({"hcp": str(cw.c.h3.code)}, "hcp"), ({"at": "2099-01-01T00:00:00+08:00"}, "at"),
                        ({"products": [{"brand": str(cw.brand1.code)}, {"brand": str(cw.brand1.code)}]}, "products"),
                        ({"hcp": "nope"}, "hcp")):
        response = _post(client, {**cw.raw(**over), "code": str(uuid.uuid4())})
        assert response.status_code == 400 and field in response.json(), (over, response.json())
    with cw.world.scope("a"):
        assert not Call.objects.exists()


def test_patch_needs_a_reason_once_submitted_and_only_the_rep_may(cw, login):
    with cw.world.scope("a"):
        call = submit(cw)
    url = reverse("api-calls-calls-detail", kwargs={"code": call.code})
    client = login(cw.user())
    refused = client.patch(url, {"notes": "改"}, content_type="application/json")
    assert refused.status_code == 400 and "reason" in refused.json()
    ok = client.patch(url, {"notes": "改", "reason": "补充"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["notes"] == "改" and ok.json()["edit_count"] == 1
    assert len(ok.json()["products"]) == 2  # the rest of the call is kept
    manager = login(cw.user("manager"))
    assert manager.patch(url, {"notes": "x", "reason": "y"}, content_type="application/json").status_code == 403


def test_visibility_on_the_api(cw, login):
    with cw.world.scope("a"):
        mine = submit(cw)
        theirs = submit(cw, role="rep2", hcp=str(cw.c.h3.code))
    detail = lambda c: reverse("api-calls-calls-detail", kwargs={"code": c.code})  # noqa: E731
    for role, seen, unseen in (("rep", mine, theirs), ("rep2", theirs, mine), ("manager", mine, theirs)):
        client = login(cw.user(role))
        codes = {r["code"] for r in client.get(reverse("api-calls-calls-list")).json()["results"]}
        assert str(seen.code) in codes and str(unseen.code) not in codes, role
        assert client.get(detail(seen)).status_code == 200 and client.get(detail(unseen)).status_code == 404, role
    analyst = login(cw.user("analyst"))
    assert {r["code"] for r in analyst.get(reverse("api-calls-calls-list")).json()["results"]} \
        == {str(mine.code), str(theirs.code)}
    other = login(cw.user("admin", "b"))
    assert other.get(detail(mine)).status_code == 404
    assert other.get(reverse("api-calls-calls-list")).json()["results"] == []


def test_the_api_list_queries_do_not_grow(cw, login):
    client = login(cw.user("manager"))
    with cw.world.scope("a"):
        for _ in range(3):
            submit(cw)
    few = count_queries(lambda: client.get(reverse("api-calls-calls-list") + "?page_size=2"))
    with cw.world.scope("a"):
        for _ in range(20):
            submit(cw)
    assert count_queries(lambda: client.get(reverse("api-calls-calls-list") + "?page_size=2")) == few


def test_tasks_on_the_api(cw, login):
    client = login(cw.user())
    code = str(uuid.uuid4())
    first = client.post(reverse("api-calls-tasks-list"), {"title": "回访", "code": code, "hcp": str(cw.c.zw.code)},
                        content_type="application/json")
    again = client.post(reverse("api-calls-tasks-list"), {"title": "回访", "code": code}, content_type="application/json")
    assert first.status_code == 201 and again.status_code == 200 and first.json()["code"] == code
    assert client.post(reverse("api-calls-tasks-list"), {"title": "x", "hcp": str(cw.c.h3.code)},
                       content_type="application/json").status_code == 400
    assert [t["title"] for t in client.get(reverse("api-calls-tasks-list")).json()["results"]] == ["回访"]
    done = client.post(reverse("api-calls-tasks-done", kwargs={"code": code}))
    assert done.status_code == 200 and done.json()["done_at"]
    assert client.get(reverse("api-calls-tasks-list")).json()["results"] == []
    assert login(cw.user("rep2")).post(reverse("api-calls-tasks-done", kwargs={"code": code})).status_code == 404

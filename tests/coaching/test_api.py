"""The API: visibility per role, idempotent create by code, acknowledge, bad input by field,
queries fixed per list."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from calls.coaching.models import Evaluation, EvaluationState, Score
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.usefixtures("english")

LIST = "api-coaching-evaluations-list"


def _as(client, coach, role, tenant="a"):
    client.force_login(coach.world.users[tenant][role])
    return client


def _body(coach, **over) -> dict:
    body = {"code": str(uuid.uuid4()), "rep": str(coach.m("rep").code), "day": coach.today().isoformat(),
            "scores": [{"skill": str(coach.skills[0].code), "score": 4, "comment": "好"},
                       {"skill": str(coach.skills[2].code), "score": 2}],
            "strengths": "开场", "share": True}
    body.update(over)
    return body


def test_create_twice_with_the_same_code_makes_one(coach, client):
    _as(client, coach, "manager")
    body = _body(coach)
    first = client.post(reverse(LIST), body, content_type="application/json")
    assert first.status_code == 201, first.json()
    again = client.post(reverse(LIST), body, content_type="application/json")
    assert again.status_code == 200 and again.json()["code"] == first.json()["code"] == body["code"]
    data = first.json()
    assert data["state"] == "shared" and [s["score"] for s in data["scores"]] == [4, 2]
    assert data["rep"] == {"code": str(coach.m("rep").code), "name": "rep a"}
    with coach.world.scope("a"):
        assert Evaluation.objects.count() == 1 and Score.objects.count() == 2


@pytest.mark.parametrize(("over", "field", "words"), [
    ({"scores": [{"skill": "00000000-0000-0000-0000-000000000000", "score": 3}]}, "scores", "coaching list"),
    ({"scores": [{"skill": "RETIRED", "score": 3}]}, "scores", "no longer scored"),
    ({"scores": [{"skill": "S0", "score": 6}]}, "scores", "from 1 to 5"),
    ({"rep": "REP2"}, "rep", "not in your team"),
    ({"rep": str(uuid.uuid4())}, "rep", "Choose a rep"),
    ({"day": "2999-01-01"}, "day", "future"),
    ({"day": "yesterday"}, "day", ""),
    ({"call": str(uuid.uuid4())}, "call", "not one of"),
])
def test_bad_input_is_refused_by_field_and_nothing_saved(coach, client, over, field, words):
    for key, value in list(over.items()):
        if key == "rep" and value == "REP2":
            over[key] = str(coach.m("rep2").code)
        if key == "scores":
            skill = {"RETIRED": coach.retired, "S0": coach.skills[0]}.get(value[0]["skill"])
            if skill is not None:
                over[key] = [{**value[0], "skill": str(skill.code)}]
    _as(client, coach, "manager")
    response = client.post(reverse(LIST), _body(coach, **over), content_type="application/json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert words in " ".join(map(str, response.json()[field]))
    with coach.world.scope("a"):
        assert Evaluation.objects.count() == 0 and Score.objects.count() == 0


def test_only_managers_create(coach, client):
    for role in ("rep", "analyst", "admin"):
        assert _as(client, coach, role).post(reverse(LIST), _body(coach), content_type="application/json").status_code == 403
    assert _as(client, coach, "finance").get(reverse(LIST)).status_code == 403


def test_visibility_per_role_and_other_tenant(coach, client):
    with coach.world.scope("a"):
        shared = coach.evaluate()
        draft = coach.evaluate(share=False)
    detail = lambda e: reverse("api-coaching-evaluations-detail", kwargs={"code": e.code})  # noqa: E731
    codes = lambda c: {r["code"] for r in c.get(reverse(LIST)).json()["results"]}  # noqa: E731
    assert codes(_as(client, coach, "rep")) == {str(shared.code)}
    assert client.get(detail(draft)).status_code == 404
    assert codes(_as(client, coach, "rep2")) == set() and client.get(detail(shared)).status_code == 404
    assert codes(_as(client, coach, "manager")) == {str(shared.code), str(draft.code)}
    assert codes(_as(client, coach, "analyst")) == {str(shared.code)}
    for role in ("admin", "rep"):
        _as(client, coach, role, "b")
        assert codes(client) == set() and client.get(detail(shared)).status_code == 404
        skills = {s["code"] for s in client.get(reverse("api-coaching-skills-list")).json()["results"]}
        assert skills == {str(s.code) for s in coach.b_skills}
        assert client.get(reverse("api-coaching-skills-detail", kwargs={"code": coach.skills[0].code})).status_code == 404
    # filters
    _as(client, coach, "manager")
    assert {r["code"] for r in client.get(reverse(LIST), {"state": "draft"}).json()["results"]} == {str(draft.code)}
    assert client.get(reverse(LIST), {"rep": str(coach.m("rep2").code)}).json()["results"] == []
    assert client.get(reverse(LIST), {"state": "lost"}).status_code == 400


def test_share_and_acknowledge(coach, client):
    with coach.world.scope("a"):
        draft = coach.evaluate(share=False)
    share = reverse("api-coaching-evaluations-share", kwargs={"code": draft.code})
    ack = reverse("api-coaching-evaluations-acknowledge", kwargs={"code": draft.code})
    assert _as(client, coach, "rep").post(ack).status_code == 404  # a draft is not the rep's to see
    assert _as(client, coach, "manager").post(share).json()["state"] == "shared"
    assert client.post(share).status_code == 400 and "state" in client.post(share).json()
    assert client.post(ack).status_code == 403
    assert _as(client, coach, "rep2").post(ack).status_code == 404
    response = _as(client, coach, "rep").post(ack, {"comment": "收到"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["state"] == "acknowledged"
    assert response.json()["rep_comment"] == "收到"
    again = client.post(ack)
    assert again.status_code == 400 and "already" in again.json()["state"][0]
    with coach.world.scope("a"):
        assert Evaluation.objects.get().state == EvaluationState.ACKNOWLEDGED


def test_list_queries_are_fixed(coach, client):
    with coach.world.scope("a"):
        coach.evaluate()
    _as(client, coach, "manager")
    with assert_max_queries(10) as few:
        client.get(reverse(LIST))
    with coach.world.scope("a"):
        for _i in range(15):
            coach.evaluate(scores=[(s, 3) for s in coach.skills])
    with assert_max_queries(len(few.captured_queries)):
        assert len(client.get(reverse(LIST)).json()["results"]) == 16

"""The coaching pages per role: who sees which evaluation (rep: own, rep2: not, manager: the
team, other tenant: 404), the forms' bad input, bounded queries, Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from calls.coaching.models import Evaluation, EvaluationState, Score, Skill
from tests.helpers import assert_max_queries

from .conftest import make_call

pytestmark = pytest.mark.usefixtures("english")


def _detail(e):
    return reverse("coaching:evaluation_detail", kwargs={"code": e.code})


def _login(client, coach, role, tenant="a"):
    client.force_login(coach.world.users[tenant][role])
    return client


def _post_data(coach, **over) -> dict:
    data = {"code": "", "rep": str(coach.m("rep").code), "day": coach.today().isoformat(), "call": "",
            "strengths": "开场自然", "to_improve": "异议处理", "comment": "整体不错",
            f"score_{coach.skills[0].code}": "4", f"note_{coach.skills[0].code}": "好",
            f"score_{coach.skills[1].code}": "3"}
    data.update(over)
    return data


def test_rep_sees_own_rep2_not_manager_team_other_tenant_404(coach, client):
    with coach.world.scope("a"):
        shared = coach.evaluate()
        draft = coach.evaluate(share=False, scores=[(coach.skills[2], 2)])
    pages = lambda e: [_detail(e)]  # noqa: E731
    # rep: the shared one, not the draft; in the list too.
    _login(client, coach, "rep")
    assert client.get(_detail(shared)).status_code == 200
    assert client.get(_detail(draft)).status_code == 404
    listed = client.get(reverse("coaching:evaluation_list")).content.decode()
    assert str(shared.code) in listed and str(draft.code) not in listed
    # rep2 (another territory, not evaluated): nothing.
    _login(client, coach, "rep2")
    assert all(client.get(u).status_code == 404 for u in pages(shared) + pages(draft))
    assert str(shared.code) not in client.get(reverse("coaching:evaluation_list")).content.decode()
    # the manager (author) sees both; the analyst and the admin the shared one only.
    _login(client, coach, "manager")
    assert client.get(_detail(draft)).status_code == 200
    for role in ("analyst", "admin"):
        _login(client, coach, role)
        assert client.get(_detail(shared)).status_code == 200 and client.get(_detail(draft)).status_code == 404
    # data steward and finance: coaching is not theirs.
    for role in ("data_steward", "finance"):
        _login(client, coach, role)
        assert client.get(reverse("coaching:evaluation_list")).status_code == 403
    # the other tenant: 404 for every code of ours (to each role that may open the page), its own empty list.
    edit = reverse("coaching:evaluation_edit", kwargs={"code": shared.code})
    for role, urls in (("admin", [_detail(shared), reverse("coaching:skill_edit", kwargs={"code": coach.skills[0].code})]),
                       ("rep", [_detail(shared)]), ("manager", [_detail(shared), edit])):
        _login(client, coach, role, "b")
        for url in urls:
            assert client.get(url).status_code == 404, (role, url)
        assert str(shared.code) not in client.get(reverse("coaching:evaluation_list")).content.decode()


def test_a_manager_outside_the_team_does_not_see_the_reps_evaluations(coach, client):
    """A second manager holding the other district (朝阳一区's) sees neither rep's evaluation."""
    from accounts.models import Position, Role
    from accounts.services.users import user_create

    with coach.world.scope("a"):
        shared = coach.evaluate()
        other = user_create(email="manager2@a.test", full_name="manager2 a", roles=[Role.MANAGER], password="x-Y-42-z")
        Position.objects.create(node=coach.world.nodes["a"]["other"], holder=other,
                                start_date=coach.today() - dt.timedelta(days=5))
    client.force_login(other.user)
    assert client.get(_detail(shared)).status_code == 404
    assert str(shared.code) not in client.get(reverse("coaching:evaluation_list")).content.decode()
    reps = client.get(reverse("coaching:evaluation_new")).content.decode()
    assert "rep2 a" in reps and ">rep a<" not in reps


def test_manager_records_shares_and_rep_acknowledges_through_the_pages(coach, client):
    with coach.world.scope("a"):
        call = make_call(coach)
    _login(client, coach, "manager")
    page = client.get(reverse("coaching:evaluation_new")).content.decode()
    assert coach.skills[0].name in page and coach.retired.name not in page and "rep a" in page
    assert "rep2 a" not in page
    data = _post_data(coach, call=str(call.code), code="8d7b2c1e-33aa-4c55-9e11-2f0a9b7c6d5e", share="1")
    response = client.post(reverse("coaching:evaluation_new"), data)
    assert response.status_code == 302
    again = client.post(reverse("coaching:evaluation_new"), data)  # a double submit
    assert again.status_code == 302 and again["Location"] == response["Location"]
    with coach.world.scope("a"):
        evaluation = Evaluation.objects.get()
        assert evaluation.state == EvaluationState.SHARED and evaluation.call_id == call.pk
        assert sorted(Score.objects.filter(evaluation=evaluation).values_list("score", flat=True)) == [3, 4]
    _login(client, coach, "rep")
    page = client.get(_detail(evaluation)).content.decode()
    assert "Acknowledge" in page and "开场自然" in page
    assert client.post(reverse("coaching:evaluation_acknowledge", kwargs={"code": evaluation.code}),
                       {"rep_comment": "收到"}).status_code == 302
    with coach.world.scope("a"):
        assert Evaluation.objects.get().state == EvaluationState.ACKNOWLEDGED
    # Read-only now: the manager's edit page sends back to the detail; a POST changes nothing.
    _login(client, coach, "manager")
    edit = reverse("coaching:evaluation_edit", kwargs={"code": evaluation.code})
    assert client.get(edit).status_code == 302
    assert client.post(edit, _post_data(coach, comment="改了")).status_code == 302
    with coach.world.scope("a"):
        assert Evaluation.objects.get().comment == "整体不错"


@pytest.mark.parametrize(("over", "field_text"), [
    ({"rep": ""}, "This field is required."),
    ({"day": ""}, "This field is required."),
    ({"day": "2999-01-01"}, "cannot be in the future"),
])
def test_bad_form_input_is_refused_with_the_field_named(coach, client, over, field_text):
    _login(client, coach, "manager")
    response = client.post(reverse("coaching:evaluation_new"), _post_data(coach, **over))
    assert response.status_code == 400
    assert field_text in response.content.decode()
    with coach.world.scope("a"):
        assert Evaluation.objects.count() == 0 and Score.objects.count() == 0


def test_a_rep_outside_the_team_posted_by_code_is_refused(coach, client):
    _login(client, coach, "manager")
    response = client.post(reverse("coaching:evaluation_new"), _post_data(coach, rep=str(coach.m("rep2").code)))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    response = client.post(reverse("coaching:evaluation_new"),
                           _post_data(coach, **{f"score_{coach.skills[0].code}": "7"}))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    with coach.world.scope("a"):
        assert Evaluation.objects.count() == 0


def test_acknowledging_someone_elses_is_refused(coach, client):
    with coach.world.scope("a"):
        shared = coach.evaluate()
    url = reverse("coaching:evaluation_acknowledge", kwargs={"code": shared.code})
    assert _login(client, coach, "rep2").post(url).status_code == 404
    assert _login(client, coach, "manager").post(url).status_code == 403
    assert _login(client, coach, "rep", "b").post(url).status_code == 404
    with coach.world.scope("a"):
        assert Evaluation.objects.get().state == EvaluationState.SHARED


def test_list_queries_do_not_grow_with_data(coach, client):
    with coach.world.scope("a"):
        coach.evaluate()
    for role in ("manager", "rep", "analyst"):
        _login(client, coach, role)
        with assert_max_queries(14) as few:  # sign-in, tenant, nav badges of other apps: 8 of them
            assert client.get(reverse("coaching:evaluation_list")).status_code == 200
        counts = [len(few.captured_queries)]
        with coach.world.scope("a"):
            for i in range(12):
                coach.evaluate(day=coach.today() - dt.timedelta(days=i), share=i % 2 == 0)
        with assert_max_queries(counts[0]):
            assert client.get(reverse("coaching:evaluation_list"), {"state": "shared"}).status_code == 200
        with assert_max_queries(counts[0]):
            assert client.get(reverse("coaching:evaluation_list")).status_code == 200


def test_detail_and_form_queries_are_bounded(coach, client):
    with coach.world.scope("a"):
        small = coach.evaluate(scores=[(coach.skills[0], 3)], share=False)
        big = coach.evaluate(scores=[(s, 4) for s in coach.skills], share=False)
    _login(client, coach, "manager")
    with assert_max_queries(12) as one:
        client.get(_detail(small))
    with assert_max_queries(len(one.captured_queries)):
        client.get(_detail(big))
    with assert_max_queries(16):
        client.get(reverse("coaching:evaluation_edit", kwargs={"code": big.code}))
    with assert_max_queries(16):
        client.get(reverse("coaching:evaluation_new"))


def test_skills_page_adds_edits_moves_and_refuses_a_duplicate(coach, client):
    _login(client, coach, "admin")
    url = reverse("coaching:skill_list")
    assert client.post(url, {"name": "产品知识"}).status_code == 302
    response = client.post(url, {"name": coach.skills[0].name})
    assert response.status_code == 400 and "exists already" in response.content.decode()
    response = client.post(url, {"name": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    edit = reverse("coaching:skill_edit", kwargs={"code": coach.skills[1].code})
    assert client.post(edit, {"name": "需求探询", "description": "", "is_active": ""}).status_code == 302
    move = reverse("coaching:skill_move", kwargs={"code": coach.skills[2].code})
    assert client.post(move, {"direction": "up"}).status_code == 302
    with coach.world.scope("a"):
        assert not Skill.objects.get(pk=coach.skills[1].pk).is_active
        order = list(Skill.objects.order_by("position").values_list("pk", flat=True))
        assert order.index(coach.skills[2].pk) == 1 and Skill.objects.filter(name="产品知识").exists()
    _login(client, coach, "manager")
    assert client.get(url).status_code == 403


def test_pages_in_chinese(coach, client):
    from accounts.models import User

    with coach.world.scope("a"):
        shared = coach.evaluate()
    User.objects.filter(email__in=["manager@a.test", "rep@a.test"]).update(language="zh-hans")
    _login(client, coach, "rep")
    html = client.get(_detail(shared)).content.decode()
    assert 'lang="zh-CN"' in html
    for url in (reverse("coaching:evaluation_list"), reverse("coaching:trends")):
        assert client.get(url).status_code == 200

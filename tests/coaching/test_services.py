"""The services: bad input refused with the field named and nothing saved; share, acknowledge,
read-only after acknowledgement; idempotent create by code; skills' order."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Notification
from calls.coaching.models import Evaluation, EvaluationState, Score, Skill
from calls.coaching.services import (
    ScoreIn,
    evaluation_acknowledge,
    evaluation_create,
    evaluation_share,
    evaluation_update,
    skill_create,
    skill_move,
    skill_reorder,
    skill_update,
)

from .conftest import make_call

pytestmark = pytest.mark.usefixtures("english")


def _refused(field: str, fn, **kwargs) -> str:
    with pytest.raises(ValidationError) as exc:
        fn(**kwargs)
    assert field in exc.value.message_dict, exc.value.message_dict
    return " ".join(exc.value.message_dict[field])


def _counts():
    return Evaluation.objects.count(), Score.objects.count()


def _create(coach, **over):
    kwargs = {"manager": coach.m("manager"), "rep": coach.m("rep"), "day": coach.today(),
              "scores": [ScoreIn(skill=coach.skills[0], score=4)]}
    kwargs.update(over)
    return kwargs


@pytest.mark.parametrize(("field", "over", "words"), [
    ("scores", {"score": 6}, "from 1 to 5"),
    ("scores", {"score": 0}, "from 1 to 5"),
    ("scores", {"score": "3.5"}, "from 1 to 5"),
    ("scores", {"score": "x"}, "from 1 to 5"),
])
def test_score_out_of_range_is_refused_and_nothing_saved(coach, field, over, words):
    with coach.world.scope("a"):
        before = _counts()
        message = _refused(field, evaluation_create,
                           **_create(coach, scores=[ScoreIn(skill=coach.skills[1], score=over["score"])]))
        assert words in message and coach.skills[1].name in message
        assert _counts() == before


def test_inactive_skill_duplicate_skill_and_foreign_skill_are_refused(coach):
    with coach.world.scope("a"):
        before = _counts()
        message = _refused("scores", evaluation_create, **_create(coach, scores=[ScoreIn(skill=coach.retired, score=3)]))
        assert "no longer scored" in message and coach.retired.name in message
        message = _refused("scores", evaluation_create, **_create(coach, scores=[
            ScoreIn(skill=coach.skills[0], score=3), ScoreIn(skill=coach.skills[0].code, score=4)]))
        assert "scored twice" in message
        # Tenant B's skill is unknown in tenant A.
        assert "coaching list" in _refused("scores", evaluation_create, **_create(
            coach, scores=[ScoreIn(skill=str(coach.b_skills[0].code), score=3)]))
        assert _counts() == before


def test_rep_not_in_the_managers_team_is_refused(coach):
    with coach.world.scope("a"):
        before = _counts()
        message = _refused("rep", evaluation_create, **_create(coach, rep=coach.m("rep2")))
        assert "rep2 a is not in your team" in message
        assert "yourself" in _refused("rep", evaluation_create, **_create(coach, rep=coach.m("manager")))
        assert "Only a manager" in _refused("manager", evaluation_create, **_create(coach, manager=coach.m("analyst")))
        assert "future" in _refused("day", evaluation_create, **_create(coach, day=coach.today() + dt.timedelta(days=1)))
        assert _counts() == before


def test_the_call_must_be_the_reps_made_and_on_the_day(coach):
    with coach.world.scope("a"):
        other = make_call(coach, rep="rep2", co_visitor=None)
        planned = make_call(coach, status="planned")
        earlier = make_call(coach, day=coach.today() - dt.timedelta(days=2))
        before = _counts()
        assert "not one of rep a's" in _refused("call", evaluation_create, **_create(coach, call=other))
        assert "only planned" in _refused("call", evaluation_create, **_create(coach, call=planned))
        assert "not on the day" in _refused("call", evaluation_create, **_create(coach, call=earlier))
        assert _counts() == before
        good = make_call(coach)
        evaluation, created = evaluation_create(**_create(coach, call=good))
        assert created and evaluation.call_id == good.pk and evaluation.is_draft


def test_create_is_idempotent_by_code(coach):
    code = uuid.uuid4()
    with coach.world.scope("a"):
        first, created = evaluation_create(**_create(coach, code=code, share=True))
        again, created_again = evaluation_create(**_create(coach, code=code, share=True,
                                                           scores=[ScoreIn(skill=coach.skills[2], score=1)]))
        assert created and not created_again and again.pk == first.pk
        assert Evaluation.objects.filter(code=code).count() == 1
        assert list(Score.objects.filter(evaluation=first).values_list("score", flat=True)) == [4]  # unchanged
        assert Notification.objects.filter(kind="coaching.shared").count() == 1
        # Another manager cannot reuse (or read through) the code.
        assert "another evaluation" in _refused("code", evaluation_create, **_create(coach, code=code,
                                                                                    manager=coach.m("admin")))
        assert "UUID" in _refused("code", evaluation_create, **_create(coach, code="not-a-uuid"))


def test_share_notifies_the_rep_and_acknowledge_the_manager(coach):
    with coach.world.scope("a"):
        evaluation = coach.evaluate(share=False)
        assert "not shared yet" in _refused("state", evaluation_acknowledge, evaluation=evaluation, by=coach.m("rep"))
        assert "Only the manager" in _refused("manager", evaluation_share, evaluation=evaluation, by=coach.m("admin"))
        evaluation = evaluation_share(evaluation=evaluation, by=coach.m("manager"))
        note = Notification.objects.get(recipient=coach.m("rep"), kind="coaching.shared")
        assert "manager a shared a coaching evaluation" in note.title and str(evaluation.code) in note.url
        assert "shared already" in _refused("state", evaluation_share, evaluation=evaluation, by=coach.m("manager"))

        assert "Only the evaluated rep" in _refused("rep", evaluation_acknowledge, evaluation=evaluation,
                                                    by=coach.m("rep2"))
        assert "Only the evaluated rep" in _refused("rep", evaluation_acknowledge, evaluation=evaluation,
                                                    by=coach.m("manager"))
        assert Evaluation.objects.get(pk=evaluation.pk).state == EvaluationState.SHARED
        evaluation_acknowledge(evaluation=evaluation, by=coach.m("rep"), comment="  谢谢，下次注意 ")
        row = Evaluation.objects.get(pk=evaluation.pk)
        assert row.state == EvaluationState.ACKNOWLEDGED and row.rep_comment == "谢谢,下次注意"
        assert row.acknowledged_at is not None
        assert Notification.objects.filter(recipient=coach.m("manager"), kind="coaching.acknowledged").count() == 1
        assert "already" in _refused("state", evaluation_acknowledge, evaluation=row, by=coach.m("rep"))


def test_sharing_needs_a_score(coach):
    with coach.world.scope("a"):
        evaluation = coach.evaluate(scores=[], share=False)
        assert "one skill at least" in _refused("scores", evaluation_share, evaluation=evaluation,
                                                by=coach.m("manager"))
        assert Evaluation.objects.get(pk=evaluation.pk).is_draft


def test_editing_after_acknowledgement_is_refused(coach):
    with coach.world.scope("a"):
        evaluation = coach.evaluate()
        evaluation_acknowledge(evaluation=evaluation, by=coach.m("rep"))
        message = _refused("state", evaluation_update, evaluation=evaluation, by=coach.m("manager"), comment="改")
        assert "can no longer change" in message
        assert "can no longer change" in _refused(
            "state", evaluation_update, evaluation=evaluation, by=coach.m("manager"),
            scores=[ScoreIn(skill=coach.skills[0], score=1)])
        row = Evaluation.objects.get(pk=evaluation.pk)
        assert row.comment == "" and sorted(Score.objects.filter(evaluation=row).values_list("score", flat=True)) == [3, 4]


def test_update_replaces_scores_and_checks_them(coach):
    with coach.world.scope("a"):
        evaluation = coach.evaluate(share=False)
        assert "Only the manager" in _refused("manager", evaluation_update, evaluation=evaluation,
                                              by=coach.m("rep"), comment="x")
        assert "from 1 to 5" in _refused("scores", evaluation_update, evaluation=evaluation, by=coach.m("manager"),
                                         comment="不会保存", scores=[ScoreIn(skill=coach.skills[3], score=9)])
        assert Evaluation.objects.get(pk=evaluation.pk).comment == ""
        evaluation_update(evaluation=evaluation, by=coach.m("manager"), strengths="开场自然",
                          scores=[ScoreIn(skill=coach.skills[3], score=2, comment="再练")])
        assert list(Score.objects.filter(evaluation=evaluation).values_list("skill_id", "score", "comment")) == [
            (coach.skills[3].pk, 2, "再练")]
        evaluation_share(evaluation=evaluation, by=coach.m("manager"))
        assert "one score at least" in _refused("scores", evaluation_update, evaluation=evaluation,
                                                by=coach.m("manager"), scores=[])


def test_a_retired_skill_already_scored_may_stay_on_its_evaluation(coach):
    with coach.world.scope("a"):
        evaluation = coach.evaluate(scores=[(coach.skills[0], 3)], share=False)
        skill_update(skill=coach.skills[0], is_active=False, by=coach.m("admin"))
        evaluation_update(evaluation=evaluation, by=coach.m("manager"),
                          scores=[ScoreIn(skill=coach.skills[0], score=5)])
        assert Score.objects.get(evaluation=evaluation).score == 5


def test_skills_admin_only_unique_names_and_order(coach):
    with coach.world.scope("a"):
        assert "administrator" in _refused("skill", skill_create, name="新技能", by=coach.m("manager"))
        assert "exists already" in _refused("name", skill_create, name=coach.skills[0].name, by=coach.m("admin"))
        assert "name" in _refused("name", skill_create, name="   ", by=coach.m("admin"))
        assert Skill.objects.count() == 5
        names = lambda: list(Skill.objects.order_by("position", "id").values_list("name", flat=True))  # noqa: E731
        start = names()
        skill_move(skill=coach.skills[1], up=True, by=coach.m("admin"))
        assert names() == [start[1], start[0], *start[2:]]
        skill_move(skill=coach.retired, up=False, by=coach.m("admin"))  # last: stays
        assert names()[-1] == coach.retired.name
        skill_reorder(codes=[s.code for s in reversed(Skill.objects.order_by("position"))], by=coach.m("admin"))
        assert names() == list(reversed([start[1], start[0], *start[2:]]))
        assert "every skill once" in _refused("codes", skill_reorder, codes=[coach.skills[0].code], by=coach.m("admin"))

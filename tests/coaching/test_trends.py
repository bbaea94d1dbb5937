"""Trends equal a Python computation on generated scores; one grouped query whatever the data."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

import pytest
from django.urls import reverse

from calls.coaching.models import Evaluation, EvaluationState, Score
from calls.coaching.selectors import trend_months, trends_for
from calls.coaching.services import evaluation_acknowledge
from tests.helpers import assert_max_queries, count_queries

pytestmark = pytest.mark.usefixtures("english")


def _generate(coach, n: int, seed: int = 5) -> None:
    """``n`` evaluations of rep over the last 14 months (some out of the window, some drafts)."""
    rng = random.Random(seed)  # noqa: S311 - test data
    today = coach.today()
    with coach.world.scope("a"):
        for i in range(n):
            day = today - dt.timedelta(days=rng.randrange(0, 430))
            picked = rng.sample(coach.skills, rng.randint(1, len(coach.skills)))
            evaluation = coach.evaluate(day=day, scores=[(s, rng.randint(1, 5)) for s in picked], share=i % 5 != 0)
            if i % 3 == 0 and not evaluation.is_draft:
                evaluation_acknowledge(evaluation=evaluation, by=coach.m("rep"))


def _expected(coach, rep_key="rep") -> dict:
    """The same figures in Python from the raw rows."""
    months = trend_months(coach.today())
    sums: dict = defaultdict(list)
    with coach.world.scope("a"):
        for score in Score.objects.select_related("evaluation"):
            e = score.evaluation
            month = e.day.replace(day=1)
            if e.state == EvaluationState.DRAFT or month < months[0] or e.rep_id != coach.m(rep_key).pk:
                continue
            sums[(score.skill_id, month)].append(score.score)
    return {k: round(sum(v) / len(v), 2) for k, v in sums.items()}


def test_trends_equal_a_python_computation(coach):
    _generate(coach, 60)
    expected = _expected(coach)
    with coach.world.scope("a"):
        for role in ("rep", "manager", "analyst"):
            trends = trends_for(coach.world.users["a"][role], rep=coach.m("rep") if role != "rep" else None)
            got = {(skill_id, month): avg for skill_id, by_month in trends.cells.items()
                   for month, (avg, _n) in by_month.items()}
            assert got == expected, role
            assert len(trends.months) == 12 and trends.months[-1] == coach.today().replace(day=1)
        # rep2 (not in the team, no evaluation) sees nothing of rep's.
        assert trends_for(coach.world.users["a"]["rep2"]).is_empty
        # Drafts never count: they exist, and are left out above.
        assert Evaluation.objects.filter(state=EvaluationState.DRAFT).exists()


def test_trends_take_a_fixed_number_of_queries(coach):
    with coach.world.scope("a"):
        user = coach.world.users["a"]["manager"]
        user.membership = coach.m("manager")
        small = count_queries(lambda: trends_for(user))
    _generate(coach, 40, seed=9)
    with coach.world.scope("a"):
        assert count_queries(lambda: trends_for(user)) == small


def test_trends_page_has_a_chart_and_a_table_with_bounded_queries(coach, client):
    _generate(coach, 10)
    client.force_login(coach.world.users["a"]["manager"])
    url = reverse("coaching:trends")
    with assert_max_queries(14) as small:  # 3 of ours; the rest sign-in, tenant and other apps' nav badges
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="coaching-trends-figure"' in html and "coaching/trends.js" in html and coach.skills[0].name in html
    _generate(coach, 30, seed=11)
    with assert_max_queries(len(small.captured_queries)):
        assert client.get(url, {"rep": str(coach.m("rep").code)}).status_code == 200
    # The rep's own page; rep2 sees an empty page, not rep's figures.
    client.force_login(coach.world.users["a"]["rep2"])
    html = client.get(url).content.decode()
    assert "No shared evaluation" in html and "coaching-trends-figure" not in html


def test_uses_tenant_indexes(coach):
    from tests.helpers import assert_uses_tenant_index

    coach_rep = coach.m("rep")
    with coach.world.scope("a"):
        assert_uses_tenant_index(Evaluation.objects.filter(rep=coach_rep).order_by("-day"))
        assert_uses_tenant_index(Score.objects.filter(skill=coach.skills[0]))

"""Coaching fixtures: tenant A gets five skills (one retired) and a helper to make
evaluations; tenant B two skills of its own.

In the conftest world the manager holds the district 上海地区: ``rep`` (浦东一区) is in the
team, ``rep2`` (朝阳一区, another district) is not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import Position
from calls.coaching.services import ScoreIn, evaluation_create, skill_create, skill_update

SKILL_NAMES = ["开场 Opening", "需求探询 Needs discovery", "关键信息传递 Key messages", "异议处理 Objections",
               "缔结 Closing"]


@dataclass
class Coach:
    world: object
    skills: list = field(default_factory=list)
    retired: object = None
    b_skills: list = field(default_factory=list)

    def m(self, role, tenant="a"):
        return self.world.users[tenant][role].membership_row

    def today(self) -> dt.date:
        return self.world.tenants["a"].today()

    def evaluate(self, *, rep="rep", manager="manager", day=None, scores=None, share=True, **kw):
        """An evaluation in tenant A (call inside ``world.scope('a')``)."""
        scores = scores if scores is not None else [(self.skills[0], 3), (self.skills[1], 4)]
        evaluation, _created = evaluation_create(
            manager=self.m(manager), rep=self.m(rep), day=day or self.today(), share=share,
            scores=[ScoreIn(skill=s, score=v) for s, v in scores], **kw)
        return evaluation


def build(world) -> Coach:
    coach = Coach(world)
    with world.scope("a"), transaction.atomic():
        # The rep and the manager have held their places for a while (trends go back a year).
        Position.objects.filter(holder__in=[coach.m("rep"), coach.m("manager")]).update(
            start_date=coach.today() - dt.timedelta(days=500))
        admin = coach.m("admin")
        coach.skills = [skill_create(name=n, description=f"{n} 描述", by=admin) for n in SKILL_NAMES[:4]]
        coach.retired = skill_create(name=SKILL_NAMES[4], by=admin)
        skill_update(skill=coach.retired, is_active=False, by=admin)
    with world.scope("b"), transaction.atomic():
        coach.b_skills = [skill_create(name=n, by=coach.m("admin", "b")) for n in ("乙开场", "乙缔结")]
    return coach


@pytest.fixture
def coach(world):
    return build(world)


def make_call(coach, *, rep="rep", day=None, status="submitted", co_visitor="manager"):
    """A call of ``rep`` (tenant A, inside its scope) at a fresh institution and HCP."""
    from calls.models import Call
    from tests.customers.factories import make_hcp, make_institution

    day = day or coach.today()
    inst = make_institution(f"辅导医院{Call.objects.count()}")
    hcp = make_hcp("辅导医生", institution=inst)
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))
    return Call.objects.create(rep=coach.m(rep), institution=inst, hcp=hcp, at=at, day=day, status=status,
                               submitted_at=timezone.now() if status == "submitted" else None,
                               co_visitor=coach.m(co_visitor) if co_visitor else None)

"""Reads of coaching: lists, one evaluation, the reps a reader may pick, and the trends.

Every read goes through ``Evaluation.objects.visible_to(user)``; a code the reader may not
see is the same 404 as a missing one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, Count, Prefetch, Q
from django.db.models.functions import TruncMonth
from django.http import Http404

from accounts.models import Membership, Role
from accounts.visibility import membership_of
from sfe.core.tenancy import current_tenant

from .models import Evaluation, Score, Skill
from .visibility import WHOLE_TENANT, team_members

TREND_MONTHS = 12


def evaluations_for(user, *, rep: Membership | None = None, state: str = ""):
    """The evaluations ``user`` sees, newest first, with names and the mean score (one query)."""
    qs = (Evaluation.objects.visible_to(user)
          .select_related("manager__user", "rep__user")
          .annotate(mean_score=Avg("scores__score"), score_count=Count("scores"))
          .order_by("-day", "-id"))
    if rep is not None:
        qs = qs.filter(rep=rep)
    if state:
        qs = qs.filter(state=state)
    return qs


def evaluation_for(user, code) -> Evaluation:
    try:
        return (Evaluation.objects.visible_to(user).select_related("manager__user", "rep__user", "call")
                .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("skill")
                                           .order_by("skill__position", "skill__id")))
                .get(code=code))
    except (Evaluation.DoesNotExist, ValueError):
        raise Http404 from None


def skills(*, active_only: bool = False):
    qs = Skill.objects.order_by("position", "id")
    return qs.filter(is_active=True) if active_only else qs


def skill_for(code) -> Skill:
    try:
        return Skill.objects.get(code=code)
    except (Skill.DoesNotExist, ValueError):
        raise Http404 from None


def pickable_reps(user):
    """The reps ``user`` may filter by: a manager's team, everyone for analysts and admins,
    nobody for a rep (who sees their own only)."""
    membership = membership_of(user)
    if membership is None:
        return Membership.objects.none()
    if membership.has_role(*WHOLE_TENANT):
        qs = Membership.objects.filter(is_active=True).with_role(Role.REP)
    elif membership.has_role(Role.MANAGER):
        qs = team_members(user)
    else:
        return Membership.objects.none()
    return qs.select_related("user").order_by("user__full_name", "id")


def rep_for(user, code) -> Membership | None:
    """A rep the reader may pick, by membership code (None for an unknown or foreign one)."""
    if not code:
        return None
    try:
        return pickable_reps(user).filter(code=code).first()
    except ValueError:
        return None


def recent_calls_for(manager_user, *, days: int = 90, limit: int = 50):
    """The made calls of the manager's team over the last ``days`` (the co-visited ones first)."""
    from django.db.models import Case, IntegerField, Value, When

    from calls.models import Call
    from calls.visibility import call_visible_q

    membership = membership_of(manager_user)
    if membership is None:
        return Call.objects.none()
    since = current_tenant().today() - dt.timedelta(days=days)
    return (Call.objects.done().filter(call_visible_q(manager_user), day__gte=since,
                                       rep_id__in=team_members(manager_user).values("pk"))
            .select_related("rep__user", "hcp", "institution")
            .annotate(mine=Case(When(co_visitor_id=membership.pk, then=Value(0)), default=Value(1),
                                output_field=IntegerField()))
            .order_by("mine", "-at")[:limit])


# --------------------------------------------------------------------------- trends


@dataclass
class Trends:
    months: list[dt.date]
    skills: list[Skill]
    #: skill id → month → (average, number of scores)
    cells: dict[int, dict[dt.date, tuple[float, int]]]

    def rows(self) -> list[tuple[Skill, list[float | None]]]:
        return [(s, [self.cells.get(s.pk, {}).get(m, (None, 0))[0] for m in self.months]) for s in self.skills]

    @property
    def is_empty(self) -> bool:
        return not self.cells


def trend_months(today: dt.date, n: int = TREND_MONTHS) -> list[dt.date]:
    """The first days of the ``n`` months ending with ``today``'s, oldest first."""
    y, m = today.year, today.month
    out = []
    for _i in range(n):
        out.append(dt.date(y, m, 1))
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out[::-1]


def trends_for(user, *, rep: Membership | None = None, today: dt.date | None = None) -> Trends:
    """Per skill, the mean score per month over the last 12 months of the shared and
    acknowledged evaluations ``user`` sees (of ``rep`` only, when given): one grouped query,
    plus one for the skills."""
    months = trend_months(today or current_tenant().today())
    evaluations = Evaluation.objects.visible_to(user).final().filter(day__gte=months[0])
    if rep is not None:
        evaluations = evaluations.filter(rep=rep)
    rows = (Score.objects.filter(evaluation__in=evaluations.values("pk"))
            .annotate(month=TruncMonth("evaluation__day"))
            .values("skill_id", "month").annotate(avg=Avg("score"), n=Count("id")).order_by())
    cells: dict[int, dict[dt.date, tuple[float, int]]] = {}
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], dt.datetime) else row["month"]
        cells.setdefault(row["skill_id"], {})[month] = (round(float(row["avg"]), 2), row["n"])
    used = list(Skill.objects.filter(Q(is_active=True) | Q(pk__in=list(cells))))
    used.sort(key=lambda s: (s.position, s.pk))
    return Trends(months=months, skills=used, cells=cells)

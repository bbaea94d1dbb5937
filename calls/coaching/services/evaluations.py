"""Evaluations: a manager records a co-visit, shares it with the rep, the rep acknowledges it.

Rules checked here (each refusal names its field; nothing is saved):

* ``manager``: has the manager role and looks after the rep on the day of the co-visit
  (``calls.visibility.team_q``, themself excluded);
* ``day``: not in the future; ``call`` (optional): the rep's, made (not planned), on that day;
* ``scores``: on active skills of the tenant, each once, 1 to 5; sharing needs one at least;
* only the author changes or shares; nothing changes once the rep has acknowledged;
* only the evaluated rep acknowledges, once, after it is shared.

State changes are conditional ``UPDATE … WHERE state = …`` so two clicks cannot race.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from accounts.services.notifications import notify
from calls.models import Call
from calls.models.calls import CallStatus
from customers.validation import text
from sfe.core.tenancy import current_tenant

from ..models import MAX_SCORE, MIN_SCORE, Evaluation, EvaluationState, Score, Skill
from ..visibility import team_members

TEXT_MAX = 4000


@dataclass(frozen=True)
class ScoreIn:
    """One score as given: the skill (a ``Skill`` or its code), 1–5, an optional comment."""

    skill: object
    score: object
    comment: str = ""


def _text(field: str, value, limit: int = TEXT_MAX) -> str:
    value = text(value)
    if len(value) > limit:
        raise ValidationError({field: _("Use at most %(n)s characters.") % {"n": limit}})
    return value


def _today() -> dt.date:
    return current_tenant().today()


def _check_people(*, manager: Membership, rep: Membership | None, day) -> None:
    if manager is None or not manager.has_role(Role.MANAGER):
        raise ValidationError({"manager": _("Only a manager can record a co-visit evaluation.")})
    if rep is None:
        raise ValidationError({"rep": _("Choose the rep you co-visited.")})
    if rep.pk == manager.pk:
        raise ValidationError({"rep": _("You cannot evaluate yourself.")})
    if not isinstance(day, dt.date):
        raise ValidationError({"day": _("Give the day of the co-visit.")})
    if day > _today():
        raise ValidationError({"day": _("The co-visit cannot be in the future.")})
    if not team_members(manager.user, on=day).filter(pk=rep.pk).exists():
        raise ValidationError({"rep": _("%(name)s is not in your team on %(day)s.") % {
            "name": rep.user.full_name, "day": day.isoformat()}})


def _check_call(*, call: Call | None, rep: Membership, day: dt.date) -> None:
    if call is None:
        return
    if call.rep_id != rep.pk:
        raise ValidationError({"call": _("This call is not one of %(name)s's.") % {"name": rep.user.full_name}})
    if call.status == CallStatus.PLANNED:
        raise ValidationError({"call": _("This call is only planned: co-visit a call that was made.")})
    if call.day != day:
        raise ValidationError({"call": _("This call was on %(call_day)s, not on the day of the co-visit.") % {
            "call_day": call.day.isoformat()}})


def _clean_scores(scores, keep: frozenset = frozenset()) -> list[tuple[Skill, int, str]]:
    """Resolve the skills with one query and check every score; a list of (skill, score, comment).
    ``keep``: ids of retired skills the evaluation was scored on already (they may stay)."""
    items = [s if isinstance(s, ScoreIn) else ScoreIn(**s) for s in (scores or [])]
    codes = []
    for item in items:
        code = item.skill.code if isinstance(item.skill, Skill) else item.skill
        try:
            codes.append(str(uuid.UUID(str(code))))
        except (TypeError, ValueError):
            raise ValidationError({"scores": _("Choose skills of your tenant's coaching list.")}) from None
    skills = {str(s.code): s for s in Skill.objects.filter(code__in=codes)}
    out, seen = [], set()
    for item, code in zip(items, codes, strict=True):
        skill = skills.get(code)
        if skill is None:
            raise ValidationError({"scores": _("Choose skills of your tenant's coaching list.")})
        if not skill.is_active and skill.pk not in keep:
            raise ValidationError({"scores": _("%(skill)s is no longer scored: choose an active skill.") % {
                "skill": skill.name}})
        if code in seen:
            raise ValidationError({"scores": _("%(skill)s is scored twice.") % {"skill": skill.name}})
        seen.add(code)
        try:
            value = int(str(item.score).strip())
        except (TypeError, ValueError):
            value = None
        if value is None or not MIN_SCORE <= value <= MAX_SCORE or str(item.score).strip() != str(value):
            raise ValidationError({"scores": _("%(skill)s: a score is a whole number from %(min)s to %(max)s.") % {
                "skill": skill.name, "min": MIN_SCORE, "max": MAX_SCORE}})
        out.append((skill, value, _text("scores", item.comment, 500)))
    return out


def _write_scores(evaluation: Evaluation, scores: list[tuple[Skill, int, str]]) -> None:
    Score.objects.filter(evaluation=evaluation).delete()
    Score.objects.bulk_create([Score(evaluation=evaluation, skill=skill, score=value, comment=comment)
                               for skill, value, comment in scores])


@transaction.atomic
def evaluation_create(*, manager: Membership, rep: Membership | None, day, scores=(), call: Call | None = None,
                      comment: str = "", strengths: str = "", to_improve: str = "", code=None,
                      share: bool = False) -> tuple[Evaluation, bool]:
    """A draft evaluation (shared at once with ``share``); ``(evaluation, created)``.

    With a ``code`` already used by this manager, the evaluation made then is returned
    unchanged (``created`` False): a retried submit makes no second one."""
    if code is not None:
        try:
            code = uuid.UUID(str(code))
        except ValueError:
            raise ValidationError({"code": _("Give the code as a UUID.")}) from None
        existing = Evaluation.objects.filter(code=code).first()
        if existing is not None:
            if existing.manager_id != getattr(manager, "pk", None):
                raise ValidationError({"code": _("This code belongs to another evaluation.")})
            return existing, False
    _check_people(manager=manager, rep=rep, day=day)
    _check_call(call=call, rep=rep, day=day)
    clean = _clean_scores(scores)
    evaluation = Evaluation(manager=manager, rep=rep, day=day, call=call, comment=_text("comment", comment),
                            strengths=_text("strengths", strengths), to_improve=_text("to_improve", to_improve))
    if code is not None:
        evaluation.code = code
    try:
        with transaction.atomic():
            evaluation.save()
    except IntegrityError:  # the same code sent twice at once: the other request made it
        existing = Evaluation.objects.filter(code=code).first() if code is not None else None
        if existing is None or existing.manager_id != manager.pk:
            raise ValidationError({"code": _("This code belongs to another evaluation.")}) from None
        return existing, False
    _write_scores(evaluation, clean)
    if share:
        evaluation = evaluation_share(evaluation=evaluation, by=manager)
    return evaluation, True


def _locked_for_author(evaluation: Evaluation, by: Membership) -> Evaluation:
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if by is None or evaluation.manager_id != by.pk:
        raise ValidationError({"manager": _("Only the manager who wrote this evaluation can change it.")})
    if evaluation.state == EvaluationState.ACKNOWLEDGED:
        raise ValidationError({"state": _("The rep has acknowledged this evaluation: it can no longer change.")})
    return evaluation


@transaction.atomic
def evaluation_update(*, evaluation: Evaluation, by: Membership, day=..., call=..., comment=..., strengths=...,
                      to_improve=..., scores=...) -> Evaluation:
    """Change what is given (``...`` = leave as is); the author only, until acknowledged."""
    evaluation = _locked_for_author(evaluation, by)
    fields = ["updated_at"]
    if day is not ...:
        _check_people(manager=by, rep=evaluation.rep, day=day)
        evaluation.day = day
        fields.append("day")
    if call is not ...:
        evaluation.call = call
        fields.append("call")
    if day is not ... or call is not ...:
        _check_call(call=evaluation.call, rep=evaluation.rep, day=evaluation.day)
    for field, value in (("comment", comment), ("strengths", strengths), ("to_improve", to_improve)):
        if value is not ...:
            setattr(evaluation, field, _text(field, value))
            fields.append(field)
    kept = frozenset(Score.objects.filter(evaluation=evaluation).values_list("skill_id", flat=True))
    clean = _clean_scores(scores, kept) if scores is not ... else None
    if clean is not None and not clean and not evaluation.is_draft:
        raise ValidationError({"scores": _("A shared evaluation keeps one score at least.")})
    evaluation.save(update_fields=fields)
    if clean is not None:
        _write_scores(evaluation, clean)
    return evaluation


def _notify(*, recipient: Membership, kind: str, title: str, evaluation: Evaluation, body: str = "") -> None:
    notify(recipients=[recipient], kind=kind, title=title, body=body,
           url=reverse("coaching:evaluation_detail", kwargs={"code": evaluation.code}))


def _language(member: Membership) -> str:
    return member.user.language or current_tenant().default_language


@transaction.atomic
def evaluation_share(*, evaluation: Evaluation, by: Membership) -> Evaluation:
    """Draft → shared: the rep sees it and is notified."""
    evaluation = _locked_for_author(evaluation, by)
    if not evaluation.is_draft:
        raise ValidationError({"state": _("This evaluation is shared already.")})
    if not Score.objects.filter(evaluation=evaluation).exists():
        raise ValidationError({"scores": _("Score one skill at least before sharing.")})
    now = timezone.now()
    Evaluation.objects.filter(pk=evaluation.pk, state=EvaluationState.DRAFT).update(
        state=EvaluationState.SHARED, shared_at=now, updated_at=now)
    evaluation.state, evaluation.shared_at = EvaluationState.SHARED, now
    rep = Membership.objects.select_related("user").get(pk=evaluation.rep_id)
    with translation.override(_language(rep)):
        _notify(recipient=rep, kind="coaching.shared", evaluation=evaluation,
                title=_("%(manager)s shared a coaching evaluation of your co-visit on %(day)s") % {
                    "manager": by.user.full_name, "day": evaluation.day.isoformat()},
                body=_("Read it and acknowledge it."))
    return evaluation


@transaction.atomic
def evaluation_acknowledge(*, evaluation: Evaluation, by: Membership, comment: str = "") -> Evaluation:
    """Shared → acknowledged, by the evaluated rep, once; the manager is notified."""
    evaluation = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if by is None or evaluation.rep_id != by.pk:
        raise ValidationError({"rep": _("Only the evaluated rep can acknowledge this evaluation.")})
    comment = _text("rep_comment", comment, 2000)
    if evaluation.is_draft:
        raise ValidationError({"state": _("This evaluation is not shared yet.")})
    if evaluation.is_acknowledged:
        raise ValidationError({"state": _("You have acknowledged this evaluation already.")})
    now = timezone.now()
    done = Evaluation.objects.filter(pk=evaluation.pk, state=EvaluationState.SHARED).update(
        state=EvaluationState.ACKNOWLEDGED, acknowledged_at=now, rep_comment=comment, updated_at=now)
    if not done:  # pragma: no cover - the row lock above excludes a concurrent acknowledgement
        raise ValidationError({"state": _("You have acknowledged this evaluation already.")})
    evaluation.state, evaluation.acknowledged_at, evaluation.rep_comment = EvaluationState.ACKNOWLEDGED, now, comment
    manager = Membership.objects.select_related("user").get(pk=evaluation.manager_id)
    with translation.override(_language(manager)):
        _notify(recipient=manager, kind="coaching.acknowledged", evaluation=evaluation, body=comment,
                title=_("%(rep)s acknowledged your coaching evaluation of %(day)s") % {
                    "rep": by.user.full_name, "day": evaluation.day.isoformat()})
    return evaluation

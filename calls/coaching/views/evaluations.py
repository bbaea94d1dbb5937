"""Evaluation pages.

* list — a rep sees theirs, a manager their team's (filter by rep), analysts and admins all;
  one query for the page of rows (names and mean score joined in) and one count;
* new / edit — managers; edit only by the author and until the rep acknowledges;
* detail — whoever sees it (another tenant's or an invisible code is 404); the author shares
  it, the rep acknowledges it with an optional comment.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import role_required

from .. import selectors
from ..forms import AcknowledgeForm, EvaluationForm, add_service_errors
from ..models import Evaluation, EvaluationState
from ..services import evaluation_acknowledge, evaluation_create, evaluation_share, evaluation_update
from ..visibility import READERS

PAGE_SIZE = 25


@role_required(*READERS)
def evaluation_list(request):
    reps = list(selectors.pickable_reps(request.user))
    rep_code = request.GET.get("rep", "")
    rep = next((r for r in reps if str(r.code) == rep_code), None)
    state = request.GET.get("state", "")
    if state not in EvaluationState.values:
        state = ""
    qs = selectors.evaluations_for(request.user, rep=rep, state=state)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "coaching/evaluation_list.html", {
        "page": page, "evaluations": page.object_list, "reps": reps, "rep": rep, "state": state,
        "states": EvaluationState.choices, "can_create": request.membership.has_role(Role.MANAGER),
        "me": request.membership})


def _form(request, *, data=None, initial=None, evaluation=None):
    reps = [] if evaluation else list(selectors.pickable_reps(request.user))
    return EvaluationForm(data, initial=initial, skills=_form_skills(evaluation), reps=reps,
                          calls=list(selectors.recent_calls_for(request.user)),
                          rep_locked=evaluation.rep if evaluation else None)


def _form_skills(evaluation):
    skills = list(selectors.skills(active_only=True))
    if evaluation is not None:  # a retired skill the evaluation was scored on stays on it
        ids = {s.pk for s in skills}
        skills += [s.skill for s in evaluation.scores.all() if s.skill_id not in ids]
    return skills


@role_required(Role.MANAGER)
def evaluation_new(request):
    if request.method == "POST":
        form = _form(request, data=request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                evaluation, created = evaluation_create(
                    manager=request.membership, rep=d["rep"], day=d["day"], call=d["call"], comment=d["comment"],
                    strengths=d["strengths"], to_improve=d["to_improve"], scores=form.score_items(),
                    code=d.get("code"), share="share" in request.POST)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if created:
                    messages.success(request, _("The evaluation is shared with %(name)s.") % {
                        "name": evaluation.rep.user.full_name} if not evaluation.is_draft
                        else _("The evaluation is saved as a draft."))
                return redirect("coaching:evaluation_detail", code=evaluation.code)
        return render(request, "coaching/evaluation_form.html", {"form": form}, status=400)
    initial = {"code": EvaluationForm.new_code(), "day": request.tenant.today(), "rep": request.GET.get("rep", "")}
    return render(request, "coaching/evaluation_form.html", {"form": _form(request, initial=initial)})


def _authored(request, code) -> Evaluation:
    evaluation = selectors.evaluation_for(request.user, code)
    if evaluation.manager_id != request.membership.pk:
        raise PermissionDenied
    return evaluation


@role_required(Role.MANAGER)
def evaluation_edit(request, code):
    evaluation = _authored(request, code)
    if evaluation.is_acknowledged:
        messages.error(request, _("The rep has acknowledged this evaluation: it can no longer change."))
        return redirect("coaching:evaluation_detail", code=evaluation.code)
    if request.method == "POST":
        form = _form(request, data=request.POST, evaluation=evaluation)
        if form.is_valid():
            d = form.cleaned_data
            try:
                evaluation = evaluation_update(
                    evaluation=evaluation, by=request.membership, day=d["day"], call=d["call"],
                    comment=d["comment"], strengths=d["strengths"], to_improve=d["to_improve"],
                    scores=form.score_items())
                if "share" in request.POST and evaluation.is_draft:
                    evaluation = evaluation_share(evaluation=evaluation, by=request.membership)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The evaluation is saved."))
                return redirect("coaching:evaluation_detail", code=evaluation.code)
        return render(request, "coaching/evaluation_form.html", {"form": form, "evaluation": evaluation}, status=400)
    form = _form(request, initial=EvaluationForm.initial_from(evaluation), evaluation=evaluation)
    return render(request, "coaching/evaluation_form.html", {"form": form, "evaluation": evaluation})


@role_required(*READERS)
def evaluation_detail(request, code, ack_form=None, status=200):
    evaluation = selectors.evaluation_for(request.user, code)
    me = request.membership
    return render(request, "coaching/evaluation_detail.html", {
        "evaluation": evaluation, "scores": list(evaluation.scores.all()),
        "is_author": evaluation.manager_id == me.pk,
        "can_acknowledge": evaluation.rep_id == me.pk and evaluation.is_shared,
        "ack_form": ack_form or AcknowledgeForm(),
    }, status=status)


@require_POST
@role_required(Role.MANAGER)
def evaluation_share_view(request, code):
    evaluation = _authored(request, code)
    try:
        evaluation_share(evaluation=evaluation, by=request.membership)
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, _("The evaluation is shared with %(name)s.") % {
            "name": evaluation.rep.user.full_name})
    return redirect("coaching:evaluation_detail", code=evaluation.code)


@require_POST
@role_required(Role.REP)
def evaluation_acknowledge_view(request, code):
    evaluation = selectors.evaluation_for(request.user, code)
    if evaluation.rep_id != request.membership.pk:
        raise PermissionDenied
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            evaluation_acknowledge(evaluation=evaluation, by=request.membership,
                                   comment=form.cleaned_data["rep_comment"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("You have acknowledged the evaluation."))
            return redirect("coaching:evaluation_detail", code=evaluation.code)
    return evaluation_detail(request, code, ack_form=form, status=400)

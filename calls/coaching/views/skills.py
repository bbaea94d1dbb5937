"""Skills (tenant administrators): the list with a form to add one, edit, move up and down
(the button alternative to dragging)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import role_required

from .. import selectors
from ..forms import SkillForm, add_service_errors
from ..services import skill_create, skill_move, skill_update


@role_required(Role.ADMIN)
def skill_list(request):
    form = SkillForm(initial={"is_active": True})
    status = 200
    if request.method == "POST":
        form = SkillForm(request.POST)
        if form.is_valid():
            try:
                skill = skill_create(name=form.cleaned_data["name"], description=form.cleaned_data["description"],
                                     by=request.membership)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The skill %(name)s is added.") % {"name": skill.name})
                return redirect("coaching:skill_list")
        status = 400
    return render(request, "coaching/skills.html", {"skills": list(selectors.skills()), "form": form},
                  status=status)


@role_required(Role.ADMIN)
def skill_edit(request, code):
    skill = selectors.skill_for(code)
    if request.method == "POST":
        form = SkillForm(request.POST)
        if form.is_valid():
            try:
                skill = skill_update(skill=skill, by=request.membership, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The skill %(name)s is saved.") % {"name": skill.name})
                return redirect("coaching:skill_list")
        return render(request, "coaching/skill_form.html", {"form": form, "skill": skill}, status=400)
    form = SkillForm(initial={"name": skill.name, "description": skill.description, "is_active": skill.is_active})
    return render(request, "coaching/skill_form.html", {"form": form, "skill": skill})


@require_POST
@role_required(Role.ADMIN)
def skill_move_view(request, code):
    skill = selectors.skill_for(code)
    skill_move(skill=skill, by=request.membership, up=request.POST.get("direction") != "down")
    return redirect("coaching:skill_list")

"""Forms of the coaching pages. They turn plain fields into what the services take and put
the services' ``ValidationError`` beside the field that caused it; no business rule here.

The evaluation form has one 1–5 choice and one comment per active skill
(``score_<skill code>``, ``note_<skill code>``); the services' ``scores`` errors are shown
above the skills.
"""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms.org import DateInput, add_service_errors  # noqa: F401 - the views use add_service_errors from here

from .models import MAX_SCORE, MIN_SCORE
from .services import ScoreIn

SCORE_CHOICES = [("", _("not rated")), *[(str(n), str(n)) for n in range(MIN_SCORE, MAX_SCORE + 1)]]




def _call_label(call) -> str:
    who = call.hcp.name if call.hcp_id else call.institution.name
    return f"{call.day:%Y-%m-%d} · {call.rep.user.full_name} · {who}"


class EvaluationForm(forms.Form):
    code = forms.UUIDField(widget=forms.HiddenInput, required=False)
    rep = forms.ChoiceField(label=_("Rep"))
    day = forms.DateField(label=_("Day of the co-visit"), widget=DateInput)
    call = forms.ChoiceField(label=_("Co-visited call"), required=False,
                             help_text=_("Optional: one of the rep's calls on that day."))
    comment = forms.CharField(label=_("Overall comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    strengths = forms.CharField(label=_("Strengths"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    to_improve = forms.CharField(label=_("To improve"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    scores = forms.CharField(required=False, widget=forms.HiddenInput)  # holds the services' scores errors

    def __init__(self, *args, skills, reps, calls, rep_locked=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.skills = list(skills)
        self.rep_objects = {str(r.code): r for r in reps}
        self.call_objects = {str(c.code): c for c in calls}
        if rep_locked is not None:
            self.rep_objects = {str(rep_locked.code): rep_locked}
            self.fields["rep"].disabled = True
            self.fields["rep"].initial = str(rep_locked.code)
        self.fields["rep"].choices = [("", "—"), *[(c, r.user.full_name) for c, r in self.rep_objects.items()]]
        self.fields["call"].choices = [("", _("none")),
                                       *[(c, _call_label(call)) for c, call in self.call_objects.items()]]
        for skill in self.skills:
            self.fields[f"score_{skill.code}"] = forms.ChoiceField(
                label=skill.name, choices=SCORE_CHOICES, required=False, widget=forms.RadioSelect,
                help_text=skill.description)
            self.fields[f"note_{skill.code}"] = forms.CharField(
                label=_("Comment on %(skill)s") % {"skill": skill.name}, required=False, max_length=500)

    def skill_rows(self):
        """(skill, score field, note field) for the template."""
        return [(s, self[f"score_{s.code}"], self[f"note_{s.code}"]) for s in self.skills]

    def clean_rep(self):
        if self.fields["rep"].disabled:
            return next(iter(self.rep_objects.values()))
        value = self.cleaned_data.get("rep")
        return self.rep_objects.get(value) if value else None

    def clean_call(self):
        value = self.cleaned_data.get("call")
        return self.call_objects.get(value) if value else None

    def score_items(self) -> list[ScoreIn]:
        out = []
        for skill in self.skills:
            value = self.cleaned_data.get(f"score_{skill.code}")
            if value:
                out.append(ScoreIn(skill=skill, score=value, comment=self.cleaned_data.get(f"note_{skill.code}", "")))
        return out

    @staticmethod
    def initial_from(evaluation) -> dict:
        initial = {"rep": str(evaluation.rep.code), "day": evaluation.day,
                   "call": str(evaluation.call.code) if evaluation.call_id else "",
                   "comment": evaluation.comment, "strengths": evaluation.strengths,
                   "to_improve": evaluation.to_improve}
        for score in evaluation.scores.all():
            initial[f"score_{score.skill.code}"] = str(score.score)
            initial[f"note_{score.skill.code}"] = score.comment
        return initial

    @staticmethod
    def new_code() -> str:
        return str(uuid.uuid4())


class AcknowledgeForm(forms.Form):
    rep_comment = forms.CharField(label=_("Your comment (optional)"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class SkillForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), required=False, max_length=500)
    is_active = forms.BooleanField(label=_("Active (scored in new evaluations)"), required=False, initial=True)

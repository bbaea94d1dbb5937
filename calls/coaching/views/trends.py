"""Trends: per skill, the mean score per month over the last 12 months — a rep's own; a
manager's team (or one rep of it); analysts' and admins' whole tenant (or one rep). One
grouped query for the figures, one for the skills, one for the reps to pick from."""

from __future__ import annotations

from django.shortcuts import render

from accounts.permissions import role_required

from .. import selectors
from ..charts import month_label, trends_figure
from ..visibility import READERS


@role_required(*READERS)
def trends(request):
    reps = list(selectors.pickable_reps(request.user))
    rep_code = request.GET.get("rep", "")
    rep = next((r for r in reps if str(r.code) == rep_code), None)
    own = not reps  # a rep: their own evaluations only
    result = selectors.trends_for(request.user, rep=request.membership if own else rep)
    return render(request, "coaching/trends.html", {
        "trends": result, "rows": result.rows(), "months": [(m, month_label(m)) for m in result.months],
        "figure": None if result.is_empty else trends_figure(result), "reps": reps, "rep": rep, "own": own})

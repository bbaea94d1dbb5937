"""The trends figure, built in Python with Plotly and drawn by ``static/coaching/trends.js``
from a ``json_script`` (no inline script under the CSP). The table beside it is the fallback."""

from __future__ import annotations

import json

from django.utils import formats
from django.utils.translation import gettext as _

from .models import MAX_SCORE, MIN_SCORE
from .selectors import Trends


def month_label(month) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


def trends_figure(trends: Trends) -> dict:
    import plotly.graph_objects as go

    labels = [month_label(m) for m in trends.months]
    fig = go.Figure()
    for skill, values in trends.rows():
        if all(v is None for v in values):
            continue
        fig.add_trace(go.Scatter(x=labels, y=values, name=skill.name, mode="lines+markers", connectgaps=True))
    fig.update_layout(
        yaxis={"range": [MIN_SCORE - 0.2, MAX_SCORE + 0.2], "dtick": 1, "title": {"text": _("Average score")}},
        xaxis={"type": "category"},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 50, "r": 10, "t": 10, "b": 10},
        height=380,
        paper_bgcolor="white", plot_bgcolor="white",
    )
    return json.loads(fig.to_json())

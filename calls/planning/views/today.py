"""The day plan ("Today"): what a rep (or a manager, for their own day) does today.

The whole page is one query of its own (``selectors.today_for``: planned visits, overdue
follow-ups, HCPs behind plan, and the two numbers the navigation shows), on top of what
every signed-in request costs in the middleware.
"""

from __future__ import annotations

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from accounts.permissions import tenant_member_required
from sfe.core.navigation import navigation_for

from .. import selectors


def log_call_url() -> str:
    """Where "log this call" goes (the calls core's form; by path until it is named)."""
    try:
        return reverse("calls:call_new")
    except NoReverseMatch:
        return "/calls/new/"


def nav_with_badges(request, known: dict[str, int]) -> list[dict]:
    """The navigation with the badges already counted (``known``: by item key), so that
    rendering it costs no COUNT."""
    nav = navigation_for(request)
    for item in nav:
        if item["key"] in known:
            item["badge"] = known[item["key"]]
    return nav


_CODE = "00000000-0000-0000-0000-000000000000"


def _link_rows(data) -> None:
    """Each row's HCP link, from one ``reverse`` per page instead of one per row (the rows
    are most of what the page renders)."""
    url = reverse("customers:hcp_detail", kwargs={"code": _CODE})
    for row in (*data.visits, *data.tasks, *data.behind):
        row["hcp_url"] = url.replace(_CODE, str(row["hcp_code"])) if row.get("hcp_code") else ""


@tenant_member_required
def today(request):
    day = request.tenant.today()
    data = selectors.today_for(request.membership, day)
    _link_rows(data)
    return render(request, "planning/today.html", {
        "day": day, "data": data, "log_url": log_call_url(),
        "nav": nav_with_badges(request, {"approvals": data.approvals_waiting, "call_tasks": data.open_tasks}),
         "unread_notifications": data.unread_notifications,
    })

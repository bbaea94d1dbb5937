"""Navigation entries of planning: today and the calendar (reps and managers), my plan
(reps), team plans (managers), targets and cycles (admins)."""

from django.utils.translation import gettext_lazy as _

from sfe.core.navigation import NavItem, register


def register_nav() -> None:
    register(NavItem("planning_today", _("Today"), "planning:today", "sun", ("rep", "manager"), order=2))
    register(NavItem("planning_calendar", _("Calendar"), "planning:calendar", "calendar3", ("rep", "manager"), order=3))
    register(NavItem("planning_mine", _("My cycle plan"), "planning:my_plan", "list-check", ("rep",), order=4))
    register(NavItem("planning_team", _("Team plans"), "planning:team_plans", "people", ("manager",), order=5))
    register(NavItem("planning_targets", _("Call frequency targets"), "planning:targets", "bullseye", ("admin",),
                     order=60))
    register(NavItem("planning_cycles", _("Cycles"), "planning:cycles", "calendar-range", ("admin",), order=61))

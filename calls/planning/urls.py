"""Pages of calls.planning under ``/plan/`` (namespace ``planning``)."""

from django.urls import path

from .views import admin, calendar, plans, today

app_name = "planning"

urlpatterns = [
    path("today/", today.today, name="today"),
    path("calendar/", calendar.calendar, name="calendar"),
    path("visits/new/", calendar.visit_new, name="visit_new"),
    path("visits/<uuid:code>/move/", calendar.visit_move_view, name="visit_move"),
    path("visits/<uuid:code>/cancel/", calendar.visit_cancel_view, name="visit_cancel"),
    path("mine/", plans.my_plan, name="my_plan"),
    path("cycles/<uuid:cycle_code>/propose/", plans.plan_propose_view, name="plan_propose"),
    path("plans/<uuid:code>/", plans.plan_detail, name="plan_detail"),
    path("plans/<uuid:code>/add/", plans.plan_add_line_view, name="plan_add_line"),
    path("plans/<uuid:code>/submit/", plans.plan_submit_view, name="plan_submit"),
    path("team/", plans.team_plans, name="team_plans"),
    path("targets/", admin.targets, name="targets"),
    path("settings/", admin.settings_view, name="settings"),
    path("cycles/", admin.cycles, name="cycles"),
]

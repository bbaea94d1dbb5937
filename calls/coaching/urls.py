"""Pages of calls.coaching under ``/coaching/`` (namespace ``coaching``)."""

from django.urls import path

from .views import evaluations, skills, trends

app_name = "coaching"

urlpatterns = [
    path("", evaluations.evaluation_list, name="evaluation_list"),
    path("new/", evaluations.evaluation_new, name="evaluation_new"),
    path("trends/", trends.trends, name="trends"),
    path("skills/", skills.skill_list, name="skill_list"),
    path("skills/<uuid:code>/", skills.skill_edit, name="skill_edit"),
    path("skills/<uuid:code>/move/", skills.skill_move_view, name="skill_move"),
    path("<uuid:code>/", evaluations.evaluation_detail, name="evaluation_detail"),
    path("<uuid:code>/edit/", evaluations.evaluation_edit, name="evaluation_edit"),
    path("<uuid:code>/share/", evaluations.evaluation_share_view, name="evaluation_share"),
    path("<uuid:code>/acknowledge/", evaluations.evaluation_acknowledge_view, name="evaluation_acknowledge"),
]

"""Segmentation pages under ``/segmentation/`` (namespace ``segmentation``)."""

from django.urls import path

from .views import lists, pins, rules, runs

app_name = "segmentation"

urlpatterns = [
    path("", rules.rule_list, name="rule_list"),
    path("settings/", rules.settings_view, name="settings"),
    path("rules/<uuid:line_code>/<str:kind>/", rules.rule_edit, name="rule_edit"),
    path("rules/<uuid:line_code>/<str:kind>/preview/", rules.rule_preview_view, name="rule_preview"),
    path("runs/", runs.run_list, name="run_list"),
    path("runs/new/", runs.run_new, name="run_new"),
    path("runs/<uuid:code>/", runs.run_detail, name="run_detail"),
    path("runs/<uuid:code>/progress/", runs.run_progress, name="run_progress"),
    path("pins/", pins.pin_list, name="pin_list"),
    path("pins/<str:kind>/<uuid:code>/", pins.pin_add, name="pin_add"),
    path("pins/<str:kind>/<uuid:code>/<uuid:line_code>/remove/", pins.pin_remove, name="pin_remove"),
    path("lists/", lists.target_list_list, name="target_list_list"),
    path("lists/new/", lists.target_list_new, name="target_list_new"),
    path("lists/<uuid:code>/", lists.target_list_detail, name="target_list_detail"),
    path("lists/<uuid:code>/edit/", lists.target_list_edit, name="target_list_edit"),
    path("lists/<uuid:code>/freeze/", lists.target_list_freeze_view, name="target_list_freeze"),
    path("lists/<uuid:code>/delete/", lists.target_list_delete_view, name="target_list_delete"),
]

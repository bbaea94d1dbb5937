"""Realignment pages under ``/customers/realignments/`` (namespace ``customers``)."""

from django.urls import path

from .views import realign

urlpatterns = [
    path("", realign.realignment_list, name="realignment_list"),
    path("new/", realign.realignment_new, name="realignment_new"),
    path("<uuid:code>/", realign.realignment_detail, name="realignment_detail"),
    path("<uuid:code>/apply/", realign.realignment_apply, name="realignment_apply"),
    path("<uuid:code>/progress/", realign.realignment_progress, name="realignment_progress"),
    path("<uuid:code>/cancel/", realign.realignment_cancel, name="realignment_cancel"),
]

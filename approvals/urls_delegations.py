from django.urls import path

from .views import delegations

urlpatterns = [
    path("", delegations.delegation_list, name="delegations"),
    path("new/", delegations.delegation_create, name="delegation_create"),
    path("<uuid:code>/cancel/", delegations.delegation_cancel, name="delegation_cancel"),
]

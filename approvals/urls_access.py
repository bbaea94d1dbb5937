from django.urls import path

from .views import access

urlpatterns = [
    path("new/", access.new_role_request, name="new_role_request"),
]

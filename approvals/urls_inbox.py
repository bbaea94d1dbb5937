from django.urls import path

from .views import inbox

urlpatterns = [
    path("requests/<uuid:code>/", inbox.detail, name="detail"),
]

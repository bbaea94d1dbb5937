"""Claim pages under ``/expenses/``."""

from django.urls import path

from .views import claims

urlpatterns = [
    path("", claims.claim_list, name="claim_list"),
    path("<uuid:code>/", claims.claim_detail, name="claim_detail"),
]

"""Budgets, caps, categories and exchange rates under ``/expenses/``."""

from django.urls import path

from .views import control

urlpatterns = [
    path("budgets/", control.budget_list, name="budget_list"),
]

"""Budgets, caps, categories and exchange rates under ``/expenses/``."""

from django.urls import path

from .views import budgets, config

urlpatterns = [
    path("budgets/", budgets.budget_list, name="budget_list"),
    path("budgets/new/", budgets.budget_new, name="budget_new"),
    path("budgets/<uuid:code>/edit/", budgets.budget_edit, name="budget_edit"),
    path("budgets/<uuid:code>/allocate/", budgets.budget_allocate, name="budget_allocate"),
    path("budgets/<uuid:code>/delete/", budgets.budget_delete_view, name="budget_delete"),
    path("caps/", config.cap_list, name="cap_list"),
    path("caps/<uuid:code>/", config.cap_edit, name="cap_edit"),
    path("caps/<uuid:code>/deactivate/", config.cap_deactivate_view, name="cap_deactivate"),
    path("categories/", config.category_list, name="category_list"),
    path("categories/<uuid:code>/", config.category_edit, name="category_edit"),
    path("rates/", config.rate_list, name="rate_list"),
]

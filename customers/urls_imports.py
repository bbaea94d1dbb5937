"""Import pages under ``/customers/imports/`` (namespace ``customers``)."""

from django.urls import path

from .views import imports

urlpatterns = [
    path("", imports.import_list, name="import_list"),
    path("new/", imports.import_new, name="import_new"),
    path("templates/<slug:kind>.csv", imports.import_template, name="import_template"),
    path("<uuid:code>/", imports.import_detail, name="import_detail"),
    path("<uuid:code>/progress/", imports.import_progress, name="import_progress"),
    path("<uuid:code>/errors.csv", imports.import_errors_csv, name="import_errors_csv"),
]

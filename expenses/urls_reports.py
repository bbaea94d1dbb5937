"""Report pages under ``/expenses/``: the spend-against-value flags and the transfer-of-value
report with its exports."""

from django.urls import path

from .views import reports

urlpatterns = [
    path("flags/", reports.flag_list, name="flag_list"),
    path("transfers/", reports.transfer_report, name="transfer_report"),
    path("transfers/export.<str:fmt>", reports.transfer_export, name="transfer_export"),
]

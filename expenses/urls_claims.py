"""Claim pages under ``/expenses/``: list, form, detail and actions, receipts, finance export."""

from django.urls import path

from .views import claims, export, form, receipts

urlpatterns = [
    path("", claims.claim_list, name="claim_list"),
    path("new/", form.claim_new, name="claim_new"),
    path("new/preview/", form.claim_preview, name="claim_preview"),
    path("new/hcps/", form.claim_hcp_options, name="claim_hcp_options"),
    path("export/", export.export, name="export"),
    path("export/again/", export.export_again, name="export_again"),
    path("receipts/<uuid:code>/", receipts.receipt_download, name="receipt_download"),
    path("receipts/<uuid:code>/remove/", receipts.receipt_remove_view, name="receipt_remove"),
    path("<uuid:code>/", claims.claim_detail, name="claim_detail"),
    path("<uuid:code>/edit/", form.claim_edit, name="claim_edit"),
    path("<uuid:code>/submit/", claims.claim_submit_view, name="claim_submit"),
    path("<uuid:code>/delete/", claims.claim_delete_view, name="claim_delete"),
    path("<uuid:code>/correct/", claims.claim_correct_view, name="claim_correct"),
    path("<uuid:code>/receipts/", receipts.receipt_upload, name="receipt_upload"),
]

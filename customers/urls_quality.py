"""Data quality pages under ``/customers/quality/`` (namespace ``customers``): change
requests (every member, for what they see), the duplicates queue, merges and undo (data
stewards and admins)."""

from django.urls import path

from .views import changes, duplicates

urlpatterns = [
    # Change requests
    path("changes/", changes.my_changes, name="my_changes"),
    path("changes/<uuid:code>/", changes.change_detail, name="change_detail"),
    path("changes/new-hcp/", changes.change_new_hcp, name="change_new_hcp"),
    path("changes/new-institution/", changes.change_new_institution, name="change_new_institution"),
    path("changes/hcps/<uuid:code>/edit/", changes.change_hcp_edit, name="change_hcp_edit"),
    path("changes/institutions/<uuid:code>/edit/", changes.change_institution_edit, name="change_institution_edit"),
    # kind: "hcp" or "institution"
    path("changes/<str:kind>/<uuid:code>/deactivate/", changes.change_deactivate, name="change_deactivate"),
    path("changes/<str:kind>/<uuid:code>/align/", changes.change_align, name="change_align"),
    # Duplicates and merges
    path("duplicates/", duplicates.duplicate_list, name="duplicate_list"),
    path("duplicates/<uuid:code>/", duplicates.duplicate_detail, name="duplicate_detail"),
    path("duplicates/<uuid:code>/merge/", duplicates.duplicate_merge_view, name="duplicate_merge"),
    path("duplicates/<uuid:code>/dismiss/", duplicates.duplicate_dismiss_view, name="duplicate_dismiss"),
    path("merges/", duplicates.merge_list, name="merge_list"),
    path("merges/<uuid:code>/undo/", duplicates.merge_undo, name="merge_undo"),
]

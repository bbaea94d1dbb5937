from django.urls import path

from .views import users

urlpatterns: list = [
    path("", users.user_list, name="list"),
    path("new/", users.user_create, name="create"),
    path("import/", users.user_import, name="import"),
    path("import/<uuid:code>/", users.user_import_result, name="import_result"),
    path("<uuid:code>/", users.user_detail, name="detail"),
    path("<uuid:code>/edit/", users.user_edit, name="edit"),
    path("<uuid:code>/deactivate/", users.user_deactivate, name="deactivate"),
    path("<uuid:code>/activate/", users.user_activate, name="activate"),
    path("<uuid:code>/reset-password/", users.user_reset_password, name="reset_password"),
    path("<uuid:code>/resend-invitation/", users.user_resend_invitation, name="resend_invitation"),
]

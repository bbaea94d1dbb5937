from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import auth, home

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/language/", auth.set_language, name="set_language"),
    path("accounts/profile/", auth.profile, name="profile"),
    path("accounts/password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("accounts/password/reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("accounts/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("org/", include(("accounts.urls_org", "org"))),
    path("users/", include(("accounts.urls_users", "users"))),
    path("audit/", include(("accounts.urls_audit", "audit"))),
    path("notifications/", include(("accounts.urls_notifications", "notifications"))),
]

"""Email sign-in. A tenant user signs in only while their membership is active."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.db import connection

from .models import User
from .principal import user_with_membership


def user_tenant_id(user_id: int) -> int | None:
    """The tenant of a user's *active* membership, read through ``sfe_user_tenant``."""
    with connection.cursor() as cur:
        cur.execute("SELECT sfe_user_tenant(%s)", [user_id])
        return cur.fetchone()[0]


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        email = (username or kwargs.get("email") or "").strip()
        if not email or password is None:
            return None
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            User().set_password(password)  # same time as a real check
            return None
        if not user.check_password(password) or not self.user_can_authenticate(user):
            return None
        if not user.is_staff and user_tenant_id(user.pk) is None:
            return None  # deactivated membership
        return user

    def get_user(self, user_id):
        """The session's user with their active membership and tenant, in one query (the
        tenant middleware uses what this read)."""
        user = user_with_membership(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

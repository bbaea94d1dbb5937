"""Role checks for views. A user with no membership gets 404 on tenant pages."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404


def tenant_member_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "membership", None) is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def role_required(*roles: str):
    """The view needs one of ``roles``; other members get 403, outsiders 404."""

    def decorator(view):
        @tenant_member_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.membership.has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_roles = roles  # read by the permission-matrix test
        return wrapper

    return decorator

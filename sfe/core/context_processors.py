"""What the base layout needs: the tenant, the membership, and the navigation by role."""

from __future__ import annotations

from .navigation import navigation_for


def shell(request):
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "nav": navigation_for(request),
    }

"""What the base layout needs: the tenant, the membership, and the navigation by role."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from .navigation import navigation_for


def _unread_notifications(membership) -> int:
    from accounts.models import Notification

    return Notification.objects.filter(recipient=membership).unread().count()


def shell(request):
    membership = getattr(request, "membership", None)
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        # Built when the page renders it; a page that passes its own (Today, with the counts
        # its one query already made) never builds this one.
        "nav": SimpleLazyObject(lambda: navigation_for(request)),
        # The bell's count: one COUNT, only when a member's page renders it.
        "unread_notifications": (
            SimpleLazyObject(lambda: _unread_notifications(membership)) if membership is not None else None
        ),
    }

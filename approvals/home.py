"""The approvals card on the home page (registered in AppConfig.ready)."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from .models import ApprovalRequest, RequestState
from .services import pending_for


def home_card_context(request) -> dict:
    membership = request.membership
    counts = pending_for(membership).aggregate(
        waiting=Count("id"), overdue=Count("id", filter=Q(due_at__lt=timezone.now()))
    )
    counts["mine_open"] = ApprovalRequest.objects.filter(
        requester=membership, state__in=[RequestState.PENDING, RequestState.RETURNED]
    ).count()
    return counts

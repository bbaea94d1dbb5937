"""Approvals inbox and request pages (being built out)."""

from django.shortcuts import get_object_or_404, render

from accounts.permissions import tenant_member_required

from ..models import ApprovalRequest


@tenant_member_required
def detail(request, code):
    obj = get_object_or_404(ApprovalRequest, code=code, requester=request.membership)
    return render(request, "approvals/detail.html", {"req": obj})

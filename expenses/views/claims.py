"""Claim pages (list, detail). Owned by the claims pages work; see urls_claims."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from accounts.permissions import role_required

from ..models import ExpenseClaim
from ..visibility import READERS


@role_required(*READERS)
def claim_list(request):
    claims = ExpenseClaim.objects.visible_to(request.user).select_related("rep__user")[:50]
    return render(request, "expenses/claim_list.html", {"claims": claims})


@role_required(*READERS)
def claim_detail(request, code):
    claim = get_object_or_404(ExpenseClaim.objects.visible_to(request.user).select_related("rep__user"), code=code)
    return render(request, "expenses/claim_detail.html", {"claim": claim})

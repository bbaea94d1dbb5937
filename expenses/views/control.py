"""Budget pages. Owned by the spend-control work; see urls_control."""

from __future__ import annotations

from django.shortcuts import render

from accounts.models import Role
from accounts.permissions import role_required

from ..models import Budget


@role_required(Role.MANAGER, Role.ANALYST, Role.ADMIN, Role.FINANCE)
def budget_list(request):
    return render(request, "expenses/budget_list.html", {"budgets": Budget.objects.select_related("node")})

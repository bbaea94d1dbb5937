"""The home page: one per role, with only real figures (or "not yet available")."""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from ..home_cards import cards_for
from ..models import Membership, OrgNode, Position, Role
from ..permissions import tenant_member_required
from ..visibility import sees_whole_tenant

# What later capabilities will fill, per role: shown as "not yet available", never faked.
COMING = {
    Role.REP: [_("Today's planned calls"), _("Calls this month against target"), _("Expense claims")],
    Role.MANAGER: [_("Team activity and KPIs"), _("Coaching")],
    Role.ANALYST: [_("KPI dashboards"), _("Flow-data imports"), _("Value tiers")],
    Role.ADMIN: [_("Tier rules and frequency targets")],
    Role.FINANCE: [_("Approved claims to pay"), _("Budgets")],
}


@tenant_member_required
def home(request):
    membership: Membership = request.membership
    today = request.tenant.today()
    my_positions = list(
        Position.objects.active_on(today).filter(holder=membership)
        .select_related("node").order_by("node__path")
    )
    context = {"today": today, "my_positions": my_positions, "roles": membership.roles}
    held_paths = [p.node.path for p in my_positions]
    if held_paths and not sees_whole_tenant(request.user):
        q = Q()
        for path in held_paths:
            q |= Q(path__startswith=path)
        scope = OrgNode.objects.live().filter(q)
    elif sees_whole_tenant(request.user):
        scope = OrgNode.objects.live()
    else:
        scope = OrgNode.objects.none()
    context["scope_counts"] = scope.aggregate(
        nodes=Count("id"),
        territories=Count("id", filter=Q(kind=OrgNode.Kind.TERRITORY)),
    )
    if membership.has_role(Role.ADMIN):
        context["admin_counts"] = Membership.objects.aggregate(
            active=Count("id", filter=Q(is_active=True)), inactive=Count("id", filter=Q(is_active=False))
        )
        vacant = (
            OrgNode.objects.live().filter(kind=OrgNode.Kind.TERRITORY)
            .exclude(id__in=Position.objects.active_on(today).values("node_id"))
        )
        context["vacant_territories"] = vacant.count()
    context["coming"] = [label for role in membership.roles for label in COMING.get(role, [])]
    context["cards"] = cards_for(request)
    return render(request, "accounts/home.html", context)

"""What segmentation adds to the customer page (through ``customers.registry``, so the
customer master never imports segmentation): a panel with the customer's tiers per product
line, the tier history (from, to, when, which run or who, why) and — for analysts and
admins — a small form to pin a tier; and a timeline source of tier changes.

The panel costs a fixed number of queries: the tiers, the newest history rows, and (for
those who may pin) the product lines.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Role
from accounts.visibility import membership_of
from customers.registry import Panel, TimelineEntry, TimelineSource, register_panel, register_timeline

from . import selectors

HISTORY_ON_PAGE = 10


def panel_context(customer, user) -> dict:
    from products.models import ProductLine

    membership = membership_of(user)
    can_pin = bool(membership and membership.has_role(Role.ANALYST, Role.ADMIN))
    history = selectors.tier_history(customer, limit=HISTORY_ON_PAGE)
    for change in history:
        change.why_text = selectors.why_text(change)
    return {
        "tiers": selectors.tiers_of(customer), "history": history, "can_pin": can_pin,
        "lines": list(ProductLine.objects.filter(is_active=True).order_by("name").only("code", "name")) if can_pin else [],
    }


def tier_timeline(customer, user, limit: int) -> list[TimelineEntry]:
    rows = selectors.tier_history(customer, limit=limit)
    return [TimelineEntry(
        at=c.at, kind="tier", icon="bar-chart-steps",
        title=_("Tier in %(line)s: %(from)s → %(to)s") % {"line": c.product_line.name if c.product_line else
                                                           c.get_purpose_display(),
                                                           "from": c.from_tier or "—", "to": c.to_tier or "—"},
        detail=selectors.why_text(c), by=c.by.user.full_name if c.by_id else "") for c in rows]


def register() -> None:
    register_panel(Panel("segmentation", "segmentation/panel.html", panel_context, order=50))
    register_timeline(TimelineSource("tier", gettext_lazy("Tiers"), tier_timeline, order=60))

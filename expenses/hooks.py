"""What expenses registers with the rest of the product (called from ``AppConfig.ready``):
the approval request type, the customer timeline source, the references a customer merge
moves, and the navigation entries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from approvals import registry
    from customers.registry import Reference, TimelineSource, register_reference, register_timeline
    from sfe.core.navigation import NavItem
    from sfe.core.navigation import register as register_nav

    from . import timeline
    from .services import claims

    registry.register(registry.RequestType(
        key=claims.KEY, label=_("Expense claim"), on_approved=claims.on_approved, on_rejected=claims.on_rejected,
        on_returned=claims.on_returned, on_withdrawn=claims.on_withdrawn, describe=claims.describe,
        object_url=claims.object_url,
    ))
    register_timeline(TimelineSource("expense", _("Spend"), timeline.fetch, order=70))
    # A customer merge moves the spend of the merged HCP (the tallies that would collide stay).
    register_reference(Reference("expenses.LineHcp", "hcp", "hcp", unique_with=("line",)))
    register_reference(Reference("expenses.CapTally", "hcp", "hcp", unique_with=("cap", "year")))
    from . import nav

    nav.register_nav(register_nav, NavItem)

    from . import demo

    demo.register()  # seed_demo adds expenses after customers, segmentation, calls and approvals

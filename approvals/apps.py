from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from sfe.core.navigation import NavItem, register

        from . import (
            access,  # noqa: F401 - registers the "role request" type
            demo,
        )

        demo.register()  # seed_demo also sets up approvals

        from accounts.home_cards import HomeCard
        from accounts.home_cards import register as register_card

        from .home import home_card_context

        register_card(HomeCard("approvals", "approvals/home_card.html", home_card_context, order=10))

        register(NavItem("approvals", _("Approvals"), "approvals:inbox", "check2-square", (), order=20,
                         badge=waiting_count))
        register(NavItem("my_requests", _("My requests"), "approvals:my_requests", "send", (), order=25))
        register(NavItem("delegations", _("Delegations"), "approvals:delegations", "person-check", (), order=27))
        register(NavItem("approval_chains", _("Approval chains"), "approvals:chains", "diagram-2", ("admin",), order=82))


def waiting_count(request) -> int:
    """The number in the navigation beside "Approvals": one COUNT per page that shows it."""
    from .services import pending_for

    return pending_for(request.membership, request.tenant.today()).count()

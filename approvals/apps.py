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

        register(NavItem("approvals", _("Approvals"), "approvals:inbox", "check2-square", (), order=20))
        register(NavItem("my_requests", _("My requests"), "approvals:my_requests", "send", (), order=25))
        register(NavItem("approval_chains", _("Approval chains"), "approvals:chains", "diagram-2", ("admin",), order=82))

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and organisation")

    def ready(self) -> None:
        from sfe.core.navigation import NavItem, register

        register(NavItem("home", _("Home"), "home", "house", (), order=0))
        register(NavItem("org", _("Organisation"), "org:tree", "diagram-3", ("admin", "analyst", "manager"), order=80))
        register(NavItem("users", _("Users"), "users:list", "people", ("admin",), order=85))
        register(NavItem("audit", _("Audit trail"), "audit:list", "journal-text", ("admin",), order=90))
        register(NavItem("api", _("API"), "api-docs", "braces", ("admin", "analyst"), order=95))

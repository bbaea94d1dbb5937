"""Navigation entry of samples: the inventory (with the ledger, orders and reconciliation
one tab away) for reps, managers and admins."""

from django.utils.translation import gettext_lazy as _

from sfe.core.navigation import NavItem, register


def register_nav() -> None:
    register(NavItem("samples", _("Samples"), "samples:inventory", "box-seam", ("rep", "manager", "admin"), order=44))

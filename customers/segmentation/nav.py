"""Navigation entries of segmentation: the tier rules (analysts and admins) and the target
lists (every role that plans or reads them)."""

from django.utils.translation import gettext_lazy as _

from sfe.core.navigation import NavItem, register


def register_nav() -> None:
    register(NavItem("segmentation", _("Segmentation"), "segmentation:rule_list", "bar-chart-steps",
                     ("analyst", "admin"), order=36))
    register(NavItem("target_lists", _("Target lists"), "segmentation:target_list_list", "bullseye",
                     ("rep", "manager"), order=37))

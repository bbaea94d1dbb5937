"""Navigation entries and the home-page card of the customer master."""

from django.utils.translation import gettext_lazy as _

from sfe.core.navigation import NavItem, register

register(NavItem("hcps", _("HCPs"), "customers:hcp_list", "person-vcard", (), order=30))
register(NavItem("institutions", _("Institutions"), "customers:institution_list", "hospital", (), order=31))

register(NavItem("my_changes", _("My change requests"), "customers:my_changes", "pencil-square", (), order=32))
register(NavItem("duplicates", _("Duplicates"), "customers:duplicate_list", "intersect", ("data_steward", "admin"), order=33))
register(NavItem("customer_imports", _("Customer imports"), "customers:import_list", "upload",
                 ("data_steward", "admin"), order=34))
register(NavItem("realignments", _("Realignments"), "customers:realignment_list", "signpost-split", ("admin",), order=35))


def _register_home_card() -> None:
    from accounts.home_cards import HomeCard
    from accounts.home_cards import register as register_card

    from .home import home_card_context

    register_card(HomeCard("customers", "customers/home_card.html", home_card_context, order=5))


_register_home_card()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = _("Products")

    def ready(self) -> None:
        from sfe.core.navigation import NavItem, register

        register(NavItem("products", _("Products"), "products:catalogue", "capsule", (), order=60))

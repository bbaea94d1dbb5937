from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Request types (data change requests, alignment challenges) register with the engine,
        # and the customer page's timeline registry gets its own entries.
        from . import approval_types, nav, timeline  # noqa: F401
        from .demo import register as register_demo

        register_demo()  # seed_demo adds the product catalogue and the customers

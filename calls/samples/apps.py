from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SamplesConfig(AppConfig):
    name = "calls.samples"
    label = "samples"
    verbose_name = _("Samples")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from approvals import registry
        from customers.registry import Reference, register_reference

        from . import nav
        from .services import orders

        nav.register_nav()
        registry.register(registry.RequestType(
            key=orders.KEY, label=_("Sample order"), low_risk=True, on_approved=orders.on_approved,
            on_rejected=orders.on_rejected, on_returned=orders.on_returned, on_withdrawn=orders.on_withdrawn,
            describe=orders.describe,
            object_url=orders.object_url,
        ))
        # A customer merge moves the samples given to, and signatures of, the merged HCP.
        register_reference(Reference("samples.SampleMove", "hcp", "hcp"))
        register_reference(Reference("samples.SampleSignature", "hcp", "hcp"))

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "calls.planning"
    label = "planning"
    verbose_name = _("Planning")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from approvals import registry
        from customers.registry import Reference, register_reference

        from . import nav
        from .services import plans

        nav.register_nav()
        # A merge moves plan lines to the surviving HCP (a line that would repeat one of the
        # survivor's in the same plan and line stays behind; undo finds it).
        register_reference(Reference("planning.CyclePlanLine", "hcp", "hcp", unique_with=("plan", "product_line")))
        registry.register(registry.RequestType(
            key=plans.KEY, label=_("Cycle plan"), low_risk=False, on_approved=plans.on_approved,
            on_rejected=plans.on_rejected, on_returned=plans.on_returned, on_withdrawn=plans.on_withdrawn,
            describe=plans.describe,
            object_url=plans.object_url))

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Field force activity")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from customers.registry import Reference, register_reference

        from . import measures, nav, timeline
        from .demo import register as register_demo

        nav.register_nav()
        timeline.register()
        measures.register()
        register_demo()  # seed_demo adds calls, plans, samples and coaching (after the customers)

        # A merge moves calls, attendances and follow-ups to the surviving HCP or institution.
        register_reference(Reference("calls.Call", "hcp", "hcp"))
        register_reference(Reference("calls.Call", "institution", "institution"))
        register_reference(Reference("calls.CallAttendee", "hcp", "hcp", unique_with=("call",)))
        register_reference(Reference("calls.FollowUp", "hcp", "hcp"))

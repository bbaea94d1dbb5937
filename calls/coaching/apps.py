from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoachingConfig(AppConfig):
    name = "calls.coaching"
    label = "coaching"
    verbose_name = _("Coaching")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import nav

        nav.register_nav()

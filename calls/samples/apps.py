from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SamplesConfig(AppConfig):
    name = "calls.samples"
    label = "samples"
    verbose_name = _("Samples")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        pass

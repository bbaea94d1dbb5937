from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sfe.core"
    label = "core"
    verbose_name = "SFE core"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import schema

        post_migrate.connect(schema.apply_schema_invariants, dispatch_uid="sfe-schema-invariants")

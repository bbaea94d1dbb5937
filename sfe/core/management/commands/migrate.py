"""`migrate` runs as the owner role (the ``owner`` database alias) unless told otherwise.

The application role owns nothing and cannot create tables; the owner role creates them
and ``sfe.core.schema`` then applies row-level security, composite keys, the audit
trigger and the application role's grants.
"""

from django.core.management.commands.migrate import Command as DjangoMigrate


class Command(DjangoMigrate):
    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.set_defaults(database="owner")

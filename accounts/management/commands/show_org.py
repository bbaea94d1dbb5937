"""Print a tenant's organisation tree, today or as of a past date.

    manage.py show_org --tenant huakang [--as-of 2026-01-31]
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError

from sfe.core.management.base import TenantCommand

from ...services.org import tree_as_of


class Command(TenantCommand):
    help = "Print the organisation tree of one tenant (as of a date)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")

    def handle_tenant(self, tenant, *args, **options):
        try:
            day = dt.date.fromisoformat(options["as_of"]) if options["as_of"] else tenant.today()
        except ValueError:
            raise CommandError(f"--as-of: {options['as_of']!r} is not a date (YYYY-MM-DD)") from None
        self.stdout.write(f"{tenant.name} — {day.isoformat()}")

        def walk(nodes, depth):
            for node in nodes:
                mark = " (retired)" if node["retired"] else ""
                self.stdout.write(f"{'  ' * depth}{node['name']} [{node['kind']}]{mark}")
                walk(node["children"], depth + 1)

        walk(tree_as_of(day), 0)

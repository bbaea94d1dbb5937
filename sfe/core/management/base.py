"""Management commands that work inside one tenant take ``--tenant <slug>``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sfe.core.tenancy import tenant_scope


class TenantCommand(BaseCommand):
    """Enters the tenant named by ``--tenant`` and runs ``handle_tenant`` in one transaction."""

    atomic = True

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="slug of the tenant to work in")

    def handle(self, *args, **options):
        from accounts.models import Tenant

        slug = options.pop("tenant")
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {slug!r}")
        with tenant_scope(tenant):
            if self.atomic:
                with transaction.atomic():
                    return self.handle_tenant(tenant, *args, **options)
            return self.handle_tenant(tenant, *args, **options)

    def handle_tenant(self, tenant, *args, **options):  # pragma: no cover - abstract
        raise CommandError("handle_tenant is not implemented")

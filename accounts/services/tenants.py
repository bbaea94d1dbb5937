"""Platform operations: create a tenant with its first administrator."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sfe.core.tenancy import tenant_scope

from ..models import Membership, Role, Tenant
from .users import user_create


@transaction.atomic
def tenant_create(*, name: str, slug: str, admin_email: str, admin_name: str,
                  admin_password: str | None = None, default_language: str = "zh-hans",
                  time_zone: str = "Asia/Shanghai", currency: str = "CNY",
                  fiscal_year_start_month: int = 1) -> tuple[Tenant, Membership]:
    """Create a tenant and its first admin (roles: admin). Platform operators call this."""
    if Tenant.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": _("A tenant with the slug %(slug)s already exists.") % {"slug": slug}})
    tenant = Tenant(name=name, slug=slug, default_language=default_language, time_zone=time_zone,
                    currency=currency.upper(), fiscal_year_start_month=fiscal_year_start_month)
    tenant.full_clean()
    tenant.save()
    with tenant_scope(tenant):
        membership = user_create(email=admin_email, full_name=admin_name, roles=[Role.ADMIN],
                                 password=admin_password, language=default_language)
    return tenant, membership

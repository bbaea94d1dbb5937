"""Create a tenant (pharma company) with its first administrator.

    manage.py create_tenant --name "华康制药" --slug huakang --admin-email admin@huakang.cn \
        --admin-name "王磊" [--password ...] [--language zh-hans|en] [--time-zone Asia/Shanghai]
        [--currency CNY] [--fiscal-year-start 1]

Without --password the administrator gets an email with a link to choose one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sfe.core.tenancy import tenant_scope

from ...services.tenants import tenant_create
from ...services.users import user_send_invitation


class Command(BaseCommand):
    help = "Create a tenant with its first administrator."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", required=True)
        parser.add_argument("--password", default=None)
        parser.add_argument("--language", default="zh-hans", choices=["zh-hans", "en"])
        parser.add_argument("--time-zone", default="Asia/Shanghai")
        parser.add_argument("--currency", default="CNY")
        parser.add_argument("--fiscal-year-start", type=int, default=1)
        parser.add_argument("--base-url", default="http://localhost:8000",
                            help="address used in the invitation link")

    def handle(self, *args, **o):
        try:
            tenant, membership = tenant_create(
                name=o["name"], slug=o["slug"], admin_email=o["admin_email"], admin_name=o["admin_name"],
                admin_password=o["password"], default_language=o["language"], time_zone=o["time_zone"],
                currency=o["currency"], fiscal_year_start_month=o["fiscal_year_start"],
            )
        except ValidationError as exc:
            details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            raise CommandError(details) from exc
        if not o["password"]:
            with tenant_scope(tenant):
                user_send_invitation(membership=membership, base_url=o["base_url"])
        self.stdout.write(self.style.SUCCESS(
            f"Tenant {tenant.name} ({tenant.slug}) created; administrator {membership.user.email}."
        ))

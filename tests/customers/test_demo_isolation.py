"""No demo row points across tenants (a module of its own: it needs committed data, read by the
owner role, so it cannot share ``tests/customers/test_demo.py``'s seeded transaction)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from accounts.models import Tenant
from sfe.core.tenancy import tenant_scope

from .test_demo import REPS


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_no_row_points_across_tenants():
    call_command("seed_demo", reps=REPS, logins_file="", stdout=io.StringIO())
    checks = {
        "customers_hcp": ["customers_institution:institution_id", "customers_department:department_id"],
        "customers_department": ["customers_institution:institution_id"],
        "customers_alignment": ["customers_institution:institution_id", "customers_hcp:hcp_id",
                                "accounts_orgnode:territory_id", "products_productline:product_line_id"],
        "customers_supplyrelation": ["customers_institution:supplier_id", "customers_institution:customer_id",
                                     "products_brand:brand_id"],
        "customers_affiliation": ["customers_hcp:hcp_id", "customers_institution:institution_id"],
        "customers_kollink": ["customers_hcp:source_id", "customers_hcp:target_id"],
        "customers_stagechange": ["customers_hcp:hcp_id", "customers_institution:institution_id",
                                  "accounts_membership:changed_by_id"],
    }
    with connections["owner"].cursor() as cur:  # the owner role: no row security in the way
        for table, refs in checks.items():
            cur.execute(f"SELECT count(DISTINCT tenant_id) FROM {table}")
            assert cur.fetchone()[0] == 2, table
            for ref in refs:
                target, column = ref.split(":")
                cur.execute(f"SELECT count(*) FROM {table} r JOIN {target} t ON t.id = r.{column} "
                            f"WHERE t.tenant_id <> r.tenant_id")
                assert cur.fetchone()[0] == 0, (table, column)
    # Through the application role each tenant sees only its own rows.
    for tenant in Tenant.objects.filter(slug__in=["huakang", "ruian"]):
        with tenant_scope(tenant), transaction.atomic(), connection.cursor() as cur:
            cur.execute("SELECT DISTINCT tenant_id FROM customers_hcp")
            assert [r[0] for r in cur.fetchall()] == [tenant.pk]

"""The tenancy walls, each proven against the real PostgreSQL (issue: points 1-5, 7, 8)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from accounts.models import Membership, OrgNode, Position
from sfe.core.schema import POLICY
from sfe.core.tenancy import TenantScopeError, current_tenant_id
from tests.helpers import assert_uses_tenant_index


def _tenant_tables() -> list[str]:
    """Every table in the schema with a tenant_id column, found from the catalogue itself."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT c.table_name FROM information_schema.columns c
               JOIN information_schema.tables t USING (table_schema, table_name)
               WHERE c.column_name = 'tenant_id' AND c.table_schema = current_schema()
                 AND t.table_type = 'BASE TABLE' ORDER BY 1"""
        )
        return [r[0] for r in cur.fetchall()]


def test_every_tenant_table_has_forced_rls_and_a_policy(db):
    tables = _tenant_tables()
    assert "accounts_orgnode" in tables and "core_auditevent" in tables
    with connection.cursor() as cur:
        cur.execute(
            """SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                      (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s)
               FROM pg_class c WHERE c.relname = ANY(%s)""",
            [POLICY, tables],
        )
        rows = {r[0]: r[1:] for r in cur.fetchall()}
    bad = {t: rows.get(t) for t in tables if rows.get(t) != (True, True, 1)}
    assert not bad, f"tables without enabled+forced RLS and the tenant policy: {bad}"


def test_raw_count_without_where_sees_only_the_current_tenant(world):
    with world.scope("a"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM accounts_orgnode")
        a_count = cur.fetchone()[0]
        cur.execute("SELECT count(DISTINCT tenant_id) FROM accounts_membership")
        a_tenants = cur.fetchone()[0]
    with world.scope("b"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM accounts_orgnode")
        b_count = cur.fetchone()[0]
    # Both tenants have 7 nodes (14 rows in the table); each scope counts its own 7.
    assert a_count == 7 and b_count == 7
    assert a_tenants == 1


def test_raw_count_with_no_tenant_sees_nothing(world):
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM accounts_orgnode")
        assert cur.fetchone()[0] == 0


def test_insert_or_update_of_other_tenant_row_is_refused_by_the_database(world):
    b_id = world.tenants["b"].pk
    with world.scope("a"), transaction.atomic():
        with pytest.raises(Exception, match="row-level security"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "INSERT INTO accounts_orgnode (tenant_id, code, name, kind, path, depth, external_code, created_at)"
                " VALUES (%s, gen_random_uuid(), 'x', 'territory', '/x/', 0, '', now())", [b_id]
            )
        a_node = world.nodes["a"]["t1"]
        with pytest.raises(Exception, match="row-level security"), transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE accounts_orgnode SET tenant_id = %s WHERE id = %s", [b_id, a_node.pk])
        # An UPDATE aimed at a row of B in A's scope touches nothing: B's rows are invisible.
        with connection.cursor() as cur:
            cur.execute("UPDATE accounts_orgnode SET name = 'hacked' WHERE id = %s", [world.nodes["b"]["t1"].pk])
            assert cur.rowcount == 0
    with world.scope("b"), transaction.atomic():
        assert OrgNode.objects.get(pk=world.nodes["b"]["t1"].pk).name == "浦东一区"


def test_orm_query_with_no_tenant_raises(world):
    with pytest.raises(TenantScopeError):
        list(OrgNode.objects.all())
    with pytest.raises(TenantScopeError):
        Membership.objects.count()


def test_saving_a_row_of_another_tenant_raises(world):
    with world.scope("a"), transaction.atomic():
        node = OrgNode.objects.get(pk=world.nodes["a"]["t1"].pk)
    with world.scope("b"), pytest.raises(TenantScopeError):
        node.save()


def test_entering_a_second_tenant_inside_one_is_refused(world):
    with world.scope("a"), pytest.raises(TenantScopeError):
        with world.scope("b"):
            pass


def test_tenant_work_outside_a_transaction_is_refused(world, django_db_blocker):
    # In autocommit mode a transaction-local setting would vanish after one statement.
    from django.db.backends.postgresql.base import DatabaseWrapper  # noqa: F401

    conn = connection
    conn.in_atomic_block, saved = False, conn.in_atomic_block
    try:
        with world.scope("a"), pytest.raises(TenantScopeError, match="transaction"):
            conn.apply_tenant_settings()
    finally:
        conn.in_atomic_block = saved


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_composite_foreign_key_refuses_cross_tenant_reference(tworld):
    """Even the owner role (no RLS) cannot make a row of A point to a row of B."""
    world = tworld
    with world.scope("a"), transaction.atomic():
        a_rep = world.users["a"]["rep"].membership_row
    b_node = world.nodes["b"]["t1"]
    owner = connections["owner"]
    with pytest.raises(Exception, match="tfk|foreign key"):
        with transaction.atomic(using="owner"), owner.cursor() as cur:
            cur.execute(
                "INSERT INTO accounts_position (tenant_id, code, node_id, holder_id, title, start_date, created_at)"
                " VALUES (%s, gen_random_uuid(), %s, %s, '', current_date, now())",
                [world.tenants["a"].pk, b_node.pk, a_rep.pk],
            )
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_application_role_is_not_privileged_and_owns_nothing(db):
    with connection.cursor() as cur:
        cur.execute("SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        user, is_super, bypass = cur.fetchone()
        cur.execute("SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
                    " WHERE r.rolname = current_user AND c.relkind IN ('r', 'p', 'v', 'm', 'S')")
        owned = cur.fetchone()[0]
        cur.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'accounts_orgnode'")
        table_owner = cur.fetchone()[0]
    assert user == settings.APP_DB_ROLE
    assert (is_super, bypass, owned) == (False, False, 0)
    assert table_owner == settings.OWNER_DB_ROLE != user


def test_application_role_cannot_change_or_delete_audit_rows(world):
    with world.scope("a"), transaction.atomic():
        from sfe.core.models import AuditEvent

        assert AuditEvent.objects.filter(table_name="accounts_orgnode").exists()
        for sql in ("UPDATE core_auditevent SET reason = 'x'", "DELETE FROM core_auditevent",
                    "INSERT INTO core_auditevent (tenant_id, at, table_name, row_id, action, changes)"
                    f" VALUES ({world.tenants['a'].pk}, now(), 't', 1, 'I', '{{}}')"):
            with pytest.raises(Exception, match="permission denied"), transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql)


def test_tenant_setting_never_outlives_its_transaction(world):
    with world.scope("a"), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT current_setting('app.tenant_id', true)")
            assert cur.fetchone()[0] == str(world.tenants["a"].pk)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT coalesce(current_setting('app.tenant_id', true), '')")
        assert cur.fetchone()[0] == ""


@pytest.mark.django_db(transaction=True)
def test_persistent_connection_does_not_carry_tenant_to_next_request(tworld, client, settings):
    """Two requests on one persistent connection: the second sees no tenant of the first."""
    from django.test import Client

    for alias in connections:
        connections[alias].settings_dict["CONN_MAX_AGE"] = 600
    a_admin = tworld.users["a"]["admin"]
    first = Client()
    first.force_login(a_admin)
    assert first.get("/").status_code == 200
    pid_after_first = connection.connection.info.backend_pid if connection.connection else None
    # Same thread, same connection object, no request scope: the setting must be gone.
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid(), coalesce(current_setting('app.tenant_id', true), '')")
        pid, tenant_setting = cur.fetchone()
        cur.execute("SELECT count(*) FROM accounts_orgnode")
        visible = cur.fetchone()[0]
    assert pid_after_first == pid, "the connection was not reused; the test proves nothing"
    assert tenant_setting == "" and visible == 0
    # And the next request, by tenant B's admin, sees B only.
    second = Client()
    second.force_login(tworld.users["b"]["admin"])
    response = second.get("/")
    assert response.status_code == 200 and "乙制药" in response.content.decode()
    assert "甲制药" not in response.content.decode()
    assert current_tenant_id() is None


def test_tenant_scoped_orgnode_query_uses_an_index_leading_with_tenant(world):
    with world.scope("a"), transaction.atomic():
        assert_uses_tenant_index(OrgNode.objects.filter(path__startswith=world.nodes["a"]["district"].path))
        day = dt.date.today()
        assert_uses_tenant_index(Position.objects.active_on(day).filter(holder=world.users["a"]["rep"].membership_row))


def test_a_column_with_a_composite_key_keeps_no_single_column_key(db):
    """Each tenant-to-tenant key is checked once per row: the composite ``…_tfk`` key, not
    also Django's single-column one beside it (the composite one implies it)."""
    with connection.cursor() as cur:
        cur.execute("""
            SELECT single.conrelid::regclass::text, single.conname
              FROM pg_constraint composite
              JOIN pg_constraint single ON single.conrelid = composite.conrelid AND single.contype = 'f'
                   AND single.conkey = composite.conkey[2:2]
             WHERE composite.contype = 'f' AND composite.conname LIKE '%%_tfk'""")
        doubled = cur.fetchall()
        cur.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conname LIKE '%%_tfk'")
        composite = cur.fetchone()[0]
    assert composite > 50
    assert doubled == []

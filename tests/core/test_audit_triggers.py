"""The audit trigger, found from the catalogue: on every tenant table except the audit
table itself and the tables of models that opt out (``audit_trigger = False``); the
invariants drop a trigger left on an opted-out table."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from customers.models import Alignment, RealignmentItem
from sfe.core.schema import _audit_trigger, statements_for, tenant_owned_models


def _tenant_tables(cur) -> set[str]:
    cur.execute(
        """SELECT c.table_name FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_schema, table_name)
           WHERE c.column_name = 'tenant_id' AND c.table_schema = current_schema()
             AND t.table_type = 'BASE TABLE'"""
    )
    return {r[0] for r in cur.fetchall()}


def _audited(cur) -> set[str]:
    cur.execute(
        """SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           WHERE t.tgname = 'sfe_audit' AND NOT t.tgisinternal
             AND c.relnamespace = current_schema()::regnamespace"""
    )
    return {r[0] for r in cur.fetchall()}


def test_every_tenant_table_has_the_audit_trigger_except_the_opted_out(db):
    opted_out = {m._meta.db_table for m in tenant_owned_models() if not m.audit_trigger}
    assert opted_out == {RealignmentItem._meta.db_table}
    assert Alignment.audit_trigger  # the alignments are the history: audited
    with connection.cursor() as cur:
        tables = _tenant_tables(cur)
        audited = _audited(cur)
    assert opted_out <= tables and "customers_alignment" in tables
    expected = tables - opted_out - {"core_auditevent"}
    assert not expected - audited, f"tenant tables without the audit trigger: {sorted(expected - audited)}"
    assert not (opted_out | {"core_auditevent"}) & audited


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_invariants_drop_a_trigger_left_on_an_opted_out_table():
    table = RealignmentItem._meta.db_table
    statements = statements_for(RealignmentItem)
    assert f'DROP TRIGGER IF EXISTS sfe_audit ON "{table}"' in statements
    assert not any("CREATE OR REPLACE TRIGGER" in s for s in statements)
    assert any("CREATE OR REPLACE TRIGGER sfe_audit" in s for s in statements_for(Alignment))
    with connections["owner"].cursor() as cur:  # rolled back at the end of the test
        cur.execute(_audit_trigger(table, (), (), "column"))
        assert table in _audited(cur)
        for sql in statements:
            cur.execute(sql)
        assert table not in _audited(cur)
        for sql in statements:  # idempotent
            cur.execute(sql)
        assert table not in _audited(cur)

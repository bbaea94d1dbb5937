"""The audit trigger, found from the catalogue: on every tenant table except the audit
table itself and the tables of models that opt out (``audit_trigger = False``); the
invariants drop a trigger left on an opted-out table."""

from __future__ import annotations

import pytest
from django.db import connection, connections

from customers.models import Alignment, RealignmentItem
from sfe.core.schema import _audit_trigger, audit_statement_triggers, statements_for, tenant_owned_models


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
           WHERE t.tgname IN ('sfe_audit_insert', 'sfe_audit_update', 'sfe_audit_delete') AND NOT t.tgisinternal
             AND c.relnamespace = current_schema()::regnamespace
           GROUP BY c.relname HAVING count(*) = 3"""
    )
    return {r[0] for r in cur.fetchall()}


def test_every_tenant_table_has_the_audit_trigger_except_the_opted_out(db):
    opted_out = {m._meta.db_table for m in tenant_owned_models() if not m.audit_trigger}
    assert RealignmentItem._meta.db_table in opted_out  # derived rows (and segmentation's own history tables)
    assert Alignment.audit_trigger  # the alignments are the history: audited
    with connection.cursor() as cur:
        tables = _tenant_tables(cur)
        audited = _audited(cur)
    assert opted_out <= tables and "customers_alignment" in tables
    expected = tables - opted_out - {"core_auditevent"}
    assert not expected - audited, f"tenant tables without the audit trigger: {sorted(expected - audited)}"
    assert not (opted_out | {"core_auditevent"}) & audited


def _sfe_triggers(cur, table: str) -> set[str]:
    cur.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgname LIKE 'sfe_audit%%'",
                [table])
    return {r[0] for r in cur.fetchall()}


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_invariants_drop_triggers_left_on_an_opted_out_table():
    """Both kinds left from before: the row-level trigger of the first schema and the
    statement-level ones of today."""
    table = RealignmentItem._meta.db_table
    statements = statements_for(RealignmentItem)
    assert f'DROP TRIGGER IF EXISTS sfe_audit ON "{table}"' in statements
    assert not any("CREATE OR REPLACE TRIGGER" in s for s in statements)
    assert sum("FOR EACH STATEMENT" in s for s in statements_for(Alignment)) == 3
    with connections["owner"].cursor() as cur:  # rolled back at the end of the test
        cur.execute(_audit_trigger(table, (), (), "column"))
        for sql in audit_statement_triggers(table, ()):
            cur.execute(sql)
        assert _sfe_triggers(cur, table) == {"sfe_audit", "sfe_audit_insert", "sfe_audit_update", "sfe_audit_delete"}
        assert table in _audited(cur)
        for sql in statements:
            cur.execute(sql)
        assert _sfe_triggers(cur, table) == set()
        for sql in statements:  # idempotent
            cur.execute(sql)
        assert _sfe_triggers(cur, table) == set()


def test_a_statement_writes_one_audit_row_per_row_with_its_values(world):
    """Created and deleted rows store their values; a change stores the changed columns as
    [old, new]; an update that changes nothing writes nothing."""
    from django.db import transaction

    from accounts.models import Membership
    from customers.models import SavedFilter
    from sfe.core.models import AuditEvent

    with world.scope("a"), transaction.atomic():
        owner = Membership.objects.get(user=world.users["a"]["rep"])
        SavedFilter.objects.bulk_create([SavedFilter(owner=owner, list_name="hcps", name=f"f{i}", query=f"q=z{i}")
                                         for i in range(3)])
        ids = sorted(SavedFilter.objects.filter(owner=owner).values_list("id", flat=True))
        SavedFilter.objects.filter(pk__in=ids).update(query="q=zw")
        SavedFilter.objects.filter(pk__in=ids).update(query="q=zw")  # no change: no audit row
        SavedFilter.objects.filter(pk=ids[0]).delete()
        events = AuditEvent.objects.filter(table_name="customers_savedfilter", row_id__in=ids)
        by_action = {a: sorted(events.filter(action=a).values_list("row_id", flat=True)) for a in "IUD"}
        assert by_action == {"I": ids, "U": ids, "D": ids[:1]}
        created = events.get(action="I", row_id=ids[1])
        assert ("query", None, "q=z1") in created.change_rows() and ("name", None, "f1") in created.change_rows()
        changed = events.get(action="U", row_id=ids[1])
        assert changed.change_rows() == [("query", "q=z1", "q=zw")]
        deleted = events.get(action="D")
        assert ("query", "q=zw", None) in deleted.change_rows()
        assert all(e.tenant_id == world.tenants["a"].pk for e in events)


def test_a_customers_computed_tier_is_not_audited_on_the_record(world):
    """``tier`` on an HCP or institution is the recompute's copy of the primary line's tier;
    its history is ``TierChange``. Changing it alone writes no audit row; any other change
    in the same statement is audited without it."""
    from django.db import transaction

    from customers.models import Hcp, Institution
    from sfe.core.models import AuditEvent
    from tests.customers.factories import make_hcp, make_institution

    with world.scope("a"), transaction.atomic():
        inst = make_institution()
        hcp = make_hcp(institution=inst)
        before = AuditEvent.objects.count()
        Hcp.objects.filter(pk=hcp.pk).update(tier="A" if hcp.tier != "A" else "B")
        Institution.objects.filter(pk=inst.pk).update(tier="A" if inst.tier != "A" else "B")
        assert AuditEvent.objects.count() == before
        Hcp.objects.filter(pk=hcp.pk).update(tier="C", title="chief" if hcp.title != "chief" else "resident")
        changed = AuditEvent.objects.get(table_name="customers_hcp", row_id=hcp.pk, action="U")
        assert [column for column, _old, _new in changed.change_rows()] == ["title"]

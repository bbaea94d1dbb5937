"""The database wrapper's tenant settings before a transaction's first statement
(``sfe.core.db.base``), against the real PostgreSQL: the first statement already runs in the
tenant (row security sees the setting), its errors are Django's, and server-side cursors and
strings of several commands get the settings first too.

Sending BEGIN, the settings and the first statement in one psycopg pipeline was tried and
measured (issue 5's bench): it saved two round trips but cost more CPU in psycopg's pipeline
than it saved (a signed-in page 6.7–6.9 ms of CPU a request against 4.4–6.1 without, and the
day plan with 200 visits slower), so the settings go as their own statement.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import OrgNode

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_first_statement_of_a_transaction_already_runs_in_the_tenant(tworld):
    tenant = tworld.tenants["a"]
    with tworld.scope("a"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT current_setting('app.tenant_id'), count(*) FROM accounts_orgnode")
        setting, nodes = cur.fetchone()
    assert setting == str(tenant.pk)
    assert nodes == 7  # tenant a's nodes only (b has as many)


def test_an_error_of_the_first_statement_is_djangos_and_the_next_transaction_is_sound(tworld):
    with tworld.scope("a"):
        with transaction.atomic():
            node = OrgNode.objects.order_by("pk").first()
        copy = ("INSERT INTO accounts_orgnode (tenant_id, code, kind, name, path, depth, external_code, created_at) "
                "SELECT tenant_id, code, kind, name, path, depth, external_code, now() FROM accounts_orgnode "
                "WHERE id = %s")
        with pytest.raises(IntegrityError, match="orgnode_tenant_code"):
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(copy, [node.pk])  # the transaction's first statement fails
        with transaction.atomic():
            assert OrgNode.objects.count() == 7
            with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
                cur.execute(copy, [node.pk])  # inside a savepoint this time
            assert OrgNode.objects.count() == 7  # the transaction goes on, still in the tenant


def test_a_server_side_cursor_as_first_statement_still_runs_in_the_tenant(tworld):
    with tworld.scope("b"), transaction.atomic():
        ids = [n.tenant_id for n in OrgNode.objects.order_by("pk").iterator(chunk_size=2)]
    assert len(ids) == 7 and set(ids) == {tworld.tenants["b"].pk}


def test_several_commands_in_one_string_still_run_first_in_a_transaction(tworld):
    """Migrations' RunSQL sends several commands in one string."""
    with tworld.scope("a"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE pipeline_probe (n int) ON COMMIT DROP; INSERT INTO pipeline_probe VALUES (1)")
        cur.execute("SELECT current_setting('app.tenant_id'), (SELECT count(*) FROM pipeline_probe)")
        assert cur.fetchone() == (str(tworld.tenants["a"].pk), 1)


def test_prepared_statements_are_compacted_outside_their_literals_only():
    from sfe.core.db.base import compact_sql

    sql = "SELECT  'a  b',\n\t x\n  FROM t WHERE y = 'it''s  here'  AND z = ''\n"
    assert compact_sql(sql) == "SELECT 'a  b', x FROM t WHERE y = 'it''s  here' AND z = ''"
    # an escape string: its \' does not end it, so splitting on quotes would compact inside it
    escaped = "SELECT E'it\\'s  here',  'b'"
    for kept in ("SELECT 1 -- one\n, 2", "SELECT $$a  b$$", 'SELECT 1 AS "a  b"', "SELECT /* x */  1", escaped):
        assert compact_sql(kept) == kept


def test_the_today_statement_is_short_enough_for_psycopg_to_remember_its_conversion(tworld):
    """psycopg converts the placeholders of a text of at most 4,096 characters once; a
    longer one is split with a regular expression on every request."""
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH

    from calls.planning.selectors import TODAY_SQL
    from sfe.core.db.base import compact_sql

    compacted = compact_sql(TODAY_SQL)
    assert len(compacted) <= MAX_CACHED_STATEMENT_LENGTH < len(TODAY_SQL)
    with transaction.atomic(), connection.prepared_cursor() as cur:  # the compacted text runs
        cur.execute("SELECT  %(a)s::text  ||  ' x  y'", {"a": "w"})
        assert cur.fetchone() == ("w x  y",)

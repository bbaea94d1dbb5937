"""The database wrapper sends a transaction's BEGIN, the tenant's settings and its first
statement together (``sfe.core.db.base``: psycopg's pipeline), against the real PostgreSQL.

What must hold whatever the transport: the first statement already runs in the tenant (row
security sees the setting), its errors are Django's, and server-side cursors (which psycopg
cannot pipeline) still get the settings first.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import OrgNode

pytestmark = pytest.mark.django_db(transaction=True)


class _PipelineSpy:
    """Counts the pipelines opened on the psycopg connection of this thread."""

    def __init__(self, monkeypatch):
        connection.ensure_connection()
        self.opened = 0
        raw = connection.connection
        real = raw.pipeline

        def pipeline(*args, **kwargs):
            self.opened += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(raw, "pipeline", pipeline)


def test_the_first_statement_runs_in_the_tenant_in_one_pipeline_with_begin_and_settings(tworld, monkeypatch):
    spy = _PipelineSpy(monkeypatch)
    tenant = tworld.tenants["a"]
    with tworld.scope("a"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT current_setting('app.tenant_id'), count(*) FROM accounts_orgnode")
        setting, nodes = cur.fetchone()
        assert spy.opened == 1
        cur.execute("SELECT count(*) FROM accounts_orgnode")  # same settings: sent alone
        assert spy.opened == 1
    assert setting == str(tenant.pk)
    assert nodes == 7  # tenant a's nodes only (b has as many)


def test_an_error_of_the_pipelined_statement_is_djangos_and_the_next_transaction_is_sound(tworld):
    with tworld.scope("a"):
        with transaction.atomic():
            node = OrgNode.objects.order_by("pk").first()
        copy = ("INSERT INTO accounts_orgnode (tenant_id, code, kind, name, path, depth, external_code, created_at) "
                "SELECT tenant_id, code, kind, name, path, depth, external_code, now() FROM accounts_orgnode "
                "WHERE id = %s")
        with pytest.raises(IntegrityError, match="orgnode_tenant_code"):
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(copy, [node.pk])  # the transaction's first statement: pipelined, fails
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
    """Migrations' RunSQL sends several commands at once: never pipelined (extended protocol)."""
    with tworld.scope("a"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE pipeline_probe (n int) ON COMMIT DROP; INSERT INTO pipeline_probe VALUES (1)")
        cur.execute("SELECT current_setting('app.tenant_id'), (SELECT count(*) FROM pipeline_probe)")
        assert cur.fetchone() == (str(tworld.tenants["a"].pk), 1)

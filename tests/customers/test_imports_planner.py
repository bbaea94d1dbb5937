"""The import's load statements and the planner: a tenant's first import has no statistics."""

from __future__ import annotations

import pytest

from tests.customers.test_imports import HCP_HEADER_EN, counts, csv_bytes, hospitals, media, run  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("english", "media", "hospitals")


def test_the_hcp_load_turns_nested_loops_off_for_its_upsert_only(world, monkeypatch):
    """The upsert runs without nested loops (a new tenant's rows have no statistics: with them,
    the planner probed every department of the tenant once per row), and the session setting
    is back to what it was afterwards, for whatever else the transaction runs."""
    from django.db import connection

    from customers.services.imports import loading

    seen = []
    one = loading.Loader._one

    def spying(self, sql, params=None):
        if "INSERT INTO customers_hcp" in sql:
            with self.conn.cursor() as cur:
                cur.execute("SHOW enable_nestloop")
                seen.append(cur.fetchone()[0])
        return one(self, sql, params)

    monkeypatch.setattr(loading.Loader, "_one", spying)
    rows = [HCP_HEADER_EN, ["D300", "李明", "H100", "心内科", "", "", "", "", ""]]
    job = run(world, "hcps", csv_bytes(rows))
    assert counts(job) == (1, 0, 0, 0), job.errors
    assert seen == ["off"]
    with connection.cursor() as cur:
        cur.execute("SHOW enable_nestloop")
        assert cur.fetchone()[0] == "on"

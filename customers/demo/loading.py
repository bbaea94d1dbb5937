"""Loading generated rows: COPY text into staging tables, one INSERT … SELECT per chunk."""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.db import connection

CHUNK_ROWS = 50_000  # rows per staging chunk (COPY, then one INSERT … SELECT)
POOL = 4096  # pre-drawn dates and factors the row generators pick from
PREFIX_SEP = "-"


# --------------------------------------------------------------------------- loading


class Loader:
    """COPY text into a temporary staging table, then ``INSERT … SELECT`` into the real one.

    ``columns`` are the columns written from Python; ``constants`` maps other columns to SQL
    expressions (the tenant, ``gen_random_uuid()``, ``now()``). Keeps the seconds spent
    generating (Python) and loading (database) apart.
    """

    def __init__(self, tenant_id: int):
        self.tenant_id = tenant_id
        self.python_s = 0.0
        self.db_s = 0.0

    def reserve_ids(self, table: str, n: int) -> list[int] | range:
        """``n`` ids from the table's sequence (a range when they came contiguous)."""
        if n == 0:
            return range(0)
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(
                "WITH s AS (SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS v FROM generate_series(1, %s)) "
                "SELECT min(v), max(v), CASE WHEN max(v) - min(v) + 1 = %s THEN NULL "
                "ELSE array_agg(v ORDER BY v) END FROM s", [table, n, n])
            lo, hi, ids = cur.fetchone()
        self.db_s += time.perf_counter() - started
        return range(lo, hi + 1) if ids is None else ids

    def load(self, table: str, columns: list[str], lines: Iterable[str], constants: dict[str, str] | None = None) -> int:
        constants = {"tenant_id": str(self.tenant_id), **(constants or {})}
        stage = f"demo_stage_{table}"
        cols = ", ".join(columns)
        insert = (f"INSERT INTO {table} ({cols}, {', '.join(constants)}) "
                  f"SELECT {cols}, {', '.join(constants.values())} FROM {stage}")
        started = time.perf_counter()
        connection.apply_tenant_settings()
        with connection.cursor() as cur:
            cur.execute(f"CREATE TEMP TABLE {stage} AS SELECT {cols} FROM {table} WITH NO DATA")
            self.db_s += time.perf_counter() - started
            total = 0
            batch: list[str] = []
            mark = time.perf_counter()
            for line in lines:
                batch.append(line)
                if len(batch) >= CHUNK_ROWS:
                    total += self._flush(cur, stage, cols, batch, insert, mark)
                    batch = []
                    mark = time.perf_counter()
            total += self._flush(cur, stage, cols, batch, insert, mark)
            started = time.perf_counter()
            cur.execute(f"DROP TABLE {stage}")
            self.db_s += time.perf_counter() - started
        return total

    def _flush(self, cur, stage: str, cols: str, batch: list[str], insert: str, mark: float) -> int:
        if not batch:
            self.python_s += time.perf_counter() - mark
            return 0
        text = "".join(batch)
        started = time.perf_counter()
        self.python_s += started - mark
        with cur.cursor.copy(f"COPY {stage} ({cols}) FROM STDIN") as copy:
            copy.write(text)
        cur.execute(insert)
        cur.execute(f"TRUNCATE {stage}")
        self.db_s += time.perf_counter() - started
        return len(batch)


def _n(value) -> str:
    """A COPY text field: None is NULL."""
    return "\\N" if value is None else str(value)



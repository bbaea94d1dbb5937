"""``field__prefix=value``: ``field ^@ value`` (PostgreSQL's starts-with operator).

``LIKE 'zw%'`` would be the usual way, but LIKE is not *leakproof*, and under row-level
security PostgreSQL may only turn leakproof conditions into index ranges: with LIKE a
search reads every row of the tenant; with ``^@`` it is a range of the
``varchar_pattern_ops`` index (tests/customers/test_explain.py checks the plan).
"""

from __future__ import annotations

from django.db.models import CharField, Lookup


@CharField.register_lookup
class Prefix(Lookup):
    lookup_name = "prefix"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ^@ {rhs}", [*lhs_params, *rhs_params]

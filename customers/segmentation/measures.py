"""The measures registry: what a segmentation rule may read about a customer.

A measure is one number per customer of one kind (HCP or institution), given as SQL that
the recompute joins to the population — never a Python loop::

    register_measure(Measure(
        key="calls.last_12m", label=_("Calls, last 12 months"), kind="hcp", missing=0,
        sql="SELECT hcp_id, count(*) FROM calls_call WHERE tenant_id = %(tenant)s "
            "AND day > %(today)s::date - 365 GROUP BY hcp_id",
    ))

Rules of the SQL (it is code registered by apps, never user input):

* it yields two columns, ``(customer_id, value)`` (names do not matter, order does), at most
  one row per customer, the value numeric (it is cast to ``numeric``);
* it may use the named parameters ``%(tenant)s`` (the current tenant's id: filter on it so
  the tenant-leading indexes serve; row-level security applies in any case),
  ``%(line)s`` (the product line's id, NULL for channel rules) and ``%(today)s`` (the
  tenant's today); a literal ``%`` is written ``%%``;
* a measure read straight off the customer's own row gives ``expr`` instead of ``sql``: an
  SQL expression over the row aliased ``c`` (``c.potential``), which costs no join;
* an HCP measure that is really a number of the HCP's primary institution (its beds, its
  grade, its sales) says ``per_institution=True`` and yields ``(institution_id, value)``: the
  recompute joins it on ``c.institution_id`` in its own scan of the HCPs. Joining
  ``customers_hcp`` inside the measure instead costs a second scan and a hash join of the
  whole HCP table (measured at 1,000,000 HCPs: 14.0 s → 10.4 s for the whole compute).

``missing`` is the value of a customer with no row (or a NULL value): ``0`` for counts and
sums (no calls is zero calls), ``None`` for attributes (no bed count is unknown). A value
that stays NULL lands in the lowest band of a matrix axis, is left out of that axis's
percentiles, and counts 0 in a score (see ``definition``).

Built-in attribute measures are registered by ``measures_builtin``; later apps (calls,
sales, events, expenses) register theirs in their ``AppConfig.ready()``. ``customers``
never imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.functional import Promise

KINDS = ("hcp", "institution")


@dataclass(frozen=True)
class Measure:
    key: str
    label: str | Promise
    kind: str  # "hcp" or "institution"
    sql: str = ""
    expr: str = ""
    missing: Decimal | int | None = None
    description: str | Promise = ""
    #: Ordering in the rule editor's list (lower first).
    order: int = 100
    #: An HCP measure given per institution: ``sql`` yields ``(institution_id, value)``, joined
    #: on the HCP's primary institution.
    per_institution: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"measure {self.key}: kind must be one of {KINDS}")
        if bool(self.sql) == bool(self.expr):
            raise ValueError(f"measure {self.key}: give exactly one of sql and expr")
        if self.per_institution and (self.kind != "hcp" or not self.sql):
            raise ValueError(f"measure {self.key}: per_institution is for HCP measures given by sql")
        if not self.key or any(ch.isspace() for ch in self.key):
            raise ValueError(f"measure key {self.key!r}: no blanks")


_measures: dict[str, Measure] = {}


def register_measure(measure: Measure) -> None:
    """Add (or replace, by key) a measure. Call from ``AppConfig.ready()``."""
    _measures[measure.key] = measure


def unregister_measure(key: str) -> None:
    """Remove a measure (tests that register their own clean up with this)."""
    _measures.pop(key, None)


def get_measure(key: str) -> Measure | None:
    return _measures.get(key)


def measures(kind: str | None = None) -> list[Measure]:
    """The registered measures (of one kind), in the editor's order."""
    found = [m for m in _measures.values() if kind is None or m.kind == kind]
    return sorted(found, key=lambda m: (m.order, m.key))


def measure_keys(kind: str) -> frozenset[str]:
    return frozenset(m.key for m in _measures.values() if m.kind == kind)

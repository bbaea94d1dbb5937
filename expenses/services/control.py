"""Budgets and caps as a claim moves: commit on submit, spend on approval, release otherwise.

Each move is one SQL statement over the claim's lines, whatever the history:

* **commit** (submit): the amounts go to every budget that covers a line (the budget's node
  is the claim's territory or above it, the day is in its period, the category is the line's
  or any), and to the tally of every active cap for each HCP who benefited, in the fiscal
  year of the line. A hard budget or a hard cap is only increased while it stays within its
  amount (``UPDATE … WHERE used + x <= amount``): under READ COMMITTED a second claim waiting
  on the same row re-checks against the first one's amounts, so two claims submitted at once
  can never pass a hard limit together. Rows are locked in id order (no deadlocks between
  two claims touching the same budgets). The budget's check constraint backs this up.
* **spend** (approval): committed → spent for exactly what the claim committed;
* **release** (rejected, withdrawn, sent back): committed goes down by the same;
  both with the claim's own move (``settle``: locked, moved, its state set).

What a claim committed is kept in ``ClaimCommitment`` so each later move is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from sfe.core.tenancy import require_tenant_id

#: The budget rows a claim's lines fall in, with the amount per budget.
_BUDGET_NEED = """
    need AS (
        SELECT b.id, sum(l.base_amount) AS amount
        FROM expenses_expenseline l
        JOIN expenses_budget b ON b.tenant_id = l.tenant_id
             AND (b.category_id IS NULL OR b.category_id = l.category_id)
             AND l.day BETWEEN b.start_date AND b.end_date AND b.campaign = ''
        JOIN accounts_orgnode n ON n.id = b.node_id AND n.tenant_id = b.tenant_id
        WHERE l.tenant_id = %(tenant)s AND l.claim_id = %(claim)s AND starts_with(%(path)s, n.path)
        GROUP BY b.id
    )"""

COMMIT_BUDGETS = f"""
WITH {_BUDGET_NEED},
locked AS MATERIALIZED (
    SELECT b.id, b.committed + b.spent AS used_before, b.alerted_percent AS alerted_before
    FROM expenses_budget b WHERE b.tenant_id = %(tenant)s AND b.id IN (SELECT id FROM need)
    ORDER BY b.id FOR NO KEY UPDATE
),
upd AS (
    UPDATE expenses_budget b
    SET committed = b.committed + need.amount,
        alerted_percent = CASE
            WHEN b.amount > 0 AND b.committed + b.spent + need.amount >= b.amount THEN 100
            WHEN b.amount > 0 AND (b.committed + b.spent + need.amount) * 100 >= b.amount * 80
                THEN greatest(b.alerted_percent, 80)
            ELSE b.alerted_percent END
    FROM need JOIN locked USING (id)
    WHERE b.id = need.id AND (NOT b.is_hard OR b.committed + b.spent + need.amount <= b.amount)
    RETURNING b.id, need.amount, b.alerted_percent, locked.alerted_before
),
ins AS (
    INSERT INTO expenses_claimcommitment (tenant_id, claim_id, budget_id, tally_id, amount)
    SELECT %(tenant)s, %(claim)s, upd.id, NULL, upd.amount FROM upd
)
SELECT need.id, need.amount, upd.id IS NOT NULL, coalesce(upd.alerted_percent, 0), coalesce(upd.alerted_before, 0)
FROM need LEFT JOIN upd USING (id) ORDER BY need.id
"""

#: Per active cap, HCP and fiscal year, the shares of the claim's lines.
_CAP_NEED = """
    need AS (
        SELECT c.id AS cap_id, h.hcp_id,
               CASE WHEN extract(month FROM l.day) >= %(fy_month)s THEN extract(year FROM l.day)
                    ELSE extract(year FROM l.day) - 1 END::int AS year,
               sum(h.amount) AS amount, c.annual_limit, c.is_hard, c.warn_percent
        FROM expenses_expenseline l
        JOIN expenses_linehcp h ON h.tenant_id = l.tenant_id AND h.line_id = l.id
        JOIN expenses_spendcap c ON c.tenant_id = l.tenant_id AND c.is_active
             AND (c.category_id IS NULL OR c.category_id = l.category_id)
        WHERE l.tenant_id = %(tenant)s AND l.claim_id = %(claim)s
        GROUP BY c.id, h.hcp_id, 3, c.annual_limit, c.is_hard, c.warn_percent
    )"""

COMMIT_CAPS = f"""
WITH {_CAP_NEED},
upd AS (
    INSERT INTO expenses_captally AS t (tenant_id, cap_id, hcp_id, year, committed, spent)
    SELECT %(tenant)s, cap_id, hcp_id, year, amount, 0 FROM need
    WHERE NOT is_hard OR amount <= annual_limit
    ORDER BY cap_id, hcp_id, year
    ON CONFLICT (tenant_id, cap_id, hcp_id, year) DO UPDATE
    SET committed = t.committed + excluded.committed
    WHERE NOT (SELECT c.is_hard FROM expenses_spendcap c WHERE c.id = t.cap_id)
       OR t.committed + t.spent + excluded.committed
          <= (SELECT c.annual_limit FROM expenses_spendcap c WHERE c.id = t.cap_id)
    RETURNING t.id, t.cap_id, t.hcp_id, t.year, t.committed + t.spent AS used
),
ins AS (
    INSERT INTO expenses_claimcommitment (tenant_id, claim_id, budget_id, tally_id, amount)
    SELECT %(tenant)s, %(claim)s, NULL, upd.id, need.amount
    FROM upd JOIN need USING (cap_id, hcp_id, year)
)
SELECT need.cap_id, need.hcp_id, need.year, need.amount, need.annual_limit, need.is_hard, need.warn_percent,
       upd.id IS NOT NULL, coalesce(upd.used, 0)
FROM need LEFT JOIN upd USING (cap_id, hcp_id, year) ORDER BY need.cap_id, need.hcp_id, need.year
"""

#: The engine's decision settles the claim of approval request ``%(request)s``, in one statement:
#: the claim is locked (only in ``%(from_states)s``), committed → spent for what it committed
#: (``%(spend)s``, on approval; the commitments are kept: they say where the spend went) or
#: committed released (the commitments removed), and the claim moves to ``%(state)s``.
#: Budgets, then tallies, are locked in id order, the order submit locks in.
SETTLE = """
WITH c AS MATERIALIZED (
    SELECT id FROM expenses_expenseclaim
    WHERE tenant_id = %(tenant)s AND approval_id = %(request)s AND state = ANY(%(from_states)s) FOR UPDATE
), per_budget AS (
    SELECT budget_id AS id, sum(amount) AS amount FROM expenses_claimcommitment
    WHERE tenant_id = %(tenant)s AND claim_id = (SELECT id FROM c) AND budget_id IS NOT NULL GROUP BY budget_id
), per_tally AS (
    SELECT tally_id AS id, sum(amount) AS amount FROM expenses_claimcommitment
    WHERE tenant_id = %(tenant)s AND claim_id = (SELECT id FROM c) AND tally_id IS NOT NULL GROUP BY tally_id
), lb AS MATERIALIZED (
    SELECT id FROM expenses_budget WHERE tenant_id = %(tenant)s AND id IN (SELECT id FROM per_budget)
    ORDER BY id FOR NO KEY UPDATE
), b AS (
    UPDATE expenses_budget b SET committed = b.committed - p.amount,
                                 spent = b.spent + CASE WHEN %(spend)s THEN p.amount ELSE 0 END
    FROM per_budget p JOIN lb USING (id) WHERE b.id = p.id AND b.tenant_id = %(tenant)s RETURNING b.id
), lt AS MATERIALIZED (
    -- after the budgets (the scalar subquery runs first), in id order
    SELECT id FROM expenses_captally WHERE tenant_id = %(tenant)s AND id IN (SELECT id FROM per_tally)
      AND (SELECT count(*) FROM b) >= 0
    ORDER BY id FOR NO KEY UPDATE
), t AS (
    UPDATE expenses_captally t SET committed = t.committed - p.amount,
                                   spent = t.spent + CASE WHEN %(spend)s THEN p.amount ELSE 0 END
    FROM per_tally p JOIN lt USING (id) WHERE t.id = p.id AND t.tenant_id = %(tenant)s RETURNING t.id
), gone AS (
    DELETE FROM expenses_claimcommitment
    WHERE tenant_id = %(tenant)s AND claim_id = (SELECT id FROM c) AND NOT %(spend)s RETURNING id
), claim AS (
    UPDATE expenses_expenseclaim x SET state = %(state)s, updated_at = %(now)s,
        decided_at = CASE WHEN %(decided)s THEN %(now)s ELSE NULL END
    FROM c WHERE x.id = c.id AND x.tenant_id = %(tenant)s RETURNING x.id, x.corrects_id
)
SELECT claim.id, claim.corrects_id, (SELECT count(*) FROM b), (SELECT count(*) FROM t), (SELECT count(*) FROM gone)
FROM claim
"""

#: An approved claim that a correction replaces gives back what it spent.
UNSPEND = """
WITH per_budget AS (
    SELECT budget_id AS id, sum(amount) AS amount FROM expenses_claimcommitment
    WHERE tenant_id = %(tenant)s AND claim_id = %(claim)s AND budget_id IS NOT NULL GROUP BY budget_id
), per_tally AS (
    SELECT tally_id AS id, sum(amount) AS amount FROM expenses_claimcommitment
    WHERE tenant_id = %(tenant)s AND claim_id = %(claim)s AND tally_id IS NOT NULL GROUP BY tally_id
), b AS (
    UPDATE expenses_budget b SET spent = b.spent - p.amount FROM per_budget p
    WHERE b.id = p.id AND b.tenant_id = %(tenant)s RETURNING b.id
), t AS (
    UPDATE expenses_captally t SET spent = t.spent - p.amount FROM per_tally p
    WHERE t.id = p.id AND t.tenant_id = %(tenant)s RETURNING t.id
)
DELETE FROM expenses_claimcommitment WHERE tenant_id = %(tenant)s AND claim_id = %(claim)s
"""


@dataclass(frozen=True)
class BudgetUse:
    budget_id: int
    amount: Decimal
    taken: bool
    alerted: int
    alerted_before: int


@dataclass(frozen=True)
class CapUse:
    cap_id: int
    hcp_id: int
    year: int
    amount: Decimal
    limit: Decimal
    is_hard: bool
    warn_percent: int
    taken: bool
    used_after: Decimal

    @property
    def over(self) -> bool:
        return self.taken and self.used_after > self.limit

    @property
    def warned(self) -> bool:
        return self.taken and self.used_after * 100 >= self.limit * self.warn_percent


def commit_budgets(*, claim_id: int, territory_path: str) -> list[BudgetUse]:
    with connection.cursor() as cursor:
        cursor.execute(COMMIT_BUDGETS, {"tenant": require_tenant_id(), "claim": claim_id, "path": territory_path})
        return [BudgetUse(*row) for row in cursor.fetchall()]


def commit_caps(*, claim_id: int, fiscal_start_month: int) -> list[CapUse]:
    with connection.cursor() as cursor:
        cursor.execute(COMMIT_CAPS, {"tenant": require_tenant_id(), "claim": claim_id,
                                     "fy_month": fiscal_start_month})
        return [CapUse(*row) for row in cursor.fetchall()]


def settle(*, request_id: int, from_states, state: str, spend: bool, decided: bool):
    """See ``SETTLE``; ``(claim id, corrects id)`` of the claim moved, or None (no claim in
    ``from_states``: nothing to do)."""
    from django.utils import timezone

    with connection.prepared_cursor() as cursor:
        cursor.execute(SETTLE, {"tenant": require_tenant_id(), "request": request_id, "from_states": list(from_states),
                                "state": state, "spend": spend, "decided": decided, "now": timezone.now()})
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def unspend(*, claim_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(UNSPEND, {"tenant": require_tenant_id(), "claim": claim_id})

"""Expenses (R18–R20): claims and their lines, receipts, budgets, per-HCP spend caps, the
tallies that make cap and budget checks constant-time, and the spend-against-value flags.

Money is ``Decimal``: a line keeps its own amount and currency, the rate to the tenant's
currency on its day and the converted ``base_amount``; everything summed (claims, budgets,
caps, tallies) is in the tenant's currency.
"""

from .claims import ClaimState, ExpenseCategory, ExpenseClaim, ExpenseLine, LineHcp, Receipt  # noqa: F401
from .control import Budget, CapTally, ClaimCommitment, ExchangeRate, SpendCap, SpendFlag  # noqa: F401

"""The expenses app's operations: claims (claims.py), the budget and cap moves (control.py),
receipts (receipts.py), money rules (money.py)."""

from .claims import LineIn, claim_correct, claim_delete, claim_save, claim_submit  # noqa: F401
from .receipts import receipt_add, receipt_remove  # noqa: F401

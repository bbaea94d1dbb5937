"""Samples (issue 5): lots of SKUs, each rep's stock, the ledger of moves, the HCP's
signature for samples given in a call, sample orders (approved through the approval
engine) and the monthly reconciliation.

* ``inventory``: ``SampleLot``, ``SampleStock`` (a running balance, never negative),
  ``SampleMove`` (the ledger, append-only) and ``SampleSignature``;
* ``orders``: ``SampleOrder`` and its lines;
* ``reconciliation``: a rep's month, counted against the ledger per lot.
"""

from .inventory import MoveKind, SampleLot, SampleMove, SampleSignature, SampleStock
from .orders import OrderState, SampleOrder, SampleOrderLine
from .reconciliation import Reconciliation, ReconciliationLine

__all__ = ["MoveKind", "OrderState", "Reconciliation", "ReconciliationLine", "SampleLot", "SampleMove",
           "SampleOrder", "SampleOrderLine", "SampleSignature", "SampleStock"]

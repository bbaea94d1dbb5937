"""Pages of samples: inventory and ledger (``inventory``), giving samples in a call
(``give``), orders (``orders``), the monthly reconciliation (``reconcile``) and the
admin's receipts and adjustments (``stock``)."""

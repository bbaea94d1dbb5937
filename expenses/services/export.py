"""Finance's export for payment: the one write of the export page.

``claims_export_mark`` is a conditional UPDATE (``exported_at IS NULL``), so two people
exporting at once never both export the same claim (the second waits on the row locks and
finds it exported). The audit trigger records the change.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ..models import ClaimState, ExpenseClaim


@transaction.atomic
def claims_export_mark(*, codes=None) -> dt.datetime | None:
    """Mark the approved, unexported claims (those of ``codes`` only, when given) as exported
    now, in one UPDATE; the export's time, or None when there was nothing to export."""
    now = timezone.now()
    qs = ExpenseClaim.objects.filter(state=ClaimState.APPROVED, exported_at__isnull=True)
    if codes:
        qs = qs.filter(code__in=codes)
    return now if qs.update(exported_at=now) else None

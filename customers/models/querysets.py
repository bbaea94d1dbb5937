"""QuerySets of the customer models; visibility itself lives in ``customers.visibility``."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from sfe.core.models import TenantQuerySet

from .choices import Stage, Status


class CustomerQuerySet(TenantQuerySet):
    def live(self):
        """Not merged away (merged rows only answer for their history)."""
        return self.exclude(status=Status.MERGED)

    def in_lists(self):
        """What lists show by default: live and not terminated."""
        return self.live().exclude(stage=Stage.TERMINATED)

    def visible_to(self, user, on: dt.date | None = None):
        from customers.visibility import customer_visible_q

        return self.filter(customer_visible_q(self.model, user, on=on))


class DatedQuerySet(TenantQuerySet):
    """Rows with inclusive ``start_date``/``end_date`` (either may be open)."""

    def active_on(self, day: dt.date):
        return self.filter(Q(start_date__isnull=True) | Q(start_date__lte=day)).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day))

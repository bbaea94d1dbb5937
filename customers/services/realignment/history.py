"""History: the territories and alignments of a customer on any day (design §4: an HCP
with no alignment of their own in a line follows their primary institution)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import OrgNode

from ...models import Alignment, Hcp, Institution


def _history_filter(customer, day: dt.date, product_line=None) -> QuerySet:
    alignments = Alignment.objects.active_on(day)
    if product_line is not None:
        alignments = alignments.filter(product_line=product_line)
    if isinstance(customer, Hcp):
        own_line = Alignment.objects.active_on(day).filter(hcp_id=customer.pk,
                                                           product_line_id=OuterRef("product_line_id"))
        return alignments.filter(Q(hcp_id=customer.pk) | (Q(institution_id=customer.institution_id) & ~Exists(own_line)))
    return alignments.filter(institution_id=customer.pk)


def territories_on(customer: Institution | Hcp, day: dt.date, product_line=None) -> QuerySet:
    """The territories serving ``customer`` on ``day`` (for ``product_line``, or any), by the
    alignments of that day: history is credited to the territory of its time.

    An HCP with no alignment of their own in a line is served, in that line, by their
    primary institution's territories. One query (a lazy ``OrgNode`` queryset, tree order).
    """
    ids = _history_filter(customer, day, product_line).values("territory_id")
    return OrgNode.objects.filter(id__in=ids).order_by("path")


def alignments_on(customer: Institution | Hcp, day: dt.date, product_line=None) -> list[Alignment]:
    """The alignments in force for ``customer`` on ``day``; for an HCP, the institution's
    alignments they follow are included (``alignment.institution_id`` is then set)."""
    return list(_history_filter(customer, day, product_line).select_related("territory", "product_line")
                .order_by("product_line__name", "territory__path", "id"))

"""Aligning one customer to a territory for a product line, and ending it.

Rows are never deleted: an alignment ends the day before its successor starts, so history
stays credited to the territory of its time. Bulk realignment lives in ``realignment``.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import OrgNode

from ..models import Alignment, Hcp, Institution, Status


def customer_field(customer) -> str:
    return "hcp" if isinstance(customer, Hcp) else "institution"


def check_territory(territory: OrgNode | None, field: str = "territory") -> OrgNode:
    if territory is None:
        raise ValidationError({field: _("This field is required.")})
    if territory.kind != OrgNode.Kind.TERRITORY:
        raise ValidationError({field: _("%(name)s is not a territory.") % {"name": territory.name}})
    if territory.retired_on is not None:
        raise ValidationError({field: _("%(name)s is retired.") % {"name": territory.name}})
    return territory


@transaction.atomic
def align(*, customer: Institution | Hcp, territory: OrgNode, product_line, start_date: dt.date,
          end_date: dt.date | None = None, source: str = Alignment.Source.MANUAL, batch=None) -> Alignment:
    """Align from ``start_date``; an open alignment of the same customer, line and territory
    already covering the day is returned as it is (aligning twice changes nothing)."""
    check_territory(territory)
    if product_line is None:
        raise ValidationError({"product_line": _("This field is required.")})
    if customer.status == Status.MERGED:
        raise ValidationError({"customer": _("This record was merged into another one.")})
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    field = customer_field(customer)
    same = Alignment.objects.filter(**{field: customer}, territory=territory, product_line=product_line)
    covering = same.active_on(start_date).first()
    if covering is not None and (covering.end_date is None or (end_date and covering.end_date >= end_date)):
        return covering
    try:
        with transaction.atomic():
            return Alignment.objects.create(**{field: customer}, territory=territory, product_line=product_line,
                                            start_date=start_date, end_date=end_date, source=source, batch=batch)
    except IntegrityError:
        raise ValidationError({"start_date": _("%(name)s is already aligned to %(territory)s in this period.") % {
            "name": customer.name, "territory": territory.name}}) from None


@transaction.atomic
def alignment_end(*, alignment: Alignment, end_date: dt.date) -> Alignment:
    """End on ``end_date`` (inclusive). An alignment that has not started yet is cut to
    nothing by ending it the day before it starts: it is removed instead."""
    if alignment.end_date is not None and alignment.end_date <= end_date:
        return alignment
    if end_date < alignment.start_date:
        alignment.delete()
        return alignment
    alignment.end_date = end_date
    alignment.save(update_fields=["end_date"])
    return alignment

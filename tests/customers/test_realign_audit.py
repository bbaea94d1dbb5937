"""Realignment items are derived rows with no per-row audit; the alignments a batch
changes are audited (they are the history)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from customers.models import Alignment, RealignmentItem
from customers.services.alignment import align
from customers.services.realignment import realignment_apply, realignment_by_institution
from sfe.core.models import AuditEvent


def _events(table: str) -> int:
    return AuditEvent.objects.filter(table_name=table).count()


def test_items_write_no_audit_while_alignments_do(world, customers):
    admin = world.users["a"]["admin"].membership_row
    with world.scope("a"), transaction.atomic():
        items_before, alignments_before = _events("customers_realignmentitem"), _events("customers_alignment")
        batch = realignment_by_institution(product_line=customers.line, effective_date=world.tenants["a"].today(),
                                           territory=world.nodes["a"]["t2"], institutions=[customers.i1], by=admin)
        assert RealignmentItem.objects.filter(batch=batch).count() == 1
        RealignmentItem.objects.create(batch=batch, hcp=customers.h3, from_territory=world.nodes["a"]["t3"])
        assert _events("customers_realignmentitem") == items_before == 0
        assert _events("customers_alignment") == alignments_before

        created = align(customer=customers.unaligned, territory=world.nodes["a"]["t1"], product_line=customers.line,
                        start_date=world.tenants["a"].today() + dt.timedelta(days=3))
        assert AuditEvent.objects.filter(table_name="customers_alignment", row_id=created.pk, action="I").count() == 1

        realignment_apply(batch=batch, by=admin)
        new = Alignment.objects.get(batch=batch, institution=customers.i1)
        assert AuditEvent.objects.filter(table_name="customers_alignment", row_id=new.pk, action="I").exists()
        assert AuditEvent.objects.filter(table_name="customers_alignment", action="U").exists()  # i1's ended
        assert _events("customers_realignmentitem") == 0

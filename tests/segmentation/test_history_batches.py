"""Tier history stored as batches and read one change per row through the view
(``customers/segmentation/models/history.py``)."""

from __future__ import annotations

from django.db import connection

from customers.models import Hcp
from customers.segmentation import selectors
from customers.segmentation.models import CustomerTier, TierChange, TierChangeBatch
from customers.segmentation.models.history import BATCH_SPAN, ID_FACTOR
from customers.segmentation.services import recompute_now, rule_save, tier_pin, tier_unpin
from customers.services.merge import merge, undo_merge

from .conftest import MATRIX


def test_a_run_writes_one_batch_per_range_of_customer_ids_and_the_view_reads_every_change(seg):
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        run = recompute_now(product_line=seg.line)
        tiers = {r.hcp_id: r for r in CustomerTier.objects.filter(product_line=seg.line, hcp__isnull=False)}
        batches = list(TierChangeBatch.objects.filter(run=run).order_by("id"))
        assert sum(len(b.customers) for b in batches) == run.tier_changes == len(tiers)
        for b in batches:
            # in the order the MERGE returned them (hashed, not sorted): the span is their range
            assert len(set(b.customers)) == len(b.customers) <= BATCH_SPAN
            assert (b.span.lower, b.span.upper) == (min(b.customers), max(b.customers) + 1)
            assert len({c // BATCH_SPAN for c in b.customers}) == 1
            assert len(b.from_tiers) == len(b.to_tiers) == len(b.customers) == len(b.to_potential_bands)
        changes = list(TierChange.objects.filter(run=run))
        assert {c.hcp_id for c in changes} == set(tiers)
        for c in changes:
            row = tiers[c.hcp_id]
            assert (c.from_tier, c.to_tier, c.kind, c.at) == ("", row.tier, "computed", row.changed_at)
            assert (c.to_potential_band, c.to_adoption_band, c.from_potential_band) == (
                row.potential_band, row.adoption_band, None)
            assert c.id == c.batch_id * ID_FACTOR + c.position
        # newest first: the last batch's last customer, then backwards
        newest = list(selectors.run_changes(run)[:3])
        assert [c.pk for c in newest] == sorted((c.pk for c in changes), reverse=True)[:3]


def test_a_customers_history_is_found_through_its_span_and_pins_are_batches_of_one(seg):
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        run = recompute_now(product_line=seg.line)
        hcp = Hcp.objects.get(pk=CustomerTier.objects.filter(product_line=seg.line).values("hcp_id")[:1])
        tier_pin(customer=hcp, product_line=seg.line, tier="A", reason="KOL 专家", by=seg.member())
        tier_unpin(customer=hcp, product_line=seg.line, by=seg.member())
        history = selectors.tier_history(hcp, product_line=seg.line)
        assert [(c.kind, c.to_tier) for c in history][:2] == [("unpinned", history[0].to_tier), ("pinned", "A")]
        assert history[1].reason == "KOL 专家" and history[1].by == seg.member()
        assert history[-1].run == run and history[-1].kind == "computed"
        pin = TierChangeBatch.objects.get(kind="pinned")
        assert (pin.customers, pin.to_tiers, pin.to_potential_bands) == ([hcp.pk], "A", [])
        # the same through the customer filter alone (slow at scale, same answer)
        assert {c.pk for c in TierChange.objects.filter(hcp=hcp)} == {c.pk for c in history}


def test_row_security_applies_through_the_view(seg):
    """The view runs with the reader's rights (``security_invoker``): another tenant's
    batches are invisible to plain SQL on it, with no tenant filter written."""
    with seg.world.scope("b"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.b_line, by=seg.member(tenant="b"))
        recompute_now(product_line=seg.b_line)
        b_changes = TierChange.objects.count()
        assert b_changes > 0
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        recompute_now(product_line=seg.line)
        with connection.cursor() as cur:
            cur.execute("SELECT count(*), count(*) FILTER (WHERE hcp_id = ANY(%s)) FROM segmentation_tierchange",
                        [seg.b_hcp_ids])
            total, of_b = cur.fetchone()
            cur.execute("SELECT count(*) FROM segmentation_tierchangebatch WHERE tenant_id <> %s",
                        [seg.world.tenants["a"].pk])
            assert cur.fetchone()[0] == 0
        assert of_b == 0 and total == TierChange.objects.count() > 0
    with seg.world.scope("b"):
        assert TierChange.objects.count() == b_changes


def test_a_merge_moves_history_through_the_view_and_undo_moves_it_back(seg):
    steward = seg.member("data_steward")
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        recompute_now(product_line=seg.line)
        ids = list(CustomerTier.objects.filter(product_line=seg.line).order_by("hcp_id").values_list("hcp_id", flat=True))
        survivor, merged = Hcp.objects.get(pk=ids[0]), Hcp.objects.get(pk=ids[-1])
        moved = {c.pk for c in selectors.changes_of(merged)}
        kept = {c.pk for c in selectors.changes_of(survivor)}
        assert moved and kept
        done = merge(survivor=survivor, merged=merged, by=steward, reason="同一人")
        assert {c.pk for c in selectors.changes_of(survivor)} == moved | kept
        assert not selectors.changes_of(merged).exists()
        batch = TierChangeBatch.objects.get(pk=next(iter(moved)) // ID_FACTOR)
        assert survivor.pk in batch.customers and batch.span.lower <= survivor.pk < batch.span.upper
        undo_merge(merge=done, by=steward)
        assert {c.pk for c in selectors.changes_of(merged)} == moved
        assert {c.pk for c in selectors.changes_of(survivor)} == kept

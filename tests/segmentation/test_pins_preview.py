"""Pins survive recomputes and are recorded; the preview counts without writing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from customers.models import Hcp
from customers.segmentation import selectors
from customers.segmentation.models import CustomerTier, SegmentationRun, TierChange
from customers.segmentation.services import recompute_now, rule_preview, rule_save, tier_pin, tier_unpin

from .conftest import MATRIX, SCORE


def _setup(seg):
    rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
    recompute_now(product_line=seg.line)
    row = CustomerTier.objects.filter(product_line=seg.line, hcp__isnull=False).exclude(tier="A").select_related("hcp").first()
    return row.hcp, row.tier


def test_a_pin_survives_recomputes_and_unpinning_gives_the_computed_tier_back(seg):
    analyst = seg.member()
    with seg.world.scope("a"):
        hcp, computed = _setup(seg)
        tier_pin(customer=hcp, product_line=seg.line, tier="A", reason="新任科主任", by=analyst)
        assert Hcp.objects.get(pk=hcp.pk).tier == "A"
        Hcp.objects.filter(pk=hcp.pk).update(potential=0)  # the computed tier would drop
        run = recompute_now(product_line=seg.line)
        row = CustomerTier.objects.get(hcp=hcp, product_line=seg.line)
        assert (row.tier, row.pinned_tier, row.pin_reason) == ("A", "A", "新任科主任")
        assert row.computed_tier != "A" and row.potential_band == 1
        assert not TierChange.objects.filter(run=run, hcp=hcp).exists()
        assert Hcp.objects.get(pk=hcp.pk).tier == "A"
        assert [p.hcp_id for p in selectors.pins(product_line=seg.line)] == [hcp.pk]
        tier_unpin(customer=hcp, product_line=seg.line, by=analyst, reason="已离任")
        row.refresh_from_db()
        assert (row.tier, row.pinned_tier) == (row.computed_tier, "")
        assert Hcp.objects.get(pk=hcp.pk).tier == row.computed_tier
        kinds = [(c.kind, c.from_tier, c.to_tier, c.by_id, c.reason)
                 for c in selectors.tier_history(hcp, product_line=seg.line)[:2]]
        assert kinds == [("unpinned", "A", row.computed_tier, analyst.pk, "已离任"),
                         ("pinned", computed, "A", analyst.pk, "新任科主任")]
        assert not selectors.pins(product_line=seg.line).exists()


def test_pinning_a_customer_without_a_tier_and_bad_pins(seg, english):
    analyst = seg.member()
    with seg.world.scope("a"):
        hcp = Hcp.objects.filter(pk__in=seg.hcp_ids, stage="terminated").first()
        row = tier_pin(customer=hcp, product_line=seg.line2, tier="b", reason="KOL", by=analyst)
        assert (row.tier, row.computed_tier) == ("B", "")
        with pytest.raises(ValidationError) as info:
            tier_pin(customer=hcp, product_line=seg.line2, tier="E", reason="x", by=analyst)
        assert "tier" in info.value.message_dict
        with pytest.raises(ValidationError) as info:
            tier_pin(customer=hcp, product_line=seg.line2, tier="A", reason="  ", by=analyst)
        assert "reason" in info.value.message_dict
        assert tier_unpin(customer=hcp, product_line=seg.line2, by=analyst) is None  # nothing computed: no row
        assert not CustomerTier.objects.filter(hcp=hcp).exists()
        with pytest.raises(ValidationError) as info:
            tier_unpin(customer=hcp, product_line=seg.line2, by=analyst)
        assert "not pinned" in info.value.message_dict["tier"][0]


def test_the_preview_counts_tiers_and_changes_without_writing(seg):
    with seg.world.scope("a"):
        hcp, _computed = _setup(seg)
        tier_pin(customer=hcp, product_line=seg.line, tier="A", reason="r", by=seg.member())
        counts = selectors.tier_counts(kind="hcp", product_line=seg.line)
        rows, runs = CustomerTier.objects.count(), SegmentationRun.objects.count()
        same = rule_preview(kind="hcp", definition=MATRIX, product_line=seg.line)
        assert same.changes == 0 and same.moves == {}
        assert {k: v for k, v in same.after.items() if k} == counts == {k: v for k, v in same.before.items() if k}
        assert same.pinned == 1 and same.population == sum(counts.values())
        everyone_a = {**MATRIX, "grid": [["A"] * 4] * 3}
        shift = rule_preview(kind="hcp", definition=everyone_a, product_line=seg.line)
        assert shift.after["A"] == same.population
        assert shift.changes == same.population - counts["A"]
        assert shift.moves == {(t, "A"): n for t, n in counts.items() if t != "A" and n}
        assert CustomerTier.objects.count() == rows and SegmentationRun.objects.count() == runs
        # against a line with no tiers yet: everyone is a change from "no tier"
        fresh = rule_preview(kind="hcp", definition=SCORE, product_line=seg.line2)
        assert fresh.changes == fresh.population and set(fresh.moves) <= {("", t) for t in "ABCD"}
        with pytest.raises(ValidationError) as info:
            rule_preview(kind="hcp", definition={**MATRIX, "grid": []}, product_line=seg.line)
        assert "grid" in info.value.message_dict

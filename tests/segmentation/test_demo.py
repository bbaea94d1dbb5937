"""The demo step: rules for every product line, one set-based run each, the primary line's
tiers in the customers' own column."""

from __future__ import annotations

from customers.models import Hcp, Institution
from customers.segmentation.demo import seed_segmentation
from customers.segmentation.models import CustomerTier, SegmentationRule, SegmentationRun
from customers.segmentation.services import settings_get


def test_seed_segmentation_tiers_every_line(seg):
    result = seed_segmentation(seg.world.tenants["a"], by=seg.member("admin"))
    assert result["rules"] == 5 and result["runs"] == 3
    with seg.world.scope("a"):
        assert SegmentationRule.objects.count() == 5
        assert set(SegmentationRun.objects.values_list("status", flat=True)) == {"succeeded"}
        assert settings_get().primary_product_line_id == seg.line.pk
        for line in (seg.line, seg.line2):
            tiers = set(CustomerTier.objects.filter(product_line=line, hcp__isnull=False).values_list("tier", flat=True))
            assert tiers == {"A", "B", "C", "D"}, tiers
            assert CustomerTier.objects.filter(product_line=line, institution__isnull=False).exists()
        primary = dict(CustomerTier.objects.filter(product_line=seg.line, hcp__isnull=False).values_list("hcp_id", "tier"))
        own = dict(Hcp.objects.filter(pk__in=seg.hcp_ids).exclude(tier="").values_list("pk", "tier"))
        assert own == primary
        assert Institution.objects.exclude(tier="").exists()
        assert CustomerTier.objects.filter(purpose="channel_class").count() == 4  # pharmacy, chain, 2 distributors
    again = seed_segmentation(seg.world.tenants["a"], by=seg.member("admin"))
    assert again["tier_changes"] == 0  # idempotent

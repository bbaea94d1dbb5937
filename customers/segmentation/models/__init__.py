"""Segmentation's tables: settings and rules (``rules``), current tiers with pins, their
history and the runs (``tiers``), target lists (``lists``)."""

from .lists import TargetList, TargetListMember
from .rules import Purpose, SegmentationRule, SegmentationSettings
from .tiers import CustomerTier, RunPurpose, SegmentationRun, TierChange

__all__ = ["CustomerTier", "Purpose", "RunPurpose", "SegmentationRule", "SegmentationRun", "SegmentationSettings",
           "TargetList", "TargetListMember", "TierChange"]

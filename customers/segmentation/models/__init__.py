"""Segmentation's tables: settings and rules (``rules``), current tiers with pins, their
the runs (``tiers``), their history (``history``), target lists (``lists``)."""

from .history import TierChange, TierChangeBatch
from .lists import TargetList, TargetListMember
from .rules import Purpose, SegmentationRule, SegmentationSettings
from .tiers import CustomerTier, RunPurpose, SegmentationRun

__all__ = ["CustomerTier", "Purpose", "RunPurpose", "SegmentationRule", "SegmentationRun", "SegmentationSettings",
           "TargetList", "TargetListMember", "TierChange", "TierChangeBatch"]

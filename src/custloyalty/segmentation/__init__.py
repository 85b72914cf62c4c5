"""Client tiering: RFM scores and segments, value tiers, membership tiers, tier migration."""

from __future__ import annotations

from custloyalty.segmentation._rfm import (
    RFM_PRESETS,
    RFMScorer,
    SegmentRule,
    rfm_scores,
    rfm_segments,
)
from custloyalty.segmentation._value import value_tiers

__all__ = [
    "RFM_PRESETS",
    "RFMScorer",
    "SegmentRule",
    "rfm_scores",
    "rfm_segments",
    "value_tiers",
]

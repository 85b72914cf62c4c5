"""Client tiering: RFM scores and segments, value tiers, membership tiers, tier migration."""

from __future__ import annotations

from custloyalty.segmentation._cluster import KMeansSegmentsResult, kmeans_elbow, kmeans_segments
from custloyalty.segmentation._membership import Tier, TierPolicy
from custloyalty.segmentation._migration import TierMigrationResult, tier_migration
from custloyalty.segmentation._profile import segment_profile
from custloyalty.segmentation._rfm import (
    RFM_PRESET_SCORES,
    RFM_PRESETS,
    RFMScorer,
    SegmentRule,
    rfm_scores,
    rfm_segments,
)
from custloyalty.segmentation._value import QuantileTiers, value_tiers
from custloyalty.segmentation._value_potential import (
    ACTIONS,
    ValuePotentialGrid,
    ValuePotentialResult,
    value_potential_tiers,
)

__all__ = [
    "ACTIONS",
    "RFM_PRESETS",
    "RFM_PRESET_SCORES",
    "KMeansSegmentsResult",
    "QuantileTiers",
    "RFMScorer",
    "SegmentRule",
    "Tier",
    "TierMigrationResult",
    "TierPolicy",
    "ValuePotentialGrid",
    "ValuePotentialResult",
    "kmeans_elbow",
    "kmeans_segments",
    "rfm_scores",
    "rfm_segments",
    "segment_profile",
    "tier_migration",
    "value_potential_tiers",
    "value_tiers",
]

"""custloyalty: customer-loyalty evaluation from transactions and surveys.

The five indicators of a loyalty evaluation system (satisfaction index, churn, recommendation
index, purchase frequency and monetary value), a composite loyalty score, and client tiering.

Importing the package is light: the subpackages (``metrics``, ``models``, ``segmentation``,
``scorecard``, ``datasets``, ``plotting``, ``report``) and the shortcuts below load on first
use, and matplotlib and Dask only inside the functions that need them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from custloyalty.errors import (
    ConvergenceError,
    CustLoyaltyError,
    NotFittedError,
    PluginError,
    ValidationError,
)
from custloyalty.summary import rfm_summary

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from custloyalty import (
        datasets,
        metrics,
        models,
        monitoring,
        plotting,
        programme,
        report,
        scorecard,
        segmentation,
    )
    from custloyalty._engines._buckets import bucket_scores, bucket_summary, customer_bucket
    from custloyalty.metrics import nps, pls_path_model, satisfaction_index
    from custloyalty.models import BetaGeo, GammaGamma, ParetoNBD, ShiftedBetaGeo, clv
    from custloyalty.scorecard import LoyaltyScorecard, compare
    from custloyalty.segmentation import (
        TierPolicy,
        rfm_scores,
        rfm_segments,
        tier_migration,
        value_tiers,
    )

__version__ = "0.1.0.dev0"

_SUBPACKAGES = (
    "datasets",
    "metrics",
    "models",
    "monitoring",
    "plotting",
    "programme",
    "report",
    "scorecard",
    "segmentation",
)
_SHORTCUTS = {
    "bucket_scores": "_engines._buckets",
    "bucket_summary": "_engines._buckets",
    "customer_bucket": "_engines._buckets",
    "nps": "metrics",
    "pls_path_model": "metrics",
    "satisfaction_index": "metrics",
    "BetaGeo": "models",
    "GammaGamma": "models",
    "ParetoNBD": "models",
    "ShiftedBetaGeo": "models",
    "clv": "models",
    "LoyaltyScorecard": "scorecard",
    "compare": "scorecard",
    "TierPolicy": "segmentation",
    "rfm_scores": "segmentation",
    "rfm_segments": "segmentation",
    "tier_migration": "segmentation",
    "value_tiers": "segmentation",
}

__all__ = [
    "BetaGeo",
    "ConvergenceError",
    "CustLoyaltyError",
    "GammaGamma",
    "LoyaltyScorecard",
    "NotFittedError",
    "ParetoNBD",
    "PluginError",
    "ShiftedBetaGeo",
    "TierPolicy",
    "ValidationError",
    "__version__",
    "bucket_scores",
    "bucket_summary",
    "clv",
    "compare",
    "customer_bucket",
    "datasets",
    "metrics",
    "models",
    "monitoring",
    "nps",
    "plotting",
    "pls_path_model",
    "programme",
    "report",
    "rfm_scores",
    "rfm_segments",
    "rfm_summary",
    "satisfaction_index",
    "scorecard",
    "segmentation",
    "tier_migration",
    "value_tiers",
]


def __getattr__(name: str) -> Any:
    """Load subpackages and shortcuts on first access (PEP 562)."""
    if name in _SUBPACKAGES:
        return importlib.import_module(f"custloyalty.{name}")
    if name in _SHORTCUTS:
        module = importlib.import_module(f"custloyalty.{_SHORTCUTS[name]}")
        return getattr(module, name)
    msg = f"module 'custloyalty' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))

"""The loyalty evaluation system: normalisation, weighting and the composite scorecard.

* normalisation of indicators onto [0, 1] with a direction (:func:`min_max`, :func:`z_score`,
  :func:`percentile_rank`);
* weights: :func:`entropy_weights`, :func:`critic_weights`, :func:`ahp_weights` (with
  consistency check), :func:`ahp_hierarchy`, :func:`fixed_weights`;
* :class:`LoyaltyScorecard`: indicators -> composite 0-100 loyalty index -> tiers, fitted in
  batch and applied to new customers, serialisable to JSON; :class:`ScorecardConfig` its
  checked settings; :func:`compare` for the change between two periods.

Modules: ``_config`` (settings), ``_normalise`` and ``_weighting`` (registered fitted
classes), ``_scorecard`` (the estimator), ``_saved`` (saved state and its validation),
``_result`` (result types), ``_compare`` (two periods).
"""

from __future__ import annotations

from custloyalty.scorecard import _compare, _config, _normalise, _result, _scorecard, _weights
from custloyalty.scorecard._compare import *  # noqa: F403
from custloyalty.scorecard._config import *  # noqa: F403
from custloyalty.scorecard._normalise import *  # noqa: F403
from custloyalty.scorecard._result import *  # noqa: F403

# used by the plugin test kit to check that metric states are JSON-safe (not in __all__)
from custloyalty.scorecard._saved import serialise as serialise
from custloyalty.scorecard._scorecard import *  # noqa: F403
from custloyalty.scorecard._weights import *  # noqa: F403

__all__ = [
    *_compare.__all__,
    *_config.__all__,
    *_normalise.__all__,
    *_result.__all__,
    *_scorecard.__all__,
    *_weights.__all__,
]

"""The loyalty evaluation system: normalisation, weighting and the composite scorecard.

* normalisation of indicators onto [0, 1] with a direction (:func:`min_max`, :func:`z_score`,
  :func:`percentile_rank`);
* weights: :func:`entropy_weights`, :func:`critic_weights`, :func:`ahp_weights` (with
  consistency check), :func:`ahp_hierarchy`, :func:`fixed_weights`;
* :class:`LoyaltyScorecard`: indicators -> composite 0-100 loyalty index -> tiers, fitted in
  batch and applied to new customers, serialisable to JSON; :func:`compare` for the change
  between two periods.
"""

from __future__ import annotations

from custloyalty.scorecard import _normalise, _scorecard, _weights
from custloyalty.scorecard._normalise import *  # noqa: F403
from custloyalty.scorecard._scorecard import *  # noqa: F403
from custloyalty.scorecard._weights import *  # noqa: F403

__all__ = [*_normalise.__all__, *_scorecard.__all__, *_weights.__all__]

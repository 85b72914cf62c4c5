"""Probabilistic churn and value models: BG/NBD, Pareto/NBD, Gamma-Gamma, shifted-beta-geometric.

Fitted by maximum likelihood on log-parameters; see the *Churn and value models* guide.
"""

from __future__ import annotations

from custloyalty.models._base import compress
from custloyalty.models._beta_geo import BetaGeo
from custloyalty.models._checks import calibration_holdout, cumulative_purchases
from custloyalty.models._clv import clv
from custloyalty.models._gamma_gamma import GammaGamma
from custloyalty.models._pareto_nbd import ParetoNBD
from custloyalty.models._shifted_beta_geo import ShiftedBetaGeo

__all__ = [
    "BetaGeo",
    "GammaGamma",
    "ParetoNBD",
    "ShiftedBetaGeo",
    "calibration_holdout",
    "clv",
    "compress",
    "cumulative_purchases",
]

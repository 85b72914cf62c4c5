"""Probabilistic churn and value models: BG/NBD, Pareto/NBD, Gamma-Gamma, shifted-beta-geometric.

Fitted by maximum likelihood on log-parameters; see the *Churn and value models* guide.
"""

from __future__ import annotations

from typing import Any

from custloyalty.errors import ValidationError
from custloyalty.models._base import compress
from custloyalty.models._beta_geo import BetaGeo
from custloyalty.models._checks import calibration_holdout, cumulative_purchases
from custloyalty.models._clv import clv
from custloyalty.models._gamma_gamma import GammaGamma
from custloyalty.models._pareto_nbd import ParetoNBD
from custloyalty.models._shifted_beta_geo import ShiftedBetaGeo

#: Models by registry name: the churn and CLV indicators look their model up here.
_MODELS: dict[str, type[Any]] = {
    "bg_nbd": BetaGeo,
    "pareto_nbd": ParetoNBD,
    "gamma_gamma": GammaGamma,
    "sbg": ShiftedBetaGeo,
}


def available_models() -> list[str]:
    """Return the registry names of the models, sorted.

    Examples
    --------
    >>> from custloyalty.models import available_models
    >>> available_models()
    ['bg_nbd', 'gamma_gamma', 'pareto_nbd', 'sbg']
    """
    return sorted(_MODELS)


def get_model(name: str) -> type[Any]:
    """Return the model class registered under ``name`` (see :func:`available_models`).

    Raises
    ------
    ValidationError
        ``name`` is not a registered model; the hint names the registry name of a class
        name (``"BetaGeo"``) or of a name in other case (``"BG_NBD"``), or a close match.

    Examples
    --------
    >>> from custloyalty.models import get_model
    >>> get_model("pareto_nbd").__name__
    'ParetoNBD'
    """
    if not isinstance(name, str) or name not in _MODELS:
        from custloyalty._validation import suggest

        msg = f"Unknown model {name!r:.60}; the models are {available_models()}."
        hint = None
        if isinstance(name, str):
            # "BG_NBD", "BetaGeo", "ParetoNBD": the registry name of that model
            key = name.strip().lower()
            by_class = {cls.__name__.lower(): k for k, cls in _MODELS.items()}
            hint = key if key in _MODELS else by_class.get(key) or suggest(name, list(_MODELS))
        if hint:
            msg += f"\nHint: did you mean {hint!r}?"
        raise ValidationError(msg)
    return _MODELS[name]


__all__ = [
    "BetaGeo",
    "GammaGamma",
    "ParetoNBD",
    "ShiftedBetaGeo",
    "available_models",
    "calibration_holdout",
    "clv",
    "compress",
    "cumulative_purchases",
    "get_model",
]

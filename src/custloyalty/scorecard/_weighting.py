"""How a scorecard weighs its indicators: small registered classes over the weight functions.

Each weighting (:data:`WEIGHTINGS`) learns the indicator weights on the normalised indicators
of the fitting base (``fit``), combines any customers' normalised indicators into the 0-100
composite with them (``apply``), and saves / validates them (``to_dict`` / ``from_dict``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._state import (
    refuse_unknown_keys,
    state_float,
    state_key,
    state_mapping,
    state_str,
)
from custloyalty.errors import ValidationError
from custloyalty.metrics import canonical
from custloyalty.scorecard._weights import (
    ahp_hierarchy,
    ahp_weights,
    critic_weights,
    entropy_weights,
    fixed_weights,
)

__all__: list[str] = []

FloatArray = npt.NDArray[np.float64]
_FUNC = "LoyaltyScorecard"
#: Decimals the composite (0-100) is rounded to, removing the summation's rounding noise.
_COMPOSITE_DECIMALS = 10
#: Tolerance on the sum of saved weights.
SUM_TOL = 1e-9


class Weighting:
    """Base: learned ``weights_`` (a Series indexed by indicator, non-negative, sum 1)."""

    method: ClassVar[str] = ""
    weights_: pd.Series

    def _learn(self, norm: pd.DataFrame) -> pd.Series:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, norm: pd.DataFrame) -> Weighting:
        """Learn the weights from the normalised indicators (one column per indicator)."""
        w = self._learn(norm)
        columns = norm.columns
        if not (w.index.equals(columns) and w.index.dtype == columns.dtype):
            w = w.reindex(list(columns))
        self.weights_ = pd.Series(
            w.to_numpy(dtype=np.float64), index=w.index, name="weight", dtype=np.float64
        )
        return self

    def apply(self, norm: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
        r"""Composite and contributions of each customer.

        With the indicators $A_i$ a customer has, $L_i = 100 \sum_{j \in A_i} w_j z_{ij} /
        \sum_{j \in A_i} w_j$; row by row, so a customer's value never depends on the others.
        """
        return composite(norm, self.weights_)

    def to_dict(self) -> dict[str, Any]:
        """Return the method and the learned weights as a JSON-safe dict."""
        return {
            "method": self.method,
            "weights": {str(k): float(v) for k, v in self.weights_.items()},
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, indicators: Sequence[str], where: str
    ) -> Weighting:
        """Rebuild saved weights, checking them: finite, >= 0, sum 1, one per indicator."""
        refuse_unknown_keys(data, ("method", "weights"), where=where, block=where)
        method = state_str(
            state_key(data, "method", where=where),
            f"{where}.method",
            where=where,
            choices=list(WEIGHTINGS),
        )
        raw = state_mapping(
            state_key(data, "weights", where=where), f"{where}.weights", where=where
        )
        names = list(indicators)
        missing = [n for n in names if n not in raw]
        extra = [str(k) for k in raw if k not in names]
        if missing or extra:
            msg = (
                f"{where}: {where}.weights must hold one weight per indicator {names!r}; "
                f"missing {missing!r}, unknown {extra!r}."
            )
            raise ValidationError(msg)
        values = [
            state_float(raw[n], f"{where}.weights[{n!r}]", where=where, low=0.0, high=1.0)
            for n in names
        ]
        total = math.fsum(values)
        if abs(total - 1.0) > SUM_TOL:
            msg = f"{where}: {where}.weights must sum to 1; they sum to {total!r}."
            raise ValidationError(msg)
        obj = WEIGHTINGS[method].__new__(WEIGHTINGS[method])
        obj.weights_ = pd.Series(values, index=names, name="weight", dtype=np.float64)
        return obj


def composite(norm: pd.DataFrame, weights: pd.Series) -> tuple[FloatArray, FloatArray]:
    """Composite (0-100) and per-indicator contributions, renormalised over present values."""
    same = norm.columns.equals(weights.index)  # the usual case: no column selection
    z = (norm if same else norm[weights.index]).to_numpy(dtype=np.float64)
    w = weights.to_numpy(dtype=np.float64)
    have = ~np.isnan(z)
    wsum = (have * w).sum(axis=1)
    scale = np.where(wsum > 0, wsum, np.nan)[:, None]
    contrib = np.where(have, z * w, 0.0) / scale * 100.0
    total = np.zeros(z.shape[0])
    for j in range(z.shape[1]):  # a handful of indicators: fixed order, per row
        total += contrib[:, j]
    # the sum carries rounding noise of a few ulps (three indicators at 0.5 with weights of
    # 1/3 add up to 49.99999999999999): rounded to 1e-10, a composite that is exactly a
    # tier threshold in exact arithmetic is not tiered below it by that noise
    return np.round(total, _COMPOSITE_DECIMALS), contrib


class EqualWeighting(Weighting):
    """Every indicator gets ``1 / k``."""

    method = "equal"

    def _learn(self, norm: pd.DataFrame) -> pd.Series:
        k = norm.shape[1]
        return pd.Series(1.0 / k, index=norm.columns)


def _complete(norm: pd.DataFrame, method: str) -> pd.DataFrame:
    # the rows of norm.dropna(), without copying a table that has no missing value
    full = ~np.isnan(norm.to_numpy(dtype=np.float64)).any(axis=1)
    complete = norm if full.all() else norm.loc[full]
    if len(complete) < 2:
        msg = (
            f"{_FUNC}: {method} weights need at least 2 customers with every indicator; "
            f"found {len(complete)}."
        )
        raise ValidationError(msg)
    return complete


class EntropyWeighting(Weighting):
    """Entropy weights of the customers with every indicator (:func:`entropy_weights`)."""

    method = "entropy"

    def _learn(self, norm: pd.DataFrame) -> pd.Series:
        w = entropy_weights(_complete(norm, self.method))
        return pd.Series(w.to_numpy(), index=norm.columns)


class CriticWeighting(Weighting):
    """CRITIC weights of the customers with every indicator (:func:`critic_weights`)."""

    method = "critic"

    def _learn(self, norm: pd.DataFrame) -> pd.Series:
        w = critic_weights(_complete(norm, self.method))
        return pd.Series(w.to_numpy(), index=norm.columns)


class FixedWeighting(Weighting):
    """User weights, rescaled to sum 1 (:func:`fixed_weights`)."""

    method = "fixed"

    def __init__(self, given: Mapping[str, float]) -> None:
        self.given = dict(given)

    def _learn(self, norm: pd.DataFrame) -> pd.Series:
        names = [str(c) for c in norm.columns]
        missing = [n for n in names if n not in self.given]
        if missing:
            msg = f"{_FUNC}: fixed weights are missing for indicators {missing!r}."
            raise ValidationError(msg)
        active: dict[Hashable, float] = {n: self.given[n] for n in names}
        if active and all(v == 0 for v in active.values()):
            msg = (
                f"{_FUNC}: the fixed weights of the indicators fitted, {active!r}, are all "
                "zero, so no composite can be formed."
            )
            if set(self.given) - set(names):
                msg += (
                    f"\nHint: the indicators {sorted(set(self.given) - set(names))!r} with "
                    "weight are not fitted (no surveys or interactions were given)."
                )
            raise ValidationError(msg)
        return fixed_weights(active)


class AHPWeighting(Weighting):
    """AHP weights from a pairwise matrix or a two-level hierarchy (:func:`ahp_weights`)."""

    method = "ahp"

    def __init__(
        self, ahp: Any, *, allow_inconsistent: bool = False, configured: Sequence[str] = ()
    ) -> None:
        self.ahp = ahp
        self.allow_inconsistent = allow_inconsistent
        self.configured = list(configured)

    def _learn(self, norm: pd.DataFrame) -> pd.Series:
        names = [str(c) for c in norm.columns]
        if isinstance(self.ahp, Mapping) and "criteria" in self.ahp:
            w = ahp_hierarchy(
                self.ahp["criteria"],
                dict(self.ahp["sub"]),
                allow_inconsistent=self.allow_inconsistent,
            )
        else:
            w = ahp_weights(self.ahp, allow_inconsistent=self.allow_inconsistent).weights
        w.index = pd.Index([canonical(str(k)) for k in w.index])  # former built-in names
        # indicators of the card left out of this fit (no surveys or interactions given)
        # drop out of the weights, which are renormalised, as fixed weights are
        inactive = set(self.configured) - set(names)
        covered = set(w.index) - inactive
        if covered != set(names):
            msg = (
                f"{_FUNC}: the AHP matrix covers {sorted(w.index)!r} but the active indicators "
                f"are {sorted(names)!r}."
            )
            if all(str(k).isdigit() for k in w.index):
                msg += (
                    "\nHint: label the matrix's rows and columns with the indicator names (a "
                    "DataFrame, or {'index': [...], 'columns': [...], 'data': [...]})."
                )
            raise ValidationError(msg)
        return fixed_weights(w.reindex(names))


#: Weighting methods by name (``"fixed"`` is chosen by giving a mapping of weights).
WEIGHTINGS: dict[str, type[Weighting]] = {
    c.method: c
    for c in (EqualWeighting, EntropyWeighting, CriticWeighting, AHPWeighting, FixedWeighting)
}

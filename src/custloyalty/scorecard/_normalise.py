"""Normalisation of indicators onto [0, 1], oriented so that 1 is always best.

Each method comes as a public function (normalise a column in one call) and as a pair of
private helpers that learn the bounds on one set of customers and apply them to another, so a
scorecard fitted in batch scores new customers with the same yardstick.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from custloyalty._validation import check_option
from custloyalty.errors import ValidationError

__all__ = ["NORMALISATIONS", "min_max", "percentile_rank", "z_score"]

FloatArray = npt.NDArray[np.float64]
Direction = Literal["higher", "lower"]
NORMALISATIONS = ("minmax", "zscore", "percentile")
_GRID = 1001  # quantiles kept for percentile ranks of new customers


def _values(x: Any, func: str) -> tuple[FloatArray, pd.Index | None, Any]:
    if isinstance(x, pd.Series):
        return x.to_numpy(dtype=np.float64, na_value=np.nan), x.index, x.name
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        msg = f"{func} takes a one-dimensional column; got {arr.ndim}-D."
        raise ValidationError(msg)
    return arr, None, None


def _wrap(v: FloatArray, index: pd.Index | None, name: Any) -> pd.Series:
    return pd.Series(v, index=index, name=name, dtype=np.float64)


def _orient(v: FloatArray, direction: str) -> FloatArray:
    return v if direction == "higher" else 1.0 - v


def fit_normaliser(
    values: FloatArray, method: str, direction: str, *, name: str | None = None
) -> dict[str, Any]:
    """Learn the bounds of ``method`` on ``values`` (NaN ignored) as a JSON-safe dict.

    ``name`` (the indicator) is only used in error messages.
    """
    check_option(method, "normalisation", NORMALISATIONS, func="LoyaltyScorecard")
    check_option(direction, "direction", ("higher", "lower"), func="LoyaltyScorecard")
    v = values[np.isfinite(values)]
    if v.size == 0:
        what = f"indicator {name!r}" if name is not None else "a column"
        msg = (
            f"Cannot learn a normalisation for {what}: none of its {values.size} values is finite."
        )
        raise ValidationError(msg)
    state: dict[str, Any] = {"method": method, "direction": direction}
    if method == "minmax":
        state["low"], state["high"] = float(v.min()), float(v.max())
    elif method == "zscore":
        state["mean"] = float(v.mean())
        state["std"] = float(v.std(ddof=1)) if v.size > 1 else 0.0
    else:
        q = np.quantile(v, np.linspace(0.0, 1.0, _GRID))
        state["quantiles"] = [float(t) for t in q]
    return state


def apply_normaliser(values: FloatArray, state: dict[str, Any]) -> FloatArray:
    """Apply a normaliser learned by :func:`fit_normaliser`; NaN stays NaN."""
    method = state["method"]
    if method == "minmax":
        lo, hi = state["low"], state["high"]
        out = np.clip((values - lo) / (hi - lo), 0.0, 1.0) if hi > lo else np.full_like(values, 0.5)
    elif method == "zscore":
        sd = state["std"]
        z = (values - state["mean"]) / sd if sd > 0 else np.zeros_like(values)
        out = special.ndtr(z)
    else:
        q = np.asarray(state["quantiles"], dtype=np.float64)
        grid = np.linspace(0.0, 1.0, q.size)
        if q[-1] > q[0]:
            # mid-rank for ties: average of the left- and right-continuous interpolations
            left = np.interp(values, q, grid, left=0.0, right=1.0)
            right = 1.0 - np.interp(-values, -q[::-1], grid, left=0.0, right=1.0)[...]
            out = 0.5 * (left + right)
        else:
            out = np.full_like(values, 0.5)
    out = np.where(np.isnan(values), np.nan, out)
    return _orient(out, state["direction"])


def min_max(
    x: Any,
    /,
    *,
    direction: Direction = "higher",
    bounds: tuple[float, float] | None = None,
) -> pd.Series:
    r"""Min-max normalisation onto [0, 1], 1 = best.

    Parameters
    ----------
    x
        One indicator (Series or 1-D array); NaN stays NaN.
    direction
        ``"higher"`` (default) when larger values are better, ``"lower"`` for indicators such
        as churn risk or days since last purchase.
    bounds
        ``(low, high)`` learned elsewhere; default the column's own min and max. Values outside
        are clipped.

    Returns
    -------
    pandas.Series
        Values in [0, 1]; 0.5 everywhere for a constant column.

    Notes
    -----
    $z = (x - \min) / (\max - \min)$ for "higher is better" and $1 - z$ otherwise.

    References
    ----------
    OECD & JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User
    Guide*. OECD Publishing, section 5. https://doi.org/10.1787/9789264043466-en

    Examples
    --------
    >>> from custloyalty.scorecard import min_max
    >>> min_max([2.0, 4.0, 6.0]).tolist()
    [0.0, 0.5, 1.0]
    >>> min_max([2.0, 4.0, 6.0], direction="lower").tolist()
    [1.0, 0.5, 0.0]
    """
    v, idx, name = _values(x, "min_max")
    check_option(direction, "direction", ("higher", "lower"), func="min_max")
    if bounds is None:
        state = fit_normaliser(v, "minmax", direction)
    else:
        state = {"method": "minmax", "direction": direction, "low": bounds[0], "high": bounds[1]}
    return _wrap(apply_normaliser(v, state), idx, name)


def z_score(
    x: Any,
    /,
    *,
    direction: Direction = "higher",
    center: float | None = None,
    scale: float | None = None,
) -> pd.Series:
    r"""Standardise and map onto [0, 1] through the standard normal CDF, 1 = best.

    Parameters
    ----------
    x
        One indicator (Series or 1-D array); NaN stays NaN.
    direction
        ``"higher"`` or ``"lower"`` is better.
    center, scale
        Mean and standard deviation learned elsewhere; default the column's own (ddof=1).

    Returns
    -------
    pandas.Series
        $\Phi((x - \bar x)/s)$ in [0, 1] (``1 -`` that for "lower"); 0.5 for a constant column.

    Notes
    -----
    The normal CDF keeps the z-score's ordering and spacing near the mean while bounding the
    result, so z-scored indicators can enter a 0-100 composite.

    References
    ----------
    OECD & JRC (2008). *Handbook on Constructing Composite Indicators*, section 5.

    Examples
    --------
    >>> from custloyalty.scorecard import z_score
    >>> z_score([1.0, 2.0, 3.0]).round(4).tolist()
    [0.1587, 0.5, 0.8413]
    """
    v, idx, name = _values(x, "z_score")
    check_option(direction, "direction", ("higher", "lower"), func="z_score")
    state = fit_normaliser(v, "zscore", direction)
    if center is not None:
        state["mean"] = float(center)
    if scale is not None:
        state["std"] = float(scale)
    return _wrap(apply_normaliser(v, state), idx, name)


def percentile_rank(x: Any, /, *, direction: Direction = "higher") -> pd.Series:
    r"""Percentile rank in [0, 1] (mid-rank for ties), 1 = best.

    Parameters
    ----------
    x
        One indicator (Series or 1-D array); NaN stays NaN.
    direction
        ``"higher"`` or ``"lower"`` is better.

    Returns
    -------
    pandas.Series
        $(r_i - 1)/(n - 1)$ with $r_i$ the mid-rank of the value among the $n$ values: 0 for
        the smallest, 1 for the largest (``1 -`` that for "lower"); 0.5 for a constant column.

    Notes
    -----
    With $r_i$ the rank of $x_i$ among the $n$ non-missing values (1 = smallest), ties
    sharing the mean of their ranks (mid-rank),

    $$p_i = \frac{r_i - 1}{n - 1}.$$

    The bounds are kept as a grid of 1,001 quantiles of the values and $p$ is read off it by
    linear interpolation, so a scorecard ranks new customers against the fitted base (values
    between two fitted values get a rank in between; values outside the fitted range get 0
    or 1); on the fitted values this reproduces the formula up to the grid's interpolation.
    Robust to the heavy right tails of spend and purchase counts, where min-max squeezes most
    customers near 0.

    References
    ----------
    OECD & JRC (2008). *Handbook on Constructing Composite Indicators*, section 5
    (ranking and percentile methods).

    Examples
    --------
    >>> from custloyalty.scorecard import percentile_rank
    >>> percentile_rank([10.0, 20.0, 30.0, 40.0, 50.0]).round(2).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    >>> percentile_rank([10.0, 20.0, 20.0, 40.0]).round(3).tolist()  # ties: mid-rank 2.5
    [0.0, 0.5, 0.5, 1.0]
    """
    v, idx, name = _values(x, "percentile_rank")
    check_option(direction, "direction", ("higher", "lower"), func="percentile_rank")
    state = fit_normaliser(v, "percentile", direction)
    return _wrap(apply_normaliser(v, state), idx, name)

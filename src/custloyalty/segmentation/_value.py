r"""Value tiers: Pareto/ABC by cumulative revenue share, customer-share quantiles, thresholds."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._state import (
    Stateful,
    check_header,
    header,
    refuse_unknown_keys,
    state_floats,
    state_key,
)
from custloyalty._validation import (
    as_1d_float,
    check_nan_policy,
    check_option,
    check_shares,
    format_examples,
    refuse_bools,
)
from custloyalty.errors import NotFittedError, ValidationError

__all__ = ["QuantileTiers", "value_tiers"]

FloatArray = npt.NDArray[np.float64]

_METHODS = ("abc", "quantile", "thresholds")
_STATE_KEYS = ("kind", "format_version", "custloyalty_version", "labels", "shares", "thresholds")


def _shares(shares: Any, func: str) -> FloatArray:
    return check_shares(shares, func=func)


#: Tolerance on the share scale: a customer whose better customers hold ``c_t - 1e-9`` of the
#: total reaches the cumulative share ``c_t``. Shares such as 0.8 + 0.15 are decimal numbers
#: that binary floats only approximate (``0.8 + 0.15 == 0.9500000000000001``), so an exact
#: comparison would move a customer lying exactly on a boundary into the better tier.
SHARE_TOL = 1e-9


def _tiers_by_share(values: FloatArray, weights_are_values: bool, bounds: FloatArray) -> Any:
    """Tier index (0 = best) from the weight share of customers with *strictly* larger value.

    Customers are ranked by value, largest first. A customer joins tier ``t`` when the share of
    the total weight held by strictly better customers is in ``[c_{t-1}, c_t)``, with ``c`` the
    cumulative shares; tied customers therefore share a tier, and the tier boundary falls after
    the customer (or tie block) that crosses the cumulative share.

    Boundaries are compared in weight units: ``before >= (c_t - SHARE_TOL) * total``. For
    customer-share quantiles the weights are counts, so the limit is rounded up to a whole
    number of customers and the comparison is between integers.

    The tier is a non-increasing function of the value, so it is found without ranking the
    customers: one ``np.sort`` of the values gives the value at which each tier starts, and
    every customer is then placed by a binary search among those few thresholds.
    """
    u = _tier_tops(values, weights_are_values, bounds)
    # tier(v) = #{t : v <= u_t}; u is non-increasing in t
    return u.shape[0] - np.searchsorted(u[::-1], values, side="left")


def _tier_tops(values: FloatArray, weights_are_values: bool, bounds: FloatArray) -> FloatArray:
    """``u_t``: the largest value in tier ``t + 1`` or worse (-inf when all those are empty)."""
    desc = np.sort(values)[::-1]
    n = desc.shape[0]
    # within a tie block every position takes the exclusive cumsum of the block's first row
    start = np.empty(n, dtype=bool)
    start[0] = True
    np.not_equal(desc[1:], desc[:-1], out=start[1:])
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    if weights_are_values:
        weight = desc
        if n and desc[0] > np.finfo(np.float64).max / n:
            # the cumulative sums would overflow: shares do not depend on the scale
            weight = desc / desc[0]
        before = np.cumsum(weight)
        total = before[-1]
        before -= weight  # weight strictly before each position (exclusive cumsum)
        limit = (bounds - SHARE_TOL) * total
        tier_sorted = np.searchsorted(limit, before[first], side="right")
    else:
        # customers strictly before position i: i itself; limits in whole customers
        limit_n = np.ceil((bounds - SHARE_TOL) * n).astype(np.int64)
        tier_sorted = np.searchsorted(limit_n, first, side="right")
    # u_t: the largest value in tier t or worse (-inf when tier t and all worse are empty)
    pos = np.searchsorted(tier_sorted, np.arange(1, bounds.shape[0] + 1), side="left")
    u: FloatArray = np.where(
        pos < desc.shape[0], desc[np.minimum(pos, desc.shape[0] - 1)], -np.inf
    ).astype(np.float64)
    return u


#: Up to this many tier bounds, codes are counted by comparison rather than binary search.
_FEW_BOUNDS = 8


def _codes_from_lower_bounds(values: FloatArray, lower: FloatArray) -> npt.NDArray[np.int64]:
    """Tier index (0 = best): the number of lower bounds (best tier first) a value does not reach.

    NaN gets -1 (no tier).
    """
    k = lower.shape[0]
    if k <= _FEW_BOUNDS and not np.isnan(lower).any():
        # a handful of bounds: counting the bounds each value reaches (one comparison per
        # bound) is the searchsorted count without its binary search per value
        reached = np.zeros(values.shape[0], dtype=np.int64)
        for bound in lower:
            reached += values >= bound
        out: npt.NDArray[np.int64] = k - reached
    else:
        codes = k - np.searchsorted(lower[::-1], values, side="right")
        out = np.asarray(codes, dtype=np.int64)
    out[np.isnan(values)] = -1
    return out


class QuantileTiers(Stateful):
    r"""Customer-share quantile tiers, learned on one base and applied to any values.

    The rule of ``value_tiers(method="quantile")``, split into ``fit`` (learn the tier cut-offs
    on a base) and ``assign`` (place any value, one at a time), so that the customers of a
    scorecard scored later, alone or in any batch, get the tier their value had in the fitted
    base.

    Parameters
    ----------
    shares
        Tier shares, best first, positive; rescaled to sum 1.
    labels
        Tier labels, best first; default ``"A"``, ``"B"``, ...

    Attributes
    ----------
    thresholds_ : list of float
        Lower bound of every tier but the last, best first (non-increasing): a value ``v`` is
        in tier ``t`` (0 = best) where ``t`` is the number of bounds ``v`` does not reach.

    Notes
    -----
    With $u_t$ the largest fitted value in tier $t + 1$ or worse (see :func:`value_tiers`),
    the stored lower bound of tier $t$ is the next float above $u_t$, so ``assign`` on the
    fitted values reproduces :func:`value_tiers` exactly.

    Examples
    --------
    >>> from custloyalty.segmentation import QuantileTiers
    >>> cuts = QuantileTiers([0.5, 0.5], labels=["top", "rest"]).fit([1.0, 2.0, 3.0, 4.0])
    >>> cuts.assign([4.0, 2.5, 2.0, 0.0]).tolist()
    ['top', 'top', 'rest', 'rest']
    """

    _state_kind = "quantile_tiers"

    def __init__(self, shares: Sequence[float], *, labels: Sequence[str] | None = None) -> None:
        func = "QuantileTiers"
        arr = np.asarray(shares, dtype=np.float64).ravel() if _all_numbers(shares) else None
        if arr is None or arr.size < 1 or not np.isfinite(arr).all() or (arr <= 0).any():
            msg = f"The 'shares' parameter of {func} must hold positive numbers; got {shares!r}."
            raise ValidationError(msg)
        self.shares = [float(x) for x in arr / arr.sum()]
        self.labels = _labels(labels, arr.size, func)

    @classmethod
    def from_thresholds(
        cls, thresholds: Sequence[float], *, labels: Sequence[str] | None = None
    ) -> QuantileTiers:
        """Build fixed tiers: ``thresholds`` are the lower bounds of every tier but the last.

        The thresholds are finite numbers, decreasing (best tier first; a repeated bound
        leaves a tier empty, as fitted cut-offs of tied values do); unsorted, missing or
        boolean bounds raise :class:`ValidationError`.
        """
        th = _check_thresholds(thresholds, "QuantileTiers.from_thresholds", strict=False)
        th = th.tolist()
        obj = cls([1.0] * (len(th) + 1), labels=labels)
        obj.thresholds_ = th
        return obj

    def fit(self, values: Any) -> QuantileTiers:
        """Learn the cut-offs on ``values`` (NaN ignored; text, booleans, infinity refused)."""
        arr, _ = as_1d_float(
            values, "values", func="QuantileTiers.fit", nan_policy="omit", allow_empty=True
        )
        if arr.size == 0:
            msg = "QuantileTiers.fit: no finite value, so no tier cut-offs can be learned."
            raise ValidationError(msg)
        bounds = np.cumsum(self.shares)[:-1]
        u = _tier_tops(arr, False, bounds)
        self.thresholds_ = [float(x) for x in np.nextafter(u, np.inf)]
        return self

    def codes(self, values: Any) -> npt.NDArray[np.int64]:
        """Tier index of each value, 0 = best, -1 for NaN."""
        if not hasattr(self, "thresholds_"):
            msg = "This QuantileTiers is not fitted yet; call fit() first."
            raise NotFittedError(msg)
        arr, _ = as_1d_float(
            values,
            "values",
            func="QuantileTiers.assign",
            nan_policy="omit",
            keep_missing=True,
            allow_empty=True,
            allow_inf=True,
        )
        return _codes_from_lower_bounds(arr, np.asarray(self.thresholds_, dtype=np.float64))

    def assign(self, values: Any, *, index: Any = None) -> pd.Series:
        """Tier of each value: an ordered categorical (best first) named ``tier``; NaN -> NA."""
        codes = self.codes(values)
        if index is None:
            index = values.index if isinstance(values, pd.Series) else pd.RangeIndex(codes.size)
        _check_index_length(index, codes.size, "QuantileTiers.assign")
        cat = pd.Categorical.from_codes(
            codes, dtype=pd.CategoricalDtype(list(self.labels), ordered=True)
        )
        return pd.Series(cat, index=index, name="tier")

    def to_dict(self) -> dict[str, Any]:
        """Return labels, shares and the fitted lower bounds as a JSON-safe dict."""
        return {
            **header(self._state_kind),
            "labels": list(self.labels),
            "shares": list(self.shares),
            "thresholds": list(getattr(self, "thresholds_", [])),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuantileTiers:
        """Rebuild from :meth:`to_dict`, checking the cut-offs (count, finite, order).

        Raises
        ------
        ValidationError
            A saved state of another kind or format; labels that are not distinct strings;
            shares that are not positive or do not sum to 1 (``to_dict`` writes them so);
            thresholds not finite, not non-increasing or not one fewer than the labels.
        """
        where = "QuantileTiers.from_dict"
        data = check_header(data, cls._state_kind, where=where)
        refuse_unknown_keys(data, _STATE_KEYS, where=where)
        labels = state_key(data, "labels", where=where)
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            msg = f"{where}: labels must be a list of strings; got {labels!r:.80}."
            raise ValidationError(msg)
        shares = state_floats(
            state_key(data, "shares", where=where),
            "shares",
            where=where,
            length=len(labels),
            low=0.0,
        )
        if not math.isclose(math.fsum(shares), 1.0, rel_tol=0.0, abs_tol=1e-9):
            # to_dict writes the shares rescaled to 1: other ones were edited by hand, and the
            # rescaling would silently change every share
            msg = (
                f"{where}: shares must sum to 1 (as to_dict writes them); got {shares!r} "
                f"(sum {math.fsum(shares):g}).\nHint: the state was edited by hand; build the "
                "tiers again with QuantileTiers(shares) and fit them."
            )
            raise ValidationError(msg)
        raw_th = state_key(data, "thresholds", where=where)
        if raw_th == [] and len(labels) > 1:  # saved before fit(): not fitted
            return cls(shares, labels=labels)
        th = state_floats(raw_th, "thresholds", where=where, length=len(labels) - 1)
        if any(b > a for a, b in itertools.pairwise(th)):
            msg = f"{where}: thresholds must be non-increasing (best tier first); got {th!r}."
            raise ValidationError(msg)
        obj = cls(shares, labels=labels)
        obj.thresholds_ = th
        return obj

    def __repr__(self) -> str:
        state = (
            f"thresholds={[float(f'{t:.6g}') for t in self.thresholds_]}"
            if hasattr(self, "thresholds_")
            else "not fitted"
        )
        return f"QuantileTiers(labels={self.labels}, shares={self.shares}, {state})"


def _all_numbers(values: Any) -> bool:
    try:
        items = list(values)
    except TypeError:
        return False
    return all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_) for v in items
    )


def value_tiers(
    values: Any,
    /,
    *,
    method: str = "abc",
    shares: Sequence[float] | None = None,
    thresholds: Sequence[float] | None = None,
    labels: Sequence[str] | None = None,
    nan_policy: str = "raise",
) -> pd.Series:
    r"""Assign value tiers (best first): Pareto/ABC, customer-share quantiles or thresholds.

    Parameters
    ----------
    values
        One value per customer, higher is better (e.g. ``summary["total_amount"]``, a CLV or a
        loyalty score). A Series keeps its index.
    method
        * ``"abc"`` (default): Pareto/ABC analysis; customers ranked by value, tier boundaries
          where the *cumulative share of total value* reaches the cumulative ``shares``
          (default ``(0.8, 0.15, 0.05)``: A holds about 80 % of the value). Values must be
          non-negative with a positive total.
        * ``"quantile"``: boundaries where the *cumulative share of customers* reaches the
          cumulative ``shares`` (default ``(0.2, 0.3, 0.5)``: top 20 %, next 30 %, rest).
        * ``"thresholds"``: fixed lower bounds, best tier first: ``thresholds=(1000, 100)``
          gives A for values >= 1000, B for 100 <= value < 1000 and C below.
    shares
        Tier shares, best first, positive and summing to 1 (``"abc"`` and ``"quantile"``).
    thresholds
        Strictly decreasing lower bounds of every tier but the last (``"thresholds"``).
    labels
        Tier labels, best first; default ``"A"``, ``"B"``, ``"C"``, ...
    nan_policy
        ``"raise"`` (default) or ``"omit"`` missing values (left out of the result).

    Returns
    -------
    pandas.Series
        Named ``tier``, indexed like ``values`` (positions for arrays); an ordered categorical
        whose categories run **best first** (``labels[0]`` is the best tier).

    Raises
    ------
    ValidationError
        Non-numeric, boolean or infinite values, negative values or a zero total (``"abc"``),
        invalid ``shares``, ``thresholds`` or ``labels`` (booleans included).

    See Also
    --------
    custloyalty.metrics.pareto_curve : the whole cumulative revenue curve.
    rfm_scores : three-dimensional RFM scores.

    Notes
    -----
    With customers ranked by value :math:`v_{(1)} \ge v_{(2)} \ge \dots`, weights
    :math:`w_i = v_i` (``"abc"``) or :math:`w_i = 1` (``"quantile"``), and cumulative shares
    :math:`c_t = \sum_{u \le t} s_u`, customer :math:`i` is in tier

    $$t(i) = 1 + \#\{t : c_t \le S_i\},\qquad
    S_i = \frac{\sum_{j : v_j > v_i} w_j}{\sum_j w_j},$$

    the share held by strictly better customers. The customer who crosses a boundary stays in
    the better tier, so tier A holds *at least* its share; tied customers always share a tier.
    A customer lying exactly on a boundary (:math:`S_i = c_t`) starts the worse tier: the
    comparison :math:`S_i \ge c_t - 10^{-9}` absorbs the binary rounding of decimal shares
    (``0.8 + 0.15`` is ``0.9500000000000001`` in floating point), and for ``"quantile"`` it is
    made on whole numbers of customers, so 20 customers with shares ``(0.8, 0.15, 0.05)``
    split 16 / 3 / 1.

    References
    ----------
    Juran, J. M. (1951). *Quality Control Handbook*. New York: McGraw-Hill (the Pareto
    principle, "vital few and trivial many").

    Dickie, H. F. (1951). ABC inventory analysis shoots for dollars, not pennies. *Factory
    Management and Maintenance*, 109(7), 92-94.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.segmentation import value_tiers
    >>> spend = pd.Series([500.0, 300.0, 100.0, 60.0, 30.0, 10.0], index=list("uvwxyz"))
    >>> value_tiers(spend).tolist()
    ['A', 'A', 'B', 'B', 'C', 'C']
    >>> value_tiers(spend, method="quantile", shares=(0.5, 0.5), labels=["top", "rest"]).tolist()
    ['top', 'top', 'top', 'rest', 'rest', 'rest']
    >>> value_tiers(spend, method="thresholds", thresholds=(200, 50)).tolist()
    ['A', 'A', 'B', 'B', 'C', 'C']
    """
    func = "value_tiers"
    check_option(method, "method", _METHODS, func=func)
    policy = check_nan_policy(nan_policy, func=func)
    arr, keep = as_1d_float(values, "values", func=func, nan_policy=policy)
    if isinstance(values, pd.Series):
        index: pd.Index = values.index if keep.all() else values.index[keep]
    else:
        index = pd.RangeIndex(keep.shape[0]) if keep.all() else pd.Index(np.flatnonzero(keep))
    if method == "thresholds":
        if thresholds is None:
            msg = "value_tiers(method='thresholds') needs thresholds=(...), best tier first."
            raise ValidationError(msg)
        if shares is not None:
            msg = (
                f"shares= is only used by method='abc' and 'quantile'; got method={method!r} "
                "(its tiers come from thresholds=).\nHint: drop shares=, or pick "
                "method='quantile' for tiers by customer shares."
            )
            raise ValidationError(msg)
        th = _check_thresholds(thresholds, func)
        n_tiers = th.size + 1
        # tier t (0 = best) = number of thresholds the value does not reach
        codes = th.size - np.searchsorted(th[::-1], arr, side="right")
    else:
        if thresholds is not None:
            msg = f"thresholds= is only used by method='thresholds'; got method={method!r}."
            raise ValidationError(msg)
        default = (0.8, 0.15, 0.05) if method == "abc" else (0.2, 0.3, 0.5)
        sh = _shares(default if shares is None else shares, func)
        n_tiers = sh.size
        if method == "abc":
            neg = arr < 0
            if neg.any():
                pos = np.flatnonzero(neg)
                msg = (
                    f"values has {pos.size} negative values "
                    f"{format_examples(index[pos], arr[pos])}.\n"
                    "Hint: ABC analysis ranks non-negative revenue; net out returns first or use "
                    "method='quantile'."
                )
                raise ValidationError(msg)
            if not arr.max(initial=0.0) > 0:
                msg = "values passed to value_tiers sum to 0; ABC revenue shares are undefined."
                raise ValidationError(msg)
        if method == "quantile" and arr.size:
            codes = QuantileTiers(sh.tolist()).fit(arr).codes(arr)
        else:
            bounds = np.cumsum(sh)[:-1]
            codes = _tiers_by_share(arr, True, bounds) if arr.size else np.zeros(0, np.int64)
    names = _labels(labels, n_tiers, func)
    cat = pd.Categorical.from_codes(
        np.asarray(codes, dtype=np.int8 if n_tiers < 127 else np.int32),
        categories=pd.Index(names),
        ordered=True,
    )
    return pd.Series(cat, index=index, name="tier", copy=False)


def _check_thresholds(thresholds: Any, func: str, *, strict: bool = True) -> FloatArray:
    """Lower bounds of every tier but the last: finite numbers, strictly decreasing.

    ``strict=False`` lets bounds repeat (an empty tier, as fitted cut-offs of tied values).
    """
    if isinstance(thresholds, str | bytes | Mapping) or thresholds is None:
        msg = (
            f"The 'thresholds' parameter of {func} must be a list of numbers, best tier "
            f"first; got {type(thresholds).__name__} {thresholds!r}."
        )
        raise ValidationError(msg)
    refuse_bools(thresholds, "thresholds", func=func)
    try:
        th = np.asarray(thresholds, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"The 'thresholds' parameter of {func} must hold numbers; got {thresholds!r}."
        raise ValidationError(msg) from None
    if th.ndim > 1:
        msg = f"The 'thresholds' parameter of {func} must be a flat list; got {thresholds!r}."
        raise ValidationError(msg)
    th = th.ravel()
    step = np.diff(th)
    if th.size == 0 or not np.isfinite(th).all() or ((step >= 0) if strict else (step > 0)).any():
        msg = (
            f"The 'thresholds' parameter of {func} must be finite and "
            f"{'strictly decreasing' if strict else 'decreasing'} "
            f"(lower bound of the best tier first); got {thresholds!r}."
        )
        raise ValidationError(msg)
    return th


def _check_index_length(index: Any, n: int, func: str) -> None:
    if len(index) != n:
        msg = f"The 'index' parameter of {func} has {len(index)} labels for {n} values."
        raise ValidationError(msg)


def _labels(labels: Sequence[str] | None, n: int, func: str) -> list[str]:
    if labels is None:
        if n <= 26:
            return [chr(ord("A") + i) for i in range(n)]
        return [f"T{i + 1}" for i in range(n)]
    names = [str(x) for x in labels]
    if len(names) != n or len(set(names)) != n:
        msg = (
            f"The 'labels' parameter of {func} must hold {n} distinct labels (one per tier, "
            f"best first); got {list(labels)!r}."
        )
        raise ValidationError(msg)
    return names

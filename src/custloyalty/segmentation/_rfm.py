r"""RFM scores (recency, frequency, monetary quantile bins) and named RFM segments.

Scores are integers ``1..bins`` computed from a customer summary (the output of
:func:`custloyalty.rfm_summary`); higher is better for all three, so ``R = 5`` is the most recent
quintile. The scoring is a small fitted object, :class:`RFMScorer`, whose bin edges are plain
floats: fit on one set of customers, serialise with :meth:`RFMScorer.to_dict`, and score new
customers with :meth:`RFMScorer.transform`. :func:`rfm_segments` maps the scores to named
segments with an ordered list of rules (first match wins), evaluated once per *cell* of the
score cube and looked up per customer, so it costs one integer gather per customer.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._frames import as_frame, check_unique_index, numeric_columns
from custloyalty._state import (
    Stateful,
    check_header,
    header,
    refuse_unknown_keys,
    state_float,
    state_floats,
    state_key,
    state_mapping,
    state_str,
)
from custloyalty._validation import (
    check_nan_policy,
    check_option,
    format_examples,
    plural,
    refuse_bools,
    suggest,
)
from custloyalty.errors import NotFittedError, ValidationError

__all__ = [
    "RFM_PRESETS",
    "RFM_PRESET_SCORES",
    "RFMScorer",
    "SegmentRule",
    "rfm_scores",
    "rfm_segments",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

METHODS = ("quantile", "rfm", "pymc")
_METRICS = ("R", "F", "M")


# --------------------------------------------------------------------------------------------
# scoring
# --------------------------------------------------------------------------------------------


def _score_with_edges(
    x: FloatArray, edges: FloatArray, *, closed: str, higher_is_better: bool
) -> npt.NDArray[np.int16]:
    """Score ``x`` against ascending inner ``edges``: ``len(edges) + 1`` scores, 1 = lowest.

    ``closed="right"``: intervals ``(e_{k-1}, e_k]`` (a value equal to an edge takes the lower
    score, as :func:`pandas.qcut`); ``closed="left"``: ``[e_{k-1}, e_k)`` (as R ``findInterval``).
    Scores are reversed when lower metric values are better (recency).
    """
    up = np.searchsorted(edges, x, side="left" if closed == "right" else "right")  # 0..len
    if higher_is_better:
        up += 1
    else:
        up = edges.shape[0] + 1 - up
    out: npt.NDArray[np.int16] = up.astype(np.int16, copy=False)
    return out


def _r_quantile7(x: FloatArray, probs: FloatArray) -> FloatArray:
    """R's ``quantile(x, probs, type = 7)`` with R's own floating-point arithmetic.

    ``index = 1 + (n - 1) * probs`` (1-based), ``lo = floor(index)``, ``hi = ceiling(index)``,
    ``qs = x[lo]``, and where ``index > lo`` and ``x[hi] != qs``, with ``h = index - lo``,
    ``qs = (1 - h) * qs + h * x[hi]`` (R 4.x ``stats:::quantile.default``). numpy's "linear"
    method is the same quantile mathematically but rounds differently (``a + (b - a) * h``),
    which can move an edge across a data value. Order statistics by ``np.partition``, as R's
    partial sort.
    """
    n = x.shape[0]
    index = 1.0 + (n - 1) * probs
    lo = np.floor(index).astype(np.int64)
    hi = np.ceil(index).astype(np.int64)
    xs = np.partition(x, np.unique(np.concatenate([lo, hi])) - 1)
    qs = xs[lo - 1]
    x_hi = xs[hi - 1]
    h = index - lo
    interpolate = (index > lo) & (x_hi != qs)
    out: FloatArray = np.where(interpolate, (1.0 - h) * qs + h * x_hi, qs)
    return out


def _fit_edges(x: FloatArray, method: str, bins: int) -> FloatArray:
    """Inner bin edges of one metric (ascending, on the metric's own scale)."""
    if method == "pymc":
        levels = np.linspace(0.0, 1.0, 5)
        full = np.unique(np.quantile(x, levels))
        return full[1:-1].astype(np.float64)
    if method == "rfm":
        # R rfm 0.3.0 bins(): quantile(x, probs = seq(0, 1, length.out = bins + 1)), inner
        # levels, plus one; bins [lower, upper). seq() computes its inner points as
        # from + (1:(bins - 1)) * by with by = 1 / bins, so 3 * 0.2 = 0.6000000000000001,
        # not 3 / 5 = 0.6: R's arithmetic is kept for exact parity.
        r_levels = np.arange(1, bins, dtype=np.float64) * (1.0 / bins)
        return _r_quantile7(np.asarray(x, dtype=np.float64), r_levels) + 1.0
    levels = np.arange(1, bins) / bins
    return np.quantile(x, levels).astype(np.float64)


def _closed(method: str) -> str:
    return "left" if method == "rfm" else "right"


def _closed_for(method: str, metric: str) -> str:
    # quantile: R is scored on the *negated* days since last purchase with right-closed bins,
    # i.e. left-closed bins on the days themselves, so every tie rule mirrors F and M.
    if method == "quantile" and metric == "R":
        return "left"
    return _closed(method)


@dataclass(frozen=True, slots=True)
class _Columns:
    recency: Hashable
    T: Hashable | None
    frequency: Hashable | None
    monetary: Hashable | None


class RFMScorer(Stateful):
    r"""Fitted RFM scoring: bin edges learnt on one set of customers, applied to any other.

    Parameters
    ----------
    bins
        Number of scores per metric, 2 to 20 (default 5, quintiles). Ignored by ``method="pymc"``
        (quartiles) and by metrics given fixed ``edges``.
    method
        How edges are learnt and which side of an edge a tied value falls on:

        * ``"quantile"`` (default): edges at the inner quantiles :math:`k/b` (linear
          interpolation, R type 7). F and M use right-closed bins :math:`(e_{k-1}, e_k]`; R uses
          the mirror rule on the days since the last purchase, so the most recent customers
          score ``bins``.
        * ``"rfm"``: the rule of the R package rfm 0.3.0 (``rfm_table_order``): edges are the
          inner quantiles *plus one*, bins are :math:`[e_{k-1}, e_k)`, recency scores reversed.
          The quantiles repeat R's floating-point arithmetic (levels of
          ``seq(0, 1, length.out = bins + 1)``, ``quantile(type = 7)`` interpolation), so the
          edges are bit-for-bit R's and a value next to an edge scores as in R.
        * ``"pymc"``: pymc-marketing's ``rfm_segments``: quartiles of the data as
          :func:`pandas.qcut` with ``duplicates="drop"`` (right-closed; fewer than 4 scores when
          quartiles coincide), recency reversed.
    recency, T
        Columns of the summary. The R metric is ``T - recency``, the time since the last
        purchase (with ``T=None``, the ``recency`` column itself is taken as the time since the
        last purchase).
    frequency, monetary
        Columns scored for F and M. ``None`` (default) picks the method's definition:
        ``n_purchases`` and ``total_amount`` for ``"quantile"`` and ``"rfm"`` (transactions and
        total revenue, as R rfm's ``transaction_count`` and ``amount``); for ``"pymc"``,
        purchase days including the first (``frequency + 1``) and the mean spend per purchase
        day including the first (``total_amount / (frequency + 1)``).
    edges
        Fixed inner edges per metric, e.g. ``{"R": [30, 90, 180, 365]}`` (days since the last
        purchase), on each metric's own scale; ``k`` edges give ``k + 1`` scores. Metrics given
        here are not learnt by :meth:`fit`; with all three given, the scorer needs no fit.
    nan_policy
        ``"raise"`` (default) on missing metric values, or ``"omit"`` the customers concerned
        (they are left out of the fit and of the scores).

    Attributes
    ----------
    edges_ : dict
        Inner edges per metric (``"R"``, ``"F"``, ``"M"``), lists of floats, ascending.
    n_scores_ : dict
        Number of scores per metric (``len(edges) + 1``).
    n_customers_ : int
        Customers the edges were learnt on (0 for fully fixed edges).
    constant_ : dict
        Metrics that had one value for every fitted customer, with that value (see Notes).

    See Also
    --------
    rfm_scores : fit and transform in one call.
    rfm_segments : named segments from the scores.

    Notes
    -----
    With inner edges :math:`e_1 \le \dots \le e_{b-1}` of a metric :math:`x`, the (right-closed)
    score is

    $$s(x) = 1 + \#\{k : e_k < x\},$$

    a function of the value only, so tied customers always share a score. When many customers
    share one value (e.g. most bought once), several quantile edges coincide; the bins between
    them stay empty and the tied block takes the lowest score it reaches: the score keeps its
    meaning (how many quantile edges the value exceeds) instead of being renumbered. New values
    outside the fitted range take the first or last score.

    **Ties in every method.** A value equal to a bin edge falls on the side given by the
    method (above); the rules differ only at edges, for parity with R rfm and pymc-marketing.
    One case has no ranking at all: a metric with a single value for every fitted customer
    (all bought on the same day, all bought once). Each method would then put everybody at
    one end of the scale (quantile: ``R = 1``, "Lost", for customers who all bought today; R
    rfm: ``R = 5``). Instead, in **every** method, customers at that value get the middle
    score, ``(n_scores + 1) // 2`` (3 of 5, 2 of 4), and new customers above or below it the
    last or first score. The value is kept in ``constant_``.

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Chicago: Probus.

    Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. *The American
    Statistician*, 50(4), 361-365. https://doi.org/10.1080/00031305.1996.10473566

    Hebbali, A. (2023). *rfm: Recency, Frequency and Monetary Value Analysis* (R package
    version 0.3.0). https://CRAN.R-project.org/package=rfm

    Examples
    --------
    >>> import json
    >>> import pandas as pd
    >>> from custloyalty.segmentation import RFMScorer
    >>> summary = pd.DataFrame({
    ...     "recency": [0.0, 10.0, 30.0, 50.0, 60.0],
    ...     "T": [60.0, 60.0, 60.0, 60.0, 60.0],
    ...     "n_purchases": [1, 2, 2, 5, 9],
    ...     "total_amount": [10.0, 25.0, 40.0, 90.0, 300.0],
    ... })
    >>> scorer = RFMScorer(bins=3).fit(summary)
    >>> scorer.transform(summary)[["R", "F", "M"]].to_numpy().tolist()
    [[1, 1, 1], [1, 1, 1], [2, 1, 2], [3, 3, 3], [3, 3, 3]]
    >>> again = RFMScorer.from_dict(json.loads(json.dumps(scorer.to_dict())))
    >>> again.transform(summary).equals(scorer.transform(summary))
    True
    """

    _state_kind = "RFMScorer"

    def __init__(
        self,
        *,
        bins: int = 5,
        method: str = "quantile",
        recency: Hashable = "recency",
        T: Hashable | None = "T",
        frequency: Hashable | None = None,
        monetary: Hashable | None = None,
        edges: Mapping[str, Sequence[float]] | None = None,
        nan_policy: str = "raise",
    ) -> None:
        func = "RFMScorer"
        self.method = check_option(method, "method", METHODS, func=func)
        if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or not 2 <= bins <= 20:
            msg = f"The 'bins' parameter of {func} must be an integer in [2, 20]; got {bins!r}."
            raise ValidationError(msg)
        self.bins = 4 if method == "pymc" else int(bins)
        self.nan_policy = check_nan_policy(nan_policy, func=func)
        self.columns = _Columns(recency=recency, T=T, frequency=frequency, monetary=monetary)
        self.fixed_edges: dict[str, list[float]] = {}
        given: Any = edges  # typed as a mapping, checked as anything
        if given is not None and not isinstance(given, Mapping):
            msg = (
                f"The 'edges' parameter of {func} must map 'R', 'F' or 'M' to inner edges, "
                f"such as {{'R': [30, 90, 180]}}; got {type(edges).__name__} {edges!r}."
            )
            raise ValidationError(msg)
        for key, value in (edges or {}).items():
            metric = _metric_key(key)
            if metric in self.fixed_edges:
                msg = (
                    f"The 'edges' parameter of {func} gives the {metric} edges twice "
                    f"(the key {key!r} repeats another key of metric {metric!r}).\n"
                    "Hint: keep one of 'R' / 'recency', 'F' / 'frequency', 'M' / 'monetary'."
                )
                raise ValidationError(msg)
            self.fixed_edges[metric] = _check_edges(value, key).tolist()
        self.edges_: dict[str, list[float]] = {}
        self.n_scores_: dict[str, int] = {}
        self.n_customers_ = 0
        self.constant_: dict[str, float] = {}
        if set(self.fixed_edges) == set(_METRICS):
            self._set_edges({k: np.asarray(v) for k, v in self.fixed_edges.items()}, 0)

    # -- fitted state -----------------------------------------------------------------------

    def _set_edges(self, edges: Mapping[str, FloatArray], n: int) -> None:
        self.edges_ = {k: [float(v) for v in edges[k]] for k in _METRICS}
        self.n_scores_ = {k: len(self.edges_[k]) + 1 for k in _METRICS}
        self.n_customers_ = n

    def _check_fitted(self) -> None:
        if not self.edges_:
            msg = (
                "This RFMScorer is not fitted yet; call fit(summary) first "
                "(or give fixed edges for R, F and M)."
            )
            raise NotFittedError(msg)

    def __repr__(self) -> str:
        state = f"fitted on {self.n_customers_} customers" if self.edges_ else "not fitted"
        return f"RFMScorer(method={self.method!r}, bins={self.bins}, {state})"

    # -- metrics ----------------------------------------------------------------------------

    def metrics(self, summary: Any) -> pd.DataFrame:
        """Return the three metrics that are scored (R in time since the last purchase).

        Parameters
        ----------
        summary
            Customer summary (see :func:`custloyalty.rfm_summary`).

        Returns
        -------
        pandas.DataFrame
            Columns ``R`` (time since last purchase, lower is better), ``F`` and ``M``
            (higher is better), indexed like ``summary`` (minus omitted customers).

        Raises
        ------
        ValidationError
            Missing or non-numeric columns, missing values under ``nan_policy="raise"``, or a
            negative R metric (``recency`` beyond ``T``: not a customer summary).
        """
        c = self.columns
        pymc = self.method == "pymc"
        f_col = c.frequency if c.frequency is not None else ("frequency" if pymc else "n_purchases")
        m_col = c.monetary if c.monetary is not None else "total_amount"
        cols: list[Hashable] = [c.recency]
        if c.T is not None:
            cols.append(c.T)
        if f_col not in cols:
            cols.append(f_col)
        if m_col not in cols:
            cols.append(m_col)
        pymc_f = pymc and c.frequency is None
        pymc_m = pymc and c.monetary is None
        if pymc_m and "frequency" not in cols:
            cols.append("frequency")
        frame, missing = numeric_columns(
            as_frame(summary, name="summary"),
            cols,
            nan_policy=self.nan_policy,
            func="rfm_scores",
            name="summary",
        )
        if missing.any():
            frame = frame.loc[~missing]
        check_unique_index(
            frame.index,
            "summary",
            func="rfm_scores",
            hint="a customer summary has one row per customer, as rfm_summary returns; "
            "aggregate the rows of each customer first.",
        )
        r = frame[c.recency].to_numpy()
        if c.T is not None:
            r = frame[c.T].to_numpy() - r
        _check_not_negative(r, frame.index, _r_name(c), "R metric")
        f = frame[f_col].to_numpy()
        _check_not_negative(f, frame.index, repr(f_col), "F metric")
        if pymc_f:
            f = f + 1.0
        m = frame[m_col].to_numpy()
        if pymc_m:
            m = m / (frame["frequency"].to_numpy() + 1.0)
        return pd.DataFrame({"R": r, "F": f, "M": m}, index=frame.index, copy=False)

    # -- fit / transform --------------------------------------------------------------------

    def fit(self, summary: Any) -> Self:
        """Learn the bin edges of every metric not given fixed edges.

        Parameters
        ----------
        summary
            Customer summary (see :func:`custloyalty.rfm_summary`).

        Returns
        -------
        RFMScorer
            ``self``, fitted.

        Raises
        ------
        ValidationError
            Invalid summary or no customer left after omitting missing values.
        """
        values = self.metrics(summary)
        if len(values) == 0:
            msg = "The summary passed to rfm_scores has no customers."
            raise ValidationError(msg)
        self._learn(values)
        return self

    def _learn(self, values: pd.DataFrame) -> None:
        """Fit the edges (and the constant metrics) of ``values``; validated, not empty."""
        edges: dict[str, FloatArray] = {}
        constant: dict[str, float] = {}
        for k in _METRICS:
            if k in self.fixed_edges:
                edges[k] = np.asarray(self.fixed_edges[k], dtype=np.float64)
                continue
            x = values[k].to_numpy()
            edges[k] = _fit_edges(x, self.method, self.bins)
            lo, hi = float(x.min()), float(x.max())
            if lo == hi:
                constant[k] = lo
        self._set_edges(edges, len(values))
        self._set_constant(constant)

    def _set_constant(self, constant: Mapping[str, float]) -> None:
        """Record metrics without ranking; they use the method's full score scale."""
        self.constant_ = {k: float(v) for k, v in constant.items()}
        for k in self.constant_:  # pymc drops coinciding quartiles: keep its 1..4 scale here
            self.n_scores_[k] = max(self.n_scores_[k], self.bins)

    def transform(self, summary: Any) -> pd.DataFrame:
        """Score customers with the fitted edges.

        Parameters
        ----------
        summary
            Customer summary with the same columns as the one fitted on.

        Returns
        -------
        pandas.DataFrame
            Indexed by customer, columns ``R``, ``F``, ``M`` (int16, 1 = worst, ``n_scores_`` =
            best) and ``cell`` (categorical ``"R-F-M"``, e.g. ``"5-4-4"``).

        Raises
        ------
        NotFittedError
            Before :meth:`fit` (unless all edges are fixed).
        ValidationError
            Invalid summary.
        """
        self._check_fitted()
        values = self.metrics(summary)
        return self._score(values)

    def fit_transform(self, summary: Any) -> pd.DataFrame:
        """Fit on ``summary`` and score it (validates the summary once)."""
        values = self.metrics(summary)
        if len(values) == 0:
            msg = "The summary passed to rfm_scores has no customers."
            raise ValidationError(msg)
        self._learn(values)
        return self._score(values)

    def _score(self, values: pd.DataFrame) -> pd.DataFrame:
        scores: dict[str, npt.NDArray[np.int16]] = {}
        for k in _METRICS:
            x = values[k].to_numpy()
            scores[k] = _score_with_edges(
                x,
                np.asarray(self.edges_[k], dtype=np.float64),
                closed=_closed_for(self.method, k),
                higher_is_better=k != "R",
            )
            if k in self.constant_:  # no ranking in the fit: the documented middle score
                v, n = self.constant_[k], self.n_scores_[k]
                better = x < v if k == "R" else x > v
                worse = x > v if k == "R" else x < v
                scores[k] = np.where(better, n, np.where(worse, 1, (n + 1) // 2)).astype(np.int16)
        out = pd.DataFrame(scores, index=values.index, copy=False)
        out["cell"] = _cells(scores["R"], scores["F"], scores["M"], self.n_scores_)
        return out

    # -- serialisation ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration and fitted edges as JSON-safe builtins.

        The dict starts with the saved-state header (``kind``, ``format_version``,
        ``custloyalty_version``); :meth:`from_dict` and :meth:`from_json` rebuild the scorer.
        """
        c = self.columns
        return {
            **header(self._state_kind),
            "method": self.method,
            "bins": self.bins,
            "columns": {
                "recency": _jsonable(c.recency),
                "T": _jsonable(c.T),
                "frequency": _jsonable(c.frequency),
                "monetary": _jsonable(c.monetary),
            },
            "fixed_edges": {k: list(v) for k, v in self.fixed_edges.items()},
            "nan_policy": self.nan_policy,
            "edges": {k: list(v) for k, v in self.edges_.items()} if self.edges_ else None,
            "constant": dict(self.constant_),
            "n_customers": self.n_customers_,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a scorer (fitted if the dict holds edges) from :meth:`to_dict`.

        Raises
        ------
        ValidationError
            Not a saved RFMScorer of this format version, or a malformed entry (unknown
            method, bins outside 2..20, edges missing a metric, not finite or not sorted,
            edges of a fixed metric unlike its ``fixed_edges``, a fixed metric recorded as
            constant, a negative customer count), named in the message.
        """
        where = f"{cls.__name__}.from_dict"
        state = check_header(data, cls._state_kind, where=where)
        refuse_unknown_keys(state, _STATE_KEYS, where=where)
        cols = state_mapping(state_key(state, "columns", where=where), "columns", where=where)
        refuse_unknown_keys(cols, ("recency", "T", "frequency", "monetary"), where=where)
        cols = {k: _column_name(v, f"columns[{k!r}]", where) for k, v in cols.items()}
        method = state_str(
            state_key(state, "method", where=where), "method", where=where, choices=METHODS
        )
        bins = state_float(
            state_key(state, "bins", where=where), "bins", where=where, low=2, high=20
        )
        _state_integer(bins, "bins", where)
        fixed = state_mapping(state.get("fixed_edges") or {}, "fixed_edges", where=where)
        nan_policy = state_str(
            state.get("nan_policy", "raise"), "nan_policy", where=where, choices=("raise", "omit")
        )
        obj = cls(
            bins=int(bins),
            method=method,
            recency=cols.get("recency", "recency"),
            T=cols.get("T", "T"),
            frequency=cols.get("frequency"),
            monetary=cols.get("monetary"),
            edges={
                k: state_floats(v, f"fixed_edges[{k!r}]", where=where, increasing=True)
                for k, v in fixed.items()
            }
            or None,
            nan_policy=nan_policy,
        )
        edges = state.get("edges")
        if edges:
            edges = state_mapping(edges, "edges", where=where)
            missing = sorted(set(_METRICS) - set(edges))
            if missing:
                msg = f"{where}: 'edges' must give R, F and M; missing {missing!r}."
                raise ValidationError(msg)
            refuse_unknown_keys(edges, _METRICS, where=where)
            n = state_float(state.get("n_customers", 0), "n_customers", where=where, low=0)
            _state_integer(n, "n_customers", where)
            obj._set_edges(
                {
                    k: np.asarray(
                        state_floats(
                            edges[k], f"edges[{k!r}]", where=where, increasing=True, length=None
                        ),
                        dtype=np.float64,
                    )
                    for k in _METRICS
                },
                int(n),
            )
            constant = state_mapping(state.get("constant") or {}, "constant", where=where)
            bad = sorted(set(constant) - set(_METRICS))
            if bad:
                msg = f"{where}: 'constant' names unknown metrics {bad!r}."
                raise ValidationError(msg)
            obj._set_constant(
                {k: state_float(v, f"constant[{k!r}]", where=where) for k, v in constant.items()}
            )
            too_many = [k for k in _METRICS if len(obj.edges_[k]) > 19]
            if too_many:
                msg = f"{where}: edges of {too_many!r} hold more than 19 values."
                raise ValidationError(msg)
            # a fitted metric has bins - 1 edges (pymc: at most 3); a fixed one, its own
            for k in _METRICS:
                got = len(obj.edges_[k])
                fixed_k = obj.fixed_edges.get(k) if obj.fixed_edges else None
                if fixed_k is not None:
                    ok, want = got == len(fixed_k), f"{len(fixed_k)} (its fixed_edges)"
                elif method == "pymc":
                    ok, want = got <= 3, "at most 3 (method 'pymc')"
                else:
                    ok, want = got == obj.bins - 1, f"{obj.bins - 1} (bins - 1)"
                if not ok:
                    msg = (
                        f"{where}: edges[{k!r}] must hold {want} values; got {got}."
                        "\nHint: the state was edited by hand or truncated; fit the scorer again."
                    )
                    raise ValidationError(msg)
                if fixed_k is not None and ok and not np.array_equal(obj.edges_[k], fixed_k):
                    # fit() keeps fixed edges as given: other ones were edited by hand
                    msg = (
                        f"{where}: edges[{k!r}] {list(obj.edges_[k])!r} differ from its "
                        f"fixed_edges {list(fixed_k)!r}, which fit() keeps as given."
                        "\nHint: the state was edited by hand; fit the scorer again."
                    )
                    raise ValidationError(msg)
            for k, v in obj.constant_.items():
                if k in obj.fixed_edges:  # fit() scores fixed metrics by their edges only
                    msg = (
                        f"{where}: constant[{k!r}] = {v!r} names a metric whose edges are fixed; "
                        "fit() never records a fixed metric as constant.\nHint: the state was "
                        "edited by hand; fit the scorer again."
                    )
                    raise ValidationError(msg)
        return obj


_RULE_KEYS = ("name", "R", "F", "M", "cells")


def _r_name(c: _Columns) -> str:
    return repr(c.recency) if c.T is None else f"{c.T!r} - {c.recency!r}"


def _check_not_negative(x: FloatArray, index: pd.Index, what: str, metric: str) -> None:
    """Raise if a count or a time since the last purchase is negative (an impossible row)."""
    bad = x < 0
    if bad.any():
        pos = np.flatnonzero(bad)
        msg = (
            f"The {metric} of rfm_scores ({what}) is negative for "
            f"{plural(pos.size, 'customer')} {format_examples(index[pos], x[pos])}."
        )
        if metric == "R metric":
            msg += (
                "\nHint: recency is the time from the first to the last purchase, so it "
                "cannot exceed T; pass the summary of custloyalty.rfm_summary, or T=None "
                "when the recency column already holds the time since the last purchase."
            )
        raise ValidationError(msg)


_STATE_KEYS = (
    "kind",
    "format_version",
    "custloyalty_version",
    "method",
    "bins",
    "columns",
    "fixed_edges",
    "nan_policy",
    "edges",
    "constant",
    "n_customers",
)


def _state_integer(value: float, key: str, where: str) -> None:
    if value != int(value):
        msg = f"{where}: {key} must be a whole number; got {value!r}."
        raise ValidationError(msg)


def _jsonable(col: Hashable | None) -> Any:
    """Write a column name as JSON: a tuple (a MultiIndex column) becomes a list."""
    if col is None or isinstance(col, str | int | float | bool):
        return col
    if isinstance(col, tuple):
        return [_jsonable(c) for c in col]
    return str(col)


def _column_name(value: Any, key: str, where: str) -> Hashable | None:
    """Read back a column name written by :func:`_jsonable` (lists are tuples again)."""
    if isinstance(value, list):
        return tuple(_column_name(v, key, where) for v in value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    msg = f"{where}: {key} must be a column name (text, a number or a list); got {value!r:.80}."
    raise ValidationError(msg)


def _metric_key(key: str) -> str:
    k = str(key).upper()[:1]
    if k not in _METRICS or str(key).lower() not in {
        "r",
        "f",
        "m",
        "recency",
        "frequency",
        "monetary",
    }:
        msg = f"edges keys must be 'R', 'F' or 'M'; got {key!r}."
        raise ValidationError(msg)
    return k


def _check_edges(value: Any, key: str, *, allow_empty: bool = False) -> FloatArray:
    refuse_bools(value, f"edges[{key!r}]", func="RFMScorer")
    try:
        raw = np.asarray(value)
        if raw.dtype.kind in "USO" and any(isinstance(v, str | bytes) for v in raw.ravel()):
            raise TypeError
        arr = raw.astype(np.float64)
    except (TypeError, ValueError):
        msg = f"edges[{key!r}] must be a sequence of numbers; got {value!r}."
        raise ValidationError(msg) from None
    if arr.ndim > 1:
        msg = f"edges[{key!r}] must be a flat list of numbers; got {value!r}."
        raise ValidationError(msg)
    arr = arr.ravel()
    if (arr.size == 0 and not allow_empty) or not np.isfinite(arr).all():
        msg = f"edges[{key!r}] must hold at least one finite number; got {value!r}."
        raise ValidationError(msg)
    if np.any(np.diff(arr) < 0):
        msg = f"edges[{key!r}] must be in ascending order; got {arr.tolist()!r}."
        raise ValidationError(msg)
    if arr.size > 19:
        msg = f"edges[{key!r}] holds {arr.size} edges; at most 19 (20 scores) are supported."
        raise ValidationError(msg)
    return arr


def _cells(
    r: npt.NDArray[np.int16],
    f: npt.NDArray[np.int16],
    m: npt.NDArray[np.int16],
    n: Mapping[str, int],
) -> pd.Categorical[str]:
    """Return ``"R-F-M"`` labels as a categorical over the cells (no string per customer)."""
    nr, nf, nm = n["R"], n["F"], n["M"]
    codes = (r.astype(np.int32) - 1) * (nf * nm) + (f.astype(np.int32) - 1) * nm + (m - 1)
    rr, ff, mm = np.meshgrid(
        np.arange(1, nr + 1), np.arange(1, nf + 1), np.arange(1, nm + 1), indexing="ij"
    )
    cats = [f"{a}-{b}-{c}" for a, b, c in zip(rr.ravel(), ff.ravel(), mm.ravel(), strict=True)]
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats))


def rfm_scores(
    summary: Any,
    /,
    *,
    bins: int = 5,
    method: str = "quantile",
    recency: Hashable = "recency",
    T: Hashable | None = "T",
    frequency: Hashable | None = None,
    monetary: Hashable | None = None,
    edges: Mapping[str, Sequence[float]] | None = None,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    r"""Score every customer 1..``bins`` on recency, frequency and monetary value.

    Fits an :class:`RFMScorer` on ``summary`` and scores the same customers; keep the scorer
    (``RFMScorer(...).fit(...)``) to score new customers with the same edges. See the
    *Client tiering* guide.

    Parameters
    ----------
    summary
        Customer summary, one row per customer (output of :func:`custloyalty.rfm_summary`).
    bins
        Number of scores per metric (default 5). ``method="pymc"`` always uses quartiles.
    method
        ``"quantile"`` (default), ``"rfm"`` (R rfm 0.3.0 parity) or ``"pymc"``
        (pymc-marketing parity); see :class:`RFMScorer`.
    recency, T, frequency, monetary
        Column names; see :class:`RFMScorer`. Defaults: R on ``T - recency`` (time since the
        last purchase), F on ``n_purchases``, M on ``total_amount``.
    edges
        Fixed inner edges per metric (``{"R": [...], "F": [...], "M": [...]}``).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` customers with missing metric values.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer, columns ``R``, ``F``, ``M`` (int16 in ``1..bins``, higher is better:
        ``R = bins`` is the most recent group) and ``cell`` (categorical ``"R-F-M"``).

    Raises
    ------
    ValidationError
        Missing or non-numeric columns, missing values under ``nan_policy="raise"``, a
        ``recency`` beyond ``T``, invalid ``bins``, ``method`` or ``edges`` (not a mapping,
        unknown keys, booleans, not finite or not sorted).

    See Also
    --------
    RFMScorer : the fitted scoring, reusable on new customers.
    rfm_segments : named segments from the scores.
    value_tiers : one-dimensional value tiers (ABC, quantiles, thresholds).

    Notes
    -----
    For ``method="quantile"`` and a metric :math:`x` with inner quantiles
    :math:`e_k = Q(k/b)`, :math:`k = 1..b-1`,

    $$F = 1 + \#\{k : e_k < x\},\qquad R = b - \#\{k : e_k \le d\},\quad d = T - \text{recency},$$

    so ties never straddle two scores and the most recent customers get :math:`R = b`. When
    quantiles coincide (heavy ties), scores between them are left empty rather than renumbered.

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Chicago: Probus.

    Hebbali, A. (2023). *rfm: Recency, Frequency and Monetary Value Analysis* (R package
    version 0.3.0). https://CRAN.R-project.org/package=rfm

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.segmentation import rfm_scores
    >>> summary = pd.DataFrame({
    ...     "recency": [0.0, 10.0, 30.0, 50.0, 60.0],
    ...     "T": [60.0, 60.0, 60.0, 60.0, 60.0],
    ...     "n_purchases": [1, 2, 2, 5, 9],
    ...     "total_amount": [10.0, 25.0, 40.0, 90.0, 300.0],
    ... })
    >>> rfm_scores(summary, bins=3)
       R  F  M   cell
    0  1  1  1  1-1-1
    1  1  1  1  1-1-1
    2  2  1  2  2-1-2
    3  3  3  3  3-3-3
    4  3  3  3  3-3-3
    """
    scorer = RFMScorer(
        bins=bins,
        method=method,
        recency=recency,
        T=T,
        frequency=frequency,
        monetary=monetary,
        edges=edges,
        nan_policy=nan_policy,
    )
    return scorer.fit_transform(summary)


# --------------------------------------------------------------------------------------------
# segments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SegmentRule:
    """One named segment: inclusive score ranges for R, F and M, or an explicit set of cells.

    ``cells`` (e.g. ``("334", "443")`` or ``("3-3-4",)``) replaces the ranges when given.
    """

    name: str
    R: tuple[int, int] = (1, 99)
    F: tuple[int, int] = (1, 99)
    M: tuple[int, int] = (1, 99)
    cells: tuple[str, ...] | None = None

    def mask(self, r: IntArray, f: IntArray, m: IntArray) -> npt.NDArray[np.bool_]:
        """Which of the cells ``(r, f, m)`` the rule matches."""
        if self.cells is not None:
            wanted = {_parse_cell(c) for c in self.cells}
            keys = r * 10_000 + f * 100 + m
            codes = np.array([a * 10_000 + b * 100 + c for a, b, c in wanted], dtype=np.int64)
            return np.isin(keys, codes)
        return (
            (r >= self.R[0])
            & (r <= self.R[1])
            & (f >= self.F[0])
            & (f <= self.F[1])
            & (m >= self.M[0])
            & (m <= self.M[1])
        )


def _parse_cell(cell: str) -> tuple[int, int, int]:
    text = str(cell)
    parts = text.split("-") if "-" in text else list(text)
    if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
        msg = f"A segment cell must look like '334' or '3-3-4'; got {cell!r}."
        raise ValidationError(msg)
    a, b, c = (int(p) for p in parts)
    return a, b, c


def _whole(v: Any) -> int:
    """Read a score bound: an integer, or a float holding one (not text, a boolean, 2.5)."""
    if isinstance(v, bool | np.bool_ | str | bytes):
        raise TypeError
    if isinstance(v, int | np.integer):
        return int(v)
    f = float(v)
    if not f.is_integer():
        raise ValueError
    return int(f)


def _range(value: Any, name: str, what: str) -> tuple[int, int]:
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        lo = hi = int(value)
    else:
        refuse_bools(value, f"{what} range of segment {name!r}", func="rfm_segments")
        try:
            if isinstance(value, str | bytes):
                raise TypeError
            lo, hi = (_whole(v) for v in value)
        except (TypeError, ValueError, OverflowError):
            msg = (
                f"Segment {name!r}: the {what} range must be (low, high) whole numbers; "
                f"got {value!r}.\nHint: scores are integers, e.g. (4, 5) for the two best."
            )
            raise ValidationError(msg) from None
    if lo > hi or lo < 1:
        msg = f"Segment {name!r}: the {what} range must have 1 <= low <= high; got {value!r}."
        raise ValidationError(msg)
    return lo, hi


def _rule_name(name: Any) -> str:
    if name is None or (isinstance(name, str) and not name.strip()):
        msg = f"A segment rule needs a non-empty name; got {name!r}."
        raise ValidationError(msg)
    return str(name)


def _rule_cells(cells: Any, name: str) -> tuple[str, ...]:
    if isinstance(cells, str | bytes) or not isinstance(cells, Iterable):
        msg = (
            f"Segment {name!r}: cells must be a list of cells such as ['334', '3-4-4']; "
            f"got {type(cells).__name__} {cells!r}."
        )
        raise ValidationError(msg)
    out = tuple(str(c) for c in cells)
    for c in out:
        _parse_cell(c)
    return out


def _rule(item: Any) -> SegmentRule:
    if isinstance(item, SegmentRule):  # built by hand: checked as a dict would be
        name = _rule_name(item.name)
        if item.cells is not None:
            return SegmentRule(name, cells=_rule_cells(item.cells, name))
        return SegmentRule(
            name,
            _range(item.R, name, "R"),
            _range(item.F, name, "F"),
            _range(item.M, name, "M"),
        )
    if isinstance(item, Mapping):
        if "name" not in item:
            msg = f"Each segment rule needs a 'name'; got {dict(item)!r}."
            raise ValidationError(msg)
        unknown = [k for k in item if k not in _RULE_KEYS]
        if unknown:
            msg = f"Segment rule {item['name']!r} has unknown key {unknown[0]!r}; "
            msg += f"a rule has the keys {list(_RULE_KEYS)!r}."
            same = [k for k in _RULE_KEYS if k.lower() == str(unknown[0]).lower()]
            close = same[0] if same else suggest(str(unknown[0]), list(_RULE_KEYS))
            if close:
                msg += f"\nHint: did you mean {close!r}?"
            raise ValidationError(msg)
        name = _rule_name(item["name"])
        if "cells" in item:
            ranges = [k for k in ("R", "F", "M") if k in item]
            if ranges:
                msg = (
                    f"Segment rule {name!r} gives both cells and ranges {ranges!r}; cells "
                    "replace the ranges.\nHint: keep either 'cells' or 'R' / 'F' / 'M'."
                )
                raise ValidationError(msg)
            return SegmentRule(name, cells=_rule_cells(item["cells"], name))
        return SegmentRule(
            name,
            _range(item.get("R", (1, 99)), name, "R"),
            _range(item.get("F", (1, 99)), name, "F"),
            _range(item.get("M", (1, 99)), name, "M"),
        )
    if isinstance(item, Sequence) and not isinstance(item, str):
        if len(item) == 2 and not isinstance(item[1], str | int):
            name = _rule_name(item[0])
            return SegmentRule(name, cells=_rule_cells(item[1], name))
        if len(item) == 4:
            name = _rule_name(item[0])
            return SegmentRule(
                name,
                _range(item[1], name, "R"),
                _range(item[2], name, "F"),
                _range(item[3], name, "M"),
            )
    msg = (
        "Each segment rule must be (name, R range, F range, M range), (name, cells), a dict "
        f"with 'name' and 'R'/'F'/'M' or 'cells', or a SegmentRule; got {item!r}."
    )
    raise ValidationError(msg)


def _preset(
    rows: Sequence[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]],
) -> tuple[SegmentRule, ...]:
    return tuple(SegmentRule(n, r, f, m) for n, r, f, m in rows)


#: Ordered rules of the shipped presets (first match wins) and their catch-all label.
RFM_PRESETS: dict[str, tuple[tuple[SegmentRule, ...], str]] = {
    "default": (
        _preset(
            [
                ("Champions", (4, 5), (4, 5), (4, 5)),
                ("Loyal Customers", (3, 5), (3, 5), (3, 5)),
                ("New Customers", (4, 5), (1, 1), (1, 5)),
                ("Promising", (3, 3), (1, 1), (1, 5)),
                ("Potential Loyalist", (3, 5), (2, 5), (1, 5)),
                ("Can't Lose Them", (1, 1), (4, 5), (4, 5)),
                ("At Risk", (1, 2), (3, 5), (3, 5)),
                ("Need Attention", (2, 2), (2, 5), (1, 5)),
                ("About To Sleep", (2, 2), (1, 1), (1, 5)),
                ("Hibernating", (1, 1), (2, 5), (1, 5)),
                ("Lost", (1, 1), (1, 1), (1, 5)),
            ]
        ),
        "Others",
    ),
    "rfm": (
        _preset(
            [
                ("Champions", (5, 5), (5, 5), (5, 5)),
                ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
                ("Loyal Customers", (2, 4), (2, 4), (2, 4)),
                ("Promising", (3, 4), (1, 3), (3, 5)),
                ("New Customers", (4, 5), (1, 3), (1, 5)),
                ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
                ("At Risk", (1, 2), (2, 5), (4, 5)),
                ("Need Attention", (1, 3), (3, 5), (3, 5)),
                ("About To Sleep", (2, 3), (1, 3), (1, 4)),
                ("Lost", (1, 1), (1, 5), (1, 5)),
            ]
        ),
        "Others",
    ),
    "pymc": (
        tuple(
            SegmentRule(name, cells=tuple(codes.split()))
            for name, codes in (
                ("Premium Customer", "334 443 444 344 434 433 343 333"),
                ("Repeat Customer", "244 234 232 332 143 233 243"),
                ("Top Spender", "424 414 144 314 324 124 224 423 413 133 323 313 134"),
                ("At Risk Customer", "422 223 212 122 222 132 322 312 412 123 214"),
                ("Inactive Customer", "411 111 113 114 112 211 311"),
            )
        ),
        "Other",
    ),
}


#: Score scale each preset is written for (lowest, highest score); scores outside it raise.
RFM_PRESET_SCORES: dict[str, tuple[int, int]] = {"default": (1, 5), "rfm": (1, 5), "pymc": (1, 4)}

_PRESET_HINT = {
    "default": "score with 5 bins, e.g. rfm_scores(summary) (bins=5), or pass your own rules.",
    "rfm": "score with rfm_scores(summary, method='rfm') (5 bins), or pass your own rules.",
    "pymc": "score with rfm_scores(summary, method='pymc') (quartiles), or pass your own rules.",
}


def _check_preset_scale(frame: pd.DataFrame, key: str, func: str) -> None:
    lo, hi = RFM_PRESET_SCORES[key]
    for col in _METRICS:
        v = frame[col].to_numpy()
        if v.size == 0 or (v.min() >= lo and v.max() <= hi):  # the usual case: one pass each
            continue
        bad = (v < lo) | (v > hi)
        if bad.any():
            pos = np.flatnonzero(bad)
            msg = (
                f"The {key!r} preset of {func} is written for scores {lo}..{hi}; column {col!r} "
                f"of scores has {pos.size} values outside it "
                f"{format_examples(frame.index[pos], v[pos].astype(np.int64))}.\n"
                f"Hint: {_PRESET_HINT[key]}"
            )
            raise ValidationError(msg)


def rfm_segments(
    scores: Any,
    /,
    *,
    rules: str | Sequence[Any] | None = None,
    other: str | None = None,
) -> pd.Series:
    r"""Name the segment of every customer from its R, F and M scores.

    Rules are tried in order and the first rule whose inclusive ranges contain the customer's
    three scores names its segment; customers matched by no rule get ``other``.

    Parameters
    ----------
    scores
        Table with integer columns ``R``, ``F`` and ``M`` (output of :func:`rfm_scores`),
        one row per customer.
    rules
        ``None`` or ``"default"`` (11 named segments on 1-5 scores), ``"rfm"`` (the R rfm 0.3.0
        rules, 1-5 scores), ``"pymc"`` (pymc-marketing's quartile codes, 1-4 scores; the scale
        of each preset is in ``RFM_PRESET_SCORES`` and scores outside it raise), or an
        ordered list of rules, each ``(name, (r_lo, r_hi), (f_lo, f_hi), (m_lo, m_hi))`` (an int
        for a single score), ``(name, ["334", ...])`` for explicit cells, a dict with ``name``
        and ``R``/``F``/``M`` or ``cells``, or a :class:`SegmentRule`.
    other
        Label of unmatched customers, a non-empty text; default ``"Others"`` (``"Other"`` for
        the pymc preset).

    Returns
    -------
    pandas.Series
        Named ``segment``, indexed like ``scores``; categorical with categories in rule order,
        then ``other``. Every customer has exactly one segment.

    Raises
    ------
    ValidationError
        Missing, non-integer or non-positive score columns; malformed rules (not a sequence, a
        rule without ``name``, an unknown key, a boolean bound); an unknown preset;
        scores outside the scale of the preset (e.g. ``bins=10`` scores with the default
        preset, or 1-5 scores with the 1-4 ``"pymc"`` preset), which would otherwise leave
        most customers silently unmatched; ``other`` that is not a non-empty text.

    See Also
    --------
    rfm_scores : the scores.
    segment_profile : size, revenue share and mean scores of each segment.

    Notes
    -----
    With rules :math:`\rho_1, \dots, \rho_J` and ranges :math:`[a_j^X, b_j^X]`,

    $$\text{segment}(r, f, m) = \rho_{j^*},\quad
    j^* = \min\{j : a_j^R \le r \le b_j^R,\ a_j^F \le f \le b_j^F,\ a_j^M \le m \le b_j^M\}.$$

    The rules are evaluated once on every cell of the score cube and customers are mapped
    through that lookup table, so the cost per customer does not grow with the number of rules.

    References
    ----------
    Hebbali, A. (2023). *rfm: Recency, Frequency and Monetary Value Analysis* (R package
    version 0.3.0), function ``rfm_segment``. https://CRAN.R-project.org/package=rfm

    PyMC Labs (2024). *pymc-marketing*, ``pymc_marketing.clv.rfm_segments``.
    https://github.com/pymc-labs/pymc-marketing

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.segmentation import rfm_segments
    >>> scores = pd.DataFrame({"R": [5, 1, 3, 2], "F": [5, 5, 1, 1], "M": [5, 5, 2, 1]})
    >>> rfm_segments(scores).tolist()
    ['Champions', "Can't Lose Them", 'Promising', 'About To Sleep']
    >>> rfm_segments(scores, rules=[("Best", (4, 5), (4, 5), (1, 5))]).tolist()
    ['Best', 'Others', 'Others', 'Others']
    """
    func = "rfm_segments"
    preset: str | None = None
    if rules is None or isinstance(rules, str):
        preset = "default" if rules is None else rules
        check_option(preset, "rules", tuple(RFM_PRESETS), func=func)
        rule_list, default_other = RFM_PRESETS[preset]
    else:
        if not isinstance(rules, Iterable) or isinstance(rules, Mapping):
            msg = (
                f"The 'rules' parameter of {func} must be a preset name "
                f"({', '.join(repr(k) for k in RFM_PRESETS)}) or a sequence of segment rules; "
                f"got {type(rules).__name__} {rules!r}."
            )
            raise ValidationError(msg)
        rule_list = tuple(_rule(r) for r in rules)
        default_other = "Others"
        if not rule_list:
            msg = "The 'rules' parameter of rfm_segments holds no rule."
            raise ValidationError(msg)
    if other is not None and (not isinstance(other, str) or not other.strip()):
        # other=5 would become the label "5", other="" a blank segment in every table
        msg = (
            f"The 'other' parameter of {func} must be a non-empty text (the label of "
            f"unmatched customers) or None; got {other!r:.60}."
        )
        raise ValidationError(msg)
    label_other = default_other if other is None else other
    names = list(dict.fromkeys(r.name for r in rule_list))
    if label_other not in names:
        names.append(label_other)
    frame, _ = numeric_columns(
        as_frame(scores, name="scores"),
        ["R", "F", "M"],
        func=func,
        bounds=(1, 99),
        integer=True,
        name="scores",
    )
    if preset is not None:
        _check_preset_scale(frame, preset, func)
    r = frame["R"].to_numpy().astype(np.int64)
    f = frame["F"].to_numpy().astype(np.int64)
    m = frame["M"].to_numpy().astype(np.int64)
    nr, nf, nm = (int(a.max()) if a.size else 1 for a in (r, f, m))
    gr, gf, gm = np.meshgrid(
        np.arange(1, nr + 1), np.arange(1, nf + 1), np.arange(1, nm + 1), indexing="ij"
    )
    cube = (gr.ravel(), gf.ravel(), gm.ravel())
    table = np.full(cube[0].shape[0], names.index(label_other), dtype=np.int16)
    free = np.ones(cube[0].shape[0], dtype=bool)
    for rule in rule_list:  # a handful of rules over the (small) score cube
        hit = free & rule.mask(*cube)
        table[hit] = names.index(rule.name)
        free &= ~hit
    cell = (r - 1) * (nf * nm) + (f - 1) * nm + (m - 1)
    codes: npt.NDArray[np.int16] = table[cell]
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=pd.Index(names)),
        index=frame.index,
        name="segment",
        copy=False,
    )

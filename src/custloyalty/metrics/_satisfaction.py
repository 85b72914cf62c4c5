"""Satisfaction: CSAT (top box and mean score), customer effort score, ACSI-style index.

Survey answers arrive one row per respondent and one column per questionnaire item.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from custloyalty import _frames
from custloyalty._results import Result
from custloyalty._validation import check_nan_policy, check_probability, format_examples
from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.metrics._pls import _check_scale
from custloyalty.metrics._recommendation import kish_n, ratings_1d, weights_1d, wilson_interval

__all__ = [
    "CESResult",
    "CSATResult",
    "MeanScoreResult",
    "SatisfactionIndexResult",
    "ces",
    "csat",
    "csat_mean",
    "satisfaction_index",
]

FloatArray = npt.NDArray[np.float64]


def _int_scale(scale: Any, func: str) -> tuple[int, int]:
    lo, hi = _check_scale(scale, func)
    if lo != int(lo) or hi != int(hi):
        msg = f"The 'scale' parameter of {func} must be a pair of integers; got {scale!r}."
        raise ValidationError(msg)
    return int(lo), int(hi)


def _box(value: int, name: str, lo: int, hi: int, func: str) -> int:
    whole = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if not whole or not np.isfinite(value) or int(value) != value or not 1 <= value <= hi - lo:
        msg = (
            f"The {name!r} parameter of {func} must be an integer in [1, {hi - lo}] for the "
            f"scale ({lo}, {hi}); got {value!r}."
        )
        raise ValidationError(msg)
    return int(value)


def _weighted(
    ratings: Any, sample_weight: Any, lo: int, hi: int, nan_policy: str, func: str
) -> tuple[FloatArray, FloatArray | None, float]:
    policy = check_nan_policy(nan_policy, func=func)
    arr, keep = ratings_1d(ratings, "ratings", low=lo, high=hi, nan_policy=policy)
    w = (
        None
        if sample_weight is None
        else weights_1d(sample_weight, ratings, keep, func=func, name="sample_weight")
    )
    return arr, w, kish_n(w, arr.shape[0])


def _mean_se(x: FloatArray, w: FloatArray | None, n_eff: float) -> tuple[float, float]:
    """Mean and its standard error (unbiased for unit weights), NaN SE for one answer."""
    if w is None:
        w = np.ones_like(x)
    mean = float(np.dot(w, x) / w.sum())
    if n_eff <= 1:
        warnings.warn(
            "The standard error of a mean needs at least two answers; returning NaN.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return mean, float("nan")
    var = float(np.dot(w, (x - mean) ** 2) / w.sum()) * n_eff / (n_eff - 1.0)
    return mean, float(np.sqrt(var / n_eff))


def _t_interval(mean: float, se: float, n_eff: float, confidence: float) -> tuple[float, float]:
    if not np.isfinite(se):
        return float("nan"), float("nan")
    t = float(stats.t.ppf(0.5 + confidence / 2.0, n_eff - 1.0))
    return mean - t * se, mean + t * se


# --------------------------------------------------------------------------------------------
# CSAT
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CSATResult(Result):
    """Customer satisfaction score: share of top-box answers, with a Wilson interval."""

    statistic: float
    """Percentage of satisfied answers (the top ``top_box`` points), in [0, 100]; higher is
    better."""
    ci: tuple[float, float]
    """Wilson score interval of ``statistic`` (percent)."""
    mean: float
    """Mean rating, on the answer scale."""
    n: int
    """Answers used."""
    n_effective: float
    """Kish effective sample size (``n`` without weights)."""
    confidence: float
    """Confidence level of ``ci``."""

    @property
    def score(self) -> float:
        """The CSAT percentage: an alias of :attr:`statistic`."""
        return self.statistic


def csat(
    ratings: Any,
    /,
    *,
    scale: tuple[int, int] = (1, 5),
    top_box: int = 2,
    sample_weight: Any = None,
    confidence: float = 0.95,
    nan_policy: str = "raise",
) -> CSATResult:
    r"""Compute the customer satisfaction score (CSAT): percentage of top-box answers.

    On the usual 1-5 scale ("very dissatisfied" .. "very satisfied") with ``top_box=2`` the
    satisfied answers are 4 and 5. See the "Measuring satisfaction and recommendation" guide.

    Parameters
    ----------
    ratings
        One integer rating per respondent on ``scale``.
    scale
        ``(min, max)`` integer answer scale; default ``(1, 5)``.
    top_box
        How many of the highest scale points count as satisfied; default 2.
    sample_weight
        Optional non-negative respondent weights (Kish effective size for the interval).
        Matched to ``ratings`` by index label when both are Series, else by position.
    confidence
        Confidence level of the interval; default 0.95.
    nan_policy
        ``"raise"`` (default) or ``"omit"`` missing ratings.

    Returns
    -------
    CSATResult
        ``score`` in [0, 100] (percent satisfied, higher is better), Wilson ``ci``, ``mean``,
        ``n``, ``n_effective``, ``confidence``.

    Raises
    ------
    ValidationError
        Ratings that are not integers on ``scale`` (shown with their index), an invalid
        ``scale`` or ``top_box`` (a bool, NaN or string is not a box size), bad weights,
        missing ratings under ``"raise"``.

    See Also
    --------
    csat_mean : Mean satisfaction score with a t interval.
    ces : Customer effort score.
    nps : Net Promoter Score.

    Notes
    -----
    With $p$ the (weighted) share of answers $\ge \max - \mathrm{top\_box} + 1$ and
    $n$ the (effective) number of answers, $\mathrm{CSAT} = 100\,p$ and the Wilson interval is

    $$\frac{p + \frac{z^2}{2n} \pm z\sqrt{\frac{p(1-p)}{n} + \frac{z^2}{4n^2}}}
      {1 + \frac{z^2}{n}}.$$

    References
    ----------
    Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The
    American Customer Satisfaction Index: Nature, purpose, and findings. *Journal of
    Marketing*, 60(4), 7-18. https://doi.org/10.1177/002224299606000403

    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *Journal of the American Statistical Association*, 22(158), 209-212.
    https://doi.org/10.1080/01621459.1927.10502953

    Examples
    --------
    >>> from custloyalty.metrics import csat
    >>> r = csat([5, 4, 4, 3, 2, 5, 1, 4])
    >>> r.score, r.mean
    (62.5, 3.5)
    >>> tuple(round(v, 1) for v in r.ci)
    (30.6, 86.3)
    """
    func = "csat"
    lo, hi = _int_scale(scale, func)
    box = _box(top_box, "top_box", lo, hi, func)
    conf = check_probability(confidence, "confidence", func=func)
    x, w, n_eff = _weighted(ratings, sample_weight, lo, hi, nan_policy, func)
    top = x >= hi - box + 1
    if w is None:
        p = float(np.count_nonzero(top)) / x.shape[0]
        mean = float(x.mean())
    else:
        p = float(w[top].sum() / w.sum())
        mean = float(np.dot(w, x) / w.sum())
    low, high = wilson_interval(p, n_eff, conf)
    return CSATResult(
        statistic=100.0 * p,
        ci=(100.0 * low, 100.0 * high),
        mean=mean,
        n=int(x.shape[0]),
        n_effective=n_eff,
        confidence=conf,
    )


@dataclass(frozen=True, slots=True)
class MeanScoreResult(Result):
    """Mean rating with its standard error, t interval and 0-100 rescaling."""

    statistic: float
    """Mean rating, on the answer scale."""
    se: float
    """Standard error of ``mean``."""
    ci: tuple[float, float]
    """t interval of ``mean``."""
    index: float
    """``mean`` rescaled to [0, 100]: 100 (mean - min) / (max - min); higher is better."""
    n: int
    """Answers used."""
    n_effective: float
    """Kish effective sample size."""
    confidence: float
    """Confidence level of ``ci``."""

    @property
    def mean(self) -> float:
        """The mean rating: an alias of :attr:`statistic`."""
        return self.statistic


def csat_mean(
    ratings: Any,
    /,
    *,
    scale: tuple[int, int] = (1, 5),
    sample_weight: Any = None,
    confidence: float = 0.95,
    nan_policy: str = "raise",
) -> MeanScoreResult:
    r"""Mean satisfaction score with a t interval and its 0-100 rescaling.

    Parameters
    ----------
    ratings
        One integer rating per respondent on ``scale``.
    scale
        ``(min, max)`` integer answer scale; default ``(1, 5)``.
    sample_weight
        Optional non-negative respondent weights.
        Matched to ``ratings`` by index label when both are Series, else by position.
    confidence
        Confidence level of the interval; default 0.95.
    nan_policy
        ``"raise"`` (default) or ``"omit"`` missing ratings.

    Returns
    -------
    MeanScoreResult
        ``mean`` (on the scale), ``se``, ``ci``, ``index`` in [0, 100] (higher is better),
        ``n``, ``n_effective``, ``confidence``. A single answer gives a NaN ``se`` with an
        :class:`~custloyalty.errors.UndefinedMetricWarning`.

    Raises
    ------
    ValidationError
        Ratings off the integer scale, bad scale or weights, missing ratings under
        ``"raise"``.

    See Also
    --------
    csat : Top-box share.
    satisfaction_index : Multi-item 0-100 index.

    Notes
    -----
    $\bar x = \sum_i w_i x_i / \sum_i w_i$,
    $\mathrm{SE} = \sqrt{s_w^2 / n_\mathrm{eff}}$ with
    $s_w^2 = \frac{n_\mathrm{eff}}{n_\mathrm{eff} - 1}\sum_i w_i (x_i - \bar x)^2 / \sum_i w_i$
    (the usual sample variance for unit weights), interval
    $\bar x \pm t_{n_\mathrm{eff} - 1}\,\mathrm{SE}$, and
    $\mathrm{index} = 100\,(\bar x - \min)/(\max - \min)$.

    References
    ----------
    Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The
    American Customer Satisfaction Index: Nature, purpose, and findings. *Journal of
    Marketing*, 60(4), 7-18. https://doi.org/10.1177/002224299606000403

    Examples
    --------
    >>> from custloyalty.metrics import csat_mean
    >>> r = csat_mean([5, 4, 4, 3, 2, 5, 1, 4])
    >>> r.mean, r.index, round(r.se, 3)
    (3.5, 62.5, 0.5)
    """
    func = "csat_mean"
    lo, hi = _int_scale(scale, func)
    conf = check_probability(confidence, "confidence", func=func)
    x, w, n_eff = _weighted(ratings, sample_weight, lo, hi, nan_policy, func)
    mean, se = _mean_se(x, w, n_eff)
    return MeanScoreResult(
        statistic=mean,
        se=se,
        ci=_t_interval(mean, se, n_eff, conf),
        index=100.0 * (mean - lo) / (hi - lo),
        n=int(x.shape[0]),
        n_effective=n_eff,
        confidence=conf,
    )


@dataclass(frozen=True, slots=True)
class CESResult(Result):
    """Customer effort score: mean effort and share of easy answers."""

    statistic: float
    """Mean effort on the scale; **lower is better** (less effort)."""
    se: float
    """Standard error of ``mean``."""
    ci: tuple[float, float]
    """t interval of ``mean``."""
    easy: float
    """Share of answers in the ``easy_box`` lowest points, in [0, 1]; higher is better."""
    easy_ci: tuple[float, float]
    """Wilson interval of ``easy``."""
    n: int
    """Answers used."""
    n_effective: float
    """Kish effective sample size."""
    confidence: float
    """Confidence level of the intervals."""

    @property
    def mean(self) -> float:
        """The mean effort score: an alias of :attr:`statistic`."""
        return self.statistic


def ces(
    ratings: Any,
    /,
    *,
    scale: tuple[int, int] = (1, 7),
    easy_box: int = 3,
    sample_weight: Any = None,
    confidence: float = 0.95,
    nan_policy: str = "raise",
) -> CESResult:
    r"""Compute the customer effort score (CES): mean effort and share of easy answers.

    The question "How much effort did you personally have to put forth to handle your
    request?" is answered from 1 (very low effort) to 7 (very high effort); lower is better.
    If your questionnaire asks the agreement form ("The company made it easy..."), reverse
    it first (``8 - x`` on 1-7).

    Parameters
    ----------
    ratings
        One integer answer per respondent on ``scale``.
    scale
        ``(min, max)`` integer scale; default ``(1, 7)``.
    easy_box
        How many of the lowest points count as easy; default 3 (1-3, below the midpoint of
        the 1-7 scale).
    sample_weight
        Optional non-negative respondent weights.
        Matched to ``ratings`` by index label when both are Series, else by position.
    confidence
        Confidence level of the intervals; default 0.95.
    nan_policy
        ``"raise"`` (default) or ``"omit"`` missing answers.

    Returns
    -------
    CESResult
        ``mean`` (lower is better), ``se``, ``ci``, ``easy`` in [0, 1] (higher is better),
        ``easy_ci``, ``n``, ``n_effective``, ``confidence``.

    Raises
    ------
    ValidationError
        Answers off the integer scale, bad scale, ``easy_box`` or weights, missing answers
        under ``"raise"``.

    See Also
    --------
    csat : Customer satisfaction score.
    nps : Net Promoter Score.

    Notes
    -----
    $\mathrm{CES} = \sum_i w_i x_i / \sum_i w_i$ (t interval as in :func:`csat_mean`) and
    $\mathrm{easy} = \sum_i w_i [x_i \le \min + \mathrm{easy\_box} - 1] / \sum_i w_i$
    (Wilson interval as in :func:`csat`).

    References
    ----------
    Dixon, M., Freeman, K., & Toman, N. (2010). Stop trying to delight your customers.
    *Harvard Business Review*, 88(7/8), 116-122.

    Examples
    --------
    >>> from custloyalty.metrics import ces
    >>> r = ces([1, 2, 2, 5, 7, 3])
    >>> round(r.mean, 2), r.easy
    (3.33, 0.6666666666666666)
    """
    func = "ces"
    lo, hi = _int_scale(scale, func)
    box = _box(easy_box, "easy_box", lo, hi, func)
    conf = check_probability(confidence, "confidence", func=func)
    x, w, n_eff = _weighted(ratings, sample_weight, lo, hi, nan_policy, func)
    mean, se = _mean_se(x, w, n_eff)
    easy_mask = x <= lo + box - 1
    if w is None:
        easy = float(np.count_nonzero(easy_mask)) / x.shape[0]
    else:
        easy = float(w[easy_mask].sum() / w.sum())
    return CESResult(
        statistic=mean,
        se=se,
        ci=_t_interval(mean, se, n_eff, conf),
        easy=easy,
        easy_ci=wilson_interval(easy, n_eff, conf),
        n=int(x.shape[0]),
        n_effective=n_eff,
        confidence=conf,
    )


# --------------------------------------------------------------------------------------------
# satisfaction index
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SatisfactionIndexResult(Result):
    """ACSI-style 0-100 satisfaction index, overall and per respondent."""

    statistic: float
    """Index of the item means, in [0, 100]; higher is better."""
    per_respondent: pd.Series
    """Each respondent's weighted rescaled mean of their items, in [0, 100], named
    ``"satisfaction_index"`` and indexed like the survey."""
    item_weights: pd.Series
    """Item weights, normalised to sum 1."""
    item_means: pd.Series
    """Mean of each item on the answer scale."""
    n: int
    """Respondents."""
    scale: tuple[float, float]
    """Answer scale ``(min, max)``."""

    @property
    def overall(self) -> float:
        """The overall index: an alias of :attr:`statistic`."""
        return self.statistic


def numeric_weights(
    values: Sequence[Any], labels: Sequence[Hashable], *, name: str, func: str
) -> FloatArray:
    """Convert a short list of weights (one per item or dimension) to floats.

    Values that are not numbers raise :class:`ValidationError` naming the parameter and
    showing the offending entries with their labels.
    """

    def _num(v: Any) -> float | None:
        try:
            return float(v)
        except (TypeError, ValueError):
            return None

    # booleans are not weights (a mask passed by mistake): refused like other non-numbers
    nums = [None if isinstance(v, bool | np.bool_) else _num(v) for v in values]
    bad = [i for i, v in enumerate(nums) if v is None]
    if bad:
        msg = (
            f"The {name!r} parameter of {func} must hold numbers; {len(bad)} are not "
            f"{format_examples([labels[i] for i in bad], [values[i] for i in bad])}."
        )
        raise ValidationError(msg)
    return np.array(nums, dtype=np.float64)


def _item_weights(weights: Any, cols: Sequence[Hashable], func: str) -> FloatArray:
    if weights is None:
        return np.full(len(cols), 1.0 / len(cols))
    if isinstance(weights, Mapping):
        unknown = [k for k in weights if k not in cols]
        if unknown:
            msg = (
                f"The 'item_weights' of {func} name items {unknown!r} that are not among {cols!r}."
            )
            raise ValidationError(msg)
        raw = numeric_weights(
            [weights.get(c, 0.0) for c in cols], cols, name="item_weights", func=func
        )
    else:
        values = list(np.asarray(weights, dtype=object).ravel())
        if len(values) != len(cols):
            msg = (
                f"The 'item_weights' of {func} must have one value per item ({len(cols)}); "
                f"got {len(values)}."
            )
            raise ValidationError(msg)
        raw = numeric_weights(values, cols, name="item_weights", func=func)
    bad = ~np.isfinite(raw) | (raw < 0)
    if bad.any():
        pos = np.flatnonzero(bad)
        msg = (
            f"The 'item_weights' of {func} must be finite and >= 0; "
            f"{format_examples([cols[int(i)] for i in pos], raw[pos])}."
        )
        raise ValidationError(msg)
    if not raw.sum() > 0:
        msg = f"The 'item_weights' of {func} must have a positive sum."
        raise ValidationError(msg)
    out: FloatArray = raw / raw.sum()
    return out


def _row_dot(x: npt.NDArray[np.float64], w: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Return ``x @ w`` one item at a time: a respondent's value never depends on the others.

    A BLAS product blocks the rows, so its last bit can change with the number of rows; the
    scorecard's batch invariance (a customer scored alone equals the whole base) needs the
    same bits in every batch.
    """
    out = np.zeros(x.shape[0])
    for k in range(x.shape[1]):  # a handful of items, fixed order
        out += x[:, k] * w[k]
    return out


def satisfaction_index(
    items: Any,
    /,
    *,
    columns: Sequence[Hashable] | None = None,
    item_weights: Mapping[Hashable, float] | Sequence[float] | None = None,
    scale: tuple[float, float] = (1, 10),
    nan_policy: str = "raise",
) -> SatisfactionIndexResult:
    r"""ACSI-style satisfaction index on 0-100 from several satisfaction items.

    Each item's mean is rescaled from its answer scale to 0-100 and the items are averaged
    with fixed weights (equal by default). For weights estimated from a path model (the
    ACSI / ECSI way), fit :func:`pls_path_model` and call ``result.index("SAT")``.

    Parameters
    ----------
    items
        Survey table, one row per respondent; a Series is treated as a single item.
    columns
        Item columns; default the keys of a mapping ``item_weights``, else every column.
    item_weights
        Item weights: a mapping item -> weight (or a Series indexed by item, matched by
        label) or a sequence in column order, non-negative, normalised to sum 1. ``None``
        (default): equal weights.
    scale
        ``(min, max)`` of the answer scale; default ``(1, 10)``. Answers outside raise.
    nan_policy
        ``"raise"`` (default) raises on missing answers. ``"omit"`` uses the available
        answers: item means over answering respondents, and each respondent's index over the
        items they answered (weights renormalised; NaN if they answered none).

    Returns
    -------
    SatisfactionIndexResult
        ``statistic`` (also readable as ``overall``) in [0, 100] (higher is better),
        ``per_respondent`` (Series in [0, 100]), normalised ``item_weights``, ``item_means``,
        ``n`` and ``scale``. Without missing values ``statistic`` equals the mean of
        ``per_respondent``.

    Raises
    ------
    ValidationError
        Missing or non-numeric columns, answers outside ``scale``, missing answers under
        ``"raise"``, non-numeric (booleans included), negative or zero-sum weights, an item
        nobody answered that
        has a positive weight (an unanswered item of weight 0 is ignored and keeps a NaN
        ``item_means`` entry).

    See Also
    --------
    pls_path_model : Estimate the weights from an ECSI / ACSI path model.
    csat : Single-question top-box satisfaction.

    Notes
    -----
    With item means $\bar x_i$, weights $w_i$ and the scale $[\min, \max]$,

    $$\mathrm{SI} = 100\,\frac{\sum_i w_i (\bar x_i - \min)}{(\max - \min) \sum_i w_i},$$

    and per respondent $j$ the same expression with $x_{ij}$ in place of $\bar x_i$.

    References
    ----------
    Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The
    American Customer Satisfaction Index: Nature, purpose, and findings. *Journal of
    Marketing*, 60(4), 7-18. https://doi.org/10.1177/002224299606000403

    Examples
    --------
    >>> from custloyalty.datasets import load_ecsi
    >>> from custloyalty.metrics import satisfaction_index
    >>> survey = load_ecsi("satisfaction")
    >>> sat = ["sat1", "sat2", "sat3", "sat4"]
    >>> si = satisfaction_index(survey, columns=sat, scale=(0, 10))  # answers run 0..10
    >>> round(si.overall, 1)
    68.3
    >>> si.per_respondent.head(3).round(1).tolist()
    [65.0, 75.0, 82.5]
    """
    func = "satisfaction_index"
    policy = check_nan_policy(nan_policy, func=func)
    lo, hi = _check_scale(scale, func)
    if isinstance(items, pd.Series):
        items = items.to_frame(name=items.name if items.name is not None else "item")
    given: object = item_weights  # a Series is not a Mapping to the type checker
    if isinstance(given, pd.Series):  # labelled: matched by item name, as a mapping
        _frames.check_unique_index(given.index, "item_weights", func=func, label="item")
        item_weights = dict(given.items())
    if columns is None and isinstance(item_weights, Mapping):
        columns = list(item_weights)
    frame, missing = _frames.numeric_columns(
        items, columns, nan_policy=policy, func=func, bounds=(lo, hi), name="items"
    )
    cols = list(frame.columns)
    w = _item_weights(item_weights, cols, func)
    x = frame.to_numpy(dtype=np.float64)
    span = hi - lo
    used = w > 0
    if missing.any():
        answered = ~np.isnan(x)
        counts = answered.sum(axis=0)
        empty_pos = np.flatnonzero((counts == 0) & used)
        if empty_pos.size:
            empty = [cols[i] for i in empty_pos]
            msg = f"Items {empty!r} have no answers; drop them or give them weight 0."
            raise ValidationError(msg)
        with np.errstate(invalid="ignore", divide="ignore"):
            # an unanswered item (weight 0) keeps a NaN mean and takes no part below
            means = np.nansum(x, axis=0) / counts
        den = _row_dot(answered.astype(np.float64), w)
        num = _row_dot(np.where(answered, x - lo, 0.0), w)
        with np.errstate(invalid="ignore", divide="ignore"):
            per = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan) / span * 100.0
    else:
        means = x.mean(axis=0)
        per = _row_dot(x - lo, w) / span * 100.0
    # weights sum to 1 only up to rounding: keep the index inside its documented range
    per = np.clip(per, 0.0, 100.0)
    level = float((means[used] - lo) @ w[used])
    overall = float(np.clip(level / span * 100.0, 0.0, 100.0))
    return SatisfactionIndexResult(
        statistic=overall,
        per_respondent=pd.Series(per, index=frame.index, name="satisfaction_index"),
        item_weights=pd.Series(w, index=pd.Index(cols), name="weight"),
        item_means=pd.Series(means, index=pd.Index(cols), name="mean"),
        n=int(x.shape[0]),
        scale=(lo, hi),
    )

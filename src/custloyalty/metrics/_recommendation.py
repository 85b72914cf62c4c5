"""Recommendation: the Net Promoter Score (NPS), its standard error, tests and segments.

Survey answers arrive one row per respondent; the recommendation question ("How likely is it
that you would recommend us to a friend or colleague?") is answered on the 0-10 scale.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from custloyalty import _frames
from custloyalty._results import Result
from custloyalty._validation import (
    NanPolicy,
    as_1d_float,
    check_nan_policy,
    check_option,
    check_probability,
    format_examples,
    plural,
)
from custloyalty.errors import (
    DegenerateIntervalWarning,
    UndefinedMetricWarning,
    ValidationError,
)

__all__ = [
    "NPSResult",
    "NPSTestResult",
    "nps",
    "nps_by",
    "nps_category",
    "nps_test",
]

FloatArray = npt.NDArray[np.float64]

#: Labels of :func:`nps_category`, in increasing order of loyalty.
NPS_CATEGORIES = ("detractor", "passive", "promoter")


# --------------------------------------------------------------------------------------------
# shared 1-D helpers (also used by the CSAT / CES functions)
# --------------------------------------------------------------------------------------------
def _labels(values: Any, keep: npt.NDArray[np.bool_]) -> npt.NDArray[Any]:
    """Index labels of the kept entries (Series labels, else positions)."""
    if isinstance(values, pd.Series):
        return np.asarray(values.index)[keep]
    return np.flatnonzero(keep)


def _is_sequence(values: Any) -> bool:
    return isinstance(values, list | tuple) and all(
        not isinstance(v, list | tuple | np.ndarray) for v in values[:1]
    )


def _bool_flags(values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Entries of a 1-D object array that are Python or NumPy booleans."""
    if values.dtype != object or values.ndim != 1:
        return np.zeros(values.shape[0] if values.ndim else 0, dtype=bool)
    is_bool = np.frompyfunc(lambda v: isinstance(v, bool | np.bool_), 1, 1)
    return np.asarray(is_bool(values), dtype=bool)


def _check_hashable(s: pd.Series, col: Hashable, func: str) -> None:
    """Refuse segment labels that cannot be grouped (lists, dicts, sets in a column)."""
    if s.dtype.kind != "O":
        return
    unhashable = np.frompyfunc(lambda v: not isinstance(v, Hashable), 1, 1)
    bad = np.asarray(unhashable(s.to_numpy()), dtype=bool)
    if bad.any():
        msg = (
            f"Column {col!r} has {plural(int(bad.sum()), 'unhashable value')} "
            f"{format_examples(s.index[bad], s.to_numpy()[bad])}; {func} groups by its labels.\n"
            "Hint: turn the values into strings or tuples first."
        )
        raise ValidationError(msg)


def ratings_1d(
    values: Any,
    name: str,
    *,
    low: float,
    high: float,
    integer: bool = True,
    nan_policy: NanPolicy = "raise",
) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Validate 1-D ratings: numeric, finite, integer (optional) and within ``[low, high]``.

    Returns the kept ratings and the mask of kept entries of the input. Offending values are
    shown with their index labels. Booleans are rejected: ``True`` / ``False`` are not ratings.
    """
    if not isinstance(values, pd.Series | pd.DataFrame | np.ndarray):
        # once, here: lists of ratings can be long. A list mixing booleans with numbers
        # becomes an integer array (True -> 1), so look for booleans before converting.
        mixed = np.empty(len(values), dtype=object) if _is_sequence(values) else None
        if mixed is not None:
            mixed[:] = list(values)
            if _bool_flags(mixed).any():
                values = mixed
        if mixed is None or values is not mixed:
            values = np.asarray(values)
    dtype = getattr(values, "dtype", None)
    flags_all = (
        _bool_flags(values.to_numpy() if isinstance(values, pd.Series) else values)
        if dtype is not None and dtype.kind == "O" and getattr(values, "ndim", 1) == 1
        else None
    )
    if (dtype is not None and dtype.kind == "b" and values.ndim == 1) or (
        flags_all is not None and flags_all.any()
    ):
        flags = values if isinstance(values, pd.Series) else pd.Series(values)
        flags = flags[flags.notna()] if flags_all is None else flags[flags_all]
        msg = (
            f"{name} has {plural(int(flags.size), 'boolean value')} "
            f"{format_examples(flags.index, flags.to_numpy())}; ratings must be "
            f"{'integers' if integer else 'numbers'} in [{low:g}, {high:g}].\n"
            "Hint: map the answers to the rating scale before scoring them."
        )
        raise ValidationError(msg)
    arr, keep = as_1d_float(values, name, nan_policy=nan_policy)
    bad = (arr < low) | (arr > high)
    if integer:
        bad |= arr != np.floor(arr)
    if bad.any():
        pos = np.flatnonzero(bad)
        what = "integers in" if integer else "values in"
        msg = (
            f"{name} has {pos.size} values that are not {what} [{low:g}, {high:g}] "
            f"{format_examples(_labels(values, keep)[pos], arr[pos])}."
        )
        raise ValidationError(msg)
    return arr, keep


def _align_weights(weights: Any, ratings: Any, *, func: str, name: str) -> Any:
    """Match a weights Series to a ratings Series by index label (else by position)."""
    if not (isinstance(weights, pd.Series) and isinstance(ratings, pd.Series)):
        return weights
    return _frames.align_to_index(
        weights,
        ratings.index,
        name=name,
        target="ratings",
        func=func,
        extra="raise",
        hint=f"pass {name}.to_numpy() to match the {name} to the ratings by position.",
    )


def weights_1d(
    weights: Any,
    ratings: Any,
    keep: npt.NDArray[np.bool_],
    *,
    func: str,
    name: str = "weights",
) -> FloatArray:
    """Validate respondent weights (one per rating, >= 0, positive sum over kept ratings).

    A weights Series is matched to a ratings Series by index label (see
    :func:`_align_weights`); otherwise weights are matched to ratings by position.
    """
    weights = _align_weights(weights, ratings, func=func, name=name)
    w, _ = as_1d_float(weights, name, nan_policy="raise")
    if w.shape[0] != keep.shape[0]:
        msg = (
            f"The {name!r} parameter of {func} must have one value per rating; got "
            f"{w.shape[0]} weights for {keep.shape[0]} ratings."
        )
        raise ValidationError(msg)
    neg = w < 0
    if neg.any():
        pos = np.flatnonzero(neg)
        msg = f"{name} has {pos.size} negative values {format_examples(pos, w[pos])}."
        raise ValidationError(msg)
    w = w[keep]
    top = float(w.max()) if w.size else 0.0
    if not top > 0:
        msg = f"The {name!r} parameter of {func} must have a positive sum over the kept ratings."
        raise ValidationError(msg)
    # only relative weights matter (shares, Kish's n): scaled to a largest weight of 1, sums
    # and squares of weights near the float limits (1e308, 1e-320) neither overflow nor
    # underflow
    scaled: FloatArray = w / top
    return scaled


def kish_n(weights: FloatArray | None, n: int) -> float:
    """Kish effective sample size, (sum w)^2 / sum w^2 (``n`` without weights)."""
    if weights is None:
        return float(n)
    return float(weights.sum() ** 2 / np.dot(weights, weights))


def z_value(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level."""
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(p: float, n: float, confidence: float) -> tuple[float, float]:
    """Wilson score interval of a proportion ``p`` observed on (effective) ``n`` answers."""
    z = z_value(confidence)
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * np.sqrt(p * (1.0 - p) / n + z2n / (4.0 * n))
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


# --------------------------------------------------------------------------------------------
# NPS
# --------------------------------------------------------------------------------------------
INTERVALS = ("wald", "adjusted_wald")
#: Pseudo-observations (detractors, passives, promoters) of the adjusted-Wald interval, as in
#: R's NPS package (``nps_test(..., test = "adjusted.wald")``, Rocks 2016).
ADJUSTED_WALD_PSEUDO = (0.75, 1.5, 0.75)


@dataclass(frozen=True, slots=True)
class NPSResult(Result):
    """Net Promoter Score with its shares, standard error and confidence interval."""

    statistic: float
    """NPS in [-100, 100], higher is better: 100 * (share of promoters - share of detractors)."""
    promoters: float
    """Share of ratings 9-10, in [0, 1]."""
    passives: float
    """Share of ratings 7-8, in [0, 1]."""
    detractors: float
    """Share of ratings 0-6, in [0, 1]."""
    n: int
    """Number of ratings used (after omitting missing values)."""
    n_effective: float
    """Kish effective sample size (equals ``n`` without weights)."""
    se: float
    """Standard error of ``statistic`` (NPS points, Wald)."""
    ci: tuple[float, float]
    """Confidence interval of ``statistic`` by ``interval``, clipped to [-100, 100]."""
    confidence: float
    """Confidence level of ``ci``."""
    interval: str = "wald"
    """Interval method: ``"wald"`` or ``"adjusted_wald"``."""

    @property
    def score(self) -> float:
        """The NPS: an alias of :attr:`statistic`."""
        return self.statistic


def _nps_stats(p_plus: Any, p_minus: Any, n_eff: Any) -> tuple[Any, Any]:
    """NPS (points) and its Wald standard error from shares and (effective) sizes."""
    score = 100.0 * (p_plus - p_minus)
    var = np.clip(p_plus + p_minus - (p_plus - p_minus) ** 2, 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = 100.0 * np.sqrt(var / n_eff)
    return score, se


def _adjusted(p_plus: Any, p_minus: Any, n_eff: Any) -> tuple[Any, Any, Any]:
    """Shares and size after adding the adjusted-Wald pseudo-observations."""
    d0, m0, p0 = ADJUSTED_WALD_PSEUDO
    n_adj = n_eff + d0 + m0 + p0
    return (p_plus * n_eff + p0) / n_adj, (p_minus * n_eff + d0) / n_adj, n_adj


def nps_interval(
    p_plus: Any, p_minus: Any, n_eff: Any, *, confidence: float, interval: str
) -> tuple[Any, Any]:
    """Lower and upper bounds (NPS points, clipped to [-100, 100]) of the chosen interval.

    Vectorised over groups: the inputs may be arrays of shares and effective sizes.
    """
    z = z_value(confidence)
    if interval == "adjusted_wald":
        centre, se = _nps_stats(*_adjusted(p_plus, p_minus, n_eff))
    else:
        centre, se = _nps_stats(p_plus, p_minus, n_eff)
    return np.clip(centre - z * se, -100.0, None), np.clip(centre + z * se, None, 100.0)


def _warn_degenerate(func: str, what: str, stacklevel: int = 3) -> None:
    warnings.warn(
        f"{func}: {what} has zero width (every rating falls in one NPS category); a Wald "
        "interval cannot express the uncertainty of such a sample.\n"
        "Hint: pass interval='adjusted_wald' (Rocks 2016).",
        DegenerateIntervalWarning,
        stacklevel=stacklevel,
    )


def _nps_from_shares(
    promoters: float,
    detractors: float,
    n: int,
    n_eff: float,
    confidence: float,
    interval: str = "wald",
    *,
    func: str = "nps",
    passives: float | None = None,
) -> NPSResult:
    score, se = _nps_stats(promoters, detractors, n_eff)
    low, high = nps_interval(promoters, detractors, n_eff, confidence=confidence, interval=interval)
    if interval == "wald" and float(se) == 0.0:
        _warn_degenerate(func, "the confidence interval of the NPS", stacklevel=4)
    return NPSResult(
        statistic=float(score),
        promoters=promoters,
        passives=max(0.0, 1.0 - promoters - detractors) if passives is None else passives,
        detractors=detractors,
        n=n,
        n_effective=n_eff,
        se=float(se),
        ci=(float(low), float(high)),
        confidence=confidence,
        interval=interval,
    )


def nps(
    ratings: Any,
    /,
    *,
    sample_weight: Any = None,
    confidence: float = 0.95,
    interval: str = "wald",
    nan_policy: str = "raise",
) -> NPSResult:
    r"""Net Promoter Score of 0-10 recommendation ratings.

    Respondents answering 9 or 10 are *promoters*, 7 or 8 *passives* and 0 to 6 *detractors*;
    the NPS is the share of promoters minus the share of detractors, in points. See the
    "Measuring satisfaction and recommendation" guide.

    Parameters
    ----------
    ratings
        One rating per respondent: integers 0..10 (array-like or Series). Booleans are not
        ratings and are refused, also inside a list or an object array.
    sample_weight
        Optional non-negative respondent weights (survey or post-stratification weights), one
        per rating. Shares become weighted shares and the standard error uses Kish's effective
        sample size. ``None`` (default) weighs every respondent equally. When ``ratings`` and
        ``sample_weight`` are both Series they are matched by index label (the labels must
        correspond one to one); otherwise by position.
    confidence
        Confidence level of the interval, in (0, 1); default 0.95.
    interval
        ``"wald"`` (default): the normal-approximation interval around the NPS;
        ``"adjusted_wald"``: the same after adding 0.75 detractor, 1.5 passive and 0.75
        promoter pseudo-observations, as R's NPS package (Rocks 2016), which keeps its
        coverage in small or one-sided samples where the Wald interval collapses.
    nan_policy
        ``"raise"`` (default) raises on missing ratings; ``"omit"`` drops them (and their
        weights).

    Returns
    -------
    NPSResult
        ``statistic`` (the NPS, also readable as ``score``) in [-100, 100] (higher is
        better), the shares ``promoters``, ``passives``, ``detractors`` in [0, 1], ``n``,
        ``n_effective``, ``se``, ``ci``, ``confidence`` and ``interval``.

    Raises
    ------
    ValidationError
        Ratings that are not integers in 0..10 (shown with their index; booleans are
        rejected), missing ratings under ``nan_policy="raise"``, negative weights, weights of
        the wrong length or whose index labels do not match the ratings', a confidence outside
        (0, 1), an unknown interval.

    Warns
    -----
    DegenerateIntervalWarning
        The Wald interval has zero width (every rating in one category).

    See Also
    --------
    nps_test : Compare the NPS of two independent samples.
    nps_by : NPS per segment or period.
    nps_category : Promoter / passive / detractor label of each rating.

    Notes
    -----
    With $p_+$ and $p_-$ the (weighted) shares of promoters and detractors,

    $$\mathrm{NPS} = 100\,(p_+ - p_-), \qquad
      \mathrm{SE} = 100\sqrt{\frac{p_+ + p_- - (p_+ - p_-)^2}{n_\mathrm{eff}}},$$

    the standard error following from the multinomial variance of the three categories.
    With weights $w_i$, $n_\mathrm{eff} = (\sum_i w_i)^2 / \sum_i w_i^2$ (Kish 1965); without
    weights $n_\mathrm{eff} = n$. The Wald interval is $\mathrm{NPS} \pm z_{1-\alpha/2}\,
    \mathrm{SE}$, clipped to $[-100, 100]$. The adjusted-Wald interval applies the same
    formula to the counts $n_\mathrm{eff} p_- + 0.75$, $n_\mathrm{eff} p_0 + 1.5$ and
    $n_\mathrm{eff} p_+ + 0.75$ (size $n_\mathrm{eff} + 3$), in the spirit of the
    Agresti-Coull interval of a proportion.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*,
    81(12), 46-54.

    Kish, L. (1965). *Survey Sampling*. Wiley, New York.

    Rocks, B. (2016). Interval estimation for the 'Net Promoter Score'. *The American
    Statistician*, 70(4), 365-372. https://doi.org/10.1080/00031305.2016.1158124

    Examples
    --------
    >>> from custloyalty.metrics import nps
    >>> r = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 0])
    >>> r.statistic, r.promoters, r.detractors
    (20.0, 0.5, 0.3)
    >>> round(r.se, 2)
    27.57
    >>> [round(v, 1) for v in nps([10] * 8, interval="adjusted_wald").ci]
    [38.5, 100.0]
    """
    func = "nps"
    policy = check_nan_policy(nan_policy, func=func)
    conf = check_probability(confidence, "confidence", func=func)
    method = check_option(interval, "interval", INTERVALS, func=func)
    arr, keep = ratings_1d(ratings, "ratings", low=0, high=10, nan_policy=policy)
    promoter = arr >= 9
    detractor = arr <= 6
    n = int(arr.shape[0])
    passive = ~(promoter | detractor)
    if sample_weight is None:
        p_plus = float(np.count_nonzero(promoter)) / n
        p_minus = float(np.count_nonzero(detractor)) / n
        p_mid = float(np.count_nonzero(passive)) / n
        n_eff = float(n)
    else:
        w = weights_1d(sample_weight, ratings, keep, func=func, name="sample_weight")
        total = float(w.sum())
        p_plus = float(w[promoter].sum() / total)
        p_minus = float(w[detractor].sum() / total)
        p_mid = float(w[passive].sum() / total)
        n_eff = kish_n(w, n)
    return _nps_from_shares(p_plus, p_minus, n, n_eff, conf, method, func=func, passives=p_mid)


@dataclass(frozen=True, slots=True)
class NPSTestResult(Result):
    """Difference of two Net Promoter Scores with a two-sided z-test."""

    statistic: float
    """``score_a - score_b`` in NPS points, in [-200, 200]."""
    score_a: float
    """NPS of the first sample."""
    score_b: float
    """NPS of the second sample."""
    se: float
    """Standard error of the difference (of the adjusted scores with ``"adjusted_wald"``)."""
    z: float
    """z statistic of the test."""
    p_value: float
    """Two-sided p-value under the normal approximation."""
    ci: tuple[float, float]
    """Confidence interval of the difference, clipped to [-200, 200]."""
    confidence: float
    """Confidence level of ``ci``."""
    n_a: int
    """Ratings in the first sample."""
    n_b: int
    """Ratings in the second sample."""
    interval: str = "wald"
    """Method of the test and interval: ``"wald"`` or ``"adjusted_wald"``."""

    @property
    def difference(self) -> float:
        """``score_a - score_b``: an alias of :attr:`statistic`."""
        return self.statistic


def nps_test(
    a: Any,
    b: Any,
    /,
    *,
    confidence: float = 0.95,
    interval: str = "wald",
    nan_policy: str = "raise",
) -> NPSTestResult:
    r"""Test whether two independent samples have the same Net Promoter Score.

    Parameters
    ----------
    a, b
        Ratings 0..10 of two independent samples (e.g. two regions, or this quarter and the
        same quarter last year with different respondents), or :class:`NPSResult` objects
        already computed (for instance with weights).
    confidence
        Confidence level of the interval of the difference; default 0.95.
    interval
        ``"wald"`` (default) or ``"adjusted_wald"``: the test and interval computed on the
        scores after adding the pseudo-observations of :func:`nps` to each sample, as R's NPS
        package; it stays finite when a sample holds one category only.
    nan_policy
        ``"raise"`` (default) or ``"omit"``, passed to :func:`nps` for raw ratings.

    Returns
    -------
    NPSTestResult
        ``statistic`` (a - b, NPS points; also readable as ``difference``), ``se``, ``z``,
        two-sided ``p_value`` in [0, 1], ``ci`` (clipped to [-200, 200], the range of a
        difference) and the two scores.

    Raises
    ------
    ValidationError
        Invalid ratings (see :func:`nps`), confidence or interval.

    Warns
    -----
    DegenerateIntervalWarning
        Under ``"wald"``, both samples have a zero standard error: ``z`` is infinite (or NaN
        for equal scores) and the p-value 0 (or 1), which overstates the evidence.

    See Also
    --------
    nps : The score and its standard error.

    Notes
    -----
    The two scores are independent, so

    $$z = \frac{\mathrm{NPS}_a - \mathrm{NPS}_b}{\sqrt{\mathrm{SE}_a^2 + \mathrm{SE}_b^2}},
      \qquad p = 2\,(1 - \Phi(|z|)).$$

    With ``"adjusted_wald"`` the scores and standard errors in $z$ and in the interval are
    those of the adjusted counts (see :func:`nps`); ``statistic`` stays the raw difference.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*,
    81(12), 46-54.

    Rocks, B. (2016). Interval estimation for the 'Net Promoter Score'. *The American
    Statistician*, 70(4), 365-372. https://doi.org/10.1080/00031305.2016.1158124

    Examples
    --------
    >>> from custloyalty.metrics import nps_test
    >>> t = nps_test([10] * 60 + [5] * 40, [10] * 40 + [5] * 60)
    >>> round(t.statistic, 6), round(t.z, 3), round(t.p_value, 4)
    (40.0, 2.887, 0.0039)
    """
    func = "nps_test"
    conf = check_probability(confidence, "confidence", func=func)
    method = check_option(interval, "interval", INTERVALS, func=func)
    with warnings.catch_warnings():  # the test warns once, below, about its own interval
        warnings.simplefilter("ignore", DegenerateIntervalWarning)
        ra = a if isinstance(a, NPSResult) else nps(a, confidence=conf, nan_policy=nan_policy)
        rb = b if isinstance(b, NPSResult) else nps(b, confidence=conf, nan_policy=nan_policy)
    diff = ra.statistic - rb.statistic
    if method == "adjusted_wald":
        sa, se_a = _nps_stats(*_adjusted(ra.promoters, ra.detractors, ra.n_effective))
        sb, se_b = _nps_stats(*_adjusted(rb.promoters, rb.detractors, rb.n_effective))
        centre = float(sa - sb)
    else:
        se_a, se_b, centre = ra.se, rb.se, diff
    se = float(np.hypot(se_a, se_b))
    if se > 0:
        z = centre / se
        p = float(2.0 * stats.norm.sf(abs(z)))
    else:
        _warn_degenerate(func, "the interval of the difference")
        z = float("nan") if centre == 0 else float(np.copysign(np.inf, centre))
        p = 1.0 if centre == 0 else 0.0
    half = z_value(conf) * se
    return NPSTestResult(
        statistic=diff,
        score_a=ra.statistic,
        score_b=rb.statistic,
        se=se,
        z=float(z),
        p_value=p,
        # a difference of two scores in [-100, 100] lies in [-200, 200]
        ci=(max(centre - half, -200.0), min(centre + half, 200.0)),
        confidence=conf,
        n_a=ra.n,
        n_b=rb.n,
        interval=method,
    )


def nps_category(ratings: Any, /, *, nan_policy: str = "raise") -> pd.Series:
    r"""Label each 0-10 rating as ``"detractor"`` (0-6), ``"passive"`` (7-8) or ``"promoter"``.

    Parameters
    ----------
    ratings
        Ratings 0..10, one per respondent.
    nan_policy
        ``"raise"`` (default) raises on missing ratings; ``"omit"`` leaves their label missing
        (the result stays aligned with the input).

    Returns
    -------
    pandas.Series
        Ordered categorical ``detractor < passive < promoter`` named ``"nps_category"``, with
        the index of ``ratings`` when it is a Series (else 0..n-1).

    Raises
    ------
    ValidationError
        Ratings that are not integers in 0..10; missing ratings under ``nan_policy="raise"``.

    See Also
    --------
    nps : The score built from these categories.

    Notes
    -----
    The category of a rating $r$ is detractor for $r \le 6$, passive for $r \in \{7, 8\}$
    and promoter for $r \ge 9$.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*,
    81(12), 46-54.

    Examples
    --------
    >>> from custloyalty.metrics import nps_category
    >>> nps_category([10, 7, 3]).tolist()
    ['promoter', 'passive', 'detractor']
    """
    policy = check_nan_policy(nan_policy, func="nps_category")
    arr, keep = ratings_1d(ratings, "ratings", low=0, high=10, nan_policy=policy)
    codes = np.full(keep.shape[0], -1, dtype=np.int8)
    codes[keep] = (arr >= 7).astype(np.int8) + (arr >= 9).astype(np.int8)
    index = ratings.index if isinstance(ratings, pd.Series) else pd.RangeIndex(keep.shape[0])
    dtype = pd.CategoricalDtype(list(NPS_CATEGORIES), ordered=True)
    cat = pd.Categorical.from_codes(codes, dtype=dtype)
    return pd.Series(cat, index=index, name="nps_category")


_NPS_BY_COLUMNS = [
    "score",
    "promoters",
    "passives",
    "detractors",
    "n",
    "n_effective",
    "se",
    "ci_low",
    "ci_high",
]


def nps_by(
    data: Any,
    /,
    *,
    by: Hashable | Sequence[Hashable] | None = None,
    rating: Hashable = "recommend",
    time: Hashable = "date",
    period: str | None = None,
    sample_weight: Hashable | None = None,
    confidence: float = 0.95,
    interval: str = "wald",
    nan_policy: str = "raise",
) -> pd.DataFrame:
    r"""Net Promoter Score per segment and/or period of a survey table.

    One vectorised group-by over the survey: no loop over groups.

    Parameters
    ----------
    data
        Survey table, one row per respondent.
    by
        Column name (or list of names) of the segments, e.g. ``"region"``. ``None`` for periods
        only.
    rating
        Column of the 0-10 recommendation ratings; default ``"recommend"``.
    time, period
        With ``period`` (a pandas period alias: ``"M"``, ``"Q"``, ``"Y"``, ``"W"``), group also
        by calendar period of the answer dates in column ``time`` (default ``"date"``).
        Without ``period`` the dates are not read.
    sample_weight
        Optional column of non-negative respondent weights. A group whose weights are all
        zero has an undefined score: its row is NaN (``n`` still counts its ratings) and an
        :class:`~custloyalty.errors.UndefinedMetricWarning` names it.
    confidence
        Confidence level of ``ci_low`` / ``ci_high``; default 0.95.
    interval
        ``"wald"`` (default) or ``"adjusted_wald"``, as in :func:`nps`.
    nan_policy
        ``"raise"`` (default) raises on missing ratings, dates or weights; ``"omit"`` drops
        those rows. Missing segment labels form their own group.

    Returns
    -------
    pandas.DataFrame
        Indexed by the group keys (segments, then ``period``), with columns ``score``
        ([-100, 100], higher is better), ``promoters``, ``passives``, ``detractors``, ``n``,
        ``n_effective``, ``se``, ``ci_low``, ``ci_high``, as in :func:`nps`.

    Raises
    ------
    ValidationError
        Missing columns, invalid ratings (shown with their rows; booleans are rejected),
        negative weights, neither ``by`` nor ``period`` given, or a ``period`` that is not a
        pandas period alias.

    Warns
    -----
    UndefinedMetricWarning
        Some groups have weights summing to zero; their rows are NaN.

    See Also
    --------
    nps : The score of one sample, with the formulas.

    Notes
    -----
    Per group $g$, $\mathrm{NPS}_g = 100\,(p_{+,g} - p_{-,g})$ with the standard error of
    :func:`nps` computed on the group's (effective) size.

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*,
    81(12), 46-54.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import nps_by
    >>> survey = pd.DataFrame({"region": ["N", "N", "S", "S"], "recommend": [10, 3, 9, 8]})
    >>> nps_by(survey, by="region")[["score", "n"]]
            score  n
    region
    N         0.0  2
    S        50.0  2
    """
    func = "nps_by"
    policy = check_nan_policy(nan_policy, func=func)
    conf = check_probability(confidence, "confidence", func=func)
    method = check_option(interval, "interval", INTERVALS, func=func)
    df = _frames.as_frame(data)
    keys: list[Hashable] = []
    if by is not None:
        # a tuple naming one column (MultiIndex columns) is that column, not a list of them
        columns: list[Hashable] = list(df.columns)
        one = isinstance(by, tuple) and by in columns
        keys = list(by) if isinstance(by, list | tuple) and not one else [by]
    if not keys and period is None:
        msg = f"{func} needs 'by' (segment columns) and/or 'period' (calendar periods)."
        raise ValidationError(msg)
    if period is not None:
        try:
            pd.Period("2000-01-01", freq=str(period))
        except (TypeError, ValueError):
            msg = (
                f"The 'period' parameter of {func} must be a pandas period alias such as "
                f"'M', 'Q', 'Y' or 'W'; got {period!r}.\n"
                "Hint: period aliases differ from offset aliases: use 'M' rather than 'ME' or "
                "'MS'."
            )
            raise ValidationError(msg) from None
    roles: dict[str, Hashable | None] = {
        "rating": rating,
        "sample_weight": sample_weight,
        "time": time if period is not None else None,
    }
    roles.update({f"by[{i}]": key for i, key in enumerate(keys)})
    _frames.distinct_roles(func, **roles)
    _frames.require_columns(df, [*keys, rating] + ([time] if period is not None else []))
    if getattr(df[rating], "dtype", None) is not None and df[rating].dtype.kind == "b":
        msg = (
            f"Column {rating!r} holds booleans; NPS ratings must be integers in [0, 10].\n"
            "Hint: map the answers to the 0-10 scale before scoring them."
        )
        raise ValidationError(msg)
    numeric = [rating] + ([sample_weight] if sample_weight is not None else [])
    vals, missing = _frames.numeric_columns(df, numeric, nan_policy=policy, func=func)
    r = vals[rating].to_numpy()
    bad = ~np.isnan(r) & ((r < 0) | (r > 10) | (r != np.floor(r)))
    if bad.any():
        pos = np.flatnonzero(bad)
        msg = (
            f"Column {rating!r} has {pos.size} values that are not integers in [0, 10] "
            f"{format_examples(df.index[pos], df[rating].to_numpy()[pos])}."
        )
        raise ValidationError(msg)
    for k in keys:
        _check_hashable(df[k], k, func)
    groups: dict[Hashable, Any] = {k: df[k].to_numpy() for k in keys}
    if period is not None:
        dates, miss_d = _frames.coerce_datetime(df[time], time, nan_policy=policy)
        missing = missing | miss_d
        if getattr(dates.dtype, "tz", None) is not None:
            dates = dates.dt.tz_localize(None)
        groups["period"] = dates.dt.to_period(str(period)).to_numpy()
    w = vals[sample_weight].to_numpy() if sample_weight is not None else np.ones(len(df))
    if sample_weight is not None and (w < 0).any():
        pos = np.flatnonzero(w < 0)
        msg = (
            f"Column {sample_weight!r} has {pos.size} negative weights "
            f"{format_examples(df.index[pos], w[pos])}."
        )
        raise ValidationError(msg)
    # group on integer codes: labels of mixed types (tuples next to numbers, None) cannot be
    # compared by a sorted group-by; sorted codes when the labels are orderable
    codes: list[npt.NDArray[np.intp]] = []
    labels: list[pd.Index] = []
    for values in groups.values():
        try:
            c, u = pd.factorize(values, sort=True, use_na_sentinel=False)
        except TypeError:
            c, u = pd.factorize(values, sort=False, use_na_sentinel=False)
        codes.append(c)
        labels.append(pd.Index(u, dtype=object) if u.dtype == object else pd.Index(u))
    work = pd.DataFrame(
        {
            **{f"_k{i}": c for i, c in enumerate(codes)},
            "w": w,
            "wp": w * (r >= 9),
            "wd": w * (r <= 6),
            "w2": w * w,
            "one": 1,
        }
    )
    if missing.any():
        work = work.loc[~missing]
    key_cols = [f"_k{i}" for i in range(len(groups))]
    agg = work.groupby(key_cols, sort=True)[["w", "wp", "wd", "w2", "one"]].sum()
    key_codes = [agg.index.get_level_values(i).to_numpy() for i in range(len(key_cols))]
    names = list(groups)
    if len(names) == 1:
        agg.index = pd.Index(labels[0].take(key_codes[0]), name=names[0], tupleize_cols=False)
    else:
        agg.index = pd.MultiIndex.from_arrays(
            [lab.take(k) for lab, k in zip(labels, key_codes, strict=True)], names=names
        )
    total = agg["w"].to_numpy()
    undefined = total == 0
    if undefined.any():
        bad = agg.index[undefined]
        shown = ", ".join(repr(k) for k in bad[:5])
        warnings.warn(
            f"{func}: the weights sum to 0 in {bad.size} group(s) ({shown}); their NPS is "
            "undefined and their rows are NaN.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        p_plus = agg["wp"].to_numpy() / total
        p_minus = agg["wd"].to_numpy() / total
        n_eff = total**2 / agg["w2"].to_numpy()
        score, se = _nps_stats(p_plus, p_minus, n_eff)
        ci_low, ci_high = nps_interval(p_plus, p_minus, n_eff, confidence=conf, interval=method)
    if method == "wald" and bool(np.any(se == 0)):
        flat = agg.index[se == 0]
        shown = ", ".join(repr(k) for k in flat[:5])
        _warn_degenerate(func, f"the interval of {flat.size} group(s) ({shown})")
    out = pd.DataFrame(
        {
            "score": score,
            "promoters": p_plus,
            "passives": np.clip(1.0 - p_plus - p_minus, 0.0, None),
            "detractors": p_minus,
            "n": agg["one"].to_numpy().astype(np.int64),
            "n_effective": n_eff,
            "se": se,
            "ci_low": ci_low,
            "ci_high": ci_high,
        },
        index=agg.index,
    )
    return out[_NPS_BY_COLUMNS]

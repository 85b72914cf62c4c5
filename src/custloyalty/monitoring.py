r"""Loyalty over time: the evaluation per period, tier migration and alerts on significant change.

:func:`evaluate_over_time` scores the customer base at the end of every calendar period with a
:class:`~custloyalty.scorecard.LoyaltyScorecard` whose weights, normalisation and tier
cut-offs are frozen at a reference period (or refitted every period), tracks the KPIs with
their intervals, the tier migration between consecutive periods, and raises alerts where a
change is statistically significant. See the guide "Monitoring loyalty over time".
"""

from __future__ import annotations

import copy
import math
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
from custloyalty._stats import wilson_interval
from custloyalty._validation import (
    as_1d_float,
    check_nan_policy,
    check_option,
    check_probability,
)
from custloyalty._window import Window, day_of, observe, period_codes
from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.metrics import check_flag
from custloyalty.segmentation import TierMigrationResult, tier_migration

__all__ = ["OverTimeResult", "evaluate_over_time", "population_stability_index"]

FloatArray = npt.NDArray[np.float64]
_FUNC = "evaluate_over_time"
_PERIODS = ("M", "Q", "Y")
#: Population stability index cut-offs: below the first no shift, between them a moderate
#: shift, above the second a major shift (Siddiqi 2006; Yurdakul 2018).
PSI_THRESHOLDS = (0.1, 0.25)
_EPS = 1e-4


@dataclass(frozen=True, slots=True)
class OverTimeResult(Result):
    """The evaluation per period, the migrations between periods and the alerts."""

    kpis: pd.DataFrame
    """Indexed by period (string labels such as ``"1997Q1"``): ``observation_end``,
    ``customers`` (scored: everybody who bought up to the period's end), ``active`` (bought
    in the period), ``composite_mean`` with ``composite_ci_low`` / ``composite_ci_high``,
    ``churn_rate`` (share of the previous period's buyers who did not buy in this one) with
    ``churn_ci_low`` / ``churn_ci_high`` (Wilson), ``respondents``, ``nps`` with
    ``nps_ci_low`` / ``nps_ci_high`` (answers dated in the period; NaN without surveys),
    ``psi`` (composite distribution against the reference period) and one ``share_<tier>``
    column per tier."""
    migrations: dict[str, TierMigrationResult]
    """Tier migration into each period from the previous one, keyed by the later period."""
    alerts: pd.DataFrame
    """One row per significant change: ``period``, ``kpi`` (``nps``, ``churn_rate``,
    ``composite_psi``), ``previous``, ``current``, ``statistic`` (z, or the PSI), ``p_value``
    (NaN for the PSI), ``level`` (``"significant"``, ``"moderate shift"``, ``"major shift"``)
    and a ``message``."""
    weights: pd.DataFrame
    """Indicator weights used in each period (identical rows unless ``refit``)."""
    reference: str
    """Period whose data fitted the scorecard (the first period with ``refit``)."""
    period: str
    """Calendar bucket: ``"M"``, ``"Q"`` or ``"Y"``."""
    refit: bool
    """Whether the scorecard was refitted on every period."""
    alpha: float
    """Significance level of the NPS and churn tests."""
    psi_thresholds: tuple[float, float]
    """PSI cut-offs of a moderate and a major shift."""
    confidence: float
    """Level of the intervals."""


def _psi_sample(values: Any, name: str) -> FloatArray:
    """One PSI sample as floats; strings, booleans and other non-numbers are refused.

    Missing and infinite values are kept (dropped by the caller); a table, a 2-D array or a
    scalar is refused rather than flattened.
    """
    dtype = getattr(values, "dtype", None)
    if dtype is None and not isinstance(values, list | tuple):
        dtype = np.asarray(values).dtype if np.ndim(values) == 0 else None
    kind = getattr(dtype, "kind", None)
    if kind in ("b", "M", "m", "c", "U", "S") or (
        isinstance(values, list | tuple) and np.asarray(values).dtype.kind in "bMmcUS"
    ):
        shown = dtype if dtype is not None else np.asarray(values).dtype
        msg = (
            f"The {name!r} sample of population_stability_index must hold numbers; got "
            f"dtype {shown}.\nHint: pass the scores (e.g. the composite column), not labels."
        )
        raise ValidationError(msg)
    if np.ndim(values) == 0 and not isinstance(values, pd.Series):
        msg = (
            f"The {name!r} sample of population_stability_index must be a one-dimensional "
            f"sequence of numbers; got {type(values).__name__}."
        )
        raise ValidationError(msg)
    out, _ = as_1d_float(
        values,
        f"The {name!r} sample of population_stability_index",
        nan_policy="omit",
        keep_missing=True,
        allow_inf=True,
        allow_empty=True,
        missing_hint=None,
    )
    return out


def population_stability_index(expected: Any, actual: Any, /, *, bins: int = 10) -> float:
    r"""Return the population stability index of ``actual`` against ``expected``.

    Parameters
    ----------
    expected
        Reference values (1-D, finite values used); its quantiles define the bins.
    actual
        Values to compare (1-D, finite values used).
    bins
        Number of quantile bins of ``expected`` (default 10; fewer when values tie).

    Returns
    -------
    float
        PSI >= 0; 0 when the two distributions fill the bins alike. Below 0.1 is usually read
        as no shift, 0.1-0.25 a moderate shift, above 0.25 a major shift.

    Raises
    ------
    ValidationError
        An empty sample, a sample that is not numbers (strings, booleans), or fewer than 2
        bins.

    Notes
    -----
    With $e_b$ and $a_b$ the shares of the two samples in bin $b$ (floored at $10^{-4}$),

    $$\mathrm{PSI} = \sum_b (a_b - e_b) \ln\frac{a_b}{e_b}.$$

    References
    ----------
    Siddiqi, N. (2006). *Credit Risk Scorecards: Developing and Implementing Intelligent
    Credit Scoring*. Wiley. https://doi.org/10.1002/9781119201731

    Yurdakul, B. (2018). *Statistical Properties of Population Stability Index*. PhD thesis,
    Western Michigan University. https://scholarworks.wmich.edu/dissertations/3208

    Examples
    --------
    >>> import numpy as np
    >>> from custloyalty.monitoring import population_stability_index
    >>> rng = np.random.default_rng(0)
    >>> ref = rng.normal(50, 10, 5000)
    >>> round(population_stability_index(ref, rng.normal(50, 10, 5000)), 3)
    0.005
    >>> round(population_stability_index(ref, rng.normal(55, 10, 5000)), 2)
    0.25
    """
    if isinstance(bins, bool | np.bool_) or not isinstance(bins, int | np.integer) or bins < 2:
        msg = (
            f"The 'bins' parameter of population_stability_index must be an int >= 2; got {bins!r}."
        )
        raise ValidationError(msg)
    e = _psi_sample(expected, "expected")
    a = _psi_sample(actual, "actual")
    e, a = e[np.isfinite(e)], a[np.isfinite(a)]
    if e.size == 0 or a.size == 0:
        msg = "population_stability_index needs at least one finite value in each sample."
        raise ValidationError(msg)
    if e.min() == e.max() and (a > e[0]).any():
        warnings.warn(
            f"population_stability_index: every expected value is {e[0]:g}, so its quantile "
            "bins collapse into two (below it, and the rest): the actual values above it "
            "share its bin and their shift goes unseen.\nHint: compare against a reference "
            "sample with spread.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    edges = np.unique(np.quantile(e, np.linspace(0, 1, bins + 1)[1:-1]))
    pe = np.bincount(np.searchsorted(edges, e, side="right"), minlength=edges.size + 1)
    pa = np.bincount(np.searchsorted(edges, a, side="right"), minlength=edges.size + 1)
    se = np.maximum(pe / e.size, _EPS)
    sa = np.maximum(pa / a.size, _EPS)
    return float(np.sum((sa - se) * np.log(sa / se)))


def _card_columns(
    scorecard: Any, *, customer: Hashable, time: Hashable
) -> tuple[Hashable, Hashable]:
    """Return the transactions' customer and time columns: the card's, unless given here.

    A column left at its default follows the scorecard's setting (as the amount column does);
    one given here that differs from the scorecard's own setting is refused.
    """
    out = []
    for name, given, default in (
        ("customer", customer, _frames.CUSTOMER),
        ("time", time, _frames.TIME),
    ):
        own = getattr(scorecard, name, default)
        if given in (default, own):
            out.append(own)
            continue
        if own != default:
            msg = (
                f"{_FUNC}: {name}={given!r} but the scorecard reads the column {own!r}; one "
                f"column cannot be both.\nHint: give the same {name}= to both, or leave it "
                "out here (the scorecard's setting is used)."
            )
            raise ValidationError(msg)
        out.append(given)
    return out[0], out[1]


def _period_label(reference: Any, period: str) -> str:
    """Return the label of the ``reference`` period (a label, a Period or a date in it)."""
    if isinstance(reference, str):
        return reference
    if isinstance(reference, bool | np.bool_ | int | float | np.number):
        msg = (
            f"The 'reference' parameter of {_FUNC} must be a period label such as '1997Q2', "
            f"a pandas.Period or a date; got {type(reference).__name__} {reference!r}."
        )
        raise ValidationError(msg)
    try:
        return str(pd.Period(reference, freq=period))
    except (TypeError, ValueError) as exc:
        msg = (
            f"The 'reference' parameter of {_FUNC} must be a period label such as '1997Q2', "
            f"a pandas.Period or a date; got {reference!r}."
        )
        raise ValidationError(msg) from exc


# ---------------------------------------------------------------------------------------------
# the one place that touches the scorecard
# ---------------------------------------------------------------------------------------------
def _score(
    card: Any, tx: Window, sv: pd.DataFrame | None, end: pd.Timestamp, nan_policy: str
) -> pd.DataFrame:
    """Composite and tier per customer (``ScorecardResult.customers``), window ending ``end``.

    ``observation_end`` is always given: a fitted scorecard refuses purchases after its own
    window otherwise, and each period is scored on its own window.
    """
    res = card.score(tx, sv, observation_end=end, nan_policy=nan_policy)
    table = res.customers
    return pd.DataFrame({"composite": table["composite"], "tier": table["tier"]})


def _fit(
    card: Any, tx: Window, sv: pd.DataFrame | None, end: pd.Timestamp, nan_policy: str
) -> pd.Series:
    """Fit the scorecard on the window ending ``end``; return its weights (sum 1)."""
    card.fit(tx, sv, observation_end=end, nan_policy=nan_policy)
    return pd.Series(card.weights_, dtype=np.float64)


def _nps_change(before: FloatArray, after: FloatArray, conf: float) -> tuple[float, float]:
    """Return z and the two-sided p of the NPS change from ``before`` to ``after`` (nps_test)."""
    from custloyalty.metrics import nps_test

    test = nps_test(after, before, confidence=conf)
    z = getattr(test, "z", getattr(test, "statistic", math.nan))
    return float(z), float(test.p_value)


# ---------------------------------------------------------------------------------------------
def _two_proportion(k1: float, n1: float, k2: float, n2: float) -> tuple[float, float]:
    """Pooled two-proportion z test of k2/n2 against k1/n1: (z, two-sided p)."""
    if n1 <= 0 or n2 <= 0:
        return math.nan, math.nan
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return math.nan, 1.0
    z = (k2 / n2 - k1 / n1) / se
    return z, float(2 * stats.norm.sf(abs(z)))


def _nps_parts(ratings: FloatArray) -> tuple[float, float, int]:
    """NPS and its standard error (points), and the number of ratings."""
    n = ratings.size
    if n == 0:
        return math.nan, math.nan, 0
    pp = float(np.mean(ratings >= 9))
    pm = float(np.mean(ratings <= 6))
    se = 100.0 * math.sqrt(max(pp + pm - (pp - pm) ** 2, 0.0) / n)
    return 100.0 * (pp - pm), se, n


def evaluate_over_time(
    transactions: Any,
    surveys: Any = None,
    *,
    period: str = "Q",
    scorecard: Any = None,
    reference: Any = None,
    refit: bool = False,
    observation_end: Any = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
    psi_thresholds: Sequence[float] = PSI_THRESHOLDS,
    recommend: Hashable = "recommend",
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    survey_customer: Hashable = "customer_id",
    survey_time: Hashable = "date",
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> OverTimeResult:
    r"""Evaluate loyalty at the end of every period and flag significant changes.

    Every period's evaluation scores the customers who bought up to the period's end, with
    the survey answers dated in the period. The scorecard is fitted once on the reference
    period (weights, normalisation, tier cut-offs and model parameters frozen, so that
    scores are comparable across periods) or, with ``refit=True``, on every period.

    Parameters
    ----------
    transactions
        One row per purchase (the scorecard's customer, time and amount columns).
    surveys
        Optional survey answers with a date column (``survey_time``); each period uses its
        own answers.
    period
        Calendar bucket: ``"M"``, ``"Q"`` (default) or ``"Y"``.
    scorecard
        An unfitted :class:`~custloyalty.scorecard.LoyaltyScorecard` configuration (it is
        copied, never modified); default ``LoyaltyScorecard()``.
    reference
        Period to fit on (a label such as ``"1997Q2"`` or a :class:`pandas.Period`); default
        the first period. Not with ``refit=True``, which fits on every period.
    refit
        Fit the scorecard on every period instead of freezing it at ``reference``.
    observation_end
        Last day evaluated (default: the last purchase); the last period may be partial.
    alpha
        Significance level of the NPS and churn alerts (default 0.05).
    confidence
        Level of the intervals (default 0.95).
    psi_thresholds
        PSI of a moderate and of a major shift of the composite distribution against the
        reference period (default ``(0.1, 0.25)``).
    recommend
        Survey column of the 0-10 recommendation rating used for the NPS.
    customer, time
        Customer id and date columns of the transactions; default the scorecard's own
        (``"customer_id"`` and ``"date"`` unless it was given others).
    survey_customer, survey_time
        Customer id and date columns of the surveys.
    date_format
        Format of date strings (default: inferred).
    nan_policy
        ``"raise"`` (default) on transactions with a missing date, or ``"omit"`` those rows
        (passed on to the scorecard for missing ids and amounts).

    Returns
    -------
    OverTimeResult
        ``kpis`` per period, ``migrations`` between consecutive periods, ``alerts``,
        ``weights`` per period; ``plot()`` draws the series.

    Raises
    ------
    ValidationError
        Bad tables or options (``refit`` not a bool), fewer than two periods, a reference
        outside the periods or given with ``refit=True``; ``customer`` / ``time`` naming
        other columns than the scorecard's own.

    Warns
    -----
    UndefinedMetricWarning
        The surveys have no ``recommend`` column: the NPS columns are NaN. A period
        without any purchase (a likely gap in the data extract).

    See Also
    --------
    custloyalty.scorecard.compare : change between two scorecard results.
    custloyalty.segmentation.tier_migration : migration between two periods.
    custloyalty.metrics.nps_test : the NPS test.

    Notes
    -----
    Churn of period $t$ is the share of the $n_{t-1}$ customers who bought in period $t-1$
    and did not buy in period $t$, $\hat c_t = k_t / n_{t-1}$, with a Wilson interval. A
    change of churn is tested with the pooled two-proportion $z$ test

    $$z = \frac{\hat c_t - \hat c_{t-1}}{\sqrt{\bar c (1 - \bar c)(1/n_{t-1} + 1/n_{t-2})}},$$

    treating the two periods' cohorts as independent (they overlap, so the test is
    approximate). The NPS change is :func:`custloyalty.metrics.nps_test`'s $z$ test between
    the periods' answers. The composite distribution is compared with the reference period
    by the population stability index (:func:`population_stability_index`): a moderate shift
    from 0.1, a major one from 0.25 (Siddiqi 2006). The composite mean's interval is
    $\bar L \pm z_{1-\alpha/2}\, s_L / \sqrt{n}$.

    References
    ----------
    Siddiqi, N. (2006). *Credit Risk Scorecards*. Wiley. https://doi.org/10.1002/9781119201731

    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*,
    81(12), 46-54.

    Examples
    --------
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.monitoring import evaluate_over_time
    >>> from custloyalty.scorecard import LoyaltyScorecard
    >>> card = LoyaltyScorecard(
    ...     ["purchase_days", "total_spend", "days_since_last_purchase"], weighting="equal"
    ... )
    >>> res = evaluate_over_time(load_cdnow("sample"), scorecard=card, period="Q")
    >>> list(res.kpis.index)
    ['1997Q1', '1997Q2', '1997Q3', '1997Q4', '1998Q1', '1998Q2']
    >>> res.kpis["churn_rate"].round(3).tolist()[:3]
    [nan, 0.778, 0.592]
    """
    check_option(period, "period", _PERIODS, func=_FUNC)
    refit = check_flag(refit, "refit", func=_FUNC)
    level = check_probability(alpha, "alpha", func=_FUNC)
    conf = check_probability(confidence, "confidence", func=_FUNC)
    if (
        isinstance(psi_thresholds, str | bytes)
        or not isinstance(psi_thresholds, Sequence | np.ndarray)
        or any(
            isinstance(t, bool | np.bool_) or not isinstance(t, int | float | np.number)
            for t in psi_thresholds
        )
    ):
        msg = (
            f"The 'psi_thresholds' parameter of {_FUNC} must be two increasing positive "
            f"numbers (moderate, major); got {psi_thresholds!r}."
        )
        raise ValidationError(msg)
    cuts = tuple(float(t) for t in psi_thresholds)
    if len(cuts) != 2 or not 0 < cuts[0] < cuts[1]:
        msg = (
            f"The 'psi_thresholds' parameter of {_FUNC} must be two increasing positive "
            f"numbers (moderate, major); got {tuple(psi_thresholds)!r}."
        )
        raise ValidationError(msg)
    if scorecard is None:
        from custloyalty.scorecard import LoyaltyScorecard

        scorecard = LoyaltyScorecard()
    elif not (
        callable(getattr(scorecard, "fit", None)) and callable(getattr(scorecard, "score", None))
    ):
        msg = (
            f"The 'scorecard' parameter of {_FUNC} must be a LoyaltyScorecard; got "
            f"{type(scorecard).__name__}."
        )
        raise ValidationError(msg)

    if refit and reference is not None:
        msg = (
            f"{_FUNC}: reference={reference!r} names the period to fit on, but refit=True fits "
            "on every period, so the reference would be ignored.\nHint: drop reference= or "
            "refit=True."
        )
        raise ValidationError(msg)
    customer, time = _card_columns(scorecard, customer=customer, time=time)
    policy = check_nan_policy(nan_policy, func=_FUNC)
    # the one transaction window, validated once; every period's evaluation cuts it
    window = observe(
        transactions,
        customer=customer,
        time=time,
        amount=getattr(scorecard, "amount", _frames.AMOUNT),
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=policy,
        func=_FUNC,
        keep_rows=True,  # for indicators that read the rows
    )
    tz = window.tz
    entries = window.entries
    end_naive = pd.Timestamp(np.datetime64(window.observation_end, "D"))
    first_naive = pd.Timestamp(np.datetime64(int(entries.day.min()), "D"))
    periods = pd.period_range(
        first_naive.to_period(period), end_naive.to_period(period), freq=period
    )
    if len(periods) < 2:
        msg = (
            f"{_FUNC} needs at least two {period!r} periods between the first purchase and "
            "observation_end; the data span one.\nHint: use a shorter period."
        )
        raise ValidationError(msg)
    labels = [str(p) for p in periods]
    if refit or reference is None:
        ref_label = labels[0]
    else:
        ref_label = _period_label(reference, period)
        if ref_label not in labels:
            msg = f"The 'reference' period {reference!r} of {_FUNC} is not one of {labels!r}."
            raise ValidationError(msg)

    raw_sv = None
    sv_bucket = None
    if surveys is not None:
        raw_sv = _frames.as_frame(surveys, name="surveys")
        _frames.require_columns(raw_sv, [survey_customer, survey_time], name="surveys")
        if recommend not in raw_sv.columns:
            warnings.warn(
                f"{_FUNC}: the surveys have no {recommend!r} column, so the NPS columns of "
                f"kpis are NaN in every period (columns: {list(raw_sv.columns)[:8]!r}).\n"
                "Hint: pass recommend= the column of the 0-10 recommendation rating.",
                UndefinedMetricWarning,
                stacklevel=2,
            )
        sv_dates, _ = _frames.coerce_datetime(
            raw_sv[survey_time], survey_time, date_format=date_format
        )
        if (getattr(sv_dates.dtype, "tz", None) is None) != (tz is None):
            msg = f"The survey and transaction dates of {_FUNC} must both be naive or both aware."
            raise ValidationError(msg)
        sv_local = sv_dates.dt.tz_localize(None) if tz is not None else sv_dates
        sv_bucket = sv_local.dt.to_period(period)

    entry_period = period_codes(entries.day, period)
    starts = np.array([day_of(p.start_time) for p in periods], dtype=np.int64)
    quiet = ~np.isin(period_codes(starts, period), entry_period)
    if quiet.any():
        empty = [lab for lab, q in zip(labels, quiet, strict=True) if q]
        warnings.warn(
            f"{_FUNC}: no purchase at all in {len(empty)} of the {len(labels)} periods "
            f"({', '.join(empty[:5])}{', ...' if len(empty) > 5 else ''}): their active count "
            "is 0 and the churn around them 1 or undefined, which usually means a gap in the "
            "data extract.\n"
            "Hint: check that the transactions cover every period.",
            UndefinedMetricWarning,
            stacklevel=2,
        )

    def data_for(p: pd.Period) -> tuple[Window, pd.DataFrame | None, pd.Timestamp]:
        p_end = min(p.end_time.normalize(), end_naive)
        tx = window  # the scorecard cuts it at the period's end (no validation again)
        sv = None
        if raw_sv is not None and sv_bucket is not None:
            sv = raw_sv.loc[(sv_bucket == p).to_numpy()]
            if len(sv) == 0:  # no answer in the period: score on transactions alone
                sv = None
        stamp = p_end.tz_localize(tz) if tz is not None else p_end
        return tx, sv, stamp

    z = float(stats.norm.ppf(0.5 + conf / 2))
    card = copy.deepcopy(scorecard)
    ref_scores: pd.DataFrame | None = None
    weights_rows: dict[str, pd.Series] = {}
    if not refit:
        tx, sv, stamp = data_for(periods[labels.index(ref_label)])
        frozen_weights = _fit(card, tx, sv, stamp, policy)
    rows: dict[str, dict[str, Any]] = {}
    tiers: dict[str, pd.Series] = {}
    composites: dict[str, FloatArray] = {}
    buyers: dict[str, pd.Index] = {}
    ratings: dict[str, FloatArray] = {}
    for p, label in zip(periods, labels, strict=True):
        tx, sv, stamp = data_for(p)
        if refit:
            card = copy.deepcopy(scorecard)
            weights_rows[label] = _fit(card, tx, sv, stamp, policy)
        else:
            weights_rows[label] = frozen_weights
        scored = _score(card, tx, sv, stamp, policy)
        comp = scored["composite"].to_numpy(dtype=np.float64)
        comp = comp[np.isfinite(comp)]
        composites[label] = comp
        tiers[label] = scored["tier"]
        if label == ref_label:
            ref_scores = scored
        code = period_codes(np.array([day_of(p.start_time)], dtype=np.int64), period)[0]
        buyers[label] = entries.customers[np.unique(entries.customer[entry_period == code])]
        row: dict[str, Any] = {
            "observation_end": stamp,
            "customers": len(scored),
            "active": len(buyers[label]),
        }
        mean = float(comp.mean()) if comp.size else math.nan
        sd = float(comp.std(ddof=1)) if comp.size > 1 else math.nan
        half = z * sd / math.sqrt(comp.size) if comp.size > 1 else math.nan
        row.update(composite_mean=mean, composite_ci_low=mean - half, composite_ci_high=mean + half)
        r = np.zeros(0)
        if sv is not None and recommend in sv:
            vals, _ = _frames.numeric_columns(
                sv,
                [recommend],
                nan_policy="omit",
                bounds=(0, 10),
                integer=True,
                func=_FUNC,
                name="surveys",
            )
            r = vals[recommend].to_numpy()
            r = r[np.isfinite(r)]
        ratings[label] = r
        score, se, n_r = _nps_parts(r)
        row.update(
            respondents=n_r, nps=score, nps_ci_low=score - z * se, nps_ci_high=score + z * se
        )
        rows[label] = row
    assert ref_scores is not None
    ref_comp = composites[ref_label]
    # churn, migration, PSI and shares need the whole series
    tier_names = [str(c) for c in getattr(tiers[labels[0]].dtype, "categories", [])]
    migrations: dict[str, TierMigrationResult] = {}
    alerts: list[dict[str, Any]] = []
    for i, label in enumerate(labels):
        row = rows[label]
        if i == 0:
            row.update(churn_rate=math.nan, churn_ci_low=math.nan, churn_ci_high=math.nan)
        else:
            prev = buyers[labels[i - 1]]
            n_prev = len(prev)
            k = int((~prev.isin(buyers[label])).sum())
            rate = k / n_prev if n_prev else math.nan
            lo, hi = wilson_interval(k, n_prev, conf)
            row.update(churn_rate=rate, churn_ci_low=lo, churn_ci_high=hi, _k=k, _n=n_prev)
            order = tier_names or None
            migrations[label] = tier_migration(tiers[labels[i - 1]], tiers[label], order=order)
        row["psi"] = (
            population_stability_index(ref_comp, composites[label])
            if composites[label].size
            else math.nan
        )
        counts = tiers[label].value_counts(normalize=True)
        for t in tier_names:
            row[f"share_{t}"] = float(counts.get(t, 0.0))
    for i, label in enumerate(labels):
        row = rows[label]
        if i >= 2 and "_k" in rows[labels[i - 1]]:
            before = rows[labels[i - 1]]
            zc, pc = _two_proportion(before["_k"], before["_n"], row["_k"], row["_n"])
            if pc < level:
                alerts.append(
                    _alert(
                        label,
                        "churn_rate",
                        before["churn_rate"],
                        row["churn_rate"],
                        zc,
                        pc,
                        "significant",
                    )
                )
        if i >= 1 and ratings[label].size and ratings[labels[i - 1]].size:
            zn, pn = _nps_change(ratings[labels[i - 1]], ratings[label], conf)
            if pn < level:
                alerts.append(
                    _alert(
                        label,
                        "nps",
                        rows[labels[i - 1]]["nps"],
                        row["nps"],
                        zn,
                        pn,
                        "significant",
                    )
                )
        psi = row["psi"]
        if label != ref_label and np.isfinite(psi) and psi >= cuts[0]:
            kind = "major shift" if psi >= cuts[1] else "moderate shift"
            alerts.append(
                _alert(
                    label,
                    "composite_psi",
                    rows[ref_label]["composite_mean"],
                    row["composite_mean"],
                    psi,
                    math.nan,
                    kind,
                )
            )
    kpis = pd.DataFrame.from_dict(rows, orient="index").drop(columns=["_k", "_n"], errors="ignore")
    kpis.index.name = "period"
    alert_cols = [
        "period",
        "kpi",
        "previous",
        "current",
        "statistic",
        "p_value",
        "level",
        "message",
    ]
    alert_frame = pd.DataFrame(alerts, columns=alert_cols)
    weights = pd.DataFrame(weights_rows).T
    weights.index.name = "period"
    return OverTimeResult(
        kpis=kpis,
        migrations=migrations,
        alerts=alert_frame,
        weights=weights,
        reference=ref_label,
        period=period,
        refit=bool(refit),
        alpha=level,
        psi_thresholds=(cuts[0], cuts[1]),
        confidence=conf,
    )


def _alert(
    label: str, kpi: str, previous: float, current: float, statistic: float, p: float, level: str
) -> dict[str, Any]:
    if kpi == "composite_psi":
        message = (
            f"{label}: the composite distribution moved from the reference (PSI "
            f"{statistic:.3f}: {level}); mean {previous:.1f} -> {current:.1f}."
        )
    else:
        message = (
            f"{label}: {kpi} changed from {previous:.3g} to {current:.3g} "
            f"(z = {statistic:.2f}, p = {p:.3g})."
        )
    return {
        "period": label,
        "kpi": kpi,
        "previous": previous,
        "current": current,
        "statistic": statistic,
        "p_value": p,
        "level": level,
        "message": message,
    }

r"""Effect of a loyalty programme: difference-in-differences of members against non-members.

:func:`programme_effect` compares the change of each outcome (purchase frequency, spend,
retention and, with dated surveys, NPS and satisfaction) from before to after a programme's
launch between the customers who joined and those who did not, with customer-bootstrap
confidence intervals, an optional coarsened exact matching on pre-launch behaviour, and a
placebo test on the pre window. See the guide "Evaluating a loyalty programme".
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _frames
from custloyalty._progress import counter
from custloyalty._results import Result
from custloyalty._validation import check_nan_policy, check_option, check_probability, plural
from custloyalty._window import day_of, observe, per_customer, to_days
from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.metrics import check_flag, check_seed

__all__ = ["OUTCOMES", "ProgrammeEffectResult", "programme_effect"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_FUNC = "programme_effect"
#: Outcomes :func:`programme_effect` can estimate (the last two need dated surveys).
OUTCOMES = ("frequency", "spend", "retention", "nps", "satisfaction")
_SURVEY_OUTCOMES = ("nps", "satisfaction")
#: Survey columns of the survey outcomes (the scorecard's defaults).
RECOMMEND = "recommend"
SAT_ITEMS = ("sat1", "sat2", "sat3")
SAT_SCALE = (1.0, 10.0)
_METHODS = ("did", "matched")
# Pre-window behaviour used for matching, and its coarsening.
_COVARIATES = ("purchase_days", "spend", "days_since_last_purchase")
_FREQ_EDGES = np.array([0.5, 1.5, 2.5, 4.5, 8.5])  # 0, 1, 2, 3-4, 5-8, 9+ purchase days
_QUANTILE_BINS = 4
#: Largest number of distinct enrolment days (cohorts) of a staggered programme.
_MAX_COHORTS = 60


@dataclass(frozen=True, slots=True)
class ProgrammeEffectResult(Result):
    """Effect of a programme on its members, per outcome, with intervals and checks."""

    effects: pd.DataFrame
    """Indexed by outcome: ``estimate`` (difference-in-differences, members minus
    non-members, post minus pre), ``ci_low``, ``ci_high`` (percentile bootstrap), ``se``
    (bootstrap standard deviation), the four group means ``member_pre``, ``member_post``,
    ``nonmember_pre``, ``nonmember_post``, the group sizes ``n_members``, ``n_nonmembers``
    (customers behind each mean; for retention, those active in the earlier window) and
    ``naive`` (members minus non-members after launch, the comparison that self-selection
    biases)."""
    placebo: pd.DataFrame
    """The same estimate for a fake launch ``pre_days / 2`` before the real one, using only
    pre-launch data (``estimate``, ``ci_low``, ``ci_high``, ``se``): its interval should cover
    zero when members and non-members were on parallel trends."""
    balance: pd.DataFrame
    """Indexed by matching covariate (``purchase_days``, ``spend``,
    ``days_since_last_purchase``, measured in the ``pre_days`` before the pre window): the
    means of members and non-members and the standardised mean difference before
    (``smd_before``) and after matching (``smd_after``; equal to ``smd_before`` for
    ``method="did"``)."""
    method: str
    """``"did"`` or ``"matched"``."""
    launch: pd.Timestamp
    """First day of the post window."""
    observation_end: pd.Timestamp
    """Last day of data used."""
    pre_days: int
    """Length of the pre window in days."""
    post_days: int
    """Length of the post window in days."""
    n_members: int
    """Members in the analysed base (bought before the pre window)."""
    n_nonmembers: int
    """Non-members in the analysed base (after matching: those in matched strata)."""
    n_members_excluded: int
    """Member ids not in the base (no purchase before the pre window, or unmatched)."""
    n_cohorts: int
    """Enrolment cohorts analysed (1 unless ``members`` gives enrolment dates)."""
    confidence: float
    """Confidence level of the intervals."""
    n_boot: int
    """Number of bootstrap replicates."""


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------
# day numbers: the window's one day function (local wall-clock days for time-zone-aware dates)
_day_number = day_of
_days = to_days


def _check_days(value: Any, name: str, *, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 2:
        msg = f"The {name!r} parameter of {_FUNC} must be an integer number of days >= 2; "
        msg += f"got {value!r}."
        raise ValidationError(msg)
    return int(value)


def _members(
    members: Any, *, customer: Hashable, time: Hashable, tz: Any, date_format: str | None
) -> tuple[pd.Index, IntArray | None]:
    """Member ids and, for a table, the enrolment day of each (staggered enrolment)."""
    if isinstance(members, pd.DataFrame) or hasattr(members, "to_pandas"):
        df = _frames.as_frame(members, name="members")
        _frames.require_columns(df, [customer, time], name="members")
        _frames.check_ids(df[customer], customer, nan_policy="raise")
        dates, _ = _frames.coerce_datetime(df[time], time, date_format=date_format)
        if (getattr(dates.dtype, "tz", None) is None) != (tz is None):
            msg = (
                f"The enrolment dates of the members and the transaction dates of {_FUNC} must "
                "both be naive or both carry a time zone."
            )
            raise ValidationError(msg)
        ids = pd.Index(df[customer].to_numpy())
        _frames.check_unique_index(
            ids, "members", func=_FUNC, hint="give each member one enrolment date."
        )
        if len(ids) == 0:
            msg = f"The 'members' table of {_FUNC} is empty; at least one member is needed."
            raise ValidationError(msg)
        return ids, _days(dates)
    if isinstance(members, str | bytes) or not isinstance(
        members, Collection | pd.Index | pd.Series | np.ndarray
    ):
        msg = (
            f"The 'members' parameter of {_FUNC} must be a collection of customer ids (list, "
            f"set, array, Series) or a table of ids and enrolment dates; got "
            f"{type(members).__name__}."
        )
        raise ValidationError(msg)
    try:
        dims = 1 if isinstance(members, set | frozenset) else np.ndim(members)  # type: ignore[arg-type]
    except ValueError:  # a ragged nesting: ids that are lists of different lengths
        dims = 1
    if dims != 1:
        msg = (
            f"The 'members' parameter of {_FUNC} must be one-dimensional (one id per member); "
            f"got {dims} dimensions."
        )
        raise ValidationError(msg)
    values = list(members) if isinstance(members, set | frozenset) else members
    try:
        ids = pd.Index(values)
        if ids.dtype == object:
            hash(tuple(ids))  # unhashable ids (lists, dicts) fail here
    except (TypeError, ValueError):
        boxed = np.empty(len(values), dtype=object)
        boxed[:] = list(values)
        raise _frames.unhashable_ids_error(pd.Series(boxed), "members", func=_FUNC) from None
    if ids.inferred_type == "boolean":
        msg = (
            f"The 'members' parameter of {_FUNC} holds booleans ({ids[:5].tolist()!r:.60}); it "
            "takes the ids of the members.\nHint: for a boolean Series indexed by customer, "
            "pass mask.index[mask]."
        )
        raise ValidationError(msg)
    if ids.hasnans:
        msg = f"The 'members' parameter of {_FUNC} holds {int(np.sum(ids.isna()))} missing ids."
        raise ValidationError(msg)
    if len(ids) == 0:
        msg = f"The 'members' parameter of {_FUNC} is empty; at least one member is needed."
        raise ValidationError(msg)
    return ids.unique(), None


def _check_outcomes(outcomes: Any, has_surveys: bool) -> list[str]:
    if isinstance(outcomes, str):
        outcomes = (outcomes,)
    names = list(outcomes)
    if not names:
        msg = f"The 'outcomes' parameter of {_FUNC} is empty; choose among {OUTCOMES}."
        raise ValidationError(msg)
    for name in names:
        check_option(name, "outcomes", OUTCOMES, func=_FUNC)
    if len(set(names)) != len(names):
        msg = f"The 'outcomes' parameter of {_FUNC} repeats an outcome: {names!r}."
        raise ValidationError(msg)
    wanted = [n for n in names if n in _SURVEY_OUTCOMES]
    if wanted and not has_surveys:
        msg = (
            f"The outcomes {wanted!r} of {_FUNC} are survey outcomes and need dated survey "
            "answers.\nHint: pass surveys= (customer id, date and the answer columns)."
        )
        raise ValidationError(msg)
    return names


# ---------------------------------------------------------------------------------------------
# per-customer window aggregates
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Windows:
    """Day numbers of a comparison: pre window [pre0, launch), post [launch, post1)."""

    launch: int
    pre: int
    post: int

    def mask(self, days: IntArray, which: str) -> BoolArray:
        if which == "base":  # the window before the pre window (retention baseline)
            lo, hi = self.launch - 2 * self.pre, self.launch - self.pre
        elif which == "pre":
            lo, hi = self.launch - self.pre, self.launch
        else:
            lo, hi = self.launch, self.launch + self.post
        return (days >= lo) & (days < hi)


@dataclass(frozen=True, slots=True)
class _Panel:
    """Customer-day purchases and dated survey answers, by customer code of the base."""

    n: int
    code: IntArray  # customer code of each customer-day
    day: IntArray
    spend: FloatArray
    s_code: IntArray  # survey answers
    s_day: IntArray
    s_promoter: FloatArray
    s_detractor: FloatArray
    s_rated: FloatArray
    s_sat: FloatArray
    s_sat_answered: FloatArray


def _cells(panel: _Panel, win: _Windows, outcomes: Sequence[str]) -> tuple[FloatArray, FloatArray]:
    """Numerators and denominators (n x 2k) of every outcome's pre and post cells.

    A cell's value for a group is ``sum(num) / sum(den)`` over its customers, so means,
    retention shares and per-answer survey scores all bootstrap the same way.
    """
    n = panel.n
    num = np.zeros((n, 2 * len(outcomes)))
    den = np.ones((n, 2 * len(outcomes)))
    counts: dict[str, FloatArray] = {}
    spend: dict[str, FloatArray] = {}
    for w in ("base", "pre", "post"):
        m = win.mask(panel.day, w)
        counts[w] = np.bincount(panel.code[m], minlength=n).astype(np.float64)
        spend[w] = np.bincount(panel.code[m], weights=panel.spend[m], minlength=n).astype(
            np.float64
        )
    length = {"pre": float(win.pre), "post": float(win.post)}
    for j, name in enumerate(outcomes):
        for k, w in enumerate(("pre", "post")):
            col = 2 * j + k
            if name == "frequency":
                num[:, col] = counts[w] * 30.0 / length[w]
            elif name == "spend":
                num[:, col] = spend[w] * 30.0 / length[w]
            elif name == "retention":
                earlier = "base" if w == "pre" else "pre"
                active_before = (counts[earlier] > 0).astype(np.float64)
                num[:, col] = active_before * (counts[w] > 0)
                den[:, col] = active_before
            else:
                m = win.mask(panel.s_day, w)
                c = panel.s_code[m]
                if name == "nps":
                    net = panel.s_promoter[m] - panel.s_detractor[m]
                    num[:, col] = 100.0 * np.bincount(c, weights=net, minlength=n)
                    den[:, col] = np.bincount(c, weights=panel.s_rated[m], minlength=n)
                else:
                    num[:, col] = np.bincount(c, weights=panel.s_sat[m], minlength=n)
                    den[:, col] = np.bincount(c, weights=panel.s_sat_answered[m], minlength=n)
    return num, den


def _covariates(panel: _Panel, win: _Windows) -> pd.DataFrame:
    """RFM of each customer of the base in the matching window (before the pre window).

    Matching on the pre window itself would bias the difference-in-differences through
    regression to the mean (Daw & Hatfield 2018): members and non-members with the same
    pre-window purchases differ in their lasting purchase rates, so their pre-window values
    are not their expected ones. Matched on an earlier window, both groups regress alike in
    the pre and post windows.
    """
    m = win.mask(panel.day, "base")
    n = panel.n
    start = win.launch - win.pre
    purchase_days = np.bincount(panel.code[m], minlength=n).astype(np.float64)
    spend = np.bincount(panel.code[m], weights=panel.spend[m], minlength=n)
    before = panel.day < start
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, panel.code[before], panel.day[before])
    since = (start - last).astype(np.float64)
    return pd.DataFrame(
        {"purchase_days": purchase_days, "spend": spend, "days_since_last_purchase": since}
    )


# ---------------------------------------------------------------------------------------------
# matching and balance
# ---------------------------------------------------------------------------------------------
def _strata(cov: pd.DataFrame) -> IntArray:
    """Coarsened exact-matching strata: purchase-day classes x spend and recency quartiles."""
    f = np.searchsorted(_FREQ_EDGES, cov["purchase_days"].to_numpy(), side="left")
    codes = [f.astype(np.int64)]
    for col in ("spend", "days_since_last_purchase"):
        v = cov[col].to_numpy(dtype=np.float64)
        edges = np.unique(np.quantile(v, np.linspace(0, 1, _QUANTILE_BINS + 1)[1:-1]))
        codes.append(np.searchsorted(edges, v, side="right").astype(np.int64))
    key = (codes[0] * (_QUANTILE_BINS + 1) + codes[1]) * (_QUANTILE_BINS + 1) + codes[2]
    return np.asarray(pd.factorize(key)[0], dtype=np.int64)


def _cem_weights(strata: IntArray, member: BoolArray) -> FloatArray:
    """Weights of coarsened exact matching for the effect on the members (Iacus et al. 2012).

    Members of matched strata weigh 1, non-members ``(m_s / c_s) (C / M)``, unmatched 0.
    """
    k = int(strata.max()) + 1
    m_s = np.bincount(strata[member], minlength=k).astype(np.float64)
    c_s = np.bincount(strata[~member], minlength=k).astype(np.float64)
    matched = (m_s > 0) & (c_s > 0)
    big_m = m_s[matched].sum()
    big_c = c_s[matched].sum()
    w = np.zeros(strata.size)
    ok = matched[strata]
    w[ok & member] = 1.0
    ctrl = ok & ~member
    if big_m > 0:
        w[ctrl] = m_s[strata[ctrl]] / c_s[strata[ctrl]] * big_c / big_m
    return w


def _balance(cohorts: Sequence[_Cohort]) -> pd.DataFrame:
    """Standardised mean differences of the matching covariates, before and after matching.

    Over cohorts, each member counts once and each cohort's non-members together weigh as
    much as its members (before matching: equally; after: by their matching weights).
    """
    xm = pd.concat([c.cov_members for c in cohorts])
    xc = pd.concat([c.cov_controls for c in cohorts])
    w_before_c = np.concatenate(
        [
            np.full(len(c.cov_controls), len(c.cov_members) / max(len(c.cov_controls), 1))
            for c in cohorts
        ]
    )
    w_after_m = np.concatenate([c.bal_w_m for c in cohorts])
    w_after_c = np.concatenate(
        [
            c.bal_w_c * (c.bal_w_m.sum() / c.bal_w_c.sum() if c.bal_w_c.sum() > 0 else 0.0)
            for c in cohorts
        ]
    )
    rows = {}
    for col in _COVARIATES:
        m = xm[col].to_numpy(dtype=np.float64)
        k = xc[col].to_numpy(dtype=np.float64)
        pooled = np.sqrt((m.var() + k.var()) / 2.0)
        scale = pooled if pooled > 0 else 1.0
        mean_c = float(np.average(k, weights=w_before_c))
        before = (m.mean() - mean_c) / scale
        if w_after_m.sum() > 0 and w_after_c.sum() > 0:
            mean_c_after = float(np.average(k, weights=w_after_c))
            after = (np.average(m, weights=w_after_m) - mean_c_after) / scale
        else:
            after, mean_c_after = np.nan, np.nan
        rows[col] = {
            "member_mean": float(m.mean()),
            "nonmember_mean": mean_c,
            "nonmember_mean_matched": mean_c_after,
            "smd_before": float(before),
            "smd_after": float(after),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


# ---------------------------------------------------------------------------------------------
# estimation
# ---------------------------------------------------------------------------------------------
def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True, slots=True)
class _Cohort:
    """Members enrolled on one day, their non-member comparison group and their cells."""

    rows_m: IntArray  # panel positions of the members (matched ones only)
    rows_c: IntArray  # panel positions of the non-members (matched ones only)
    w_m: FloatArray  # matching weights
    w_c: FloatArray
    cells: tuple[FloatArray, FloatArray, FloatArray, FloatArray]  # num, den of rows_m, rows_c
    placebo: tuple[FloatArray, FloatArray, FloatArray, FloatArray]  # same, placebo windows
    cov_members: pd.DataFrame  # matching covariates of every member of the cohort's base
    cov_controls: pd.DataFrame  # ... and of every non-member
    bal_w_m: FloatArray  # their matching weights (0 = unmatched)
    bal_w_c: FloatArray


def _split(
    cells: tuple[FloatArray, FloatArray], rows_m: IntArray, rows_c: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    num, den = cells
    return num[rows_m], den[rows_m], num[rows_c], den[rows_c]


def _group_sums(
    weights: FloatArray, cohort: _Cohort
) -> dict[str, tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]]:
    """Cell sums of a cohort's members and non-members under replicate ``weights`` (B x n).

    For the real and the placebo windows, which share the replicate weights.
    """
    wm = weights[:, cohort.rows_m] * cohort.w_m
    wc = weights[:, cohort.rows_c] * cohort.w_c
    size = wm.sum(axis=1)
    out = {}
    for which, (num_m, den_m, num_c, den_c) in (
        ("cells", cohort.cells),
        ("placebo", cohort.placebo),
    ):
        out[which] = (wm @ num_m, wm @ den_m, wc @ num_c, wc @ den_c, size)
    return out


def _combine(
    parts: Sequence[tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]],
) -> tuple[FloatArray, FloatArray]:
    """Members' and non-members' cells (B x 2k), cohorts weighted by their members' weight."""
    total = np.sum([p[4] for p in parts], axis=0)
    cm = np.zeros_like(parts[0][0])
    cc = np.zeros_like(parts[0][0])
    for snm, sdm, snc, sdc, size in parts:
        # a replicate that draws no member (few members) has no members' cell: NaN
        share = np.divide(size, total, out=np.full_like(size, np.nan), where=total > 0)[:, None]
        cm = cm + share * _ratio(snm, sdm)
        cc = cc + share * _ratio(snc, sdc)
    return cm, cc


def _did(
    cohorts: Sequence[_Cohort],
    n: int,
    *,
    n_boot: int,
    confidence: float,
    rng: np.random.Generator,
    outcomes: Sequence[str],
    progress: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Difference-in-differences and placebo per outcome, with percentile-bootstrap intervals.

    Replicates weigh every customer by a Poisson(1) count, the same in every cohort and window
    (so a customer's windows, and a non-member compared in several cohorts, move together);
    they come in chunks of bounded memory, the sums being matrix products.
    """
    ones = np.ones((1, n))
    boots: dict[str, list[FloatArray]] = {"cells": [], "placebo": []}
    points: dict[str, tuple[FloatArray, FloatArray]] = {}
    sums = [_group_sums(ones, c) for c in cohorts]
    for which in ("cells", "placebo"):
        cm, cc = _combine([part[which] for part in sums])
        points[which] = (cm[0], cc[0])
    chunk = max(1, min(n_boot, 2_000_000 // max(n, 1)))
    with counter(n_boot, enabled=progress, desc="programme_effect bootstrap") as advance:
        for lo in range(0, n_boot, chunk):
            size = min(n_boot, lo + chunk) - lo
            weights = rng.poisson(1.0, size=(size, n)).astype(np.float64)
            sums = [_group_sums(weights, c) for c in cohorts]
            for which in ("cells", "placebo"):
                cm, cc = _combine([part[which] for part in sums])
                boots[which].append((cm[:, 1::2] - cm[:, 0::2]) - (cc[:, 1::2] - cc[:, 0::2]))
            advance(size)
    drawn = np.vstack(boots["cells"])
    cm0, cc0 = points["cells"]
    # outcomes undefined on the whole data (no answer in a window) are NaN in every replicate
    # and warned about on their own: they say nothing about the groups' sizes
    defined = np.isfinite((cm0[1::2] - cm0[0::2]) - (cc0[1::2] - cc0[0::2]))
    drawn = drawn[:, defined] if drawn.ndim == 2 and drawn.shape[1] == defined.size else drawn
    none = int(np.isnan(drawn).all(axis=1).sum()) if drawn.size else 0
    if none > 0.05 * n_boot:
        n_mem = len(np.unique(np.concatenate([c.rows_m for c in cohorts])))
        n_non = len(np.unique(np.concatenate([c.rows_c for c in cohorts])))
        scarce = "member" if n_mem <= n_non else "non-member"
        warnings.warn(
            f"programme_effect: {none} of the {n_boot} bootstrap replicates drew no {scarce} "
            f"(there are too few {scarce}s: {n_mem} members, {n_non} non-members compared), so "
            "the intervals rest on the other replicates only and understate the uncertainty."
            f"\nHint: treat the intervals of so few {scarce}s as indicative, or evaluate a "
            "larger base.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
    alpha = 1.0 - confidence
    index = pd.Index(list(outcomes), name="outcome")
    frames = {}
    for which in ("cells", "placebo"):
        pm, pc = points[which]
        boot = np.vstack(boots[which])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: undefined cells
            low, high = np.nanquantile(boot, [alpha / 2.0, 1.0 - alpha / 2.0], axis=0)
            se = np.nanstd(boot, axis=0, ddof=1)
        frames[which] = pd.DataFrame(
            {
                "estimate": (pm[1::2] - pm[0::2]) - (pc[1::2] - pc[0::2]),
                "ci_low": low,
                "ci_high": high,
                "se": se,
                "member_pre": pm[0::2],
                "member_post": pm[1::2],
                "nonmember_pre": pc[0::2],
                "nonmember_post": pc[1::2],
                "naive": pm[1::2] - pc[1::2],
            },
            index=index,
        )
    k = len(outcomes)
    dc = np.zeros((n, 2 * k), dtype=bool)
    n_m = np.zeros(2 * k, dtype=np.int64)
    for c in cohorts:
        n_m += (c.cells[1] > 0).sum(axis=0)
        dc[c.rows_c] |= c.cells[3] > 0
    effects = frames["cells"]
    effects.insert(8, "n_members", n_m[0::2])
    effects.insert(9, "n_nonmembers", dc.sum(axis=0)[0::2])
    return effects, frames["placebo"][["estimate", "ci_low", "ci_high", "se"]]


def _surveys_panel(
    surveys: Any,
    codes: pd.Index,
    outcomes: Sequence[str],
    *,
    customer: Hashable,
    time: Hashable,
    tz: Any,
    date_format: str | None,
) -> dict[str, Any]:
    n_cols = len(codes)
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0)
    out: dict[str, Any] = {
        "s_code": empty_i,
        "s_day": empty_i,
        "s_promoter": empty_f,
        "s_detractor": empty_f,
        "s_rated": empty_f,
        "s_sat": empty_f,
        "s_sat_answered": empty_f,
    }
    wanted = [o for o in outcomes if o in _SURVEY_OUTCOMES]
    if surveys is None or not wanted:
        return out
    df = _frames.as_frame(surveys, name="surveys")
    items: list[Hashable] = []
    if "nps" in wanted:
        items.append(RECOMMEND)
    if "satisfaction" in wanted:
        items.extend(SAT_ITEMS)
    _frames.require_columns(df, [customer, time, *items], name="surveys")
    _frames.check_ids(df[customer], customer, nan_policy="raise")
    dates, _ = _frames.coerce_datetime(df[time], time, nan_policy="raise", date_format=date_format)
    if (getattr(dates.dtype, "tz", None) is None) != (tz is None):
        msg = (
            f"The dates of the surveys and of the transactions passed to {_FUNC} must both be "
            "naive or both carry a time zone.\nHint: convert one of the two date columns."
        )
        raise ValidationError(msg)
    code = codes.get_indexer(pd.Index(df[customer].to_numpy()))
    keep = code >= 0
    ids = df[customer]
    if len(df) and not keep.any() and ids.dtype.kind != codes.dtype.kind:
        msg = (
            f"None of the {len(df)} survey answers passed to {_FUNC} matches a customer of the "
            f"transactions: the surveys' {customer!r} column has dtype {ids.dtype}, the "
            f"transactions' customer ids have dtype {codes.dtype}.\nHint: give both id columns "
            f"the same type, e.g. surveys[{customer!r}].astype({str(codes.dtype)!r})."
        )
        raise ValidationError(msg)
    out["s_code"] = code[keep].astype(np.int64)
    out["s_day"] = _days(dates)[keep]
    n_rows = int(keep.sum())
    zeros = np.zeros(n_rows)
    out["s_promoter"] = out["s_detractor"] = out["s_rated"] = zeros
    out["s_sat"] = out["s_sat_answered"] = zeros
    if "nps" in wanted:
        rec, miss = _frames.numeric_columns(
            df,
            [RECOMMEND],
            nan_policy="omit",
            bounds=(0, 10),
            integer=True,
            func=_FUNC,
            name="surveys",
        )
        r = rec[RECOMMEND].to_numpy()[keep]
        ok = ~miss[keep]
        out["s_promoter"] = ((r >= 9) & ok).astype(np.float64)
        out["s_detractor"] = ((r <= 6) & ok).astype(np.float64)
        out["s_rated"] = ok.astype(np.float64)
    if "satisfaction" in wanted:
        lo, hi = SAT_SCALE
        sat, miss = _frames.numeric_columns(
            df, list(SAT_ITEMS), nan_policy="omit", bounds=(lo, hi), func=_FUNC, name="surveys"
        )
        x = sat.to_numpy()[keep]
        ok = ~miss[keep]
        si = 100.0 * (np.where(ok[:, None], x, lo) - lo).mean(axis=1) / (hi - lo)
        out["s_sat"] = np.where(ok, si, 0.0)
        out["s_sat_answered"] = ok.astype(np.float64)
    _ = n_cols
    return out


def programme_effect(
    transactions: Any,
    members: Any,
    *,
    launch: Any,
    observation_end: Any,
    pre_days: int = 180,
    post_days: int | None = None,
    outcomes: Sequence[str] = ("frequency", "spend", "retention"),
    surveys: Any = None,
    method: str = "did",
    n_boot: int = 999,
    confidence: float = 0.95,
    seed: int | None = None,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    amount: Hashable = "amount",
    date_format: str | None = None,
    nan_policy: str = "raise",
    progress: bool = False,
) -> ProgrammeEffectResult:
    r"""Estimate the effect of a loyalty programme on its members (difference-in-differences).

    The base is every customer who bought before the pre window (so that nobody enters the
    comparison because of the purchases it measures). Each outcome is measured in the
    ``pre_days`` before ``launch`` and the ``post_days`` from ``launch`` on, for the members
    (``members``) and the other customers of the base; the estimate is how much more the
    members' outcome changed than the non-members', the effect of the programme on those who
    joined under the assumption of parallel trends. See the guide "Evaluating a loyalty
    programme".

    Parameters
    ----------
    transactions
        One row per purchase with customer, date and amount columns.
    members
        Ids of the customers who joined at ``launch`` (list, set, array, Series or Index);
        or, for staggered enrolment, a table with the ``customer`` and ``time`` columns giving
        each member's enrolment date (on or after ``launch``). Ids absent from the base are
        counted in ``n_members_excluded``.
    launch
        First day of the programme (the post window starts on it; with enrolment dates,
        each enrolment cohort's windows start on its own date).
    observation_end
        Last day of data (inclusive; later purchases are ignored).
    pre_days
        Length of the pre window in days (default 180). Retention also uses the
        ``pre_days`` before the pre window, and the placebo splits the pre window in two.
    post_days
        Length of the post window in days; default: from ``launch`` to ``observation_end``
        (with enrolment dates: ``pre_days``, shortened to fit the last cohort).
    outcomes
        Any of ``"frequency"`` (purchase days per 30 days), ``"spend"`` (spend per 30 days),
        ``"retention"`` (share of the customers active in the earlier window who buy in the
        later one: the window before the pre window -> pre, and pre -> post), and, with
        ``surveys``, ``"nps"`` (Net Promoter Score of the answers in the window, from the
        ``recommend`` column, 0-10) and ``"satisfaction"`` (mean satisfaction index 0-100 of
        the answers, items ``sat1``-``sat3`` on 1-10).
    surveys
        Survey answers with the same ``customer`` and ``time`` columns (the date of the
        answer) as the transactions; needed for the survey outcomes only.
    method
        ``"did"`` (default): all customers of the base; ``"matched"``: coarsened exact
        matching first, each member compared with the non-members of the same stratum of
        purchase days (0, 1, 2, 3-4, 5-8, 9+), spend quartile and recency quartile, measured
        in the ``pre_days`` before the pre window (matching on the pre window itself biases
        the estimate through regression to the mean; Daw & Hatfield 2018).
    n_boot
        Bootstrap replicates (default 999).
    confidence
        Level of the intervals, in (0, 1); default 0.95.
    seed
        Seed of the bootstrap; ``None`` draws fresh entropy.
    customer, time, amount
        Column names of the transactions (and of the members and surveys tables).
    date_format
        Format of date strings in the transactions, members and surveys (default: inferred).
    nan_policy
        ``"raise"`` (default) on transactions with missing ids, dates or amounts, or
        ``"omit"`` those rows.
    progress
        Show a progress bar over the bootstrap replicates on standard error; silent by default.

    Returns
    -------
    ProgrammeEffectResult
        ``effects`` (per outcome: ``estimate``, ``ci_low``, ``ci_high``, ``se``, the four
        group means, group sizes, ``naive``), ``placebo``, ``balance`` and the settings; its
        ``plot()`` draws the estimates.

    Raises
    ------
    ValidationError
        Bad tables or options (``seed`` neither None nor an integer >= 0, ``progress`` not
        a bool, ``members`` given as booleans); windows outside the data; no member or no
        non-member in the base; survey outcomes without surveys; survey ids of another type
        than the transactions' (no answer would match).

    Warns
    -----
    UndefinedMetricWarning
        An outcome is undefined in a window (e.g. no survey answer, nobody active for
        retention): its estimate is NaN. More than 5% of the bootstrap replicates draw no
        member (a handful of members): the intervals rest on the others.

    See Also
    --------
    custloyalty.datasets.make_programme : simulated programme with a known effect.
    custloyalty.scorecard.compare : change of a scorecard between two periods.

    Notes
    -----
    With $\bar Y_{g,t}$ the mean outcome of group $g$ (members $M$, non-members $C$) in
    window $t$ (pre, post), the estimate is

    $$\hat\tau = (\bar Y_{M,\mathrm{post}} - \bar Y_{M,\mathrm{pre}})
      - (\bar Y_{C,\mathrm{post}} - \bar Y_{C,\mathrm{pre}}),$$

    the average effect of the programme on its members if, without the programme, their
    outcome would have moved like the non-members' (parallel trends; Angrist & Pischke 2009,
    ch. 5). Self-selection on stable differences (heavy buyers join) cancels out; the
    ``naive`` post-launch difference $\bar Y_{M,\mathrm{post}} - \bar Y_{C,\mathrm{post}}$ keeps
    it. Ratio outcomes (retention, NPS, satisfaction) use $\bar Y = \sum_i a_i / \sum_i b_i$
    over the group's customers. Intervals are percentile intervals of $B$ = ``n_boot``
    Poisson bootstrap replicates (each customer weighted by a Poisson(1) count, the same in
    all of its windows; Hanley & MacGibbon 2006).

    With enrolment dates, each enrolment cohort $g$ is compared with the never-members of its
    own base over its own windows, and the cohorts' estimates are averaged with weights
    proportional to their members, $\hat\tau = \sum_g (n_g / n)\,\hat\tau_g$ (the
    never-treated comparison of Callaway & Sant'Anna 2021, which avoids the bias of a
    two-way fixed-effects regression under staggered adoption); the group means are averaged
    the same way. With ``method="matched"`` (coarsened exact matching, Iacus, King
    & Porro 2012) a non-member of stratum $s$ weighs $(m_s / c_s)(C / M)$ and members in
    strata without non-members are dropped; ``balance`` reports standardised mean differences
    $(\bar x_M - \bar x_C) / \sqrt{(s^2_M + s^2_C)/2}$ before and after, as for propensity
    score matching (Rosenbaum & Rubin 1983). The placebo repeats the estimate with a fake
    launch $\lfloor$``pre_days``$/2\rfloor$ days before the real one, on pre-launch data only.

    References
    ----------
    Angrist, J. D., & Pischke, J.-S. (2009). *Mostly Harmless Econometrics: An Empiricist's
    Companion*. Princeton University Press. https://doi.org/10.1515/9781400829828

    Rosenbaum, P. R., & Rubin, D. B. (1983). The central role of the propensity score in
    observational studies for causal effects. *Biometrika*, 70(1), 41-55.
    https://doi.org/10.1093/biomet/70.1.41

    Callaway, B., & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
    periods. *Journal of Econometrics*, 225(2), 200-230.
    https://doi.org/10.1016/j.jeconom.2020.12.001

    Hanley, J. A., & MacGibbon, B. (2006). Creating non-parametric bootstrap samples using
    Poisson frequencies. *Computer Methods and Programs in Biomedicine*, 83(1), 57-62.
    https://doi.org/10.1016/j.cmpb.2006.04.006

    Daw, J. R., & Hatfield, L. A. (2018). Matching and regression to the mean in
    difference-in-differences analysis. *Health Services Research*, 53(6), 4138-4156.
    https://doi.org/10.1111/1475-6773.12993

    Iacus, S. M., King, G., & Porro, G. (2012). Causal inference without balance checking:
    Coarsened exact matching. *Political Analysis*, 20(1), 1-24.
    https://doi.org/10.1093/pan/mpr013

    Examples
    --------
    >>> from custloyalty.datasets import make_programme
    >>> from custloyalty.programme import programme_effect
    >>> data = make_programme(3000, lift=0.5, seed=3)  # +0.5 purchase days per 30 days
    >>> res = programme_effect(data.transactions, data.members, launch="2024-01-01",
    ...                        observation_end="2024-06-28", pre_days=180, n_boot=199, seed=0)
    >>> res.effects.loc["frequency", ["estimate", "ci_low", "ci_high"]].round(2).tolist()
    [0.48, 0.42, 0.53]
    >>> bool(res.effects.loc["frequency", "naive"] > 1.0)  # heavy buyers joined
    True
    """
    conf = check_probability(confidence, "confidence", func=_FUNC)
    check_option(method, "method", _METHODS, func=_FUNC)
    pre = _check_days(pre_days, "pre_days")
    assert pre is not None
    post_opt = _check_days(post_days, "post_days", allow_none=True)
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 50:
        msg = f"The 'n_boot' parameter of {_FUNC} must be an integer >= 50; got {n_boot!r}."
        raise ValidationError(msg)
    names = _check_outcomes(outcomes, surveys is not None)
    seed = check_seed(seed, func=_FUNC)
    progress = check_flag(progress, "progress", func=_FUNC)

    # the one transaction window: validated once, cut at observation_end, one entry per
    # customer-day (purchases on the same day count once, their amounts summed)
    w = observe(
        transactions,
        customer=customer,
        time=time,
        amount=amount,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=check_nan_policy(nan_policy, func=_FUNC),
        func=_FUNC,
    )
    tz = w.tz
    ids, enrol = _members(members, customer=customer, time=time, tz=tz, date_format=date_format)
    launch_ts = _frames.coerce_timestamp(launch, "launch", tz=tz, func=_FUNC)
    end_day = w.observation_end
    launch_day = _day_number(launch_ts)
    if enrol is None:
        cohort_days = np.array([launch_day], dtype=np.int64)
        enrol_of = np.full(len(ids), launch_day, dtype=np.int64)
    else:
        early = enrol < launch_day
        if early.any():
            shown = ", ".join(repr(v) for v in ids[early][:5])
            msg = (
                f"{plural(int(early.sum()), 'member')} of {_FUNC} enrolled before the launch "
                f"({launch_ts.date()}): {shown}.\nHint: launch is the first day of the "
                "programme; pass an earlier launch or drop these members."
            )
            raise ValidationError(msg)
        cohort_days = np.unique(enrol)
        enrol_of = enrol
        if cohort_days.size > _MAX_COHORTS:
            msg = (
                f"The members of {_FUNC} enrolled on {cohort_days.size} different days; at "
                f"most {_MAX_COHORTS} enrolment cohorts are analysed.\nHint: group the "
                "enrolment dates, e.g. by month: "
                "members.assign(date=members['date'].dt.to_period('M').dt.start_time)."
            )
            raise ValidationError(msg)
    last_cohort = int(cohort_days.max())
    available = end_day - last_cohort + 1
    if available < 2:
        msg = (
            f"The last enrolment (or launch) of {_FUNC} leaves fewer than 2 days before "
            "observation_end; there is no post window."
        )
        raise ValidationError(msg)
    post = (available if enrol is None else min(pre, available)) if post_opt is None else post_opt
    if post > available:
        msg = (
            f"The post window of {_FUNC} ({post} days from the last enrolment or launch) runs "
            f"past observation_end ({available} days are observed).\nHint: pass post_days <= "
            f"{available} or a later observation_end."
        )
        raise ValidationError(msg)
    entries = w.entries
    assert entries.amount is not None  # observed with amounts
    first_all = per_customer(entries)["first"]
    in_universe = first_all < last_cohort - pre
    if not in_universe.any():
        msg = (
            f"No customer of {_FUNC} bought before the pre window "
            f"({pre} days before {launch_ts.date()}), so there is no base to compare.\n"
            "Hint: use a shorter pre_days or a later launch."
        )
        raise ValidationError(msg)
    universe = pd.Index(entries.customers[in_universe])
    first = first_all[in_universe]
    remap = np.full(len(first_all), -1, dtype=np.int64)
    remap[in_universe] = np.arange(int(in_universe.sum()))
    code = remap[entries.customer]
    rows = code >= 0
    survey_parts = _surveys_panel(
        surveys, universe, names, customer=customer, time=time, tz=tz, date_format=date_format
    )
    n = len(universe)
    panel = _Panel(
        n=n,
        code=code[rows],
        day=entries.day[rows],
        spend=entries.amount[rows],
        **survey_parts,
    )
    pos = universe.get_indexer(ids)
    known = pos >= 0
    cohort_of = np.full(n, -1, dtype=np.int64)  # -1: never a member
    cohort_of[pos[known]] = np.searchsorted(cohort_days, enrol_of[known])
    half = pre // 2
    cohorts: list[_Cohort] = []
    for j, g in enumerate(cohort_days.tolist()):
        base = first < g - pre
        mem = (cohort_of == j) & base
        ctrl = (cohort_of < 0) & base
        if not mem.any():
            continue
        if not ctrl.any():
            msg = (
                f"The base of {_FUNC} (customers who bought before the pre window) has no "
                "non-member to compare the members with.\nHint: check that members does not "
                "hold every customer."
            )
            raise ValidationError(msg)
        win = _Windows(launch=int(g), pre=pre, post=post)
        cov = _covariates(panel, win)
        weight = np.zeros(n)
        if method == "matched":
            both = mem | ctrl
            weight[both] = _cem_weights(_strata(cov[both]), mem[both])
        else:
            weight[mem | ctrl] = 1.0
        rows_m = np.flatnonzero(mem & (weight > 0))
        rows_c = np.flatnonzero(ctrl & (weight > 0))
        if rows_m.size == 0:
            continue
        cohorts.append(
            _Cohort(
                rows_m=rows_m,
                rows_c=rows_c,
                w_m=weight[rows_m],
                w_c=weight[rows_c],
                cells=_split(_cells(panel, win, names), rows_m, rows_c),
                placebo=_split(
                    _cells(panel, _Windows(launch=int(g) - half, pre=half, post=half), names),
                    rows_m,
                    rows_c,
                ),
                cov_members=cov[mem],
                cov_controls=cov[ctrl],
                bal_w_m=weight[mem],
                bal_w_c=weight[ctrl],
            )
        )
    if not cohorts:
        why = "in a matching stratum with a non-member" if method == "matched" else "in the base"
        msg = (
            f"No member of {_FUNC} is {why} (customers who bought before the pre window); "
            f"{plural(n, 'customer')} in the base, {plural(int(known.sum()), 'member')} among "
            "them.\nHint: check that members holds ids of the transactions' customer column."
        )
        raise ValidationError(msg)
    effects, placebo = _did(
        cohorts,
        n,
        n_boot=int(n_boot),
        confidence=conf,
        rng=np.random.default_rng(seed),
        outcomes=names,
        progress=progress,
    )
    undefined = effects.index[effects["estimate"].isna()].tolist()
    if undefined:
        warnings.warn(
            f"{_FUNC}: the outcomes {undefined!r} are undefined in a window (no survey answer, "
            "or nobody active before); their estimates are NaN.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    n_members = int(sum(c.rows_m.size for c in cohorts))
    controls = np.unique(np.concatenate([c.rows_c for c in cohorts]))
    end_ts = pd.Timestamp(np.datetime64(end_day, "D"))
    return ProgrammeEffectResult(
        effects=effects,
        placebo=placebo,
        balance=_balance(cohorts),
        method=method,
        launch=launch_ts,
        observation_end=end_ts.tz_localize(tz) if tz is not None else end_ts,
        pre_days=pre,
        post_days=post,
        n_members=n_members,
        n_nonmembers=int(controls.size),
        n_members_excluded=len(ids) - n_members,
        n_cohorts=len(cohorts),
        confidence=conf,
        n_boot=int(n_boot),
    )

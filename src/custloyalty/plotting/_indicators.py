"""Plots of the loyalty indicators: NPS, retention, survival, RFM, tiers, weights, drivers, value.

Every function summarises (counts per cell, bins or tiers, a downsampled curve), so the figure
holds a bounded number of marks whatever the number of customers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._frames import (
    as_frame,
    check_hashable,
    check_unique_index,
    numeric_columns,
    require_columns,
)
from custloyalty._validation import as_1d_float, check_in_range, check_shares, refuse_bools
from custloyalty.errors import ValidationError
from custloyalty.plotting._common import (
    MAX_BINS,
    MAX_SCORE,
    PALETTE,
    TIER_COLOURS,
    axes,
    integer_axis,
    number_columns,
    thousands,
    tidy,
    unit_name,
)

__all__ = [
    "plot_cohort_retention",
    "plot_composite_distribution",
    "plot_key_drivers",
    "plot_nps_by_segment",
    "plot_nps_distribution",
    "plot_pareto_curve",
    "plot_rfm_segments",
    "plot_survival",
    "plot_tier_migration",
    "plot_tiers",
    "plot_weights",
]

FloatArray = npt.NDArray[np.float64]
_PERIOD_SINGULAR = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}
#: Largest number of points drawn for a curve (Pareto, survival).
MAX_POINTS = 400


def _tier_colours(n: int) -> list[str]:
    if n <= len(TIER_COLOURS):
        start = 0 if n > 3 else 1
        return list(TIER_COLOURS[start : start + n])
    import matplotlib as mpl

    cmap = mpl.colormaps["Blues_r"]
    return [mpl.colors.to_hex(cmap(0.1 + 0.75 * i / max(n - 1, 1))) for i in range(n)]


def _annotate_heat(
    ax: Any, values: FloatArray, texts: Sequence[Sequence[str]], top: float | None = None
) -> None:
    """Write ``texts`` in the cells of a heat map, dark on light cells and white on dark."""
    finite = values[np.isfinite(values)]
    if top is None:
        top = float(finite.max()) if finite.size else 1.0
    for i, row in enumerate(texts):
        for j, text in enumerate(row):
            if not text:
                continue
            v = values[i, j]
            light = not np.isfinite(v) or top == 0 or v / top < 0.55
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=8,
                color=PALETTE["ink"] if light else "white",
            )


# --------------------------------------------------------------------------------------------
# recommendation
# --------------------------------------------------------------------------------------------
def plot_nps_distribution(ratings: Any, /, *, nan_policy: str = "raise", ax: Any = None) -> Any:
    r"""Plot the distribution of 0-10 recommendation ratings, coloured by NPS category.

    Parameters
    ----------
    ratings
        One 0-10 rating per respondent (array-like or Series).
    nan_policy
        ``"raise"`` (default) on missing ratings, or ``"omit"`` them.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Eleven bars (respondents per rating, whole-number ticks): detractors (0-6) red,
        passives (7-8) grey, promoters (9-10) green; the title gives the NPS and the number of
        respondents.

    Raises
    ------
    ValidationError
        Ratings that are not integers in 0..10, or missing under ``nan_policy="raise"``.

    See Also
    --------
    custloyalty.metrics.nps : the score and its interval.

    Notes
    -----
    $\mathrm{NPS} = 100\,(p_+ - p_-)$ with $p_+$ the share of ratings 9-10 and $p_-$ the
    share of ratings 0-6 (Reichheld 2003).

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*,
    81(12), 46-54.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty.plotting import plot_nps_distribution
    >>> ax = plot_nps_distribution([10, 9, 9, 8, 7, 6, 3, 10, 9, 0])
    >>> ax.get_title()
    'Recommendation ratings: NPS +20 (n = 10)'
    >>> [int(p.get_height()) for p in ax.patches][-3:]
    [1, 3, 2]
    >>> plt.close("all")
    """
    from custloyalty._validation import check_nan_policy
    from custloyalty.metrics import nps

    policy = check_nan_policy(nan_policy, func="plot_nps_distribution")
    # nps validates the ratings (one-dimensional, integers in [0, 10], at least one, missing
    # values by nan_policy); what is left is whole numbers in [0, 10] and missing values
    import warnings

    from custloyalty.errors import DegenerateIntervalWarning

    with warnings.catch_warnings():  # the bars show no interval: its warning does not apply
        warnings.simplefilter("ignore", DegenerateIntervalWarning)
        nps(ratings, nan_policy=policy)
    kept = pd.to_numeric(pd.Series(np.asarray(ratings, dtype=object)), errors="coerce").dropna()
    counts = np.bincount(kept.to_numpy(dtype=np.int64), minlength=11)
    n = int(counts.sum())
    score = 100.0 * (counts[9:].sum() - counts[:7].sum()) / n
    ax = axes(ax)
    colours = [PALETTE["bad"]] * 7 + [PALETTE["neutral"]] * 2 + [PALETTE["good"]] * 2
    ax.bar(np.arange(11), counts, color=colours, width=0.8)
    shares = (counts[:7].sum() / n, counts[7:9].sum() / n, counts[9:].sum() / n)
    from matplotlib.patches import Patch

    handles = [
        Patch(color=PALETTE["bad"], label=f"detractors 0-6 ({shares[0]:.0%})"),
        Patch(color=PALETTE["neutral"], label=f"passives 7-8 ({shares[1]:.0%})"),
        Patch(color=PALETTE["good"], label=f"promoters 9-10 ({shares[2]:.0%})"),
    ]
    ax.legend(handles=handles, frameon=False, loc="upper left")
    ax.set_xticks(np.arange(11))
    ax.set_xlabel("likelihood to recommend (0-10)")
    ax.set_ylabel("respondents")
    thousands(ax.yaxis)
    ax.set_title(f"Recommendation ratings: NPS {score:+.0f} (n = {n:,})")
    tidy(ax)
    return ax


def plot_nps_by_segment(frame: pd.DataFrame, /, *, ax: Any = None) -> Any:
    """Plot the NPS of each segment with its confidence interval.

    Parameters
    ----------
    frame
        Output of :func:`custloyalty.metrics.nps_by`: one row per segment with ``score``,
        ``ci_low``, ``ci_high`` and ``n``.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        One horizontal bar per segment (NPS points, -100 to 100) with its interval as an
        error bar, labelled with the segment and its respondents.

    Raises
    ------
    ValidationError
        Missing columns or an empty frame; a ``score`` that is not a number in [-100, 100],
        interval bounds outside it (missing bounds draw no error bar), ``n`` that is not a
        whole number >= 0 (text, booleans and NaN included).

    See Also
    --------
    custloyalty.metrics.nps_by

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from custloyalty.metrics import nps_by
    >>> from custloyalty.plotting import plot_nps_by_segment
    >>> survey = pd.DataFrame({"region": list("NNNSSS"), "recommend": [10, 3, 9, 9, 8, 10]})
    >>> ax = plot_nps_by_segment(nps_by(survey, by="region"))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['N (n = 3)', 'S (n = 3)']
    >>> plt.close("all")
    """
    df = as_frame(frame, name="frame")
    require_columns(df, ["score", "ci_low", "ci_high", "n"], name="frame")
    if len(df) == 0:
        msg = "plot_nps_by_segment needs at least one segment; the frame is empty."
        raise ValidationError(msg)
    func = "plot_nps_by_segment"
    score = number_columns(df, ["score"], func, bounds=(-100.0, 100.0))["score"].to_numpy()
    # a segment of one respondent has no interval: NaN bounds draw no error bar
    ci = number_columns(df, ["ci_low", "ci_high"], func, nan_policy="omit", bounds=(-100, 100))
    low, high = ci["ci_low"].to_numpy(), ci["ci_high"].to_numpy()
    sizes = number_columns(df, ["n"], func, bounds=(0.0, np.inf), integer=True)["n"]
    ax = axes(ax)
    y = np.arange(len(df))[::-1]
    colours = [PALETTE["good"] if s >= 0 else PALETTE["bad"] for s in score]
    err = np.nan_to_num(
        np.vstack([np.clip(score - low, 0, None), np.clip(high - score, 0, None)]), nan=0.0
    )
    ax.barh(y, score, color=colours, height=0.6)
    ax.errorbar(score, y, xerr=err, fmt="none", ecolor=PALETTE["ink"], capsize=3, lw=1)
    names = [
        " / ".join(str(k) for k in key) if isinstance(key, tuple) else str(key) for key in df.index
    ]
    ax.set_yticks(y)
    ax.set_yticklabels([f"{k} (n = {int(n):,})" for k, n in zip(names, sizes, strict=True)])
    ax.axvline(0, color=PALETTE["ink"], lw=0.8)
    lo = min(-10.0, float(np.fmin(low, score).min()) - 5)
    hi = max(10.0, float(np.fmax(high, score).max()) + 5)
    ax.set_xlim(max(-100.0, lo), min(100.0, hi))
    ax.set_xlabel("NPS (points, -100 to 100) with confidence interval")
    what = " / ".join(str(n) for n in df.index.names if n is not None) or "segment"
    ax.set_title(f"NPS by {what}")
    tidy(ax)
    return ax


# --------------------------------------------------------------------------------------------
# retention and survival
# --------------------------------------------------------------------------------------------
def plot_cohort_retention(result: Any, /, *, annotate: bool | None = None, ax: Any = None) -> Any:
    """Plot a cohort retention matrix as a heat map (share of each cohort active by age).

    Parameters
    ----------
    result
        Output of :func:`custloyalty.metrics.cohort_retention` (``rates``, ``sizes``,
        ``period``).
    annotate
        Write the percentage in each cell; default only when the matrix has at most 24 rows
        and 24 columns.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Cohorts (period of first purchase, with their size) down, age in periods across
        (whole-number ticks), colour = % of the cohort active (scaled on ages 1 and later,
        since age 0 is 100 % by definition); cells after the observation end stay blank.

    Raises
    ------
    ValidationError
        ``result`` is not a cohort retention result (no cohort, sizes not whole numbers
        >= 0, one per cohort, rates outside [0, 1] or not numbers), or ``annotate`` is
        neither a boolean nor None.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.metrics import cohort_retention
    >>> from custloyalty.plotting import plot_cohort_retention
    >>> res = cohort_retention(load_cdnow("sample"), period="Q", observation_end="1998-06-30")
    >>> ax = plot_cohort_retention(res)
    >>> ax.get_title(), ax.get_xlabel()
    ('Cohort retention by quarter of first purchase', 'quarters since the first purchase')
    >>> plt.close("all")
    """
    rates = getattr(result, "rates", None)
    sizes = getattr(result, "sizes", None)
    if not isinstance(rates, pd.DataFrame) or not isinstance(sizes, pd.Series):
        msg = (
            "plot_cohort_retention needs the result of custloyalty.metrics.cohort_retention; "
            f"got {type(result).__name__}."
        )
        raise ValidationError(msg)
    given: Any = annotate  # typed bool | None; a caller may pass anything
    if given is not None and not isinstance(given, bool | np.bool_):
        msg = (
            "The 'annotate' parameter of plot_cohort_retention must be True, False or None "
            f"(annotate when the grid is at most 24 x 24); got {annotate!r}."
        )
        raise ValidationError(msg)
    func = "plot_cohort_retention"
    if rates.shape[0] == 0 or rates.shape[1] == 0 or len(sizes) != rates.shape[0]:
        msg = (
            f"{func} needs a cohort retention result with at least one cohort and one size per "
            f"cohort; got rates of shape {rates.shape} and {len(sizes)} sizes."
        )
        raise ValidationError(msg)
    # rates are shares of the cohort (NaN: an age the cohort has not reached), sizes customers
    checked = number_columns(
        rates,
        list(rates.columns),
        func,
        name="rates of the result",
        nan_policy="omit",
        bounds=(0.0, 1.0),
    )
    number_columns(
        sizes.to_frame("size"),
        ["size"],
        func,
        name="sizes of the result",
        bounds=(0.0, np.inf),
        integer=True,
    )
    period = str(getattr(result, "period", "M"))
    values = 100.0 * checked.to_numpy(dtype=np.float64)
    if not np.isfinite(values).any():
        msg = f"{func}: every retention rate of the result is missing; there is nothing to draw."
        raise ValidationError(msg)
    # trailing ages that no cohort reaches add nothing
    observed = np.isfinite(values).any(axis=0)
    values = values[:, : int(np.flatnonzero(observed)[-1]) + 1] if observed.any() else values
    ax = axes(ax)
    masked = np.ma.masked_invalid(values)
    # age 0 is 100 % by definition: scale the colours on the later ages so they show
    later = values[:, 1:][np.isfinite(values[:, 1:])] if values.shape[1] > 1 else values
    top = float(np.quantile(later, 0.99)) if later.size else 100.0
    top = min(100.0, max(top, 1.0))
    img = ax.imshow(masked, aspect="auto", cmap="Blues", vmin=0.0, vmax=top)
    ax.figure.colorbar(img, ax=ax, label="% of the cohort active", extend="max")
    n_rows, n_cols = values.shape
    if annotate is None:
        annotate = n_rows <= 24 and n_cols <= 24
    if annotate:
        texts = [[f"{v:.0f}" if np.isfinite(v) else "" for v in row] for row in values]
        _annotate_heat(ax, values, texts, top=top)
    step = max(1, int(np.ceil(n_rows / 16)))
    rows = np.arange(0, n_rows, step)
    ax.set_yticks(rows)
    ax.set_yticklabels([f"{rates.index[int(i)]} ({int(sizes.iloc[int(i)]):,})" for i in rows])
    integer_axis(ax.xaxis)
    ax.set_xlabel(f"{unit_name(period)} since the first purchase")
    ax.set_ylabel("cohort (customers acquired)")
    singular = _PERIOD_SINGULAR.get(period, period)
    ax.set_title(f"Cohort retention by {singular} of first purchase")
    return ax


def plot_survival(result: Any, /, *, ax: Any = None) -> Any:
    r"""Plot a Kaplan-Meier survival curve of customer lifetimes with its confidence band.

    Parameters
    ----------
    result
        Output of :func:`custloyalty.metrics.survival_curve`.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The step curve (share of customers still active, in %), its band, and the median
        lifetime when the curve reaches 50 %; the time axis is in the result's ``time_unit``.
        At most 400 steps are drawn (the curve is thinned evenly, keeping its ends).

    Raises
    ------
    ValidationError
        ``result`` is not a survival result, or its table is empty or holds times that are
        not finite numbers >= 0, shares outside [0, 1] (missing band bounds are left out).

    Notes
    -----
    $\hat S(t) = \prod_{t_j \le t} (1 - d_j / n_j)$ (Kaplan and Meier 1958).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty import rfm_summary
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.metrics import survival_curve
    >>> from custloyalty.plotting import plot_survival
    >>> s = rfm_summary(load_cdnow("sample"), observation_end="1998-06-30")
    >>> ax = plot_survival(survival_curve(s, threshold=26, time_unit="W"))
    >>> ax.get_xlabel()
    'lifetime: weeks from the first to the last purchase'
    >>> plt.close("all")
    """
    table = getattr(result, "table", None)
    if not isinstance(table, pd.DataFrame):
        msg = (
            "plot_survival needs the result of custloyalty.metrics.survival_curve; "
            f"got {type(result).__name__}."
        )
        raise ValidationError(msg)
    require_columns(table, ["time", "survival", "ci_low", "ci_high"], name="result.table")
    func = "plot_survival"
    curve = number_columns(
        table, ["time", "survival"], func, name="table of the result", bounds=(0.0, np.inf)
    )
    band = number_columns(
        table,
        ["ci_low", "ci_high"],
        func,
        name="table of the result",
        nan_policy="omit",
        bounds=(0.0, 1.0),
    )
    if (curve["survival"] > 1.0).any():
        msg = f"{func}: the survival column of the result holds shares above 1."
        raise ValidationError(msg)
    table = pd.concat([curve, band], axis=1)
    if len(table) > MAX_POINTS:
        keep = np.unique(np.linspace(0, len(table) - 1, MAX_POINTS).round().astype(np.int64))
        table = table.iloc[keep]
    t = table["time"].to_numpy(dtype=np.float64)
    ax = axes(ax)
    ax.fill_between(
        t,
        100 * table["ci_low"].to_numpy(dtype=np.float64),
        100 * table["ci_high"].to_numpy(dtype=np.float64),
        step="post",
        color=PALETTE["primary"],
        alpha=0.18,
        lw=0,
        label=f"{getattr(result, 'confidence', 0.95):.0%} band",
    )
    ax.step(
        t,
        100 * table["survival"].to_numpy(dtype=np.float64),
        where="post",
        color=PALETTE["primary"],
        lw=2,
        label="share still active",
    )
    unit = unit_name(getattr(result, "time_unit", "D"))
    raw_median: Any = getattr(result, "median", None)  # None / NaN: the curve stays above 50 %
    median = np.nan
    if isinstance(raw_median, int | float | np.integer | np.floating) and not isinstance(
        raw_median, bool
    ):
        median = float(raw_median)
    if np.isfinite(median):
        ax.axhline(50, color=PALETTE["neutral"], lw=0.8, ls=":")
        ax.axvline(median, color=PALETTE["accent"], lw=1, ls="--", label=f"median {median:g}")
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"lifetime: {unit} from the first to the last purchase")
    ax.set_ylabel("% of customers still active")
    n = getattr(result, "n_customers", None)
    who = f", {n:,} customers" if isinstance(n, int | np.integer) else ""
    ax.set_title(f"Customer survival (Kaplan-Meier{who})")
    ax.legend(frameon=False)
    tidy(ax)
    return ax


# --------------------------------------------------------------------------------------------
# segments and tiers
# --------------------------------------------------------------------------------------------
def plot_rfm_segments(scores: pd.DataFrame, /, *, revenue: Any = None, ax: Any = None) -> Any:
    """Plot the recency x frequency grid of RFM scores with customers and revenue per cell.

    Parameters
    ----------
    scores
        Output of :func:`custloyalty.segmentation.rfm_scores` (integer ``R`` and ``F``
        columns, one row per customer).
    revenue
        Optional value per customer (aligned to ``scores`` by position, e.g. total spend);
        each cell then shows its share of the total.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        A heat map with the frequency score across and the recency score up (whole-number
        ticks; best customers top right); colour = customers in the cell, text = customers
        and, with ``revenue``, the cell's % of revenue.

    Raises
    ------
    ValidationError
        Missing or non-positive integer score columns (booleans included), scores above 20,
        no customer, a customer twice in the index; ``revenue`` of the wrong length, a
        Series of other customers, negative or with a zero total.

    See Also
    --------
    custloyalty.segmentation.rfm_segments : named segments from the same scores.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from custloyalty.plotting import plot_rfm_segments
    >>> scores = pd.DataFrame({"R": [1, 2, 2, 3], "F": [1, 1, 3, 3], "M": [1, 1, 2, 3]})
    >>> ax = plot_rfm_segments(scores, revenue=[10.0, 20.0, 30.0, 40.0])
    >>> ax.images[0].get_array().tolist()
    [[1.0, 0.0, 0.0], [1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    >>> plt.close("all")
    """
    df = as_frame(scores, name="scores")
    require_columns(df, ["R", "F"], name="scores")
    if len(df) == 0:
        msg = "plot_rfm_segments needs at least one customer; scores is empty."
        raise ValidationError(msg)
    check_unique_index(
        df.index,
        "scores",
        func="plot_rfm_segments",
        hint="one row per customer, as rfm_scores gives.",
    )
    for col in ("R", "F"):  # True is not the score 1
        refuse_bools(df[col].to_numpy(dtype=object), col, func="plot_rfm_segments")
    r = pd.to_numeric(df["R"], errors="coerce").to_numpy(dtype=np.float64)
    f = pd.to_numeric(df["F"], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(r) | ~np.isfinite(f) | (r < 1) | (f < 1) | (r != np.floor(r))
    bad |= f != np.floor(f)
    if bad.any():
        msg = (
            f"scores has {int(bad.sum())} rows whose R or F is not a positive integer "
            f"(rows {list(df.index[np.flatnonzero(bad)[:5]])!r})."
        )
        raise ValidationError(msg)
    big = (r > MAX_SCORE) | (f > MAX_SCORE)
    if big.any():
        pos = np.flatnonzero(big)
        msg = (
            f"scores has {int(big.sum())} rows whose R or F is above {MAX_SCORE}, the most "
            f"scores an RFM axis has (rows {list(df.index[pos[:5]])!r}).\nHint: pass the "
            "output of rfm_scores (columns R, F, M holding scores, not raw metrics)."
        )
        raise ValidationError(msg)
    ri, fi = r.astype(np.int64) - 1, f.astype(np.int64) - 1
    n_r, n_f = int(ri.max(initial=0)) + 1, int(fi.max(initial=0)) + 1
    cell = ri * n_f + fi
    counts = np.bincount(cell, minlength=n_r * n_f).reshape(n_r, n_f).astype(np.float64)
    share: FloatArray | None = None
    if revenue is not None:
        rev, _ = as_1d_float(
            _aligned(revenue, df.index, "revenue", "scores", "plot_rfm_segments"),
            "revenue",
            nan_policy="raise",
        )
        if rev.shape[0] != len(df):
            msg = f"revenue has {rev.shape[0]} values but scores has {len(df)} rows."
            raise ValidationError(msg)
        rev = _check_shares_of(rev, "revenue", "plot_rfm_segments")
        total = float(rev.sum())
        sums = np.bincount(cell, weights=rev, minlength=n_r * n_f).reshape(n_r, n_f)
        share = np.asarray(sums / total if total else sums * 0.0, dtype=np.float64)
    ax = axes(ax)
    img = ax.imshow(counts, origin="lower", cmap="Blues", aspect="auto")
    ax.figure.colorbar(img, ax=ax, label="customers")
    texts = [
        [
            f"{int(counts[i, j]):,}" + (f"\n{share[i, j]:.0%} rev." if share is not None else "")
            for j in range(n_f)
        ]
        for i in range(n_r)
    ]
    _annotate_heat(ax, counts, texts)
    ax.set_xticks(np.arange(n_f))
    ax.set_xticklabels([str(j + 1) for j in range(n_f)])
    ax.set_yticks(np.arange(n_r))
    ax.set_yticklabels([str(i + 1) for i in range(n_r)])
    ax.set_xlabel("frequency score F (higher = more purchases)")
    ax.set_ylabel("recency score R (higher = more recent)")
    title = "RFM grid: customers" + (" and % of revenue" if share is not None else "")
    ax.set_title(title)
    return ax


def _aligned(values: Any, index: pd.Index, name: str, of: str, func: str) -> Any:
    """``values`` in the row order of ``index`` when both carry customer labels.

    A Series whose labels are those of ``index`` in another order is reordered; one with
    other labels (a reset index, other customers) raises instead of pairing rows by position.
    Lists and arrays are taken in row order.
    """
    if not isinstance(values, pd.Series) or values.index.equals(index):
        return values
    if _positional(index) and _positional(values.index):
        return values  # two default indexes: rows in order (lengths checked by the caller)
    same = (
        values.index.is_unique
        and index.is_unique
        and len(values) == len(index)
        and values.index.isin(index).all()
    )
    if not same:
        missing = index[~index.isin(values.index)]
        msg = (
            f"{name} passed to {func} is a Series whose customers differ from those of {of}: "
            f"{len(missing)} of {len(index)} customers of {of} are not in {name} "
            f"(e.g. {list(missing[:5])!r}).\nHint: index {name} by the same customers (e.g. "
            f"the summary's total_amount), or pass {name}.to_numpy() in the order of {of}."
        )
        raise ValidationError(msg)
    return values.reindex(index)


def _positional(index: pd.Index) -> bool:
    """Tell whether ``index`` is the default 0..n-1 of a table without customer labels."""
    return isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1


def _check_shares_of(v: FloatArray, name: str, func: str) -> FloatArray:
    """Shares of a total need non-negative values with a positive total.

    Returns ``v`` divided by its largest value: the shares do not depend on the scale, and
    sums of values near the float limit (1e308) would overflow to inf and NaN shares.
    """
    neg = v < 0
    if neg.any() or not v.max(initial=0.0) > 0:
        msg = (
            f"{func} shows shares of the total {name}, which need non-negative values with a "
            f"positive total; got {int(neg.sum())} negative values and a total of "
            f"{float(v.sum()):g}.\nHint: net out returns per customer first, or leave "
            f"{name} out."
        )
        raise ValidationError(msg)
    return np.asarray(v / v.max(), dtype=np.float64)


def plot_tiers(tiers: Any, /, *, values: Any = None, ax: Any = None) -> Any:
    """Plot the size of each tier (best first), optionally against its share of value.

    Parameters
    ----------
    tiers
        Tier label per customer (Series, ordered categorical best first as the scorecard and
        :func:`custloyalty.segmentation.value_tiers` return), a table with a ``tier`` column
        (:meth:`~custloyalty.segmentation.TierPolicy.assign`, a scorecard's customers), or a
        mapping tier -> customers.
    values
        Optional value per customer aligned to ``tiers`` (e.g. total spend): adds a bar with
        each tier's share of the total value.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Bars of the % of customers in each tier (labelled with the customer count), and with
        ``values`` bars of the % of value.

    Raises
    ------
    ValidationError
        No tier; negative, fractional, boolean or missing tier sizes; tier names that read
        the same; labels that are not one scalar per customer (a 2-D array, lists); a table
        without a ``tier`` column; ``values`` given with a mapping, of the wrong length, a
        Series of other customers, negative or with a zero total.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty.plotting import plot_tiers
    >>> ax = plot_tiers({"Gold": 10, "Silver": 30, "Bronze": 60})
    >>> [round(p.get_height()) for p in ax.patches]
    [10, 30, 60]
    >>> plt.close("all")
    """
    share_v: FloatArray | None = None
    if isinstance(tiers, Mapping):
        if values is not None:
            msg = "plot_tiers: values= needs tier labels per customer, not a mapping of sizes."
            raise ValidationError(msg)
        labels = [str(k) for k in tiers]
        if len(set(labels)) < len(labels):
            msg = (
                "plot_tiers needs distinct tier names; the mapping has keys that read the same "
                f"({list(tiers)!r:.120})."
            )
            raise ValidationError(msg)
        sizes = pd.Series(list(tiers.values()), index=labels, dtype=object)
        refuse_bools(sizes.to_numpy(), "tiers", func="plot_tiers")
        counts = pd.to_numeric(sizes, errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(counts) | (counts < 0)
        bad |= np.isfinite(counts) & (counts != np.floor(counts))  # customers are whole
        if bad.any():
            msg = (
                "plot_tiers needs the size of each tier as a finite number >= 0 (a whole number "
                f"of customers); got {dict(sizes[bad].head(5))!r:.120}."
            )
            raise ValidationError(msg)
    else:
        if isinstance(tiers, pd.DataFrame):
            if "tier" not in tiers.columns or not tiers.columns.is_unique:
                msg = (
                    "plot_tiers needs tier labels per customer; got a DataFrame without a "
                    f"'tier' column (columns {list(tiers.columns)[:5]!r})."
                )
                raise ValidationError(msg)
            tiers = tiers["tier"]  # the result of TierPolicy.assign or a scorecard table
        if isinstance(tiers, str | bytes) or not hasattr(tiers, "__len__"):
            msg = (
                "plot_tiers needs tier labels per customer (e.g. from value_tiers) or a mapping "
                f"of tier to size; got {type(tiers).__name__} {tiers!r}."
            )
            raise ValidationError(msg)
        if isinstance(tiers, np.ndarray) and tiers.ndim != 1:
            msg = f"plot_tiers needs one tier label per customer; got an array of {tiers.shape}."
            raise ValidationError(msg)
        s = tiers if isinstance(tiers, pd.Series) else pd.Series(tiers)
        check_hashable(s, "tiers")
        cat = s.astype("category") if not isinstance(s.dtype, pd.CategoricalDtype) else s
        codes = cat.cat.codes.to_numpy()
        labels = [str(c) for c in cat.cat.categories]
        ok = codes >= 0
        counts = np.bincount(codes[ok], minlength=len(labels)).astype(np.float64)
        if values is not None:
            v, _ = as_1d_float(
                _aligned(values, s.index, "values", "tiers", "plot_tiers"),
                "values",
                nan_policy="raise",
            )
            if v.shape[0] != len(s):
                msg = f"values has {v.shape[0]} values but tiers has {len(s)} labels."
                raise ValidationError(msg)
            kept = _check_shares_of(v[ok], "values", "plot_tiers")
            sums = np.bincount(codes[ok], weights=kept, minlength=len(labels))
            share_v = np.asarray(100.0 * sums / (sums.sum() or 1.0), dtype=np.float64)
    if not labels or not counts.max(initial=0.0) > 0:
        msg = "plot_tiers needs at least one customer in a tier."
        raise ValidationError(msg)
    counts_scaled = counts / counts.max()  # 1e308 customers per tier must not overflow
    share_c = 100.0 * counts_scaled / counts_scaled.sum()
    ax = axes(ax)
    x = np.arange(len(labels))
    colours = _tier_colours(len(labels))
    width = 0.4 if share_v is not None else 0.7
    offset = -width / 2 if share_v is not None else 0.0
    bars = ax.bar(x + offset, share_c, width=width, color=colours, label="% of customers")
    for bar, n in zip(bars, counts, strict=True):
        ax.annotate(
            f"{int(n):,}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )
    if share_v is not None:
        ax.bar(x + width / 2, share_v, width=width, color=PALETTE["accent"], label="% of value")
        ax.legend(frameon=False)
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_ylabel("% of customers" + (" / % of value" if share_v is not None else ""))
    ax.set_xlabel("tier (best first); bar labels: customers")
    ax.set_title("Tier sizes" + (" and value" if share_v is not None else ""))
    tidy(ax)
    return ax


def plot_tier_migration(result: Any, /, *, ax: Any = None) -> Any:
    """Plot a tier migration matrix: row % of each before-tier by after-tier, with counts.

    Parameters
    ----------
    result
        Output of :func:`custloyalty.segmentation.tier_migration` (or of
        :func:`custloyalty.scorecard.compare`'s ``migration``).
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Heat map with the before tiers (and "(new)") down and the after tiers (and
        "(churned)") across; colour = % of the row, text = customers and row %.

    Raises
    ------
    ValidationError
        ``result`` is not a tier migration result, or its counts are empty or not whole
        numbers >= 0.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from custloyalty.plotting import plot_tier_migration
    >>> from custloyalty.segmentation import tier_migration
    >>> before = pd.Series(["A", "B", "B", "C"], index=[1, 2, 3, 4])
    >>> after = pd.Series(["A", "A", "C", "B"], index=[1, 2, 4, 5])
    >>> ax = plot_tier_migration(tier_migration(before, after, order=["A", "B", "C"]))
    >>> ax.images[0].get_array().shape
    (4, 4)
    >>> plt.close("all")
    """
    counts = getattr(result, "counts", None)
    if not isinstance(counts, pd.DataFrame):
        msg = (
            "plot_tier_migration needs the result of custloyalty.segmentation.tier_migration; "
            f"got {type(result).__name__}."
        )
        raise ValidationError(msg)
    c = number_columns(
        counts,
        list(counts.columns),
        "plot_tier_migration",
        name="counts of the result",
        bounds=(0.0, np.inf),
        integer=True,
    ).to_numpy()
    sums = c.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(sums > 0, 100.0 * c / np.where(sums > 0, sums, 1.0), np.nan)
    ax = axes(ax)
    img = ax.imshow(np.ma.masked_invalid(pct), cmap="Blues", vmin=0, vmax=100, aspect="auto")
    ax.figure.colorbar(img, ax=ax, label="% of the before tier")
    texts = [
        [f"{int(c[i, j]):,}\n{pct[i, j]:.0f}%" if c[i, j] else "" for j in range(c.shape[1])]
        for i in range(c.shape[0])
    ]
    _annotate_heat(ax, np.nan_to_num(pct), texts)
    ax.set_xticks(np.arange(c.shape[1]))
    ax.set_xticklabels([str(x) for x in counts.columns])
    ax.set_yticks(np.arange(c.shape[0]))
    ax.set_yticklabels([str(x) for x in counts.index])
    ax.set_xlabel("tier after")
    ax.set_ylabel("tier before")
    ups = getattr(result, "n_upgrades", None)
    downs = getattr(result, "n_downgrades", None)
    extra = f": {ups:,} up, {downs:,} down" if ups is not None and downs is not None else ""
    ax.set_title(f"Tier migration{extra}")
    return ax


def plot_composite_distribution(
    values: Any,
    /,
    *,
    thresholds: Sequence[float] | None = None,
    labels: Sequence[str] | None = None,
    bins: int = 40,
    ax: Any = None,
) -> Any:
    """Plot the distribution of the 0-100 composite loyalty index with the tier cut-offs.

    Parameters
    ----------
    values
        Composite per customer (NaN values are left out).
    thresholds
        Composite cut-offs between tiers, best first (``LoyaltyScorecard.tier_thresholds_``).
    labels
        Tier labels, best first (one more than ``thresholds``), written between the cut-offs.
    bins
        Number of histogram bins over [0, 100]; default 40.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Histogram (customers per bin, whole-number ticks) with a dashed line at each cut-off.

    Raises
    ------
    ValidationError
        No finite value; values or ``thresholds`` outside [0, 100] (values there would fall
        outside every bin); ``thresholds`` given as text or not strictly decreasing;
        ``labels`` not a list one longer than ``thresholds``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty.plotting import plot_composite_distribution
    >>> ax = plot_composite_distribution([10, 20, 55, 80, 95], thresholds=[70, 40],
    ...                                  labels=["Gold", "Silver", "Bronze"], bins=10)
    >>> len(ax.patches), len(ax.lines)
    (10, 2)
    >>> plt.close("all")
    """
    arr, _ = as_1d_float(values, "values", nan_policy="omit")
    if arr.size == 0:
        msg = "plot_composite_distribution needs at least one finite composite value."
        raise ValidationError(msg)
    if (
        isinstance(bins, bool)
        or not isinstance(bins, int | np.integer)
        or not 1 <= bins <= MAX_BINS
    ):
        msg = (
            "The 'bins' parameter of plot_composite_distribution must be a positive integer "
            f"<= {MAX_BINS}; got {bins!r:.40}."
        )
        raise ValidationError(msg)
    refuse_bools(thresholds, "thresholds", func="plot_composite_distribution")
    given: Any = thresholds
    if isinstance(given, str | bytes):  # "50" would be the cut-offs 5 and 0
        msg = f"thresholds must be a list of numbers, best tier first; got the text {thresholds!r}."
        raise ValidationError(msg)
    try:
        th = [float(t) for t in thresholds] if thresholds is not None else []
    except (TypeError, ValueError):
        msg = f"thresholds must hold numbers, best tier first; got {thresholds!r}."
        raise ValidationError(msg) from None
    if not np.isfinite(th).all() or bool((np.diff(th) >= 0).any()):
        msg = (
            "thresholds must be finite and strictly decreasing (the cut-off of the best tier "
            f"first, as LoyaltyScorecard.tier_thresholds_); got {thresholds!r}."
        )
        raise ValidationError(msg)
    check_in_range(np.asarray(th, dtype=np.float64), "thresholds", 0.0, 100.0)
    if labels is not None and (
        isinstance(labels, str | bytes)
        or not isinstance(labels, Sequence | np.ndarray | pd.Index | pd.Series)
        or len(labels) != len(th) + 1
    ):
        msg = (
            f"labels must be a list of {len(th) + 1} tier names for {len(th)} thresholds; got "
            f"{labels!r:.120}."
        )
        raise ValidationError(msg)
    # values outside the scale would fall outside every bin and vanish from the histogram
    check_in_range(arr, "values", 0.0, 100.0)
    counts, edges = np.histogram(arr, bins=int(bins), range=(0.0, 100.0))
    ax = axes(ax)
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=PALETTE["primary"], lw=0)
    for t in th:
        ax.axvline(t, color=PALETTE["accent"], ls="--", lw=1.2)
    if labels is not None:
        bounds = [100.0, *th, 0.0]
        top = float(counts.max()) if counts.size else 1.0
        for k, name in enumerate(labels):
            mid = (bounds[k] + bounds[k + 1]) / 2
            ax.text(mid, top * 1.04, str(name), ha="center", va="bottom", fontsize=9)
        ax.set_ylim(0, top * 1.15)
    ax.set_xlim(0, 100)
    ax.set_xlabel("composite loyalty index (0-100, higher is more loyal)")
    ax.set_ylabel("customers")
    thousands(ax.yaxis)
    ax.set_title(f"Composite loyalty index ({arr.size:,} customers)")
    tidy(ax)
    return ax


# --------------------------------------------------------------------------------------------
# weights and drivers
# --------------------------------------------------------------------------------------------
def _contributions(contributions: Any, names: pd.Index) -> pd.Series:
    """Mean contribution per indicator: a Series / mapping, or a table of contrib_ columns."""
    func = "plot_weights"
    if isinstance(contributions, pd.DataFrame):
        cols = {
            c: c.removeprefix("contrib_")
            for c in contributions.columns
            if isinstance(c, str) and c.startswith("contrib_")
        }
        if not cols:
            msg = (
                f"The 'contributions' table of {func} has no contrib_<indicator> column; it "
                f"has {list(contributions.columns)[:8]!r}.\nHint: pass the customers table "
                "of a scorecard result, or a mapping of indicator to mean contribution."
            )
            raise ValidationError(msg)
        block, _ = numeric_columns(
            contributions, list(cols), nan_policy="omit", func=func, name="contributions"
        )
        contrib = block.mean().rename(index=cols)
    elif isinstance(contributions, Mapping | pd.Series):
        raw = (
            contributions
            if isinstance(contributions, pd.Series)
            else pd.Series(contributions, dtype=object)
        )
        refuse_bools(raw.to_numpy(), "contributions", func=func)
        contrib = pd.to_numeric(raw, errors="coerce").astype(np.float64)
        bad = contrib.isna() & raw.notna()
        if bad.any():
            msg = (
                f"The 'contributions' of {func} must be numbers; got "
                f"{dict(raw[bad].head(5))!r:.120}."
            )
            raise ValidationError(msg)
    else:
        msg = (
            f"The 'contributions' parameter of {func} must be a mapping of indicator to mean "
            f"contribution, a Series, or a scorecard's customers table; got "
            f"{type(contributions).__name__} {contributions!r:.80}."
        )
        raise ValidationError(msg)
    if not contrib.index.is_unique:
        twice = list(contrib.index[contrib.index.duplicated()].unique()[:5])
        msg = f"The 'contributions' of {func} name {twice!r} more than once."
        raise ValidationError(msg)
    if np.isinf(contrib.to_numpy()).any():
        msg = (
            f"The 'contributions' of {func} must be finite points of the 0-100 index; got "
            f"{dict(contrib[np.isinf(contrib.to_numpy())].head(5))!r:.120}."
        )
        raise ValidationError(msg)
    unknown = [k for k in contrib.index if k not in names]
    if unknown or not contrib.index.isin(names).any():
        msg = (
            f"The 'contributions' of {func} name indicators without a weight: "
            f"{(unknown or list(contrib.index))[:5]!r}; the weights are {list(names)!r}."
        )
        raise ValidationError(msg)
    return contrib


def plot_weights(weighting: Any, /, *, contributions: Any = None, ax: Any = None) -> Any:
    r"""Plot the indicator weights of a scorecard and their mean contributions to the composite.

    Parameters
    ----------
    weighting
        Weight per indicator (Series or mapping, summing to 1), e.g. ``result.weights`` or
        the fitted ``LoyaltyScorecard.weights_``.
    contributions
        Optional mean contribution of each indicator in points of the 0-100 composite: a
        Series / mapping by indicator, or the scorecard's customers table (its
        ``contrib_<name>`` columns are averaged).
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Horizontal bars of each weight in % (largest first) and, with ``contributions``, a
        second bar with the mean points it adds to the composite.

    Raises
    ------
    ValidationError
        No weights, non-finite, negative or boolean weights, an indicator twice, weights
        not summing to 1 (the bars read as % of the composite); contributions that are not
        finite numbers, name an indicator twice or name indicators without a weight.

    Notes
    -----
    With weights $w_j$ and normalised indicators $z_{ij}$, the mean contribution of
    indicator $j$ is $\frac{100}{n}\sum_i w_j z_{ij} / \sum_{k \in A_i} w_k$; the
    contributions add up to the mean composite.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty.plotting import plot_weights
    >>> ax = plot_weights({"frequency": 0.5, "monetary": 0.3, "recency": 0.2},
    ...                   contributions={"frequency": 30.0, "monetary": 12.0, "recency": 9.0})
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['frequency', 'monetary', 'recency']
    >>> plt.close("all")
    """
    if not isinstance(weighting, Mapping | pd.Series):
        msg = (
            "plot_weights needs the weights as a mapping of indicator to weight (such as "
            f"LoyaltyScorecard.weights_) or a Series; got {type(weighting).__name__}."
        )
        raise ValidationError(msg)
    w = weighting if isinstance(weighting, pd.Series) else pd.Series(weighting, dtype=object)
    refuse_bools(w.to_numpy(), "weighting", func="plot_weights")
    try:
        w = w.astype(np.float64)
    except (TypeError, ValueError):
        msg = f"plot_weights needs numeric weights; got {dict(weighting)!r}."
        raise ValidationError(msg) from None
    if len(w) == 0 or not np.isfinite(w.to_numpy()).all() or (w.to_numpy() < 0).any():
        msg = "plot_weights needs finite weights (non-negative) for at least one indicator."
        raise ValidationError(msg)
    if not w.index.is_unique:
        twice = list(w.index[w.index.duplicated()].unique()[:5])
        msg = f"plot_weights needs one weight per indicator; {twice!r} appear more than once."
        raise ValidationError(msg)
    w = w.sort_values(ascending=False)
    contrib: pd.Series | None = None
    if contributions is not None:
        contrib = _contributions(contributions, w.index)
    if not np.isclose(float(w.sum()), 1.0, rtol=0.0, atol=1e-6):
        # the bars read as % of the composite: weights of 5 and 3 would read 500% and 300%
        msg = (
            f"plot_weights shows each weight as a % of the composite, so the weights must sum "
            f"to 1; they sum to {float(w.sum()):g}.\nHint: pass the weights divided by their "
            "sum, e.g. w / w.sum()."
        )
        raise ValidationError(msg)
    ax = axes(ax)
    y = np.arange(len(w))[::-1]
    h = 0.38 if contrib is not None else 0.6
    ax.barh(
        y + (h / 2 if contrib is not None else 0),
        100 * w.to_numpy(),
        height=h,
        color=PALETTE["primary"],
        label="weight (%)",
    )
    for yy, v in zip(y, w.to_numpy(), strict=True):
        ax.text(
            100 * v,
            yy + (h / 2 if contrib is not None else 0),
            f" {100 * v:.0f}%",
            va="center",
            fontsize=8,
        )
    if contrib is not None:
        c = contrib.reindex(w.index).to_numpy(dtype=np.float64)
        ax.barh(
            y - h / 2,
            c,
            height=h,
            color=PALETTE["accent"],
            label="mean contribution (points of 100)",
        )
        for yy, v in zip(y, c, strict=True):
            if np.isfinite(v):
                ax.text(v, yy - h / 2, f" {v:.1f}", va="center", fontsize=8)
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ax.set_yticks(y)
    ax.set_yticklabels([str(i) for i in w.index])
    ax.set_xlabel(
        "% of the composite" + (" / points of the 0-100 index" if contrib is not None else "")
    )
    ax.set_title("Indicator weights" + (" and contributions" if contrib is not None else ""))
    tidy(ax)
    return ax


def plot_key_drivers(
    drivers: Any,
    /,
    *,
    target: str = "SAT",
    scale: tuple[float, float] = (1, 10),
    ax: Any = None,
) -> Any:
    """Plot an importance-performance map of the drivers of a construct.

    Parameters
    ----------
    drivers
        A fitted :class:`~custloyalty.metrics.PLSResult` (its ``key_drivers(target,
        scale=scale)`` is used) or that table itself: indexed by driver with ``total``
        (importance: total effect on the target) and ``performance`` (0-100 index) columns.
    target
        Construct whose drivers are mapped (with a PLS result); default ``"SAT"``.
    scale
        Item answer scale for the performance indices (with a PLS result); default (1, 10).
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        One labelled point per driver, importance across and performance up, split into
        quadrants at the mean importance and mean performance; the lower-right quadrant of
        important, weakly performing drivers reads "improve first" and its points are red.

    Raises
    ------
    ValidationError
        Missing ``total`` / ``performance`` columns or no driver; values that are not finite
        numbers (text, booleans, NaN), a ``performance`` outside [0, 100], totals spanning
        beyond the float range.

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. *Journal of
    Marketing*, 41(1), 77-79. https://doi.org/10.1177/002224297704100112

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import pandas as pd
    >>> from custloyalty.plotting import plot_key_drivers
    >>> table = pd.DataFrame({"total": [0.5, 0.3, 0.1], "performance": [60.0, 75.0, 80.0]},
    ...                      index=pd.Index(["VAL", "QUAL", "IMAG"], name="driver"))
    >>> ax = plot_key_drivers(table, target="SAT")
    >>> ax.get_title()
    'Key drivers of SAT: importance-performance map'
    >>> plt.close("all")
    """
    if hasattr(drivers, "key_drivers"):
        table = drivers.key_drivers(target, scale=scale)
    else:
        table = as_frame(drivers, name="drivers")
    require_columns(table, ["total", "performance"], name="drivers")
    if len(table) == 0:
        msg = f"plot_key_drivers: {target!r} has no driver."
        raise ValidationError(msg)
    func = "plot_key_drivers"
    x = number_columns(table, ["total"], func, name="drivers")["total"].to_numpy()
    y = number_columns(table, ["performance"], func, name="drivers", bounds=(0.0, 100.0))[
        "performance"
    ].to_numpy()
    with np.errstate(over="ignore"):
        span = float(np.ptp(x))
    if not np.isfinite(span):
        msg = (
            f"{func}: the total effects span beyond the float range ({x.min():g} to "
            f"{x.max():g}); a total effect is a standardised coefficient, usually within [-1, 1]."
        )
        raise ValidationError(msg)
    ax = axes(ax)
    mx, my = float(np.mean(x)), float(np.mean(y))
    ax.axvline(mx, color=PALETTE["neutral"], lw=0.8, ls="--")
    ax.axhline(my, color=PALETTE["neutral"], lw=0.8, ls="--")
    colours = [
        PALETTE["bad"] if (a >= mx and b < my) else PALETTE["primary"]
        for a, b in zip(x, y, strict=True)
    ]
    ax.scatter(x, y, s=70, color=colours, zorder=3)
    for name, a, b in zip(table.index, x, y, strict=True):
        ax.annotate(str(name), (a, b), xytext=(6, 4), textcoords="offset points", fontsize=9)
    pad_x = max(0.02, 0.2 * span if x.size > 1 else 0.05)
    pad_y = max(2.0, 0.15 * float(np.ptp(y)) if y.size > 1 else 2.0)
    ax.set_xlim(float(x.min()) - pad_x, float(x.max()) + pad_x)
    ax.set_ylim(float(y.min()) - pad_y, float(y.max()) + pad_y)
    corners = (
        (0.02, 0.03, "left", "bottom", "low priority"),
        (0.98, 0.03, "right", "bottom", "improve first"),
        (0.02, 0.97, "left", "top", "possible overkill"),
        (0.98, 0.97, "right", "top", "keep up the good work"),
    )
    for cx, cy, ha, va, text in corners:
        ax.text(
            cx,
            cy,
            text,
            transform=ax.transAxes,
            ha=ha,
            va=va,
            fontsize=8,
            color=PALETTE["bad"] if text == "improve first" else PALETTE["neutral"],
        )
    ax.set_xlabel(f"importance: total effect on {target} (standardised)")
    ax.set_ylabel("performance: index (0-100)")
    ax.set_title(f"Key drivers of {target}: importance-performance map")
    tidy(ax)
    return ax


# --------------------------------------------------------------------------------------------
# value concentration
# --------------------------------------------------------------------------------------------
def _pareto_shares(shares: Any) -> FloatArray:
    """Check the ABC shares of the Pareto curve by value_tiers' rule (positive, sum 1)."""
    return check_shares(shares, func="plot_pareto_curve")


def plot_pareto_curve(
    values: Any,
    /,
    *,
    shares: Sequence[float] = (0.8, 0.15, 0.05),
    labels: Sequence[str] = ("A", "B", "C"),
    nan_policy: str = "raise",
    ax: Any = None,
) -> Any:
    r"""Plot the Pareto curve of customer value with the ABC tiers shaded.

    Parameters
    ----------
    values
        One non-negative value per customer (e.g. total spend).
    shares
        Shares of total value held by the tiers, best first (the ABC analysis of
        :func:`custloyalty.segmentation.value_tiers`); default (0.8, 0.15, 0.05).
    labels
        Tier labels, best first; default ``("A", "B", "C")``.
    nan_policy
        ``"raise"`` (default) or ``"omit"`` missing values.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Cumulative % of value against cumulative % of customers ranked by value (at most 400
        points: the curve is evaluated on an even grid of customer shares), the diagonal of
        equal shares, and each tier's band labelled with its % of customers; the bands are
        the tiers :func:`~custloyalty.segmentation.value_tiers` gives (tied customers share
        a tier); the title gives the Gini coefficient.

    Raises
    ------
    ValidationError
        Negative, non-numeric or all-zero values; ``shares`` that are not at least two
        positive numbers summing to 1 (as :func:`~custloyalty.segmentation.value_tiers`
        requires); ``labels`` that are not a list of one name per share.

    Notes
    -----
    With values sorted in decreasing order, $P(k/n) = \sum_{j \le k} v_{(j)} / \sum_j v_{(j)}$
    and the Gini coefficient is $2\int_0^1 P(p)\,dp - 1$ (Lorenz 1905).

    References
    ----------
    Lorenz, M. O. (1905). Methods of measuring the concentration of wealth. *Publications of
    the American Statistical Association*, 9(70), 209-219. https://doi.org/10.2307/2276207

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty.plotting import plot_pareto_curve
    >>> ax = plot_pareto_curve([500.0, 300.0, 100.0, 60.0, 30.0, 10.0])
    >>> ax.get_title()
    'Value concentration: Pareto curve and ABC tiers (Gini 0.55)'
    >>> plt.close("all")
    """
    from custloyalty._validation import check_nan_policy

    policy = check_nan_policy(nan_policy, func="plot_pareto_curve")
    arr, _ = as_1d_float(values, "values", nan_policy=policy)
    if arr.size == 0 or (arr < 0).any() or not arr.max() > 0:
        msg = (
            "plot_pareto_curve needs non-negative values with a positive total; got "
            f"{int((arr < 0).sum())} negative values and a total of {float(arr.sum()):g}."
        )
        raise ValidationError(msg)
    from custloyalty.segmentation import value_tiers

    share_arr = _pareto_shares(shares)
    if (
        isinstance(labels, str | bytes)
        or not isinstance(labels, Sequence | np.ndarray | pd.Index | pd.Series)
        or len(labels) != share_arr.size
    ):
        msg = (
            f"The 'labels' parameter of plot_pareto_curve must be a list of {share_arr.size} "
            f"tier names, one per share; got {labels!r:.120}."
        )
        raise ValidationError(msg)
    # the bands are the tiers value_tiers gives (tied customers share a tier), not a cut
    # of the sorted row positions, so the figure and the tier table agree
    codes = value_tiers(arr, method="abc", shares=share_arr.tolist()).cat.codes.to_numpy()
    tier_sizes = np.bincount(codes, minlength=share_arr.size)
    n = arr.size
    ranked = np.sort(arr)[::-1]
    if ranked[0] > np.finfo(np.float64).max / n:  # the sums would overflow: shares do not
        ranked = ranked / ranked[0]  # depend on the scale
    cum = np.concatenate([[0.0], np.cumsum(ranked)])
    cum /= cum[-1]
    grid = np.unique(np.linspace(0, n, min(n, MAX_POINTS) + 1).round().astype(np.int64))
    px, py = 100.0 * grid / n, 100.0 * cum[grid]
    # Gini from the trapezoid rule on all points (exact for the step-linear curve)
    area = float(((cum[1:] + cum[:-1]) / 2).sum() / n)
    gini = 2 * area - 1
    ax = axes(ax)
    cuts = [0.0, *(100.0 * np.cumsum(tier_sizes) / n)]
    colours = _tier_colours(len(labels))
    for i, name in enumerate(labels):
        ax.axvspan(cuts[i], cuts[i + 1], color=colours[i], alpha=0.25, lw=0)
        mid = (cuts[i] + cuts[i + 1]) / 2
        ax.text(
            mid,
            4,
            f"{name}\n{cuts[i + 1] - cuts[i]:.0f}% of\ncustomers",
            ha="center",
            va="bottom",
            fontsize=8,
            color=PALETTE["ink"],
        )
    ax.plot([0, 100], [0, 100], color=PALETTE["neutral"], lw=0.8, ls=":", label="equal shares")
    ax.plot(px, py, color=PALETTE["primary"], lw=2, label="cumulative value")
    top20 = 100.0 * cum[int(np.ceil(0.2 * n))]
    ax.annotate(
        f"top 20% bring {top20:.0f}%",
        (20, top20),
        xytext=(28, top20 - 18),
        arrowprops={"arrowstyle": "->", "color": PALETTE["ink"]},
        fontsize=9,
    )
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 101)
    ax.set_xlabel("% of customers, ranked by value")
    ax.set_ylabel("% of total value")
    ax.set_title(f"Value concentration: Pareto curve and ABC tiers (Gini {gini:.2f})")
    ax.legend(frameon=False, loc="center right")
    tidy(ax)
    return ax

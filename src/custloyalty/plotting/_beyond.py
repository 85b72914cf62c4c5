"""Plots of the results beyond the five indicators: programme, value x potential, over time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custloyalty.errors import ValidationError
from custloyalty.plotting._common import MAX_BINS, integer_axis, number_columns, require
from custloyalty.plotting._common import axes as _axes

__all__ = ["plot_engagement", "plot_over_time", "plot_programme_effect", "plot_value_potential"]


def plot_programme_effect(result: Any, *, ax: Any = None) -> Any:
    """Plot each outcome's programme effect and interval, with the placebo below it.

    Outcomes have their own units (purchase days or spend per 30 days, retention as a share,
    NPS points), so each gets its own panel and x axis; the dashed line is zero.

    Parameters
    ----------
    result
        A :class:`~custloyalty.programme.ProgrammeEffectResult`.
    ax
        A sequence of matplotlib Axes, one per outcome (a single Axes for one outcome); a new
        figure with one row per outcome when None.

    Returns
    -------
    numpy.ndarray of matplotlib.axes.Axes
        One Axes per outcome, in the order of ``result.effects``.

    Raises
    ------
    ValidationError
        ``result`` is not a programme effect result, or ``ax`` does not hold one Axes per
        outcome.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty.datasets import make_programme
    >>> from custloyalty.plotting import plot_programme_effect
    >>> from custloyalty.programme import programme_effect
    >>> data = make_programme(400, lift=0.3, seed=2)
    >>> res = programme_effect(data.transactions, data.members, launch=data.launch,
    ...                        observation_end=data.observation_end, pre_days=data.pre_days,
    ...                        n_boot=60, seed=1)
    >>> len(plot_programme_effect(res)) == len(res.effects)
    True
    >>> plt.close("all")
    """
    require(
        result,
        ("effects", "placebo", "confidence", "method", "launch"),
        "plot_programme_effect",
        "the result of custloyalty.programme.programme_effect",
    )
    names = list(result.effects.index)
    if ax is None:
        import matplotlib.pyplot as plt

        _, grid = plt.subplots(len(names), 1, figsize=(6.4, 1.3 + 1.1 * len(names)), squeeze=False)
        axs = grid[:, 0]
    else:
        axs = np.atleast_1d(np.asarray(ax, dtype=object))
        if axs.size != len(names):
            msg = (
                f"plot_programme_effect needs {len(names)} Axes in 'ax', one per outcome; "
                f"got {axs.size}."
            )
            raise ValidationError(msg)
    for axis, name in zip(axs, names, strict=True):
        for frame, y, colour in ((result.effects, 1.0, "C0"), (result.placebo, 0.0, "C7")):
            est, lo, hi = (float(frame.loc[name, c]) for c in ("estimate", "ci_low", "ci_high"))
            axis.errorbar(
                [est], [y], xerr=[[est - lo], [hi - est]], fmt="o", color=colour, capsize=3
            )
        axis.axvline(0.0, color="grey", linestyle="--", linewidth=1)
        axis.set_yticks([1.0, 0.0], ["effect", "placebo"])
        axis.set_ylim(-0.6, 1.6)
        axis.set_title(name, loc="left", fontsize="medium")
    axs[-1].set_xlabel(f"difference-in-differences ({result.confidence:.0%} interval)")
    axs[0].figure.suptitle(f"Programme effect ({result.method}), launch {result.launch.date()}")
    if ax is None:  # our own figure: fit its panels (a caller's layout is left alone)
        axs[0].figure.tight_layout()
    return axs


def plot_value_potential(result: Any, *, ax: Any = None) -> Any:
    """Plot the value x potential grid: customers per cell, with each cell's action.

    One cell per (value level, potential level): its shade and first line give the customers
    in it, its second line the action. The figure summarises; its size does not grow with the
    number of customers.

    Parameters
    ----------
    result
        A :class:`~custloyalty.segmentation.ValuePotentialResult`.
    ax
        Matplotlib Axes; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.plotting import plot_value_potential
    >>> from custloyalty.segmentation import value_potential_tiers
    >>> res = value_potential_tiers(load_cdnow("sample"), observation_end="1998-06-30")
    >>> ax = plot_value_potential(res)
    >>> plt.close("all")
    """
    require(
        result,
        ("counts", "actions", "model", "horizon", "observation_end"),
        "plot_value_potential",
        "the result of custloyalty.segmentation.value_potential_tiers",
    )
    counts = result.counts
    acts = result.actions
    if not isinstance(counts, pd.DataFrame) or not isinstance(acts, pd.DataFrame):
        msg = "plot_value_potential needs counts and actions tables (DataFrames) in the result."
        raise ValidationError(msg)
    if acts.shape != counts.shape:
        msg = (
            f"plot_value_potential needs one action per cell: counts is {counts.shape[0]} x "
            f"{counts.shape[1]} but actions is {acts.shape[0]} x {acts.shape[1]}."
        )
        raise ValidationError(msg)
    values = number_columns(
        counts,
        list(counts.columns),
        "plot_value_potential",
        name="counts of the result",
        bounds=(0.0, np.inf),
        integer=True,
    ).to_numpy()
    ax = _axes(ax)
    total = max(float(values.sum()), 1.0)
    im = ax.imshow(values, cmap="Blues", aspect="auto")
    hi = float(np.nanmax(values)) if values.size else 0.0
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            n = values[i, j]
            colour = "white" if n > 0.6 * hi else "black"
            ax.text(
                j,
                i,
                f"{int(n):,} ({100 * n / total:.0f}%)\n" + str(acts.iloc[i, j]),
                ha="center",
                va="center",
                color=colour,
                fontsize="small",
            )
    ax.set_xticks(range(values.shape[1]), [str(c) for c in counts.columns])
    ax.set_yticks(range(values.shape[0]), [str(r) for r in counts.index])
    model = {"bg_nbd": "BG/NBD", "pareto_nbd": "Pareto/NBD"}.get(result.model, result.model)
    ax.set_xlabel(f"potential: predicted {result.horizon}-month CLV ({model})")
    ax.set_ylabel("current value: total spend")
    ax.set_title(f"Value x potential, customers per cell (to {result.observation_end.date()})")
    bar = ax.figure.colorbar(im, ax=ax)
    bar.set_label("customers")
    integer_axis(bar.ax.yaxis)
    return ax


def plot_over_time(result: Any, *, ax: Any = None) -> Any:
    """Plot the composite mean (with its interval) and the churn rate per period.

    Alerts are marked with red triangles on the series they concern.

    Parameters
    ----------
    result
        An :class:`~custloyalty.monitoring.OverTimeResult`.
    ax
        Matplotlib Axes; a new figure when None. The churn rate uses a twin axis.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes of the composite.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.monitoring import evaluate_over_time
    >>> from custloyalty.plotting import plot_over_time
    >>> from custloyalty.scorecard import LoyaltyScorecard
    >>> card = LoyaltyScorecard(["purchase_days", "total_spend", "days_since_last_purchase"])
    >>> res = evaluate_over_time(load_cdnow("sample"), scorecard=card, period="Q")
    >>> len(plot_over_time(res).get_xticklabels()) == len(res.kpis)
    True
    >>> plt.close("all")
    """
    require(
        result,
        ("kpis", "alerts", "period", "refit", "reference"),
        "plot_over_time",
        "the result of custloyalty.monitoring.evaluate_over_time",
    )
    ax = _axes(ax)
    k = result.kpis
    x = np.arange(len(k))
    ax.plot(x, k["composite_mean"], marker="o", color="C0", label="composite mean")
    ax.fill_between(x, k["composite_ci_low"], k["composite_ci_high"], color="C0", alpha=0.2)
    ax.set_xticks(x, [str(p) for p in k.index], rotation=45)
    ax.set_ylabel("composite (0-100)")
    ax.set_xlabel(f"period ({result.period})")
    twin = ax.twinx()
    twin.plot(x, 100 * k["churn_rate"], marker="s", color="C1", label="churn rate")
    twin.set_ylabel("churn rate (%)")
    pos = {p: i for i, p in enumerate(k.index)}
    for _, row in result.alerts.iterrows():
        i = pos.get(row["period"])
        if i is None:
            continue
        if row["kpi"] == "churn_rate":
            twin.plot(i, 100 * k["churn_rate"].iloc[i], marker="^", color="red", markersize=10)
        else:
            ax.plot(i, k["composite_mean"].iloc[i], marker="^", color="red", markersize=10)
    how = "refitted" if result.refit else "weights frozen at " + str(result.reference)
    ax.set_title(f"Loyalty over time ({how})")
    lines = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="best")
    return ax


def plot_engagement(index: Any, /, *, bins: int = 20, ax: Any = None) -> Any:
    """Plot the distribution of the 0-100 engagement index of the customers who interacted.

    Parameters
    ----------
    index
        Engagement index per customer (:func:`custloyalty.metrics.engagement_index`); NaN
        values (customers without interactions) are left out and counted in the title.
    bins
        Number of histogram bins over [0, 100]; default 20.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Histogram of customers per bin (whole-number ticks), titled with the number of
        customers who interacted.

    Raises
    ------
    ValidationError
        No finite value, values outside [0, 100] (they would fall outside every bin), or
        ``bins`` not a positive integer.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from custloyalty.plotting import plot_engagement
    >>> ax = plot_engagement([10.0, 35.0, 35.0, 80.0, float("nan")], bins=10)
    >>> len(ax.patches), ax.get_title()
    (10, 'Engagement index, 4 customers who interacted (1 did not)')
    >>> plt.close("all")
    """
    from custloyalty._validation import as_1d_float, check_in_range

    if (
        isinstance(bins, bool)
        or not isinstance(bins, int | np.integer)
        or not 1 <= bins <= MAX_BINS
    ):
        msg = (
            f"The 'bins' parameter of plot_engagement must be a positive integer <= {MAX_BINS}; "
            f"got {bins!r:.40}."
        )
        raise ValidationError(msg)
    arr, keep = as_1d_float(index, "index", nan_policy="omit")  # refuses an all-missing index
    # values outside the scale would fall outside every bin and vanish from the histogram
    check_in_range(arr, "index", 0.0, 100.0)
    counts, edges = np.histogram(arr, bins=int(bins), range=(0.0, 100.0))
    ax = _axes(ax)
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="C0", lw=0)
    ax.set_xlim(0.0, 100.0)
    ax.set_xlabel("engagement index (0-100, higher is more engaged)")
    ax.set_ylabel("customers")
    integer_axis(ax.yaxis)
    missing = int(keep.size - keep.sum())
    extra = f" ({missing:,} did not)" if missing else ""
    ax.set_title(f"Engagement index, {arr.size:,} customers who interacted{extra}")
    return ax

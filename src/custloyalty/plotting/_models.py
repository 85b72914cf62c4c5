"""Plots of the model checks: calibration vs holdout, cumulative purchases, P(alive), sBG fit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from custloyalty._frames import as_frame, require_columns
from custloyalty._validation import check_option, refuse_bools
from custloyalty.errors import ValidationError
from custloyalty.plotting._common import (
    MAX_BINS,
    PALETTE,
    UNIT_NAMES,
    axes,
    integer_axis,
    number_columns,
    number_index,
    require,
    thousands,
    tidy,
    unit_name,
)

__all__ = [
    "plot_calibration_holdout",
    "plot_cumulative_purchases",
    "plot_p_alive_matrix",
    "plot_retention",
]


def plot_calibration_holdout(
    frame: pd.DataFrame, /, *, model_name: str | None = None, ax: Any = None
) -> Any:
    """Plot mean holdout purchases, actual vs expected, by calibration frequency.

    Parameters
    ----------
    frame
        Output of :func:`custloyalty.models.calibration_holdout`.
    model_name
        Name of the fitted model shown in the title (e.g. ``"ParetoNBD"``); default: read from
        ``frame.attrs["custloyalty"]["model"]`` when present.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with two lines (``actual``, ``expected``); the last x tick reads "k+".
        The x axis counts repeat purchases and has whole-number ticks only.

    Raises
    ------
    ValidationError
        ``frame`` lacks the ``actual`` / ``expected`` columns, is empty, holds values that
        are not finite numbers >= 0, or an index that is not the calibration purchases
        (whole numbers >= 0 in increasing order).

    See Also
    --------
    custloyalty.models.calibration_holdout

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from custloyalty.plotting import plot_calibration_holdout
    >>> frame = pd.DataFrame({"n_customers": [5, 3], "actual": [0.2, 1.0],
    ...                       "expected": [0.25, 0.9]}, index=pd.Index([0, 1], name="frequency"))
    >>> ax = plot_calibration_holdout(frame, model_name="BetaGeo")
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['0', '1+']
    >>> ax.get_title()
    'BetaGeo: calibration vs holdout'
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """
    func = "plot_calibration_holdout"
    df = as_frame(frame, name="frame")
    require_columns(df, ["actual", "expected"], name="frame")
    values = number_columns(df, ["actual", "expected"], func, bounds=(0.0, np.inf))
    x = number_index(df.index, func, "the calibration purchases (0, 1, 2, ...)")
    if (x < 0).any() or (x != np.floor(x)).any() or not (np.diff(x) > 0).all():
        msg = (
            f"{func} needs the calibration purchases as the index: whole numbers >= 0 in "
            f"increasing order, each once; got {list(df.index[:8])!r}."
        )
        raise ValidationError(msg)
    ax = axes(ax)
    ax.plot(x, values["actual"].to_numpy(), marker="o", color=PALETTE["primary"], label="actual")
    ax.plot(
        x,
        values["expected"].to_numpy(),
        marker="s",
        linestyle="--",
        color=PALETTE["accent"],
        label="expected",
    )
    labels = [str(int(v)) for v in x]
    if labels:
        labels[-1] += "+"
    ax.set_xticks(x)
    ax.set_xticklabels(labels)
    ax.set_xlabel("repeat purchases in the calibration period")
    ax.set_ylabel("mean repeat purchases in the holdout period")
    name = model_name or df.attrs.get("custloyalty", {}).get("model")
    ax.set_title(f"{name}: calibration vs holdout" if name else "Calibration vs holdout")
    tidy(ax)
    ax.legend(frameon=False)
    return ax


def plot_cumulative_purchases(
    frame: pd.DataFrame,
    /,
    *,
    model_name: str | None = None,
    time_unit: str = "W",
    ax: Any = None,
) -> Any:
    """Plot cumulative repeat purchases over time, actual vs expected.

    Parameters
    ----------
    frame
        Output of :func:`custloyalty.models.cumulative_purchases`.
    model_name
        Name of the fitted model shown in the title; default read from the frame's
        ``attrs`` when present.
    time_unit
        Length of one period of ``frame`` (the ``time_unit`` given to
        :func:`~custloyalty.models.cumulative_purchases`, default ``"W"``), for the axis label.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes (whole-number ticks on both count axes), with two lines and, when
        ``frame`` flags holdout periods, a dotted vertical line at the end of the
        calibration period.

    Raises
    ------
    ValidationError
        ``frame`` lacks the ``actual`` / ``expected`` columns, is empty, holds values that
        are not finite numbers >= 0, a non-numeric index or a ``holdout`` column that is not
        boolean; or ``time_unit`` is not one of ``"h"``, ``"D"``, ``"W"``, ``"M"``, ``"Q"``,
        ``"Y"``.

    See Also
    --------
    custloyalty.models.cumulative_purchases

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from custloyalty.plotting import plot_cumulative_purchases
    >>> frame = pd.DataFrame({"actual": [1.0, 3.0, 4.0], "expected": [1.2, 2.8, 4.1],
    ...                       "holdout": [False, True, True]},
    ...                      index=pd.Index([1, 2, 3], name="period"))
    >>> ax = plot_cumulative_purchases(frame, model_name="BetaGeo")
    >>> len(ax.lines), ax.get_xlabel()
    (3, 'weeks since the first purchase day')
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """
    func = "plot_cumulative_purchases"
    check_option(time_unit, "time_unit", tuple(UNIT_NAMES), func=func)
    df = as_frame(frame, name="frame")
    require_columns(df, ["actual", "expected"], name="frame")
    values = number_columns(df, ["actual", "expected"], func, bounds=(0.0, np.inf))
    x = number_index(df.index, func, "the periods since the first purchase day")
    hold = None
    if "holdout" in df.columns:
        flags = df["holdout"]
        if flags.dtype.kind != "b":  # "no" / "yes" or NaN would all read as True
            msg = (
                f"The 'holdout' column of the frame passed to {func} must hold True / False "
                f"flags; got dtype {flags.dtype} ({list(flags.head(3))!r})."
            )
            raise ValidationError(msg)
        hold = flags.to_numpy(dtype=bool)
    ax = axes(ax)
    ax.plot(x, values["actual"].to_numpy(), color=PALETTE["primary"], label="actual")
    expected = values["expected"].to_numpy()
    ax.plot(x, expected, linestyle="--", color=PALETTE["accent"], label="expected")
    if hold is not None and hold.any() and (~hold).any():
        ax.axvline(x[~hold].max(), color="grey", linestyle=":", label="end of calibration")
    ax.set_xlabel(f"{unit_name(time_unit)} since the first purchase day")
    ax.set_ylabel("cumulative repeat purchases")
    thousands(ax.yaxis)
    integer_axis(ax.xaxis)
    name = model_name or df.attrs.get("custloyalty", {}).get("model")
    title = "Cumulative repeat purchases"
    ax.set_title(f"{name}: {title.lower()}" if name else title)
    tidy(ax)
    ax.legend(frameon=False)
    return ax


def plot_p_alive_matrix(
    model: Any,
    /,
    *,
    max_frequency: int = 20,
    T: float = 39.0,
    n_recency: int = 40,
    time_unit: str = "W",
    ax: Any = None,
) -> Any:
    """Plot P(alive) over a grid of frequency and recency for customers of age ``T``.

    Parameters
    ----------
    model
        Fitted model with ``p_alive(frequency=, recency=, T=)`` (:class:`BetaGeo`,
        :class:`ParetoNBD`).
    max_frequency
        Largest frequency on the grid (rows 0 .. ``max_frequency``), default 20.
    T
        Age of the customers (time since the first purchase) in the model's time unit; the
        recency axis runs from 0 to ``T``.
    n_recency
        Number of recency grid points, default 40.
    time_unit
        The model's time unit (the unit of the summary it was fitted on; default ``"W"``),
        shown in the title and the recency axis label.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes with the heat map (values in [0, 1]) and a colour bar; recent, frequent
        customers (top right) are the most likely to be alive. The frequency axis has
        whole-number ticks only; the title names the model and the time unit.

    Raises
    ------
    NotFittedError
        The model is not fitted.
    ValidationError
        Invalid grid options (``max_frequency`` in [1, 1000], ``n_recency`` in [2, 1000],
        ``T`` a finite number > 0, ``time_unit`` one of ``"h"``, ``"D"``, ``"W"``, ``"M"``,
        ``"Q"``, ``"Y"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from custloyalty.models import BetaGeo
    >>> from custloyalty.plotting import plot_p_alive_matrix
    >>> bg = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> ax = plot_p_alive_matrix(bg, max_frequency=10, T=39)
    >>> ax.images[0].get_array().shape
    (11, 40)
    >>> ax.get_title()
    'BetaGeo: P(alive), customers of age T = 39 weeks'
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """
    require(model, ("p_alive",), "plot_p_alive_matrix", "a fitted BetaGeo or ParetoNBD model")
    # a grid cell per frequency and recency point: beyond MAX_BINS of either the image has
    # more cells than pixels (and 10^9 of them exhausted memory)
    if (
        isinstance(max_frequency, bool)
        or not isinstance(max_frequency, int | np.integer)
        or not 1 <= max_frequency <= MAX_BINS
    ):
        msg = f"max_frequency must be an integer in [1, {MAX_BINS}]; got {max_frequency!r}."
        raise ValidationError(msg)
    if (
        isinstance(n_recency, bool)
        or not isinstance(n_recency, int | np.integer)
        or not 2 <= n_recency <= MAX_BINS
    ):
        msg = f"n_recency must be an integer in [2, {MAX_BINS}]; got {n_recency!r}."
        raise ValidationError(msg)
    check_option(time_unit, "time_unit", tuple(UNIT_NAMES), func="plot_p_alive_matrix")
    refuse_bools(T, "T", func="plot_p_alive_matrix")
    given: Any = T  # typed float, but None, a list or "39" arrive from callers
    if not isinstance(given, int | float | np.integer | np.floating):
        msg = (
            "The 'T' parameter of plot_p_alive_matrix must be a number (finite and > 0); got "
            f"{type(T).__name__} {T!r:.60}."
        )
        raise ValidationError(msg)
    t_obs = float(T)
    if not np.isfinite(t_obs) or t_obs <= 0:
        msg = f"T must be finite and > 0; got {T!r}."
        raise ValidationError(msg)
    freq = np.arange(max_frequency + 1, dtype=np.float64)
    rec = np.linspace(0.0, t_obs, n_recency)
    f_grid, r_grid = np.meshgrid(freq, rec, indexing="ij")
    r_grid = np.where(f_grid == 0, 0.0, r_grid)
    p = model.p_alive(
        frequency=f_grid.reshape(-1), recency=r_grid.reshape(-1), T=np.full(f_grid.size, t_obs)
    ).to_numpy()
    ax = axes(ax)
    img = ax.imshow(
        p.reshape(f_grid.shape),
        origin="lower",
        aspect="auto",
        extent=(0.0, t_obs, -0.5, max_frequency + 0.5),
        vmin=0.0,
        vmax=1.0,
        cmap="viridis",
    )
    ax.figure.colorbar(img, ax=ax, label="P(alive)")
    unit = unit_name(time_unit)
    ax.set_xlabel(f"recency: time of the last purchase ({unit} after the first)")
    ax.set_ylabel("frequency (repeat purchases)")
    integer_axis(ax.yaxis)
    name = getattr(model, "_model_name", "") or type(model).__name__
    ax.set_title(f"{name}: P(alive), customers of age T = {t_obs:g} {unit}")
    return ax


def plot_retention(frame: pd.DataFrame, /, *, kind: str = "survival", ax: Any = None) -> Any:
    """Plot observed vs expected survival (or retention) by cohort for a shifted-beta-geometric fit.

    Parameters
    ----------
    frame
        Output of :meth:`custloyalty.models.ShiftedBetaGeo.survival_by_cohort`.
    kind
        ``"survival"`` (default): share of each cohort still active after ``t`` periods;
        ``"retention"``: share of the previous period's customers kept.
    ax
        Matplotlib Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
        Markers for the observed values and a dashed line for the model, one colour per
        cohort; whole-number ticks on the period axis.

    Raises
    ------
    ValidationError
        Unknown ``kind``; missing columns, an empty frame, counts that are not numbers
        >= 0, retention rates outside [0, 1], a missing cohort, a period of a cohort twice,
        a cohort of 0 customers in its first period (its survival is undefined). Rows may
        come in any order: each cohort is drawn from its first period.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from custloyalty.models import ShiftedBetaGeo
    >>> from custloyalty.plotting import plot_retention
    >>> surv = [1000, 631, 468, 382, 326, 289, 262, 241]
    >>> ax = plot_retention(ShiftedBetaGeo().fit(surv).survival_by_cohort(surv))
    >>> len(ax.lines)
    2
    >>> import matplotlib.pyplot as plt
    >>> plt.close("all")
    """
    check_option(kind, "kind", ("survival", "retention"), func="plot_retention")
    df = as_frame(frame, name="frame")
    need = ["cohort", "period", "actual", "expected", "actual_retention", "expected_retention"]
    require_columns(df, need, name="frame")
    func = "plot_retention"
    counts = number_columns(df, ["period", "expected"], func, bounds=(0.0, np.inf))
    # actual is missing for the periods a cohort has not reached yet (the model projects them)
    actual = number_columns(df, ["actual"], func, nan_policy="omit", bounds=(0.0, np.inf))
    rates = number_columns(
        df, ["actual_retention", "expected_retention"], func, nan_policy="omit", bounds=(0, 1)
    )
    cohort_of = df["cohort"]
    if cohort_of.isna().any():
        msg = (
            f"The 'cohort' column of the frame passed to {func} has "
            f"{int(cohort_of.isna().sum())} missing values; every row belongs to a cohort."
        )
        raise ValidationError(msg)
    table = pd.concat([cohort_of, counts, actual, rates], axis=1)
    # each cohort from its first period: the survival divides by the cohort's size then
    table = table.sort_values("period", kind="stable")
    if table.duplicated(["cohort", "period"]).any():
        msg = f"The frame passed to {func} holds a period of a cohort twice."
        raise ValidationError(msg)
    ax = axes(ax)
    for cohort, part in table.groupby("cohort", sort=False):
        t = part["period"].to_numpy(dtype=np.float64)
        if kind == "survival":
            size = float(part["actual"].iloc[0])
            if not size > 0:
                msg = (
                    f"{func}: cohort {cohort!r} has 0 customers in its first period "
                    f"({t[0]:g}); its survival is undefined."
                )
                raise ValidationError(msg)
            act = part["actual"].to_numpy(dtype=np.float64) / size
            exp = part["expected"].to_numpy(dtype=np.float64) / size
        else:
            act = part["actual_retention"].to_numpy(dtype=np.float64)
            exp = part["expected_retention"].to_numpy(dtype=np.float64)
        (line,) = ax.plot(t, act, marker="o", linestyle="none", label=f"{cohort} actual")
        ax.plot(t, exp, linestyle="--", color=line.get_color(), label=f"{cohort} model")
    ax.set_xlabel("periods since acquisition")
    ax.set_ylabel("share of the cohort surviving" if kind == "survival" else "retention rate")
    integer_axis(ax.xaxis)
    what = "survival" if kind == "survival" else "retention"
    ax.set_title(f"ShiftedBetaGeo: {what} by cohort")
    tidy(ax)
    ax.legend(frameon=False)
    return ax

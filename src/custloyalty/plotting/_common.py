"""Shared helpers of the plots: lazy matplotlib, the palette, units and integer ticks."""

from __future__ import annotations

from typing import Any

from custloyalty.errors import ValidationError

#: Colours used by every plot and by the HTML report, so figures and page agree.
PALETTE: dict[str, str] = {
    "primary": "#1f4e79",
    "accent": "#e07a1f",
    "good": "#2a9d8f",
    "bad": "#d1495b",
    "neutral": "#9aa5b1",
    "ink": "#1d2733",
    "grid": "#e3e8ee",
}
#: Sequential colours for tiers, best (darkest) first.
TIER_COLOURS: tuple[str, ...] = (
    "#0b3c5d",
    "#1f6f9f",
    "#4a9cc9",
    "#8cc3e3",
    "#c5e1f1",
    "#e6f1f8",
)
#: Most histogram bins over the 0-100 scale a plot draws (finer bins show nothing more and
#: would cost memory in proportion).
MAX_BINS = 1000
#: Most scores per RFM axis a grid plot draws (RFMScorer scores up to 20 bins).
MAX_SCORE = 20
#: Names of the time units and calendar periods in axis labels.
UNIT_NAMES: dict[str, str] = {
    "D": "days",
    "W": "weeks",
    "M": "months",
    "Q": "quarters",
    "Y": "years",
    "h": "hours",
}


def unit_name(unit: str | None) -> str:
    """Return the plural English name of a time unit or period code (``"W"`` -> ``"weeks"``)."""
    if unit is None:
        return "periods"
    return UNIT_NAMES.get(str(unit), str(unit))


def axes(ax: Any) -> Any:
    """Return ``ax``, or the Axes of a new figure when None (matplotlib imported here)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is in the dev environment
        msg = "Plotting needs matplotlib: pip install 'custloyalty[plot]'."
        raise ImportError(msg) from exc
    if ax is None:
        _, ax = plt.subplots()
        return ax
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        msg = (
            f"The 'ax' parameter must be a matplotlib Axes or None; got {type(ax).__name__}.\n"
            "Hint: pass the Axes to draw on, e.g. fig, ax = plt.subplots(); plot_...(..., ax=ax)."
        )
        raise ValidationError(msg)
    return ax


def require(result: Any, attributes: tuple[str, ...], func: str, what: str) -> None:
    """Raise unless ``result`` has ``attributes`` (the result type ``func`` plots)."""
    if not all(hasattr(result, a) for a in attributes):
        msg = f"{func} needs {what}; got {type(result).__name__}."
        raise ValidationError(msg)


def integer_axis(axis: Any) -> None:
    """Put ticks on whole numbers only (for axes that count customers or purchases)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def thousands(axis: Any) -> None:
    """Format an axis of counts with thousands separators and integer ticks."""
    from matplotlib.ticker import FuncFormatter

    integer_axis(axis)
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def tidy(ax: Any) -> None:
    """Drop the top and right spines and put a light grid behind the marks."""
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    ax.set_axisbelow(True)


def number_columns(
    frame: Any,
    columns: list[str],
    func: str,
    *,
    name: str = "frame",
    nan_policy: str = "raise",
    bounds: tuple[float, float] | None = None,
    integer: bool = False,
) -> Any:
    """Return the ``columns`` of ``frame`` as a float64 table, every value checked.

    Text, booleans and infinite values raise (naming the column and the rows), and so do
    missing values under ``nan_policy="raise"``, values outside ``bounds`` and, with
    ``integer``, fractions; an empty table raises. A plot draws only numbers it has checked:
    matplotlib would otherwise draw text as categories and drop NaN silently.
    """
    from custloyalty._frames import numeric_columns

    values, _ = numeric_columns(
        frame,
        columns,
        nan_policy=nan_policy,
        func=func,
        name=name,
        bounds=bounds,
        integer=integer,
        missing_hint=None,
    )
    return values


def number_index(index: Any, func: str, what: str) -> Any:
    """Return the labels of ``index`` as float64 when they are finite numbers (an x axis)."""
    import numpy as np
    import pandas as pd

    kind = index.dtype.kind if not isinstance(index.dtype, pd.CategoricalDtype) else "O"
    values = pd.to_numeric(pd.Series(index), errors="coerce").to_numpy(dtype=np.float64)
    if kind not in "iuf" or not np.isfinite(values).all():
        msg = (
            f"{func} needs {what} as the index of the frame (finite numbers); got "
            f"{list(index[:5])!r}.\nHint: pass the frame as the model check returned it, "
            "without resetting or relabelling its index."
        )
        raise ValidationError(msg)
    return values

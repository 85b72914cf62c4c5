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

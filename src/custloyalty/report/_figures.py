"""Matplotlib figures as inline SVG: text kept as text (the page font), images as data URIs."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from custloyalty._validation import check_positive
from custloyalty.errors import ValidationError

__all__ = ["figure_svg", "report_style"]

_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "custloyalty",
    "font.family": "sans-serif",
    "font.size": 10.5,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 10,
    "axes.labelsize": 10,
    "axes.labelcolor": "#3b4754",
    "axes.edgecolor": "#9aa5b1",
    "axes.linewidth": 0.8,
    "xtick.color": "#3b4754",
    "ytick.color": "#3b4754",
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9.5,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.08,
    "image.interpolation": "nearest",
}


#: matplotlib's style (``rcParams``) is one global dictionary: a thread leaving its
#: ``rc_context`` restores the old style under another thread's figure, which then drew in the
#: default style (1 report in 8 differed when 4 threads rendered at once). Figures are drawn one
#: at a time; the rest of the report runs in parallel.
_DRAWING = threading.RLock()


@contextmanager
def report_style() -> Iterator[None]:
    """Apply the report's matplotlib style (no global change afterwards), one thread at a time."""
    import matplotlib as mpl

    style: Any = _STYLE
    with _DRAWING, mpl.rc_context(style):
        yield


_HEADER = re.compile(r"^.*?(?=<svg)", re.S)
_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')


def figure_svg(
    draw: Callable[[Any], Any], *, width: float = 6.4, height: float = 3.6, label: str = ""
) -> str:
    """Draw ``draw(ax)`` on a new figure and return it as an inline ``<svg>`` element.

    The figure is made without pyplot (no global figure registry), saved as SVG with text as
    text and closed (one figure at a time across threads: the style is matplotlib's global
    state); the fixed width and height attributes are dropped so the SVG scales to
    its container through its ``viewBox``.

    Parameters
    ----------
    draw
        Function drawing on the matplotlib ``Axes`` it is given (a plot function of
        :mod:`custloyalty.plotting` with ``ax=``, say).
    width
        Width of the figure in inches (the page scales it to the column).
    height
        Height of the figure in inches.
    label
        Accessible name of the figure (``aria-label``); empty for none.

    Returns
    -------
    str
        The ``<svg>`` element, ready for :func:`figures`.

    Raises
    ------
    ValidationError
        ``draw`` is not callable, ``width`` or ``height`` is not a finite number > 0 (or is
        a boolean), or ``label`` is not a string.

    Examples
    --------
    >>> from custloyalty.plotting import plot_tiers
    >>> from custloyalty.report import figure_svg
    >>> svg = figure_svg(lambda ax: plot_tiers({"gold": 5, "silver": 12}, ax=ax))
    >>> svg.startswith("<svg"), "width=" in svg.split(">")[0]
    (True, False)
    """
    from matplotlib.figure import Figure

    given: Any = draw  # typed callable; a caller may pass anything
    if not callable(given):
        msg = (
            "The 'draw' parameter of figure_svg must be a function drawing on the Axes it is "
            f"given; got {type(draw).__name__}.\nHint: figure_svg(lambda ax: plot_tiers(tiers, "
            "ax=ax))."
        )
        raise ValidationError(msg)
    width = check_positive(width, "width", func="figure_svg")
    height = check_positive(height, "height", func="figure_svg")
    text_label: Any = label
    if not isinstance(text_label, str):
        msg = f"The 'label' parameter of figure_svg must be a string; got {label!r}."
        raise ValidationError(msg)
    with report_style():
        # constrained layout inside a fixed page size (no tight bounding box): every figure of
        # a given size has the same natural width, so figures side by side scale alike and
        # their type keeps one size however long their tick labels are
        fig = Figure(figsize=(width, height), layout="constrained")
        ax = fig.add_subplot()
        draw(ax)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = _HEADER.sub("", buf.getvalue(), count=1)
    text = _SIZE.sub(r"<svg\1", text, count=1)
    aria = f' role="img" aria-label="{_escape(label)}"' if label else ""
    # never wider than its natural size, so type keeps one size across figures
    style = f' style="max-width:{round(width * 96)}px"'
    return text.replace("<svg", f'<svg class="figure"{aria}{style}', 1)


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)

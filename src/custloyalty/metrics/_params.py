"""Checks of scalar parameters shared by the indicators, the scorecard and the analyses.

Booleans are refused where a number is expected (``True`` is an ``int`` to Python, but
``max_iter=True`` is a slip, not one iteration), strings where a flag is expected (``"no"`` is
truthy), and seeds are checked before NumPy sees them. Every error names the parameter.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# the boundary's own checks, re-exported for the indicators and the analyses
from custloyalty._validation import check_flag as check_flag
from custloyalty._validation import check_number as check_number
from custloyalty._validation import check_seed as check_seed
from custloyalty.errors import ValidationError

__all__: list[str] = []


def check_count(value: Any, name: str, *, func: str, low: int = 0) -> int:
    """Return ``value`` as an int if it is a whole number >= ``low`` (not a bool)."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if ok:
        v = float(value)
        ok = math.isfinite(v) and v == int(v) and v >= low
    if not ok:
        msg = f"The {name!r} parameter of {func} must be an integer >= {low}; got {value!r:.40}."
        raise ValidationError(msg)
    return int(value)

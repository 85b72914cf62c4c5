"""Boundary checks shared by the segmentation: numbers, saved-state keys, customer joins."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._validation import NanPolicy, as_1d_float, format_examples, plural
from custloyalty.errors import ValidationError

_NOT_NUMBERS = {"M": "dates", "m": "durations", "c": "complex numbers"}


def numbers_1d(
    values: Any,
    name: str,
    *,
    func: str,
    nan_policy: NanPolicy = "raise",
    keep_missing: bool = False,
    allow_empty: bool = False,
    allow_inf: bool = False,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """One-dimensional float values of ``values``, refusing dates, durations, complex numbers.

    :func:`custloyalty._validation.as_1d_float` otherwise (strings, booleans, infinite and
    missing values, DataFrames and 2-D arrays refused, each with its count and examples).
    """
    if values is None or isinstance(values, str | bytes | Mapping):
        msg = (
            f"{name} passed to {func} must be a one-dimensional sequence of numbers (a list, "
            f"an array or a Series); got {type(values).__name__}."
        )
        raise ValidationError(msg)
    dtype = getattr(values, "dtype", None)
    kind = None
    if isinstance(dtype, pd.DatetimeTZDtype):
        kind = "M"
    elif isinstance(dtype, pd.ArrowDtype):
        kind = dtype.kind if dtype.kind in "Mm" else None
    elif isinstance(dtype, np.dtype):
        kind = dtype.kind
    elif dtype is None and not isinstance(values, pd.DataFrame):
        kind = np.asarray(values).dtype.kind if _plain(values) else None
    if kind in _NOT_NUMBERS:
        msg = (
            f"{name} passed to {func} must hold numbers; got {_NOT_NUMBERS[kind]} "
            f"(dtype {dtype if dtype is not None else np.asarray(values).dtype})."
            "\nHint: pass the numeric column (e.g. total_spend), not a date or duration column."
        )
        raise ValidationError(msg)
    return as_1d_float(
        values,
        name,
        nan_policy=nan_policy,
        keep_missing=keep_missing,
        allow_empty=allow_empty,
        allow_inf=allow_inf,
        missing_hint=None if keep_missing else "pass nan_policy='omit' to ignore them.",
    )


def _plain(values: Any) -> bool:
    """Tell whether ``values`` is a list or tuple of scalars (cheap for np.asarray)."""
    return isinstance(values, list | tuple) and all(np.ndim(v) == 0 for v in values[:1000])


def check_same_customers(
    left: pd.Index, right: pd.Index, *, left_name: str, right_name: str, func: str
) -> None:
    """Refuse two customer indexes that share no label because their id types differ.

    Ids read as numbers in one table and as text in the other (``1`` and ``"1"``) would
    silently match nobody: every customer would look churned and new at once.
    """
    if len(left) == 0 or len(right) == 0:
        return
    lt, rt = pd.api.types.infer_dtype(left), pd.api.types.infer_dtype(right)
    if lt == rt or (_numeric(lt) == _numeric(rt) and _numeric(lt)):
        return
    if left.isin(right).any():
        return
    msg = (
        f"{left_name} and {right_name} passed to {func} share no customer id: "
        f"{left_name} has {lt} ids (e.g. {list(left[:3])!r}), {right_name} has {rt} ids "
        f"(e.g. {list(right[:3])!r}).\nHint: read the ids with one type in both tables, "
        "e.g. index.astype(str) on both."
    )
    raise ValidationError(msg)


def _numeric(kind: str) -> bool:
    return kind in {"integer", "floating", "mixed-integer-float", "decimal"}


def check_hashable(values: pd.Series, name: str, what: str = "tier labels") -> None:
    """Refuse lists, dicts or sets among labels (found on the object-dtype path only)."""
    if values.dtype != object:
        return
    try:
        pd.unique(values.to_numpy())
    except TypeError:
        bad = [(i, v) for i, v in values.items() if not isinstance(v, Hashable)]
        msg = (
            f"{name} has {plural(len(bad), what[:-1], what)} that "
            f"{'is not a scalar' if len(bad) == 1 else 'are not scalars'} "
            f"{format_examples([i for i, _ in bad], [v for _, v in bad])}.\n"
            "Hint: labels are strings or numbers, one per customer."
        )
        raise ValidationError(msg) from None

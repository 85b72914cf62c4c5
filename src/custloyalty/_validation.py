"""Validation of arrays and options (tables go through :mod:`custloyalty._frames`).

Private helpers after the public boundary trust their input; these functions are the
boundary for one-dimensional inputs and keyword options.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import infer_dtype

from custloyalty.errors import ValidationError

__all__ = [
    "OMIT_HINT",
    "NanPolicy",
    "as_1d_float",
    "check_discount_rate",
    "check_flag",
    "check_in_range",
    "check_nan_policy",
    "check_number",
    "check_option",
    "check_positive",
    "check_probability",
    "check_seed",
    "check_shares",
    "format_examples",
    "is_number",
    "plural",
    "refuse_bools",
    "suggest",
]

NanPolicy = Literal["raise", "omit"]
#: Default ``Hint:`` of a missing-value error in functions that take ``nan_policy``.
OMIT_HINT = "pass nan_policy='omit' to ignore them."
T = TypeVar("T")


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """Return ``"1 value"`` / ``"3 values"``: a count with its noun in the right number.

    ``nouns`` is the plural when it is not ``noun + "s"``.
    """
    return f"{n} {noun if n == 1 else (nouns or noun + 's')}"


def format_examples(index: Iterable[Any], values: Iterable[Any], *, limit: int = 5) -> str:
    """Render ``(rows a, b, c): v1, v2, v3`` for the first ``limit`` offending rows."""
    idx = list(index)[:limit]
    vals = list(values)[:limit]
    rows = ", ".join(str(i) for i in idx)
    shown = ", ".join(_show(v) for v in vals)
    return f"(rows {rows}): {shown}"


def _show(value: Any) -> str:
    if value is None or value is pd.NaT:
        return "None" if value is None else "NaT"
    if isinstance(value, float | np.floating) and np.isnan(value):
        return "nan"
    if isinstance(value, np.datetime64):  # .item() of datetime64[ns] is an int of nanoseconds
        return repr(pd.Timestamp(value))
    if isinstance(value, np.timedelta64):
        return repr(pd.Timedelta(value))
    return repr(value.item() if isinstance(value, np.generic) else value)


def check_option(value: T, name: str, allowed: Collection[T], *, func: str) -> T:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`ValidationError`."""
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        msg = f"The {name!r} parameter of {func} must be one of {{{choices}}}; got {value!r}."
        raise ValidationError(msg)
    return value


def check_nan_policy(value: str, *, func: str) -> NanPolicy:
    """Validate a SciPy-style ``nan_policy`` (``"raise"`` or ``"omit"``)."""
    check_option(value, "nan_policy", ("raise", "omit"), func=func)
    return "raise" if value == "raise" else "omit"


def _refuse_bool(value: Any, name: str, func: str, what: str = "a number") -> None:
    """Raise if ``value`` is a boolean or text: ``True`` is not the number 1 in an option.

    Text such as ``"30"`` is refused too: ``float("30")`` would accept it while the same
    option read from a file as ``"30 days"`` fails, so a number is asked for as a number.
    """
    if isinstance(value, bool | np.bool_):
        msg = f"The {name!r} parameter of {func} must be {what}; got the boolean {value!r}."
        raise ValidationError(msg)
    if isinstance(value, str | bytes):
        msg = (
            f"The {name!r} parameter of {func} must be {what}; got the text {value!r}.\n"
            f"Hint: pass the number itself, without quotes."
        )
        raise ValidationError(msg)


def check_positive(value: float, name: str, *, func: str, strict: bool = True) -> float:
    """Validate a (strictly) positive finite scalar (booleans are refused)."""
    _refuse_bool(value, name, func)
    try:
        v = float(value)
    except (TypeError, ValueError):
        msg = f"The {name!r} parameter of {func} must be a number; got {value!r}."
        raise ValidationError(msg) from None
    if not np.isfinite(v) or v < 0 or (strict and v == 0):
        bound = "> 0" if strict else ">= 0"
        msg = f"The {name!r} parameter of {func} must be finite and {bound}; got {value!r}."
        raise ValidationError(msg)
    return v


def check_discount_rate(value: float, *, func: str, strict: bool = False) -> float:
    """Validate a discount rate per period, a fraction: 0.01 for 1% (``strict``: > 0).

    A rate of 1 or more (100% per period) is refused: it is a rate given in percent
    (``discount_rate=5`` for 5%), which would silently discount every future period away.
    """
    d = check_positive(value, "discount_rate", func=func, strict=strict)
    if d >= 1.0:
        msg = (
            f"The 'discount_rate' parameter of {func} is a rate per period as a fraction "
            f"(0.01 for 1%); got {value!r}, {d:.0%} per period.\nHint: pass "
            f"discount_rate={d / 100:g} for {d:g}%."
        )
        raise ValidationError(msg)
    return d


def check_probability(value: float, name: str, *, func: str, open_interval: bool = True) -> float:
    """Validate a probability in (0, 1) (or [0, 1] with ``open_interval=False``)."""
    _refuse_bool(value, name, func)
    try:
        v = float(value)
    except (TypeError, ValueError):
        msg = f"The {name!r} parameter of {func} must be a number; got {value!r}."
        raise ValidationError(msg) from None
    ok = 0 < v < 1 if open_interval else 0 <= v <= 1
    if not ok:
        interval = "(0, 1)" if open_interval else "[0, 1]"
        msg = f"The {name!r} parameter of {func} must lie in {interval}; got {value!r}."
        raise ValidationError(msg)
    return v


def refuse_bools(value: Any, name: str, *, func: str) -> None:
    """Raise if an option (a number or a sequence of numbers) is or holds a boolean.

    ``float(True)`` is 1.0, so ``thresholds=[True]`` would silently mean ``[1.0]``.
    """
    items = [value] if isinstance(value, bool | np.bool_) else value
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        return
    if isinstance(items, np.ndarray):
        if items.dtype.kind != "b" and items.dtype != object:
            return
        items = items.ravel().tolist()
    if any(isinstance(v, bool | np.bool_) for v in items):
        msg = (
            f"The {name!r} parameter of {func} must hold numbers; got the boolean in "
            f"{value!r}.\nHint: {_BOOL_HINT}"
        )
        raise ValidationError(msg)


def is_number(value: Any) -> bool:
    """Return whether ``value`` is a real number and not a boolean (nor text, nor None)."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def check_number(value: Any, name: str, *, func: str) -> float:
    """Return ``value`` as a finite float (a bool or a string is refused)."""
    if not is_number(value) or not math.isfinite(float(value)):
        msg = f"The {name!r} parameter of {func} must be a finite number; got {value!r:.40}."
        raise ValidationError(msg)
    return float(value)


def check_flag(value: Any, name: str, *, func: str) -> bool:
    """Return ``value`` as a bool if it is ``True`` or ``False``, else raise naming ``name``.

    ``"no"`` is truthy and ``1`` is a slip for ``True``: a flag takes a boolean only.
    """
    if not isinstance(value, bool | np.bool_):
        msg = (
            f"The {name!r} parameter of {func} must be True or False; got "
            f"{type(value).__name__} {value!r:.40}."
        )
        raise ValidationError(msg)
    return bool(value)


def check_shares(shares: Any, *, func: str) -> npt.NDArray[np.float64]:
    """Validate tier shares (best tier first): two or more positive numbers summing to 1.

    The rule of ``value_tiers`` and of the bands of ``plot_pareto_curve``. Booleans and text
    are refused (``float(True)`` is 1.0), as is more than one dimension.
    """
    refuse_bools(shares, "shares", func=func)
    try:
        if isinstance(shares, str | bytes):
            raise TypeError
        arr = np.asarray(shares, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"The 'shares' parameter of {func} must be a sequence of numbers; got {shares!r}."
        raise ValidationError(msg) from None
    if arr.ndim != 1 or arr.size < 2 or not np.isfinite(arr).all() or (arr <= 0).any():
        msg = (
            f"The 'shares' parameter of {func} must hold at least two positive shares "
            f"(best tier first); got {shares!r}."
        )
        raise ValidationError(msg)
    if not np.isclose(arr.sum(), 1.0, rtol=0.0, atol=1e-9):
        msg = f"The 'shares' parameter of {func} must sum to 1; got {shares!r} (sum {arr.sum():g})."
        raise ValidationError(msg)
    return arr


def check_seed(value: Any, *, func: str, name: str = "seed") -> int | None:
    """Validate a random seed: ``None`` or a non-negative integer (booleans refused)."""
    if value is None:
        return None
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if whole and int(value) >= 0:
        return int(value)
    msg = (
        f"The {name!r} parameter of {func} must be None or a non-negative integer; "
        f"got {value!r}.\nHint: pass a whole number such as {name}=0; the same {name} gives "
        "the same result."
    )
    raise ValidationError(msg)


def check_in_range(
    values: npt.NDArray[np.float64],
    name: str,
    low: float,
    high: float,
    *,
    index: Iterable[Any] | None = None,
) -> None:
    """Raise if any value lies outside ``[low, high]``, showing up to five of them."""
    bad = (values < low) | (values > high)
    if bad.any():
        pos = np.flatnonzero(bad)
        idx = np.asarray(list(index) if index is not None else np.arange(len(values)))[pos]
        msg = (
            f"{name} has {plural(pos.size, 'value')} outside [{low:g}, {high:g}] "
            f"{format_examples(idx, values[pos])}."
        )
        raise ValidationError(msg)


def as_1d_float(
    values: Any,
    name: str,
    *,
    nan_policy: NanPolicy = "raise",
    allow_empty: bool = False,
    allow_inf: bool = False,
    keep_missing: bool = False,
    missing_hint: str | None = OMIT_HINT,
    func: str | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Convert array-like input to a 1-D float array.

    Returns the values and a boolean mask of the entries kept (all ``True`` unless
    ``nan_policy="omit"`` found missing values). Missing values raise under ``"raise"``,
    with ``missing_hint`` as the ``Hint:`` line (``None`` for callers without a
    ``nan_policy`` option); under ``"omit"`` they are dropped, or with ``keep_missing=True``
    left in place as NaN (the output keeps the input's length, for callers that must stay
    aligned with their customers). Text, a mapping or ``None`` instead of a sequence, and
    dates, durations or complex numbers (which a float conversion would turn into
    nanoseconds or real parts) are refused; ``func`` names the caller in those messages.
    """
    where = f"{name} passed to {func}" if func else name
    if values is None or isinstance(values, str | bytes | Mapping):
        msg = (
            f"{where} must be a one-dimensional sequence of numbers (a list, an array or a "
            f"Series); got {type(values).__name__}."
        )
        raise ValidationError(msg)
    _refuse_non_numbers(values, where)
    if isinstance(values, pd.DataFrame):
        msg = f"{name} must be one-dimensional; got a DataFrame with {values.shape[1]} columns."
        raise ValidationError(msg)
    if isinstance(values, pd.Series):
        index = values.index.to_numpy()
        raw = values.to_numpy(dtype=object) if values.dtype == object else values.to_numpy()
    else:
        if isinstance(values, list | tuple) and any(isinstance(v, bool | np.bool_) for v in values):
            # np.asarray would turn [1, True] into [1.0, 1.0]: look at the items as given
            items = np.empty(len(values), dtype=object)
            items[:] = list(values)
            _refuse_bools(items, np.arange(len(values)), name)
        raw = np.asarray(values)
        index = np.arange(raw.shape[0]) if raw.ndim >= 1 else np.arange(1)
    if raw.ndim != 1:
        msg = f"{name} must be one-dimensional; got an array of shape {raw.shape}."
        raise ValidationError(msg)
    _refuse_bools(raw, index, name)
    if raw.dtype.kind in "iuf":
        arr = raw.astype(np.float64, copy=False)
    else:
        coerced = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(dtype=np.float64)
        missing_in = pd.isna(pd.Series(raw)).to_numpy()
        bad = np.isnan(coerced) & ~missing_in
        if bad.any():
            pos = np.flatnonzero(bad)
            ex = format_examples(index[pos], raw[pos])
            msg = f"{name} has {plural(pos.size, 'non-numeric value')} {ex}."
            raise ValidationError(msg)
        arr = coerced
    if arr.size == 0 and not allow_empty:
        msg = f"{name} is empty."
        raise ValidationError(msg)
    nan = np.isnan(arr)
    if not allow_inf:
        inf = np.isinf(arr)
        if inf.any():
            pos = np.flatnonzero(inf)
            ex = format_examples(index[pos], arr[pos])
            msg = f"{name} has {plural(pos.size, 'infinite value')} {ex}."
            raise ValidationError(msg)
    keep = ~nan
    if nan.any():
        if nan_policy == "raise":
            pos = np.flatnonzero(nan)
            msg = (
                f"{name} has {plural(pos.size, 'missing value')} "
                f"{format_examples(index[pos], arr[pos])}."
            )
            if missing_hint:
                msg += f"\nHint: {missing_hint}"
            raise ValidationError(msg)
        if not keep_missing:
            arr = arr[keep]
        if not keep.any() and not allow_empty:
            msg = f"{name} has no values left after omitting missing values."
            raise ValidationError(msg)
    return arr, keep


_NOT_NUMBERS = {"M": "dates", "m": "durations", "c": "complex numbers"}


def _refuse_non_numbers(values: Any, where: str) -> None:
    """Refuse dates, durations and complex numbers (numpy, tz-aware and Arrow dtypes)."""
    dtype = getattr(values, "dtype", None)
    kind = None
    if isinstance(dtype, pd.DatetimeTZDtype):
        kind = "M"
    elif isinstance(dtype, pd.ArrowDtype):
        kind = dtype.kind if dtype.kind in "Mm" else None
    elif isinstance(dtype, np.dtype):
        kind = dtype.kind
    elif (
        dtype is None
        and isinstance(values, list | tuple)
        and all(np.ndim(v) == 0 for v in values[:1000])
    ):  # a list of scalars (cheap to convert); nested lists are left to the shape check
        dtype = np.asarray(values).dtype
        kind = dtype.kind
    if kind == "O" or (dtype is None and np.ndim(values) == 0):
        kind = _object_kind(values)  # pd.Timedelta / datetime / complex objects
    if kind in _NOT_NUMBERS:
        msg = (
            f"{where} must hold numbers; got {_NOT_NUMBERS[kind]} (dtype {dtype}).\nHint: "
            "pass the numeric column (e.g. total_spend), not a date or duration column."
        )
        raise ValidationError(msg)


_OBJECT_KINDS = {
    "datetime": "M",
    "datetime64": "M",
    "date": "M",
    "time": "M",
    "period": "M",
    "timedelta": "m",
    "timedelta64": "m",
    "complex": "c",
}


def _object_kind(values: Any) -> str | None:
    """``"M"`` / ``"m"`` / ``"c"`` if objects (or a scalar) hold dates, durations or complex.

    ``pd.to_numeric`` would turn a ``pd.Timedelta`` into nanoseconds and a complex number
    into its real part (with a ComplexWarning). ``infer_dtype`` names one kind; a mixed
    array is judged by the set of its items' types (built in C: no Python loop over rows).
    """
    import datetime as dt

    items = np.asarray(values, dtype=object).reshape(-1)
    inferred = infer_dtype(items, skipna=True)
    if inferred in _OBJECT_KINDS:
        return _OBJECT_KINDS[inferred]
    if inferred not in ("mixed", "mixed-integer"):  # ints and floats only, or one other kind
        return None
    # the distinct types of the items (map and set run in C: no Python loop over the rows)
    for kind in set(map(type, items)):
        if issubclass(kind, dt.timedelta | np.timedelta64):
            return "m"
        if issubclass(kind, dt.date | dt.time | np.datetime64 | pd.Period):
            return "M"
        if issubclass(kind, complex | np.complexfloating):
            return "c"
    return None


_BOOL_HINT = "booleans are not numbers here; cast with .astype(float) if 1/0 is meant."


def _refuse_bools(raw: np.ndarray, index: np.ndarray, name: str) -> None:
    """Raise if ``raw`` holds booleans (a bool array, or bools among objects)."""
    if raw.dtype.kind == "b":
        msg = f"{name} must be numeric; got booleans (dtype {raw.dtype}).\nHint: {_BOOL_HINT}"
        raise ValidationError(msg)
    if raw.dtype == object and infer_dtype(raw, skipna=True) in (
        "boolean",
        "mixed",
        "mixed-integer",
    ):
        flags = np.fromiter(
            (isinstance(v, bool | np.bool_) for v in raw), dtype=bool, count=raw.shape[0]
        )
        if flags.any():
            pos = np.flatnonzero(flags)
            ex = format_examples(index[pos], raw[pos])
            msg = f"{name} has {plural(pos.size, 'boolean value')} {ex}.\nHint: {_BOOL_HINT}"
            raise ValidationError(msg)


def suggest(word: str, choices: Sequence[str]) -> str | None:
    """Return the choice closest to a mistyped ``word`` (for ``Hint: did you mean ...``)."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return close[0] if close else None

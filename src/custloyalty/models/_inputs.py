"""Input boundary of the fitted models (private): customer summaries, weights, horizons.

:func:`_rft_inputs` validates ``(frequency, recency, T)`` given as a table or as arrays,
:func:`_weights_input` the fit weights (``sample_weight``), :func:`_horizon` the prediction
horizon, and :func:`compress` collapses identical rows into weights.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._frames import as_frame, numeric_columns, require_columns
from custloyalty._validation import as_1d_float, check_nan_policy, format_examples
from custloyalty.errors import ValidationError
from custloyalty.models._optimise import FloatArray, IntArray

__all__ = ["RFT", "compress"]


def _refuse_bool(values: Any, name: str, *, func: str = "") -> None:
    """Raise if ``values`` (a scalar, array, list or Series) holds booleans.

    Table columns of booleans are refused by :func:`custloyalty._frames.numeric_columns`;
    this is the same rule for arrays and scalars (``True`` would silently count as 1).
    """
    dtype = getattr(values, "dtype", None)
    if dtype is not None:
        text = str(dtype)
        found = text in ("bool", "boolean", "bool[pyarrow]")
        if not found and text == "object":
            found = any(isinstance(v, bool | np.bool_) for v in np.asarray(values).reshape(-1))
    elif isinstance(values, bool | np.bool_):
        found = True
    elif isinstance(values, list | tuple):
        found = any(
            isinstance(v, bool | np.bool_) for v in np.asarray(values, dtype=object).ravel()
        )
    else:
        found = False
    if found:
        where = f"{func}: " if func else ""
        msg = (
            f"{where}{name} holds booleans (True/False); it needs numbers.\nHint: booleans "
            "are not numbers here; cast with .astype(float) if 1/0 is meant."
        )
        raise ValidationError(msg)


@dataclass(frozen=True, slots=True)
class RFT:
    """Validated customer summary arrays (NaN rows kept, flagged in ``missing``)."""

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    index: pd.Index
    missing: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.frequency.shape[0])


def _column_or_array(
    data: pd.DataFrame | None, value: Any, name: str, *, func: str
) -> tuple[FloatArray, pd.Index | None]:
    """Resolve one argument: a column name of ``data``, or an array when ``data`` is None."""
    if data is not None:
        if isinstance(value, str | int) and not isinstance(value, bool):
            return np.empty(0), None  # resolved through numeric_columns by the caller
        msg = (
            f"{func}: with a table as data, {name}= must be a column name; got "
            f"{type(value).__name__}. Pass either a table or arrays, not both."
        )
        raise ValidationError(msg)
    if value is None or isinstance(value, str):
        msg = (
            f"{func} needs a customer summary: a table with columns frequency, recency and T, "
            f"or arrays frequency=, recency=, T=; {name}= is {value!r}."
        )
        raise ValidationError(msg)
    _refuse_bool(value, name, func=func)
    idx = value.index if isinstance(value, pd.Series) else None
    arr, keep = as_1d_float(value, name, nan_policy="omit")
    full = np.full(keep.shape[0], np.nan)
    full[keep] = arr
    return full, idx


def _check_rule(
    bad: npt.NDArray[np.bool_],
    col: str,
    what: str,
    index: pd.Index,
    values: FloatArray,
    *,
    where: str = "",
    hint: str = "",
) -> None:
    """Raise ``Column 'col' has n <what> values[ <where>] (rows ...): ...`` if any is bad."""
    if bad.any():
        pos = np.flatnonzero(bad)
        noun = "value" if pos.size == 1 else "values"
        ex = format_examples(index[pos[:5]], values[pos[:5]])
        where_txt = f" {where}" if where else ""
        msg = f"Column {col!r} has {pos.size} {what} {noun}{where_txt} {ex}."
        if hint:
            msg += f"\nHint: {hint}"
        raise ValidationError(msg)


def _rft_inputs(
    data: Any,
    *,
    frequency: Any = "frequency",
    recency: Any = "recency",
    T: Any = "T",
    nan_policy: str = "raise",
    func: str,
) -> RFT:
    """Validate a customer summary given as a table (column names) or as three arrays.

    Rules: ``frequency`` integer >= 0, ``T`` > 0, ``0 <= recency <= T`` (a tolerance of 1e-9
    relative absorbs unit conversions) and ``recency == 0`` where ``frequency == 0`` (recency
    is the time of the last *repeat* purchase; Pareto/NBD's likelihood and P(alive) would
    silently use a non-zero value). Under ``nan_policy="omit"`` rows with a missing value
    are flagged in :attr:`RFT.missing` (their values stay NaN); under ``"raise"`` they raise.
    """
    policy = check_nan_policy(nan_policy, func=func)
    if data is not None:
        df = as_frame(data)
        for name, v in (("frequency", frequency), ("recency", recency), ("T", T)):
            _column_or_array(df, v, name, func=func)
        require_columns(df, [frequency, recency, T])
        block, missing = numeric_columns(df, [frequency, recency, T], nan_policy=policy, func=func)
        f = block[frequency].to_numpy(dtype=np.float64)
        r = block[recency].to_numpy(dtype=np.float64)
        t = block[T].to_numpy(dtype=np.float64)
        index = df.index
        names = (str(frequency), str(recency), str(T))
    else:
        f, i1 = _column_or_array(None, frequency, "frequency", func=func)
        r, i2 = _column_or_array(None, recency, "recency", func=func)
        t, i3 = _column_or_array(None, T, "T", func=func)
        if not f.shape[0] == r.shape[0] == t.shape[0]:
            msg = (
                f"{func}: frequency, recency and T must have the same length; got "
                f"{f.shape[0]}, {r.shape[0]} and {t.shape[0]}."
            )
            raise ValidationError(msg)
        given = [i for i in (i1, i2, i3) if i is not None]
        if any(not i.equals(given[0]) for i in given[1:]):
            msg = (
                f"{func}: frequency, recency and T are Series with different indexes; they "
                "are read by position, so a customer's values would come from different "
                "customers.\nHint: align them first (e.g. pass one table as data), or pass "
                "arrays (.to_numpy())."
            )
            raise ValidationError(msg)
        index = given[0] if given else pd.RangeIndex(f.shape[0])
        missing = np.isnan(f) | np.isnan(r) | np.isnan(t)
        if missing.any() and policy == "raise":
            col = "frequency" if np.isnan(f).any() else "recency" if np.isnan(r).any() else "T"
            vals = {"frequency": f, "recency": r, "T": t}[col]
            _check_rule(np.isnan(vals), col, "missing (NaN)", index, vals)
        names = ("frequency", "recency", "T")
    ok = ~missing
    fz, rz, tz = np.where(ok, f, 0.0), np.where(ok, r, 0.0), np.where(ok, t, 1.0)
    bad_f = ok & ((fz < 0) | (fz != np.floor(fz)))
    _check_rule(bad_f, names[0], "negative or non-integer", index, f)
    _check_rule(ok & (tz <= 0), names[2], "non-positive", index, t)
    _check_rule(ok & (rz < 0), names[1], "negative", index, r)
    _check_rule(
        ok & (fz == 0) & (rz != 0),
        names[1],
        "non-zero",
        index,
        r,
        where=f"where {names[0]!r} is 0",
        hint=(
            "recency is the time of the last repeat purchase since the first purchase, so it "
            "is 0 for customers without repeat purchase (as in rfm_summary)."
        ),
    )
    _check_rule(ok & (rz > tz * (1 + 1e-9)), names[1], "greater-than-T", index, r)
    r = np.where(ok, np.minimum(r, t), np.nan)
    return RFT(frequency=f, recency=r, T=t, index=index, missing=missing)


def _weights_input(
    weights: Any,
    data: pd.DataFrame | None,
    n: int,
    *,
    nan_policy: str,
    func: str,
    index: pd.Index | None = None,
) -> FloatArray | None:
    """Validate fit weights: None, a column name of ``data``, or an array of length ``n``.

    A missing weight raises, or under ``nan_policy="omit"`` becomes 0 (the row is omitted).
    A Series of weights must carry the customers' ``index``: it is read by position.
    """
    if weights is None:
        return None
    _refuse_misaligned(
        weights,
        index,
        n,
        "sample_weight",
        "weight",
        func=func,
        how="(sample_weight.reindex(data.index)), or pass a column name or an array",
    )
    if data is not None and isinstance(weights, Hashable) and not isinstance(weights, tuple):
        df = as_frame(data)
        policy = check_nan_policy(nan_policy, func=func)
        block, miss = numeric_columns(
            df, [weights], nan_policy=policy, func=func, bounds=(0.0, np.inf)
        )
        w = block[weights].to_numpy(dtype=np.float64)
        return np.where(miss, 0.0, w) if miss.any() else w
    return _weights_array(weights, n, nan_policy=nan_policy, func=func)


def _weights_array(
    weights: Any,
    n: int,
    *,
    nan_policy: str | None,
    func: str,
    unit: str = "customers",
    index: Any = None,
) -> FloatArray:
    """Validate an array of ``n`` finite weights >= 0 (``index`` labels the examples).

    Missing weights raise, with a hint about ``nan_policy`` unless it is None (a function
    without that option), or become 0 under ``nan_policy="omit"``.
    """
    _refuse_bool(weights, "sample_weight", func=func)
    if index is not None and not isinstance(weights, pd.Series) and np.ndim(weights) == 1:
        values = np.asarray(weights, dtype=object)
        if values.shape[0] == n:  # label the examples of the messages below
            weights = pd.Series(values, index=index)
    full, keep = as_1d_float(
        weights,
        "sample_weight",
        nan_policy="omit" if nan_policy == "omit" else "raise",
        keep_missing=True,
        allow_empty=True,
        missing_hint=None
        if nan_policy is None
        else "pass nan_policy='omit' to leave these rows out.",
    )
    if keep.shape[0] != n:
        msg = f"{func}: sample_weight has {keep.shape[0]} values for {n} {unit}."
        raise ValidationError(msg)
    labels = np.arange(n) if index is None else np.asarray(index)
    full = np.where(keep, full, 0.0)  # omitted rows weigh nothing
    if (full < 0).any():
        pos = np.flatnonzero(full < 0)
        ex = format_examples(labels[pos], full[pos])
        msg = f"sample_weight has {pos.size} negative values {ex}."
        raise ValidationError(msg)
    return full


def _sorted_codes(values: Any) -> tuple[IntArray, npt.NDArray[Any]]:
    """Codes of ``values`` in the sorted order of its distinct values, and those values.

    Hash-based (``pandas.factorize``, linear time); only the distinct values are sorted.
    """
    codes, uniq = pd.factorize(values, use_na_sentinel=False)
    uniq = np.asarray(uniq)
    order = np.argsort(uniq, kind="stable")
    rank = np.empty(order.shape[0], dtype=np.int64)
    rank[order] = np.arange(order.shape[0], dtype=np.int64)
    return rank[codes], uniq[order]


def _numeric_nd(values: Any, name: str, *, func: str = "") -> FloatArray:
    """Validate numbers of any shape (a scalar, a list of lists, an array): a float array.

    The checks of :func:`custloyalty._validation.as_1d_float` (booleans, text, dates,
    durations and complex numbers refused) without its one-dimensional rule; missing values
    come back as NaN for the caller's own rule.
    """
    _refuse_bool(values, name, func=func)
    where = f"{func}: " if func else ""
    if isinstance(values, str | bytes) or values is None:
        msg = f"{where}{name} must be a number or an array of numbers; got {values!r:.40}."
        raise ValidationError(msg)
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError):  # ragged nested lists
        msg = f"{where}{name} must be a number or a regular array of numbers."
        raise ValidationError(msg) from None
    if raw.dtype.kind in "iuf":
        return raw.astype(np.float64)
    flat, keep = as_1d_float(
        raw.reshape(-1),
        name,
        nan_policy="omit",
        keep_missing=True,
        allow_empty=True,
        allow_inf=True,
        func=func or None,
    )
    return np.where(keep, flat, np.nan).reshape(raw.shape)


def compress(
    frequency: Any, recency: Any, T: Any, sample_weight: Any = None
) -> tuple[FloatArray, FloatArray, IntArray]:
    r"""Collapse identical ``(frequency, recency, T)`` rows into weighted unique rows.

    The likelihood of the transaction models depends on a customer only through
    :math:`(x, t_x, T)`, so fitting on the unique rows weighted by their counts gives the same
    estimates as fitting on all rows, with far fewer evaluations of the special functions.

    Parameters
    ----------
    frequency, recency, T
        One value per customer (validated by the caller).
    sample_weight
        Optional weight per customer (default one each); summed within a unique row.

    Returns
    -------
    rows : numpy.ndarray
        Shape ``(k, 3)``: the unique rows (columns frequency, recency, T), sorted.
    weights : numpy.ndarray
        Shape ``(k,)``: the total weight of each unique row (> 0 entries sum to the input total).
    inverse : numpy.ndarray
        Shape ``(n,)``: position of each input row in ``rows`` (``rows[inverse]`` rebuilds
        the input).

    Raises
    ------
    ValidationError
        Columns of different lengths, values that are not finite numbers (booleans, text,
        NaN, inf), or weights that are not finite and >= 0.

    Notes
    -----
    Equivalent to ``np.unique(np.column_stack([f, r, T]), axis=0, return_inverse=True)``; for
    speed each column is coded by hashing (``pandas.factorize``, linear time, only the distinct
    values sorted) and the three codes are packed into one integer key, coded the same way.

    Examples
    --------
    >>> from custloyalty.models._base import compress
    >>> rows, w, inv = compress([0, 2, 0, 2], [0.0, 5.0, 0.0, 5.0], [10.0, 10.0, 10.0, 12.0])
    >>> rows.tolist(), w.tolist(), inv.tolist()
    ([[0.0, 0.0, 10.0], [2.0, 5.0, 10.0], [2.0, 5.0, 12.0]], [2.0, 1.0, 1.0], [0, 1, 0, 2])
    """
    func = "compress"
    cols = []
    for name, v in (("frequency", frequency), ("recency", recency), ("T", T)):
        _refuse_bool(v, name, func=func)
        arr, _ = as_1d_float(v, name, allow_empty=True, missing_hint=None, func=func)
        cols.append(arr)
    f, r, t = cols
    if not f.shape[0] == r.shape[0] == t.shape[0]:
        msg = (
            f"{func}: frequency, recency and T must have the same length; got {f.shape[0]}, "
            f"{r.shape[0]} and {t.shape[0]}."
        )
        raise ValidationError(msg)
    w = (
        None
        if sample_weight is None
        else _weights_array(sample_weight, f.shape[0], nan_policy=None, func=func)
    )
    return _compress(f, r, t, w)


def _compress(
    f: FloatArray, r: FloatArray, t: FloatArray, w: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, IntArray]:
    """:func:`compress` of validated 1-D float arrays of one length (the models' hot path)."""
    f = np.asarray(f, dtype=np.float64).reshape(-1)
    r = np.asarray(r, dtype=np.float64).reshape(-1)
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    cf, uf = _sorted_codes(f)
    cr, ur = _sorted_codes(r)
    ct, ut = _sorted_codes(t)
    nr, nt = ur.shape[0], ut.shape[0]
    if uf.shape[0] * nr * nt < 2**62:
        key = (cf * nr + cr) * nt + ct
        inverse, ukey = _sorted_codes(key)
        ukey = ukey.astype(np.int64)
        rows = np.column_stack([uf[ukey // (nr * nt)], ur[(ukey // nt) % nr], ut[ukey % nt]])
    else:  # pragma: no cover - needs > 2**62 distinct combinations of codes
        rows, inverse = np.unique(np.column_stack([f, r, t]), axis=0, return_inverse=True)
        inverse = inverse.astype(np.int64).reshape(-1)
    w = None if w is None else np.asarray(w, dtype=np.float64).reshape(-1)
    counts = np.bincount(inverse, weights=w, minlength=rows.shape[0]).astype(np.float64)
    return rows, counts, inverse


def _time_array(t: Any, name: str, *, nan_policy: str | None = None) -> tuple[FloatArray, bool]:
    """Validate a horizon (scalar or 1-D array of values >= 0); return it and 'was scalar'.

    Missing values raise, unless ``nan_policy="omit"`` (they stay NaN in the result, for the
    caller to mask). ``nan_policy=None`` is for functions without that option: the message
    then carries no hint about it.
    """
    scalar = np.ndim(t) == 0
    _refuse_bool(t, name)
    full, keep = as_1d_float(
        np.atleast_1d(np.asarray(t, dtype=object)),
        name,
        nan_policy="omit" if nan_policy == "omit" else "raise",
        keep_missing=True,
        allow_empty=True,
        missing_hint=(
            "pass nan_policy='omit' to get NaN for these customers."
            if nan_policy == "raise"
            else None
        ),
    )
    if keep.shape[0] == 0:
        msg = f"{name} is empty."
        raise ValidationError(msg)
    neg = keep & (np.where(keep, full, 0.0) < 0)
    if neg.any():
        msg = f"{name} must be >= 0; got {full[neg][:5].tolist()}."
        raise ValidationError(msg)
    return full, scalar


def _horizon(
    t: Any, n: int, *, nan_policy: str, func: str, index: pd.Index | None = None
) -> tuple[FloatArray, npt.NDArray[np.bool_] | None]:
    """Validate the horizon of a conditional prediction for ``n`` customers.

    Returns the horizon with missing values replaced by 0 (safe to compute with) and the mask
    of customers whose horizon is missing (``None`` when none is). A Series of one horizon
    per customer must carry the customers' ``index``: it is read by position.
    """
    _refuse_misaligned(
        t,
        index,
        n,
        "horizon",
        "horizon",
        func=func,
        how="(horizon.reindex(data.index)) or pass an array (.to_numpy())",
    )
    policy = check_nan_policy(nan_policy, func=func)
    tt, _ = _time_array(t, "horizon", nan_policy=policy)
    if tt.shape[0] not in (1, n):
        msg = f"horizon must be a scalar or one value per customer ({n}); got {tt.shape[0]}."
        raise ValidationError(msg)
    bad = np.isnan(tt)
    if not bad.any():
        return tt, None
    return np.where(bad, 0.0, tt), np.broadcast_to(bad, (n,))


def _refuse_misaligned(
    values: Any, index: Any, n: int, name: str, what: str, *, func: str, how: str
) -> None:
    """Refuse a Series of one value per customer whose index differs from the customers'.

    Such a Series is read by position, so a customer would silently get another's value.
    """
    if (
        isinstance(values, pd.Series)
        and index is not None
        and len(values) == n > 1
        and not values.index.equals(index)
    ):
        msg = (
            f"{func}: {name} is a Series whose index differs from the customers'; it is read "
            f"by position, so a customer would get another's {what}.\nHint: align it first "
            f"{how}."
        )
        raise ValidationError(msg)

"""Indicator weights: entropy, CRITIC, AHP (flat and hierarchical) and fixed user weights.

Every function returns weights that are non-negative and sum to one, as a
:class:`pandas.Series` indexed by indicator name when names are known.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._frames import check_unique_index
from custloyalty._results import Result
from custloyalty._validation import check_positive, format_examples, is_number, suggest
from custloyalty.errors import ValidationError

__all__ = [
    "RANDOM_INDEX",
    "AHPResult",
    "ahp_hierarchy",
    "ahp_weights",
    "critic_weights",
    "entropy_weights",
    "fixed_weights",
]

FloatArray = npt.NDArray[np.float64]

#: Saaty's random consistency index RI(n) for matrices of order n = 1..15 (Saaty 1980; the
#: values for n > 10 from Alonso & Lamata 2006 as commonly tabulated).
RANDOM_INDEX: dict[int, float] = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}


def _matrix(x: Any, func: str, *, name: str = "X") -> tuple[FloatArray, list[Hashable]]:
    """Validate a 2-D numeric indicator matrix (rows = customers, columns = indicators).

    Booleans, dates and durations are refused (a float conversion would read them as 1/0 or
    nanoseconds); so are duplicated column labels (a weight per label would be ambiguous).
    """
    if isinstance(x, pd.DataFrame):
        labels: list[Hashable] = list(x.columns)
        check_unique_index(x.columns, f"the columns of {name}", func=func, label="indicator")
        for col, dtype in x.dtypes.items():
            kind = _not_number(dtype, x[col])
            if kind:
                msg = (
                    f"{func}: column {col!r} of {name} holds {kind} (dtype {dtype}), not "
                    f"numbers.\nHint: {_HINT}"
                )
                raise ValidationError(msg)
        try:
            arr = x.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            msg = f"{func}: every column of {name} must be numeric."
            raise ValidationError(msg) from exc
    else:
        raw = _as_array(x, func, name)
        kind = _not_number(raw.dtype, raw)
        if kind:
            msg = f"{func}: {name} holds {kind} (dtype {raw.dtype}), not numbers.\nHint: {_HINT}"
            raise ValidationError(msg)
        try:
            arr = raw.astype(np.float64)
        except (TypeError, ValueError) as exc:
            msg = f"{func}: {name} must be a numeric matrix."
            raise ValidationError(msg) from exc
        if arr.ndim != 2:
            msg = f"{func}: {name} must be two-dimensional (rows x indicators); got {arr.ndim}-D."
            raise ValidationError(msg)
        labels = list(range(arr.shape[1]))
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        msg = f"{func}: {name} needs at least 2 rows and 1 column; got shape {arr.shape}."
        raise ValidationError(msg)
    bad = ~np.isfinite(arr)
    if bad.any():
        col = int(np.flatnonzero(bad.any(axis=0))[0])
        rows = np.flatnonzero(bad[:, col])
        msg = (
            f"{func}: column {labels[col]!r} of {name} has {rows.size} missing or infinite "
            f"values {format_examples(rows, arr[rows, col])}."
        )
        raise ValidationError(msg)
    return arr, labels


_HINT = "booleans, dates and durations are not indicator values; pass numbers (cast first)."


def _as_array(x: Any, func: str, name: str) -> npt.NDArray[Any]:
    """``np.asarray(x)``, with a ragged nesting or text refused as our error."""
    if x is None or isinstance(x, str | bytes | Mapping):
        msg = f"{func}: {name} must be a numeric matrix; got {type(x).__name__}."
        raise ValidationError(msg)
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as exc:
        msg = f"{func}: {name} must be a numeric matrix (rows of equal length); {exc}"
        raise ValidationError(msg) from exc


def _not_number(dtype: Any, values: Any) -> str | None:
    """``"booleans"``, ``"dates"``, ``"durations"`` when ``dtype`` holds those, else None."""
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "dates"
    kind = getattr(dtype, "kind", None)
    if isinstance(dtype, pd.CategoricalDtype):
        return _not_number(dtype.categories.dtype, dtype.categories)
    if kind == "b" or str(dtype) in ("boolean", "bool[pyarrow]"):
        return "booleans"
    if kind == "M":
        return "dates"
    if kind == "m":
        return "durations"
    if kind == "O":
        flat = np.asarray(values, dtype=object).ravel()
        if any(isinstance(v, bool | np.bool_) for v in flat):
            return "booleans"
    return None


def _is_seq(value: Any) -> bool:
    return isinstance(value, Sequence | np.ndarray | pd.Index | pd.Series)


def _series(w: FloatArray, labels: Sequence[Hashable], name: str) -> pd.Series:
    index: pd.Index = pd.Index(list(labels))
    return pd.Series(w, index=index, name=name, dtype=np.float64)


def entropy_weights(x: Any, /) -> pd.Series:
    r"""Entropy weights of indicators: more dispersed indicators weigh more.

    Parameters
    ----------
    x
        Matrix (DataFrame or 2-D array), one row per customer and one column per indicator,
        non-negative and already oriented so that larger is better (e.g. normalised with
        :func:`~custloyalty.scorecard.min_max`).

    Returns
    -------
    pandas.Series
        Weights in [0, 1] summing to 1, indexed by the columns (positions for arrays).
        Equal weights when no indicator carries information (every column constant).

    Raises
    ------
    ValidationError
        Negative, missing or infinite values, fewer than two rows, a column summing to 0;
        booleans, dates or durations; duplicated column labels.

    See Also
    --------
    critic_weights : Weights from contrast and conflict between indicators.

    Notes
    -----
    With $n$ rows, $p_{ij} = x_{ij} / \sum_i x_{ij}$, entropy
    $e_j = -\frac{1}{\ln n}\sum_i p_{ij} \ln p_{ij}$ (with $0 \ln 0 = 0$), divergence
    $d_j = 1 - e_j$ and $w_j = d_j / \sum_k d_k$.

    References
    ----------
    Shannon, C. E. (1948). A mathematical theory of communication. *Bell System Technical
    Journal*, 27(3), 379-423. Zeleny, M. (1982). *Multiple Criteria Decision Making*.
    McGraw-Hill (entropy weighting of attributes).

    Examples
    --------
    >>> import numpy as np
    >>> from custloyalty.scorecard import entropy_weights
    >>> x = np.array([[1.0, 0.5], [0.0, 0.5], [0.5, 0.4]])
    >>> entropy_weights(x).round(3).tolist()
    [0.989, 0.011]
    """
    arr, labels = _matrix(x, "entropy_weights")
    neg = arr < 0
    if neg.any():
        col = int(np.flatnonzero(neg.any(axis=0))[0])
        rows = np.flatnonzero(neg[:, col])
        msg = (
            f"entropy_weights needs non-negative values; column {labels[col]!r} has "
            f"{rows.size} negative values {format_examples(rows, arr[rows, col])}. "
            "Normalise the indicators first (min_max)."
        )
        raise ValidationError(msg)
    with np.errstate(over="ignore"):
        total = arr.sum(axis=0)
    if not np.isfinite(total).all():
        # values near the float limit overflow the column sums: the shares p_ij do not
        # change when a column is divided by its largest value
        arr = arr / arr.max(axis=0)
        total = arr.sum(axis=0)
    zero = total <= 0
    if zero.any():
        cols = [labels[i] for i in np.flatnonzero(zero)]
        msg = f"entropy_weights: columns {cols!r} sum to 0, so their shares are undefined."
        raise ValidationError(msg)
    p = arr / total
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(arr.shape[0])
    d = np.clip(1.0 - e, 0.0, None)
    w = d / d.sum() if d.sum() > 1e-12 else np.full(d.shape, 1.0 / d.size)
    return _series(w, labels, "entropy_weight")


def critic_weights(z: Any, /) -> pd.Series:
    r"""CRITIC weights: contrast intensity times conflict with the other indicators.

    Parameters
    ----------
    z
        Matrix (DataFrame or 2-D array) of min-max normalised indicators, one row per customer,
        oriented so that larger is better.

    Returns
    -------
    pandas.Series
        Weights in [0, 1] summing to 1, indexed by the columns. Equal weights if every column
        is constant.

    Raises
    ------
    ValidationError
        Missing or infinite values or fewer than two rows; booleans, dates or durations;
        duplicated column labels.

    See Also
    --------
    entropy_weights : Weights from the dispersion of each indicator alone.

    Notes
    -----
    With $\sigma_j$ the standard deviation of column $j$ and $r_{jk}$ the Pearson correlation
    of columns $j$ and $k$, $C_j = \sigma_j \sum_k (1 - r_{jk})$ and $w_j = C_j / \sum_k C_k$.
    A constant column has $\sigma_j = 0$ and weight 0 (its correlations are taken as 0).

    References
    ----------
    Diakoulaki, D., Mavrotas, G., & Papayannakis, L. (1995). Determining objective weights in
    multiple criteria problems: The CRITIC method. *Computers & Operations Research*, 22(7),
    763-770. https://doi.org/10.1016/0305-0548(94)00059-H

    Examples
    --------
    >>> import numpy as np
    >>> from custloyalty.scorecard import critic_weights
    >>> z = np.array([[1.0, 0.0, 0.2], [0.0, 1.0, 0.4], [0.5, 0.5, 0.6], [0.2, 0.9, 0.5]])
    >>> round(float(critic_weights(z).sum()), 12)
    1.0
    """
    arr, labels = _matrix(z, "critic_weights", name="Z")
    top = float(np.abs(arr).max())
    if top > 0 and not 1e-150 < top < 1e150:
        # magnitudes near the float limits overflow (or underflow) the sums of squares:
        # dividing every column by one common factor scales every C_j alike, so the
        # weights do not change
        arr = arr / top
    sd = arr.std(axis=0, ddof=1)
    # constant up to rounding (relative to the column's magnitude, so that tiny and huge
    # scales rank alike): no contrast
    live = sd > 1e-12 * np.abs(arr).max(axis=0)
    r = np.zeros((arr.shape[1], arr.shape[1]))
    if live.any():
        sub = arr[:, live]
        rr = np.corrcoef(sub, rowvar=False) if sub.shape[1] > 1 else np.ones((1, 1))
        r[np.ix_(live, live)] = rr
    c = np.where(live, sd, 0.0) * (1.0 - r).sum(axis=1)
    c = np.where(live, c, 0.0)
    w = c / c.sum() if c.sum() > 0 else np.full(c.shape, 1.0 / c.size)
    return _series(w, labels, "critic_weight")


@dataclass(frozen=True, slots=True)
class AHPResult(Result):
    """Weights from an analytic hierarchy process pairwise-comparison matrix."""

    weights: pd.Series
    """Normalised principal eigenvector (sums to 1), indexed by the criteria."""
    lambda_max: float
    """Principal eigenvalue; equals the order n for a perfectly consistent matrix."""
    consistency_index: float
    """$CI = (\\lambda_{max} - n) / (n - 1)$."""
    consistency_ratio: float
    """$CR = CI / RI(n)$; Saaty's rule of thumb accepts $CR \\le 0.1$ (0 for n <= 2)."""
    random_index: float
    """Saaty's random index $RI(n)$ used."""


def _aligned(pairwise: pd.DataFrame) -> pd.DataFrame:
    """Order a labelled pairwise matrix's columns like its index (or refuse if they differ).

    Unlabelled columns (the default 0..n-1) or an unlabelled index are read by position.
    """
    rows, cols = pairwise.index, pairwise.columns
    n = len(rows)
    check_unique_index(rows, "the pairwise matrix", func="ahp_weights", label="criterion")
    check_unique_index(cols, "the pairwise matrix (columns)", func="ahp_weights", label="criterion")
    if rows.equals(cols) or len(cols) != n:
        return pairwise  # same order, or not square (refused later with its shape)
    if set(rows) == set(cols):
        return pairwise[list(rows)]
    positional = pd.RangeIndex(n)
    if cols.equals(positional):
        return pairwise
    if rows.equals(positional):
        return pairwise.set_axis(cols, axis=0)
    msg = (
        f"ahp_weights: the pairwise matrix's columns {list(cols)!r} do not match its index "
        f"{list(rows)!r}; label rows and columns with the same criteria (in any order)."
    )
    raise ValidationError(msg)


def ahp_weights(
    pairwise: Any,
    /,
    *,
    labels: Sequence[Hashable] | None = None,
    max_ratio: float = 0.1,
    allow_inconsistent: bool = False,
) -> AHPResult:
    r"""AHP weights from a reciprocal pairwise-comparison matrix, with a consistency check.

    Parameters
    ----------
    pairwise
        Square matrix $A$ (DataFrame or 2-D array) with $a_{ij}$ = importance of criterion $i$
        over $j$ on Saaty's 1-9 scale, $a_{ji} = 1 / a_{ij}$ and $a_{ii} = 1$. A DataFrame's
        index gives the labels; its columns are matched to the index by label (any order),
        or read by position when they are unlabelled (0..n-1).
    labels
        Criterion names for an array input; default positions 0..n-1.
    max_ratio
        Largest acceptable consistency ratio; default 0.1 (Saaty).
    allow_inconsistent
        If True, return the weights of a matrix whose ratio exceeds ``max_ratio`` instead of
        raising.

    Returns
    -------
    AHPResult
        ``weights`` (sum to 1), ``lambda_max``, ``consistency_index``, ``consistency_ratio``.

    Raises
    ------
    ValidationError
        A matrix that is not square, has non-positive entries, is not reciprocal, or whose
        consistency ratio exceeds ``max_ratio`` (the message gives the ratio) unless
        ``allow_inconsistent``; orders above 15 (no tabulated random index); a DataFrame whose
        column labels are not its index labels; a diagonal entry other than 1; judgements
        that are not numbers (text, booleans) or rows of unequal length; duplicated
        ``labels``, or ``labels`` with a DataFrame (its index gives them); ``max_ratio``
        not a number >= 0; ``allow_inconsistent`` not a boolean.

    See Also
    --------
    ahp_hierarchy : Criteria -> sub-indicator hierarchies.

    Notes
    -----
    $w$ is the principal right eigenvector of $A$ normalised to $\sum_i w_i = 1$;
    $CI = (\lambda_{max} - n)/(n - 1)$ and $CR = CI / RI(n)$ with Saaty's random index
    (:data:`RANDOM_INDEX`).

    References
    ----------
    Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill. Saaty, T. L. (1990).
    How to make a decision: The analytic hierarchy process. *European Journal of Operational
    Research*, 48(1), 9-26. https://doi.org/10.1016/0377-2217(90)90057-I

    Examples
    --------
    >>> from custloyalty.scorecard import ahp_weights
    >>> a = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    >>> res = ahp_weights(a, labels=["churn", "monetary", "frequency"])
    >>> res.weights.round(3).to_dict()
    {'churn': 0.637, 'monetary': 0.258, 'frequency': 0.105}
    >>> round(res.consistency_ratio, 3)
    0.033
    """
    max_ratio = check_positive(max_ratio, "max_ratio", func="ahp_weights", strict=False)
    flag: Any = allow_inconsistent  # the annotation is not checked at run time
    if not isinstance(flag, bool | np.bool_):
        msg = (
            "The 'allow_inconsistent' parameter of ahp_weights must be True or False; got "
            f"{allow_inconsistent!r}."
        )
        raise ValidationError(msg)
    if isinstance(pairwise, pd.DataFrame):
        if labels is not None:
            msg = (
                "ahp_weights: 'labels' is for an array; a DataFrame's index gives the labels.\n"
                "Hint: drop labels=, or set the DataFrame's index and columns."
            )
            raise ValidationError(msg)
        frame = _aligned(pairwise)
        names: list[Hashable] = list(frame.index)
        kinds = [_not_number(t, frame[c]) for c, t in frame.dtypes.items()]
        try:
            if any(kinds):
                raise TypeError(next(k for k in kinds if k))
            a = frame.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as exc:
            msg = "ahp_weights: every pairwise judgement must be a number."
            raise ValidationError(msg) from exc
    else:
        raw = _as_array(pairwise, "ahp_weights", "the pairwise matrix")
        try:
            if _not_number(raw.dtype, raw):
                raise TypeError(_not_number(raw.dtype, raw))
            a = raw.astype(np.float64)
        except (TypeError, ValueError) as exc:
            msg = "ahp_weights: every pairwise judgement must be a number."
            raise ValidationError(msg) from exc
        if labels is not None and (isinstance(labels, str | bytes) or not _is_seq(labels)):
            msg = f"ahp_weights: 'labels' must be a list of criterion names; got {labels!r}."
            raise ValidationError(msg)
        names = list(labels) if labels is not None else list(range(a.shape[0] if a.ndim else 0))
        check_unique_index(pd.Index(names), "labels", func="ahp_weights", label="criterion")
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] < 1:
        msg = f"ahp_weights needs a square pairwise matrix; got shape {a.shape}."
        raise ValidationError(msg)
    n = a.shape[0]
    if len(names) != n:
        msg = f"ahp_weights: {len(names)} labels for a {n}x{n} matrix."
        raise ValidationError(msg)
    if n > max(RANDOM_INDEX):
        msg = f"ahp_weights supports up to {max(RANDOM_INDEX)} criteria; got {n}."
        raise ValidationError(msg)
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        msg = "ahp_weights: every pairwise judgement must be a finite positive number."
        raise ValidationError(msg)
    diagonal = ~np.isclose(np.diag(a), 1.0, rtol=1e-6)
    if diagonal.any():
        i = int(np.flatnonzero(diagonal)[0])
        msg = (
            f"ahp_weights: a criterion compared with itself must be 1 (the diagonal); "
            f"a[{names[i]!r}, {names[i]!r}] = {a[i, i]:.6g} ({int(diagonal.sum())} such "
            "entries)."
        )
        raise ValidationError(msg)
    nonrecip = ~np.isclose(a * a.T, 1.0, rtol=1e-6)
    if nonrecip.any():
        i, j = np.argwhere(nonrecip)[0]
        msg = (
            f"ahp_weights: the matrix is not reciprocal: a[{names[i]!r}, {names[j]!r}] = "
            f"{a[i, j]:.6g} but a[{names[j]!r}, {names[i]!r}] = {a[j, i]:.6g} "
            f"({int(nonrecip.sum()) // 2} such pairs)."
        )
        raise ValidationError(msg)
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    ci = max((lam - n) / (n - 1), 0.0) if n > 2 else 0.0
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    if cr > max_ratio and not allow_inconsistent:
        msg = (
            f"ahp_weights: the pairwise matrix is inconsistent: consistency ratio {cr:.3f} > "
            f"{max_ratio} (lambda_max {lam:.4f}, CI {ci:.4f}, RI {ri}). Revise the judgements "
            "or pass allow_inconsistent=True."
        )
        raise ValidationError(msg)
    return AHPResult(
        weights=_series(w, names, "ahp_weight"),
        lambda_max=lam,
        consistency_index=ci,
        consistency_ratio=cr,
        random_index=ri,
    )


def ahp_hierarchy(
    criteria: Any,
    sub: Mapping[Hashable, Any],
    /,
    *,
    max_ratio: float = 0.1,
    allow_inconsistent: bool = False,
) -> pd.Series:
    r"""Global weights of sub-indicators from a two-level AHP hierarchy.

    Parameters
    ----------
    criteria
        Pairwise matrix of the criteria as a DataFrame (index = criterion names).
    sub
        Mapping criterion -> pairwise DataFrame of its sub-indicators (index = names), or a
        single sub-indicator name (string) when a criterion has only one.
    max_ratio, allow_inconsistent
        As in :func:`ahp_weights`, applied to every matrix.

    Returns
    -------
    pandas.Series
        Global weight of each sub-indicator, $w_{c} \cdot w_{s \mid c}$, summing to 1.

    Raises
    ------
    ValidationError
        ``sub`` not a mapping; a criterion without sub-indicators, a ``sub`` key that is no
        criterion (with a close-match hint), a sub-indicator under two criteria, or any matrix
        refused by :func:`ahp_weights` (the message names its criterion).

    References
    ----------
    Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.scorecard import ahp_hierarchy
    >>> crit = pd.DataFrame([[1, 2], [0.5, 1]], index=["behaviour", "attitude"])
    >>> beh = pd.DataFrame([[1, 1], [1, 1]], index=["frequency", "monetary"])
    >>> w = ahp_hierarchy(crit, {"behaviour": beh, "attitude": "satisfaction"})
    >>> w.round(4).to_dict()
    {'frequency': 0.3333, 'monetary': 0.3333, 'satisfaction': 0.3333}
    """
    given: Any = sub  # the annotation is not checked at run time
    if not isinstance(given, Mapping):
        msg = (
            "ahp_hierarchy: 'sub' must be a mapping criterion -> pairwise matrix of its "
            f"sub-indicators (or one indicator name); got {type(given).__name__}."
        )
        raise ValidationError(msg)
    top = ahp_weights(criteria, max_ratio=max_ratio, allow_inconsistent=allow_inconsistent)
    unknown = [k for k in sub if k not in top.weights.index]
    if unknown:
        known = [str(c) for c in top.weights.index]
        msg = (
            f"ahp_hierarchy: 'sub' names {unknown!r}, which are not criteria of the criteria "
            f"matrix {list(top.weights.index)!r}; their sub-indicators would be ignored."
        )
        hints = [f"{u!r} -> {h!r}" for u in unknown if (h := suggest(str(u), known))]
        if hints:
            msg += f"\nHint: did you mean {', '.join(hints)}?"
        raise ValidationError(msg)
    parts: list[pd.Series] = []
    for crit, wc in top.weights.items():
        if crit not in sub:
            msg = f"ahp_hierarchy: criterion {crit!r} has no sub-indicators in 'sub'."
            raise ValidationError(msg)
        spec = sub[crit]
        if isinstance(spec, str):
            local = pd.Series([1.0], index=[spec])
        else:
            try:
                local = ahp_weights(
                    spec, max_ratio=max_ratio, allow_inconsistent=allow_inconsistent
                ).weights
            except ValidationError as exc:
                msg = f"ahp_hierarchy: the matrix of criterion {crit!r} in 'sub': {exc}"
                raise ValidationError(msg) from None
        parts.append(local * float(wc))
    out: pd.Series = pd.concat(parts)
    dup = out.index[out.index.duplicated()]
    if len(dup):
        msg = f"ahp_hierarchy: sub-indicators {list(dup)!r} appear under several criteria."
        raise ValidationError(msg)
    return out.rename("ahp_weight")


def fixed_weights(weighting: Mapping[Hashable, float] | pd.Series, /) -> pd.Series:
    """User weights, checked and normalised to sum to one.

    Parameters
    ----------
    weighting
        Mapping indicator -> non-negative weight (any scale).

    Returns
    -------
    pandas.Series
        The weights divided by their sum.

    Raises
    ------
    ValidationError
        Not a mapping (or Series with unique labels); weights that are not numbers
        (booleans, text, None); negative, non-finite or all-zero weights.

    Examples
    --------
    >>> from custloyalty.scorecard import fixed_weights
    >>> fixed_weights({"frequency": 2, "monetary": 1, "churn": 1}).to_dict()
    {'frequency': 0.5, 'monetary': 0.25, 'churn': 0.25}
    """
    given: Any = weighting  # the annotation is not checked at run time
    if isinstance(given, pd.Series):
        check_unique_index(given.index, "weighting", func="fixed_weights", label="indicator")
        items = list(given.items())
    elif isinstance(given, Mapping):
        items = list(given.items())
    else:
        msg = (
            "The 'weighting' parameter of fixed_weights must be a mapping indicator -> weight "
            f"(a dict or a Series); got {type(given).__name__}."
        )
        raise ValidationError(msg)
    odd = [(k, v) for k, v in items if not is_number(v)]
    if odd:
        shown = ", ".join(f"{k!r}: {v!r}" for k, v in odd[:5])
        msg = (
            f"Weights must be numbers (booleans, text and None are not); {len(odd)} of "
            f"{len(items)} are not: {shown}."
        )
        raise ValidationError(msg)
    s = pd.Series(
        [float(v) for _, v in items], index=pd.Index([k for k, _ in items]), dtype=np.float64
    )
    bad = ~np.isfinite(s.to_numpy()) | (s.to_numpy() < 0)
    if bad.any():
        msg = (
            f"Weights must be finite and non-negative; {int(bad.sum())} are not "
            f"{format_examples(s.index[bad], s.to_numpy()[bad])}."
        )
        raise ValidationError(msg)
    top = float(s.max()) if len(s) else 0.0
    if top <= 0:
        msg = "Weights must not all be zero."
        raise ValidationError(msg)
    with np.errstate(over="ignore"):
        total = float(s.sum())
    if not np.isfinite(total):  # weights near the float limit: their sum overflows
        s = s / top
        total = float(s.sum())
    out = pd.Series(s.to_numpy() / total, index=s.index, name="weight")
    return out

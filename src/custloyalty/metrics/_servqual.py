"""SERVQUAL: service-quality gaps between perceptions and expectations."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from custloyalty import _frames
from custloyalty._results import Result
from custloyalty._validation import check_nan_policy
from custloyalty.errors import ValidationError
from custloyalty.metrics._pls import _check_scale
from custloyalty.metrics._satisfaction import numeric_weights

__all__ = ["SERVQUAL_DIMENSIONS", "ServqualResult", "servqual"]

#: Standard 22-item layout of Parasuraman, Zeithaml & Berry (1988, 1991): 1-based item
#: positions of each dimension.
SERVQUAL_DIMENSIONS: dict[str, tuple[int, ...]] = {
    "tangibles": (1, 2, 3, 4),
    "reliability": (5, 6, 7, 8, 9),
    "responsiveness": (10, 11, 12, 13),
    "assurance": (14, 15, 16, 17),
    "empathy": (18, 19, 20, 21, 22),
}


@dataclass(frozen=True, slots=True)
class ServqualResult(Result):
    """SERVQUAL gap scores per item, dimension, respondent and overall."""

    statistic: float
    """Weighted mean of the dimension gaps (P - E); negative means expectations are not met,
    higher is better."""
    items: pd.DataFrame
    """Per item: ``dimension``, ``perception``, ``expectation``, ``gap`` (means)."""
    dimensions: pd.DataFrame
    """Per dimension: ``perception``, ``expectation``, ``gap``, ``weight``, ``n_items``."""
    per_respondent: pd.DataFrame
    """Gap of each respondent per dimension, plus ``overall``; indexed like the input."""
    n: int
    """Respondents used."""

    @property
    def overall(self) -> float:
        """The overall gap: an alias of :attr:`statistic`."""
        return self.statistic


def _dimension_map(
    dimensions: Mapping[str, Sequence[Hashable]] | None, cols: list[Hashable], func: str
) -> dict[str, list[Hashable]]:
    if dimensions is None:
        if len(cols) != 22:
            msg = (
                f"{func} needs a 'dimensions' mapping unless the tables have exactly the 22 "
                f"standard SERVQUAL items; got {len(cols)} columns.\n"
                "Hint: dimensions={'tangibles': [...], 'reliability': [...], ...}."
            )
            raise ValidationError(msg)
        return {d: [cols[i - 1] for i in pos] for d, pos in SERVQUAL_DIMENSIONS.items()}
    if not isinstance(dimensions, Mapping) or not dimensions:
        msg = f"The 'dimensions' parameter of {func} must map dimension names to item columns."
        raise ValidationError(msg)
    out: dict[str, list[Hashable]] = {}
    seen: dict[Hashable, str] = {}
    for dim, items in dimensions.items():
        lst: list[Hashable] = [items] if isinstance(items, str) else list(items)
        if not lst:
            msg = f"Dimension {dim!r} of {func} has no items."
            raise ValidationError(msg)
        for c in lst:
            if c in seen:
                msg = f"Item {c!r} is in dimensions {seen[c]!r} and {dim!r}; use it once."
                raise ValidationError(msg)
            seen[c] = str(dim)
        out[str(dim)] = lst
    return out


def _dimension_weights(dimension_weights: Any, dims: list[str], func: str) -> np.ndarray:
    if isinstance(dimension_weights, pd.Series):  # labelled: matched by dimension name
        _frames.check_unique_index(
            dimension_weights.index, "dimension_weights", func=func, label="dimension"
        )
        dimension_weights = dict(dimension_weights.items())
    if dimension_weights is None:
        return np.full(len(dims), 1.0 / len(dims))
    if not isinstance(dimension_weights, Mapping):
        msg = (
            f"The 'dimension_weights' parameter of {func} must map each dimension to its "
            "importance."
        )
        raise ValidationError(msg)
    missing = [d for d in dims if d not in dimension_weights]
    unknown = [d for d in dimension_weights if d not in dims]
    if missing or unknown:
        msg = (
            f"The 'dimension_weights' of {func} must give one weight per dimension {dims!r}; "
            f"missing {missing!r}, unknown {unknown!r}."
        )
        raise ValidationError(msg)
    raw = numeric_weights(
        [dimension_weights[d] for d in dims], dims, name="dimension_weights", func=func
    )
    if not np.isfinite(raw).all() or (raw < 0).any() or not raw.sum() > 0:
        msg = (
            f"The 'dimension_weights' of {func} must be finite, >= 0 and not all zero; "
            f"got {dict(zip(dims, raw.tolist(), strict=True))!r}."
        )
        raise ValidationError(msg)
    out: np.ndarray = raw / raw.sum()
    return out


def servqual(
    perceptions: Any,
    expectations: Any,
    /,
    *,
    dimensions: Mapping[str, Sequence[Hashable]] | None = None,
    dimension_weights: Mapping[str, float] | None = None,
    scale: tuple[float, float] = (1, 7),
    nan_policy: str = "raise",
) -> ServqualResult:
    r"""SERVQUAL gap scores: perceived minus expected service quality.

    Each respondent rates every item twice, once for what an excellent company *should*
    offer (expectations) and once for the company itself (perceptions). The gap P - E is
    averaged per item, per dimension (tangibles, reliability, responsiveness, assurance,
    empathy) and overall.

    Parameters
    ----------
    perceptions, expectations
        Two tables with the same item columns and the same respondents, on ``scale``. Rows
        are matched by index label; when both tables have the identical index (same labels
        in the same order, repeated labels allowed) they are matched by position. Indexes
        that differ in order must have unique labels.
    dimensions
        Mapping dimension -> item columns. ``None`` (default) requires exactly 22 columns and
        applies the standard layout **by column position**: tangibles 1-4, reliability 5-9,
        responsiveness 10-13, assurance 14-17, empathy 18-22 (see
        ``SERVQUAL_DIMENSIONS``). Columns not in any dimension are ignored.
    dimension_weights
        Mapping dimension -> importance (or a Series indexed by dimension; e.g. the 100 points
        respondents allocate across the five dimensions), normalised to sum 1. ``None``:
        equal weights (the unweighted SERVQUAL score).
    scale
        ``(min, max)`` of the answer scale; default ``(1, 7)``. Answers outside raise.
    nan_policy
        ``"raise"`` (default) or ``"omit"`` (drops respondents with any missing answer).

    Returns
    -------
    ServqualResult
        ``overall`` in [min - max, max - min] (0 = expectations exactly met, higher is
        better), the ``items``, ``dimensions`` and ``per_respondent`` tables, ``n``.

    Raises
    ------
    ValidationError
        Missing columns, tables that do not match in columns or rows (including indexes
        in different orders with repeated labels), answers off the scale, missing answers
        under ``"raise"``, bad dimensions or non-numeric, negative or all-zero weights.

    See Also
    --------
    satisfaction_index : 0-100 index of satisfaction items.

    Notes
    -----
    With $G_{ij} = P_{ij} - E_{ij}$ for respondent $i$ and item $j$, dimension $d$ holding
    items $J_d$ and normalised weights $w_d$:

    $$\bar G_d = \frac{1}{n\,|J_d|}\sum_i \sum_{j \in J_d} G_{ij}, \qquad
      \mathrm{SQ} = \sum_d w_d\, \bar G_d.$$

    References
    ----------
    Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1988). SERVQUAL: A multiple-item
    scale for measuring consumer perceptions of service quality. *Journal of Retailing*,
    64(1), 12-40.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import servqual
    >>> p = pd.DataFrame({"t1": [5, 6], "t2": [4, 6], "r1": [3, 5]})
    >>> e = pd.DataFrame({"t1": [7, 7], "t2": [6, 6], "r1": [7, 6]})
    >>> dims = {"tangibles": ["t1", "t2"], "reliability": ["r1"]}
    >>> sq = servqual(p, e, dimensions=dims, dimension_weights={"tangibles": 1, "reliability": 3})
    >>> sq.dimensions["gap"].to_dict()
    {'tangibles': -1.25, 'reliability': -2.5}
    >>> sq.overall
    -2.1875
    """
    func = "servqual"
    policy = check_nan_policy(nan_policy, func=func)
    lo, hi = _check_scale(scale, func)
    p_df = _frames.as_frame(perceptions, name="perceptions")
    e_df = _frames.as_frame(expectations, name="expectations")
    dim_map = _dimension_map(dimensions, list(p_df.columns), func)
    cols = [c for items in dim_map.values() for c in items]
    p, miss_p = _frames.numeric_columns(
        p_df, cols, nan_policy=policy, func=func, bounds=(lo, hi), name="perceptions"
    )
    e, miss_e = _frames.numeric_columns(
        e_df, cols, nan_policy=policy, func=func, bounds=(lo, hi), name="expectations"
    )
    if not p.index.equals(e.index):
        e = _frames.align_to_index(
            e,
            p.index,
            name="expectations",
            target="perceptions",
            func=func,
            extra="raise",
            hint="give each respondent a unique index label in both tables, or pass both "
            "tables with the identical index (same rows in the same order).",
        )
        miss_e = e.isna().any(axis=1).to_numpy()
    keep = ~(miss_p | miss_e)
    if not keep.all():
        p, e = p.loc[keep], e.loc[keep]
    if len(p) == 0:
        msg = f"No respondents left in {func} after omitting missing answers."
        raise ValidationError(msg)
    dims = list(dim_map)
    w = _dimension_weights(dimension_weights, dims, func)
    gap = p - e
    dim_of = pd.Series({c: d for d, items in dim_map.items() for c in items})
    # per respondent: mean gap over the items of each dimension (one vectorised group-by)
    per = gap.T.groupby(dim_of.loc[gap.columns].to_numpy(), sort=False).mean().T
    per = per[dims]
    per["overall"] = per[dims].to_numpy() @ w
    item_table = pd.DataFrame(
        {
            "dimension": dim_of.loc[pd.Index(cols)].to_numpy(),
            "perception": p.mean().to_numpy(),
            "expectation": e.mean().to_numpy(),
            "gap": gap.mean().to_numpy(),
        },
        index=pd.Index(cols),
    )
    grouped = item_table.groupby("dimension", sort=False)[["perception", "expectation", "gap"]]
    dim_table = grouped.mean().loc[dims]
    dim_table["weight"] = w
    dim_table["n_items"] = [len(dim_map[d]) for d in dims]
    dim_table.index.name = None
    overall = float(dim_table["gap"].to_numpy() @ w)
    return ServqualResult(
        statistic=overall,
        items=item_table,
        dimensions=dim_table,
        per_respondent=per,
        n=len(p),
    )

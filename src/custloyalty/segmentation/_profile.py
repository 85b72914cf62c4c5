r"""Per-segment profile: size, revenue share and mean indicators of every segment."""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from custloyalty._frames import as_frame, check_unique_index, numeric_columns, require_columns
from custloyalty.errors import UndefinedMetricWarning, ValidationError

__all__ = ["segment_profile"]


def segment_profile(
    summary: Any,
    labels: Any,
    /,
    *,
    scores: Any = None,
    revenue: Hashable | None = "total_amount",
    columns: Sequence[Hashable] | None = None,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    r"""Describe every segment: size, share of customers and revenue, mean indicators.

    Parameters
    ----------
    summary
        Per-customer table indexed by customer (e.g. :func:`custloyalty.rfm_summary`).
    labels
        Segment or tier per customer (Series indexed by customer, e.g. :func:`rfm_segments`).
        Customers are matched by index; every label must belong to a customer of ``summary``
        and appear once. A list or array (no index) needs one label per row of ``summary``.
    scores
        Optional table with ``R``, ``F``, ``M`` (from :func:`rfm_scores`), joined by index so
        their means are reported.
    revenue
        Revenue column of ``summary`` (default ``total_amount``); ``None`` leaves out revenue.
    columns
        Further numeric columns of ``summary`` (or ``scores``) whose segment means are reported
        as ``mean_<column>``. Default: ``R``, ``F``, ``M`` when scores are given, plus
        ``n_purchases`` when present.
    nan_policy
        ``"raise"`` (default) or ``"omit"``: missing values are then left out of each mean,
        and customers without a label (a missing label, or none in ``labels``) are left out
        of the profile, its shares being of the labelled customers. Under ``"raise"`` such
        customers are an error.

    Returns
    -------
    pandas.DataFrame
        One row per segment (categorical labels keep their category order, including empty
        segments; other labels are sorted), columns ``n_customers``, ``customer_share`` (sums
        to 1), ``revenue``, ``revenue_share`` (sums to 1; NaN when the total revenue is 0) and
        ``mean_<column>``.

    Raises
    ------
    ValidationError
        Labels of customers absent from ``summary``, a customer appearing twice in the index
        of ``summary``, ``scores`` or ``labels``, unindexed labels whose length differs from
        ``summary``, missing or non-numeric columns, ``columns`` given as one text, segment
        totals beyond the float range (rescale the column), customers of ``summary`` without
        a label under ``nan_policy="raise"``.

    Warns
    -----
    UndefinedMetricWarning
        The labelled customers' total revenue is 0: ``revenue_share`` is NaN.

    See Also
    --------
    rfm_segments, value_tiers : labels to profile.

    Notes
    -----
    For segment :math:`g` with customers :math:`C_g` and revenue :math:`v_i`,

    $$\text{customer\_share}_g = \frac{|C_g|}{\sum_h |C_h|},\qquad
    \text{revenue\_share}_g = \frac{\sum_{i \in C_g} v_i}{\sum_i v_i}.$$

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Chicago: Probus.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.segmentation import segment_profile
    >>> summary = pd.DataFrame(
    ...     {"n_purchases": [1, 4, 6, 2], "total_amount": [10.0, 60.0, 90.0, 40.0]},
    ...     index=["a", "b", "c", "d"],
    ... )
    >>> labels = pd.Series(["low", "high", "high", "low"], index=summary.index)
    >>> segment_profile(summary, labels)
          n_customers  customer_share  revenue  revenue_share  mean_n_purchases
    high            2             0.5    150.0           0.75               5.0
    low             2             0.5     50.0           0.25               1.5
    """
    func = "segment_profile"
    table = as_frame(summary, name="summary")
    check_unique_index(
        table.index, "summary", func=func, hint="one row per customer, as rfm_summary gives."
    )
    if scores is not None:
        sc = as_frame(scores, name="scores")
        require_columns(sc, ["R", "F", "M"], name="scores")
        check_unique_index(sc.index, "scores", func=func)
        table = table.join(sc[["R", "F", "M"]].astype(np.float64), how="left")
    if columns is None:
        cols: list[Hashable] = [c for c in ("R", "F", "M") if scores is not None]
        cols += [c for c in ("n_purchases",) if c in table.columns]
    elif isinstance(columns, str | bytes):  # list("recency") would be r, e, c, ...
        msg = (
            f"The 'columns' parameter of {func} must be a list of column names; got the text "
            f"{columns!r}.\nHint: columns=[{columns!r}]."
        )
        raise ValidationError(msg)
    else:
        cols = list(columns)
    need = [*cols, *([revenue] if revenue is not None else [])]
    values, _ = numeric_columns(table, need, nan_policy=nan_policy, func=func, name="summary")
    lab = _as_labels(labels, table.index, func)
    pos = values.index.get_indexer(lab.index)
    if (pos < 0).any():
        missing = lab.index[pos < 0]
        msg = (
            f"labels has {missing.size} customers not found in summary "
            f"(e.g. {list(missing[:5])!r})."
        )
        raise ValidationError(msg)
    # customers without a label (NaN, or absent from labels) would leave the shares and the
    # revenue total silently, as if the base were only the labelled customers
    unlabelled = values.index[~values.index.isin(lab.dropna().index)]
    if unlabelled.size and nan_policy == "raise":
        msg = (
            f"{func}: {unlabelled.size} of {len(values)} customers of summary have no label "
            f"(missing, or not in labels; e.g. {list(unlabelled[:5])!r}): the shares would be "
            "of the labelled customers only.\nHint: label every customer (e.g. "
            "labels.fillna('none')), or pass nan_policy='omit' to profile the labelled "
            "customers alone."
        )
        raise ValidationError(msg)
    lab = lab.dropna()
    pos = values.index.get_indexer(lab.index)
    rows = values.iloc[pos]
    key = pd.Series(lab.to_numpy(), index=rows.index, name="segment")
    if isinstance(lab.dtype, pd.CategoricalDtype):
        key = key.astype(lab.dtype)
    grouped = rows.groupby(key, observed=False, sort=True)
    n = grouped.size()
    out = pd.DataFrame({"n_customers": n.astype(np.int64), "customer_share": n / n.sum()})
    sums = grouped.sum()
    means = grouped.mean()
    finite = np.isfinite(values.to_numpy())
    overflow = [
        c
        for c in need
        if (np.isinf(sums[c].to_numpy()).any() or np.isinf(means[c].to_numpy()).any())
        and finite[:, need.index(c)].all()
    ]
    if overflow:  # finite values whose segment sums leave the float range: inf and NaN shares
        msg = (
            f"The segment totals of {overflow!r} overflow floating point (beyond 1.8e308) in "
            f"{func}.\nHint: rescale the column first, e.g. summary[{overflow[0]!r}] / 1e6."
        )
        raise ValidationError(msg)
    if revenue is not None:
        rev = sums[revenue]
        out["revenue"] = rev
        total = float(rev.sum())
        if total == 0.0:
            warnings.warn(
                f"The total of {revenue!r} over the labelled customers is 0; revenue_share is "
                "undefined and set to NaN.",
                UndefinedMetricWarning,
                stacklevel=2,
            )
            out["revenue_share"] = np.nan
        else:
            out["revenue_share"] = rev / total
    for c in cols:
        out[f"mean_{c}"] = means[c]
    out.index.name = None
    return out


def _as_labels(labels: Any, index: pd.Index, func: str) -> pd.Series:
    """Labels as a Series indexed by customer, each customer at most once."""
    if isinstance(labels, pd.DataFrame):
        msg = (
            f"labels passed to {func} must be one-dimensional (a Series indexed by customer); "
            f"got a DataFrame with {labels.shape[1]} columns."
        )
        raise ValidationError(msg)
    if isinstance(labels, pd.Series):
        check_unique_index(labels.index, "labels", func=func)
        return labels
    arr = np.asarray(labels, dtype=object)
    if arr.ndim != 1 or arr.shape[0] != len(index):
        msg = (
            f"labels passed to {func} without an index must hold one label per row of summary "
            f"({len(index)} rows); got shape {arr.shape}.\n"
            "Hint: pass a Series indexed by customer to match labels by customer."
        )
        raise ValidationError(msg)
    return pd.Series(labels, index=index)

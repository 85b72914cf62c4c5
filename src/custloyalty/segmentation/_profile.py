r"""Per-segment profile: size, revenue share and mean indicators of every segment."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from custloyalty._frames import as_frame, numeric_columns, require_columns
from custloyalty.errors import ValidationError

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
        Customers are matched by index; every label must belong to a customer of ``summary``.
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
        ``"raise"`` (default) or ``"omit"``: missing values are then left out of each mean.

    Returns
    -------
    pandas.DataFrame
        One row per segment (categorical labels keep their category order, including empty
        segments; other labels are sorted), columns ``n_customers``, ``customer_share`` (sums
        to 1), ``revenue``, ``revenue_share`` (sums to 1) and ``mean_<column>``.

    Raises
    ------
    ValidationError
        Labels of customers absent from ``summary``, missing or non-numeric columns.

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
    if scores is not None:
        sc = as_frame(scores, name="scores")
        require_columns(sc, ["R", "F", "M"], name="scores")
        table = table.join(sc[["R", "F", "M"]].astype(np.float64), how="left")
    if columns is None:
        cols: list[Hashable] = [c for c in ("R", "F", "M") if scores is not None]
        cols += [c for c in ("n_purchases",) if c in table.columns]
    else:
        cols = list(columns)
    need = [*cols, *([revenue] if revenue is not None else [])]
    values, _ = numeric_columns(table, need, nan_policy=nan_policy, func=func, name="summary")
    lab = labels if isinstance(labels, pd.Series) else pd.Series(labels, index=table.index)
    lab = lab.dropna()
    pos = values.index.get_indexer(lab.index)
    if (pos < 0).any():
        missing = lab.index[pos < 0]
        msg = (
            f"labels has {missing.size} customers not found in summary "
            f"(e.g. {list(missing[:5])!r})."
        )
        raise ValidationError(msg)
    rows = values.iloc[pos]
    key = pd.Series(lab.to_numpy(), index=rows.index, name="segment")
    if isinstance(lab.dtype, pd.CategoricalDtype):
        key = key.astype(lab.dtype)
    grouped = rows.groupby(key, observed=False, sort=True)
    n = grouped.size()
    out = pd.DataFrame({"n_customers": n.astype(np.int64), "customer_share": n / n.sum()})
    sums = grouped.sum()
    means = grouped.mean()
    if revenue is not None:
        rev = sums[revenue]
        out["revenue"] = rev
        out["revenue_share"] = rev / rev.sum()
    for c in cols:
        out[f"mean_{c}"] = means[c]
    out.index.name = None
    return out

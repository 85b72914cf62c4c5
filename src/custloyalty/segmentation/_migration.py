r"""Tier migration between two periods: transition counts, row shares, up/down/churn/new."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from custloyalty import _frames
from custloyalty._results import Result
from custloyalty.errors import ValidationError

__all__ = ["TierMigrationResult", "tier_migration"]

_FUNC = "tier_migration"
NEW = "(new)"
CHURNED = "(churned)"


@dataclass(frozen=True, slots=True)
class TierMigrationResult(Result):
    """Transitions between the tiers of two periods.

    ``counts`` has one row per before-period tier (best first) plus a ``"(new)"`` row for
    customers absent before, and one column per after-period tier plus ``"(churned)"`` for
    customers absent after; each tier row sums to the tier's size before.
    """

    counts: pd.DataFrame
    """Customers moving from the row tier to the column tier."""
    shares: pd.DataFrame
    """``counts`` divided by its row sums (each row sums to 1; NaN for an empty row)."""
    n_before: int
    """Customers in the before period."""
    n_after: int
    """Customers in the after period."""
    n_unchanged: int
    """Customers in the same tier in both periods."""
    n_upgrades: int
    """Customers present in both periods who moved to a better tier."""
    n_downgrades: int
    """Customers present in both periods who moved to a worse tier."""
    n_churned: int
    """Customers present before and absent after."""
    n_new: int
    """Customers absent before and present after."""


def _as_labels(x: Any, name: str) -> pd.Series:
    if isinstance(x, pd.Series):
        s = x
    elif isinstance(x, pd.DataFrame):
        if "tier" in x.columns and x.columns.is_unique:  # the result of TierPolicy.assign
            s = x["tier"]
        else:
            msg = (
                f"{name} must be one-dimensional (a Series of tier labels indexed by customer); "
                f"got a DataFrame with columns {list(x.columns)[:5]!r} and no 'tier' column."
            )
            raise ValidationError(msg)
    elif isinstance(x, Mapping):
        s = pd.Series(x, dtype=object)
    elif x is None or isinstance(x, str | bytes) or np.ndim(x) == 0:
        msg = (
            f"{name} must be the tier labels of the customers (a Series indexed by customer); "
            f"got {type(x).__name__} {x!r:.80}."
        )
        raise ValidationError(msg)
    else:
        s = pd.Series(x)
    _frames.check_hashable(s, name)
    if not s.index.is_unique:
        dup = s.index[s.index.duplicated()]
        msg = f"{name} has {dup.size} duplicated customer labels (e.g. {list(dup[:5])!r})."
        raise ValidationError(msg)
    return s


def tier_migration(
    before: Any,
    after: Any,
    /,
    *,
    order: Sequence[Any] | None = None,
) -> TierMigrationResult:
    r"""Transition matrix between the tiers (or segments) of two periods.

    Parameters
    ----------
    before, after
        Tier label per customer (Series indexed by customer, e.g. outputs of
        :func:`value_tiers`, :meth:`TierPolicy.assign` (its ``tier`` column) or
        :func:`rfm_segments`; a dict of customer to tier works too). Missing labels are
        treated as "not a customer in that period". Customers are matched by index; ids of
        different types (``1`` and ``"1"``) that match nobody raise.
    order
        Tiers from best to worst; defaults to the categories of ``before`` when it is
        categorical (as :func:`value_tiers` returns, best first), else the sorted labels seen
        (numbers in numeric order, so tier 2 comes before tier 10; other labels by their text).
        Needed to tell upgrades from downgrades.

    Returns
    -------
    TierMigrationResult
        ``counts`` and ``shares`` (rows: before tiers then ``"(new)"``; columns: after tiers then
        ``"(churned)"``) and the numbers of unchanged, upgraded, downgraded, churned and new
        customers.

    Raises
    ------
    ValidationError
        Duplicated customers, labels not listed in ``order``, labels that are not scalars,
        ``order`` not a list, ``before`` / ``after`` not labels per customer (a number, text,
        None, a table without a ``tier`` column), or customer ids of different types in
        ``before`` and ``after`` that share no customer.

    See Also
    --------
    value_tiers, TierPolicy.assign, rfm_segments : labels to compare.

    Notes
    -----
    With tiers ranked :math:`1` (best) to :math:`K`, :math:`n_{jk}` the customers in tier
    :math:`j` before and :math:`k` after, the row shares are the empirical transition
    probabilities of a Markov chain over tiers (plus an absorbing "churned" state),

    $$\hat p_{jk} = \frac{n_{jk}}{\sum_{k'} n_{jk'}},\qquad
    \text{upgrades} = \sum_{k < j} n_{jk},\quad \text{downgrades} = \sum_{k > j} n_{jk}.$$

    References
    ----------
    Pfeifer, P. E., & Carraway, R. L. (2000). Modeling customer relationships as Markov chains.
    *Journal of Interactive Marketing*, 14(2), 43-55.
    https://doi.org/10.1002/(SICI)1520-6653(200021)14:2<43::AID-DIR4>3.0.CO;2-H

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.segmentation import tier_migration
    >>> before = pd.Series(["A", "B", "B", "C"], index=[1, 2, 3, 4])
    >>> after = pd.Series(["A", "A", "C", "B"], index=[1, 2, 4, 5])
    >>> m = tier_migration(before, after, order=["A", "B", "C"])
    >>> m.counts
           A  B  C  (churned)
    A      1  0  0          0
    B      1  0  0          1
    C      0  0  1          0
    (new)  0  1  0          0
    >>> m.n_upgrades, m.n_downgrades, m.n_churned, m.n_new
    (1, 0, 1, 1)
    """
    b = _as_labels(before, "before").dropna()
    a = _as_labels(after, "after").dropna()
    if order is None:
        if isinstance(b.dtype, pd.CategoricalDtype):
            tiers = list(b.cat.categories)
            if isinstance(a.dtype, pd.CategoricalDtype):
                tiers += [c for c in a.cat.categories if c not in tiers]
        else:
            seen = set(b.tolist()) | set(a.tolist())
            numbers = all(isinstance(t, int | float | np.integer | np.floating) for t in seen)
            # numbers in numeric order (tier 2 before tier 10), anything else by its text
            tiers = sorted(seen) if numbers else sorted(seen, key=str)
    else:
        if isinstance(order, str | bytes) or not isinstance(order, Iterable):
            msg = (
                "The 'order' parameter of tier_migration must list the tiers, best first, "
                f"such as ['Gold', 'Silver', 'Member']; got {type(order).__name__} {order!r:.80}."
            )
            raise ValidationError(msg)
        tiers = list(order)
        _frames.check_hashable(pd.Series(tiers, dtype=object), "order", "tiers")
    if len(set(tiers)) != len(tiers):
        msg = f"The 'order' parameter of tier_migration has duplicated tiers: {tiers!r}."
        raise ValidationError(msg)
    _frames.check_same_customers(
        b.index, a.index, left_name="before", right_name="after", func=_FUNC
    )
    rank = pd.Index(tiers)
    k = len(tiers)
    rb = rank.get_indexer(pd.Index(b.to_numpy()))
    ra = rank.get_indexer(pd.Index(a.to_numpy()))
    for name, s, r in (("before", b, rb), ("after", a, ra)):
        if (r < 0).any():
            bad = pd.unique(s.to_numpy()[r < 0])[:5]
            msg = (
                f"{name} has {int((r < 0).sum())} labels not among the tiers {tiers!r}: "
                f"{list(bad)!r}.\nHint: pass order=[best, ..., worst] listing every tier."
            )
            raise ValidationError(msg)
    # align customers: position in after of every before customer (-1 = churned), and back
    pos_a = a.index.get_indexer(b.index)
    pos_b = b.index.get_indexer(a.index)
    row = rb
    col = np.full(row.shape, k, dtype=np.int64)  # k = churned column
    col[pos_a >= 0] = ra[pos_a[pos_a >= 0]]
    new_cols = ra[pos_b < 0]
    counts = np.zeros((k + 1, k + 1), dtype=np.int64)
    np.add.at(counts, (row, col), 1)
    np.add.at(counts, (np.full(new_cols.shape, k), new_cols), 1)
    labels_row = [*tiers, NEW]
    labels_col = [*tiers, CHURNED]
    counts_df = pd.DataFrame(counts, index=labels_row, columns=labels_col)
    sums = counts.sum(axis=1, keepdims=True).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = pd.DataFrame(counts / sums, index=labels_row, columns=labels_col)
    both = col < k
    moved_from, moved_to = row[both], col[both]
    return TierMigrationResult(
        counts=counts_df,
        shares=shares,
        n_before=len(b),
        n_after=len(a),
        n_unchanged=int((moved_from == moved_to).sum()),
        n_upgrades=int((moved_to < moved_from).sum()),
        n_downgrades=int((moved_to > moved_from).sum()),
        n_churned=int((~both).sum()),
        n_new=int(new_cols.shape[0]),
    )

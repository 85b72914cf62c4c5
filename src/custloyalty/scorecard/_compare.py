"""Change between two scorecard results: indicators, base figures, tier migration, segments."""

from __future__ import annotations

import reprlib
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from custloyalty import _frames
from custloyalty._results import Result
from custloyalty.errors import CustLoyaltyWarning, ValidationError
from custloyalty.scorecard._result import ScorecardResult
from custloyalty.segmentation import TierMigrationResult, tier_migration

__all__ = ["ScorecardComparison", "compare"]


@dataclass(frozen=True, slots=True)
class ScorecardComparison(Result):
    """Change between two scorecard results (the evaluation system's dynamic adjustment)."""

    indicators: pd.DataFrame
    """Per indicator and the composite: mean before, mean after, change, relative change,
    over the customers present in both results."""
    base: pd.DataFrame
    """Base-level summary values before, after and their change."""
    migration: TierMigrationResult
    """Tier migration (:func:`custloyalty.segmentation.tier_migration`): counts and row shares,
    rows = tier before plus ``"(new)"``, columns = tier after plus ``"(churned)"``."""
    movements: dict[str, int]
    """Customers upgraded, downgraded, unchanged, new and lost."""
    by_tier: pd.DataFrame
    """Mean composite change per tier before."""
    by_segment: pd.DataFrame
    """One row per segment (``by`` of :func:`compare`; default the tier before), over the
    customers present in both results: ``customers``, the mean change of every indicator
    (``<name>_change``) and of the composite (``composite_change``), and the customers
    ``upgraded``, ``downgraded`` and ``unchanged`` (tier migration within the segment)."""


def _segments_of(by: Any, customers: pd.DataFrame, common: pd.Index) -> pd.Series:
    """Segment label of each customer in ``common`` (missing when unknown)."""
    if by is None:
        by = "tier"
    if isinstance(by, pd.Series):
        _frames.check_unique_index(
            by.index, "the 'by' Series", func="compare", hint="give one segment per customer."
        )
        if not by.index.isin(common).any():
            msg = (
                "compare: the 'by' Series shares no customer with the two results; index it "
                "by customer id like the results' customers table."
            )
            raise ValidationError(msg)
        out: pd.Series = by.reindex(common)
        out.name = by.name if by.name is not None else "segment"
        return out
    if isinstance(by, Hashable) and by in customers.columns:
        column: pd.Series = customers[by]
        return column.loc[common]
    msg = (
        f"compare: 'by' must be a column of the earlier result's customers table or a Series "
        f"of segments indexed by customer; got {reprlib.repr(by)} (columns: "
        f"{reprlib.repr(list(customers.columns))})."
    )
    raise ValidationError(msg)


def compare(
    before: ScorecardResult, after: ScorecardResult, /, *, by: Any = None
) -> ScorecardComparison:
    """Compare two scorecard results: indicator and composite change, tier migration.

    Parameters
    ----------
    before, after
        Results of :meth:`LoyaltyScorecard.score` for two periods, ideally from the same
        fitted scorecard (same yardstick).
    by
        Segments for :attr:`ScorecardComparison.by_segment`: a column of
        ``before.customers`` (name), or a Series of segment labels indexed by customer id (for
        example RFM segments). Default: the tier before. Customers whose segment is missing
        are left out of that table.

    Returns
    -------
    ScorecardComparison
        Indicator and base-level changes, migration matrix, movement counts and the changes
        per segment.

    Raises
    ------
    ValidationError
        ``before`` or ``after`` is not a :class:`ScorecardResult`;
        ``by`` is neither a column of ``before.customers`` nor a Series sharing customers
        with the results, or has duplicated customers; the two results have different tier
        labels, or no customer in common.

    Warns
    -----
    CustLoyaltyWarning
        The two results were scored with different indicator weights (different fitted
        scorecards): their composites are not on one yardstick.

    Notes
    -----
    Changes are after minus before on the customers present in both periods; customers only
    in ``after`` are "new", only in ``before`` "lost". A move to a better tier (earlier in the
    best-first list) is an upgrade. Customers without a tier (no composite) count as absent
    from that period in the migration matrix.

    Examples
    --------
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.scorecard import LoyaltyScorecard, compare
    >>> tx = load_cdnow("sample")
    >>> card = LoyaltyScorecard(["frequency", "monetary", "recency"]).fit(
    ...     tx, observation_end="1997-09-30"
    ... )
    >>> c = compare(
    ...     card.score(tx, observation_end="1997-09-30"),
    ...     card.score(tx, observation_end="1998-06-30"),
    ... )
    >>> sum(c.movements.values()) == 2357
    True
    >>> c.by_segment[["customers", "composite_change", "upgraded", "downgraded"]].round(1)
    ... # doctest: +NORMALIZE_WHITESPACE
              customers  composite_change  upgraded  downgraded
    tier
    Platinum        236              -9.4         0          93
    Gold            472             -11.9       103         260
    Silver          707              -9.1       115         428
    Bronze          942              -3.9       109           0
    """
    given: tuple[tuple[str, Any], ...] = (("before", before), ("after", after))
    for name, res in given:  # the annotations are not checked at run time
        if not isinstance(res, ScorecardResult):
            msg = (
                f"compare: {name!r} must be a ScorecardResult (what LoyaltyScorecard.score "
                f"returns); got {type(res).__name__}.\nHint: pass the results themselves, not "
                "their customers tables."
            )
            raise ValidationError(msg)
    a, b = before.customers, after.customers
    tiers_a, tiers_b = (list(r.customers["tier"].cat.categories) for r in (before, after))
    if tiers_a != tiers_b:
        msg = (
            f"compare: 'before' has the tiers {tiers_a!r} and 'after' the tiers {tiers_b!r}; "
            "tier migration needs one tier scale.\nHint: score both periods with the same "
            "fitted scorecard."
        )
        raise ValidationError(msg)
    common = a.index.intersection(b.index)
    if len(common) == 0:
        msg = (
            f"compare: no customer is in both results ({len(a)} before, {len(b)} after), so "
            "there is no change to measure.\nHint: check that both results score the same "
            "customer base, with customer ids of the same type."
        )
        raise ValidationError(msg)
    wa, wb = before.weights, after.weights
    if not (wa.index.equals(wb.index) and np.allclose(wa.to_numpy(), wb.to_numpy())):
        warnings.warn(
            "compare: the two results were scored with different indicator weights "
            f"({wa.round(3).to_dict()} before, {wb.round(3).to_dict()} after), so their "
            "composites and tiers are measured on different yardsticks.\nHint: score both "
            "periods with one fitted scorecard.",
            CustLoyaltyWarning,
            stacklevel=2,
        )
    names = [c for c in before.weights.index if c in a and c in b] + ["composite"]
    rows = {}
    for n in names:
        x = float(a.loc[common, n].mean())
        y = float(b.loc[common, n].mean())
        rows[n] = {
            "before": x,
            "after": y,
            "change": y - x,
            "relative_change": (y - x) / abs(x) if x else np.nan,
        }
    indicators = pd.DataFrame.from_dict(rows, orient="index")
    fig_a, fig_b = before.summary.figures(), after.summary.figures()
    keys = [
        k
        for k, v in fig_a.items()
        if isinstance(v, int | float)
        and not isinstance(v, bool)
        and isinstance(fig_b.get(k), int | float)
    ]
    base = pd.DataFrame(
        {"before": [float(fig_a[k]) for k in keys], "after": [float(fig_b[k]) for k in keys]},
        index=pd.Index(keys, name="figure"),
    )
    base["change"] = base["after"] - base["before"]
    order = list(a["tier"].cat.categories)
    migration = tier_migration(a["tier"], b["tier"], order=order)
    movements = {
        "upgraded": migration.n_upgrades,
        "downgraded": migration.n_downgrades,
        "unchanged": migration.n_unchanged,
        "new": migration.n_new,
        "lost": migration.n_churned,
    }
    delta = b.loc[common, "composite"] - a.loc[common, "composite"]
    by_tier = (
        pd.DataFrame({"tier": a.loc[common, "tier"], "composite_change": delta})
        .groupby("tier", observed=False)["composite_change"]
        .agg(["size", "mean"])
        .rename(columns={"size": "customers", "mean": "mean_composite_change"})
    )
    segment = _segments_of(by, a, common)
    changes = pd.DataFrame(
        {f"{n}_change": b.loc[common, n].to_numpy() - a.loc[common, n].to_numpy() for n in names},
        index=common,
    )
    # tier positions on the earlier result's best-first order; -1 = no tier
    pos_a = pd.Categorical(a.loc[common, "tier"], categories=order).codes
    pos_b = pd.Categorical(b.loc[common, "tier"], categories=order).codes
    both = (pos_a >= 0) & (pos_b >= 0)
    changes["upgraded"] = both & (pos_b < pos_a)
    changes["downgraded"] = both & (pos_b > pos_a)
    changes["unchanged"] = both & (pos_b == pos_a)
    grouped = changes.groupby(segment, observed=False, sort=True)
    change_cols = [f"{n}_change" for n in names]
    by_segment = grouped[change_cols].mean()
    by_segment.insert(0, "customers", grouped.size())
    counts = grouped[["upgraded", "downgraded", "unchanged"]].sum().astype(np.int64)
    by_segment = by_segment.join(counts)
    by_segment.index.name = segment.name
    return ScorecardComparison(
        indicators=indicators,
        base=base,
        migration=migration,
        movements=movements,
        by_tier=by_tier,
        by_segment=by_segment,
    )

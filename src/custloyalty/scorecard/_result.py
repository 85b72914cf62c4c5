"""Result types of the scorecard: the per-customer table and the base summary.

The base summary is built from per-bucket totals (:class:`SummaryTotals`: counts and sums that
add up across customer buckets), so a scorecard scored bucket by bucket (Dask, Spark) combines
its buckets' totals into the same summary as one in-memory scoring. Nothing is rounded here:
faces (CLI, report) round when they print.
"""

from __future__ import annotations

import html
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from custloyalty._results import Result, to_builtin
from custloyalty._validation import suggest
from custloyalty.errors import DegenerateIntervalWarning, ValidationError
from custloyalty.metrics import NPSResult, nps
from custloyalty.segmentation import ValuePotentialResult

__all__ = ["ScorecardResult", "ScorecardSummary", "SummaryTotals"]

#: Per-customer columns of the value x potential tiers (when the card has them).
VALUE_POTENTIAL_COLUMNS = ("total_spend", "potential", "value_level", "potential_level", "action")
#: Fields of :class:`SummaryTotals` that describe the buckets rather than add up.
_DESCRIPTIVE = ("tier_labels", "value_potential_grid")


@dataclass(slots=True)
class SummaryTotals:
    """Counts and sums of one customer bucket; ``a + b`` combines two disjoint buckets."""

    tier_labels: tuple[str, ...]
    customers: int = 0
    respondents: int = 0
    survey_answers_without_transactions: int | None = None
    nps_counts: tuple[int, int, int] | None = None
    """Promoters, passives and detractors among the scored customers' answers."""
    satisfaction_sum: float = 0.0
    satisfaction_n: int = 0
    churn_risk_sum: float | None = None
    repeat_customers: int = 0
    purchase_days_sum: float = 0.0
    total_spend_sum: float = 0.0
    composite_sum: float = 0.0
    composite_n: int = 0
    tier_counts: tuple[int, ...] = ()
    untiered: int = 0
    value_potential_counts: tuple[int, ...] | None = None
    """Customers per value x potential cell, row-major (value level, potential level), low
    first; None when the card has no value x potential tiers."""
    value_potential_grid: Any = None
    """The card's fitted (:class:`~custloyalty.segmentation.ValuePotentialGrid`, horizon)."""

    def __add__(self, other: Any) -> SummaryTotals:
        if not isinstance(other, SummaryTotals):
            msg = (
                "SummaryTotals: only another SummaryTotals (the totals of another bucket) can "
                f"be added; got {type(other).__name__}."
            )
            raise ValidationError(msg)
        if tuple(other.tier_labels) != tuple(self.tier_labels):
            msg = (
                f"SummaryTotals: cannot add the totals of tiers {list(other.tier_labels)!r} to "
                f"those of tiers {list(self.tier_labels)!r}; buckets add up only when scored by "
                "one fitted scorecard."
            )
            raise ValidationError(msg)

        def opt(a: Any, b: Any) -> Any:
            if a is None:
                return b
            if b is None or b == ():  # () : the tier counts of totals without customers
                return a
            if a == ():
                return b
            if isinstance(a, tuple):
                return tuple(x + y for x, y in zip(a, b, strict=True))
            return a + b

        out = SummaryTotals(self.tier_labels)
        for f in fields(self):
            if f.name not in _DESCRIPTIVE:
                setattr(out, f.name, opt(getattr(self, f.name), getattr(other, f.name)))
        grid = self.value_potential_grid
        out.value_potential_grid = other.value_potential_grid if grid is None else grid
        return out

    def __radd__(self, other: Any) -> SummaryTotals:
        """``0 + totals`` is ``totals``, so ``sum(bucket_totals)`` combines buckets."""
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return self.__add__(other)


@dataclass(frozen=True, slots=True)
class ScorecardSummary(Result):
    """Base-level figures of a scored customer base (unrounded)."""

    observation_end: pd.Timestamp
    """End of the observation window scored."""
    customers: int
    """Customers scored."""
    respondents: int
    """Customers with at least one survey answer."""
    composite_mean: float
    """Mean composite over the customers with one."""
    repeat_purchase_rate: float
    """Share of customers with at least one repeat purchase day."""
    mean_purchase_days: float
    """Mean number of purchase days per customer."""
    mean_total_spend: float
    """Mean total spend per customer in the window."""
    tier_sizes: dict[str, int]
    """Customers per tier, best first."""
    customers_without_tier: int
    """Customers without a composite (only survey indicators and no answer)."""
    mean_churn_risk: float | None = None
    """Mean of ``churn_risk`` when churn is an indicator (its model is fitted with the card)."""
    nps: NPSResult | None = None
    """Net Promoter Score of the scored customers' answers (with surveys)."""
    satisfaction_index: float | None = None
    """Mean 0-100 satisfaction index of the scored customers' answers (with surveys)."""
    survey_answers_without_transactions: int | None = None
    """Survey answers whose customer id matches no scored customer (with surveys)."""
    value_potential_counts: dict[str, dict[str, int]] | None = None
    """Customers per value x potential cell, ``{value level: {potential level: n}}`` (levels
    low to high), when the card has value x potential tiers; None otherwise.
    :meth:`value_potential_table` lays it out as a grid."""

    @classmethod
    def from_totals(cls, totals: SummaryTotals, observation_end: pd.Timestamp) -> ScorecardSummary:
        """Build the summary from (combined) bucket totals."""
        n = totals.customers

        def mean(s: float, k: int) -> float:
            return s / k if k else float("nan")

        score = None
        if totals.nps_counts is not None and sum(totals.nps_counts) > 0:
            ratings = np.repeat(np.array([10, 8, 0]), np.asarray(totals.nps_counts))
            with warnings.catch_warnings():
                # a small batch may hold one NPS category: its summary shows the zero-width
                # Wald interval as it is, without a warning per scored batch
                warnings.simplefilter("ignore", DegenerateIntervalWarning)
                score = nps(ratings)
        return cls(
            observation_end=observation_end,
            customers=n,
            respondents=totals.respondents,
            composite_mean=mean(totals.composite_sum, totals.composite_n),
            repeat_purchase_rate=mean(totals.repeat_customers, n),
            mean_purchase_days=mean(totals.purchase_days_sum, n),
            mean_total_spend=mean(totals.total_spend_sum, n),
            # no tier count yet (totals of no customer): every tier empty
            tier_sizes=dict(
                zip(
                    totals.tier_labels,
                    totals.tier_counts or (0,) * len(totals.tier_labels),
                    strict=True,
                )
            ),
            customers_without_tier=totals.untiered,
            mean_churn_risk=None
            if totals.churn_risk_sum is None
            else mean(totals.churn_risk_sum, n),
            nps=score,
            satisfaction_index=None
            if totals.satisfaction_n == 0
            else totals.satisfaction_sum / totals.satisfaction_n,
            survey_answers_without_transactions=totals.survey_answers_without_transactions,
            value_potential_counts=_cell_dict(totals),
        )

    def value_potential_table(self) -> pd.DataFrame | None:
        """Return the customers per value x potential cell as a grid.

        Rows value level (high first), columns potential level (low to high), as
        :attr:`ValuePotentialResult.counts`; None without value x potential tiers.

        Examples
        --------
        >>> from custloyalty.datasets import load_cdnow
        >>> from custloyalty.scorecard import LoyaltyScorecard
        >>> card = LoyaltyScorecard(["purchase_days"], value_potential={"levels": 3}, seed=0)
        >>> res = card.fit_score(load_cdnow("sample"), observation_end="1997-09-30")
        >>> int(res.summary.value_potential_table().to_numpy().sum())
        2357
        """
        if self.value_potential_counts is None:
            return None
        counts = self.value_potential_counts
        rows = list(counts)[::-1]
        cols = list(next(iter(counts.values())))
        return pd.DataFrame(
            [[counts[v][p] for p in cols] for v in rows],
            index=pd.Index(rows, name="value"),
            columns=pd.Index(cols, name="potential"),
        )

    def figures(self) -> dict[str, Any]:
        """Return the scalar figures by name (NPS as its score and interval), unrounded."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "nps":
                if v is not None:
                    out["nps"] = float(v.statistic)
                    out["nps_ci_low"], out["nps_ci_high"] = (float(c) for c in v.ci)
            elif f.name == "tier_sizes":
                out.update({f"tier_size[{k}]": int(c) for k, c in v.items()})
            elif f.name == "value_potential_counts":
                if v is not None:
                    out.update(
                        {
                            f"value_potential_count[{a},{b}]": int(n)
                            for a, row in v.items()
                            for b, n in row.items()
                        }
                    )
            elif v is not None:
                out[f.name] = v
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per figure: column ``value`` indexed by ``figure``."""
        figs = self.figures()
        return pd.DataFrame(
            {"value": pd.Series(list(figs.values()), index=list(figs), dtype=object)}
        ).rename_axis("figure")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of the figures (NPS as its own dict)."""
        out = to_builtin({f.name: getattr(self, f.name) for f in fields(self)})
        assert isinstance(out, dict)
        return out

    def _repr_html_(self) -> str:
        table = self.to_frame().to_html(float_format=lambda v: f"{v:.4g}")
        return f"<p>Scorecard summary, {self.observation_end.date()}</p>{table}"


@dataclass(frozen=True, slots=True)
class ScorecardResult(Result):
    """Per-customer loyalty evaluation and the base-level summary."""

    customers: pd.DataFrame
    """One row per customer: each indicator's raw value, ``norm_<name>`` in [0, 1] (1 = best),
    ``contrib_<name>`` (points of the composite), ``composite`` in [0, 100], ``tier`` (ordered
    categorical, best first) and ``answered_survey`` (the customer has at least one row in the
    surveys). A customer without any indicator value (possible only when every indicator is a
    survey indicator, the customer did not answer and ``missing="renormalise"``) has a NaN
    composite and a missing tier (NA in the categorical).

    When the card has value x potential tiers (``LoyaltyScorecard(value_potential=...)``, on
    by default with a ``clv`` indicator), five more columns: ``total_spend`` (current value;
    already there as an indicator when ``total_spend`` is one), ``potential`` (predicted CLV
    over the card's horizon, >= 0), ``value_level`` and ``potential_level`` (ordered
    categoricals, low to high, on cut-offs learned at fit) and ``action``. Without them these
    columns are absent (the card is never fitted with models it was not asked for)."""
    summary: ScorecardSummary
    """Base-level figures (:class:`ScorecardSummary`)."""
    weights: pd.Series
    """Indicator weights (sum 1)."""
    observation_end: pd.Timestamp
    """End of the observation window scored."""
    totals: SummaryTotals | None = field(default=None, repr=False, compare=False)
    """Per-bucket totals behind :attr:`summary` (add them across buckets)."""

    def __repr__(self) -> str:
        table = self.customers
        shape = (
            f"DataFrame {table.shape}"
            if isinstance(table, pd.DataFrame)
            else f"lazy {type(table).__name__}, {len(table.columns)} columns"
        )
        return (
            f"ScorecardResult(customers=<{shape}>, "
            f"observation_end={self.observation_end.date()}, summary={self.summary!r})"
        )

    @property
    def value_potential(self) -> ValuePotentialResult | None:
        """The value x potential tiers as a :class:`~custloyalty.segmentation.ValuePotentialResult`.

        Its ``customers`` is the five value x potential columns of :attr:`customers` (lazy
        for a Dask result), ``counts`` and ``actions`` the grids, the thresholds those the
        card learned at fit; ``plot_value_potential`` draws it. None when the card has no
        value x potential tiers.

        Examples
        --------
        >>> from custloyalty.datasets import load_cdnow
        >>> from custloyalty.scorecard import LoyaltyScorecard
        >>> tx = load_cdnow("sample")
        >>> card = LoyaltyScorecard(["purchase_days", "total_spend", "clv"])
        >>> res = card.fit_score(tx, observation_end="1997-09-30")
        >>> res.value_potential.counts
        potential  low  high
        value
        high       362   817
        low        804   374
        >>> res.customers["action"].value_counts().to_dict()
        {'retain': 817, 'harvest': 804, 'develop': 374, 'maintain': 362}
        >>> card = LoyaltyScorecard(["purchase_days", "total_spend"])
        >>> print(card.fit_score(tx, observation_end="1997-09-30").value_potential)
        None
        """
        info = None if self.totals is None else self.totals.value_potential_grid
        counts = None if self.totals is None else self.totals.value_potential_counts
        if info is None or counts is None:
            return None
        grid, horizon = info
        count_df, action_df = grid.tables(counts)
        return ValuePotentialResult(
            customers=self.customers[list(VALUE_POTENTIAL_COLUMNS)],
            counts=count_df,
            actions=action_df,
            value_thresholds=list(grid.value_thresholds_),
            potential_thresholds=list(grid.potential_thresholds_),
            horizon=int(horizon),
            model="bg_nbd",
            observation_end=self.observation_end,
        )

    def top(self, tier: str | None = None, n: int = 5) -> pd.DataFrame:
        """Return the ``n`` customers with the highest composite (within ``tier`` if given).

        Raises
        ------
        ValidationError
            ``n`` not an integer >= 0; ``tier`` not one of the tier labels (with a close-match
            hint).
        """
        if isinstance(n, bool | np.bool_) or not isinstance(n, int | np.integer) or n < 0:
            msg = f"The 'n' parameter of ScorecardResult.top must be an integer >= 0; got {n!r}."
            raise ValidationError(msg)
        df = self.customers
        if tier is not None:
            labels = [str(t) for t in df["tier"].cat.categories]
            if tier not in labels:
                msg = (
                    f"The 'tier' parameter of ScorecardResult.top must be one of {labels!r} "
                    f"or None; got {tier!r}."
                )
                hint = suggest(str(tier), labels)
                if hint:
                    msg += f"\nHint: did you mean {hint!r}?"
                raise ValidationError(msg)
            df = df[df["tier"] == tier]
        return df.nlargest(int(n), "composite")

    def to_frame(self) -> pd.DataFrame:
        """Return the per-customer table."""
        return self.customers

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: customers table, summary, weights and observation end."""
        out = to_builtin(
            {
                "customers": self.customers.astype({"tier": "string"}),
                "summary": self.summary,
                "weights": self.weights,
                "observation_end": self.observation_end,
            }
        )
        assert isinstance(out, dict)
        return out

    def _repr_html_(self) -> str:
        weights = self.weights.to_frame().to_html(float_format=lambda v: f"{v:.3f}")
        # the count comes from the summary: len() of a lazy (Dask) table would score it all;
        # head() reads the first partition only
        head = self.customers.head(10).to_html(float_format=lambda v: f"{v:.3g}")
        return (
            f"<h4>Loyalty scorecard, {html.escape(str(self.observation_end.date()))}: "
            f"{self.summary.customers:,} customers</h4>{self.summary._repr_html_()}"
            f"<p>Weights</p>{weights}<p>First customers</p>{head}"
        )


def _cell_dict(totals: SummaryTotals) -> dict[str, dict[str, int]] | None:
    if totals.value_potential_counts is None or totals.value_potential_grid is None:
        return None
    names = list(totals.value_potential_grid[0].names)
    k = len(names)
    c = totals.value_potential_counts
    return {v: {p: int(c[i * k + j]) for j, p in enumerate(names)} for i, v in enumerate(names)}


def tier_counts(codes: np.ndarray[Any, Any], labels: Sequence[str]) -> tuple[tuple[int, ...], int]:
    """Count customers per tier code and without a tier (code -1)."""
    counts = np.bincount(codes[codes >= 0], minlength=len(labels))
    return tuple(int(c) for c in counts), int((codes < 0).sum())

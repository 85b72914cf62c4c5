"""What every report section reads: the scored result, the inputs, derived tables (cached)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from custloyalty.errors import ValidationError

__all__ = ["ReportContext", "customer_columns"]

#: Canonical names of the per-customer columns the report reads (see :func:`customer_columns`).
CANONICAL = (
    "purchase_days",
    "total_spend",
    "days_since_last_purchase",
    "churn_risk",
    "composite",
    "tier",
    "answered_survey",
)
#: Item blocks of the ECSI model (prefix -> construct) and its structural paths.
ECSI_BLOCKS = {
    "imag": "IMAG",
    "expe": "EXPE",
    "qual": "QUAL",
    "val": "VAL",
    "sat": "SAT",
    "loy": "LOY",
}
ECSI_PATHS = {
    "EXPE": ["IMAG"],
    "QUAL": ["EXPE"],
    "VAL": ["EXPE", "QUAL"],
    "SAT": ["IMAG", "EXPE", "QUAL", "VAL"],
    "LOY": ["IMAG", "SAT"],
}


def customer_columns(result: Any) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a ScorecardResult into the report's canonical names (the one adapter to the API).

    Returns the per-customer table with the columns of :data:`CANONICAL` that exist (indexed
    by customer) and the base summary as a plain dict. This is the only place that knows the
    scorecard's column and field names: ``frequency`` / ``monetary`` / ``recency`` / ``churn``
    today, ``purchase_days`` / ``total_spend`` / ``days_since_last_purchase`` /
    ``churn_risk`` after the rename; both spellings are read.
    """
    table = getattr(result, "customers", None)
    if not isinstance(table, pd.DataFrame) or not hasattr(result, "summary"):
        msg = (
            "customer_columns needs a ScorecardResult (from LoyaltyScorecard.fit_score or "
            f"score); got {type(result).__name__}."
        )
        raise ValidationError(msg)
    renames = {
        "purchase_days": ("purchase_days", "frequency"),
        "total_spend": ("total_spend", "monetary"),
        "days_since_last_purchase": ("days_since_last_purchase", "recency"),
        "churn_risk": ("churn_risk", "churn"),
    }
    cols: dict[str, Any] = {}
    for name, candidates in renames.items():
        for c in candidates:
            if c in table.columns:
                cols[name] = table[c]
                break
    for name in ("composite", "tier", "answered_survey"):
        if name in table.columns:
            cols[name] = table[name]
    out = pd.DataFrame(cols, index=table.index)
    summary = result.summary
    if not isinstance(summary, Mapping):
        to_dict = getattr(summary, "to_dict", None)
        summary = to_dict() if callable(to_dict) else dict(vars(summary))
    return out, dict(summary)


def nps_value(res: Any) -> float:
    """Return the headline value of an NPS result (``statistic``, formerly ``score``)."""
    value = getattr(res, "statistic", None)
    return float(res.score if value is None else value)


@dataclass
class ReportContext:
    """Everything a report section may read; derived tables are computed once, on first use.

    Attributes
    ----------
    result
        The scored :class:`~custloyalty.scorecard.ScorecardResult`.
    customers
        Its per-customer table in the canonical names of :func:`customer_columns`.
    summary
        Its base summary as a dict.
    transactions
        Canonical transactions (``customer_id``, ``date``, ``amount``) or None.
    window
        The validated transaction window behind ``transactions`` (sections summarise it
        without validating the rows again), or None.
    surveys
        Survey answers with the customer id column named ``customer_id``, or None.
    interactions
        Interaction table as given, or None.
    scorecard
        The fitted :class:`~custloyalty.scorecard.LoyaltyScorecard`, or None.
    previous
        Tier label per customer in the previous period (Series), or None.
    over_time
        An :class:`~custloyalty.monitoring.OverTimeResult` for the "Loyalty over time" section,
        or None.
    programme
        A :class:`~custloyalty.programme.ProgrammeEffectResult` for the "Programme effect"
        section, or None.
    notes
        Data-quality notes gathered while building (rows dropped and the like).
    """

    result: Any
    transactions: pd.DataFrame | None = None
    window: Any = None
    surveys: pd.DataFrame | None = None
    interactions: pd.DataFrame | None = None
    scorecard: Any = None
    previous: pd.Series | None = None
    over_time: Any = None
    programme: Any = None
    notes: list[str] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)
    customers: pd.DataFrame = field(init=False)
    summary: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.customers, self.summary = customer_columns(self.result)

    @property
    def observation_end(self) -> pd.Timestamp:
        """End of the scored observation window."""
        return pd.Timestamp(self.result.observation_end)

    def cached(self, key: str, make: Any) -> Any:
        """Return ``cache[key]``, computing it with ``make()`` the first time."""
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def rfm_summary(self) -> pd.DataFrame | None:
        """Return the customer summary (days) of the transactions to the observation end."""
        if self.transactions is None:
            return None

        def make() -> pd.DataFrame:
            from custloyalty.summary import rfm_summary

            data = self.transactions if self.window is None else self.window
            return rfm_summary(data, observation_end=self.observation_end)

        out: pd.DataFrame = self.cached("rfm_summary", make)
        return out

    def scored_surveys(self) -> pd.DataFrame | None:
        """Survey answers of the scored customers (None without surveys, or when none matches)."""
        if self.surveys is None:
            return None
        sv = self.surveys
        scored = sv[sv["customer_id"].isin(self.customers.index)]
        if len(scored) == 0:  # nothing to show: the sections are left out, and the notes say why
            note = (
                f"None of the {len(sv):,} survey answers matches a scored customer id; the "
                "survey sections are left out (check that both tables use the same ids)."
            )
            if note not in self.notes:
                self.notes.append(note)
            return None
        return scored

    def item_blocks(self) -> dict[str, list[str]]:
        """ECSI item blocks present in the surveys (construct -> items), e.g. ``sat1..sat3``."""
        if self.surveys is None:
            return {}
        blocks: dict[str, list[str]] = {}
        for col in self.surveys.columns:
            m = re.fullmatch(r"([a-z]+)(\d+)", str(col))
            if m and m.group(1) in ECSI_BLOCKS:
                blocks.setdefault(ECSI_BLOCKS[m.group(1)], []).append(str(col))
        return blocks

    def churn_model(self) -> Any:
        """Return the churn model fitted by the scorecard (in weeks), or None."""
        sc = self.scorecard
        states = getattr(sc, "metric_states_", {}) if sc is not None else {}
        state = states.get("churn_risk", states.get("churn"))
        if isinstance(state, Mapping) and hasattr(state.get("model"), "p_alive"):
            return state["model"]  # the fitted model object (current scorecard)
        if not isinstance(state, Mapping) or "params" not in state:
            return None
        from custloyalty.models import BetaGeo, ParetoNBD

        cls = {"BetaGeo": BetaGeo, "ParetoNBD": ParetoNBD}.get(str(state.get("model")))
        return cls.from_dict(state) if cls is not None else None

    def tier_thresholds(self) -> list[float]:
        """Composite cut-offs between tiers (from the scorecard, else the lowest of each tier)."""
        th = getattr(self.scorecard, "tier_thresholds_", None)
        if th is not None:
            return [float(t) for t in th]
        if "tier" not in self.customers or "composite" not in self.customers:
            return []
        lows = self.customers.groupby("tier", observed=False)["composite"].min()
        return [float(v) for v in lows.to_numpy()[:-1] if np.isfinite(v)]

"""Value x potential tiers of a scorecard: learned with the card, applied to one customer at a time.

Current value is the customer's total spend in the window; potential is the ``clv`` metric
(BG/NBD purchases times Gamma-Gamma spend, discounted) over ``horizon`` months. The two models
are the ``clv`` indicator's when the card has one (nothing is fitted twice), else they are
fitted once on the fitted base by the ``clv`` metric's own fitting step (same subsample rule
and seed). The cut-offs of both axes (:class:`~custloyalty.segmentation.ValuePotentialGrid`)
are learned on the fitted base and stored with the card, so scoring any batch gives each
customer the cell it has in the whole base.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from custloyalty.errors import ValidationError
from custloyalty.metrics import get as get_metric
from custloyalty.scorecard._config import ScorecardConfig
from custloyalty.scorecard._result import VALUE_POTENTIAL_COLUMNS, SummaryTotals
from custloyalty.segmentation import ValuePotentialGrid

__all__: list[str] = []


def _clv_months(cfg: ScorecardConfig) -> int | None:
    """Return the ``months`` of the card's ``clv`` indicator, or None without one."""
    for ind in cfg.indicators:
        if ind.name == "clv":
            return int(ind.options.get("months", 12))
    return None


def _has_models(models: Any) -> bool:
    from custloyalty.models import BetaGeo, GammaGamma

    return (
        isinstance(models, Mapping)
        and isinstance(models.get("transactions"), BetaGeo)
        and isinstance(models.get("spend"), GammaGamma)
    )


def potential(
    state: Mapping[str, Any], cfg: ScorecardConfig, summary: pd.DataFrame, raw: pd.DataFrame
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Predicted CLV over the state's horizon (the ``clv`` column itself when it is the same)."""
    horizon = int(state["horizon"])
    if "clv" in raw.columns and _clv_months(cfg) == horizon:
        return raw["clv"].to_numpy(dtype=np.float64)
    value = get_metric("clv").compute(
        {"summary": summary, "state": state["models"]}, months=horizon
    )
    return np.asarray(value, dtype=np.float64)


def fit(
    cfg: ScorecardConfig,
    inputs: Mapping[str, Any],
    raw: pd.DataFrame,
    states: Mapping[str, Any],
) -> dict[str, Any] | None:
    """Learn the value x potential state on the fitted base; None when the card has none."""
    settings = cfg.value_potential_settings()
    if settings is None:
        return None
    metric = get_metric("clv")
    models = states.get("clv")
    if not models:  # no clv indicator: its fitting step, once, on the fitted base
        models = metric.fit_state(inputs, seed=cfg.seed)
    if not _has_models(models):
        if cfg.value_potential is None:
            return None  # a clv metric without these models (a plugin): no tiers by default
        msg = (
            f"LoyaltyScorecard: value_potential needs the BG/NBD and Gamma-Gamma models of the "
            f"built-in 'clv' metric; the 'clv' metric in use ({metric.origin}) fitted "
            f"{sorted(models) if isinstance(models, Mapping) else type(models).__name__}.\n"
            "Hint: pass value_potential=False, or use the built-in 'clv' metric."
        )
        raise ValidationError(msg)
    state: dict[str, Any] = {
        "horizon": int(settings["horizon"]),
        "models": {"transactions": models["transactions"], "spend": models["spend"]},
    }
    summary = inputs["summary"]
    value = summary["total_amount"].to_numpy(dtype=np.float64)
    grid = ValuePotentialGrid(
        settings["levels"],
        value_thresholds=settings["value_thresholds"],
        potential_thresholds=settings["potential_thresholds"],
    )
    state["grid"] = grid.fit(value, potential(state, cfg, summary, raw))
    return state


def apply(
    state: Mapping[str, Any],
    cfg: ScorecardConfig,
    inputs: Mapping[str, Any],
    raw: pd.DataFrame,
    table: pd.DataFrame,
    totals: SummaryTotals,
) -> None:
    """Add the value x potential columns to ``table`` and the cell counts to ``totals``."""
    summary = inputs["summary"]
    value = summary["total_amount"].to_numpy(dtype=np.float64)
    pot = potential(state, cfg, summary, raw)
    grid: ValuePotentialGrid = state["grid"]
    cells = grid.assign(value, pot, index=table.index)
    if "total_spend" not in table.columns:
        table["total_spend"] = value
    table["potential"] = pot
    for col in VALUE_POTENTIAL_COLUMNS[2:]:
        table[col] = cells[col].to_numpy() if col == "action" else cells[col]
    totals.value_potential_counts = grid.cell_counts(*grid.codes(value, pot))
    totals.value_potential_grid = (grid, int(state["horizon"]))

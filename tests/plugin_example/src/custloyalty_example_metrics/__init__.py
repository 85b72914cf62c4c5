"""Example custloyalty metric plugin: two customer-level indicators.

Installed with ``pip install ./tests/plugin_example`` (``make test`` does, and the test suite
pip-installs it into a temporary directory); custloyalty discovers the metrics through the
``custloyalty.metrics`` entry-point group, so callers never import this module.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from custloyalty.metrics import Metric

__all__ = ["DAYS_BETWEEN_PURCHASES", "items_per_order", "mean_days_between_purchases"]


def items_per_order(transactions: pd.DataFrame) -> pd.Series:
    """Average number of items per order (needs a ``quantity`` column)."""
    return transactions.groupby("customer_id")["quantity"].mean().rename("items_per_order")


def mean_days_between_purchases(summary: pd.DataFrame) -> pd.Series:
    """Mean days between purchase days, recency / frequency; the tenure T without repeats."""
    f = summary["frequency"].to_numpy(dtype=np.float64)
    r = summary["recency"].to_numpy(dtype=np.float64)
    gap = np.divide(r, f, out=np.full_like(r, np.nan), where=f > 0)
    # customers without a repeat purchase: treat the whole tenure as the gap so far
    gap = np.where(f > 0, gap, summary["T"].to_numpy(dtype=np.float64))
    return pd.Series(gap, index=summary.index, name="days_between_purchases")


DAYS_BETWEEN_PURCHASES = Metric(
    "days_between_purchases",
    mean_days_between_purchases,
    direction="lower",
    inputs=("summary",),
    description="Mean days between purchase days (tenure for one-time buyers)",
)

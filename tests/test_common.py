"""Common checks run over every registered metric, plugins included (custloyalty.testing)."""

from __future__ import annotations

import pandas as pd
import pytest

from custloyalty import metrics
from custloyalty.metrics import Metric
from custloyalty.testing import check_metric


@pytest.mark.parametrize("name", metrics.available())
def test_every_registered_metric_passes_the_common_checks(name: str) -> None:
    checks = check_metric(name)
    assert "inputs unchanged" in checks
    if metrics.get(name).level == "customer":
        assert "chunked == whole" in checks


def test_example_plugin_metrics_are_among_the_checked() -> None:
    # make test installs tests/plugin_example; its metrics must be covered by the checks above
    assert {"items_per_order", "days_between_purchases"} <= set(metrics.available())


def _first_amount(transactions: pd.DataFrame) -> pd.Series:
    return transactions.groupby("customer_id")["amount"].first()


def _mutating(summary: pd.DataFrame) -> pd.Series:
    summary["frequency"] = 0
    return summary["T"]


def _base_share(summary: pd.DataFrame) -> pd.Series:
    # depends on the whole base: each customer's share of total spend
    return summary["total_amount"] / summary["total_amount"].sum()


def _frame_out(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[["T"]]


def _gappy(summary: pd.DataFrame) -> pd.Series:
    return summary["monetary"].where(summary["frequency"] > 0)


def _unsafe_fit(summary: pd.DataFrame) -> dict[str, float]:
    return {"mean": float("nan")}


@pytest.mark.parametrize(
    ("metric", "check"),
    [
        (Metric("first_amount", _first_amount), "row order does not matter"),
        (Metric("mutating", _mutating), "inputs unchanged"),
        (Metric("base_share", _base_share), "chunked == whole"),
        (Metric("frame_out", _frame_out), "output shape and type"),
        (Metric("gappy", _gappy), "output shape and type"),
        (Metric("unsafe", _base_share, fit=_unsafe_fit), "fit state is JSON-safe"),
    ],
)
def test_check_metric_catches_broken_metrics(metric: Metric, check: str) -> None:
    with pytest.raises(AssertionError, match=f"check_metric\\({metric.name!r}\\): {check!r}"):
        check_metric(metric)


def test_check_metric_on_given_data_and_options() -> None:
    from custloyalty.datasets import load_cdnow

    tx = load_cdnow("sample")
    assert (
        check_metric(
            "churn", transactions=tx, observation_end="1997-09-30", options={"model": "bg_nbd"}
        )[-1]
        == "inputs unchanged"
    )

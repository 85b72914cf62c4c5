"""Common checks run over every registered metric, plugins included (custloyalty.testing)."""

from __future__ import annotations

import pandas as pd
import pytest

from custloyalty import metrics
from custloyalty.errors import ValidationError
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


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        # an option typo reached the metric's fit step as a raw TypeError
        (
            {"options": {"modle": "bg_nbd"}},
            r"(?s)has no option 'modle'.*Hint: did you mean 'model'",
        ),
        ({"options": [("model", "bg_nbd")]}, "'options' parameter of check_metric"),
        ({"seed": -1}, "'seed' parameter of check_metric"),  # numpy's ValueError before
        ({"seed": True}, "'seed' parameter of check_metric"),
        ({"n_customers": 1}, "'n_customers' parameter of check_metric"),  # "table is empty"
        ({"rtol": float("nan")}, "'rtol' parameter of check_metric"),  # every check passed
        ({"rtol": -1.0}, "'rtol' parameter of check_metric"),
        ({"transactions": 3}, "transactions must be a table"),  # TypeError before
        ({"transactions": pd.DataFrame({"id": [1]})}, "customer_id"),
        ({"surveys": 3}, "surveys must be a table"),  # AttributeError before
    ],
)
def test_check_metric_refuses_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        check_metric("churn_risk", **kwargs)  # type: ignore[arg-type]


def test_check_metric_reads_foreign_tables() -> None:
    import polars as pl

    from custloyalty.datasets import make_transactions

    tx = make_transactions(60, seed=3)
    assert check_metric("purchase_days", transactions=pl.from_pandas(tx))[-1] == "inputs unchanged"

"""Hostile battery of ``custloyalty.metrics``, round 4 (issue 13, "done when").

Rounds 1-3 (``test_battery_survey_scorecard``, ``test_battery_transactions``,
``test_battery_flows``) tried the survey indicators one input at a time, ``rfm_summary`` and
the scorecard's use of the registry. This round goes over every public function and result
class of :mod:`custloyalty.metrics` with the options and functions those rounds left out: the
behavioural functions (purchase frequency and rate, inter-purchase intervals, repeat rate,
order value, Pareto curve, revenue share, simple CLV, churn rate, cohort retention, churn
flags, survival curve) given customer summaries as well as transactions; the reliability
functions at extreme magnitudes; the ``scale`` option of every survey function; the PLS
result's methods; the engagement index; and the registry (``register``, ``unregister``,
``get``, ``available``, ``describe``, ``check_output``, :class:`Metric`).

Each case is an input a careless or hostile user could pass, with the one acceptable outcome:

* ``Num(value)``: the right number, computed independently in the test (a brute-force loop
  over the transactions, a hand formula, numpy / scipy), within ``tol``;
* ``Err(kind, *words)``: our own exception, whose message holds every word (the parameter,
  column or key it names, and ``Hint`` where the fix is known);
* ``Warns(kind, words, check)``: a warning of ours and a result that passes ``check``.

A stray exception (TypeError, KeyError, AttributeError, InvalidIndexError, OverflowError), a
numpy RuntimeWarning or ComplexWarning, a silently wrong number, a silently ignored option or
a modified caller input fails the case. 77 of the 151 cases failed on the code before this
round (one of them, ``cohort_retention/too-many-cells``, by allocating tens of GiB: do not run
this file against older code). Everything runs on a few literal rows and the bundled ECSI survey, in a few seconds.
"""

from __future__ import annotations

import decimal
import itertools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import custloyalty as cl
from _battery import Err, Num, Warns, run_case
from custloyalty import metrics
from custloyalty.datasets import load_ecsi, make_interactions
from custloyalty.errors import (
    CustLoyaltyError,
    CustLoyaltyWarning,
    PluginError,
    UndefinedMetricWarning,
    ValidationError,
)
from custloyalty.metrics import Metric, check_output

# the expected outcomes (Num, Err, Warns) and run_case: tests/_battery.py


# ---------------------------------------------------------------------------------------------
# data (literal rows and the bundled ECSI survey) and independent reference computations
# ---------------------------------------------------------------------------------------------
TX = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 1, 2, 2, 3, 4, 4],
        "date": pd.to_datetime(
            [
                "2024-01-01",
                "2024-01-01",
                "2024-01-15",
                "2024-03-01",
                "2024-01-10",
                "2024-02-20",
                "2024-03-05",
                "2024-02-01",
                "2024-03-20",
            ]
        ),
        "amount": [10.0, 5.0, 20.0, 30.0, 5.0, 5.0, 100.0, 8.0, 12.0],
    }
)
END = "2024-04-30"
SUMMARY = cl.rfm_summary(TX, observation_end=END)
ITEMS = pd.DataFrame(
    {"a": [1, 2, 3, 4, 5, 3], "b": [2, 2, 3, 5, 5, 4], "c": [1, 3, 3, 4, 4, 2]}, dtype=float
)
ECSI = load_ecsi()
BLOCKS = {
    "IMAG": [f"imag{i}" for i in range(1, 6)],
    "SAT": [f"sat{i}" for i in range(1, 5)],
    "LOY": [f"loy{i}" for i in range(1, 5)],
}
PATHS = {"SAT": ["IMAG"], "LOY": ["IMAG", "SAT"]}
ITEM_COLUMNS = [item for items in BLOCKS.values() for item in items]
PLS = metrics.pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS)
INTERACTIONS = make_interactions(40, seed=3)
ENGAGEMENT = metrics.engagement_summary(INTERACTIONS, observation_end="2020-12-30")


def summary(**cols: Any) -> pd.DataFrame:
    """A hand-made customer summary in days (the unit recorded as rfm_summary does)."""
    out = pd.DataFrame(cols)
    out.attrs["custloyalty"] = {"time_unit": "D"}
    return out


def ref_days(tx: pd.DataFrame, end: str) -> pd.DataFrame:
    """Per customer, by brute force: distinct purchase days, first / last day, tenure T."""
    stop = pd.Timestamp(end)
    rows = {}
    for cid in sorted(tx["customer_id"].unique()):
        days = sorted({d.normalize() for d in tx.loc[tx["customer_id"] == cid, "date"]})
        rows[cid] = {
            "n_days": len(days),
            "recency": (days[-1] - days[0]).days,
            "T": (stop - days[0]).days,
            "since": (stop - days[-1]).days,
            "gaps": [(b - a).days for a, b in itertools.pairwise(days)],
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("customer_id")


REF = ref_days(TX, END)


def ref_series(column: str, name: str, transform: Callable[[Any], float] = float) -> pd.Series:
    return pd.Series([transform(v) for v in REF[column]], index=REF.index, name=name)


def ref_km(time: list[float], event: list[bool]) -> tuple[list[float], list[float]]:
    """Kaplan-Meier survival at each event time, by the product-limit loop."""
    s, times, surv = 1.0, [], []
    for t in sorted({t for t, e in zip(time, event, strict=True) if e}):
        at_risk = sum(1 for u in time if u >= t)
        deaths = sum(1 for u, e in zip(time, event, strict=True) if e and u == t)
        s *= 1 - deaths / at_risk
        times.append(t)
        surv.append(s)
    return times, surv


def ref_clv(m: float, r: float, d: float, horizon: int) -> float:
    return sum(m * r**k / (1 + d) ** k for k in range(1, horizon + 1))


def ref_alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def ref_item_total(x: np.ndarray) -> list[float]:
    total = x.sum(axis=1)
    return [float(np.corrcoef(x[:, j], total - x[:, j])[0, 1]) for j in range(x.shape[1])]


def churned_by_hand(threshold: float) -> pd.Series:
    return pd.Series(REF["since"] > threshold, index=REF.index, name="churned")


def plain(summary_: pd.DataFrame) -> pd.DataFrame:
    """A summary without its recorded time unit (read from a CSV, say)."""
    out = summary_.copy()
    out.attrs = {}
    return out


def with_attrs(value: Any) -> pd.DataFrame:
    out = SUMMARY.copy()
    out.attrs = {"custloyalty": value}
    return out


def basket(summary: pd.DataFrame, *, scale: float = 1.0) -> pd.Series:
    """Spend per purchase day (a customer-level test metric with one option)."""
    return summary["total_amount"] / summary["n_purchases"] * scale


BASKET = Metric("battery_basket", basket)
BASE = Metric("battery_base", lambda summary: 1.0, level="base")
SURVEYED = Metric("battery_surveyed", lambda surveys: None, source="surveys")
IDX = pd.Index([1, 2, 3])

# ---------------------------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------------------------
CASES: list[tuple[str, Callable[[], Any], Num | Err | Warns]] = [
    # --- purchase days / rate / intervals / repeat rate ----------------------------------------
    (
        "purchase_days/transactions",
        lambda: metrics.purchase_days(TX, observation_end=END),
        Num(ref_series("n_days", "purchase_days")),
    ),
    (
        "purchase_days/summary",
        lambda: metrics.purchase_days(SUMMARY),
        Num(ref_series("n_days", "purchase_days")),
    ),
    (
        "purchase_days/summary-repeated-customer",
        lambda: metrics.purchase_days(pd.concat([SUMMARY, SUMMARY.iloc[:1]])),
        Err(ValidationError, "summary", "purchase_days", "once", "Hint"),
    ),
    (
        "purchase_days/summary-with-its-own-observation_end",
        lambda: metrics.purchase_days(SUMMARY, observation_end=pd.Timestamp(END)),
        Num(ref_series("n_days", "purchase_days")),
    ),
    (
        "churn_flags/summary-with-another-observation_end",
        lambda: metrics.churn_flags(SUMMARY, threshold=30, observation_end="2024-03-01"),
        Err(ValidationError, "'observation_end'", "2024-04-30", "Hint"),
    ),
    (
        "repeat_rate/summary-with-observation_end",
        lambda: metrics.repeat_purchase_rate(
            pd.DataFrame({"frequency": [1, 0]}), observation_end="2024-01-01"
        ),
        Err(ValidationError, "'observation_end'", "summary"),
    ),
    (
        "survival/summary-with-date_format",
        lambda: metrics.survival_curve(SUMMARY, threshold=30, date_format="%d/%m/%Y"),
        Err(ValidationError, "'date_format'", "Hint"),
    ),
    (
        "purchase_days/summary-without-unit",
        lambda: metrics.purchase_days(plain(SUMMARY)),
        Err(ValidationError, "time unit", "Hint"),
    ),
    (
        "purchase_rate/summary-attrs-not-a-dict",
        lambda: metrics.purchase_rate(with_attrs("D")),
        Err(ValidationError, "time unit", "Hint"),
    ),
    (
        "purchase_rate/summary-attrs-unit-typo",
        lambda: metrics.purchase_rate(with_attrs({"time_unit": "month"})),
        Err(ValidationError, "time_unit", "'month'"),
    ),
    (
        "purchase_rate/weeks",
        lambda: metrics.purchase_rate(TX, time_unit="W", observation_end=END),
        Num(
            pd.Series(
                [
                    (n - 1) / (t / 7) if t else 0.0
                    for n, t in zip(REF["n_days"], REF["T"], strict=True)
                ],
                index=REF.index,
                name="purchase_rate",
            )
        ),
    ),
    (
        "purchase_rate/hours",
        lambda: metrics.purchase_rate(SUMMARY, time_unit="h").loc[1],
        Num((REF.loc[1, "n_days"] - 1) / (REF.loc[1, "T"] * 24)),
    ),
    (
        "purchase_rate/time_unit-typo",
        lambda: metrics.purchase_rate(TX, time_unit="month"),
        Err(ValidationError, "'time_unit'", "'month'"),
    ),
    (
        "purchase_rate/summary-repeated-customer",
        lambda: metrics.purchase_rate(pd.concat([SUMMARY, SUMMARY])),
        Err(ValidationError, "summary", "once"),
    ),
    (
        "purchase_rate/summary-pyarrow",
        lambda: metrics.purchase_rate(
            SUMMARY.astype({"frequency": "int64[pyarrow]", "T": "double[pyarrow]"})
        ),
        Num(metrics.purchase_rate(SUMMARY)),
    ),
    (
        "purchase_rate/count-of-1e9",
        lambda: metrics.purchase_rate(
            summary(frequency=[10**9], recency=[100.0], T=[200.0]), time_unit="D"
        ).iloc[0],
        Num(10**9 / 200),
    ),
    (
        "purchase_rate/summary-nullable-missing",
        lambda: metrics.purchase_rate(
            SUMMARY.assign(frequency=pd.array([1, None, 0, 1], dtype="Int64"))
        ),
        Err(ValidationError, "'frequency'", "missing", "Hint"),
    ),
    (
        "interpurchase/time_unit-W",
        lambda: metrics.interpurchase_intervals(TX, time_unit="W")["mean"],
        Num(
            pd.Series(
                [np.mean(g) / 7 if g else np.nan for g in REF["gaps"]],
                index=REF.index,
                name="mean",
            )
        ),
    ),
    (
        "interpurchase/cv",
        lambda: metrics.interpurchase_intervals(TX).loc[1, "cv"],
        Num(np.std(REF.loc[1, "gaps"], ddof=1) / np.mean(REF.loc[1, "gaps"])),
    ),
    (
        "interpurchase/time_unit-bool",
        lambda: metrics.interpurchase_intervals(TX, time_unit=True),
        Err(ValidationError, "'time_unit'"),
    ),
    (
        "repeat_rate/summary-repeated-customer",
        lambda: metrics.repeat_purchase_rate(pd.DataFrame({"frequency": [1, 0]}, index=[7, 7])),
        Err(ValidationError, "summary", "repeat_purchase_rate", "once"),
    ),
    (
        "repeat_rate/confidence-as-text",
        lambda: metrics.repeat_purchase_rate(TX, confidence="0.9"),
        Err(ValidationError, "'confidence'", "text", "Hint"),
    ),
    (
        "repeat_rate/transactions-carrying-a-frequency-column",
        lambda: metrics.repeat_purchase_rate(TX.assign(frequency=5)).statistic,
        Num(float((REF["n_days"] > 1).mean())),
    ),
    (
        "repeat_rate/huge-counts",
        lambda: metrics.repeat_purchase_rate(pd.DataFrame({"frequency": [10**9, 0]})).statistic,
        Num(0.5),
    ),
    # --- purchase frequency / order value -------------------------------------------------------
    (
        "purchase_frequency/period-W",
        lambda: int(metrics.purchase_frequency(TX, period="W")["purchase_days"].sum()),
        Num(int(REF["n_days"].sum())),
    ),
    (
        "purchase_frequency/period-lower-case",
        lambda: metrics.purchase_frequency(TX, period="m"),
        Err(ValidationError, "'period'", "'m'"),
    ),
    (
        "purchase_frequency/observation_end-bool",
        lambda: metrics.purchase_frequency(TX, observation_end=True),
        Err(ValidationError, "'observation_end'", "Hint"),
    ),
    (
        "order_value/period-Q",
        lambda: metrics.order_value(TX, period="Q")["total_value"].groupby(level=0).sum(),
        Num(TX.groupby("customer_id")["amount"].sum().rename("total_value")),
    ),
    (
        "order_value/zero-amounts",
        lambda: metrics.order_value(TX.assign(amount=0.0))["average_order_value"].tolist(),
        Num([0.0] * 4),
    ),
    (
        "order_value/amount-is-the-customer-column",
        lambda: metrics.order_value(TX, amount="customer_id"),
        Err(ValidationError, "'amount'", "'customer_id'", "Hint"),
    ),
    (
        "order_value/overflowing-sums",
        lambda: metrics.order_value(TX.assign(amount=1e308)),
        Err(ValidationError, "'amount'", "too large", "Hint"),
    ),
    # --- Pareto curve, revenue share, simple CLV -------------------------------------------------
    (
        "pareto/transaction-amounts-by-customer-label",
        lambda: metrics.pareto_curve(TX.set_index("customer_id")["amount"]),
        Err(ValidationError, "values", "pareto_curve", "Hint", "groupby"),
    ),
    (
        "revenue_share/transaction-amounts-by-customer-label",
        lambda: metrics.revenue_share(TX.set_index("customer_id")["amount"]),
        Err(ValidationError, "revenue_share", "once"),
    ),
    (
        "revenue_share/per-customer",
        lambda: metrics.revenue_share(TX.groupby("customer_id")["amount"].sum(), top=0.25),
        Num(100.0 / 195.0),
    ),
    (
        "revenue_share/top-as-text",
        lambda: metrics.revenue_share([1, 2, 3], top="0.2"),
        Err(ValidationError, "'top'", "text"),
    ),
    (
        "revenue_share/top-in-percent",
        lambda: metrics.revenue_share([1, 2, 3], top=20),
        Err(ValidationError, "'top'", "(0, 1]", "Hint"),
    ),
    ("revenue_share/top-1", lambda: metrics.revenue_share([1, 2, 3], top=1), Num(1.0)),
    ("revenue_share/ties", lambda: metrics.revenue_share([1] * 5, top=0.3), Num(0.3)),
    ("revenue_share/huge-values", lambda: metrics.revenue_share([1e308] * 5), Num(0.2)),
    (
        "pareto/tiny-values",
        lambda: metrics.pareto_curve([1e-320, 3e-320])["revenue_share"].tolist(),
        Num([0.0, 0.75, 1.0], tol=1e-6),
    ),
    (
        "simple_clv/horizon-10^9-equals-infinite",
        lambda: metrics.simple_clv([100.0], retention=0.8, discount_rate=0.1, horizon=10**9)[0],
        Num(100 * 0.8 / (1.1 - 0.8)),
    ),
    (
        "simple_clv/horizon-np-int",
        lambda: metrics.simple_clv(100.0, retention=0.8, discount_rate=0.1, horizon=np.int64(4)),
        Num(ref_clv(100.0, 0.8, 0.1, 4)),
    ),
    (
        "simple_clv/retention-1-no-discount-finite-horizon",
        lambda: metrics.simple_clv(100.0, retention=1.0, discount_rate=0.0, horizon=5),
        Num(500.0),
    ),
    (
        "simple_clv/overflow",
        lambda: metrics.simple_clv([1e308], retention=0.99, discount_rate=0.01),
        Err(ValidationError, "simple_clv", "overflows", "Hint"),
    ),
    (
        "simple_clv/overflow-finite-horizon",
        lambda: metrics.simple_clv([1e308, 1.0], retention=0.99, discount_rate=0.01, horizon=5),
        Err(ValidationError, "simple_clv", "1 margin ", "rows 0"),
    ),
    (
        "simple_clv/series-aligned-by-label",
        lambda: metrics.simple_clv(
            pd.Series([100.0, 50.0], index=["a", "b"]),
            retention=pd.Series([0.5, 0.6], index=["b", "a"]),
            discount_rate=0.1,
        ),
        Num(pd.Series([100 * 0.6 / 0.5, 50 * 0.5 / 0.6], index=["a", "b"], name="clv")),
    ),
    (
        "simple_clv/horizon-whole-float",
        lambda: metrics.simple_clv([1.0], retention=0.5, discount_rate=0.1, horizon=3.0),
        Err(ValidationError, "'horizon'"),
    ),
    # --- churn rate, cohorts, recency, churn flags, survival -------------------------------------
    (
        "churn_rate/zero_division-as-text",
        lambda: metrics.churn_rate(TX, zero_division="0"),
        Err(ValidationError, "'zero_division'"),
    ),
    (
        "churn_rate/gap-month-warns",
        lambda: metrics.churn_rate(
            pd.DataFrame({"customer_id": [1, 1], "date": ["2024-01-05", "2024-04-05"]})
        )["churn_rate"].tolist(),
        Warns(UndefinedMetricWarning, ("no active customers",), lambda v: v[0] == 1.0),
    ),
    (
        "churn_rate/by-hand",
        lambda: metrics.churn_rate(TX, observation_end="2024-03-31")["churn_rate"].tolist(),
        # active: Jan {1, 2}, Feb {2, 4}, Mar {1, 3, 4}
        Num([0.5, 0.5]),
    ),
    (
        "cohort_retention/by-hand",
        lambda: (
            metrics.cohort_retention(TX, observation_end="2024-03-31")
            .rates.to_numpy(dtype=float)
            .tolist()
        ),
        # cohorts: Jan {1, 2} -> Feb {2}, Mar {1}; Feb {4} -> Mar {4}; Mar {3}
        Num([[1.0, 0.5, 0.5], [1.0, 1.0, math.nan], [1.0, math.nan, math.nan]]),
    ),
    (
        "cohort_retention/daily-over-a-century",  # was a 31 GiB allocation for 4 customers
        lambda: metrics.cohort_retention(TX, period="D", observation_end="2200-01-01").sizes.sum(),
        Num(4),
    ),
    (
        "cohort_retention/too-many-cells",
        lambda: metrics.cohort_retention(
            pd.DataFrame(
                {
                    "customer_id": np.arange(1200),
                    "date": pd.Timestamp("2000-01-01") + pd.to_timedelta(np.arange(1200), "D"),
                }
            ),
            period="D",
            observation_end="2140-01-01",
        ),
        Err(ValidationError, "cohort_retention", "cells", "Hint", "period"),
    ),
    (
        "cohort_retention/summary-instead-of-transactions",
        lambda: metrics.cohort_retention(SUMMARY),
        Err(ValidationError, "'customer_id'", "Hint"),
    ),
    (
        "cohort_retention/to_frame-and-to_dict",
        lambda: (
            metrics.cohort_retention(TX).to_frame().loc[0, "period"],
            metrics.cohort_retention(TX).to_dict()["sizes"],
        ),
        Num(("M", {"2024-01": 2, "2024-02": 1, "2024-03": 1})),
    ),
    (
        "days_since/summary-in-weeks",
        lambda: metrics.days_since_last_purchase(
            cl.rfm_summary(TX, observation_end=END, time_unit="W")
        ),
        Num(ref_series("since", "days_since_last_purchase")),
    ),
    (
        "days_since/summary-repeated-customer",
        lambda: metrics.days_since_last_purchase(pd.concat([SUMMARY.iloc[:2]] * 2)),
        Err(ValidationError, "summary", "once"),
    ),
    (
        "churn_flags/threshold-as-text",
        lambda: metrics.churn_flags(TX, threshold="30"),
        Err(ValidationError, "'threshold'", "text", "Hint"),
    ),
    (
        "churn_flags/threshold-in-hours",
        lambda: metrics.churn_flags(SUMMARY, threshold=45 * 24, time_unit="h"),
        Num(churned_by_hand(45)),
    ),
    (
        "churn_flags/threshold-1e300",
        lambda: metrics.churn_flags(SUMMARY, threshold=1e300),
        Num(churned_by_hand(math.inf)),
    ),
    (
        "churn_flags/threshold-1e-300",
        lambda: metrics.churn_flags(SUMMARY, threshold=1e-300),
        Num(churned_by_hand(0)),
    ),
    (
        "churn_flags/threshold-list",
        lambda: metrics.churn_flags(TX, threshold=[30]),
        Err(ValidationError, "'threshold'"),
    ),
    (
        "survival/by-hand",
        lambda: (
            metrics.survival_curve(TX, threshold=45, observation_end=END)
            .table.query("events > 0")["survival"]
            .tolist()
        ),
        Num(
            ref_km(
                [
                    r if s > 45 else t
                    for r, t, s in zip(REF["recency"], REF["T"], REF["since"], strict=True)
                ],
                [s > 45 for s in REF["since"]],
            )[1]
        ),
    ),
    (
        "survival/log-log-band-inside-0-1",
        lambda: (
            metrics.survival_curve(TX, threshold=20, observation_end=END, ci_method="log-log")
            .table.eval("0 <= ci_low <= survival <= ci_high <= 1")
            .all()
        ),
        Num(True),
    ),
    (
        "survival/ci_method-typo",
        lambda: metrics.survival_curve(TX, threshold=30, ci_method="loglog"),
        Err(ValidationError, "'ci_method'", "'loglog'"),
    ),
    (
        "survival/threshold-as-text",
        lambda: metrics.survival_curve(TX, threshold="30"),
        Err(ValidationError, "'threshold'", "text"),
    ),
    (
        "survival/summary-repeated-customer",
        lambda: metrics.survival_curve(pd.concat([SUMMARY, SUMMARY]), threshold=30),
        Err(ValidationError, "summary", "once"),
    ),
    (
        "survival/to_frame",
        lambda: (
            metrics.survival_curve(TX, threshold=45, observation_end=END)
            .to_frame()
            .loc[0, ["n_customers", "time_unit"]]
            .tolist()
        ),
        Num([4, "D"]),
    ),
    # --- reliability at extreme magnitudes, columns given as text --------------------------------
    (
        "alpha/items-of-1e300",
        lambda: metrics.cronbach_alpha(ITEMS * 1e300).alpha,
        Num(ref_alpha(ITEMS.to_numpy()), tol=1e-12),
    ),
    (
        "alpha/items-of-1e-300",
        lambda: metrics.cronbach_alpha(ITEMS * 1e-300).alpha,
        Num(ref_alpha(ITEMS.to_numpy()), tol=1e-12),
    ),
    (
        "alpha/columns-as-text",
        lambda: metrics.cronbach_alpha(ITEMS.rename(columns={"a": "ab"}), columns="ab"),
        Err(ValidationError, "columns", "text", "Hint", "['ab']"),
    ),
    (
        "alpha/multiindex-columns",
        lambda: (
            metrics.cronbach_alpha(
                ITEMS.set_axis(pd.MultiIndex.from_product([["q"], ["a", "b", "c"]]), axis=1)
            ).alpha
        ),
        Num(ref_alpha(ITEMS.to_numpy())),
    ),
    (
        "item_total/items-of-1e300",
        lambda: metrics.item_total_correlations(ITEMS * 1e300).tolist(),
        Num(ref_item_total(ITEMS.to_numpy()), tol=1e-12),
    ),
    (
        "item_total/items-of-1e-300",
        lambda: metrics.item_total_correlations(ITEMS * 1e-300).tolist(),
        Num(ref_item_total(ITEMS.to_numpy()), tol=1e-12),
    ),
    (
        "item_total/columns-as-text",
        lambda: metrics.item_total_correlations(ITEMS, columns="abc"),
        Err(ValidationError, "columns", "text"),
    ),
    (
        "satisfaction_index/columns-as-text",
        lambda: metrics.satisfaction_index(ITEMS, columns="a", scale=(1, 5)),
        Err(ValidationError, "columns", "text"),
    ),
    (
        "composite_reliability/mixed-signs-warned",
        lambda: metrics.composite_reliability(pd.Series([0.8, -0.8, 0.7], index=["x", "y", "z"])),
        Warns(
            CustLoyaltyWarning,
            ("mixed signs", "rows y", "reverse-code"),
            lambda v: math.isclose(v, 0.49 / (0.49 + 0.36 + 0.36 + 0.51)),
        ),
    ),
    (
        "composite_reliability/all-negative-same-as-positive",
        lambda: metrics.composite_reliability([-0.8, -0.7]),
        Num(1.5**2 / (1.5**2 + 0.36 + 0.51)),
    ),
    (
        "ave/negative-loading",
        lambda: metrics.average_variance_extracted([-0.7, 0.8]),
        Num((0.49 + 0.64) / 2),
    ),
    (
        "ave/repeated-labels",
        lambda: metrics.average_variance_extracted(pd.Series([0.7, 0.8], index=["a", "a"])),
        Num((0.49 + 0.64) / 2),
    ),
    # --- the scale option of every survey function ----------------------------------------------
    (
        "ces/scale-of-booleans",
        lambda: metrics.ces([1, 1, 0], scale=(False, True)),
        Err(ValidationError, "'scale'", "ces", "Hint"),
    ),
    (
        "csat/scale-of-text",
        lambda: metrics.csat([1, 5], scale=("1", "5")),
        Err(ValidationError, "'scale'", "csat"),
    ),
    (
        "csat_mean/scale-mapping",
        lambda: metrics.csat_mean([1, 5], scale={1: "low", 5: "high"}),
        Err(ValidationError, "'scale'", "csat_mean"),
    ),
    (
        "satisfaction_index/scale-of-booleans",
        lambda: metrics.satisfaction_index(ITEMS.clip(upper=1) - 1, scale=(False, True)),
        Err(ValidationError, "'scale'", "satisfaction_index"),
    ),
    (
        "servqual/scale-of-booleans",
        lambda: metrics.servqual(
            ITEMS.clip(upper=1),
            ITEMS.clip(upper=1),
            dimensions={"x": ["a", "b", "c"]},
            scale=(False, True),
        ),
        Err(ValidationError, "'scale'", "servqual"),
    ),
    (
        "satisfaction_index/item_weights-series-by-label",
        lambda: (
            metrics.satisfaction_index(
                ITEMS[["a", "b"]], item_weights=pd.Series({"b": 3.0, "a": 1.0}), scale=(1, 5)
            ).overall
        ),
        # item means a 3.0, b 3.5 on 1..5: (1 * 0.5 + 3 * 0.625) / 4 * 100
        Num((1 * 0.5 + 3 * 0.625) / 4 * 100),
    ),
    (
        "satisfaction_index/item_weights-series-unknown-labels",
        lambda: metrics.satisfaction_index(
            ITEMS[["a", "b"]], item_weights=pd.Series({"x": 3.0, "y": 1.0}), scale=(1, 5)
        ),
        Err(ValidationError, "'x'"),
    ),
    (
        "servqual/dimension_weights-series-by-label",
        lambda: (
            metrics.servqual(
                ITEMS,
                ITEMS + pd.DataFrame({"a": 0.0, "b": 0.0, "c": 1.0}, index=ITEMS.index),
                dimensions={"x": ["a", "b"], "y": ["c"]},
                dimension_weights=pd.Series({"y": 3.0, "x": 1.0}),
            ).overall
        ),
        Num((1 * 0.0 + 3 * -1.0) / 4),
    ),
    (
        "nps_by/by-one-column-of-a-multiindex",
        lambda: metrics.nps_by(
            pd.DataFrame({"r": [10, 9, 0, 7], "seg": list("abab")}).set_axis(
                pd.MultiIndex.from_tuples([("q", "r"), ("q", "seg")]), axis=1
            ),
            by=("q", "seg"),
            rating=("q", "r"),
            interval="adjusted_wald",
        )["score"].tolist(),
        Num([0.0, 50.0]),
    ),
    (
        "ces/scale-list",
        lambda: metrics.ces([1, 2, 3, 7], scale=[1, 7], easy_box=3).easy,
        Num(0.75),
    ),
    (
        "csat/weights-aligned-by-label",
        lambda: (
            metrics.csat(
                pd.Series([5, 1, 1], index=[1, 2, 3]),
                sample_weight=pd.Series([1.0, 1.0, 10.0], index=[3, 2, 1]),
            ).statistic
        ),
        Num(100 * 10 / 12),
    ),
    (
        "nps_test/nan-omit",
        lambda: metrics.nps_test([10, np.nan, 3, 9], [9, 9], nan_policy="omit").statistic,
        Num(100 * (2 / 3 - 1 / 3) - 100.0),
    ),
    # --- PLS result methods ---------------------------------------------------------------------
    (
        "pls/construct-as-list",
        lambda: PLS.unstandardized_weights(["SAT"]),  # type: ignore[arg-type]
        Err(ValidationError, "Unknown construct", "'SAT'"),
    ),
    (
        "pls/key_drivers-target-as-list",
        lambda: PLS.key_drivers(["LOY"]),  # type: ignore[arg-type]
        Err(ValidationError, "Unknown construct"),
    ),
    (
        "pls/index-scale-of-booleans",
        lambda: PLS.index("SAT", scale=(True, 10)),
        Err(ValidationError, "'scale'", "PLSResult.index", "Hint"),
    ),
    (
        "pls/index_scores-scale-of-text",
        lambda: PLS.index_scores(ECSI, "SAT", scale=("0", "10")),
        Err(ValidationError, "'scale'", "PLSResult.index_scores"),
    ),
    (
        "pls/index_scores-mean-is-index",
        lambda: PLS.index_scores(ECSI, "SAT", scale=(0, 10)).mean(),
        Num(PLS.index("SAT", scale=(0, 10)), tol=1e-9),
    ),
    (
        "pls/key_drivers-total-is-direct-plus-indirect",
        lambda: PLS.key_drivers("LOY").eval("direct + indirect - total").abs().max(),
        Num(0.0, tol=1e-12),
    ),
    (
        "pls/items-of-1e300",
        lambda: metrics.pls_path_model(ECSI[ITEM_COLUMNS] * 1e300, paths=PATHS, blocks=BLOCKS),
        Err(ValidationError, "extreme magnitude", "Hint"),
    ),
    (
        "pls/items-of-1e-300",
        lambda: metrics.pls_path_model(ECSI[ITEM_COLUMNS] * 1e-300, paths=PATHS, blocks=BLOCKS),
        Err(ValidationError, "extreme magnitude", "rescale"),
    ),
    (
        "pls/modes-as-one-string",
        lambda: metrics.pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS, modes="A").gof,
        Num(PLS.gof, tol=1e-12),
    ),
    (
        "pls/modes-series-by-construct",
        lambda: (
            metrics.pls_path_model(
                ECSI,
                paths=PATHS,
                blocks=BLOCKS,
                modes=pd.Series({"LOY": "B", "IMAG": "A", "SAT": "A"}),
            ).modes
        ),
        Num({"IMAG": "A", "SAT": "A", "LOY": "B"}),
    ),
    # --- engagement index -----------------------------------------------------------------------
    (
        "engagement_index/summary-repeated-customer",
        lambda: metrics.engagement_index(pd.concat([ENGAGEMENT.iloc[:2]] * 2)),
        Err(ValidationError, "summary", "engagement_index", "once", "Hint"),
    ),
    (
        "engagement_index/recency_days-as-text",
        lambda: metrics.engagement_index(ENGAGEMENT, recency_days="90"),
        Err(ValidationError, "'recency_days'", "text"),
    ),
    (
        "engagement_index/max_channels-huge",
        lambda: float(metrics.engagement_index(ENGAGEMENT, max_channels=10**9).max()) <= 75.0,
        Num(True),
    ),
    (
        "engagement_summary/list-ids",
        lambda: metrics.engagement_summary(
            INTERACTIONS.assign(customer_id=[[1]] * len(INTERACTIONS)),
            observation_end="2020-12-30",
        ),
        Err(ValidationError, "'customer_id'", "unhashable", "Hint"),
    ),
    (
        "engagement_summary/ids-of-two-types",
        lambda: sorted(
            map(
                str,
                metrics.engagement_summary(
                    INTERACTIONS.assign(customer_id=[1, "a"] * (len(INTERACTIONS) // 2)),
                    observation_end="2020-12-30",
                ).index,
            )
        ),
        Num(["1", "a"]),
    ),
    (
        "engagement_summary/resolved-before-shows-dates",
        lambda: metrics.engagement_summary(
            INTERACTIONS.assign(resolved_at=INTERACTIONS["date"] - pd.Timedelta(days=3)),
            observation_end="2020-12-30",
            resolved_at="resolved_at",
        ),
        Err(ValidationError, "'resolved_at'", "Timestamp('20"),
    ),
    # --- metric_inputs --------------------------------------------------------------------------
    (
        "metric_inputs/with_transactions-as-number",
        lambda: metrics.metric_inputs(TX, with_transactions=0),
        Err(ValidationError, "'with_transactions'", "True or False"),
    ),
    # --- the registry ---------------------------------------------------------------------------
    ("register/name-a-number", lambda: metrics.register(123)(basket), Err(ValidationError, "123")),
    ("register/name-empty", lambda: metrics.register("")(basket), Err(ValidationError, "Hint")),
    (
        "register/fit-not-a-function",
        lambda: metrics.register("battery_fit", fit=5)(basket),  # type: ignore[arg-type]
        Err(ValidationError, "fit", "'battery_fit'"),
    ),
    (
        "register/inputs-as-text",
        lambda: metrics.register("battery_in", inputs="summary")(basket),  # type: ignore[arg-type]
        Err(ValidationError, "inputs", "Hint", "('summary',)"),
    ),
    (
        "register/inputs-typo",
        lambda: metrics.register("battery_in", inputs=("sumary",))(basket),
        Err(ValidationError, "'sumary'", "did you mean 'summary'"),
    ),
    (
        "register/replace-as-number",
        lambda: metrics.register("battery_rep", replace=1)(basket),  # type: ignore[arg-type]
        Err(ValidationError, "'replace'"),
    ),
    (
        "register/description-not-text",
        lambda: metrics.register("battery_desc", description=5)(basket),  # type: ignore[arg-type]
        Err(ValidationError, "description"),
    ),
    ("get/None", lambda: metrics.get(None), Err(PluginError, "get", "Hint")),  # type: ignore[arg-type]
    ("get/list", lambda: metrics.get(["clv"]), Err(PluginError, "get")),  # type: ignore[arg-type]
    ("get/typo", lambda: metrics.get("purchase_dayz"), Err(PluginError, "'purchase_days'")),
    ("get/former-name", lambda: metrics.get("recency").name, Num("days_since_last_purchase")),
    (
        "available/level-typo",
        lambda: metrics.available(level="cust"),  # type: ignore[arg-type]
        Err(ValidationError, "'level'", "did you mean 'customer'"),
    ),
    (
        "available/source-typo",
        lambda: metrics.available(source="survey"),
        Err(ValidationError, "'source'", "did you mean 'surveys'"),
    ),
    (
        "available/level-list",
        lambda: metrics.available(level=["base"]),  # type: ignore[arg-type]
        Err(ValidationError, "'level'"),
    ),
    (
        "available/base-level",
        lambda: set(metrics.available(level="base")) <= set(metrics.available()),
        Num(True),
    ),
    (
        "unregister/built-in",
        lambda: metrics.unregister("purchase_days"),
        Err(ValidationError, "built-in", "Hint"),
    ),
    (
        "unregister/former-built-in-name",
        lambda: metrics.unregister("recency"),
        Err(ValidationError, "built-in"),
    ),
    (
        "unregister/list",
        lambda: metrics.unregister(["x"]),  # type: ignore[arg-type]
        Err(ValidationError, "unregister"),
    ),
    ("unregister/unknown-is-ignored", lambda: metrics.unregister("battery_never"), Num(None)),
    (
        "describe/one-row-per-metric",
        lambda: sorted(metrics.describe().index) == metrics.available(),
        Num(True),
    ),
    (
        "Metric/direction-typo",
        lambda: Metric("battery_dir", basket, direction="lowr"),  # type: ignore[arg-type]
        Err(ValidationError, "direction", "did you mean 'lower'"),
    ),
    (
        "register/source-typo",
        lambda: metrics.register("battery_src", source="survey")(basket),  # type: ignore[arg-type]
        Err(ValidationError, "source", "did you mean 'surveys'"),
    ),
    (
        "Metric/inputs-repeated",
        lambda: Metric("battery_dup", basket, inputs=("summary", "summary")),
        Err(ValidationError, "more than once"),
    ),
    (
        "Metric/inputs-list-becomes-tuple",
        lambda: Metric("battery_list", basket, inputs=["summary"]).inputs,  # type: ignore[arg-type]
        Num(("summary",)),
    ),
    (
        "Metric/compute-option-typo",
        lambda: BASKET.compute({"summary": SUMMARY}, scael=2.0),
        Err(ValidationError, "'scael'", "did you mean 'scale'"),
    ),
    (
        "Metric/compute-option",
        lambda: BASKET.compute({"summary": SUMMARY}, scale=2.0).tolist(),
        Num((2 * SUMMARY["total_amount"] / SUMMARY["n_purchases"]).tolist()),
    ),
    (
        "Metric/fit_state-option-typo",
        lambda: Metric("battery_fs", basket, fit=lambda summary: {}).fit_state(
            {"summary": SUMMARY}, scale=2.0
        ),
        Err(ValidationError, "fit step", "'scale'"),
    ),
    # --- check_output ---------------------------------------------------------------------------
    (
        "check_output/complex-series",
        lambda: check_output(BASKET, pd.Series([1 + 1j, 2, 3], index=IDX), IDX),
        Err(ValidationError, "'battery_basket'", "complex"),
    ),
    (
        "check_output/complex-array",
        lambda: check_output(BASKET, np.array([1j, 2, 3]), IDX),
        Err(ValidationError, "complex"),
    ),
    (
        "check_output/dates",
        lambda: check_output(BASKET, pd.Series(pd.to_datetime(["2024-01-01"] * 3), index=IDX), IDX),
        Err(ValidationError, "dates", "Hint"),
    ),
    (
        "check_output/durations",
        lambda: check_output(
            BASKET, pd.Series(pd.to_timedelta([1, 2, 3], unit="D"), index=IDX), IDX
        ),
        Err(ValidationError, "durations", "pd.Timedelta"),
    ),
    (
        "check_output/timestamps-in-objects",
        lambda: check_output(
            BASKET, pd.Series([pd.Timestamp("2024-01-01"), 2.0, 3.0], index=IDX, dtype=object), IDX
        ),
        Err(ValidationError, "non-numeric"),
    ),
    (
        "check_output/base-complex",
        lambda: check_output(BASE, np.complex128(1 + 2j), IDX),
        Err(ValidationError, "'battery_base'", "real number"),
    ),
    (
        "check_output/base-int-beyond-float",
        lambda: check_output(BASE, 10**400, IDX),
        Err(ValidationError, "finite"),
    ),
    (
        "check_output/base-Decimal",
        lambda: check_output(BASE, decimal.Decimal("2"), IDX),
        Err(ValidationError, "Decimal"),
    ),
    ("check_output/base-numpy-int", lambda: check_output(BASE, np.int64(3), IDX), Num(3.0)),
    (
        "check_output/index-a-list",
        lambda: check_output(BASKET, pd.Series([1.0, 2, 3], index=IDX), [1, 2, 3]),  # type: ignore[arg-type]
        Err(ValidationError, "index", "Hint"),
    ),
    (
        "check_output/repeated-customers-subset",
        lambda: check_output(SURVEYED, pd.Series([1.0, 2.0], index=[1, 2]), pd.Index([1, 1, 2])),
        Err(ValidationError, "'battery_surveyed'", "duplicated"),
    ),
    (
        "check_output/repeated-customers-same-index",
        lambda: check_output(
            BASKET, pd.Series([1.0, 2.0, 3.0], index=[1, 1, 2]), pd.Index([1, 1, 2])
        ),
        Err(ValidationError, "duplicated customers", "Hint"),
    ),
    (
        "check_output/reordered",
        lambda: check_output(BASKET, pd.Series([1.0, 2, 3], index=[3, 2, 1]), IDX).tolist(),
        Num([3.0, 2.0, 1.0]),
    ),
    (
        "check_output/survey-subset",
        lambda: check_output(SURVEYED, pd.Series([1.0, 2.0], index=[3, 1]), IDX).tolist(),
        Num([2.0, math.nan, 1.0]),
    ),
    (
        "check_output/categorical-numbers",
        lambda: check_output(
            BASKET, pd.Series([1.0, 2, 3], index=IDX).astype("category"), IDX
        ).tolist(),
        Num([1.0, 2.0, 3.0]),
    ),
]


# ---------------------------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fn", "expected"), [pytest.param(f, e, id=i) for i, f, e in CASES])
def test_case(fn: Callable[[], Any], expected: Num | Err | Warns) -> None:
    try:
        run_case(fn, expected)
    finally:
        for name in ("battery_fit", "battery_in", "battery_rep", "battery_desc"):
            metrics.unregister(name)


def test_battery_size() -> None:
    assert len(CASES) >= 80
    assert len({name for name, _, _ in CASES}) == len(CASES)


def test_inputs_are_not_modified() -> None:
    tx, summ, items = TX.copy(deep=True), SUMMARY.copy(deep=True), ITEMS.copy(deep=True)
    series = pd.Series([3.0, 1.0, 2.0], index=["a", "b", "c"])
    kept = series.copy()
    metrics.purchase_frequency(TX, period="W")
    metrics.interpurchase_intervals(TX)
    metrics.survival_curve(SUMMARY, threshold=30)
    metrics.cohort_retention(TX)
    metrics.churn_flags(SUMMARY, threshold=30)
    metrics.cronbach_alpha(ITEMS * 1e300)
    metrics.item_total_correlations(ITEMS)
    metrics.pareto_curve(series)
    metrics.simple_clv(series, retention=0.5, discount_rate=0.1)
    BASKET.compute_checked({"summary": SUMMARY}, SUMMARY.index)
    pd.testing.assert_frame_equal(TX, tx)
    pd.testing.assert_frame_equal(SUMMARY, summ)
    assert SUMMARY.attrs == summ.attrs
    pd.testing.assert_frame_equal(ITEMS, items)
    pd.testing.assert_series_equal(series, kept)


def test_refused_registrations_leave_the_registry_usable() -> None:
    """A refused name (a number) must not poison get / describe / available for everyone."""
    for bad in (123, None, ("a",)):
        with pytest.raises(ValidationError):
            metrics.register(bad)(basket) if bad is not None else Metric(bad, basket)  # type: ignore[arg-type]
    with pytest.raises(PluginError, match="purchase_days"):
        metrics.get("purchase_dayz")
    assert list(metrics.describe().index) == metrics.available()


@settings(max_examples=40, deadline=None)
@given(
    margin=st.floats(0.0, 1e6),
    retention=st.floats(0.0, 1.0),
    rate=st.floats(0.0, 0.5),
    horizon=st.integers(1, 30),
)
def test_simple_clv_is_the_discounted_sum(
    margin: float, retention: float, rate: float, horizon: int
) -> None:
    got = metrics.simple_clv(margin, retention=retention, discount_rate=rate, horizon=horizon)
    assert got == pytest.approx(ref_clv(margin, retention, rate, horizon), rel=1e-9, abs=1e-9)


@settings(max_examples=30, deadline=None)
@given(exponent=st.sampled_from([-300, -200, -120, 0, 120, 200, 300]))
def test_reliability_is_scale_free(exponent: int) -> None:
    factor = 10.0**exponent
    want_alpha, want_r = ref_alpha(ITEMS.to_numpy()), ref_item_total(ITEMS.to_numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.cronbach_alpha(ITEMS * factor).alpha == pytest.approx(want_alpha)
        got = metrics.item_total_correlations(ITEMS * factor).tolist()
    assert got == pytest.approx(want_r)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=30), st.floats(0.01, 1.0))
def test_revenue_share_matches_sorting_by_hand(values: list[float], top: float) -> None:
    if sum(values) == 0:
        return
    ranked = sorted(values, reverse=True)
    n = len(ranked)
    shares = np.concatenate(([0.0], np.cumsum(ranked) / sum(ranked)))
    want = float(np.interp(top, np.arange(n + 1) / n, shares))
    assert metrics.revenue_share(values, top=top) == pytest.approx(want, abs=1e-9)


def test_expected_errors_are_ours() -> None:
    assert all(issubclass(e.kind, CustLoyaltyError) for _, _, e in CASES if isinstance(e, Err))

"""Benchmark of the loyalty scorecard: fit + score on ~10^7 transactions / 10^6 customers.

Data: ``make_transactions(n, seed=7, r=1.12, alpha=4.0, b=6.0)`` (about 10 rows per customer,
so 10^6 customers give about 10 million rows) and ``make_survey`` answers from 5% of them.
The default scorecard (frequency, monetary, recency, Pareto/NBD churn risk, satisfaction,
recommendation; percentile normalisation, entropy weights, four tiers) is fitted and then
scores the same customers. Peak memory (``tracemalloc``, separate call) is stored in
``extra_info`` next to the bytes of the input columns.

There is no direct peer: no other library computes this composite. The benchmark records the
cost of the whole evaluation relative to ``rfm_summary`` alone (the aggregation every peer
also has to do).

Issue 13 (``test_hostile_*``): the default card's ``fit_score`` (transactions only,
``LoyaltyScorecard(seed=1)``) and ``rfm_summary`` timed back to back on the same rows, 3 rounds
each, on the ordinary base and on hostile ones (nobody drops out; tenures of tens of thousands
of days, 300 customers and at scale): the ratio table printed after the run gives
``fit_score / rfm_summary`` per base (goal: at most 10x).

Run: ``make -C benchmarks SUITE=test_bench_scorecard.py`` (``K=hostile`` for the ratios only).
"""

from __future__ import annotations

import gc
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import custloyalty
from custloyalty.datasets import make_survey, make_transactions
from custloyalty.scorecard import LoyaltyScorecard

SIZES = {"1e5": 100_000, "1e6": 1_000_000}
END = "2021-06-29"


def _peak_bytes(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return int(peak)


@pytest.fixture(scope="module", params=list(SIZES), ids=lambda s: f"customers={s}")
def data(request: pytest.FixtureRequest) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = SIZES[request.param]
    tx = make_transactions(n, seed=7, r=1.12, alpha=4.0, b=6.0)
    ids = tx["customer_id"].unique()
    surveys = make_survey(n // 20, seed=8, customer_ids=ids)
    tx.attrs["size"] = request.param
    return tx, surveys


def _tag(benchmark: Any, tx: pd.DataFrame, tool: str, *, baseline: bool = False) -> None:
    benchmark.group = f"scorecard, {tx.attrs['size']} customers, {len(tx):,} rows"
    benchmark.extra_info["tool"] = tool
    if baseline:
        benchmark.extra_info["baseline"] = True


def _input_bytes(tx: pd.DataFrame) -> int:
    return int(sum(tx[c].to_numpy().nbytes for c in ("customer_id", "date", "amount")))


def test_scorecard_fit_score(benchmark: Any, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tx, surveys = data

    def run() -> Any:
        return LoyaltyScorecard().fit_score(tx, surveys, observation_end=END)

    _tag(benchmark, tx, "LoyaltyScorecard fit_score")
    peak = _peak_bytes(run)
    benchmark.extra_info["rows"] = len(tx)
    benchmark.extra_info["input_mib"] = round(_input_bytes(tx) / 2**20, 1)
    benchmark.extra_info["peak_mib"] = round(peak / 2**20, 1)
    benchmark.extra_info["peak_bytes"] = peak
    benchmark.extra_info["peak_ratio"] = peak / _input_bytes(tx)
    res = benchmark.pedantic(run, rounds=2, iterations=1)
    assert res.customers["composite"].between(0, 100).all()


def test_scorecard_fit_score_without_models(
    benchmark: Any, data: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    # the scorecard's own work (inputs once, indicators once, normalise, weigh, tier) without
    # the Pareto/NBD fit that dominates the default card
    tx, surveys = data
    names = ["purchase_days", "total_spend", "days_since_last_purchase", "satisfaction"]

    def run() -> Any:
        return LoyaltyScorecard([*names, "recommendation"]).fit_score(
            tx, surveys, observation_end=END
        )

    _tag(benchmark, tx, "fit_score, no model-based indicator")
    res = benchmark.pedantic(run, rounds=2, iterations=1)
    assert res.customers["composite"].between(0, 100).all()


def test_scorecard_score_only(benchmark: Any, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tx, surveys = data
    card = LoyaltyScorecard().fit(tx, surveys, observation_end=END)
    _tag(benchmark, tx, "score only (fitted)")
    res = benchmark.pedantic(
        card.score, args=(tx, surveys), kwargs={"observation_end": END}, rounds=2, iterations=1
    )
    assert len(res.customers) == tx["customer_id"].nunique()


def test_rfm_summary_alone(benchmark: Any, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tx, _ = data
    _tag(benchmark, tx, "rfm_summary alone", baseline=True)
    benchmark.pedantic(
        custloyalty.rfm_summary, args=(tx,), kwargs={"observation_end": END}, rounds=2
    )


# -- fit_score against rfm_summary on the same rows (issue 13: at most 10x) ------------------
def no_dropout_transactions(n_customers: int, *, rows_per_customer: int = 10, seed: int = 1):
    """Every customer buys all along: purchase days spread evenly over two years, rows in random
    order (the base where the Pareto/NBD fit runs to its boundary)."""
    rng = np.random.default_rng(seed)
    n = n_customers * rows_per_customer
    ids = np.repeat(np.arange(1, n_customers + 1), rows_per_customer)
    days = rng.integers(0, 730, size=n)
    dates = np.datetime64("2019-07-01") + days.astype("timedelta64[D]")
    amount = np.round(rng.lognormal(3.0, 0.6, size=n), 2)
    order = rng.permutation(n)
    return pd.DataFrame({"customer_id": ids[order], "date": dates[order], "amount": amount[order]})


def long_tenure_transactions(
    n_customers: int = 300, *, rows_per_customer: int = 40, seed: int = 2, order: str = "customer"
):
    """Customers with tenures of tens of thousands of days (first purchases back to 1940).

    ``order="customer"``: rows grouped by customer (``rfm_summary``'s fast path);
    ``order="date"``: rows in date order, as a transaction log comes.
    """
    rng = np.random.default_rng(seed)
    n = n_customers * rows_per_customer
    ids = np.repeat(np.arange(1, n_customers + 1), rows_per_customer)
    first = rng.integers(0, 20_000, size=n_customers)  # days after 1940-01-01
    span = 29_700 - first  # up to the end of the window
    days = np.repeat(first, rows_per_customer) + (
        rng.random(n) * np.repeat(span, rows_per_customer)
    ).astype(np.int64)
    dates = np.datetime64("1940-01-01") + days.astype("timedelta64[D]")
    amount = np.round(rng.lognormal(3.0, 0.6, size=n), 2)
    tx = pd.DataFrame({"customer_id": ids, "date": dates, "amount": amount})
    if order == "date":
        tx = tx.sort_values("date", kind="stable").reset_index(drop=True)
    return tx


def one_rate_transactions(n_customers: int, *, seed: int = 3) -> pd.DataFrame:
    """Customers who all buy at one rate (a Poisson purchase per 20 days) until they drop out.

    First purchases over the two years to :data:`HOSTILE_END`, exponential lifetimes with
    gamma-distributed dropout rates (mean one per 300 days); rows in random order. No
    heterogeneity in the purchase rate: the Pareto/NBD behind the churn indicator has its
    optimum far out on the ridge ``r, alpha -> infinity`` (see ``test_bench_models.py``).
    """
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 730, n_customers)
    alive_for = np.minimum(
        rng.exponential(1.0, n_customers) / rng.gamma(1.0, 1.0 / 300.0, n_customers),
        729 - first,
    )
    repeats = rng.poisson(alive_for / 20.0)
    ids = np.repeat(np.arange(1, n_customers + 1), repeats + 1)
    start = np.repeat(first, repeats + 1)
    # the first purchase at the start, the repeats uniform over the customer's life
    is_first = np.zeros(ids.shape[0], dtype=bool)
    is_first[np.cumsum(repeats + 1) - (repeats + 1)] = True
    offset = np.where(is_first, 0.0, rng.random(ids.shape[0]) * np.repeat(alive_for, repeats + 1))
    days = start + offset.astype(np.int64)
    dates = np.datetime64("2019-07-01") + days.astype("timedelta64[D]")
    amount = np.round(rng.lognormal(3.0, 0.6, size=ids.shape[0]), 2)
    order = rng.permutation(ids.shape[0])
    return pd.DataFrame({"customer_id": ids[order], "date": dates[order], "amount": amount[order]})


HOSTILE_END = "2021-06-29"
#: The bases on which the default card's ``fit_score`` is timed against ``rfm_summary``: the
#: ordinary base (transactions only) from 10^3 to 10^6 customers (below 10^5 the fixed cost of
#: the churn model's fit dominates a summary of a few milliseconds) and the hostile ones of
#: issue 13 (nobody drops out; very long tenures, small and at scale; one purchase rate for all).
HOSTILE = {
    "ordinary 1e3 customers": lambda: make_transactions(1_000, seed=7, r=1.12, alpha=4.0, b=6.0),
    "ordinary 1e4 customers": lambda: make_transactions(10_000, seed=7, r=1.12, alpha=4.0, b=6.0),
    "ordinary 1e5 customers": lambda: make_transactions(100_000, seed=7, r=1.12, alpha=4.0, b=6.0),
    "ordinary 1e6 customers": lambda: make_transactions(
        1_000_000, seed=7, r=1.12, alpha=4.0, b=6.0
    ),
    "no-dropout 1e6 customers": lambda: no_dropout_transactions(1_000_000),
    "long-tenure 300 customers": lambda: long_tenure_transactions(300),
    "long-tenure 1e5 customers": lambda: long_tenure_transactions(
        100_000, rows_per_customer=10, order="date"
    ),
    "long-tenure 1e6 customers": lambda: long_tenure_transactions(
        1_000_000, rows_per_customer=10, order="date"
    ),
    "one-rate 1e5 customers": lambda: one_rate_transactions(100_000),
    "one-rate 1e6 customers": lambda: one_rate_transactions(1_000_000),
}


@pytest.fixture(scope="module", params=list(HOSTILE), ids=lambda s: s.replace(" ", "-"))
def hostile(request: pytest.FixtureRequest) -> pd.DataFrame:
    tx = HOSTILE[request.param]()
    tx.attrs["size"] = request.param
    return tx


def _tag_hostile(benchmark: Any, tx: pd.DataFrame, tool: str, *, baseline: bool = False) -> None:
    # one group per base: the summary printed after the run gives fit_score / rfm_summary
    benchmark.group = f"fit_score vs rfm_summary, {tx.attrs['size']}, {len(tx):,} rows"
    benchmark.extra_info["tool"] = tool
    if baseline:
        benchmark.extra_info["baseline"] = True


def test_hostile_fit_score(benchmark: Any, hostile: pd.DataFrame) -> None:
    # the default card, churn risk from Pareto/NBD included; transactions only; timed right
    # before rfm_summary on the same rows (the next test), 3 rounds each, minimum kept
    def run() -> Any:
        with warnings.catch_warnings():  # boundary fits warn (ConvergenceWarning): expected
            warnings.simplefilter("ignore")
            return LoyaltyScorecard(seed=1).fit_score(hostile, observation_end=HOSTILE_END)

    _tag_hostile(benchmark, hostile, "LoyaltyScorecard fit_score (default card)")
    res = benchmark.pedantic(run, rounds=3, iterations=1)
    assert res.customers["composite"].between(0, 100).all()


def test_hostile_rfm_summary(benchmark: Any, hostile: pd.DataFrame) -> None:
    _tag_hostile(benchmark, hostile, "rfm_summary alone", baseline=True)
    benchmark.pedantic(
        custloyalty.rfm_summary, args=(hostile,), kwargs={"observation_end": HOSTILE_END}, rounds=3
    )

"""Benchmarks of ``rfm_summary`` against the peers a user would pick instead.

Data: ``make_transactions(n_customers, seed=2024)`` (CDNOW-like, about 2.76 rows per customer,
time-ordered like a transaction log), sized to about 10^6 and 10^7 rows. In the same run:

* ``custloyalty``: ``rfm_summary(df, observation_end=END, time_unit="D")``, and the same on a
  window observed beforehand (validation and aggregation shared with other metrics);
* ``pandas``: an idiomatic groupby (per customer-day, then per customer);
* ``lifetimes``: ``summary_data_from_transaction_data`` (one round at 10^7 rows: minutes);
* ``polars``: a lazy query (per customer-day, then per customer) on a polars frame;
* ``duckdb``: the same in SQL on the pandas frame, fetched back as a pandas frame.

A second group, ``rfm_summary shuffled zipf``, is the hard case for a sort-based kernel: rows in
random order, 10 rows per customer on average, customers zipf-skewed (the largest holds about
7 % of the rows), amounts with several rows per customer-day. There ``custloyalty`` (which
sorts and reduces key ranges on all cores from 10^6 rows) is compared with itself on one
thread and with the DuckDB query (both cores); the load average of the machine is recorded.

Every peer's result is checked against ``rfm_summary`` (frequency exactly; recency, T and
monetary to 1e-9). Peak memory (``tracemalloc``, separate call) is recorded in ``extra_info``
for the tools whose allocations Python can trace (numpy/pandas), next to the bytes of the input
columns (customer_id, date, amount). ``benchmarks/conftest.py`` prints the ratios vs
custloyalty at the end of the run.

Run: ``make -C benchmarks SUITE=test_bench_summary.py`` (both sizes; ``K=1e6`` selects one,
see benchmarks/README.md).
"""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import custloyalty
from custloyalty import _window
from custloyalty._window import observe
from custloyalty.datasets import make_transactions

# make_transactions makes ~2.756 rows per customer with its defaults (CDNOW parameters).
SIZES = {"1e6": 362_800, "1e7": 3_628_000}
END = "2021-06-29"  # last day of the default 546-day window starting 2020-01-01
COLUMNS = ["frequency", "recency", "T", "monetary"]

_CACHE: dict[str, pd.DataFrame] = {}


def _peak_bytes(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return int(peak)


@pytest.fixture(scope="module", params=list(SIZES), ids=lambda s: f"rows={s}")
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def tx(size: str) -> pd.DataFrame:
    if size not in _CACHE:
        _CACHE.clear()  # keep one size in memory at a time
        gc.collect()
        _CACHE[size] = make_transactions(SIZES[size], seed=2024)
    return _CACHE[size]


@pytest.fixture(scope="module")
def input_bytes(tx: pd.DataFrame) -> int:
    return int(sum(tx[c].to_numpy().nbytes for c in ("customer_id", "date", "amount")))


@pytest.fixture(scope="module")
def reference(tx: pd.DataFrame) -> pd.DataFrame:
    return custloyalty.rfm_summary(tx, observation_end=END, time_unit="D")


def _check(result: pd.DataFrame, reference: pd.DataFrame) -> None:
    """Frequency exactly, recency / T / monetary to 1e-9, same customers."""
    assert len(result) == len(reference)
    result = result.reindex(reference.index)
    np.testing.assert_array_equal(
        result["frequency"].to_numpy(dtype=np.int64), reference["frequency"].to_numpy()
    )
    for col in ("recency", "T", "monetary"):
        np.testing.assert_allclose(
            result[col].to_numpy(dtype=np.float64),
            reference[col].to_numpy(),
            rtol=1e-9,
            atol=1e-9,
            err_msg=col,
        )


def _tag(benchmark: Any, size: str, tool: str, n_rows: int, baseline: bool = False) -> None:
    benchmark.group = f"rfm_summary rows={size}"
    benchmark.extra_info["tool"] = tool
    benchmark.extra_info["rows"] = n_rows
    if baseline:
        benchmark.extra_info["baseline"] = True


# --- custloyalty ---------------------------------------------------------------------------


def test_custloyalty(
    benchmark: Any, tx: pd.DataFrame, size: str, input_bytes: int, reference: pd.DataFrame
) -> None:
    _tag(benchmark, size, "custloyalty", len(tx), baseline=True)
    before = tx.copy()
    peak = _peak_bytes(lambda: custloyalty.rfm_summary(tx, observation_end=END, time_unit="D"))
    benchmark.extra_info["input_bytes"] = input_bytes
    benchmark.extra_info["peak_bytes"] = peak
    benchmark.extra_info["peak_ratio"] = round(peak / input_bytes, 2)
    out = benchmark(custloyalty.rfm_summary, tx, observation_end=END, time_unit="D")
    pd.testing.assert_frame_equal(out, reference)
    pd.testing.assert_frame_equal(tx, before)  # the caller's frame is untouched
    del before


def test_custloyalty_window_reused(
    benchmark: Any, tx: pd.DataFrame, size: str, reference: pd.DataFrame
) -> None:
    """``rfm_summary`` of a window already observed (``custloyalty._window.observe``).

    What a caller pays for the summary when the validation and the customer-day aggregation
    are shared with other metrics (the scorecard): the rest of the baseline's time is the
    window itself.
    """
    _tag(benchmark, size, "custloyalty, window reused", len(tx))
    window = observe(tx, observation_end=END)
    out = benchmark(custloyalty.rfm_summary, window, time_unit="D")
    pd.testing.assert_frame_equal(out, reference)


# --- idiomatic pandas ----------------------------------------------------------------------


def pandas_summary(df: pd.DataFrame, end: str) -> pd.DataFrame:
    """What a pandas user writes: per customer-day, then per customer."""
    end_ts = pd.Timestamp(end)
    df = df[df["date"].dt.normalize() <= end_ts]
    daily = (
        df.groupby(["customer_id", df["date"].dt.normalize()])
        .agg(amount=("amount", "sum"), n=("amount", "size"))
        .reset_index()
    )
    per = daily.groupby("customer_id").agg(
        first=("date", "min"),
        last=("date", "max"),
        n_days=("date", "size"),
        n_purchases=("n", "sum"),
        total_amount=("amount", "sum"),
        first_amount=("amount", "first"),  # daily is sorted by customer, day
    )
    frequency = per["n_days"] - 1
    one_day = pd.Timedelta(days=1)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": (per["last"] - per["first"]) / one_day,
            "T": (end_ts - per["first"]) / one_day,
            "monetary": ((per["total_amount"] - per["first_amount"]) / frequency).where(
                frequency > 0, 0.0
            ),
            "n_purchases": per["n_purchases"],
            "total_amount": per["total_amount"],
        }
    )


def test_pandas_groupby(
    benchmark: Any, tx: pd.DataFrame, size: str, input_bytes: int, reference: pd.DataFrame
) -> None:
    _tag(benchmark, size, "pandas groupby", len(tx))
    benchmark.extra_info["peak_bytes"] = _peak_bytes(lambda: pandas_summary(tx, END))
    benchmark.extra_info["peak_ratio"] = round(benchmark.extra_info["peak_bytes"] / input_bytes, 2)
    out = benchmark(pandas_summary, tx, END)
    _check(out, reference)


# --- lifetimes -----------------------------------------------------------------------------


def test_lifetimes(benchmark: Any, tx: pd.DataFrame, size: str, reference: pd.DataFrame) -> None:
    utils = pytest.importorskip("lifetimes.utils")
    _tag(benchmark, size, "lifetimes 0.11.3", len(tx))

    def run() -> pd.DataFrame:
        return utils.summary_data_from_transaction_data(
            tx,
            "customer_id",
            "date",
            monetary_value_col="amount",
            observation_period_end=END,
            freq="D",
        )

    rounds = 1 if size == "1e7" else 3
    out = benchmark.pedantic(run, rounds=rounds, iterations=1)
    _check(out.rename(columns={"monetary_value": "monetary"}), reference)


# --- polars --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tx_polars(tx: pd.DataFrame) -> Any:
    pl = pytest.importorskip("polars")
    return pl.from_pandas(tx[["customer_id", "date", "amount"]])


def polars_summary(frame: Any, end: str) -> Any:
    import polars as pl

    end_d = pd.Timestamp(end).date()
    freq = pl.col("n_days") - 1
    return (
        frame.lazy()
        .with_columns(day=pl.col("date").dt.date())
        .filter(pl.col("day") <= end_d)
        .group_by("customer_id", "day")
        .agg(amount=pl.col("amount").sum(), n=pl.len())
        .group_by("customer_id")
        .agg(
            first=pl.col("day").min(),
            last=pl.col("day").max(),
            n_days=pl.len(),
            n_purchases=pl.col("n").sum(),
            total_amount=pl.col("amount").sum(),
            first_amount=pl.col("amount").sort_by("day").first(),
        )
        .select(
            "customer_id",
            frequency=freq,
            recency=(pl.col("last") - pl.col("first")).dt.total_days().cast(pl.Float64),
            T=(pl.lit(end_d) - pl.col("first")).dt.total_days().cast(pl.Float64),
            monetary=pl.when(freq > 0)
            .then((pl.col("total_amount") - pl.col("first_amount")) / freq)
            .otherwise(0.0),
            n_purchases="n_purchases",
            total_amount="total_amount",
        )
        .sort("customer_id")
        .collect()
    )


def test_polars(benchmark: Any, tx_polars: Any, size: str, reference: pd.DataFrame) -> None:
    _tag(benchmark, size, "polars (lazy)", tx_polars.height)
    out = benchmark(polars_summary, tx_polars, END)
    # no pyarrow in the peers venv: build the pandas frame column by column
    res = pd.DataFrame({c: out[c].to_numpy() for c in out.columns}).set_index("customer_id")
    _check(res, reference)


# --- DuckDB --------------------------------------------------------------------------------

DUCKDB_SQL = """
WITH daily AS (
    SELECT customer_id, CAST(date AS DATE) AS day, SUM(amount) AS amount, COUNT(*) AS n
    FROM tx
    WHERE CAST(date AS DATE) <= DATE '{end}'
    GROUP BY customer_id, day
), per AS (
    SELECT customer_id, MIN(day) AS first, MAX(day) AS last, COUNT(*) AS n_days,
           SUM(n) AS n_purchases, SUM(amount) AS total_amount,
           arg_min(amount, day) AS first_amount
    FROM daily
    GROUP BY customer_id
)
SELECT customer_id,
       n_days - 1 AS frequency,
       CAST(last - first AS DOUBLE) AS recency,
       CAST(DATE '{end}' - first AS DOUBLE) AS T,
       CASE WHEN n_days > 1 THEN (total_amount - first_amount) / (n_days - 1) ELSE 0.0 END
           AS monetary,
       n_purchases, total_amount
FROM per
ORDER BY customer_id
"""


def test_duckdb(benchmark: Any, tx: pd.DataFrame, size: str, reference: pd.DataFrame) -> None:
    duckdb = pytest.importorskip("duckdb")
    _tag(benchmark, size, "duckdb (SQL -> pandas)", len(tx))
    con = duckdb.connect()
    con.register("tx", tx[["customer_id", "date", "amount"]])
    sql = DUCKDB_SQL.format(end=END)

    def run() -> pd.DataFrame:
        return con.sql(sql).df()

    out = benchmark(run)
    con.close()
    _check(out.set_index("customer_id"), reference)


# --- shuffled rows, zipf-skewed customers ----------------------------------------------------

ZIPF_SIZES = {"1e6": (1_000_000, 100_000), "1e7": (10_000_000, 1_000_000)}
ZIPF_END = "2021-06-29"


def make_shuffled_zipf(n_rows: int, n_customers: int, seed: int = 2024) -> pd.DataFrame:
    """Rows in random order; customer k (of a random id permutation) has weight 1 / k."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_customers + 1)
    cust = rng.choice(n_customers, size=n_rows, p=weights / weights.sum())
    ids = (rng.permutation(n_customers) + 1)[cust].astype(np.int64)
    seconds = rng.integers(0, 546 * 86_400, size=n_rows) * 1_000_000_000
    start = np.datetime64("2020-01-01T00:00:00", "ns").astype(np.int64)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": (start + seconds).view("datetime64[ns]"),
            "amount": np.round(rng.gamma(6.25, 5.0, size=n_rows), 2),
        }
    )


@pytest.fixture(scope="module", params=list(ZIPF_SIZES), ids=lambda s: f"rows={s}")
def zipf_size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def tx_zipf(zipf_size: str) -> pd.DataFrame:
    key = f"zipf{zipf_size}"
    if key not in _CACHE:
        _CACHE.clear()
        gc.collect()
        _CACHE[key] = make_shuffled_zipf(*ZIPF_SIZES[zipf_size])
    return _CACHE[key]


@pytest.fixture(scope="module")
def zipf_reference(tx_zipf: pd.DataFrame) -> pd.DataFrame:
    return custloyalty.rfm_summary(tx_zipf, observation_end=ZIPF_END)


def _tag_zipf(benchmark: Any, size: str, tool: str, n_rows: int, baseline: bool = False) -> None:
    _tag(benchmark, size, tool, n_rows, baseline)
    benchmark.group = f"rfm_summary shuffled zipf rows={size}"
    benchmark.extra_info["loadavg"] = [round(x, 2) for x in os.getloadavg()]


def test_zipf_custloyalty(
    benchmark: Any, tx_zipf: pd.DataFrame, zipf_size: str, zipf_reference: pd.DataFrame
) -> None:
    _tag_zipf(benchmark, zipf_size, "custloyalty", len(tx_zipf), baseline=True)
    input_bytes = sum(tx_zipf[c].to_numpy().nbytes for c in tx_zipf.columns)
    peak = _peak_bytes(lambda: custloyalty.rfm_summary(tx_zipf, observation_end=ZIPF_END))
    benchmark.extra_info["peak_bytes"] = peak
    benchmark.extra_info["peak_ratio"] = round(peak / input_bytes, 2)
    out = benchmark(custloyalty.rfm_summary, tx_zipf, observation_end=ZIPF_END)
    pd.testing.assert_frame_equal(out, zipf_reference)


def test_zipf_custloyalty_one_thread(
    benchmark: Any,
    tx_zipf: pd.DataFrame,
    zipf_size: str,
    zipf_reference: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same on one thread: what the key-range threads save (results bit for bit equal)."""
    _tag_zipf(benchmark, zipf_size, "custloyalty, one thread", len(tx_zipf))
    monkeypatch.setattr(_window, "_BUCKET_THREADS", 1)
    out = benchmark(custloyalty.rfm_summary, tx_zipf, observation_end=ZIPF_END)
    pd.testing.assert_frame_equal(out, zipf_reference, check_exact=True)


def test_zipf_duckdb(
    benchmark: Any, tx_zipf: pd.DataFrame, zipf_size: str, zipf_reference: pd.DataFrame
) -> None:
    duckdb = pytest.importorskip("duckdb")
    _tag_zipf(benchmark, zipf_size, "duckdb (SQL -> pandas)", len(tx_zipf))
    con = duckdb.connect()
    con.register("tx", tx_zipf)
    sql = DUCKDB_SQL.format(end=ZIPF_END)
    out = benchmark(lambda: con.sql(sql).df())
    con.close()
    _check(out.set_index("customer_id"), zipf_reference)

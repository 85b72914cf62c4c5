"""Benchmarks of the churn and cohort functions against the peers a user would pick instead.

Data: ``make_transactions(n_customers, seed=2024)`` as in ``test_bench_summary.py`` (CDNOW-like,
about 2.76 rows per customer, time-ordered), sized to about 10^6 and 10^7 rows, window
2020-01-01 to ``END``. In the same run:

* ``churn_rate(df, period="M")`` against an idiomatic pandas version (unique customer x month
  pairs with ``drop_duplicates``, then "active last month and this month" by merging the pairs
  shifted by one month);
* ``cohort_retention(df, period="M")`` against the idiomatic pandas cohort matrix (first
  purchase month per customer with ``groupby.transform("min")``, age in months, ``groupby``
  cohort x age ``nunique`` customers, ``unstack``), a polars lazy query and DuckDB SQL.
  lifetimes has no cohort or period churn function;
* ``churn_flags(df, threshold=90)`` (days) against a pandas ``groupby`` of the last purchase day;
* ``survival_curve(df, threshold=90)`` against pandas ``groupby`` first/last purchase day and
  ``scipy.stats.ecdf`` on ``CensoredData`` (the same Kaplan-Meier estimator, without the band
  or the table of at-risk counts).

Every peer's result is checked against custloyalty's in the same run (counts exactly; rates
and survival probabilities to 1e-12). Peak memory (``tracemalloc``, separate call) is recorded
in ``extra_info`` for custloyalty and the pandas peers, next to the bytes of the input columns
used (``customer_id`` int64 and ``date`` datetime64: 16 bytes per row).

Run: ``make -C benchmarks SUITE=test_bench_churn.py`` (both sizes; ``K=1e6`` selects one).
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from custloyalty.datasets import make_transactions
from custloyalty.metrics import churn_flags, churn_rate, cohort_retention, survival_curve

# make_transactions makes ~2.756 rows per customer with its defaults (CDNOW parameters).
SIZES = {"1e6": 362_800, "1e7": 3_628_000}
END = "2021-06-29"  # last day of the default 546-day window starting 2020-01-01
THRESHOLD = 90  # days of inactivity for churn_flags / survival_curve

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
    return int(sum(tx[c].to_numpy().nbytes for c in ("customer_id", "date")))


def _tag(
    benchmark: Any,
    name: str,
    size: str,
    tool: str,
    n_rows: int,
    *,
    baseline: bool = False,
) -> None:
    benchmark.group = f"{name} rows={size}"
    benchmark.extra_info["tool"] = tool
    benchmark.extra_info["rows"] = n_rows
    if baseline:
        benchmark.extra_info["baseline"] = True


def _memory(benchmark: Any, fn: Callable[[], Any], input_bytes: int) -> None:
    peak = _peak_bytes(fn)
    benchmark.extra_info["input_bytes"] = input_bytes
    benchmark.extra_info["peak_bytes"] = peak
    benchmark.extra_info["peak_ratio"] = round(peak / input_bytes, 2)


def _month(dates: pd.Series) -> pd.Series:
    """Months since year 0 (int) of a datetime column: consecutive months differ by 1."""
    return dates.dt.year.astype(np.int64) * 12 + dates.dt.month.astype(np.int64) - 1


def _in_window(df: pd.DataFrame, end: str) -> pd.DataFrame:
    return df[df["date"].dt.normalize() <= pd.Timestamp(end)]


# ===========================================================================================
# churn_rate
# ===========================================================================================


@pytest.fixture(scope="module")
def churn_reference(tx: pd.DataFrame) -> pd.DataFrame:
    return churn_rate(tx, period="M", observation_end=END)


def pandas_churn_rate(df: pd.DataFrame, end: str) -> pd.DataFrame:
    """What a pandas user writes: unique customer x month pairs, then set logic by merge."""
    df = _in_window(df, end)
    act = pd.DataFrame(
        {"customer_id": df["customer_id"], "period": df["date"].dt.to_period("M")}
    ).drop_duplicates()
    active = act.groupby("period").size()
    months = pd.period_range(active.index.min(), pd.Period(end, "M"), freq="M")
    active = active.reindex(months, fill_value=0)
    # active in t-1 and in t: shift last month's pairs forward by one month and merge
    shifted = act.assign(period=act["period"] + 1)
    retained = (shifted.merge(act, on=["customer_id", "period"]).groupby("period").size()).reindex(
        months[1:], fill_value=0
    )
    prev = active.iloc[:-1].to_numpy()
    out = pd.DataFrame(
        {
            "active_previous": prev,
            "retained": retained.to_numpy(),
            "churned": prev - retained.to_numpy(),
            "active": active.iloc[1:].to_numpy(),
        },
        index=months[1:],
    )
    out["churn_rate"] = out["churned"] / out["active_previous"]
    out["retention_rate"] = out["retained"] / out["active_previous"]
    return out


def _check_churn(result: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert [str(p) for p in result.index] == [str(p) for p in reference.index]
    for col in ("active_previous", "retained", "churned", "active"):
        np.testing.assert_array_equal(
            result[col].to_numpy(dtype=np.int64), reference[col].to_numpy(), err_msg=col
        )
    for col in ("churn_rate", "retention_rate"):
        np.testing.assert_allclose(
            result[col].to_numpy(dtype=np.float64),
            reference[col].to_numpy(),
            rtol=1e-12,
            err_msg=col,
        )


def test_churn_rate_custloyalty(
    benchmark: Any,
    tx: pd.DataFrame,
    size: str,
    input_bytes: int,
    churn_reference: pd.DataFrame,
) -> None:
    _tag(benchmark, "churn_rate", size, "custloyalty", len(tx), baseline=True)
    before = tx.copy()
    _memory(benchmark, lambda: churn_rate(tx, period="M", observation_end=END), input_bytes)
    out = benchmark(churn_rate, tx, period="M", observation_end=END)
    pd.testing.assert_frame_equal(out, churn_reference)
    pd.testing.assert_frame_equal(tx, before)  # the caller's frame is untouched
    del before


def test_churn_rate_pandas(
    benchmark: Any,
    tx: pd.DataFrame,
    size: str,
    input_bytes: int,
    churn_reference: pd.DataFrame,
) -> None:
    _tag(benchmark, "churn_rate", size, "pandas (drop_duplicates+merge)", len(tx))
    _memory(benchmark, lambda: pandas_churn_rate(tx, END), input_bytes)
    out = benchmark(pandas_churn_rate, tx, END)
    _check_churn(out, churn_reference)


# ===========================================================================================
# cohort_retention
# ===========================================================================================


@pytest.fixture(scope="module")
def cohort_reference(tx: pd.DataFrame) -> pd.DataFrame:
    """custloyalty's counts as (cohort month code, age) -> count, observed cells only."""
    res = cohort_retention(tx, period="M", observation_end=END)
    counts = res.counts
    codes = np.array([p.year * 12 + p.month - 1 for p in counts.index], dtype=np.int64)
    return pd.DataFrame(
        counts.to_numpy(), index=pd.Index(codes, name="cohort"), columns=counts.columns
    )


def pandas_cohort(df: pd.DataFrame, end: str) -> pd.DataFrame:
    """The cohort matrix as in pandas tutorials (integer month arithmetic for the age)."""
    df = _in_window(df, end)
    month = _month(df["date"])
    cohort = month.groupby(df["customer_id"]).transform("min")
    frame = pd.DataFrame(
        {"customer_id": df["customer_id"], "cohort": cohort, "age": month - cohort}
    )
    return frame.groupby(["cohort", "age"])["customer_id"].nunique().unstack("age")


def _check_cohort(result: pd.DataFrame, reference: pd.DataFrame) -> None:
    """Same cohorts; every observed cell equal (a missing cell is 0); unobserved cells empty."""
    result = result.sort_index()
    np.testing.assert_array_equal(result.index.to_numpy(dtype=np.int64), reference.index.to_numpy())
    ref = reference.to_numpy()
    got = result.reindex(columns=reference.columns).to_numpy(dtype=np.float64, na_value=np.nan)
    observed = ~np.isnan(ref)
    np.testing.assert_array_equal(np.nan_to_num(got[observed], nan=0.0), ref[observed])
    assert np.all(np.nan_to_num(got[~observed], nan=0.0) == 0)


def test_cohort_custloyalty(
    benchmark: Any,
    tx: pd.DataFrame,
    size: str,
    input_bytes: int,
    cohort_reference: pd.DataFrame,
) -> None:
    _tag(benchmark, "cohort_retention", size, "custloyalty", len(tx), baseline=True)
    _memory(benchmark, lambda: cohort_retention(tx, period="M", observation_end=END), input_bytes)
    out = benchmark(cohort_retention, tx, period="M", observation_end=END)
    np.testing.assert_array_equal(out.counts.to_numpy(), cohort_reference.to_numpy())
    np.testing.assert_allclose(
        out.rates.to_numpy(), out.counts.to_numpy() / out.sizes.to_numpy()[:, None], rtol=1e-15
    )


def test_cohort_pandas(
    benchmark: Any,
    tx: pd.DataFrame,
    size: str,
    input_bytes: int,
    cohort_reference: pd.DataFrame,
) -> None:
    _tag(benchmark, "cohort_retention", size, "pandas (transform+nunique)", len(tx))
    _memory(benchmark, lambda: pandas_cohort(tx, END), input_bytes)
    out = benchmark(pandas_cohort, tx, END)
    _check_cohort(out, cohort_reference)


@pytest.fixture(scope="module")
def tx_polars(tx: pd.DataFrame) -> Any:
    pl = pytest.importorskip("polars")
    return pl.from_pandas(tx[["customer_id", "date"]])


def polars_cohort(frame: Any, end: str) -> Any:
    import polars as pl

    end_d = pd.Timestamp(end).date()
    month = pl.col("date").dt.year().cast(pl.Int64) * 12 + pl.col("date").dt.month() - 1
    return (
        frame.lazy()
        .filter(pl.col("date").dt.date() <= end_d)
        .with_columns(month=month)
        .with_columns(cohort=pl.col("month").min().over("customer_id"))
        .group_by("cohort", age=pl.col("month") - pl.col("cohort"))
        .agg(n=pl.col("customer_id").n_unique())
        .collect()
        .pivot(on="age", index="cohort", values="n", sort_columns=True)
        .sort("cohort")
    )


def test_cohort_polars(
    benchmark: Any, tx_polars: Any, size: str, cohort_reference: pd.DataFrame
) -> None:
    _tag(benchmark, "cohort_retention", size, "polars (lazy + pivot)", tx_polars.height)
    out = benchmark(polars_cohort, tx_polars, END)
    # no pyarrow in the peers venv: build the pandas frame column by column
    res = pd.DataFrame(
        {int(c): out[c].to_numpy() for c in out.columns if c != "cohort"},
        index=out["cohort"].to_numpy(),
    )
    _check_cohort(res, cohort_reference)


DUCKDB_COHORT_SQL = """
WITH t AS (
    SELECT customer_id, year(date) * 12 + month(date) - 1 AS month
    FROM tx
    WHERE CAST(date AS DATE) <= DATE '{end}'
), first AS (
    SELECT customer_id, MIN(month) AS cohort FROM t GROUP BY customer_id
)
SELECT cohort, month - cohort AS age, COUNT(DISTINCT customer_id) AS n
FROM t JOIN first USING (customer_id)
GROUP BY cohort, age
"""


def test_cohort_duckdb(
    benchmark: Any, tx: pd.DataFrame, size: str, cohort_reference: pd.DataFrame
) -> None:
    duckdb = pytest.importorskip("duckdb")
    _tag(benchmark, "cohort_retention", size, "duckdb (SQL -> pandas pivot)", len(tx))
    con = duckdb.connect()
    con.register("tx", tx[["customer_id", "date"]])
    sql = DUCKDB_COHORT_SQL.format(end=END)

    def run() -> pd.DataFrame:
        return con.sql(sql).df().pivot(index="cohort", columns="age", values="n")

    out = benchmark(run)
    con.close()
    _check_cohort(out, cohort_reference)


# ===========================================================================================
# churn_flags and survival_curve
# ===========================================================================================


@pytest.fixture(scope="module")
def flags_reference(tx: pd.DataFrame) -> pd.Series:
    return churn_flags(tx, threshold=THRESHOLD, observation_end=END)


def pandas_flags(df: pd.DataFrame, end: str, threshold: float) -> pd.Series:
    """Days since the last purchase day per customer > threshold."""
    df = _in_window(df, end)
    last = df.groupby("customer_id")["date"].max().dt.normalize()
    return ((pd.Timestamp(end) - last).dt.days > threshold).rename("churned")


def test_churn_flags_custloyalty(
    benchmark: Any,
    tx: pd.DataFrame,
    size: str,
    input_bytes: int,
    flags_reference: pd.Series,
) -> None:
    _tag(benchmark, "churn_flags", size, "custloyalty", len(tx), baseline=True)
    _memory(
        benchmark,
        lambda: churn_flags(tx, threshold=THRESHOLD, observation_end=END),
        input_bytes,
    )
    out = benchmark(churn_flags, tx, threshold=THRESHOLD, observation_end=END)
    pd.testing.assert_series_equal(out, flags_reference)


def test_churn_flags_pandas(
    benchmark: Any,
    tx: pd.DataFrame,
    size: str,
    input_bytes: int,
    flags_reference: pd.Series,
) -> None:
    _tag(benchmark, "churn_flags", size, "pandas groupby max", len(tx))
    _memory(benchmark, lambda: pandas_flags(tx, END, THRESHOLD), input_bytes)
    out = benchmark(pandas_flags, tx, END, THRESHOLD)
    res = out.reindex(flags_reference.index)
    np.testing.assert_array_equal(res.to_numpy(dtype=bool), flags_reference.to_numpy())
    assert len(out) == len(flags_reference)


@pytest.fixture(scope="module")
def survival_reference(tx: pd.DataFrame) -> pd.DataFrame:
    return survival_curve(tx, threshold=THRESHOLD, observation_end=END).table


def scipy_survival(df: pd.DataFrame, end: str, threshold: float) -> Any:
    """Per-customer first/last day with pandas, then scipy's Kaplan-Meier estimator."""
    df = _in_window(df, end)
    day = df["date"].dt.normalize()
    per = day.groupby(df["customer_id"]).agg(["min", "max"])
    recency = (per["max"] - per["min"]).dt.days.to_numpy(dtype=np.float64)
    age = (pd.Timestamp(end) - per["min"]).dt.days.to_numpy(dtype=np.float64)
    churned = age - recency > threshold
    data = stats.CensoredData(uncensored=recency[churned], right=age[~churned])
    return stats.ecdf(data).sf


def test_survival_custloyalty(
    benchmark: Any,
    tx: pd.DataFrame,
    size: str,
    input_bytes: int,
    survival_reference: pd.DataFrame,
) -> None:
    _tag(benchmark, "survival_curve", size, "custloyalty", len(tx), baseline=True)
    _memory(
        benchmark,
        lambda: survival_curve(tx, threshold=THRESHOLD, observation_end=END),
        input_bytes,
    )
    out = benchmark(survival_curve, tx, threshold=THRESHOLD, observation_end=END)
    pd.testing.assert_frame_equal(out.table, survival_reference)


def test_survival_scipy(
    benchmark: Any,
    tx: pd.DataFrame,
    size: str,
    input_bytes: int,
    survival_reference: pd.DataFrame,
) -> None:
    _tag(benchmark, "survival_curve", size, "pandas groupby + scipy ecdf", len(tx))
    _memory(benchmark, lambda: scipy_survival(tx, END, THRESHOLD), input_bytes)
    sf = benchmark(scipy_survival, tx, END, THRESHOLD)
    np.testing.assert_array_equal(sf.quantiles, survival_reference["time"].to_numpy())
    np.testing.assert_allclose(
        sf.probabilities, survival_reference["survival"].to_numpy(), rtol=1e-12
    )

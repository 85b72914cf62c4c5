"""Scale-out benchmarks: rfm_summary in memory, on Dask, in DuckDB and polars; customer buckets.

Two groups, sized by environment variables so the suite can be validated small and run big:

* ``scale shuffled`` (``SCALE_ROWS``, default 10^6; the issue's figure is 10^7): transactions
  from ``make_transactions`` in *random row order* (the expensive case: the summary must sort),
  summarised by ``rfm_summary`` in memory (baseline), by ``rfm_summary`` on a Dask frame over a
  two-worker ``LocalCluster`` (shuffle by customer, kernel per partition, result gathered), by a
  DuckDB SQL query and by a polars lazy query (both on both cores). Every result is checked
  against the in-memory summary.
* ``scale buckets`` (``SCALE_BUCKET_ROWS``, default 10^6; the issue's figure is 10^8, with
  ``SCALE_BUCKETS`` files, default 10): the transactions written as Parquet files that each
  hold whole customers (``customer_bucket(id, n)``), then (a) one bucket read and summarised in
  this process, with its ``tracemalloc`` peak, and (b) all buckets through Dask with
  ``partitioned_by_customer=True`` on two workers, with each worker's peak resident memory
  (``VmHWM``) and idle memory recorded in ``extra_info``.

Extrapolation (docs/guides/scale.md): wall time for R rows on W workers ~= (R / rows per bucket)
x (time per bucket) / W, and memory per worker ~= rows in the largest bucket x bytes per row
(measured here as the per-bucket peak over its rows).

Run: ``SCALE_ROWS=10000000 make -C benchmarks SUITE=test_bench_scale.py`` (needs dask,
distributed, pyarrow, polars and duckdb in the peers' environment).
"""

from __future__ import annotations

import gc
import os
import resource
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import custloyalty
from custloyalty.datasets import make_transactions

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

ROWS = int(float(os.environ.get("SCALE_ROWS", "1e6")))
BUCKET_ROWS = int(float(os.environ.get("SCALE_BUCKET_ROWS", "1e6")))
BUCKETS = int(os.environ.get("SCALE_BUCKETS", "10"))
ROWS_PER_CUSTOMER = 2.756  # make_transactions with its default (CDNOW) parameters
END = "2021-06-29"
COLUMNS = ["frequency", "recency", "T", "monetary"]


def _transactions(rows: int, seed: int) -> pd.DataFrame:
    tx = make_transactions(round(rows / ROWS_PER_CUSTOMER), seed=seed)
    order = np.random.default_rng(seed).permutation(len(tx))
    return tx.iloc[order].reset_index(drop=True)[["customer_id", "date", "amount"]]


def _peak_bytes(fn: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return int(peak)


def _check(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    got = got.sort_index()
    assert got.index.equals(ref.index)
    assert (got["frequency"].to_numpy() == ref["frequency"].to_numpy()).all()
    for c in COLUMNS[1:]:
        np.testing.assert_allclose(got[c].to_numpy(), ref[c].to_numpy(), rtol=0, atol=1e-9)


def _status_bytes(field: str) -> int | None:
    """A memory field of ``/proc/self/status`` (``VmHWM``, ``VmRSS``) in bytes, if readable."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _worker_peak_rss() -> int:
    """Peak resident memory of this process (``VmHWM``; ``ru_maxrss`` would be inherited)."""
    # ru_maxrss survives fork and exec on Linux, so a worker started from a process that held
    # the whole data set would report that process's peak; VmHWM belongs to the worker alone
    peak = _status_bytes("VmHWM")
    if peak is not None:
        return peak
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def _worker_rss() -> int:
    """Resident memory of this process now (the idle worker, before a run)."""
    now = _status_bytes("VmRSS")
    return 0 if now is None else now


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def shuffled() -> pd.DataFrame:
    return _transactions(ROWS, seed=2024)


@pytest.fixture(scope="module")
def reference(shuffled: pd.DataFrame) -> pd.DataFrame:
    return custloyalty.rfm_summary(shuffled, observation_end=END)


# --------------------------------------------------------------------------------------------
# 10^7 shuffled rows: in memory, Dask, DuckDB, polars
# --------------------------------------------------------------------------------------------


@pytest.mark.benchmark(group="scale shuffled")
def test_in_memory(benchmark: Any, shuffled: pd.DataFrame, reference: pd.DataFrame) -> None:
    def run() -> pd.DataFrame:
        return custloyalty.rfm_summary(shuffled, observation_end=END)

    benchmark.extra_info.update(tool="rfm_summary (pandas)", baseline=True, rows=len(shuffled))
    benchmark.extra_info["peak_bytes"] = _peak_bytes(run)
    _check(benchmark(run), reference)


@pytest.mark.benchmark(group="scale shuffled")
def test_dask_two_workers(
    benchmark: Any, client: Any, shuffled: pd.DataFrame, reference: pd.DataFrame
) -> None:
    ddf = dd.from_pandas(shuffled, npartitions=8)
    ddf = client.persist(ddf)
    distributed.wait(ddf)

    def run() -> pd.DataFrame:
        out: pd.DataFrame = custloyalty.rfm_summary(ddf, observation_end=END).compute()
        return out

    benchmark.extra_info.update(tool="rfm_summary (Dask, 2 workers)", rows=len(shuffled))
    _check(benchmark.pedantic(run, rounds=3, iterations=1), reference)
    benchmark.extra_info["worker_peak_rss"] = list(client.run(_worker_peak_rss).values())


_SQL = """
WITH days AS (
    SELECT customer_id, CAST(date AS DATE) AS day, sum(amount) AS spend
    FROM tx WHERE CAST(date AS DATE) <= DATE '{end}' GROUP BY 1, 2
)
SELECT customer_id,
       count(*) - 1 AS frequency,
       CAST(max(day) - min(day) AS DOUBLE) AS recency,
       CAST(DATE '{end}' - min(day) AS DOUBLE) AS T,
       CASE WHEN count(*) > 1
            THEN (sum(spend) - arg_min(spend, day)) / (count(*) - 1) ELSE 0 END AS monetary
FROM days GROUP BY 1
"""


@pytest.mark.benchmark(group="scale shuffled")
def test_duckdb_sql(benchmark: Any, shuffled: pd.DataFrame, reference: pd.DataFrame) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    con.register("tx", shuffled)

    def run() -> pd.DataFrame:
        out: pd.DataFrame = con.sql(_SQL.format(end=END)).df().set_index("customer_id")
        return out

    benchmark.extra_info.update(tool="DuckDB SQL (2 threads)", rows=len(shuffled))
    _check(benchmark(run), reference)


@pytest.mark.benchmark(group="scale shuffled")
def test_polars(benchmark: Any, shuffled: pd.DataFrame, reference: pd.DataFrame) -> None:
    pl = pytest.importorskip("polars")
    frame = pl.from_pandas(shuffled)
    end = pl.lit(pd.Timestamp(END).date())

    def run() -> pd.DataFrame:
        days = (
            frame.lazy()
            .with_columns(pl.col("date").dt.date().alias("day"))
            .filter(pl.col("day") <= end)
            .group_by("customer_id", "day")
            .agg(pl.col("amount").sum().alias("spend"))
            .sort("customer_id", "day")
        )
        out = (
            days.group_by("customer_id")
            .agg(
                (pl.len() - 1).alias("frequency"),
                (pl.col("day").max() - pl.col("day").min())
                .dt.total_days()
                .cast(pl.Float64)
                .alias("recency"),
                (end - pl.col("day").min()).dt.total_days().cast(pl.Float64).alias("T"),
                pl.when(pl.len() > 1)
                .then((pl.col("spend").sum() - pl.col("spend").first()) / (pl.len() - 1))
                .otherwise(0.0)
                .alias("monetary"),
            )
            .collect()
            .to_pandas()
            .set_index("customer_id")
        )
        return out

    benchmark.extra_info.update(tool="polars lazy (2 threads)", rows=len(shuffled))
    _check(benchmark(run), reference)


# --------------------------------------------------------------------------------------------
# 10^8 rows as customer-bucket Parquet files
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bucket_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """Parquet files ``bucket=k.parquet`` each holding every row of its customers."""
    pytest.importorskip("pyarrow")
    folder = tmp_path_factory.mktemp("buckets")
    tx = _transactions(BUCKET_ROWS, seed=7)
    bucket = custloyalty.customer_bucket(tx["customer_id"], BUCKETS).to_numpy()
    for k in range(BUCKETS):
        tx.loc[bucket == k].to_parquet(folder / f"bucket={k:04d}.parquet", index=False)
    reference = custloyalty.rfm_summary(tx, observation_end=END)
    return folder, reference


@pytest.mark.benchmark(group="scale buckets")
def test_one_bucket_in_process(benchmark: Any, bucket_files: tuple[Path, pd.DataFrame]) -> None:
    folder, reference = bucket_files
    path = sorted(folder.glob("*.parquet"))[0]

    def run() -> pd.DataFrame:
        return custloyalty.rfm_summary(pd.read_parquet(path), observation_end=END)

    rows = len(pd.read_parquet(path, columns=["customer_id"]))
    peak = _peak_bytes(run)
    benchmark.extra_info.update(
        tool="1 bucket: read + rfm_summary",
        baseline=True,
        rows=rows,
        peak_bytes=peak,
        bytes_per_row=peak / rows,
    )
    got = benchmark(run)
    _check(got, reference.loc[got.index])


@pytest.fixture
def fresh_client() -> Iterator[Any]:
    """A new two-worker cluster, so each worker's peak memory is this test's alone."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.mark.benchmark(group="scale buckets")
def test_all_buckets_on_dask(
    benchmark: Any,
    fresh_client: Any,
    bucket_files: tuple[Path, pd.DataFrame],
    tmp_path: Path,
) -> None:
    # summarise every bucket on the workers and write the result as Parquet: nothing is
    # gathered into one process (the way a data set of this size is used)
    folder, reference = bucket_files
    files = sorted(str(p) for p in folder.glob("*.parquet"))
    out_dir = tmp_path / "summary"

    def run() -> None:
        ddf = dd.read_parquet(files, split_row_groups=False)
        out = custloyalty.rfm_summary(ddf, observation_end=END, partitioned_by_customer=True)
        out.to_parquet(out_dir, overwrite=True)

    benchmark.extra_info.update(tool=f"{BUCKETS} buckets, Dask 2 workers", rows=BUCKET_ROWS)
    benchmark.extra_info["worker_idle_rss"] = list(fresh_client.run(_worker_rss).values())
    benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["worker_peak_rss"] = list(fresh_client.run(_worker_peak_rss).values())
    _check(pd.read_parquet(out_dir), reference)


@pytest.mark.benchmark(group="scale buckets")
def test_scorecard_buckets_on_dask(
    benchmark: Any,
    fresh_client: Any,
    bucket_files: tuple[Path, pd.DataFrame],
    tmp_path: Path,
) -> None:
    # fit on a 1 % hash sample of the customers, score every bucket, write the scores
    from custloyalty.scorecard import LoyaltyScorecard

    folder, reference = bucket_files
    files = sorted(str(p) for p in folder.glob("*.parquet"))
    out_dir = tmp_path / "scores"
    card = LoyaltyScorecard(seed=1)

    def run() -> Any:
        ddf = dd.read_parquet(files, split_row_groups=False)
        card.fit(ddf, observation_end=END, sample_customers=0.01, seed=1)
        result = card.score(ddf, observation_end=END, partitioned_by_customer=True)
        result.customers.reset_index().to_parquet(out_dir, write_index=False, overwrite=True)
        return result

    benchmark.extra_info.update(
        tool=f"scorecard: fit on 1% sample, score {BUCKETS} buckets, Dask 2 workers",
        rows=BUCKET_ROWS,
    )
    benchmark.extra_info["worker_idle_rss"] = list(fresh_client.run(_worker_rss).values())
    result = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["worker_peak_rss"] = list(fresh_client.run(_worker_peak_rss).values())
    scores = pd.read_parquet(out_dir, columns=["composite"])
    assert len(scores) == len(reference)
    assert scores["composite"].between(0, 100).all()
    assert result.summary.customers == len(reference)

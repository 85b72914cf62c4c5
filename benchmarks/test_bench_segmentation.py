"""Benchmark of client tiering: rfm_scores + rfm_segments + value_tiers on 10^6 / 10^7 customers.

Data: a synthetic customer summary built directly from seeded arrays (no transactions), shaped
like CDNOW: days since the last purchase uniform on 0..545, ``n_purchases`` geometric with about
half the customers buying once (heavy ties), ``total_amount`` log-normal. Every tool computes
the same three things: quintile R/F/M scores (ties kept together), a named segment per customer
from ordered rules, and ABC tiers (80/15/5 % of revenue).

* **custloyalty**: ``rfm_scores`` (validation included), ``rfm_segments`` (default rules),
  ``value_tiers(method="abc")``.
* **pandas (idiomatic)**: ``pd.qcut(..., duplicates="drop")`` per metric, the cell as a string
  ``R + F + M``, segments by ``Series.map`` of a dict over the 125 cells (the rules expanded
  once), ABC by ``sort_values`` + ``cumsum``.
* **polars**: ``qcut(..., allow_duplicates=True)`` per metric, the cell code ``100 R + 10 F + M``
  joined with the 125-cell table, ABC by ``sort`` + ``cum_sum``.

Run: ``make -C benchmarks SUITE=test_bench_segmentation.py`` (``K=1e6`` for one size).
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from custloyalty.segmentation import rfm_scores, rfm_segments, value_tiers

SIZES = {"1e6": 1_000_000, "1e7": 10_000_000}


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
def summary(request: pytest.FixtureRequest) -> pd.DataFrame:
    n = SIZES[request.param]
    rng = np.random.default_rng(2024)
    t = rng.integers(450, 546, n).astype(np.float64)
    days = np.minimum(rng.integers(0, 546, n).astype(np.float64), t)
    n_purchases = rng.geometric(0.5, n)
    total = np.round(rng.lognormal(3.5, 1.0, n) * n_purchases, 2)
    return pd.DataFrame(
        {"recency": t - days, "T": t, "n_purchases": n_purchases, "total_amount": total},
        index=pd.RangeIndex(n, name="customer_id"),
    )


def _cell_table() -> dict[str, str]:
    """The default rules expanded to the 125 cells, for the peers' lookups."""
    g = np.array(np.meshgrid(*[np.arange(1, 6)] * 3, indexing="ij")).reshape(3, -1).T
    cube = pd.DataFrame(g, columns=["R", "F", "M"])
    seg = rfm_segments(cube)
    return dict(zip(cube.astype(str).sum(axis=1), seg.astype(str), strict=True))


def _custloyalty(s: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    sc = rfm_scores(s)
    seg = rfm_segments(sc)
    tiers = value_tiers(s["total_amount"])
    return sc, seg, tiers


@pytest.mark.benchmark(group="segmentation")
def test_custloyalty(benchmark: Any, summary: pd.DataFrame) -> None:
    benchmark.extra_info["tool"] = "custloyalty"
    benchmark.extra_info["baseline"] = True
    benchmark.extra_info["peak_bytes"] = _peak_bytes(lambda: _custloyalty(summary))
    sc, seg, tiers = benchmark.pedantic(_custloyalty, args=(summary,), rounds=3, iterations=1)
    assert sc["R"].value_counts(normalize=True).max() < 0.21
    assert seg.notna().all()
    share = summary["total_amount"][tiers == "A"].sum() / summary["total_amount"].sum()
    assert 0.8 <= share < 0.8001


@pytest.mark.benchmark(group="segmentation")
def test_custloyalty_scores_only(benchmark: Any, summary: pd.DataFrame) -> None:
    benchmark.extra_info["tool"] = "custloyalty rfm_scores"
    benchmark.pedantic(rfm_scores, args=(summary,), rounds=3, iterations=1)


@pytest.mark.benchmark(group="segmentation")
def test_custloyalty_segments_only(benchmark: Any, summary: pd.DataFrame) -> None:
    benchmark.extra_info["tool"] = "custloyalty rfm_segments"
    sc = rfm_scores(summary)
    benchmark.pedantic(rfm_segments, args=(sc,), rounds=3, iterations=1)


@pytest.mark.benchmark(group="segmentation")
def test_custloyalty_value_tiers_only(benchmark: Any, summary: pd.DataFrame) -> None:
    benchmark.extra_info["tool"] = "custloyalty value_tiers"
    benchmark.pedantic(value_tiers, args=(summary["total_amount"],), rounds=3, iterations=1)


def _pandas(s: pd.DataFrame, cells: dict[str, str]) -> tuple[pd.Series, pd.Series]:
    days = s["T"] - s["recency"]
    r = pd.qcut(-days, 5, labels=False, duplicates="drop") + 1
    f = pd.qcut(s["n_purchases"], 5, labels=False, duplicates="drop") + 1
    m = pd.qcut(s["total_amount"], 5, labels=False, duplicates="drop") + 1
    cell = r.astype(str) + f.astype(str) + m.astype(str)
    seg = cell.map(cells).fillna("Others")
    v = s["total_amount"].sort_values(ascending=False)
    before = (v.cumsum() - v) / v.sum()
    tier = pd.cut(before, [-np.inf, 0.8, 0.95, np.inf], right=False, labels=["A", "B", "C"])
    return seg, tier.reindex(s.index)


@pytest.mark.benchmark(group="segmentation")
def test_pandas(benchmark: Any, summary: pd.DataFrame) -> None:
    benchmark.extra_info["tool"] = "pandas (qcut + map)"
    cells = _cell_table()
    benchmark.extra_info["peak_bytes"] = _peak_bytes(lambda: _pandas(summary, cells))
    seg, _ = benchmark.pedantic(_pandas, args=(summary, cells), rounds=2, iterations=1)
    assert seg.notna().all()


@pytest.mark.benchmark(group="segmentation")
def test_polars(benchmark: Any, summary: pd.DataFrame) -> None:
    pl = pytest.importorskip("polars")
    benchmark.extra_info["tool"] = "polars (qcut + join)"
    cells = _cell_table()
    table = pl.DataFrame(
        {"code": [int(k) for k in cells], "segment": list(cells.values())},
        schema={"code": pl.Int64, "segment": pl.String},
    )
    df = pl.from_pandas(summary.reset_index())
    labels = ["1", "2", "3", "4", "5"]

    def score(expr: Any) -> Any:
        return expr.qcut(5, labels=labels, allow_duplicates=True).cast(pl.String).cast(pl.Int64)

    def run() -> Any:
        out = (
            df.lazy()
            .with_columns(
                score(-(pl.col("T") - pl.col("recency"))).alias("R"),
                score(pl.col("n_purchases")).alias("F"),
                score(pl.col("total_amount")).alias("M"),
            )
            .with_columns((pl.col("R") * 100 + pl.col("F") * 10 + pl.col("M")).alias("code"))
            .join(table.lazy(), on="code", how="left")
            .sort("total_amount", descending=True)
            .with_columns(
                (
                    (pl.col("total_amount").cum_sum() - pl.col("total_amount"))
                    / pl.col("total_amount").sum()
                ).alias("before")
            )
            .with_columns(
                pl.when(pl.col("before") < 0.8)
                .then(pl.lit("A"))
                .when(pl.col("before") < 0.95)
                .then(pl.lit("B"))
                .otherwise(pl.lit("C"))
                .alias("tier")
            )
        )
        return out.collect()

    res = benchmark.pedantic(run, rounds=2, iterations=1)
    assert res.height == len(summary)

"""Benchmarks of the survey indicators (NPS, satisfaction index) on up to 10^7 ratings.

Run: .venv/bin/pytest benchmarks/test_bench_survey.py --benchmark-enable -p no:cacheprovider
The "plain numpy/pandas" peers compute the same number without validation, for the ratio.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from custloyalty.metrics import nps, satisfaction_index

SIZES = [10**4, 10**5, 10**6, 10**7]


def _peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n={n:.0e}")
def ratings(request: pytest.FixtureRequest) -> np.ndarray:
    rng = np.random.default_rng(42)
    return rng.integers(0, 11, request.param, dtype=np.int64)


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"n={n:.0e}")
def items(request: pytest.FixtureRequest) -> pd.DataFrame:
    # n ratings spread over 10 items (n / 10 respondents)
    rng = np.random.default_rng(7)
    n_resp = request.param // 10
    return pd.DataFrame(
        rng.integers(1, 11, (n_resp, 10), dtype=np.int64), columns=[f"sat{i}" for i in range(10)]
    )


@pytest.mark.benchmark(group="nps")
def test_nps(benchmark: Any, ratings: np.ndarray) -> None:
    benchmark.extra_info["peak_mib"] = round(_peak_mib(lambda: nps(ratings)), 1)
    r = benchmark(nps, ratings)
    assert -100 <= r.score <= 100


@pytest.mark.benchmark(group="nps")
def test_nps_weighted(benchmark: Any, ratings: np.ndarray) -> None:
    w = np.ones(ratings.shape[0])
    r = benchmark(nps, ratings, sample_weight=w)
    assert -100 <= r.score <= 100


@pytest.mark.benchmark(group="nps")
def test_nps_peer_plain_numpy(benchmark: Any, ratings: np.ndarray) -> None:
    def plain() -> float:
        return 100.0 * (np.mean(ratings >= 9) - np.mean(ratings <= 6))

    benchmark(plain)


@pytest.mark.benchmark(group="nps")
def test_nps_peer_pandas_series(benchmark: Any, ratings: np.ndarray) -> None:
    s = pd.Series(ratings)

    def plain() -> float:
        return 100.0 * float((s >= 9).mean() - (s <= 6).mean())

    benchmark(plain)


@pytest.mark.benchmark(group="satisfaction_index")
def test_satisfaction_index(benchmark: Any, items: pd.DataFrame) -> None:
    benchmark.extra_info["peak_mib"] = round(_peak_mib(lambda: satisfaction_index(items)), 1)
    r = benchmark(satisfaction_index, items)
    assert 0 <= r.overall <= 100


@pytest.mark.benchmark(group="satisfaction_index")
def test_satisfaction_index_peer_plain_pandas(benchmark: Any, items: pd.DataFrame) -> None:
    def plain() -> tuple[float, pd.Series]:
        per = (items.mean(axis=1) - 1) / 9 * 100
        return float(per.mean()), per

    benchmark(plain)

"""Benchmark of the HTML report at 10^5 and 10^6 customers (synthetic generator).

Data as in ``test_bench_scorecard.py``: ``make_transactions(n, seed=7, r=1.12, alpha=4.0,
b=6.0)`` (about 10 rows per customer) and ``make_survey`` answers from 5% of the customers.
Three timings per size: the whole ``build_report`` (fit + score + sections), ``render`` of an
already scored result (the sections alone; the baseline of the group, since the scorecard
itself is timed in ``test_bench_scorecard.py``), and the scorecard's ``fit_score`` for the ratio.
The size of the HTML page is stored in ``extra_info["html_kib"]``: the figures summarise, so it
must not grow with the number of customers.

Run: ``make -C benchmarks SUITE=test_bench_report.py``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from custloyalty.datasets import make_survey, make_transactions
from custloyalty.report import build_report, render
from custloyalty.scorecard import LoyaltyScorecard

SIZES = {"1e5": 100_000, "1e6": 1_000_000}
END = "2021-06-29"


@pytest.fixture(scope="module", params=list(SIZES), ids=lambda s: f"customers={s}")
def data(request: pytest.FixtureRequest) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = SIZES[request.param]
    tx = make_transactions(n, seed=7, r=1.12, alpha=4.0, b=6.0)
    surveys = make_survey(n // 20, seed=8, customer_ids=tx["customer_id"].unique())
    tx.attrs["size"] = request.param
    return tx, surveys


def _tag(benchmark: Any, tx: pd.DataFrame, tool: str, *, baseline: bool = False) -> None:
    benchmark.group = f"report, {tx.attrs['size']} customers, {len(tx):,} rows"
    benchmark.extra_info["tool"] = tool
    if baseline:
        benchmark.extra_info["baseline"] = True


def test_build_report(benchmark: Any, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tx, surveys = data
    _tag(benchmark, tx, "build_report (whole)")
    html = benchmark.pedantic(
        build_report, args=(tx, surveys), kwargs={"observation_end": END}, rounds=1, iterations=1
    )
    benchmark.extra_info["html_kib"] = round(len(html.encode("utf-8")) / 1024, 1)
    assert html.count("<svg") >= 10


def test_render_sections(benchmark: Any, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tx, surveys = data
    card = LoyaltyScorecard().fit(tx, surveys, observation_end=END)
    result = card.score(tx, surveys, observation_end=END)
    _tag(benchmark, tx, "render (sections only)", baseline=True)
    html = benchmark.pedantic(
        render,
        args=(result,),
        kwargs={"transactions": tx, "surveys": surveys, "scorecard": card},
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info["html_kib"] = round(len(html.encode("utf-8")) / 1024, 1)


def test_fit_score_for_ratio(benchmark: Any, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tx, surveys = data
    _tag(benchmark, tx, "LoyaltyScorecard fit_score")
    benchmark.pedantic(
        LoyaltyScorecard().fit_score,
        args=(tx, surveys),
        kwargs={"observation_end": END},
        rounds=1,
        iterations=1,
    )

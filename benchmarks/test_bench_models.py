"""Benchmarks of the BG/NBD + Gamma-Gamma pipeline against lifetimes (and pymc-marketing).

Data: 10^5 and 10^6 synthetic customers drawn from the BG/NBD generative process with the
CDNOW estimates of Fader, Hardie & Lee (2005) (r 0.243, alpha 4.414, a 0.793, b 2.426, weeks),
first purchases spread over 12 weeks and a 39-week calibration period, durations in whole days
(as ``rfm_summary(..., time_unit="W")`` gives them); spend from the Gamma-Gamma process with
the CDNOW estimates (p 6.25, q 3.744, v 15.444). In the same run, the same pipeline:

* ``custloyalty``: ``BetaGeo().fit`` + ``GammaGamma().fit`` + ``p_alive`` + ``clv`` (12 months,
  1% a month, weeks);
* ``lifetimes`` 0.11.3: ``BetaGeoFitter().fit`` + ``GammaGammaFitter().fit`` (repeat customers)
  + ``conditional_probability_alive`` + ``customer_lifetime_value`` (same options), one round;
* ``pymc-marketing`` (if installed): ``clv.BetaGeoModel().fit(data, method="map")``.

Estimates are asserted equal: BG/NBD and Gamma-Gamma parameters to 1e-3 (relative), P(alive)
to 1e-4 and CLV to 0.5% (lifetimes counts 4.345 weeks a month, custloyalty 30.4375 / 7).

Run: ``make -C benchmarks SUITE=test_bench_models.py`` (``K=1e6`` selects one size).
"""

from __future__ import annotations

import gc
from typing import Any

import numpy as np
import pandas as pd
import pytest

from custloyalty.models import BetaGeo, GammaGamma, clv
from custloyalty.models._beta_geo import _sample_summary

SIZES = {"1e5": 100_000, "1e6": 1_000_000}
BG_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG_PARAMS = {"p": 6.25, "q": 3.744, "v": 15.444}
_CACHE: dict[str, pd.DataFrame] = {}
_RESULTS: dict[tuple[str, str], dict[str, Any]] = {}


def make_summary(n: int, seed: int = 2024) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, 84, n)  # first purchase in the first 12 weeks
    t_days = 273 - first_day  # 39-week calibration period
    s = _sample_summary(BG_PARAMS, t_days / 7.0, seed=seed + 1)
    s["recency"] = np.minimum(np.round(s["recency"].to_numpy() * 7.0), t_days) / 7.0
    x = s["frequency"].to_numpy()
    nu = rng.gamma(GG_PARAMS["q"], 1.0 / GG_PARAMS["v"], n)
    spend = rng.gamma(GG_PARAMS["p"] * np.maximum(x, 1), 1.0 / nu) / np.maximum(x, 1)
    s["monetary"] = np.where(x > 0, spend, 0.0)
    s.index = pd.RangeIndex(n, name="customer_id")
    return s


@pytest.fixture(scope="module", params=list(SIZES), ids=lambda s: f"customers={s}")
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def summary(size: str) -> pd.DataFrame:
    if size not in _CACHE:
        _CACHE.clear()
        gc.collect()
        _CACHE[size] = make_summary(SIZES[size])
    return _CACHE[size]


def _tag(benchmark: Any, size: str, tool: str, baseline: bool = False) -> None:
    benchmark.group = f"BG/NBD + Gamma-Gamma fit, p_alive, clv customers={size}"
    benchmark.extra_info["tool"] = tool
    if baseline:
        benchmark.extra_info["baseline"] = True


def custloyalty_pipeline(s: pd.DataFrame) -> dict[str, Any]:
    bg = BetaGeo().fit(s)
    gg = GammaGamma().fit(s)
    return {
        "bg": bg.params_,
        "gg": gg.params_,
        "p_alive": bg.p_alive(s).to_numpy(),
        "clv": clv(bg, gg, s, time=12, discount_rate=0.01, freq="W").to_numpy(),
    }


def test_custloyalty(benchmark: Any, summary: pd.DataFrame, size: str) -> None:
    _tag(benchmark, size, "custloyalty", baseline=True)
    out = benchmark(custloyalty_pipeline, summary)
    for k, v in BG_PARAMS.items():  # the fit recovers the generating parameters
        assert out["bg"][k] == pytest.approx(v, rel=0.1)
    _RESULTS[(size, "custloyalty")] = out


def test_lifetimes(benchmark: Any, summary: pd.DataFrame, size: str) -> None:
    lifetimes = pytest.importorskip("lifetimes")
    _tag(benchmark, size, "lifetimes 0.11.3")
    f, r, t, m = (summary[c] for c in ("frequency", "recency", "T", "monetary"))

    def run() -> dict[str, Any]:
        lb = lifetimes.BetaGeoFitter().fit(f, r, t)
        rep = f > 0
        lg = lifetimes.GammaGammaFitter().fit(f[rep], m[rep])
        return {
            "bg": lb.params_.to_dict(),
            "gg": lg.params_.to_dict(),
            "p_alive": np.asarray(lb.conditional_probability_alive(f, r, t)),
            "clv": lg.customer_lifetime_value(
                lb, f, r, t, m, time=12, discount_rate=0.01, freq="W"
            ).to_numpy(),
        }

    out = benchmark.pedantic(run, rounds=1, iterations=1)
    ours = _RESULTS.get((size, "custloyalty")) or custloyalty_pipeline(summary)
    for k in BG_PARAMS:
        assert ours["bg"][k] == pytest.approx(out["bg"][k], rel=1e-3)
    for k in GG_PARAMS:
        assert ours["gg"][k] == pytest.approx(out["gg"][k], rel=1e-3)
    np.testing.assert_allclose(ours["p_alive"], out["p_alive"], atol=1e-4)
    np.testing.assert_allclose(ours["clv"], out["clv"], rtol=5e-3, atol=1e-6)


def test_pymc_marketing_map(benchmark: Any, summary: pd.DataFrame, size: str) -> None:
    clv_mod = pytest.importorskip("pymc_marketing.clv")
    _tag(benchmark, size, "pymc-marketing MAP (BG/NBD fit only)")
    data = summary.reset_index()[["customer_id", "frequency", "recency", "T"]]

    def run() -> Any:
        model = clv_mod.BetaGeoModel()
        model.fit(data, method="map")  # pymc-marketing >= 0.19 API
        return model

    model = benchmark.pedantic(run, rounds=1, iterations=1)
    post = model.idata.posterior
    est = {k: float(post[k].mean()) for k in ("r", "alpha", "a", "b") if k in post}
    benchmark.extra_info["estimates"] = est
    print(f"pymc-marketing MAP estimates ({size}): {est}")  # priors: close, not identical

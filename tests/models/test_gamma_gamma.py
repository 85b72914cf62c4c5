"""Tests of the Gamma-Gamma spend model."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import approx_fprime

from custloyalty.errors import ConvergenceWarning, NotFittedError, ValidationError
from custloyalty.models import GammaGamma

FH = {"p": 6.25, "q": 3.744, "v": 15.444}


@pytest.fixture(scope="module")
def gg_cdnow(cdnow_sample_summary: pd.DataFrame) -> GammaGamma:
    return GammaGamma().fit(cdnow_sample_summary)


def _sample(n: int, seed: int, params: dict[str, float] = FH) -> pd.DataFrame:
    """Mean spend of x transactions: nu ~ Gamma(q, v); z_ij ~ Gamma(p, nu); mean of x of them."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 8, n)
    nu = rng.gamma(params["q"], 1 / params["v"], n)
    # the sum of x Gamma(p, nu) is Gamma(p x, nu)
    m = rng.gamma(params["p"] * x, 1 / nu) / x
    return pd.DataFrame({"frequency": x, "monetary": m})


@pytest.mark.reference
def test_cdnow_reference(gg_cdnow: GammaGamma) -> None:
    # Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", CDNOW sample,
    # 946 customers with repeat purchases in the 39-week calibration period, mean repeat spend:
    # p = 6.25, q = 3.74, gamma = 15.44 (lifetimes' GammaGammaFitter: 6.25, 3.744, 15.444).
    assert gg_cdnow.params_["p"] == pytest.approx(6.25, abs=0.005)
    assert gg_cdnow.params_["q"] == pytest.approx(3.744, abs=0.0005)
    assert gg_cdnow.params_["v"] == pytest.approx(15.444, abs=0.0005)
    assert gg_cdnow.n_obs_ == 946
    assert gg_cdnow.n_excluded_ == 2357 - 946
    assert list(gg_cdnow.params_) == ["p", "q", "v"]


def test_expected_spend_formula(gg_cdnow: GammaGamma, cdnow_sample_summary: pd.DataFrame) -> None:
    s = cdnow_sample_summary
    p, q, v = (gg_cdnow.params_[k] for k in ("p", "q", "v"))
    got = gg_cdnow.expected_spend(s)
    assert got.name == "expected_spend"
    assert got.index.equals(s.index)
    x, m = s["frequency"].to_numpy(), s["monetary"].to_numpy()
    w = p * x / (p * x + q - 1)
    want = (1 - w) * p * v / (q - 1) + w * m
    np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-12)
    # a customer without repeat purchase gets the population mean
    assert got[x == 0].nunique() == 1
    assert got[x == 0].iloc[0] == pytest.approx(p * v / (q - 1))


def test_gradient(cdnow_sample_summary: pd.DataFrame) -> None:
    s = cdnow_sample_summary[cdnow_sample_summary["frequency"] > 0]
    f, m = s["frequency"].to_numpy(float), s["monetary"].to_numpy()
    w = np.ones(len(s))
    x0 = np.log([3.0, 2.0, 10.0])
    grad = GammaGamma._negll_and_grad(x0, f, m, w)[1]
    num = approx_fprime(x0, lambda x: GammaGamma._negll_and_grad(x, f, m, w)[0], 1e-6)
    np.testing.assert_allclose(grad, num, rtol=1e-4, atol=1e-3)


def test_recovers_simulated_parameters() -> None:
    df = _sample(20_000, seed=4)
    fit = GammaGamma().fit(df)
    for k, v in FH.items():
        assert fit.params_[k] == pytest.approx(v, abs=4 * fit.standard_errors_[k])


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1))
def test_property_weights_equal_repeated_rows(seed: int) -> None:
    df = _sample(200, seed=seed)
    reps = np.random.default_rng(seed).integers(1, 4, len(df))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = GammaGamma().fit(df, weights=reps.astype(float))
    assume(a.converged_)  # small samples can sit on a ridge (q, v -> inf)
    b = GammaGamma().fit(df.loc[df.index.repeat(reps)].iloc[::-1])
    for k in FH:
        assert a.params_[k] == pytest.approx(b.params_[k], rel=1e-6)
    spend = a.expected_spend(df).to_numpy()
    assert np.all(spend > 0)


def test_round_trip(gg_cdnow: GammaGamma, cdnow_sample_summary: pd.DataFrame) -> None:
    d = json.loads(json.dumps(gg_cdnow.to_dict()))
    assert d["model"] == "GammaGamma"
    assert d["n_excluded"] == 1411
    again = GammaGamma.from_dict(d)
    assert again.n_excluded_ == 1411
    pd.testing.assert_series_equal(
        again.expected_spend(cdnow_sample_summary), gg_cdnow.expected_spend(cdnow_sample_summary)
    )


def test_errors() -> None:
    with pytest.raises(NotFittedError):
        GammaGamma().expected_spend(frequency=[1], monetary=[2.0])
    with pytest.raises(ValidationError, match="'monetary' has 1 non-positive values"):
        GammaGamma().fit(pd.DataFrame({"frequency": [1, 2, 0], "monetary": [1.0, 0.0, 0.0]}))
    with pytest.raises(ValidationError, match="no repeat customer"):
        GammaGamma().fit(frequency=[0, 0], monetary=[0.0, 0.0])
    with pytest.raises(ValidationError, match="not found"):
        GammaGamma().fit(pd.DataFrame({"frequency": [1], "spend": [1.0]}))
    renamed = _sample(300, seed=1).rename(columns={"monetary": "avg"})
    fit = GammaGamma().fit(renamed, monetary="avg")
    assert fit.expected_spend(renamed, monetary="avg").notna().all()

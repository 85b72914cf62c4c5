"""Tests of the Gamma-Gamma spend model."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable

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
        a = GammaGamma().fit(df, sample_weight=reps.astype(float))
    assume(a.converged_)  # small samples can sit on a ridge (q, v -> inf)
    b = GammaGamma().fit(df.loc[df.index.repeat(reps)].iloc[::-1])
    for k in FH:
        assert a.params_[k] == pytest.approx(b.params_[k], rel=1e-6)
    spend = a.expected_spend(df).to_numpy()
    assert np.all(spend > 0)


def test_round_trip(gg_cdnow: GammaGamma, cdnow_sample_summary: pd.DataFrame) -> None:
    d = json.loads(json.dumps(gg_cdnow.to_dict()))
    assert d["kind"] == "GammaGamma"
    assert d["n_excluded"] == 1411
    again = GammaGamma.from_dict(d)
    assert again.n_excluded_ == 1411
    pd.testing.assert_series_equal(
        again.expected_spend(cdnow_sample_summary), gg_cdnow.expected_spend(cdnow_sample_summary)
    )


def test_errors() -> None:
    with pytest.raises(NotFittedError):
        GammaGamma().expected_spend(frequency=[1], monetary=[2.0])
    with pytest.raises(ValidationError, match="'monetary' has 1 negative value for repeat"):
        GammaGamma().fit(pd.DataFrame({"frequency": [1, 2, 0], "monetary": [1.0, -2.0, 0.0]}))
    with pytest.raises(ValidationError, match="no repeat customer"):
        GammaGamma().fit(frequency=[0, 0], monetary=[0.0, 0.0])
    with pytest.raises(ValidationError, match="not found"):
        GammaGamma().fit(pd.DataFrame({"frequency": [1], "spend": [1.0]}))
    renamed = _sample(300, seed=1).rename(columns={"monetary": "avg"})
    fit = GammaGamma().fit(renamed, monetary="avg")
    assert fit.expected_spend(renamed, monetary="avg").notna().all()


@pytest.mark.reference
def test_cdnow_standard_errors(
    gg_cdnow: GammaGamma, cdnow_sample_summary: pd.DataFrame, natural_se: Callable
) -> None:
    # Reference: inverse of the central-difference Hessian of an independent implementation
    # of the Gamma-Gamma negative log-likelihood (Fader & Hardie 2013, eq. 3) in the natural
    # parameters, at the CDNOW estimates (tests/reference/standard_errors.py): se p 1.190,
    # q 0.290, v 4.159.
    want = {"p": 1.190, "q": 0.290, "v": 4.159}
    assert gg_cdnow.standard_errors_ == pytest.approx(want, rel=1e-2)
    rep = cdnow_sample_summary[cdnow_sample_summary["frequency"] > 0]
    f, m = rep["frequency"].to_numpy(float), rep["monetary"].to_numpy()
    theta = np.array([gg_cdnow.params_[k] for k in want])

    def nll(p: np.ndarray) -> float:
        return GammaGamma._negll_and_grad(np.log(p), f, m, np.ones_like(f))[0]

    got = np.array([gg_cdnow.standard_errors_[k] for k in want])
    np.testing.assert_allclose(got, natural_se(nll, theta), rtol=1e-3)


def test_missing_values_name_their_column() -> None:
    gg = GammaGamma.from_params(FH)
    with pytest.raises(
        ValidationError,
        match=r"^Column 'monetary' has 1 missing \(NaN\) value where 'frequency' > 0 "
        r"\(rows 1\): nan\.\nHint: pass nan_policy='omit'",
    ):
        gg.expected_spend(frequency=[0, 2], monetary=[5.0, np.nan])
    with pytest.raises(
        ValidationError, match=r"^Column 'frequency' has 2 missing \(NaN\) values \(rows 0, 2\)"
    ):
        gg.expected_spend(frequency=[np.nan, 2, np.nan], monetary=[5.0, 1.0, 3.0])
    df = pd.DataFrame({"frequency": [1, 2], "spend": [np.nan, 3.0]}, index=["x", "y"])
    with pytest.raises(ValidationError, match=r"'spend' has 1 missing .* \(rows x\): nan"):
        gg.expected_spend(df, monetary="spend")
    # omit: NaN for those customers, aligned
    got = gg.expected_spend(df, monetary="spend", nan_policy="omit")
    assert got.index.tolist() == ["x", "y"]
    assert np.isnan(got["x"])
    assert got["y"] == gg.expected_spend(frequency=[2], monetary=[3.0]).iloc[0]


def test_monetary_not_needed_without_repeat_purchase(cdnow_sample_summary: pd.DataFrame) -> None:
    # one-time buyers have no mean repeat spend; the model gives them the population mean
    # whatever their monetary value, so a missing one is accepted
    gg = GammaGamma.from_params(FH)
    zero = gg.expected_spend(frequency=[0, 2], monetary=[0.0, 10.0])
    nan = gg.expected_spend(frequency=[0, 2], monetary=[np.nan, 10.0])
    pd.testing.assert_series_equal(nan, zero)
    s = cdnow_sample_summary
    s_nan = s.assign(monetary=s["monetary"].where(s["frequency"] > 0))
    assert s_nan["monetary"].isna().sum() == 1411
    pd.testing.assert_series_equal(gg.expected_spend(s_nan), gg.expected_spend(s))
    fit = GammaGamma().fit(s_nan)
    assert fit.params_ == pytest.approx(GammaGamma().fit(s).params_, rel=1e-12)
    assert fit.n_excluded_ == 1411


def test_zero_repeat_spend_one_rule(cdnow_sample_summary: pd.DataFrame) -> None:
    # issue 13.5: $0 repeat spend is left out of the fit (fit_rows) and predicted by the
    # model's limit p v / (p x + q - 1), never floored and never refused
    base = cdnow_sample_summary
    free = base.copy()
    repeat_ids = free.index[free["frequency"] > 0][:5]
    free.loc[repeat_ids, "monetary"] = 0.0
    mask = GammaGamma.fit_rows(free["frequency"], free["monetary"])
    assert not mask[free.index.get_indexer(repeat_ids)].any()
    fitted = GammaGamma().fit(free)
    alone = GammaGamma().fit(free[mask])
    assert fitted.params_ == pytest.approx(alone.params_, rel=1e-9)
    assert fitted.n_excluded_ == int((~mask).sum())
    p, q, v = (fitted.params_[k] for k in ("p", "q", "v"))
    got = fitted.expected_spend(free).loc[repeat_ids].to_numpy()
    x = free.loc[repeat_ids, "frequency"].to_numpy()
    np.testing.assert_allclose(got, p * v / (p * x + q - 1.0), rtol=1e-12)
    # the limit is continuous: a tiny spend gives nearly the same value
    tiny = fitted.expected_spend(frequency=x, monetary=np.full(x.shape, 1e-9)).to_numpy()
    np.testing.assert_allclose(tiny, got, rtol=1e-8)


def test_q_at_most_one_gives_the_limit_with_a_warning() -> None:
    from custloyalty.errors import UndefinedMetricWarning

    gg = GammaGamma.from_params({"p": 2.0, "q": 0.8, "v": 10.0})
    with pytest.warns(UndefinedMetricWarning, match="infinite expected spend .* for 1 customers"):
        out = gg.expected_spend(frequency=[0, 1, 5], monetary=[None, 10.0, 10.0])
    assert np.isinf(out.iloc[0])
    assert out.iloc[0] > 0
    assert np.all(np.isfinite(out.iloc[1:]))  # p x + q - 1 > 0: finite
    assert not out.isna().any()


def test_series_of_different_indexes_are_refused() -> None:
    gg = GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})
    f = pd.Series([1, 2], index=["a", "b"])
    with pytest.raises(ValidationError, match="different indexes"):
        gg.expected_spend(frequency=f, monetary=pd.Series([10.0, 30.0], index=["b", "a"]))
    same = gg.expected_spend(frequency=f, monetary=pd.Series([10.0, 30.0], index=["a", "b"]))
    assert list(same.index) == ["a", "b"]

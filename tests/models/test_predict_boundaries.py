"""Unit tests of the round-4 fixes of the models' predictions (see test_battery_models_predict)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, special

from custloyalty import rfm_summary
from custloyalty.datasets import load_cdnow
from custloyalty.errors import ValidationError
from custloyalty.models import (
    BetaGeo,
    GammaGamma,
    ParetoNBD,
    ShiftedBetaGeo,
    calibration_holdout,
    clv,
    compress,
    get_model,
)

BG_PUB = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG_PUB = {"p": 6.25, "q": 3.74, "v": 15.44}
HIST = {"frequency": [0, 2], "recency": [0.0, 30.0], "T": [38.0, 38.0]}


@pytest.mark.parametrize(
    "horizon",
    [pd.Timedelta(days=3), np.array([pd.Timedelta(days=1)] * 2, dtype=object), 1 + 2j],
)
def test_durations_and_complex_horizons_are_refused(horizon: object) -> None:
    bg = BetaGeo.from_params(BG_PUB)
    with pytest.raises(ValidationError, match=r"durations|complex"):
        bg.expected_purchases(horizon, **HIST)
    with pytest.raises(ValidationError, match=r"durations|complex"):
        bg.expected_purchases_new(horizon)


def test_pmf_refuses_shapes_that_do_not_broadcast_and_ragged_n() -> None:
    pn = ParetoNBD.from_params({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    with pytest.raises(ValidationError, match="cannot be broadcast"):
        pn.probability_of_n_purchases([1.0, 2.0, 3.0], [1, 2])
    with pytest.raises(ValidationError, match="regular array"):
        pn.probability_of_n_purchases(5.0, [[1, 2], [3]])


def bg_factor_quad(p: dict[str, float], x: float, t_obs: float, h: float) -> float:
    """E[Y(h) | alive] = E_p[(1 - (1 + p s)^-(r+x))/p], p ~ Beta(a, b + x), by scipy quad."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    k, sc, bx = r + x, h / (alpha + t_obs), b + x

    def f(q: float) -> float:
        g = -math.expm1(-k * math.log1p(q * sc)) / q if q > 0 else k * sc
        return g * math.exp(
            (a - 1) * math.log(q) + (bx - 1) * math.log1p(-q) - special.betaln(a, bx)
        )

    return float(integrate.quad(f, 0.0, 1.0, points=[1e-6, 1e-3, 0.1], limit=200)[0])


def test_bg_expected_purchases_near_a_equal_1_keeps_its_digits() -> None:
    # c/(a - 1) magnified the rounding of 1 - (1-z)^(a-1) 2F1: 2.2e-9 instead of 1.55e-9
    p = {"r": 0.0394, "alpha": 2.54e7, "a": 1.0000001, "b": 1.0}
    got = BetaGeo.from_params(p).expected_purchases_new([1.0, 100.0])
    want = [bg_factor_quad(p, 0.0, 0.0, h) for h in (1.0, 100.0)]
    np.testing.assert_allclose(got, want, rtol=1e-7)


def test_bg_quadrature_resolves_the_bend_at_small_a() -> None:
    # eq. 10 with mpmath at 40 digits (hyp2f1 of the published formula)
    p = {"r": 1e4, "alpha": 1e4, "a": 0.01, "b": 0.01}
    m = BetaGeo.from_params(p)
    hist = {"frequency": [5], "recency": [100.0], "T": [100.0]}
    got = m.expected_purchases(10.0, **hist).iloc[0] / m.p_alive(**hist).iloc[0]
    assert got == pytest.approx(9.840323645162057, rel=1e-9)


@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.01, "alpha": 1e-8, "s": 1e12, "beta": 1e4},  # a lifetime spike near 0
        {"r": 5.28e9, "alpha": 1.45e11, "s": 1248.0, "beta": 1.92e5},  # r in the billions
    ],
)
def test_pareto_pmf_sums_to_one_and_its_mean_is_eq_17(params: dict[str, float]) -> None:
    m = ParetoNBD.from_params(params)
    pm = m.probability_of_n_purchases(100.0, np.arange(3000))
    assert pm.sum() == pytest.approx(1.0, rel=1e-10)
    assert (np.arange(3000) * pm).sum() == pytest.approx(m.expected_purchases_new(100.0), rel=1e-9)


@given(
    st.floats(-8.0, 12.0),
    st.floats(-8.0, 12.0),
    st.integers(1, 50),
)
def test_sbg_curves_match_the_product_formula_at_any_parameters(
    lg: float, ld: float, t: int
) -> None:
    g, d = 10.0**lg, 10.0**ld
    m = ShiftedBetaGeo.from_params({"gamma": g, "delta": d})
    j = np.arange(t, dtype=float)
    s_prev = math.exp(float(np.sum(np.log(d + j[:-1]) - np.log(g + d + j[:-1]))))
    s_t = math.exp(float(np.sum(np.log(d + j) - np.log(g + d + j))))
    assert m.survival(t) == pytest.approx(s_t, rel=1e-9, abs=1e-300)
    churn = m.churn_probability(t)
    assert 0.0 <= churn <= 1.0
    assert churn == pytest.approx(s_prev * g / (g + d + t - 1), rel=1e-9, abs=1e-300)


def test_sbg_derl_quadrature_in_panels() -> None:
    # scipy's hyp2f1 fails at gamma = 1e4: the quadrature was 5e-5 off; reference by quad
    g, d, rate = 1e4, 1.0, 0.1

    def f(th: float) -> float:
        return (
            (1 - th)
            * (1 + rate)
            / (rate + th)
            * math.exp((g - 1) * math.log(th) + (d - 1) * math.log1p(-th) - special.betaln(g, d))
        )

    want = integrate.quad(f, 0.99, 1.0, epsabs=0.0, epsrel=1e-12, limit=200)[0]
    got = ShiftedBetaGeo.from_params(
        {"gamma": g, "delta": d}
    ).discounted_expected_residual_lifetime(rate)
    assert got == pytest.approx(want, rel=1e-9)


def test_gamma_gamma_spend_near_the_float_range_does_not_overflow() -> None:
    gg = GammaGamma.from_params(GG_PUB)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = gg.expected_spend(frequency=[1e9, 10], monetary=[1e300, 1.7e308]).to_numpy()
    p, q, v = 6.25, 3.74, 15.44
    want = [
        p * v / (p * x + q - 1) + p * x / (p * x + q - 1) * m
        for x, m in ((1e9, 1e300), (10, 1.7e308))
    ]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_gamma_gamma_keeps_the_labels_of_a_monetary_series() -> None:
    gg = GammaGamma.from_params(GG_PUB)
    got = gg.expected_spend(frequency=[1, 3], monetary=pd.Series([5.0, 100.0], index=["b", "a"]))
    assert list(got.index) == ["b", "a"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([1, 2], [1.0], [2.0, 3.0]), "same length"),
        ((["a"], [1.0], [2.0]), "non-numeric"),
        (([1, 2], [1.0, 1.0], [2.0, 2.0], [-1.0, 1.0]), "negative"),
        (([1, np.nan], [1.0, 1.0], [2.0, 2.0]), "missing"),
        (([True], [1.0], [2.0]), "booleans"),
    ],
)
def test_compress_validates_its_public_inputs(args: tuple[object, ...], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        compress(*args)


def test_classes_are_refused_as_models_with_a_hint() -> None:
    data = pd.DataFrame({**HIST, "monetary": [np.nan, 10.0]})
    with pytest.raises(ValidationError, match=r"not the class BetaGeo\.\nHint"):
        clv(BetaGeo, GammaGamma.from_params(GG_PUB), data, time_unit="W")
    s = rfm_summary(
        load_cdnow("sample").head(500),
        calibration_end="1997-03-31",
        observation_end="1997-06-30",
        time_unit="W",
    )
    with pytest.raises(ValidationError, match="not the class ParetoNBD"):
        calibration_holdout(ParetoNBD, s)
    got = calibration_holdout(BetaGeo.from_params(BG_PUB), s, max_frequency=np.int64(2))
    assert got.index.max() <= 2


def test_clv_refuses_a_margin_in_percent() -> None:
    data = pd.DataFrame({**HIST, "monetary": [np.nan, 10.0]})
    bg = BetaGeo.from_params(BG_PUB, time_unit="W")
    with pytest.raises(ValidationError, match=r"pass margin=0\.3"):
        clv(bg, GammaGamma.from_params(GG_PUB), data, margin=30)


@pytest.mark.parametrize(
    ("name", "hint"),
    [("BetaGeo", "bg_nbd"), ("PARETO_NBD", "pareto_nbd"), ("GammaGamma", "gamma_gamma")],
)
def test_get_model_hints_the_registry_name(name: str, hint: str) -> None:
    with pytest.raises(ValidationError, match=f"did you mean '{hint}'"):
        get_model(name)


def test_lifetimes_positional_form_of_the_aliases() -> None:
    bg = BetaGeo.from_params(BG_PUB)
    x, tx, t = np.array([0, 2]), np.array([0.0, 30.0]), np.array([38.0, 38.0])
    pd.testing.assert_series_equal(
        bg.conditional_probability_alive(x, tx, t), bg.p_alive(frequency=x, recency=tx, T=t)
    )
    pd.testing.assert_series_equal(
        bg.conditional_expected_number_of_purchases_up_to_time(39.0, x, tx, t),
        bg.expected_purchases(39.0, frequency=x, recency=tx, T=t),
    )
    with pytest.raises(ValidationError, match="by keyword"):
        bg.conditional_probability_alive(x, tx, t, frequency=x)

"""Tests of the BG/NBD model."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import special
from scipy.optimize import approx_fprime

from custloyalty.errors import ConvergenceWarning, NotFittedError, ValidationError
from custloyalty.models import BetaGeo, GammaGamma
from custloyalty.models._base import _fit_mle, compress
from custloyalty.models._beta_geo import _sample_summary

FHL = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.fixture(scope="module")
def bg_cdnow(cdnow_sample_summary: pd.DataFrame) -> BetaGeo:
    return BetaGeo().fit(cdnow_sample_summary)


def _model(params: dict[str, float] = FHL) -> BetaGeo:
    return BetaGeo.from_params(params)


@pytest.mark.reference
def test_cdnow_reference(bg_cdnow: BetaGeo) -> None:
    # Fader, Hardie & Lee (2005), Marketing Science 24(2), section 4: CDNOW 1/10 sample,
    # 2357 customers, 39-week calibration (to 1997-09-30) in weeks:
    # r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4.
    got = {k: round(v, 3) for k, v in bg_cdnow.params_.items()}
    assert got == FHL
    assert bg_cdnow.log_likelihood_ == pytest.approx(-9582.43, abs=0.01)
    assert bg_cdnow.n_obs_ == 2357
    assert bg_cdnow.converged_
    assert list(bg_cdnow.params_) == ["r", "alpha", "a", "b"]
    # standard errors are positive and finite
    assert all(np.isfinite(v) and v > 0 for v in bg_cdnow.standard_errors_.values())


@pytest.mark.reference
def test_cdnow_expected_purchases_new_reference(bg_cdnow: BetaGeo) -> None:
    # FHL (2005) eq. (9) evaluated directly with scipy's hyp2f1 (no Euler transform).
    r, alpha, a, b = (bg_cdnow.params_[k] for k in ("r", "alpha", "a", "b"))
    t = np.array([1.0, 39.0, 78.0])
    direct = (
        (a + b - 1)
        / (a - 1)
        * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, t / (alpha + t)))
    )
    np.testing.assert_allclose(bg_cdnow.expected_purchases_new(t), direct, rtol=1e-10)


def test_conditional_expectation_matches_direct_formula() -> None:
    bg = _model()
    r, alpha, a, b = FHL.values()
    x = np.array([0, 1, 2, 5, 10.0])
    tx = np.array([0, 5, 30, 35, 38.0])
    t_obs = np.full(5, 38.0)
    t = 39.0
    num = (a + b + x - 1) / (a - 1)
    num = num * (
        1
        - ((alpha + t_obs) / (alpha + t_obs + t)) ** (r + x)
        * special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + t_obs + t))
    )
    den = 1 + (x > 0) * a / (b + x - 1) * ((alpha + t_obs) / (alpha + tx)) ** (r + x)
    got = bg.expected_purchases(t, frequency=x, recency=tx, T=t_obs).to_numpy()
    np.testing.assert_allclose(got, num / den, rtol=1e-10)


def test_gradient_matches_finite_differences(cdnow_sample_summary: pd.DataFrame) -> None:
    s = cdnow_sample_summary
    rows, w, _ = compress(s["frequency"], s["recency"], s["T"])
    bg = BetaGeo()
    for x0 in (np.log([0.3, 4.0, 0.8, 2.5]), np.log([2.0, 0.5, 3.0, 0.3])):

        def f(x: np.ndarray) -> float:
            return bg._negll_and_grad(x, rows[:, 0], rows[:, 1], rows[:, 2], w)[0]

        grad = bg._negll_and_grad(x0, rows[:, 0], rows[:, 1], rows[:, 2], w)[1]
        np.testing.assert_allclose(grad, approx_fprime(x0, f, 1e-6), rtol=1e-4, atol=1e-3)


def test_predictions_aligned_and_named(
    bg_cdnow: BetaGeo, cdnow_sample_summary: pd.DataFrame
) -> None:
    s = cdnow_sample_summary
    p = bg_cdnow.p_alive(s)
    e = bg_cdnow.expected_purchases(10, s)
    assert p.name == "p_alive"
    assert e.name == "expected_purchases"
    assert p.index.equals(s.index)
    assert e.index.equals(s.index)
    # arrays give the same values
    arr = bg_cdnow.p_alive(frequency=s["frequency"], recency=s["recency"], T=s["T"])
    np.testing.assert_array_equal(arr.to_numpy(), p.to_numpy())
    # renamed columns
    renamed = s.rename(columns={"frequency": "f", "recency": "r", "T": "age"})
    again = bg_cdnow.p_alive(renamed, frequency="f", recency="r", T="age")
    np.testing.assert_array_equal(again.to_numpy(), p.to_numpy())


def test_expected_purchases_new_matches_pmf_mean() -> None:
    bg = _model()
    n = np.arange(0, 3000)
    pmf = bg.probability_of_n_purchases(39.0, n)
    assert isinstance(pmf, np.ndarray)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (pmf * n).sum() == pytest.approx(bg.expected_purchases_new(39.0), rel=1e-6)
    assert isinstance(bg.probability_of_n_purchases(3.0, 1), float)


def test_p_alive_closed_form() -> None:
    bg = _model()
    r, alpha, a, b = FHL.values()
    got = bg.p_alive(frequency=[3], recency=[20.0], T=[38.0]).iloc[0]
    want = 1 / (1 + a / (b + 3 - 1) * ((alpha + 38) / (alpha + 20)) ** (r + 3))
    assert got == pytest.approx(want, rel=1e-12)


def test_extreme_inputs_are_finite() -> None:
    # frequency in the thousands, T in the tens of thousands (days): no overflow, no NaN
    bg = _model()
    f = np.array([0, 1, 2500, 5000, 5000, 9000])
    r = np.array([0.0, 10.0, 20000.0, 29990.0, 30000.0, 45000.0])
    t = np.array([50000.0, 30000.0, 30000.0, 30000.0, 30000.0, 45000.0])
    for vals in (
        bg.p_alive(frequency=f, recency=r, T=t),
        bg.expected_purchases(365.0, frequency=f, recency=r, T=t),
    ):
        assert np.all(np.isfinite(vals.to_numpy()))
    e = bg.expected_purchases(365.0, frequency=f, recency=r, T=t).to_numpy()
    assert e[4] > 0  # a very frequent, recently active customer keeps buying
    t_obs = np.random.default_rng(2).uniform(1000, 30000, 3000)
    sim = _sample_summary({"r": 2.0, "alpha": 3.0, "a": 0.8, "b": 20.0}, t_obs, seed=1)
    assert sim["frequency"].max() > 5000
    fit = BetaGeo().fit(sim)
    assert np.isfinite(fit.log_likelihood_)
    assert fit.params_["r"] == pytest.approx(2.0, rel=0.1)
    assert fit.params_["b"] == pytest.approx(20.0, rel=0.3)


def test_simulated_parameters_recovered() -> None:
    sim = _sample_summary(FHL, np.full(100_000, 39.0), seed=1)
    fit = BetaGeo().fit(sim)
    for k, v in FHL.items():
        assert fit.params_[k] == pytest.approx(v, abs=4 * fit.standard_errors_[k])


def test_flat_likelihood_warns() -> None:
    # nobody repeats: the dropout parameters a and b do not enter the likelihood at all, so the
    # Hessian is singular whatever the optimiser does, and the fit must say so
    t = np.random.default_rng(0).uniform(10, 50, 400)
    zeros = np.zeros_like(t)
    with pytest.warns(ConvergenceWarning, match="BetaGeo: the likelihood is flat"):
        fit = BetaGeo().fit(frequency=zeros, recency=zeros, T=t)
    assert not fit.converged_
    assert np.isnan(fit.standard_errors_["a"])


summaries = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 50), min_size=n, max_size=n),
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.lists(st.floats(0.5, 500), min_size=n, max_size=n),
    )
)


@given(summaries, st.floats(0.0, 200.0), st.floats(0.0, 200.0))
def test_property_bounds_and_monotone(data: tuple, t1: float, t2: float) -> None:
    f, u, t = (np.asarray(v, dtype=float) for v in data)
    rec = np.where(f > 0, u * t, 0.0)
    bg = _model()
    p = bg.p_alive(frequency=f, recency=rec, T=t).to_numpy()
    assert np.all((p >= 0) & (p <= 1))
    assert np.all(p[f == 0] == 1.0)
    lo, hi = sorted((t1, t2))
    e_lo = bg.expected_purchases(lo, frequency=f, recency=rec, T=t).to_numpy()
    e_hi = bg.expected_purchases(hi, frequency=f, recency=rec, T=t).to_numpy()
    assert np.all(e_lo >= 0)
    assert np.all(e_hi >= e_lo - 1e-12)
    new = bg.expected_purchases_new(np.array([lo, hi]))
    assert isinstance(new, np.ndarray)
    assert new[0] >= 0
    assert new[1] >= new[0] - 1e-12


def test_compressed_weighted_fit_equals_expanded(cdnow_sample_summary: pd.DataFrame) -> None:
    s = cdnow_sample_summary
    rows, w, inv = compress(s["frequency"], s["recency"], s["T"])
    assert rows.shape[0] < len(s)
    np.testing.assert_array_equal(rows[inv], s[["frequency", "recency", "T"]].to_numpy())
    full = BetaGeo().fit(s)
    comp = BetaGeo().fit(frequency=rows[:, 0], recency=rows[:, 1], T=rows[:, 2], sample_weight=w)
    for k in full.params_:
        assert comp.params_[k] == pytest.approx(full.params_[k], rel=1e-6)
    assert comp.log_likelihood_ == pytest.approx(full.log_likelihood_, rel=1e-9)


@settings(max_examples=20)
@given(st.integers(0, 2**32 - 1))
def test_property_integer_weights_equal_repeated_rows(seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = _sample_summary(FHL, rng.uniform(20, 39, 600).round(), seed=seed)
    reps = rng.integers(1, 5, len(base))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = BetaGeo().fit(base, sample_weight=reps.astype(float))
    assume(weighted.converged_)  # a sample on a likelihood ridge has no unique maximum
    expanded = base.loc[base.index.repeat(reps)].sample(frac=1, random_state=1)
    plain = BetaGeo().fit(expanded)
    for k in plain.params_:
        assert weighted.params_[k] == pytest.approx(plain.params_[k], rel=1e-6)
    # the same maximum without any compression: the likelihood summed over expanded rows
    f, r, t = (expanded[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    ones = np.ones(f.shape[0])
    bg = BetaGeo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = _fit_mle(
            lambda x: bg._negll_and_grad(x, f, r, t, ones),
            bg._x0_log(f, r, t, ones),
            n_obs=f.shape[0],
            model="BetaGeo",
        )
    for k, v in zip(bg._param_names, fit.params, strict=True):
        assert weighted.params_[k] == pytest.approx(v, rel=1e-5)
    assert weighted.log_likelihood_ == pytest.approx(fit.log_likelihood, rel=1e-10)


def test_weights_of_ones_and_row_order(cdnow_sample_summary: pd.DataFrame) -> None:
    s = cdnow_sample_summary
    a = BetaGeo().fit(s)
    b = BetaGeo().fit(s.iloc[::-1], sample_weight=np.ones(len(s)))
    assert a.params_ == pytest.approx(b.params_, rel=1e-9)


def test_round_trip_json(bg_cdnow: BetaGeo, cdnow_sample_summary: pd.DataFrame) -> None:
    d = json.loads(json.dumps(bg_cdnow.to_dict()))
    assert d["kind"] == "BetaGeo"
    assert set(d) >= {"params", "log_likelihood", "standard_errors", "n_obs", "converged"}
    again = BetaGeo.from_dict(d)
    assert again.params_ == bg_cdnow.params_
    assert again.log_likelihood_ == bg_cdnow.log_likelihood_
    pd.testing.assert_series_equal(
        again.p_alive(cdnow_sample_summary), bg_cdnow.p_alive(cdnow_sample_summary)
    )
    assert "BetaGeo(r=0.2426" in repr(bg_cdnow)
    assert list(bg_cdnow.summary.columns) == ["estimate", "se", "ci_low", "ci_high"]


def test_not_fitted() -> None:
    bg = BetaGeo()
    assert repr(bg) == "BetaGeo(not fitted)"
    with pytest.raises(NotFittedError, match="not fitted"):
        bg.p_alive(frequency=[1], recency=[1.0], T=[2.0])
    with pytest.raises(NotFittedError):
        bg.expected_purchases_new(1.0)
    with pytest.raises(NotFittedError):
        bg.to_dict()


def test_from_dict_rejects_bad_params() -> None:
    with pytest.raises(ValidationError, match="exactly the keys"):
        BetaGeo.from_params({"r": 1.0})
    with pytest.raises(ValidationError, match="kind 'GammaGamma'"):
        BetaGeo.from_dict(GammaGamma.from_params({"p": 6.25, "q": 3.7, "v": 15.4}).to_dict())
    with pytest.raises(ValidationError, match=r"must be finite and >= 9\.3"):
        BetaGeo.from_params({**FHL, "a": -1.0})


def test_validation_messages() -> None:
    bad = pd.DataFrame({"frequency": [1, -1, 2.5], "recency": [1.0, 0.0, 1.0], "T": [2.0] * 3})
    with pytest.raises(ValidationError, match=r"'frequency' has 2 negative or non-integer"):
        BetaGeo().fit(bad)
    bad = pd.DataFrame({"frequency": [1, 1], "recency": [3.0, 1.0], "T": [2.0, 2.0]})
    with pytest.raises(ValidationError, match=r"'recency' has 1 greater-than-T value \(rows 0\)"):
        BetaGeo().fit(bad)
    bad = pd.DataFrame({"frequency": [1, 1], "recency": [0.0, 0.0], "T": [0.0, 2.0]})
    with pytest.raises(ValidationError, match="'T' has 1 non-positive"):
        BetaGeo().fit(bad)
    with pytest.raises(ValidationError, match="not found"):
        BetaGeo().fit(pd.DataFrame({"freq": [1], "recency": [0.0], "T": [1.0]}))
    with pytest.raises(ValidationError, match="same length"):
        BetaGeo().fit(frequency=[1, 2], recency=[0.0], T=[1.0])
    with pytest.raises(ValidationError, match="needs a customer summary"):
        BetaGeo().fit()
    with pytest.raises(ValidationError, match="negative values"):
        BetaGeo().fit(frequency=[1, 2], recency=[0.0, 1.0], T=[1.0, 2.0], sample_weight=[1, -1])
    with pytest.raises(ValidationError, match="horizon must be >= 0"):
        _model().expected_purchases(-1, frequency=[1], recency=[0.0], T=[1.0])


def test_nan_policy_omit_and_input_untouched() -> None:
    df = _sample_summary(FHL, np.full(500, 39.0), seed=3)
    df["frequency"] = df["frequency"].astype(float)
    df.loc[[3, 7], "frequency"] = np.nan
    before = df.copy()
    with pytest.raises(ValidationError, match=r"'frequency' has 2 missing \(NaN\) values"):
        BetaGeo().fit(df)
    fit = BetaGeo().fit(df, nan_policy="omit")
    assert fit.n_obs_ == 498
    ref = BetaGeo().fit(df.drop(index=[3, 7]))
    assert fit.params_ == pytest.approx(ref.params_, rel=1e-9)
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.reference
def test_cdnow_standard_errors(
    bg_cdnow: BetaGeo, cdnow_sample_summary: pd.DataFrame, natural_se: Callable
) -> None:
    # Reference: inverse of the central-difference Hessian of the BG/NBD negative
    # log-likelihood in the natural parameters (r, alpha, a, b) at the CDNOW estimates, from
    # an independent implementation of FHL (2005) eq. 6 (tests/reference/standard_errors.py):
    # se r 0.0126, alpha 0.378, a 0.186, b 0.705. A wrong scale (log-parameter SEs, a missing
    # Jacobian or n_obs factor) is off by far more than 1%.
    want = {"r": 0.0126, "alpha": 0.378, "a": 0.186, "b": 0.705}
    assert bg_cdnow.standard_errors_ == pytest.approx(want, rel=1e-2)
    # the same computation, here: finite differences of the model's own likelihood values
    s = cdnow_sample_summary
    rows, w, _ = compress(s["frequency"], s["recency"], s["T"])
    f, r, t = (rows[:, k].copy() for k in range(3))
    theta = np.array([bg_cdnow.params_[k] for k in want])

    def nll(p: np.ndarray) -> float:
        return BetaGeo()._negll_and_grad(np.log(p), f, r, t, w)[0]

    got = np.array([bg_cdnow.standard_errors_[k] for k in want])
    np.testing.assert_allclose(got, natural_se(nll, theta), rtol=1e-3)
    se = bg_cdnow.summary["se"]
    np.testing.assert_allclose(se.to_numpy(), got)


def test_prediction_nan_policy() -> None:
    bg = _model()
    f, r, t = [1.0, np.nan, 2.0], [1.0, 1.0, 5.0], [2.0, 2.0, 10.0]
    with pytest.raises(ValidationError, match=r"'frequency' has 1 missing \(NaN\) value"):
        bg.p_alive(frequency=f, recency=r, T=t)
    p = bg.p_alive(frequency=f, recency=r, T=t, nan_policy="omit")
    assert p.isna().tolist() == [False, True, False]
    want = bg.p_alive(frequency=[1.0, 2.0], recency=[1.0, 5.0], T=[2.0, 10.0]).to_numpy()
    np.testing.assert_array_equal(p.to_numpy()[[0, 2]], want)
    df = pd.DataFrame({"frequency": f, "recency": r, "T": t}, index=list("abc"))
    e = bg.expected_purchases(10, df, nan_policy="omit")
    assert e.index.tolist() == ["a", "b", "c"]
    assert e.isna().tolist() == [False, True, False]
    # a missing horizon: raise with the hint, or NaN for that customer
    ok = {"frequency": [1, 2], "recency": [1.0, 5.0], "T": [2.0, 10.0]}
    with pytest.raises(
        ValidationError, match=r"horizon has 1 missing value.*\n.*nan_policy='omit'"
    ):
        bg.expected_purchases([1.0, np.nan], **ok)
    e = bg.expected_purchases([1.0, np.nan], **ok, nan_policy="omit")
    assert e.isna().tolist() == [False, True]
    assert e.iloc[0] == bg.expected_purchases(1.0, **ok).iloc[0]
    # functions without nan_policy do not suggest it
    with pytest.raises(ValidationError, match="horizon has 1 missing value") as info:
        bg.expected_purchases_new([1.0, np.nan])
    assert "nan_policy" not in str(info.value)
    with pytest.raises(ValidationError, match="'nan_policy' parameter"):
        bg.p_alive(frequency=[1], recency=[1.0], T=[2.0], nan_policy="drop")


def test_recency_must_be_zero_without_repeat_purchase() -> None:
    # recency is the time of the last *repeat* purchase: 0 when frequency is 0
    bad = pd.DataFrame(
        {"frequency": [0, 0, 1, 0], "recency": [5.0, 0.0, 1.0, 2.5], "T": [10.0] * 4},
        index=["a", "b", "c", "d"],
    )
    pattern = r"Column 'recency' has 2 non-zero values where 'frequency' is 0 \(rows a, d\): 5.0"
    with pytest.raises(ValidationError, match=pattern):
        BetaGeo().fit(bad)
    with pytest.raises(ValidationError, match=pattern):
        _model().p_alive(bad)
    with pytest.raises(ValidationError, match="non-zero value where 'frequency' is 0"):
        _model().expected_purchases(1.0, frequency=[0], recency=[5.0], T=[10.0])


def test_missing_weights_follow_nan_policy() -> None:
    df = _sample_summary(FHL, np.full(300, 39.0), seed=4)
    w = np.ones(len(df))
    w[5] = np.nan
    with pytest.raises(ValidationError, match=r"sample_weight has 1 missing value.*\n.*nan_policy"):
        BetaGeo().fit(df, sample_weight=w)
    fit = BetaGeo().fit(df, sample_weight=w, nan_policy="omit")
    assert fit.n_obs_ == 299
    ref = BetaGeo().fit(df.drop(index=5))
    assert fit.params_ == pytest.approx(ref.params_, rel=1e-9)
    col = df.assign(w=w)
    assert BetaGeo().fit(col, sample_weight="w", nan_policy="omit").params_ == pytest.approx(
        ref.params_, rel=1e-9
    )


def test_extreme_parameters_from_its_own_fit_are_finite() -> None:
    # issue 13.5: a fit on a base where nobody drops out returns a ~ 3e9, b ~ 1e13; the
    # predictions tend to the no-dropout (NBD) limits instead of NaN
    hist = {"frequency": [0, 3, 20], "recency": [0.0, 20.0, 29.0], "T": [30.0] * 3}
    r, alpha = 0.5, 5.0
    x, t_obs = np.array([0.0, 3.0, 20.0]), 30.0
    nbd = (r + x) * 10.0 / (alpha + t_obs)  # E[Y(10)] without dropout
    previous = None
    for a, b in [(3e3, 1e4), (3e5, 1e7), (3e7, 1e10), (3e9, 1e13)]:
        m = BetaGeo.from_params({"r": r, "alpha": alpha, "a": a, "b": b})
        e = m.expected_purchases(10.0, **hist).to_numpy()
        alive = m.p_alive(**hist).to_numpy()
        assert np.all(np.isfinite(e))
        assert np.all(np.isfinite(alive))
        assert np.all(e <= nbd * (1 + 1e-12))  # dropout only lowers the expectation
        if previous is not None:
            assert np.all(e >= previous - 1e-9)  # rarer dropout: more purchases
        previous = e
    np.testing.assert_allclose(previous, nbd * alive, rtol=2e-3)
    new = m.expected_purchases_new([0.0, 10.0, 100.0])
    # about 20 purchases at a dropout probability of 3e-4 each: within 1% of r t / alpha
    np.testing.assert_allclose(new, r * np.array([0.0, 10.0, 100.0]) / alpha, rtol=1e-2)
    pmf = m.probability_of_n_purchases(10.0, np.arange(200))
    assert np.all(np.isfinite(pmf))
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)


def test_quadrature_form_matches_hypergeometric_form() -> None:
    from custloyalty.models._beta_geo import _conditional_factor, _conditional_factor_quadrature

    x = np.array([0.0, 1.0, 3.0, 20.0, 200.0])
    t_obs = np.full(5, 30.0)
    for a, b in [(1.5, 60.0), (30.0, 100.0), (900.0, 5000.0)]:
        t = np.full(5, 12.0)
        want = _conditional_factor(0.6, 4.0, a, b, x, t_obs, t)
        got = _conditional_factor_quadrature(0.6, 4.0, a, b, x, t_obs, t)
        np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize(
    "params",
    [
        {"r": 1e13, "alpha": 1.0, "a": 9.4e-14, "b": 1.0},
        {"r": 1.0, "alpha": 1e13, "a": 1e13, "b": 9.4e-14},
        {"r": 9.4e-14, "alpha": 9.4e-14, "a": 1e13, "b": 9.4e-14},
    ],
)
def test_predictions_finite_at_corners_of_the_fit_range(params: dict[str, float]) -> None:
    # issue 13: the quadrature's standard deviation lost 1 - mu (b ~ 1e-13 next to a ~ 1e13)
    # and its integrand was 0/0 where p underflowed (a ~ 1e-13): NaN for every customer
    m = BetaGeo.from_params(params)
    hist = {"frequency": [0, 1, 5], "recency": [0.0, 10.0, 30.0], "T": [38.0] * 3}
    e = m.expected_purchases(10, **hist).to_numpy()
    assert np.all(np.isfinite(e) & (e >= 0))
    assert np.all(np.isfinite(m.expected_purchases_new([0.0, 10.0])))


def test_no_dropout_limit_at_tiny_a() -> None:
    # a -> 0: nobody drops out, a new customer buys r h / alpha in expectation (NBD)
    m = BetaGeo.from_params({**FHL, "a": 1e-13})
    np.testing.assert_allclose(
        m.expected_purchases_new([1.0, 1e6]),
        np.array([1.0, 1e6]) * FHL["r"] / FHL["alpha"],
        rtol=1e-6,
    )

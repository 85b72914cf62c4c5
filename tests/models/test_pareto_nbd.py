"""Tests of the Pareto/NBD model."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats
from scipy.optimize import approx_fprime

from custloyalty.errors import NotFittedError, ValidationError
from custloyalty.models import _pareto_nbd as pnbd_module
from custloyalty.models._base import compress
from custloyalty.models._pareto_nbd import (
    ParetoNBD,
    _continued_fraction,
    _hyp2f1_one,
    _loglik,
)

FHL = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


@pytest.fixture(scope="module")
def pnbd_cdnow(cdnow_sample_summary: pd.DataFrame) -> ParetoNBD:
    return ParetoNBD().fit(cdnow_sample_summary)


def _model(params: dict[str, float] = FHL) -> ParetoNBD:
    return ParetoNBD.from_params(params)


def _sample_summary(params: dict[str, float], T: np.ndarray, *, seed: int) -> pd.DataFrame:
    """Draw summaries from the Pareto/NBD process: x = N(min(tau, T)), t_x = last of them."""
    rng = np.random.default_rng(seed)
    t = np.asarray(T, dtype=float)
    n = t.shape[0]
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    mu = rng.gamma(params["s"], 1.0 / params["beta"], n)
    tau = rng.exponential(1.0 / mu)
    span = np.minimum(tau, t)
    x = rng.poisson(lam * span)
    tx = np.zeros(n)
    pos = x > 0
    tx[pos] = span[pos] * rng.beta(x[pos], 1.0)  # max of x uniforms on (0, span)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": t})


def _direct_loglik(p: dict[str, float], x: float, tx: float, t: float) -> float:
    """FHL (2005b) eq. (22) with A0 as the integral a * int_tx^T (a+y)^-(r+x) (b+y)^-(s+1)."""
    r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
    # integrand scaled by its value at tx (it is decreasing) so that nothing underflows
    log0 = -(r + x) * np.log(alpha + tx) - (s + 1) * np.log(beta + tx)

    m = min(alpha, beta)  # integrated over u = log(m + y): smooth even for tiny alpha or beta

    def f(u: float) -> float:
        y = np.exp(u) - m
        return float(np.exp(u - (r + x) * np.log(alpha + y) - (s + 1) * np.log(beta + y) - log0))

    integral = integrate.quad(f, np.log(m + tx), np.log(m + t), epsabs=0, epsrel=1e-13, limit=200)[
        0
    ]
    first = np.exp(-(r + x) * np.log(alpha + t) - s * np.log(beta + t) - log0)
    log_b = log0 + np.log(first + s * integral)
    const = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return float(const + log_b)


@pytest.mark.reference
def test_cdnow_reference(pnbd_cdnow: ParetoNBD) -> None:
    # Fader, Hardie & Lee (2005), "A note on deriving the Pareto/NBD model and related
    # expressions" (and "Counting your customers the easy way", Marketing Science 24(2),
    # Table 2): CDNOW 1/10 sample, 2357 customers, 39-week calibration in weeks:
    # r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9594.98.
    got = {k: round(v, 3) for k, v in pnbd_cdnow.params_.items()}
    assert got == FHL
    assert pnbd_cdnow.log_likelihood_ == pytest.approx(-9594.98, abs=0.01)
    assert pnbd_cdnow.n_obs_ == 2357
    assert pnbd_cdnow.converged_
    assert list(pnbd_cdnow.params_) == ["r", "alpha", "s", "beta"]
    assert all(np.isfinite(v) and v > 0 for v in pnbd_cdnow.standard_errors_.values())


@pytest.mark.reference
def test_cdnow_predictions_match_lifetimes(pnbd_cdnow: ParetoNBD) -> None:
    # lifetimes 0.11.3 ParetoNBDFitter with params_ set to this model's estimates:
    # conditional_probability_alive([0, 2, 2], [0, 30, 5], [38] * 3) -> [0.300, 0.875, 0.137]
    # conditional_expected_number_of_purchases_up_to_time(39, [0, 2], [0, 30], [38, 38])
    #   -> [0.11, 1.49]; expected_number_of_purchases_up_to_time([39, 78]) -> [1.213, 1.910]
    hist = {"frequency": [0, 2, 2], "recency": [0.0, 30.0, 5.0], "T": [38.0] * 3}
    p = pnbd_cdnow.p_alive(**hist).to_numpy()
    np.testing.assert_allclose(p, [0.300, 0.875, 0.137], atol=5e-4)
    e = pnbd_cdnow.expected_purchases(39, **hist).to_numpy()
    np.testing.assert_allclose(e[:2], [0.11, 1.49], atol=5e-3)
    new = pnbd_cdnow.expected_purchases_new(np.array([39.0, 78.0]))
    np.testing.assert_allclose(new, [1.213, 1.910], atol=5e-4)


@pytest.mark.parametrize(
    "params",
    [
        FHL,
        {"r": 0.553, "alpha": 15.0, "s": 0.606, "beta": 3.0},
        {"r": 2.0, "alpha": 1.0, "s": 0.3, "beta": 40.0},
        # the boundary of a base where nobody drops out (issue 13.7), and r at an integer,
        # where both terms of the series at infinity have a cancelling pole
        {"r": 2.26, "alpha": 74.7, "s": 2.9e-8, "beta": 1.37e9},
        {"r": 1.0, "alpha": 205.0, "s": 6.6e-5, "beta": 9.3e7},
        {"r": 0.5, "alpha": 1e-4, "s": 0.6, "beta": 1e6},
        {"r": 0.8, "alpha": 3e5, "s": 1.0, "beta": 0.02},
    ],
)
def test_loglik_matches_integral_definition(params: dict[str, float]) -> None:
    rows = [(0, 0.0, 39.0), (1, 5.0, 39.0), (5, 30.0, 38.0), (10, 38.0, 38.0), (3, 37.999, 38.0)]
    rows += [(300, 290.0, 300.0), (2500, 20000.0, 30000.0), (0, 0.0, 30000.0)]
    x, tx, t = (np.array(v, dtype=float) for v in zip(*rows, strict=True))
    got = np.real(_loglik(tuple(params.values()), x, tx, t))
    want = [_direct_loglik(params, *row) for row in rows]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_continued_fraction_matches_scipy_where_scipy_is_reliable() -> None:
    rng = np.random.default_rng(0)
    b = rng.uniform(0.05, 20, 200)
    c = b + rng.uniform(0.05, 20, 200)
    kappa = rng.uniform(0, 0.9, 200)
    np.testing.assert_allclose(
        _hyp2f1_one(b, c, kappa), special.hyp2f1(1.0, b, c, -kappa), rtol=1e-12
    )
    # large kappa, against the Pfaff transform 2F1(1, b; c; -k) = 2F1(1, c-b; c; k/(1+k))/(1+k)
    k = np.array([5.0, 50.0, 5000.0])
    want = special.hyp2f1(1.0, 1.5 - 0.7, 1.5, k / (1 + k)) / (1 + k)
    np.testing.assert_allclose(_hyp2f1_one(0.7, 1.5, k), want, rtol=1e-10)


def test_gradient_matches_finite_differences(cdnow_sample_summary: pd.DataFrame) -> None:
    s = cdnow_sample_summary
    rows, w, _ = compress(s["frequency"], s["recency"], s["T"])
    m = ParetoNBD()
    for x0 in (np.log([0.5, 10.0, 0.6, 12.0]), np.log([2.0, 0.5, 3.0, 0.3])):

        def f(x: np.ndarray) -> float:
            return m._negll_and_grad(x, rows[:, 0], rows[:, 1], rows[:, 2], w)[0]

        grad = m._negll_and_grad(x0, rows[:, 0], rows[:, 1], rows[:, 2], w)[1]
        np.testing.assert_allclose(grad, approx_fprime(x0, f, 1e-6), rtol=1e-4, atol=1e-3)


def test_p_alive_closed_form_recent_buyer() -> None:
    m = _model()
    # a customer whose last purchase is at T: A0 = 0, so P(alive) = 1
    assert m.p_alive(frequency=[4], recency=[38.0], T=[38.0]).iloc[0] == pytest.approx(1.0)
    # no repeat purchase and alpha ~ beta: closed form with A0 = a/(s+... ) via the integral
    p = m.p_alive(frequency=[0], recency=[0.0], T=[38.0]).iloc[0]
    r, alpha, s, beta = FHL.values()
    first = (alpha + 38) ** -r * (beta + 38) ** -s
    integral = integrate.quad(lambda y: (alpha + y) ** -r * (beta + y) ** -(s + 1), 0, 38)[0]
    assert p == pytest.approx(first / (first + s * integral), rel=1e-10)


def test_predictions_aligned_and_named(
    pnbd_cdnow: ParetoNBD, cdnow_sample_summary: pd.DataFrame
) -> None:
    s = cdnow_sample_summary
    p = pnbd_cdnow.p_alive(s)
    e = pnbd_cdnow.expected_purchases(10, s)
    assert p.name == "p_alive"
    assert e.name == "expected_purchases"
    assert p.index.equals(s.index)
    assert e.index.equals(s.index)
    arr = pnbd_cdnow.p_alive(frequency=s["frequency"], recency=s["recency"], T=s["T"])
    np.testing.assert_array_equal(arr.to_numpy(), p.to_numpy())
    renamed = s.rename(columns={"frequency": "f", "recency": "r", "T": "age"})
    again = pnbd_cdnow.p_alive(renamed, frequency="f", recency="r", T="age")
    np.testing.assert_array_equal(again.to_numpy(), p.to_numpy())
    # one horizon per customer
    per = pnbd_cdnow.expected_purchases(np.full(len(s), 10.0), s)
    np.testing.assert_allclose(per.to_numpy(), e.to_numpy())
    # conditional expectation summed over the sample is close to the unconditional one
    # evaluated at each customer's age (same model, same data)
    assert float(e.sum()) > 0


def test_s_equal_one_is_continuous() -> None:
    hist = {"frequency": [0, 3], "recency": [0.0, 20.0], "T": [38.0, 38.0]}
    vals = [
        _model({**FHL, "s": s}).expected_purchases(39.0, **hist).to_numpy()
        for s in (1 - 1e-7, 1.0, 1 + 1e-7)
    ]
    np.testing.assert_allclose(vals[0], vals[1], rtol=1e-6)
    np.testing.assert_allclose(vals[2], vals[1], rtol=1e-6)
    new = _model({**FHL, "s": 1.0}).expected_purchases_new(39.0)
    assert new == pytest.approx(FHL["r"] * FHL["beta"] / FHL["alpha"] * np.log1p(39 / FHL["beta"]))


def test_extreme_inputs_are_finite() -> None:
    # frequency in the thousands, T in the tens of thousands (days): no overflow, no NaN,
    # for both branches (alpha >= beta and alpha < beta) and a large alpha/beta ratio
    f = np.array([0, 1, 2500, 5000, 5000, 9000])
    r = np.array([0.0, 10.0, 20000.0, 29990.0, 30000.0, 45000.0])
    t = np.array([50000.0, 30000.0, 30000.0, 30000.0, 30000.0, 45000.0])
    for params in (
        FHL,
        {"r": 0.553, "alpha": 80.0, "s": 0.606, "beta": 3.0},
        {"r": 0.553, "alpha": 2.0, "s": 0.606, "beta": 900.0},
        {"r": 2.0, "alpha": 5000.0, "s": 3.0, "beta": 0.05},
    ):
        m = _model(params)
        p = m.p_alive(frequency=f, recency=r, T=t).to_numpy()
        e = m.expected_purchases(365.0, frequency=f, recency=r, T=t).to_numpy()
        assert np.all(np.isfinite(p))
        assert np.all((p >= 0) & (p <= 1))
        assert np.all(np.isfinite(e))
        assert np.all(e >= 0)
        assert p[4] == pytest.approx(1.0)  # last purchase at T
        assert p[3] > p[2]  # more frequent and more recent: more likely alive
        ll = np.real(_loglik(tuple(params.values()), f.astype(float), r, t))
        assert np.all(np.isfinite(ll))
    # a simulated data set with frequencies in the thousands is fitted
    sim = _sample_summary(
        {"r": 2.0, "alpha": 3.0, "s": 0.5, "beta": 2000.0}, np.full(3000, 20000.0), seed=1
    )
    assert sim["frequency"].max() > 5000
    fit = ParetoNBD().fit(sim)
    assert np.isfinite(fit.log_likelihood_)
    assert fit.params_["r"] == pytest.approx(2.0, rel=0.15)


def test_simulated_parameters_recovered() -> None:
    sim = _sample_summary(FHL, np.full(40_000, 39.0), seed=5)
    fit = ParetoNBD().fit(sim)
    for k, v in FHL.items():
        assert fit.params_[k] == pytest.approx(v, abs=4 * fit.standard_errors_[k])


summaries = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 50), min_size=n, max_size=n),
        st.lists(st.floats(0, 1), min_size=n, max_size=n),
        st.lists(st.floats(0.5, 500), min_size=n, max_size=n),
    )
)
params_st = st.fixed_dictionaries({k: st.floats(0.05, 50.0) for k in ("r", "alpha", "s", "beta")})


@settings(max_examples=40)
@given(summaries, st.floats(0.0, 200.0), st.floats(0.0, 200.0), params_st)
def test_property_bounds_and_monotone(data: tuple, t1: float, t2: float, params: dict) -> None:
    f, u, t = (np.asarray(v, dtype=float) for v in data)
    rec = np.where(f > 0, u * t, 0.0)
    m = _model(params)
    p = m.p_alive(frequency=f, recency=rec, T=t).to_numpy()
    assert np.all((p >= 0) & (p <= 1))
    lo, hi = sorted((t1, t2))
    e_lo = m.expected_purchases(lo, frequency=f, recency=rec, T=t).to_numpy()
    e_hi = m.expected_purchases(hi, frequency=f, recency=rec, T=t).to_numpy()
    assert np.all(e_lo >= 0)
    assert np.all(e_hi >= e_lo * (1 - 1e-12))
    new = m.expected_purchases_new(np.array([lo, hi]))
    assert isinstance(new, np.ndarray)
    assert new[0] >= 0
    assert new[1] >= new[0] * (1 - 1e-12)


def test_compressed_weighted_fit_equals_expanded(
    cdnow_sample_summary: pd.DataFrame, pnbd_cdnow: ParetoNBD
) -> None:
    s = cdnow_sample_summary
    rows, w, _ = compress(s["frequency"], s["recency"], s["T"])
    assert rows.shape[0] < len(s)
    comp = ParetoNBD().fit(frequency=rows[:, 0], recency=rows[:, 1], T=rows[:, 2], sample_weight=w)
    for k in pnbd_cdnow.params_:
        assert comp.params_[k] == pytest.approx(pnbd_cdnow.params_[k], rel=1e-6)
    assert comp.log_likelihood_ == pytest.approx(pnbd_cdnow.log_likelihood_, rel=1e-9)


@settings(max_examples=4)
@given(st.integers(0, 2**32 - 1))
def test_property_integer_weights_equal_repeated_rows(
    cdnow_sample_summary: pd.DataFrame, seed: int
) -> None:
    # CDNOW rows (where s and beta are identified; small simulated samples put them on the
    # ridge s, beta -> infinity with s / beta fixed), each repeated 1 to 3 times
    rng = np.random.default_rng(seed)
    base = cdnow_sample_summary.sample(1500, random_state=seed % 2**31)
    reps = rng.integers(1, 4, len(base))
    weighted = ParetoNBD().fit(base, sample_weight=reps.astype(float))
    expanded = base.loc[base.index.repeat(reps)].sample(frac=1, random_state=1)
    plain = ParetoNBD().fit(expanded)
    for k in plain.params_:
        assert weighted.params_[k] == pytest.approx(plain.params_[k], rel=1e-5)
    assert weighted.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-9)


def test_weights_of_ones_and_row_order(
    cdnow_sample_summary: pd.DataFrame, pnbd_cdnow: ParetoNBD
) -> None:
    s = cdnow_sample_summary
    again = ParetoNBD().fit(s.iloc[::-1], sample_weight=np.ones(len(s)))
    assert again.params_ == pytest.approx(pnbd_cdnow.params_, rel=1e-9)
    shuffled = s.sample(frac=1, random_state=7)
    p = pnbd_cdnow.p_alive(shuffled)
    pd.testing.assert_series_equal(p.loc[s.index], pnbd_cdnow.p_alive(s))


def test_round_trip_json(pnbd_cdnow: ParetoNBD, cdnow_sample_summary: pd.DataFrame) -> None:
    d = json.loads(json.dumps(pnbd_cdnow.to_dict()))
    assert d["kind"] == "ParetoNBD"
    again = ParetoNBD.from_dict(d)
    assert again.params_ == pnbd_cdnow.params_
    assert again.log_likelihood_ == pnbd_cdnow.log_likelihood_
    s = cdnow_sample_summary
    pd.testing.assert_series_equal(again.p_alive(s), pnbd_cdnow.p_alive(s))
    pd.testing.assert_series_equal(
        again.expected_purchases(52, s), pnbd_cdnow.expected_purchases(52, s)
    )
    assert again.expected_purchases_new(39.0) == pnbd_cdnow.expected_purchases_new(39.0)
    assert "ParetoNBD(r=0.5533" in repr(pnbd_cdnow)


def test_not_fitted_and_bad_dicts() -> None:
    m = ParetoNBD()
    assert repr(m) == "ParetoNBD(not fitted)"
    with pytest.raises(NotFittedError, match="not fitted"):
        m.p_alive(frequency=[1], recency=[1.0], T=[2.0])
    with pytest.raises(NotFittedError):
        m.expected_purchases_new(1.0)
    with pytest.raises(ValidationError, match="exactly the keys"):
        ParetoNBD.from_params({"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0})
    saved_bg = {**ParetoNBD.from_params(FHL).to_dict(), "kind": "BetaGeo"}
    with pytest.raises(ValidationError, match="kind 'BetaGeo', not 'ParetoNBD'"):
        ParetoNBD.from_dict(saved_bg)


def test_validation_and_nan_policy() -> None:
    with pytest.raises(ValidationError, match="horizon must be >= 0"):
        _model().expected_purchases(-1, frequency=[1], recency=[0.0], T=[1.0])
    with pytest.raises(ValidationError, match="one value per customer"):
        _model().expected_purchases(
            [1.0, 2.0, 3.0], frequency=[1, 2], recency=[0.0, 1.0], T=[1.0, 2.0]
        )
    bad = pd.DataFrame({"frequency": [1, 1], "recency": [3.0, 1.0], "T": [2.0, 2.0]})
    with pytest.raises(ValidationError, match="greater-than-T"):
        ParetoNBD().fit(bad)
    df = _sample_summary(FHL, np.full(400, 39.0), seed=3)
    df["frequency"] = df["frequency"].astype(float)
    df.loc[[3, 7], "frequency"] = np.nan
    before = df.copy()
    fit = ParetoNBD().fit(df, nan_policy="omit")
    assert fit.n_obs_ == 398
    pd.testing.assert_frame_equal(df, before)


def _pmf_by_quad(params: dict[str, float], t: float, n: int) -> float:
    """P(X(t) = n) from its definition: NB mixed over the exponential-gamma lifetime."""
    r, alpha, s, beta = params["r"], params["alpha"], params["s"], params["beta"]

    def dead(tau: float) -> float:
        nb = stats.nbinom.pmf(n, r, alpha / (alpha + tau))
        return float(nb * s * beta**s * (beta + tau) ** (-(s + 1)))

    alive = (beta / (beta + t)) ** s * stats.nbinom.pmf(n, r, alpha / (alpha + t))
    return float(alive + integrate.quad(dead, 0, t, epsabs=0, epsrel=1e-12, limit=400)[0])


@pytest.mark.parametrize(
    "params",
    [
        FHL,
        {"r": 2.0, "alpha": 1.0, "s": 0.3, "beta": 40.0},
        {"r": 0.5, "alpha": 74.0, "s": 0.4, "beta": 0.5},
        {"r": 0.2, "alpha": 3.0, "s": 0.1, "beta": 0.01},
    ],
)
def test_probability_of_n_purchases(params: dict[str, float]) -> None:
    m = _model(params)
    for t in (1.0, 39.0, 5000.0):
        ns = np.array([0, 1, 2, 5, 20, 100])
        want = [_pmf_by_quad(params, t, int(k)) for k in ns]
        np.testing.assert_allclose(m.probability_of_n_purchases(t, ns), want, rtol=1e-9)
    n = np.arange(0, 20_000)
    pmf = m.probability_of_n_purchases(39.0, n)
    assert isinstance(pmf, np.ndarray)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-9)
    assert (pmf * n).sum() == pytest.approx(m.expected_purchases_new(39.0), rel=1e-8)
    assert isinstance(m.probability_of_n_purchases(3.0, 1), float)
    np.testing.assert_array_equal(m.probability_of_n_purchases(0.0, [0, 1]), [1.0, 0.0])
    with pytest.raises(ValidationError, match="n must hold integers"):
        m.probability_of_n_purchases(3.0, 1.5)
    with pytest.raises(ValidationError, match="horizon must be finite"):
        m.probability_of_n_purchases(-1.0, 1)


@pytest.mark.reference
def test_cdnow_standard_errors(
    pnbd_cdnow: ParetoNBD, cdnow_sample_summary: pd.DataFrame, natural_se: Callable
) -> None:
    # Reference: inverse of the central-difference Hessian of the negative log-likelihood in
    # the natural parameters (r, alpha, s, beta) at the CDNOW estimates
    # (tests/reference/standard_errors.py, whose likelihood integrates FH 2005b eq. 18
    # numerically instead of using eq. 22's closed form):
    # se r 0.0476, alpha 0.843, s 0.187, beta 6.21.
    want = {"r": 0.0476, "alpha": 0.843, "s": 0.187, "beta": 6.21}
    assert pnbd_cdnow.standard_errors_ == pytest.approx(want, rel=1e-2)
    s = cdnow_sample_summary
    rows, w, _ = compress(s["frequency"], s["recency"], s["T"])
    f, r, t = (rows[:, k].copy() for k in range(3))
    theta = np.array([pnbd_cdnow.params_[k] for k in want])

    def nll(p: np.ndarray) -> float:
        return -float(np.sum(w * np.real(_loglik(tuple(p), f, r, t))))

    got = np.array([pnbd_cdnow.standard_errors_[k] for k in want])
    np.testing.assert_allclose(got, natural_se(nll, theta), rtol=1e-3)


def test_prediction_nan_policy_and_recency_rule() -> None:
    m = _model()
    df = pd.DataFrame(
        {"frequency": [2.0, 1.0, 0.0], "recency": [30.0, np.nan, 0.0], "T": [38.0] * 3}
    )
    with pytest.raises(ValidationError, match=r"'recency' has 1 missing \(NaN\) value"):
        m.p_alive(df)
    p = m.p_alive(df, nan_policy="omit")
    assert p.isna().tolist() == [False, True, False]
    np.testing.assert_array_equal(p.to_numpy()[[0, 2]], m.p_alive(df.drop(index=1)).to_numpy())
    e = m.expected_purchases([39.0, 39.0, np.nan], df, nan_policy="omit")
    assert e.isna().tolist() == [False, True, True]
    # Pareto/NBD's P(alive) uses recency even without repeat purchase: a non-zero value there
    # would change it silently, so it is rejected
    with pytest.raises(ValidationError, match="'recency' has 1 non-zero value where 'frequency'"):
        m.p_alive(frequency=[0], recency=[5.0], T=[10.0])


def test_extreme_parameters_bounded_and_accurate() -> None:
    # alpha / beta ~ 1e-10: the continued fraction alone would need ~sqrt(1e10) terms for a
    # customer without repeat purchase; the series at infinity takes over, no warning
    extreme = {"r": 0.5, "alpha": 1e-4, "s": 0.6, "beta": 1e6}
    hist = {"frequency": [0, 3], "recency": [0.0, 10.0], "T": [39.0, 39.0]}
    m = _model(extreme)
    p = m.p_alive(**hist).to_numpy()
    f, r, t = (np.asarray(v, dtype=float) for v in hist.values())
    lp_t = -(0.5 + f) * np.log(1e-4 + t) - 0.6 * np.log(1e6 + t)
    ll = np.real(_loglik(tuple(extreme.values()), f, r, t))
    const = special.gammaln(0.5 + f) - special.gammaln(0.5) + 0.5 * np.log(1e-4) + 0.6 * np.log(1e6)
    want = [_direct_loglik(extreme, *row) for row in zip(f, r, t, strict=True)]
    np.testing.assert_allclose(ll, want, rtol=1e-10)
    np.testing.assert_allclose(p, np.exp(lp_t + const - ll), rtol=1e-9)
    m._after_fit(f, r, t)  # no ConvergenceWarning (filterwarnings=error)


@pytest.mark.parametrize("b", [0.3, 0.99995, 1.0, 1.00003, 2.0, 3.5, 11.0, 40.0])
def test_hypergeometric_regimes_agree(b: float, monkeypatch: pytest.MonkeyPatch) -> None:
    # the series at infinity (large kappa) against the continued fraction run to convergence
    monkeypatch.setattr(pnbd_module, "_CF_MAX_TERMS", 400_000)
    d = np.array([0.5, 1.0, 7.0, 80.0])
    kappa = np.array([1e3, 3e4, 1e6])
    dd, kk = (a.ravel() for a in np.meshgrid(d, kappa))
    got = _hyp2f1_one(b, b + dd, kk)
    inv, capped = _continued_fraction(np.full(dd.shape, b), b + dd, kk.astype(float))
    assert capped == 0
    np.testing.assert_allclose(got, 1.0 / inv, rtol=3e-10)


@settings(max_examples=40, deadline=None)
@given(
    st.floats(-2.0, 2.0),
    st.floats(-3.0, 6.0),
    st.floats(-16.0, 1.5),
    st.floats(-2.0, 20.0),
    st.integers(0, 400),
    st.floats(1.0, 3e4),
    st.floats(-12.0, -0.05),
)
def test_property_quadrature_rows_equal_hypergeometric_rows(
    lr: float, la: float, ls: float, lb: float, x: int, t: float, gap: float
) -> None:
    # the short-window quadrature and the hypergeometric route give the same likelihood and
    # gradient wherever both apply (the route is chosen per row as the parameters move)
    params = tuple(float(np.exp(v)) for v in (lr, la, ls, lb))
    tx = t * (1.0 - np.exp(gap)) if x > 0 else 0.0
    xa, txa, ta = np.array([float(x)]), np.array([tx]), np.array([t])
    tiers = pnbd_module._short_rows(params, xa, txa, ta)
    if tiers[0] == 0:
        return
    quad = np.real(_loglik(params, xa, txa, ta))
    orig = pnbd_module._short_rows
    try:
        pnbd_module._short_rows = lambda *a: np.zeros(1, dtype=np.int64)  # type: ignore[assignment]
        hyp = np.real(_loglik(params, xa, txa, ta))
    finally:
        pnbd_module._short_rows = orig
    np.testing.assert_allclose(quad, hyp, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("params", [FHL, {"r": 0.5, "alpha": 30.0, "s": 0.8, "beta": 2.0}])
def test_p_alive_on_distinct_rows_equals_row_by_row(
    params: dict[str, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # large inputs are evaluated on their distinct (x, t_x, T) rows, and R on the distinct
    # (x, y) pairs, then gathered back: the same values as evaluating every row, in order
    rng = np.random.default_rng(3)
    base = _sample_summary(params, rng.integers(1, 60, 3000).astype(float), seed=4)
    big = base.iloc[rng.integers(0, len(base), 9000)].reset_index(drop=True)
    assert len(big) > pnbd_module._DISTINCT_MIN
    m = _model(params)
    got = m.p_alive(big).to_numpy()
    monkeypatch.setattr(pnbd_module, "_DISTINCT_MIN", 10**9)
    want = m.p_alive(big).to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)
    np.testing.assert_allclose(got[:600], m.p_alive(big.iloc[:600]).to_numpy(), rtol=1e-14)


@settings(max_examples=30, deadline=None)
@given(st.floats(0.02, 40.0), st.floats(0.02, 30.0), st.floats(0.0, 500.0))
def test_property_continued_fraction_gradient_equals_complex_step(
    b: float, d: float, kappa: float
) -> None:
    # the forward-mode derivatives of log 2F1(1, b; b + d; -kappa) in (b, c, kappa) against
    # the complex step through the plain continued fraction
    bb, cc, kk = np.array([b]), np.array([b + d]), np.array([kappa])
    inv, grad, capped = pnbd_module._continued_fraction_grad(bb, cc, kk)
    inv0, _ = _continued_fraction(bb, cc, kk)
    assert capped == 0
    np.testing.assert_allclose(inv, inv0, rtol=1e-14)
    h = 1e-30
    for j, step in enumerate(np.eye(3) * h * 1j):
        z, _ = _continued_fraction(bb + step[0], cc + step[1], kk + step[2])
        np.testing.assert_allclose(grad[j], -np.imag(np.log(z)) / h, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize(
    "params",
    [(1.45, 6.38, 1.26, 63.4), (0.553, 10.578, 0.606, 11.669), (1.0, 20.0, 0.5, 5.0)],
)
def test_forward_mode_gradient_equals_complex_step(
    params: tuple[float, ...], cdnow_sample_summary: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rows of the continued fraction take the real forward-mode pass; forcing them through
    # the complex step gives the same log-likelihood and gradient
    s = cdnow_sample_summary
    rows, w, _ = compress(s["frequency"], s["recency"], s["T"])
    cols = rows[:, 0], rows[:, 1], rows[:, 2]
    assert pnbd_module._cf_rows(params, cols[0], cols[1]).any()
    x0 = np.log(np.array(params))
    fast = ParetoNBD()._negll_and_grad(x0, *cols, w)
    monkeypatch.setattr(pnbd_module, "_cf_rows", lambda p, x, tx: np.zeros(x.shape, dtype=bool))
    slow = ParetoNBD()._negll_and_grad(x0, *cols, w)
    assert fast[0] == pytest.approx(slow[0], rel=1e-13)
    np.testing.assert_allclose(fast[1], slow[1], rtol=1e-10, atol=1e-8)


def test_pairs_of_rows_match_their_own_coding() -> None:
    # the per-fit coding of every row's (x, t_x) and (x, T) pairs, cut down to the rows of one
    # route, gives the same bracket and gradient as coding those rows afresh
    rng = np.random.default_rng(3)
    n = 3000
    f = rng.integers(0, 6, n).astype(float)
    t = rng.integers(20, 60, n).astype(float)
    tx = np.where(f > 0, np.floor(rng.random(n) * t), 0.0)
    model = ParetoNBD()
    params = (0.8, 9.0, 0.6, 14.0)
    for rows in (np.arange(n), np.flatnonzero(rng.random(n) < 0.4), np.array([5, 7, 7 + n // 2])):
        codes, px, py = model._pairs_of(rows, f, tx, t)
        assert px.shape[0] == len(
            set(zip(np.r_[f[rows], f[rows]], np.r_[tx[rows], t[rows]], strict=True))
        )
        got = pnbd_module._log_b_cf_grad(params, f[rows], tx[rows], t[rows], (codes, px, py))
        want = pnbd_module._log_b_cf_grad(params, f[rows], tx[rows], t[rows])
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])


def _no_dropout(n: int, seed: int = 3) -> pd.DataFrame:
    """Customers who keep buying all along (weeks): a base whose fit runs to s / beta -> 0."""
    rng = np.random.default_rng(seed)
    t = rng.integers(52, 104, n).astype(float)
    gap = rng.integers(1, 13, n).astype(float)
    x = np.floor(t / gap)
    return pd.DataFrame({"frequency": x, "recency": x * gap, "T": t})


def _nbd_maximum(s: pd.DataFrame) -> float:
    """The NBD log-likelihood maximum (the no-dropout limit), independently by scipy."""
    x, t = s["frequency"].to_numpy(float), s["T"].to_numpy(float)

    def negll(z: np.ndarray) -> float:
        r, a = np.exp(z)
        ll = special.gammaln(r + x) - special.gammaln(r) + r * np.log(a) - (r + x) * np.log(a + t)
        return -float(ll.sum())

    from scipy.optimize import minimize

    res = minimize(
        negll,
        np.log([1.0, 10.0]),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000},
    )
    return -float(res.fun)


def _count_evaluations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    rows: list[int] = []
    inner = ParetoNBD._negll_and_grad

    def counted(self: ParetoNBD, *args: np.ndarray) -> tuple[float, np.ndarray]:
        rows.append(args[-1].shape[0])
        return inner(self, *args)

    monkeypatch.setattr(ParetoNBD, "_negll_and_grad", counted)
    return rows


def test_base_where_nobody_drops_out_stops_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 13.7: the likelihood rises towards s / beta -> 0 (the NBD without dropout) and
    # the fit used to walk that ridge for 25-45 evaluations; it now evaluates the limit
    # model's point first and stops there, at the limit's maximum, with SEs NaN and a warning
    from custloyalty.errors import ConvergenceWarning

    s = _no_dropout(3000)
    rows = _count_evaluations(monkeypatch)
    with pytest.warns(ConvergenceWarning, match="parameter boundary .nobody drops out"):
        m = ParetoNBD().fit(s)
    assert len(rows) == 1
    assert not m.converged_
    assert all(np.isnan(v) for v in m.standard_errors_.values())
    assert m.log_likelihood_ == pytest.approx(_nbd_maximum(s), rel=1e-8)
    assert m.params_["s"] / m.params_["beta"] * s["T"].max() <= 1e-6
    assert (m.p_alive(s) > 0.999).all()
    # the walk along the ridge (the limit switched off) ends no higher
    rows.clear()
    monkeypatch.setattr(ParetoNBD, "_limit", lambda self, *a: None)
    with pytest.warns(ConvergenceWarning):
        walked = ParetoNBD().fit(s)
    assert len(rows) > 20
    assert walked.log_likelihood_ <= m.log_likelihood_ + 1e-8 * abs(m.log_likelihood_)
    for k in ("r", "alpha"):
        assert walked.params_[k] == pytest.approx(m.params_[k], rel=1e-3)


def _one_rate(n: int, seed: int = 5) -> pd.DataFrame:
    """Customers who all buy at one rate (0.05 a day) until they drop out (days)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(30.0, 730.0, n)
    life = rng.exponential(1.0, n) / rng.gamma(1.0, 1.0 / 300.0, n)
    tau = np.minimum(life, t)
    x = rng.poisson(0.05 * tau).astype(float)
    tx = np.where(x > 0, tau * rng.random(n) ** (1.0 / np.maximum(x, 1.0)), 0.0)
    return pd.DataFrame({"frequency": x, "recency": tx, "T": t})


def test_one_purchase_rate_for_all_stops_on_the_ridge(monkeypatch: pytest.MonkeyPatch) -> None:
    # one purchase rate for everybody: the likelihood creeps up as r, alpha -> infinity with
    # r / alpha fixed (by O(1/r)); the walk out used 34 evaluations on every row, 6 of them
    # rejected steps on a gradient of rounding noise and 8 a Hessian for a futile polish. It
    # now stops once far out (r >= 1e4) and no longer rising by 1e-7 relative
    from custloyalty.errors import ConvergenceWarning

    s = _one_rate(5000)
    rows = _count_evaluations(monkeypatch)
    with pytest.warns(ConvergenceWarning, match="flat ridge .one purchase rate for all"):
        m = ParetoNBD().fit(s)
    n_full = max(rows)
    assert rows.count(n_full) <= 12
    assert not m.converged_
    assert all(np.isnan(v) for v in m.standard_errors_.values())
    assert m.params_["r"] >= 1e4
    assert m.params_["alpha"] >= 1e4
    # the walk further out (the ridge switched off) gains less than 1e-7 relative and
    # predicts the same
    rows.clear()
    monkeypatch.setattr(ParetoNBD, "_ridge", lambda self: None)
    with pytest.warns(ConvergenceWarning):
        walked = ParetoNBD().fit(s)
    assert rows.count(n_full) > 25
    assert walked.params_["r"] > 2 * m.params_["r"]
    gain = walked.log_likelihood_ - m.log_likelihood_
    assert 0.0 <= gain <= 1e-7 * abs(m.log_likelihood_)
    rate = m.params_["r"] / m.params_["alpha"]
    assert rate == pytest.approx(walked.params_["r"] / walked.params_["alpha"], rel=1e-3)
    for k in ("s", "beta"):
        assert m.params_[k] == pytest.approx(walked.params_[k], rel=1e-2)
    np.testing.assert_allclose(m.p_alive(s), walked.p_alive(s), atol=1e-3)
    e, e_walked = (
        model.conditional_expected_number_of_purchases_up_to_time(30, s) for model in (m, walked)
    )
    assert float(np.abs(e - e_walked).sum() / e_walked.sum()) < 1e-3


def test_interior_optimum_is_not_taken_for_the_no_dropout_limit(
    cdnow_sample_summary: pd.DataFrame,
) -> None:
    # CDNOW: the probe on the limit is evaluated, but there the likelihood is higher inside
    # (the gradient says so), so the fit goes on to its interior optimum (test_cdnow_reference)
    f, r, t = (cdnow_sample_summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    rows, w, _ = compress(f, r, t)
    m = ParetoNBD()
    limit = m._limit(rows[:, 0], rows[:, 1], rows[:, 2], w)
    sup, probe = limit.fit()
    value, grad = m._negll_and_grad(probe, rows[:, 0], rows[:, 1], rows[:, 2], w)
    assert limit.near(probe)
    # the probe passes the value test of the limit (at or below its maximum) ...
    assert value <= sup + 1e-8 * abs(sup)
    assert value == pytest.approx(sup, rel=1e-6)
    # ... but the likelihood rises inwards, so the limit is not the optimum
    assert not limit.outward(probe, grad)


def test_coarse_start_gives_the_fit_on_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    # fits on >= 768 distinct rows start from a rough fit on a subsample of <= 512 rows and its
    # Hessian: same estimate, likelihood and standard errors as L-BFGS-B from the usual start,
    # with fewer evaluations on all the rows
    sim = _sample_summary(FHL, np.random.default_rng(1).uniform(20, 78, 5_000), seed=2)
    rows = _count_evaluations(monkeypatch)
    coarse = ParetoNBD().fit(sim)
    n_full = max(rows)
    assert n_full >= ParetoNBD._coarse_min_rows
    full_evals = rows.count(n_full)
    assert min(rows) < n_full  # the subsample was fitted
    rows.clear()
    monkeypatch.setattr(ParetoNBD, "_coarse_min_rows", None)
    plain = ParetoNBD().fit(sim)
    assert set(rows) == {n_full}
    assert full_evals < len(rows)
    assert coarse.converged_
    assert plain.converged_
    for k in FHL:
        assert coarse.params_[k] == pytest.approx(plain.params_[k], rel=1e-8)
        assert coarse.standard_errors_[k] == pytest.approx(plain.standard_errors_[k], rel=1e-5)
    assert coarse.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-13)


def test_p_alive_quadrature_matches_the_hypergeometric_route() -> None:
    from custloyalty.models._pareto_nbd import _p_alive_quadrature

    params = (0.553, 10.578, 0.606, 11.669)
    x, tx, t = np.array([0.0, 1, 5, 100]), np.array([0.0, 10, 30, 37]), np.full(4, 38.0)
    want = ParetoNBD.from_params(dict(zip(("r", "alpha", "s", "beta"), params, strict=True)))
    np.testing.assert_allclose(
        _p_alive_quadrature(params, x, tx, t),
        want.p_alive(frequency=x, recency=tx, T=t).to_numpy(),
        rtol=1e-8,
    )


def test_p_alive_finite_at_tiny_r() -> None:
    # issue 13: r and alpha near the fit's lower bound gave NaN for customers without repeat
    # purchase (the hypergeometric function of r + x lost its digits); the limit r -> 0 of
    # P(alive | x = 0) is (beta / (beta + T))^s: no purchase says nothing about the rate
    m = ParetoNBD.from_params({"r": 1e-13, "alpha": 1e-13, "s": 0.606, "beta": 11.669})
    got = m.p_alive(frequency=[0], recency=[0.0], T=[38.0]).iloc[0]
    assert got == pytest.approx((11.669 / 49.669) ** 0.606, rel=1e-9)


@pytest.mark.parametrize("r", [1e-13, 1e-9, 1e-7, 1e-5, 5e-5, 1e-4])
@pytest.mark.parametrize("alpha", [1e-3, 1.0])
def test_loglik_at_a_tiny_r_is_finite_and_right(r: float, alpha: float) -> None:
    # issue 13 battery: with r + x within 1e-4 of 0 the series at infinity interpolated from
    # nodes at negative b: NaN below r = 1e-7 and -2.16 instead of -0.002 at r = 1e-5 (a fit
    # on a base where almost nobody buys again reaches such r)
    p = {"r": r, "alpha": alpha, "s": 0.606, "beta": 11.669}
    x = np.array([0.0, 0.0, 1.0, 3.0])
    tx = np.array([0.0, 0.0, 5.0, 20.0])
    t = np.array([38.0, 10.0, 38.0, 38.0])
    got = _loglik(tuple(p.values()), x, tx, t)
    want = [_direct_loglik(p, *row) for row in zip(x, tx, t, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=2e-10)

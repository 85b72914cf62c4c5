"""Tests of the shifted-beta-geometric retention model."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy import special
from scipy.optimize import approx_fprime

from custloyalty.errors import NotFittedError, ValidationError
from custloyalty.models import ShiftedBetaGeo

# Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing
# 21(1), Table 1 and section 4: survivors at the start of years 1..8 of two cohorts.
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.reference
def test_regular_reference() -> None:
    # F&H 2007: gamma = 0.704, delta = 1.182, LL = -1680.27 (fit on the 7 observed years)
    sbg = ShiftedBetaGeo().fit(REGULAR)
    assert round(sbg.params_["gamma"], 3) == 0.704
    assert round(sbg.params_["delta"], 3) == 1.182
    assert sbg.log_likelihood_ == pytest.approx(-1680.27, abs=0.01)
    assert list(sbg.params_) == ["gamma", "delta"]
    assert sbg.n_obs_ == 1000


@pytest.mark.reference
def test_high_end_reference() -> None:
    # F&H 2007: gamma = 0.668, delta = 3.806
    sbg = ShiftedBetaGeo().fit(HIGH_END)
    assert round(sbg.params_["gamma"], 3) == 0.668
    assert round(sbg.params_["delta"], 3) == 3.806


def test_likelihood_by_hand() -> None:
    g, d = 0.704, 1.182
    n = np.array(REGULAR, dtype=float)
    t = np.arange(1, 8)
    log_p = special.betaln(g + 1, d + t - 1) - special.betaln(g, d)
    ll = np.dot(n[:-1] - n[1:], log_p) + n[-1] * (special.betaln(g, d + 7) - special.betaln(g, d))
    nll, _ = ShiftedBetaGeo._negll_and_grad(
        np.log([g, d]), t.astype(float), n[:-1] - n[1:], np.array([7.0]), n[-1:]
    )
    assert -nll == pytest.approx(ll, rel=1e-12)


def test_gradient() -> None:
    n = np.array(HIGH_END, dtype=float)
    t = np.arange(1.0, 8.0)
    args = (t, n[:-1] - n[1:], np.array([7.0]), n[-1:])
    x0 = np.log([0.5, 2.0])
    grad = ShiftedBetaGeo._negll_and_grad(x0, *args)[1]
    num = approx_fprime(x0, lambda x: ShiftedBetaGeo._negll_and_grad(x, *args)[0], 1e-7)
    np.testing.assert_allclose(grad, num, rtol=1e-5)


def test_curves_consistent() -> None:
    sbg = ShiftedBetaGeo().fit(REGULAR)
    t = np.arange(1, 30)
    s = sbg.survival(np.arange(0, 30))
    assert isinstance(s, np.ndarray)
    np.testing.assert_allclose(sbg.retention(t), s[1:] / s[:-1], rtol=1e-12)
    np.testing.assert_allclose(sbg.churn_probability(t), s[:-1] - s[1:], rtol=1e-10)
    assert np.all(np.diff(sbg.retention(t)) > 0)  # sorting: retention rises
    assert sbg.survival(0) == 1.0
    assert sbg.expected_lifetime() == float("inf")  # gamma < 1
    g2 = ShiftedBetaGeo.from_params({"gamma": 2.5, "delta": 4.0})
    total = np.asarray(g2.survival(np.arange(0, 200_000))).sum()
    assert g2.expected_lifetime() == pytest.approx(total, rel=1e-3)


def test_derl_matches_series() -> None:
    sbg = ShiftedBetaGeo().fit(REGULAR)
    d = 0.1
    t = np.arange(0, 3000)
    s = np.asarray(sbg.survival(t))
    for renewals in (0, 3, 9):
        n = renewals + 1
        series = np.sum(s[n:] / s[n - 1] / (1 + d) ** (t[n:] - n))
        got = sbg.discounted_expected_residual_lifetime(d, renewals=renewals)
        assert got == pytest.approx(series, rel=1e-9)
    arr = sbg.discounted_expected_residual_lifetime(d, renewals=[0, 3])
    assert isinstance(arr, np.ndarray)
    assert arr[1] > arr[0]


def test_multiple_cohorts() -> None:
    table = pd.DataFrame(
        [REGULAR, REGULAR[:5] + [np.nan] * 3, REGULAR[:3] + [np.nan] * 5],
        index=pd.Index(["2019", "2020", "2021"], name="cohort"),
    )
    sbg = ShiftedBetaGeo().fit(table)
    assert sbg.n_obs_ == 3000
    # pooling a cohort with itself equals fitting it once (same estimates)
    twice = ShiftedBetaGeo().fit(np.vstack([REGULAR, REGULAR]))
    once = ShiftedBetaGeo().fit(REGULAR)
    assert twice.params_ == pytest.approx(once.params_, rel=1e-6)
    assert twice.log_likelihood_ == pytest.approx(2 * once.log_likelihood_, rel=1e-9)
    out = sbg.survival_by_cohort(table)
    assert list(out.columns) == [
        "cohort",
        "period",
        "actual",
        "expected",
        "actual_retention",
        "expected_retention",
    ]
    assert len(out) == 24
    assert out["actual"].isna().sum() == 8


def test_round_trip_and_errors() -> None:
    sbg = ShiftedBetaGeo().fit(HIGH_END)
    again = ShiftedBetaGeo.from_dict(json.loads(json.dumps(sbg.to_dict())))
    assert again.params_ == sbg.params_
    with pytest.raises(NotFittedError):
        ShiftedBetaGeo().survival(1)
    with pytest.raises(ValidationError, match="must not increase"):
        ShiftedBetaGeo().fit([100, 80, 90])
    with pytest.raises(ValidationError, match="at least two periods"):
        ShiftedBetaGeo().fit([100])
    with pytest.raises(ValidationError, match="missing counts"):
        ShiftedBetaGeo().fit([[100, np.nan, 50]])
    with pytest.raises(ValidationError, match=">= 1"):
        sbg.retention(0)
    with pytest.raises(ValidationError, match="discount_rate"):
        sbg.discounted_expected_residual_lifetime(0.0)


@pytest.mark.reference
def test_regular_standard_errors(natural_se: Callable) -> None:
    # Reference: inverse of the central-difference Hessian of an independent implementation of
    # the sBG negative log-likelihood (Fader & Hardie 2007) in (gamma, delta) at the
    # "regular" estimates (tests/reference/standard_errors.py): se gamma 0.0656, delta 0.1525.
    sbg = ShiftedBetaGeo().fit(REGULAR)
    want = {"gamma": 0.0656, "delta": 0.1525}
    assert sbg.standard_errors_ == pytest.approx(want, rel=1e-2)
    n = np.array(REGULAR, dtype=float)
    t = np.arange(1.0, 8.0)

    def nll(p: np.ndarray) -> float:
        g, d = p
        log_p = special.betaln(g + 1, d + t - 1) - special.betaln(g, d)
        log_s = special.betaln(g, d + 7) - special.betaln(g, d)
        return -float(np.sum((n[:-1] - n[1:]) * log_p) + n[-1] * log_s)

    theta = np.array([sbg.params_["gamma"], sbg.params_["delta"]])
    got = np.array([sbg.standard_errors_["gamma"], sbg.standard_errors_["delta"]])
    np.testing.assert_allclose(got, natural_se(nll, theta), rtol=1e-3)


def test_cohort_weights() -> None:
    table = np.array([REGULAR, HIGH_END], dtype=float)
    plain = ShiftedBetaGeo().fit(table)
    ones = ShiftedBetaGeo().fit(table, sample_weight=[1, 1])
    assert ones.params_ == pytest.approx(plain.params_, rel=1e-9)
    # integer weights equal repeated cohorts
    weighted = ShiftedBetaGeo().fit(table, sample_weight=[3, 1])
    repeated = ShiftedBetaGeo().fit(table[[0, 0, 0, 1]])
    assert weighted.params_ == pytest.approx(repeated.params_, rel=1e-7)
    assert weighted.log_likelihood_ == pytest.approx(repeated.log_likelihood_, rel=1e-10)
    assert weighted.n_obs_ == 4000
    # survivor shares with the cohort sizes as weights equal the counts
    shares = ShiftedBetaGeo().fit(np.array(REGULAR) / 1000, sample_weight=[1000])
    counts = ShiftedBetaGeo().fit(REGULAR)
    assert shares.params_ == pytest.approx(counts.params_, rel=1e-7)
    assert shares.n_obs_ == pytest.approx(1000)
    # a cohort of weight 0 is ignored
    only_regular = ShiftedBetaGeo().fit(table, sample_weight=[1.0, 0.0])
    assert only_regular.params_ == pytest.approx(counts.params_, rel=1e-7)
    with pytest.raises(ValidationError, match="sample_weight has 1 values for 2 cohorts"):
        ShiftedBetaGeo().fit(table, sample_weight=[1.0])
    with pytest.raises(ValidationError, match=r"sample_weight has 1 negative values \(rows 1\)"):
        ShiftedBetaGeo().fit(table, sample_weight=[1.0, -1.0])
    with pytest.raises(ValidationError, match="sample_weight has 1 missing value") as info:
        ShiftedBetaGeo().fit(table, sample_weight=[1.0, np.nan])
    assert "nan_policy" not in str(info.value)  # fit has no such option
    with pytest.raises(ValidationError, match=r"no cohort .* observed beyond"):
        ShiftedBetaGeo().fit(table, sample_weight=[0, 0])


@pytest.mark.parametrize("delta", [1e9, 1e13])
def test_derl_finite_when_nobody_churns(delta: float) -> None:
    # issue 13: scipy's hyp2f1 returned NaN for delta in the trillions; the limit is (1+d)/d
    m = ShiftedBetaGeo.from_params({"gamma": 1.0, "delta": delta})
    got = m.discounted_expected_residual_lifetime(0.1, renewals=[0, 4])
    np.testing.assert_allclose(got, 11.0 * (1.0 - 1.0 / delta * 11.0), rtol=1e-7)


def test_derl_quadrature_matches_the_hypergeometric_form() -> None:
    from custloyalty.models._shifted_beta_geo import _derl_quadrature

    for g, d in ((0.704, 1.182), (2.0, 50.0), (0.3, 1e4)):
        n = np.array([1.0, 5.0])
        want = (d + n - 1) / (g + d + n - 1) * special.hyp2f1(1.0, d + n, g + d + n, 1 / 1.1)
        np.testing.assert_allclose(_derl_quadrature(g, d + n - 1, 0.1), want, rtol=1e-4)


def test_booleans_refused() -> None:
    with pytest.raises(ValidationError, match="survivors holds booleans"):
        ShiftedBetaGeo().fit([True, True, False])
    m = ShiftedBetaGeo.from_params({"gamma": 0.704, "delta": 1.182})
    with pytest.raises(ValidationError, match="discount_rate holds booleans"):
        m.discounted_expected_residual_lifetime(True)

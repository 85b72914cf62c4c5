"""Tests of the log-Pochhammer and digamma differences that keep their digits for large r."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from custloyalty.models import BetaGeo
from custloyalty.models._special import _ASYMPTOTIC_MIN, digamma_diff, log_poch


def _exact_log_poch(r: float, x: int) -> float:
    # log(r (r+1) ... (r+x-1)) summed term by term: each term is exact to rounding
    return math.fsum(math.log(r) + math.log1p(k / r) for k in range(x))


def _exact_digamma_diff(r: float, x: int) -> float:
    return math.fsum(1.0 / (r + k) for k in range(x))


@pytest.mark.parametrize("r", [1000.0, 1e4, 3.7e6, 1e9, 1e13])
@pytest.mark.parametrize("x", [0, 1, 2, 7, 150, 10_000])
def test_exact_for_large_r(r: float, x: int) -> None:
    assert log_poch(r, float(x)) == pytest.approx(_exact_log_poch(r, x), rel=1e-15, abs=1e-300)
    assert digamma_diff(r, float(x)) == pytest.approx(
        _exact_digamma_diff(r, x), rel=1e-15, abs=1e-300
    )


def test_plain_difference_loses_digits_where_this_does_not() -> None:
    # the reason for the module: at r = 1e13 the plain difference is off by 0.06 for x = 2
    r = 1e13
    plain = special.gammaln(r + 2.0) - special.gammaln(r)
    assert abs(plain - _exact_log_poch(r, 2)) > 0.01
    assert log_poch(r, 2.0) == pytest.approx(_exact_log_poch(r, 2), rel=1e-15)
    plain_d = special.digamma(r + 3.0) - special.digamma(r)
    assert abs(plain_d / _exact_digamma_diff(r, 3) - 1.0) > 1e-3
    assert digamma_diff(r, 3.0) == pytest.approx(_exact_digamma_diff(r, 3), rel=1e-14)


@given(
    r=st.floats(0.01, 999.0),
    x=st.integers(0, 500),
)
@settings(max_examples=60)
def test_below_the_switch_the_library_difference(r: float, x: int) -> None:
    assert log_poch(r, float(x)) == special.gammaln(r + x) - special.gammaln(r)
    assert digamma_diff(r, float(x)) == special.digamma(r + x) - special.digamma(r)


def test_continuous_across_the_switch_and_broadcast() -> None:
    below, above = np.nextafter(_ASYMPTOTIC_MIN, 0.0), _ASYMPTOTIC_MIN
    x = np.array([[1.0], [5.0], [40.0]])
    lo, hi = log_poch(np.array([below, above]), x).T
    np.testing.assert_allclose(lo, hi, rtol=0, atol=2e-12)  # the library difference at 1000
    d_lo, d_hi = digamma_diff(np.array([below, above]), x).T
    np.testing.assert_allclose(d_lo, d_hi, rtol=1e-12)
    assert log_poch(np.array([1.0, 2e3]), x).shape == (3, 2)
    assert isinstance(log_poch(2.0, 1.0), float)


def test_bg_nbd_pmf_at_a_huge_r_is_the_poisson_limit() -> None:
    # r -> infinity with r / alpha fixed: purchases are Poisson(horizon r / alpha) while
    # alive; with a tiny dropout probability (a / (a + b) ~ 1e-12) the pmf is Poisson's
    bg = BetaGeo.from_params({"r": 1e12, "alpha": 1e13, "a": 1e-3, "b": 1e9})
    n = np.arange(12.0)
    got = bg.probability_of_n_purchases(30.0, n)
    np.testing.assert_allclose(got, stats.poisson.pmf(n, 3.0), rtol=1e-9)

"""Tests of the shared model machinery (compress, MLE driver)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from custloyalty.errors import ConvergenceError
from custloyalty.models import compress
from custloyalty.models._base import _fit_mle


@given(
    arrays(np.int64, st.integers(1, 60), elements=st.integers(0, 4)),
    st.integers(0, 2**32 - 1),
)
def test_compress_matches_numpy_unique(f: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = rng.integers(0, 3, f.shape[0]) / 7.0
    t = rng.integers(3, 6, f.shape[0]) / 7.0
    w = rng.uniform(0, 2, f.shape[0])
    rows, weights, inv = compress(f, r, t, w)
    stacked = np.column_stack([f, r, t]).astype(float)
    want_rows, want_inv = np.unique(stacked, axis=0, return_inverse=True)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(inv, want_inv.reshape(-1))
    np.testing.assert_allclose(weights, np.bincount(want_inv.reshape(-1), weights=w))
    np.testing.assert_array_equal(rows[inv], stacked)
    # unweighted: counts
    _, counts, _ = compress(f, r, t)
    assert counts.sum() == f.shape[0]


def test_fit_mle_quadratic_and_standard_errors() -> None:
    # negative log-likelihood of n normal observations with known variance in log-parameters:
    # theta = exp(x); -ll = n (theta - 3)^2 / 2  ->  theta = 3, se = 1 / sqrt(n)
    n = 400.0

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(x)
        return float(n * (theta[0] - 3.0) ** 2 / 2), np.array([n * (theta[0] - 3.0) * theta[0]])

    fit = _fit_mle(fun, np.zeros(1), n_obs=n, model="toy")
    assert fit.params[0] == pytest.approx(3.0, rel=1e-9)
    assert fit.standard_errors[0] == pytest.approx(1 / np.sqrt(n), rel=1e-5)
    assert fit.converged


def test_fit_mle_non_finite_raises() -> None:
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        return float("nan"), np.zeros_like(x)

    with pytest.raises(ConvergenceError, match="toy: maximum-likelihood fit failed"):
        _fit_mle(fun, np.zeros(2), n_obs=10, model="toy")

"""The maximum-likelihood driver: stagnation stop on a likelihood flatter than its noise."""

from __future__ import annotations

import numpy as np
import pytest

from custloyalty.errors import ConvergenceWarning
from custloyalty.models import _optimise


def _flat(noise: float) -> tuple[list[int], _optimise.NegLLGrad]:
    """A likelihood flat in x0 up to rounding-like noise, whose gradient still points on.

    As on a ridge towards the parameter boundary: the analytic gradient is accurate but the
    value no longer decreases above its noise, so line searches only probe the noise.
    """
    calls: list[int] = []

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(1)
        f = 100.0 * (x[1] - 1.0) ** 2 + 50.0 + noise * np.sin(1e7 * x[0])
        return float(f), np.array([-1e-3, 200.0 * (x[1] - 1.0)])

    return calls, fun


def test_stalled_line_search_stops_and_returns_the_best_point() -> None:
    calls, fun = _flat(1e-7)
    with pytest.warns(ConvergenceWarning):
        fit = _optimise._fit_mle(fun, np.zeros(2), n_obs=100.0, model="Flat")
    assert "no decrease" in fit.message
    assert not fit.converged
    assert fit.params[1] == pytest.approx(np.e, rel=1e-6)
    assert fit.log_likelihood == pytest.approx(-50.0, abs=2e-7)
    # stopped within _STALL_EVALS evaluations of the last real progress
    assert len(calls) < 60


def test_interior_optimum_unaffected_by_the_stagnation_stop() -> None:
    # a well-posed likelihood converges by the optimiser's own criteria, polished by Newton
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        d = x - np.array([0.3, -1.2])
        return 10.0 * float(d @ d) + 7.0, 20.0 * d

    fit = _optimise._fit_mle(fun, np.zeros(2), n_obs=10.0, model="Bowl")
    assert fit.converged
    assert "no decrease" not in fit.message
    np.testing.assert_allclose(np.log(fit.params), [0.3, -1.2], atol=1e-9)


def test_small_gradient_hands_over_to_the_newton_polish() -> None:
    # once the mean gradient is below _GRAD_STOP, L-BFGS-B stops: the next evaluations are the
    # Hessian's (2 per parameter) and one Newton step, no line search probing rounding noise
    # (which had ended in the stagnation stop and a spurious "stopped before convergence")
    c = np.array([2.0, 0.5, 7.0])
    max_grad: list[float] = []

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        s, co = np.sin(x), np.cos(x)
        f = float(np.sum(np.exp(x) - c * x) + 0.1 * np.prod(s))
        g = np.exp(x) - c + 0.1 * co * np.array([s[1] * s[2], s[0] * s[2], s[0] * s[1]])
        max_grad.append(float(np.max(np.abs(g))))
        return 1000.0 * f, 1000.0 * g

    fit = _optimise._fit_mle(fun, np.zeros(3), n_obs=1000.0, model="Bumpy")
    first_small = next(i for i, v in enumerate(max_grad) if v < _optimise._GRAD_STOP)
    assert len(max_grad) - first_small - 1 == 2 * 3 + 1
    assert fit.converged
    assert "gradient below" in fit.message
    assert max_grad[-1] < 1e-10
    assert np.all(np.isfinite(fit.standard_errors))

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

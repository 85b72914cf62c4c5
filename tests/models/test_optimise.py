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


def _limit(sup: float) -> _optimise._Limit:
    """The boundary x[1] -> -inf of the test likelihoods below, with its supremum ``sup``."""
    return _optimise._Limit(
        fit=lambda: (sup, np.array([1.0, -20.0])),
        near=lambda x: bool(x[1] < -10.0),
        outward=lambda x, g: bool(g[1] >= 0.0),
        what="test limit",
    )


def test_fit_at_its_limit_stops_on_the_probe_and_warns() -> None:
    # the likelihood rises towards x[1] -> -inf, where its supremum is 5: the probe on the
    # limit ends the fit in one evaluation, without a Hessian, standard errors NaN
    calls: list[int] = []

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(1)
        e = np.exp(x[1])
        return float((x[0] - 1.0) ** 2 + e + 5.0), np.array([2.0 * (x[0] - 1.0), e])

    with pytest.warns(ConvergenceWarning, match="parameter boundary .test limit"):
        fit = _optimise._fit_mle(
            fun, np.zeros(2), n_obs=1.0, model="Ridge", limit=_limit(5.0), probe=True
        )
    assert len(calls) == 1
    assert fit.at_limit
    assert not fit.converged
    assert np.all(np.isnan(fit.standard_errors))
    assert fit.log_likelihood == pytest.approx(-5.0, abs=1e-8)


def test_interior_optimum_is_not_taken_for_the_limit() -> None:
    # the value at the probe equals the boundary's supremum, but the gradient says the
    # likelihood is higher inside (moving towards the boundary lowers it): no stop there
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        e = np.exp(x[1])
        f = (x[0] - 1.0) ** 2 + (e - 0.5) ** 2 + 4.75
        return float(f), np.array([2.0 * (x[0] - 1.0), 2.0 * (e - 0.5) * e])

    fit = _optimise._fit_mle(
        fun, np.zeros(2), n_obs=1.0, model="Bowl", limit=_limit(5.0), probe=True
    )
    assert fit.converged
    assert not fit.at_limit
    np.testing.assert_allclose(np.log(fit.params), [1.0, np.log(0.5)], atol=1e-7)
    assert fit.log_likelihood == pytest.approx(-4.75, abs=1e-12)


def test_limit_start_that_is_not_at_the_limit_falls_back_to_x0() -> None:
    # a coarse fit ended at the limit, the full likelihood has an interior optimum: the fit
    # is the one from x0, as without the start
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        e = np.exp(x[1])
        f = (x[0] - 1.0) ** 2 + (e - 0.5) ** 2 + 4.75
        return float(f), np.array([2.0 * (x[0] - 1.0), 2.0 * (e - 0.5) * e])

    start = _optimise._Start(x=np.array([1.0, -20.0]), hess=None)
    fit = _optimise._fit_mle(
        fun, np.zeros(2), n_obs=1.0, model="Bowl", limit=_limit(5.0), start=start
    )
    plain = _optimise._fit_mle(fun, np.zeros(2), n_obs=1.0, model="Bowl")
    np.testing.assert_allclose(fit.params, plain.params, rtol=1e-12)
    assert fit.converged


def test_start_with_a_hessian_converges_by_newton_steps() -> None:
    # a start near the optimum with an approximate Hessian (20% off, as from a subsample):
    # Newton steps reach the optimum, no L-BFGS-B, the polish gives the same estimate
    c = np.array([2.0, 0.5, 7.0])
    calls: list[int] = []

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(1)
        return 100.0 * float(np.sum(np.exp(x) - c * x)), 100.0 * (np.exp(x) - c)

    start = _optimise._Start(x=np.log(c) + 0.05, hess=np.diag(c) * 1.2)
    fit = _optimise._fit_mle(fun, np.zeros(3), n_obs=100.0, model="Exp", start=start)
    assert fit.converged
    assert "Newton steps" in fit.message
    np.testing.assert_allclose(fit.params, c, rtol=1e-10)
    plain = _optimise._fit_mle(fun, np.zeros(3), n_obs=100.0, model="Exp")
    np.testing.assert_allclose(fit.standard_errors, plain.standard_errors, rtol=1e-6)

"""Helpers shared by the model tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

NaturalSE = Callable[[Callable[[np.ndarray], float], np.ndarray], np.ndarray]


def _natural_se(nll: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Standard errors from a central-difference Hessian of ``nll`` in the natural parameters.

    Independent of the library's route (analytic gradient in the log-parameters, differenced,
    then mapped by the delta method): only values of the negative log-likelihood are used, at
    ``theta +- h_i e_i +- h_j e_j`` with ``h = 1e-4 theta``, and se = sqrt(diag(H^-1)). This
    is how the reference standard errors in the model tests were produced.
    """
    th = np.asarray(theta, dtype=float)
    k = th.size
    h = 1e-4 * th
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h[i], h[j]
            d = nll(th + ei + ej) - nll(th + ei - ej) - nll(th - ei + ej) + nll(th - ei - ej)
            hess[i, j] = hess[j, i] = d / (4 * h[i] * h[j])
    return np.sqrt(np.diag(np.linalg.inv(hess)))


@pytest.fixture(scope="session")
def natural_se() -> NaturalSE:
    """The function :func:`_natural_se`."""
    return _natural_se

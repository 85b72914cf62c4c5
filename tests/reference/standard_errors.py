"""Reproduce the reference standard errors of the model tests.

Run from the repository root::

    PYTHONPATH=src python tests/reference/standard_errors.py

It prints, for each model, the maximum-likelihood estimates and the standard errors quoted in

- ``tests/models/test_beta_geo.py::test_cdnow_standard_errors`` (BG/NBD on the CDNOW sample),
- ``tests/models/test_pareto_nbd.py::test_cdnow_standard_errors`` (Pareto/NBD, same data),
- ``tests/models/test_gamma_gamma.py::test_cdnow_standard_errors`` (Gamma-Gamma, repeat buyers),
- ``tests/models/test_shifted_beta_geo.py::test_regular_standard_errors`` (sBG, "regular").

Nothing of the library's model code is used: the CDNOW 1/10 sample comes from the bundled copy
(``custloyalty.datasets.load_cdnow``, checked against the original file by
``tests/test_datasets.py``), the per-customer summary is recomputed here with plain pandas,
each negative log-likelihood is written out from the paper, the fit is a Nelder-Mead search over
the log-parameters (scipy), and the standard errors are ``sqrt(diag(H^-1))`` with ``H`` the
central-difference Hessian of the negative log-likelihood in the natural parameters, steps
``h = 1e-4 theta`` (the same recipe as ``tests/models/conftest.py::_natural_se``).

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way.
*Marketing Science*, 24(2), 275-284 (BG/NBD likelihood, eq. 6).
Fader, P. S., & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD model and related
expressions (Pareto/NBD likelihood, eqs. 18-22).
Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value (eq. 3).
Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
Interactive Marketing*, 21(1), 76-90 (sBG likelihood).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import integrate, optimize, special

END = pd.Timestamp("1997-09-30")  # end of the 39-week calibration period of FHL (2005)
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]  # sBG "regular" customers, F&H (2007)

NegLL = Callable[[np.ndarray], float]


def cdnow_summary() -> pd.DataFrame:
    """x, t_x, T (weeks) and mean repeat spend per customer of the CDNOW sample, by hand."""
    from custloyalty.datasets import load_cdnow

    tx = load_cdnow("sample")
    tx = tx[tx["date"] <= END]
    days = tx.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    rows = []
    for cid, g in days.groupby("customer_id"):
        g = g.sort_values("date")
        first, last = g["date"].iloc[0], g["date"].iloc[-1]
        repeat = g["amount"].iloc[1:]
        rows.append(
            {
                "customer_id": cid,
                "x": len(g) - 1,
                "t_x": (last - first).days / 7,
                "T": (END - first).days / 7,
                "m": float(repeat.mean()) if len(repeat) else 0.0,
            }
        )
    return pd.DataFrame(rows).set_index("customer_id")


def bgnbd_nll(s: pd.DataFrame) -> NegLL:
    """BG/NBD negative log-likelihood in (r, alpha, a, b), FHL (2005) eq. 6."""
    x, tx, big_t = s["x"].to_numpy(float), s["t_x"].to_numpy(), s["T"].to_numpy()

    def nll(p: np.ndarray) -> float:
        r, alpha, a, b = p
        common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        alive = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + big_t)
        dead = np.where(
            x > 0,
            special.betaln(a + 1, b + np.maximum(x, 1) - 1)
            - special.betaln(a, b)
            - (r + x) * np.log(alpha + tx),
            -np.inf,
        )
        return -float(np.sum(common + np.logaddexp(alive, dead)))

    return nll


def paretonbd_nll(s: pd.DataFrame) -> NegLL:
    """Pareto/NBD negative log-likelihood in (r, alpha, s, beta), by quadrature.

    L = G(r+x) a^r b^s / G(r) [ (a+T)^-(r+x) (b+T)^-s + s int_{t_x}^{T} (a+y)^-(r+x)
    (b+y)^-(s+1) dy ]: alive through T, or dropped out at y in (t_x, T] (FH 2005, eq. 18
    before the hypergeometric closed form of eq. 22), integrated numerically per distinct
    (x, t_x, T) row, so no continued fraction or series is involved.
    """
    rows = s.groupby(["x", "t_x", "T"]).size()
    keys = np.array(list(rows.index))
    w = rows.to_numpy(float)
    x, tx, big_t = keys[:, 0], keys[:, 1], keys[:, 2]

    def nll(p: np.ndarray) -> float:
        r, alpha, ss, beta = p
        total = 0.0
        for xi, ti, big_ti, wi in zip(x, tx, big_t, w, strict=True):

            def dens(y: float, xi: float = xi) -> float:
                return float((alpha + y) ** -(r + xi) * (beta + y) ** -(ss + 1))

            integral = integrate.quad(dens, ti, big_ti, epsabs=0, epsrel=1e-12)[0]
            inside = (alpha + big_ti) ** -(r + xi) * (beta + big_ti) ** -ss + ss * integral
            log_l = (
                special.gammaln(r + xi)
                - special.gammaln(r)
                + r * np.log(alpha)
                + ss * np.log(beta)
                + np.log(inside)
            )
            total += wi * log_l
        return -total

    return nll


def gammagamma_nll(s: pd.DataFrame) -> NegLL:
    """Gamma-Gamma negative log-likelihood in (p, q, v) over repeat buyers, F&H (2013) eq. 3."""
    rep = s[s["x"] > 0]
    x, m = rep["x"].to_numpy(float), rep["m"].to_numpy()

    def nll(par: np.ndarray) -> float:
        p, q, v = par
        ll = (
            special.gammaln(p * x + q)
            - special.gammaln(p * x)
            - special.gammaln(q)
            + q * np.log(v)
            + (p * x - 1) * np.log(m)
            + p * x * np.log(x)
            - (p * x + q) * np.log(v + x * m)
        )
        return -float(np.sum(ll))

    return nll


def sbg_nll(survivors: list[int]) -> NegLL:
    """Shifted-beta-geometric negative log-likelihood in (gamma, delta), F&H (2007)."""
    n = np.asarray(survivors, dtype=float)
    t = np.arange(1.0, len(n))

    def nll(p: np.ndarray) -> float:
        g, d = p
        log_p = special.betaln(g + 1, d + t - 1) - special.betaln(g, d)
        log_s = special.betaln(g, d + len(n) - 1) - special.betaln(g, d)
        return -float(np.sum((n[:-1] - n[1:]) * log_p) + n[-1] * log_s)

    return nll


def fit(nll: NegLL, start: np.ndarray) -> np.ndarray:
    """Maximum-likelihood estimate: Nelder-Mead over the log-parameters."""
    res = optimize.minimize(
        lambda u: nll(np.exp(u)),
        np.log(start),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000, "maxfev": 40_000},
    )
    return np.exp(res.x)


def natural_se(nll: NegLL, theta: np.ndarray) -> np.ndarray:
    """sqrt(diag(H^-1)), H the central-difference Hessian in the natural parameters."""
    k = theta.size
    h = 1e-4 * theta
    hess = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = h[i], h[j]
            d = (
                nll(theta + ei + ej)
                - nll(theta + ei - ej)
                - nll(theta - ei + ej)
                + nll(theta - ei - ej)
            )
            hess[i, j] = hess[j, i] = d / (4 * h[i] * h[j])
    return np.sqrt(np.diag(np.linalg.inv(hess)))


def main() -> None:
    """Print the estimates and standard errors of the four models."""
    s = cdnow_summary()
    models: list[tuple[str, list[str], NegLL, list[float]]] = [
        ("BG/NBD (CDNOW sample)", ["r", "alpha", "a", "b"], bgnbd_nll(s), [0.2, 4, 0.8, 2.4]),
        (
            "Pareto/NBD (CDNOW sample)",
            ["r", "alpha", "s", "beta"],
            paretonbd_nll(s),
            [0.5, 10, 0.6, 11],
        ),
        ("Gamma-Gamma (CDNOW repeat buyers)", ["p", "q", "v"], gammagamma_nll(s), [6, 4, 15]),
        ("sBG (regular)", ["gamma", "delta"], sbg_nll(REGULAR), [0.7, 1.2]),
    ]
    for title, names, nll, start in models:
        theta = fit(nll, np.array(start, dtype=float))
        se = natural_se(nll, theta)
        print(f"{title}: -LL {nll(theta):.2f}")
        for name, est, err in zip(names, theta, se, strict=True):
            print(f"  {name:<6} {est:10.4f}   se {err:.4g}")


if __name__ == "__main__":
    main()

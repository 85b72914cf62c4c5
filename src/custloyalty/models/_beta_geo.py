r"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from custloyalty.models._base import FloatArray, _compress, _TransactionModel, _wsum
from custloyalty.models._special import digamma_diff, log_poch

__all__ = ["BetaGeo"]

#: Above this a + b, scipy's hyp2f1 is not trusted and the quadrature form is used.
_HYP2F1_MAX_AB = 1e4
#: Relative rounding of scipy's hyp2f1 assumed when judging the cancellation of eq. 10.
_HYP2F1_EPS = 1e-15


def _log_beta_ratio(a: Any, b: Any, n: Any) -> Any:
    """``log B(a, b + n) - log B(a, b)`` = log prod_{j<n} (b+j)/(a+b+j), stable for huge a, b.

    scipy's ``betaln`` at ``a`` about 3e9 and ``b`` about 1e13 (a BG/NBD fit on a base where
    nobody drops out) returns values whose differences are pure rounding; written with
    log-Pochhammer symbols the ratio keeps its digits.
    """
    return log_poch(b, n) - log_poch(a + b, n)


_FHL2005 = (
    'Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way: '
    "An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284. "
    "https://doi.org/10.1287/mksc.1040.0098"
)


def _log_pbad(
    r: float, alpha: float, a: float, b: float, x: FloatArray, tx: FloatArray, t: FloatArray
) -> FloatArray:
    """Log of a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x) for x > 0; -inf for x == 0."""
    pos = x > 0
    bx = np.where(pos, b + x - 1.0, 1.0)
    out = np.log(a) - np.log(bx) + (r + x) * (np.log(alpha + t) - np.log(alpha + tx))
    return np.where(pos, out, -np.inf)


def _conditional_factor(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_obs: FloatArray, t: FloatArray
) -> FloatArray:
    r"""(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)].

    The expected purchases in the next ``t`` of a customer alive at ``T``. Computed through
    Euler's transformation
    :math:`(1-z)^{r+x}\,{}_2F_1(r+x, b+x; c; z) = (1-z)^{a-1}\,{}_2F_1(c-r-x, a-1; c; z)` with
    :math:`c = a+b+x-1`, whose parameters stay small when ``x`` is large. Where scipy's
    ``hyp2f1`` cannot evaluate it (``a`` and ``b`` in the thousands and beyond, as a fit on a
    base where nobody drops out returns them: ``a`` about 3e9, ``b`` about 1e13), or
    :math:`a + b > 10^4`, the equivalent expectation over the posterior dropout probability
    is integrated instead (:func:`_conditional_factor_quadrature`).
    """
    am1 = a - 1.0
    if abs(am1) < 1e-7:  # removable singularity at a = 1: step to the side
        am1 = 1e-7 if am1 >= 0 else -1e-7
    x, t_obs, t = np.broadcast_arrays(
        np.asarray(x, dtype=np.float64), np.asarray(t_obs, dtype=np.float64), t
    )
    if a + b > _HYP2F1_MAX_AB:
        return _conditional_factor_quadrature(r, alpha, a, b, x, t_obs, t)
    c = am1 + b + x
    log1mz = np.log(alpha + t_obs) - np.log(alpha + t_obs + t)
    z = -np.expm1(log1mz)
    with np.errstate(invalid="ignore", over="ignore"):
        g = special.hyp2f1(c - r - x, am1, c, z)
        out: FloatArray = c / am1 * (1.0 - np.exp(am1 * log1mz) * g)
    # the bracket 1 - (1-z)^(a-1) g cancels when z is small, and c/(a-1) magnifies its
    # rounding when a is near 1 (a fit on customers who never come back gives a = 1.000):
    # where the rounding (hyp2f1 to about 1e-15) could reach 1e-10 of the result, integrate
    with np.errstate(invalid="ignore", over="ignore"):
        noise = _HYP2F1_EPS * np.abs(c / am1) * np.maximum(np.abs(np.exp(am1 * log1mz) * g), 1.0)
        bad = ~np.isfinite(out) | (noise > 1e-10 * np.abs(out))
    bad &= t > 0  # the horizon 0 gives 0 exactly
    if bad.any():
        out = out.copy()
        out[bad] = _conditional_factor_quadrature(r, alpha, a, b, x[bad], t_obs[bad], t[bad])
    return out


def _conditional_factor_quadrature(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_obs: FloatArray, t: FloatArray
) -> FloatArray:
    r"""Return the factor of :func:`_conditional_factor` as an expectation over dropout.

    Given alive at ``T``, the dropout probability is :math:`p \sim \text{Beta}(a, b+x)` and
    the purchase rate :math:`\lambda \sim \text{Gamma}(r+x, \alpha+T)`; a customer with
    :math:`(\lambda, p)` makes :math:`(1 - e^{-\lambda p t})/p` purchases in expectation over
    the next ``t``, so

    $$E = E_p\!\left[\frac{1 - (1 + p\,t/(\alpha+T))^{-(r+x)}}{p}\right],$$

    a smooth, bounded function of ``p`` (its limit at ``p = 0`` is :math:`(r+x)t/(\alpha+T)`,
    the no-dropout value) integrated against the Beta density in the log-odds
    :math:`u = \log(p/(1-p))`, where the density is log-concave, over
    the mode plus or minus 12 standard deviations, or the exponential tails (rates ``a`` and
    ``b + x``) down to :math:`e^{-40}` when wider, normalised by the same rule. The range is
    cut into panels at the mode and where the integrand bends (:math:`p \approx
    1/(s\max(k, 1))` and :math:`1/s`, :math:`s = t/(\alpha+T)`, :math:`k = r + x`), each
    integrated by 24-point Gauss-Legendre: one rule over the whole range missed that bend
    when ``a`` is small (the tail of rate ``a`` is wide), 0.7% off at ``a = 0.01``,
    ``r = 10^4``. Finite for any positive parameters; rows in blocks bound the memory.
    """
    out: FloatArray = np.empty(np.shape(x)[0])
    for lo_row in range(0, out.shape[0], _QUAD_BLOCK):
        sl = slice(lo_row, lo_row + _QUAD_BLOCK)
        out[sl] = _quadrature_rows(r, alpha, a, b, x[sl], t_obs[sl], t[sl])
    return out


#: Rows integrated at once by :func:`_conditional_factor_quadrature` (memory: rows x 288).
_QUAD_BLOCK = 2048
_PANEL_X, _PANEL_W = np.polynomial.legendre.leggauss(24)
#: Offsets of the panel breakpoints around the mode (in standard deviations) and around the
#: bends of the integrand (in log-odds units).
_MODE_CUTS = np.array([-3.0, 0.0, 3.0])
_BEND_CUTS = np.array([-8.0, -2.0, 0.0, 2.0, 8.0])


def _quadrature_rows(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_obs: FloatArray, t: FloatArray
) -> FloatArray:
    bx = b + x
    log_mode = np.log(a) - np.log(bx)  # mode of u (log a/B)
    n = a + bx
    sd = np.sqrt(n / (a * bx))  # 1/sqrt(n mu (1 - mu)), mu = a/n, without 1 - mu -> 0
    lo = log_mode - np.maximum(12.0 * sd, 40.0 / a)  # left tail ~ e^{a u}
    hi = log_mode + np.maximum(12.0 * sd, 40.0 / bx)  # right tail ~ e^{-B u}
    scale = t / (alpha + t_obs)
    k = r + x
    with np.errstate(divide="ignore"):
        bend1 = -np.log(scale * np.maximum(k, 1.0))  # p s k ~ 1
        bend2 = -np.log(scale)  # p s ~ 1
    cuts = np.concatenate(
        [
            lo[:, None],
            hi[:, None],
            log_mode[:, None] + sd[:, None] * _MODE_CUTS[None, :],
            bend1[:, None] + _BEND_CUTS[None, :],
            bend2[:, None] + _BEND_CUTS[None, :],
        ],
        axis=1,
    )
    cuts = np.sort(np.clip(cuts, lo[:, None], hi[:, None]), axis=1)  # NaN/inf bends: clipped
    left, width = cuts[:, :-1], np.diff(cuts, axis=1)  # panels (zero width adds nothing)
    u = (left[:, :, None] + width[:, :, None] * ((_PANEL_X + 1.0) / 2.0)[None, None, :]).reshape(
        x.shape[0], -1
    )
    wts = (width[:, :, None] * (_PANEL_W / 2.0)[None, None, :]).reshape(x.shape[0], -1)
    log_dens = a * u - n[:, None] * np.logaddexp(0.0, u)  # log p^a (1-p)^B in u
    dens = np.exp(log_dens - np.max(log_dens, axis=1, keepdims=True)) * wts
    p = special.expit(u)
    sc = scale[:, None]
    kk = k[:, None]
    # (1 - (1 + p s)^-k) / p, written with expm1/log1p: finite and accurate down to p -> 0;
    # where p underflows to 0 (a in the 1e-13s spreads the nodes far into the left tail) its
    # limit k s, the no-dropout value
    pp = np.where(p > 0, p, 1.0)
    h = np.where(p > 0, -np.expm1(-kk * np.log1p(pp * sc)) / pp, kk * sc)
    out: FloatArray = np.sum(dens * h, axis=1) / np.sum(dens, axis=1)
    return out


class BetaGeo(_TransactionModel):
    r"""BG/NBD model of repeat purchases and customer death (Fader, Hardie & Lee 2005).

    Non-contractual setting: while alive, a customer buys as a Poisson process with rate
    :math:`\lambda \sim \text{Gamma}(r, \alpha)`; after each purchase the customer dies with
    probability :math:`p \sim \text{Beta}(a, b)`. Fitted on the customer summary
    (``frequency`` :math:`x`, ``recency`` :math:`t_x`, ``T``) by maximum likelihood on the
    log-parameters, with the analytic gradient; identical rows are compressed into weights.
    See the *Churn and value models* guide.

    Attributes
    ----------
    params_ : dict
        ``{"r", "alpha", "a", "b"}``; ``alpha`` is in the time unit of the summary.
    time_unit_ : str or None
        Time unit of the summary the model was fitted on (the unit of ``alpha`` and of every
        prediction horizon), None if unknown.
    log_likelihood_ : float
        Maximised log-likelihood.
    standard_errors_ : dict
        Standard errors from the observed information (see :mod:`custloyalty.models`).
    n_obs_ : float
        Number (total weight) of customers fitted on.
    converged_ : bool or None
        Whether the optimiser met its tolerance (None for a model rebuilt by ``from_dict``
        from parameters only).

    See Also
    --------
    ParetoNBD : the model BG/NBD approximates.
    GammaGamma : spend per transaction, combined with BG/NBD in :func:`clv`.

    Notes
    -----
    The likelihood of one customer is

    $$L = \frac{B(a, b+x)}{B(a, b)}\frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)(\alpha+T)^{r+x}}
    + \delta_{x>0}\frac{B(a+1, b+x-1)}{B(a, b)}
    \frac{\Gamma(r+x)\,\alpha^r}{\Gamma(r)(\alpha+t_x)^{r+x}},$$

    evaluated in log space (``gammaln``, log-Pochhammer ratios, ``logaddexp``), so frequencies
    in the thousands, ``T`` in the tens of thousands and ``a``, ``b`` in the billions neither
    overflow nor lose their digits.

    Predictions (written once in the shared base, :meth:`p_alive`, :meth:`expected_purchases`,
    :meth:`expected_purchases_new`, :meth:`probability_of_n_purchases`) use FHL (2005),
    eqs. 11, 10, 9 and 8:

    $$P(\text{alive}\mid x, t_x, T) = \left[1 + \delta_{x>0}\frac{a}{b+x-1}
    \left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}\right]^{-1},$$

    $$E[Y(h)\mid x, t_x, T] = \frac{a+b+x-1}{a-1}\left[1 -
    \left(\frac{\alpha+T}{\alpha+T+h}\right)^{r+x}{}_2F_1\!\left(r+x, b+x; a+b+x-1;
    \frac{h}{\alpha+T+h}\right)\right] P(\text{alive}\mid x, t_x, T),$$

    the hypergeometric term after Euler's transformation (small parameters for large ``x``),
    or, where scipy cannot evaluate it (``a + b`` above 1e4), as the expectation over the
    posterior dropout probability (finite limits: the no-dropout NBD as ``a/b -> 0``);
    :math:`P(X(h) = n) = \frac{B(a, b+n)}{B(a,b)}\mathrm{NB}(n; r, p) +
    \delta_{n>0}\frac{B(a+1, b+n-1)}{B(a,b)}P(\mathrm{NB}(r, p) \ge n)`,
    :math:`p = \alpha/(\alpha+h)`.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way:
    An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    https://doi.org/10.1287/mksc.1040.0098

    Examples
    --------
    >>> from custloyalty import rfm_summary
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.models import BetaGeo
    >>> tx = load_cdnow("sample")
    >>> summary = rfm_summary(tx, observation_end="1997-09-30", time_unit="W")
    >>> bg = BetaGeo().fit(summary)
    >>> {k: round(v, 3) for k, v in bg.params_.items()}
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    >>> round(bg.log_likelihood_, 2)
    -9582.43
    >>> bg.p_alive(summary).round(3).head(3)
    customer_id
    1    0.727
    2    0.212
    3    1.000
    Name: p_alive, dtype: float64
    """

    _param_names = ("r", "alpha", "a", "b")
    _model_name = "BetaGeo"

    # -- likelihood --------------------------------------------------------------------------

    def _x0_log(self, f: FloatArray, r: FloatArray, t: FloatArray, w: FloatArray) -> FloatArray:
        rate = float(np.sum(w * f) / max(float(np.sum(w * t)), 1e-12))
        alpha0 = 1.0 / max(rate, 1e-6)
        out: FloatArray = np.log(np.array([1.0, alpha0, 1.0, 1.0]))
        return out

    def _negll_and_grad(
        self, x: FloatArray, f: FloatArray, tx: FloatArray, t: FloatArray, w: FloatArray
    ) -> tuple[float, FloatArray]:
        r, alpha, a, b = np.exp(x)
        # special functions on the distinct frequencies, logs on the distinct durations
        fu, fi = self._factorize(f)
        tu, ti = self._factorize(t)
        xu, xi = self._factorize(tx)
        pos_u = fu > 0
        bx1_u = np.where(pos_u, b + fu - 1.0, 1.0)
        dig_ab = special.digamma(a + b)
        dig_abx_u = special.digamma(a + b + fu)
        c_u = log_poch(r, fu) + r * np.log(alpha)
        # B(a, b+x)/B(a, b) and B(a+1, b+x-1)/B(a, b) = a/(a+b) B(a+1, b+x-1)/B(a+1, b)
        b1_u = _log_beta_ratio(a, b, fu)
        fm1_u = np.where(pos_u, fu - 1.0, 0.0)
        b2_u = np.where(
            pos_u, np.log(a) - np.log(a + b) + _log_beta_ratio(a + 1.0, b, fm1_u), -np.inf
        )
        dr_u = digamma_diff(r, fu) + np.log(alpha)
        da1_u = dig_ab - dig_abx_u
        da2_u = special.digamma(a + 1.0) - dig_abx_u - special.digamma(a) + dig_ab
        db_common = -special.digamma(b) + dig_ab - dig_abx_u
        db1_u = special.digamma(b + fu) + db_common
        db2_u = special.digamma(bx1_u) + db_common
        log_at_u = np.log(alpha + tu)
        log_ax_u = np.log(alpha + xu)
        # per row: arithmetic and one logaddexp
        rf = r + f
        log_at = log_at_u[ti]
        log_ax = log_ax_u[xi]
        l1 = b1_u[fi] - rf * log_at
        l2 = b2_u[fi] - rf * log_ax
        s = np.logaddexp(l1, l2)
        ll = c_u[fi] + s
        p1 = np.exp(l1 - s)
        p2 = np.exp(l2 - s)  # 0 where x == 0 (l2 = -inf)
        d_r = dr_u[fi] - p1 * log_at - p2 * log_ax
        d_alpha = r / alpha - rf * (p1 * np.exp(-log_at) + p2 * np.exp(-log_ax))
        d_a = p1 * da1_u[fi] + p2 * da2_u[fi]
        d_b = p1 * db1_u[fi] + p2 * db2_u[fi]
        grad = np.array(
            [
                r * _wsum(w, d_r),
                alpha * _wsum(w, d_alpha),
                a * _wsum(w, d_a),
                b * _wsum(w, d_b),
            ]
        )
        return -float(_wsum(w, ll)), -grad

    # -- model-specific pieces of the predictions (the public methods are in the base) -------

    def _p_alive(self, x: FloatArray, tx: FloatArray, t: FloatArray) -> FloatArray:
        # FHL (2005), eq. 11: [1 + d_{x>0} a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)]^-1, as
        # expit(-log(odds)) so it stays in [0, 1]
        r, alpha, a, b = self._params
        out: FloatArray = special.expit(-_log_pbad(r, alpha, a, b, x, tx, t))
        return out

    def _expected_alive(self, x: FloatArray, t: FloatArray, horizon: FloatArray) -> FloatArray:
        # FHL (2005), eq. 10 without its P(alive) denominator. The hypergeometric factor
        # depends on (x, T, horizon) only: evaluated once per distinct triple
        r, alpha, a, b = self._params
        rows, _, inverse = _compress(x, t, horizon)
        out: FloatArray = _conditional_factor(r, alpha, a, b, rows[:, 0], rows[:, 1], rows[:, 2])[
            inverse
        ]
        return out

    def _expected_new(self, horizon: FloatArray) -> FloatArray:
        # FHL (2005), eq. 9: the conditional factor at x = 0, T = 0
        r, alpha, a, b = self._params
        zero = np.zeros_like(horizon)
        return _conditional_factor(r, alpha, a, b, zero, zero, horizon)

    def _pmf(self, horizon: FloatArray, n: FloatArray) -> FloatArray:
        # FHL (2005), eq. 8, with the beta-function ratios as log-Pochhammer differences
        r, alpha, a, b = self._params
        p = alpha / (alpha + horizon)
        # the NBD probability of n purchases, with its coefficient as a log-Pochhammer symbol
        # (scipy's nbinom.logpmf subtracts two huge gammaln values when r is large)
        log_p = -np.log1p(horizon / alpha)
        with np.errstate(divide="ignore", invalid="ignore"):  # horizon 0: log(1 - p) = -inf
            log_q = np.log(horizon) - np.log(alpha + horizon)
            log_nbd = (
                np.where(n > 0, log_poch(r, n) - special.gammaln(n + 1.0) + n * log_q, 0.0)
                + r * log_p
            )
        first = np.exp(_log_beta_ratio(a, b, n) + log_nbd)
        pos = n > 0
        tail = stats.nbinom.logsf(np.where(pos, n - 1.0, 0.0), r, p)
        nm1 = np.where(pos, n - 1.0, 0.0)
        log_second = np.where(
            pos, np.log(a) - np.log(a + b) + _log_beta_ratio(a + 1.0, b, nm1) + tail, -np.inf
        )
        out: FloatArray = first + np.exp(log_second)
        return out


def _sample_summary(params: dict[str, float], T: Any, *, seed: int | None = None) -> pd.DataFrame:
    r"""Draw customer summaries from the BG/NBD generative process (vectorised; for tests).

    ``T`` holds each customer's observation length. With :math:`N \sim
    \text{Poisson}(\lambda T)` purchases of the never-dying process and :math:`K \sim
    \text{Geometric}(p)` purchases until dropout, ``frequency`` is :math:`x = \min(N, K)` and,
    given :math:`N`, the :math:`x`-th of :math:`N` uniform purchase times is
    :math:`T\,\text{Beta}(x, N - x + 1)`.
    """
    rng = np.random.default_rng(seed)
    t = np.asarray(T, dtype=np.float64).reshape(-1)
    n = t.shape[0]
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    big_n = rng.poisson(lam * t)
    k = rng.geometric(np.clip(p, 1e-300, 1.0))
    x = np.minimum(big_n, k)
    pos = x > 0
    tx = np.zeros(n)
    tx[pos] = t[pos] * rng.beta(x[pos], big_n[pos] - x[pos] + 1)
    return pd.DataFrame({"frequency": x.astype(np.int64), "recency": tx, "T": t})

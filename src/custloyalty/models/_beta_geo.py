r"""BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special, stats

from custloyalty._validation import as_1d_float, check_nan_policy
from custloyalty.errors import ValidationError
from custloyalty.models._base import FloatArray, _TransactionModel, _wsum, compress

__all__ = ["BetaGeo"]

#: Above this a + b, scipy's hyp2f1 is not trusted and the quadrature form is used.
_HYP2F1_MAX_AB = 1e4
_BG_X, _BG_W = np.polynomial.legendre.leggauss(96)
_BG_NODES = (_BG_X + 1.0) / 2.0
_BG_WEIGHTS = _BG_W / 2.0

_LARGE = 1e7  # above this, log-Pochhammer symbols use Stirling's series (no cancellation)


def _log_poch(x: Any, n: Any) -> Any:
    r"""``log Gamma(x + n) - log Gamma(x)``, accurate also for ``x`` in the billions.

    For ``x >= 1e7`` the difference of two huge ``gammaln`` values would lose all digits;
    Stirling's series gives it as :math:`n\log x + (x+n-\tfrac12)\log(1+n/x) - n +
    \tfrac{1}{12(x+n)} - \tfrac{1}{12x}` (next term below 1e-21).
    """
    x, n = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(n, dtype=np.float64))
    big = x >= _LARGE
    xs = np.where(big, x, 1.0)
    with np.errstate(divide="ignore"):
        stirling = (
            n * np.log(xs)
            + (xs + n - 0.5) * np.log1p(n / xs)
            - n
            + 1.0 / (12.0 * (xs + n))
            - 1.0 / (12.0 * xs)
        )
    small = special.gammaln(np.where(big, 1.0, x) + n) - special.gammaln(np.where(big, 1.0, x))
    return np.where(big, stirling, small)


def _log_beta_ratio(a: Any, b: Any, n: Any) -> Any:
    """``log B(a, b + n) - log B(a, b)`` = log prod_{j<n} (b+j)/(a+b+j), stable for huge a, b.

    scipy's ``betaln`` at ``a`` about 3e9 and ``b`` about 1e13 (a BG/NBD fit on a base where
    nobody drops out) returns values whose differences are pure rounding; written with
    log-Pochhammer symbols the ratio keeps its digits.
    """
    return _log_poch(b, n) - _log_poch(a + b, n)


_FHL2005 = (
    'Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way: '
    "An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284. "
    "https://doi.org/10.1287/mksc.1040.0098"
)


def _time_array(t: Any, name: str, *, nan_policy: str | None = None) -> tuple[FloatArray, bool]:
    """Validate a horizon (scalar or 1-D array of values >= 0); return it and 'was scalar'.

    Missing values raise, unless ``nan_policy="omit"`` (they stay NaN in the result, for the
    caller to mask). ``nan_policy=None`` is for functions without that option: the message
    then carries no hint about it.
    """
    scalar = np.ndim(t) == 0
    full, keep = as_1d_float(
        np.atleast_1d(np.asarray(t, dtype=object)),
        name,
        nan_policy="omit" if nan_policy == "omit" else "raise",
        keep_missing=True,
        allow_empty=True,
        missing_hint=(
            "pass nan_policy='omit' to get NaN for these customers."
            if nan_policy == "raise"
            else None
        ),
    )
    if keep.shape[0] == 0:
        msg = f"{name} is empty."
        raise ValidationError(msg)
    neg = keep & (np.where(keep, full, 0.0) < 0)
    if neg.any():
        msg = f"{name} must be >= 0; got {full[neg][:5].tolist()}."
        raise ValidationError(msg)
    return full, scalar


def _horizon(
    t: Any, n: int, *, nan_policy: str, func: str
) -> tuple[FloatArray, npt.NDArray[np.bool_] | None]:
    """Validate the horizon of a conditional prediction for ``n`` customers.

    Returns the horizon with missing values replaced by 0 (safe to compute with) and the mask
    of customers whose horizon is missing (``None`` when none is).
    """
    policy = check_nan_policy(nan_policy, func=func)
    tt, _ = _time_array(t, "t", nan_policy=policy)
    if tt.shape[0] not in (1, n):
        msg = f"t must be a scalar or one value per customer ({n}); got {tt.shape[0]}."
        raise ValidationError(msg)
    bad = np.isnan(tt)
    if not bad.any():
        return tt, None
    return np.where(bad, 0.0, tt), np.broadcast_to(bad, (n,))


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
    bad = ~np.isfinite(out)
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
    :math:`u = \log(p/(1-p))`, where the density is log-concave: 96-point Gauss-Legendre over
    the mode plus or minus 12 standard deviations, or the exponential tails (rates ``a`` and
    ``b + x``) down to :math:`e^{-40}` when wider, normalised by the same rule. Finite for any
    positive parameters.
    """
    bx = b + x
    log_mode = np.log(a) - np.log(bx)  # mode of u (log a/B)
    n = a + bx
    mu = a / n
    sd = 1.0 / np.sqrt(n * mu * (1.0 - mu))
    lo = log_mode - np.maximum(12.0 * sd, 40.0 / a)  # left tail ~ e^{a u}
    hi = log_mode + np.maximum(12.0 * sd, 40.0 / bx)  # right tail ~ e^{-B u}
    u = lo[:, None] + (hi - lo)[:, None] * _BG_NODES[None, :]
    log_dens = a * u - n[:, None] * np.logaddexp(0.0, u)  # log p^a (1-p)^B in u
    dens = np.exp(log_dens - np.max(log_dens, axis=1, keepdims=True)) * _BG_WEIGHTS[None, :]
    p = special.expit(u)
    scale = (t / (alpha + t_obs))[:, None]
    k = (r + x)[:, None]
    # (1 - (1 + p s)^-k) / p, written with expm1/log1p: finite and accurate down to p -> 0
    h = -np.expm1(-k * np.log1p(p * scale)) / p
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

    evaluated in log space (``gammaln``, ``betaln``, ``logaddexp``), so frequencies in the
    thousands and ``T`` in the tens of thousands neither overflow nor underflow.

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
        c_u = special.gammaln(r + fu) - special.gammaln(r) + r * np.log(alpha)
        # B(a, b+x)/B(a, b) and B(a+1, b+x-1)/B(a, b) = a/(a+b) B(a+1, b+x-1)/B(a+1, b)
        b1_u = _log_beta_ratio(a, b, fu)
        fm1_u = np.where(pos_u, fu - 1.0, 0.0)
        b2_u = np.where(
            pos_u, np.log(a) - np.log(a + b) + _log_beta_ratio(a + 1.0, b, fm1_u), -np.inf
        )
        dr_u = special.digamma(r + fu) - special.digamma(r) + np.log(alpha)
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

    # -- predictions -------------------------------------------------------------------------

    def p_alive(
        self,
        data: Any = None,
        *,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        nan_policy: str = "raise",
    ) -> pd.Series:
        r"""Probability that each customer is still alive at the end of the observation.

        Parameters
        ----------
        data
            Customer summary with columns ``frequency``, ``recency``, ``T`` (or the names given
            as keywords), or None with the three columns passed as arrays.
        frequency, recency, T
            Column names in ``data`` or arrays (see :meth:`fit`).
        nan_policy
            ``"raise"`` (default) on missing values, or ``"omit"``: customers with a missing
            value get NaN (the output stays aligned to the input).

        Returns
        -------
        pandas.Series
            ``p_alive`` in [0, 1], aligned to the index of ``data``; exactly 1 for customers
            without repeat purchase (the model lets a customer die only after a purchase),
            decreasing in ``T`` for a given history. Long-silent, frequent buyers can get
            exactly 0 (the odds of death overflow double precision).

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            Invalid summary.

        Notes
        -----
        $$P(\text{alive}\mid x, t_x, T) = \left[1 + \delta_{x>0}\frac{a}{b+x-1}
        \left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}\right]^{-1}$$

        computed as :math:`\operatorname{expit}(-\log(\cdot))` to stay within [0, 1].

        References
        ----------
        Fader, Hardie & Lee (2005), equation (11). https://doi.org/10.1287/mksc.1040.0098

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> bg = BetaGeo.from_dict({"params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}})
        >>> bg.p_alive(frequency=[0, 2, 2], recency=[0.0, 30.0, 5.0], T=[38.0, 38.0, 38.0]).round(3)
        0    1.000
        1    0.730
        2    0.129
        Name: p_alive, dtype: float64
        """
        rft = self._predict_inputs(
            data, frequency, recency, T, nan_policy=nan_policy, func="BetaGeo.p_alive"
        )
        return self._series(self._p_alive(rft.frequency, rft.recency, rft.T), rft, "p_alive")

    def _p_alive(self, x: FloatArray, tx: FloatArray, t: FloatArray) -> FloatArray:
        r, alpha, a, b = self._params
        out: FloatArray = special.expit(-_log_pbad(r, alpha, a, b, x, tx, t))
        return out

    def expected_purchases(
        self,
        t: Any,
        data: Any = None,
        *,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        nan_policy: str = "raise",
    ) -> pd.Series:
        r"""Return the expected number of purchases in the next ``t`` time units, given history.

        Parameters
        ----------
        t
            Horizon after the end of observation, in the time unit of the summary: a scalar
            >= 0, or one value per customer.
        data, frequency, recency, T
            Customer summary (see :meth:`p_alive`).
        nan_policy
            ``"raise"`` (default) on missing values (in the summary or in ``t``), or
            ``"omit"``: those customers get NaN.

        Returns
        -------
        pandas.Series
            ``expected_purchases`` >= 0 per customer, increasing in ``t`` (0 at ``t = 0``).

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            Invalid summary, or a negative horizon.

        Notes
        -----
        Fader, Hardie & Lee (2005), equation (10):

        $$E[Y(t)\mid x, t_x, T] = \frac{a+b+x-1}{a-1}\,
        \frac{1 - \left(\frac{\alpha+T}{\alpha+T+t}\right)^{r+x}
        {}_2F_1\!\left(r+x, b+x; a+b+x-1; \frac{t}{\alpha+T+t}\right)}
        {1 + \delta_{x>0}\frac{a}{b+x-1}\left(\frac{\alpha+T}{\alpha+t_x}\right)^{r+x}}$$

        The Gauss hypergeometric term is evaluated after Euler's transformation
        :math:`(1-z)^{r+x}{}_2F_1(r+x, b+x; c; z) = (1-z)^{a-1}{}_2F_1(c-r-x, a-1; c; z)`,
        :math:`c = a+b+x-1`, which keeps its parameters small for large ``x``.

        References
        ----------
        Fader, Hardie & Lee (2005). https://doi.org/10.1287/mksc.1040.0098

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> bg = BetaGeo.from_dict({"params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}})
        >>> hist = {"frequency": [0, 2], "recency": [0.0, 30.0], "T": [38.0, 38.0]}
        >>> bg.expected_purchases(39, **hist).round(2)
        0    0.20
        1    1.25
        Name: expected_purchases, dtype: float64
        """
        func = "BetaGeo.expected_purchases"
        rft = self._predict_inputs(data, frequency, recency, T, nan_policy=nan_policy, func=func)
        tt, t_missing = _horizon(t, len(rft), nan_policy=nan_policy, func=func)
        vals = self._expected_conditional(rft.frequency, rft.recency, rft.T, tt)
        return self._series(vals, rft, "expected_purchases", t_missing)

    def _expected_conditional(
        self, x: FloatArray, tx: FloatArray, t_obs: FloatArray, t: FloatArray
    ) -> FloatArray:
        r, alpha, a, b = self._params
        ok = np.isfinite(x)
        xs, txs, ts = np.where(ok, x, 0.0), np.where(ok, tx, 0.0), np.where(ok, t_obs, 1.0)
        # the hypergeometric factor depends on (x, T, t) only: evaluate it once per distinct
        # triple (few: frequencies are small integers, T and t take few values)
        rows, _, inverse = compress(xs, ts, np.broadcast_to(t, xs.shape))
        base = _conditional_factor(r, alpha, a, b, rows[:, 0], rows[:, 1], rows[:, 2])[inverse]
        out: FloatArray = np.maximum(base * self._p_alive(xs, txs, ts), 0.0)
        return out

    def expected_purchases_new(self, t: Any) -> float | FloatArray:
        r"""Return the expected number of repeat purchases of a new customer in ``(0, t]``.

        Parameters
        ----------
        t
            Time since the first purchase (scalar or 1-D array, >= 0), in the model's time unit.

        Returns
        -------
        float or numpy.ndarray
            Expected purchases >= 0, increasing in ``t``; a float for a scalar ``t``.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            A negative or non-numeric ``t``.

        Notes
        -----
        Fader, Hardie & Lee (2005), equation (9):

        $$E[X(t)] = \frac{a+b-1}{a-1}\left[1 - \left(\frac{\alpha}{\alpha+t}\right)^r
        {}_2F_1\!\left(r, b; a+b-1; \frac{t}{\alpha+t}\right)\right]$$

        References
        ----------
        Fader, Hardie & Lee (2005). https://doi.org/10.1287/mksc.1040.0098

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> bg = BetaGeo.from_dict({"params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}})
        >>> bg.expected_purchases_new([39, 78]).round(3)
        array([1.197, 1.861])
        """
        self._check_fitted()
        tt, scalar = _time_array(t, "t")
        r, alpha, a, b = self._params
        zero = np.zeros_like(tt)
        out = np.maximum(_conditional_factor(r, alpha, a, b, zero, zero, tt), 0.0)
        return float(out[0]) if scalar else out

    def probability_of_n_purchases(self, t: Any, n: Any) -> float | FloatArray:
        r"""Probability that a new customer makes exactly ``n`` repeat purchases in ``(0, t]``.

        Parameters
        ----------
        t
            Length of the period (scalar or array, >= 0), in the model's time unit.
        n
            Number of purchases (integer >= 0, scalar or array); broadcast against ``t``.

        Returns
        -------
        float or numpy.ndarray
            Probabilities in [0, 1], summing to 1 over ``n = 0, 1, ...``; a float when both
            arguments are scalars.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            Negative ``t`` or a negative / non-integer ``n``.

        Notes
        -----
        Fader, Hardie & Lee (2005), equation (8), with :math:`p = \alpha/(\alpha+t)` and the
        negative binomial pmf and tail:

        $$P(X(t) = n) = \frac{B(a, b+n)}{B(a,b)}\,\mathrm{NB}(n; r, p)
        + \delta_{n>0}\frac{B(a+1, b+n-1)}{B(a,b)}\,P(\mathrm{NB}(r, p) \ge n)$$

        References
        ----------
        Fader, Hardie & Lee (2005). https://doi.org/10.1287/mksc.1040.0098

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> bg = BetaGeo.from_dict({"params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}})
        >>> bg.probability_of_n_purchases(39, [0, 1, 2]).round(3)
        array([0.574, 0.199, 0.085])
        """
        self._check_fitted()
        scalar = np.ndim(t) == 0 and np.ndim(n) == 0
        tt = np.asarray(t, dtype=np.float64)
        nn = np.asarray(n, dtype=np.float64)
        if not np.all(np.isfinite(tt)) or (tt < 0).any():
            msg = "t must be finite and >= 0."
            raise ValidationError(msg)
        if not np.all(np.isfinite(nn)) or (nn < 0).any() or (nn != np.floor(nn)).any():
            msg = "n must hold integers >= 0."
            raise ValidationError(msg)
        tt, nn = np.broadcast_arrays(tt, nn)
        r, alpha, a, b = self._params
        p = alpha / (alpha + tt)
        first = np.exp(_log_beta_ratio(a, b, nn) + stats.nbinom.logpmf(nn, r, p))
        pos = nn > 0
        tail = stats.nbinom.logsf(np.where(pos, nn - 1.0, 0.0), r, p)
        nm1 = np.where(pos, nn - 1.0, 0.0)
        log_second = np.where(
            pos, np.log(a) - np.log(a + b) + _log_beta_ratio(a + 1.0, b, nm1) + tail, -np.inf
        )
        second = np.exp(log_second)
        out: npt.NDArray[np.float64] = np.clip(first + second, 0.0, 1.0)
        return float(out) if scalar else out


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

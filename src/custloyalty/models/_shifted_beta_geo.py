r"""Shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007)."""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from custloyalty._validation import check_discount_rate, format_examples
from custloyalty.errors import ValidationError
from custloyalty.models._base import FloatArray, _fit_mle, _FittedModel, _weights_array, _wsum
from custloyalty.models._inputs import _numeric_nd, _refuse_bool
from custloyalty.models._special import log_poch

__all__ = ["ShiftedBetaGeo"]


def _survivor_matrix(survivors: Any, *, func: str) -> tuple[FloatArray, pd.Index]:
    """Survivor counts as a (cohorts x periods) float matrix, NaN after a cohort's last period."""
    if isinstance(survivors, pd.DataFrame):
        for col in survivors.columns:
            _refuse_bool(survivors[col], f"survivors column {col!r}", func=func)
        index = survivors.index
        try:
            mat = survivors.to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            msg = f"{func}: survivors must hold numbers (customers still active per period)."
            raise ValidationError(msg) from None
    else:
        _refuse_bool(
            survivors
            if hasattr(survivors, "dtype")
            else list(np.ravel(np.asarray(survivors, dtype=object))),
            "survivors",
            func=func,
        )
        try:
            mat = np.asarray(survivors, dtype=np.float64)
        except (TypeError, ValueError):
            msg = f"{func}: survivors must hold numbers (customers still active per period)."
            raise ValidationError(msg) from None
        if mat.ndim == 1:
            mat = mat[None, :]
        if mat.ndim != 2:
            msg = f"{func}: survivors must be 1-D (one cohort) or 2-D (cohorts x periods)."
            raise ValidationError(msg)
        index = pd.RangeIndex(mat.shape[0], name="cohort")
    if mat.shape[1] < 2:
        msg = f"{func}: survivors needs at least two periods (cohort size, then survivors)."
        raise ValidationError(msg)
    if np.isinf(mat).any():
        msg = f"{func}: survivors has infinite values."
        raise ValidationError(msg)
    nan = np.isnan(mat)
    # NaN only as a trailing block per row (cohorts observed for fewer periods)
    trailing = np.flip(np.cumprod(np.flip(nan, axis=1), axis=1), axis=1).astype(bool)
    if (nan & ~trailing).any() or nan[:, 0].any():
        rows = np.flatnonzero((nan & ~trailing).any(axis=1) | nan[:, 0])
        msg = (
            f"{func}: survivors has {rows.size} cohorts with missing counts before their last "
            f"observed period {format_examples(index[rows], index[rows])}.\n"
            "Hint: only the periods after a cohort's last observation may be missing (NaN)."
        )
        raise ValidationError(msg)
    vals = np.where(nan, 0.0, mat)
    if (vals < 0).any() or (vals[:, 0] <= 0).any():
        msg = f"{func}: survivors must be >= 0 with a positive cohort size (first period)."
        raise ValidationError(msg)
    diffs = np.diff(mat, axis=1)
    if (np.nan_to_num(diffs, nan=0.0) > 0).any():
        rows = np.flatnonzero((np.nan_to_num(diffs, nan=0.0) > 0).any(axis=1))
        msg = (
            f"{func}: survivors must not increase over time; {rows.size} cohorts do "
            f"{format_examples(index[rows], index[rows])}."
        )
        raise ValidationError(msg)
    return mat, index


_Q_X, _Q_W = np.polynomial.legendre.leggauss(24)
_MODE_CUTS = np.array([-3.0, 0.0, 3.0])
_BEND_CUTS = np.array([-8.0, -2.0, 0.0, 2.0, 8.0])


def _derl_quadrature(g: float, b: Any, d_rate: float) -> FloatArray:
    r"""DERL as :math:`E[(1-\theta)(1+d)/(d+\theta)]`, :math:`\theta \sim \text{Beta}(g, b)`.

    The posterior churn probability of a customer who has renewed ``b - delta`` times;
    :math:`\sum_{k \ge 0} (1-\theta)^{k+1}/(1+d)^k` summed. Gauss-Legendre in the log-odds
    (where the Beta density is log-concave) over the mode plus or minus 12 standard
    deviations, or the exponential tails down to :math:`e^{-40}` when wider, in panels of
    24-point rules cut at the mode and at :math:`\theta = d`; for
    ``delta`` too large for scipy's ``hyp2f1`` (the no-churn limit :math:`(1+d)/d`).
    """
    bb = np.atleast_1d(np.asarray(b, dtype=np.float64))
    mode = np.log(g) - np.log(bb)
    sd = np.sqrt((g + bb) / (g * bb))
    lo = mode - np.maximum(12.0 * sd, 40.0 / g)
    hi = mode + np.maximum(12.0 * sd, 40.0 / bb)
    # panels cut at the mode and where the integrand bends (theta ~ d): one rule over the
    # whole range was 5e-5 off at gamma = 1e4, delta = 1
    bend = np.log(d_rate) - np.log1p(-d_rate) if d_rate < 1 else 0.0
    cuts = np.concatenate(
        [
            lo[:, None],
            hi[:, None],
            mode[:, None] + sd[:, None] * _MODE_CUTS[None, :],
            np.broadcast_to(bend + _BEND_CUTS, (bb.shape[0], _BEND_CUTS.shape[0])),
        ],
        axis=1,
    )
    cuts = np.sort(np.clip(cuts, lo[:, None], hi[:, None]), axis=1)
    left, width = cuts[:, :-1], np.diff(cuts, axis=1)
    u = (left[:, :, None] + width[:, :, None] * ((_Q_X + 1.0) / 2.0)[None, None, :]).reshape(
        bb.shape[0], -1
    )
    wts = (width[:, :, None] * (_Q_W / 2.0)[None, None, :]).reshape(bb.shape[0], -1)
    log_dens = g * u - (g + bb)[:, None] * np.logaddexp(0.0, u)
    dens = np.exp(log_dens - np.max(log_dens, axis=1, keepdims=True)) * wts
    theta = special.expit(u)
    f = special.expit(-u) * (1.0 + d_rate) / (d_rate + theta)
    out: FloatArray = np.sum(dens * f, axis=1) / np.sum(dens, axis=1)
    return out


def _periods(t: Any, name: str, *, low: int) -> tuple[FloatArray, bool]:
    scalar = np.ndim(t) == 0
    try:
        arr = np.atleast_1d(_numeric_nd(t, name))
    except ValidationError as err:
        msg = f"{name} must be a number of periods; got {t!r:.60}.\n{err}"
        raise ValidationError(msg) from None
    if arr.ndim != 1:
        msg = f"{name} must be a number or a 1-D array of periods; got shape {arr.shape}."
        raise ValidationError(msg)
    if not np.all(np.isfinite(arr)) or (arr < low).any():
        msg = f"{name} must be finite and >= {low}; got {t!r:.60}."
        raise ValidationError(msg)
    return arr, scalar


def _log_survival(g: float, d: float, t: FloatArray) -> FloatArray:
    r""":math:`\log S(t) = \log B(\gamma, \delta+t) - \log B(\gamma, \delta)`, stable.

    Written as log-Pochhammer symbols, :math:`\log\Gamma(\delta+t) - \log\Gamma(\delta)
    - [\log\Gamma(\gamma+\delta+t) - \log\Gamma(\gamma+\delta)]`: the difference of two
    ``betaln`` values keeps no digits when :math:`\gamma` or :math:`\delta` is in the
    trillions (:math:`S(1) = \delta/(\gamma+\delta)` came out 0.472 instead of 0.5 at
    :math:`\gamma = \delta = 10^{13}`).
    """
    out: FloatArray = np.asarray(log_poch(d, t) - log_poch(g + d, t), dtype=np.float64)
    return out


class ShiftedBetaGeo(_FittedModel):
    r"""Shifted-beta-geometric model of contract renewals (Fader & Hardie 2007).

    Contractual setting with discrete periods: at the end of each period a customer churns with
    her own probability :math:`\theta`, constant over time, and :math:`\theta` varies across
    customers as :math:`\text{Beta}(\gamma, \delta)`. The aggregate retention rate then rises
    over time as the customers prone to churn leave (sorting), which a single churn rate cannot
    capture. Fitted by maximum likelihood on survivor counts of one or several cohorts. See the
    *Churn and value models* guide.

    Attributes
    ----------
    params_ : dict
        ``{"gamma", "delta"}``.
    log_likelihood_ : float
        Maximised log-likelihood.
    standard_errors_ : dict
        Standard errors from the observed information.
    n_obs_ : float
        Number of customers (sum of the cohort sizes, weighted when fitted with weights).
    converged_ : bool or None
        Whether the optimiser met its tolerance (None for a model rebuilt by ``from_dict``
        from parameters only).

    See Also
    --------
    custloyalty.metrics.cohort_retention : observed retention by cohort.

    Notes
    -----
    With :math:`T` the period in which a customer churns,

    $$P(T = t) = \frac{B(\gamma+1, \delta+t-1)}{B(\gamma, \delta)},\qquad
    S(t) = P(T > t) = \frac{B(\gamma, \delta+t)}{B(\gamma, \delta)},$$

    and for a cohort with :math:`n_0, n_1, \dots, n_k` customers active at the start of periods
    :math:`1, \dots, k+1`, the log-likelihood is

    $$\ell(\gamma, \delta) = \sum_{t=1}^{k} (n_{t-1} - n_t)\log P(T=t) + n_k \log S(k).$$

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
    Interactive Marketing*, 21(1), 76-90. https://doi.org/10.1002/dir.20074

    Examples
    --------
    >>> from custloyalty.models import ShiftedBetaGeo
    >>> sbg = ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    >>> {k: round(v, 3) for k, v in sbg.params_.items()}, round(sbg.log_likelihood_, 2)
    ({'gamma': 0.704, 'delta': 1.182}, -1680.27)
    >>> sbg.survival([0, 1, 7, 12]).round(3)
    array([1.   , 0.627, 0.239, 0.17 ])
    """

    _param_names = ("gamma", "delta")
    _model_name = "ShiftedBetaGeo"

    @staticmethod
    def _negll_and_grad(
        x: FloatArray,
        t_churn: FloatArray,
        n_churn: FloatArray,
        t_surv: FloatArray,
        n_surv: FloatArray,
    ) -> tuple[float, FloatArray]:
        g, d = np.exp(x)
        bgd = special.betaln(g, d)
        dig_gd = special.digamma(g + d)
        dig_g = special.digamma(g)
        dig_d = special.digamma(d)
        log_p = special.betaln(g + 1.0, d + t_churn - 1.0) - bgd
        log_s = special.betaln(g, d + t_surv) - bgd
        ll = float(_wsum(n_churn, log_p) + _wsum(n_surv, log_s))
        dig_c = special.digamma(g + d + t_churn)
        dig_s = special.digamma(g + d + t_surv)
        dp_g = special.digamma(g + 1.0) - dig_c - dig_g + dig_gd
        dp_d = special.digamma(d + t_churn - 1.0) - dig_c - dig_d + dig_gd
        ds_g = dig_gd - dig_s
        ds_d = special.digamma(d + t_surv) - dig_s - dig_d + dig_gd
        grad = np.array(
            [
                g * (_wsum(n_churn, dp_g) + _wsum(n_surv, ds_g)),
                d * (_wsum(n_churn, dp_d) + _wsum(n_surv, ds_d)),
            ]
        )
        return -ll, -grad

    def fit(self, survivors: Any, *, sample_weight: Any = None) -> Self:
        """Fit the model on survivor counts.

        Parameters
        ----------
        survivors
            Customers still active at the start of each period, the first element being the
            cohort size: a sequence for one cohort, or a DataFrame / 2-D array with one row
            per cohort and one column per period, NaN after a cohort's last observed period
            (the usual triangular cohort table). All cohorts share the parameters.
        sample_weight
            Optional weight per cohort (default 1 each; >= 0, one value per row of
            ``survivors``): each cohort's log-likelihood is multiplied by it, as if its
            customers were counted that many times. Use it for sampling weights, or to pass
            survivor *shares* (first element 1) with the cohort sizes as weights. Cohorts of
            weight 0 are ignored; integer weights equal repeating the rows.

        Returns
        -------
        Self
            The fitted model; ``n_obs_`` is the weighted number of customers.

        Raises
        ------
        ValidationError
            Fewer than two periods, negative or increasing counts, missing counts inside a
            cohort's observed periods, invalid weights.
        ConvergenceError
            The optimiser ended on a non-finite likelihood.
        """
        func = "ShiftedBetaGeo.fit"
        mat, index = _survivor_matrix(survivors, func=func)
        if sample_weight is not None:
            w = _weights_array(
                sample_weight, mat.shape[0], nan_policy=None, func=func, unit="cohorts", index=index
            )
            use = w > 0
            mat = mat[use] * w[use, None]  # the likelihood is linear in the counts
        n_periods = mat.shape[1]
        observed = ~np.isnan(mat)
        last = observed.sum(axis=1) - 1  # index of each cohort's last observed count
        churn = -np.diff(mat, axis=1)  # churners in periods 1..k (NaN where unobserved)
        t_grid = np.broadcast_to(np.arange(1, n_periods, dtype=np.float64), churn.shape)
        has = ~np.isnan(churn) & (churn > 0)
        t_churn, n_churn = t_grid[has], churn[has]
        n_surv = mat[np.arange(mat.shape[0]), last]
        t_surv = last.astype(np.float64)
        keep = (n_surv > 0) & (t_surv > 0)
        t_surv, n_surv = t_surv[keep], n_surv[keep]
        n_obs = float(mat[:, 0].sum())
        if not (last > 0).any():
            msg = f"{func}: no cohort (of positive weight) is observed beyond its first period."
            raise ValidationError(msg)

        def fun(x: FloatArray) -> tuple[float, FloatArray]:
            return self._negll_and_grad(x, t_churn, n_churn, t_surv, n_surv)

        fit = _fit_mle(fun, np.zeros(2), n_obs=n_obs, model="ShiftedBetaGeo")
        self._set_fit(fit, n_obs)
        return self

    # -- curves ------------------------------------------------------------------------------

    def survival(self, horizon: Any) -> float | FloatArray:
        r"""Return the probability that a new customer is still active after ``horizon`` periods.

        Parameters
        ----------
        horizon
            Number of periods (scalar or 1-D array, >= 0; non-integers interpolate the curve).

        Returns
        -------
        float or numpy.ndarray
            :math:`S(t)` in (0, 1], 1 at ``horizon = 0``, decreasing in ``horizon``.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            Negative or non-finite ``horizon``.

        Notes
        -----
        $$S(t) = \frac{B(\gamma, \delta + t)}{B(\gamma, \delta)}$$

        References
        ----------
        Fader & Hardie (2007), eq. 2. https://doi.org/10.1002/dir.20074

        Examples
        --------
        >>> from custloyalty.models import ShiftedBetaGeo
        >>> sbg = ShiftedBetaGeo.from_params({"gamma": 0.704, "delta": 1.182})
        >>> round(sbg.survival(1), 3)
        0.627
        """
        self._check_fitted()
        tt, scalar = _periods(horizon, "horizon", low=0)
        g, d = self._params
        out = np.exp(_log_survival(g, d, tt))
        return float(out[0]) if scalar else out

    def retention(self, horizon: Any) -> float | FloatArray:
        r"""Return the retention rate of period ``horizon`` (share of the previous period kept).

        Parameters
        ----------
        horizon
            Period number (scalar or 1-D array, >= 1).

        Returns
        -------
        float or numpy.ndarray
            :math:`r_t` in (0, 1), increasing in ``horizon`` (the heterogeneity "sorting" effect).

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            ``horizon < 1``.

        Notes
        -----
        $$r_t = \frac{S(t)}{S(t-1)} = \frac{\delta + t - 1}{\gamma + \delta + t - 1}$$

        References
        ----------
        Fader & Hardie (2007), eq. 4. https://doi.org/10.1002/dir.20074

        Examples
        --------
        >>> from custloyalty.models import ShiftedBetaGeo
        >>> sbg = ShiftedBetaGeo.from_params({"gamma": 0.704, "delta": 1.182})
        >>> sbg.retention([1, 2, 10]).round(3)
        array([0.627, 0.756, 0.935])
        """
        self._check_fitted()
        tt, scalar = _periods(horizon, "horizon", low=1)
        g, d = self._params
        out = (d + tt - 1.0) / (g + d + tt - 1.0)
        return float(out[0]) if scalar else out

    def churn_probability(self, horizon: Any) -> float | FloatArray:
        r"""Return the probability that a new customer churns in period ``horizon`` (at its end).

        Parameters
        ----------
        horizon
            Period number (scalar or 1-D array, >= 1).

        Returns
        -------
        float or numpy.ndarray
            :math:`P(T = t)` in (0, 1) at :math:`t` = ``horizon``, decreasing in ``horizon``;
            sums to 1 over ``horizon = 1, 2, ...``.
            The conditional churn rate of period ``horizon`` is ``1 - retention(horizon)``.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            ``horizon < 1``.

        Notes
        -----
        $$P(T = t) = \frac{B(\gamma + 1, \delta + t - 1)}{B(\gamma, \delta)}$$

        References
        ----------
        Fader & Hardie (2007), eq. 1. https://doi.org/10.1002/dir.20074

        Examples
        --------
        >>> from custloyalty.models import ShiftedBetaGeo
        >>> sbg = ShiftedBetaGeo.from_params({"gamma": 0.704, "delta": 1.182})
        >>> sbg.churn_probability([1, 2]).round(3)
        array([0.373, 0.153])
        """
        self._check_fitted()
        tt, scalar = _periods(horizon, "horizon", low=1)
        g, d = self._params
        # P(T = t) = S(t - 1) gamma / (gamma + delta + t - 1), in logs (see _log_survival)
        log_hazard = np.log(g) - np.log(g + d + tt - 1.0)
        out = np.minimum(np.exp(_log_survival(g, d, tt - 1.0) + log_hazard), 1.0)
        return float(out[0]) if scalar else out

    def expected_lifetime(self) -> float:
        r"""Return the expected number of periods a new customer stays (churn period included).

        Returns
        -------
        float
            :math:`E[T] = (\gamma + \delta - 1)/(\gamma - 1)` for :math:`\gamma > 1`, else
            ``inf`` (the beta mixture puts too much mass near :math:`\theta = 0`).

        Raises
        ------
        NotFittedError
            The model is not fitted.

        Notes
        -----
        $$E[T] = \sum_{t \ge 0} S(t) = \frac{\gamma + \delta - 1}{\gamma - 1}
        \quad (\gamma > 1)$$

        References
        ----------
        Fader & Hardie (2007). https://doi.org/10.1002/dir.20074

        Examples
        --------
        >>> from custloyalty.models import ShiftedBetaGeo
        >>> sbg = ShiftedBetaGeo.from_params({"gamma": 2.0, "delta": 3.0})
        >>> round(sbg.expected_lifetime(), 3)
        4.0
        """
        self._check_fitted()
        g, d = self._params
        return float((g + d - 1.0) / (g - 1.0)) if g > 1.0 else float("inf")

    def discounted_expected_residual_lifetime(
        self, discount_rate: float, *, renewals: Any = 0
    ) -> float | FloatArray:
        r"""Return DERL: the discounted expected number of future payments of an active customer.

        Parameters
        ----------
        discount_rate
            Discount rate per period, a fraction in (0, 1).
        renewals
            Number of renewals the customer has made so far (integer >= 0, scalar or array);
            she has just paid for period ``renewals + 1`` and decides at its end.

        Returns
        -------
        float or numpy.ndarray
            DERL > 0 (in payments), increasing in ``renewals``; multiply by the margin per
            period to get the expected residual value of a customer.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            Non-positive or boolean ``discount_rate``, or invalid ``renewals``.

        Notes
        -----
        With :math:`n = \text{renewals} + 1` and :math:`d` the discount rate
        (Fader & Hardie 2010, eq. 6),

        $$\mathrm{DERL}(d\mid \gamma, \delta, n-1) = \sum_{t=n}^{\infty}
        \frac{S(t)}{S(n-1)}\frac{1}{(1+d)^{t-n}}
        = \frac{\delta + n - 1}{\gamma + \delta + n - 1}\,
        {}_2F_1\!\left(1, \delta + n; \gamma + \delta + n; \frac{1}{1+d}\right)$$

        Where scipy cannot evaluate the hypergeometric function (``delta`` in the trillions,
        nobody churns) the same value is integrated as
        :math:`E[(1-\theta)(1+d)/(d+\theta)]`, :math:`\theta \sim
        \text{Beta}(\gamma, \delta+n-1)`; it tends to :math:`(1+d)/d` as
        :math:`\delta \to \infty`.

        References
        ----------
        Fader, P. S., & Hardie, B. G. S. (2010). Customer-base valuation in a contractual
        setting: The perils of ignoring heterogeneity. *Marketing Science*, 29(1), 85-93.
        https://doi.org/10.1287/mksc.1080.0482

        Examples
        --------
        >>> from custloyalty.models import ShiftedBetaGeo
        >>> sbg = ShiftedBetaGeo.from_params({"gamma": 0.704, "delta": 1.182})
        >>> sbg.discounted_expected_residual_lifetime(0.1, renewals=[0, 4]).round(2)
        array([2.96, 5.89])
        """
        self._check_fitted()
        _refuse_bool(discount_rate, "discount_rate")
        d_rate = check_discount_rate(
            discount_rate, func="discounted_expected_residual_lifetime", strict=True
        )
        nn, scalar = _periods(renewals, "renewals", low=0)
        if (nn != np.floor(nn)).any():
            msg = f"renewals must hold integers >= 0; got {renewals!r}."
            raise ValidationError(msg)
        g, d = self._params
        n = nn + 1.0
        z = 1.0 / (1.0 + d_rate)
        lead = (d + n - 1.0) / (g + d + n - 1.0)
        with np.errstate(invalid="ignore", over="ignore"):
            out: npt.NDArray[np.float64] = lead * special.hyp2f1(1.0, d + n, g + d + n, z)
        bad = ~np.isfinite(out)
        if bad.any():
            # delta in the trillions (nobody churns): scipy's hyp2f1 fails; the same value as
            # the expectation over the churn probability (tends to (1 + d)/d as delta -> inf)
            out = np.where(bad, _derl_quadrature(g, d + n - 1.0, d_rate), out)
        return float(out[0]) if scalar else out

    def survival_by_cohort(self, survivors: Any) -> pd.DataFrame:
        r"""Compare observed and expected survivors per cohort and period.

        Parameters
        ----------
        survivors
            Survivor counts as accepted by :meth:`fit` (one or several cohorts).

        Returns
        -------
        pandas.DataFrame
            Long table with columns ``cohort``, ``period`` (0, 1, ...), ``actual`` (observed
            survivors, NaN after a cohort's last observation), ``expected`` (cohort size x
            :math:`S(t)`), ``actual_retention`` and ``expected_retention`` (share of the
            previous period's survivors, NaN in period 0).

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            Invalid survivor counts.

        See Also
        --------
        custloyalty.plotting.plot_retention : draws this table.

        Notes
        -----
        For cohort :math:`c` of size :math:`n_{c,0}`, observed survivors :math:`n_{c,t}`,

        $$\text{expected}_{c,t} = n_{c,0}\,S(t),\qquad
        \text{expected\_retention}_t = r_t = \frac{S(t)}{S(t-1)}
        = \frac{\delta+t-1}{\gamma+\delta+t-1},\qquad
        \text{actual\_retention}_{c,t} = \frac{n_{c,t}}{n_{c,t-1}},$$

        with :math:`S(t) = B(\gamma, \delta+t)/B(\gamma, \delta)`; the comparison of
        Fader & Hardie (2007). Periods after a cohort's last observation keep
        their expected values, so the table also projects the cohorts forward.

        References
        ----------
        Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. *Journal
        of Interactive Marketing*, 21(1), 76-90. https://doi.org/10.1002/dir.20074

        Examples
        --------
        >>> from custloyalty.models import ShiftedBetaGeo
        >>> surv = [1000, 631, 468, 382, 326, 289, 262, 241]
        >>> sbg = ShiftedBetaGeo().fit(surv)
        >>> sbg.survival_by_cohort(surv)[["period", "actual", "expected"]].round(1).head(3)
           period  actual  expected
        0       0  1000.0    1000.0
        1       1   631.0     626.7
        2       2   468.0     473.8
        """
        self._check_fitted()
        mat, index = _survivor_matrix(survivors, func="ShiftedBetaGeo.survival_by_cohort")
        k = mat.shape[1]
        surv = np.asarray(self.survival(np.arange(k)))
        expected = mat[:, :1] * surv[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            act_ret = np.concatenate(
                [np.full((mat.shape[0], 1), np.nan), mat[:, 1:] / mat[:, :-1]], 1
            )
        exp_ret = np.concatenate([[np.nan], np.asarray(self.retention(np.arange(1, k)))])
        n_c = mat.shape[0]
        return pd.DataFrame(
            {
                "cohort": np.repeat(index.to_numpy(), k),
                "period": np.tile(np.arange(k), n_c),
                "actual": mat.reshape(-1),
                "expected": expected.reshape(-1),
                "actual_retention": act_ret.reshape(-1),
                "expected_retention": np.tile(exp_ret, n_c),
            }
        )

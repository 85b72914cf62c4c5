r"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013; Colombo & Jiang 1999)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from custloyalty._frames import as_frame, numeric_columns
from custloyalty._state import state_float
from custloyalty._validation import as_1d_float, check_nan_policy
from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.models._base import (
    FloatArray,
    _check_rule,
    _fit_mle,
    _FittedModel,
    _refuse_bool,
    _weights_input,
    _wsum,
)

__all__ = ["GammaGamma"]


def _fm_inputs(
    data: Any, frequency: Any, monetary: Any, *, nan_policy: str, func: str
) -> tuple[FloatArray, FloatArray, pd.Index, npt.NDArray[np.bool_]]:
    """Validate (frequency, monetary) from a table (column names) or two arrays.

    ``monetary`` is only used where ``frequency > 0``: a missing value there is accepted (one-
    time buyers often have no mean repeat spend). Returns frequency, monetary, the index and
    the mask of rows with a missing value the model needs (a missing ``frequency``, or a
    missing ``monetary`` with ``frequency > 0``), which raise unless ``nan_policy="omit"``.
    """
    policy = check_nan_policy(nan_policy, func=func)
    if data is not None:
        if not all(isinstance(v, str) for v in (frequency, monetary)):
            msg = f"{func}: with a table as data, frequency= and monetary= must be column names."
            raise ValidationError(msg)
        df = as_frame(data)
        block, _ = numeric_columns(df, [frequency, monetary], nan_policy="omit", func=func)
        f = block[frequency].to_numpy(dtype=np.float64)
        m = block[monetary].to_numpy(dtype=np.float64)
        index = df.index
        names = (str(frequency), str(monetary))
    else:
        if frequency is None or monetary is None or isinstance(frequency, str):
            msg = (
                f"{func} needs a table with columns frequency and monetary, or arrays "
                "frequency= and monetary=."
            )
            raise ValidationError(msg)
        _refuse_bool(frequency, "frequency", func=func)
        _refuse_bool(monetary, "monetary", func=func)
        if (
            isinstance(frequency, pd.Series)
            and isinstance(monetary, pd.Series)
            and not frequency.index.equals(monetary.index)
        ):
            msg = (
                f"{func}: frequency and monetary are Series with different indexes; they are "
                "read by position, so a customer's spend would come from another customer."
                "\nHint: align them first (e.g. pass one table as data), or pass arrays."
            )
            raise ValidationError(msg)
        f, kf = as_1d_float(frequency, "frequency", nan_policy="omit", allow_empty=True)
        m, km = as_1d_float(monetary, "monetary", nan_policy="omit", allow_empty=True)
        if kf.shape[0] != km.shape[0]:
            msg = f"{func}: frequency and monetary have {kf.shape[0]} and {km.shape[0]} values."
            raise ValidationError(msg)
        if kf.shape[0] == 0:
            msg = f"{func}: frequency and monetary are empty."
            raise ValidationError(msg)
        ff = np.full(kf.shape[0], np.nan)
        ff[kf] = f
        mm = np.full(km.shape[0], np.nan)
        mm[km] = m
        f, m = ff, mm
        index = next(
            (v.index for v in (frequency, monetary) if isinstance(v, pd.Series)),
            pd.RangeIndex(f.shape[0]),
        )
        names = ("frequency", "monetary")
    f_nan = np.isnan(f)
    m_nan = np.isnan(m) & ~f_nan & (np.where(f_nan, 0.0, f) > 0)
    if policy == "raise":
        hint = "pass nan_policy='omit' to leave these customers out (NaN predictions)."
        _check_rule(f_nan, names[0], "missing (NaN)", index, f, hint=hint)
        _check_rule(
            m_nan, names[1], "missing (NaN)", index, m, where=f"where {names[0]!r} > 0", hint=hint
        )
    missing = f_nan | m_nan
    ok = ~missing
    fz = np.where(ok, f, 0.0)
    _check_rule(
        ok & ((fz < 0) | (fz != np.floor(fz))), names[0], "negative or non-integer", index, f
    )
    _check_rule(
        ok & (fz > 0) & ~(np.where(ok & (fz > 0), m, 0.0) >= 0),
        names[1],
        "negative",
        index,
        m,
        where="for repeat customers",
        hint="the Gamma-Gamma model needs a mean spend per repeat transaction >= 0 (refunds "
        "netted against purchases can make it negative: net them before summarising).",
    )
    return f, m, index, missing


class GammaGamma(_FittedModel):
    r"""Gamma-Gamma model of the mean spend per transaction (Fader & Hardie 2013).

    A customer's spend per transaction varies around her mean :math:`\zeta` as
    :math:`\text{Gamma}(p, \nu)` with :math:`E = p/\nu = \zeta`; :math:`\nu` varies across
    customers as :math:`\text{Gamma}(q, \gamma)`. Fitted on the repeat customers (frequency
    :math:`x > 0`) and their mean repeat spend :math:`\bar m`; customers without repeat
    purchase carry no information on spend per repeat transaction and are excluded (counted
    in ``n_excluded_``). Spend is assumed independent of the purchase process (check with the
    correlation of ``frequency`` and ``monetary``). See the *Churn and value models* guide.

    Attributes
    ----------
    params_ : dict
        ``{"p", "q", "v"}`` (``v`` is the paper's :math:`\gamma`).
    log_likelihood_ : float
        Maximised log-likelihood.
    standard_errors_ : dict
        Standard errors from the observed information.
    n_obs_ : float
        Number (total weight) of repeat customers fitted on.
    n_excluded_ : int
        Rows left out because ``frequency == 0``.
    converged_ : bool or None
        Whether the optimiser met its tolerance (None for a model rebuilt by ``from_dict``
        from parameters only).

    See Also
    --------
    BetaGeo, ParetoNBD : transaction models combined with this one in :func:`clv`.

    Notes
    -----
    Density of the mean spend of :math:`x` transactions (Fader & Hardie 2013, eq. 3):

    $$f(\bar m\mid p, q, \gamma, x) = \frac{\Gamma(px+q)}{\Gamma(px)\Gamma(q)}
    \frac{\gamma^q\,\bar m^{px-1}\,x^{px}}{(\gamma + x\bar m)^{px+q}}$$

    References
    ----------
    Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
    http://brucehardie.com/notes/025/

    Colombo, R., & Jiang, W. (1999). A stochastic RFM model. *Journal of Interactive
    Marketing*, 13(3), 2-12. https://doi.org/10.1002/(SICI)1520-6653(199922)13:3<2::AID-DIR1>3.0.CO;2-H

    Examples
    --------
    >>> from custloyalty import rfm_summary
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.models import GammaGamma
    >>> summary = rfm_summary(load_cdnow("sample"), observation_end="1997-09-30", time_unit="W")
    >>> gg = GammaGamma().fit(summary)
    >>> {k: round(v, 2) for k, v in gg.params_.items()}, gg.n_excluded_
    ({'p': 6.25, 'q': 3.74, 'v': 15.44}, 1411)
    >>> gg.expected_spend(summary).round(2).head(3)
    customer_id
    1    24.65
    2    18.91
    3    35.17
    Name: expected_spend, dtype: float64
    """

    _param_names = ("p", "q", "v")
    _model_name = "GammaGamma"

    n_excluded_: int

    def _extra_state(self) -> dict[str, Any]:
        return {"n_excluded": int(self.n_excluded_)}

    def _set_extra_state(self, state: Mapping[str, Any], *, where: str) -> None:
        value = state_float(state.get("n_excluded", 0), "n_excluded", where=where, low=0.0)
        if not value.is_integer():
            msg = f"{where}: n_excluded must be a whole number >= 0; got {value!r}."
            raise ValidationError(msg)
        self.n_excluded_ = int(value)

    @staticmethod
    def _stats(f: FloatArray, m: FloatArray, w: FloatArray) -> dict[str, Any]:
        """Constants of the likelihood during a fit (sums that do not involve the parameters)."""
        fu, fi = np.unique(f, return_inverse=True)
        fi = fi.astype(np.int64).reshape(-1)
        log_m = np.log(m)
        wx = w * f
        return {
            "fu": fu,
            "w_u": np.bincount(fi, weights=w, minlength=fu.shape[0]),
            "f": f,
            "m": m,
            "w": w,
            "wx": wx,
            "sum_w": _wsum(w, np.ones_like(w)),
            "sum_wx_log_m": _wsum(wx, log_m),
            "sum_w_log_m": _wsum(w, log_m),
            "sum_wx_log_f": _wsum(wx, np.log(f)),
        }

    @staticmethod
    def _negll_and_grad(
        x: FloatArray,
        f: FloatArray,
        m: FloatArray,
        w: FloatArray,
        stats: dict[str, Any] | None = None,
    ) -> tuple[float, FloatArray]:
        """Total negative log-likelihood and gradient in the log-parameters.

        The terms in log(m) and log(x) are sums fixed during a fit
        (``stats``), the gamma functions are evaluated on the distinct frequencies, and each
        evaluation makes one pass of ``log(v + x m)`` and ``1 / (v + x m)`` over the rows.
        """
        st = GammaGamma._stats(f, m, w) if stats is None else stats
        p, q, v = np.exp(x)
        fu, w_u = st["fu"], st["w_u"]
        pxu = p * fu
        dig_u = special.digamma(pxu + q)
        g_u = special.gammaln(pxu + q) - special.gammaln(pxu) - special.gammaln(q)
        dp_u = fu * (dig_u - special.digamma(pxu))
        vm = st["m"] * st["f"]
        vm += v
        inv_vm = 1.0 / vm
        log_vm = np.log(vm)
        wx, ww = st["wx"], st["w"]
        s_wx_lvm, s_w_lvm = _wsum(wx, log_vm), _wsum(ww, log_vm)
        s_wx_ivm, s_w_ivm = _wsum(wx, inv_vm), _wsum(ww, inv_vm)
        sum_w, log_v = st["sum_w"], np.log(v)
        ll = (
            _wsum(w_u, g_u)
            + q * log_v * sum_w
            + p * st["sum_wx_log_m"]
            - st["sum_w_log_m"]
            + p * st["sum_wx_log_f"]
            - p * s_wx_lvm
            - q * s_w_lvm
        )
        d_p = _wsum(w_u, dp_u) + st["sum_wx_log_m"] + st["sum_wx_log_f"] - s_wx_lvm
        d_q = _wsum(w_u, dig_u) - (special.digamma(q) - log_v) * sum_w - s_w_lvm
        d_v = q * sum_w / v - p * s_wx_ivm - q * s_w_ivm
        grad = np.array([p * d_p, q * d_q, v * d_v])
        return -float(ll), -grad

    def fit(
        self,
        data: Any = None,
        *,
        sample_weight: Any = None,
        frequency: Any = "frequency",
        monetary: Any = "monetary",
        nan_policy: str = "raise",
    ) -> Self:
        """Fit the model by maximum likelihood on the repeat customers.

        Parameters
        ----------
        data
            Customer summary (e.g. :func:`custloyalty.rfm_summary`), or None with arrays.
        sample_weight
            Optional number of customers each row stands for (array or column name, >= 0);
            missing weights follow ``nan_policy``.
        frequency, monetary
            Column names (defaults ``"frequency"``, ``"monetary"``), or arrays when ``data``
            is None: number of repeat transactions (integer >= 0) and their mean value
            (>= 0 where ``frequency > 0``; not used, and may be missing, where it is 0).
            Rows with a mean repeat spend of 0 are left out of the fit (see
            :meth:`fit_rows`, the one rule for $0 repeat spend).
        nan_policy
            ``"raise"`` (default) or ``"omit"`` rows with missing values.

        Returns
        -------
        Self
            The fitted model; ``n_excluded_`` counts the rows left out by :meth:`fit_rows`
            (``frequency == 0``, or a mean repeat spend of 0).

        Raises
        ------
        ValidationError
            Invalid columns, or no repeat customer.
        ConvergenceError
            The optimiser ended on a non-finite likelihood.
        """
        func = "GammaGamma.fit"
        f, m, index, missing = _fm_inputs(
            data, frequency, monetary, nan_policy=nan_policy, func=func
        )
        df = None if data is None else as_frame(data)
        w = _weights_input(
            sample_weight, df, f.shape[0], nan_policy=nan_policy, func=func, index=index
        )
        w = np.ones(f.shape[0]) if w is None else w
        fits = GammaGamma.fit_rows(f, m) & ~missing
        n_excluded = int(np.count_nonzero(~missing & ~fits))
        use = fits & (w > 0)
        fu, mu, cw = f[use], m[use], w[use]
        if fu.shape[0] == 0:
            msg = (
                f"{func}: no repeat customer (frequency > 0) with a positive mean spend and a "
                "positive weight to fit on."
            )
            raise ValidationError(msg)
        n_obs = float(cw.sum())
        # start: p ~ 1, q ~ 2, v so that the population mean p v / (q - 1) is the mean spend
        mean_m = _wsum(cw, mu) / n_obs
        x0 = np.log(np.array([1.0, 2.0, max(mean_m, 1e-8)]))
        stats = self._stats(fu, mu, cw)

        def fun(x: FloatArray) -> tuple[float, FloatArray]:
            return self._negll_and_grad(x, fu, mu, cw, stats)

        fit = _fit_mle(fun, x0, n_obs=n_obs, model="GammaGamma")
        self._set_fit(fit, n_obs)
        self.n_excluded_ = n_excluded
        return self

    @staticmethod
    def fit_rows(frequency: Any, monetary: Any) -> npt.NDArray[np.bool_]:
        r"""Return the rows the Gamma-Gamma fit uses: the one rule for $0 repeat spend.

        The fit uses repeat customers (``frequency > 0``) whose mean repeat spend is
        positive. A repeat customer whose repeat purchases all cost $0 (free samples,
        fully discounted orders) has zero likelihood under the model (the spend density
        needs :math:`\bar m > 0`) and is left out of the fit; :meth:`expected_spend` gives
        that customer the model's limit as :math:`\bar m \to 0`, :math:`p\gamma/(px+q-1)`,
        the population mean shrunk by the customer's record of free purchases. No floor is
        applied anywhere: the CLV indicator of the scorecard follows this rule through
        :func:`custloyalty.models.clv`.

        Parameters
        ----------
        frequency, monetary
            Arrays (or Series) of the customer summary; missing values are never fitted.

        Returns
        -------
        numpy.ndarray
            Boolean mask, True for the rows :meth:`fit` uses.

        Examples
        --------
        >>> from custloyalty.models import GammaGamma
        >>> GammaGamma.fit_rows([0, 2, 3], [None, 0.0, 12.5]).tolist()
        [False, False, True]
        """
        f = np.asarray(
            pd.to_numeric(pd.Series(np.asarray(frequency, dtype=object)), errors="coerce"),
            dtype=np.float64,
        )
        m = np.asarray(
            pd.to_numeric(pd.Series(np.asarray(monetary, dtype=object)), errors="coerce"),
            dtype=np.float64,
        )
        with np.errstate(invalid="ignore"):
            out: npt.NDArray[np.bool_] = (f > 0) & (m > 0)
        return out

    def expected_spend(
        self,
        data: Any = None,
        *,
        frequency: Any = "frequency",
        monetary: Any = "monetary",
        nan_policy: str = "raise",
    ) -> pd.Series:
        r"""Return each customer's expected spend per transaction given the observed spend.

        Parameters
        ----------
        data
            Customer summary with ``frequency`` and ``monetary`` columns, or None with arrays.
        frequency, monetary
            Column names, or arrays when ``data`` is None. ``monetary`` is not used (and may
            be missing) where ``frequency`` is 0.
        nan_policy
            ``"raise"`` (default) on missing values the model needs (``frequency``, or
            ``monetary`` of a repeat customer), or ``"omit"``: those customers get NaN.

        Returns
        -------
        pandas.Series
            ``expected_spend`` > 0, aligned to the index of ``data``: a weighted mean of the
            population mean :math:`p\gamma/(q-1)` and the customer's own mean :math:`\bar m`,
            the weight on :math:`\bar m` growing with ``frequency``. Customers without repeat
            purchase get the population mean. Where the model's mean is infinite
            (:math:`px + q \le 1`, e.g. every customer without repeat purchase when
            :math:`q \le 1`) the value is ``inf``, the model's limit, with a warning; a mean
            repeat spend of 0 gives the limit :math:`p\gamma/(px+q-1)` (:meth:`fit_rows`).

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            Invalid columns.

        Warns
        -----
        UndefinedMetricWarning
            Some customers get an infinite expected spend (:math:`px + q \le 1`).

        Notes
        -----
        Fader & Hardie (2013), eq. 5:

        $$E(Z\mid p, q, \gamma, \bar m, x) = \frac{p(\gamma + x\bar m)}{px + q - 1}
        = \frac{q-1}{px+q-1}\,\frac{p\gamma}{q-1} + \frac{px}{px+q-1}\,\bar m$$

        References
        ----------
        Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
        http://brucehardie.com/notes/025/

        Examples
        --------
        >>> from custloyalty.models import GammaGamma
        >>> gg = GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})
        >>> gg.expected_spend(frequency=[0, 1, 10], monetary=[None, 20.0, 20.0]).round(2)
        0    35.22
        1    24.64
        2    20.64
        Name: expected_spend, dtype: float64
        """
        self._check_fitted()
        f, m, index, missing = _fm_inputs(
            data, frequency, monetary, nan_policy=nan_policy, func="GammaGamma.expected_spend"
        )
        p, q, v = self._params
        repeat = ~missing & (np.where(missing, 0.0, f) > 0)
        x = np.where(repeat, f, 0.0)
        mm = np.where(repeat, m, 0.0)
        den = p * x + q - 1.0
        infinite = ~missing & (den <= 0)
        # p (v + x m)/den as a weighted mean of the population mean and m: x m overflows
        # for spends near the float range (1e300 x 1e9 purchases) where the result does not
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            safe = np.where(den > 0, den, 1.0)
            out = np.where(den > 0, p * v / safe + (p * x / safe) * mm, np.inf)
        overflow = (den > 0) & ~np.isfinite(out)
        if overflow.any():
            msg = (
                f"GammaGamma: the expected spend of {int(overflow.sum())} customers exceeds the "
                "float range (monetary near 1e308); they get inf. Check the unit of 'monetary'."
            )
            warnings.warn(msg, UndefinedMetricWarning, stacklevel=2)
        if infinite.any():
            msg = (
                f"GammaGamma: q = {q:.4g} and p = {p:.4g} give an infinite expected spend "
                f"(p * frequency + q <= 1) for {int(infinite.sum())} customers (e.g. every "
                "customer without repeat purchase when q <= 1); they get inf, the model's "
                "limit. A fit with q <= 1 says the spend distribution has no mean: check "
                "outliers in 'monetary'."
            )
            warnings.warn(msg, UndefinedMetricWarning, stacklevel=2)
        out = np.where(missing, np.nan, out)
        return pd.Series(out, index=index, name="expected_spend")

"""Shared machinery of the transaction models (private).

* :class:`_TransactionModel`: base of the non-contractual models fitted on a customer summary
  (``frequency``, ``recency``, ``T``): the weighted, compressed fit and the public predictions,
  written once over model-specific private pieces.
* The optimiser lives in :mod:`custloyalty.models._optimise`, the input boundary in
  :mod:`custloyalty.models._inputs`, the fitted state and its saved form in
  :mod:`custloyalty.models._fitted`; their names are re-exported here for the modules that
  import them from ``_base``.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._frames import as_frame
from custloyalty.errors import ConvergenceError, ValidationError
from custloyalty.models._fitted import _FittedModel
from custloyalty.models._inputs import (
    RFT,
    _check_rule,
    _column_or_array,
    _compress,
    _horizon,
    _numeric_nd,
    _refuse_bool,
    _rft_inputs,
    _sorted_codes,
    _time_array,
    _weights_array,
    _weights_input,
    compress,
)
from custloyalty.models._optimise import (
    FloatArray,
    IntArray,
    NegLLGrad,
    _fit_mle,
    _hessian_log,
    _is_positive_definite,
    _Limit,
    _MLEFit,
    _Ridge,
    _Start,
    _wsum,
)

#: Size of the subsample of a coarse start (:meth:`_TransactionModel._coarse_start`), at most
#: a quarter of the rows.
_COARSE_ROWS = 512

__all__ = [
    "RFT",
    "FloatArray",
    "IntArray",
    "NegLLGrad",
    "_FittedModel",
    "_MLEFit",
    "_TransactionModel",
    "_check_rule",
    "_column_or_array",
    "_compress",
    "_fit_mle",
    "_hessian_log",
    "_is_positive_definite",
    "_refuse_bool",
    "_rft_inputs",
    "_sorted_codes",
    "_weights_array",
    "_weights_input",
    "_wsum",
    "compress",
]


class _TransactionModel(_FittedModel):
    """Base of the models fitted on a customer summary (frequency, recency, T).

    A subclass declares ``_param_names``, ``_model_name``, ``_x0_log(f, r, T, w)`` (starting
    log-parameters) and ``_negll_and_grad(log_params, f, r, T, w)`` (total negative
    log-likelihood and its gradient in the log-parameters, over compressed weighted rows).
    """

    def _x0_log(self, f: FloatArray, r: FloatArray, t: FloatArray, w: FloatArray) -> FloatArray:
        return np.zeros(len(self._param_names))

    def _negll_and_grad(
        self, x: FloatArray, f: FloatArray, r: FloatArray, t: FloatArray, w: FloatArray
    ) -> tuple[float, FloatArray]:
        raise NotImplementedError

    def _factorize(self, arr: FloatArray) -> tuple[FloatArray, IntArray]:
        """``np.unique(arr, return_inverse=True)``, cached for the duration of one fit.

        The likelihood terms that depend on one column only (special functions of the
        frequency, logarithms of ``alpha + T``) are evaluated on its few distinct values and
        gathered; the cache keeps the factorisation across the optimiser's evaluations (it is
        keyed by the array object and cleared when :meth:`fit` returns).
        """
        cache: dict[int, tuple[FloatArray, FloatArray, IntArray]] = self.__dict__.setdefault(
            "_factor_cache", {}
        )
        hit = cache.get(id(arr))
        if hit is not None and hit[0] is arr:
            return hit[1], hit[2]
        uniq, inv = np.unique(arr, return_inverse=True)
        inv = inv.astype(np.int64).reshape(-1)
        if len(cache) < 16:
            cache[id(arr)] = (arr, uniq, inv)
        return uniq, inv

    def _after_fit(self, f: FloatArray, r: FloatArray, t: FloatArray) -> None:
        """Check the fitted model on the compressed rows it was fitted on (hook; no-op)."""

    #: Fits on at least this many distinct rows start from a fit on a systematic subsample of
    #: about :data:`_COARSE_ROWS` of them (:meth:`_coarse_start`); None: never.
    _coarse_min_rows: int | None = None

    def _limit(self, f: FloatArray, r: FloatArray, t: FloatArray, w: FloatArray) -> _Limit | None:
        """Return the boundary whose likelihood supremum is known (hook of :func:`_fit_mle`)."""
        return None

    def _ridge(self) -> _Ridge | None:
        """Return the flat ridge to infinity of the likelihood, if any (:func:`_fit_mle` hook)."""
        return None

    def _coarse_start(
        self, x0: FloatArray, f: FloatArray, r: FloatArray, t: FloatArray, w: FloatArray
    ) -> _Start | None:
        """Start of a large fit from a fit on a systematic subsample of its distinct rows.

        The rows are sorted (:func:`compress`), so every ``k``-th row is a sample stratified
        by frequency. The subsample's optimum and its Hessian (mean objective) let Newton
        steps replace most of L-BFGS-B's evaluations on the full rows (:func:`_fit_mle`),
        each of which costs about ``k`` times more; the estimate is the full rows' optimum
        all the same (same polish, same tolerance). A subsample whose fit ends at the
        model's limit (:meth:`_limit`) gives its point alone: the full fit stops there at
        once if it is at the limit for the full rows too, and starts from ``x0`` otherwise.
        Returns None when the rows are too few or the subsample's fit fails.
        """
        if self._coarse_min_rows is None or f.shape[0] < self._coarse_min_rows:
            return None
        k = max(-(-f.shape[0] // _COARSE_ROWS), 4)  # every k-th row, at most a quarter
        sl = slice(k // 2, None, k)
        fc, rc, tc, wc = f[sl].copy(), r[sl].copy(), t[sl].copy(), w[sl].copy()

        def fun(x: FloatArray) -> tuple[float, FloatArray]:
            return self._negll_and_grad(x, fc, rc, tc, wc)

        n_c = float(wc.sum())
        try:
            fit = _fit_mle(
                fun,
                x0,
                n_obs=n_c,
                model=type(self).__name__,
                limit=self._limit(fc, rc, tc, wc),
                rough=True,
                probe=True,
                ridge=self._ridge(),
            )
        except ConvergenceError:
            return None
        x = np.log(fit.params)
        if fit.at_limit:
            return _Start(x=x, hess=None)
        if fit.on_ridge:
            return _Start(x=x, hess=None, on_ridge=True)
        if fit.hessian is None or not _is_positive_definite(fit.hessian):
            return None
        return _Start(x=x, hess=fit.hessian / max(n_c, 1.0))

    def _fit_rft(self, rft: RFT, weights: FloatArray | None) -> Self:
        """Compress, drop zero-weight and missing rows, maximise the likelihood, store."""
        keep = ~rft.missing
        w = np.ones(len(rft)) if weights is None else weights
        if not keep.all():
            w = np.where(keep, w, 0.0)
        f, r, t = (np.where(keep, a, 0.0) for a in (rft.frequency, rft.recency, rft.T))
        t = np.where(keep, t, 1.0)
        rows, cw, _ = _compress(f, r, t, w)
        pos = cw > 0
        rows, cw = rows[pos], cw[pos]
        if rows.shape[0] == 0:
            msg = f"{type(self).__name__}.fit: no customers with positive weight to fit on."
            raise ValidationError(msg)
        fu, ru, tu = rows[:, 0].copy(), rows[:, 1].copy(), rows[:, 2].copy()
        n_obs = float(cw.sum())

        def fun(x: FloatArray) -> tuple[float, FloatArray]:
            return self._negll_and_grad(x, fu, ru, tu, cw)

        try:
            x0 = self._x0_log(fu, ru, tu, cw)
            start = self._coarse_start(x0, fu, ru, tu, cw)
            fit = _fit_mle(
                fun,
                x0,
                n_obs=n_obs,
                model=type(self).__name__,
                limit=self._limit(fu, ru, tu, cw),
                start=start,
                probe=start is None,
                ridge=self._ridge(),
            )
        finally:
            self.__dict__.pop("_factor_cache", None)
        self._set_fit(fit, n_obs)
        self._after_fit(fu, ru, tu)
        return self

    def fit(
        self,
        data: Any = None,
        *,
        sample_weight: Any = None,
        time_unit: str | None = None,
        frequency: Any = "frequency",
        recency: Any = "recency",
        T: Any = "T",
        nan_policy: str = "raise",
    ) -> Self:
        """Fit the model by maximum likelihood on a customer summary.

        Parameters
        ----------
        data
            Customer summary, one row per customer, e.g. from :func:`custloyalty.rfm_summary`.
            ``None`` when the columns are passed as arrays.
        sample_weight
            Optional number of customers each row stands for (array or column name, >= 0;
            booleans are refused); rows with weight 0 are ignored, missing weights follow
            ``nan_policy``.
        time_unit
            Time unit of ``recency`` and ``T`` (``"D"``, ``"W"``, ``"M"``, ...; the
            ``time_unit`` given to :func:`custloyalty.rfm_summary`), stored as
            ``time_unit_``: the unit of ``alpha`` (and ``beta``) and of every prediction
            horizon; :func:`clv` reads it. Default None: unknown (not inferred from the
            table, whose recorded unit a hand conversion would make wrong).
        frequency, recency, T
            Column names in ``data`` (defaults ``"frequency"``, ``"recency"``, ``"T"``), or
            arrays when ``data`` is None: repeat purchases (integer >= 0), time of the last
            purchase since the first, and time since the first purchase (``0 <= recency <=
            T``, ``T > 0``, ``recency == 0`` where ``frequency == 0``), all in the same time
            unit.
        nan_policy
            ``"raise"`` (default) on missing values, or ``"omit"`` rows holding one.

        Returns
        -------
        Self
            The fitted model.

        Raises
        ------
        ValidationError
            Invalid summary, weights or time unit (booleans given for numbers, Series of
            different indexes given as arrays).
        ConvergenceError
            The optimiser ended on a non-finite likelihood.

        Warns
        -----
        ConvergenceWarning
            The optimiser stopped early or the likelihood is flat at the estimate
            (``converged_`` is False), or (Pareto/NBD) the likelihood at the estimate could
            not be evaluated accurately.
        """
        func = f"{type(self).__name__}.fit"
        unit = _fit_time_unit(time_unit, func=func)
        rft = _rft_inputs(
            data, frequency=frequency, recency=recency, T=T, nan_policy=nan_policy, func=func
        )
        df = None if data is None else as_frame(data)
        w = _weights_input(
            sample_weight, df, len(rft), nan_policy=nan_policy, func=func, index=rft.index
        )
        self._fit_rft(rft, w)
        self.time_unit_ = unit
        return self

    def _predict_inputs(
        self, data: Any, frequency: Any, recency: Any, T: Any, *, nan_policy: str, func: str
    ) -> RFT:
        """Validate prediction inputs: a summary table, or arrays (``None`` = default column).

        Under ``nan_policy="omit"`` rows with a missing value are kept (flagged in
        :attr:`RFT.missing`) and get NaN predictions, so the output stays aligned.
        """
        self._check_fitted()
        frequency = "frequency" if frequency is None else frequency
        recency = "recency" if recency is None else recency
        T = "T" if T is None else T
        return _rft_inputs(
            data, frequency=frequency, recency=recency, T=T, nan_policy=nan_policy, func=func
        )

    @staticmethod
    def _series(
        values: FloatArray,
        rft: RFT,
        name: str,
        missing: npt.NDArray[np.bool_] | None = None,
    ) -> pd.Series:
        """Predictions as a Series aligned to the customers; NaN where an input is missing."""
        mask = rft.missing if missing is None else rft.missing | missing
        out = np.where(mask, np.nan, values)
        return pd.Series(out, index=rft.index, name=name)

    # -- model-specific pieces (each model implements these) ---------------------------------

    def _p_alive(self, x: FloatArray, tx: FloatArray, t: FloatArray) -> FloatArray:
        """P(alive at T | x, t_x, T) on validated, finite rows."""
        raise NotImplementedError

    def _expected_alive(self, x: FloatArray, t: FloatArray, horizon: FloatArray) -> FloatArray:
        """Return expected purchases in the next ``horizon`` of a customer alive at T."""
        raise NotImplementedError

    def _expected_new(self, horizon: FloatArray) -> FloatArray:
        """Return expected repeat purchases of a new customer in (0, horizon]."""
        raise NotImplementedError

    def _pmf(self, horizon: FloatArray, n: FloatArray) -> FloatArray:
        """P(X(horizon) = n) for a new customer, on flat arrays."""
        raise NotImplementedError

    # -- public predictions, written once ----------------------------------------------------

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
            as keywords), or None with the three columns passed as arrays, in the model's
            ``time_unit_``.
        frequency, recency, T
            Column names in ``data`` or arrays (see :meth:`fit`).
        nan_policy
            ``"raise"`` (default) on missing values, or ``"omit"``: customers with a missing
            value get NaN (the output stays aligned to the input).

        Returns
        -------
        pandas.Series
            ``p_alive`` in [0, 1], aligned to the index of ``data``. The model's formula is
            in the class docstring (BG/NBD: exactly 1 without repeat purchase; Pareto/NBD: 1
            when the last purchase is at ``T``).

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            Invalid summary.

        See Also
        --------
        conditional_probability_alive : the same, under the name used by lifetimes.

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> bg = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> bg.p_alive(frequency=[0, 2, 2], recency=[0.0, 30.0, 5.0], T=[38.0, 38.0, 38.0]).round(3)
        0    1.000
        1    0.730
        2    0.129
        Name: p_alive, dtype: float64
        """
        func = f"{type(self).__name__}.p_alive"
        rft = self._predict_inputs(data, frequency, recency, T, nan_policy=nan_policy, func=func)
        x, tx, t = _clean_rows(rft)
        return self._series(self._p_alive(x, tx, t), rft, "p_alive")

    def churn_risk(
        self,
        data: Any = None,
        *,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        nan_policy: str = "raise",
    ) -> pd.Series:
        r"""Probability that each customer has dropped out by the end of the observation.

        The complement of :meth:`p_alive`, $1 - P(\text{alive})$: the churn risk of the
        scorecard's ``churn_risk`` indicator (lower is better).

        Parameters
        ----------
        data, frequency, recency, T, nan_policy
            As for :meth:`p_alive`.

        Returns
        -------
        pandas.Series
            ``churn_risk`` in [0, 1], aligned to the index of ``data``.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            Invalid summary.

        References
        ----------
        Schmittlein, D. C., Morrison, D. G., & Colombo, R. (1987). Counting your customers: Who
        are they and what will they do next? *Management Science*, 33(1), 1-24.
        https://doi.org/10.1287/mnsc.33.1.1

        Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy
        way: An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
        https://doi.org/10.1287/mksc.1040.0098

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> bg = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> bg.churn_risk(frequency=[0, 2], recency=[0.0, 5.0], T=[38.0, 38.0]).round(3)
        0    0.000
        1    0.871
        Name: churn_risk, dtype: float64
        """
        alive = self.p_alive(data, frequency=frequency, recency=recency, T=T, nan_policy=nan_policy)
        return (1.0 - alive).rename("churn_risk")

    def conditional_probability_alive(
        self,
        data: Any = None,
        *args: Any,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        nan_policy: str = "raise",
    ) -> pd.Series:
        """Return :meth:`p_alive` (the name lifetimes and the literature use).

        Parameters
        ----------
        data, frequency, recency, T, nan_policy
            As in :meth:`p_alive`.
        *args
            lifetimes' positional form ``(frequency, recency, T)``: the three arrays given
            in that order (``data`` then holds ``frequency``).

        Returns
        -------
        pandas.Series
            ``p_alive`` per customer.

        Raises
        ------
        ValidationError
            Positional arguments other than lifetimes' three arrays.

        Examples
        --------
        >>> from custloyalty.models import ParetoNBD
        >>> m = ParetoNBD.from_params({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
        >>> m.conditional_probability_alive(frequency=[2], recency=[30.0], T=[38.0]).round(3)
        0    0.875
        Name: p_alive, dtype: float64
        >>> m.conditional_probability_alive([2], [30.0], [38.0]).round(3)  # lifetimes' order
        0    0.875
        Name: p_alive, dtype: float64
        """
        data, frequency, recency, T = _lifetimes_positional(
            data,
            args,
            (frequency, recency, T),
            func=f"{type(self).__name__}.conditional_probability_alive",
        )
        return self.p_alive(data, frequency=frequency, recency=recency, T=T, nan_policy=nan_policy)

    def expected_purchases(
        self,
        horizon: Any,
        data: Any = None,
        *,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        nan_policy: str = "raise",
    ) -> pd.Series:
        r"""Return the expected number of purchases in the next ``horizon``, given history.

        Parameters
        ----------
        horizon
            Length of the prediction after the end of observation, in the model's
            ``time_unit_`` (the unit of the summary it was fitted on): a scalar >= 0, or one
            value per customer.
        data, frequency, recency, T
            Customer summary (see :meth:`p_alive`).
        nan_policy
            ``"raise"`` (default) on missing values (in the summary or in ``horizon``), or
            ``"omit"``: those customers get NaN.

        Returns
        -------
        pandas.Series
            ``expected_purchases`` >= 0 per customer, increasing in ``horizon`` (0 at 0).

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            Invalid summary, or a negative horizon.

        See Also
        --------
        conditional_expected_number_of_purchases_up_to_time : the lifetimes name.

        Notes
        -----
        :math:`E[Y(h)\mid x, t_x, T] = E[Y(h)\mid x, T, 	ext{alive}]\;
        P(	ext{alive}\mid x, t_x, T)`, the first factor from the model (BG/NBD: Fader,
        Hardie & Lee 2005, eq. 10; Pareto/NBD: Schmittlein et al. 1987, FHL 2005b eq. 25; see
        the class docstrings).

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> bg = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> hist = {"frequency": [0, 2], "recency": [0.0, 30.0], "T": [38.0, 38.0]}
        >>> bg.expected_purchases(39, **hist).round(2)
        0    0.20
        1    1.25
        Name: expected_purchases, dtype: float64
        """
        func = f"{type(self).__name__}.expected_purchases"
        rft = self._predict_inputs(data, frequency, recency, T, nan_policy=nan_policy, func=func)
        hh, h_missing = _horizon(
            horizon, len(rft), nan_policy=nan_policy, func=func, index=rft.index
        )
        x, tx, t = _clean_rows(rft)
        hh = np.broadcast_to(hh, x.shape)
        vals = self._expected_alive(x, t, hh) * self._p_alive(x, tx, t)
        return self._series(np.maximum(vals, 0.0), rft, "expected_purchases", h_missing)

    def conditional_expected_number_of_purchases_up_to_time(
        self,
        horizon: Any,
        data: Any = None,
        *args: Any,
        frequency: Any = None,
        recency: Any = None,
        T: Any = None,
        nan_policy: str = "raise",
    ) -> pd.Series:
        """Return :meth:`expected_purchases` (the name lifetimes uses).

        Parameters
        ----------
        horizon, data, frequency, recency, T, nan_policy
            As in :meth:`expected_purchases`.
        *args
            lifetimes' positional form ``(t, frequency, recency, T)``: the three arrays
            after the horizon, in that order (``data`` then holds ``frequency``).

        Returns
        -------
        pandas.Series
            ``expected_purchases`` per customer.

        Raises
        ------
        ValidationError
            Positional arguments other than lifetimes' three arrays.

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> bg = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> hist = {"frequency": [2], "recency": [30.0], "T": [38.0]}
        >>> bg.conditional_expected_number_of_purchases_up_to_time(39, **hist).round(2)
        0    1.25
        Name: expected_purchases, dtype: float64
        """
        data, frequency, recency, T = _lifetimes_positional(
            data,
            args,
            (frequency, recency, T),
            func=f"{type(self).__name__}.conditional_expected_number_of_purchases_up_to_time",
        )
        return self.expected_purchases(
            horizon, data, frequency=frequency, recency=recency, T=T, nan_policy=nan_policy
        )

    def expected_purchases_new(self, horizon: Any) -> float | FloatArray:
        r"""Return the expected number of repeat purchases of a new customer in ``(0, horizon]``.

        Parameters
        ----------
        horizon
            Time since the first purchase (scalar or 1-D array, >= 0), in the model's
            ``time_unit_``.

        Returns
        -------
        float or numpy.ndarray
            Expected purchases >= 0, increasing in ``horizon``; a float for a scalar.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        ValidationError
            A negative or non-numeric ``horizon``.

        Notes
        -----
        BG/NBD: Fader, Hardie & Lee (2005), eq. 9; Pareto/NBD: FHL (2005b), eq. 17 (see the
        class docstrings).

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> bg = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> bg.expected_purchases_new([39, 78]).round(3)
        array([1.197, 1.861])
        """
        self._check_fitted()
        hh, scalar = _time_array(horizon, "horizon")
        out = np.maximum(self._expected_new(hh), 0.0)
        return float(out[0]) if scalar else out

    def probability_of_n_purchases(self, horizon: Any, n: Any) -> float | FloatArray:
        r"""Return the probability of exactly ``n`` repeat purchases in ``(0, horizon]``.

        Parameters
        ----------
        horizon
            Length of the period (scalar or array, >= 0), in the model's ``time_unit_``.
        n
            Number of purchases (integer >= 0, scalar or array); broadcast against
            ``horizon``.

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
            Negative ``horizon`` or a negative / non-integer ``n`` (booleans, text, durations
            and complex numbers are refused), or shapes that do not broadcast.

        Notes
        -----
        BG/NBD: Fader, Hardie & Lee (2005), eq. 8; Pareto/NBD: the integral over the
        lifetime (FHL 2006), see the class docstrings.

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> bg = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> bg.probability_of_n_purchases(39, [0, 1, 2]).round(3)
        array([0.574, 0.199, 0.085])
        """
        self._check_fitted()
        func = f"{type(self).__name__}.probability_of_n_purchases"
        hh = _numeric_nd(horizon, "horizon", func=func)
        nn = _numeric_nd(n, "n", func=func)
        scalar = hh.ndim == 0 and nn.ndim == 0
        if not np.all(np.isfinite(hh)) or (hh < 0).any():
            msg = "horizon must be finite and >= 0."
            raise ValidationError(msg)
        if not np.all(np.isfinite(nn)) or (nn < 0).any() or (nn != np.floor(nn)).any():
            msg = "n must hold integers >= 0."
            raise ValidationError(msg)
        try:
            hh, nn = np.broadcast_arrays(hh, nn)
        except ValueError:
            msg = (
                f"{func}: horizon (shape {hh.shape}) and n (shape {nn.shape}) cannot be "
                "broadcast together.\nHint: pass one scalar and one array, or two arrays of "
                "one shape."
            )
            raise ValidationError(msg) from None
        shape = hh.shape
        flat_h, flat_n = hh.reshape(-1), nn.reshape(-1)
        out = np.empty(flat_h.shape[0])
        for lo in range(0, flat_h.shape[0], _CHUNK):  # blocks bound the memory of quadratures
            sl = slice(lo, lo + _CHUNK)
            out[sl] = self._pmf(flat_h[sl], flat_n[sl])
        res = np.clip(out, 0.0, 1.0).reshape(shape)
        return float(res) if scalar else res


_CHUNK = 4096


def _lifetimes_positional(
    data: Any, args: tuple[Any, ...], named: tuple[Any, Any, Any], *, func: str
) -> tuple[Any, Any, Any, Any]:
    """Read lifetimes' positional ``(frequency, recency, T)`` into the keyword form.

    Returns ``(data, frequency, recency, T)``; without positional extras, unchanged.
    """
    if not args:
        return (data, *named)
    if len(args) != 2 or any(v is not None for v in named):
        msg = (
            f"{func} takes a table, or the arrays frequency, recency, T (by keyword, or by "
            f"position in lifetimes' order); got {1 + len(args)} positional arguments"
            f"{' and keywords' if any(v is not None for v in named) else ''}.\nHint: pass "
            "frequency=..., recency=..., T=... by keyword."
        )
        raise ValidationError(msg)
    return None, data, args[0], args[1]


def _clean_rows(rft: RFT) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Rows safe to compute with: missing rows get a placeholder history (masked later)."""
    ok = ~rft.missing
    return (
        np.where(ok, rft.frequency, 0.0),
        np.where(ok, rft.recency, 0.0),
        np.where(ok, rft.T, 1.0),
    )


def _fit_time_unit(time_unit: str | None, *, func: str) -> str | None:
    """Return the validated time unit of a fit (None: unknown).

    Not inferred from the table: a summary converted by hand (``T / 7``) keeps the unit
    ``rfm_summary`` recorded in its ``attrs``, so an inferred unit could be silently wrong.
    """
    if time_unit is None:
        return None
    from custloyalty._validation import check_option
    from custloyalty.summary import TIME_UNITS

    return str(check_option(time_unit, "time_unit", tuple(TIME_UNITS), func=func))

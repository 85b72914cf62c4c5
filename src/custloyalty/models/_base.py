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
from custloyalty.errors import ValidationError
from custloyalty.models._fitted import _FittedModel
from custloyalty.models._inputs import (
    RFT,
    _check_rule,
    _column_or_array,
    _rft_inputs,
    _sorted_codes,
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
    _MLEFit,
    _wsum,
)

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
    "_fit_mle",
    "_hessian_log",
    "_is_positive_definite",
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

    def _fit_rft(self, rft: RFT, weights: FloatArray | None) -> Self:
        """Compress, drop zero-weight and missing rows, maximise the likelihood, store."""
        keep = ~rft.missing
        w = np.ones(len(rft)) if weights is None else weights
        if not keep.all():
            w = np.where(keep, w, 0.0)
        f, r, t = (np.where(keep, a, 0.0) for a in (rft.frequency, rft.recency, rft.T))
        t = np.where(keep, t, 1.0)
        rows, cw, _ = compress(f, r, t, w)
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
            fit = _fit_mle(fun, x0, n_obs=n_obs, model=type(self).__name__)
        finally:
            self.__dict__.pop("_factor_cache", None)
        self._set_fit(fit, n_obs)
        self._after_fit(fu, ru, tu)
        return self

    def fit(
        self,
        data: Any = None,
        *,
        weights: Any = None,
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
        weights
            Optional number of customers each row stands for (array or column name, >= 0);
            rows with weight 0 are ignored, missing weights follow ``nan_policy``.
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
            Invalid summary or weights.
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
        rft = _rft_inputs(
            data, frequency=frequency, recency=recency, T=T, nan_policy=nan_policy, func=func
        )
        df = None if data is None else as_frame(data)
        w = _weights_input(weights, df, len(rft), nan_policy=nan_policy, func=func)
        return self._fit_rft(rft, w)

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

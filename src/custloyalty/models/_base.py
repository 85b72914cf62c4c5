r"""Shared machinery of the fitted probabilistic models.

* :class:`_FittedModel`: fitted state (``params_``, ``log_likelihood_``, ``standard_errors_``,
  ``n_obs_``, ``converged_``), ``summary``, ``__repr__``, ``to_dict()`` / ``from_dict()`` and
  :meth:`_check_fitted`.
* :class:`_TransactionModel`: base of the non-contractual models fitted on a customer summary
  (``frequency``, ``recency``, ``T``), with the input boundary :func:`_rft_inputs` and the
  weighted, compressed fit.
* :func:`_fit_mle`: the maximum-likelihood driver. It minimises the negative log-likelihood over
  the *logarithms* of the (positive) parameters with L-BFGS-B and an analytic gradient, then
  computes standard errors from the observed information.
* :func:`compress`: identical ``(frequency, recency, T)`` rows collapsed into weights.

Standard errors
---------------
With :math:`\phi = \log\theta` and :math:`H_\phi` the Hessian of the negative log-likelihood in
:math:`\phi` (central differences of the analytic gradient) at the optimum, where the gradient
vanishes, :math:`H_\phi = J H_\theta J` with :math:`J = \operatorname{diag}(\theta)`, so the
inverse observed information in the natural parameters is

$$\widehat{\operatorname{Cov}}(\hat\theta) = J\, H_\phi^{-1} J,\qquad
\operatorname{se}(\hat\theta_k) = \hat\theta_k \sqrt{(H_\phi^{-1})_{kk}}.$$

Standard errors are NaN when the Hessian is not positive definite (a flat or boundary optimum).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize

from custloyalty._frames import as_frame, numeric_columns, require_columns
from custloyalty._validation import as_1d_float, check_nan_policy, format_examples
from custloyalty.errors import ConvergenceError, ConvergenceWarning, NotFittedError, ValidationError

__all__ = ["RFT", "compress"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
NegLLGrad = Callable[[FloatArray], tuple[float, FloatArray]]

#: Bounds of the log-parameters during optimisation (exp(+-30) ~ 1e+-13).
_LOG_BOUND = 30.0


def _wsum(w: FloatArray, values: FloatArray) -> float:
    """Weighted sum ``sum(w * values)`` by numpy's pairwise summation.

    Deliberately not ``np.dot``: a BLAS dot product may start threads, which on a busy
    machine made a 30,000-element product take milliseconds instead of microseconds.
    """
    return float(np.add.reduce(w * values))


# --------------------------------------------------------------------------------------------
# maximum likelihood
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _MLEFit:
    params: FloatArray
    log_likelihood: float
    standard_errors: FloatArray
    converged: bool
    n_iter: int
    message: str


def _hessian_log(fun: NegLLGrad, x: FloatArray, scale: float) -> FloatArray:
    """Central-difference Hessian of ``fun`` (in log-parameters) from its analytic gradient."""
    k = x.size
    h = 1e-4
    hess = np.empty((k, k))
    for j in range(k):  # k <= 4 parameters: a loop over parameters, not over customers
        e = np.zeros(k)
        e[j] = h
        g_plus = fun(x + e)[1]
        g_minus = fun(x - e)[1]
        hess[:, j] = (g_plus - g_minus) / (2.0 * h)
    hess = 0.5 * (hess + hess.T)
    return hess * scale


def _is_positive_definite(hess: FloatArray) -> bool:
    if not np.all(np.isfinite(hess)):
        return False
    try:
        np.linalg.cholesky(hess)
    except np.linalg.LinAlgError:
        return False
    return True


def _fit_mle(
    negll_and_grad: NegLLGrad,
    x0_log: Any,
    *,
    n_obs: float,
    model: str,
    maxiter: int = 2000,
    gtol: float = 1e-9,
) -> _MLEFit:
    """Maximise a log-likelihood over log-parameters.

    Parameters
    ----------
    negll_and_grad
        Function of the log-parameters returning the *total* negative log-likelihood and its
        gradient with respect to the log-parameters.
    x0_log
        Starting log-parameters.
    n_obs
        Total weight (number of customers); the objective is divided by it so that the
        optimiser's tolerances do not depend on the sample size.
    model
        Model name, for messages.
    maxiter, gtol
        L-BFGS-B iteration limit and projected-gradient tolerance (on the mean log-likelihood).

    Returns
    -------
    _MLEFit
        Natural parameters, maximised log-likelihood, standard errors, convergence flag.

    Raises
    ------
    ConvergenceError
        The optimiser ended on a non-finite log-likelihood.

    Warns
    -----
    ConvergenceWarning
        The optimiser stopped before its tolerance and the gradient is not small.
    """
    x0 = np.asarray(x0_log, dtype=np.float64)
    scale = 1.0 / max(float(n_obs), 1.0)

    def scaled(x: FloatArray) -> tuple[float, FloatArray]:
        f, g = negll_and_grad(x)
        if not np.isfinite(f) or not np.all(np.isfinite(g)):
            return 1e300, np.zeros_like(x)  # pushes the line search back into the valid region
        return f * scale, g * scale

    res = optimize.minimize(
        scaled,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * x0.size,
        options={"maxiter": maxiter, "gtol": gtol, "ftol": 1e-15, "maxcor": 20},
    )
    x = np.asarray(res.x, dtype=np.float64)
    f, g = negll_and_grad(x)
    if not np.isfinite(f):
        msg = (
            f"{model}: maximum-likelihood fit failed ({res.message}); the log-likelihood is not "
            "finite at the last iterate."
        )
        raise ConvergenceError(msg)
    # Newton polish: L-BFGS-B stops within about 1e-4 of the optimum on flat likelihoods;
    # one or two Newton steps with the finite-difference Hessian of the analytic gradient
    # reach it to ~1e-10, and the last Hessian gives the standard errors.
    hess = _hessian_log(negll_and_grad, x, 1.0)
    for _ in range(6):
        chol_ok = _is_positive_definite(hess)
        if not chol_ok:
            break
        step = np.linalg.solve(hess, g)
        x_try = np.clip(x - step, -_LOG_BOUND, _LOG_BOUND)
        f_try, g_try = negll_and_grad(x_try)
        if not (np.isfinite(f_try) and f_try <= f + 1e-12 * abs(f)):
            break
        x, f, g = x_try, f_try, g_try
        if np.max(np.abs(step)) < 1e-6:  # the Hessian at x is still accurate for the SEs
            break
        hess = _hessian_log(negll_and_grad, x, 1.0)
    grad_small = bool(np.max(np.abs(g * scale)) < 1e-7)
    definite = _is_positive_definite(hess)
    converged = (bool(res.success) or grad_small) and definite
    if not converged:
        why = (
            f"the optimiser stopped before convergence ({res.message})"
            if definite
            else "the likelihood is flat or at a parameter boundary (Hessian not positive "
            "definite; standard errors are NaN)"
        )
        msg = f"{model}: {why}; the estimates may be inaccurate."
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    theta = np.exp(x)
    se = np.full(x.size, np.nan)
    if definite:
        inv = np.linalg.inv(hess)
        se = theta * np.sqrt(np.clip(np.diag(inv), 0.0, None))
    return _MLEFit(
        params=theta,
        log_likelihood=-float(f),
        standard_errors=se,
        converged=converged,
        n_iter=int(res.nit),
        message=str(res.message),
    )


# --------------------------------------------------------------------------------------------
# fitted models
# --------------------------------------------------------------------------------------------


def _json_float(value: Any) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


class _FittedModel:
    """Fitted state shared by every model: parameters, likelihood, standard errors, I/O."""

    _param_names: ClassVar[tuple[str, ...]] = ()
    _model_name: ClassVar[str] = ""

    params_: dict[str, float]
    log_likelihood_: float
    standard_errors_: dict[str, float]
    n_obs_: float
    converged_: bool | None

    def __init__(self) -> None:
        self._fitted = False

    # -- state -------------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not getattr(self, "_fitted", False):
            msg = (
                f"This {type(self).__name__} is not fitted yet; call fit(...) first, or "
                f"{type(self).__name__}.from_dict(...) with saved parameters."
            )
            raise NotFittedError(msg)

    def _set_fit(self, fit: _MLEFit, n_obs: float) -> None:
        self.params_ = {k: float(v) for k, v in zip(self._param_names, fit.params, strict=True)}
        self.standard_errors_ = {
            k: float(v) for k, v in zip(self._param_names, fit.standard_errors, strict=True)
        }
        self.log_likelihood_ = float(fit.log_likelihood)
        self.n_obs_ = float(n_obs)
        self.converged_ = bool(fit.converged)
        self._fitted = True

    def _extra_state(self) -> dict[str, Any]:
        """Further fitted attributes serialised by :meth:`to_dict` (overridden by models)."""
        return {}

    def _set_extra_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`_extra_state` saved."""

    @property
    def _params(self) -> FloatArray:
        self._check_fitted()
        return np.array([self.params_[k] for k in self._param_names], dtype=np.float64)

    # -- presentation ------------------------------------------------------------------------

    @property
    def summary(self) -> pd.DataFrame:
        """Parameter table: estimate, standard error and Wald 95% interval, one row per parameter.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        """
        self._check_fitted()
        est = np.array([self.params_[k] for k in self._param_names])
        se = np.array([self.standard_errors_.get(k, np.nan) for k in self._param_names])
        z = 1.959963984540054
        return pd.DataFrame(
            {"estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se},
            index=pd.Index(self._param_names, name="param"),
        )

    def __repr__(self) -> str:
        name = type(self).__name__
        if not getattr(self, "_fitted", False):
            return f"{name}(not fitted)"
        ps = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        n = float(self.n_obs_)
        if math.isnan(n):  # rebuilt by from_dict from parameters only
            origin = "from saved parameters"
        else:
            origin = f"fitted on {int(n) if n.is_integer() else f'{n:g}'} obs"
        ll = float(self.log_likelihood_)
        ll_txt = "" if math.isnan(ll) else f", log-likelihood {ll:.2f}"
        return f"{name}({ps}; {origin}{ll_txt})"

    # -- serialisation -----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the fitted model as a JSON-safe dict.

        Returns
        -------
        dict
            ``{"model": name, "params": {...}, "log_likelihood": float, "standard_errors":
            {...}, "n_obs": float, "converged": bool, ...}``; unknown values (NaN standard
            errors, and the likelihood, ``n_obs`` and ``converged`` of a model rebuilt from
            parameters only) become ``None``, so ``json.dumps(..., allow_nan=False)`` works.
            :meth:`from_dict` rebuilds the model.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        """
        self._check_fitted()
        out: dict[str, Any] = {
            "model": self._model_name,
            "params": {k: float(v) for k, v in self.params_.items()},
            "log_likelihood": _json_float(self.log_likelihood_),
            "standard_errors": {k: _json_float(v) for k, v in self.standard_errors_.items()},
            "n_obs": _json_float(self.n_obs_),
            "converged": None if self.converged_ is None else bool(self.converged_),
        }
        out.update(self._extra_state())
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a fitted model from :meth:`to_dict` output (e.g. after a JSON round trip).

        Only ``"params"`` is required; the log-likelihood, standard errors and ``n_obs``
        default to NaN and ``converged_`` to ``None`` (unknown).

        Raises
        ------
        ValidationError
            ``data`` is not a dict, is for another model, or its entries are malformed
            (parameters missing, extra, not numbers or not positive; other entries not
            numbers).
        """
        cname = cls.__name__
        given: object = data  # checked at run time: JSON input is not type-checked
        if not isinstance(given, Mapping):
            msg = (
                f"{cname}.from_dict needs a dict (the output of to_dict()); got "
                f"{type(given).__name__}."
            )
            raise ValidationError(msg)
        name = cls._model_name
        model = data.get("model", name)
        if model != name:
            msg = f"{cname}.from_dict got a dict for model {model!r}, not {name!r}."
            raise ValidationError(msg)
        params = data.get("params")
        if not isinstance(params, Mapping) or set(params) != set(cls._param_names):
            got = sorted(map(str, params)) if isinstance(params, Mapping) else params
            msg = (
                f"{cname}.from_dict needs 'params' with exactly the keys "
                f"{list(cls._param_names)}; got {got!r}."
            )
            raise ValidationError(msg)
        values = {k: _entry_float(params[k], f"params[{k!r}]", cname) for k in cls._param_names}
        bad = [k for k, v in values.items() if not (math.isfinite(v) and v > 0)]
        if bad:
            msg = f"{cname}.from_dict: parameters must be finite and > 0; got {values!r}."
            raise ValidationError(msg)
        ses = data.get("standard_errors")
        if ses is None:
            ses = {}
        if not isinstance(ses, Mapping):
            msg = f"{cname}.from_dict: 'standard_errors' must be a dict; got {ses!r}."
            raise ValidationError(msg)
        converged = data.get("converged")
        if converged is not None and not isinstance(converged, bool | np.bool_):
            msg = f"{cname}.from_dict: 'converged' must be true, false or null; got {converged!r}."
            raise ValidationError(msg)
        obj = cls.__new__(cls)
        _FittedModel.__init__(obj)
        obj.params_ = values
        obj.standard_errors_ = {
            k: _entry_float(ses.get(k), f"standard_errors[{k!r}]", cname) for k in cls._param_names
        }
        obj.log_likelihood_ = _entry_float(data.get("log_likelihood"), "log_likelihood", cname)
        obj.n_obs_ = _entry_float(data.get("n_obs"), "n_obs", cname)
        obj.converged_ = None if converged is None else bool(converged)
        try:
            obj._set_extra_state(data)
        except ValidationError:
            raise
        except (TypeError, ValueError):
            msg = f"{cname}.from_dict: malformed model-specific entries in {dict(data)!r}."
            raise ValidationError(msg) from None
        obj._fitted = True
        return obj


def _entry_float(value: Any, key: str, cname: str) -> float:
    """Convert one number of a ``from_dict`` input; ``None`` (unknown) becomes NaN."""
    if value is None:
        return float("nan")
    if isinstance(value, bool | np.bool_):  # float(True) == 1.0 would hide a mix-up
        msg = f"{cname}.from_dict: {key} must be a number; got {value!r}."
        raise ValidationError(msg)
    try:
        return float(value)
    except (TypeError, ValueError):
        msg = f"{cname}.from_dict: {key} must be a number; got {value!r}."
        raise ValidationError(msg) from None


# --------------------------------------------------------------------------------------------
# customer-summary inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RFT:
    """Validated customer summary arrays (NaN rows kept, flagged in ``missing``)."""

    frequency: FloatArray
    recency: FloatArray
    T: FloatArray
    index: pd.Index
    missing: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.frequency.shape[0])


def _column_or_array(
    data: pd.DataFrame | None, value: Any, name: str, *, func: str
) -> tuple[FloatArray, pd.Index | None]:
    """Resolve one argument: a column name of ``data``, or an array when ``data`` is None."""
    if data is not None:
        if isinstance(value, str | int) and not isinstance(value, bool):
            return np.empty(0), None  # resolved through numeric_columns by the caller
        msg = (
            f"{func}: with a table as data, {name}= must be a column name; got "
            f"{type(value).__name__}. Pass either a table or arrays, not both."
        )
        raise ValidationError(msg)
    if value is None or isinstance(value, str):
        msg = (
            f"{func} needs a customer summary: a table with columns frequency, recency and T, "
            f"or arrays frequency=, recency=, T=; {name}= is {value!r}."
        )
        raise ValidationError(msg)
    idx = value.index if isinstance(value, pd.Series) else None
    arr, keep = as_1d_float(value, name, nan_policy="omit")
    full = np.full(keep.shape[0], np.nan)
    full[keep] = arr
    return full, idx


def _check_rule(
    bad: npt.NDArray[np.bool_],
    col: str,
    what: str,
    index: pd.Index,
    values: FloatArray,
    *,
    where: str = "",
    hint: str = "",
) -> None:
    """Raise ``Column 'col' has n <what> values[ <where>] (rows ...): ...`` if any is bad."""
    if bad.any():
        pos = np.flatnonzero(bad)
        noun = "value" if pos.size == 1 else "values"
        ex = format_examples(index[pos[:5]], values[pos[:5]])
        where_txt = f" {where}" if where else ""
        msg = f"Column {col!r} has {pos.size} {what} {noun}{where_txt} {ex}."
        if hint:
            msg += f"\nHint: {hint}"
        raise ValidationError(msg)


def _rft_inputs(
    data: Any,
    *,
    frequency: Any = "frequency",
    recency: Any = "recency",
    T: Any = "T",
    nan_policy: str = "raise",
    func: str,
) -> RFT:
    """Validate a customer summary given as a table (column names) or as three arrays.

    Rules: ``frequency`` integer >= 0, ``T`` > 0, ``0 <= recency <= T`` (a tolerance of 1e-9
    relative absorbs unit conversions) and ``recency == 0`` where ``frequency == 0`` (recency
    is the time of the last *repeat* purchase; Pareto/NBD's likelihood and P(alive) would
    silently use a non-zero value). Under ``nan_policy="omit"`` rows with a missing value
    are flagged in :attr:`RFT.missing` (their values stay NaN); under ``"raise"`` they raise.
    """
    policy = check_nan_policy(nan_policy, func=func)
    if data is not None:
        df = as_frame(data)
        for name, v in (("frequency", frequency), ("recency", recency), ("T", T)):
            _column_or_array(df, v, name, func=func)
        require_columns(df, [frequency, recency, T])
        block, missing = numeric_columns(df, [frequency, recency, T], nan_policy=policy, func=func)
        f = block[frequency].to_numpy(dtype=np.float64)
        r = block[recency].to_numpy(dtype=np.float64)
        t = block[T].to_numpy(dtype=np.float64)
        index = df.index
        names = (str(frequency), str(recency), str(T))
    else:
        f, i1 = _column_or_array(None, frequency, "frequency", func=func)
        r, i2 = _column_or_array(None, recency, "recency", func=func)
        t, i3 = _column_or_array(None, T, "T", func=func)
        if not f.shape[0] == r.shape[0] == t.shape[0]:
            msg = (
                f"{func}: frequency, recency and T must have the same length; got "
                f"{f.shape[0]}, {r.shape[0]} and {t.shape[0]}."
            )
            raise ValidationError(msg)
        index = next((i for i in (i1, i2, i3) if i is not None), pd.RangeIndex(f.shape[0]))
        missing = np.isnan(f) | np.isnan(r) | np.isnan(t)
        if missing.any() and policy == "raise":
            col = "frequency" if np.isnan(f).any() else "recency" if np.isnan(r).any() else "T"
            vals = {"frequency": f, "recency": r, "T": t}[col]
            _check_rule(np.isnan(vals), col, "missing (NaN)", index, vals)
        names = ("frequency", "recency", "T")
    ok = ~missing
    fz, rz, tz = np.where(ok, f, 0.0), np.where(ok, r, 0.0), np.where(ok, t, 1.0)
    bad_f = ok & ((fz < 0) | (fz != np.floor(fz)))
    _check_rule(bad_f, names[0], "negative or non-integer", index, f)
    _check_rule(ok & (tz <= 0), names[2], "non-positive", index, t)
    _check_rule(ok & (rz < 0), names[1], "negative", index, r)
    _check_rule(
        ok & (fz == 0) & (rz != 0),
        names[1],
        "non-zero",
        index,
        r,
        where=f"where {names[0]!r} is 0",
        hint=(
            "recency is the time of the last repeat purchase since the first purchase, so it "
            "is 0 for customers without repeat purchase (as in rfm_summary)."
        ),
    )
    _check_rule(ok & (rz > tz * (1 + 1e-9)), names[1], "greater-than-T", index, r)
    r = np.where(ok, np.minimum(r, t), np.nan)
    return RFT(frequency=f, recency=r, T=t, index=index, missing=missing)


def _weights_input(
    weights: Any, data: pd.DataFrame | None, n: int, *, nan_policy: str, func: str
) -> FloatArray | None:
    """Validate fit weights: None, a column name of ``data``, or an array of length ``n``.

    A missing weight raises, or under ``nan_policy="omit"`` becomes 0 (the row is omitted).
    """
    if weights is None:
        return None
    if data is not None and isinstance(weights, Hashable) and not isinstance(weights, tuple):
        df = as_frame(data)
        policy = check_nan_policy(nan_policy, func=func)
        block, miss = numeric_columns(
            df, [weights], nan_policy=policy, func=func, bounds=(0.0, np.inf)
        )
        w = block[weights].to_numpy(dtype=np.float64)
        return np.where(miss, 0.0, w) if miss.any() else w
    return _weights_array(weights, n, nan_policy=nan_policy, func=func)


def _weights_array(
    weights: Any,
    n: int,
    *,
    nan_policy: str | None,
    func: str,
    unit: str = "customers",
    index: Any = None,
) -> FloatArray:
    """Validate an array of ``n`` finite weights >= 0 (``index`` labels the examples).

    Missing weights raise, with a hint about ``nan_policy`` unless it is None (a function
    without that option), or become 0 under ``nan_policy="omit"``.
    """
    if index is not None and not isinstance(weights, pd.Series) and np.ndim(weights) == 1:
        values = np.asarray(weights, dtype=object)
        if values.shape[0] == n:  # label the examples of the messages below
            weights = pd.Series(values, index=index)
    full, keep = as_1d_float(
        weights,
        "weights",
        nan_policy="omit" if nan_policy == "omit" else "raise",
        keep_missing=True,
        allow_empty=True,
        missing_hint=None
        if nan_policy is None
        else "pass nan_policy='omit' to leave these rows out.",
    )
    if keep.shape[0] != n:
        msg = f"{func}: weights has {keep.shape[0]} values for {n} {unit}."
        raise ValidationError(msg)
    labels = np.arange(n) if index is None else np.asarray(index)
    full = np.where(keep, full, 0.0)  # omitted rows weigh nothing
    if (full < 0).any():
        pos = np.flatnonzero(full < 0)
        msg = f"weights has {pos.size} negative values {format_examples(labels[pos], full[pos])}."
        raise ValidationError(msg)
    return full


def _sorted_codes(values: Any) -> tuple[IntArray, npt.NDArray[Any]]:
    """Codes of ``values`` in the sorted order of its distinct values, and those values.

    Hash-based (``pandas.factorize``, linear time); only the distinct values are sorted.
    """
    codes, uniq = pd.factorize(values, use_na_sentinel=False)
    uniq = np.asarray(uniq)
    order = np.argsort(uniq, kind="stable")
    rank = np.empty(order.shape[0], dtype=np.int64)
    rank[order] = np.arange(order.shape[0], dtype=np.int64)
    return rank[codes], uniq[order]


def compress(
    frequency: Any, recency: Any, T: Any, weights: Any = None
) -> tuple[FloatArray, FloatArray, IntArray]:
    r"""Collapse identical ``(frequency, recency, T)`` rows into weighted unique rows.

    The likelihood of the transaction models depends on a customer only through
    :math:`(x, t_x, T)`, so fitting on the unique rows weighted by their counts gives the same
    estimates as fitting on all rows, with far fewer evaluations of the special functions.

    Parameters
    ----------
    frequency, recency, T
        One value per customer (validated by the caller).
    weights
        Optional weight per customer (default one each); summed within a unique row.

    Returns
    -------
    rows : numpy.ndarray
        Shape ``(k, 3)``: the unique rows (columns frequency, recency, T), sorted.
    weights : numpy.ndarray
        Shape ``(k,)``: the total weight of each unique row (> 0 entries sum to the input total).
    inverse : numpy.ndarray
        Shape ``(n,)``: position of each input row in ``rows`` (``rows[inverse]`` rebuilds
        the input).

    Notes
    -----
    Equivalent to ``np.unique(np.column_stack([f, r, T]), axis=0, return_inverse=True)``; for
    speed each column is coded by hashing (``pandas.factorize``, linear time, only the distinct
    values sorted) and the three codes are packed into one integer key, coded the same way.

    Examples
    --------
    >>> from custloyalty.models._base import compress
    >>> rows, w, inv = compress([0, 2, 0, 2], [0.0, 5.0, 0.0, 5.0], [10.0, 10.0, 10.0, 12.0])
    >>> rows.tolist(), w.tolist(), inv.tolist()
    ([[0.0, 0.0, 10.0], [2.0, 5.0, 10.0], [2.0, 5.0, 12.0]], [2.0, 1.0, 1.0], [0, 1, 0, 2])
    """
    f = np.asarray(frequency, dtype=np.float64).reshape(-1)
    r = np.asarray(recency, dtype=np.float64).reshape(-1)
    t = np.asarray(T, dtype=np.float64).reshape(-1)
    cf, uf = _sorted_codes(f)
    cr, ur = _sorted_codes(r)
    ct, ut = _sorted_codes(t)
    nr, nt = ur.shape[0], ut.shape[0]
    if uf.shape[0] * nr * nt < 2**62:
        key = (cf * nr + cr) * nt + ct
        inverse, ukey = _sorted_codes(key)
        ukey = ukey.astype(np.int64)
        rows = np.column_stack([uf[ukey // (nr * nt)], ur[(ukey // nt) % nr], ut[ukey % nt]])
    else:  # pragma: no cover - needs > 2**62 distinct combinations of codes
        rows, inverse = np.unique(np.column_stack([f, r, t]), axis=0, return_inverse=True)
        inverse = inverse.astype(np.int64).reshape(-1)
    w = None if weights is None else np.asarray(weights, dtype=np.float64).reshape(-1)
    counts = np.bincount(inverse, weights=w, minlength=rows.shape[0]).astype(np.float64)
    return rows, counts, inverse


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

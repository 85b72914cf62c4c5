"""Fitted state shared by every model (private): parameters, standard errors, saved state."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from custloyalty.errors import NotFittedError, ValidationError
from custloyalty.models._optimise import FloatArray, _MLEFit


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

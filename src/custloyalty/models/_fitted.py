"""Fitted state shared by every model (private): parameters, standard errors, saved state."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from custloyalty._state import (
    Stateful,
    check_header,
    header,
    refuse_unknown_keys,
    state_bool,
    state_float,
    state_key,
    state_mapping,
    state_str,
)
from custloyalty.errors import NotFittedError, ValidationError
from custloyalty.models._optimise import _LOG_BOUND, FloatArray, _MLEFit

#: Range of a parameter in a saved state: what a fit can return (log-parameters within
#: +-:data:`custloyalty.models._optimise._LOG_BOUND`, about 9.4e-14 to 1.07e13), with a margin
#: for rounding. The predictions are tested over this box; far outside it (``1e308``) their
#: special functions overflow, so a hand-edited state there is refused.
_PARAM_LOW = math.exp(-_LOG_BOUND) * (1.0 - 1e-9)
_PARAM_HIGH = math.exp(_LOG_BOUND) * (1.0 + 1e-9)


def _json_float(value: Any) -> float | None:
    v = float(value)
    return None if math.isnan(v) else v


class _FittedModel(Stateful):
    """Fitted state shared by every model: parameters, likelihood, standard errors, I/O.

    Derives from :class:`custloyalty._state.Stateful` (``to_json`` / ``from_json`` /
    ``_repr_html_``); the saved state starts with the shared header, ``kind`` being the
    class name.
    """

    _param_names: ClassVar[tuple[str, ...]] = ()
    _model_name: ClassVar[str] = ""

    params_: dict[str, float]
    log_likelihood_: float
    standard_errors_: dict[str, float]
    n_obs_: float
    converged_: bool | None
    time_unit_: str | None

    def __init__(self) -> None:
        self._fitted = False
        self.time_unit_ = None

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

    def _set_extra_state(self, state: Mapping[str, Any], *, where: str) -> None:
        """Restore and validate what :meth:`_extra_state` saved (``where`` names the loader)."""

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
            :func:`custloyalty._state.header` (``kind`` = the class name, ``format_version``,
            ``custloyalty_version``), then ``"params": {...}, "log_likelihood": float,
            "standard_errors": {...}, "n_obs": float, "converged": bool, "time_unit": str``
            and model-specific entries; unknown values (NaN standard errors, and the
            likelihood, ``n_obs``, ``converged`` and ``time_unit`` of a model rebuilt from
            parameters only) become ``None``, so ``json.dumps(..., allow_nan=False)`` works.
            :meth:`from_dict` rebuilds the model.

        Raises
        ------
        NotFittedError
            The model is not fitted.
        """
        self._check_fitted()
        out: dict[str, Any] = header(self._model_name)
        out.update(
            {
                "params": {k: float(v) for k, v in self.params_.items()},
                "log_likelihood": _json_float(self.log_likelihood_),
                "standard_errors": {k: _json_float(v) for k, v in self.standard_errors_.items()},
                "n_obs": _json_float(self.n_obs_),
                "converged": None if self.converged_ is None else bool(self.converged_),
                "time_unit": self.time_unit_,
            }
        )
        out.update(self._extra_state())
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a fitted model from :meth:`to_dict` output (e.g. after a JSON round trip).

        The whole fitted block is validated, so a hand-edited or corrupted state is refused
        with an error naming the key: the header (kind and format version), ``params`` with
        exactly the model's keys, each finite and within the range a fit can return
        (about 9.4e-14 to 1.07e13: log-parameters within +-30); ``standard_errors`` finite and >= 0
        or null; ``log_likelihood`` finite or null; ``n_obs`` >= 0 or null; ``converged``
        true, false or null; ``time_unit`` a known unit (see
        :data:`custloyalty.summary.TIME_UNITS`) or null; model-specific entries.
        To rebuild a model from parameters alone, use :meth:`from_params`.

        Raises
        ------
        ValidationError
            ``data`` is not a saved state of this model, or an entry is malformed.
        """
        where = f"{cls.__name__}.from_dict"
        state = check_header(data, cls._model_name, where=where)
        params = state_mapping(state_key(state, "params", where=where), "params", where=where)
        names = list(cls._param_names)
        if set(params) != set(names):
            got = sorted(map(str, params))
            msg = f"{where}: params must have exactly the keys {names}; got {got}."
            raise ValidationError(msg)
        values = {
            k: state_float(
                params[k], f"params[{k!r}]", where=where, low=_PARAM_LOW, high=_PARAM_HIGH
            )
            for k in names
        }
        ses_raw = state.get("standard_errors")
        ses = {} if ses_raw is None else state_mapping(ses_raw, "standard_errors", where=where)
        refuse_unknown_keys(ses, names, where=where, block="standard_errors")
        obj = cls.__new__(cls)
        _FittedModel.__init__(obj)
        obj.params_ = values
        obj.standard_errors_ = {
            k: state_float(
                ses.get(k), f"standard_errors[{k!r}]", where=where, low=0.0, allow_none=True
            )
            for k in names
        }
        obj.log_likelihood_ = state_float(
            state.get("log_likelihood"), "log_likelihood", where=where, allow_none=True
        )
        obj.n_obs_ = state_float(state.get("n_obs"), "n_obs", where=where, low=0.0, allow_none=True)
        obj.converged_ = state_bool(
            state.get("converged"), "converged", where=where, allow_none=True
        )
        unit = state.get("time_unit")
        obj.time_unit_ = (
            None if unit is None else state_str(unit, "time_unit", where=where, choices=_units())
        )
        obj._set_extra_state(state, where=where)
        obj._fitted = True
        return obj

    @classmethod
    def from_params(cls, params: Mapping[str, Any], *, time_unit: str | None = None) -> Self:
        """Build a model from its parameters alone (no fit statistics).

        Parameters
        ----------
        params
            The model's parameters (e.g. ``{"r", "alpha", "a", "b"}`` for :class:`BetaGeo`),
            each finite, between about 9.4e-14 and 1.07e13 (the range of a fit).
        time_unit
            Time unit the parameters are in (``"D"``, ``"W"``, ...), or None if unknown.

        Returns
        -------
        Self
            A fitted model whose log-likelihood, standard errors, ``n_obs_`` and
            ``converged_`` are unknown (NaN / None).

        Raises
        ------
        ValidationError
            ``params`` not a dict; missing, extra or invalid parameters (out of range); or an
            unknown time unit.

        Examples
        --------
        >>> from custloyalty.models import BetaGeo
        >>> BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, time_unit="W")
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426; from saved parameters)
        """
        given: object = params  # checked at run time: a list of values is a common slip
        if not isinstance(given, Mapping):
            msg = (
                f"{cls.__name__}.from_params: params must be a dict of the parameters "
                f"{list(cls._param_names)}; got {type(given).__name__}."
                f"\nHint: name each value, e.g. {dict.fromkeys(cls._param_names, 1.0)!r}."
            )
            raise ValidationError(msg)
        state = header(cls._model_name)
        state.update({"params": dict(params), "time_unit": time_unit})
        return cls.from_dict(state)


def _units() -> list[str]:
    from custloyalty.summary import TIME_UNITS

    return list(TIME_UNITS)

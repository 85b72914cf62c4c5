"""Scorecard configuration: one frozen object, read from and written to a plain mapping.

:class:`ScorecardConfig` checks every setting's type and value once (as a TOML, YAML or JSON
config file gives them), refuses unknown keys and indicator options naming the key, the valid
ones and the closest match, and writes itself back as a JSON-safe dict.
"""

from __future__ import annotations

import inspect
import itertools
import math
import reprlib
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from custloyalty import _frames
from custloyalty._results import to_builtin
from custloyalty._validation import is_number, suggest
from custloyalty.errors import ValidationError
from custloyalty.metrics import INPUTS, canonical
from custloyalty.metrics import get as get_metric
from custloyalty.scorecard._normalise import DIRECTIONS, NORMALISATIONS
from custloyalty.scorecard._weighting import WEIGHTINGS

__all__ = ["DEFAULT_INDICATORS", "DEFAULT_TIERS", "ScorecardConfig"]

#: The five indicators of the evaluation system (recency alongside churn risk), and
#: engagement. The survey indicators are used only when surveys are given, ``engagement`` only
#: when interactions are given (a customer without any is missing: did not answer / interact).
DEFAULT_INDICATORS: tuple[str, ...] = (
    "purchase_days",
    "total_spend",
    "days_since_last_purchase",
    "churn_risk",
    "satisfaction",
    "recommendation",
    "engagement",
)
#: Default tiers, best first, with the share of customers each holds at fit time.
DEFAULT_TIERS: dict[str, Any] = {
    "labels": ["Platinum", "Gold", "Silver", "Bronze"],
    "shares": [0.1, 0.2, 0.3, 0.4],
}
#: Weighting methods chosen by name (a mapping of weights chooses ``"fixed"``).
WEIGHTING_NAMES = tuple(k for k in WEIGHTINGS if k != "fixed")
MISSING = ("renormalise", "segment")
_FUNC = "LoyaltyScorecard"
_INDICATOR_KEYS = ("direction", "normalisation", "options", "weight")
_TIER_KEYS = ("labels", "shares", "thresholds")
#: Longest value x potential horizon in months (the ``clv`` indicator's bound).
_MAX_HORIZON = 1200
_VP_KEYS = ("levels", "horizon", "value_thresholds", "potential_thresholds")


def fail_type(key: str, expected: str, value: Any) -> NoReturn:
    """Raise ``LoyaltyScorecard: 'key' must be <expected>; got <type> <value>.``."""
    msg = f"{_FUNC}: {key!r} must be {expected}; got {type(value).__name__} {reprlib.repr(value)}."
    raise ValidationError(msg)


def _unknown(keys: Iterable[Any], known: Sequence[str], what: str) -> None:
    """Refuse unknown keys, naming them, the known ones and the closest match."""
    unknown = [str(k) for k in keys if k not in known]
    if not unknown:
        return
    msg = f"{_FUNC}: unknown {what} {unknown!r}; the valid ones are {sorted(known)!r}."
    hints = [f"{u!r} -> {h!r}" for u in unknown if (h := suggest(u, list(known)))]
    if hints:
        msg += f"\nHint: did you mean {', '.join(hints)}?"
    raise ValidationError(msg)


def _option(value: Any, key: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        msg = f"The {key!r} parameter of {_FUNC} must be one of {list(allowed)!r}; got {value!r}."
        hint = suggest(value, list(allowed)) if isinstance(value, str) else None
        if hint:
            msg += f"\nHint: did you mean {hint!r}?"
        raise ValidationError(msg)
    return value


def _usable_weight(value: Any) -> bool:
    """Whether a number is a usable weight: finite (as a float) and >= 0."""
    try:
        v = float(value)
    except OverflowError:  # an integer beyond the float range
        return False
    return math.isfinite(v) and v >= 0


@dataclass(frozen=True, slots=True)
class IndicatorConfig:
    """One indicator of a scorecard: metric name and its settings."""

    name: str
    direction: str
    normalisation: str
    source: str
    options: Mapping[str, Any] = field(default_factory=dict)
    weight: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-safe dict (the key ``name`` left out)."""
        out = {
            "direction": self.direction,
            "normalisation": self.normalisation,
            "options": to_builtin(dict(self.options)),
        }
        if self.weight is not None:
            out["weight"] = self.weight
        return out


def _metric_options(name: str, options: Mapping[str, Any]) -> None:
    """Refuse options the metric's function does not take (a typo such as ``modle``)."""
    metric = get_metric(name)
    try:
        params = inspect.signature(metric.func).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    known = [
        p
        for p, par in params.items()
        if p not in INPUTS
        and par.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    _unknown(options, known, f"options for indicator {name!r}")


def _indicator(key: str, conf: Mapping[str, Any], normalisation: str) -> IndicatorConfig:
    """Check one indicator's settings; ``key`` is the name as given (messages use it)."""
    name = key
    metric = get_metric(key)
    if metric.level != "customer":
        msg = (
            f"{_FUNC}: indicator {name!r} is a base-level metric; a scorecard needs "
            "customer-level indicators."
        )
        raise ValidationError(msg)
    _unknown(conf, _INDICATOR_KEYS, f"settings for indicator {name!r}")
    options = conf.get("options", {})
    if not isinstance(options, Mapping):
        fail_type(f"indicators.{name}.options", "a mapping of metric options", options)
    _metric_options(name, options)
    weight = conf.get("weight")
    if weight is not None and not is_number(weight):
        fail_type(f"indicators.{name}.weight", "a number", weight)
    if weight is not None and not _usable_weight(weight):
        fail_type(f"indicators.{name}.weight", "a finite number >= 0", weight)
    direction = _option(
        conf.get("direction", metric.direction), f"indicators.{name}.direction", DIRECTIONS
    )
    norm = _option(
        conf.get("normalisation", normalisation), f"indicators.{name}.normalisation", NORMALISATIONS
    )
    return IndicatorConfig(
        metric.name,
        direction,
        norm,
        metric.source,
        dict(options),
        None if weight is None else float(weight),
    )


def _indicators(spec: Any, normalisation: str) -> tuple[IndicatorConfig, ...]:
    if isinstance(spec, str):
        spec = [spec]
    if not (
        isinstance(spec, Mapping) or (isinstance(spec, Iterable) and not isinstance(spec, bytes))
    ):
        fail_type(
            "indicators",
            "a metric name, a list of names or dicts, or a mapping name -> settings",
            spec,
        )
    items: list[tuple[str, dict[str, Any]]] = []
    if isinstance(spec, Mapping):
        for name, conf in spec.items():
            if conf is not None and not isinstance(conf, Mapping):
                fail_type(
                    f"indicators.{name}",
                    "a mapping of settings (direction, normalisation, weight, options)",
                    conf,
                )
            items.append((str(name), dict(conf or {})))
    else:
        for entry in spec:
            if isinstance(entry, str):
                items.append((entry, {}))
            elif isinstance(entry, Mapping) and "name" in entry:
                conf = dict(entry)
                items.append((str(conf.pop("name")), conf))
            else:
                msg = (
                    f"{_FUNC}: each indicator is a metric name or a dict with a 'name'; "
                    f"got {entry!r}."
                )
                raise ValidationError(msg)
    if not items:
        msg = f"{_FUNC} needs at least one indicator."
        raise ValidationError(msg)
    names = [canonical(n) for n, _ in items]  # former built-in names map to current ones
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        msg = f"{_FUNC}: indicators {dup!r} are listed twice."
        raise ValidationError(msg)
    return tuple(_indicator(name, conf, normalisation) for name, conf in items)


def _tiers(tiers: Any) -> dict[str, Any]:
    if not isinstance(tiers, Mapping):
        fail_type("tiers", "a mapping with 'labels' and 'shares' or 'thresholds'", tiers)
    _unknown(tiers, _TIER_KEYS, "tier settings")
    for key in _TIER_KEYS:
        value = tiers.get(key, [])
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            fail_type(f"tiers.{key}", "a list", value)
    # read each list once (a generator given as labels or shares would be empty the second time)
    tiers = {key: list(value) for key, value in tiers.items()}
    odd = [t for t in tiers.get("labels", []) if not (isinstance(t, str) or is_number(t))]
    if odd:
        fail_type("tiers.labels", "a list of names (text or numbers)", list(tiers["labels"]))
    labels = [str(t) for t in tiers.get("labels", [])]
    if len(labels) < 1 or len(set(labels)) != len(labels):
        msg = f"{_FUNC}: tiers need distinct 'labels' (best first); got {labels!r}."
        raise ValidationError(msg)
    for key in ("shares", "thresholds"):
        if [v for v in tiers.get(key, []) if not is_number(v)]:
            fail_type(f"tiers.{key}", "a list of numbers", list(tiers[key]))
    if "thresholds" in tiers and "shares" in tiers:
        msg = (
            f"{_FUNC}: tiers take 'shares' (cut-offs learned at fit) or 'thresholds' (fixed "
            "cut-offs), not both.\nHint: drop one of the two keys."
        )
        raise ValidationError(msg)
    if "thresholds" in tiers:
        th = [float(t) for t in tiers["thresholds"]]
        if (
            len(th) != len(labels) - 1
            or not np.isfinite(th).all()
            or any(a <= b for a, b in itertools.pairwise(th))
        ):
            msg = (
                f"{_FUNC}: {len(labels)} tiers need {len(labels) - 1} strictly decreasing "
                f"composite thresholds (best tier first); got {th!r}."
            )
            raise ValidationError(msg)
        outside = [t for t in th if not 0.0 < t <= 100.0]
        if outside:
            msg = (
                f"{_FUNC}: 'tiers.thresholds' are composite lower bounds and must lie in "
                f"(0, 100], the composite's range; got {outside!r} (a tier above 100 stays "
                "empty, one at or below 0 takes everybody below it)."
            )
            raise ValidationError(msg)
        return {"labels": labels, "thresholds": th}
    shares = [_share(s) for s in tiers.get("shares", [])]
    if len(shares) != len(labels) or any(not (0 < s < np.inf) for s in shares):
        msg = f"{_FUNC}: tiers need one positive share per label; got {shares!r}."
        raise ValidationError(msg)
    total = sum(shares)
    if not (math.isclose(total, 1.0, rel_tol=1e-6) or math.isclose(total, 100.0, rel_tol=1e-6)):
        msg = (
            f"{_FUNC}: 'tiers.shares' must sum to 1 (or to 100, as percentages); got "
            f"{shares!r}, summing to {total:g}.\nHint: give the share of customers in each "
            "tier, best first."
        )
        raise ValidationError(msg)
    return {"labels": labels, "shares": [s / total for s in shares]}


def _share(value: Any) -> float:
    """``float(value)``; an integer beyond the float range is infinite (refused as a share)."""
    try:
        return float(value)
    except OverflowError:
        return float("inf")


def _value_potential(spec: Any) -> bool | dict[str, Any] | None:
    """Check the value x potential setting: None (auto), False (off), True or a mapping (on)."""
    if spec is None or spec is False:
        return spec
    if spec is True:
        spec = {}
    if not isinstance(spec, Mapping):
        fail_type(
            "value_potential",
            "None, true, false or a mapping (levels, horizon, value_thresholds, "
            "potential_thresholds)",
            spec,
        )
    _unknown(spec, _VP_KEYS, "value_potential settings")
    levels = spec.get("levels", 2)
    if isinstance(levels, bool) or levels not in (2, 3):
        fail_type("value_potential.levels", "2 or 3", levels)
    horizon = spec.get("horizon")
    if horizon is not None and (
        isinstance(horizon, bool)
        or not isinstance(horizon, int | np.integer)
        or not 1 <= horizon <= _MAX_HORIZON
    ):
        fail_type(
            "value_potential.horizon",
            f"an integer number of months from 1 to {_MAX_HORIZON} (100 years) or None",
            horizon,
        )
    out: dict[str, Any] = {
        "levels": int(levels),
        "horizon": None if horizon is None else int(horizon),
    }
    for key in ("value_thresholds", "potential_thresholds"):
        cuts = spec.get(key)
        if cuts is not None:
            if (
                isinstance(cuts, str | bytes | Mapping)
                or not isinstance(cuts, Iterable)
                or not all(is_number(c) for c in cuts)
            ):
                fail_type(f"value_potential.{key}", "a list of numbers", cuts)
            cuts = [float(c) for c in cuts]
            if (
                len(cuts) != out["levels"] - 1
                or not np.isfinite(cuts).all()
                or min(cuts) < 0
                or any(b <= a for a, b in itertools.pairwise(cuts))
            ):
                msg = (
                    f"{_FUNC}: value_potential.{key} must hold {out['levels'] - 1} increasing "
                    f"finite cut-off(s) >= 0 for levels={out['levels']}; got {cuts!r}."
                )
                raise ValidationError(msg)
        out[key] = cuts
    return out


def matrix(obj: Any, key: str = "ahp") -> pd.DataFrame:
    """Return a pairwise matrix given as a DataFrame, rows or ``{index, columns, data}``."""
    if isinstance(obj, pd.DataFrame):
        return obj
    if isinstance(obj, Mapping) and not {"index", "columns", "data"} <= set(obj):
        fail_type(key, "a matrix as {'index': [...], 'columns': [...], 'data': [...]}", obj)
    if not isinstance(obj, Mapping | list | tuple | np.ndarray):
        fail_type(key, "a pairwise matrix (DataFrame, list of rows or mapping)", obj)
    try:
        if isinstance(obj, Mapping):
            data = np.asarray(obj["data"], dtype=np.float64)
            shape = (len(obj["index"]), len(obj["columns"]))
            if data.shape != shape:  # pandas would broadcast a single row to every label
                msg = (
                    f"{_FUNC}: {key!r} has {len(obj['index'])} index labels and "
                    f"{len(obj['columns'])} column labels, so its data must be "
                    f"{shape[0]}x{shape[1]}; got shape {data.shape}."
                )
                raise ValidationError(msg)
            return pd.DataFrame(data, index=obj["index"], columns=obj["columns"])
        return pd.DataFrame(np.asarray(obj, dtype=np.float64))
    except ValidationError:
        raise
    except (TypeError, ValueError) as exc:
        msg = f"{_FUNC}: {key!r} is not a valid pairwise matrix: {exc}"
        raise ValidationError(msg) from exc


def _matrix_dict(df: pd.DataFrame) -> dict[str, Any]:
    return {
        "index": [to_builtin(i) for i in df.index],
        "columns": [to_builtin(c) for c in df.columns],
        "data": df.to_numpy(dtype=np.float64).tolist(),
    }


def _ahp(ahp: Any) -> Any:
    if ahp is None:
        return None
    if isinstance(ahp, Mapping) and "criteria" in ahp:
        sub = ahp.get("sub")
        if not isinstance(sub, Mapping):
            fail_type("ahp.sub", "a mapping criterion -> pairwise matrix or indicator name", sub)
        return {
            "criteria": matrix(ahp["criteria"], "ahp.criteria"),
            "sub": {
                str(k): v if isinstance(v, str) else matrix(v, f"ahp.sub.{k}")
                for k, v in sub.items()
            },
        }
    return matrix(ahp)


@dataclass(frozen=True, slots=True)
class ScorecardConfig:
    """The settings of a :class:`~custloyalty.scorecard.LoyaltyScorecard`, checked once.

    Build it with :meth:`from_dict` (the keys of a config file; unknown keys refused with a
    close-match hint) and write it back with :meth:`to_dict`. The meaning of every setting is
    documented on :class:`~custloyalty.scorecard.LoyaltyScorecard`.

    Examples
    --------
    >>> from custloyalty.scorecard import ScorecardConfig
    >>> cfg = ScorecardConfig.from_dict({"indicators": ["purchase_days", "recency"]})
    >>> [i.name for i in cfg.indicators], cfg.weighting  # former names map to current ones
    (['purchase_days', 'days_since_last_purchase'], 'entropy')
    >>> ScorecardConfig.from_dict({"weigthing": "equal"})
    Traceback (most recent call last):
    ...
    custloyalty.errors.ValidationError: LoyaltyScorecard: unknown configuration keys \
['weigthing']; the valid ones are [...].
    Hint: did you mean 'weigthing' -> 'weighting'?
    """

    indicators: tuple[IndicatorConfig, ...]
    normalisation: str = "percentile"
    weighting: str | Mapping[str, float] = "entropy"
    ahp: Any = None
    tiers: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_TIERS))
    missing: str = "renormalise"
    customer: Hashable = "customer_id"
    time: Hashable = "date"
    amount: Hashable = "amount"
    survey_customer: Hashable = "customer_id"
    interaction_customer: Hashable = "customer_id"
    allow_inconsistent: bool = False
    seed: int | None = None
    value_potential: bool | Mapping[str, Any] | None = None

    KEYS = (
        "indicators",
        "normalisation",
        "weighting",
        "ahp",
        "tiers",
        "missing",
        "customer",
        "time",
        "amount",
        "survey_customer",
        "interaction_customer",
        "allow_inconsistent",
        "seed",
        "value_potential",
    )

    @classmethod
    def from_dict(cls, data: Any) -> ScorecardConfig:
        """Check a mapping of settings and build the config (missing keys take defaults)."""
        if not isinstance(data, Mapping):
            fail_type("configuration", "a mapping of settings", data)
        _unknown(data, cls.KEYS, "configuration keys")
        normalisation = _option(
            data.get("normalisation", "percentile"), "normalisation", NORMALISATIONS
        )
        indicators = _indicators(data.get("indicators", DEFAULT_INDICATORS), normalisation)
        names = [i.name for i in indicators]
        weighting = data.get("weighting", "entropy")
        if isinstance(weighting, pd.Series):  # fixed weights as a Series: its labels once
            _frames.check_unique_index(weighting.index, "weighting", func=_FUNC, label="indicator")
            weighting = weighting.to_dict()
        if isinstance(weighting, Mapping):
            weighting = {canonical(str(k)): v for k, v in weighting.items()}
            unknown = [k for k in weighting if k not in names]
            if unknown:
                msg = (
                    f"{_FUNC}: fixed weights are given for {unknown!r}, which are not "
                    f"indicators of this scorecard ({names!r})."
                )
                raise ValidationError(msg)
            if any(not is_number(v) for v in weighting.values()):
                fail_type("weighting", "a mapping indicator -> number", dict(weighting))
            bad = {k: v for k, v in weighting.items() if not _usable_weight(v)}
            if bad:
                fail_type("weighting", "a mapping indicator -> finite number >= 0", bad)
            weighting = {str(k): float(v) for k, v in weighting.items()}
            both = {
                i.name: (weighting[i.name], i.weight)
                for i in indicators
                if i.weight is not None and i.name in weighting and weighting[i.name] != i.weight
            }
            if both:
                msg = (
                    f"{_FUNC}: indicators {sorted(both)!r} get a weight both in 'weighting' and "
                    f"in their own settings, and the two differ: {both!r}.\nHint: give each "
                    "weight in one place."
                )
                raise ValidationError(msg)
        else:
            weighting = _option(weighting, "weighting", WEIGHTING_NAMES)
            given = [i.name for i in indicators if i.weight is not None]
            if given and weighting != "entropy":
                msg = (
                    f"{_FUNC}: indicators {given!r} have fixed weights in their settings, "
                    f"which replace weighting={weighting!r}; the two contradict each other."
                    "\nHint: drop the per-indicator 'weight' settings, or the weighting."
                )
                raise ValidationError(msg)
        ahp = _ahp(data.get("ahp"))
        if weighting == "ahp" and ahp is None:
            msg = f"{_FUNC}: weighting='ahp' needs the pairwise matrix in ahp=."
            raise ValidationError(msg)
        if ahp is not None and weighting != "ahp":
            shown = "fixed weights" if isinstance(weighting, Mapping) else repr(weighting)
            msg = (
                f"{_FUNC}: an 'ahp' matrix is given but the weighting is {shown}, so the "
                "matrix would be ignored.\nHint: pass weighting='ahp' to weigh with it, or "
                "drop ahp=."
            )
            raise ValidationError(msg)
        tiers = _tiers(
            data.get("tiers", DEFAULT_TIERS) if data.get("tiers") is not None else DEFAULT_TIERS
        )
        missing = _option(data.get("missing", "renormalise"), "missing", MISSING)
        if missing == "segment" and all(i.source != "transactions" for i in indicators):
            msg = (
                f"{_FUNC}: missing='segment' fills survey indicators from behavioural "
                "segments, so it needs at least one transaction indicator."
            )
            raise ValidationError(msg)
        columns = {}
        for key in ("customer", "time", "amount", "survey_customer", "interaction_customer"):
            value = data.get(
                key, "date" if key == "time" else "amount" if key == "amount" else "customer_id"
            )
            if not isinstance(value, Hashable) or value is None or isinstance(value, bool):
                fail_type(key, "a column name", value)
            columns[key] = value
        _frames.distinct_roles(
            _FUNC, customer=columns["customer"], time=columns["time"], amount=columns["amount"]
        )
        allow = data.get("allow_inconsistent", False)
        if not isinstance(allow, bool | np.bool_):
            fail_type("allow_inconsistent", "true or false", allow)
        seed = data.get("seed")
        if seed is not None and (
            not isinstance(seed, int | np.integer) or isinstance(seed, bool) or seed < 0
        ):
            fail_type("seed", "a non-negative integer or None", seed)
        value_potential = _value_potential(data.get("value_potential"))
        return cls(
            indicators=indicators,
            normalisation=normalisation,
            weighting=weighting,
            ahp=ahp,
            tiers=tiers,
            missing=missing,
            allow_inconsistent=bool(allow),
            seed=None if seed is None else int(seed),
            value_potential=value_potential,
            **columns,
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-safe dict accepted by :meth:`from_dict`."""
        ahp = self.ahp
        if isinstance(ahp, pd.DataFrame):
            ahp = _matrix_dict(ahp)
        elif isinstance(ahp, Mapping):
            ahp = {
                "criteria": _matrix_dict(ahp["criteria"]),
                "sub": {
                    k: v if isinstance(v, str) else _matrix_dict(v) for k, v in ahp["sub"].items()
                },
            }
        return {
            "indicators": {i.name: i.to_dict() for i in self.indicators},
            "normalisation": self.normalisation,
            "weighting": dict(self.weighting)
            if isinstance(self.weighting, Mapping)
            else self.weighting,
            "ahp": ahp,
            "tiers": to_builtin(dict(self.tiers)),
            "missing": self.missing,
            "customer": to_builtin(self.customer),
            "time": to_builtin(self.time),
            "amount": to_builtin(self.amount),
            "survey_customer": to_builtin(self.survey_customer),
            "interaction_customer": to_builtin(self.interaction_customer),
            "allow_inconsistent": self.allow_inconsistent,
            "seed": self.seed,
            "value_potential": dict(self.value_potential)
            if isinstance(self.value_potential, Mapping)
            else self.value_potential,
        }

    def value_potential_settings(self) -> dict[str, Any] | None:
        """Return the resolved value x potential settings, or None when the card has none.

        On with ``value_potential=True`` or a mapping; with the default ``None``, on exactly
        when ``clv`` is an indicator (its fitted models are reused). The horizon defaults to
        the ``clv`` indicator's ``months`` option, else 12.
        """
        spec = self.value_potential
        clv = next((i for i in self.indicators if i.name == "clv"), None)
        if spec is False or (spec is None and clv is None):
            return None
        out: dict[str, Any] = {
            "levels": 2,
            "horizon": None,
            "value_thresholds": None,
            "potential_thresholds": None,
        }
        if isinstance(spec, Mapping):
            out.update(spec)
        if out["horizon"] is None:
            out["horizon"] = int(clv.options.get("months", 12)) if clv is not None else 12
        return out

    def fixed_weights(self) -> dict[str, float]:
        """Weights fixed by the user: the ``weighting`` mapping and per-indicator ``weight``."""
        given = dict(self.weighting) if isinstance(self.weighting, Mapping) else {}
        given.update({i.name: i.weight for i in self.indicators if i.weight is not None})
        return given

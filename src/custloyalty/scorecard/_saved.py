"""Saved state of a scorecard: write it, and read it back checking every fitted entry.

The dict starts with the shared header (``kind``, ``format_version``, ``custloyalty_version``),
then ``config`` and ``fitted``. Loading validates the whole fitted block before anything is
scored: every active indicator has a normaliser (known direction, sorted knots) and a weight
(finite, >= 0, summing to 1), the tier cut-offs are finite, ordered and one fewer than the
labels, imputation tables have one value per segment, model states rebuild their models, the
value x potential block (when the card has one) has finite, sorted cut-offs of the right count
and rebuilds its two models. Errors name the key.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from custloyalty._results import to_builtin
from custloyalty._state import (
    check_header,
    header,
    refuse_unknown_keys,
    state_float,
    state_floats,
    state_key,
    state_mapping,
)
from custloyalty.errors import ValidationError
from custloyalty.metrics import get as get_metric
from custloyalty.scorecard._config import ScorecardConfig, fail_type
from custloyalty.scorecard._normalise import Normaliser
from custloyalty.scorecard._weighting import Weighting
from custloyalty.segmentation import QuantileTiers, ValuePotentialGrid

if TYPE_CHECKING:
    from custloyalty.scorecard._scorecard import LoyaltyScorecard

__all__: list[str] = []

KIND = "loyalty_scorecard"
_WHERE = "LoyaltyScorecard.from_dict"
_N_SEGMENTS = 5


def serialise(value: Any) -> Any:
    """Plain form of a metric state: fitted objects (models) through their ``to_dict``.

    Numbers are kept as they are (a NaN stays NaN, so a check with ``allow_nan=False`` sees
    it); :func:`dump` then makes the whole state JSON-safe.
    """
    if hasattr(value, "to_dict") and not isinstance(value, pd.DataFrame | pd.Series):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): serialise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [serialise(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _revive(value: Any, key: str) -> Any:
    """Rebuild saved models inside a metric state (they are validated by their from_dict)."""
    from custloyalty.models import available_models, get_model

    if isinstance(value, Mapping):
        name = value.get("kind", value.get("model"))  # the saved-state header names the model
        classes: dict[str, Any] = {n: get_model(n) for n in available_models()}
        classes.update({c.__name__: c for c in list(classes.values())})
        if isinstance(name, str) and name in classes and "params" in value:
            try:
                return classes[name].from_dict(value)
            except ValidationError as exc:
                msg = f"{_WHERE}: {key} is not a valid saved {name} model: {exc}"
                raise ValidationError(msg) from None
        return {k: _revive(v, f"{key}[{k!r}]") for k, v in value.items()}
    return value


def _metric_state(card: LoyaltyScorecard, name: str) -> Any:
    """Return the JSON-safe state of one indicator (a state JSON cannot hold is refused)."""
    state = to_builtin(serialise(card.metric_states_.get(name)))
    try:
        json.dumps(state, allow_nan=True)
    except (TypeError, ValueError) as exc:
        msg = (
            f"LoyaltyScorecard.to_dict: the fitted state of indicator {name!r} cannot be saved "
            f"as JSON ({exc}).\nHint: the metric's fit step must return numbers, strings, "
            "lists, dicts or fitted custloyalty models (check it with "
            "custloyalty.testing.check_metric)."
        )
        raise ValidationError(msg) from None
    return state


def dump(card: LoyaltyScorecard) -> dict[str, Any]:
    """Return header, configuration and fitted state of ``card`` as a JSON-safe dict."""
    out: dict[str, Any] = {**header(KIND), "config": card.config.to_dict(), "fitted": None}
    if "weighting_" in card.__dict__:
        out["fitted"] = {
            "active": list(card.active_),
            "normalisers": {n: card.normalisers_[n].to_dict() for n in card.active_},
            "metric_states": {n: _metric_state(card, n) for n in card.active_},
            "weighting": card.weighting_.to_dict(),
            "tiers": {
                "labels": list(card.tiers_.labels),
                "thresholds": list(card.tiers_.thresholds_),
            },
            "imputation": {"edges": list(card.segment_edges_), "values": dict(card.imputation_)},
            "observation_end": card.observation_end_.isoformat(),
            "n_customers": int(card.n_customers_),
        }
        vp = card.__dict__.get("value_potential_")
        if vp is not None:
            out["fitted"]["value_potential"] = {
                "grid": vp["grid"].to_dict(),
                "horizon": int(vp["horizon"]),
                # the clv indicator's own models, reused: named, not saved a second time
                "models": _CLV_MODELS
                if _reuses_clv_models(card, vp["models"])
                else to_builtin(serialise(vp["models"])),
            }
    return out


#: ``fitted.value_potential.models`` of a card whose tiers reuse its ``clv`` indicator's models.
_CLV_MODELS = "clv"


def _reuses_clv_models(card: LoyaltyScorecard, models: Mapping[str, Any]) -> bool:
    """Whether the value x potential models are the ``clv`` indicator's fitted models."""
    clv = card.metric_states_.get("clv") if "clv" in card.active_ else None
    if not isinstance(clv, Mapping):
        return False
    return all(k in clv and clv[k] is models[k] for k in ("transactions", "spend"))


def _load_value_potential(card: LoyaltyScorecard, fitted: Mapping[str, Any]) -> Any:
    """Rebuild the value x potential block; None when the card has none (checked both ways)."""
    w = _WHERE
    settings = card.config.value_potential_settings()
    block = fitted.get("value_potential")
    if block is None:
        if settings is not None and card.config.value_potential is not None:
            msg = (
                f"{w}: fitted.value_potential is missing, but the config asks for value x "
                "potential tiers (value_potential)."
            )
            raise ValidationError(msg)
        return None  # states saved before value x potential tiers: none
    if settings is None:
        msg = (
            f"{w}: fitted.value_potential is given, but the config has no value x potential tiers."
        )
        raise ValidationError(msg)
    block = state_mapping(block, "fitted.value_potential", where=w)
    _no_unknown(block, ("grid", "horizon", "models"), "fitted.value_potential")
    grid_state = state_mapping(
        state_key(block, "grid", where=w), "fitted.value_potential.grid", where=w
    )
    try:
        grid = ValuePotentialGrid.from_dict(grid_state)
    except ValidationError as exc:
        msg = f"{w}: fitted.value_potential.grid is not valid: {exc}"
        raise ValidationError(msg) from None
    if grid.levels != settings["levels"]:
        msg = (
            f"{w}: fitted.value_potential.grid has {grid.levels} levels; the config asks for "
            f"{settings['levels']}."
        )
        raise ValidationError(msg)
    horizon = state_float(
        state_key(block, "horizon", where=w), "fitted.value_potential.horizon", where=w, low=1.0
    )
    if horizon != int(horizon) or int(horizon) != settings["horizon"]:
        msg = (
            f"{w}: fitted.value_potential.horizon must be the config's {settings['horizon']} "
            f"months; got {horizon!r}."
        )
        raise ValidationError(msg)
    raw_models = state_key(block, "models", where=w)
    if raw_models == _CLV_MODELS:  # the clv indicator's models, loaded with its state
        models = card.metric_states_.get("clv") if "clv" in card.active_ else None
        if not isinstance(models, Mapping):
            msg = (
                f"{w}: fitted.value_potential.models names the 'clv' indicator's models, but "
                "the card has no fitted 'clv' indicator."
            )
            raise ValidationError(msg)
    else:
        raw_models = state_mapping(raw_models, "fitted.value_potential.models", where=w)
        models = _revive(raw_models, "fitted.value_potential.models")
    from custloyalty.models import get_model

    for key, name in (("transactions", "bg_nbd"), ("spend", "gamma_gamma")):
        model = state_key(models, key, where=f"{w} (fitted.value_potential.models)")
        if not isinstance(model, get_model(name)):
            msg = (
                f"{w}: fitted.value_potential.models[{key!r}] must be a saved "
                f"{get_model(name).__name__} model; got {model!r:.80}."
            )
            raise ValidationError(msg)
    return {
        "grid": grid,
        "horizon": int(horizon),
        "models": {"transactions": models["transactions"], "spend": models["spend"]},
    }


def load(cls: type[LoyaltyScorecard], data: Any) -> LoyaltyScorecard:
    """Rebuild a scorecard from :func:`dump` output (or a bare configuration mapping)."""
    if not isinstance(data, Mapping):
        fail_type("configuration", "a mapping of settings", data)
    if "config" not in data and "kind" not in data and "fitted" not in data:
        return cls.from_config(ScorecardConfig.from_dict(data))
    data = check_header(data, KIND, where=_WHERE)
    _no_unknown(data, _TOP_KEYS, "the saved state")
    config = state_key(data, "config", where=_WHERE)
    if not isinstance(config, Mapping):
        fail_type("config", "a mapping of settings", config)
    card = cls.from_config(ScorecardConfig.from_dict(config))
    fitted = data.get("fitted")
    if fitted is None:
        return card
    _load_fitted(card, state_mapping(fitted, "fitted", where=_WHERE))
    return card


_TOP_KEYS = ("kind", "format_version", "custloyalty_version", "config", "fitted")
_FITTED_KEYS = (
    "active",
    "normalisers",
    "metric_states",
    "weighting",
    "tiers",
    "imputation",
    "observation_end",
    "n_customers",
    "value_potential",
)


def _no_unknown(block: Mapping[str, Any], known: Sequence[str], key: str) -> None:
    """Refuse keys a saved state never holds (a hand edit or a typo would be ignored)."""
    refuse_unknown_keys(block, known, where=_WHERE, block=key)


def _load_fitted(card: LoyaltyScorecard, fitted: Mapping[str, Any]) -> None:
    w = _WHERE
    _no_unknown(fitted, _FITTED_KEYS, "fitted")
    cfg = card.config
    names = [i.name for i in cfg.indicators]
    active = state_key(fitted, "active", where=w)
    if not isinstance(active, list) or not active or not all(isinstance(a, str) for a in active):
        msg = f"{w}: fitted.active must be a non-empty list of indicator names; got {active!r:.80}."
        raise ValidationError(msg)
    unknown = [a for a in active if a not in names]
    if unknown or len(set(active)) != len(active):
        msg = (
            f"{w}: fitted.active {active!r} must list distinct indicators of the config {names!r}."
        )
        raise ValidationError(msg)
    dense = [i.name for i in cfg.indicators if i.source == "transactions"]
    lacking = [n for n in dense if n not in active]
    if lacking:
        msg = f"{w}: fitted.active lacks the transaction indicators {lacking!r} of the config."
        raise ValidationError(msg)
    norms = state_mapping(state_key(fitted, "normalisers", where=w), "fitted.normalisers", where=w)
    _no_unknown(norms, active, "fitted.normalisers")
    normalisers: dict[str, Normaliser] = {}
    for n in active:
        entry = state_mapping(
            state_key(norms, n, where=f"{w} (fitted.normalisers)"),
            f"fitted.normalisers[{n!r}]",
            where=w,
        )
        normalisers[n] = Normaliser.from_dict(entry, where=f"fitted.normalisers[{n!r}]")
        conf = next(i for i in cfg.indicators if i.name == n)
        if entry.get("direction") != conf.direction:  # the fitted one would win silently
            msg = (
                f"{w}: fitted.normalisers[{n!r}].direction is {entry.get('direction')!r} but "
                f"the config's indicator {n!r} has direction {conf.direction!r}.\nHint: edit "
                "both, or fit the card again with the new direction."
            )
            raise ValidationError(msg)
    states = state_mapping(
        state_key(fitted, "metric_states", where=w), "fitted.metric_states", where=w
    )
    _no_unknown(states, active, "fitted.metric_states")
    for n in active:
        if get_metric(n).fit is not None and not isinstance(states.get(n), Mapping):
            # scoring would fit the indicator again on whatever batch it is given
            msg = (
                f"{w}: fitted.metric_states[{n!r}] is missing, but indicator {n!r} "
                "has a fitting step (a model): a card scores with what it fitted.\nHint: save "
                "the fitted card again (to_json), or fit it anew."
            )
            raise ValidationError(msg)
    metric_states = {n: _revive(states.get(n), f"fitted.metric_states[{n!r}]") for n in active}
    weighting = Weighting.from_dict(
        state_mapping(state_key(fitted, "weighting", where=w), "fitted.weighting", where=w),
        indicators=active,
        where="fitted.weighting",
    )
    want_method = cfg.weighting if isinstance(cfg.weighting, str) else "fixed"
    if weighting.method != want_method:  # the fitted weights would win silently
        msg = (
            f"{w}: fitted.weighting.method is {weighting.method!r} but the config's weighting "
            f"is {want_method!r}.\nHint: edit both, or fit the card again."
        )
        raise ValidationError(msg)
    tiers = state_mapping(state_key(fitted, "tiers", where=w), "fitted.tiers", where=w)
    _no_unknown(tiers, ("labels", "thresholds"), "fitted.tiers")
    labels = state_key(tiers, "labels", where=w)
    if labels != list(cfg.tiers["labels"]):
        want = list(cfg.tiers["labels"])
        msg = f"{w}: fitted.tiers.labels {labels!r:.80} differ from the config's {want!r}."
        raise ValidationError(msg)
    th = state_floats(
        state_key(tiers, "thresholds", where=w),
        "fitted.tiers.thresholds",
        where=w,
        length=len(labels) - 1,
    )
    if any(b > a for a, b in itertools.pairwise(th)):
        msg = f"{w}: fitted.tiers.thresholds must be non-increasing (best tier first); got {th!r}."
        raise ValidationError(msg)
    imp = state_mapping(state_key(fitted, "imputation", where=w), "fitted.imputation", where=w)
    _no_unknown(imp, ("edges", "values"), "fitted.imputation")
    edges = state_floats(
        state_key(imp, "edges", where=w), "fitted.imputation.edges", where=w, increasing=True
    )
    values = state_mapping(state_key(imp, "values", where=w), "fitted.imputation.values", where=w)
    imputation: dict[str, list[float]] = {}
    if cfg.missing == "segment" and len(edges) != _N_SEGMENTS - 1:
        msg = f"{w}: fitted.imputation.edges must hold {_N_SEGMENTS - 1} numbers; got {len(edges)}."
        raise ValidationError(msg)
    for n, table in values.items():
        if n not in active:
            msg = f"{w}: fitted.imputation.values names {n!r}, not an active indicator."
            raise ValidationError(msg)
        imputation[str(n)] = state_floats(
            table,
            f"fitted.imputation.values[{n!r}]",
            where=w,
            length=_N_SEGMENTS,
            low=0.0,
            high=1.0,
        )
    end_text = state_key(fitted, "observation_end", where=w)
    try:
        end: Any = pd.Timestamp(end_text)
    except (TypeError, ValueError):
        end = pd.NaT
    if not isinstance(end_text, str) or pd.isna(end):
        msg = f"{w}: fitted.observation_end must be an ISO date; got {end_text!r:.80}."
        raise ValidationError(msg)
    n_customers = state_float(
        state_key(fitted, "n_customers", where=w), "fitted.n_customers", where=w, low=1.0
    )
    if n_customers != int(n_customers):
        msg = f"{w}: fitted.n_customers must be a whole number of customers; got {n_customers!r}."
        raise ValidationError(msg)
    card.active_ = list(active)
    card.normalisers_ = normalisers
    card.metric_states_ = metric_states
    card.weighting_ = weighting
    card.tiers_ = QuantileTiers.from_thresholds(th, labels=labels)
    if "shares" in cfg.tiers:
        card.tiers_.shares = list(cfg.tiers["shares"])
    card.segment_edges_ = list(edges)
    card.imputation_ = imputation
    value_potential = _load_value_potential(card, fitted)
    card.observation_end_ = end
    card.n_customers_ = int(n_customers)
    card.value_potential_ = value_potential

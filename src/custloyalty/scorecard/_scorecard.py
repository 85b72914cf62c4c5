"""The loyalty scorecard: indicators -> normalised values -> weights -> composite index -> tier.

:class:`LoyaltyScorecard` learns everything it needs on one set of data (normalisation bounds,
weights, tier cut-offs, model parameters of model-based indicators, imputation values for
customers without survey answers) and applies it unchanged to the same or new customers, so a
service can fit in batch and score online. Its configuration and fitted state round-trip
through a JSON-safe dict.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import numbers
import reprlib
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _frames
from custloyalty._results import Result, to_builtin
from custloyalty._validation import check_option
from custloyalty.errors import NotFittedError, ValidationError
from custloyalty.metrics import _registry
from custloyalty.metrics._inputs import SURVEY_CUSTOMER, metric_inputs
from custloyalty.metrics._recommendation import nps
from custloyalty.metrics._satisfaction import satisfaction_index
from custloyalty.scorecard._normalise import NORMALISATIONS, apply_normaliser, fit_normaliser
from custloyalty.scorecard._weights import (
    ahp_hierarchy,
    ahp_weights,
    critic_weights,
    entropy_weights,
    fixed_weights,
)
from custloyalty.segmentation import TierMigrationResult, tier_migration

__all__ = [
    "DEFAULT_INDICATORS",
    "DEFAULT_TIERS",
    "LoyaltyScorecard",
    "ScorecardComparison",
    "ScorecardResult",
    "compare",
]

FloatArray = npt.NDArray[np.float64]

#: The five indicators of the evaluation system (recency alongside churn risk).
DEFAULT_INDICATORS: tuple[str, ...] = (
    "frequency",
    "monetary",
    "recency",
    "churn",
    "satisfaction",
    "recommendation",
)
#: Default tiers, best first, with the share of customers each holds at fit time.
DEFAULT_TIERS: dict[str, Any] = {
    "labels": ["Platinum", "Gold", "Silver", "Bronze"],
    "shares": [0.1, 0.2, 0.3, 0.4],
}
WEIGHTINGS = ("equal", "entropy", "critic", "ahp")
MISSING = ("renormalise", "segment")
_N_SEGMENTS = 5
_FUNC = "LoyaltyScorecard"


@dataclass(frozen=True, slots=True)
class _Indicator:
    name: str
    direction: str
    normalisation: str
    source: str
    options: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "direction": self.direction,
            "normalisation": self.normalisation,
            "source": self.source,
            "options": to_builtin(self.options),
        }


def _fail_type(key: str, expected: str, value: Any) -> NoReturn:
    """Raise ``LoyaltyScorecard: 'key' must be <expected>; got <type> <value>.``."""
    msg = f"{_FUNC}: {key!r} must be {expected}; got {type(value).__name__} {reprlib.repr(value)}."
    raise ValidationError(msg)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_config_types(
    indicators: Any,
    ahp: Any,
    tiers: Any,
    columns: Mapping[str, Any],
    allow_inconsistent: Any,
) -> None:
    """Check the types of constructor arguments (as read from a TOML/YAML/JSON config)."""
    if not (
        isinstance(indicators, str | Mapping)
        or (isinstance(indicators, Iterable) and not isinstance(indicators, bytes))
    ):
        _fail_type(
            "indicators",
            "a metric name, a list of names or dicts, or a mapping name -> settings",
            indicators,
        )
    if not (ahp is None or isinstance(ahp, pd.DataFrame | Mapping | list | tuple | np.ndarray)):
        _fail_type("ahp", "a pairwise matrix (DataFrame, list of rows or mapping)", ahp)
    if isinstance(ahp, Mapping) and "criteria" in ahp:
        if not isinstance(ahp.get("sub"), Mapping):
            _fail_type(
                "ahp.sub",
                "a mapping criterion -> pairwise matrix or indicator name",
                ahp.get("sub"),
            )
    elif isinstance(ahp, Mapping):
        _frame(ahp)
    if tiers is not None and not isinstance(tiers, Mapping):
        _fail_type("tiers", "a mapping with 'labels' and 'shares' or 'thresholds'", tiers)
    for key, value in columns.items():
        if not isinstance(value, Hashable) or value is None:
            _fail_type(key, "a column name", value)
    if not isinstance(allow_inconsistent, bool | np.bool_):
        _fail_type("allow_inconsistent", "true or false", allow_inconsistent)


def _resolve_indicators(spec: Any, normalisation: str) -> list[_Indicator]:
    if isinstance(spec, str):
        spec = [spec]
    items: list[tuple[str, dict[str, Any]]] = []
    if isinstance(spec, Mapping):
        for name, conf in spec.items():
            if conf is not None and not isinstance(conf, Mapping):
                _fail_type(
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
    names = [n for n, _ in items]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        msg = f"{_FUNC}: indicators {dup!r} are listed twice."
        raise ValidationError(msg)
    out = []
    for name, conf in items:
        metric = _registry.get(name)
        if metric.level != "customer":
            msg = (
                f"{_FUNC}: indicator {name!r} is a base-level metric; a scorecard needs "
                "customer-level indicators."
            )
            raise ValidationError(msg)
        unknown = set(conf) - {"direction", "normalisation", "options", "weight"}
        if unknown:
            msg = f"{_FUNC}: unknown settings {sorted(unknown)!r} for indicator {name!r}."
            raise ValidationError(msg)
        if not isinstance(conf.get("options", {}), Mapping):
            _fail_type(f"indicators.{name}.options", "a mapping of metric options", conf["options"])
        if "weight" in conf and not _is_number(conf["weight"]):
            _fail_type(f"indicators.{name}.weight", "a number", conf["weight"])
        direction = conf.get("direction", metric.direction)
        check_option(direction, "direction", ("higher", "lower"), func=_FUNC)
        norm = conf.get("normalisation", normalisation)
        check_option(norm, "normalisation", NORMALISATIONS, func=_FUNC)
        out.append(_Indicator(name, direction, norm, metric.source, dict(conf.get("options", {}))))
    return out


def _check_tiers(tiers: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(tiers) - {"labels", "shares", "thresholds"})
    if unknown:
        msg = (
            f"{_FUNC}: unknown tier settings {unknown!r}; use 'labels' with 'shares' or "
            "'thresholds'."
        )
        raise ValidationError(msg)
    for key in ("labels", "shares", "thresholds"):
        value = tiers.get(key, [])
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            _fail_type(f"tiers.{key}", "a list", value)
    labels = [str(t) for t in tiers.get("labels", [])]
    if len(labels) < 1 or len(set(labels)) != len(labels):
        msg = f"{_FUNC}: tiers need distinct 'labels' (best first); got {labels!r}."
        raise ValidationError(msg)
    for key in ("shares", "thresholds"):
        bad = [v for v in tiers.get(key, []) if not _is_number(v)]
        if bad:
            _fail_type(f"tiers.{key}", "a list of numbers", list(tiers[key]))
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
        return {"labels": labels, "thresholds": th}
    shares = [float(s) for s in tiers.get("shares", [])]
    if len(shares) != len(labels) or any(not (0 < s < np.inf) for s in shares):
        msg = f"{_FUNC}: tiers need one positive share per label; got {shares!r}."
        raise ValidationError(msg)
    total = sum(shares)
    return {"labels": labels, "shares": [s / total for s in shares]}


@dataclass(frozen=True, slots=True)
class ScorecardResult(Result):
    """Per-customer loyalty evaluation and the base-level summary."""

    customers: pd.DataFrame
    """One row per customer: each indicator's raw value, ``norm_<name>`` in [0, 1] (1 = best),
    ``contrib_<name>`` (points of the composite), ``composite`` in [0, 100], ``tier`` (ordered
    categorical, best first) and ``answered_survey`` (the customer has at least one row in the
    surveys). A customer without any indicator value (possible only when every indicator is a
    survey indicator, the customer did not answer and ``missing="renormalise"``) has a NaN
    composite and a missing tier (NA in the categorical)."""
    summary: dict[str, Any]
    """Base level: ``customers``; ``respondents`` (customers with at least one survey answer);
    with surveys, ``survey_answers_without_transactions`` and ``nps``, ``nps_ci``,
    ``satisfaction_index`` computed on the answers of the scored customers; ``churn_rate`` (mean
    churn risk) only when ``churn`` is one of the indicators (the churn model is fitted with the
    scorecard, never just for the summary); repeat-purchase rate, mean frequency and spend,
    composite mean/median, ``tier_sizes`` and, when some customers have no composite,
    ``customers_without_tier``."""
    weights: pd.Series
    """Indicator weights (sum 1)."""
    observation_end: pd.Timestamp
    """End of the observation window scored."""

    def top(self, tier: str | None = None, n: int = 5) -> pd.DataFrame:
        """Return the ``n`` customers with the highest composite (within ``tier`` if given)."""
        df = self.customers
        if tier is not None:
            df = df[df["tier"] == tier]
        return df.nlargest(n, "composite")

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td>{html.escape(str(v))}</td></tr>"
            for k, v in self.summary.items()
        )
        head = self.customers.head(10).to_html(float_format=lambda v: f"{v:.3g}")
        return (
            f"<table><caption>Loyalty scorecard, {self.observation_end.date()}</caption>{rows}"
            f"</table>{head}"
        )


def _quantile_cuts(values: FloatArray, shares: Sequence[float]) -> list[float]:
    """Composite cut-offs that give each tier its share of the customers with a composite."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        msg = f"{_FUNC}: no customer has a composite score, so no tier cut-offs can be learned."
        raise ValidationError(msg)
    cum = np.cumsum(shares)[:-1]
    return [float(t) for t in np.quantile(finite, 1.0 - cum)]


def _assign(
    values: FloatArray, thresholds: Sequence[float], labels: Sequence[str], index: pd.Index
) -> pd.Series:
    """Tier of each value: the number of cut-offs it does not reach indexes the labels.

    A NaN value (no composite) gets no tier (code -1, NA in the categorical).
    """
    pos = np.zeros(values.size, dtype=np.int64)
    for t in thresholds:  # a handful of tier cut-offs; vectorised over customers
        pos += values < t
    pos[np.isnan(values)] = -1
    codes = pd.Series(pos, index=index)
    dtype = pd.CategoricalDtype(list(labels), ordered=True)
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype), index=index, name="tier")


@contextlib.contextmanager
def _missing_column_as_error(metric: _registry.Metric, inputs: Mapping[str, Any]) -> Iterator[None]:
    """Re-raise a ``KeyError`` from inside a metric as a ValidationError naming the column.

    A metric raises ``KeyError`` when a column it needs is absent from its inputs.
    """
    try:
        yield
    except KeyError as exc:
        key = exc.args[0] if exc.args else None
        if isinstance(key, str):
            key = key.removeprefix("Column not found: ")
        have = "; ".join(
            f"{name} has columns {reprlib.repr(list(inputs[name].columns))}"
            for name in metric.inputs
            if isinstance(inputs.get(name), pd.DataFrame)
        )
        msg = (
            f"Indicator {metric.name!r} ({metric.origin}) needs column {key!r}, which is "
            f"missing from its inputs" + (f" ({have})." if have else ".")
        )
        if "transactions" in metric.inputs:
            msg += f"\nHint: pass transactions with a {key!r} column to the scorecard."
        raise ValidationError(msg) from exc


class LoyaltyScorecard:
    r"""Composite customer-loyalty index from the five indicators, with tiers.

    Parameters
    ----------
    indicators
        Metric names from :func:`custloyalty.metrics.available` (built-in or plugin), or a
        mapping name -> settings (``direction``, ``normalisation``, ``weight``, ``options``
        passed to the metric), or a list of such dicts with a ``"name"``. Default
        :data:`DEFAULT_INDICATORS`; survey indicators are dropped automatically when
        :meth:`fit` gets no surveys.
    normalisation
        Default normalisation onto [0, 1]: ``"percentile"`` (default, robust to skewed spend),
        ``"minmax"`` or ``"zscore"`` (see :mod:`custloyalty.scorecard`).
    weighting
        ``"entropy"`` (default), ``"critic"``, ``"equal"``, ``"ahp"`` (with ``ahp``), or a
        mapping indicator -> fixed weight. Weights per indicator given in ``indicators`` also
        count as fixed weights.
    ahp
        For ``weighting="ahp"``: a pairwise DataFrame over the indicators, or
        ``{"criteria": DataFrame, "sub": {criterion: DataFrame | name}}`` for a two-level
        hierarchy (:func:`ahp_hierarchy`).
    tiers
        ``{"labels": [...], "shares": [...]}`` (best first; cut-offs are composite quantiles
        learned at fit) or ``{"labels": [...], "thresholds": [...]}`` (fixed composite
        cut-offs, decreasing). Default :data:`DEFAULT_TIERS`. Share cut-offs are learned on
        the customers that have a composite; a customer without one gets no tier (NA).
    missing
        Customers without survey answers: ``"renormalise"`` (default) scores them on the
        indicators they have, weights renormalised to sum 1 (with only survey indicators they
        have no composite and no tier); ``"segment"`` fills their
        normalised survey indicators with the mean of respondents in the same behavioural
        segment (quintile of the transaction-only composite), learned at fit.
    customer, time, amount
        Column names in the transactions.
    survey_customer
        Customer id column in the surveys.
    allow_inconsistent
        Accept an AHP matrix with consistency ratio above 0.1.

    Attributes
    ----------
    weights_ : pandas.Series
        Learned weights, summing to 1.
    normalisers_ : dict
        Per indicator, the learned normalisation (method, direction, bounds).
    tier_thresholds_ : list of float
        Composite cut-offs between consecutive tiers.
    metric_states_ : dict
        Fitted state of model-based indicators (e.g. BG/NBD parameters for ``churn``).
    observation_end_ : pandas.Timestamp
        End of the fitting window.

    See Also
    --------
    compare : Change between two scorecard results.

    Notes
    -----
    With normalised, oriented indicators $z_{ij} \in [0, 1]$ and weights $w_j$, the
    composite of customer $i$ over the indicators $A_i$ it has is

    $$L_i = 100 \, \frac{\sum_{j \in A_i} w_j z_{ij}}{\sum_{j \in A_i} w_j},$$

    and the contribution of indicator $j$ is $100\, w_j z_{ij} / \sum_{k \in A_i} w_k$, so the
    contributions add up to the composite.

    References
    ----------
    OECD & JRC (2008). *Handbook on Constructing Composite Indicators: Methodology and User
    Guide*. OECD Publishing. https://doi.org/10.1787/9789264043466-en.
    Fornell, C. et al. (1996). The American Customer Satisfaction Index. *Journal of
    Marketing*, 60(4), 7-18.

    Examples
    --------
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.scorecard import LoyaltyScorecard
    >>> tx = load_cdnow("sample")
    >>> card = LoyaltyScorecard(["frequency", "monetary", "recency"], weighting="equal")
    >>> res = card.fit(tx, observation_end="1998-06-30").score(tx, observation_end="1998-06-30")
    >>> res.customers["composite"].between(0, 100).all()
    np.True_
    >>> res.summary["tier_sizes"]
    {'Platinum': 236, 'Gold': 471, 'Silver': 707, 'Bronze': 943}
    """

    def __init__(
        self,
        indicators: Any = DEFAULT_INDICATORS,
        *,
        normalisation: str = "percentile",
        weighting: str | Mapping[str, float] = "entropy",
        ahp: Any = None,
        tiers: Mapping[str, Any] | None = None,
        missing: str = "renormalise",
        customer: Hashable = "customer_id",
        time: Hashable = "date",
        amount: Hashable = "amount",
        survey_customer: Hashable = "customer_id",
        allow_inconsistent: bool = False,
    ) -> None:
        _check_config_types(
            indicators,
            ahp,
            tiers,
            {
                "customer": customer,
                "time": time,
                "amount": amount,
                "survey_customer": survey_customer,
            },
            allow_inconsistent,
        )
        check_option(normalisation, "normalisation", NORMALISATIONS, func=_FUNC)
        if not isinstance(weighting, Mapping):
            check_option(weighting, "weighting", WEIGHTINGS, func=_FUNC)
            if weighting == "ahp" and ahp is None:
                msg = f"{_FUNC}: weighting='ahp' needs the pairwise matrix in ahp=."
                raise ValidationError(msg)
        check_option(missing, "missing", MISSING, func=_FUNC)
        self._indicator_spec = indicators
        self.indicators = _resolve_indicators(indicators, normalisation)
        if missing == "segment" and all(i.source == "surveys" for i in self.indicators):
            msg = (
                f"{_FUNC}: missing='segment' fills survey indicators from behavioural segments, "
                "so it needs at least one transaction indicator."
            )
            raise ValidationError(msg)
        self.normalisation = normalisation
        self.weighting = weighting
        self.ahp = ahp
        self.tiers = _check_tiers(tiers if tiers is not None else DEFAULT_TIERS)
        self.missing = missing
        self.customer = customer
        self.time = time
        self.amount = amount
        self.survey_customer = survey_customer
        self.allow_inconsistent = bool(allow_inconsistent)
        self._fixed = self._fixed_weights(indicators)
        if isinstance(weighting, Mapping):
            names = [i.name for i in self.indicators]
            unknown = [k for k in weighting if k not in names]
            if unknown:
                msg = (
                    f"{_FUNC}: fixed weights are given for {unknown!r}, which are not "
                    f"indicators of this scorecard ({names!r})."
                )
                raise ValidationError(msg)
            bad = {k: v for k, v in weighting.items() if not _is_number(v)}
            if bad:
                _fail_type("weighting", "a mapping indicator -> number", dict(weighting))

    @staticmethod
    def _fixed_weights(spec: Any) -> dict[str, float]:
        out: dict[str, float] = {}
        if isinstance(spec, Mapping):
            for name, conf in spec.items():
                if conf and "weight" in conf:
                    out[str(name)] = float(conf["weight"])
        elif not isinstance(spec, str):
            for entry in spec:
                if isinstance(entry, Mapping) and "weight" in entry:
                    out[str(entry["name"])] = float(entry["weight"])
        return out

    # -- inputs ---------------------------------------------------------------------------
    def _inputs(
        self, transactions: Any, surveys: Any, observation_end: Any
    ) -> tuple[dict[str, Any], int]:
        built = metric_inputs(
            transactions,
            surveys,
            observation_end=observation_end,
            customer=self.customer,
            time=self.time,
            amount=self.amount,
            survey_customer=self.survey_customer,
            with_transactions=any(
                "transactions" in _registry.get(i.name).inputs for i in self.indicators
            ),
            func=_FUNC,
        )
        return built.as_dict(), built.unmatched_answers

    def _active(self, has_surveys: bool) -> list[_Indicator]:
        if has_surveys:
            return list(self.indicators)
        active = [i for i in self.indicators if i.source != "surveys"]
        if not active:
            msg = f"{_FUNC}: every configured indicator needs surveys; pass surveys=."
            raise ValidationError(msg)
        return active

    def _raw(
        self,
        indicators: Sequence[_Indicator],
        inputs: Mapping[str, Any],
        states: Mapping[str, dict[str, Any]],
    ) -> pd.DataFrame:
        index = inputs["summary"].index
        cols: dict[str, FloatArray] = {}
        for ind in indicators:
            metric = _registry.get(ind.name)
            with _missing_column_as_error(metric, inputs):
                values = metric.compute({**inputs, "state": states.get(ind.name)}, **ind.options)
            series = pd.Series(values) if not isinstance(values, pd.Series) else values
            if (
                ind.source == "surveys"
                or len(series) != len(index)
                or not series.index.equals(index)
            ):
                series = series.reindex(index)
            arr = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
            if ind.source != "surveys" and np.isnan(arr).any():
                bad = np.flatnonzero(np.isnan(arr))
                msg = (
                    f"Indicator {ind.name!r} returned {bad.size} missing values for customers "
                    f"{list(index[bad[:5]])!r}; transaction indicators must cover every customer."
                )
                raise ValidationError(msg)
            cols[ind.name] = arr
        return pd.DataFrame(cols, index=index)

    # -- fitting --------------------------------------------------------------------------
    def fit(
        self, transactions: Any, surveys: Any = None, *, observation_end: Any = None
    ) -> LoyaltyScorecard:
        """Learn normalisation bounds, weights, tier cut-offs and model parameters.

        Parameters
        ----------
        transactions
            One row per purchase with the configured customer, time and amount columns.
        surveys
            Optional survey answers, one row per answer, with the survey customer column.
        observation_end
            End of the observation window (default: the last purchase day).

        Returns
        -------
        LoyaltyScorecard
            ``self``, fitted.

        Raises
        ------
        ValidationError
            Bad transactions or surveys (the message names the column); surveys none of whose
            customer ids matches a customer of the transactions (the message gives both id
            dtypes); an indicator without any finite value; a metric that needs a column its
            inputs lack (the message names the metric and the column).
        """
        inputs, unmatched = self._inputs(transactions, surveys, observation_end)
        sv = inputs["surveys"]
        if sv is not None and len(sv) > 0 and unmatched == len(sv):
            self._no_survey_match(sv, inputs["summary"])
        active = self._active(sv is not None)
        states = {}
        for ind in active:
            metric = _registry.get(ind.name)
            with _missing_column_as_error(metric, inputs):
                states[ind.name] = metric.fit_state(inputs, **ind.options)
        raw = self._raw(active, inputs, states)
        normalisers = {
            ind.name: fit_normaliser(
                raw[ind.name].to_numpy(), ind.normalisation, ind.direction, name=ind.name
            )
            for ind in active
        }
        norm = self._normalise(raw, normalisers)
        weights = self._learn_weights(norm, [i.name for i in active])
        self.active_ = [i.name for i in active]
        self.normalisers_ = normalisers
        self.metric_states_ = states
        self.weights_ = weights
        self.observation_end_ = inputs["observation_end"]
        self.segment_edges_: list[float] = []
        self.imputation_: dict[str, dict[str, float]] = {}
        if self.missing == "segment":
            self._learn_imputation(norm, active)
        composite, _ = self._composite(self._impute(norm, active))
        if "thresholds" in self.tiers:
            self.tier_thresholds_ = list(self.tiers["thresholds"])
        else:
            self.tier_thresholds_ = _quantile_cuts(composite, self.tiers["shares"])
        self.n_customers_ = len(raw)
        return self

    def _no_survey_match(self, surveys: pd.DataFrame, summary: pd.DataFrame) -> NoReturn:
        ids = surveys[SURVEY_CUSTOMER]
        sv_dtype, tx_dtype = ids.dtype, summary.index.dtype
        msg = (
            f"{_FUNC}: none of the {len(ids)} survey answers matches a customer of the "
            f"transactions: survey column {self.survey_customer!r} has dtype {sv_dtype} (e.g. "
            f"{reprlib.repr(ids.iloc[:3].tolist())}), the transactions' customer ids (column "
            f"{self.customer!r}) have dtype {tx_dtype} (e.g. "
            f"{reprlib.repr(summary.index[:3].tolist())})."
        )
        if sv_dtype.kind != tx_dtype.kind:
            msg += (
                f"\nHint: give both id columns the same type, e.g. "
                f"surveys[{self.survey_customer!r}].astype({str(tx_dtype)!r})."
            )
        else:
            msg += (
                "\nHint: check that the surveys belong to these transactions and that "
                "survey_customer= names the surveys' customer id column."
            )
        raise ValidationError(msg)

    def _normalise(self, raw: pd.DataFrame, normalisers: Mapping[str, Any]) -> pd.DataFrame:
        return pd.DataFrame(
            {c: apply_normaliser(raw[c].to_numpy(), normalisers[c]) for c in raw.columns},
            index=raw.index,
        )

    def _learn_weights(self, norm: pd.DataFrame, names: list[str]) -> pd.Series:
        if isinstance(self.weighting, Mapping) or self._fixed:
            given = dict(self.weighting) if isinstance(self.weighting, Mapping) else {}
            given.update(self._fixed)
            missing = [n for n in names if n not in given]
            if missing:
                msg = f"{_FUNC}: fixed weights are missing for indicators {missing!r}."
                raise ValidationError(msg)
            return fixed_weights({n: given[n] for n in names})
        if self.weighting == "equal":
            return pd.Series(1.0 / len(names), index=names, name="weight")
        if self.weighting == "ahp":
            if isinstance(self.ahp, Mapping) and "criteria" in self.ahp:
                w = ahp_hierarchy(
                    _frame(self.ahp["criteria"]),
                    {k: v if isinstance(v, str) else _frame(v) for k, v in self.ahp["sub"].items()},
                    allow_inconsistent=self.allow_inconsistent,
                )
            else:
                w = ahp_weights(
                    _frame(self.ahp), allow_inconsistent=self.allow_inconsistent
                ).weights
            w.index = w.index.astype(str)
            if set(w.index) != set(names):
                msg = (
                    f"{_FUNC}: the AHP matrix covers {sorted(w.index)!r} but the active "
                    f"indicators are {sorted(names)!r}."
                )
                raise ValidationError(msg)
            return fixed_weights(w.reindex(names))
        complete = norm.dropna()
        if len(complete) < 2:
            msg = (
                f"{_FUNC}: {self.weighting} weights need at least 2 customers with every "
                f"indicator; found {len(complete)}."
            )
            raise ValidationError(msg)
        fn: Callable[[Any], pd.Series] = (
            entropy_weights if self.weighting == "entropy" else critic_weights
        )
        w = fn(complete)
        return pd.Series(w.to_numpy(), index=names, name="weight")

    def _behaviour_composite(self, norm: pd.DataFrame, active: Sequence[_Indicator]) -> FloatArray:
        beh = [i.name for i in active if i.source != "surveys"]
        w = self.weights_[beh].to_numpy()
        w = w / w.sum() if w.sum() > 0 else np.full(len(beh), 1.0 / len(beh))
        return np.asarray(norm[beh].to_numpy() @ w * 100.0, dtype=np.float64)

    def _segments(self, norm: pd.DataFrame, active: Sequence[_Indicator]) -> npt.NDArray[np.intp]:
        beh = self._behaviour_composite(norm, active)
        return np.searchsorted(np.asarray(self.segment_edges_), beh, side="right")

    def _learn_imputation(self, norm: pd.DataFrame, active: Sequence[_Indicator]) -> None:
        beh = self._behaviour_composite(norm, active)
        self.segment_edges_ = [
            float(e) for e in np.quantile(beh, np.linspace(0, 1, _N_SEGMENTS + 1)[1:-1])
        ]
        seg = self._segments(norm, active)
        for ind in active:
            if ind.source != "surveys":
                continue
            col = norm[ind.name]
            means = col.groupby(seg).mean()
            overall = float(col.mean())
            self.imputation_[ind.name] = {
                str(s): float(means.get(s, overall)) if pd.notna(means.get(s)) else overall
                for s in range(_N_SEGMENTS)
            }

    def _impute(self, norm: pd.DataFrame, active: Sequence[_Indicator]) -> pd.DataFrame:
        if self.missing != "segment" or not self.imputation_:
            return norm
        out = norm.copy()
        seg = self._segments(norm, active)
        for name, table in self.imputation_.items():
            if name not in out:
                continue
            fill = np.asarray([table[str(s)] for s in range(_N_SEGMENTS)])[seg]
            col = out[name].to_numpy()
            out[name] = np.where(np.isnan(col), fill, col)
        return out

    def _composite(self, norm: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
        z = norm[self.weights_.index].to_numpy()
        w = self.weights_.to_numpy()
        have = ~np.isnan(z)
        wsum = (have * w).sum(axis=1)
        contrib = np.where(have, z * w, 0.0) / np.where(wsum > 0, wsum, np.nan)[:, None] * 100.0
        return contrib.sum(axis=1), contrib

    # -- scoring --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "weights_"):
            msg = "This LoyaltyScorecard is not fitted yet; call fit() or load a fitted state."
            raise NotFittedError(msg)

    def score(
        self, transactions: Any, surveys: Any = None, *, observation_end: Any = None
    ) -> ScorecardResult:
        """Score customers with the fitted normalisation, weights and tiers.

        Parameters
        ----------
        transactions, surveys, observation_end
            As in :meth:`fit`; the customers may differ from those of the fit.

        Returns
        -------
        ScorecardResult
            Per-customer table and base summary.

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        """
        self._check_fitted()
        inputs, unmatched = self._inputs(transactions, surveys, observation_end)
        active = [i for i in self.indicators if i.name in self.active_]
        if inputs["surveys"] is None and any(i.source == "surveys" for i in active):
            # scoring without surveys: survey indicators are missing for everybody
            inputs["surveys"] = pd.DataFrame({SURVEY_CUSTOMER: pd.Series([], dtype=object)})
            raw = self._raw([i for i in active if i.source != "surveys"], inputs, {})
            for i in active:
                if i.source == "surveys":
                    raw[i.name] = np.nan
            raw = raw[[i.name for i in active]]
            inputs["surveys"] = None
        else:
            raw = self._raw(active, inputs, self.metric_states_)
        norm = self._impute(self._normalise(raw, self.normalisers_), active)
        composite, contrib = self._composite(norm)
        names = list(self.weights_.index)
        table = raw.copy()
        for n in names:
            table[f"norm_{n}"] = norm[n].to_numpy()
        for j, n in enumerate(names):
            table[f"contrib_{n}"] = contrib[:, j]
        table["composite"] = composite
        table["tier"] = _assign(composite, self.tier_thresholds_, self.tiers["labels"], raw.index)
        sv = inputs["surveys"]
        table["answered_survey"] = (
            raw.index.isin(sv[SURVEY_CUSTOMER]) if sv is not None else np.zeros(len(raw), bool)
        )
        summary = self._base_summary(inputs, table, unmatched)
        return ScorecardResult(
            customers=table,
            summary=summary,
            weights=self.weights_.copy(),
            observation_end=inputs["observation_end"],
        )

    def fit_score(
        self, transactions: Any, surveys: Any = None, *, observation_end: Any = None
    ) -> ScorecardResult:
        """Fit on the data and score the same customers."""
        return self.fit(transactions, surveys, observation_end=observation_end).score(
            transactions, surveys, observation_end=observation_end
        )

    def _options(self, name: str) -> dict[str, Any]:
        for ind in self.indicators:
            if ind.name == name:
                return ind.options
        return {}

    def _base_summary(
        self, inputs: Mapping[str, Any], table: pd.DataFrame, unmatched: int
    ) -> dict[str, Any]:
        summary = inputs["summary"]
        out: dict[str, Any] = {
            "observation_end": str(inputs["observation_end"].date()),
            "customers": len(table),
            "respondents": int(table["answered_survey"].sum()),
        }
        sv = inputs["surveys"]
        if sv is not None:
            out["survey_answers_without_transactions"] = unmatched
            # base-level survey figures describe the scored customers, as 'respondents' does
            sv = sv[sv[SURVEY_CUSTOMER].isin(table.index)]
            col = self._options("recommendation").get("column", "recommend")
            if col in sv and sv[col].notna().any():
                res = nps(sv[col], nan_policy="omit")
                out["nps"] = round(res.score, 2)
                out["nps_ci"] = [round(res.ci[0], 2), round(res.ci[1], 2)]
            items = list(self._options("satisfaction").get("items", ("sat1", "sat2", "sat3")))
            if len(sv) and all(c in sv for c in items):
                scale = self._options("satisfaction").get("scale", (1, 10))
                si = satisfaction_index(
                    sv, columns=items, scale=(float(scale[0]), float(scale[1])), nan_policy="omit"
                )
                out["satisfaction_index"] = round(si.overall, 2)
        if "churn" in table:
            out["churn_rate"] = round(float(table["churn"].mean()), 4)
        out["repeat_purchase_rate"] = round(float((summary["frequency"] > 0).mean()), 4)
        out["mean_frequency"] = round(float(summary["frequency"].mean() + 1.0), 3)
        out["mean_monetary"] = round(float(summary["total_amount"].mean()), 2)
        out["composite_mean"] = round(float(table["composite"].mean()), 2)
        out["composite_median"] = round(float(table["composite"].median()), 2)
        out["tier_sizes"] = {
            str(k): int(v) for k, v in table["tier"].value_counts(sort=False).items()
        }
        untiered = int(table["tier"].isna().sum())
        if untiered:
            out["customers_without_tier"] = untiered
        return out

    # -- serialisation --------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Return the configuration as a JSON-safe dict (accepted by the constructor)."""
        ind = {
            i.name: {
                "direction": i.direction,
                "normalisation": i.normalisation,
                "options": to_builtin(i.options),
                **({"weight": self._fixed[i.name]} if i.name in self._fixed else {}),
            }
            for i in self.indicators
        }
        ahp = self.ahp
        if isinstance(ahp, pd.DataFrame):
            ahp = _frame_dict(ahp)
        elif isinstance(ahp, Mapping):
            ahp = {
                "criteria": _frame_dict(_frame(ahp["criteria"])),
                "sub": {
                    k: v if isinstance(v, str) else _frame_dict(_frame(v))
                    for k, v in ahp["sub"].items()
                },
            }
        return {
            "indicators": ind,
            "normalisation": self.normalisation,
            "weighting": dict(self.weighting)
            if isinstance(self.weighting, Mapping)
            else self.weighting,
            "ahp": ahp,
            "tiers": self.tiers,
            "missing": self.missing,
            "customer": to_builtin(self.customer),
            "time": to_builtin(self.time),
            "amount": to_builtin(self.amount),
            "survey_customer": to_builtin(self.survey_customer),
            "allow_inconsistent": self.allow_inconsistent,
        }

    def to_dict(self) -> dict[str, Any]:
        """Return configuration and fitted state as a JSON-safe dict.

        Examples
        --------
        >>> import json
        >>> from custloyalty.datasets import load_cdnow
        >>> from custloyalty.scorecard import LoyaltyScorecard
        >>> tx = load_cdnow("sample")
        >>> card = LoyaltyScorecard(["frequency", "recency"], weighting="critic").fit(tx)
        >>> again = LoyaltyScorecard.from_dict(json.loads(json.dumps(card.to_dict())))
        >>> again.score(tx).customers.equals(card.score(tx).customers)
        True
        """
        out: dict[str, Any] = {"config": self.get_config(), "fitted": None}
        if hasattr(self, "weights_"):
            out["fitted"] = to_builtin(
                {
                    "active": self.active_,
                    "normalisers": self.normalisers_,
                    "metric_states": self.metric_states_,
                    "weights": {str(k): float(v) for k, v in self.weights_.items()},
                    "tier_thresholds": self.tier_thresholds_,
                    "segment_edges": self.segment_edges_,
                    "imputation": self.imputation_,
                    "observation_end": self.observation_end_.isoformat(),
                    "n_customers": self.n_customers_,
                }
            )
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoyaltyScorecard:
        """Rebuild a scorecard (fitted if the dict holds fitted state) from :meth:`to_dict`.

        A dict holding only a configuration (the keys of :meth:`get_config`, as a TOML or
        YAML config file would) is accepted too.
        """
        if not isinstance(data, Mapping):
            _fail_type("configuration", "a mapping of settings", data)
        if "config" in data and not isinstance(data["config"], Mapping):
            _fail_type("config", "a mapping of settings", data["config"])
        config = dict(data["config"]) if "config" in data else dict(data)
        ahp = config.get("ahp")
        if isinstance(ahp, Mapping) and "index" in ahp:
            config["ahp"] = _frame(ahp)
        elif isinstance(ahp, Mapping) and "criteria" in ahp:
            sub = ahp.get("sub")
            if not isinstance(sub, Mapping):
                _fail_type(
                    "ahp.sub", "a mapping criterion -> pairwise matrix or indicator name", sub
                )
            config["ahp"] = {
                "criteria": _frame(ahp["criteria"], "ahp.criteria"),
                "sub": {
                    k: v if isinstance(v, str) else _frame(v, f"ahp.sub.{k}")
                    for k, v in sub.items()
                },
            }
        known = {
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
            "allow_inconsistent",
        }
        unknown = set(config) - known
        if unknown:
            msg = (
                f"{_FUNC}: unknown configuration keys {sorted(unknown)!r}; known: {sorted(known)}."
            )
            raise ValidationError(msg)
        card = cls(**config)
        fitted = data.get("fitted") if "config" in data else None
        if fitted:
            try:
                card.active_ = list(fitted["active"])
                card.normalisers_ = dict(fitted["normalisers"])
                card.metric_states_ = dict(fitted["metric_states"])
                card.tier_thresholds_ = [float(t) for t in fitted["tier_thresholds"]]
                card.segment_edges_ = [float(t) for t in fitted["segment_edges"]]
                card.imputation_ = {k: dict(v) for k, v in fitted["imputation"].items()}
                card.observation_end_ = pd.Timestamp(fitted["observation_end"])
                card.n_customers_ = int(fitted["n_customers"])
                card.weights_ = pd.Series(fitted["weights"], name="weight", dtype=np.float64)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                msg = (
                    f"{_FUNC}.from_dict: the fitted state is incomplete or malformed "
                    f"({type(exc).__name__}: {exc}); use the output of to_dict()."
                )
                raise ValidationError(msg) from exc
        return card

    def to_json(self) -> str:
        """Serialise :meth:`to_dict` to a JSON string."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> LoyaltyScorecard:
        """Rebuild from :meth:`to_json` output."""
        return cls.from_dict(json.loads(text))

    def __repr__(self) -> str:
        names = ", ".join(i.name for i in self.indicators)
        w = self.weighting if isinstance(self.weighting, str) else "fixed"
        state = "fitted" if hasattr(self, "weights_") else "not fitted"
        return (
            f"LoyaltyScorecard(indicators=[{names}], normalisation={self.normalisation!r}, "
            f"weighting={w!r}, tiers={self.tiers['labels']}, {state})"
        )


def _frame(obj: Any, key: str = "ahp") -> pd.DataFrame:
    """Return a pairwise matrix given as a DataFrame, rows or ``{index, columns, data}``."""
    if isinstance(obj, pd.DataFrame):
        return obj
    if isinstance(obj, Mapping) and not {"index", "columns", "data"} <= set(obj):
        _fail_type(key, "a matrix as {'index': [...], 'columns': [...], 'data': [...]}", obj)
    try:
        if isinstance(obj, Mapping):
            return pd.DataFrame(obj["data"], index=obj["index"], columns=obj["columns"])
        return pd.DataFrame(np.asarray(obj, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        msg = f"{_FUNC}: {key!r} is not a valid pairwise matrix: {exc}"
        raise ValidationError(msg) from exc


def _frame_dict(df: pd.DataFrame) -> dict[str, Any]:
    return {
        "index": [to_builtin(i) for i in df.index],
        "columns": [to_builtin(c) for c in df.columns],
        "data": df.to_numpy(dtype=np.float64).tolist(),
    }


@dataclass(frozen=True, slots=True)
class ScorecardComparison(Result):
    """Change between two scorecard results (the evaluation system's dynamic adjustment)."""

    indicators: pd.DataFrame
    """Per indicator and the composite: mean before, mean after, change, relative change,
    over the customers present in both results."""
    base: pd.DataFrame
    """Base-level summary values before, after and their change."""
    migration: TierMigrationResult
    """Tier migration (:func:`custloyalty.segmentation.tier_migration`): counts and row shares,
    rows = tier before plus ``"(new)"``, columns = tier after plus ``"(churned)"``."""
    movements: dict[str, int]
    """Customers upgraded, downgraded, unchanged, new and lost."""
    by_tier: pd.DataFrame
    """Mean composite change per tier before."""
    by_segment: pd.DataFrame
    """One row per segment (``by`` of :func:`compare`; default the tier before), over the
    customers present in both results: ``customers``, the mean change of every indicator
    (``<name>_change``) and of the composite (``composite_change``), and the customers
    ``upgraded``, ``downgraded`` and ``unchanged`` (tier migration within the segment)."""


def _segments_of(by: Any, customers: pd.DataFrame, common: pd.Index) -> pd.Series:
    """Segment label of each customer in ``common`` (missing when unknown)."""
    if by is None:
        by = "tier"
    if isinstance(by, pd.Series):
        _frames.check_unique_index(
            by.index, "the 'by' Series", func="compare", hint="give one segment per customer."
        )
        if not by.index.isin(common).any():
            msg = (
                "compare: the 'by' Series shares no customer with the two results; index it "
                "by customer id like the results' customers table."
            )
            raise ValidationError(msg)
        out: pd.Series = by.reindex(common)
        out.name = by.name if by.name is not None else "segment"
        return out
    if isinstance(by, Hashable) and by in customers.columns:
        column: pd.Series = customers[by]
        return column.loc[common]
    msg = (
        f"compare: 'by' must be a column of the earlier result's customers table or a Series "
        f"of segments indexed by customer; got {reprlib.repr(by)} (columns: "
        f"{reprlib.repr(list(customers.columns))})."
    )
    raise ValidationError(msg)


def compare(
    before: ScorecardResult, after: ScorecardResult, /, *, by: Any = None
) -> ScorecardComparison:
    """Compare two scorecard results: indicator and composite change, tier migration.

    Parameters
    ----------
    before, after
        Results of :meth:`LoyaltyScorecard.score` for two periods, ideally from the same
        fitted scorecard (same yardstick).
    by
        Segments for :attr:`ScorecardComparison.by_segment`: a column of
        ``before.customers`` (name), or a Series of segment labels indexed by customer id (for
        example RFM segments). Default: the tier before. Customers whose segment is missing
        are left out of that table.

    Returns
    -------
    ScorecardComparison
        Indicator and base-level changes, migration matrix, movement counts and the changes
        per segment.

    Raises
    ------
    ValidationError
        ``by`` is neither a column of ``before.customers`` nor a Series sharing customers
        with the results, or has duplicated customers.

    Notes
    -----
    Changes are after minus before on the customers present in both periods; customers only
    in ``after`` are "new", only in ``before`` "lost". A move to a better tier (earlier in the
    best-first list) is an upgrade. Customers without a tier (no composite) count as absent
    from that period in the migration matrix.

    Examples
    --------
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.scorecard import LoyaltyScorecard, compare
    >>> tx = load_cdnow("sample")
    >>> card = LoyaltyScorecard(["frequency", "monetary", "recency"]).fit(
    ...     tx, observation_end="1997-09-30"
    ... )
    >>> c = compare(
    ...     card.score(tx, observation_end="1997-09-30"),
    ...     card.score(tx, observation_end="1998-06-30"),
    ... )
    >>> sum(c.movements.values()) == 2357
    True
    >>> c.by_segment[["customers", "composite_change", "upgraded", "downgraded"]].round(1)
              customers  composite_change  upgraded  downgraded
    tier
    Platinum        236              -9.4         0          93
    Gold            471             -11.9       103         259
    Silver          707              -9.2       114         429
    Bronze          943              -3.9       109           0
    """
    a, b = before.customers, after.customers
    common = a.index.intersection(b.index)
    names = [c for c in before.weights.index if c in a and c in b] + ["composite"]
    rows = {}
    for n in names:
        x = float(a.loc[common, n].mean())
        y = float(b.loc[common, n].mean())
        rows[n] = {
            "before": x,
            "after": y,
            "change": y - x,
            "relative_change": (y - x) / abs(x) if x else np.nan,
        }
    indicators = pd.DataFrame.from_dict(rows, orient="index")
    keys = [
        k
        for k, v in before.summary.items()
        if isinstance(v, int | float) and isinstance(after.summary.get(k), int | float)
    ]
    base = pd.DataFrame(
        {
            "before": [before.summary[k] for k in keys],
            "after": [after.summary[k] for k in keys],
        },
        index=keys,
    )
    base["change"] = base["after"] - base["before"]
    order = list(a["tier"].cat.categories)
    migration = tier_migration(a["tier"], b["tier"], order=order)
    movements = {
        "upgraded": migration.n_upgrades,
        "downgraded": migration.n_downgrades,
        "unchanged": migration.n_unchanged,
        "new": migration.n_new,
        "lost": migration.n_churned,
    }
    delta = b.loc[common, "composite"] - a.loc[common, "composite"]
    by_tier = (
        pd.DataFrame({"tier": a.loc[common, "tier"], "composite_change": delta})
        .groupby("tier", observed=False)["composite_change"]
        .agg(["size", "mean"])
        .rename(columns={"size": "customers", "mean": "mean_composite_change"})
    )
    segment = _segments_of(by, a, common)
    changes = pd.DataFrame(
        {f"{n}_change": b.loc[common, n].to_numpy() - a.loc[common, n].to_numpy() for n in names},
        index=common,
    )
    # tier positions on the earlier result's best-first order; -1 = no tier
    pos_a = pd.Categorical(a.loc[common, "tier"], categories=order).codes
    pos_b = pd.Categorical(b.loc[common, "tier"], categories=order).codes
    both = (pos_a >= 0) & (pos_b >= 0)
    changes["upgraded"] = both & (pos_b < pos_a)
    changes["downgraded"] = both & (pos_b > pos_a)
    changes["unchanged"] = both & (pos_b == pos_a)
    grouped = changes.groupby(segment, observed=False, sort=True)
    change_cols = [f"{n}_change" for n in names]
    by_segment = grouped[change_cols].mean()
    by_segment.insert(0, "customers", grouped.size())
    counts = grouped[["upgraded", "downgraded", "unchanged"]].sum().astype(np.int64)
    by_segment = by_segment.join(counts)
    by_segment.index.name = segment.name
    return ScorecardComparison(
        indicators=indicators,
        base=base,
        migration=migration,
        movements=movements,
        by_tier=by_tier,
        by_segment=by_segment,
    )

"""The loyalty scorecard estimator: indicators -> normalised values -> weights -> composite -> tier.

:class:`LoyaltyScorecard` learns everything it needs on one set of data (normaliser knots,
weights, tier cut-offs, model parameters of model-based indicators, imputation values for
customers without survey answers) and applies all of it, unchanged, whenever it scores: with
or without surveys, on the whole base or on any subset of customers (a customer's scores do
not depend on who else is in the batch). The configuration lives in
:mod:`custloyalty.scorecard._config`, normalisers and weightings in their own modules, the
saved state in :mod:`custloyalty.scorecard._saved`.
"""

from __future__ import annotations

import functools
import reprlib
import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, NamedTuple, NoReturn

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _engines, _frames
from custloyalty._progress import steps
from custloyalty._state import Stateful
from custloyalty._validation import check_nan_policy
from custloyalty.errors import (
    CustLoyaltyError,
    NotFittedError,
    PluginError,
    UndefinedMetricWarning,
    ValidationError,
)
from custloyalty.metrics import (
    SPARSE_SOURCES,
    SURVEY_CUSTOMER,
    Metric,
    check_flag,
    metric_inputs,
    nps_category,
)
from custloyalty.metrics import get as get_metric
from custloyalty.scorecard import _potential
from custloyalty.scorecard._config import (
    DEFAULT_INDICATORS,
    IndicatorConfig,
    ScorecardConfig,
)
from custloyalty.scorecard._normalise import NORMALISERS, Normaliser
from custloyalty.scorecard._result import (
    ScorecardResult,
    ScorecardSummary,
    SummaryTotals,
    tier_counts,
)
from custloyalty.scorecard._weighting import (
    WEIGHTINGS,
    AHPWeighting,
    FixedWeighting,
    Weighting,
    composite,
)
from custloyalty.segmentation import QuantileTiers

__all__ = ["LoyaltyScorecard"]

FloatArray = npt.NDArray[np.float64]
_N_SEGMENTS = 5
_FUNC = "LoyaltyScorecard"


def _needs(ind: IndicatorConfig, table: str) -> bool:
    metric = get_metric(ind.name)
    return ind.source == table or table in metric.inputs


class LoyaltyScorecard(Stateful):
    r"""Composite customer-loyalty index from the five indicators, with tiers.

    Parameters
    ----------
    indicators
        Metric names from :func:`custloyalty.metrics.available` (built-in or plugin), or a
        mapping name -> settings (``direction``, ``normalisation``, ``weight``, ``options``
        passed to the metric), or a list of such dicts with a ``"name"``. Default
        :data:`DEFAULT_INDICATORS`; survey (interaction) indicators are dropped automatically
        when :meth:`fit` gets no surveys (interactions).
    normalisation
        Default normalisation onto [0, 1]: ``"percentile"`` (default, robust to skewed spend),
        ``"minmax"`` or ``"zscore"``.
    weighting
        ``"entropy"`` (default), ``"critic"``, ``"equal"``, ``"ahp"`` (with ``ahp``), or a
        mapping indicator -> fixed weight. Weights per indicator given in ``indicators`` also
        count as fixed weights.
    ahp
        For ``weighting="ahp"``: a pairwise DataFrame over the indicators, or
        ``{"criteria": DataFrame, "sub": {criterion: DataFrame | name}}`` for a two-level
        hierarchy (:func:`ahp_hierarchy`).
    tiers
        ``{"labels": [...], "shares": [...]}`` (best first, summing to 1, or to 100 as
        percentages; cut-offs learned at fit by the rule of ``value_tiers(method="quantile")``,
        :class:`~custloyalty.segmentation.QuantileTiers`) or ``{"labels": [...],
        "thresholds": [...]}`` (fixed composite lower bounds in (0, 100], decreasing), not
        both. Default :data:`DEFAULT_TIERS`. A customer without a composite gets no tier (NA).
    missing
        Customers without survey answers (or interactions): ``"renormalise"`` (default)
        scores them on the indicators they have, weights renormalised to sum 1; ``"segment"``
        fills their normalised survey indicators with the mean of respondents in the same
        behavioural segment (quintile of the transaction-only composite), learned at fit.
    customer, time, amount
        Column names in the transactions.
    survey_customer, interaction_customer
        Customer id column in the surveys and in the interactions.
    allow_inconsistent
        Accept an AHP matrix with consistency ratio above 0.1.
    seed
        Seed of the random subsample the churn and CLV models are fitted on when the base
        has more customers than their ``max_fit_customers`` option (default 25,000); ``None``
        draws a fresh subsample each fit.
    value_potential
        Value x potential tiers in every result (current value = total spend in the window,
        potential = predicted CLV, :func:`~custloyalty.segmentation.value_potential_tiers`):
        ``None`` (default) adds them exactly when ``clv`` is an indicator, reusing its fitted
        BG/NBD and Gamma-Gamma models; ``True`` or a mapping adds them always, fitting the two
        models on the fitted base when there is no ``clv`` indicator; ``False`` never. The
        mapping takes ``levels`` (2 or 3), ``horizon`` (months; default the ``clv``
        indicator's ``months``, else 12) and fixed ``value_thresholds`` /
        ``potential_thresholds``; otherwise the cut-offs are the quantiles of the fitted base.

    Attributes
    ----------
    config : ScorecardConfig
        The checked settings.
    weights_ : pandas.Series
        Learned weights, summing to 1.
    normalisers_ : dict
        Per indicator, the fitted normaliser (method, direction, bounds or knots).
    tiers_ : QuantileTiers
        Tier labels and composite cut-offs.
    metric_states_ : dict
        Fitted state of model-based indicators (e.g. the Pareto/NBD model of ``churn``).
    observation_end_ : pandas.Timestamp
        End of the fitting window; :meth:`score` uses it when not given another.
    value_potential_ : dict or None
        With value x potential tiers: ``grid`` (the fitted
        :class:`~custloyalty.segmentation.ValuePotentialGrid`), ``horizon`` and ``models``
        (``transactions``: BG/NBD, ``spend``: Gamma-Gamma, in weeks); None without.

    See Also
    --------
    compare : Change between two scorecard results.

    Notes
    -----
    With normalised, oriented indicators $z_{ij} \in [0, 1]$ and weights $w_j$, the
    composite of customer $i$ over the indicators $A_i$ it has is

    $$L_i = 100 \, \frac{\sum_{j \in A_i} w_j z_{ij}}{\sum_{j \in A_i} w_j},$$

    and the contribution of indicator $j$ is $100\, w_j z_{ij} / \sum_{k \in A_i} w_k$, so the
    contributions add up to the composite (to 1e-10: the composite is rounded to 10 decimals,
    so that summation noise never tiers a customer who is exactly on a threshold below it).
    Every step after the indicators is a fixed function of one customer's values, so scoring
    is batch-invariant.

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
    >>> res = card.fit_score(tx, observation_end="1998-06-30")
    >>> bool(res.customers["composite"].between(0, 100).all())
    True
    >>> sum(res.summary.tier_sizes.values())
    2357
    """

    _state_kind = "loyalty_scorecard"

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
        interaction_customer: Hashable = "customer_id",
        allow_inconsistent: bool = False,
        seed: int | None = None,
        value_potential: bool | Mapping[str, Any] | None = None,
    ) -> None:
        self.config = ScorecardConfig.from_dict(
            {
                "indicators": indicators,
                "normalisation": normalisation,
                "weighting": weighting,
                "ahp": ahp,
                "tiers": tiers,
                "missing": missing,
                "customer": customer,
                "time": time,
                "amount": amount,
                "survey_customer": survey_customer,
                "interaction_customer": interaction_customer,
                "allow_inconsistent": allow_inconsistent,
                "seed": seed,
                "value_potential": value_potential,
            }
        )

    @classmethod
    def from_config(cls, config: ScorecardConfig) -> LoyaltyScorecard:
        """Build an unfitted scorecard from a checked configuration."""
        card = cls.__new__(cls)
        card.config = config
        return card

    # settings read by callers (the CLI reads .time)
    @property
    def indicators(self) -> tuple[IndicatorConfig, ...]:
        """The configured indicators."""
        return self.config.indicators

    @property
    def tiers(self) -> Mapping[str, Any]:
        """The tier settings (labels with shares or thresholds)."""
        return self.config.tiers

    @property
    def customer(self) -> Hashable:
        """Customer id column of the transactions."""
        return self.config.customer

    @property
    def time(self) -> Hashable:
        """Date column of the transactions."""
        return self.config.time

    @property
    def amount(self) -> Hashable:
        """Amount column of the transactions."""
        return self.config.amount

    # -- inputs ---------------------------------------------------------------------------
    def _inputs(
        self,
        transactions: Any,
        surveys: Any,
        interactions: Any,
        observation_end: Any,
        date_format: str | None,
        nan_policy: str,
    ) -> tuple[dict[str, Any], int]:
        policy = check_nan_policy(nan_policy, func=_FUNC)
        cfg = self.config
        built = metric_inputs(
            transactions,
            surveys,
            observation_end=observation_end,
            customer=cfg.customer,
            time=cfg.time,
            amount=cfg.amount,
            survey_customer=cfg.survey_customer,
            interactions=interactions,
            interaction_customer=cfg.interaction_customer,
            date_format=date_format,
            nan_policy=policy,
            with_transactions=any(
                "transactions" in get_metric(i.name).inputs for i in cfg.indicators
            ),
            func=_FUNC,
        )
        inputs = built.as_dict()
        # answers and contacts of customers outside this batch are not the metrics' business:
        # every customer's values depend on its own rows only (batch invariance)
        known = inputs["summary"].index
        sv = inputs["surveys"]
        inputs["_window"] = built.window
        inputs["_n_answers"] = 0 if sv is None else len(sv)
        inputs["_raw_surveys"] = sv
        inputs["_raw_interactions"] = inputs["interactions"]
        for table in SPARSE_SOURCES:
            frame = inputs[table]
            if frame is not None:
                keep = _frames.in_index(frame[SURVEY_CUSTOMER], known)
                if not keep.all():
                    inputs[table] = frame.loc[keep]
        return inputs, built.unmatched_answers

    def _active(self, inputs: Mapping[str, Any]) -> list[IndicatorConfig]:
        active = [
            i
            for i in self.config.indicators
            if all(not _needs(i, t) or inputs.get(t) is not None for t in SPARSE_SOURCES)
        ]
        if not active:
            msg = (
                f"{_FUNC}: every configured indicator needs surveys or interactions; pass "
                "surveys= (or interactions=)."
            )
            raise ValidationError(msg)
        return active

    def _raw(
        self,
        indicators: Sequence[IndicatorConfig],
        inputs: Mapping[str, Any],
        states: Mapping[str, Any],
    ) -> pd.DataFrame:
        """Raw indicator values, each metric run isolated and its output checked."""
        index = inputs["summary"].index
        cols: dict[str, FloatArray] = {}
        for ind in indicators:
            if any(
                _needs(ind, t) and (inputs.get(t) is None or len(inputs[t]) == 0)
                for t in SPARSE_SOURCES
            ):
                cols[ind.name] = np.full(len(index), np.nan)  # nobody answered / interacted
                continue
            metric = get_metric(ind.name)
            with _MissingColumnAsError(metric, inputs):
                value = metric.compute_checked(
                    {**inputs, "state": states.get(ind.name)}, index, **ind.options
                )
            cols[ind.name] = np.asarray(value, dtype=np.float64)
        return pd.DataFrame(cols, index=index)

    # -- fitting --------------------------------------------------------------------------
    def fit(
        self,
        transactions: Any,
        surveys: Any = None,
        *,
        interactions: Any = None,
        observation_end: Any = None,
        date_format: str | None = None,
        nan_policy: str = "raise",
        sample_customers: float | None = None,
        seed: int | None = None,
    ) -> LoyaltyScorecard:
        """Learn model parameters, normaliser knots, weights, imputation and tier cut-offs.

        Parameters
        ----------
        transactions
            One row per purchase with the configured customer, time and amount columns: a
            pandas table (or a table :func:`custloyalty.rfm_summary` accepts), or a Dask
            DataFrame, fitted on a hash sample of its customers (``sample_customers``).
        surveys
            Optional survey answers, one row per answer, with the survey customer column.
        interactions
            Optional interactions, one row per contact, with the interaction customer column.
        observation_end
            End of the observation window (default: the last purchase day).
        date_format
            Explicit format of the date column (default: inferred).
        nan_policy
            ``"raise"`` (default) on missing ids, dates or amounts, or ``"omit"`` those rows.
        sample_customers
            Share of the customers, in (0, 1], to fit on: a deterministic hash sample of the
            customer ids (``customer_bucket(id, 10**6, seed=seed) < share * 10**6``), each
            customer with all its transactions, survey answers and interactions. Default:
            every customer of a pandas table, ``0.1`` of a Dask frame (only the sample is
            computed into memory). Sampling needs ``observation_end``.
        seed
            Key of the hash sample (``None`` and ``0`` give the same sample); only with
            sampling. The seed of the models' own subsample is ``LoyaltyScorecard(seed=...)``.

        Returns
        -------
        LoyaltyScorecard
            ``self``, fitted.

        Raises
        ------
        ValidationError
            Bad transactions or surveys (the message names the column); surveys none of whose
            customer ids matches a customer; an indicator without any finite value; a metric
            that needs a column its inputs lack, or returns a malformed output (the message
            names the metric). A Dask frame, or ``sample_customers``, without
            ``observation_end``; a ``sample_customers`` outside (0, 1]; ``seed`` without
            sampling; an empty sample.
        PluginError
            A plugin metric raised an exception of its own (chained; the message names the
            metric and where it was registered).

        Warns
        -----
        UndefinedMetricWarning
            An indicator has the same value for every fitted customer: it carries no
            information to rank them, and entropy or CRITIC weighting gives it weight 0.
        """
        if _engines.is_dask(transactions) or sample_customers is not None or seed is not None:
            return _engines.fit_scorecard(self, locals())  # type: ignore[no-any-return]
        inputs, unmatched = self._inputs(
            transactions, surveys, interactions, observation_end, date_format, nan_policy
        )
        self._fit_inputs(inputs, unmatched)
        return self

    def _fit_inputs(self, inputs: dict[str, Any], unmatched: int) -> _Computed:
        """Fit on built inputs; return the indicators and composite (reused by fit_score)."""
        sv = inputs["surveys"]
        if sv is not None and inputs["_n_answers"] > 0 and unmatched == inputs["_n_answers"]:
            self._no_survey_match(inputs["_raw_surveys"], inputs["summary"])
        raw_it = inputs["_raw_interactions"]
        wanted = any(_needs(i, "interactions") for i in self.config.indicators)
        if wanted and raw_it is not None and len(raw_it) and len(inputs["interactions"]) == 0:
            self._no_survey_match(raw_it, inputs["summary"], table="interactions")
        active = self._active(inputs)
        states: dict[str, Any] = {}
        for ind in active:
            metric = get_metric(ind.name)
            with _MissingColumnAsError(metric, inputs):
                states[ind.name] = metric.fit_state(inputs, seed=self.config.seed, **ind.options)
        raw = self._raw(active, inputs, states)
        _warn_constant(raw)
        normalisers: dict[str, Normaliser] = {
            ind.name: NORMALISERS[ind.normalisation](ind.direction).fit(
                raw[ind.name].to_numpy(), name=ind.name
            )
            for ind in active
        }
        norm = _normalise(raw, normalisers)
        weighting = self._weighting().fit(norm)
        self.active_ = [i.name for i in active]
        self.metric_states_ = states
        self.normalisers_ = normalisers
        self.weighting_ = weighting
        self.observation_end_ = pd.Timestamp(inputs["observation_end"])
        self.n_customers_ = len(raw)
        self.segment_edges_: list[float] = []
        self.imputation_: dict[str, list[float]] = {}
        if self.config.missing == "segment":
            self._learn_imputation(norm)
        imputed = self._impute(norm)
        comp, contrib = weighting.apply(imputed)
        tiers = self.config.tiers
        if "thresholds" in tiers:
            self.tiers_ = QuantileTiers.from_thresholds(tiers["thresholds"], labels=tiers["labels"])
        else:
            if not np.isfinite(comp).any():
                msg = (
                    f"{_FUNC}: no customer has a composite score, so no tier cut-offs can be "
                    "learned."
                )
                raise ValidationError(msg)
            self.tiers_ = QuantileTiers(tiers["shares"], labels=tiers["labels"]).fit(comp)
        self.value_potential_ = _potential.fit(self.config, inputs, raw, states)
        return _Computed(raw, imputed, comp, contrib)

    def _weighting(self) -> Weighting:
        cfg = self.config
        fixed = cfg.fixed_weights()
        if fixed:
            return FixedWeighting(fixed)
        if cfg.weighting == "ahp":
            return AHPWeighting(
                cfg.ahp,
                allow_inconsistent=cfg.allow_inconsistent,
                configured=[i.name for i in cfg.indicators],
            )
        assert isinstance(cfg.weighting, str)
        return WEIGHTINGS[cfg.weighting]()

    @property
    def weights_(self) -> pd.Series:
        """Learned indicator weights (sum 1)."""
        self._check_fitted()
        return self.weighting_.weights_.copy()

    @property
    def tier_thresholds_(self) -> list[float]:
        """Composite lower bounds of every tier but the last, best first."""
        self._check_fitted()
        return list(self.tiers_.thresholds_)

    def _no_survey_match(
        self, surveys: pd.DataFrame, summary: pd.DataFrame, *, table: str = "surveys"
    ) -> NoReturn:
        cfg = self.config
        ids = surveys[SURVEY_CUSTOMER]
        sv_dtype, tx_dtype = ids.dtype, summary.index.dtype
        what, col, param = (
            ("survey answers", cfg.survey_customer, "survey_customer")
            if table == "surveys"
            else ("interactions", cfg.interaction_customer, "interaction_customer")
        )
        msg = (
            f"{_FUNC}: none of the {len(ids)} {what} matches a customer of the "
            f"transactions: {table} column {col!r} has dtype {sv_dtype} (e.g. "
            f"{reprlib.repr(ids.iloc[:3].tolist())}), the transactions' customer ids (column "
            f"{cfg.customer!r}) have dtype {tx_dtype} (e.g. "
            f"{reprlib.repr(summary.index[:3].tolist())})."
        )
        if sv_dtype.kind != tx_dtype.kind:
            msg += (
                f"\nHint: give both id columns the same type, e.g. "
                f"{table}[{col!r}].astype({str(tx_dtype)!r})."
            )
        else:
            msg += (
                f"\nHint: check that the {table} belong to these transactions and that "
                f"{param}= names the {table}' customer id column."
            )
        raise ValidationError(msg)

    # -- imputation of survey indicators ---------------------------------------------------
    def _sparse(self) -> list[str]:
        by_name = {i.name: i for i in self.config.indicators}
        return [n for n in self.active_ if any(_needs(by_name[n], t) for t in SPARSE_SOURCES)]

    def _segments(self, norm: pd.DataFrame) -> npt.NDArray[np.intp]:
        sparse = set(self._sparse())
        beh = [n for n in self.active_ if n not in sparse]
        w = self.weighting_.weights_[beh]
        w = w / w.sum() if w.sum() > 0 else pd.Series(1.0 / len(beh), index=beh)
        comp, _ = composite(norm[beh], w)
        return np.searchsorted(np.asarray(self.segment_edges_), comp, side="right")

    def _learn_imputation(self, norm: pd.DataFrame) -> None:
        sparse = set(self._sparse())
        beh = [n for n in self.active_ if n not in sparse]
        w = self.weighting_.weights_[beh]
        w = w / w.sum() if w.sum() > 0 else pd.Series(1.0 / len(beh), index=beh)
        comp, _ = composite(norm[beh], w)
        self.segment_edges_ = [
            float(e) for e in np.quantile(comp, np.linspace(0, 1, _N_SEGMENTS + 1)[1:-1])
        ]
        seg = self._segments(norm)
        for name in sparse:
            col = norm[name]
            overall = float(col.mean())
            means = col.groupby(seg).mean()
            self.imputation_[name] = [
                float(means[s]) if s in means.index and pd.notna(means[s]) else overall
                for s in range(_N_SEGMENTS)
            ]

    def _impute(self, norm: pd.DataFrame) -> pd.DataFrame:
        if self.config.missing != "segment" or not self.imputation_:
            return norm
        out = norm.copy()
        seg = self._segments(norm)
        for name, table in self.imputation_.items():
            fill = np.asarray(table)[seg]
            col = out[name].to_numpy()
            out[name] = np.where(np.isnan(col), fill, col)
        return out

    # -- scoring --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if "weighting_" not in self.__dict__:
            msg = "This LoyaltyScorecard is not fitted yet; call fit() or load a fitted state."
            raise NotFittedError(msg)

    def score(
        self,
        transactions: Any,
        surveys: Any = None,
        *,
        interactions: Any = None,
        observation_end: Any = None,
        date_format: str | None = None,
        nan_policy: str = "raise",
        partitioned_by_customer: bool = False,
    ) -> ScorecardResult:
        """Score customers with everything that was fitted.

        Parameters
        ----------
        transactions, surveys, interactions, date_format, nan_policy
            As in :meth:`fit`; the customers may differ from those of the fit. Without
            surveys (interactions), survey (interaction) indicators are missing for everybody
            and handled by the ``missing`` rule; every fitted state (model parameters,
            normaliser knots, weights, imputation values, tier cut-offs) is used unchanged.
        observation_end
            End of the window scored. Default: the fitted ``observation_end_`` (never the
            batch's own last purchase, which would differ between batches); transactions
            after it are refused, so pass the date explicitly when scoring a later window.
            Required for a Dask frame.
        partitioned_by_customer
            Dask only: every customer's rows are in one partition already (customer-bucket
            files), so each partition is scored without a shuffle, after a lazy check.

        Returns
        -------
        ScorecardResult
            Per-customer table and base summary. For any subset of the customers, scoring
            the subset alone gives the same rows as scoring them in the whole base. For a
            Dask frame (transactions shuffled by customer, :meth:`score_bucket` per bucket)
            ``customers`` is a lazy Dask DataFrame with the columns and dtypes of the pandas
            result, and ``summary`` is added up from the buckets' totals (one pass).

        Raises
        ------
        NotFittedError
            Before :meth:`fit`.
        ValidationError
            Bad inputs; without ``observation_end``, purchases after the fitted one. A Dask
            frame without ``observation_end`` or with ``date_format`` / ``nan_policy="omit"``
            (prepare the columns first); ``partitioned_by_customer`` on a pandas table.
        PluginError
            A plugin metric raised an exception of its own.
        """
        check_flag(partitioned_by_customer, "partitioned_by_customer", func=f"{_FUNC}.score")
        if _engines.is_dask(transactions) or partitioned_by_customer:  # per customer bucket
            return _engines.score_scorecard(self, locals())  # type: ignore[no-any-return]
        self._check_fitted()
        end = self.observation_end_ if observation_end is None else observation_end
        try:
            inputs, unmatched = self._inputs(
                transactions, surveys, interactions, end, date_format, nan_policy
            )
        except ValidationError as exc:
            if observation_end is None and str(exc).startswith("No purchases on or before"):
                msg = (
                    f"{_FUNC}.score: every transaction falls after the fitted observation_end "
                    f"{self.observation_end_.date()}, which scoring uses when observation_end= "
                    "is not given.\nHint: pass observation_end= for the window you want to "
                    "score."
                )
                raise ValidationError(msg) from None
            raise
        window = inputs["_window"]
        if observation_end is None and window is not None and window.n_excluded:
            msg = (
                f"{_FUNC}.score: {window.n_excluded} transactions fall after the fitted "
                f"observation_end {self.observation_end_.date()}, which scoring uses when "
                "observation_end= is not given.\nHint: pass observation_end= for the window "
                "you want to score."
            )
            raise ValidationError(msg)
        return self._score_inputs(inputs, unmatched)

    def score_bucket(
        self,
        transactions: pd.DataFrame,
        surveys: pd.DataFrame | None = None,
        *,
        interactions: pd.DataFrame | None = None,
        observation_end: Any,
    ) -> ScorecardResult:
        """Score one customer bucket (every row of its customers) with the fitted state.

        A pure function of the fitted state and the bucket, for per-partition use (Dask
        ``map_partitions``, Spark ``applyInPandas``): ``observation_end`` is required, and
        the buckets' :attr:`ScorecardResult.totals` add up (``sum``) to the totals of the
        whole base, from which :meth:`ScorecardSummary.from_totals` builds the base summary.
        """
        self._check_fitted()
        if observation_end is None:
            msg = f"{_FUNC}.score_bucket needs observation_end= (the same for every bucket)."
            raise ValidationError(msg)
        inputs, unmatched = self._inputs(
            transactions, surveys, interactions, observation_end, None, "raise"
        )
        return self._score_inputs(inputs, unmatched)

    def _score_inputs(
        self,
        inputs: Mapping[str, Any],
        unmatched: int,
        computed: _Computed | None = None,
    ) -> ScorecardResult:
        names = list(self.active_)
        by_name = {i.name: i for i in self.config.indicators}
        if computed is None:
            raw = self._raw([by_name[n] for n in names], inputs, self.metric_states_)
            norm = self._impute(_normalise(raw, self.normalisers_))
            comp, contrib = self.weighting_.apply(norm)
        else:  # fit_score: the indicators and composite of the fit, with what it learned
            raw, norm, comp, contrib = computed
        sv = inputs.get("_raw_surveys")
        if (  # no answer matches, and the id types differ: a lost join, not another batch
            sv is not None
            and inputs.get("_n_answers", 0) > 0
            and unmatched == inputs["_n_answers"]
            and sv[SURVEY_CUSTOMER].dtype.kind != inputs["summary"].index.dtype.kind
        ):
            self._no_survey_match(sv, inputs["summary"])
        codes = self.tiers_.codes(comp)
        answered = _answered(raw.index, inputs["surveys"])
        # the table in one construction (a column inserted at a time costs a block each);
        # a later key of the same name replaces the earlier value in place, as insertion did
        columns: dict[Hashable, Any] = {c: raw[c].to_numpy() for c in raw.columns}
        for n in names:
            columns[f"norm_{n}"] = norm[n].to_numpy()
        for j, n in enumerate(names):
            columns[f"contrib_{n}"] = contrib[:, j]
        columns["composite"] = comp
        # QuantileTiers.assign of the codes already computed
        columns["tier"] = pd.Categorical.from_codes(
            codes, dtype=_tier_dtype(tuple(self.tiers_.labels))
        )
        columns["answered_survey"] = answered
        table = pd.DataFrame(columns, index=raw.index)
        totals = self._totals(inputs, raw, comp, answered, codes, unmatched)
        vp = self.__dict__.get("value_potential_")
        if vp is not None:
            _potential.apply(vp, self.config, inputs, raw, table, totals)
        end = pd.Timestamp(inputs["observation_end"])
        return ScorecardResult(
            customers=table,
            summary=ScorecardSummary.from_totals(totals, end),
            weights=self.weighting_.weights_.copy(),
            observation_end=end,
            totals=totals,
        )

    def fit_score(
        self,
        transactions: Any,
        surveys: Any = None,
        *,
        interactions: Any = None,
        observation_end: Any = None,
        date_format: str | None = None,
        nan_policy: str = "raise",
        progress: bool = False,
    ) -> ScorecardResult:
        """Fit on the data and score the same customers, building inputs and indicators once.

        Parameters are those of :meth:`fit`; ``progress=True`` shows a progress bar.
        """
        progress = check_flag(progress, "progress", func=f"{_FUNC}.fit_score")
        labels = ["inputs", "fit", "score"]
        with steps(labels, enabled=progress, desc="fit_score") as step:
            step("inputs")
            inputs, unmatched = self._inputs(
                transactions, surveys, interactions, observation_end, date_format, nan_policy
            )
            step("fit")
            computed = self._fit_inputs(inputs, unmatched)
            step("score")
            return self._score_inputs(inputs, unmatched, computed)

    def _options(self, name: str) -> Mapping[str, Any]:
        for ind in self.config.indicators:
            if ind.name == name:
                return ind.options
        return {}

    def _totals(
        self,
        inputs: Mapping[str, Any],
        raw: pd.DataFrame,
        comp: FloatArray,
        answered: npt.NDArray[np.bool_],
        codes: npt.NDArray[np.int64],
        unmatched: int,
    ) -> SummaryTotals:
        """Return the counts and sums of this batch, from which the base summary is built.

        ``raw`` holds the raw indicators, ``comp`` the composite and ``answered`` the
        ``answered_survey`` flag of each customer of the summary, in its order.
        """
        from custloyalty.metrics import satisfaction_index

        summary = inputs["summary"]
        counts, untiered = tier_counts(codes, self.tiers_.labels)
        finite = np.isfinite(comp)
        freq = summary["frequency"].to_numpy()
        totals = SummaryTotals(
            tier_labels=tuple(self.tiers_.labels),
            customers=len(comp),
            respondents=int(answered.sum()),
            repeat_customers=int((freq > 0).sum()),
            purchase_days_sum=float((freq + 1.0).sum()),
            total_spend_sum=float(summary["total_amount"].sum()),
            composite_sum=float(comp[finite].sum()),
            composite_n=int(finite.sum()),
            tier_counts=counts,
            untiered=untiered,
        )
        if "churn_risk" in raw:
            totals.churn_risk_sum = float(raw["churn_risk"].sum())
        sv = inputs["surveys"]
        if sv is not None:
            # the answers of this batch's customers: _inputs kept only those
            totals.survey_answers_without_transactions = unmatched
            col = self._options("recommendation").get("column", "recommend")
            totals.nps_counts = (0, 0, 0)
            if col in sv and sv[col].notna().any():
                cats = nps_category(sv[col], nan_policy="omit").value_counts()
                totals.nps_counts = (
                    int(cats.get("promoter", 0)),
                    int(cats.get("passive", 0)),
                    int(cats.get("detractor", 0)),
                )
            items = self._options("satisfaction").get("items", ("sat1", "sat2", "sat3"))
            items = [items] if isinstance(items, str) else list(items)  # as the indicator
            # items nobody in this batch answered take no part, as in the indicator
            sat_cols = [c for c in items if c in sv and sv[c].notna().any()]
            if len(sv) and all(c in sv for c in items) and sat_cols:
                scale = self._options("satisfaction").get("scale", (1, 10))
                si = satisfaction_index(sv, columns=sat_cols, scale=scale, nan_policy="omit")
                per = si.per_respondent.to_numpy(dtype=np.float64)
                per = per[np.isfinite(per)]
                totals.satisfaction_sum = float(per.sum())
                totals.satisfaction_n = int(per.size)
        return totals

    # -- saved state ----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Return the configuration as a JSON-safe dict (accepted by :meth:`from_dict`)."""
        return self.config.to_dict()

    def to_dict(self) -> dict[str, Any]:
        """Return header, configuration and fitted state as a JSON-safe dict.

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
        from custloyalty.scorecard._saved import dump

        return dump(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoyaltyScorecard:
        """Rebuild a scorecard from :meth:`to_dict`, validating the whole fitted block.

        A mapping holding only settings (the keys of :meth:`get_config`, as a TOML or YAML
        config file gives them) is accepted too.

        Raises
        ------
        ValidationError
            Unknown settings (with a close-match hint); a saved state of another kind or an
            unknown ``format_version``; a fitted block with a missing or malformed entry
            (the message names the key: weights not finite, negative or not summing to 1,
            an indicator without normaliser or weight, an unknown normaliser direction,
            unsorted knots, the wrong number of tier cut-offs...).
        """
        from custloyalty.scorecard._saved import load

        return load(cls, data)

    def __repr__(self) -> str:
        cfg = self.config
        names = ", ".join(i.name for i in cfg.indicators)
        w = cfg.weighting if isinstance(cfg.weighting, str) else "fixed"
        state = "fitted" if "weighting_" in self.__dict__ else "not fitted"
        return (
            f"LoyaltyScorecard(indicators=[{names}], normalisation={cfg.normalisation!r}, "
            f"weighting={w!r}, tiers={list(cfg.tiers['labels'])}, {state})"
        )

    def _repr_html_(self) -> str:
        import html

        parts = [f"<p><code>{html.escape(repr(self))}</code></p>"]
        if "weighting_" in self.__dict__:
            table = pd.DataFrame(
                {
                    "weight": self.weighting_.weights_,
                    "normalisation": [self.normalisers_[n].method for n in self.active_],
                    "direction": [self.normalisers_[n].direction for n in self.active_],
                }
            )
            parts.append(table.to_html(float_format=lambda v: f"{v:.4f}"))
            tiers = pd.DataFrame(
                {"lower bound": [*self.tiers_.thresholds_, float("nan")]},
                index=pd.Index(self.tiers_.labels, name="tier"),
            )
            parts.append(tiers.to_html(float_format=lambda v: f"{v:.3f}", na_rep="-"))
        return "\n".join(parts)


class _Computed(NamedTuple):
    """What fitting computed on the fitted customers, scored again by ``fit_score``."""

    raw: pd.DataFrame
    """Raw indicators."""
    norm: pd.DataFrame
    """Normalised indicators (imputed under ``missing="segment"``)."""
    composite: FloatArray
    """Composite of each customer."""
    contributions: FloatArray
    """Contribution of each indicator (one column per indicator)."""


def _answered(index: pd.Index, surveys: pd.DataFrame | None) -> npt.NDArray[np.bool_]:
    """Return ``index.isin(surveys' customer ids)``: which customers answered a survey.

    The answers are those of the summary's customers (:meth:`LoyaltyScorecard._inputs`
    keeps no other), so each answer's customer is looked up in the summary's index (whose
    hash table pandas keeps) instead of hashing every answer's id to test every customer.
    """
    if surveys is None:
        return np.zeros(len(index), bool)
    ids = surveys[SURVEY_CUSTOMER]
    if index.is_unique:
        pos = index.get_indexer(pd.Index(ids))
        if (pos >= 0).all():
            out = np.zeros(len(index), bool)
            out[pos] = True
            return out
    return np.asarray(index.isin(ids), dtype=bool)


@functools.lru_cache(maxsize=16)
def _tier_dtype(labels: tuple[str, ...]) -> pd.CategoricalDtype:
    """Return the ``tier`` column's dtype: the labels as ordered categories, best first."""
    return pd.CategoricalDtype(list(labels), ordered=True)


def _warn_constant(raw: pd.DataFrame) -> None:
    """Warn about indicators with one value for every fitted customer (no information)."""
    flat = []
    for name in raw.columns:  # a handful of indicators
        x = raw[name].to_numpy(dtype=np.float64)
        x = x[np.isfinite(x)]
        if x.size >= 2 and x.min() == x.max():
            flat.append(f"{name!r} ({x.size} customers, all {x[0]:g})")
    if flat:
        warnings.warn(
            f"{_FUNC}: indicators {', '.join(flat)} have the same value for every fitted "
            "customer; they cannot rank customers (entropy and CRITIC weighting give them "
            "weight 0, fixed weights spend theirs on a constant).\nHint: check the input "
            "columns behind them, or drop them from the scorecard.",
            UndefinedMetricWarning,
            stacklevel=4,
        )


def _normalise(raw: pd.DataFrame, normalisers: Mapping[str, Normaliser]) -> pd.DataFrame:
    return pd.DataFrame(
        {c: normalisers[c].apply(raw[c].to_numpy()) for c in raw.columns}, index=raw.index
    )


class _MissingColumnAsError:
    """Name the indicator in errors raised inside a metric.

    A ``KeyError`` becomes a ValidationError naming the missing column; any other exception
    of a plugin (not one of ours) becomes a :class:`~custloyalty.errors.PluginError` naming
    the plugin, with the original exception chained.
    """

    def __init__(self, metric: Metric, inputs: Mapping[str, Any]) -> None:
        self.metric, self.inputs = metric, inputs

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        metric, inputs = self.metric, self.inputs
        if (
            isinstance(exc, Exception)
            and not isinstance(exc, KeyError | CustLoyaltyError)
            and metric.origin != "builtin"
        ):
            # a plugin's own failure: say which indicator raised it (the cause stays chained)
            msg = (
                f"Indicator {metric.name!r} ({metric.origin}) raised "
                f"{type(exc).__name__}: {exc}\nHint: test the metric with "
                "custloyalty.testing.check_metric on the same inputs."
            )
            raise PluginError(msg) from exc
        if not isinstance(exc, KeyError):
            return
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

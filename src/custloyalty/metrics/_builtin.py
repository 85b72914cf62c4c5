"""Built-in indicators of the loyalty evaluation system, registered in the metric registry.

They follow the plugin convention (see :mod:`custloyalty.metrics._registry`): customer-level
functions of the customer ``summary`` (durations in days) or of the ``surveys`` table (one row
per answer with a ``customer_id`` column), returning a Series indexed by customer.

Each entry is a thin adapter over a public function: it picks the columns of the scorecard's
summary (validated once, when the scorecard built it) and calls the arithmetic of that
function (its kernel), naming the result. No indicator computes anything of its own:
``purchase_days`` is :func:`~custloyalty.metrics.purchase_days`, ``purchase_rate``
:func:`~custloyalty.metrics.purchase_rate` per year, ``total_spend`` the ``total_amount``
of :func:`~custloyalty.rfm_summary`, ``average_order_value``
:func:`~custloyalty.metrics.order_value`, ``days_since_last_purchase``
:func:`~custloyalty.metrics.days_since_last_purchase`, ``churn_risk`` the model's
``churn_risk`` (one minus ``p_alive``), ``clv`` :func:`~custloyalty.models.clv`, ``satisfaction``
:func:`~custloyalty.metrics.satisfaction_index`, ``recommendation`` and ``nps``
:func:`~custloyalty.metrics.nps`, ``repeat_purchase_rate``
:func:`~custloyalty.metrics.repeat_purchase_rate`.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from custloyalty import _frames
from custloyalty._validation import check_option
from custloyalty._window import TIME_UNITS
from custloyalty.errors import ValidationError
from custloyalty.metrics._churn import _hiatus
from custloyalty.metrics._frequency import _days, _rate, _repeat_result
from custloyalty.metrics._inputs import SURVEY_CUSTOMER
from custloyalty.metrics._monetary import _average_order_value
from custloyalty.metrics._params import check_count
from custloyalty.metrics._recommendation import nps
from custloyalty.metrics._registry import Metric, _alias, _builtin
from custloyalty.metrics._satisfaction import satisfaction_index

__all__: list[str] = []

_WEEK = 7.0


def _need(frame: pd.DataFrame | None, columns: Sequence[Hashable], what: str) -> pd.DataFrame:
    if frame is None:
        msg = f"The {what} indicator needs survey answers; pass surveys= to the scorecard."
        raise ValidationError(msg)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        msg = (
            f"The {what} indicator needs survey columns {missing!r}; the surveys have "
            f"{list(frame.columns)[:12]!r}. Configure its 'items' / 'column' option."
        )
        raise ValidationError(msg)
    return frame


def frequency(summary: pd.DataFrame) -> pd.Series:
    """Purchase frequency, :func:`custloyalty.metrics.purchase_days` of the summary.

    $F_i$ = number of calendar days on which customer $i$ bought, ``frequency + 1`` of
    :func:`custloyalty.rfm_summary` (Hughes 1994, *Strategic Database Marketing*).

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import metrics, rfm_summary
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 30.0, 20.0, 5.0],
    ...                    "date": ["2024-01-01", "2024-01-11", "2024-03-01", "2024-02-01"]})
    >>> summary = rfm_summary(tx, observation_end="2024-03-31")
    >>> metrics.get("purchase_days").compute({"summary": summary}).to_dict()
    {1: 3.0, 2: 1.0}
    """
    days = _days(summary["frequency"].to_numpy(dtype=np.float64))
    return pd.Series(days, index=summary.index, name="purchase_days")


def purchase_rate(summary: pd.DataFrame) -> pd.Series:
    """Repeat purchase days per year, :func:`custloyalty.metrics.purchase_rate` with ``"Y"``.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import metrics, rfm_summary
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 30.0, 20.0, 5.0],
    ...                    "date": ["2024-01-01", "2024-01-11", "2024-03-01", "2024-02-01"]})
    >>> summary = rfm_summary(tx, observation_end="2024-03-31")
    >>> metrics.get("purchase_rate").compute({"summary": summary}).round(3).to_dict()
    {1: 8.117, 2: 0.0}
    """
    t = summary["T"].to_numpy(dtype=np.float64)
    f = summary["frequency"].to_numpy(dtype=np.float64)
    return pd.Series(_rate(f, t, TIME_UNITS["Y"]), index=summary.index, name="purchase_rate")


def monetary(summary: pd.DataFrame) -> pd.Series:
    """Monetary value: total spend in the observation window (sum of amounts).

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import metrics, rfm_summary
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 30.0, 20.0, 5.0],
    ...                    "date": ["2024-01-01", "2024-01-11", "2024-03-01", "2024-02-01"]})
    >>> summary = rfm_summary(tx, observation_end="2024-03-31")
    >>> metrics.get("total_spend").compute({"summary": summary}).to_dict()
    {1: 60.0, 2: 5.0}
    """
    return summary["total_amount"].astype(np.float64).rename("total_spend")


def average_order_value(summary: pd.DataFrame) -> pd.Series:
    """Average order value of :func:`custloyalty.metrics.order_value` (orders = rows).

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import metrics, rfm_summary
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 30.0, 20.0, 5.0],
    ...                    "date": ["2024-01-01", "2024-01-11", "2024-03-01", "2024-02-01"]})
    >>> summary = rfm_summary(tx, observation_end="2024-03-31")
    >>> metrics.get("average_order_value").compute({"summary": summary}).to_dict()
    {1: 20.0, 2: 5.0}
    """
    aov = _average_order_value(
        summary["total_amount"].to_numpy(dtype=np.float64), summary["n_purchases"].to_numpy()
    )
    return pd.Series(aov, index=summary.index, name="average_order_value")


def recency(summary: pd.DataFrame) -> pd.Series:
    """Days since the last purchase, :func:`custloyalty.metrics.days_since_last_purchase`.

    Lower is better.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import metrics, rfm_summary
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 30.0, 20.0, 5.0],
    ...                    "date": ["2024-01-01", "2024-01-11", "2024-03-01", "2024-02-01"]})
    >>> summary = rfm_summary(tx, observation_end="2024-03-31")
    >>> metrics.get("days_since_last_purchase").compute({"summary": summary}).to_dict()
    {1: 30.0, 2: 59.0}
    """
    hiatus = _hiatus(
        summary["recency"].to_numpy(dtype=np.float64), summary["T"].to_numpy(dtype=np.float64)
    )
    return pd.Series(hiatus, index=summary.index, name="days_since_last_purchase")


def _weeks(summary: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "frequency": summary["frequency"].to_numpy(),
            "recency": summary["recency"].to_numpy(dtype=np.float64) / _WEEK,
            "T": summary["T"].to_numpy(dtype=np.float64) / _WEEK,
            "monetary": summary["monetary"].to_numpy(dtype=np.float64),
        },
        index=summary.index,
    )


CHURN_MODELS = ("pareto_nbd", "bg_nbd")


def _churn_model(model: str) -> Any:
    from custloyalty.models import get_model

    check_option(model, "model", CHURN_MODELS, func="the churn indicator")
    return get_model(model)  # the model registry, by name


def _state_entry(state: Any, key: str, indicator: str) -> Any:
    """``state[key]``, or our error when a fitted state given to an indicator lacks it."""
    if not isinstance(state, dict) or key not in state:
        msg = (
            f"the {indicator} indicator: its fitted state has no {key!r} (got "
            f"{state!r:.80}); it scores with the model it fitted.\nHint: pass the state its "
            "fit step returned, or state=None to fit on the data given."
        )
        raise ValidationError(msg)
    return state[key]


def _model_of(value: Any, cls: Any) -> Any:
    """Return the fitted model object (kept during a fit) or rebuild it from its saved dict."""
    return value if isinstance(value, cls) else cls.from_dict(value)


#: Largest number of customers the churn and CLV models are fitted on; larger bases are
#: fitted on a seeded random subsample of this size (the parameters describe the population,
#: and 25,000 customers pin them down well), then applied to every customer.
MAX_FIT_CUSTOMERS = 25_000


def _sample_rows(n_observed: int, max_customers: int, seed: int | None) -> Any:
    """Positions (among the customers with ``T > 0``) the models are fitted on."""
    max_customers = check_count(
        max_customers, "max_fit_customers", func="the churn_risk / clv indicator", low=1
    )
    if n_observed <= max_customers:
        return slice(None)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_observed, size=max_customers, replace=False))


def _nobody_observed(n: int, indicator: str) -> ValidationError:
    """Return the error of a fit whose customers all first bought on the window's last day."""
    msg = (
        f"the {indicator} indicator: all {n:,} customers made their first purchase on the last "
        "day of the observation window (T = 0), so none has been observed long enough for a "
        "transaction model to be fitted."
        "\nHint: set observation_end after the first purchases, or leave this indicator out "
        "of the scorecard."
    )
    return ValidationError(msg)


def _fit_sample(
    weeks: pd.DataFrame, max_customers: int, seed: int | None = None, *, indicator: str
) -> pd.DataFrame:
    if len(weeks) and not (weeks["T"] > 0).any():
        raise _nobody_observed(len(weeks), indicator)
    weeks = weeks[weeks["T"] > 0]
    sample: pd.DataFrame = weeks.iloc[_sample_rows(len(weeks), max_customers, seed)]
    return sample


def _rft_weeks(summary: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series] | None:
    """Return ``frequency``, ``recency`` and ``T`` in weeks for a transaction model, or None.

    The columns of :func:`_weeks` as Series labelled by customer, for the models' array
    input: the same values and the same checks as the table :func:`_weeks` builds (the
    models validate arrays and tables by the same rules, and label the examples of their
    errors by the Series' index), without building and re-validating a table. None when a
    column is not plain finite numbers or the summary is empty: the caller passes the
    table then, so such a summary gets exactly the table's messages.
    """
    f = summary["frequency"].to_numpy()
    r = summary["recency"].to_numpy(dtype=np.float64) / _WEEK
    t = summary["T"].to_numpy(dtype=np.float64) / _WEEK
    if (
        f.size == 0
        or f.dtype.kind not in "iuf"
        or not (np.isfinite(f).all() and np.isfinite(r).all() and np.isfinite(t).all())
    ):
        return None
    index = summary.index
    return (
        pd.Series(f, index=index, name="frequency", copy=False),
        pd.Series(r, index=index, name="recency", copy=False),
        pd.Series(t, index=index, name="T", copy=False),
    )


def _observed(
    rft: tuple[pd.Series, pd.Series, pd.Series], rows: Any
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Select ``rows`` (positions or a boolean mask) of the three columns of :func:`_rft_weeks`."""
    f, r, t = rft
    return f.iloc[rows], r.iloc[rows], t.iloc[rows]


def _fit_churn(
    summary: pd.DataFrame,
    *,
    model: str = "pareto_nbd",
    max_fit_customers: int = MAX_FIT_CUSTOMERS,
    seed: int | None = None,
) -> dict[str, Any]:
    cls = _churn_model(model)
    rft = _rft_weeks(summary)
    if rft is not None:
        pos = np.flatnonzero(rft[2].to_numpy() > 0)
        if pos.size:
            f, r, t = _observed(rft, pos[_sample_rows(pos.size, max_fit_customers, seed)])
            return {"model": cls().fit(frequency=f, recency=r, T=t, time_unit="W")}
    weeks = _fit_sample(_weeks(summary), max_fit_customers, seed, indicator="churn_risk")
    return {"model": cls().fit(weeks, time_unit="W")}


def churn(
    summary: pd.DataFrame,
    state: dict[str, Any] | None = None,
    *,
    model: str = "pareto_nbd",
    max_fit_customers: int = MAX_FIT_CUSTOMERS,
) -> pd.Series:
    r"""Churn risk: probability the customer is no longer active, $1 - P(\text{alive})$.

    The transaction model is fitted on the base (in weeks) when the scorecard is fitted:
    Pareto/NBD by default (Schmittlein, Morrison & Colombo 1987; Fader, Hardie & Lee 2005),
    whose $P(\text{alive})$ falls with the time since the last purchase for one-time buyers
    too; ``model="bg_nbd"`` uses BG/NBD (Fader, Hardie & Lee 2005), under which a customer
    without repeat purchases is always alive. Customers observed for zero time have risk 0.
    Bases larger than ``max_fit_customers`` (default 25,000) are fitted on a seeded random
    subsample of that size; P(alive) is then computed for every customer.

    Examples
    --------
    >>> from custloyalty import metrics, rfm_summary
    >>> from custloyalty.datasets import load_cdnow
    >>> summary = rfm_summary(load_cdnow("sample"), observation_end="1997-09-30")
    >>> churn = metrics.get("churn_risk")
    >>> state = churn.fit_state({"summary": summary})  # Pareto/NBD, in weeks
    >>> {k: round(v, 3) for k, v in state["model"].params_.items()}
    {'r': 0.553, 'alpha': 10.578, 's': 0.606, 'beta': 11.669}
    >>> churn.compute({"summary": summary, "state": state}).head(3).round(3).to_dict()
    {1: 0.131, 2: 0.832, 3: 0.705}
    """
    cls = _churn_model(model)
    fitted = (
        _model_of(_state_entry(state, "model", "churn_risk"), cls)
        if state is not None
        else _fit_churn(summary, model=model, max_fit_customers=max_fit_customers)["model"]
    )
    rft = _rft_weeks(summary)
    if rft is None:
        weeks = _weeks(summary)
        pos = weeks["T"].to_numpy() > 0
    else:
        pos = rft[2].to_numpy() > 0
    risk = np.zeros(len(pos))  # customers observed for zero time: no risk yet
    if pos.any():
        if rft is None:
            value = fitted.churn_risk(weeks[pos])
        else:
            f, r, t = _observed(rft, pos)
            value = fitted.churn_risk(frequency=f, recency=r, T=t)
        risk[pos] = value.to_numpy(dtype=np.float64)
    return pd.Series(risk, index=summary.index, name="churn_risk")


def _fit_clv(
    summary: pd.DataFrame,
    *,
    months: int = 12,
    max_fit_customers: int = MAX_FIT_CUSTOMERS,
    seed: int | None = None,
) -> dict[str, Any]:
    from custloyalty.models import get_model

    weeks = _fit_sample(_weeks(summary), max_fit_customers, seed, indicator="clv")
    return {
        "transactions": get_model("bg_nbd")().fit(weeks, time_unit="W"),
        # GammaGamma.fit_rows is the one rule for $0 repeat spend: left out of the fit
        "spend": get_model("gamma_gamma")().fit(weeks),
    }


def clv(
    summary: pd.DataFrame,
    state: dict[str, Any] | None = None,
    *,
    months: int = 12,
    max_fit_customers: int = MAX_FIT_CUSTOMERS,
) -> pd.Series:
    r"""Return the customer lifetime value, expected discounted spend over ``months``.

    BG/NBD purchases times Gamma-Gamma spend, discounted at $d = 1\%$ a month,
    $\mathrm{CLV}_i = \sum_{k=1}^{K} E[\Delta X_{ik}]\,E[M_i] / (1 + d)^k$ (Fader, Hardie &
    Lee 2005; Fader & Hardie 2013). Repeat customers whose repeat purchases cost nothing follow
    the spend model's rule (:meth:`custloyalty.models.GammaGamma.fit_rows`: left out of its
    fit, valued at its limit).

    Examples
    --------
    >>> from custloyalty import metrics, rfm_summary
    >>> from custloyalty.datasets import load_cdnow
    >>> summary = rfm_summary(load_cdnow("sample"), observation_end="1997-09-30")
    >>> value = metrics.get("clv")
    >>> state = value.fit_state({"summary": summary})  # BG/NBD and Gamma-Gamma
    >>> value.compute({"summary": summary, "state": state}).head(3).round(2).to_dict()
    {1: 36.3, 2: 4.64, 3: 8.35}
    """
    from custloyalty.models import clv as model_clv
    from custloyalty.models import get_model

    st = state if state is not None else _fit_clv(summary, max_fit_customers=max_fit_customers)
    for key in ("transactions", "spend"):
        _state_entry(st, key, "clv")
    bg = _model_of(st["transactions"], get_model("bg_nbd"))
    gg = _model_of(st["spend"], get_model("gamma_gamma"))
    weeks = _weeks(summary)
    out = np.zeros(len(weeks))
    pos = weeks["T"].to_numpy() > 0
    if pos.any():
        value = model_clv(bg, gg, weeks[pos], horizon=months, time_unit="W")
        out[pos] = value.to_numpy(dtype=np.float64)
    return pd.Series(out, index=summary.index, name="clv")


def _per_customer(values: pd.Series, customers: pd.Series, name: str) -> pd.Series:
    out = values.groupby(customers.to_numpy(), sort=True).mean()
    out.index.name = None
    return out.rename(name)


def satisfaction(
    surveys: pd.DataFrame | None,
    *,
    items: Sequence[Hashable] = ("sat1", "sat2", "sat3"),
    scale: Sequence[float] = (1, 10),
) -> pd.Series:
    r"""Satisfaction index (0-100, ACSI-style) per customer, mean over their answers.

    $SI_i = 100 \sum_k w_k (x_{ik} - \min) / ((\max - \min) \sum_k w_k)$ with equal
    weights (Fornell et al. 1996, *Journal of Marketing* 60(4)), over the items the
    respondent answered. ``items`` names the columns (one name alone is one item); an item
    nobody in the table answered takes no part, and a table without any answer leaves every
    customer without the indicator.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import metrics
    >>> surveys = pd.DataFrame({"customer_id": [1, 1, 2], "sat1": [10, 8, 4], "sat2": [9, 8, 5],
    ...                         "sat3": [10, 7, 4], "recommend": [10, 8, 3]})
    >>> metrics.get("satisfaction").compute({"surveys": surveys}).round(2).to_dict()
    {1: 85.19, 2: 37.04}
    """
    if isinstance(items, str) or not isinstance(items, Iterable):
        items = [items]  # one item named alone, not its characters
    items = list(items)
    if not items:
        msg = "The 'items' option of the satisfaction indicator must name at least one column."
        raise ValidationError(msg)
    df = _need(surveys, [SURVEY_CUSTOMER, *items], "satisfaction")
    # an item nobody in this table answered takes no part (each respondent's index is over
    # the items they answered); with no answer at all, every customer lacks the indicator
    answered = [c for c in items if df[c].notna().any()]
    if not answered:
        return pd.Series(dtype=np.float64, name="satisfaction")
    bounds: Any = scale  # checked by satisfaction_index: a (min, max) pair of numbers
    res = satisfaction_index(df, columns=answered, scale=bounds, nan_policy="omit")
    return _per_customer(res.per_respondent, df[SURVEY_CUSTOMER], "satisfaction")


def recommendation(surveys: pd.DataFrame | None, *, column: Hashable = "recommend") -> pd.Series:
    """Likelihood to recommend (0-10) per customer, mean over their answers.

    The question behind the Net Promoter Score (Reichheld 2003, *Harvard Business Review*
    81(12)); the base-level NPS is the ``nps`` metric.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import metrics
    >>> surveys = pd.DataFrame({"customer_id": [1, 1, 2], "sat1": [10, 8, 4], "sat2": [9, 8, 5],
    ...                         "sat3": [10, 7, 4], "recommend": [10, 8, 3]})
    >>> metrics.get("recommendation").compute({"surveys": surveys}).to_dict()
    {1: 9.0, 2: 3.0}
    """
    df = _need(surveys, [SURVEY_CUSTOMER, column], "recommendation")
    vals, _ = _frames.numeric_columns(
        df,
        [column],
        nan_policy="omit",
        bounds=(0, 10),
        integer=True,
        func="the recommendation indicator",
        name="surveys",
    )
    return _per_customer(vals[column], df[SURVEY_CUSTOMER], "recommendation")


def net_promoter_score(surveys: pd.DataFrame | None, *, column: Hashable = "recommend") -> float:
    """Net Promoter Score of the base, % promoters (9-10) - % detractors (0-6).

    Reichheld (2003), *Harvard Business Review* 81(12); see :func:`custloyalty.metrics.nps`.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import metrics
    >>> surveys = pd.DataFrame({"customer_id": [1, 1, 2], "sat1": [10, 8, 4], "sat2": [9, 8, 5],
    ...                         "sat3": [10, 7, 4], "recommend": [10, 8, 3]})
    >>> metrics.get("nps").compute({"surveys": surveys})  # 1 promoter, 1 detractor of 3
    0.0
    """
    df = _need(surveys, [column], "nps")
    return float(nps(df[column], nan_policy="omit").score)


def churn_rate(
    summary: pd.DataFrame,
    state: dict[str, Any] | None = None,
    *,
    model: str = "pareto_nbd",
    max_fit_customers: int = MAX_FIT_CUSTOMERS,
) -> float:
    r"""Return the expected share of the base that has churned (mean churn risk).

    The mean over customers of the ``churn`` indicator, $1 - P(\text{alive})$.

    Examples
    --------
    >>> from custloyalty import metrics, rfm_summary
    >>> from custloyalty.datasets import load_cdnow
    >>> summary = rfm_summary(load_cdnow("sample"), observation_end="1997-09-30")
    >>> rate = metrics.get("mean_churn_risk")
    >>> round(rate.compute({"summary": summary, "state": rate.fit_state({"summary": summary})}), 3)
    0.554
    """
    return float(churn(summary, state, model=model, max_fit_customers=max_fit_customers).mean())


def repeat_purchase_rate(summary: pd.DataFrame) -> float:
    """Share of customers who bought again, :func:`custloyalty.metrics.repeat_purchase_rate`.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import metrics, rfm_summary
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2], "amount": [10.0, 30.0, 20.0, 5.0],
    ...                    "date": ["2024-01-01", "2024-01-11", "2024-03-01", "2024-02-01"]})
    >>> summary = rfm_summary(tx, observation_end="2024-03-31")
    >>> metrics.get("repeat_purchase_rate").compute({"summary": summary})
    0.5
    """
    freq = summary["frequency"].to_numpy()
    return _repeat_result(freq, 0.95).statistic if freq.size else float("nan")


#: Former registry names, still accepted (deprecated): they clashed with the columns of
#: ``rfm_summary`` (frequency = x, recency = t_x, monetary = mean repeat spend) and with
#: :func:`custloyalty.metrics.churn_rate` (a period table).
ALIASES = {
    "frequency": "purchase_days",
    "monetary": "total_spend",
    "recency": "days_since_last_purchase",
    "churn": "churn_risk",
    "churn_rate": "mean_churn_risk",
}

for _m in (
    Metric("purchase_days", frequency),
    Metric("purchase_rate", purchase_rate),
    Metric("total_spend", monetary),
    Metric("average_order_value", average_order_value),
    Metric("days_since_last_purchase", recency, direction="lower"),
    Metric("churn_risk", churn, direction="lower", fit=_fit_churn),
    Metric("clv", clv, fit=_fit_clv),
    Metric("satisfaction", satisfaction, source="surveys"),
    Metric("recommendation", recommendation, source="surveys"),
    Metric("nps", net_promoter_score, level="base", source="surveys"),
    Metric("mean_churn_risk", churn_rate, level="base", direction="lower", fit=_fit_churn),
    Metric("repeat_purchase_rate", repeat_purchase_rate, level="base"),
):
    _builtin(_m)
for _old, _new in ALIASES.items():
    _alias(_old, _new)

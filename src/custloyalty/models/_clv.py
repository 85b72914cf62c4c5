r"""Customer lifetime value from a transaction model and a spend model."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import pandas as pd

from custloyalty._frames import as_frame
from custloyalty._validation import (
    check_discount_rate,
    check_nan_policy,
    check_option,
    check_positive,
)
from custloyalty.errors import ValidationError
from custloyalty.models._base import _compress, _refuse_bool, _rft_inputs
from custloyalty.models._gamma_gamma import GammaGamma
from custloyalty.summary import TIME_UNITS

__all__ = ["clv"]

#: Longest horizon of :func:`clv` in months (100 years): one model evaluation per month, and
#: a horizon typed in days or weeks by mistake would run for minutes.
_MAX_MONTHS = 1200

#: Length of a month in days (the unit of ``horizon`` and ``discount_rate`` in :func:`clv`).
_MONTH_DAYS = 365.25 / 12.0


class _TransactionModelLike(Protocol):
    def expected_purchases(
        self,
        horizon: Any,
        data: Any = ...,
        *,
        frequency: Any = ...,
        recency: Any = ...,
        T: Any = ...,
    ) -> pd.Series: ...


def clv(
    transaction_model: _TransactionModelLike,
    spend_model: GammaGamma,
    data: Any,
    /,
    *,
    horizon: int = 12,
    discount_rate: float = 0.01,
    time_unit: str | None = None,
    margin: float = 1.0,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    monetary: str = "monetary",
    nan_policy: str = "raise",
) -> pd.Series:
    r"""Return each customer's discounted expected value over the next ``horizon`` months.

    Combines a fitted transaction model (:class:`BetaGeo` or :class:`ParetoNBD`: how many
    purchases, given the history) with a fitted :class:`GammaGamma` (how much per purchase),
    the approach of lifetimes' ``customer_lifetime_value``. See the *Churn and value models*
    guide.

    Parameters
    ----------
    transaction_model
        Fitted model with ``expected_purchases(horizon, frequency=, recency=, T=)``.
    spend_model
        Fitted :class:`GammaGamma`.
    data
        Customer summary with frequency, recency, T and monetary columns (e.g.
        :func:`custloyalty.rfm_summary`), one row per customer.
    horizon
        Length of the prediction in months (integer from 1 to 1200), default 12. (Months
        whatever the time unit: the discount rate is monthly.)
    discount_rate
        Monthly discount rate, a fraction in [0, 1) (default 0.01, i.e. about 12.7% a year;
        1 or more is refused as a rate given in percent).
    time_unit
        Time unit of the summary and the transaction model: ``"D"``, ``"W"``, ``"M"``,
        ``"Q"``, ``"Y"`` or ``"h"`` (as in :func:`custloyalty.rfm_summary`); a month is
        365.25/12 days. Default: the model's ``time_unit_`` (set by its fit); required when
        the model does not know it.
    margin
        Profit margin applied to spend, a fraction in (0, 1] (default 1: revenue); more
        than 1 is refused as a margin given in percent.
    frequency, recency, T, monetary
        Column names in ``data``. ``monetary`` is not used (and may be missing) where
        ``frequency`` is 0: those customers get the population mean spend.
    nan_policy
        ``"raise"`` (default) on missing values the models need, or ``"omit"``: those
        customers get NaN.

    Returns
    -------
    pandas.Series
        ``clv`` >= 0 per customer, aligned to the index of ``data``, in the currency of
        ``monetary``; increasing in ``horizon`` and ``margin``, decreasing in
        ``discount_rate``. A repeat customer whose repeat purchases cost $0 gets the spend
        model's limit (:meth:`GammaGamma.fit_rows`, the one rule for $0 repeat spend).

    Raises
    ------
    NotFittedError
        A model is not fitted.
    ValidationError
        Invalid summary or options (a ``margin`` above 1), models of the wrong kind (or
        classes instead of fitted models), or a time unit that is unknown or contradicts
        the transaction model's.

    See Also
    --------
    BetaGeo.expected_purchases, GammaGamma.expected_spend

    Notes
    -----
    With :math:`u` the number of model time units in a month, :math:`d` the monthly discount
    rate, :math:`m` the margin and :math:`E[Y_i(t)]` the expected purchases of customer
    :math:`i` in the next :math:`t` units,

    $$\mathrm{CLV}_i = m\,E[Z_i]\sum_{k=1}^{\text{horizon}}
    \frac{E[Y_i(k u)] - E[Y_i((k-1) u)]}{(1+d)^{k}}$$

    where :math:`E[Z_i]` is the Gamma-Gamma conditional mean spend. Purchases of month
    :math:`k` are discounted as if paid at its end. lifetimes uses :math:`u = 4.345` weeks
    (instead of :math:`30.4375/7 = 4.348`) and 30 days per month, so its values differ by
    about 0.1%. Identical (frequency, recency, T) rows are evaluated once.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). RFM and CLV: Using iso-value curves
    for customer base analysis. *Journal of Marketing Research*, 42(4), 415-430.
    https://doi.org/10.1509/jmkr.2005.42.4.415

    Examples
    --------
    >>> from custloyalty import rfm_summary
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.models import BetaGeo, GammaGamma, clv
    >>> summary = rfm_summary(load_cdnow("sample"), observation_end="1997-09-30", time_unit="W")
    >>> bg, gg = BetaGeo().fit(summary, time_unit="W"), GammaGamma().fit(summary)
    >>> bg.time_unit_  # the unit of the summary, used by clv
    'W'
    >>> clv(bg, gg, summary, horizon=12, discount_rate=0.01).round(2).head(3)
    customer_id
    1    36.30
    2     4.64
    3     8.35
    Name: clv, dtype: float64
    """
    func = "clv"
    for name, given_model in (
        ("transaction_model", transaction_model),
        ("spend_model", spend_model),
    ):
        if isinstance(given_model, type):
            msg = (
                f"The '{name}' parameter of clv must be a fitted model, not the class "
                f"{given_model.__name__}.\nHint: pass {given_model.__name__}().fit(summary)."
            )
            raise ValidationError(msg)
    if not callable(getattr(transaction_model, "expected_purchases", None)):
        msg = (
            "The 'transaction_model' parameter of clv must be a fitted transaction model "
            "(BetaGeo, ParetoNBD) with expected_purchases(horizon, ...); got "
            f"{type(transaction_model).__name__}."
        )
        raise ValidationError(msg)
    given: object = spend_model  # checked at run time (a common mix-up of the two models)
    if not isinstance(given, GammaGamma):
        msg = (
            "The 'spend_model' parameter of clv must be a fitted GammaGamma; got "
            f"{type(given).__name__}."
        )
        raise ValidationError(msg)
    policy = check_nan_policy(nan_policy, func=func)
    check_fitted = getattr(transaction_model, "_check_fitted", None)
    if callable(check_fitted):
        check_fitted()
    spend_model._check_fitted()
    if (
        isinstance(horizon, bool)
        or not isinstance(horizon, int | np.integer)
        or not 1 <= horizon <= _MAX_MONTHS
    ):
        msg = (
            "The 'horizon' parameter of clv must be an integer number of months from 1 to "
            f"{_MAX_MONTHS} (100 years); got {horizon!r:.40}."
        )
        if isinstance(horizon, int | np.integer) and horizon > _MAX_MONTHS:
            msg += "\nHint: horizon counts months, not days or weeks."
        raise ValidationError(msg)
    _refuse_bool(discount_rate, "discount_rate", func=func)
    _refuse_bool(margin, "margin", func=func)
    d = check_discount_rate(discount_rate, func=func)
    mg = check_positive(margin, "margin", func=func)
    if mg > 1.0:
        msg = (
            f"The 'margin' parameter of clv is the profit margin as a fraction of spend, in "
            f"(0, 1]; got {mg:g}, more profit than revenue.\nHint: pass margin={mg / 100:g} "
            f"for {mg:g}%."
        )
        raise ValidationError(msg)
    model_unit = getattr(transaction_model, "time_unit_", None)
    if time_unit is None and model_unit is None:
        msg = (
            "clv needs the time unit of the summary: the transaction model does not know it "
            "(fitted on arrays, or rebuilt from parameters without time_unit).\nHint: pass "
            "time_unit='W' (or the unit of recency and T)."
        )
        raise ValidationError(msg)
    unit = str(
        check_option(
            model_unit if time_unit is None else time_unit,
            "time_unit",
            tuple(TIME_UNITS),
            func=func,
        )
    )
    if model_unit is not None and unit != model_unit:
        msg = (
            f"clv: time_unit={unit!r}, but the transaction model was fitted in "
            f"{model_unit!r}.\nHint: drop time_unit= or refit the model in {unit!r}."
        )
        raise ValidationError(msg)
    per_month = _MONTH_DAYS / TIME_UNITS[unit]
    df = as_frame(data)
    rft = _rft_inputs(df, frequency=frequency, recency=recency, T=T, nan_policy=policy, func=func)
    spend = spend_model.expected_spend(
        df, frequency=frequency, monetary=monetary, nan_policy=policy
    ).to_numpy()
    ok = ~rft.missing  # omitted customers: evaluate a placeholder history, return NaN
    rows, _, inverse = _compress(
        np.where(ok, rft.frequency, 0.0), np.where(ok, rft.recency, 0.0), np.where(ok, rft.T, 1.0)
    )
    f_u, r_u, t_u = rows[:, 0], rows[:, 1], rows[:, 2]
    months = np.arange(1, int(horizon) + 1)
    total = np.zeros(rows.shape[0])
    previous = np.zeros(rows.shape[0])
    for k in months:  # a loop over months (<= horizon), vectorised over customers
        cum = transaction_model.expected_purchases(
            float(k * per_month), frequency=f_u, recency=r_u, T=t_u
        ).to_numpy()
        total += (cum - previous) / (1.0 + d) ** k
        previous = cum
    value = np.where(ok, mg * spend * total[inverse], np.nan)  # spend is NaN where omitted
    return pd.Series(value, index=df.index, name="clv")

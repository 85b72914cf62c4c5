r"""Model checks: calibration vs holdout, expected vs actual cumulative repeat purchases."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Protocol

import numpy as np
import pandas as pd

from custloyalty._frames import as_frame, coerce_timestamp, numeric_columns
from custloyalty._validation import check_nan_policy, check_option
from custloyalty._window import TIME_UNITS, day_of, observe
from custloyalty.errors import ValidationError
from custloyalty.models._base import RFT, _check_rule, _compress, _rft_inputs

__all__ = ["calibration_holdout", "cumulative_purchases"]


class _Conditional(Protocol):
    def expected_purchases(
        self,
        horizon: Any,
        data: Any = ...,
        *,
        frequency: Any = ...,
        recency: Any = ...,
        T: Any = ...,
    ) -> pd.Series: ...


class _Unconditional(Protocol):
    def expected_purchases_new(self, horizon: Any) -> Any: ...


def _check_model(model: Any, method: str, *, func: str) -> None:
    """Refuse a model without ``method`` (GammaGamma, ShiftedBetaGeo), a class, or not fitted."""
    if isinstance(model, type):
        msg = (
            f"The 'model' parameter of {func} must be a fitted model, not the class "
            f"{model.__name__}.\nHint: pass {model.__name__}().fit(summary)."
        )
        raise ValidationError(msg)
    if not callable(getattr(model, method, None)):
        msg = (
            f"The 'model' parameter of {func} must be a fitted transaction model (BetaGeo, "
            f"ParetoNBD) with {method}(...); got {type(model).__name__}."
        )
        raise ValidationError(msg)
    check_fitted = getattr(model, "_check_fitted", None)
    if callable(check_fitted):
        check_fitted()


def calibration_holdout(
    model: _Conditional,
    data: Any,
    /,
    *,
    max_frequency: int = 7,
    frequency: Hashable = "frequency",
    recency: Hashable = "recency",
    T: Hashable = "T",
    frequency_holdout: Hashable = "frequency_holdout",
    duration_holdout: Hashable = "duration_holdout",
    nan_policy: str = "raise",
) -> pd.DataFrame:
    r"""Compare expected and actual holdout purchases, by number of calibration purchases.

    The classic check of a fitted transaction model (Fader, Hardie & Lee 2005, Figure 4):
    customers are grouped by their repeat purchases in the calibration period, and the mean
    number of purchases they actually made in the holdout period is set against the model's
    conditional expectation given their calibration history.

    Parameters
    ----------
    model
        Fitted transaction model (:class:`BetaGeo`, :class:`ParetoNBD`).
    data
        Calibration/holdout summary, e.g. ``rfm_summary(tx, calibration_end=...,
        observation_end=...)``.
    max_frequency
        Calibration frequencies from ``max_frequency`` up are pooled in the last group
        (default 7, shown as "7+"); an integer >= 1 (Python or numpy).
    frequency, recency, T, frequency_holdout, duration_holdout
        Column names in ``data``.
    nan_policy
        ``"raise"`` (default) on missing values, or ``"omit"`` the customers holding one.

    Returns
    -------
    pandas.DataFrame
        Indexed by calibration ``frequency`` 0 .. ``max_frequency`` (the last row holds
        ``max_frequency`` or more; groups without customers are left out), with columns
        ``n_customers``, ``actual`` (mean holdout purchases), ``expected`` (mean conditional
        expectation over the holdout duration), both >= 0.

    Raises
    ------
    NotFittedError
        The model is not fitted.
    ValidationError
        Missing columns or invalid values (a non-integer ``frequency_holdout``), or a model
        without ``expected_purchases`` (e.g. :class:`GammaGamma`).

    See Also
    --------
    cumulative_purchases, custloyalty.plotting.plot_calibration_holdout

    Notes
    -----
    For group :math:`g` with customers :math:`i \in g` and holdout length :math:`t^*_i`,

    $$\text{actual}_g = \frac{1}{|g|}\sum_{i\in g} x^*_i,\qquad
    \text{expected}_g = \frac{1}{|g|}\sum_{i\in g} E[Y(t^*_i)\mid x_i, t_{x,i}, T_i].$$

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way:
    An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    https://doi.org/10.1287/mksc.1040.0098

    Examples
    --------
    >>> from custloyalty import rfm_summary
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.models import BetaGeo, calibration_holdout
    >>> s = rfm_summary(load_cdnow("sample"), calibration_end="1997-09-30",
    ...                 observation_end="1998-06-30", time_unit="W")
    >>> bg = BetaGeo().fit(s)
    >>> calibration_holdout(bg, s).round(2).head(3)
               n_customers  actual  expected
    frequency
    0                 1411    0.24      0.23
    1                  439    0.70      0.52
    2                  214    1.39      1.04
    """
    func = "calibration_holdout"
    _check_model(model, "expected_purchases", func=func)
    if (
        isinstance(max_frequency, bool | np.bool_)
        or not isinstance(max_frequency, int | np.integer)
        or max_frequency < 1
    ):
        msg = (
            f"The 'max_frequency' parameter of {func} must be an integer >= 1; "
            f"got {max_frequency!r}."
        )
        raise ValidationError(msg)
    policy = check_nan_policy(nan_policy, func=func)
    df = as_frame(data)
    rft = _rft_inputs(df, frequency=frequency, recency=recency, T=T, nan_policy=policy, func=func)
    hold, hold_missing = numeric_columns(
        df,
        [frequency_holdout, duration_holdout],
        nan_policy=policy,
        func=func,
        bounds=(0.0, np.inf),
    )
    x_star = hold[frequency_holdout].to_numpy()
    t_star = hold[duration_holdout].to_numpy()
    whole = np.where(hold_missing, 0.0, x_star)
    _check_rule(
        whole != np.floor(whole),
        str(frequency_holdout),
        "non-integer",
        df.index,
        x_star,
        hint="frequency_holdout counts the repeat purchases (days) in the holdout period.",
    )
    keep = ~(rft.missing | hold_missing)
    if not keep.all():
        if not keep.any():
            msg = f"{func}: no customer left after omitting missing values."
            raise ValidationError(msg)
        rft = RFT(
            frequency=rft.frequency[keep],
            recency=rft.recency[keep],
            T=rft.T[keep],
            index=rft.index[keep],
            missing=rft.missing[keep],
        )
        x_star, t_star = x_star[keep], t_star[keep]
    if np.unique(t_star).size == 1:  # the usual case: evaluate once per unique history
        key_rows, _, inv2 = _compress(rft.frequency, rft.recency, rft.T)
        e_u = model.expected_purchases(
            float(t_star[0]),
            frequency=key_rows[:, 0],
            recency=key_rows[:, 1],
            T=key_rows[:, 2],
        ).to_numpy()
        expected = e_u[inv2]
    else:
        expected = model.expected_purchases(
            t_star, frequency=rft.frequency, recency=rft.recency, T=rft.T
        ).to_numpy()
    group = np.minimum(rft.frequency, max_frequency).astype(np.int64)
    # bins up to the largest group present, not max_frequency: a max_frequency of 10**9
    # would allocate gigabytes for groups that are dropped anyway
    size = int(group.max()) + 1
    n = np.bincount(group, minlength=size)
    act = np.bincount(group, weights=x_star, minlength=size)
    exp = np.bincount(group, weights=expected, minlength=size)
    present = n > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {"n_customers": n, "actual": act / n, "expected": exp / n},
            index=pd.Index(np.arange(size), name="frequency"),
        )
    out = out.loc[present]
    out.attrs["custloyalty"] = {"max_frequency": int(max_frequency)}
    return out


def cumulative_purchases(
    model: _Unconditional,
    transactions: Any,
    /,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    time_unit: str | None = None,
    observation_end: Any = None,
    calibration_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    r"""Compare expected and actual cumulative repeat purchases over calendar time.

    The aggregate check of Fader, Hardie & Lee (2005, Figure 2): each customer enters at her
    first purchase; the model's unconditional expectation :math:`E[X(t)]` for a customer of
    age :math:`t`, summed over customers, tracks the cumulative number of repeat purchase
    days actually observed.

    Parameters
    ----------
    model
        Fitted transaction model with ``expected_purchases_new(t)``, in ``time_unit``.
    transactions
        One row per purchase (customer id and date columns), or a transaction window already
        observed (used without validating again).
    customer, time
        Column names.
    time_unit
        Period length and the model's time unit: ``"D"``, ``"W"``, ``"M"``, ... (see
        :func:`custloyalty.rfm_summary`). Default: the model's ``time_unit_`` (set by its fit),
        or ``"W"`` when the model does not know it; a unit other than the model's is refused.
    observation_end
        Last day of the comparison (inclusive); defaults to the last purchase day.
    calibration_end
        Optional end of the calibration period; flags the periods after it (``holdout``).
    date_format
        Format of date strings (default: inferred from the first date, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates.

    Returns
    -------
    pandas.DataFrame
        One row per period ``1, 2, ...`` since the first purchase day (index ``period``),
        columns ``date`` (last day of the period), ``actual`` and ``expected`` cumulative
        repeat purchases (non-decreasing, >= 0) and ``holdout`` (bool).

    Raises
    ------
    NotFittedError
        The model is not fitted.
    ValidationError
        Invalid transactions or options, a model without ``expected_purchases_new`` (e.g.
        :class:`GammaGamma`), or a ``time_unit`` other than the model's.

    See Also
    --------
    calibration_holdout, custloyalty.plotting.plot_cumulative_purchases

    Notes
    -----
    With :math:`s_i` the first purchase day of customer :math:`i`, :math:`e_k` the last day of
    period :math:`k` and :math:`u` the unit length in days,

    $$\text{expected}_k = \sum_{i:\, s_i \le e_k} E\!\left[X\!\left(\frac{e_k - s_i}{u}\right)
    \right].$$

    Repeat purchases are counted as purchase days after the first, like ``frequency`` in
    :func:`custloyalty.rfm_summary`, from the same transaction window (one entry per customer
    and calendar day).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way:
    An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    https://doi.org/10.1287/mksc.1040.0098

    Examples
    --------
    >>> from custloyalty import rfm_summary
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.models import BetaGeo, cumulative_purchases
    >>> tx = load_cdnow("sample")
    >>> bg = BetaGeo().fit(rfm_summary(tx, observation_end="1997-09-30", time_unit="W"))
    >>> cum = cumulative_purchases(bg, tx, calibration_end="1997-09-30",
    ...                            observation_end="1998-06-30")
    >>> cum.loc[[39, 78], ["actual", "expected"]].round(0)
            actual  expected
    period
    39      2457.0    2494.0
    78      4339.0    4161.0
    """
    func = "cumulative_purchases"
    _check_model(model, "expected_purchases_new", func=func)
    model_unit = getattr(model, "time_unit_", None)
    given = time_unit if time_unit is not None else model_unit or "W"
    unit = check_option(given, "time_unit", tuple(TIME_UNITS), func=func)
    if model_unit is not None and unit != model_unit:
        msg = (
            f"{func}: time_unit={unit!r}, but the model was fitted in {model_unit!r}: its "
            f"expectations are per {model_unit!r}.\nHint: pass time_unit={model_unit!r}."
        )
        raise ValidationError(msg)
    u = TIME_UNITS[unit]
    w = observe(
        transactions,
        customer=customer,
        time=time,
        amount=None,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
    )
    cd = w.entries
    first_mask = np.empty(len(cd), dtype=bool)
    first_mask[0] = True
    np.not_equal(cd.customer[1:], cd.customer[:-1], out=first_mask[1:])
    first_days = cd.day[first_mask]
    repeat_days = np.sort(cd.day[~first_mask])
    start = int(first_days.min())
    end = w.observation_end
    n_periods = int(np.floor((end - start + 1) / u))
    if n_periods < 1:
        msg = f"{func}: the data span less than one {unit!r} period up to observation_end."
        raise ValidationError(msg)
    k = np.arange(1, n_periods + 1)
    period_end = start + np.floor(k * u).astype(np.int64) - 1
    actual = np.searchsorted(repeat_days, period_end, side="right").astype(np.float64)
    cohort_day, cohort_n = np.unique(first_days, return_counts=True)
    age = (period_end[:, None] - cohort_day[None, :]) / u
    alive = age >= 0
    e = np.zeros(age.shape)
    vals = model.expected_purchases_new(age[alive])
    e[alive] = np.asarray(vals, dtype=np.float64)
    expected = e @ cohort_n.astype(np.float64)
    dates = pd.to_datetime(period_end.astype("datetime64[D]"))
    if calibration_end is None:
        holdout = np.zeros(n_periods, dtype=bool)
    else:
        cal_day = day_of(coerce_timestamp(calibration_end, "calibration_end", tz=w.tz, func=func))
        holdout = period_end > cal_day
    return pd.DataFrame(
        {"date": dates, "actual": actual, "expected": expected, "holdout": holdout},
        index=pd.Index(k, name="period"),
    )

"""Purchase frequency: counts per period, purchase rates, inter-purchase intervals, repeat rate.

Every function that reads raw transactions observes them once through
:func:`custloyalty._window.observe` (validation, day numbers, the cut at ``observation_end``
and one entry per customer and calendar day); a window already observed is used as it is.
The per-customer and per-period figures are reductions of those entries (runs, ``bincount``,
``reduceat``), so there is no loop over customers or rows.

The private helpers at the top (calendar periods, summary input) are shared with
:mod:`custloyalty.metrics._monetary` and :mod:`custloyalty.metrics._churn`.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _engines, _frames
from custloyalty._results import Result
from custloyalty._stats import wilson_interval
from custloyalty._validation import check_option, check_probability
from custloyalty._window import (
    TIME_UNITS,
    CustomerDays,
    Window,
    named_index,
    observe,
    per_customer,
    period_codes,
    period_index,
    period_start,
)
from custloyalty.errors import ValidationError

__all__ = [
    "RepeatPurchaseResult",
    "interpurchase_intervals",
    "purchase_days",
    "purchase_frequency",
    "purchase_rate",
    "repeat_purchase_rate",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Calendar periods accepted by the ``period`` options: pandas period aliases.
PERIODS = ("D", "W", "M", "Q", "Y")


# --------------------------------------------------------------------------------------------
# shared private helpers
# --------------------------------------------------------------------------------------------
# calendar periods of day numbers: the window's (one place for the calendar arithmetic)
_period_codes = period_codes
_period_start = period_start
_period_index = period_index


def _customer_period_runs(cd: CustomerDays, pcode: IntArray) -> IntArray:
    """Start positions of the (customer, period) runs of the sorted customer-day entries."""
    m = len(cd)
    new = np.empty(m, dtype=bool)
    new[0] = True
    np.not_equal(cd.customer[1:], cd.customer[:-1], out=new[1:])
    new[1:] |= pcode[1:] != pcode[:-1]
    return np.flatnonzero(new)


def _run_lengths(starts: IntArray, m: int) -> IntArray:
    out = np.empty(starts.shape[0], dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=out[:-1])
    out[-1] = m - starts[-1]
    return out


SUMMARY_COLUMNS = ("frequency", "recency", "T")


def _check_period(period: str, func: str) -> str:
    return check_option(period, "period", PERIODS, func=func)


def _is_summary(
    data: Any, customer: Hashable, time: Hashable, columns: tuple[str, ...] = SUMMARY_COLUMNS
) -> bool:
    """Whether ``data`` is a customer summary rather than transactions.

    A summary carries ``columns`` (``frequency``, ``recency``, ``T``). Transactions that
    carry them too (a summary joined onto the purchases) are still transactions when they
    have the ``customer`` and ``time`` columns: their purchases are counted, not the joined
    columns.
    """
    if not isinstance(data, pd.DataFrame):
        return False
    names = set(data.columns)
    return set(columns) <= names and not {customer, time} <= names


def _summary_unit(summary: pd.DataFrame, func: str) -> float:
    """Length in days of the unit of a summary's ``recency`` / ``T`` columns (from its attrs)."""
    recorded = summary.attrs.get("custloyalty")
    unit = recorded.get("time_unit") if isinstance(recorded, dict) else None
    if unit is None:
        msg = (
            f"{func} got a customer summary without its time unit.\n"
            "Hint: pass the output of rfm_summary (or the transactions), which records it, or "
            "record the unit of its recency and T columns yourself: "
            "summary.attrs['custloyalty'] = {'time_unit': 'D'} (or 'W', ...)."
        )
        raise ValidationError(msg)
    check_option(unit, "time_unit recorded in the summary", tuple(TIME_UNITS), func=func)
    return TIME_UNITS[unit]


def _summary_options(
    summary: pd.DataFrame, observation_end: Any, date_format: str | None, func: str
) -> None:
    """Refuse the options of transactions given with a customer summary.

    A summary is already cut at its own observation end: ``observation_end`` would be
    silently ignored (the numbers of another window). It is accepted when it is the
    summary's recorded end; ``date_format`` (for date strings) has nothing to read.
    """
    if date_format is not None:
        msg = (
            f"{func}: 'date_format' reads the dates of transactions; got a customer summary, "
            "which has none.\nHint: leave date_format out, or pass the transactions."
        )
        raise ValidationError(msg)
    if observation_end is None:
        return
    recorded = summary.attrs.get("custloyalty")
    end = recorded.get("observation_end") if isinstance(recorded, dict) else None
    try:
        same = end is not None and pd.Timestamp(observation_end).date() == pd.Timestamp(end).date()
    except (TypeError, ValueError):
        same = False
    if not same:
        built = f"built up to {end}" if end is not None else "built for its own window"
        msg = (
            f"{func}: 'observation_end' ({observation_end!r}) applies to transactions; the "
            f"customer summary passed was {built} and cannot be cut again.\nHint: pass the "
            "transactions with observation_end=..., or rebuild the summary with "
            "rfm_summary(transactions, observation_end=...)."
        )
        raise ValidationError(msg)


def _summary_numeric(data: Any, columns: list[str], *, integer: bool, func: str) -> pd.DataFrame:
    """Validate numeric columns of a customer summary (float64 copies, the summary untouched).

    ``integer=True`` also requires whole numbers >= 0 (counts such as ``frequency``). A
    summary has no ``nan_policy`` (the functions' option applies to transactions): missing
    values raise with a hint that fits. A customer listed twice in the index (a summary
    concatenated with itself, say) would be counted twice: refused.
    """
    if isinstance(data, pd.DataFrame):
        _frames.check_unique_index(
            data.index,
            "the summary",
            func=func,
            hint="a customer summary has one row per customer; drop the duplicates, e.g. "
            "summary[~summary.index.duplicated()].",
        )
    cols, _ = _frames.numeric_columns(
        data,
        columns,
        nan_policy="raise",
        func=func,
        name="summary",
        integer=integer,
        bounds=(0.0, np.inf) if integer else None,
        missing_hint="drop or fill these customers of the summary first (nan_policy applies "
        "to transactions, not to a summary).",
    )
    return cols


def _summary_columns(
    data: Any,
    *,
    customer: Hashable,
    time: Hashable,
    observation_end: Any,
    date_format: str | None,
    nan_policy: str,
    func: str,
) -> tuple[pd.Index, FloatArray, FloatArray, FloatArray]:
    """Return the customer index, ``frequency``, ``recency`` and ``T`` (in days).

    ``data`` is a customer summary (its unit read from its ``attrs``), a window, or
    transactions (observed once).
    """
    if _is_summary(data, customer, time):
        _summary_options(data, observation_end, date_format, func)
        unit = _summary_unit(data, func)
        freq = _summary_numeric(data, ["frequency"], integer=True, func=func)[
            "frequency"
        ].to_numpy()
        cols = _summary_numeric(data, ["recency", "T"], integer=False, func=func)
        # summaries count whole days: undo the unit conversion exactly
        rec = np.rint(cols["recency"].to_numpy() * unit)
        t_obs = np.rint(cols["T"].to_numpy() * unit)
        bad = (freq < 0) | (rec < 0) | (rec > t_obs)
        if bad.any():
            pos = np.flatnonzero(bad)
            msg = (
                f"The summary passed to {func} has {pos.size} rows violating frequency >= 0 "
                f"and 0 <= recency <= T (rows {', '.join(str(i) for i in data.index[pos][:5])})."
            )
            raise ValidationError(msg)
        return data.index, freq, rec, t_obs
    w = observe(
        data,
        customer=customer,
        time=time,
        amount=None,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
    )
    agg = per_customer(w.entries)
    freq = (agg["n_days"] - 1).astype(np.float64)
    rec = (agg["last"] - agg["first"]).astype(np.float64)
    t_obs = (w.observation_end - agg["first"]).astype(np.float64)
    return w.customers, freq, rec, t_obs


# --------------------------------------------------------------------------------------------
# kernels: the arithmetic of the public functions, over validated columns (the registry's
# adapters call them on the scorecard's validated summary)
# --------------------------------------------------------------------------------------------
def _rate(freq: FloatArray, t_obs: FloatArray, unit_days: float) -> FloatArray:
    """Repeat purchase days per ``unit_days`` of tenure (0 when ``T = 0``)."""
    rate = np.zeros(freq.shape[0], dtype=np.float64)
    np.divide(freq * unit_days, t_obs, out=rate, where=t_obs > 0)
    return rate


def _days(freq: FloatArray) -> FloatArray:
    """Distinct purchase days, the first one plus the repeat purchase days ``x``."""
    return np.asarray(freq, dtype=np.float64) + 1.0


def _repeat_result(freq: npt.NDArray[Any], conf: float) -> RepeatPurchaseResult:
    """Share of customers with a repeat purchase day, with its Wilson interval."""
    n = int(freq.shape[0])
    if n == 0:
        msg = "repeat_purchase_rate got no customers: the rate of an empty base is undefined."
        raise ValidationError(msg)
    k = int(np.count_nonzero(freq >= 1))
    p = k / n
    ci = wilson_interval(k, n, conf)
    return RepeatPurchaseResult(statistic=p, n_repeaters=k, n_customers=n, ci=ci, confidence=conf)


# --------------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------------
def purchase_frequency(
    transactions: Any,
    /,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    period: str = "M",
    observation_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    r"""Purchase counts of every customer in every calendar period (long form).

    Counts how often each customer bought in each calendar period (week, month, ...), as
    transactions and as distinct purchase days. See the guide *Customer summary and behavioural
    indicators*.

    Parameters
    ----------
    transactions
        One row per purchase (pandas DataFrame, or anything with ``to_pandas()``).
    customer, time
        Column names of the customer id and the purchase date/time.
    period
        Calendar period: ``"D"`` day, ``"W"`` week (Monday to Sunday), ``"M"`` month
        (default), ``"Q"`` quarter or ``"Y"`` year.
    observation_end
        Last day included (whole calendar day); later purchases are left out. Defaults to
        the day of the last purchase.
    date_format
        Format of date strings (default: inferred from the first date, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates.

    Returns
    -------
    pandas.DataFrame
        Long form, indexed by (customer, ``period``) with a row for every customer-period
        holding at least one purchase, sorted by customer then period. Columns:

        * ``n_purchases``: transactions (rows) in the period, >= 1;
        * ``purchase_days``: distinct calendar days with a purchase, ``1 <= purchase_days <=
          n_purchases``;
        * ``purchases_per_day``: ``purchase_days`` divided by the number of days of the period
          (the last period counts only its days up to ``observation_end``), in (0, 1].

        The customer x period matrix is ``result["purchase_days"].unstack(fill_value=0)``.

    Raises
    ------
    ValidationError
        Invalid table, unknown ``period``, or no purchase up to ``observation_end``.

    See Also
    --------
    purchase_rate : one rate per customer over the whole window.
    custloyalty.metrics.churn_rate : customers active in consecutive periods.

    Notes
    -----
    With :math:`D_{ip}` the set of distinct days on which customer :math:`i` bought in period
    :math:`p`, :math:`N_{ip}` their number of transactions and :math:`L_p` the number of
    observed days of the period,

    $$\text{purchase\_days}_{ip} = |D_{ip}|,\qquad
    \text{purchases\_per\_day}_{ip} = |D_{ip}| / L_p .$$

    Purchases on one calendar day count once, as in the customer summary of Fader, Hardie and
    Lee (2005).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way:
    An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    https://doi.org/10.1287/mksc.1040.0098

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import purchase_frequency
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2, 2],
    ...     "date": ["2024-01-03", "2024-01-03", "2024-01-20", "2024-01-05", "2024-02-10"],
    ... })
    >>> purchase_frequency(tx, observation_end="2024-02-29")[["n_purchases", "purchase_days"]]
                         n_purchases  purchase_days
    customer_id period
    1           2024-01            3              2
    2           2024-01            1              1
                2024-02            1              1
    """
    if _engines.is_dask(transactions):  # per customer bucket, or refused with the way round
        return _engines.on_dask(purchase_frequency, locals())  # type: ignore[no-any-return]
    func = "purchase_frequency"
    _check_period(period, func)
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
    pcode = _period_codes(cd.day, period)
    starts = _customer_period_runs(cd, pcode)
    days_in = _run_lengths(starts, len(cd))
    n_purchases = np.add.reduceat(cd.count, starts)
    codes = pcode[starts]
    first = _period_start(codes, period)
    last = np.minimum(_period_start(codes + 1, period) - 1, w.observation_end)
    length = (last - first + 1).astype(np.float64)
    index = pd.MultiIndex.from_arrays(
        [
            named_index(cd.customers[cd.customer[starts]], w.customer),
            _period_index(codes, period),
        ]
    )
    out = pd.DataFrame(
        {
            "n_purchases": n_purchases,
            "purchase_days": days_in,
            "purchases_per_day": days_in / length,
        },
        index=index,
    )
    out.attrs["custloyalty"] = _report(w, period=period)
    return out


def _report(w: Window, **extra: Any) -> dict[str, Any]:
    return w.report(**extra)


def purchase_days(
    data: Any,
    /,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    observation_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.Series:
    r"""Distinct calendar days on which each customer bought in the observation window.

    The purchase-frequency indicator of the scorecard (``purchase_days``): the first purchase
    day plus the repeat purchase days ``frequency`` of :func:`custloyalty.rfm_summary`.

    Parameters
    ----------
    data
        Transactions (one row per purchase) or a customer summary from
        :func:`custloyalty.rfm_summary` (columns ``frequency``, ``recency``, ``T``).
    customer, time
        Column names for transactions.
    observation_end
        End of the observation window for transactions (default: the last purchase day).
        A summary is already cut: only its own recorded end is accepted (another raises).
    date_format
        Format of date strings of transactions (default: inferred, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates (transactions).

    Returns
    -------
    pandas.Series
        ``purchase_days`` per customer, >= 1 (float), higher means more frequent buying.

    Raises
    ------
    ValidationError
        Invalid table or summary.

    See Also
    --------
    purchase_frequency : the same days counted per calendar period.
    purchase_rate : repeat purchase days per unit of tenure.

    Notes
    -----
    With :math:`x_i` the repeat purchase days of customer :math:`i` (several purchases on one
    calendar day count once, as in Fader, Hardie and Lee 2005),

    $$F_i = x_i + 1 .$$

    The frequency of RFM analysis (Hughes 1994) counted in days rather than orders.

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Chicago: Probus.

    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way:
    An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    https://doi.org/10.1287/mksc.1040.0098

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import purchase_days
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-10"],
    ... })
    >>> purchase_days(tx)
    customer_id
    1    2.0
    2    1.0
    Name: purchase_days, dtype: float64
    """
    if _engines.is_dask(data):  # per customer bucket, or refused with the way round
        return _engines.on_dask(purchase_days, locals())  # type: ignore[no-any-return]
    index, freq, _, _ = _summary_columns(
        data,
        customer=customer,
        time=time,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func="purchase_days",
    )
    return pd.Series(_days(freq), index=index, name="purchase_days")


def purchase_rate(
    data: Any,
    /,
    *,
    time_unit: str = "M",
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    observation_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.Series:
    r"""Repeat purchases per unit of time since each customer's first purchase.

    The customer's observed purchase rate: repeat purchase days divided by the time from the
    first purchase to the end of the observation window, the moment estimate of the Poisson
    purchase rate of the NBD family of models.

    Parameters
    ----------
    data
        Transactions (one row per purchase) or a customer summary from
        :func:`custloyalty.rfm_summary` (columns ``frequency``, ``recency``, ``T``).
    time_unit
        Unit of the rate: purchases per ``"D"`` day, ``"W"`` week, ``"M"`` month (default,
        30.4375 days), ``"Q"`` quarter or ``"Y"`` year.
    customer, time
        Column names for transactions.
    observation_end
        End of the observation window for transactions (default: the last purchase day).
        A summary is already cut: only its own recorded end is accepted (another raises).
    date_format
        Format of date strings of transactions (default: inferred, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates (transactions).

    Returns
    -------
    pandas.Series
        ``purchase_rate`` per customer (index of the summary), >= 0, higher means more
        frequent buying; 0 when ``T = 0`` (first purchase on the last day).

    Raises
    ------
    ValidationError
        Invalid table or summary, unknown unit, or a summary without a known time unit.

    See Also
    --------
    purchase_frequency : counts per calendar period.
    custloyalty.rfm_summary : the summary this rate is computed from.

    Notes
    -----
    With :math:`x_i` the number of repeat purchase days, :math:`T_i` the days from the first
    purchase to the observation end and :math:`u` the length of ``time_unit`` in days,

    $$\lambda_i = \frac{x_i}{T_i / u}\quad (0 \text{ if } T_i = 0).$$

    This is the maximum-likelihood rate of a Poisson process observed over :math:`(0, T_i]`
    after the first purchase (Ehrenberg 1959; Fader, Hardie and Lee 2005).

    References
    ----------
    Ehrenberg, A. S. C. (1959). The pattern of consumer purchases. *Journal of the Royal
    Statistical Society C*, 8(1), 26-41. https://doi.org/10.2307/2985810

    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way:
    An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    https://doi.org/10.1287/mksc.1040.0098

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import purchase_rate
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "date": ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-10"],
    ... })
    >>> purchase_rate(tx, time_unit="W", observation_end="2024-01-29")
    customer_id
    1    0.5
    2    0.0
    Name: purchase_rate, dtype: float64
    """
    if _engines.is_dask(data):  # per customer bucket, or refused with the way round
        return _engines.on_dask(purchase_rate, locals())  # type: ignore[no-any-return]
    func = "purchase_rate"
    check_option(time_unit, "time_unit", tuple(TIME_UNITS), func=func)
    index, freq, _, t_obs = _summary_columns(
        data,
        customer=customer,
        time=time,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
    )
    return pd.Series(_rate(freq, t_obs, TIME_UNITS[time_unit]), index=index, name="purchase_rate")


def interpurchase_intervals(
    transactions: Any,
    /,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    time_unit: str = "D",
    observation_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    r"""Statistics of the times between a customer's consecutive purchase days.

    Parameters
    ----------
    transactions
        One row per purchase (pandas DataFrame, or anything with ``to_pandas()``).
    customer, time
        Column names of the customer id and the purchase date/time.
    time_unit
        Unit of the intervals: ``"D"`` days (default), ``"W"`` weeks, ``"M"``, ``"Q"``,
        ``"Y"`` (days / 30.4375, 91.3125, 365.25) or ``"h"`` hours.
    observation_end
        Last day included (default: the last purchase day).
    date_format
        Format of date strings (default: inferred from the first date, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer (sorted), columns

        * ``n_intervals``: distinct purchase days - 1 (the summary's ``frequency``), >= 0;
        * ``mean``, ``median``: of the intervals, > 0 (NaN without an interval);
        * ``std``: sample standard deviation (``ddof=1``; NaN with fewer than 2 intervals);
        * ``cv``: coefficient of variation ``std / mean``, >= 0; near 0 for clockwork
          buyers, about 1 for Poisson (memoryless) buying, above 1 for bursts.

    Raises
    ------
    ValidationError
        Invalid table, unknown ``time_unit``, or no purchase up to ``observation_end``.

    See Also
    --------
    custloyalty.rfm_summary : ``recency / frequency`` is the mean interval.

    Notes
    -----
    With :math:`d_1 < \dots < d_n` the distinct purchase days of a customer, the intervals are
    :math:`\Delta_k = d_{k+1} - d_k`, :math:`k = 1..n-1`, and

    $$\bar\Delta = \frac{d_n - d_1}{n - 1},\qquad
    s = \sqrt{\frac{1}{n-2}\sum_k (\Delta_k - \bar\Delta)^2},\qquad
    \mathrm{CV} = s / \bar\Delta .$$

    For a Poisson purchase process the intervals are exponential, whose CV is 1 (Wu and Chen
    2000 discuss the inter-purchase time distribution of the NBD family).

    References
    ----------
    Wu, C., & Chen, H.-L. (2000). Counting your customers: Compounding customer's in-store
    decisions, interpurchase time and repurchasing behavior. *European Journal of Operational
    Research*, 127(1), 109-119. https://doi.org/10.1016/S0377-2217(99)00326-6

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import interpurchase_intervals
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2],
    ...     "date": ["2024-01-01", "2024-01-11", "2024-01-31", "2024-01-31", "2024-01-05"],
    ... })
    >>> interpurchase_intervals(tx).round(3)
                 n_intervals  mean  median     std     cv
    customer_id
    1                      2  15.0    15.0   7.071  0.471
    2                      0   NaN     NaN     NaN    NaN
    """
    if _engines.is_dask(transactions):  # per customer bucket, or refused with the way round
        return _engines.on_dask(interpurchase_intervals, locals())  # type: ignore[no-any-return]
    func = "interpurchase_intervals"
    check_option(time_unit, "time_unit", tuple(TIME_UNITS), func=func)
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
    k = len(cd.customers)
    unit = TIME_UNITS[time_unit]
    same = cd.customer[1:] == cd.customer[:-1]
    owner = cd.customer[1:][same]
    gaps = (cd.day[1:] - cd.day[:-1])[same].astype(np.float64) / unit
    n = np.bincount(owner, minlength=k)
    total = np.bincount(owner, weights=gaps, minlength=k)
    has = n > 0
    mean = np.full(k, np.nan)
    np.divide(total, n, out=mean, where=has)
    dev = gaps - mean[owner]
    ss = np.bincount(owner, weights=dev * dev, minlength=k)
    std = np.full(k, np.nan)
    two = n > 1
    np.divide(ss, n - 1, out=std, where=two)
    np.sqrt(std, out=std, where=two)
    cv = np.full(k, np.nan)
    np.divide(std, mean, out=cv, where=two & (mean > 0))
    # medians: sort the gaps within each customer (owners stay grouped, they are sorted)
    order = np.lexsort((gaps, owner))
    sorted_gaps = gaps[order]
    ends = np.cumsum(n)
    begin = ends - n
    median = np.full(k, np.nan)
    lo = begin[has] + (n[has] - 1) // 2
    hi = begin[has] + n[has] // 2
    median[has] = 0.5 * (sorted_gaps[lo] + sorted_gaps[hi])
    out = pd.DataFrame(
        {"n_intervals": n, "mean": mean, "median": median, "std": std, "cv": cv},
        index=w.customers,
    )
    out.attrs["custloyalty"] = _report(w, time_unit=time_unit)
    return out


@dataclass(frozen=True, slots=True)
class RepeatPurchaseResult(Result):
    """Share of customers who bought again, with its confidence interval."""

    statistic: float
    """The repeat purchase rate: share of customers with at least two purchase days, in
    [0, 1], higher is better."""
    n_repeaters: int
    """Customers with at least two distinct purchase days."""
    n_customers: int
    """Customers with at least one purchase in the window."""
    ci: tuple[float, float]
    """Wilson score confidence interval of ``statistic``."""
    confidence: float
    """Confidence level of ``ci``."""


def repeat_purchase_rate(
    data: Any,
    /,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    observation_end: Any = None,
    confidence: float = 0.95,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> RepeatPurchaseResult:
    r"""Share of the customer base that bought on at least two distinct days.

    Parameters
    ----------
    data
        Transactions (one row per purchase) or a customer summary with a ``frequency`` column
        (:func:`custloyalty.rfm_summary`).
    customer, time
        Column names for transactions.
    observation_end
        End of the observation window for transactions (default: the last purchase day).
        A summary is already cut: only its own recorded end is accepted (another raises).
    confidence
        Confidence level of the Wilson interval, in (0, 1); default 0.95.
    date_format
        Format of date strings (default: inferred from the first date, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates (transactions).

    Returns
    -------
    RepeatPurchaseResult
        ``statistic`` (the rate) in [0, 1] (higher: more customers came back), ``n_repeaters``,
        ``n_customers``, ``ci`` and ``confidence``.

    Raises
    ------
    ValidationError
        Invalid table or summary (``frequency`` must hold whole numbers >= 0, without missing
        values), or ``confidence`` outside (0, 1).

    See Also
    --------
    custloyalty.metrics.churn_rate : period-to-period retention.

    Notes
    -----
    With :math:`x_i` the repeat purchase days of customer :math:`i` among :math:`N`,

    $$\mathrm{RPR} = \frac{1}{N}\sum_i \mathbf{1}[x_i \ge 1],$$

    and the Wilson (1927) score interval
    :math:`\frac{\hat p + z^2/2N \pm z\sqrt{\hat p(1-\hat p)/N + z^2/4N^2}}{1 + z^2/N}`.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. *Journal of the American Statistical Association*, 22(158), 209-212.
    https://doi.org/10.1080/01621459.1927.10502953

    Examples
    --------
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.metrics import repeat_purchase_rate
    >>> r = repeat_purchase_rate(load_cdnow("sample"), observation_end="1997-09-30")
    >>> r.n_repeaters, r.n_customers, round(r.statistic, 3)
    (946, 2357, 0.401)
    """
    if _engines.is_dask(data):  # per customer bucket, or refused with the way round
        return _engines.on_dask(repeat_purchase_rate, locals())  # type: ignore[no-any-return]
    func = "repeat_purchase_rate"
    conf = check_probability(confidence, "confidence", func=func)
    if _is_summary(data, customer, time, ("frequency",)):
        _summary_options(data, observation_end, date_format, func)
        cols = _summary_numeric(data, ["frequency"], integer=True, func=func)
        freq = cols["frequency"].to_numpy()
    else:
        w = observe(
            data,
            customer=customer,
            time=time,
            amount=None,
            observation_end=observation_end,
            date_format=date_format,
            nan_policy=nan_policy,
            func=func,
        )
        freq = np.bincount(w.entries.customer, minlength=len(w.entries.customers)) - 1
    return _repeat_result(freq, conf)

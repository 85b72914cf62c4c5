"""Transactions -> one row per customer.

This module is where transactions become customers. The rows are validated and aggregated
once, by :func:`custloyalty._window.observe`, into *decomposable* per customer-day aggregates
(row count, amount sum per customer and calendar day); the summary reduces them per customer
with count / sum / min / max, so the same code can run partition by partition (Dask, Spark)
and combine: the customer-day aggregates of two chunks, combined, give exactly the summary of
the whole.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from custloyalty import _engines
from custloyalty._progress import steps
from custloyalty._validation import check_flag, check_option

# The engine names live in custloyalty._window; they stay importable from here (``as``
# marks the re-export) for code written against earlier versions.
from custloyalty._window import TIME_UNITS as TIME_UNITS
from custloyalty._window import CustomerDays as CustomerDays
from custloyalty._window import Window, named_index, observe, per_customer
from custloyalty._window import customer_codes as customer_codes
from custloyalty._window import customer_days as customer_days
from custloyalty._window import to_days as to_days
from custloyalty.errors import ValidationError

__all__ = ["rfm_summary"]


def rfm_summary(
    transactions: Any,
    /,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    amount: Hashable | None = "amount",
    observation_end: Any = None,
    time_unit: str = "D",
    calibration_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
    partitioned_by_customer: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    r"""Summarise transactions into one row per customer (frequency, recency, T, monetary).

    This is the customer summary of the BG/NBD and Pareto/NBD literature ("RFM summary"), the
    input of the probabilistic models, of RFM scoring and of the loyalty scorecard. See
    *Concepts -> Purchase frequency* in the documentation.

    Parameters
    ----------
    transactions
        One row per purchase: a pandas DataFrame; a polars DataFrame or LazyFrame, a pyarrow
        Table or Dataset or a DuckDB relation (a LazyFrame or relation is aggregated per
        customer-day inside its engine); a Dask DataFrame (``observation_end`` required); or
        a window already observed (``custloyalty._window.observe``), used without validating
        again.
    customer, time, amount
        Column names of the customer id, the purchase date/time and the purchase value.
        ``amount=None`` computes the frequency columns only.
    observation_end
        End of the observation period, inclusive of the whole calendar day. Purchases on later
        days are excluded and counted in ``result.attrs["custloyalty"]``. Defaults to the day of
        the last purchase. A date without a time of day (``"2024-06-30"``) names that local
        calendar day, for time-zone-aware dates too; a time of day must then carry the data's
        time zone. A day/month string that fits both orders (``"03/04/2024"``) is read only
        with ``date_format``. A string naming no day (``"2024-06"``, ``"2024"``, ``"June
        2024"``, ``"2024Q2"``) is refused: pandas would read it as the first day of the
        period, where its end is usually meant.
    time_unit
        Unit of ``recency`` and ``T``: ``"h"`` hours (days x 24), ``"D"`` days (default),
        ``"W"`` weeks (days / 7, as in the BG/NBD paper), ``"M"`` months (days / 30.4375),
        ``"Q"`` quarters (days / 91.3125), ``"Y"`` years (days / 365.25)
        (``custloyalty.summary.TIME_UNITS``). Durations are always counted in whole days first.
    calibration_end
        If given, split the data: the summary columns describe the calibration period up to
        ``calibration_end`` (inclusive) and the holdout columns the period after it, up to
        ``observation_end``: ``frequency_holdout`` (distinct holdout purchase days),
        ``monetary_holdout`` (mean spend per holdout purchase *day*, 0 without one) and
        ``duration_holdout``. Customers whose first purchase falls in the holdout period are
        left out, as in lifetimes and pymc-marketing.
    date_format
        Format of date strings, such as ``"%d/%m/%Y"`` or ``"ISO8601"`` (any
        :func:`pandas.to_datetime` format). By default it is inferred from the first date;
        day/month dates that fit both orders warn
        (:class:`~custloyalty.errors.AmbiguousDateWarning`). ``"mixed"`` (each date guessed
        apart, so one column is read partly month-first and partly day-first) is refused.
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids, dates or amounts.
    progress
        Show a progress bar (validation and aggregation, then the per-customer summary) on
        standard error; silent by default. ``True`` or ``False`` only.
    partitioned_by_customer
        Dask only: the partitions already hold whole customers (e.g. one Parquet file per
        customer bucket), so the shuffle by customer is skipped after a cheap check that no
        customer spans two partitions. See the guide *Scaling out*. ``True`` or ``False``
        only (``"no"`` is refused, not read as true).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), with columns (a lazy Dask DataFrame for a Dask
        ``transactions``, each partition sorted, the whole not; it is empty, not an error,
        when no purchase falls on or before ``observation_end``, which only a second pass
        over the data could tell)

        * ``frequency``: number of repeat purchase days (purchase days - 1), >= 0;
        * ``recency``: time between first and last purchase, ``0 <= recency <= T``;
        * ``T``: time between first purchase and ``observation_end``;
        * ``monetary``: mean amount per repeat purchase day (0 without repeats);
        * ``n_purchases``: number of transactions (rows); ``frequency <= n_purchases - 1``;
        * ``total_amount``: sum of all amounts, first purchase included;
        * ``first_purchase``, ``last_purchase``: calendar days (datetime64, naive local dates).

        ``attrs["custloyalty"]`` reports the observation window, the time unit, and the rows
        excluded after ``observation_end`` or omitted for missing values.

    Raises
    ------
    ValidationError
        Invalid table (see :func:`custloyalty._frames.transactions`), unknown ``time_unit``,
        ``calibration_end`` not before ``observation_end``, no purchase up to
        ``observation_end`` (or up to ``calibration_end``), an ambiguous day/month date string
        or one naming no day, ``date_format="mixed"``, boolean customer ids (``True`` would
        be customer 1) or nested ones (Arrow lists, structs), a flag that is not a boolean, or
        amounts so large that their sums overflow floating point.

    See Also
    --------
    custloyalty.models.BetaGeo : fits on this summary.

    Notes
    -----
    Purchases on the same calendar day count once, their amounts summed. With :math:`d_1 <
    \dots < d_{n}` the distinct purchase days of a customer, :math:`e` the observation end and
    :math:`u` the unit length in days,

    $$x = n - 1,\quad t_x = (d_n - d_1)/u,\quad T = (e - d_1)/u,\quad
    m = \frac{1}{x}\sum_{k=2}^{n} s_{d_k}$$

    where :math:`s_d` is the amount spent on day :math:`d`. This is the summary of Fader,
    Hardie and Lee (2005), whose CDNOW sample (39-week calibration) it reproduces exactly.

    The holdout columns follow the same same-day rule: with :math:`h_1 < \dots < h_k` the
    distinct purchase days after ``calibration_end``, ``frequency_holdout`` is :math:`k` and
    ``monetary_holdout`` is :math:`\frac{1}{k}\sum_{j=1}^{k} s_{h_j}`, the mean spend per
    holdout purchase day. lifetimes' ``calibration_and_holdout_data`` averages the holdout
    *rows* instead, so the two differ for customers with several purchases on one holdout
    day; they agree on ``frequency_holdout``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way:
    An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    https://doi.org/10.1287/mksc.1040.0098

    Examples
    --------
    >>> import pandas as pd
    >>> import custloyalty as cl
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-10"],
    ...     "amount": [10.0, 5.0, 20.0, 8.0],
    ... })
    >>> cl.rfm_summary(tx, observation_end="2024-01-31")[["frequency", "recency", "T", "monetary"]]
                 frequency  recency     T  monetary
    customer_id
    1                    1     14.0  30.0      20.0
    2                    0      0.0  21.0       0.0
    """
    # flags first, on every engine: "no" is truthy and 1 is a slip for True
    partitioned_by_customer = check_flag(
        partitioned_by_customer, "partitioned_by_customer", func="rfm_summary"
    )
    progress = check_flag(progress, "progress", func="rfm_summary")
    if (scaled := _engines.rfm_summary(**locals())) is not None:  # Dask, LazyFrame, DuckDB
        return scaled  # type: ignore[no-any-return]
    func = "rfm_summary"
    check_option(time_unit, "time_unit", tuple(TIME_UNITS), func=func)
    with steps(["transactions", "customers"], enabled=progress, desc=func) as step:
        step("transactions")
        w = observe(
            transactions,
            customer=customer,
            time=time,
            amount=amount,
            observation_end=observation_end,
            calibration_end=calibration_end,
            date_format=date_format,
            nan_policy=nan_policy,
            func=func,
        )
        step("customers")
        return summarise(w, time_unit)


def summarise(w: Window, time_unit: str = "D") -> pd.DataFrame:
    """Summarise a window per customer (the kernel of :func:`rfm_summary`).

    With a fixed ``observation_end``, the summary of the window of any set of customers is,
    row for row, the summary of the whole table for those customers.
    """
    unit = TIME_UNITS[time_unit]
    end_day = w.observation_end
    cal_day = w.calibration_end
    report = w.report(time_unit=time_unit)
    # report order as before: observation_end, time_unit, n_transactions, excluded, omitted
    if cal_day is None:
        out = _frame_of_aggregates(
            per_customer(w.entries), w.entries.customers, end_day, unit, w.customer
        )
    else:
        out = _calibration_holdout(w.entries, cal_day, end_day, unit, w.customer)
        report["calibration_end"] = str(np.datetime64(cal_day, "D"))
        report["n_customers_first_in_holdout"] = int(len(w.entries.customers) - len(out))
    out.attrs["custloyalty"] = report
    return out


def _summary_frame(cd: CustomerDays, end_day: int, unit: float, name: Hashable) -> pd.DataFrame:
    return _frame_of_aggregates(per_customer(cd), cd.customers, end_day, unit, name)


def _frame_of_aggregates(
    agg: dict[str, Any], customers: pd.Index, end_day: int, unit: float, name: Hashable
) -> pd.DataFrame:
    """Build the summary table from :func:`custloyalty._window.per_customer` (reusing arrays)."""
    present = agg.pop("present")
    first = agg.pop("first")
    last = agg.pop("last")
    frequency = agg.pop("n_days")
    frequency -= 1
    recency = np.subtract(last, first, dtype=np.float64)
    t_obs = np.subtract(end_day, first, dtype=np.float64)
    if unit != 1.0:
        recency /= unit
        t_obs /= unit
    cols: dict[str, Any] = {"frequency": frequency, "recency": recency, "T": t_obs}
    total = agg.pop("total", None)
    if total is not None and not np.isfinite(total).all():  # chunks summed past float64
        bad = customers[np.flatnonzero(~np.isfinite(total))[:5]]
        msg = (
            f"The amounts of {int((~np.isfinite(total)).sum())} customers sum beyond the "
            f"floating-point range (customers {', '.join(repr(v) for v in bad)}).\n"
            "Hint: rescale the amount column first, e.g. amount / 1e6."
        )
        raise ValidationError(msg)
    if total is not None:
        # spend of the repeat days; exactly 0.0 without repeats (total == first-day amount)
        monetary = np.subtract(total, agg.pop("first_amount"))
        monetary /= np.maximum(frequency, 1)
        cols["monetary"] = monetary
    cols["n_purchases"] = agg.pop("n_rows")
    if total is not None:
        cols["total_amount"] = total
    # day numbers -> datetime64[s] in place (seconds since the epoch at midnight)
    first *= 86_400
    last *= 86_400
    cols["first_purchase"] = first.view("datetime64[s]")
    cols["last_purchase"] = last.view("datetime64[s]")
    index = named_index(customers, name)
    out = pd.DataFrame(cols, index=index, copy=False)  # fresh arrays: no consolidation copy
    if not present.all():
        out = out.loc[present]
    return out


def _calibration_holdout(
    cd: CustomerDays, cal_day: int, end_day: int, unit: float, name: Hashable
) -> pd.DataFrame:
    in_cal = cd.day <= cal_day
    cal = cd.select(in_cal)
    base = _summary_frame(cal, cal_day, unit, name)
    k = len(cd.customers)
    hold = ~in_cal
    freq_h = np.bincount(cd.customer[hold], minlength=k)
    codes = cd.customers.get_indexer(base.index)
    base["frequency_holdout"] = freq_h[codes]
    if cd.amount is not None:
        amt_h = np.bincount(cd.customer[hold], weights=cd.amount[hold], minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            mon_h = np.where(freq_h > 0, amt_h / np.maximum(freq_h, 1), 0.0)
        base["monetary_holdout"] = mon_h[codes]
    base["duration_holdout"] = (end_day - cal_day) / unit
    return base

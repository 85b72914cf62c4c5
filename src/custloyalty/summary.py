"""Transactions -> one row per customer.

This module is the single place where transactions are aggregated. The aggregation is built
from *decomposable* per customer-day aggregates (row count, amount sum per customer and
calendar day), then reduced per customer with count / sum / min / max, so the same code can run
partition by partition (Dask, Spark) and combine: summing the customer-day aggregates of two
chunks and reducing gives exactly the summary of the whole.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _engines, _frames
from custloyalty._validation import check_option
from custloyalty.errors import ValidationError

__all__ = [
    "TIME_UNITS",
    "CustomerDays",
    "customer_codes",
    "customer_days",
    "rfm_summary",
    "to_days",
]

#: Length of each supported ``time_unit`` in days.
TIME_UNITS: dict[str, float] = {
    "h": 1.0 / 24.0,
    "D": 1.0,
    "W": 7.0,
    "M": 365.25 / 12.0,
    "Q": 365.25 / 4.0,
    "Y": 365.25,
}

_INT64_MAX = int(np.iinfo(np.int64).max)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def to_days(dates: pd.Series) -> IntArray:
    """Calendar day numbers (days since 1970-01-01) of a datetime column.

    Time-zone-aware dates are taken on their local wall clock, so a purchase at 23:30 local
    time counts on that local day. Always returns a new array (the caller may modify it).
    """
    if getattr(dates.dtype, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    values = dates.to_numpy()
    unit, step = np.datetime_data(values.dtype)
    per_day = _TICKS_PER_DAY.get(unit, 0) * step
    if per_day:  # integer floor division of the ticks: one pass, one new array
        return values.view(np.int64) // per_day
    return values.astype("datetime64[D]").view(np.int64)  # astype allocates: a new array


_TICKS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}


def _day(ts: pd.Timestamp) -> int:
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return int(ts.to_datetime64().astype("datetime64[D]").astype(np.int64))


@dataclass(frozen=True, slots=True)
class CustomerDays:
    """Decomposable per customer-day aggregates, sorted by customer then day.

    One entry per (customer, calendar day) with at least one purchase: ``customer`` holds
    dense integer codes into ``customers`` (the distinct customer ids, sorted when they are
    orderable), ``day`` the day number, ``count`` the number of rows and ``amount`` the summed
    amount of that customer-day. Concatenating the entries of two chunks and aggregating again
    gives the entries of the whole.
    """

    customers: pd.Index
    customer: IntArray
    day: IntArray
    count: IntArray
    amount: FloatArray | None

    def __len__(self) -> int:
        return int(self.customer.shape[0])

    def select(self, mask: npt.NDArray[np.bool_]) -> CustomerDays:
        """Keep the entries where ``mask`` is true (customers index unchanged)."""
        return CustomerDays(
            self.customers,
            self.customer[mask],
            self.day[mask],
            self.count[mask],
            None if self.amount is None else self.amount[mask],
        )


def customer_codes(ids: pd.Series) -> tuple[IntArray, pd.Index]:
    """Map customer ids to non-negative integer codes whose order is the id order.

    Integer ids with a moderate range within int64 are used directly (offset by their
    minimum), which avoids hashing; other ids (including unsigned ids ``>= 2**63``) are
    factorised with sorted uniques. Returns the codes (a new array) and the labels of codes
    ``0..max`` (for the direct path, a range index that may include unused ids).
    """
    values = ids.to_numpy()
    if values.dtype.kind in "iu" and values.size:
        lo, hi = int(values.min()), int(values.max())
        if hi - lo < 2**40 and hi <= _INT64_MAX:
            if values.dtype == np.int64:
                codes = values - lo  # one new array, the caller's column untouched
            else:
                codes = values.astype(np.int64)
                codes -= lo
            return codes, pd.RangeIndex(lo, hi + 1)
    try:
        codes_, uniques = pd.factorize(ids, sort=True)
    except TypeError:  # unorderable mixture of id types
        codes_, uniques = pd.factorize(ids, sort=False)
    return codes_.astype(np.int64, copy=False), pd.Index(uniques)


def _sort_rows(key: IntArray) -> tuple[IntArray, IntArray | None]:
    """Sort the (customer, day) keys of the rows; return the sorted keys and the row order.

    ``key`` is consumed (sorted in place when possible). The order is stable: rows with equal
    keys keep their input order, so float sums do not depend on the sort. The row order is
    ``None`` when the keys were already sorted (a log ordered by customer then time).
    """
    n = key.shape[0]
    head = key[:4097]  # an unsorted head (the usual case) spares the full check
    if n < 2 or (bool(np.all(head[1:] >= head[:-1])) and bool(np.all(key[1:] >= key[:-1]))):
        return key, None
    row_bits = (n - 1).bit_length()
    if int(key.max()).bit_length() + row_bits <= 63:
        # One in-place sort of int64 words (key << row_bits | row): numpy sorts plain int64
        # several times faster than it argsorts them, and the row index in the low bits both
        # makes the sort stable and gives the order back.
        key <<= row_bits
        order = np.arange(n, dtype=np.int64)
        key |= order
        key.sort()
        np.bitwise_and(key, (1 << row_bits) - 1, out=order)  # reuse the buffer
        key >>= row_bits
        return key, order
    order = np.argsort(key, kind="stable")
    return key[order], order


def customer_days(
    codes: IntArray,
    labels: pd.Index,
    days: IntArray,
    amount: FloatArray | None,
) -> CustomerDays:
    """Aggregate row-level (customer code, day, amount) to one entry per customer-day.

    Vectorised: one sort of the combined (customer, day) key (skipped when the rows are
    already sorted), run boundaries, and sums over the runs. Customers are renumbered densely
    in id order. The input arrays are not modified.
    """
    dmin = int(days.min())
    day_bits = (int(days.max()) - dmin).bit_length()
    key = codes << day_bits  # new array: the caller's codes stay as they are
    key += days
    key -= dmin
    return _customer_days_of_keys(key, dmin, day_bits, labels, amount)


def _customer_days_of_keys(
    key: IntArray, dmin: int, day_bits: int, labels: pd.Index, amount: FloatArray | None
) -> CustomerDays:
    """:func:`customer_days` from the row keys ``code << day_bits | (day - dmin)`` (consumed).

    Shifts and masks split the key again, which is cheaper than division by the day span.
    """
    n = key.shape[0]
    ks, order = _sort_rows(key)
    del key
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(ks[1:], ks[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    m = starts.shape[0]
    cd_amount: FloatArray | None = None
    if amount is not None:
        if m == n:  # no customer bought twice on a day: nothing to add up
            cd_amount = amount.copy() if order is None else amount[order]
        else:
            cd_amount = amount[starts if order is None else order[starts]]
            # add the later rows of each customer-day, in row order (sequential float sums).
            # The j-th such row r (0-based) has j + 1 such rows up to it, hence r - j starts:
            # it belongs to run r - j - 1.
            rest = np.flatnonzero(~new)
            runs = rest - np.arange(1, rest.shape[0] + 1)
            np.add.at(cd_amount, runs, amount[rest if order is None else order[rest]])
            del rest, runs
    del new
    # The sorted keys and the row order are dead after this point: their buffers (n >= m
    # entries) hold the customer-day days and customer codes, which saves fresh allocations.
    kcd = ks[starts] if order is None else np.take(ks, starts, out=order[:m])
    count = np.empty(m, dtype=np.int64)
    np.subtract(starts[1:], starts[:-1], out=count[:-1])
    count[-1] = n - starts[-1]
    del starts
    code = np.right_shift(kcd, day_bits, out=ks[:m])  # customer codes, sorted
    cd_day = kcd
    cd_day &= (1 << day_bits) - 1
    cd_day += dmin
    first_of_customer = np.empty(m, dtype=bool)
    first_of_customer[0] = True
    np.not_equal(code[1:], code[:-1], out=first_of_customer[1:])
    n_customers = int(np.count_nonzero(first_of_customer))
    if n_customers == len(labels):  # every code is used: codes are already dense
        customers = labels
        dense = code
    else:
        used = code[first_of_customer]
        if isinstance(labels, pd.RangeIndex) and labels.step == 1:
            customers = pd.Index(used + labels.start)  # no label lookup for integer ids
        else:
            customers = labels[used]
        del used
        dense = np.cumsum(first_of_customer, dtype=np.int64, out=code)
        dense -= 1
    return CustomerDays(pd.Index(customers), dense, cd_day, count, cd_amount)


def _per_customer(cd: CustomerDays) -> dict[str, Any]:
    """Reduce customer-day aggregates per customer (count, sum, min, max).

    Relies on the entries being sorted by customer then day, as :func:`customer_days` returns
    them. Every array returned is new (safe to modify in place).
    """
    k = len(cd.customers)
    m = len(cd)
    n_days = np.bincount(cd.customer, minlength=k)
    present = n_days > 0
    all_present = bool(present.all())
    if m == 0:  # nothing selected: every customer absent
        first_pos = last_pos = np.zeros(k, dtype=np.int64)
        day = np.zeros(1, dtype=np.int64)
        amount = None if cd.amount is None else np.zeros(1)
    else:
        last_pos = np.cumsum(n_days)
        last_pos -= 1  # position of each customer's last entry
        first_pos = last_pos - n_days
        first_pos += 1
        if not all_present:  # customers without entries (after select) point anywhere,
            np.clip(first_pos, 0, m - 1, out=first_pos)  # they are zeroed below
            np.clip(last_pos, 0, m - 1, out=last_pos)
        day, amount = cd.day, cd.amount
    first = day[first_pos]
    last = day[last_pos]
    n_rows = _rows_per_customer(cd, n_days)
    out: dict[str, Any] = {
        "present": present,
        "n_days": n_days,
        "n_rows": n_rows,
        "first": first,
        "last": last,
    }
    if amount is not None:
        out["total"] = np.bincount(cd.customer, weights=cd.amount, minlength=k)
        out["first_amount"] = amount[first_pos]
    if not all_present:
        for name in ("first", "last", "first_amount"):
            if name in out:
                out[name][~present] = 0
    return out


def _rows_per_customer(cd: CustomerDays, n_days: IntArray) -> IntArray:
    """Sum ``cd.count`` per customer (exact integers, no float weights)."""
    extra = np.flatnonzero(cd.count > 1)  # customer-days with several rows
    if extra.shape[0] * 8 < len(cd):  # few of them: add their extra rows to the day counts
        n_rows = n_days.copy()
        np.add.at(n_rows, cd.customer[extra], cd.count[extra] - 1)
        return n_rows
    # otherwise the running count at each customer's end; customers without entries repeat
    # the previous end, so they get 0 rows
    running = np.empty(len(cd) + 1, dtype=np.int64)
    running[0] = 0
    np.cumsum(cd.count, out=running[1:])
    n_rows = running[np.cumsum(n_days)]
    del running
    n_rows[1:] -= n_rows[:-1].copy()
    return n_rows


def _validated_days(
    transactions: Any,
    *,
    customer: Hashable,
    time: Hashable,
    amount: Hashable | None,
    nan_policy: str,
    func: str,
) -> tuple[_frames.Transactions, IntArray, IntArray, pd.Index, FloatArray | None]:
    tx = _frames.transactions(
        transactions,
        customer=customer,
        time=time,
        amount=amount,
        nan_policy=nan_policy,
        func=func,
    )
    f = tx.frame
    codes, labels = customer_codes(f[_frames.CUSTOMER])
    days = to_days(f[_frames.TIME])
    amt = f[_frames.AMOUNT].to_numpy(dtype=np.float64) if amount is not None else None
    return tx, codes, days, labels, amt


def rfm_summary(
    transactions: Any,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    amount: Hashable | None = "amount",
    observation_end: Any = None,
    time_unit: str = "D",
    calibration_end: Any = None,
    nan_policy: str = "raise",
    partitioned_by_customer: bool = False,
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
        customer-day inside its engine); or a Dask DataFrame (``observation_end`` required).
    customer, time, amount
        Column names of the customer id, the purchase date/time and the purchase value.
        ``amount=None`` computes the frequency columns only.
    observation_end
        End of the observation period, inclusive of the whole calendar day. Purchases on later
        days are excluded and counted in ``result.attrs["custloyalty"]``. Defaults to the day of
        the last purchase.
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
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids, dates or amounts.
    partitioned_by_customer
        Dask only: the partitions already hold whole customers (e.g. one Parquet file per
        customer bucket), so the shuffle by customer is skipped after a cheap check that no
        customer spans two partitions. See the guide *Scaling out*.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer id (sorted), with columns (a lazy Dask DataFrame for a Dask
        ``transactions``, each partition sorted, the whole not)

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
        ``calibration_end`` not before ``observation_end``, or no purchase up to
        ``observation_end`` (or up to ``calibration_end``).

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
    if (scaled := _engines.rfm_summary(**locals())) is not None:  # Dask, LazyFrame, DuckDB
        return scaled  # type: ignore[no-any-return]
    func = "rfm_summary"
    check_option(time_unit, "time_unit", tuple(TIME_UNITS), func=func)
    unit = TIME_UNITS[time_unit]
    tx, codes, days, labels, amt = _validated_days(
        transactions, customer=customer, time=time, amount=amount, nan_policy=nan_policy, func=func
    )
    if observation_end is None:
        end_day = int(days.max())
        end_ts = pd.Timestamp(np.datetime64(end_day, "D"))
    else:
        end_ts = _frames.coerce_timestamp(observation_end, "observation_end", tz=tx.tz, func=func)
        end_day = _day(end_ts)
    n_after = 0
    dmax = int(days.max())
    if observation_end is not None and dmax > end_day:
        keep = days <= end_day
        n_after = int(keep.shape[0] - np.count_nonzero(keep))
        codes, days = codes[keep], days[keep]
        amt = None if amt is None else amt[keep]
        del keep
        dmax = int(days.max()) if days.size else end_day
    if codes.size == 0:
        msg = f"No purchases on or before observation_end={end_ts.date()} in rfm_summary."
        raise ValidationError(msg)
    cal_day: int | None = None
    if calibration_end is not None:
        cal_ts = _frames.coerce_timestamp(calibration_end, "calibration_end", tz=tx.tz, func=func)
        cal_day = _day(cal_ts)
        if cal_day >= end_day:
            msg = (
                f"calibration_end ({cal_ts.date()}) must be before observation_end "
                f"({end_ts.date()}) in rfm_summary."
            )
            raise ValidationError(msg)
        if int(days.min()) > cal_day:  # as for observation_end: nothing to summarise
            msg = (
                f"No purchases on or before calibration_end={cal_ts.date()} in rfm_summary; "
                f"the first purchase is on {np.datetime64(int(days.min()), 'D')}."
            )
            raise ValidationError(msg)
    n_rows = int(codes.size)
    # The row keys code << day_bits | (day - dmin) are built in the codes buffer (a fresh
    # array owned here) and consumed by the aggregation, so the row-level arrays are freed as
    # early as possible: peak memory stays a small multiple of the input columns.
    dmin = int(days.min())
    day_bits = (dmax - dmin).bit_length()
    key = codes
    key <<= day_bits
    key += days
    key -= dmin
    del codes, days
    cd = _customer_days_of_keys(key, dmin, day_bits, labels, amt)
    del key, amt
    report: dict[str, Any] = {
        "observation_end": str(np.datetime64(end_day, "D")),
        "time_unit": time_unit,
        "n_transactions": n_rows,
        "n_excluded_after_observation_end": n_after,
        "n_omitted_missing": tx.n_omitted,
    }
    if cal_day is None:
        customers = cd.customers
        agg = _per_customer(cd)
        del cd  # the customer-day entries are no longer needed: free them before the output
        out = _frame_of_aggregates(agg, customers, end_day, unit, customer)
    else:
        out = _calibration_holdout(cd, cal_day, end_day, unit, customer)
        report["calibration_end"] = str(np.datetime64(cal_day, "D"))
        report["n_customers_first_in_holdout"] = int(len(cd.customers) - len(out))
    out.attrs["custloyalty"] = report
    return out


def _summary_frame(cd: CustomerDays, end_day: int, unit: float, name: Hashable) -> pd.DataFrame:
    return _frame_of_aggregates(_per_customer(cd), cd.customers, end_day, unit, name)


def _frame_of_aggregates(
    agg: dict[str, Any], customers: pd.Index, end_day: int, unit: float, name: Hashable
) -> pd.DataFrame:
    """Build the summary table from :func:`_per_customer` output (reusing its arrays)."""
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
    index = pd.Index(customers, name=name)
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

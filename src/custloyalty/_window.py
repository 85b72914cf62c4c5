"""The transaction window: validated transactions as customer-day aggregates, cut at the ends.

Every function that reads raw transactions (``rfm_summary``, the transaction metrics, the
tier qualification metrics, the model checks, the scorecard inputs) goes through
:func:`observe`, once. It

1. validates the table through :func:`custloyalty._frames.transactions` (columns, dtypes,
   missing values, time zones, ``date_format``, ``nan_policy``);
2. maps customer ids to dense integer codes (:func:`customer_codes`) and dates to calendar day
   numbers (:func:`to_days`, the package's one day-number function);
3. cuts the rows at ``observation_end`` (inclusive, whole calendar day) and records
   ``calibration_end``;
4. aggregates the rows per customer and calendar day (:class:`CustomerDays`: row count, amount
   sum), the decomposable aggregate every per-customer figure is a reduction of.

The result, a frozen :class:`Window`, flows on: a ``Window`` passed where transactions are
expected is used as it is, without validating again (as scikit-learn's nested calls skip
re-validation). It is also the seam for other engines: anything that produces the
customer-day aggregates of a set of customers (Dask partitions, polars, DuckDB) builds a
``Window`` with :meth:`Window.from_aggregates`, and :func:`combine` merges windows of
disjoint or overlapping chunks into the window of the whole. With a fixed ``observation_end``
the window of one bucket of customers gives, for those customers, exactly the figures of the
window of the whole table.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Hashable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _frames
from custloyalty.errors import ValidationError

__all__ = [
    "TIME_UNITS",
    "CustomerDays",
    "Window",
    "combine",
    "customer_codes",
    "customer_days",
    "day_of",
    "named_index",
    "observe",
    "one_thread",
    "per_customer",
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
_TICKS_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


# --------------------------------------------------------------------------------------------
# day numbers
# --------------------------------------------------------------------------------------------
def to_days(dates: pd.Series | pd.DatetimeIndex) -> IntArray:
    """Calendar day numbers (days since 1970-01-01) of datetimes: the one day function.

    Time-zone-aware dates are taken on their local wall clock, so a purchase at 23:30 local
    time counts on that local day. Always returns a new array (the caller may modify it).
    """
    if getattr(dates.dtype, "tz", None) is not None:
        dates = (
            dates.dt.tz_localize(None) if isinstance(dates, pd.Series) else dates.tz_localize(None)
        )
    values = dates.to_numpy()
    unit, step = np.datetime_data(values.dtype)
    per_day = _TICKS_PER_DAY.get(unit, 0) * step
    if per_day:  # integer floor division of the ticks: one pass, one new array
        out: IntArray = values.view(np.int64) // per_day
        return out
    return values.astype("datetime64[D]").view(np.int64)  # astype allocates: a new array


def day_of(ts: pd.Timestamp) -> int:
    """Day number of one timestamp (local wall clock), through :func:`to_days`."""
    return int(to_days(pd.DatetimeIndex([ts]))[0])


def named_index(values: Any, name: Hashable) -> pd.Index:
    """Return a new index of ``values`` named ``name`` (a tuple is one name, not several)."""
    out: pd.Index = pd.Index(values)
    out.name = name
    return out


def _date(day: int) -> np.datetime64:
    return np.datetime64(int(day), "D")


# --------------------------------------------------------------------------------------------
# customer-day aggregates
# --------------------------------------------------------------------------------------------
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

    def select(self, mask: BoolArray) -> CustomerDays:
        """Keep the entries where ``mask`` is true (customers index unchanged)."""
        return CustomerDays(
            self.customers,
            self.customer[mask],
            self.day[mask],
            self.count[mask],
            None if self.amount is None else self.amount[mask],
        )

    def without_amount(self) -> CustomerDays:
        """Return the same entries without the amount sums."""
        return CustomerDays(self.customers, self.customer, self.day, self.count, None)


def customer_codes(ids: pd.Series) -> tuple[IntArray, pd.Index]:
    """Map customer ids to non-negative integer codes whose order is the id order.

    Integer ids with a moderate range within int64 are used directly (offset by their
    minimum), which avoids hashing; other ids (including unsigned ids ``>= 2**63``) are
    factorised with sorted uniques (first-seen order when they cannot be ordered). Returns the
    codes (a new array) and the labels of codes ``0..max`` (for the direct path, a range index
    that may include unused ids). Unhashable ids (lists, dicts) raise ``TypeError``.
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
    except TypeError:  # unorderable mixture of id types (unhashable ids raise again)
        codes_, uniques = pd.factorize(ids, sort=False)
    return codes_.astype(np.int64, copy=False), pd.Index(uniques)


def _is_sorted(key: IntArray) -> bool:
    """Whether ``key`` is non-decreasing (an unsorted head, the usual case, spares the rest)."""
    head = key[:4097]
    return bool(np.all(head[1:] >= head[:-1])) and bool(np.all(key[1:] >= key[:-1]))


def _sort_rows(key: IntArray) -> tuple[IntArray, IntArray | None]:
    """Sort the (customer, day) keys of the rows; return the sorted keys and the row order.

    ``key`` is consumed (sorted in place when possible). The order is stable: rows with equal
    keys keep their input order, so float sums do not depend on the sort. The row order is
    ``None`` when the keys were already sorted (a log ordered by customer then time).
    """
    n = key.shape[0]
    if n < 2 or _is_sorted(key):
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


def _run_starts(ks: IntArray) -> tuple[BoolArray, IntArray]:
    """Return where runs of equal sorted keys start, as a mask and as positions."""
    new = np.empty(ks.shape[0], dtype=bool)
    new[0] = True
    np.not_equal(ks[1:], ks[:-1], out=new[1:])
    return new, np.flatnonzero(new)


def _runs(
    ks: IntArray,
    order: IntArray | None,
    amount: FloatArray | None,
    new: BoolArray,
    starts: IntArray,
    count: IntArray | None = None,
    cd_amount: FloatArray | None = None,
) -> tuple[IntArray, IntArray, FloatArray | None]:
    """Reduce runs of equal sorted keys to the distinct keys, row counts and amount sums.

    ``ks`` are sorted keys, ``order[i]`` the row of ``amount`` behind ``ks[i]`` (``None``: the
    identity), ``new`` and ``starts`` from :func:`_run_starts`. Each run's amount is summed
    sequentially in row order (the first row, then the later ones one by one), so the sums
    are the same whatever the sort or the bucket. The distinct keys are written into the
    buffer of ``order`` when there is one (it is consumed), the sums into ``cd_amount`` when
    given (else a new array) and the counts into ``count`` when given (else into ``starts``,
    which is consumed).
    """
    n = ks.shape[0]
    m = starts.shape[0]
    # (np.take with out= and the default mode="raise" writes into a temporary copy of out;
    # the indices here are valid, so mode="clip" gives the same values without it)
    if amount is not None:
        if cd_amount is None:
            cd_amount = np.empty(m, dtype=np.float64)
        if m == n:  # no customer bought twice on a day: nothing to add up
            if order is None:
                cd_amount[:] = amount
            else:
                np.take(amount, order, out=cd_amount, mode="clip")
        else:
            np.take(amount, starts if order is None else order[starts], out=cd_amount, mode="clip")
            # add the later rows of each customer-day, in row order (sequential float sums).
            # The j-th such row r (0-based) has j + 1 such rows up to it, hence r - j starts:
            # it belongs to run r - j - 1.
            rest = np.flatnonzero(~new)
            runs = rest - np.arange(1, rest.shape[0] + 1)
            np.add.at(cd_amount, runs, amount[rest if order is None else order[rest]])
            del rest, runs
    else:
        cd_amount = None
    kcd = ks[starts] if order is None else np.take(ks, starts, out=order[:m], mode="clip")
    if count is not None:
        np.subtract(starts[1:], starts[:-1], out=count[:-1])
    else:  # the run starts become the run lengths, in place, in steps (no temporary of m)
        count = starts
        for s in range(0, m - 1, _PACK_CHUNK):
            e = min(m - 1, s + _PACK_CHUNK)
            np.subtract(starts[s + 1 : e + 1], starts[s:e], out=count[s:e])
    count[-1] = n - starts[-1]  # (starts[-1] is read before it is written)
    return kcd, count, cd_amount


#: Rows from which the aggregation of unsorted rows runs in customer buckets on threads.
_BUCKET_MIN_ROWS = 1_000_000
#: Threads (key ranges) of the bucketed aggregation: the cores this process may use, at most 8.
_BUCKET_THREADS = max(
    1,
    min(
        8,
        len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
    ),
)
#: Set by :func:`one_thread`: the kernels run on the calling thread only.
_ONE_THREAD: ContextVar[bool] = ContextVar("custloyalty_one_thread", default=False)


def _threads() -> int:
    """Threads of the bucketed aggregation here: 1 inside :func:`one_thread`."""
    return 1 if _ONE_THREAD.get() else _BUCKET_THREADS


@contextmanager
def one_thread() -> Iterator[None]:
    """Run the aggregation on the calling thread only, inside the ``with`` block.

    For per-bucket tasks of an engine that already runs one task per core (a Dask worker
    thread, a Spark task): more threads there oversubscribe the cores and hold more buffers
    at once, for no gain.
    """
    token = _ONE_THREAD.set(True)
    try:
        yield
    finally:
        _ONE_THREAD.reset(token)


#: Rows per step when the row numbers are packed into the keys (bounds the temporary).
_PACK_CHUNK = 1 << 20


def _bucketed_runs(
    key: IntArray, dmin: int, day_bits: int, amount: FloatArray | None, threads: int
) -> tuple[IntArray, IntArray, IntArray, FloatArray | None] | None:
    """:func:`_runs` of the sorted keys, sorted and reduced in key ranges on ``threads`` threads.

    ``key`` (unsorted row keys) is consumed: it is packed in place as ``key << row_bits |
    row`` and partitioned (``ndarray.partition``, linear time, no copy) into ``threads``
    ranges of equal row counts, whatever the skew of the customers; each range is sorted in
    place on its own thread (numpy releases the GIL in sort, take and the ufuncs), so the
    whole array ends sorted. It is then cut again at customer-day boundaries and each part is
    reduced to its runs on its own thread; the runs of the parts, in key order, are the runs
    of the whole, written into the freed buffers (returned as customer codes, days, row
    counts, amount sums). Each row carries its row number in the low bits of its key, so the
    sums are made of the same rows in the same order as by the single-thread path: the
    results are identical, bit for bit, and memory is that of the single-thread path.

    Returns ``None`` (``key`` untouched) when the keys and the row numbers do not fit in
    63 bits.
    """
    n = key.shape[0]
    row_bits = (n - 1).bit_length()
    if int(key.max()).bit_length() + row_bits > 63:
        return None
    edges = [(n * i) // threads for i in range(threads + 1)]
    kth = edges[1:-1]
    order = np.empty(n, dtype=np.int64)
    day_mask = (1 << day_bits) - 1

    def pack(b: int) -> None:
        for s in range(edges[b], edges[b + 1], _PACK_CHUNK):  # no temporary of n row numbers
            e = min(edges[b + 1], s + _PACK_CHUNK)
            part = key[s:e]
            part <<= row_bits
            part |= np.arange(s, e, dtype=np.int64)

    def sort(b: int) -> None:
        key[edges[b] : edges[b + 1]].sort()

    def find_runs(b: int) -> tuple[BoolArray, IntArray]:
        kb, ob = key[cuts[b] : cuts[b + 1]], order[cuts[b] : cuts[b + 1]]
        np.bitwise_and(kb, (1 << row_bits) - 1, out=ob)
        kb >>= row_bits
        return _run_starts(kb)

    def reduce(b: int) -> tuple[IntArray, IntArray]:  # the runs of part b (sums in place)
        lo, hi = cuts[b], cuts[b + 1]
        at = slice(offsets[b], offsets[b + 1])
        runs_b = found_runs[b]
        if runs_b is None:  # pragma: no cover - each part is reduced once
            raise RuntimeError
        new, starts = runs_b
        found_runs[b] = None
        kcd, cnt, _ = _runs(
            key[lo:hi],
            order[lo:hi],
            amount,
            new,
            starts,
            None,
            None if cd_amount is None else cd_amount[at],
        )
        return kcd, cnt

    def split(b: int) -> None:  # keys -> codes (into the dead key buffer) and days (in place)
        kcd, cnt = reduced[b]
        at = slice(offsets[b], offsets[b + 1])
        count[at] = cnt
        np.right_shift(kcd, day_bits, out=key[at])
        kcd &= day_mask
        kcd += dmin

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(pack, range(threads)))
        key.partition(kth)
        list(pool.map(sort, range(threads)))
        # move each cut back to the first row of its customer-day (key sorted by now), so a
        # customer-day never spans two parts (a customer may: entries are per customer-day)
        day_starts = [(int(key[k]) >> row_bits) << row_bits for k in kth]
        at_day = np.searchsorted(key, np.array(day_starts, dtype=np.int64))
        cuts = sorted({0, n, *(int(c) for c in at_day)})
        found_runs: list[tuple[BoolArray, IntArray] | None] = list(
            pool.map(find_runs, range(len(cuts) - 1))
        )
        sizes = [0 if r is None else r[1].shape[0] for r in found_runs]
        offsets = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        m = offsets[-1]
        cd_amount = None if amount is None else np.empty(m, dtype=np.float64)
        reduced = list(pool.map(reduce, range(len(cuts) - 1)))
        distinct = [r[0] for r in reduced]
        count = np.empty(m, dtype=np.int64)  # after the runs: not at the peak of memory
        list(pool.map(split, range(len(cuts) - 1)))
        reduced.clear()  # the counts of the parts
    # the days of the parts lie in the order buffer at each part's start: close the gaps
    for b, kcd in enumerate(distinct):
        size = kcd.shape[0]
        for s in range(0, size if cuts[b] != offsets[b] else 0, _PACK_CHUNK):
            e = min(size, s + _PACK_CHUNK)  # in steps: no temporary of the part's size
            order[offsets[b] + s : offsets[b] + e] = kcd[s:e]
    return key[:m], order[:m], count, cd_amount


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

    Unsorted rows from ``_BUCKET_MIN_ROWS`` on are sorted and reduced in customer buckets on
    several threads (:func:`_bucketed_runs`, same results bit for bit); sorted rows (a log
    ordered by customer then time) are reduced without sorting. Shifts and masks split the
    key again, which is cheaper than division by the day span.
    """
    n = key.shape[0]
    parts = None
    in_order = False
    threads = _threads()
    if n >= _BUCKET_MIN_ROWS and threads > 1:
        in_order = _is_sorted(key)
        if not in_order:
            parts = _bucketed_runs(key, dmin, day_bits, amount, threads)
    if parts is not None:
        del key
        code, cd_day, count, cd_amount = parts
    else:
        ks, order = (key, None) if in_order else _sort_rows(key)
        del key
        new, starts = _run_starts(ks)
        kcd, count, cd_amount = _runs(ks, order, amount, new, starts)
        del new, starts
        del order
        # the sorted keys are dead after this point: their buffer (n >= m entries) holds the
        # customer codes, which saves a fresh allocation (kcd lives in the order buffer)
        code = np.right_shift(kcd, day_bits, out=ks[: kcd.shape[0]])
        del ks
        cd_day = kcd
        cd_day &= (1 << day_bits) - 1
        cd_day += dmin
    m = code.shape[0]
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


def per_customer(cd: CustomerDays) -> dict[str, Any]:
    """Reduce customer-day aggregates per customer (count, sum, min, max).

    Returns arrays over ``cd.customers``: ``present`` (bool, has an entry), ``n_days``
    (distinct purchase days), ``n_rows`` (transactions), ``first`` / ``last`` (day numbers, 0
    for absent customers) and, with amounts, ``total`` and ``first_amount`` (spend of the
    first purchase day). Relies on the entries being sorted by customer then day, as
    :func:`customer_days` returns them. Every array returned is new (safe to modify in place).
    """
    threads = _threads()
    if len(cd) >= _BUCKET_MIN_ROWS and threads > 1:
        return _per_customer_bucketed(cd, threads)
    return _per_customer(cd)


def _per_customer(
    cd: CustomerDays, out: dict[str, Any] | None = None, offset: int = 0
) -> dict[str, Any]:
    """:func:`per_customer` on the calling thread, into the arrays ``out`` when given.

    With ``offset``, the entries are those of customers ``offset, offset + 1, ...`` of a
    larger window (their codes are not made relative: that would copy them).
    """
    k = len(cd.customers)
    m = len(cd)
    if out is None:
        out = _per_customer_arrays(k, cd.amount is not None)
    n_days = out["n_days"]
    n_days[:] = np.bincount(cd.customer, minlength=offset + k)[offset:]
    present = np.greater(n_days, 0, out=out["present"])
    all_present = bool(present.all())
    first, last = out["first"], out["last"]
    first_amount = out.get("first_amount")
    if m == 0:  # nothing selected: every customer absent
        first[:] = 0
        last[:] = 0
        if first_amount is not None:
            first_amount[:] = 0.0
    else:
        pos = np.cumsum(n_days)
        pos -= 1  # position of each customer's last entry
        if not all_present:  # customers without entries (after select) point anywhere,
            np.clip(pos, 0, m - 1, out=pos)  # they are zeroed below
        np.take(cd.day, pos, out=last, mode="clip")
        pos -= n_days  # position of each customer's first entry
        pos += 1
        if not all_present:
            np.clip(pos, 0, m - 1, out=pos)
        np.take(cd.day, pos, out=first, mode="clip")
        if first_amount is not None and cd.amount is not None:
            np.take(cd.amount, pos, out=first_amount, mode="clip")
        del pos
    out["n_rows"][:] = _rows_per_customer(cd, n_days, offset)
    if "total" in out:
        # float64 even without entries (bincount of nothing is int64, weights or not)
        total = np.bincount(cd.customer, weights=cd.amount, minlength=offset + k)
        out["total"][:] = total[offset:]
        del total
    if not all_present:
        absent = ~present
        first[absent] = 0
        last[absent] = 0
        if first_amount is not None:
            first_amount[absent] = 0.0
    return out


def _per_customer_arrays(k: int, amount: bool) -> dict[str, Any]:
    """Empty result arrays of :func:`per_customer` for ``k`` customers."""
    out: dict[str, Any] = {"present": np.empty(k, dtype=bool)}
    for name in ("n_days", "n_rows", "first", "last"):
        out[name] = np.empty(k, dtype=np.int64)
    if amount:
        out["total"] = np.empty(k, dtype=np.float64)
        out["first_amount"] = np.empty(k, dtype=np.float64)
    return out


def _per_customer_bucketed(cd: CustomerDays, threads: int) -> dict[str, Any]:
    """:func:`per_customer` in ranges of customers, one thread each (same results).

    The entries are cut at customer boundaries into ``threads`` parts of similar sizes; each
    part is reduced by
    :func:`_per_customer` on its own thread (numpy releases the GIL in bincount, cumsum and
    take), straight into its slice of the per-customer arrays. Every customer's entries lie in
    one part, in the same order, so every sum is made the same way as on one thread.
    """
    k = len(cd.customers)
    m = len(cd)
    first_code = int(cd.customer[0])
    inner = {int(cd.customer[(m * i) // threads]) for i in range(1, threads)}
    c_cuts = sorted({0, k} | {c for c in inner if c > first_code})
    e_cuts = [0, *np.searchsorted(cd.customer, c_cuts[1:-1]).tolist(), m]

    out = _per_customer_arrays(k, cd.amount is not None)

    def part(b: int) -> None:
        lo, hi = e_cuts[b], e_cuts[b + 1]
        c_lo, c_hi = c_cuts[b], c_cuts[b + 1]
        sub = CustomerDays(
            cd.customers[c_lo:c_hi],
            cd.customer[lo:hi],
            cd.day[lo:hi],
            cd.count[lo:hi],
            None if cd.amount is None else cd.amount[lo:hi],
        )
        _per_customer(sub, {name: arr[c_lo:c_hi] for name, arr in out.items()}, c_lo)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(part, range(len(c_cuts) - 1)))
    return out


def _rows_per_customer(cd: CustomerDays, n_days: IntArray, offset: int = 0) -> IntArray:
    """Sum ``cd.count`` per customer (exact integers; codes ``offset`` on, as for n_days)."""
    if len(cd) == 0:
        return np.zeros(len(cd.customers), dtype=np.int64)
    extra = np.flatnonzero(cd.count > 1)  # customer-days with several rows
    if extra.shape[0] * 8 < len(cd):  # few of them: add their extra rows to the day counts
        n_rows = n_days.copy()
        np.add.at(n_rows, cd.customer[extra] - offset, cd.count[extra] - 1)
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


# --------------------------------------------------------------------------------------------
# the window
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Window:
    """Validated transactions of one observation window, as customer-day aggregates.

    Built by :func:`observe` (or :meth:`from_aggregates` for another engine); consumed by
    ``rfm_summary``, the transaction metrics, ``TierPolicy.qualification_metrics`` and the
    model checks, which take a ``Window`` wherever they take transactions and then skip
    validation.
    """

    entries: CustomerDays
    """Customer-day aggregates of the rows up to ``observation_end`` (sorted by customer,
    day). ``entries.amount`` is ``None`` when the window was built without amounts."""
    observation_end: int
    """Last day of the window (day number, inclusive)."""
    calibration_end: int | None = None
    """Last day of the calibration period (day number, inclusive), or ``None``."""
    customer: Hashable = _frames.CUSTOMER
    """Caller's name of the customer column: the index name of per-customer outputs."""
    tz: Any = None
    """Time zone of the dates (``None`` when naive); day numbers are local calendar days."""
    n_rows: int = 0
    """Transactions (rows) in the window."""
    n_excluded: int = 0
    """Rows after ``observation_end``, left out."""
    n_omitted: int = 0
    """Rows dropped for missing values (``nan_policy="omit"``)."""
    rows: pd.DataFrame | None = None
    """With ``observe(..., keep_rows=True)``: the validated rows of the window (columns
    ``customer_id``, ``date``, ``amount`` as validated, then the table's other columns as
    given; the caller's index), else ``None``."""

    # -- construction for other engines ----------------------------------------------------
    @classmethod
    def from_aggregates(
        cls,
        customer_ids: Any,
        day: Any,
        count: Any,
        amount: Any = None,
        *,
        observation_end: int,
        calibration_end: int | None = None,
        customer: Hashable = _frames.CUSTOMER,
        tz: Any = None,
        n_excluded: int = 0,
        n_omitted: int = 0,
    ) -> Window:
        """Window from per customer-day aggregates computed elsewhere (Dask, polars, DuckDB).

        ``customer_ids``, ``day`` (day numbers, as :func:`to_days` gives them), ``count``
        (rows) and ``amount`` (summed amounts, or ``None``) are equal-length arrays with one
        entry per (customer, day) or finer (entries with the same customer and day are added
        up); only days up to ``observation_end`` may appear. The entries are sorted and
        renumbered here, so the window equals the one :func:`observe` builds from the rows.
        """
        ids = pd.Series(
            np.asarray(customer_ids) if not isinstance(customer_ids, pd.Series) else customer_ids
        )
        codes, labels = customer_codes(ids.reset_index(drop=True))
        days = np.asarray(day, dtype=np.int64)
        counts = np.asarray(count, dtype=np.int64)
        amt = None if amount is None else np.asarray(amount, dtype=np.float64)
        if days.size and int(days.max()) > observation_end:
            msg = "Window.from_aggregates got days after observation_end."
            raise ValidationError(msg)
        entries = _aggregate_entries(codes, labels, days, counts, amt)
        return cls(
            entries,
            int(observation_end),
            None if calibration_end is None else int(calibration_end),
            customer,
            tz,
            int(counts.sum()),
            int(n_excluded),
            int(n_omitted),
        )

    def __repr__(self) -> str:
        cal = None if self.calibration_end is None else str(_date(self.calibration_end))
        return (
            f"Window(customers={len(self.entries.customers)}, entries={len(self.entries)}, "
            f"n_rows={self.n_rows}, observation_end={_date(self.observation_end)}, "
            f"calibration_end={cal}, tz={self.tz}, amounts={self.has_amount}, "
            f"n_excluded={self.n_excluded}, n_omitted={self.n_omitted}, "
            f"rows={'kept' if self.rows is not None else None})"
        )

    # -- views -----------------------------------------------------------------------------
    @property
    def customers(self) -> pd.Index:
        """Customer ids of the window (sorted when orderable), named after ``customer``."""
        return named_index(self.entries.customers, self.customer)

    @property
    def has_amount(self) -> bool:
        """Whether the entries carry amount sums."""
        return self.entries.amount is not None

    @property
    def end(self) -> pd.Timestamp:
        """``observation_end`` as a naive midnight timestamp (the local calendar day)."""
        return pd.Timestamp(_date(self.observation_end))

    @property
    def calibration(self) -> pd.Timestamp | None:
        """``calibration_end`` as a naive midnight timestamp, or ``None``."""
        if self.calibration_end is None:
            return None
        return pd.Timestamp(_date(self.calibration_end))

    def report(self, **extra: Any) -> dict[str, Any]:
        """Return the window part of ``attrs["custloyalty"]`` of a result, plus ``extra``."""
        out: dict[str, Any] = {"observation_end": str(_date(self.observation_end))}
        out.update(extra)
        out["n_transactions"] = self.n_rows
        out["n_excluded_after_observation_end"] = self.n_excluded
        out["n_omitted_missing"] = self.n_omitted
        return out

    def per_customer(self) -> dict[str, Any]:
        """Per-customer reductions of the entries (see :func:`per_customer`)."""
        return per_customer(self.entries)

    def cut(
        self, observation_end: int, *, func: str = "this function", allow_empty: bool = False
    ) -> Window:
        """Return the window up to an earlier (or equal) day (a later one if none was left out)."""
        if observation_end == self.observation_end:
            return self
        if observation_end > self.observation_end:
            if self.n_excluded:
                msg = (
                    f"The Window passed to {func} ends on {_date(self.observation_end)} and "
                    f"left out {self.n_excluded} later rows; it cannot be extended to "
                    f"observation_end={_date(observation_end)}.\n"
                    "Hint: observe the transactions again with the later observation_end."
                )
                raise ValidationError(msg)
            return dataclasses.replace(self, observation_end=int(observation_end))
        keep = self.entries.day <= observation_end
        if not keep.any() and not allow_empty:
            raise _no_purchase(
                observation_end,
                "observation_end",
                func,
                n_later=int(self.entries.count.sum()),
                first=int(self.entries.day.min()),
            )
        dropped = int(self.entries.count[~keep].sum())
        entries = _renumber(self.entries.select(keep))
        rows = self.rows
        if rows is not None:
            rows = rows.loc[to_days(rows[_frames.TIME]) <= observation_end]
        cal = self.calibration_end
        if cal is not None and cal >= observation_end:
            cal = None
        return dataclasses.replace(
            self,
            entries=entries,
            observation_end=int(observation_end),
            calibration_end=cal,
            n_rows=self.n_rows - dropped,
            n_excluded=self.n_excluded + dropped,
            rows=rows,
        )


def _no_purchase(
    day: int, name: str, func: str, *, n_later: int = 0, first: int | None = None
) -> ValidationError:
    """Nothing bought up to ``day``; with the later rows counted and the first day named."""
    msg = f"No purchases on or before {name}={_date(day)} in {func}."
    if n_later:
        msg = (
            f"No purchases on or before {name}={_date(day)} in {func}: all {n_later:,} rows "
            f"are later (the first on {_date(first if first is not None else day + 1)}).\n"
            f"Hint: pass a later {name}= (the last day of the window to evaluate), or check "
            "its year and the order of its day and month."
        )
    return ValidationError(msg)


def _renumber(cd: CustomerDays) -> CustomerDays:
    """Drop customers without entries (after a selection) and renumber densely."""
    k = len(cd.customers)
    if len(cd) == 0:
        return CustomerDays(cd.customers[:0], cd.customer, cd.day, cd.count, cd.amount)
    used = np.bincount(cd.customer, minlength=k) > 0
    if used.all():
        return cd
    new_code = np.cumsum(used, dtype=np.int64) - 1
    return CustomerDays(cd.customers[used], new_code[cd.customer], cd.day, cd.count, cd.amount)


def _aggregate_entries(
    codes: IntArray, labels: pd.Index, days: IntArray, counts: IntArray, amount: FloatArray | None
) -> CustomerDays:
    """Customer-day entries of weighted rows (each row standing for ``counts`` transactions)."""
    if codes.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return CustomerDays(
            labels[:0], empty, empty.copy(), empty.copy(), None if amount is None else np.zeros(0)
        )
    cd = customer_days(codes, labels, days, amount)
    if len(cd) == codes.size and bool((counts == 1).all()):
        return cd
    # re-add the row counts per entry: the entries are the sorted unique (code, day) keys
    dmin = int(days.min())
    day_bits = (int(days.max()) - dmin).bit_length()
    _, dense_of_label = np.unique(codes, return_inverse=True)
    key = dense_of_label.astype(np.int64) << day_bits
    key += days - dmin
    ekey = (cd.customer << day_bits) + (cd.day - dmin)
    pos = np.searchsorted(ekey, key)
    count = np.bincount(pos, weights=counts, minlength=len(cd)).astype(np.int64)
    return CustomerDays(cd.customers, cd.customer, cd.day, count, cd.amount)


def combine(windows: Sequence[Window], *, func: str = "combine") -> Window:
    """Merge the windows of chunks of one table into the window of the whole.

    The chunks may split customers or not; their customer-day entries are concatenated and
    aggregated again (counts and amounts add up), which is exact because the aggregates are
    decomposable. All windows must share ``observation_end``, ``calibration_end``, the
    customer column name, the time zone and whether they carry amounts. ``rows`` are not
    carried over (``None``).
    """
    if not windows:
        msg = f"{func} needs at least one Window."
        raise ValidationError(msg)
    head = windows[0]
    for w in windows[1:]:
        same = (
            w.observation_end == head.observation_end
            and w.calibration_end == head.calibration_end
            and w.customer == head.customer
            and str(w.tz) == str(head.tz)
            and w.has_amount == head.has_amount
        )
        if not same:
            msg = (
                f"The windows passed to {func} differ in observation_end, calibration_end, "
                "customer column, time zone or amounts; observe every chunk with the same "
                "options (a fixed observation_end)."
            )
            raise ValidationError(msg)
    if len(windows) == 1:
        return head
    parts = [w.entries.customers.take(w.entries.customer) for w in windows]
    ids = pd.Series(parts[0].append(parts[1:]))
    day = np.concatenate([w.entries.day for w in windows])
    count = np.concatenate([w.entries.count for w in windows])
    amount = None
    if head.has_amount:
        amount = np.concatenate([w.entries.amount for w in windows if w.entries.amount is not None])
    codes, labels = customer_codes(ids)
    entries = _aggregate_entries(codes, labels, day, count, amount)
    return Window(
        entries,
        head.observation_end,
        head.calibration_end,
        head.customer,
        head.tz,
        sum(w.n_rows for w in windows),
        sum(w.n_excluded for w in windows),
        sum(w.n_omitted for w in windows),
    )


# -- calendar periods of day numbers (weeks Monday to Sunday, months, quarters, years) --
def period_codes(day: IntArray, period: str) -> IntArray:
    """Integer code of the calendar period holding each day number (monotone in the day)."""
    if period == "D":
        return day.copy()
    if period == "W":  # weeks Monday..Sunday: 1970-01-01 (day 0) was a Thursday
        out: IntArray = (day + 3) // 7
        return out
    months = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if period == "Q":
        months //= 3
    elif period == "Y":
        months //= 12
    return months


def period_start(code: IntArray, period: str) -> IntArray:
    """First day number of each period code (inverse of :func:`period_codes`)."""
    code = np.asarray(code, dtype=np.int64)
    if period == "D":
        return code.copy()
    if period == "W":
        out: IntArray = code * 7 - 3
        return out
    months = code * {"M": 1, "Q": 3, "Y": 12}[period]
    return months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


def period_index(code: IntArray, period: str, name: str = "period") -> pd.PeriodIndex:
    """Calendar periods (``pandas.PeriodIndex``) of period codes."""
    start = period_start(code, period).astype("datetime64[D]").astype("datetime64[s]")
    return pd.DatetimeIndex(start).to_period(period).rename(name)


def observe(
    transactions: Any,
    *,
    customer: Hashable = _frames.CUSTOMER,
    time: Hashable = _frames.TIME,
    amount: Hashable | None = _frames.AMOUNT,
    observation_end: Any = None,
    calibration_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
    func: str = "rfm_summary",
    allow_empty: bool = False,
    keep_rows: bool = False,
) -> Window:
    """Validate transactions once and aggregate them per customer-day up to ``observation_end``.

    Parameters
    ----------
    transactions
        One row per purchase (pandas DataFrame, anything with ``to_pandas()``, a dict of
        columns), or a :class:`Window`, which is used as it is: not validated again, cut at an
        earlier ``observation_end`` if one is given, its amounts dropped when ``amount=None``.
        Column options, ``date_format`` and ``nan_policy`` do not apply to a ``Window``.
    customer, time, amount
        Column names; ``amount=None`` builds the window without amounts.
    observation_end
        Last day of the window (inclusive, the whole calendar day); later rows are left out
        and counted. Default: the day of the last purchase.
    calibration_end
        Optional end of the calibration period (before ``observation_end``), recorded in the
        window; there must be a purchase on or before it.
    date_format
        Format of date strings (see :func:`custloyalty._frames.transactions`).
    nan_policy
        ``"raise"`` or ``"omit"`` rows with missing ids, dates or amounts.
    func
        Name of the public function, used in messages.
    allow_empty
        Return a window without entries, instead of raising, when nothing was bought up to
        ``observation_end`` or ``calibration_end`` (a bucket of customers processed alone with
        a fixed ``observation_end``, whose summary is then empty).
    keep_rows
        Keep the validated rows of the window in :attr:`Window.rows` (for metrics that read
        transactions row by row, with the table's other columns), so nothing validates them
        again.

    Returns
    -------
    Window

    Raises
    ------
    ValidationError
        Invalid table or options, unhashable customer ids, no purchase up to
        ``observation_end`` (or ``calibration_end``), ``calibration_end`` not before
        ``observation_end``.
    """
    if isinstance(transactions, Window):
        return _rewindow(
            transactions,
            amount=amount,
            observation_end=observation_end,
            calibration_end=calibration_end,
            func=func,
            allow_empty=allow_empty,
        )
    tx = _frames.transactions(
        transactions,
        customer=customer,
        time=time,
        amount=amount,
        nan_policy=nan_policy,
        func=func,
        date_format=date_format,
    )
    f = tx.frame
    ids = f[_frames.CUSTOMER]
    try:
        codes, labels = customer_codes(ids)
    except TypeError:
        raise _frames.unhashable_ids_error(ids, customer, func=func) from None
    days = to_days(f[_frames.TIME])
    amt = f[_frames.AMOUNT].to_numpy(dtype=np.float64) if amount is not None else None
    rows = _rows_with_others(tx, (customer, time, amount)) if keep_rows else None
    dmax = int(days.max())
    if observation_end is None:
        end_day = dmax
    else:
        end_ts = _frames.coerce_timestamp(
            observation_end, "observation_end", tz=tx.tz, func=func, date_format=date_format
        )
        end_day = day_of(end_ts)
    n_after = 0
    first_day = int(days.min())
    if dmax > end_day:
        keep = days <= end_day
        n_after = int(keep.shape[0] - np.count_nonzero(keep))
        codes, days = codes[keep], days[keep]
        amt = None if amt is None else amt[keep]
        rows = None if rows is None else rows.iloc[keep]
        del keep
        dmax = int(days.max()) if days.size else end_day
    if codes.size == 0:
        if not allow_empty:
            raise _no_purchase(end_day, "observation_end", func, n_later=n_after, first=first_day)
        cal_day = _calibration_day(calibration_end, end_day, None, tx.tz, func, date_format)
        empty = np.zeros(0, dtype=np.int64)
        entries = CustomerDays(
            labels[:0], empty, empty.copy(), empty.copy(), None if amt is None else np.zeros(0)
        )
        return Window(entries, end_day, cal_day, customer, tx.tz, 0, n_after, tx.n_omitted, rows)
    dmin = int(days.min())
    cal_day = _calibration_day(
        calibration_end, end_day, None if allow_empty else dmin, tx.tz, func, date_format
    )
    n_rows = int(codes.size)
    # The row keys code << day_bits | (day - dmin) are built in the codes buffer (a fresh
    # array owned here) and consumed by the aggregation, so the row-level arrays are freed as
    # early as possible: peak memory stays a small multiple of the input columns.
    day_bits = (dmax - dmin).bit_length()
    key = codes
    key <<= day_bits
    key += days
    key -= dmin
    del codes, days
    entries = _customer_days_of_keys(key, dmin, day_bits, labels, amt)
    return Window(entries, end_day, cal_day, customer, tx.tz, n_rows, n_after, tx.n_omitted, rows)


def _rows_with_others(tx: _frames.Transactions, used: tuple[Hashable, ...]) -> pd.DataFrame:
    """Join the validated canonical columns and the table's other columns (positionally)."""
    f = tx.frame
    src = tx.source
    if src is None:
        return f
    others = [
        i
        for i, c in enumerate(src.columns)
        if c not in used and c not in f.columns  # the canonical names win over clashes
    ]
    if not others:
        return f
    extra = src.iloc[:, others] if tx.kept is None else src.iloc[tx.kept, others]
    extra = extra.set_axis(f.index, axis=0)
    return pd.concat([f, extra], axis=1)


def _calibration_day(
    value: Any,
    end_day: int,
    first_day: int | None,
    tz: Any,
    func: str,
    date_format: str | None = None,
) -> int | None:
    """Day number of ``calibration_end``; ``first_day=None`` skips the check for purchases."""
    if value is None:
        return None
    cal_ts = _frames.coerce_timestamp(
        value, "calibration_end", tz=tz, func=func, date_format=date_format
    )
    cal_day = day_of(cal_ts)
    if cal_day >= end_day:
        msg = (
            f"calibration_end ({_date(cal_day)}) must be before observation_end "
            f"({_date(end_day)}) in {func}."
        )
        raise ValidationError(msg)
    if first_day is not None and first_day > cal_day:  # as for observation_end: nothing to do
        msg = (
            f"No purchases on or before calibration_end={_date(cal_day)} in {func}; "
            f"the first purchase is on {_date(first_day)}."
        )
        raise ValidationError(msg)
    return cal_day


def _rewindow(
    w: Window,
    *,
    amount: Hashable | None,
    observation_end: Any,
    calibration_end: Any,
    func: str,
    allow_empty: bool,
) -> Window:
    """Pass a window on: no validation, only the cuts and options asked for."""
    if amount is None and w.has_amount:
        w = dataclasses.replace(w, entries=w.entries.without_amount())
    if observation_end is not None:
        end_ts = _frames.coerce_timestamp(observation_end, "observation_end", tz=w.tz, func=func)
        w = w.cut(day_of(end_ts), func=func, allow_empty=allow_empty)
    if calibration_end is not None:
        first = int(w.entries.day.min()) if len(w.entries) and not allow_empty else None
        cal = _calibration_day(calibration_end, w.observation_end, first, w.tz, func)
        w = dataclasses.replace(w, calibration_end=cal)
    return w


def require_amount(w: Window, func: str) -> CustomerDays:
    """Return the window's entries, which must carry amounts (``func`` needs them)."""
    if w.entries.amount is None:
        msg = (
            f"{func} needs amounts, but the Window passed was built without them.\n"
            "Hint: observe the transactions with amount='<column>'."
        )
        raise ValidationError(msg)
    return w.entries

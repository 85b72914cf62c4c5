"""Dask: the in-memory kernels run per customer bucket.

Every per-customer result of the library depends only on that customer's own transactions and
on the observation window. So a Dask frame is shuffled by customer (a hash of the id decides the
partition: every row of a customer lands in one partition), and the unchanged pandas function
runs on each partition with the window fixed by the caller. The result is a lazy Dask frame
indexed by customer, equal to the in-memory result for the same customers; nothing is
collected or sorted as a whole here.

Memory per worker is the size of the largest partition after the shuffle (rows x bytes per
row of the columns used) plus the kernel's working memory (a few times that).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _frames
from custloyalty._validation import plural
from custloyalty._window import one_thread
from custloyalty.errors import ValidationError

__all__ = [
    "call",
    "fit_scorecard",
    "in_sample",
    "refuse_in_memory",
    "refuse_partitioned",
    "rfm_summary",
    "score_scorecard",
]

IntArray = npt.NDArray[np.int64]

_WINDOW_HINT = (
    "pass observation_end='YYYY-MM-DD' (the last day the data cover): without it every "
    "partition would end its window on its own last purchase day."
)

#: Functions that need every customer at once: refused on Dask, with the way round.
_WAY_ROUND: dict[str, str] = {
    "churn_rate": (
        "churn_rate counts the customers active in each period across the whole base. "
        "Compute the per-customer summary on Dask with rfm_summary(..., observation_end=...), "
        "or .compute() the transactions of a sample of customers and call churn_rate on it."
    ),
    "cohort_retention": (
        "cohort_retention counts customers per cohort across the whole base. .compute() the "
        "transactions of a sample of customers (e.g. ddf[ddf.customer_id % 10 == 0]) and call "
        "cohort_retention on the pandas frame."
    ),
    "survival_curve": (
        "survival_curve estimates one curve over the whole base. Compute rfm_summary on Dask "
        "first and .compute() it (one row per customer), or .compute() a sample of customers."
    ),
    "repeat_purchase_rate": (
        "compute rfm_summary on Dask first, then (summary['frequency'] > 0).mean().compute(), "
        "or .compute() the summary and call repeat_purchase_rate on it."
    ),
}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _day_number(ts: pd.Timestamp) -> int:
    """Calendar day number (days since 1970-01-01) of a timestamp, on its local wall clock."""
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return int(ts.to_datetime64().astype("datetime64[D]").astype(np.int64))


def _nothing_until(
    part: pd.DataFrame,
    time: Hashable,
    end: Any,
    date_format: Any,
    *,
    omit: Mapping[str, Any] | None = None,
) -> bool:
    """Whether no row of ``part`` has a purchase day on or before ``end``.

    Only called after a kernel refused a partition, to tell an empty bucket (every purchase of
    its customers after the window, legitimately no output) from a real error. Rows with a
    missing date do not count, nor, when ``omit`` holds the caller's options with
    ``nan_policy="omit"``, rows with a missing id or amount: a bucket of only such rows is
    empty, as its rows are in the whole table.
    """
    if time not in part.columns or len(part) == 0:
        return len(part) == 0
    try:
        dates, missing = _frames.coerce_datetime(
            part[time], time, nan_policy="omit", date_format=date_format
        )
        end_ts = _frames.coerce_timestamp(end, "observation_end", tz=getattr(dates.dt, "tz", None))
        if omit is not None and omit.get("nan_policy") == "omit":
            customer = omit.get("customer", _frames.CUSTOMER)
            amount = omit.get("amount")  # only a function that reads amounts omits them
            if customer in part.columns:
                missing = missing | part[customer].isna().to_numpy(dtype=bool)
            if amount is not None and amount in part.columns:
                values = _frames.coerce_numeric(part[amount], amount, nan_policy="omit")
                missing = missing | values[1]
    except ValidationError:
        return False
    dates = dates[~missing]
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    days = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    return bool(days.size == 0 or int(days.min()) > _day_number(end_ts))


def _example_id(dtype: Any) -> pd.Series:
    """One non-null id of ``dtype`` (a pyarrow dictionary type has no Dask example value)."""
    arrow = getattr(dtype, "pyarrow_dtype", None)
    if arrow is not None:
        import pyarrow as pa

        if pa.types.is_dictionary(arrow):
            values = pa.array([_example_value(arrow.value_type)], type=arrow.value_type)
            encoded = values.dictionary_encode().cast(arrow)
            return pd.Series(pd.arrays.ArrowExtensionArray(encoded))
        return pd.Series(pd.array([_example_value(arrow)], dtype=dtype))
    msg = f"Customer ids of dtype {dtype} are not supported on Dask."
    raise ValidationError(msg)


def _example_value(arrow_type: Any) -> Any:
    import pyarrow as pa

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "0"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return b"0"
    return 0


def _synthetic_transactions(
    meta: pd.DataFrame, customer: Hashable, time: Hashable, amount: Hashable | None, end: Any
) -> pd.DataFrame:
    """Two purchases of one customer ending on ``end``, in the dtypes of ``meta``.

    Used to derive the output schema (``meta``) of a kernel without computing anything.
    """
    if _frames.is_nested_arrow(meta[customer].dtype):  # no example value to build
        msg = (
            f"Column {customer!r} holds customer ids of dtype {meta[customer].dtype}: lists, "
            "structs and maps cannot be customer ids.\nHint: customer ids must be scalars "
            "(numbers or strings); convert them first, e.g. with .map(str) or .explode()."
        )
        raise ValidationError(msg)
    ids = meta[customer].dropna().iloc[:1]
    if len(ids) == 0:  # a Dask meta (no rows): Dask's own example values
        from dask.dataframe.utils import meta_nonempty  # type: ignore[attr-defined]

        ids = meta_nonempty(meta)[customer].iloc[:1]
        if bool(ids.isna().all()):  # Dask has no example of this dtype (dictionary-encoded)
            ids = _example_id(meta[customer].dtype)
    ts = pd.Timestamp(end)
    tz = getattr(meta[time].dtype, "tz", None)
    if tz is not None and ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    dates = pd.Series([ts - pd.Timedelta(days=1), ts])
    cols: dict[Hashable, Any] = {
        # by position, in the column's own dtype: a round trip through numpy turns
        # dictionary-encoded (pyarrow) ids into nulls
        customer: ids.iloc[[0, 0]].reset_index(drop=True),
        time: dates.to_numpy() if ts.tzinfo is None else dates,
    }
    if amount is not None:
        cols[amount] = [1.0, 1.0]
    out = pd.DataFrame(cols)
    if out[customer].dtype != meta[customer].dtype:
        out[customer] = out[customer].astype(meta[customer].dtype)
    return out


def _empty_like(result: Any) -> Any:
    """Return the zero-row version of a kernel's output (a Dask ``meta``), without attrs."""
    out = result.iloc[:0].copy()
    out.attrs = {}
    return out


def _require_window(observation_end: Any, func: str) -> None:
    if observation_end is None:
        msg = f"{func} on a Dask DataFrame needs observation_end.\nHint: {_WINDOW_HINT}"
        raise ValidationError(msg)


def _frame_of(ddf: Any, func: str) -> Any:
    import dask.dataframe as dd

    if isinstance(ddf, dd.Series):
        msg = (
            f"{func} needs a Dask DataFrame of transactions; got a Dask Series.\n"
            "Hint: pass the frame holding the customer, date and amount columns."
        )
        raise ValidationError(msg)
    return ddf


# --------------------------------------------------------------------------------------------
# partitioned by customer: a cheap, lazy check
# --------------------------------------------------------------------------------------------


#: Most groups the partitions' distinct ids are hashed into for the disjointness check.
_CHECK_GROUPS = 32


def _split_ids(ids: pd.Series, groups: int) -> list[Any]:
    """Distinct ids of one partition, split into ``groups`` arrays by a hash of the id."""
    from custloyalty._engines._buckets import customer_bucket

    distinct = pd.unique(ids.dropna())
    group = customer_bucket(distinct, groups).to_numpy()
    order = np.argsort(group, kind="stable")
    cuts = [0, *np.searchsorted(group[order], np.arange(1, groups)).tolist(), len(order)]
    return [distinct[order[cuts[g] : cuts[g + 1]]] for g in range(groups)]


def _spanning_in_group(pieces: list[Any]) -> tuple[int, list[tuple[int, Any, list[int]]]]:
    """Ids of one hash group found in several partitions: their number, the first five.

    ``pieces[i]`` holds the group's distinct ids of partition ``i``. An example is
    ``(first partition, id, partitions)``.
    """
    sizes = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
    if int(sizes.sum()) == 0:
        return 0, []
    ids = pd.Series(np.concatenate(pieces)) if len(pieces) > 1 else pd.Series(pieces[0])
    dup = ids.duplicated(keep=False).to_numpy()
    if not dup.any():
        return 0, []
    part_of = np.repeat(np.arange(len(pieces)), sizes)
    spanning = pd.unique(ids[dup])  # in order of first partition
    examples = []
    for value in spanning[:5]:
        where = [int(p) for p in part_of[(ids == value).to_numpy()]]
        examples.append((where[0], value, where))
    return len(spanning), examples


def _check_disjoint(
    groups: list[tuple[int, list[tuple[int, Any, list[int]]]]], customer: Hashable, func: str
) -> bool:
    """Raise if a customer id appears in more than one partition (ids unique per partition)."""
    spanning = sum(n for n, _ in groups)
    if spanning == 0:
        return True
    found = [e for _, examples in groups for e in examples]
    try:  # the first partitions first, then the smallest ids
        found.sort(key=lambda e: (e[0], e[1]))
    except TypeError:  # ids that do not compare (mixed types)
        found.sort(key=lambda e: e[0])
    shown = []
    for _, value, where in found[:5]:
        name = value.item() if isinstance(value, np.generic) else value
        shown.append(f"{name!r} (partitions {', '.join(str(p) for p in where)})")
    msg = (
        f"{func} was called with partitioned_by_customer=True, but "
        f"{plural(spanning, 'customer')} of column {customer!r} span several partitions "
        f"of the Dask frame: {'; '.join(shown)}. Summarising each partition apart would "
        "count these customers twice.\n"
        "Hint: leave partitioned_by_customer=False (the default) to shuffle the rows by "
        "customer, or write the data so that each file holds whole customers (one file per "
        "customer bucket, read with one partition per file)."
    )
    raise ValidationError(msg)


def _partitions_as_given(series: Any) -> list[Any]:
    """One Delayed per partition of ``series`` as the caller built it, reading only its column.

    Dask's optimiser reads several small Parquet files into one partition when few of their
    columns are used: the ids read alone would come in fewer, larger partitions than the
    summary's, and a customer split across two files read together would go unseen. The
    graph is only simplified here (the column projection), not tuned, so each partition is
    one of the caller's; a check on them is at least as strict as one on any fused
    partitioning of the summary.
    """
    expr = getattr(series, "expr", None)
    if expr is None:  # pragma: no cover - Dask without query planning
        return list(series.to_delayed())
    try:  # Dask's own constructor of a collection from an expression (not public API)
        from dask.dataframe.dask_expr._collection import (  # type: ignore[attr-defined]
            new_collection,
        )
    except ImportError:  # pragma: no cover - a Dask release that moved it
        from importlib.metadata import version

        msg = (
            "partitioned_by_customer=True cannot check the partitions of this Dask version "
            f"({version('dask')}): its expression API moved.\nHint: leave "
            "partitioned_by_customer=False (the default), which shuffles the rows by customer."
        )
        raise ValidationError(msg) from None

    simplified: Any = new_collection(expr.simplify())  # type: ignore[no-untyped-call]
    return list(simplified.to_delayed(optimize_graph=False))


def _disjoint_check(ddf: Any, customer: Hashable, func: str) -> Any:
    """Return a Delayed that is True when no customer spans two partitions, and raises otherwise.

    Memory-bounded at any size: each partition's distinct ids are split by a hash of the id
    into at most ``_CHECK_GROUPS`` groups, and each group (the same ids of every partition)
    is checked on its own, so no task holds more than about ``customers / groups`` ids
    (gathering every id into one task took over 1 GiB at 36 million customers).
    """
    from dask.delayed import delayed

    parts = _partitions_as_given(ddf[customer])
    groups = max(1, min(len(parts), _CHECK_GROUPS))
    split = [delayed(_split_ids, pure=True, nout=groups)(p, groups) for p in parts]
    found = [delayed(_spanning_in_group, pure=True)([s[g] for s in split]) for g in range(groups)]
    return delayed(_check_disjoint, pure=True)(found, customer, func)


def refuse_partitioned(data: Any) -> None:
    """``partitioned_by_customer=True`` is about Dask partitions: refuse it elsewhere."""
    msg = (
        "partitioned_by_customer=True applies to Dask DataFrames only; got "
        f"{type(data).__name__}.\nHint: drop the argument for an in-memory table."
    )
    raise ValidationError(msg)


def refuse_in_memory(data: Any, *, name: str) -> None:
    """Refuse a Dask frame where a function works on one in-memory table."""
    msg = (
        f"The {name} passed here is a Dask {type(data).__name__}; this function works on one "
        "in-memory table.\nHint: per-customer tables (a customer summary, scores) fit in "
        "memory far longer than transactions: .compute() it first, or use "
        "custloyalty.rfm_summary on the Dask transactions, which runs per customer bucket."
    )
    raise ValidationError(msg)


# --------------------------------------------------------------------------------------------
# rfm_summary
# --------------------------------------------------------------------------------------------


def _summary_partition(
    part: pd.DataFrame, check: Any, *, options: dict[str, Any], empty: pd.DataFrame
) -> pd.DataFrame:
    """Run the in-memory :func:`custloyalty.rfm_summary` on one customer bucket."""
    from custloyalty.summary import rfm_summary as kernel

    if len(part) == 0:
        return empty
    try:
        with one_thread():
            out: pd.DataFrame = kernel(part, **options)
    except ValidationError:
        end = options.get("calibration_end") or options["observation_end"]
        time, fmt = options.get("time", "date"), options.get("date_format")
        if _nothing_until(part, time, end, fmt, omit=options):
            return empty  # every customer of this bucket starts after the window
        raise
    return out


def rfm_summary(ddf: Any, *, partitioned_by_customer: bool = False, **options: Any) -> Any:
    """:func:`custloyalty.rfm_summary` of a Dask frame: a lazy Dask frame indexed by customer.

    Rows are shuffled by a hash of the customer id (skipped with
    ``partitioned_by_customer=True``, after a lazy check that no customer spans two
    partitions), then the in-memory function runs on each partition with the caller's
    ``observation_end``. The output partitions hold disjoint customers, each partition sorted
    by id; the whole is not sorted.
    """
    func = "rfm_summary"
    ddf = _frame_of(ddf, func)
    _require_window(options.get("observation_end"), func)
    customer = options.get("customer", _frames.CUSTOMER)
    time = options.get("time", _frames.TIME)
    amount = options.get("amount", _frames.AMOUNT)
    _frames.distinct_roles(func, customer=customer, time=time, amount=amount)
    cols = list(dict.fromkeys([customer, time] + ([] if amount is None else [amount])))
    _frames.require_columns(ddf._meta, cols, name="transactions")
    ddf = ddf[cols]
    from custloyalty.summary import rfm_summary as kernel

    end = options.get("calibration_end") or options["observation_end"]
    empty = _empty_like(
        kernel(_synthetic_transactions(ddf._meta, customer, time, amount, end), **options)
    )
    check = _disjoint_check(ddf, customer, func) if partitioned_by_customer else None
    if not partitioned_by_customer:
        ddf = ddf.shuffle(on=customer)
    return ddf.map_partitions(
        _summary_partition, check, options=options, empty=empty, meta=empty, align_dataframes=False
    )


# --------------------------------------------------------------------------------------------
# transaction metrics
# --------------------------------------------------------------------------------------------


def _metric_partition(
    part: pd.DataFrame,
    *,
    kernel: Callable[..., Any],
    options: dict[str, Any],
    empty: Any,
    window: bool,
) -> Any:
    if len(part) == 0:
        return empty
    try:
        with one_thread():
            return kernel(part, **options)
    except ValidationError:
        time, fmt = options.get("time", "date"), options.get("date_format")
        if window and _nothing_until(part, time, options["observation_end"], fmt, omit=options):
            return empty  # no purchase in the window, or only rows omitted as missing
        raise


def _is_summary(meta: pd.DataFrame, customer: Any, time: Any) -> bool:
    """Tell a summary (its columns, not both transaction columns) from transactions."""
    names = set(meta.columns)
    return {"frequency", "recency", "T"} <= names and not {customer, time} <= names


def call(func: Callable[..., Any], arguments: dict[str, Any]) -> Any:
    """Run a public per-customer function on a Dask frame per customer bucket, or refuse it."""
    name = func.__name__
    items = list(arguments.items())
    data = items[0][1]
    options = dict(items[1:])
    if name in _WAY_ROUND:
        msg = (
            f"{name} does not take a Dask DataFrame: it needs every customer at once.\n"
            f"Hint: {_WAY_ROUND[name]}"
        )
        raise ValidationError(msg)
    ddf = _frame_of(data, name)
    if _is_summary(
        ddf._meta, options.get("customer", _frames.CUSTOMER), options.get("time", _frames.TIME)
    ):
        # a customer summary: one row per customer already, every partition stands alone
        from custloyalty.summary import rfm_summary as summarise

        synthetic = summarise(
            _synthetic_transactions(
                pd.DataFrame(
                    {
                        "customer_id": pd.Series([], dtype=ddf._meta.index.dtype),
                        "date": pd.Series([], dtype="M8[ns]"),
                    }
                ),
                "customer_id",
                "date",
                "amount" if "monetary" in ddf._meta.columns else None,
                "2000-01-02",
            ),
            observation_end="2000-01-02",
        )
        empty = _empty_like(func(synthetic, **options))
        return ddf.map_partitions(
            _metric_partition, kernel=func, options=options, empty=empty, window=False, meta=empty
        )
    _require_window(options.get("observation_end"), name)
    customer = options.get("customer", _frames.CUSTOMER)
    time = options.get("time", _frames.TIME)
    amount = options.get("amount")
    _frames.distinct_roles(name, customer=customer, time=time, amount=amount)
    cols = list(dict.fromkeys([customer, time] + ([] if amount is None else [amount])))
    _frames.require_columns(ddf._meta, cols, name="transactions")
    synthetic = _synthetic_transactions(
        ddf._meta, customer, time, amount, options["observation_end"]
    )
    empty = _empty_like(func(synthetic, **options))
    shuffled = ddf.shuffle(on=customer)
    return shuffled.map_partitions(
        _metric_partition, kernel=func, options=options, empty=empty, window=True, meta=empty
    )


# --------------------------------------------------------------------------------------------
# scorecard at scale
# --------------------------------------------------------------------------------------------

_SAMPLE_GRID = 1_000_000


def in_sample(ids: pd.Series, fraction: float, seed: int | None) -> pd.Series:
    """Whether each customer id belongs to the deterministic hash sample of ``fraction``."""
    from custloyalty._engines._buckets import customer_bucket

    cut = round(fraction * _SAMPLE_GRID)
    return customer_bucket(ids, _SAMPLE_GRID, seed=seed) < cut


def _keep_rows(ids: pd.Series, fraction: float, seed: int | None, keep_missing: bool) -> pd.Series:
    """Rows of the sample; rows without an id too when they must reach the checks (raise)."""
    keep = in_sample(ids, fraction, seed)
    return keep | ids.isna() if keep_missing else keep


def _check_fraction(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1
    if not ok or round(float(value) * _SAMPLE_GRID) < 1:
        msg = (
            "The 'sample_customers' parameter of LoyaltyScorecard.fit must be a share of "
            f"customers in (0, 1], at least 1e-6; got {value!r}.\n"
            "Hint: sample_customers=0.1 fits on a 10 % hash sample of the customers."
        )
        raise ValidationError(msg)
    return float(value)


def _sparse_table(data: Any, column: Hashable, name: str) -> pd.DataFrame | None:
    """Check a survey (interaction) table once, as the in-memory scorecard would."""
    if data is None:
        return None
    frame = _frames.as_frame(data, name=name)
    _frames.require_columns(frame, [column], name=name)
    _frames.check_ids(frame[column], column)
    return frame


def _sample_of(table: pd.DataFrame | None, column: Hashable, share: float, seed: int | None) -> Any:
    if table is None:
        return None
    return table.loc[in_sample(table[column], share, seed).to_numpy()]


def fit_scorecard(
    card: Any,
    transactions: Any,
    surveys: Any = None,
    *,
    interactions: Any = None,
    observation_end: Any,
    date_format: str | None = None,
    nan_policy: str = "raise",
    sample_customers: float | None = None,
    seed: int | None = None,
) -> Any:
    """Fit ``card`` on a deterministic hash sample of the customers (Dask or pandas).

    A customer is in the sample when ``customer_bucket(id, 10**6, seed=seed) < share * 10**6``:
    the same customers on every run, machine and partitioning, with all their transactions,
    survey answers and interactions. Only the sample of a Dask frame is computed into memory;
    the fit is the in-memory fit on it, so a pandas table sampled with the same share and seed
    gives the same fitted state.
    """
    func = "LoyaltyScorecard.fit"
    dask_input = _is_dask(transactions)
    if dask_input:
        transactions = _frame_of(transactions, func)
    if not dask_input and sample_customers is None:
        msg = (
            f"{func}: seed= chooses the hash sample of customers taken with sample_customers=; "
            "without sample_customers a pandas table is fitted on all its customers.\n"
            "Hint: pass sample_customers=0.1 (for example) with the seed, or set the seed of "
            "the models' subsample with LoyaltyScorecard(seed=...)."
        )
        raise ValidationError(msg)
    if observation_end is None:
        msg = (
            f"{func} on a {'Dask DataFrame' if dask_input else 'sample of customers'} needs "
            f"observation_end.\nHint: {_WINDOW_HINT.replace('partition', 'sample')}"
        )
        raise ValidationError(msg)
    share = _check_fraction(0.1 if sample_customers is None else sample_customers)
    cfg = card.config
    if dask_input:
        _frames.require_columns(transactions._meta, [cfg.customer], name="transactions")
        keep = transactions[cfg.customer].map_partitions(
            _keep_rows, share, seed, nan_policy == "raise", meta=(cfg.customer, bool)
        )
        sample = transactions[keep].compute()
    else:
        frame = _frames.as_frame(transactions, name="transactions")
        _frames.require_columns(frame, [cfg.customer], name="transactions")
        keep_rows = _keep_rows(frame[cfg.customer], share, seed, nan_policy == "raise")
        sample = frame.loc[keep_rows.to_numpy()]
    if len(sample) == 0:
        msg = (
            f"{func}: the hash sample of {share:g} of the customers holds no transaction.\n"
            "Hint: raise sample_customers or change the seed."
        )
        raise ValidationError(msg)
    sv = _sparse_table(surveys, cfg.survey_customer, "surveys")
    it = _sparse_table(interactions, cfg.interaction_customer, "interactions")
    return card.fit(
        sample,
        _sample_of(sv, cfg.survey_customer, share, seed),
        interactions=_sample_of(it, cfg.interaction_customer, share, seed),
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
    )


def _is_dask(obj: Any) -> bool:
    from custloyalty._engines import is_dask

    return is_dask(obj)


def _bucket_tables(
    part: pd.DataFrame, customer: Hashable, tables: list[tuple[pd.DataFrame | None, Hashable]]
) -> list[pd.DataFrame | None]:
    """Return the rows of each sparse table (surveys, interactions) of the bucket's customers."""
    ids = pd.unique(part[customer])
    return [None if t is None else t.loc[t[col].isin(ids).to_numpy()] for t, col in tables]


def _score_one(
    part: pd.DataFrame,
    surveys: pd.DataFrame | None,
    interactions: pd.DataFrame | None,
    *,
    card: Any,
    observation_end: Any,
) -> tuple[Any, int] | None:
    """``card.score_bucket`` of one bucket and the number of its customers' survey answers.

    ``None`` when the bucket has no customer in the window.
    """
    cfg = card.config
    if len(part) == 0:
        return None
    sv, it = _bucket_tables(
        part,
        cfg.customer,
        [(surveys, cfg.survey_customer), (interactions, cfg.interaction_customer)],
    )
    try:
        with one_thread():
            result = card.score_bucket(part, sv, interactions=it, observation_end=observation_end)
    except ValidationError:
        if _nothing_until(part, cfg.time, observation_end, None):
            return None  # every customer of this bucket starts after the window
        raise
    return result, 0 if sv is None else len(sv)


def _score_partition(
    part: pd.DataFrame,
    check: Any,
    surveys: pd.DataFrame | None,
    interactions: pd.DataFrame | None,
    *,
    card: Any,
    observation_end: Any,
    empty: pd.DataFrame,
) -> pd.DataFrame:
    scored = _score_one(part, surveys, interactions, card=card, observation_end=observation_end)
    if scored is None:
        return empty
    table: pd.DataFrame = scored[0].customers
    table.attrs = {}
    return table


def _bucket_totals(
    part: pd.DataFrame,
    check: Any,
    surveys: pd.DataFrame | None,
    interactions: pd.DataFrame | None,
    *,
    card: Any,
    observation_end: Any,
) -> pd.Series:
    """Totals of one scored bucket and how many survey answers matched its customers.

    A one-item object Series (``None`` for a bucket with no customer in the window), so that
    Dask runs it as a partition function, in the same task as the reading of the bucket: a
    bucket is then not held in memory while the check of the partitions runs.
    """
    scored = _score_one(part, surveys, interactions, card=card, observation_end=observation_end)
    item: tuple[Any, int] | None = None
    if scored is not None:
        result, answers = scored
        totals = result.totals
        item = (totals, answers - int(totals.survey_answers_without_transactions or 0))
    return pd.Series([item], dtype=object)


def _combine_totals(parts: list[pd.Series], check: Any, *, zero: Any, answers: int | None) -> Any:
    """Add the buckets' totals; the unmatched answers are those no bucket matched."""
    total = zero
    matched = 0
    for items in parts:
        for item in items:
            if item is not None:
                total = total + item[0]
                matched += item[1]
    if answers is not None:
        total.survey_answers_without_transactions = answers - matched
    return total


def _refuse_options(date_format: Any, nan_policy: Any, func: str) -> None:
    if date_format is not None:
        msg = (
            f"{func} on a Dask DataFrame takes dates already parsed (date_format= is for "
            "in-memory tables).\nHint: ddf[time] = dd.to_datetime(ddf[time], format=...) first."
        )
        raise ValidationError(msg)
    if nan_policy != "raise":
        msg = (
            f"{func} on a Dask DataFrame scores every row (nan_policy={nan_policy!r} is for "
            "in-memory tables).\nHint: drop incomplete rows first: ddf.dropna(subset=[...])."
        )
        raise ValidationError(msg)


def score_scorecard(
    card: Any,
    transactions: Any,
    surveys: Any = None,
    *,
    interactions: Any = None,
    observation_end: Any,
    date_format: str | None = None,
    nan_policy: str = "raise",
    partitioned_by_customer: bool = False,
) -> Any:
    """Score a Dask frame per customer bucket with a fitted scorecard.

    Rows are shuffled by customer (or trusted per partition with
    ``partitioned_by_customer=True``, after the lazy check of :func:`rfm_summary`), and
    ``card.score_bucket`` runs on each bucket with the bucket's survey answers and
    interactions. Returns a :class:`~custloyalty.scorecard.ScorecardResult` whose
    ``customers`` is a lazy Dask DataFrame (columns and dtypes of the in-memory result) and
    whose ``summary`` is built from the buckets' :class:`SummaryTotals`, added up in one
    ``.compute()`` of the totals (one pass over the data; writing ``customers`` is another).
    """
    from dask.delayed import delayed

    from custloyalty.scorecard import ScorecardResult, ScorecardSummary, SummaryTotals

    func = "LoyaltyScorecard.score"
    card._check_fitted()
    ddf = _frame_of(transactions, func)
    _require_window(observation_end, func)
    _refuse_options(date_format, nan_policy, func)
    cfg = card.config
    cols = list(dict.fromkeys([cfg.customer, cfg.time, cfg.amount]))
    _frames.require_columns(ddf._meta, cols, name="transactions")
    ddf = ddf[cols]
    sv = _sparse_table(surveys, cfg.survey_customer, "surveys")
    it = _sparse_table(interactions, cfg.interaction_customer, "interactions")
    with warnings.catch_warnings():  # a one-customer probe, for the output schema only
        warnings.simplefilter("ignore")
        probe = card.score_bucket(
            _synthetic_transactions(ddf._meta, cfg.customer, cfg.time, cfg.amount, observation_end),
            None if sv is None else sv.iloc[:0],
            interactions=None if it is None else it.iloc[:0],
            observation_end=observation_end,
        )
    empty = _empty_like(probe.customers)
    check = _disjoint_check(ddf, cfg.customer, func) if partitioned_by_customer else None
    buckets = ddf if partitioned_by_customer else ddf.shuffle(on=cfg.customer)
    sv_d = delayed(sv, pure=True) if sv is not None else None
    it_d = delayed(it, pure=True) if it is not None else None
    options: dict[str, Any] = {"card": card, "observation_end": observation_end}
    labels = tuple(card.tiers_.labels)
    zero = SummaryTotals(labels, tier_counts=(0,) * len(labels))
    if sv is not None:
        zero.nps_counts = (0, 0, 0)
    per_bucket = buckets.map_partitions(
        _bucket_totals,
        check,
        sv_d,
        it_d,
        meta=pd.Series([], dtype=object),
        align_dataframes=False,
        **options,
    ).to_delayed()
    totals = delayed(_combine_totals, pure=True)(
        per_bucket, check, zero=zero, answers=None if sv is None else len(sv)
    ).compute()
    # the partitions passed the check with the totals: the customers need not wait for it
    # again (it would hold every customer id in memory once more, on every write)
    customers = buckets.map_partitions(
        _score_partition,
        None,
        sv_d,
        it_d,
        empty=empty,
        meta=empty,
        align_dataframes=False,
        **options,
    )
    end = probe.observation_end
    return ScorecardResult(
        customers=customers,
        summary=ScorecardSummary.from_totals(totals, end),
        weights=probe.weights,
        observation_end=end,
        totals=totals,
    )

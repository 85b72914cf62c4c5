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
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _frames
from custloyalty._validation import plural
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


def _nothing_until(part: pd.DataFrame, time: Hashable, end: Any, date_format: Any) -> bool:
    """Whether no row of ``part`` has a purchase day on or before ``end``.

    Only called after a kernel refused a partition, to tell an empty bucket (every purchase of
    its customers after the window, legitimately no output) from a real error.
    """
    if time not in part.columns or len(part) == 0:
        return len(part) == 0
    try:
        dates, missing = _frames.coerce_datetime(
            part[time], time, nan_policy="omit", date_format=date_format
        )
        end_ts = _frames.coerce_timestamp(end, "observation_end", tz=getattr(dates.dt, "tz", None))
    except ValidationError:
        return False
    dates = dates[~missing]
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    days = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    return bool(days.size == 0 or int(days.min()) > _day_number(end_ts))


def _synthetic_transactions(
    meta: pd.DataFrame, customer: Hashable, time: Hashable, amount: Hashable | None, end: Any
) -> pd.DataFrame:
    """Two purchases of one customer ending on ``end``, in the dtypes of ``meta``.

    Used to derive the output schema (``meta``) of a kernel without computing anything.
    """
    from dask.dataframe.utils import meta_nonempty  # type: ignore[attr-defined]

    ids = meta_nonempty(meta)[customer].iloc[:1]
    ts = pd.Timestamp(end)
    tz = getattr(meta[time].dtype, "tz", None)
    if tz is not None and ts.tzinfo is None:
        ts = ts.tz_localize(tz)
    dates = pd.Series([ts - pd.Timedelta(days=1), ts])
    cols: dict[Hashable, Any] = {
        customer: np.repeat(ids.to_numpy(), 2),
        time: dates.to_numpy() if ts.tzinfo is None else dates,
    }
    if amount is not None:
        cols[amount] = [1.0, 1.0]
    out = pd.DataFrame(cols)
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


def _unique_ids(ids: pd.Series) -> pd.Series:
    return pd.Series(pd.unique(ids.dropna()), name=ids.name, dtype=ids.dtype)


def _check_disjoint(parts: list[pd.Series], customer: Hashable, func: str) -> bool:
    """Raise if a customer id appears in more than one partition (ids unique per partition)."""
    sizes = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    if len(parts) < 2 or int(sizes.sum()) == 0:
        return True
    ids = pd.concat(parts, ignore_index=True)
    dup = ids.duplicated(keep=False).to_numpy()
    if not dup.any():
        return True
    part_of = np.repeat(np.arange(len(parts)), sizes)
    spanning = pd.unique(ids[dup])
    examples = []
    for value in spanning[:5]:
        where = part_of[(ids == value).to_numpy()]
        shown = value.item() if isinstance(value, np.generic) else value
        examples.append(f"{shown!r} (partitions {', '.join(str(int(p)) for p in where)})")
    msg = (
        f"{func} was called with partitioned_by_customer=True, but "
        f"{plural(len(spanning), 'customer')} of column {customer!r} span several partitions "
        f"of the Dask frame: {'; '.join(examples)}. Summarising each partition apart would "
        "count these customers twice.\n"
        "Hint: leave partitioned_by_customer=False (the default) to shuffle the rows by "
        "customer, or write the data so that each file holds whole customers (one file per "
        "customer bucket, read with one partition per file)."
    )
    raise ValidationError(msg)


def _disjoint_check(ddf: Any, customer: Hashable, func: str) -> Any:
    """Return a Delayed that is True when no customer spans two partitions, and raises otherwise."""
    from dask.delayed import delayed

    uniques = ddf[customer].map_partitions(_unique_ids, meta=ddf._meta[customer])
    return delayed(_check_disjoint, pure=True)(uniques.to_delayed(), customer, func)


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
        out: pd.DataFrame = kernel(part, **options)
    except ValidationError:
        end = options.get("calibration_end") or options["observation_end"]
        if _nothing_until(part, options.get("time", "date"), end, options.get("date_format")):
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
        return kernel(part, **options)
    except ValidationError:
        if window and _nothing_until(
            part, options.get("time", "date"), options["observation_end"], None
        ):
            return empty
        raise


def _is_summary(meta: pd.DataFrame) -> bool:
    return {"frequency", "recency", "T"} <= set(meta.columns)


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
    if _is_summary(ddf._meta):
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
_MEDIAN_BINS = 100_000  # composite in [0, 100]: bins of 0.001 points


def _card_column(card: Any, name: str) -> Hashable:
    """Return a column name configured on a scorecard (attribute, or its config object)."""
    if hasattr(card, name):
        value: Hashable = getattr(card, name)
        return value
    config = getattr(card, "config", None)
    if config is not None and hasattr(config, name):
        value = getattr(config, name)
        return value
    return {"customer": _frames.CUSTOMER, "survey_customer": _frames.CUSTOMER}.get(name, name)


def in_sample(ids: pd.Series, fraction: float, seed: int | None) -> pd.Series:
    """Whether each customer id belongs to the deterministic hash sample of ``fraction``."""
    from custloyalty._engines._buckets import customer_bucket

    cut = round(fraction * _SAMPLE_GRID)
    return customer_bucket(ids, _SAMPLE_GRID, seed=seed) < cut


def _check_fraction(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1
    if not ok or round(float(value) * _SAMPLE_GRID) < 1:
        msg = (
            "The 'sample_customers' parameter of LoyaltyScorecard.fit must be a share of "
            f"customers in (0, 1]; got {value!r}."
        )
        raise ValidationError(msg)
    return float(value)


def fit_scorecard(
    card: Any,
    ddf: Any,
    surveys: Any = None,
    *,
    observation_end: Any,
    sample_customers: float = 0.1,
    seed: int | None = None,
) -> Any:
    """Fit ``card`` on a deterministic hash sample of the customers of a Dask frame.

    A customer is in the sample when ``customer_bucket(id, 10**6, seed=seed) < share * 10**6``:
    the same customers on every run and machine, with all their transactions (and survey
    answers). Only the sample is computed into memory; the fit is the in-memory fit on it.
    """
    func = "LoyaltyScorecard.fit"
    ddf = _frame_of(ddf, func)
    _require_window(observation_end, func)
    share = _check_fraction(sample_customers)
    customer = _card_column(card, "customer")
    _frames.require_columns(ddf._meta, [customer], name="transactions")
    keep = ddf[customer].map_partitions(in_sample, share, seed, meta=(customer, bool))
    sample = ddf[keep].compute()
    if len(sample) == 0:
        msg = (
            f"{func}: the hash sample of {share:g} of the customers is empty.\n"
            "Hint: raise sample_customers or change the seed."
        )
        raise ValidationError(msg)
    if surveys is not None:
        sv = _frames.as_frame(surveys, name="surveys")
        survey_customer = _card_column(card, "survey_customer")
        _frames.require_columns(sv, [survey_customer], name="surveys")
        surveys = sv.loc[in_sample(sv[survey_customer], share, seed).to_numpy()]
    return card.fit(sample, surveys, observation_end=observation_end)


def _score_partition(
    part: pd.DataFrame, *, card: Any, surveys: Any, observation_end: Any, empty: pd.DataFrame
) -> pd.DataFrame:
    if len(part) == 0:
        return empty
    table: pd.DataFrame = card.score(part, surveys, observation_end=observation_end).customers
    return table


def _bucket_totals(
    part: pd.DataFrame, *, card: Any, surveys: Any, observation_end: Any
) -> dict[str, Any]:
    """Decomposable totals of one scored customer bucket (for the base summary)."""
    from custloyalty.summary import rfm_summary as summarise

    if len(part) == 0:
        return {"customers": 0}
    table = card.score(part, surveys, observation_end=observation_end).customers
    summary = summarise(
        part,
        customer=_card_column(card, "customer"),
        time=_card_column(card, "time"),
        amount=_card_column(card, "amount"),
        observation_end=observation_end,
    ).reindex(table.index)
    composite = table["composite"].to_numpy(dtype=np.float64)
    finite = composite[np.isfinite(composite)]
    bins = np.clip(np.floor(finite * (_MEDIAN_BINS / 100.0)), 0, _MEDIAN_BINS).astype(np.int64)
    out: dict[str, Any] = {
        "customers": len(table),
        "respondent_ids": table.index[table["answered_survey"].to_numpy(dtype=bool)],
        "repeaters": int((summary["frequency"] > 0).sum()),
        "frequency_sum": float(summary["frequency"].sum()),
        "spend_sum": float(summary["total_amount"].sum()),
        "composite_sum": float(finite.sum()),
        "composite_n": int(finite.size),
        "composite_bins": np.bincount(bins, minlength=_MEDIAN_BINS + 1),
        "tier_sizes": table["tier"].value_counts(sort=False),
        "untiered": int(table["tier"].isna().sum()),
    }
    if "churn" in table:
        churn = table["churn"].to_numpy(dtype=np.float64)
        out["churn_sum"] = float(np.nansum(churn))
        out["churn_n"] = int(np.isfinite(churn).sum())
    return out


def _median_of_bins(counts: npt.NDArray[np.int64]) -> float:
    """Median of values binned by 0.001 points (mid-bin; within the summary's rounding)."""
    total = int(counts.sum())
    if total == 0:
        return float("nan")
    cum = np.cumsum(counts)
    lo = int(np.searchsorted(cum, (total + 1) // 2))
    hi = int(np.searchsorted(cum, total // 2 + 1))
    return float((lo + hi + 1) / 2.0 * (100.0 / _MEDIAN_BINS))


def _combine_totals(
    parts: list[dict[str, Any]],
    *,
    card: Any,
    surveys: pd.DataFrame | None,
    observation_end: pd.Timestamp,
    labels: list[str],
) -> dict[str, Any]:
    from custloyalty.metrics import nps, satisfaction_index

    parts = [p for p in parts if p["customers"]]
    n = sum(p["customers"] for p in parts)
    respondents = (
        pd.Index([]).append([p["respondent_ids"] for p in parts]) if parts else pd.Index([])
    )
    out: dict[str, Any] = {
        "observation_end": str(observation_end.date()),
        "customers": n,
        "respondents": len(respondents),
    }
    if surveys is not None:
        survey_customer = _card_column(card, "survey_customer")
        matched = surveys[survey_customer].isin(respondents).to_numpy()
        out["survey_answers_without_transactions"] = int((~matched).sum())
        sv = surveys.loc[matched]
        options = card._options("recommendation") if hasattr(card, "_options") else {}
        col = options.get("column", "recommend")
        if col in sv and sv[col].notna().any():
            res = nps(sv[col], nan_policy="omit")
            out["nps"] = round(res.score, 2)
            out["nps_ci"] = [round(res.ci[0], 2), round(res.ci[1], 2)]
        sat = card._options("satisfaction") if hasattr(card, "_options") else {}
        items = list(sat.get("items", ("sat1", "sat2", "sat3")))
        if len(sv) and all(c in sv for c in items):
            scale = sat.get("scale", (1, 10))
            si = satisfaction_index(
                sv, columns=items, scale=(float(scale[0]), float(scale[1])), nan_policy="omit"
            )
            out["satisfaction_index"] = round(si.overall, 2)
    if parts and "churn_sum" in parts[0]:
        churn_n = sum(p["churn_n"] for p in parts)
        out["churn_rate"] = round(sum(p["churn_sum"] for p in parts) / max(churn_n, 1), 4)
    out["repeat_purchase_rate"] = round(sum(p["repeaters"] for p in parts) / max(n, 1), 4)
    out["mean_frequency"] = round(sum(p["frequency_sum"] for p in parts) / max(n, 1) + 1.0, 3)
    out["mean_monetary"] = round(sum(p["spend_sum"] for p in parts) / max(n, 1), 2)
    comp_n = sum(p["composite_n"] for p in parts)
    out["composite_mean"] = round(sum(p["composite_sum"] for p in parts) / max(comp_n, 1), 2)
    bins = np.zeros(_MEDIAN_BINS + 1, dtype=np.int64)
    for p in parts:
        bins += p["composite_bins"]
    out["composite_median"] = round(_median_of_bins(bins), 2)
    sizes = pd.Series(0, index=labels, dtype=np.int64)
    for p in parts:
        counts = p["tier_sizes"]
        sizes = sizes.add(
            pd.Series(counts.to_numpy(), index=counts.index.astype(str)), fill_value=0
        )
    out["tier_sizes"] = {str(k): int(v) for k, v in sizes.items()}
    untiered = sum(p["untiered"] for p in parts)
    if untiered:
        out["customers_without_tier"] = untiered
    return out


def score_scorecard(card: Any, ddf: Any, surveys: Any = None, *, observation_end: Any) -> Any:
    """Score a Dask frame per customer bucket with a fitted scorecard.

    Returns the scorecard's result with ``customers`` a lazy Dask DataFrame (each bucket scored
    with the fitted state, so equal to in-memory scoring of the same customers) and a base
    summary combined from per-bucket totals (computed here: one pass over the data). Write the
    customers with ``result.customers.to_parquet(path)`` (a second pass).
    """
    from dask.delayed import delayed

    func = "LoyaltyScorecard.score"
    ddf = _frame_of(ddf, func)
    _require_window(observation_end, func)
    customer = _card_column(card, "customer")
    time = _card_column(card, "time")
    amount = _card_column(card, "amount")
    cols = list(dict.fromkeys([customer, time, amount]))
    _frames.require_columns(ddf._meta, cols, name="transactions")
    sv = None if surveys is None else _frames.as_frame(surveys, name="surveys")
    with warnings.catch_warnings():  # a one-customer probe, for the output schema only
        warnings.simplefilter("ignore")
        probe = card.score(
            _synthetic_transactions(ddf._meta, customer, time, amount, observation_end),
            sv,
            observation_end=observation_end,
        )
    empty = _empty_like(probe.customers)
    shuffled = ddf.shuffle(on=customer)
    options: dict[str, Any] = {"card": card, "surveys": sv, "observation_end": observation_end}
    customers = shuffled.map_partitions(_score_partition, empty=empty, meta=empty, **options)
    totals = [delayed(_bucket_totals)(part, **options) for part in shuffled.to_delayed()]
    labels = [str(c) for c in empty["tier"].cat.categories]
    summary = delayed(_combine_totals)(
        totals, card=card, surveys=sv, observation_end=probe.observation_end, labels=labels
    ).compute()
    return type(probe)(
        customers=customers,
        summary=summary,
        weights=probe.weights,
        observation_end=probe.observation_end,
    )

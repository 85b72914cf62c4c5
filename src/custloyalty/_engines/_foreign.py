"""Tables of other libraries: polars, pyarrow, DuckDB.

Two jobs:

* :func:`to_pandas` turns a polars DataFrame / LazyFrame, a pyarrow Table / RecordBatch /
  Dataset or a DuckDB relation into pandas for the validation boundary. These libraries have no
  row index, so a per-customer table (a customer summary, scores) arrives with its ids in a
  column: a ``customer_id`` column that holds each id once becomes the index (the column stays),
  so every per-customer output is indexed by customer as it is for pandas input. A pyarrow
  table written from pandas keeps its own index (pandas metadata) instead.
* :func:`rfm_summary` aggregates a polars LazyFrame or a DuckDB relation per customer and
  calendar day (row count and amount sum) inside that engine; only the customer-day table
  comes to pandas, where the unchanged kernel summarises it. Columns of a type the engine
  cannot aggregate exactly as pandas would (dates held as strings, time-zone-aware DuckDB
  timestamps, list or struct ids, a name used twice) and tables with missing or non-finite
  values (NaN float ids included) take the pandas path instead, and so does a table whose
  customer-day table the kernel refuses, so every message (its counts of bad rows) and
  ``nan_policy`` behave as for pandas input. The row-count column takes a name no column
  has. A DuckDB ``TIMESTAMP WITH TIME ZONE`` holds instants without their zone: DuckDB hands
  them over in the session's ``TimeZone`` setting (UTC by default), so purchase days are
  local days of that zone (``SET TimeZone = 'Europe/Paris'`` to count Paris days).

Polars, pyarrow and DuckDB are optional: nothing imports them; the objects come from them.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from custloyalty import _frames
from custloyalty.errors import ValidationError

__all__ = ["is_lazy", "rfm_summary", "to_pandas"]

_COUNT = "__custloyalty_count"


def _count_name(names: list[Hashable]) -> str:
    """Name the row-count column so that no column of the table has that name."""
    taken = {str(n) for n in names}
    name = _COUNT
    while name in taken:
        name += "_"
    return name


def _kind(data: Any) -> str:
    module = type(data).__module__ or ""
    return module.split(".", 1)[0].lstrip("_")


def is_lazy(data: Any) -> bool:
    """Whether ``data`` is a polars LazyFrame or a DuckDB relation (aggregated in its engine)."""
    name = type(data).__name__
    return (_kind(data) == "polars" and name == "LazyFrame") or (
        _kind(data) == "duckdb" and name == "DuckDBPyRelation"
    )


def _collect(data: Any, columns: list[Hashable] | None = None) -> pd.DataFrame:
    """Return ``data`` (or only ``columns`` of it) as a pandas frame, with a default index."""
    kind = _kind(data)
    name = type(data).__name__
    if kind == "polars":
        if columns is not None:
            data = data.select([str(c) for c in columns])
        if name == "LazyFrame":
            data = data.collect()
        return data.to_pandas()  # type: ignore[no-any-return]
    if kind == "pyarrow":
        if hasattr(data, "to_table"):  # a Dataset (or a Scanner): read it as one table
            _refuse_duplicates(list(data.schema.names), columns)
            data = data.to_table(columns=None if columns is None else [str(c) for c in columns])
        elif columns is not None:
            data = data.select([str(c) for c in columns])
        try:
            return data.to_pandas()  # type: ignore[no-any-return]
        except (TypeError, ValueError):
            # pandas metadata naming a dtype pandas cannot rebuild (a dictionary-encoded
            # ArrowDtype column written from pandas): read the columns without it
            if not (data.schema.metadata or {}).get(b"pandas"):
                raise
            metadata = {k: v for k, v in data.schema.metadata.items() if k != b"pandas"}
            return data.replace_schema_metadata(metadata).to_pandas()  # type: ignore[no-any-return]
    if kind == "duckdb" and hasattr(data, "df"):
        names = list(data.columns)
        if columns is not None:
            _refuse_duplicates(names, columns)
            data = data.select(*(_quote(c) for c in columns))
            names = [str(c) for c in columns]
        df: pd.DataFrame = data.df()
        # DuckDB renames duplicate names (amount, amount_1): keep them as the relation has
        # them, so that a duplicated column is refused as it is in a pandas frame
        df.columns = pd.Index(names)
        return df
    msg = (
        f"Tables of type {type(data).__module__}.{name} are not supported; pass a pandas, "
        "polars, pyarrow or DuckDB table."
    )
    raise ValidationError(msg)


def _refuse_duplicates(names: list[str], columns: list[Hashable] | None) -> None:
    """Refuse a table whose columns used (all of them if ``columns`` is None) repeat a name.

    pyarrow cannot read a dataset with a repeated name at all, and DuckDB would silently
    reference the first of the columns: both are refused as a pandas frame is.
    """
    wanted = names if columns is None else [str(c) for c in columns]
    dup = [c for c in dict.fromkeys(wanted) if names.count(c) > 1]
    if dup:
        msg = (
            f"Column {dup[0]!r} appears {names.count(dup[0])} times in the table; the columns "
            "used must have unique names.\nHint: rename the duplicates first (in SQL: "
            "SELECT ... AS another_name)."
        )
        raise ValidationError(msg)


def _ids_as_index(df: pd.DataFrame) -> pd.DataFrame:
    """Index a frame without an index by its ``customer_id`` column when that holds each id once."""
    index = df.index
    default = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
    if not default or _frames.CUSTOMER not in df.columns or not df.columns.is_unique:
        return df
    ids = df[_frames.CUSTOMER]
    try:
        unique = ids.is_unique
    except TypeError:  # unhashable ids (lists, structs): refused where the ids are read
        return df
    if not unique or bool(ids.isna().any()):
        return df
    return df.set_index(pd.Index(ids, name=_frames.CUSTOMER), drop=False)


def to_pandas(data: Any, *, name: str) -> pd.DataFrame:
    """Return a polars, pyarrow or DuckDB table as pandas, a unique ``customer_id`` as its index."""
    try:
        df = _collect(data)
    except ValidationError as exc:
        msg = f"The {name} passed here: {exc}"
        raise ValidationError(msg) from None
    return _ids_as_index(df)


# --------------------------------------------------------------------------------------------
# rfm_summary on the engine's own aggregation
# --------------------------------------------------------------------------------------------


def _quote(name: Hashable) -> str:
    text = str(name).replace('"', '""')
    return f'"{text}"'


def _polars_scalar(dtype: Any) -> bool:
    """Whether a polars dtype holds scalars (not lists, arrays, structs or objects)."""
    import polars as pl

    return not isinstance(dtype, pl.List | pl.Array | pl.Struct | pl.Object)


def _polars_days(
    data: Any, customer: Hashable, time: Hashable, amount: Hashable | None
) -> pd.DataFrame | None:
    """Customer-day table of a LazyFrame, or ``None`` for the pandas path."""
    import polars as pl

    schema = data.collect_schema()
    cols = [str(customer), str(time)] + ([] if amount is None else [str(amount)])
    if any(c not in schema for c in cols):
        return None
    if not isinstance(schema[str(time)], pl.Datetime | pl.Date):
        return None
    if not _polars_scalar(schema[str(customer)]):
        return None  # list or struct ids: refused on the pandas path, counting rows
    bad = pl.col(str(customer)).is_null() | pl.col(str(time)).is_null()
    if schema[str(customer)].is_float():  # NaN is a missing id for pandas, not for polars
        bad = bad | pl.col(str(customer)).is_nan()
    count = _count_name(list(schema.names()))
    aggs = [pl.len().alias(count)]
    if amount is not None:
        a = pl.col(str(amount))
        if not schema[str(amount)].is_numeric():
            return None
        a = a.cast(pl.Float64)
        bad = bad | a.is_null() | a.is_nan() | a.is_infinite()
        aggs.append(a.sum().alias(str(amount)))
    check = data.select(bad.sum().alias("bad"))
    days = data.group_by([pl.col(str(customer)), pl.col(str(time)).dt.date().alias(str(time))]).agg(
        aggs
    )
    n_bad, table = pl.collect_all([check, days])
    if int(n_bad.item()) > 0:
        return None
    out: pd.DataFrame = table.to_pandas()
    out[_count_name([customer, time, amount])] = out.pop(count)
    tz = getattr(schema[str(time)], "time_zone", None)
    out[str(time)] = pd.to_datetime(out[str(time)]).astype("datetime64[s]")
    if tz is not None:
        out[str(time)] = out[str(time)].dt.tz_localize(tz)
    return out


_DUCKDB_DATES = ("DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")


def _duckdb_days(
    rel: Any, customer: Hashable, time: Hashable, amount: Hashable | None
) -> pd.DataFrame | None:
    """Customer-day table of a DuckDB relation, or ``None`` for the pandas path."""
    types = {c: str(t).upper() for c, t in zip(rel.columns, rel.types, strict=True)}
    cols = [str(customer), str(time)] + ([] if amount is None else [str(amount)])
    if any(c not in types for c in cols) or types[str(time)] not in _DUCKDB_DATES:
        return None
    if any(list(rel.columns).count(c) > 1 for c in cols):
        return None  # a repeated name: refused on the pandas path
    id_type = types[str(customer)]
    if id_type.endswith("]") or id_type.startswith(("STRUCT", "MAP", "UNION")):
        return None  # list, array, struct or map ids: refused on the pandas path
    c, t = _quote(customer), _quote(time)
    bad = f"{c} IS NULL OR {t} IS NULL"
    if id_type in ("FLOAT", "DOUBLE", "REAL"):  # NaN is a missing id for pandas
        bad += f" OR isnan({c})"
    count = _count_name(list(rel.columns))
    select = f"{c}, CAST({t} AS DATE) AS {t}, count(*) AS {_quote(count)}"
    if amount is not None:
        a_type = types[str(amount)]
        numeric = ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC")
        nested = a_type.endswith("]") or a_type.startswith(("STRUCT", "MAP", "UNION"))
        if nested or not any(k in a_type for k in numeric):
            return None  # lists of numbers (DOUBLE[]) too: refused on the pandas path
        a = f"CAST({_quote(amount)} AS DOUBLE)"
        bad += f" OR {a} IS NULL OR isnan({a}) OR isinf({a})"
        select += f", sum({a}) AS {_quote(amount)}"
    n_bad = rel.query("tx", f"SELECT count(*) FROM tx WHERE {bad}").fetchall()[0][0]
    if int(n_bad) > 0:
        return None
    table: pd.DataFrame = rel.query("tx", f"SELECT {select} FROM tx GROUP BY 1, 2").df()
    table[str(time)] = pd.to_datetime(table[str(time)]).astype("datetime64[s]")
    table[_count_name([customer, time, amount])] = table.pop(count)
    return table


def _on_pandas(
    data: Any,
    kernel: Any,
    customer: Hashable,
    time: Hashable,
    amount: Hashable | None,
    options: dict[str, Any],
) -> pd.DataFrame:
    """Summarise on the pandas path: the needed columns (all if they cannot be selected)."""
    needed = [customer, time] + ([] if amount is None else [amount])
    try:
        frame = _collect(data, list(dict.fromkeys(needed)))
    except ValidationError:
        raise
    except Exception:
        frame = _collect(data)
    return kernel(frame, **options)  # type: ignore[no-any-return]


def rfm_summary(data: Any, **options: Any) -> pd.DataFrame:
    """:func:`custloyalty.rfm_summary` of a LazyFrame or relation, aggregated in its engine."""
    from custloyalty.summary import rfm_summary as kernel

    customer = options.get("customer", _frames.CUSTOMER)
    time = options.get("time", _frames.TIME)
    amount = options.get("amount", _frames.AMOUNT)
    _frames.distinct_roles("rfm_summary", customer=customer, time=time, amount=amount)
    if options.get("date_format") is not None:
        days = None  # an explicit format is for date strings: pandas parses them
    elif _kind(data) == "polars":
        days = _polars_days(data, customer, time, amount)
    else:
        days = _duckdb_days(data, customer, time, amount)
    if days is None:
        return _on_pandas(data, kernel, customer, time, amount, options)
    if len(days) == 0:
        msg = (
            "The table passed to rfm_summary is empty (0 rows); at least one transaction is needed."
        )
        raise ValidationError(msg)
    if amount is not None:  # finite amounts whose same-day sum overflowed in the engine
        sums = days[str(amount)].to_numpy(dtype=np.float64)
        if not np.isfinite(sums).all():
            n = int((~np.isfinite(sums)).sum())
            msg = (
                f"Column {amount!r} holds amounts so large that the sums of {n} customer-days "
                "overflow floating point (beyond 1.8e308).\nHint: rescale the column first, "
                "e.g. divide it by 1e6."
            )
            raise ValidationError(msg)
    counts = days.pop(_count_name([customer, time, amount])).to_numpy(dtype=np.int64)
    try:
        out: pd.DataFrame = kernel(days, **options)
    except ValidationError:
        # the message would count and quote customer-days: say it of the rows instead
        return _on_pandas(data, kernel, customer, time, amount, options)
    day = days[str(time)]
    if getattr(day.dt, "tz", None) is not None:
        day = day.dt.tz_localize(None)
    day_number = day.to_numpy().astype("datetime64[D]").astype(np.int64)
    report = dict(out.attrs.get("custloyalty", {}))
    end = np.datetime64(report["observation_end"], "D").astype(np.int64)
    last = end
    if "calibration_end" in report:
        last = np.datetime64(report["calibration_end"], "D").astype(np.int64)
    # n_purchases counts rows: sum the customer-day counts up to the (calibration) end
    upto = day_number <= last
    rows = pd.Series(counts[upto]).groupby(days[str(customer)].to_numpy()[upto]).sum()
    out["n_purchases"] = rows.reindex(out.index).to_numpy(dtype=np.int64)
    report["n_transactions"] = int(counts[day_number <= end].sum())
    report["n_excluded_after_observation_end"] = int(counts[day_number > end].sum())
    out.attrs["custloyalty"] = report
    return out

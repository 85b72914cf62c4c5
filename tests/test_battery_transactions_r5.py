"""Hostile battery of everything that reads transactions, round 5 (issue 13, "done when").

Round 1 (``test_battery_transactions``) tried ``rfm_summary`` column by column (dtypes of ids,
dates and amounts, day-first dates, time zones, the date options) and round 2
(``test_battery_engines``) the same calls on Dask, polars, pyarrow and DuckDB. This round
tries what they left out, on pandas and on every engine:

* the flags ``progress`` and ``partitioned_by_customer`` given numbers, strings and None;
* ``date_format`` values pandas accepts but that defeat the one-format rule (``"mixed"``,
  an empty string);
* ``observation_end`` / ``calibration_end`` naming a year, a month or a quarter without its
  day (``"2024-06"``, ``"2024"``, ``"June 2024"``, ``"2024Q2"``), and the many ways of
  writing a day that stay accepted;
* boolean customer ids (a flag column named as the id, ``True`` merging with customer 1) and
  nested Arrow ids and amounts (lists, structs, maps);
* odd Arrow and object dtypes that must still give the right summary (date64, timestamps
  with a fixed offset, dictionary-encoded strings, half floats, uint64 amounts), the
  calibration/holdout split in weeks and months, Dask frames with empty or one-row
  partitions, polars LazyFrames and DuckDB relations with a holdout;
* Dask (``rfm_summary``, ``purchase_frequency``) and ``bucket_summary`` with
  ``nan_policy="omit"`` where a customer bucket holds only rows with a missing id or amount,
  or with ``date_format`` where a bucket's only purchase falls after the window;
* ``customer_bucket`` of one id read in chunks of different dtypes (a float chunk, as one
  null id makes it, beside an int64 one: customer 7 must keep one bucket) and huge
  ``n_buckets``;
* ``models.cumulative_purchases`` and ``models.calibration_holdout`` fed from transactions.

A case passes with exactly one acceptable outcome (``tests/_battery.py``):

* ``Num``: the right summary, equal to an independent pandas group-by computed here (for an
  engine: equal to the pandas result of the same rows, itself checked against the group-by);
* ``Err``: our own :class:`~custloyalty.errors.ValidationError` naming the parameter or
  column, with a ``Hint:`` line where the fix is known;
* ``Warns``: the right result with our warning.

A stray exception (ArrowNotImplementedError, duckdb ConversionException, TypeError from
pandas), a silent wrong number (``"2024-06"`` read as 1 June, ``date_format="mixed"`` reading
one column half month-first and half day-first, ``True`` counted as customer 1) or a modified
caller table fails the case. 69 of the 142 cases failed on the code before this round.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import custloyalty as cl
from _battery import BG_PUB, Err, Num, Warns, run_case
from custloyalty.errors import AmbiguousDateWarning, ValidationError
from custloyalty.models import BetaGeo, calibration_holdout, cumulative_purchases

pa = pytest.importorskip("pyarrow")
dd = pytest.importorskip("dask.dataframe")
pl = pytest.importorskip("polars")
duckdb = pytest.importorskip("duckdb")

BASE = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 2, 3, 3, 4, 4],
        "date": pd.to_datetime(
            [
                "2024-01-01",
                "2024-01-01 13:00",
                "2024-01-15",
                "2024-01-10",
                "2024-01-02",
                "2024-01-20 23:59",
                "2024-01-05",
                "2024-02-20",
            ],
            format="ISO8601",
        ),
        "amount": [10.0, 5.0, 20.0, 8.0, 3.5, 7.25, 4.0, 6.0],
    }
)
END = "2024-02-29"
COLS = ["frequency", "recency", "T", "monetary", "n_purchases", "total_amount"]
HOLD = ["frequency_holdout", "monetary_holdout", "duration_holdout"]


def reference(
    tx: pd.DataFrame, end: Any = None, cal: Any = None, unit: float = 1.0
) -> pd.DataFrame:
    """The customer summary of ``tx`` (parsed columns) by plain pandas group-bys."""
    b = tx.copy()
    d = b["date"]
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    b["day"] = d.dt.normalize()
    last = b["day"].max() if end is None else pd.Timestamp(end)
    b = b[b["day"] <= last]
    g = (
        b.groupby(["customer_id", "day"])
        .agg(amount=("amount", "sum"), n=("amount", "size"))
        .reset_index()
    )
    cut = last if cal is None else pd.Timestamp(cal)
    c = g[g["day"] <= cut]
    per = c.groupby("customer_id")
    first, n_days = per["day"].min(), per.size()
    first_amount = c.sort_values("day").groupby("customer_id")["amount"].first()
    total = per["amount"].sum()
    out = pd.DataFrame(
        {
            "frequency": n_days - 1,
            "recency": (per["day"].max() - first).dt.days / unit,
            "T": (cut - first).dt.days / unit,
            "monetary": (total - first_amount) / (n_days - 1).clip(lower=1),
            "n_purchases": per["n"].sum(),
            "total_amount": total,
        }
    )
    if cal is not None:
        h = g[g["day"] > cut].groupby("customer_id")
        k = h.size().reindex(out.index, fill_value=0)
        out["frequency_holdout"] = k
        out["monetary_holdout"] = (h["amount"].sum() / h.size()).reindex(out.index).fillna(0.0)
        out["duration_holdout"] = (last - cut).days / unit
    return out


def norm(df: pd.DataFrame, cols: list[str] | None = None) -> pd.DataFrame:
    """Columns ``cols`` as float, ids as text (engines and pandas compared on one footing)."""
    if hasattr(df, "compute"):
        df = df.compute()
    df = df.sort_index(key=lambda i: pd.Index([str(v) for v in i]))
    cols = [c for c in (COLS + HOLD if cols is None else cols) if c in df.columns]
    out = df[cols].astype(float)
    out.index = pd.Index([str(v) for v in df.index])
    return out


def with_(**columns: Any) -> pd.DataFrame:
    out = BASE.copy()
    for k, v in columns.items():
        out[k] = v
    return out


def rs(tx: Any = BASE, **kw: Any) -> Callable[[], Any]:
    return lambda: norm(cl.rfm_summary(tx, **kw))


def ref(tx: pd.DataFrame = BASE, end: Any = None, cal: Any = None, unit: float = 1.0) -> Num:
    return Num(norm(reference(tx, end, cal, unit)), 1e-12)


def summary_err(*words: str) -> Err:
    return Err(ValidationError, *words)


# --------------------------------------------------------------------------------- flags
FLAGS: list[tuple[str, Callable[[], Any], Any]] = [
    *[
        (
            f"progress={v!r}",
            rs(progress=v),
            summary_err("'progress' parameter of rfm_summary must be True or False"),
        )
        for v in (1, 0, "yes", "no", None, 1.0)
    ],
    *[
        (
            f"partitioned_by_customer={v!r}",
            rs(partitioned_by_customer=v),
            summary_err("'partitioned_by_customer'", "must be True or False"),
        )
        for v in (0, "no", "False", None)
    ],
    ("progress=np.False_", rs(progress=np.False_), ref()),
    ("partitioned_by_customer=np.False_", rs(partitioned_by_customer=np.False_), ref()),
    (
        "partitioned_by_customer='no' on Dask",
        rs(dd.from_pandas(BASE, npartitions=2), observation_end=END, partitioned_by_customer="no"),
        summary_err("'partitioned_by_customer'", "True or False"),
    ),
    (
        "progress=1 on a polars LazyFrame",
        rs(pl.from_pandas(BASE).lazy(), progress=1),
        summary_err("'progress'", "True or False"),
    ),
]

# --------------------------------------------------------------------------- date_format
DAYFIRST = with_(date=BASE["date"].dt.strftime("%d/%m/%Y"))
FORMATS: list[tuple[str, Callable[[], Any], Any]] = [
    *[
        (
            f"date_format={f!r}",
            rs(DAYFIRST, date_format=f),
            summary_err("'date_format'", "cannot be 'mixed'", "Hint"),
        )
        for f in ("mixed", "MIXED", " mixed ")
    ],
    *[
        (f"date_format={f!r}", rs(DAYFIRST, date_format=f), summary_err("'date_format'", "empty"))
        for f in ("", "   ")
    ],
    (
        "date_format='mixed' on polars",
        rs(pl.from_pandas(DAYFIRST), date_format="mixed"),
        summary_err("cannot be 'mixed'"),
    ),
    (
        "date_format='mixed' on Dask",
        rs(dd.from_pandas(DAYFIRST, npartitions=2), date_format="mixed", observation_end=END),
        summary_err("cannot be 'mixed'"),
    ),
    ("date_format day-first (control)", rs(DAYFIRST, date_format="%d/%m/%Y"), ref()),
    (
        "date_format ISO8601 with times (control)",
        rs(with_(date=BASE["date"].dt.strftime("%Y-%m-%dT%H:%M")), date_format="ISO8601"),
        ref(),
    ),
]

# ---------------------------------------------------------------- date options with no day
NO_DAY = ["2024-02", "2024", "02/2024", "2024/02", "Feb 2024", "February 2024", "2024Q1", "2024-2"]
DAYS = [
    ("2024/02/29", "2024-02-29"),
    ("20240229", "2024-02-29"),
    ("Feb 29 2024", "2024-02-29"),
    ("29 February 2024", "2024-02-29"),
    (" 2024-02-29 ", "2024-02-29"),
    ("29/02/2024", "2024-02-29"),
    ("2024-02-29T00:00", "2024-02-29"),
]
OPTIONS: list[tuple[str, Callable[[], Any], Any]] = [
    *[
        (
            f"observation_end={v!r}",
            rs(observation_end=v),
            summary_err("'observation_end' parameter of rfm_summary names no day", "Hint"),
        )
        for v in NO_DAY
    ],
    *[
        (
            f"calibration_end={v!r}",
            rs(calibration_end=v, observation_end=END),
            summary_err("'calibration_end'", "names no day"),
        )
        for v in ("2024-01", "Jan 2024")
    ],
    *[(f"observation_end={v!r} (a day)", rs(observation_end=v), ref(end=d)) for v, d in DAYS],
    (
        "observation_end='2024-02' on DuckDB",
        rs(duckdb.from_df(BASE), observation_end="2024-02"),
        summary_err("names no day"),
    ),
    (
        "observation_end='2024-02' on Dask",
        rs(dd.from_pandas(BASE, npartitions=2), observation_end="2024-02"),
        summary_err("names no day"),
    ),
    (
        "observation_end aware in another zone is converted",
        rs(
            with_(date=BASE["date"].dt.tz_localize("Europe/Paris")),
            observation_end=pd.Timestamp("2024-02-19 23:30", tz="UTC"),
        ),
        ref(end="2024-02-20"),
    ),
    (
        "calibration_end aware in another zone is converted",
        rs(
            with_(date=BASE["date"].dt.tz_localize("Europe/Paris")),
            calibration_end=pd.Timestamp("2024-01-09 23:30", tz="UTC"),
            observation_end=END,
        ),
        ref(end=END, cal="2024-01-10"),
    ),
]

# ------------------------------------------------------------------------------------ ids
BOOL_ID = ("'customer_id'", "boolean customer id", "Hint")
FLAGS_COL = [True, True, True, False, False, False, True, True]
IDS: list[tuple[str, Callable[[], Any], Any]] = [
    ("ids bool", rs(with_(customer_id=FLAGS_COL)), summary_err(*BOOL_ID)),
    (
        "ids nullable boolean",
        rs(with_(customer_id=pd.array(FLAGS_COL, dtype="boolean"))),
        summary_err(*BOOL_ID),
    ),
    (
        "ids nullable boolean with NA, omitted",
        rs(
            with_(customer_id=pd.array([True, None, *FLAGS_COL[2:]], dtype="boolean")),
            nan_policy="omit",
        ),
        summary_err(*BOOL_ID),
    ),
    (
        "ids pyarrow bool",
        rs(with_(customer_id=pd.Series(FLAGS_COL, dtype="bool[pyarrow]"))),
        summary_err(*BOOL_ID),
    ),
    (
        "ids categorical bools",
        rs(with_(customer_id=pd.Categorical(FLAGS_COL))),
        summary_err(*BOOL_ID),
    ),
    (
        "ids True among ints (would merge with customer 1)",
        rs(with_(customer_id=pd.Series([True, 1, 1, 2, 3, 3, 4, 4], dtype=object))),
        summary_err("has 1 boolean customer id value (rows 0): True"),
    ),
    (
        "ids np.False_ among strings",
        rs(with_(customer_id=pd.Series([np.False_, *"aabccdd"], dtype=object))),
        summary_err("1 boolean customer id"),
    ),
    ("ids bool on polars", rs(pl.from_pandas(with_(customer_id=FLAGS_COL))), summary_err(*BOOL_ID)),
    (
        "ids bool on a LazyFrame",
        rs(pl.from_pandas(with_(customer_id=FLAGS_COL)).lazy()),
        summary_err(*BOOL_ID),
    ),
    ("ids bool on DuckDB", rs(duckdb.from_df(with_(customer_id=FLAGS_COL))), summary_err(*BOOL_ID)),
    (
        "ids bool on Dask",
        rs(dd.from_pandas(with_(customer_id=FLAGS_COL), npartitions=2), observation_end=END),
        summary_err(*BOOL_ID),
    ),
    (
        "ids 'True'/'False' strings are ids",
        rs(with_(customer_id=[str(v) for v in FLAGS_COL])),
        ref(with_(customer_id=[str(v) for v in FLAGS_COL])),
    ),
    (
        "ids 0/1 integers are ids",
        rs(with_(customer_id=[int(v) for v in FLAGS_COL])),
        ref(with_(customer_id=[int(v) for v in FLAGS_COL])),
    ),
    *[
        (
            f"ids pyarrow {name}",
            rs(with_(customer_id=pd.Series(values, dtype=pd.ArrowDtype(kind)))),
            summary_err("'customer_id'", "unhashable customer id", "Hint"),
        )
        for name, values, kind in [
            ("list", [[1]] * 8, pa.list_(pa.int64())),
            ("large_list", [["a"]] * 8, pa.large_list(pa.string())),
            ("struct", [{"a": 1}] * 8, pa.struct([("a", pa.int64())])),
            ("map", [[("a", 1)]] * 8, pa.map_(pa.string(), pa.int64())),
        ]
    ],
    *[
        (
            f"ids pyarrow list on {engine}",
            rs(
                make(
                    with_(
                        customer_id=pd.Series([[1]] * 8, dtype=pd.ArrowDtype(pa.list_(pa.int64())))
                    )
                ),
                **kw,
            ),
            summary_err("'customer_id'", "Hint"),
        )
        for engine, make, kw in [
            ("polars", pl.from_pandas, {}),
            ("pyarrow", lambda t: pa.Table.from_pandas(t, preserve_index=False), {}),
            ("Dask", lambda t: dd.from_pandas(t, npartitions=2), {"observation_end": END}),
        ]
    ],
    (
        "ids int64 extremes",
        rs(with_(customer_id=[-(2**63)] * 3 + [0, 2**63 - 1, 2**63 - 1, 5, 5])),
        ref(with_(customer_id=[-(2**63)] * 3 + [0, 2**63 - 1, 2**63 - 1, 5, 5])),
    ),
    (
        "ids int64 spread beyond 2**40",
        rs(with_(customer_id=[0, 0, 0, 2**50, 2**62, 2**62, 7, 7])),
        ref(with_(customer_id=[0, 0, 0, 2**50, 2**62, 2**62, 7, 7])),
    ),
    (
        "ids -0.0 and 0.0 are one customer",
        rs(with_(customer_id=[0.0, -0.0, 0.0, 2.0, 3.0, 3.0, 4.0, 4.0])),
        ref(with_(customer_id=[0.0, 0.0, 0.0, 2.0, 3.0, 3.0, 4.0, 4.0])),
    ),
]

# -------------------------------------------------------------------------------- amounts
AMOUNTS: list[tuple[str, Callable[[], Any], Any]] = [
    (
        "amount pyarrow list",
        rs(with_(amount=pd.Series([[1.0]] * 8, dtype=pd.ArrowDtype(pa.list_(pa.float64()))))),
        summary_err("Column 'amount' must be numeric; got dtype list"),
    ),
    (
        "amount pyarrow struct",
        rs(
            with_(
                amount=pd.Series(
                    [{"v": 1.0}] * 8, dtype=pd.ArrowDtype(pa.struct([("v", pa.float64())]))
                )
            )
        ),
        summary_err("Column 'amount' must be numeric"),
    ),
    *[
        (
            f"amount lists on {engine}",
            rs(
                make(
                    with_(
                        amount=pd.Series([[1.0]] * 8, dtype=pd.ArrowDtype(pa.list_(pa.float64())))
                    )
                )
            ),
            summary_err("Column 'amount'"),
        )
        for engine, make in [
            ("DuckDB", lambda t: duckdb.from_arrow(pa.Table.from_pandas(t, preserve_index=False))),
            ("a LazyFrame", lambda t: pl.from_pandas(t).lazy()),
        ]
    ],
    *[
        (f"amount {name}", rs(with_(amount=v)), ref(with_(amount=want)))
        for name, v, want in [
            (
                "'+5' '5.' '-0' strings",
                ["+5", "5.", "-0", "8", "3.5", "7.25", "4", "6"],
                [5, 5, 0, 8, 3.5, 7.25, 4, 6],
            ),
            ("pyarrow halffloat", pd.Series([1.5] * 8, dtype="halffloat[pyarrow]"), [1.5] * 8),
            (
                "pyarrow uint64 beyond int64",
                pd.Series([2**63 + 2**11] * 8, dtype="uint64[pyarrow]"),
                [float(2**63 + 2**11)] * 8,
            ),
            (
                "pyarrow dictionary strings",
                pd.Series(
                    pd.arrays.ArrowExtensionArray(
                        pa.array([str(a) for a in BASE["amount"]]).dictionary_encode()
                    )
                ),
                BASE["amount"],
            ),
            (
                "categorical strings",
                pd.Categorical([str(a) for a in BASE["amount"]]),
                BASE["amount"],
            ),
            ("1e-300", [1e-300] * 8, [1e-300] * 8),
            (
                "int8",
                np.array([10, 5, 20, 8, 3, 7, 4, 6], dtype="int8"),
                [10, 5, 20, 8, 3, 7, 4, 6],
            ),
        ]
    ],
    *[
        (
            f"amount {name} refused",
            rs(with_(amount=[v, *BASE["amount"][1:]])),
            summary_err("Column 'amount'", "non-numeric", "Hint"),
        )
        for name, v in [
            ("'1_000'", "1_000"),
            ("'(5)'", "(5)"),
            ("'5%'", "5%"),
            ("full-width '１０'", "１０"),
            ("'0x10'", "0x10"),
        ]
    ],
]

# ------------------------------------------------------------------------ dates and dtypes
D = BASE["date"]
DATES: list[tuple[str, Callable[[], Any], Any]] = [
    (
        "dates pyarrow date64",
        rs(with_(date=D.dt.normalize().astype(pd.ArrowDtype(pa.date64())))),
        ref(),
    ),
    (
        "dates pyarrow timestamp[s, +05:30]",
        rs(
            with_(
                date=D.dt.tz_localize("Asia/Kolkata").astype(
                    pd.ArrowDtype(pa.timestamp("s", tz="+05:30"))
                )
            )
        ),
        ref(),
    ),
    (
        "dates pyarrow dictionary strings",
        rs(
            with_(
                date=pd.Series(
                    pd.arrays.ArrowExtensionArray(
                        pa.array(list(D.dt.strftime("%Y-%m-%d"))).dictionary_encode()
                    )
                )
            )
        ),
        ref(),
    ),
    (
        "dates pyarrow large_string",
        rs(with_(date=D.dt.strftime("%Y-%m-%d %H:%M").astype(pd.ArrowDtype(pa.large_string())))),
        ref(),
    ),
    ("dates tz dateutil", rs(with_(date=D.dt.tz_localize("dateutil/Europe/Paris"))), ref()),
    (
        "dates fixed offset -11:00",
        rs(with_(date=D.dt.tz_localize(dt.timezone(dt.timedelta(hours=-11))))),
        ref(),
    ),
    (
        "dates strings with one offset",
        rs(with_(date=D.dt.strftime("%Y-%m-%dT%H:%M:%S+05:00"))),
        ref(),
    ),
    (
        "dates dates and datetimes mixed in objects",
        rs(
            with_(
                date=pd.Series(
                    [d.date() if d.hour == 0 else d.to_pydatetime() for d in D], dtype=object
                )
            )
        ),
        ref(),
    ),
    (
        "dates yyyymmdd floats with NaN omitted",
        rs(
            with_(date=[20240101.0, np.nan, *D[2:].dt.strftime("%Y%m%d").astype(float)]),
            nan_policy="omit",
        ),
        ref(BASE.drop(index=1)),
    ),
    ("dates month names with weekday", rs(with_(date=D.dt.strftime("%a, %d %b %Y"))), ref()),
    (
        "dates dd.mm.yyyy all <= 12 warn",
        lambda: norm(
            cl.rfm_summary(
                with_(
                    date=[
                        "01.02.2024",
                        "01.02.2024",
                        "05.03.2024",
                        "10.02.2024",
                        "02.01.2024",
                        "11.04.2024",
                        "03.03.2024",
                        "04.04.2024",
                    ]
                )
            )
        ),
        Warns(AmbiguousDateWarning, ("Column 'date'", "%d.%m.%Y"), lambda r: len(r) == 4),
    ),
    (
        "dates datetime.time refused",
        rs(with_(date=pd.Series([dt.time(1)] * 8, dtype=object))),
        summary_err("Column 'date'", "unparseable date"),
    ),
    (
        "dates pyarrow time64 refused",
        rs(with_(date=pd.Series([dt.time(1)] * 8, dtype=pd.ArrowDtype(pa.time64("us"))))),
        summary_err("Column 'date'"),
    ),
    (
        "dates '0000-00-00' refused",
        rs(with_(date=["0000-00-00", *D[1:].dt.strftime("%Y-%m-%d")])),
        summary_err("Column 'date' has 1 unparseable date value (rows 0)"),
    ),
]

# ------------------------------------------------------------------------- shapes, options
SHAPES: list[tuple[str, Callable[[], Any], Any]] = [
    (
        "customer column named 'T'",
        lambda: norm(cl.rfm_summary(BASE.rename(columns={"customer_id": "T"}), customer="T")),
        ref(),
    ),
    (
        "customer column named 'frequency'",
        lambda: norm(
            cl.rfm_summary(BASE.rename(columns={"customer_id": "frequency"}), customer="frequency")
        ),
        ref(),
    ),
    (
        "columns named like internals",
        rs(BASE.assign(day=1, n_rows=2, _code=3, first_amount=4)),
        ref(),
    ),
    (
        "column name np.int64",
        rs(BASE.set_axis([0, 1, 2], axis=1), customer=np.int64(0), time=1, amount=2),
        ref(),
    ),
    (
        "column name 0 for '0' suggests it",
        rs(BASE.set_axis(["0", "1", "2"], axis=1), customer=0, time=1, amount=2),
        summary_err("Column 0 not found", "did you mean '0'"),
    ),
    (
        "one-level MultiIndex columns",
        rs(
            BASE.set_axis(
                pd.MultiIndex.from_tuples([("customer_id",), ("date",), ("amount",)]), axis=1
            )
        ),
        summary_err("Column 'customer_id' not found", "MultiIndex columns"),
    ),
    (
        "index of NaN labels, omit",
        rs(
            with_(amount=[10, np.nan, *BASE["amount"][2:]]).set_axis([np.nan] * 8),
            nan_policy="omit",
        ),
        ref(BASE.drop(index=1)),
    ),
    (
        "calibration in weeks",
        rs(calibration_end="2024-01-10", observation_end=END, time_unit="W"),
        ref(end=END, cal="2024-01-10", unit=7.0),
    ),
    (
        "calibration in months, amount=None",
        lambda: norm(
            cl.rfm_summary(
                BASE, calibration_end="2024-01-10", observation_end=END, time_unit="M", amount=None
            )
        ),
        Num(
            norm(reference(BASE, END, "2024-01-10", 365.25 / 12)).drop(
                columns=["monetary", "total_amount", "monetary_holdout"]
            ),
            1e-12,
        ),
    ),
    (
        "calibration_end on the first day",
        rs(calibration_end="2024-01-01", observation_end=END),
        ref(end=END, cal="2024-01-01"),
    ),
    (
        "one customer, 10^4 rows on one day",
        rs(
            pd.DataFrame(
                {
                    "customer_id": np.ones(10_000, int),
                    "date": pd.Timestamp("2024-01-01"),
                    "amount": 1.0,
                }
            )
        ),
        Num(
            pd.DataFrame(
                {
                    "frequency": [0.0],
                    "recency": 0.0,
                    "T": 0.0,
                    "monetary": 0.0,
                    "n_purchases": 10_000.0,
                    "total_amount": 10_000.0,
                },
                index=["1"],
            ),
            1e-12,
        ),
    ),
]

# ----------------------------------------------------------------------------- engines
TZ = with_(date=D.dt.tz_localize("UTC").astype(pd.ArrowDtype(pa.timestamp("us", tz="UTC"))))


def on(
    make: Callable[[pd.DataFrame], Any], tx: pd.DataFrame = BASE, **kw: Any
) -> Callable[[], Any]:
    return lambda: norm(cl.rfm_summary(make(tx), **kw))


def odd_dask(tx: pd.DataFrame) -> Any:
    """Eight one-row partitions, two of them emptied by a filter."""
    ddf = dd.from_pandas(tx, npartitions=len(tx), sort=False)
    return ddf[ddf["amount"] > -1e300]


ENGINES: list[tuple[str, Callable[[], Any], Any]] = [
    ("Dask one-row partitions", on(odd_dask, observation_end=END), ref(end=END)),
    (
        "Dask with empty partitions",
        on(
            lambda t: (lambda d: d[d["customer_id"] != 2])(
                dd.from_pandas(t, npartitions=4, sort=False)
            ),
            observation_end=END,
        ),
        ref(BASE[BASE["customer_id"] != 2], end=END),
    ),
    (
        "Dask holdout in weeks",
        on(
            lambda t: dd.from_pandas(t, npartitions=3),
            calibration_end="2024-01-10",
            observation_end=END,
            time_unit="W",
        ),
        ref(end=END, cal="2024-01-10", unit=7.0),
    ),
    (
        "LazyFrame holdout",
        on(lambda t: pl.from_pandas(t).lazy(), calibration_end="2024-01-10", observation_end=END),
        ref(end=END, cal="2024-01-10"),
    ),
    (
        "LazyFrame with a filter pending",
        on(
            lambda t: pl.from_pandas(t).lazy().filter(pl.col("customer_id") != 3),
            observation_end=END,
        ),
        ref(BASE[BASE["customer_id"] != 3], end=END),
    ),
    (
        "DuckDB holdout in months",
        on(duckdb.from_df, calibration_end="2024-01-10", observation_end=END, time_unit="M"),
        ref(end=END, cal="2024-01-10", unit=365.25 / 12),
    ),
    (
        "DuckDB day-first strings with date_format",
        on(duckdb.from_df, DAYFIRST, date_format="%d/%m/%Y"),
        Num(norm(reference(BASE.assign(date=BASE["date"].dt.normalize()))), 1e-12),
    ),
    (
        "pyarrow aware timestamps, aware observation_end",
        on(
            lambda t: pa.Table.from_pandas(t, preserve_index=False),
            TZ,
            observation_end=pd.Timestamp("2024-02-29 12:00", tz="UTC"),
        ),
        ref(end=END),
    ),
    (
        "polars aware timestamps holdout",
        on(pl.from_pandas, TZ, calibration_end="2024-01-10", observation_end=END),
        ref(end=END, cal="2024-01-10"),
    ),
    (
        "polars string ids with a null, omitted",
        on(
            pl.from_pandas,
            with_(customer_id=["a", None, "a", "b", "c", "c", "d", "d"]),
            nan_policy="omit",
        ),
        ref(with_(customer_id=["a", None, "a", "b", "c", "c", "d", "d"]).drop(index=1)),
    ),
]

# a customer bucket (6 partitions: customer 2 alone) whose rows all have a missing amount or
# id, omitted: an empty bucket, not "no rows left" (pandas summarises the whole table)
NAN_2 = with_(amount=[10.0, 5.0, 20.0, np.nan, 3.5, 7.25, 4.0, 6.0])
ENGINES += [
    (
        "Dask omit, a bucket of only missing amounts",
        on(
            lambda t: dd.from_pandas(t, npartitions=6, sort=False),
            NAN_2,
            nan_policy="omit",
            observation_end=END,
        ),
        ref(NAN_2.drop(index=3), end=END),
    ),
    (
        "Dask omit, a bucket of only missing ids",
        on(
            lambda t: dd.from_pandas(t, npartitions=6, sort=False),
            with_(customer_id=[1, 1, 1, np.nan, 3, 3, 4, 4]),
            nan_policy="omit",
            observation_end=END,
        ),
        ref(with_(customer_id=[1.0, 1, 1, np.nan, 3, 3, 4, 4]).drop(index=3), end=END),
    ),
    (
        "bucket_summary of only missing amounts, omitted",
        lambda: len(cl.bucket_summary(NAN_2.iloc[[3]], observation_end=END, nan_policy="omit")),
        Num(0),
    ),
    (
        "bucket_summary of only missing amounts, raise",
        lambda: cl.bucket_summary(NAN_2.iloc[[3]], observation_end=END),
        summary_err("Column 'amount' has 1 missing", "nan_policy='omit'"),
    ),
]

LATE_2 = with_(
    date=pd.to_datetime(
        [
            "2024-01-01",
            "2024-01-01",
            "2024-01-15",
            "2024-04-03",
            "2024-01-02",
            "2024-01-20",
            "2024-01-05",
            "2024-02-20",
        ]
    ).strftime("%d/%m/%Y")
)


def frequency_on_dask(tx: pd.DataFrame, **kw: Any) -> Callable[[], Any]:
    """``purchase_frequency`` of a Dask frame (customer 2 alone in a bucket), sorted."""
    ddf = dd.from_pandas(tx, npartitions=6, sort=False)
    return lambda: cl.metrics.purchase_frequency(ddf, **kw).compute().sort_index()


def frequency_on_pandas(tx: pd.DataFrame, **kw: Any) -> Num:
    return Num(cl.metrics.purchase_frequency(tx, **kw).sort_index(), 1e-12)


ENGINES += [
    (
        "purchase_frequency on Dask, a bucket of only missing ids, omitted",
        frequency_on_dask(
            with_(customer_id=[1, 1, 1, np.nan, 3, 3, 4, 4]), nan_policy="omit", observation_end=END
        ),
        frequency_on_pandas(
            with_(customer_id=[1, 1, 1, np.nan, 3, 3, 4, 4]), nan_policy="omit", observation_end=END
        ),
    ),
    (
        # 03/04/2024 is the 3rd of April (after the window), not the 4th of March (in it)
        "purchase_frequency on Dask, a bucket after the window in day-first dates",
        frequency_on_dask(LATE_2, date_format="%d/%m/%Y", observation_end="2024-03-10"),
        frequency_on_pandas(LATE_2, date_format="%d/%m/%Y", observation_end="2024-03-10"),
    ),
]


# ------------------------------------------------------------------------ customer buckets
def buckets_of(ids: Any) -> Callable[[], Any]:
    return lambda: cl.customer_bucket(ids, 1000).tolist()


INT_BUCKETS = cl.customer_bucket(pd.Series([7, 8, 2**62 + 1]), 1000).tolist()
NULL_BUCKET = cl.customer_bucket(pd.Series([np.nan]), 1000).tolist()
BUCKETS: list[tuple[str, Callable[[], Any], Any]] = [
    *[
        (f"customer_bucket of ids {name}", buckets_of(ids), Num(INT_BUCKETS + NULL_BUCKET))
        for name, ids in [
            ("Int64 with NA", pd.Series([7, 8, 2**62 + 1, None], dtype="Int64")),
            (
                "int64[pyarrow] with null",
                pd.Series([7, 8, 2**62 + 1, None], dtype="int64[pyarrow]"),
            ),
            ("objects with None", pd.Series([7, 8, 2**62 + 1, None], dtype=object)),
        ]
    ],
    (
        "customer_bucket of float ids with NaN",
        buckets_of([7.0, 8.0, np.nan]),
        Num([*INT_BUCKETS[:2], *NULL_BUCKET]),
    ),
    (
        "customer_bucket of float32 ids",
        buckets_of(np.array([7, 8], dtype="float32")),
        Num(INT_BUCKETS[:2]),
    ),
    (
        "customer_bucket of uint64 ids",
        buckets_of(np.array([7, 8, 2**62 + 1], dtype="uint64")),
        Num(INT_BUCKETS),
    ),
    (
        "customer_bucket None, NA and NaN alike",
        buckets_of(pd.Series([None, pd.NA], dtype=object)),
        Num(NULL_BUCKET * 2),
    ),
    (
        "customer_bucket n_buckets=2**70",
        lambda: cl.customer_bucket(pd.Series([1, 2]), 2**70),
        summary_err("'n_buckets' parameter of customer_bucket", "2**63 - 1"),
    ),
]


def test_bucket_files_of_chunks_with_a_null_id_hold_whole_customers() -> None:
    """Two chunks of one file (the second float, by its null id) split into bucket files."""
    tx = BASE.assign(customer_id=BASE["customer_id"].astype(object))
    chunks = [tx.iloc[:4].astype({"customer_id": "int64"}), tx.iloc[4:].copy()]
    chunks[1].loc[chunks[1].index[-1], "customer_id"] = np.nan  # float64 chunk: 3.0, 3.0, 4.0, nan
    chunks[1] = chunks[1].astype({"customer_id": "float64"})
    chunks[1].loc[chunks[1].index[0], "customer_id"] = 1.0  # customer 1 in both chunks
    files: dict[int, list[pd.DataFrame]] = {}
    for chunk in chunks:
        for b, rows in chunk.groupby(cl.customer_bucket(chunk["customer_id"], 3)):
            files.setdefault(int(b), []).append(rows)
    parts = [
        cl.bucket_summary(pd.concat(f), observation_end=END, nan_policy="omit")
        for f in files.values()
    ]
    got = pd.concat(parts).set_index("customer_id")
    whole = pd.concat(chunks).astype({"customer_id": "float64"})
    want = reference(whole.dropna(), end=END)
    pd.testing.assert_frame_equal(norm(got), norm(want), rtol=1e-12)


CASES = FLAGS + FORMATS + OPTIONS + IDS + AMOUNTS + DATES + SHAPES + ENGINES + BUCKETS


@pytest.mark.parametrize(("call", "want"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rfm_summary_round5(call: Callable[[], Any], want: Any) -> None:
    run_case(call, want)


def test_the_caller_tables_are_not_modified() -> None:
    frames = [
        with_(customer_id=pd.Series([True, 1, 1, 2, 3, 3, 4, 4], dtype=object)),
        with_(amount=pd.Series([[1.0]] * 8, dtype=pd.ArrowDtype(pa.list_(pa.float64())))),
        DAYFIRST,
        TZ,
        with_(date=[20240101.0, np.nan, *D[2:].dt.strftime("%Y%m%d").astype(float)]),
    ]
    for tx in frames:
        before = tx.copy(deep=True)
        for kw in (
            {},
            {"date_format": "mixed"},
            {"observation_end": "2024-02"},
            {"nan_policy": "omit"},
        ):
            with contextlib.suppress(ValidationError):
                cl.rfm_summary(tx, **kw)
        pd.testing.assert_frame_equal(tx, before)


# --------------------------------------------------------- models fed from transactions
RNG = np.random.default_rng(5)
_N = 300
TX = pd.DataFrame(
    {
        "customer_id": RNG.integers(0, 60, _N),
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(RNG.integers(0, 120, _N), unit="D"),
        "amount": RNG.gamma(2.0, 10.0, _N),
    }
)
BG = BetaGeo.from_params(BG_PUB, time_unit="W")


def actual_cumulative(tx: pd.DataFrame, dates: pd.Series) -> list[float]:
    """Repeat purchase days on or before each period end, counted customer by customer."""
    days = tx.assign(day=tx["date"].dt.normalize()).drop_duplicates(["customer_id", "day"])
    first = days.groupby("customer_id")["day"].transform("min")
    repeats = days.loc[days["day"] > first, "day"]
    return [float((repeats <= d).sum()) for d in pd.to_datetime(dates)]


MODEL_CASES: list[tuple[str, Callable[[], Any], Any]] = [
    (
        "cumulative_purchases observation_end with no day",
        lambda: cumulative_purchases(BG, TX, observation_end="2024-04"),
        summary_err("'observation_end' parameter of cumulative_purchases names no day"),
    ),
    (
        "cumulative_purchases calibration_end with no day",
        lambda: cumulative_purchases(BG, TX, calibration_end="April 2024"),
        summary_err("'calibration_end'", "names no day"),
    ),
    (
        "cumulative_purchases date_format='mixed'",
        lambda: cumulative_purchases(
            BG, TX.assign(date=TX["date"].dt.strftime("%d/%m/%Y")), date_format="mixed"
        ),
        summary_err("'date_format' parameter of cumulative_purchases cannot be 'mixed'"),
    ),
    (
        "cumulative_purchases boolean ids",
        lambda: cumulative_purchases(BG, TX.assign(customer_id=TX["customer_id"] % 2 == 0)),
        summary_err(*BOOL_ID),
    ),
]


@pytest.mark.parametrize(
    ("call", "want"), [c[1:] for c in MODEL_CASES], ids=[c[0] for c in MODEL_CASES]
)
def test_models_fed_from_transactions(call: Callable[[], Any], want: Any) -> None:
    run_case(call, want)


@pytest.mark.parametrize(
    "make",
    [lambda t: t, pl.from_pandas, lambda t: pl.from_pandas(t).lazy()],
    ids=["pandas", "polars", "LazyFrame"],
)
def test_cumulative_purchases_counts_repeat_days(make: Callable[[pd.DataFrame], Any]) -> None:
    got = cumulative_purchases(BG, make(TX), calibration_end="2024-03-01")
    assert got["actual"].tolist() == actual_cumulative(TX, got["date"])
    assert (
        got["holdout"].tolist()
        == (pd.to_datetime(got["date"]) > pd.Timestamp("2024-03-01")).tolist()
    )


def test_calibration_holdout_of_a_summary_equals_the_group_means() -> None:
    tx = (
        TX[TX["date"] < "2024-03-01"]
        .groupby("customer_id")
        .filter(lambda g: g["date"].min() < pd.Timestamp("2024-02-20"))
    )
    tx = pd.concat(
        [tx, TX[(TX["date"] >= "2024-03-01") & TX["customer_id"].isin(tx["customer_id"])]]
    )
    summary = cl.rfm_summary(
        tx, calibration_end="2024-02-29", observation_end="2024-04-29", time_unit="W"
    )
    want = reference(tx, "2024-04-29", "2024-02-29", 7.0)
    pd.testing.assert_frame_equal(norm(summary), norm(want), rtol=1e-12)
    got = calibration_holdout(BG, summary, max_frequency=3)
    g = np.minimum(want["frequency"], 3)
    actual = want.groupby(g)["frequency_holdout"].mean()
    np.testing.assert_allclose(got["actual"].to_numpy(dtype=float), actual.to_numpy(), rtol=1e-12)

"""A hostile battery of the transaction side and the faces (issue 13, "done when").

Each case is one careless or hostile input to a public function that takes transactions
(``rfm_summary``, the segmentation, the data sets, the plots, the report, the command line).
A case passes when the outcome is acceptable and exact:

* ``Same``: the result equals an independent pandas computation of the same transactions;
* ``Err``: our own error (a :class:`~custloyalty.errors.CustLoyaltyError`) whose message
  names the column or parameter (the ``match`` pattern);
* ``Warned``: the right result with a warning saying why it is suspicious;
* ``Check``: a result checked by hand (the function says what is expected).

A stray exception (KeyError, TypeError, ValueError from pandas or numpy, AttributeError), a
silent wrong number, a modified caller frame or a lost file fails the case.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import custloyalty as cl
from _battery import drawn
from custloyalty import datasets as ds
from custloyalty import plotting as pl
from custloyalty.errors import AmbiguousDateWarning, CustLoyaltyError, ValidationError
from custloyalty.segmentation import (
    RFMScorer,
    TierPolicy,
    kmeans_segments,
    rfm_scores,
    rfm_segments,
    tier_migration,
    value_potential_tiers,
    value_tiers,
)

matplotlib.use("Agg")

BASE = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 2, 3, 3],
        "date": pd.to_datetime(
            [
                "2024-01-01",
                "2024-01-01 13:00",
                "2024-01-15",
                "2024-01-10",
                "2024-01-02",
                "2024-01-20 23:59",
            ],
            format="ISO8601",
        ),
        "amount": [10.0, 5.0, 20.0, 8.0, 3.5, 7.25],
    }
)


def reference(tx: pd.DataFrame, end: Any = None, unit: float = 1.0) -> pd.DataFrame:
    """The customer summary of ``tx`` (parsed columns) by plain pandas group-bys."""
    b = tx.copy()
    d = b["date"]
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)
    b["day"] = d.dt.normalize()
    last = b["day"].max() if end is None else pd.Timestamp(end).normalize()
    b = b[b["day"] <= last]
    g = (
        b.groupby(["customer_id", "day"])
        .agg(amount=("amount", "sum"), n=("amount", "size"))
        .reset_index()
    )
    per = g.groupby("customer_id")
    first, n_days = per["day"].min(), per.size()
    first_amount = g.sort_values("day").groupby("customer_id")["amount"].first()
    total = per["amount"].sum()
    return pd.DataFrame(
        {
            "frequency": n_days - 1,
            "recency": (per["day"].max() - first).dt.days / unit,
            "T": (last - first).dt.days / unit,
            "monetary": (total - first_amount) / (n_days - 1).clip(lower=1),
            "n_purchases": per["n"].sum(),
            "total_amount": total,
        }
    )


def with_(**columns: Any) -> pd.DataFrame:
    out = BASE.copy()
    for k, v in columns.items():
        out[k] = v
    return out


# ------------------------------------------------------------------------------ outcomes
@dataclass(frozen=True)
class Same:
    """The result equals the reference summary of ``tx`` (columns of the reference)."""

    tx: pd.DataFrame | None = None  # None: BASE
    end: Any = None
    unit: float = 1.0


@dataclass(frozen=True)
class Err:
    """Our own error of type ``kind`` whose message matches ``match``."""

    match: str
    kind: type[Exception] = ValidationError


@dataclass(frozen=True)
class Warned:
    """A warning of ``kind`` matching ``match``, and a result passing ``check``."""

    kind: type[Warning]
    match: str
    check: Callable[[Any], bool]


@dataclass(frozen=True)
class Check:
    """A result passing ``check``: the expected value, computed by hand."""

    check: Callable[[Any], bool]


Outcome = Same | Err | Warned | Check


def assert_same(result: pd.DataFrame, want: Same) -> None:
    exp = reference(BASE if want.tx is None else want.tx, want.end, want.unit)
    assert [str(v) for v in result.index] == [str(v) for v in exp.index]
    for col in exp.columns:
        if col in result.columns:
            np.testing.assert_allclose(
                result[col].to_numpy(dtype=float), exp[col].to_numpy(dtype=float), rtol=1e-12
            )


def run_case(call: Callable[[], Any], want: Outcome) -> None:
    if isinstance(want, Err):
        with pytest.raises(want.kind, match=want.match) as info:
            call()
        assert isinstance(info.value, CustLoyaltyError), type(info.value)
        return
    if isinstance(want, Warned):
        with pytest.warns(want.kind, match=want.match):
            result = call()
        assert want.check(result)
        return
    result = call()
    if isinstance(want, Same):
        assert_same(result, want)
    else:
        assert want.check(result), result


def rs(tx: Any = BASE, **kw: Any) -> Callable[[], Any]:
    return lambda: cl.rfm_summary(tx, **kw)


def frame_of(**columns: Any) -> Callable[[], Any]:
    return rs(with_(**columns))


def dayfirst(fmt: str) -> pd.Series:
    return BASE["date"].dt.strftime(fmt)


ARROW_TZ = pd.ArrowDtype(pa.timestamp("us", tz="Europe/Paris"))
DECIMALS = [decimal.Decimal(str(v)) for v in BASE["amount"]]
ISO = BASE["date"].dt.strftime("%Y-%m-%d %H:%M")
NUMBER = r"must be a date; got the number"

# --------------------------------------------------------------- rfm_summary: column dtypes
SUMMARY_DTYPES: list[tuple[str, Callable[[], Any], Outcome]] = [
    ("plain", rs(), Same()),
    ("ids Int64", frame_of(customer_id=BASE["customer_id"].astype("Int64")), Same()),
    ("ids str", frame_of(customer_id=BASE["customer_id"].astype(str)), Same()),
    (
        "ids pyarrow str",
        frame_of(customer_id=BASE["customer_id"].astype(str).astype("string[pyarrow]")),
        Same(),
    ),
    ("ids categorical", frame_of(customer_id=BASE["customer_id"].astype("category")), Same()),
    (
        "ids categorical with unused categories",
        frame_of(customer_id=pd.Categorical(BASE["customer_id"], categories=[1, 2, 3, 4])),
        Same(),
    ),
    (
        "ids uint64 above int64",
        frame_of(customer_id=np.array([2**63 + 1] * 3 + [2**63 + 2] + [2**63 + 3] * 2, "u8")),
        Check(lambda r: r["frequency"].tolist() == [1, 0, 1]),
    ),
    (
        # round 1 kept 1 and "1" apart as two customers; round 4 (2026-12-01) refuses them:
        # one customer written in two types splits its purchases silently
        "ids mixing int and str are refused",
        frame_of(customer_id=pd.Series([1, 1, "1", 2, 3, 3], dtype=object)),
        Err(r"(?s)1 customer id written both as a number and as a string \(1 and '1'\).*Hint"),
    ),
    (
        "ids mixing int and str that never collide are distinct",
        frame_of(customer_id=pd.Series([1, 1, "A1", 2, 3, 3], dtype=object)),
        Check(lambda r: len(r) == 4 and int(r["n_purchases"].sum()) == 6),
    ),
    (
        "ids tuples",
        frame_of(customer_id=pd.Series([(1,), (1,), (1,), (2,), (3,), (3,)], dtype=object)),
        Check(lambda r: r["frequency"].tolist() == [1, 0, 1]),
    ),
    (
        "ids lists",
        frame_of(customer_id=pd.Series([[1], [1], [1], [2], [3], [3]], dtype=object)),
        Err(r"(?s)Column 'customer_id' has 6 unhashable customer id.*Hint"),
    ),
    (
        "ids dicts",
        frame_of(customer_id=pd.Series([{"a": 1}] * 6, dtype=object)),
        Err(r"(?s)Column 'customer_id' has 6 unhashable.*dict"),
    ),
    (
        "ids null",
        frame_of(customer_id=pd.array([1, 1, None, 2, 3, 3], dtype="Int64")),
        Err(r"(?s)Column 'customer_id' has 1 null customer id.*nan_policy='omit'"),
    ),
    (
        "ids null omitted",
        rs(with_(customer_id=pd.array([1, 1, None, 2, 3, 3], dtype="Int64")), nan_policy="omit"),
        Same(BASE.drop(index=2)),
    ),
    ("amount Float64", frame_of(amount=BASE["amount"].astype("Float64")), Same()),
    ("amount pyarrow double", frame_of(amount=BASE["amount"].astype("double[pyarrow]")), Same()),
    (
        "amount pyarrow decimal",
        frame_of(amount=pd.array(DECIMALS, dtype=pd.ArrowDtype(pa.decimal128(10, 2)))),
        Same(),
    ),
    ("amount Decimal objects", frame_of(amount=pd.Series(DECIMALS, dtype=object)), Same()),
    ("amount numeric strings", frame_of(amount=BASE["amount"].astype(str)), Same()),
    (
        "amount mixed numbers and strings",
        frame_of(amount=pd.Series([10, "5", 20.0, 8, "3.5", 7.25], dtype=object)),
        Same(),
    ),
    ("amount categorical", frame_of(amount=BASE["amount"].astype("category")), Same()),
    (
        "amount decimal comma",
        frame_of(amount=["10,0", "5", "20", "8", "3.5", "7.25"]),
        Err(r"(?s)Column 'amount' has 1 non-numeric value.*'10,0'.*decimal mark"),
    ),
    (
        "amount currency sign",
        frame_of(amount=["$10", "5", "20", "8", "3.5", "7.25"]),
        Err(r"(?s)Column 'amount' has 1 non-numeric.*currency"),
    ),
    ("amount bool", frame_of(amount=[True] * 6), Err(r"(?s)Column 'amount' must be numeric.*bool")),
    (
        "amount bools among numbers",
        frame_of(amount=pd.Series([True, 5.0, 20.0, 8.0, 3.5, 7.25], dtype=object)),
        Err(r"(?s)Column 'amount' has 1 boolean value.*Hint"),
    ),
    (
        "amount nullable boolean",
        frame_of(amount=pd.array([True] * 6, dtype="boolean")),
        Err(r"Column 'amount' must be numeric; got dtype boolean"),
    ),
    (
        "amount NaN",
        frame_of(amount=[10, np.nan, 20, 8, 3.5, 7.25]),
        Err(r"(?s)Column 'amount' has 1 missing \(NaN\) value.*nan_policy='omit'"),
    ),
    (
        "amount NaN omitted",
        rs(with_(amount=[10, np.nan, 20, 8, 3.5, 7.25]), nan_policy="omit"),
        Same(BASE.drop(index=1)),
    ),
    (
        "amount 'nan' and '' strings are missing, not malformed",
        frame_of(amount=["nan", "5", "20", "", "3.5", "7.25"]),
        Err(r"(?s)Column 'amount' has 2 missing \(NaN\) values \(rows 0, 3\).*nan_policy"),
    ),
    (
        "amount 'nan' strings omitted",
        rs(with_(amount=["nan", "5", "20", "8", "3.5", "7.25"]), nan_policy="omit"),
        Same(BASE.drop(index=0)),
    ),
    (
        "amount pd.NA",
        frame_of(amount=pd.array([10, None, 20, 8, 3.5, 7.25], dtype="Float64")),
        Err(r"Column 'amount' has 1 missing"),
    ),
    (
        "amount inf",
        frame_of(amount=[10, np.inf, 20, 8, 3.5, 7.25]),
        Err(r"Column 'amount' has 1 infinite value \(rows 1\): inf"),
    ),
    (
        "amount -inf",
        frame_of(amount=[10, -np.inf, 20, 8, 3.5, 7.25]),
        Err(r"Column 'amount' has 1 infinite value \(rows 1\): -inf"),
    ),
    (
        "amount sums overflow float64",
        frame_of(amount=[1e308, 1e308, 20, 8, 3.5, 7.25]),
        Err(r"(?s)Column 'amount' has 2 too large values \(rows 0, 1\).*rescale"),
    ),
    (
        "amount repeat-day sums overflow",
        frame_of(amount=[10, 5, 1e308, 8, 3.5, 1e308]),
        Err(r"(?s)Column 'amount' has 2 too large values.*overflow"),
    ),
    (
        "amount negative (returns)",
        frame_of(amount=[-10.0, 5, 20, 8, -3.5, 7.25]),
        Same(with_(amount=[-10.0, 5, 20, 8, -3.5, 7.25])),
    ),
    ("amount zero", frame_of(amount=[0.0] * 6), Same(with_(amount=[0.0] * 6))),
    (
        "amount timedelta",
        frame_of(amount=pd.to_timedelta(BASE["amount"], unit="D")),
        Err(r"Column 'amount' must be numeric; got dtype timedelta64"),
    ),
    (
        "amount complex",
        frame_of(amount=BASE["amount"].astype(complex)),
        Err(r"Column 'amount' must be numeric"),
    ),
    (
        "amount lists",
        frame_of(amount=pd.Series([[1]] * 6, dtype=object)),
        Err(r"Column 'amount' has 6 non-numeric"),
    ),
    *[
        (f"dates datetime64[{u}]", frame_of(date=BASE["date"].astype(f"datetime64[{u}]")), Same())
        for u in ("s", "ms", "us")
    ],
    ("dates tz-aware", frame_of(date=BASE["date"].dt.tz_localize("Europe/Paris")), Same()),
    (
        "dates tz-aware local day",
        frame_of(date=BASE["date"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo")),
        Same(with_(date=BASE["date"].dt.tz_localize("UTC").dt.tz_convert("Asia/Tokyo"))),
    ),
    (
        "dates pyarrow timestamps tz-aware",
        frame_of(date=BASE["date"].dt.tz_localize("Europe/Paris").astype(ARROW_TZ)),
        Same(),
    ),
    (
        "dates pyarrow timestamps naive",
        frame_of(date=BASE["date"].astype(pd.ArrowDtype(pa.timestamp("ms")))),
        Same(),
    ),
    (
        "dates pyarrow date32",
        frame_of(date=BASE["date"].dt.normalize().astype(pd.ArrowDtype(pa.date32()))),
        Same(),
    ),
    ("dates pyarrow strings", frame_of(date=ISO.astype("string[pyarrow]")), Same()),
    (
        "dates python dates",
        frame_of(date=pd.Series([d.date() for d in BASE["date"]], dtype=object)),
        Same(),
    ),
    ("dates categorical strings", frame_of(date=ISO.astype("category")), Same()),
    ("dates categorical datetimes", frame_of(date=BASE["date"].astype("category")), Same()),
    ("dates ISO with time", frame_of(date=ISO), Same()),
    ("dates ISO with T and Z", frame_of(date=dayfirst("%Y-%m-%dT%H:%M:%SZ")), Same()),
    (
        "dates ISO mixing days and times",
        frame_of(date=[*dayfirst("%Y-%m-%d")[:3], *ISO[3:]]),
        Same(),
    ),
    ("dates yyyymmdd integers", frame_of(date=dayfirst("%Y%m%d").astype(int)), Same()),
    ("dates yyyymmdd strings", frame_of(date=dayfirst("%Y%m%d")), Same()),
    (
        "dates day-first with days above 12",
        frame_of(date=dayfirst("%d/%m/%Y")),
        Err(r"(?s)Column 'date' has 2 unparseable date values.*'%m/%d/%Y' was inferred"),
    ),
    (
        "dates day-first with date_format",
        rs(with_(date=dayfirst("%d/%m/%Y")), date_format="%d/%m/%Y"),
        Same(),
    ),
    (
        "dates day-first all <= 12",
        frame_of(
            date=pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-03-05", "2024-02-10", "2024-01-02", "2024-04-11"]
            ).strftime("%d/%m/%Y")
        ),
        Warned(AmbiguousDateWarning, r"Column 'date'.*also fit '%d/%m/%Y'", lambda r: len(r) == 3),
    ),
    (
        "dates epoch seconds",
        frame_of(date=BASE["date"].astype("int64") // 10**9),
        Err(r"(?s)Column 'date' is numeric \(int64\) and not a date.*yyyymmdd"),
    ),
    (
        "dates mixed naive and aware",
        frame_of(
            date=pd.Series([pd.Timestamp("2024-01-01", tz="UTC"), *BASE["date"][1:]], dtype=object)
        ),
        Err(r"(?s)Column 'date' mixes time zones.*Hint"),
    ),
    (
        "dates mixed offsets",
        frame_of(date=["2024-01-01T00:00+01:00", "2024-01-01T00:00+02:00", *ISO[2:]]),
        Err(r"Column 'date' mixes time zones"),
    ),
    (
        "dates NaT",
        frame_of(date=BASE["date"].where(BASE.index != 2)),
        Err(r"(?s)Column 'date' has 1 missing date value.*nan_policy='omit'"),
    ),
    (
        "dates NaT omitted",
        rs(with_(date=BASE["date"].where(BASE.index != 2)), nan_policy="omit"),
        Same(BASE.drop(index=2)),
    ),
    (
        "dates garbage",
        frame_of(date=["2024-01-01", "x", *ISO[2:]]),
        Err(r"Column 'date' has 1 unparseable date value \(rows 1\): 'x'"),
    ),
    ("dates bool", frame_of(date=[True] * 6), Err(r"Column 'date' is bool and not a date")),
    (
        "dates timedelta",
        frame_of(date=pd.to_timedelta(range(6), unit="D")),
        Err(r"Column 'date' is timedelta64"),
    ),
    (
        "dates in 1600",
        frame_of(date=(BASE["date"] - pd.DateOffset(years=424)).astype("datetime64[s]")),
        Same(with_(date=(BASE["date"] - pd.DateOffset(years=424)).astype("datetime64[s]"))),
    ),
]

# ------------------------------------------------------------ rfm_summary: shapes and options
MI = BASE.set_axis(
    pd.MultiIndex.from_tuples([("k", "customer_id"), ("k", "date"), ("v", "amount")]), axis=1
)
PARIS = with_(date=BASE["date"].dt.tz_localize("Europe/Paris"))
SUMMARY_OPTIONS: list[tuple[str, Callable[[], Any], Outcome]] = [
    ("empty frame", rs(BASE.iloc[:0]), Err(r"The table passed to rfm_summary is empty \(0 rows\)")),
    ("no columns", rs(pd.DataFrame()), Err(r"(?s)Column 'customer_id' not found.*Also missing")),
    ("one row", rs(BASE.iloc[:1]), Same(BASE.iloc[:1])),
    ("one customer", rs(BASE[BASE["customer_id"] == 1]), Same(BASE[BASE["customer_id"] == 1])),
    (
        "all on one day",
        rs(with_(date=pd.Timestamp("2024-01-05"))),
        Same(with_(date=pd.Timestamp("2024-01-05"))),
    ),
    (
        "duplicated used column",
        rs(pd.concat([BASE, BASE[["amount"]]], axis=1)),
        Err(r"Column 'amount' appears 2 times"),
    ),
    (
        "duplicated unused column",
        rs(
            pd.concat(
                [BASE, BASE[["amount"]].set_axis(["x"], axis=1)] * 1
                + [BASE[["amount"]].set_axis(["x"], axis=1)],
                axis=1,
            )
        ),
        Same(),
    ),
    (
        "MultiIndex columns, flat names",
        rs(MI),
        Err(r"(?s)Column 'customer_id' not found.*MultiIndex columns"),
    ),
    (
        "MultiIndex columns, tuple names",
        rs(MI, customer=("k", "customer_id"), time=("k", "date"), amount=("v", "amount")),
        Check(
            lambda r: r["frequency"].tolist() == [1, 0, 1] and r.index.name == ("k", "customer_id")
        ),
    ),
    (
        "MultiIndex rows",
        rs(BASE.set_axis(pd.MultiIndex.from_arrays([list("aabbcc"), range(6)]))),
        Same(),
    ),
    ("repeated index labels", rs(BASE.set_axis(list("aaaaaa"))), Same()),
    (
        "ids in the index",
        rs(BASE.set_index("customer_id")),
        Err(r"(?s)'customer_id' is the name of the index.*reset_index"),
    ),
    ("rows in reverse", rs(BASE.iloc[::-1]), Same()),
    (
        "integer column names",
        rs(BASE.set_axis([0, 1, 2], axis=1), customer=0, time=1, amount=2),
        Check(lambda r: r["frequency"].tolist() == [1, 0, 1]),
    ),
    (
        "column typo",
        rs(amount="amout"),
        Err(r"(?s)Column 'amout' not found.*did you mean 'amount'"),
    ),
    ("customer=None", rs(customer=None), Err(r"Column None not found")),
    (
        "observation_end before the data",
        rs(observation_end="2023-12-01"),
        Err(r"No purchases on or before observation_end=2023-12-01"),
    ),
    ("observation_end on the last day", rs(observation_end="2024-01-20"), Same()),
    ("observation_end inside the data", rs(observation_end="2024-01-10"), Same(end="2024-01-10")),
    ("observation_end after the data", rs(observation_end="2024-03-01"), Same(end="2024-03-01")),
    (
        "observation_end with a time",
        rs(observation_end=dt.datetime(2024, 1, 10, 0, 1)),
        Same(end="2024-01-10"),
    ),
    ("observation_end a date", rs(observation_end=dt.date(2024, 3, 1)), Same(end="2024-03-01")),
    (
        "observation_end datetime64",
        rs(observation_end=np.datetime64("2024-03-01")),
        Same(end="2024-03-01"),
    ),
    (
        "observation_end yyyymmdd number",
        rs(observation_end=20240301),
        Err(rf"'observation_end' parameter of rfm_summary {NUMBER}"),
    ),
    (
        "observation_end NaN",
        rs(observation_end=float("nan")),
        Err(rf"'observation_end'.*{NUMBER} nan"),
    ),
    (
        "observation_end NaT",
        rs(observation_end=pd.NaT),
        Err(r"'observation_end' parameter of rfm_summary must be a date; got NaT"),
    ),
    ("observation_end True", rs(observation_end=True), Err(rf"'observation_end'.*{NUMBER} True")),
    (
        "observation_end text",
        rs(observation_end="soon"),
        Err(r"'observation_end' parameter of rfm_summary must be a date; got 'soon'"),
    ),
    (
        "observation_end a list",
        rs(observation_end=["2024-01-01"]),
        Err(r"'observation_end'.*must be a date"),
    ),
    (
        "observation_end a Period",
        rs(observation_end=pd.Period("2024-03")),
        Err(r"'observation_end'.*must be a date"),
    ),
    (
        "observation_end day/month ambiguous",
        rs(observation_end="01/03/2024"),
        Err(r"(?s)'observation_end' parameter of rfm_summary is ambiguous.*date_format"),
    ),
    (
        "observation_end day-first with date_format",
        rs(with_(date=dayfirst("%d/%m/%Y")), observation_end="01/03/2024", date_format="%d/%m/%Y"),
        Same(end="2024-03-01"),
    ),
    ("observation_end day above 12", rs(observation_end="13/03/2024"), Same(end="2024-03-13")),
    (
        "observation_end aware, data naive",
        rs(observation_end=pd.Timestamp("2024-03-01", tz="UTC")),
        Err(r"(?s)'observation_end'.*mismatched time zones"),
    ),
    (
        "observation_end day, data aware",
        rs(PARIS, observation_end="2024-03-01"),
        Same(end="2024-03-01"),
    ),
    (
        "observation_end aware, data aware",
        rs(PARIS, observation_end=pd.Timestamp("2024-03-01", tz="Europe/Paris")),
        Same(end="2024-03-01"),
    ),
    (
        "observation_end naive time, data aware",
        rs(PARIS, observation_end="2024-03-01 10:00"),
        Err(r"(?s)'observation_end'.*mismatched time zones"),
    ),
    ("observation_end in 2262", rs(observation_end="2262-01-01"), Same(end="2262-01-01")),
    (
        "observation_end in 3000",
        rs(observation_end="3000-01-01"),
        Check(
            lambda r: (
                r["T"].iloc[0]
                == (np.datetime64("3000-01-01") - np.datetime64("2024-01-01")).astype(int)
            )
        ),
    ),
    *[
        (
            f"time_unit {tu}",
            rs(observation_end="2024-03-01", time_unit=tu),
            Same(end="2024-03-01", unit=u),
        )
        for tu, u in [
            ("W", 7.0),
            ("M", 365.25 / 12),
            ("Q", 365.25 / 4),
            ("Y", 365.25),
            ("h", 1 / 24),
        ]
    ],
    *[
        (
            f"time_unit {tu!r}",
            rs(time_unit=tu),
            Err(r"The 'time_unit' parameter of rfm_summary must be one of"),
        )
        for tu in ("d", "days", None, 7, True)
    ],
    *[
        (
            f"nan_policy {p!r}",
            rs(nan_policy=p),
            Err(r"The 'nan_policy' parameter of rfm_summary must be one of"),
        )
        for p in ("drop", None, True, "OMIT")
    ],
    (
        "date_format a number",
        rs(date_format=5),
        Err(r"The 'date_format' parameter of rfm_summary must be a format string"),
    ),
    (
        "date_format bad directive",
        rs(date_format="%Q"),
        Err(r"(?s)'date_format' parameter of rfm_summary is not a valid date format.*Hint"),
    ),
    (
        "date_format not matching",
        rs(with_(date=ISO), date_format="%d/%m/%Y"),
        Err(r"(?s)Column 'date' has 6 unparseable.*date_format='%d/%m/%Y'"),
    ),
    ("date_format on datetimes", rs(date_format="%d/%m/%Y"), Same()),
    (
        "calibration_end = observation_end",
        rs(calibration_end="2024-01-20"),
        Err(r"calibration_end \(2024-01-20\) must be before observation_end"),
    ),
    (
        "calibration_end before the data",
        rs(calibration_end="2023-01-01"),
        Err(r"No purchases on or before calibration_end=2023-01-01"),
    ),
    (
        "calibration_end a number",
        rs(calibration_end=5),
        Err(rf"'calibration_end' parameter of rfm_summary {NUMBER} 5"),
    ),
    (
        "calibration_end inside",
        rs(calibration_end="2024-01-10"),
        Check(
            lambda r: (
                r["frequency_holdout"].tolist() == [1, 0, 1]
                and r["frequency"].tolist() == [0, 0, 0]
            )
        ),
    ),
    (
        "partitioned_by_customer on pandas",
        rs(partitioned_by_customer=True),
        Err(r"partitioned_by_customer=True applies to Dask"),
    ),
    (
        "amount=None",
        rs(amount=None),
        Check(lambda r: "monetary" not in r and r["frequency"].tolist() == [1, 0, 1]),
    ),
    ("a numpy array", rs(BASE.to_numpy()), Err(r"data must be a table.*got ndarray")),
    ("a list of records", rs(BASE.to_dict("records")), Err(r"data must be a table.*got list")),
    ("a Series", rs(BASE["amount"]), Err(r"data must be a table.*got Series")),
    ("a dict of columns", rs({k: list(v) for k, v in BASE.items()}), Same()),
    ("a pyarrow Table", rs(pa.Table.from_pandas(BASE)), Same()),
]


@pytest.mark.parametrize(
    ("call", "want"), [c[1:] for c in SUMMARY_DTYPES], ids=[c[0] for c in SUMMARY_DTYPES]
)
def test_rfm_summary_columns(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


@pytest.mark.parametrize(
    ("call", "want"), [c[1:] for c in SUMMARY_OPTIONS], ids=[c[0] for c in SUMMARY_OPTIONS]
)
def test_rfm_summary_shapes_and_options(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


def test_polars_inputs() -> None:
    pl_ = pytest.importorskip("polars")
    assert_same(cl.rfm_summary(pl_.from_pandas(BASE)), Same())
    assert_same(cl.rfm_summary(pl_.from_pandas(BASE).lazy()), Same())
    lazy_inf = pl_.from_pandas(with_(amount=[1.0, np.inf, 2, 3, 4, 5])).lazy()
    with pytest.raises(ValidationError, match="Column 'amount' has 1 infinite"):
        cl.rfm_summary(lazy_inf)


def test_engine_sums_beyond_float64_are_named_as_such() -> None:
    # each amount is finite; the engine's customer-day sum is not (not an "infinite value")
    pl_ = pytest.importorskip("polars")
    huge = with_(amount=[1e308, 1e308, 2, 3, 4, 5])
    with pytest.raises(ValidationError, match=r"(?s)Column 'amount' holds amounts so large.*"):
        cl.rfm_summary(pl_.from_pandas(huge).lazy())
    duckdb = pytest.importorskip("duckdb")
    with pytest.raises(ValidationError, match=r"sums of 1 customer-days overflow"):
        cl.rfm_summary(duckdb.connect().from_df(huge))


def test_dask_aware_dates_with_an_observation_end_day() -> None:
    dd = pytest.importorskip("dask.dataframe")
    out = cl.rfm_summary(dd.from_pandas(PARIS, npartitions=2), observation_end="2024-01-20")
    assert_same(out.compute().sort_index(), Same())


def test_dask_sums_beyond_float64_are_refused() -> None:
    dd = pytest.importorskip("dask.dataframe")
    big = dd.from_pandas(with_(amount=[1e308, 1e308, 2, 3, 4, 5]), npartitions=1)
    with pytest.raises(ValidationError, match="too large"):
        cl.rfm_summary(big, observation_end="2024-01-20").compute()


def test_the_caller_frames_are_not_modified() -> None:
    frames = [BASE.copy(deep=True), PARIS.copy(deep=True), with_(date=ISO)]
    before = [f.copy(deep=True) for f in frames]
    for f in frames:
        cl.rfm_summary(f, observation_end="2024-03-01")
        TierPolicy(
            [{"name": "Gold", "qualify": {"spend": 20}}, {"name": "Member"}]
        ).qualification_metrics(f, observation_end="2024-03-01")
    for f, b in zip(frames, before, strict=True):
        pd.testing.assert_frame_equal(f, b)


# Hypothesis: random dtypes for each column, then either the reference summary or our error
DTYPES = {
    "customer_id": [None, "Int64", "str", "string[pyarrow]", "category", "float64", "object"],
    "date": [None, "datetime64[s]", "tz", "arrow_tz", "str", "category"],
    "amount": [None, "Float64", "double[pyarrow]", "str", "object", "category"],
}


def _cast(s: pd.Series, kind: str | None) -> pd.Series:
    if kind is None:
        return s
    if kind == "tz":
        return s.dt.tz_localize("Europe/Paris")
    if kind == "arrow_tz":
        return s.dt.tz_localize("Europe/Paris").astype(ARROW_TZ)
    if kind == "str":
        return s.astype(str)
    if kind == "object":
        return s.astype(object)
    return s.astype(kind)


@settings(max_examples=40, deadline=None)
@given(
    ids=st.sampled_from(DTYPES["customer_id"]),
    dates=st.sampled_from(DTYPES["date"]),
    amounts=st.sampled_from(DTYPES["amount"]),
    hole=st.sampled_from([None, "customer_id", "date", "amount"]),
    policy=st.sampled_from(["raise", "omit"]),
)
def test_random_dtypes_give_the_reference_or_our_error(
    ids: str | None, dates: str | None, amounts: str | None, hole: str | None, policy: str
) -> None:
    tx = BASE.copy()
    if hole is not None:  # a missing value in one column, row 2
        tx[hole] = tx[hole].astype(object).where(tx.index != 2, None)
        tx[hole] = pd.to_datetime(tx[hole]) if hole == "date" else tx[hole]
        tx["amount"] = tx["amount"].astype(float)
    cast = tx.copy()
    for col, kind in (("customer_id", ids), ("date", dates), ("amount", amounts)):
        if not (hole == col and kind in ("Int64", "str", "category")):
            cast[col] = _cast(cast[col], kind)
    if hole is not None and policy == "raise":  # our error, naming the column
        with pytest.raises(ValidationError, match=f"Column {hole!r} has 1"):
            cl.rfm_summary(cast, nan_policy=policy)
        return
    out = cl.rfm_summary(cast, nan_policy=policy)
    kept = BASE.drop(index=2) if hole is not None else BASE
    exp = reference(kept)
    np.testing.assert_allclose(out["frequency"].to_numpy(float), exp["frequency"].to_numpy(float))
    np.testing.assert_allclose(out["T"].to_numpy(float), exp["T"].to_numpy(float))
    np.testing.assert_allclose(
        out["total_amount"].to_numpy(float), exp["total_amount"].to_numpy(float)
    )


# ------------------------------------------------------------------------- segmentation
TX = ds.make_transactions(60, seed=1)
SUMMARY = cl.rfm_summary(TX)
SCORES = rfm_scores(SUMMARY)
SPARSE = with_(customer_id=[1, 1, 1, 5, 1000, 1000])
POLICY = TierPolicy([{"name": "Gold", "qualify": {"spend": 20}}, {"name": "Member"}])
METRICS = pd.DataFrame({"spend": [35.0, 8.0, 10.75]}, index=[1, 5, 1000])
SAME_DAY = pd.DataFrame({"customer_id": range(50), "date": "2024-01-01", "amount": 1.0})


def tiers(q: Any = None, **tier: Any) -> Callable[[], Any]:
    first = {"name": "Gold", "qualify": {"spend": 20} if q is None else q, **tier}
    return lambda: TierPolicy([first, {"name": "Member"}])


def policy(**kw: Any) -> Callable[[], Any]:
    return lambda: TierPolicy(
        [{"name": "Gold", "qualify": {"spend": 20}}, {"name": "Member"}], **kw
    )


SEGMENTATION: list[tuple[str, Callable[[], Any], Outcome]] = [
    (
        "qualification metrics of sparse integer ids",
        lambda: POLICY.qualification_metrics(SPARSE, observation_end="2024-01-31"),
        Check(
            lambda r: r.index.tolist() == [1, 5, 1000] and r["spend"].tolist() == [35.0, 8.0, 10.75]
        ),
    ),
    (
        "qualification metrics in a 10-day window",
        lambda: TierPolicy(
            [{"name": "G", "qualify": {"spend": 20}}, {"name": "M"}], window="10D"
        ).qualification_metrics(SPARSE, observation_end="2024-01-20"),
        Check(
            lambda r: (
                r["spend"].tolist() == [20.0, 0.0, 7.25] and r["n_purchases"].tolist() == [1, 0, 1]
            )
        ),
    ),
    (
        "qualification metrics of aware data, review day as text",
        lambda: POLICY.qualification_metrics(PARIS, observation_end="2024-01-12"),
        Check(lambda r: r["spend"].tolist() == [15.0, 8.0, 3.5]),
    ),
    (
        "qualification metrics without review day",
        lambda: POLICY.qualification_metrics(BASE, observation_end=None),
        Err(r"'observation_end' parameter of TierPolicy.qualification_metrics is required"),
    ),
    (
        "assign tiers",
        lambda: POLICY.assign(METRICS),
        Check(lambda r: r["tier"].tolist() == ["Gold", "Member", "Member"]),
    ),
    (
        "qualify as a list",
        tiers([20]),
        Err(r"(?s)Tier 'Gold': qualify must map metric columns.*Hint"),
    ),
    ("qualify as a number", tiers(20), Err(r"Tier 'Gold': qualify must map metric columns")),
    (
        "qualify negative",
        tiers({"spend": -1}),
        Err(r"Tier 'Gold': qualify\['spend'\] must be finite and >= 0"),
    ),
    ("qualify NaN", tiers({"spend": float("nan")}), Err(r"qualify\['spend'\] must be finite")),
    (
        "qualify True",
        tiers({"spend": True}),
        Err(r"Tier 'Gold': qualify\['spend'\] must be a number; got the boolean True"),
    ),
    (
        "retain True",
        tiers({"spend": 20}, retain={"spend": True}),
        Err(r"Tier 'Gold': retain\['spend'\] must be a number; got the boolean"),
    ),
    (
        "tier key typo",
        tiers({"spend": 20}, retian={"spend": 10}),
        Err(r"(?s)Tier 'Gold' has unknown key 'retian'.*did you mean 'retain'"),
    ),
    (
        "require unknown",
        tiers({"spend": 20}, require="some"),
        Err(r"The 'require' parameter of tier 'Gold' must be one of"),
    ),
    (
        "points_per_unit True",
        policy(points_per_unit=True),
        Err(r"points_per_unit must be a number; got the boolean True"),
    ),
    (
        "grace_periods True",
        policy(grace_periods=True),
        Err(r"grace_periods must be a non-negative integer; got True"),
    ),
    (
        "window 0D",
        policy(window="0D"),
        Err(r"'window' parameter of TierPolicy must be a positive whole number of days"),
    ),
    (
        "window a number",
        policy(window=5),
        Err(r"'window' parameter of TierPolicy must be a duration"),
    ),
    (
        "assign negative spend",
        lambda: POLICY.assign(METRICS.assign(spend=[-1.0, 2, 3])),
        Err(r"Column 'spend' has 1 out-of-range"),
    ),
    (
        "assign bool spend",
        lambda: POLICY.assign(METRICS.assign(spend=[True, False, True])),
        Err(r"Column 'spend' must be numeric; got dtype bool"),
    ),
    (
        "assign repeated customers",
        lambda: POLICY.assign(METRICS.set_axis([1, 1, 2])),
        Err(r"must hold each customer id once"),
    ),
    (
        "value tiers of booleans",
        lambda: value_tiers(pd.Series([True, False, True])),
        Err(r"(?s)values must be numeric; got booleans.*Hint"),
    ),
    (
        "value tiers of bools among numbers",
        lambda: value_tiers([10.0, True, 3.0]),
        Err(r"values has 1 boolean value \(rows 1\): True"),
    ),
    (
        "value tiers whose total overflows",
        lambda: value_tiers(pd.Series([1e308, 1e308, 5e307, 1.0])),
        Check(lambda r: r.tolist() == ["A", "A", "B", "C"]),
    ),
    (
        "value tiers of strings",
        lambda: value_tiers(pd.Series(["a", "b"])),
        Err(r"values has 2 non-numeric values"),
    ),
    (
        "value tiers all zero",
        lambda: value_tiers(pd.Series([0.0, 0.0])),
        Err(r"values passed to value_tiers sum to 0"),
    ),
    (
        "value tiers negative ABC",
        lambda: value_tiers(pd.Series([-5.0, 10.0])),
        Err(r"(?s)values has 1 negative.*method='quantile'"),
    ),
    (
        "value tiers shares not summing to 1",
        lambda: value_tiers(SUMMARY["total_amount"], shares=[0.5, 0.6]),
        Err(r"The 'shares' parameter of value_tiers must sum to 1"),
    ),
    (
        "RFM ties: all bought on one day",
        lambda: rfm_segments(rfm_scores(cl.rfm_summary(SAME_DAY))),
        Check(lambda r: set(r) != {"Lost"} and r.nunique() == 1),
    ),
    (
        "RFM edges as text",
        lambda: rfm_scores(SUMMARY, edges="abc"),
        Err(r"The 'edges' parameter of RFMScorer must map 'R', 'F' or 'M'"),
    ),
    (
        "RFM edges unknown key",
        lambda: rfm_scores(SUMMARY, edges={"X": [1, 2]}),
        Err(r"edges keys must be 'R', 'F' or 'M'"),
    ),
    (
        "RFM edges descending",
        lambda: rfm_scores(SUMMARY, edges={"recency": [3, 1]}),
        Err(r"edges\['recency'\] must be in ascending order"),
    ),
    (
        "RFM bins True",
        lambda: rfm_scores(SUMMARY, bins=True),
        Err(r"The 'bins' parameter of RFMScorer must be an integer in \[2, 20\]"),
    ),
    ("RFM bins 1", lambda: rfm_scores(SUMMARY, bins=1), Err(r"'bins' parameter of RFMScorer")),
    (
        "RFM recency beyond T",
        lambda: rfm_scores(SUMMARY.assign(recency=SUMMARY["T"] + 5)),
        Err(
            r"(?s)The R metric of rfm_scores \('T' - 'recency'\) is negative for 60 customers.*cannot exceed T"
        ),
    ),
    (
        "RFM transform by an unfitted scorer",
        lambda: RFMScorer().transform(SUMMARY),
        Err(r"not fitted", kind=cl.errors.NotFittedError),
    ),
    ("RFM of transactions", lambda: rfm_scores(TX), Err(r"Column 'recency' not found in summary")),
    (
        "segments rules a number",
        lambda: rfm_segments(SCORES, rules=5),
        Err(r"The 'rules' parameter of rfm_segments must be a preset name"),
    ),
    (
        "segments rule without name",
        lambda: rfm_segments(SCORES, rules=[{"nme": "x"}]),
        Err(r"Each segment rule needs a 'name'"),
    ),
    (
        "segments rule key typo",
        lambda: rfm_segments(SCORES, rules=[{"name": "x", "r": (1, 2)}]),
        Err(r"(?s)Segment rule 'x' has unknown key 'r'.*did you mean 'R'"),
    ),
    (
        "segments unknown preset",
        lambda: rfm_segments(SCORES, rules="nope"),
        Err(r"The 'rules' parameter of rfm_segments must be one of"),
    ),
    (
        "segments of a summary",
        lambda: rfm_segments(SUMMARY),
        Err(r"Column 'R' not found in scores"),
    ),
    (
        "segments scores out of range",
        lambda: rfm_segments(SCORES.assign(R=0)),
        Err(r"Column 'R' has 60 out-of-range"),
    ),
    (
        "migration of list labels",
        lambda: tier_migration(pd.Series([["A"], ["B"]]), pd.Series(["A", "B"])),
        Err(r"(?s)before has 2 tier labels that are not scalars.*Hint"),
    ),
    (
        "migration with repeated customers",
        lambda: tier_migration(pd.Series(["A", "B"], index=[1, 1]), pd.Series(["A"])),
        Err(r"before has 1 duplicated customer"),
    ),
    (
        "migration counts",
        lambda: tier_migration(
            pd.Series(["A", "B", "C", "A"], index=[1, 2, 3, 4]),
            pd.Series(["B", "B", "A"], index=[1, 2, 5]),
            order=["A", "B", "C"],
        ),
        Check(
            lambda r: (
                (r.n_upgrades, r.n_downgrades, r.n_unchanged, r.n_churned, r.n_new)
                == (0, 1, 1, 2, 1)
            )
        ),
    ),
    (
        "value x potential actions a number",
        lambda: value_potential_tiers(TX, actions=5),
        Err(r"The 'actions' parameter of value_potential_tiers must map cells"),
    ),
    (
        "value x potential discount_rate True",
        lambda: value_potential_tiers(TX, discount_rate=True),
        Err(
            r"'discount_rate' parameter of value_potential_tiers must be a number; got the boolean"
        ),
    ),
    (
        "value x potential horizon 0",
        lambda: value_potential_tiers(TX, horizon=0),
        Err(r"'horizon'"),
    ),
    ("value x potential levels 4", lambda: value_potential_tiers(TX, levels=4), Err(r"'levels'")),
    (
        "value tiers thresholds [True]",
        lambda: value_tiers(SUMMARY["total_amount"], method="thresholds", thresholds=[True]),
        Err(r"(?s)The 'thresholds' parameter of value_tiers must hold numbers; got the boolean"),
    ),
    (
        "value tiers shares with True",
        lambda: value_tiers(SUMMARY["total_amount"], shares=[True, 0.0]),
        Err(r"The 'shares' parameter of value_tiers must hold numbers"),
    ),
    (
        "RFM edges with True",
        lambda: RFMScorer(edges={"R": [True, 2]}),
        Err(r"The \"edges\['R'\]\" parameter of RFMScorer must hold numbers"),
    ),
    (
        "segment range with True",
        lambda: rfm_segments(SCORES, rules=[("x", (True, 2), (1, 5), (1, 5))]),
        Err(r"R range of segment 'x'\" parameter of rfm_segments must hold numbers"),
    ),
    (
        "k-means elbow sample_size True",
        lambda: __import__("custloyalty.segmentation").segmentation.kmeans_elbow(
            SUMMARY, ks=[2], seed=1, sample_size=True
        ),
        Err(r"The 'sample_size' parameter of kmeans_elbow must be an integer >= 2"),
    ),
    (
        "k-means seed text",
        lambda: kmeans_segments(SUMMARY, seed="a"),
        Err(
            r"(?s)The 'seed' parameter of kmeans_segments must be None or a non-negative integer.*Hint"
        ),
    ),
    (
        "k-means seed negative",
        lambda: kmeans_segments(SUMMARY, seed=-1),
        Err(r"'seed' parameter of kmeans_segments"),
    ),
    ("k-means k 0", lambda: kmeans_segments(SUMMARY, k=0), Err(r"k")),
]


@pytest.mark.parametrize(
    ("call", "want"), [c[1:] for c in SEGMENTATION], ids=[c[0] for c in SEGMENTATION]
)
def test_segmentation(call: Callable[[], Any], want: Outcome) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.errors.ConvergenceWarning)
        run_case(call, want)


# ---------------------------------------------------------------------------- data sets
DATASETS: list[tuple[str, Callable[[], Any], Outcome]] = [
    ("load_cdnow unknown kind", lambda: ds.load_cdnow("bogus"), Err(r"kind")),
    ("load_cdnow kind None", lambda: ds.load_cdnow(None), Err(r"kind")),  # type: ignore[arg-type]
    ("load_ecsi unknown name", lambda: ds.load_ecsi("bogus"), Err(r"name")),
    *[
        (
            f"make_transactions n={n!r}",
            lambda n=n: ds.make_transactions(n, seed=1),
            Err(r"The 'n_customers' parameter of make_transactions must be a positive integer"),
        )
        for n in (0, -1, 2.5, True, "10", None)
    ],
    *[
        (
            f"make_transactions seed={s!r}",
            lambda s=s: ds.make_transactions(10, seed=s),
            Err(
                r"The 'seed' parameter of make_transactions must be None or a non-negative integer"
            ),
        )
        for s in ("a", -1, 1.5, True)
    ],
    (
        "make_transactions r True",
        lambda: ds.make_transactions(10, r=True),
        Err(r"'r' parameter of make_transactions must be a number; got the boolean"),
    ),
    (
        "make_transactions r NaN",
        lambda: ds.make_transactions(10, r=float("nan")),
        Err(r"'r' parameter of make_transactions must be finite"),
    ),
    (
        "make_transactions start text",
        lambda: ds.make_transactions(10, start="soon"),
        Err(r"'start' parameter of make_transactions must be a date"),
    ),
    (
        "make_survey seed text",
        lambda: ds.make_survey(10, seed="a"),
        Err(r"'seed' parameter of make_survey"),
    ),
    (
        "make_survey nested ids",
        lambda: ds.make_survey(10, seed=1, customer_ids=[[1]] * 10),
        Err(r"customer_ids passed to make_survey must be a one-dimensional sequence of scalar ids"),
    ),
    (
        "make_survey ids kept as integers",
        lambda: ds.make_survey(5, seed=1, customer_ids=[1, 2, 3]),
        Check(lambda r: r["customer_id"].dtype == np.int64),
    ),
    (
        "make_interactions seed text",
        lambda: ds.make_interactions(5, seed="x"),
        Err(r"'seed' parameter of make_interactions"),
    ),
    (
        "make_programme seed text",
        lambda: ds.make_programme(10, lift=0.1, seed="a"),
        Err(r"'seed' parameter of make_programme"),
    ),
    (
        "make_programme lift True",
        lambda: ds.make_programme(10, lift=True),
        Err(r"The 'lift' parameter of make_programme must hold numbers"),
    ),
    (
        "make_programme member_share 1.5",
        lambda: ds.make_programme(10, lift=0.1, member_share=1.5),
        Err(r"member_share"),
    ),
]


@pytest.mark.parametrize(("call", "want"), [c[1:] for c in DATASETS], ids=[c[0] for c in DATASETS])
def test_datasets(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


# -------------------------------------------------------------------------------- plots
BG = cl.models.BetaGeo().fit(cl.rfm_summary(TX, time_unit="W"))

PLOTS: list[tuple[str, Callable[[], Any], Outcome]] = [
    (
        "composite bins 0",
        drawn(lambda: pl.plot_composite_distribution([1.0, 2.0], bins=0)),
        Err(r"The 'bins' parameter of plot_composite_distribution must be a positive integer"),
    ),
    (
        "composite bins True",
        drawn(lambda: pl.plot_composite_distribution([1.0, 2.0], bins=True)),
        Err(r"'bins' parameter of plot_composite_distribution"),
    ),
    (
        "composite bins 2.5",
        drawn(lambda: pl.plot_composite_distribution([1.0, 2.0], bins=2.5)),
        Err(r"'bins' parameter of plot_composite_distribution"),
    ),
    (
        "composite thresholds NaN",
        drawn(lambda: pl.plot_composite_distribution([1.0, 2.0], thresholds=[float("nan")])),
        Err(r"thresholds must be finite and strictly decreasing"),
    ),
    (
        "composite thresholds ascending",
        drawn(lambda: pl.plot_composite_distribution([1.0, 2.0], thresholds=[40, 70])),
        Err(r"thresholds must be finite and strictly decreasing"),
    ),
    (
        "composite thresholds text",
        drawn(lambda: pl.plot_composite_distribution([1.0, 2.0], thresholds=["x"])),
        Err(r"thresholds must hold numbers"),
    ),
    (
        "composite thresholds [True]",
        drawn(lambda: pl.plot_composite_distribution([1.0, 2.0], thresholds=[True])),
        Err(r"The 'thresholds' parameter of plot_composite_distribution must hold numbers"),
    ),
    (
        "P(alive) T True",
        drawn(lambda: pl.plot_p_alive_matrix(BG, T=True)),
        Err(r"The 'T' parameter of plot_p_alive_matrix must hold numbers"),
    ),
    (
        "composite of booleans",
        drawn(lambda: pl.plot_composite_distribution([True, False])),
        Err(r"values has 2 boolean values \(rows 0, 1\)"),
    ),
    (
        "composite of nothing",
        drawn(lambda: pl.plot_composite_distribution([np.nan])),
        Err(r"values has no values left|at least one finite"),
    ),
    (
        "pareto of booleans",
        drawn(lambda: pl.plot_pareto_curve(SUMMARY["total_amount"] > 0)),
        Err(r"values must be numeric; got booleans"),
    ),
    (
        "pareto whose total overflows",
        drawn(lambda: pl.plot_pareto_curve([1e308, 1e308, 1.0])),
        Check(lambda ax: "Gini" in ax.get_title() and "nan" not in ax.get_title()),
    ),
    (
        "pareto negative",
        drawn(lambda: pl.plot_pareto_curve([-1.0, 2.0])),
        Err(r"plot_pareto_curve needs non-negative values"),
    ),
    (
        "tiers of a string",
        drawn(lambda: pl.plot_tiers("abc")),
        Err(r"plot_tiers needs tier labels per customer"),
    ),
    (
        "tiers with boolean values",
        drawn(
            lambda: pl.plot_tiers(
                value_tiers(SUMMARY["total_amount"]), values=SUMMARY["total_amount"] > 0
            )
        ),
        Err(r"values must be numeric; got booleans"),
    ),
    (
        "tiers with too few values",
        drawn(lambda: pl.plot_tiers(value_tiers(SUMMARY["total_amount"]), values=[1.0])),
        Err(r"values has 1 values but tiers has 60"),
    ),
    (
        "rfm segments revenue of booleans",
        drawn(lambda: pl.plot_rfm_segments(SCORES, revenue=SUMMARY["total_amount"] > 0)),
        Err(r"revenue must be numeric; got booleans"),
    ),
    (
        "rfm segments of a summary",
        drawn(lambda: pl.plot_rfm_segments(SUMMARY)),
        Err(r"Column 'R' not found in scores"),
    ),
    (
        "weights as text",
        drawn(lambda: pl.plot_weights("abc")),
        Err(r"plot_weights needs the weights as a mapping"),
    ),
    (
        "weights not numbers",
        drawn(lambda: pl.plot_weights({"a": "x"})),
        Err(r"plot_weights needs numeric weights"),
    ),
    (
        "weights negative",
        drawn(lambda: pl.plot_weights({"a": -1.0, "b": 2.0})),
        Err(r"plot_weights needs finite weights \(non-negative\)"),
    ),
    (
        "value x potential of a number",
        drawn(lambda: pl.plot_value_potential(5)),
        Err(
            r"plot_value_potential needs the result of custloyalty.segmentation.value_potential_tiers; got int"
        ),
    ),
    (
        "over time of a number",
        drawn(lambda: pl.plot_over_time(5)),
        Err(r"plot_over_time needs the result of custloyalty.monitoring.evaluate_over_time"),
    ),
    (
        "programme effect of a number",
        drawn(lambda: pl.plot_programme_effect(5)),
        Err(r"plot_programme_effect needs the result of custloyalty.programme.programme_effect"),
    ),
    (
        "P(alive) of a string",
        drawn(lambda: pl.plot_p_alive_matrix("bg")),
        Err(r"plot_p_alive_matrix needs a fitted BetaGeo or ParetoNBD model; got str"),
    ),
    (
        "tier migration of a string",
        drawn(lambda: pl.plot_tier_migration("x")),
        Err(r"plot_tier_migration needs the result"),
    ),
    (
        "ax not an Axes",
        drawn(lambda: pl.plot_tiers(value_tiers(SUMMARY["total_amount"]), ax="x")),
        Err(r"(?s)The 'ax' parameter must be a matplotlib Axes or None; got str.*Hint"),
    ),
    (
        "engagement bins 0",
        drawn(lambda: pl.plot_engagement([1.0, 2.0], bins=0)),
        Err(r"The 'bins' parameter of plot_engagement must be a positive integer"),
    ),
    (
        "NPS distribution with True",
        drawn(lambda: pl.plot_nps_distribution([True, 10, 3])),
        Err(r"bool"),
    ),
]


@pytest.mark.parametrize(("call", "want"), [c[1:] for c in PLOTS], ids=[c[0] for c in PLOTS])
def test_plots(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


# ------------------------------------------------------------------------------- report
SMALL = ds.make_transactions(40, seed=1)


def report_case(**kw: Any) -> Callable[[], Any]:
    from custloyalty.report import build_report

    return lambda: build_report(SMALL, **kw)


REPORT: list[tuple[str, Callable[[], Any], Outcome]] = [
    (
        "scorecard a number",
        report_case(scorecard=5),
        Err(
            r"The 'scorecard' parameter of build_report must be a LoyaltyScorecard or None; got int"
        ),
    ),
    (
        "over_time a number",
        report_case(over_time=5),
        Err(r"The 'over_time' parameter of build_report must be an OverTimeResult"),
    ),
    (
        "programme a number",
        report_case(programme=5),
        Err(r"The 'programme' parameter of build_report must be a ProgrammeEffectResult"),
    ),
    (
        "observation_end a number",
        report_case(observation_end=5),
        Err(rf"'observation_end' parameter of build_report {NUMBER}"),
    ),
    (
        "observation_end before the data",
        report_case(observation_end="1990-01-01"),
        Err(r"No purchases on or before observation_end=1990-01-01 in build_report"),
    ),
    (
        "boolean amounts",
        lambda: __import__("custloyalty.report").report.build_report(SMALL.assign(amount=True)),
        Err(r"Column 'amount' must be numeric; got dtype bool"),
    ),
    (
        "render of a number",
        lambda: __import__("custloyalty.report").report.render(5),
        Err(r"(?s)render needs a ScorecardResult.*build_report"),
    ),
    (
        "write_report to a number",
        lambda: __import__("custloyalty.report").report.write_report(5, SMALL),
        Err(r"The 'path' parameter of write_report must be a file path; got 5"),
    ),
]


@pytest.mark.parametrize(("call", "want"), [c[1:] for c in REPORT], ids=[c[0] for c in REPORT])
def test_report(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


def test_report_of_aware_pyarrow_timestamps(tmp_path: Path) -> None:
    from custloyalty.report import write_report

    aware = SMALL.assign(
        date=SMALL["date"].dt.tz_localize("UTC").astype(pd.ArrowDtype(pa.timestamp("us", tz="UTC")))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.errors.ConvergenceWarning)
        out = write_report(tmp_path / "r.html", aware)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert f"{SMALL['customer_id'].nunique():,} customers" in text


def test_write_report_to_a_folder_keeps_it(tmp_path: Path) -> None:
    from custloyalty.report import write_report

    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(ValidationError, match=r"(?s)Cannot write the report to .*: it is a folder"):
        write_report(tmp_path, SMALL)
    assert (tmp_path / "keep.txt").read_text() == "x"


def test_write_report_to_a_read_only_folder_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custloyalty.report import _build, write_report

    ro = tmp_path / "ro"
    ro.mkdir()
    real_access = os.access

    def access(path: object, mode: int, *args: object, **kwargs: object) -> bool:
        # the folder reads as not writable, whoever runs the test (root writes anywhere)
        if Path(str(path)) == ro:
            return False
        return real_access(path, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(_build.os, "access", access)
    with pytest.raises(ValidationError, match="is not writable"):
        write_report(ro / "r.html", "not even a table")
    assert list(ro.iterdir()) == []


# ---------------------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def cli_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("battery")
    tx = ds.load_cdnow("sample").head(1500)
    tx.to_csv(d / "tx.csv", index=False)
    tx.to_csv(d / "semi.csv", index=False, sep=";")
    tx.to_csv(d / "semi_decimal_comma.csv", index=False, sep=";", decimal=",")
    (d / "bom.csv").write_text(tx.to_csv(index=False), encoding="utf-8-sig")
    tx.assign(date=pd.to_datetime(tx["date"]).dt.tz_localize("UTC")).to_parquet(d / "tz.parquet")
    (d / "folder").mkdir()
    return d


def cli(d: Path, *argv: str) -> int:
    from custloyalty.cli import main

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.errors.ConvergenceWarning)
        return main([*argv, "-q"])


def test_cli_reads_a_semicolon_separated_file_like_the_comma_one(cli_files: Path) -> None:
    d = cli_files
    assert cli(d, "score", str(d / "tx.csv"), "-o", str(d / "a.csv")) == 0
    assert cli(d, "score", str(d / "semi.csv"), "-o", str(d / "b.csv")) == 0
    assert cli(d, "score", str(d / "bom.csv"), "-o", str(d / "c.csv")) == 0
    assert (d / "a.csv").read_bytes() == (d / "b.csv").read_bytes() == (d / "c.csv").read_bytes()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["score", "folder", "-o", "x.csv"], "transactions file folder is a folder, not a file"),
        (
            ["score", "tx.csv", "--date-format", "%Q", "-o", "x.csv"],
            "--date-format '%Q' is not a valid date format",
        ),
        (
            ["score", "semi_decimal_comma.csv", "-o", "x.csv"],
            "Column 'amount' has 1500 non-numeric values",
        ),
        (["score", "tx.csv", "-o", "./folder/../tx.csv"], "refusing to write --output"),
        (
            ["score", "tx.csv", "--observation-end", "01/03/1998", "-o", "x.csv"],
            "is not an ISO 8601 date",
        ),
        (["score", "missing.csv", "-o", "x.csv"], "transactions file not found: missing.csv"),
    ],
)
def test_cli_errors_are_one_line_naming_the_flag_or_file(
    cli_files: Path,
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(cli_files)
    before = (cli_files / "tx.csv").read_bytes()
    assert cli(cli_files, *argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert (cli_files / "tx.csv").read_bytes() == before
    assert not (cli_files / "x.csv").exists()


def test_cli_aware_timestamps_with_an_observation_end_day(cli_files: Path) -> None:
    d = cli_files
    out = d / "tz.csv"
    assert (
        cli(d, "score", str(d / "tz.parquet"), "--observation-end", "1997-06-30", "-o", str(out))
        == 0
    )
    naive = d / "naive.csv"
    assert (
        cli(d, "score", str(d / "tx.csv"), "--observation-end", "1997-06-30", "-o", str(naive)) == 0
    )
    a = pd.read_csv(out, dtype={"customer_id": str}).set_index("customer_id").sort_index()
    b = pd.read_csv(naive, dtype={"customer_id": str}).set_index("customer_id").sort_index()
    pd.testing.assert_frame_equal(a, b)

"""A hostile battery of the engines: Dask, polars, pyarrow, DuckDB (issue 13, round 2).

Every public function that takes a table is given the same transactions as a Dask frame (one
partition, several, empty ones, a customer split across partitions), a polars DataFrame /
LazyFrame (a filter pending), a pyarrow Table / Dataset and a DuckDB relation, with hostile
content (categorical, dictionary-encoded, large-string and uint64 ids beyond int64; nulls and
NaN in ids, dates and amounts; time zones; date32/date64/timestamp[s|ms|us|ns]; decimal128
amounts; duplicate column names; columns named like internal ones). A case passes when

* the result equals the same call on the equivalent pandas frame (ids compared as text: a
  categorical id keeps its values, not the order of its categories, through polars), or
* both raise our own error (a :class:`~custloyalty.errors.CustLoyaltyError`) with the same
  first line, or
* the engine raises our own error naming the column or the way round (``Err``).

A stray exception of Dask, polars, pyarrow, DuckDB or pandas, a silently different result or a
modified caller table fails the case.

DuckDB's ``TIMESTAMP WITH TIME ZONE`` holds instants without their zone and hands them over in
the session's ``TimeZone`` (documented in :mod:`custloyalty._engines._foreign`): its reference
is the pandas frame converted to that zone (UTC here).
"""

from __future__ import annotations

import decimal
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

import custloyalty as cl
from custloyalty import metrics as M
from custloyalty.errors import ConvergenceWarning, CustLoyaltyError
from custloyalty.scorecard import LoyaltyScorecard
from custloyalty.segmentation import TierPolicy

dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")
pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
pads = pytest.importorskip("pyarrow.dataset")
duckdb = pytest.importorskip("duckdb")

END = "2024-02-01"
_rng = np.random.default_rng(0)
_N = 60
BASE = (
    pd.DataFrame(
        {
            "customer_id": _rng.integers(1, 12, _N),
            "date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(_rng.integers(0, 30 * 24, _N), unit="h"),
            "amount": _rng.integers(1, 100, _N).astype(float),
        }
    )
    .sort_values("customer_id", kind="stable")
    .reset_index(drop=True)
)


@pytest.fixture(autouse=True)
def _synchronous_dask() -> Any:
    with dask.config.set(scheduler="synchronous"):
        yield


def _con() -> Any:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    return con


# --------------------------------------------------------------------------------------------
# the functions, each called the same way on every engine
# --------------------------------------------------------------------------------------------

_POLICY = TierPolicy([{"name": "Gold", "qualify": {"spend": 200}}, {"name": "Member"}])

FUNCS: dict[str, Callable[[Any], Any]] = {
    "rfm_summary": lambda d: cl.rfm_summary(d, observation_end=END),
    "rfm_summary_calibration": lambda d: cl.rfm_summary(
        d, observation_end=END, calibration_end="2024-01-15", time_unit="W"
    ),
    "purchase_frequency": lambda d: M.purchase_frequency(d, observation_end=END),
    "order_value": lambda d: M.order_value(d, observation_end=END),
    "days_since_last_purchase": lambda d: M.days_since_last_purchase(d, observation_end=END),
    "churn_flags": lambda d: M.churn_flags(d, threshold=10, observation_end=END),
    "purchase_days": lambda d: M.purchase_days(d, observation_end=END),
    "purchase_rate": lambda d: M.purchase_rate(d, observation_end=END),
    "interpurchase_intervals": lambda d: M.interpurchase_intervals(d, observation_end=END),
    "repeat_purchase_rate": lambda d: M.repeat_purchase_rate(d, observation_end=END),
    "qualification_metrics": lambda d: _POLICY.qualification_metrics(d, observation_end=END),
    "bucket_summary": lambda d: cl.bucket_summary(d, observation_end=END).set_index("customer_id"),
}

#: Functions that refuse a Dask frame (they need every customer at once, or one bucket in
#: memory) with our error and the way round.
DASK_REFUSED = {"repeat_purchase_rate", "qualification_metrics", "bucket_summary"}


def _norm(result: Any) -> Any:
    """A computed result with its ids as text, sorted (order and id dtype aside)."""
    if hasattr(result, "compute"):
        result = result.compute()
    if isinstance(result, pd.DataFrame | pd.Series):
        result = result.copy()
        index = result.index
        if isinstance(index, pd.MultiIndex):
            levels = [index.get_level_values(i).astype(str) for i in range(index.nlevels)]
            result.index = pd.MultiIndex.from_arrays(levels, names=index.names)
        else:
            result.index = pd.Index(index.astype(str), name=index.name)
        result = result.sort_index()
        result.attrs = {}
    return result


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", _norm(call())
    except CustLoyaltyError as exc:
        return "err", str(exc).splitlines()[0]


def _same(a: Any, b: Any) -> str | None:
    try:
        if isinstance(b, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_dtype=False, check_index_type=False)
        elif isinstance(b, pd.Series):
            pd.testing.assert_series_equal(a, b, check_dtype=False, check_index_type=False)
        elif repr(a) != repr(b):
            return f"{a!r} != {b!r}"
    except AssertionError as exc:
        return str(exc)[:300]
    return None


def check_all(make: Callable[[], Any], reference: pd.DataFrame, *, engine: str) -> None:
    """Every function on ``make()`` equals it on ``reference`` (or both raise our error)."""
    problems = []
    for name, func in FUNCS.items():
        want = _outcome(lambda func=func: func(reference))  # type: ignore[misc]
        if engine == "dask" and name in DASK_REFUSED:
            got = _outcome(lambda func=func: func(make()))  # type: ignore[misc]
            if got[0] != "err" or "Dask" not in got[1]:
                problems.append(f"{name}: not refused on Dask: {got}")
            continue
        got = _outcome(lambda func=func: func(make()))  # type: ignore[misc]
        if want[0] != got[0]:
            problems.append(f"{name}: pandas {want[0]} {want[1]!s:.120} / engine {got}")
        elif want[0] == "err" and want[1] != got[1]:
            problems.append(f"{name}: pandas says {want[1]!r}, the engine {got[1]!r}")
        elif want[0] == "ok" and (diff := _same(got[1], want[1])) is not None:
            problems.append(f"{name}: {diff}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# content variants, built in pandas, carried to each engine
# --------------------------------------------------------------------------------------------


def _with(**cols: Any) -> pd.DataFrame:
    return BASE.assign(**cols)


def _nulls(col: str, value: Any, dtype: str | None = None) -> pd.DataFrame:
    out = BASE.copy()
    if dtype is not None:
        out[col] = out[col].astype(dtype)
    out.loc[[3, 8], col] = value
    return out


PANDAS_VARIANTS: dict[str, pd.DataFrame] = {
    "plain": BASE,
    "categorical ids": _with(customer_id=BASE["customer_id"].astype(str).astype("category")),
    "pyarrow string ids": _with(
        customer_id=("c" + BASE["customer_id"].astype(str)).astype("string[pyarrow]")
    ),
    "uint64 ids beyond int64": _with(
        customer_id=BASE["customer_id"].astype("uint64") + np.uint64(2**63)
    ),
    "Paris dates": _with(date=BASE["date"].dt.tz_localize("Europe/Paris")),
    "New York dates": _with(date=BASE["date"].dt.tz_localize("America/New_York")),
    "Tokyo dates": _with(date=BASE["date"].dt.tz_localize("Asia/Tokyo")),
    "decimal amounts": _with(
        amount=[decimal.Decimal(str(x)) + decimal.Decimal("0.25") for x in BASE["amount"]]
    ),
    "null ids": _nulls("customer_id", pd.NA, "Int64"),
    "NaN ids": _nulls("customer_id", np.nan, "float64"),
    "null dates": _nulls("date", pd.NaT),
    "NaN amounts": _nulls("amount", np.nan),
    "negative amount": _nulls("amount", -5.0),
    "a column named like the row count": _with(__custloyalty_count=7),
    "columns named like the outputs": _with(monetary=3.0, n_purchases=4, recency=2.0, T=4),
}


def _to_engine(df: pd.DataFrame, engine: str) -> Callable[[], Any]:
    if engine == "polars":
        return lambda: pl.from_pandas(df, nan_to_null=False)
    if engine == "polars lazy":
        return lambda: pl.from_pandas(df, nan_to_null=False).lazy()
    if engine == "pyarrow":
        return lambda: pa.Table.from_pandas(df, preserve_index=False)
    if engine == "pyarrow dataset":
        return lambda: pads.dataset(pa.Table.from_pandas(df, preserve_index=False))
    if engine == "duckdb":
        return lambda: _con().from_arrow(pa.Table.from_pandas(df, preserve_index=False))
    if engine == "dask 3 partitions":
        return lambda: dd.from_pandas(df, npartitions=3, sort=False)
    if engine == "dask 1 partition":
        return lambda: dd.from_pandas(df, npartitions=1)
    raise AssertionError(engine)


ENGINES = [
    "polars",
    "polars lazy",
    "pyarrow",
    "pyarrow dataset",
    "duckdb",
    "dask 3 partitions",
    "dask 1 partition",
]


def _reference_for(df: pd.DataFrame, engine: str) -> pd.DataFrame:
    tz = getattr(df["date"].dtype, "tz", None)
    if engine == "duckdb" and tz is not None:  # the session's zone, UTC
        return df.assign(date=df["date"].dt.tz_convert("UTC"))
    return df


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("variant", list(PANDAS_VARIANTS))
def test_every_function_on_every_engine_equals_pandas(variant: str, engine: str) -> None:
    df = PANDAS_VARIANTS[variant]
    before = df.copy(deep=True)
    check_all(_to_engine(df, engine), _reference_for(df, engine), engine=engine.split()[0])
    pd.testing.assert_frame_equal(df, before)  # the caller's frame untouched


# --------------------------------------------------------------------------------------------
# arrow types, built in pyarrow, carried to each engine
# --------------------------------------------------------------------------------------------

_T = pa.Table.from_pandas(BASE, preserve_index=False)
_IDS = [f"c{x}" for x in BASE["customer_id"]]


def _arrow_variants() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for unit in ("s", "ms", "us", "ns"):
        out[f"timestamp[{unit}]"] = _T.set_column(1, "date", _T["date"].cast(pa.timestamp(unit)))
        zoned = pa.timestamp(unit, tz="Asia/Kolkata")
        out[f"timestamp[{unit}, Kolkata]"] = _T.set_column(1, "date", _T["date"].cast(zoned))
    out["date32"] = _T.set_column(1, "date", _T["date"].cast(pa.timestamp("s")).cast(pa.date32()))
    out["date64"] = _T.set_column(1, "date", _T["date"].cast(pa.timestamp("ms")).cast(pa.date64()))
    dec = [decimal.Decimal(str(x)) + decimal.Decimal("0.01") for x in BASE["amount"]]
    out["decimal128"] = _T.set_column(2, "amount", pa.array(dec, pa.decimal128(12, 2)))
    out["large_string ids"] = _T.set_column(0, "customer_id", pa.array(_IDS, pa.large_string()))
    out["dictionary ids"] = _T.set_column(0, "customer_id", pa.array(_IDS).dictionary_encode())
    big = BASE["customer_id"].to_numpy().astype("uint64") + np.uint64(2**63)
    out["uint64 ids"] = _T.set_column(0, "customer_id", pa.array(big))
    ids = [None if i in (3, 8) else int(x) for i, x in enumerate(BASE["customer_id"])]
    out["null ids"] = _T.set_column(0, "customer_id", pa.array(ids, pa.int64()))
    dates = [None if i == 3 else x for i, x in enumerate(BASE["date"])]
    out["null dates"] = _T.set_column(1, "date", pa.array(dates, pa.timestamp("us")))
    amounts = [None if i == 3 else x for i, x in enumerate(BASE["amount"])]
    out["null amounts"] = _T.set_column(2, "amount", pa.array(amounts, pa.float64()))
    return out


ARROW_VARIANTS = _arrow_variants()


def _arrow_to_engine(table: Any, engine: str) -> Callable[[], Any]:
    if engine == "pyarrow":
        return lambda: table
    if engine == "pyarrow dataset":
        return lambda: pads.dataset(table)
    if engine == "polars":
        return lambda: pl.from_arrow(table)
    if engine == "polars lazy":
        return lambda: pl.from_arrow(table).lazy()
    if engine == "duckdb":
        return lambda: _con().from_arrow(table)
    if engine == "dask":  # the pyarrow types kept (ArrowDtype columns)
        return lambda: dd.from_pandas(table.to_pandas(types_mapper=pd.ArrowDtype), npartitions=2)
    raise AssertionError(engine)


@pytest.mark.parametrize(
    "engine", ["pyarrow", "pyarrow dataset", "polars", "polars lazy", "duckdb", "dask"]
)
@pytest.mark.parametrize("variant", list(ARROW_VARIANTS))
def test_arrow_types_on_every_engine_equal_pandas(variant: str, engine: str) -> None:
    table = ARROW_VARIANTS[variant]
    reference = table.to_pandas()
    if engine == "duckdb" and getattr(reference["date"].dtype, "tz", None) is not None:
        reference = reference.assign(date=reference["date"].dt.tz_convert("UTC"))
    check_all(_arrow_to_engine(table, engine), reference, engine=engine)


# --------------------------------------------------------------------------------------------
# partitions, pending filters, names
# --------------------------------------------------------------------------------------------


def _rs(data: Any, **options: Any) -> Any:
    return _norm(cl.rfm_summary(data, observation_end=END, **options))


def test_dask_partition_shapes_equal_pandas() -> None:
    want = _rs(BASE)
    empty = dd.from_pandas(BASE.iloc[:0], npartitions=1)
    by_customer = dd.from_pandas(BASE.set_index("customer_id"), npartitions=3).reset_index()
    shuffled = dd.from_pandas(BASE.sample(frac=1.0, random_state=1), npartitions=4, sort=False)
    with_empty = dd.concat([empty, by_customer, empty])
    pd.testing.assert_frame_equal(_rs(with_empty), want, check_dtype=False)
    pd.testing.assert_frame_equal(_rs(with_empty, partitioned_by_customer=True), want)
    pd.testing.assert_frame_equal(_rs(shuffled), want, check_dtype=False)
    one = dd.from_pandas(BASE, npartitions=1)
    pd.testing.assert_frame_equal(_rs(one, partitioned_by_customer=True), want)
    with pytest.raises(CustLoyaltyError, match=r"(?s)span several partitions.*Hint"):
        _rs(shuffled, partitioned_by_customer=True)
    for name in ("purchase_days", "order_value", "interpurchase_intervals"):
        func = getattr(M, name)
        got = _norm(func(with_empty, observation_end=END))
        want_m = _norm(func(BASE, observation_end=END))
        assert _same(got, want_m) is None, name
        assert _same(_norm(func(shuffled, observation_end=END)), want_m) is None, name


def test_filters_pending_in_lazy_frames_equal_pandas() -> None:
    kept = BASE[BASE["amount"] > 50]
    lazy = pl.from_pandas(BASE).lazy().filter(pl.col("amount") > 50)
    rel = _con().from_df(BASE).filter("amount > 50")
    ddf = dd.from_pandas(BASE, npartitions=3)
    for data in (lazy, rel, ddf[ddf["amount"] > 50]):
        assert _same(_rs(data), _rs(kept)) is None
        got = _norm(M.purchase_days(data, observation_end=END))
        assert _same(got, _norm(M.purchase_days(kept, observation_end=END))) is None
    nothing = pl.from_pandas(BASE).lazy().filter(pl.col("amount") > 10**6)
    for data in (nothing, _con().from_df(BASE).filter("amount > 1e6")):
        with pytest.raises(CustLoyaltyError, match=r"empty \(0 rows\)"):
            cl.rfm_summary(data, observation_end=END)


def test_an_amount_column_named_like_the_row_count() -> None:
    # was: polars DuplicateError; DuckDB "Column '__custloyalty_count' not found"
    df = BASE.rename(columns={"amount": "__custloyalty_count"})
    want = _rs(df, amount="__custloyalty_count")
    for data in (pl.from_pandas(df).lazy(), _con().from_df(df)):
        assert _same(_rs(data, amount="__custloyalty_count"), want) is None


@pytest.mark.parametrize("engine", ["polars lazy", "duckdb"])
def test_engine_errors_count_rows_not_customer_days(engine: str) -> None:
    # was: NaN ids grouped as a customer in the engine (DuckDB: "6 null ids", pandas 7), and
    # list ids counted per customer-day (51 unhashable values instead of 60)
    nan_ids = _nulls("customer_id", np.nan, "float64")
    nan_ids.loc[[4, 9], "customer_id"] = np.nan  # same customers, same days as rows 3, 8
    lists = _with(customer_id=[[int(x)] for x in BASE["customer_id"]])
    for df in (nan_ids, lists):
        with pytest.raises(CustLoyaltyError) as want:
            cl.rfm_summary(df, observation_end=END)
        if engine == "duckdb":
            data = _con().from_arrow(pa.Table.from_pandas(df, preserve_index=False))
        else:
            data = pl.from_pandas(df, nan_to_null=False).lazy()
        with pytest.raises(CustLoyaltyError) as got:
            cl.rfm_summary(data, observation_end=END)
        counts = re.compile(r"has (\d+) (?:null|unhashable) customer id values \(rows ([\d, ]+)\)")
        assert counts.search(str(got.value)) is not None
        assert counts.search(str(got.value)).groups() == counts.search(str(want.value)).groups()  # type: ignore[union-attr]
    struct_ids = (
        pl.from_pandas(BASE).lazy().with_columns(pl.struct("customer_id").alias("customer_id"))
    )
    with pytest.raises(CustLoyaltyError, match="has 60 unhashable"):
        cl.rfm_summary(struct_ids, observation_end=END)


def test_duplicate_column_names_are_refused_as_in_pandas() -> None:
    # was: DuckDB silently took the first "amount"; a pyarrow Dataset raised ArrowInvalid
    rel = _con().sql("SELECT customer_id, date, amount, amount * 2 AS amount FROM BASE")
    table = pa.table(
        [_T["customer_id"], _T["date"], _T["amount"], _T["amount"]],
        names=["customer_id", "date", "amount", "amount"],
    )
    for data in (rel, pads.dataset(table), table):
        for func in (FUNCS["rfm_summary"], FUNCS["order_value"]):
            with pytest.raises(CustLoyaltyError, match=r"(?s)'amount' appears 2 times.*Hint"):
                func(data)
    # a duplicated column that is not used is no obstacle (as in pandas)
    rel = _con().sql("SELECT customer_id, date, amount, 1 AS x, 2 AS x FROM BASE")
    assert _same(_rs(rel), _rs(BASE)) is None


def test_dask_dictionary_ids_are_not_read_as_nulls() -> None:
    # was: "Column 'customer_id' has 2 null customer id values" (Dask has no example value)
    ids = pd.arrays.ArrowExtensionArray(pa.array(_IDS).dictionary_encode())
    df = _with(customer_id=pd.Series(ids))
    ddf = dd.from_pandas(df, npartitions=2)
    assert _same(_rs(ddf), _rs(df)) is None
    got = _norm(M.purchase_frequency(ddf, observation_end=END))
    assert _same(got, _norm(M.purchase_frequency(df, observation_end=END))) is None


# --------------------------------------------------------------------------------------------
# the scorecard and the buckets
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scorecard_data() -> tuple[pd.DataFrame, Any]:
    rng = np.random.default_rng(1)
    n = 3000
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(1, 300, n),
            "date": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(rng.integers(0, 400 * 24, n), unit="h"),
            "amount": rng.gamma(2, 20, n).round(2),
        }
    )
    return tx, _fit(tx)


def _fit(data: Any) -> Any:
    with warnings.catch_warnings():  # nobody drops out in these random purchases
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LoyaltyScorecard().fit(data, observation_end=END)


SCORE_VARIANTS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "plain": lambda tx: tx,
    "dictionary ids": lambda tx: tx.assign(
        customer_id=pd.Series(
            pd.arrays.ArrowExtensionArray(
                pa.array(tx["customer_id"].astype(str)).dictionary_encode()
            )
        )
    ),
    "categorical ids": lambda tx: tx.assign(customer_id=tx["customer_id"].astype("category")),
    "uint64 ids": lambda tx: tx.assign(
        customer_id=tx["customer_id"].astype("uint64") + np.uint64(2**63)
    ),
    "Kolkata dates": lambda tx: tx.assign(date=tx["date"].dt.tz_localize("Asia/Kolkata")),
}


@pytest.mark.parametrize("variant", list(SCORE_VARIANTS))
def test_the_scorecard_on_every_engine_equals_pandas(
    scorecard_data: tuple[pd.DataFrame, Any], variant: str
) -> None:
    tx, card = scorecard_data
    df = SCORE_VARIANTS[variant](tx)
    want = _norm(card.score(df, observation_end=END).customers)
    makers = {
        "polars": lambda: pl.from_pandas(df),
        "polars lazy": lambda: pl.from_pandas(df).lazy(),
        "pyarrow": lambda: pa.Table.from_pandas(df, preserve_index=False),
        "duckdb": lambda: _con().from_df(df),
        "dask": lambda: dd.from_pandas(df.sample(frac=1.0, random_state=0), npartitions=4),
    }
    if variant == "Kolkata dates":
        del makers["duckdb"]  # instants in the session zone: checked in the matrix above
    for engine, make in makers.items():
        got = _norm(card.score(make(), observation_end=END).customers)
        assert _same(got, want) is None, engine
        if engine != "dask":
            bucket = _norm(card.score_bucket(make(), observation_end=END).customers)
            assert _same(bucket, want) is None, engine
            rows = cl.bucket_scores(card, make(), observation_end=END)
            assert len(rows) == len(want), engine
            refit = _fit(make())
            assert _same(_norm(refit.score(df, observation_end=END).customers), want) is None
        else:
            with pytest.raises(CustLoyaltyError, match="Dask"):
                cl.bucket_scores(card, make(), observation_end=END)


def test_customer_bucket_of_every_id_container() -> None:
    ids = BASE["customer_id"].astype(str)
    want = cl.customer_bucket(pd.Series(ids), 8).to_numpy()
    for container in (
        pl.Series(ids.tolist()),
        pa.array(ids.tolist()),
        pa.array(ids.tolist(), pa.large_string()),
        pa.array(ids.tolist()).dictionary_encode(),
        ids.astype("category"),
        ids.astype("string[pyarrow]"),
    ):
        got = np.asarray(cl.customer_bucket(container, 8))
        np.testing.assert_array_equal(got, want)

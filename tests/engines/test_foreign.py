"""Frames of other libraries: accepted everywhere, customer ids kept as the index."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

import custloyalty as cl
from custloyalty import metrics
from custloyalty.models import BetaGeo

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")
pads = pytest.importorskip("pyarrow.dataset")
duckdb = pytest.importorskip("duckdb")

END = "1998-06-30"


def _polars(df: pd.DataFrame) -> Any:
    return pl.from_pandas(df)


def _lazy(df: pd.DataFrame) -> Any:
    return pl.from_pandas(df).lazy()


def _arrow(df: pd.DataFrame) -> Any:
    return pa.Table.from_pandas(df, preserve_index=False)


def _dataset(df: pd.DataFrame) -> Any:
    return pads.dataset(_arrow(df))


def _duckdb(df: pd.DataFrame) -> Any:
    return (
        duckdb.from_arrow(_arrow(df))
        if hasattr(duckdb, "from_arrow")
        else duckdb.sql("select * from df")
    )


CONVERTERS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "polars": _polars,
    "polars-lazy": _lazy,
    "pyarrow": _arrow,
    "pyarrow-dataset": _dataset,
    "duckdb": _duckdb,
}


def _close(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=0, atol=1e-9)


@pytest.mark.parametrize("kind", list(CONVERTERS))
def test_rfm_summary_of_every_frame_type(cdnow_master: pd.DataFrame, kind: str) -> None:
    ref = cl.rfm_summary(cdnow_master, observation_end=END)
    got = cl.rfm_summary(CONVERTERS[kind](cdnow_master), observation_end=END)
    _close(got, ref)
    assert got.attrs["custloyalty"] == ref.attrs["custloyalty"]


@pytest.mark.parametrize("kind", ["polars-lazy", "duckdb"])
def test_engine_side_aggregation_with_calibration(cdnow_master: pd.DataFrame, kind: str) -> None:
    kw: dict[str, Any] = {
        "observation_end": "1997-12-31",
        "calibration_end": "1997-09-30",
        "time_unit": "W",
    }
    ref = cl.rfm_summary(cdnow_master, **kw)
    got = cl.rfm_summary(CONVERTERS[kind](cdnow_master), **kw)
    _close(got, ref)
    assert got.attrs["custloyalty"] == ref.attrs["custloyalty"]


def test_lazy_frame_with_time_zone_and_same_day_rows() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "date": pd.to_datetime(
                ["2024-01-01 23:30", "2024-01-01 08:00", "2024-01-03 00:00", "2024-01-02 00:00"]
            ).tz_localize("Europe/Paris"),
            "amount": [1.0, 2.5, 4.0, 3.0],
        }
    )
    end = pd.Timestamp("2024-01-31", tz="Europe/Paris")
    _close(cl.rfm_summary(_lazy(tx), observation_end=end), cl.rfm_summary(tx, observation_end=end))


@pytest.mark.parametrize("kind", ["polars-lazy", "duckdb"])
def test_missing_values_take_the_pandas_path_and_its_messages(kind: str) -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "date": pd.to_datetime(["2024-01-01"] * 3),
            "amount": [1.0, None, 2.0],
        }
    )
    with pytest.raises(cl.ValidationError, match="missing"):
        cl.rfm_summary(CONVERTERS[kind](tx))
    got = cl.rfm_summary(CONVERTERS[kind](tx), nan_policy="omit")
    _close(got, cl.rfm_summary(tx, nan_policy="omit"))


@pytest.mark.parametrize("kind", ["polars-lazy", "duckdb"])
def test_dates_as_strings_take_the_pandas_path(kind: str) -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": ["2024-01-01", "2024-01-05", "2024-01-02"],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    _close(cl.rfm_summary(CONVERTERS[kind](tx)), cl.rfm_summary(tx))


@pytest.mark.parametrize("kind", list(CONVERTERS))
def test_per_customer_outputs_keep_the_ids(cdnow_master: pd.DataFrame, kind: str) -> None:
    summary = cl.rfm_summary(cdnow_master, observation_end=END)
    table = CONVERTERS[kind](summary.reset_index())
    scores = cl.rfm_scores(table)
    pd.testing.assert_frame_equal(scores, cl.rfm_scores(summary))
    segments = cl.rfm_segments(CONVERTERS[kind](scores.reset_index()))
    assert segments.index.equals(summary.index)
    model = BetaGeo().fit(summary)
    alive = model.p_alive(table)
    pd.testing.assert_series_equal(alive, model.p_alive(summary))


def test_pyarrow_table_from_pandas_keeps_its_own_index(cdnow_master: pd.DataFrame) -> None:
    summary = cl.rfm_summary(cdnow_master, observation_end=END)
    pd.testing.assert_frame_equal(
        cl.rfm_scores(pa.Table.from_pandas(summary)), cl.rfm_scores(summary)
    )


@pytest.mark.parametrize("kind", list(CONVERTERS))
def test_transaction_metrics_accept_every_frame_type(cdnow_master: pd.DataFrame, kind: str) -> None:
    ref = metrics.churn_flags(cdnow_master, threshold=90, observation_end=END)
    got = metrics.churn_flags(CONVERTERS[kind](cdnow_master), threshold=90, observation_end=END)
    pd.testing.assert_series_equal(got, ref)


def test_transactions_with_one_row_per_customer_keep_row_labels() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [5, 6],
            "date": pd.to_datetime(["2024-01-01", "2024-01-02"]),
            "amount": [1.0, 2.0],
        }
    )
    _close(cl.rfm_summary(_polars(tx)), cl.rfm_summary(tx))


# --------------------------------------------------------------------------------------------
# hostile content (issue 13, round 2): pandas' answer or our error, never the engine's
# --------------------------------------------------------------------------------------------

_TX = pd.DataFrame(
    {
        "customer_id": [1, 1, 2, 2, 3, 3],
        "date": pd.to_datetime(
            ["2024-01-01", "2024-01-03", "2024-01-02", "2024-01-02", "2024-01-04", "2024-01-09"]
        ),
        "amount": [10.0, 5.0, 20.0, 8.0, 3.5, 7.25],
    }
)


def test_the_row_count_column_takes_a_name_no_column_has() -> None:
    from custloyalty._engines._foreign import _count_name

    assert _count_name(["customer_id", "date"]) == "__custloyalty_count"
    taken = ["__custloyalty_count", "__custloyalty_count_"]
    assert _count_name(taken) == "__custloyalty_count__"


@pytest.mark.parametrize("kind", ["polars-lazy", "duckdb"])
def test_an_amount_named_like_the_row_count_is_summed(kind: str) -> None:
    df = _TX.rename(columns={"amount": "__custloyalty_count"})
    want = cl.rfm_summary(df, amount="__custloyalty_count", observation_end="2024-01-10")
    got = cl.rfm_summary(
        CONVERTERS[kind](df), amount="__custloyalty_count", observation_end="2024-01-10"
    )
    _close(got, want)


@pytest.mark.parametrize("kind", ["polars-lazy", "duckdb"])
def test_nan_float_ids_are_missing_ids_counted_by_row(kind: str) -> None:
    df = _TX.assign(customer_id=[1.0, 1.0, float("nan"), float("nan"), 3.0, 3.0])
    data = (
        pl.from_pandas(df, nan_to_null=False).lazy()
        if kind == "polars-lazy"
        else CONVERTERS[kind](df)
    )
    # two rows on one customer-day: counted as two rows, as for pandas
    with pytest.raises(cl.ValidationError, match=r"has 2 null customer id values \(rows 2, 3\)"):
        cl.rfm_summary(data, observation_end="2024-01-10")
    got = cl.rfm_summary(data, observation_end="2024-01-10", nan_policy="omit")
    _close(got, cl.rfm_summary(df, observation_end="2024-01-10", nan_policy="omit"))


def test_duplicate_names_in_a_relation_or_a_dataset_are_refused_when_used() -> None:
    con = duckdb.connect()
    rel = con.sql("SELECT customer_id, date, amount, amount * 2 AS amount FROM _TX")
    with pytest.raises(cl.ValidationError, match=r"(?s)'amount' appears 2 times.*Hint"):
        cl.rfm_summary(rel, observation_end="2024-01-10")
    with pytest.raises(cl.ValidationError, match=r"(?s)'amount' appears 2 times.*Hint"):
        metrics.order_value(rel, observation_end="2024-01-10")
    unused = con.sql("SELECT customer_id, date, amount, 1 AS x, 2 AS x FROM _TX")
    _close(
        cl.rfm_summary(unused, observation_end="2024-01-10"),
        cl.rfm_summary(_TX, observation_end="2024-01-10"),
    )
    table = pa.Table.from_pandas(_TX, preserve_index=False)
    doubled = pa.table([*table.columns, table["amount"]], names=[*table.column_names, "amount"])
    with pytest.raises(cl.ValidationError, match=r"'amount' appears 2 times"):
        cl.rfm_summary(pads.dataset(doubled), observation_end="2024-01-10")


def test_a_table_from_pandas_with_dictionary_ids_is_read() -> None:
    ids = pd.arrays.ArrowExtensionArray(
        pa.array(["a", "a", "b", "b", "c", "c"]).dictionary_encode()
    )
    df = _TX.assign(customer_id=pd.Series(ids))
    table = pa.Table.from_pandas(df)  # pandas metadata naming a dtype pandas cannot rebuild
    got = cl.rfm_summary(table, observation_end="2024-01-10")
    want = cl.rfm_summary(df, observation_end="2024-01-10")
    assert got.index.astype(str).tolist() == ["a", "b", "c"]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))

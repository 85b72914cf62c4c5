"""Tests of the transaction window (``custloyalty._window``) and of the table boundary it uses.

The window is the one place where transactions are validated and aggregated per customer-day:
its unit tests, the properties that let another engine plug in (row order, chunked == whole,
windows combined), the rule that a window passed on is not validated again, and the stray
inputs of the trust issue (pyarrow timestamps, MultiIndex columns, unhashable ids, ambiguous
day/month dates, random dtypes) which must end in our own errors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty import _frames, _window, rfm_summary
from custloyalty._window import TIME_UNITS, Window, combine, day_of, observe, to_days
from custloyalty.datasets import load_cdnow
from custloyalty.errors import AmbiguousDateWarning, CustLoyaltyError, ValidationError
from custloyalty.metrics import (
    churn_flags,
    churn_rate,
    cohort_retention,
    interpurchase_intervals,
    order_value,
    purchase_frequency,
    purchase_rate,
    repeat_purchase_rate,
    survival_curve,
)
from custloyalty.models import cumulative_purchases
from custloyalty.segmentation import TierPolicy

OBS_END = "2024-05-15"  # after every generated purchase (120 days from 2024-01-01)


def _tx() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [3, 1, 1, 1, 2, 3],
            "date": pd.to_datetime(
                [
                    "2024-01-20",
                    "2024-01-01 09:00",
                    "2024-01-01 18:00",
                    "2024-01-15",
                    "2024-01-10",
                    "2024-03-01",
                ],
                format="ISO8601",
            ),
            "amount": [7.0, 10.0, 5.0, 20.0, 8.0, 4.0],
        }
    )


# ------------------------------------------------------------------------------------------
# unit tests
# ------------------------------------------------------------------------------------------
def test_observe_builds_customer_day_entries() -> None:
    w = observe(_tx(), observation_end="2024-02-29")
    assert isinstance(w, Window)
    assert w.customers.tolist() == [1, 2, 3]
    assert w.customers.name == "customer_id"
    e = w.entries
    # customer 1: two rows on Jan 1st (one entry, count 2, 15.0), one on Jan 15th
    assert e.customer.tolist() == [0, 0, 1, 2]
    assert (e.day.astype("datetime64[D]").astype(str)).tolist() == [
        "2024-01-01",
        "2024-01-15",
        "2024-01-10",
        "2024-01-20",
    ]
    assert e.count.tolist() == [2, 1, 1, 1]
    assert e.amount is not None
    assert e.amount.tolist() == [15.0, 20.0, 8.0, 7.0]
    assert w.observation_end == day_of(pd.Timestamp("2024-02-29"))
    assert w.end == pd.Timestamp("2024-02-29")
    assert (w.n_rows, w.n_excluded, w.n_omitted) == (5, 1, 0)  # the March row is left out
    assert w.tz is None
    assert w.calibration_end is None
    assert w.calibration is None
    assert w.report() == {
        "observation_end": "2024-02-29",
        "n_transactions": 5,
        "n_excluded_after_observation_end": 1,
        "n_omitted_missing": 0,
    }


def test_window_is_frozen_and_keeps_the_callers_frame() -> None:
    tx = _tx()
    before = tx.copy()
    w = observe(tx)
    with pytest.raises(dataclasses.FrozenInstanceError):
        w.observation_end = 0  # type: ignore[misc]
    pd.testing.assert_frame_equal(tx, before)
    assert w.observation_end == day_of(pd.Timestamp("2024-03-01"))  # default: the last day


def test_observe_options_and_errors() -> None:
    tx = _tx()
    w = observe(tx, amount=None, calibration_end="2024-01-12", observation_end="2024-03-01")
    assert not w.has_amount
    assert w.calibration == pd.Timestamp("2024-01-12")
    with pytest.raises(ValidationError, match="No purchases on or before observation_end"):
        observe(tx, observation_end="2023-12-31", func="f")
    with pytest.raises(
        ValidationError, match=r"calibration_end \(2024-01-15\) must be before observation_end"
    ):
        observe(tx, observation_end="2024-01-15", calibration_end="2024-01-15")
    with pytest.raises(ValidationError, match="No purchases on or before calibration_end"):
        observe(tx, calibration_end="2023-12-01")
    with pytest.raises(ValidationError, match="'observation_end' parameter of g"):
        observe(tx, observation_end="soon", func="g")


def test_one_day_function() -> None:
    stamps = pd.Series(
        pd.to_datetime(["1969-12-31 23:59", "1970-01-01", "2024-02-29 23:59"], format="ISO8601")
    )
    assert to_days(stamps).tolist() == [-1, 0, 19782]
    assert day_of(pd.Timestamp("2024-02-29 23:59")) == 19782
    # aware dates count on their local calendar day
    paris = pd.Timestamp("2024-02-29 23:30", tz="Europe/Paris")
    assert day_of(paris) == 19782
    assert to_days(pd.Series([paris])).tolist() == [19782]
    assert to_days(pd.DatetimeIndex([paris])).tolist() == [19782]
    assert TIME_UNITS["W"] == 7.0


def test_engine_names_left_summary_all_but_stay_importable() -> None:
    import custloyalty.summary as summary

    assert summary.__all__ == ["rfm_summary"]
    assert summary.customer_days is _window.customer_days
    assert summary.CustomerDays is _window.CustomerDays
    assert summary.TIME_UNITS is _window.TIME_UNITS


# ------------------------------------------------------------------------------------------
# a window flows on
# ------------------------------------------------------------------------------------------
def test_window_passed_on_is_not_validated_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = _frames.transactions

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(str(kwargs.get("func")))
        return real(*args, **kwargs)

    monkeypatch.setattr(_frames, "transactions", counting)
    tx = load_cdnow("sample")
    w = observe(tx, observation_end="1998-06-30")
    assert calls == ["rfm_summary"]
    summary = rfm_summary(w, time_unit="W")
    purchase_frequency(w)
    purchase_rate(w)
    interpurchase_intervals(w)
    repeat_purchase_rate(w)
    churn_rate(w, period="Q")
    cohort_retention(w, period="Q")
    churn_flags(w, threshold=26, time_unit="W")
    survival_curve(w, threshold=26, time_unit="W")
    order_value(w)
    policy = TierPolicy([{"name": "Gold", "qualify": {"spend": 100}}, {"name": "Member"}])
    policy.qualification_metrics(w, observation_end="1998-06-30")

    class _Flat:
        def expected_purchases_new(self, horizon: Any) -> Any:
            return np.asarray(horizon, dtype=float) * 0.1

    cumulative_purchases(_Flat(), w)
    assert calls == ["rfm_summary"]  # once, by observe: every call above reused the window
    # ... and the results are those of the transactions
    monkeypatch.setattr(_frames, "transactions", real)
    pd.testing.assert_frame_equal(
        summary, rfm_summary(tx, observation_end="1998-06-30", time_unit="W")
    )
    pd.testing.assert_frame_equal(
        order_value(w, period="M"), order_value(tx, period="M", observation_end="1998-06-30")
    )


def test_window_cut_and_amounts() -> None:
    tx = load_cdnow("sample")
    w = observe(tx, observation_end="1998-06-30")
    # an earlier observation_end cuts the window: same as observing the transactions there
    pd.testing.assert_frame_equal(
        rfm_summary(w, observation_end="1997-09-30", calibration_end="1997-06-30"),
        rfm_summary(tx, observation_end="1997-09-30", calibration_end="1997-06-30"),
    )
    early = observe(tx, observation_end="1997-09-30")
    assert early.n_excluded > 0
    with pytest.raises(ValidationError, match="cannot be extended"):
        rfm_summary(early, observation_end="1998-06-30")
    # without rows left out the end may move later (a longer T)
    pd.testing.assert_frame_equal(
        rfm_summary(w, observation_end="1998-12-31"),
        rfm_summary(tx, observation_end="1998-12-31"),
    )
    # amount=None drops the amounts; a window without amounts cannot give order values
    bare = rfm_summary(w, amount=None)
    assert "monetary" not in bare.columns
    with pytest.raises(ValidationError, match="needs amounts"):
        order_value(observe(tx, amount=None))


def test_customer_name_follows_the_window() -> None:
    tx = _tx().rename(columns={"customer_id": "who", "date": "when", "amount": "paid"})
    w = observe(tx, customer="who", time="when", amount="paid")
    assert rfm_summary(w).index.name == "who"
    assert purchase_frequency(w).index.names == ["who", "period"]


# ------------------------------------------------------------------------------------------
# properties: row order, chunks, other engines
# ------------------------------------------------------------------------------------------
@st.composite
def tx_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Random logs: 1-60 rows, up to 10 customers, times of day, several rows per day."""
    n = draw(st.integers(1, 60))
    cust = draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 120 * 24 * 60), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(0, 100_000), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": cust,
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(minutes, unit="min"),
            "amount": np.asarray(cents, dtype=float) / 100,
        }
    )


def _same_windows(a: Window, b: Window) -> None:
    assert a.customers.tolist() == b.customers.tolist()
    for name in ("customer", "day", "count"):
        np.testing.assert_array_equal(getattr(a.entries, name), getattr(b.entries, name))
    if a.entries.amount is None or b.entries.amount is None:
        assert a.entries.amount is None
        assert b.entries.amount is None
    else:
        np.testing.assert_allclose(a.entries.amount, b.entries.amount, rtol=1e-12)
    assert (a.observation_end, a.calibration_end, a.n_rows) == (
        b.observation_end,
        b.calibration_end,
        b.n_rows,
    )


@given(tx_frames(), st.randoms(use_true_random=False))
def test_window_row_order_invariant(tx: pd.DataFrame, rnd: Any) -> None:
    perm = list(range(len(tx)))
    rnd.shuffle(perm)
    _same_windows(
        observe(tx, observation_end=OBS_END), observe(tx.iloc[perm], observation_end=OBS_END)
    )


@given(tx_frames(), st.integers(2, 4))
def test_window_by_customer_bucket_equals_whole(tx: pd.DataFrame, k: int) -> None:
    # the kernel per customer bucket with a fixed observation_end gives the whole-table
    # figures of those customers (how Dask / polars partitions plug in)
    whole = (
        observe(tx, observation_end=OBS_END, calibration_end="2024-02-20")
        if (pd.to_datetime(tx["date"]).min() <= pd.Timestamp("2024-02-20 23:59"))
        else observe(tx, observation_end=OBS_END)
    )
    cal = None if whole.calibration_end is None else "2024-02-20"
    parts = []
    for _, part in tx.groupby(tx["customer_id"] % k):
        try:
            w = observe(part, observation_end=OBS_END, calibration_end=cal)
        except ValidationError:  # this bucket bought only after calibration_end
            continue
        parts.append(rfm_summary(w, time_unit="W"))
    chunked = pd.concat(parts).sort_index()
    pd.testing.assert_frame_equal(
        chunked, rfm_summary(whole, time_unit="W"), check_index_type=False
    )


@given(tx_frames(), st.integers(1, 59))
def test_combined_row_chunks_equal_whole(tx: pd.DataFrame, cut: int) -> None:
    # chunks split anywhere (customers cut in two) combine exactly
    cut = min(cut, len(tx) - 1)
    whole = observe(tx, observation_end=OBS_END)
    if cut == 0:
        return
    a = observe(tx.iloc[:cut], observation_end=OBS_END)
    b = observe(tx.iloc[cut:], observation_end=OBS_END)
    both = combine([a, b])
    _same_windows(both, whole)
    pd.testing.assert_frame_equal(rfm_summary(both), rfm_summary(whole), check_index_type=False)


@given(tx_frames())
def test_from_aggregates_equals_observe(tx: pd.DataFrame) -> None:
    # another engine's customer-day aggregates (here a plain pandas groupby) give the window
    whole = observe(tx, observation_end=OBS_END)
    day = to_days(tx["date"])
    agg = (
        tx.assign(day=day)
        .groupby(["customer_id", "day"], as_index=False)
        .agg(count=("amount", "size"), amount=("amount", "sum"))
    )
    w = Window.from_aggregates(
        agg["customer_id"],
        agg["day"],
        agg["count"],
        agg["amount"],
        observation_end=whole.observation_end,
    )
    _same_windows(w, whole)


def test_combine_refuses_different_windows() -> None:
    tx = _tx()
    with pytest.raises(ValidationError, match="fixed observation_end"):
        combine([observe(tx.iloc[:3]), observe(tx.iloc[3:])])
    with pytest.raises(ValidationError, match="at least one"):
        combine([])
    with pytest.raises(ValidationError, match="after observation_end"):
        Window.from_aggregates([1], [10], [1], observation_end=5)


# ------------------------------------------------------------------------------------------
# stray inputs (trust issue): our own errors, or correct results
# ------------------------------------------------------------------------------------------
def _parquet_pyarrow(df: pd.DataFrame) -> pd.DataFrame:
    buf = io.BytesIO()
    df.to_parquet(buf)
    buf.seek(0)
    return pd.read_parquet(buf, dtype_backend="pyarrow")


def test_tz_aware_pyarrow_timestamps_work() -> None:
    tx = _tx()
    tx["date"] = tx["date"].dt.tz_localize("Europe/Paris")
    tx.loc[0, "date"] = pd.Timestamp("2024-01-20 23:30", tz="Europe/Paris")  # local day
    pq = _parquet_pyarrow(tx)
    assert isinstance(pq["date"].dtype, pd.ArrowDtype)
    want = rfm_summary(tx, observation_end=pd.Timestamp("2024-03-01", tz="Europe/Paris"))
    got = rfm_summary(pq, observation_end=pd.Timestamp("2024-03-01", tz="Europe/Paris"))
    pd.testing.assert_frame_equal(got, want, check_index_type=False, check_dtype=False)
    assert observe(pq).tz is not None
    # naive pyarrow timestamps and pyarrow dates, with a null omitted
    naive = _parquet_pyarrow(_tx())
    pd.testing.assert_frame_equal(
        rfm_summary(naive), rfm_summary(_tx()), check_index_type=False, check_dtype=False
    )
    dates = pd.Series(
        pd.array([d.date() for d in _tx()["date"]] + [None], dtype=pd.ArrowDtype(pa.date32()))
    )
    with_null = pd.concat([_tx(), _tx().iloc[:1]], ignore_index=True).assign(date=dates)
    with pytest.raises(ValidationError, match="1 missing date"):
        rfm_summary(with_null)
    assert rfm_summary(with_null, nan_policy="omit").attrs["custloyalty"]["n_omitted_missing"] == 1


def test_multiindex_columns_get_our_error_with_a_hint() -> None:
    tx = _tx()
    tx.columns = pd.MultiIndex.from_tuples([("customer_id", ""), ("date", ""), ("amount", "")])
    with pytest.raises(ValidationError, match="MultiIndex columns") as info:
        rfm_summary(tx)
    assert "flatten" in str(info.value)
    # the full tuple names a column
    got = rfm_summary(tx, customer=("customer_id", ""), time=("date", ""), amount=("amount", ""))
    assert got["frequency"].tolist() == [1, 0, 1]


@pytest.mark.parametrize("bad", [[1, 2], {"a": 1}, {1, 2}])
def test_unhashable_ids_get_our_error(bad: Any) -> None:
    tx = _tx()
    ids = tx["customer_id"].astype(object)
    ids[2] = bad
    ids[4] = bad
    with pytest.raises(ValidationError) as info:
        rfm_summary(tx.assign(customer_id=ids), nan_policy="omit")
    text = str(info.value)
    assert "Column 'customer_id' has 2 unhashable customer id values (rows 2, 4)" in text
    assert "Hint:" in text
    assert type(bad).__name__ in text
    with pytest.raises(ValidationError, match="unhashable"):
        churn_rate(tx.assign(customer_id=ids))


def test_ambiguous_day_month_dates_warn() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": ["05/01/2024", "06/02/2024", "07/03/2024"],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    with pytest.warns(AmbiguousDateWarning, match=r"date_format='%d/%m/%Y'") as info:
        month_first = rfm_summary(tx)
    assert info[0].filename == __file__  # points at the caller's line
    assert month_first["first_purchase"].tolist() == [
        pd.Timestamp("2024-05-01"),
        pd.Timestamp("2024-07-03"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        day_first = rfm_summary(tx, date_format="%d/%m/%Y")
        # a day > 12 settles the order; ISO dates are year-month-day; day == month everywhere
        rfm_summary(tx.assign(date=["05/01/2024", "06/02/2024", "07/13/2024"]))
        rfm_summary(tx.assign(date=["2024-01-05", "2024-02-06", "2024-03-07"]))
        rfm_summary(tx.assign(date=["01/01/2024", "02/02/2024", "03/03/2024"]))
    assert day_first["first_purchase"].tolist() == [
        pd.Timestamp("2024-01-05"),
        pd.Timestamp("2024-03-07"),
    ]
    # date_format reaches every function taking transactions
    pd.testing.assert_frame_equal(
        purchase_frequency(tx, date_format="%d/%m/%Y", period="D"),
        purchase_frequency(tx.assign(date=pd.to_datetime(tx["date"], dayfirst=True)), period="D"),
    )


def test_tier_rules_must_be_mappings() -> None:
    for bad in ([1000, 10], 1000, "spend"):
        with pytest.raises(ValidationError, match="qualify must map metric columns"):
            TierPolicy([{"name": "Gold", "qualify": bad}, {"name": "Member"}])
    with pytest.raises(ValidationError, match="retain must map"):
        TierPolicy([{"name": "Gold", "qualify": {"spend": 5}, "retain": [3]}, {"name": "M"}])


# random dtypes: whatever the frame, rfm_summary answers or raises our own error
_N = 6


def _ids(draw: st.DrawFn) -> Any:
    kind = draw(
        st.sampled_from(["int", "Int64", "str", "pa_str", "cat", "float", "list", "mixed", "bool"])
    )
    base = draw(st.lists(st.integers(0, 4), min_size=_N, max_size=_N))
    nulls = draw(st.lists(st.booleans(), min_size=_N, max_size=_N))
    if kind == "int":
        return np.asarray(base, dtype=np.int64)
    if kind == "Int64":
        return pd.array([None if z else b for b, z in zip(base, nulls, strict=True)], dtype="Int64")
    if kind == "str":
        return [None if z else f"c{b}" for b, z in zip(base, nulls, strict=True)]
    if kind == "pa_str":
        return pd.array(
            [None if z else f"c{b}" for b, z in zip(base, nulls, strict=True)],
            dtype="string[pyarrow]",
        )
    if kind == "cat":
        return pd.Categorical([None if z else f"c{b}" for b, z in zip(base, nulls, strict=True)])
    if kind == "float":
        return [np.nan if z else float(b) for b, z in zip(base, nulls, strict=True)]
    if kind == "list":
        return pd.Series([[b] if z else b for b, z in zip(base, nulls, strict=True)], dtype=object)
    if kind == "bool":
        return [bool(b % 2) for b in base]
    return pd.Series([f"c{b}" if z else b for b, z in zip(base, nulls, strict=True)], dtype=object)


def _dates(draw: st.DrawFn) -> Any:
    kind = draw(
        st.sampled_from(
            [
                "naive",
                "aware",
                "pa_aware",
                "pa_naive",
                "pa_date",
                "iso",
                "dmy",
                "yyyymmdd",
                "mixed_tz",
                "junk",
                "int",
            ]
        )
    )
    days = draw(st.lists(st.integers(0, 400), min_size=_N, max_size=_N))
    nulls = draw(st.lists(st.booleans(), min_size=_N, max_size=_N))
    stamps = [pd.Timestamp("2023-01-01") + pd.Timedelta(days=d, hours=d % 24) for d in days]
    vals: list[Any] = [None if z else s for s, z in zip(stamps, nulls, strict=True)]
    if kind == "naive":
        return pd.Series(pd.to_datetime(vals))
    if kind == "aware":
        return pd.Series(pd.to_datetime(vals)).dt.tz_localize("America/New_York")
    if kind == "pa_aware":
        return pd.array(
            [None if v is None else v.tz_localize("Asia/Tokyo") for v in vals],
            dtype=pd.ArrowDtype(pa.timestamp("us", tz="Asia/Tokyo")),
        )
    if kind == "pa_naive":
        return pd.array(vals, dtype=pd.ArrowDtype(pa.timestamp("ms")))
    if kind == "pa_date":
        return pd.array(
            [None if v is None else v.date() for v in vals], dtype=pd.ArrowDtype(pa.date32())
        )
    if kind == "iso":
        return [None if v is None else v.isoformat() for v in vals]
    if kind == "dmy":
        return [None if v is None else v.strftime("%d/%m/%Y") for v in vals]
    if kind == "yyyymmdd":
        return [np.nan if v is None else float(v.strftime("%Y%m%d")) for v in vals]
    if kind == "mixed_tz":
        return [
            None if v is None else v.tz_localize("UTC" if i % 2 else "Asia/Tokyo")
            for i, v in enumerate(vals)
        ]
    if kind == "int":
        return days
    return [
        None if v is None else ("n/a" if i % 3 == 0 else v.isoformat()) for i, v in enumerate(vals)
    ]


def _amounts(draw: st.DrawFn) -> Any:
    kind = draw(
        st.sampled_from(["float", "Float64", "pa_double", "str", "bool", "inf", "int", "obj"])
    )
    cents = draw(st.lists(st.integers(-100, 100_000), min_size=_N, max_size=_N))
    nulls = draw(st.lists(st.booleans(), min_size=_N, max_size=_N))
    vals = [None if z else c / 100 for c, z in zip(cents, nulls, strict=True)]
    if kind == "float":
        return np.asarray([np.nan if v is None else v for v in vals])
    if kind == "Float64":
        return pd.array(vals, dtype="Float64")
    if kind == "pa_double":
        return pd.array(vals, dtype="double[pyarrow]")
    if kind == "str":
        return [None if v is None else f"{v:.2f}" for v in vals]
    if kind == "bool":
        return [c > 0 for c in cents]
    if kind == "inf":
        return [np.inf if z else c / 100 for c, z in zip(cents, nulls, strict=True)]
    if kind == "int":
        return cents
    return pd.Series([True if z else c for c, z in zip(cents, nulls, strict=True)], dtype=object)


@st.composite
def odd_frames(draw: st.DrawFn) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": _ids(draw), "date": _dates(draw), "amount": _amounts(draw)})


@given(odd_frames(), st.sampled_from(["raise", "omit"]), st.sampled_from([None, "2023-06-30"]))
def test_rfm_summary_raises_only_our_errors_on_random_dtypes(
    tx: pd.DataFrame, nan_policy: str, end: str | None
) -> None:
    before = tx.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AmbiguousDateWarning)
        try:
            out = rfm_summary(tx, nan_policy=nan_policy, observation_end=end)
        except CustLoyaltyError:
            pass
        else:
            assert (out["frequency"] >= 0).all()
            assert ((out["recency"] >= 0) & (out["recency"] <= out["T"])).all()
    pd.testing.assert_frame_equal(tx, before)  # the caller's frame is never modified


def test_bad_options_get_our_errors() -> None:
    tx = _tx()
    with pytest.raises(ValidationError, match="'date_format' parameter of rfm_summary must be"):
        rfm_summary(tx, date_format=5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not a valid date format: '%Q'"):
        rfm_summary(tx, date_format="%Q")
    # a number is no date: pd.Timestamp(20240630) would be nanoseconds after 1970
    with pytest.raises(ValidationError, match="got the number 20240630"):
        rfm_summary(tx, observation_end=20240630)
    with pytest.raises(ValidationError, match="'nan_policy' parameter of churn_rate"):
        churn_rate(tx, nan_policy="drop")


def test_empty_buckets_with_allow_empty() -> None:
    tx = _tx()
    with pytest.raises(ValidationError, match="No purchases on or before observation_end"):
        observe(tx, observation_end="2023-12-31")
    w = observe(tx, observation_end="2023-12-31", allow_empty=True)
    assert len(w.entries) == 0
    assert w.n_excluded == 6
    s = rfm_summary(w)
    full = rfm_summary(tx)
    assert s.empty
    assert list(s.columns) == list(full.columns)
    assert s.dtypes.equals(full.dtypes)
    # a bucket whose customers all first bought after calibration_end: empty summary
    late = tx[tx["customer_id"] == 3]
    cal = rfm_summary(
        observe(late, calibration_end="2024-01-05", observation_end="2024-03-31", allow_empty=True)
    )
    assert cal.empty


def test_keep_rows_carries_validated_rows_and_other_columns() -> None:
    tx = load_cdnow("sample").iloc[:50].copy()
    tx.loc[tx.index[3], "amount"] = np.nan
    tx["date"] = tx["date"].dt.strftime("%Y%m%d")  # strings, parsed by the validation
    w = observe(tx, observation_end="1997-03-31", nan_policy="omit", keep_rows=True)
    assert w.rows is not None
    rows = w.rows
    assert list(rows.columns) == ["customer_id", "date", "amount", "quantity"]
    assert rows["date"].dtype.kind == "M"
    assert (rows["date"] <= pd.Timestamp("1997-03-31")).all()
    assert len(rows) == w.n_rows
    assert tx.index[3] not in rows.index
    pd.testing.assert_series_equal(rows["quantity"], tx.loc[rows.index, "quantity"])
    assert observe(tx, nan_policy="omit").rows is None
    cut = observe(w, observation_end="1997-02-15")
    assert cut.rows is not None
    assert len(cut.rows) == cut.n_rows < w.n_rows


def test_ids_in_the_index_get_a_hint() -> None:
    with pytest.raises(ValidationError, match=r"name of the index.*reset_index\(\)"):
        rfm_summary(_tx().set_index("customer_id"))


def test_window_repr_is_one_line() -> None:
    text = repr(observe(_tx(), observation_end="2024-02-29"))
    assert text == (
        "Window(customers=3, entries=4, n_rows=5, observation_end=2024-02-29, "
        "calibration_end=None, tz=None, amounts=True, n_excluded=1, n_omitted=0, rows=None)"
    )


_POLICY = TierPolicy([{"name": "Gold", "qualify": {"n_purchases": 2}}, {"name": "Member"}])
_READERS: dict[str, Any] = {
    "churn_rate": lambda tx, **kw: churn_rate(tx, zero_division=0.0, **kw),
    "cohort_retention": cohort_retention,
    "order_value": order_value,
    "purchase_frequency": purchase_frequency,
    "interpurchase_intervals": interpurchase_intervals,
    "churn_flags": lambda tx, **kw: churn_flags(tx, threshold=30, **kw),
    "qualification_metrics": lambda tx, observation_end, **kw: _POLICY.qualification_metrics(
        tx, observation_end=observation_end or "2024-06-30", **kw
    ),
}


@given(
    odd_frames(),
    st.sampled_from(sorted(_READERS)),
    st.sampled_from(["raise", "omit"]),
    st.sampled_from([None, "2023-06-30"]),
)
def test_transaction_metrics_raise_only_our_errors_on_random_dtypes(
    tx: pd.DataFrame, name: str, nan_policy: str, end: str | None
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AmbiguousDateWarning)
        with contextlib.suppress(CustLoyaltyError):  # anything else fails the test
            _READERS[name](tx, nan_policy=nan_policy, observation_end=end)


# --- the bucketed (threaded) aggregation equals the single-thread one, bit for bit ---------


@contextlib.contextmanager
def _buckets(threads: int) -> Any:
    """Aggregate with ``threads`` key ranges on threads from 2 rows on (1: single thread)."""
    saved = (_window._BUCKET_MIN_ROWS, _window._BUCKET_THREADS)
    _window._BUCKET_MIN_ROWS, _window._BUCKET_THREADS = 2, threads
    try:
        yield
    finally:
        _window._BUCKET_MIN_ROWS, _window._BUCKET_THREADS = saved


def _observe_both(tx: pd.DataFrame, threads: int, **kw: Any) -> tuple[Window, Window]:
    with _buckets(1):
        single = observe(tx, **kw)
    with _buckets(threads):
        bucketed = observe(tx, **kw)
    return single, bucketed


def _bit_identical(a: Window, b: Window) -> None:
    assert a.customers.equals(b.customers)
    for name in ("customer", "day", "count", "amount"):
        x, y = getattr(a.entries, name), getattr(b.entries, name)
        assert (x is None) == (y is None), name
        if x is not None:
            assert x.dtype == y.dtype, name
            assert x.tobytes() == y.tobytes(), name
    assert (a.n_rows, a.n_excluded) == (b.n_rows, b.n_excluded)
    pd.testing.assert_frame_equal(rfm_summary(a), rfm_summary(b), check_exact=True)


def _skewed(n: int, n_customers: int, seed: int) -> pd.DataFrame:
    """Zipf-skewed customers in random row order, several rows per customer-day."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, n_customers + 1)
    cust = rng.choice(n_customers, size=n, p=weights / weights.sum()) * 7 + 3
    return pd.DataFrame(
        {
            "customer_id": cust,
            "date": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 60 * 24 * 90, size=n), unit="min"),
            # large and small amounts of both signs: sums depend on their order
            "amount": rng.choice([1e16, -1e16, 1.0, 0.1, -0.3, 2.5], size=n),
        }
    )


@given(tx_frames(), st.integers(2, 5), st.randoms(use_true_random=False))
def test_bucketed_aggregation_equals_single_thread(
    tx: pd.DataFrame, threads: int, rnd: Any
) -> None:
    perm = list(range(len(tx)))
    rnd.shuffle(perm)
    _bit_identical(*_observe_both(tx.iloc[perm], threads, observation_end=OBS_END))


@pytest.mark.parametrize("threads", [2, 3, 8])
@pytest.mark.parametrize("seed", [0, 1])
def test_bucketed_aggregation_on_skewed_data(threads: int, seed: int) -> None:
    tx = _skewed(20_000, 500, seed)
    single, bucketed = _observe_both(tx, threads)
    _bit_identical(single, bucketed)
    assert single.entries.count.max() > 10  # ties: heavy customer-days were summed
    # without amounts, and cut at an earlier observation_end
    _bit_identical(*_observe_both(tx, threads, amount=None, observation_end="2024-02-15"))
    # with a calibration period (per-customer figures of a selection of the entries)
    _bit_identical(*_observe_both(tx, threads, calibration_end="2024-02-01"))
    # per-customer reductions with customers left without entries (the first ones too)
    single_days = single.entries
    for keep in (single_days.day % 3 == 0, single_days.customer > single_days.customer[-1] // 2):
        sub = single_days.select(keep)
        with _buckets(1):
            one = _window.per_customer(sub)
        with _buckets(threads):
            many = _window.per_customer(sub)
        assert one.keys() == many.keys()
        for name, arr in one.items():
            assert arr.dtype == many[name].dtype, name
            assert arr.tobytes() == many[name].tobytes(), name
    # time-ordered and customer-ordered logs give the same entries again
    for order in (["date"], ["customer_id", "date"]):
        ordered = tx.sort_values(order, kind="stable")
        _bit_identical(*_observe_both(ordered, threads))


@pytest.mark.parametrize("threads", [2, 4])
def test_bucketed_aggregation_edge_cases(threads: int) -> None:
    rng = np.random.default_rng(5)
    n = 1_000
    day = pd.Timestamp("2024-03-01 10:00")
    cases = {
        # one customer, one day: every row ties (one run, nothing to split)
        "one customer-day": pd.DataFrame(
            {"customer_id": 1, "date": day, "amount": rng.choice([1e16, -1e16, 1.0], n)}
        ),
        # one customer, many days
        "one customer": pd.DataFrame(
            {
                "customer_id": 1,
                "date": day + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
                "amount": rng.normal(size=n),
            }
        ),
        # one row per customer-day (no runs to add up)
        "all distinct": pd.DataFrame(
            {
                "customer_id": rng.permutation(n),
                "date": day,
                "amount": rng.normal(size=n),
            }
        ),
        # string ids (factorised codes), two rows
        "two rows": pd.DataFrame(
            {"customer_id": ["b", "a"], "date": [day, day], "amount": [1.0, 2.0]}
        ),
        # wide ids and dates: keys and row numbers do not fit 63 bits (single-thread path)
        "wide keys": pd.DataFrame(
            {
                "customer_id": rng.integers(0, 2**39, n),
                "date": pd.to_datetime(rng.integers(-80_000, 80_000, n), unit="D"),
                "amount": rng.normal(size=n),
            }
        ),
    }
    for name, tx in cases.items():
        single, bucketed = _observe_both(tx, threads)
        try:
            _bit_identical(single, bucketed)
        except AssertionError as exc:  # pragma: no cover - names the failing case
            raise AssertionError(name) from exc


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_customer_day_sums_are_sequential_in_row_order(threads: int) -> None:
    # the amount of a customer-day is ((a1 + a2) + a3) + ... in row order, on every path:
    # with amounts of 1e16 and 1 the order of the additions shows in the result
    tx = _skewed(3_000, 40, 11)
    expected: dict[tuple[int, int], float] = {}
    for cust, day, amt in zip(tx["customer_id"], to_days(tx["date"]), tx["amount"], strict=True):
        k = (int(cust), int(day))
        expected[k] = expected[k] + amt if k in expected else amt
    with _buckets(threads):
        w = observe(tx)
    got = dict(
        zip(
            zip(w.customers[w.entries.customer].tolist(), w.entries.day.tolist(), strict=True),
            w.entries.amount.tolist() if w.entries.amount is not None else [],
            strict=True,
        )
    )
    assert got == expected
    assert len({v for v in expected.values() if v not in (1e16, -1e16)}) > 5

"""Tests of the customer summary: CDNOW reference, naive recomputation and properties."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty import rfm_summary
from custloyalty.datasets import load_cdnow, make_transactions
from custloyalty.errors import ValidationError
from custloyalty.metrics import purchase_rate

END = "1997-09-30"
DATA = Path(__file__).resolve().parent / "data"


def _naive_summary(tx: pd.DataFrame, end: str, unit_days: float) -> pd.DataFrame:
    """Obviously-correct summary: drop duplicate customer-days, then plain groupby."""
    t = tx.assign(day=pd.to_datetime(tx["date"]).dt.normalize())
    t = t[t["day"] <= pd.Timestamp(end)]
    daily = t.groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    g = daily.groupby("customer_id")
    first, last, n_days = g["day"].min(), g["day"].max(), g["day"].size()
    first_amount = daily.drop_duplicates("customer_id").set_index("customer_id")["amount"]
    repeat_spend = g["amount"].sum() - first_amount
    freq = n_days - 1
    return pd.DataFrame(
        {
            "frequency": freq,
            "recency": (last - first).dt.days / unit_days,
            "T": (pd.Timestamp(end) - first).dt.days / unit_days,
            "monetary": (repeat_spend / freq.where(freq > 0)).fillna(0.0),
            "n_purchases": t.groupby("customer_id").size(),
            "total_amount": g["amount"].sum(),
        }
    )


@pytest.mark.reference
def test_cdnow_sample_matches_bgnbd_paper(
    cdnow_sample_summary: pd.DataFrame, cdnow_sample_raw: pd.DataFrame
) -> None:
    s = cdnow_sample_summary
    # Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science
    # 24(2): CDNOW 1/10 sample, 2,357 customers, calibration 1997-01-01..1997-09-30 (39 weeks),
    # 2,457 repeat transactions in calibration; customer 1 has x = 2, t_x = 30.43, T = 38.86
    # (weeks), the first row of the summary data that accompanies the paper.
    assert len(s) == 2357
    assert int(s["frequency"].sum()) == 2457
    assert int((s["frequency"] > 0).sum()) == 946
    row = s.loc[1]
    assert row["frequency"] == 2
    assert round(row["recency"], 2) == 30.43
    assert round(row["T"], 2) == 38.86
    # every customer: independent naive recomputation from the raw file, compared exactly
    raw = cdnow_sample_raw.assign(date=pd.to_datetime(cdnow_sample_raw["date"].astype(str)))
    want = _naive_summary(raw, END, 7.0)
    assert s.index.equals(want.index)
    np.testing.assert_array_equal(s["frequency"], want["frequency"])
    np.testing.assert_array_equal(s["recency"], want["recency"])
    np.testing.assert_array_equal(s["T"], want["T"])
    np.testing.assert_array_equal(s["n_purchases"], want["n_purchases"])
    np.testing.assert_allclose(s["monetary"], want["monetary"], rtol=1e-12)
    np.testing.assert_allclose(s["total_amount"], want["total_amount"], rtol=1e-12)
    report = s.attrs["custloyalty"]
    assert report["n_transactions"] + report["n_excluded_after_observation_end"] == 6919


@pytest.mark.reference
def test_cdnow_summary_matches_published_file() -> None:
    # The per-customer summary published with Fader, Hardie & Lee (2005) for the CDNOW 1/10
    # sample (ID, x, t_x, T in weeks to two decimals, zbar = mean repeat spend for the
    # Gamma-Gamma model), as shipped in lifetimes 0.11.3 (MIT); see tests/data/README.md.
    pub = pd.read_csv(DATA / "cdnow_bgnbd_summary.csv.gz").set_index("ID")
    assert len(pub) == 2357
    s = rfm_summary(load_cdnow("sample"), observation_end=END, time_unit="W")
    assert s.index.equals(pub.index)  # the same 2,357 customers, in the same order
    np.testing.assert_array_equal(s["frequency"], pub["x"])
    assert int(s["frequency"].sum()) == int(pub["x"].sum()) == 2457
    # durations are whole days / 7, published rounded to two decimals
    np.testing.assert_array_equal(s["recency"].round(2), pub["t_x"])
    np.testing.assert_array_equal(s["T"].round(2), pub["T"])
    # zbar is rounded half up to cents; numpy rounds half to even, so compare within 0.005
    rep = pub["x"] > 0
    assert int(rep.sum()) == 946
    np.testing.assert_array_less(np.abs(s["monetary"][rep] - pub["zbar"][rep]), 0.005 + 1e-9)
    assert (s["monetary"][~rep] == 0).all()
    assert (pub["zbar"][~rep] == 0).all()


@pytest.mark.reference
def test_cdnow_sample_calibration_holdout(cdnow_sample_raw: pd.DataFrame) -> None:
    # the paper's 39-week calibration and 39-week holdout (1997-10-01..1998-06-30): the
    # calibration columns keep the published figures, the holdout ones match a naive count
    tx = cdnow_sample_raw.assign(date=cdnow_sample_raw["date"].astype(str))
    s = rfm_summary(tx, calibration_end=END, observation_end="1998-06-30", time_unit="W")
    assert int(s["frequency"].sum()) == 2457
    raw = cdnow_sample_raw.assign(date=pd.to_datetime(cdnow_sample_raw["date"].astype(str)))
    hold = raw[raw["date"] > pd.Timestamp(END)].drop_duplicates(["customer_id", "date"])
    want = hold.groupby("customer_id").size().reindex(s.index, fill_value=0)
    np.testing.assert_array_equal(s["frequency_holdout"], want)
    assert s["duration_holdout"].iloc[0] == pytest.approx(273 / 7)
    # monetary_holdout: holdout spend per holdout purchase day (same-day rule)
    np.testing.assert_allclose(
        s["monetary_holdout"], _naive_monetary_holdout(raw, END).reindex(s.index), rtol=1e-12
    )


def _naive_monetary_holdout(tx: pd.DataFrame, cal_end: str) -> pd.Series:
    """Holdout day-sums per customer divided by the customer's holdout purchase days."""
    day = pd.to_datetime(tx["date"]).dt.normalize()
    hold = tx.assign(day=day)[day > pd.Timestamp(cal_end)]
    day_sums = hold.groupby(["customer_id", "day"])["amount"].sum()
    g = day_sums.groupby(level="customer_id")
    per_day = g.sum() / g.size()
    return per_day.reindex(tx["customer_id"].unique(), fill_value=0.0).sort_index()


def test_monetary_holdout_is_mean_per_holdout_day() -> None:
    # customer 1 buys 10 + 20 on one holdout day and 30 on another: 60 / 2 days = 30, while
    # lifetimes' calibration_and_holdout_data averages the rows (60 / 3 = 20)
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2],
            "date": [
                "2024-01-01",
                "2024-02-03",
                "2024-02-03",
                "2024-02-10",
                "2024-01-05",
                "2024-01-06",
            ],
            "amount": [5.0, 10.0, 20.0, 30.0, 7.0, 8.0],
        }
    )
    s = rfm_summary(tx, calibration_end="2024-01-31", observation_end="2024-02-29")
    assert s["frequency_holdout"].tolist() == [2, 0]
    assert s["monetary_holdout"].tolist() == [30.0, 0.0]
    pd.testing.assert_series_equal(
        s["monetary_holdout"], _naive_monetary_holdout(tx, "2024-01-31"), check_names=False
    )


@pytest.mark.parametrize(
    ("unit", "days_per_unit"),
    [("D", 1.0), ("W", 7.0), ("M", 30.4375), ("Q", 91.3125), ("Y", 365.25), ("h", 1 / 24)],
)
def test_time_units_scale_whole_days(unit: str, days_per_unit: float) -> None:
    # the documented lengths: months 365.25 / 12, quarters 365.25 / 4, years 365.25, hours
    # 24 per day; purchase times of day do not count (durations are whole days first)
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": ["2023-01-01 09:00", "2023-03-15 23:59", "2023-06-30 00:01"],
            "amount": [1.0, 2.0, 3.0],
        }
    )
    s = rfm_summary(tx, observation_end="2024-01-01", time_unit=unit)
    np.testing.assert_allclose(s["recency"], np.array([73.0, 0.0]) / days_per_unit, rtol=1e-15)
    np.testing.assert_allclose(s["T"], np.array([365.0, 185.0]) / days_per_unit, rtol=1e-15)
    if unit == "h":
        assert s["recency"].iloc[0] == 73 * 24
    assert s.attrs["custloyalty"]["time_unit"] == unit


def test_uint64_ids_beyond_int64_range() -> None:
    # ids >= 2**63 do not fit in int64: they are factorised, not offset (OverflowError before)
    ids = np.array([2**63 + 5, 2**63, 2**64 - 1, 2**63, 3], dtype=np.uint64)
    tx = pd.DataFrame(
        {
            "customer_id": ids,
            "date": ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-01"],
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    s = rfm_summary(tx, observation_end="2024-01-10")
    assert s.index.tolist() == [3, 2**63, 2**63 + 5, 2**64 - 1]
    assert s["frequency"].tolist() == [0, 1, 0, 0]
    assert s["monetary"].tolist() == [0.0, 4.0, 0.0, 0.0]
    assert s["T"].tolist() == [9.0, 8.0, 9.0, 7.0]
    # a narrow range of large ids takes the same path
    narrow = tx[tx["customer_id"] >= 2**63]
    pd.testing.assert_frame_equal(
        rfm_summary(narrow, observation_end="2024-01-10"), s.iloc[1:], check_index_type=False
    )


def test_calibration_end_before_every_purchase_raises() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1, 2], "date": ["2024-01-05", "2024-01-06"], "amount": [1.0, 2.0]}
    )
    with pytest.raises(
        ValidationError,
        match=r"observation_end=2024-01-01 in rfm_summary: all 2 rows are later \(the first on "
        r"2024-01-05\)\.\nHint: pass a later observation_end=",
    ):
        rfm_summary(tx, observation_end="2024-01-01")
    with pytest.raises(
        ValidationError, match=r"No purchases on or before calibration_end=2024-01-01 .*2024-01-05"
    ):
        rfm_summary(tx, calibration_end="2024-01-01", observation_end="2024-01-10")
    # a purchase on the calibration end day is enough
    s = rfm_summary(tx, calibration_end="2024-01-05", observation_end="2024-01-10")
    assert s.index.tolist() == [1]


# ------------------------------------------------------------------------------------------
# properties on random transaction logs
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


OBS_END = "2024-05-15"  # after every generated purchase (120 days from 2024-01-01)
CAL_END = "2024-02-20"


@given(tx_frames(), st.sampled_from(["D", "W"]))
def test_summary_matches_naive_groupby(tx: pd.DataFrame, unit: str) -> None:
    got = rfm_summary(tx, observation_end=OBS_END, time_unit=unit)
    want = _naive_summary(tx, OBS_END, 7.0 if unit == "W" else 1.0)
    pd.testing.assert_frame_equal(
        got[want.columns], want, check_dtype=False, check_names=False, rtol=1e-9
    )


@given(tx_frames())
def test_summary_row_order_invariant(tx: pd.DataFrame) -> None:
    perm = np.random.default_rng(len(tx)).permutation(len(tx))
    a = rfm_summary(tx, observation_end=OBS_END)
    b = rfm_summary(tx.iloc[perm], observation_end=OBS_END)
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)


@given(tx_frames(), st.integers(2, 4))
def test_summary_chunked_customers_equal_whole(tx: pd.DataFrame, k: int) -> None:
    whole = rfm_summary(tx, observation_end=OBS_END, time_unit="W")
    parts = [
        rfm_summary(part, observation_end=OBS_END, time_unit="W")
        for _, part in tx.groupby(tx["customer_id"] % k)
    ]
    chunked = pd.concat(parts).sort_index()
    pd.testing.assert_frame_equal(chunked, whole, check_index_type=False)


@given(tx_frames())
def test_summary_bounds(tx: pd.DataFrame) -> None:
    s = rfm_summary(tx, observation_end=OBS_END)
    assert (s["frequency"] >= 0).all()
    assert (s["frequency"] <= s["n_purchases"] - 1).all()
    assert (s["recency"] >= 0).all()
    assert (s["recency"] <= s["T"]).all()
    assert (s["monetary"] >= 0).all()
    assert (s["monetary"][s["frequency"] == 0] == 0).all()
    assert s["n_purchases"].sum() == len(tx)
    assert (s["first_purchase"] <= s["last_purchase"]).all()


@given(tx_frames())
def test_calibration_holdout_consistent(tx: pd.DataFrame) -> None:
    cal_day = pd.Timestamp(CAL_END)
    if not (tx["date"].dt.normalize() <= cal_day).any():
        # nobody bought in calibration: an error, as for an observation_end before every purchase
        with pytest.raises(ValidationError, match="No purchases on or before calibration_end"):
            rfm_summary(tx, observation_end=OBS_END, calibration_end=CAL_END)
        return
    s = rfm_summary(tx, observation_end=OBS_END, calibration_end=CAL_END)
    assert (s["frequency_holdout"] >= 0).all()
    assert (s["monetary_holdout"] >= 0).all()
    assert (s["monetary_holdout"][s["frequency_holdout"] == 0] == 0).all()
    assert (s["duration_holdout"] == (pd.Timestamp(OBS_END) - cal_day).days).all()
    # the calibration columns are the summary of the calibration period alone
    cal = rfm_summary(tx, observation_end=CAL_END)
    pd.testing.assert_frame_equal(s[cal.columns], cal, check_names=False)
    # the holdout frequency counts the distinct holdout purchase days of each customer
    day = tx["date"].dt.normalize()
    hold = tx.assign(day=day)[day > cal_day].drop_duplicates(["customer_id", "day"])
    want = hold.groupby("customer_id").size().reindex(s.index, fill_value=0)
    np.testing.assert_array_equal(s["frequency_holdout"], want)
    np.testing.assert_allclose(
        s["monetary_holdout"], _naive_monetary_holdout(tx, CAL_END).reindex(s.index), rtol=1e-9
    )
    # customers whose first purchase falls in the holdout period are left out
    first = tx.groupby("customer_id")["date"].min().dt.normalize()
    assert set(s.index) == set(first[first <= cal_day].index)


def test_generated_log_summary_matches_naive() -> None:
    tx = make_transactions(2000, seed=21, order="random")
    got = rfm_summary(tx)
    end = str(tx["date"].max().date())
    want = _naive_summary(tx, end, 1.0)
    pd.testing.assert_frame_equal(
        got[want.columns], want, check_dtype=False, check_names=False, rtol=1e-9
    )


def test_amounts_whose_sums_overflow_are_refused_not_inf() -> None:
    # each amount is finite, their sum is not: every total would silently become inf
    tx = pd.DataFrame(
        {"customer_id": [1, 1, 2], "date": ["2024-01-01", "2024-01-02", "2024-01-01"]}
    )
    with pytest.raises(ValidationError, match=r"(?s)Column 'amount' has 2 too large.*rescale"):
        rfm_summary(tx.assign(amount=[1e308, 1e308, 1.0]))
    big = rfm_summary(tx.assign(amount=[1e300, 1e300, 1.0]))  # large but summable: exact
    assert big["total_amount"].tolist() == [2e300, 1.0]


@pytest.mark.parametrize(
    ("roles", "named"),
    [
        ({"amount": "customer_id"}, "'customer' and 'amount'"),
        ({"customer": "date"}, "'customer' and 'time'"),
        ({"time": "amount"}, "'time' and 'amount'"),
    ],
)
@pytest.mark.parametrize("engine", ["pandas", "dask", "polars", "duckdb"])
def test_one_column_in_two_roles_is_refused(roles: dict[str, str], named: str, engine: str) -> None:
    # numeric ids read as amounts gave a plausible monetary value for every customer
    tx = load_cdnow("sample").head(500)
    if engine == "dask":
        data: Any = pytest.importorskip("dask.dataframe").from_pandas(tx, npartitions=2)
    elif engine == "polars":
        data = pytest.importorskip("polars").from_pandas(tx).lazy()
    elif engine == "duckdb":
        duckdb = pytest.importorskip("duckdb")
        con = duckdb.connect()
        data = con.from_df(tx)
    else:
        data = tx
    with pytest.raises(ValidationError, match=named + " both name the column"):
        rfm_summary(data, observation_end="1997-09-30", **roles)
    if engine in ("pandas", "dask") and "customer" in roles:  # purchase_rate has no amount
        with pytest.raises(ValidationError, match=named + " both name the column"):
            purchase_rate(data, observation_end="1997-09-30", **roles)

"""Tests of the customer summary: CDNOW reference, naive recomputation and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty import rfm_summary
from custloyalty.datasets import make_transactions

END = "1997-09-30"


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
        return  # nobody bought in calibration: rfm_summary has no customer to report
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

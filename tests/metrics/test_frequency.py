"""Tests of the purchase-frequency indicators."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty import rfm_summary
from custloyalty.datasets import load_cdnow, make_transactions
from custloyalty.errors import ValidationError
from custloyalty.metrics import (
    RepeatPurchaseResult,
    interpurchase_intervals,
    purchase_frequency,
    purchase_rate,
    repeat_purchase_rate,
)


def _in_days(summary: pd.DataFrame) -> pd.DataFrame:
    """A hand-made summary with its time unit recorded, as rfm_summary records it."""
    summary.attrs["custloyalty"] = {"time_unit": "D"}
    return summary


@st.composite
def tx_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Small transaction logs: 1-30 rows, few customers, days within ~200 days."""
    n = draw(st.integers(1, 30))
    cust = draw(st.lists(st.integers(1, 6), min_size=n, max_size=n))
    day = draw(st.lists(st.integers(0, 200), min_size=n, max_size=n))
    amount = draw(st.lists(st.integers(1, 500), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": cust,
            "date": pd.Timestamp("2023-12-20") + pd.to_timedelta(day, unit="D"),
            "amount": np.asarray(amount, dtype=float) / 4,
        }
    )


def _naive_periods(tx: pd.DataFrame, period: str) -> pd.DataFrame:
    t = tx.assign(period=tx["date"].dt.to_period(period), day=tx["date"].dt.normalize())
    g = t.groupby(["customer_id", "period"])
    return pd.DataFrame({"n_purchases": g.size(), "purchase_days": g["day"].nunique()})


# ------------------------------------------------------------------------------------------
# purchase_frequency
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("period", ["D", "W", "M", "Q", "Y"])
def test_purchase_frequency_matches_naive_groupby(period: str) -> None:
    tx = make_transactions(300, seed=3)
    got = purchase_frequency(tx, period=period)
    want = _naive_periods(tx, period)
    pd.testing.assert_frame_equal(
        got[["n_purchases", "purchase_days"]], want, check_names=False, check_index_type=False
    )
    assert got.index.names == ["customer_id", "period"]
    assert (got["purchases_per_day"] > 0).all()
    assert (got["purchases_per_day"] <= 1).all()


def test_purchase_frequency_weeks_are_monday_to_sunday() -> None:
    # 2024-01-07 is a Sunday, 2024-01-08 a Monday
    tx = pd.DataFrame(
        {"customer_id": [1, 1, 1], "date": ["2024-01-01", "2024-01-07", "2024-01-08"]}
    )
    got = purchase_frequency(tx, period="W")
    assert got["purchase_days"].tolist() == [2, 1]
    assert str(got.index.get_level_values("period")[0]) == "2024-01-01/2024-01-07"
    # last week observed for 1 day only (observation end = last purchase day)
    assert got["purchases_per_day"].tolist() == pytest.approx([2 / 7, 1.0])


def test_purchase_frequency_observation_end_and_wide_form() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b"],
            "date": ["2024-01-05", "2024-03-01", "2024-02-10", "2024-02-11"],
        }
    )
    got = purchase_frequency(tx, observation_end="2024-02-29")
    assert got.attrs["custloyalty"]["n_excluded_after_observation_end"] == 1
    wide = got["purchase_days"].unstack(fill_value=0)
    assert wide.to_numpy().tolist() == [[1, 0], [0, 2]]
    assert got.loc[("b", pd.Period("2024-02", "M")), "purchases_per_day"] == pytest.approx(2 / 29)


@given(tx_frames())
def test_purchase_frequency_row_order_invariant(tx: pd.DataFrame) -> None:
    perm = np.random.default_rng(len(tx)).permutation(len(tx))
    a = purchase_frequency(tx, period="W")
    b = purchase_frequency(tx.iloc[perm], period="W")
    pd.testing.assert_frame_equal(a, b)
    assert a["n_purchases"].sum() == len(tx)
    assert (a["purchase_days"] <= a["n_purchases"]).all()


def test_purchase_frequency_bad_input() -> None:
    tx = pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"]})
    with pytest.raises(ValidationError, match="'period' parameter of purchase_frequency"):
        purchase_frequency(tx, period="fortnight")
    with pytest.raises(ValidationError, match="No purchases on or before"):
        purchase_frequency(tx, observation_end="2023-01-01")
    with pytest.raises(ValidationError, match="Column 'when' not found"):
        purchase_frequency(tx, time="when")


def test_purchase_frequency_nan_policy() -> None:
    tx = pd.DataFrame({"customer_id": [1, None, 2], "date": ["2024-01-01", "2024-01-02", None]})
    with pytest.raises(ValidationError, match="null customer id"):
        purchase_frequency(tx)
    got = purchase_frequency(tx, nan_policy="omit")
    assert len(got) == 1
    assert got.attrs["custloyalty"]["n_omitted_missing"] == 2


def test_input_frame_unchanged() -> None:
    tx = make_transactions(50, seed=1, order="random")
    before = tx.copy()
    purchase_frequency(tx)
    purchase_rate(tx)
    interpurchase_intervals(tx)
    repeat_purchase_rate(tx)
    pd.testing.assert_frame_equal(tx, before)


# ------------------------------------------------------------------------------------------
# purchase_rate
# ------------------------------------------------------------------------------------------
def test_purchase_rate_formula_and_summary_equivalence() -> None:
    tx = make_transactions(200, seed=5)
    s = rfm_summary(tx, time_unit="W")
    rate = purchase_rate(tx, time_unit="W")
    want = np.where(s["T"] > 0, s["frequency"] / s["T"].where(s["T"] > 0, 1.0), 0.0)
    np.testing.assert_allclose(rate.to_numpy(), want)
    assert rate.name == "purchase_rate"
    # from the summary (weeks, recorded in attrs) and in other units
    pd.testing.assert_series_equal(purchase_rate(s, time_unit="W"), rate)
    pd.testing.assert_series_equal(purchase_rate(s, time_unit="D") * 7, rate)
    plain = s.copy()
    plain.attrs = {}
    with pytest.raises(ValidationError, match="without its time unit"):
        purchase_rate(plain)
    plain.attrs["custloyalty"] = {"time_unit": "W"}  # the unit recorded by hand
    pd.testing.assert_series_equal(purchase_rate(plain, time_unit="W"), rate)
    plain.attrs["custloyalty"] = {"time_unit": "fortnight"}
    with pytest.raises(ValidationError, match="time_unit recorded in the summary"):
        purchase_rate(plain)


def test_purchase_rate_rejects_inconsistent_summary() -> None:
    s = _in_days(pd.DataFrame({"frequency": [1, 2], "recency": [5.0, 9.0], "T": [10.0, 3.0]}))
    with pytest.raises(ValidationError, match="1 rows violating"):
        purchase_rate(s)


# ------------------------------------------------------------------------------------------
# interpurchase_intervals
# ------------------------------------------------------------------------------------------
def test_intervals_match_naive_per_customer_statistics() -> None:
    tx = make_transactions(300, seed=11, order="random")
    got = interpurchase_intervals(tx, time_unit="W")
    days = tx.assign(day=tx["date"].dt.normalize())[["customer_id", "day"]].drop_duplicates()
    days = days.sort_values(["customer_id", "day"])
    gaps = days.groupby("customer_id")["day"].diff().dt.days.dropna() / 7
    gaps = gaps.groupby(days.loc[gaps.index, "customer_id"])
    want = pd.DataFrame(
        {"mean": gaps.mean(), "median": gaps.median(), "std": gaps.std(ddof=1)}
    ).reindex(got.index)
    np.testing.assert_allclose(got[["mean", "median", "std"]], want, equal_nan=True)
    np.testing.assert_allclose(got["cv"], want["std"] / want["mean"], equal_nan=True)
    s = rfm_summary(tx)
    assert (got["n_intervals"] == s["frequency"]).all()
    repeat = s["frequency"] > 0
    np.testing.assert_allclose(
        got["mean"][repeat] * 7, s["recency"][repeat] / s["frequency"][repeat]
    )


def test_intervals_regular_buyer_has_zero_cv() -> None:
    tx = pd.DataFrame({"customer_id": 1, "date": pd.date_range("2024-01-01", periods=5, freq="7D")})
    got = interpurchase_intervals(tx, time_unit="W").iloc[0]
    assert (got["n_intervals"], got["mean"], got["median"], got["std"], got["cv"]) == (
        4,
        1.0,
        1.0,
        0.0,
        0.0,
    )


@given(tx_frames())
def test_intervals_bounds_and_row_order(tx: pd.DataFrame) -> None:
    got = interpurchase_intervals(tx)
    perm = np.random.default_rng(0).permutation(len(tx))
    pd.testing.assert_frame_equal(got, interpurchase_intervals(tx.iloc[perm]))
    has = got["n_intervals"] > 0
    assert (got.loc[has, "mean"] >= 1).all()
    assert (got.loc[has, "median"] >= 1).all()
    assert got.loc[~has, ["mean", "median", "std", "cv"]].isna().all().all()
    assert (got["cv"].dropna() >= 0).all()


@given(tx_frames())
def test_purchase_days_and_days_since_last_purchase_properties(tx: pd.DataFrame) -> None:
    from custloyalty.metrics import churn_flags, days_since_last_purchase, purchase_days

    perm = np.random.default_rng(len(tx)).permutation(len(tx))
    days = purchase_days(tx)
    since = days_since_last_purchase(tx)
    pd.testing.assert_series_equal(days, purchase_days(tx.iloc[perm]))
    pd.testing.assert_series_equal(since, days_since_last_purchase(tx.iloc[perm]))
    distinct = pd.to_datetime(tx["date"]).dt.normalize().groupby(tx["customer_id"]).nunique()
    np.testing.assert_array_equal(days.to_numpy(), distinct.sort_index().to_numpy())
    assert (since >= 0).all()
    assert since.min() == 0  # someone bought on the last day of the default window
    flags = churn_flags(tx, threshold=30)
    np.testing.assert_array_equal(flags.to_numpy(), (since > 30).to_numpy())


# ------------------------------------------------------------------------------------------
# repeat_purchase_rate
# ------------------------------------------------------------------------------------------
def test_repeat_purchase_rate_cdnow_reference() -> None:
    # Fader, Hardie & Lee (2005): 946 of the 2,357 sample customers made at least one repeat
    # purchase in the 39-week calibration period (1997-01-01 .. 1997-09-30).
    r = repeat_purchase_rate(load_cdnow("sample"), observation_end="1997-09-30")
    assert (r.n_repeaters, r.n_customers) == (946, 2357)
    assert r.statistic == pytest.approx(946 / 2357)
    assert r.ci[0] < r.statistic < r.ci[1]
    assert isinstance(r, RepeatPurchaseResult)
    json.dumps(r.to_dict())


def test_transactions_carrying_summary_columns_are_counted_as_transactions() -> None:
    # a summary joined onto the purchases: the customer and time columns say these are
    # transactions, so the purchases are counted and the joined columns ignored
    tx = load_cdnow("sample")
    end = "1997-09-30"
    joined = tx.assign(frequency=7, recency=1.0, T=2.0)
    ref = repeat_purchase_rate(tx, observation_end=end)
    assert repeat_purchase_rate(joined, observation_end=end).n_repeaters == ref.n_repeaters == 946
    assert repeat_purchase_rate(tx.assign(frequency=0), observation_end=end).n_repeaters == 946
    pd.testing.assert_series_equal(
        purchase_rate(joined, observation_end=end), purchase_rate(tx, observation_end=end)
    )
    # a summary keeps its customers in the index: it is still read as a summary
    summary = rfm_summary(tx, observation_end=end)
    assert repeat_purchase_rate(summary).n_repeaters == 946


def test_repeat_purchase_rate_from_summary_and_wilson() -> None:
    s = pd.DataFrame({"frequency": [0, 1, 3, 0]})
    r = repeat_purchase_rate(s, confidence=0.9)
    assert r.statistic == 0.5
    # Wilson interval for 2/4 at 90%: centre 0.5, half-width z/(1+z^2/n) sqrt(1/16 + z^2/64)
    z = 1.6448536269514722
    half = z / (1 + z * z / 4) * np.sqrt(0.25 / 4 + z * z / 64)
    assert r.ci == pytest.approx((0.5 - half, 0.5 + half))
    with pytest.raises(ValidationError, match="'confidence' parameter"):
        repeat_purchase_rate(s, confidence=1.5)


@pytest.mark.parametrize(
    ("frequency", "match"),
    [
        ([0, -1, 2], "Column 'frequency' has 1 out-of-range"),
        ([0, 0.5, 2], "Column 'frequency' has 1 non-integer value"),
        ([1, 2.5, -3.0], "Column 'frequency' has 1 out-of-range"),
        ([1, np.inf], "Column 'frequency' has 1 infinite value"),
    ],
)
def test_repeat_purchase_rate_rejects_bad_summary_frequencies(
    frequency: list[float], match: str
) -> None:
    # before: -1 and 0.5 silently counted as non-repeaters
    with pytest.raises(ValidationError, match=match):
        repeat_purchase_rate(pd.DataFrame({"frequency": frequency}))
    # whole numbers stored as floats are fine
    assert repeat_purchase_rate(pd.DataFrame({"frequency": [0.0, 2.0]})).n_repeaters == 1


@pytest.mark.parametrize(
    ("func", "column"),
    [
        (repeat_purchase_rate, "frequency"),
        (purchase_rate, "frequency"),
        (purchase_rate, "recency"),
        (purchase_rate, "T"),
    ],
)
def test_missing_summary_values_hint_fits(func: Any, column: str) -> None:
    # nan_policy applies to transactions only: the error must not suggest nan_policy='omit'
    s = pd.DataFrame({"frequency": [1.0, 2.0], "recency": [1.0, 2.0], "T": [5.0, 5.0]})
    s.loc[1, column] = np.nan
    with pytest.raises(ValidationError) as info:
        func(_in_days(s))
    text = str(info.value)
    assert f"Column '{column}' has 1 missing (NaN) value (rows 1): nan" in text
    assert "nan_policy applies to transactions, not to a summary" in text
    assert "nan_policy='omit'" not in text


def test_purchase_rate_rejects_non_integer_summary_frequency() -> None:
    s = _in_days(pd.DataFrame({"frequency": [1.5, 2.0], "recency": [1.0, 2.0], "T": [5.0, 5.0]}))
    with pytest.raises(ValidationError, match="Column 'frequency' has 1 non-integer value"):
        purchase_rate(s)


@pytest.mark.parametrize(
    ("unit", "days_per_unit"),
    [("D", 1.0), ("W", 7.0), ("M", 30.4375), ("Q", 91.3125), ("Y", 365.25), ("h", 1 / 24)],
)
def test_interval_and_rate_time_units(unit: str, days_per_unit: float) -> None:
    # documented lengths: "M" 30.4375, "Q" 91.3125, "Y" 365.25 days, "h" 1/24 day
    tx = pd.DataFrame(
        {"customer_id": [1, 1, 1], "date": ["2023-01-01", "2023-01-31", "2023-04-01"]}
    )
    got = interpurchase_intervals(tx, time_unit=unit).iloc[0]
    assert got["mean"] == pytest.approx(45.0 / days_per_unit, rel=1e-15)
    assert got["median"] == pytest.approx(45.0 / days_per_unit, rel=1e-15)
    rate = purchase_rate(tx, time_unit=unit, observation_end="2023-12-31").iloc[0]
    assert rate == pytest.approx(2 / (364.0 / days_per_unit), rel=1e-15)


@given(tx_frames(), st.integers(2, 3))
def test_purchase_frequency_chunked_customers_equal_whole(tx: pd.DataFrame, k: int) -> None:
    end = "2024-08-01"
    whole = purchase_frequency(tx, period="M", observation_end=end)
    parts = [
        purchase_frequency(part, period="M", observation_end=end)
        for _, part in tx.groupby(tx["customer_id"] % k)
    ]
    chunked = pd.concat(parts).sort_index()
    chunked.attrs = whole.attrs
    pd.testing.assert_frame_equal(chunked, whole)

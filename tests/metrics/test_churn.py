"""Tests of the churn and retention indicators."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from custloyalty import rfm_summary
from custloyalty.datasets import load_cdnow, make_transactions
from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.metrics import (
    CohortRetentionResult,
    SurvivalResult,
    churn_flags,
    churn_rate,
    cohort_retention,
    survival_curve,
)


@st.composite
def tx_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Small transaction logs spanning a few months."""
    n = draw(st.integers(1, 40))
    cust = draw(st.lists(st.integers(1, 8), min_size=n, max_size=n))
    day = draw(st.lists(st.integers(0, 150), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": cust,
            "date": pd.Timestamp("2024-01-10") + pd.to_timedelta(day, unit="D"),
        }
    )


def _active_pairs(tx: pd.DataFrame, period: str) -> pd.DataFrame:
    act = pd.DataFrame(
        {"customer_id": tx["customer_id"], "p": tx["date"].dt.to_period(period).array.asi8}
    )
    return act.drop_duplicates()


def _naive_churn(tx: pd.DataFrame, period: str, end: str) -> pd.DataFrame:
    act = _active_pairs(tx[tx["date"] <= pd.Timestamp(end)], period)
    p_end = pd.Period(end, period).ordinal
    periods = np.arange(act["p"].min(), p_end + 1)
    n_active = act.groupby("p").size().reindex(periods, fill_value=0)
    nxt = act.assign(p=act["p"] + 1)
    retained = act.merge(nxt, on=["customer_id", "p"]).groupby("p").size()
    retained = retained.reindex(periods, fill_value=0)
    prev = n_active.shift(1).iloc[1:]
    return pd.DataFrame(
        {
            "active_previous": prev.astype(np.int64).to_numpy(),
            "retained": retained.iloc[1:].to_numpy(),
            "active": n_active.iloc[1:].to_numpy(),
        }
    )


# ------------------------------------------------------------------------------------------
# churn_rate
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("period", "end"), [("M", "1998-06-30"), ("Q", "1998-06-30")])
def test_churn_rate_matches_naive_sets_on_cdnow(period: str, end: str) -> None:
    tx = load_cdnow("sample")
    got = churn_rate(tx, period=period, observation_end=end)
    want = _naive_churn(tx, period, end)
    np.testing.assert_array_equal(got[["active_previous", "retained", "active"]], want)
    assert (got["churned"] == got["active_previous"] - got["retained"]).all()
    np.testing.assert_allclose(got["churn_rate"] + got["retention_rate"], 1.0)
    assert got["complete"].all()
    assert got.index[0] == pd.Period("1997-02" if period == "M" else "1997Q2", period)


def test_churn_rate_hand_example_and_partial_period() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 1, 2, 1, 3],
            "date": [
                "2024-01-05",
                "2024-01-09",
                "2024-01-20",
                "2024-02-02",
                "2024-02-15",
                "2024-03-03",
                "2024-03-04",
            ],
        }
    )
    got = churn_rate(tx)
    # Feb: {1,2,3} -> {1,2}: churn 1/3; Mar: {1,2} -> {1,3}: 1 retained, 1 churned, 3 returned
    assert got["active_previous"].tolist() == [3, 2]
    assert got["retained"].tolist() == [2, 1]
    assert got["active"].tolist() == [2, 2]
    assert got["churn_rate"].tolist() == pytest.approx([1 / 3, 0.5])
    assert got["complete"].tolist() == [True, False]  # March observed to the 4th only


def test_churn_rate_zero_division() -> None:
    tx = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-05", "2024-03-05"]})
    with pytest.warns(UndefinedMetricWarning, match="1 periods have no active customers"):
        got = churn_rate(tx)
    assert got["churn_rate"].tolist()[0] == 1.0
    assert np.isnan(got["churn_rate"].tolist()[1])
    quiet = churn_rate(tx, zero_division=0.0)
    assert quiet["retention_rate"].tolist() == [0.0, 0.0]
    with pytest.raises(ValidationError, match="'zero_division' parameter"):
        churn_rate(tx, zero_division="nan")
    with pytest.raises(ValidationError, match="'zero_division' parameter"):
        churn_rate(tx, zero_division=None)


def test_churn_rate_needs_two_periods() -> None:
    tx = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-05", "2024-01-25"]})
    with pytest.raises(ValidationError, match="at least two periods"):
        churn_rate(tx)
    with pytest.raises(ValidationError, match="'period' parameter of churn_rate"):
        churn_rate(tx, period="month")


@given(tx_frames(), st.sampled_from(["W", "M"]))
def test_churn_rate_properties(tx: pd.DataFrame, period: str) -> None:
    end = "2024-06-30"
    if tx["date"].dt.to_period(period).min() == pd.Period(end, period):
        return
    got = churn_rate(tx, period=period, observation_end=end, zero_division=np.nan)
    perm = np.random.default_rng(1).permutation(len(tx))
    pd.testing.assert_frame_equal(
        got, churn_rate(tx.iloc[perm], period=period, observation_end=end, zero_division=np.nan)
    )
    want = _naive_churn(tx, period, end)
    np.testing.assert_array_equal(got[["active_previous", "retained", "active"]], want)
    rates = got["churn_rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()
    assert (got["retained"] <= np.minimum(got["active"], got["active_previous"])).all()


# ------------------------------------------------------------------------------------------
# cohort_retention
# ------------------------------------------------------------------------------------------
def _naive_cohorts(tx: pd.DataFrame, period: str) -> pd.DataFrame:
    act = _active_pairs(tx, period)
    cohort = act.groupby("customer_id")["p"].transform("min")
    return pd.crosstab(cohort, act["p"] - cohort)


def test_cohort_retention_matches_naive_crosstab() -> None:
    tx = make_transactions(500, seed=2, order="random")
    res = cohort_retention(tx, period="M")
    want = _naive_cohorts(tx, "M")
    n = res.counts.shape[1]
    observed = res.counts.to_numpy()
    # naive crosstab has zeros where the library has NaN (ages after the observation end)
    np.testing.assert_array_equal(
        np.nan_to_num(observed), want.reindex(columns=range(n), fill_value=0).to_numpy()
    )
    assert (res.counts.index.asi8 == want.index.to_numpy()).all()
    np.testing.assert_array_equal(res.sizes.to_numpy(), want[0].to_numpy())
    np.testing.assert_allclose(res.rates[0], 1.0)
    # the lower-right triangle lies after the observation end
    offset = res.counts.index.asi8 - res.counts.index.asi8[0]
    np.testing.assert_array_equal(res.counts.notna().sum(axis=1), n - offset)
    assert res.counts.iloc[0].notna().all()
    assert isinstance(res, CohortRetentionResult)
    json.dumps(res.to_dict())


def test_cohort_retention_hand_example() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 1, 3, 2, 3],
            "date": [
                "2024-01-05",
                "2024-01-20",
                "2024-02-02",
                "2024-02-10",
                "2024-03-01",
                "2024-03-02",
            ],
        }
    )
    res = cohort_retention(tx)
    assert res.counts.index.astype(str).tolist() == ["2024-01", "2024-02"]
    assert res.counts.to_numpy().tolist()[0] == [2.0, 1.0, 1.0]
    assert res.counts.to_numpy()[1, :2].tolist() == [1.0, 1.0]
    assert np.isnan(res.counts.to_numpy()[1, 2])
    assert res.rates.to_numpy().tolist()[0] == [1.0, 0.5, 0.5]
    assert res.sizes.tolist() == [2, 1]
    assert res.observation_end == "2024-03-02"


def test_cohort_retention_html_renders_the_matrices() -> None:
    # the shared Result._repr_html_ shows "<DataFrame (r, c)>" placeholders for tables
    res = cohort_retention(load_cdnow("sample"), period="Q", observation_end="1998-06-30")
    page = res._repr_html_()
    assert "&lt;DataFrame" not in page
    assert "&lt;Series" not in page
    for name in ("counts", "rates", "sizes", "period", "observation_end", "1998-06-30"):
        assert name in page
    assert page.count("<th>1997Q1</th>") == 3  # one row in each of counts, rates, sizes
    assert "<td>2357</td>" in page  # cohort size (counts at age 0 and sizes)
    assert "<td>524</td>" in page  # active at age 1
    assert "<td>0.2223</td>" in page  # 524 / 2357
    sv = survival_curve(load_cdnow("sample"), threshold=180)
    html_sv = sv._repr_html_()
    assert "&lt;DataFrame" not in html_sv
    assert "ci_low" in html_sv
    assert "<td>2357</td>" in html_sv  # at risk at time 0


def test_cohort_retention_skips_empty_cohorts() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1, 2, 1], "date": ["2024-01-05", "2024-03-05", "2024-03-06"]}
    )
    res = cohort_retention(tx)
    assert res.counts.index.astype(str).tolist() == ["2024-01", "2024-03"]
    assert res.counts.to_numpy()[0].tolist() == [1.0, 0.0, 1.0]


@given(tx_frames())
def test_cohort_retention_chunked_customers_add_up(tx: pd.DataFrame) -> None:
    # counts are additive over disjoint sets of customers (same periods)
    end = "2024-06-30"
    whole = cohort_retention(tx, observation_end=end).counts
    odd = tx["customer_id"] % 2 == 1
    total = whole * 0.0
    for part in (tx[odd], tx[~odd]):
        if len(part):
            c = cohort_retention(part, observation_end=end).counts
            total = total.add(c, fill_value=0.0)
    pd.testing.assert_frame_equal(
        total.reindex_like(whole).fillna(0.0), whole.fillna(0.0), check_names=False
    )


# ------------------------------------------------------------------------------------------
# churn_flags
# ------------------------------------------------------------------------------------------
def test_churn_flags_against_summary_and_units() -> None:
    tx = load_cdnow("sample")
    s = rfm_summary(tx, observation_end="1998-06-30")
    flags = churn_flags(tx, threshold=180, observation_end="1998-06-30")
    want = (s["T"] - s["recency"]) > 180
    pd.testing.assert_series_equal(flags, want.rename("churned"))
    # the same in weeks, from a summary in weeks
    sw = rfm_summary(tx, observation_end="1998-06-30", time_unit="W")
    pd.testing.assert_series_equal(churn_flags(sw, threshold=180 / 7, time_unit="W"), flags)
    assert flags.dtype == bool


def test_churn_flags_boundary_is_strict() -> None:
    tx = pd.DataFrame({"customer_id": [1, 2], "date": ["2024-01-01", "2024-01-02"]})
    got = churn_flags(tx, threshold=30, observation_end="2024-01-31")
    assert got.tolist() == [False, False]  # 30 and 29 days of inactivity
    got = churn_flags(tx, threshold=29, observation_end="2024-01-31")
    assert got.tolist() == [True, False]
    with pytest.raises(ValidationError, match="'threshold' parameter of churn_flags"):
        churn_flags(tx, threshold=0)


# ------------------------------------------------------------------------------------------
# survival_curve
# ------------------------------------------------------------------------------------------
def _naive_km(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    rows = []
    s = 1.0
    g = 0.0
    for t in np.unique(time):  # a plain product-limit loop, the textbook definition
        n = int((time >= t).sum())
        d = int(((time == t) & event).sum())
        s *= 1 - d / n
        if d and n > d:
            g += d / (n * (n - d))
        rows.append((t, s, n, d, s * np.sqrt(g)))
    return pd.DataFrame(rows, columns=["time", "survival", "at_risk", "events", "se"])


def test_survival_matches_textbook_kaplan_meier() -> None:
    tx = make_transactions(400, seed=9)
    s = rfm_summary(tx)
    res = survival_curve(s, threshold=60)
    churned = (s["T"] - s["recency"]).to_numpy() > 60
    time = np.where(churned, s["recency"], s["T"])
    want = _naive_km(time, churned)
    got = res.table
    np.testing.assert_allclose(got["time"], want["time"])
    np.testing.assert_allclose(got["survival"], want["survival"])
    np.testing.assert_array_equal(got["at_risk"], want["at_risk"])
    np.testing.assert_array_equal(got["events"], want["events"])
    # linear Greenwood band, clipped to [0, 1]
    z = 1.959963984540054
    ok = want["survival"] > 0
    np.testing.assert_allclose(
        got["ci_low"][ok], np.clip(want["survival"] - z * want["se"], 0, 1)[ok], atol=1e-12
    )
    np.testing.assert_allclose(
        got["ci_high"][ok], np.clip(want["survival"] + z * want["se"], 0, 1)[ok], atol=1e-12
    )
    assert res.n_events == int(churned.sum())
    assert res.n_events + res.n_censored == res.n_customers == len(s)
    assert isinstance(res, SurvivalResult)
    json.dumps(res.to_dict())


def test_survival_hand_example_and_median() -> None:
    # lifetimes (days): churned at 10, 20, 20, 40; censored at 30 and 50
    summary = pd.DataFrame(
        {
            "frequency": [1, 1, 1, 1, 1, 1],
            "recency": [10.0, 20.0, 20.0, 40.0, 30.0, 50.0],
            "T": [200.0, 200.0, 200.0, 200.0, 30.0, 50.0],
        }
    )
    summary.attrs["custloyalty"] = {"time_unit": "D"}  # as rfm_summary records it
    res = survival_curve(summary, threshold=100, time_unit="D")
    # S(10) = 5/6, S(20) = 5/6 * 3/5 = 1/2, S(40) = 1/2 * 1/2 = 1/4 (after the 30 censoring)
    tab = res.table.set_index("time")
    assert tab.loc[10.0, "survival"] == pytest.approx(5 / 6)
    assert tab.loc[20.0, "survival"] == pytest.approx(0.5)
    assert tab.loc[40.0, "survival"] == pytest.approx(0.25)
    assert tab.loc[40.0, "at_risk"] == 2
    assert res.median == 20.0
    assert res.median_ci[0] <= res.median <= res.median_ci[1] or np.isnan(res.median_ci[1])
    loglog = survival_curve(summary, threshold=100, ci_method="log-log")
    assert ((loglog.table["ci_low"] >= 0) & (loglog.table["ci_high"] <= 1)).all()


def test_survival_log_log_band_values() -> None:
    # the hand example above: churned at 10, 20, 20, 40 days; censored at 30 and 50
    summary = pd.DataFrame(
        {
            "frequency": [1, 1, 1, 1, 1, 1],
            "recency": [10.0, 20.0, 20.0, 40.0, 30.0, 50.0],
            "T": [200.0, 200.0, 200.0, 200.0, 30.0, 50.0],
        }
    )
    summary.attrs["custloyalty"] = {"time_unit": "D"}  # as rfm_summary records it
    res = survival_curve(summary, threshold=100, ci_method="log-log", confidence=0.9)
    tab = res.table
    # reference 1: SciPy's own log-log band on the same censored sample
    ref = stats.ecdf(
        stats.CensoredData(uncensored=[10.0, 20.0, 20.0, 40.0], right=[30.0, 50.0])
    ).sf.confidence_interval(confidence_level=0.9, method="log-log")
    np.testing.assert_allclose(tab["time"], [10.0, 20.0, 30.0, 40.0, 50.0])
    np.testing.assert_allclose(tab["ci_low"], ref.low.probabilities, rtol=1e-12)
    np.testing.assert_allclose(tab["ci_high"], ref.high.probabilities, rtol=1e-12)
    # reference 2: Kalbfleisch & Prentice by hand, S ** exp(-+ z se), se of log(-log S):
    # se^2 = sum d / (n (n - d)) / log(S)^2 over the events up to t
    z = 1.6448536269514722  # 90 %
    surv = np.array([5 / 6, 1 / 2, 1 / 2, 1 / 4, 1 / 4])
    greenwood = np.cumsum([1 / (6 * 5), 2 / (5 * 3), 0.0, 1 / (2 * 1), 0.0])
    se = np.sqrt(greenwood) / np.abs(np.log(surv))
    np.testing.assert_allclose(tab["survival"], surv, rtol=1e-12)
    np.testing.assert_allclose(tab["ci_low"], surv ** np.exp(z * se), rtol=1e-12)
    np.testing.assert_allclose(tab["ci_high"], surv ** np.exp(-z * se), rtol=1e-12)
    assert tab["ci_low"].iloc[0] == pytest.approx(0.388048, abs=1e-6)
    # the linear (Greenwood) band differs: the method option reaches SciPy
    linear = survival_curve(summary, threshold=100, confidence=0.9)
    assert not np.allclose(linear.table["ci_low"], tab["ci_low"])


def test_survival_without_events_and_bad_options() -> None:
    tx = pd.DataFrame(
        {"customer_id": [1, 1, 2], "date": ["2024-01-01", "2024-01-05", "2024-01-03"]}
    )
    res = survival_curve(tx, threshold=30)
    assert res.n_events == 0
    assert (res.table["survival"] == 1.0).all()
    assert np.isnan(res.median)
    with pytest.raises(ValidationError, match="'ci_method' parameter"):
        survival_curve(tx, threshold=30, ci_method="exact")
    with pytest.raises(ValidationError, match="'confidence' parameter"):
        survival_curve(tx, threshold=30, confidence=0)


@given(tx_frames())
def test_survival_bounds(tx: pd.DataFrame) -> None:
    res = survival_curve(tx, threshold=20, observation_end="2024-07-31")
    t = res.table
    assert (np.diff(t["survival"]) <= 0).all()
    assert ((t["ci_low"] <= t["survival"] + 1e-12) & (t["survival"] <= t["ci_high"] + 1e-12)).all()
    assert ((t["ci_low"] >= 0) & (t["ci_high"] <= 1)).all()
    assert t["events"].sum() == res.n_events


def test_input_frame_unchanged() -> None:
    tx = make_transactions(80, seed=4, order="random")
    before = tx.copy()
    churn_rate(tx, zero_division=np.nan)
    cohort_retention(tx)
    churn_flags(tx, threshold=30)
    survival_curve(tx, threshold=30)
    pd.testing.assert_frame_equal(tx, before)


def test_survival_same_from_transactions_and_summary() -> None:
    tx = make_transactions(300, seed=13)
    a = survival_curve(tx, threshold=8, time_unit="W", observation_end="2021-06-30")
    s = rfm_summary(tx, observation_end="2021-06-30", time_unit="W")
    b = survival_curve(s, threshold=8, time_unit="W")
    pd.testing.assert_frame_equal(a.table, b.table)
    assert (a.n_events, a.median) == (b.n_events, b.median)
    flags = churn_flags(s, threshold=8, time_unit="W")
    assert a.n_events == int(flags.sum())


@pytest.mark.parametrize("indicator", ["churn_risk", "clv"])
def test_card_on_customers_all_first_seen_on_the_last_day(indicator: str) -> None:
    # issue 13 battery: every first purchase on the window's last day (T = 0) ended in "the
    # data passed to ParetoNBD.fit is empty"; the error now says why and what to do
    from custloyalty import LoyaltyScorecard

    tx = pd.DataFrame({"customer_id": range(20), "date": ["2024-05-01"] * 20, "amount": 10.0})
    card = LoyaltyScorecard([indicator, "purchase_days"])
    with pytest.raises(
        ValidationError, match=rf"(?s){indicator} indicator: all 20 customers.*T = 0.*Hint"
    ):
        card.fit_score(tx)

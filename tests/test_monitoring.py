"""Tests of custloyalty.monitoring: evaluate_over_time and population_stability_index."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from custloyalty.datasets import load_cdnow
from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.monitoring import evaluate_over_time, population_stability_index
from custloyalty.scorecard import LoyaltyScorecard


def _card(weighting: str = "equal") -> LoyaltyScorecard:
    return LoyaltyScorecard(
        ["purchase_days", "total_spend", "days_since_last_purchase"], weighting=weighting
    )


@pytest.fixture(scope="module")
def master() -> pd.DataFrame:
    return load_cdnow("master")


def test_cdnow_master_quarters(master) -> None:
    # issue 15: the over-time evaluation runs on CDNOW master
    card = _card()
    res = evaluate_over_time(master, scorecard=card, period="Q", reference="1997Q4")
    assert not hasattr(card, "weights_")  # the caller's scorecard is not fitted
    k = res.kpis
    assert list(k.index) == ["1997Q1", "1997Q2", "1997Q3", "1997Q4", "1998Q1", "1998Q2"]
    assert (k["customers"] == 23570).all()  # every CDNOW customer bought in 1997Q1
    # churn of 1997Q3 by hand: buyers of 1997Q2 without a purchase in 1997Q3
    q = master["date"].dt.to_period("Q")
    q2 = set(master.loc[q == "1997Q2", "customer_id"])
    q3 = set(master.loc[q == "1997Q3", "customer_id"])
    assert k.loc["1997Q3", "churn_rate"] == pytest.approx(len(q2 - q3) / len(q2))
    assert k.loc["1997Q2", "active"] == len(q2)
    assert (k["churn_ci_low"].iloc[1:] < k["churn_rate"].iloc[1:]).all()
    assert (k["composite_ci_low"] < k["composite_mean"]).all()
    # frozen at the reference: its tiers have the fitted shares, its PSI is 0
    assert k.loc["1997Q4", "psi"] == 0.0
    assert k.loc["1997Q4", "share_Platinum"] == pytest.approx(0.1, abs=0.01)
    assert (res.weights.nunique() == 1).all()
    # the churn drop after 1997Q2 (CDNOW's first-quarter cohort settling) is flagged
    churn_alerts = res.alerts[res.alerts["kpi"] == "churn_rate"]
    assert "1997Q3" in set(churn_alerts["period"])
    assert (churn_alerts["p_value"] < 0.05).all()
    mig = res.migrations["1998Q1"]
    assert mig.counts.to_numpy().sum() == 23570
    assert set(res.migrations) == set(k.index[1:])


def test_refit_changes_weights(master) -> None:
    res = evaluate_over_time(master, scorecard=_card("entropy"), period="Q", refit=True)
    assert res.refit
    assert res.weights.round(6).drop_duplicates().shape[0] > 1
    np.testing.assert_allclose(res.weights.sum(axis=1), 1.0)


def _surveys(tx: pd.DataFrame, drop_period: str) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    ids = tx["customer_id"].unique()
    n = 3000
    dates = pd.Timestamp("1997-01-01") + pd.to_timedelta(rng.integers(0, 546, size=n), unit="D")
    quarter = dates.to_period("Q").astype(str)
    good = rng.choice([5, 7, 8, 9, 10], size=n, p=[0.15, 0.15, 0.2, 0.25, 0.25])
    bad = rng.choice([3, 5, 7, 8, 9, 10], size=n, p=[0.2, 0.3, 0.15, 0.15, 0.1, 0.1])
    return pd.DataFrame(
        {
            "customer_id": rng.choice(ids, size=n),
            "date": dates,
            "recommend": np.where(quarter == drop_period, bad, good),
        }
    )


def test_nps_alert_where_it_drops() -> None:
    tx = load_cdnow("sample")
    sv = _surveys(tx, "1997Q4")
    res = evaluate_over_time(tx, sv, scorecard=_card(), period="Q")
    k = res.kpis
    assert (k["respondents"] > 0).all()
    assert k.loc["1997Q4", "nps"] < k.loc["1997Q3", "nps"] - 20
    nps_alerts = res.alerts[res.alerts["kpi"] == "nps"]
    assert set(nps_alerts["period"]) == {"1997Q4", "1998Q1"}  # the drop and the recovery
    # the NPS of a period is that of its own answers
    q = sv["date"].dt.to_period("Q").astype(str)
    r = sv.loc[q == "1998Q2", "recommend"]
    assert k.loc["1998Q2", "nps"] == pytest.approx(100 * ((r >= 9).mean() - (r <= 6).mean()))


def test_psi() -> None:
    rng = np.random.default_rng(1)
    ref = rng.normal(size=10_000)
    assert population_stability_index(ref, ref) == pytest.approx(0.0, abs=1e-12)
    small = population_stability_index(ref, rng.normal(size=10_000))
    big = population_stability_index(ref, rng.normal(0.6, 1.0, size=10_000))
    assert small < 0.01 < 0.25 < big
    # by hand on two bins: shares (0.5, 0.5) against (0.8, 0.2)
    e = np.array([0.0, 0.0, 1.0, 1.0])
    a = np.array([0.0] * 8 + [1.0] * 2)
    expected = (0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5)
    assert population_stability_index(e, a, bins=2) == pytest.approx(expected)
    with pytest.raises(ValidationError, match="bins"):
        population_stability_index(ref, ref, bins=1)
    with pytest.raises(ValidationError, match="finite"):
        population_stability_index([np.nan], ref)


def test_errors() -> None:
    tx = load_cdnow("sample")
    with pytest.raises(ValidationError, match="'period'"):
        evaluate_over_time(tx, period="W")
    with pytest.raises(ValidationError, match="at least two"):
        evaluate_over_time(tx, period="Y", observation_end="1997-06-30")
    with pytest.raises(ValidationError, match="reference"):
        evaluate_over_time(tx, scorecard=_card(), reference="2001Q1")
    with pytest.raises(ValidationError, match="scorecard"):
        evaluate_over_time(tx, scorecard="entropy")
    with pytest.raises(ValidationError, match="psi_thresholds"):
        evaluate_over_time(tx, scorecard=_card(), psi_thresholds=(0.3, 0.1))
    with pytest.raises(ValidationError, match="Column 'when' not found"):
        evaluate_over_time(tx, time="when")


def test_plot_and_to_dict() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from custloyalty.plotting import plot_over_time

    res = evaluate_over_time(load_cdnow("sample"), scorecard=_card(), period="Q")
    ax = plot_over_time(res)
    assert len(ax.get_xticklabels()) == 6
    plt.close(ax.figure)
    d = res.to_dict()
    assert d["period"] == "Q"
    assert "1997Q2" in d["migrations"]


_values = arrays(np.float64, st.integers(5, 200), elements=st.floats(0, 100, width=32))


@settings(max_examples=50, deadline=None)
@given(expected=_values, actual=_values)
def test_psi_properties(expected: np.ndarray, actual: np.ndarray) -> None:
    with warnings.catch_warnings():
        # a constant expected sample warns that a shift above it goes unseen
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        psi = population_stability_index(expected, actual)
        assert psi >= 0.0
        assert population_stability_index(expected, expected) == pytest.approx(0.0, abs=1e-12)
        # order of the values does not matter
        assert population_stability_index(expected[::-1], actual[::-1]) == pytest.approx(psi)


def test_period_without_answers() -> None:
    tx = load_cdnow("sample")
    sv = _surveys(tx, "1997Q4")
    sv = sv[sv["date"].dt.to_period("Q").astype(str) != "1998Q1"]
    card = LoyaltyScorecard(
        ["purchase_days", "days_since_last_purchase", "recommendation"], weighting="equal"
    )
    res = evaluate_over_time(tx, sv, scorecard=card, period="Q")
    assert res.kpis.loc["1998Q1", "respondents"] == 0
    assert np.isnan(res.kpis.loc["1998Q1", "nps"])
    assert res.kpis["composite_mean"].notna().all()
    # no NPS test across the gap
    assert not ((res.alerts["kpi"] == "nps") & (res.alerts["period"] == "1998Q1")).any()


def test_observation_end_cuts_the_last_period() -> None:
    tx = load_cdnow("sample")
    res = evaluate_over_time(tx, scorecard=_card(), period="Q", observation_end="1998-05-15")
    k = res.kpis
    assert str(k.index[-1]) == "1998Q2"
    assert str(k["observation_end"].iloc[-1].date()) == "1998-05-15"
    q = tx["date"].dt.to_period("Q")
    upto = tx[(q == "1998Q2") & (tx["date"] <= "1998-05-15")]
    assert k.loc["1998Q2", "active"] == upto["customer_id"].nunique()


def test_own_column_names_and_time_zone_give_the_same_evaluation() -> None:
    """The window is built from the function's column options, not the scorecard's."""
    tx = load_cdnow("sample")
    card = LoyaltyScorecard(["purchase_days", "total_spend", "days_since_last_purchase"])
    base = evaluate_over_time(tx, scorecard=card, period="Q")
    renamed = tx.rename(columns={"customer_id": "cust", "date": "when"})
    renamed["when"] = pd.to_datetime(renamed["when"]).dt.tz_localize("Europe/Paris")
    other = evaluate_over_time(renamed, scorecard=card, period="Q", customer="cust", time="when")
    cols = ["customers", "active", "composite_mean", "churn_rate", "psi"]
    pd.testing.assert_frame_equal(base.kpis[cols], other.kpis[cols])


def test_psi_refuses_labels() -> None:
    with pytest.raises(ValidationError, match=r"'expected' sample .* numbers"):
        population_stability_index(["a", "b"], [1.0, 2.0])
    with pytest.raises(ValidationError, match="'actual' sample"):
        population_stability_index([1.0, 2.0], np.array([True, False]))


def test_refit_must_be_a_bool() -> None:
    with pytest.raises(ValidationError, match="'refit' parameter of evaluate_over_time"):
        evaluate_over_time(load_cdnow("sample"), period="Q", refit="no")


def test_surveys_without_the_recommend_column_warn() -> None:
    from custloyalty.errors import UndefinedMetricWarning
    from custloyalty.scorecard import LoyaltyScorecard

    tx = load_cdnow("sample")
    tx = tx[tx["customer_id"] <= 200]
    surveys = pd.DataFrame(
        {"customer_id": [1, 2, 3], "date": pd.Timestamp("1997-06-01"), "nps_q": [9, 10, 3]}
    )
    card = LoyaltyScorecard(["purchase_days", "total_spend"], weighting="equal")
    with pytest.warns(UndefinedMetricWarning, match="(?s)no .recommend. column.*recommend="):
        res = evaluate_over_time(tx, surveys, period="Q", scorecard=card)
    assert res.kpis["nps"].isna().all()
    res = evaluate_over_time(tx, surveys, period="Q", scorecard=card, recommend="nps_q")
    assert res.kpis["nps"].notna().any()


def test_periods_without_any_purchase_are_warned() -> None:
    from custloyalty.errors import UndefinedMetricWarning

    tx = load_cdnow("sample")
    gap = tx[(tx["date"] < "1997-04-01") | (tx["date"] >= "1997-10-01")]
    card = LoyaltyScorecard(
        ["purchase_days", "total_spend", "days_since_last_purchase"], weighting="equal"
    )
    with pytest.warns(UndefinedMetricWarning, match=r"no purchase at all in 2 of the 6 periods"):
        res = evaluate_over_time(gap, scorecard=card)
    assert res.kpis.loc[["1997Q2", "1997Q3"], "active"].tolist() == [0, 0]

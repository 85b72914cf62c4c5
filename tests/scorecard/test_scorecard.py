"""LoyaltyScorecard on CDNOW master + synthetic survey answers, round trips, compare()."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custloyalty.datasets import load_cdnow, make_survey, make_transactions
from custloyalty.errors import NotFittedError, PluginError, ValidationError
from custloyalty.scorecard import DEFAULT_INDICATORS, LoyaltyScorecard, compare

END = "1998-06-30"


@pytest.fixture(scope="module")
def master() -> pd.DataFrame:
    return load_cdnow("master")


@pytest.fixture(scope="module")
def surveys(master: pd.DataFrame) -> pd.DataFrame:
    return make_survey(3000, seed=11, customer_ids=master["customer_id"].unique())


@pytest.fixture(scope="module")
def fitted(master: pd.DataFrame, surveys: pd.DataFrame) -> LoyaltyScorecard:
    return LoyaltyScorecard().fit(master, surveys, observation_end=END)


@pytest.fixture(scope="module")
def result(fitted: LoyaltyScorecard, master: pd.DataFrame, surveys: pd.DataFrame):
    return fitted.score(master, surveys, observation_end=END)


def test_composite_bounds_contributions_and_weights(result) -> None:
    cust = result.customers
    assert len(cust) == 23570
    assert cust["composite"].between(0, 100).all()
    contrib = cust.filter(like="contrib_").sum(axis=1)
    np.testing.assert_allclose(contrib.to_numpy(), cust["composite"].to_numpy(), atol=1e-9)
    assert result.weights.sum() == pytest.approx(1.0)
    assert set(result.weights.index) == set(DEFAULT_INDICATORS)
    assert (result.weights >= 0).all()
    norm = cust.filter(like="norm_").to_numpy()
    norm = norm[~np.isnan(norm)]
    assert ((norm >= 0) & (norm <= 1)).all()


def test_every_customer_has_one_tier_and_shares_follow_config(result) -> None:
    tiers = result.customers["tier"]
    assert tiers.notna().all()
    assert list(tiers.cat.categories) == ["Platinum", "Gold", "Silver", "Bronze"]
    shares = tiers.value_counts(normalize=True, sort=False)
    np.testing.assert_allclose(shares.to_numpy(), [0.1, 0.2, 0.3, 0.4], atol=0.01)


def test_respondents_and_missing_survey_renormalisation(result, surveys) -> None:
    cust = result.customers
    answered = cust["answered_survey"]
    assert answered.sum() == surveys["customer_id"].nunique() == result.summary["respondents"]
    non = cust[~answered]
    assert non["satisfaction"].isna().all()
    assert (non["contrib_satisfaction"] == 0).all()
    # renormalised: behaviour-only composite uses weights over the indicators they have
    w = result.weights
    beh = [c for c in w.index if c not in ("satisfaction", "recommendation")]
    z = non[[f"norm_{c}" for c in beh]].to_numpy()
    expect = z @ w[beh].to_numpy() / w[beh].sum() * 100
    np.testing.assert_allclose(non["composite"].to_numpy(), expect, atol=1e-9)


def test_base_summary(result) -> None:
    s = result.summary
    assert -100 <= s["nps"] <= 100
    assert 0 <= s["satisfaction_index"] <= 100
    assert 0 <= s["churn_rate"] <= 1
    assert s["customers"] == 23570
    assert sum(s["tier_sizes"].values()) == 23570
    json.dumps(result.to_dict())  # JSON-safe


def test_json_round_trip_scores_identically(fitted, master, surveys, result) -> None:
    text = json.dumps(fitted.to_dict())
    again = LoyaltyScorecard.from_dict(json.loads(text))
    res2 = again.score(master, surveys, observation_end=END)
    pd.testing.assert_frame_equal(res2.customers, result.customers)
    assert res2.summary == result.summary


def test_score_new_customers_with_fitted_yardstick(fitted) -> None:
    new = make_transactions(300, seed=3, start="1997-01-01")
    res = fitted.score(new)
    assert res.customers["composite"].between(0, 100).all()
    assert res.customers["satisfaction"].isna().all()
    assert len(res.customers) == new["customer_id"].nunique()


def test_segment_imputation(master, surveys) -> None:
    card = LoyaltyScorecard(
        ["frequency", "monetary", "recency", "satisfaction"], missing="segment"
    ).fit(master, surveys, observation_end=END)
    res = card.score(master, surveys, observation_end=END)
    cust = res.customers
    filled = cust.loc[~cust["answered_survey"], "norm_satisfaction"]
    assert filled.notna().all()
    assert filled.nunique() <= 5  # one value per behavioural segment
    np.testing.assert_allclose(
        cust.filter(like="contrib_").sum(axis=1), cust["composite"], atol=1e-9
    )


@pytest.mark.parametrize("weighting", ["equal", "entropy", "critic"])
@pytest.mark.parametrize("normalisation", ["minmax", "zscore", "percentile"])
def test_weightings_and_normalisations(master, weighting, normalisation) -> None:
    card = LoyaltyScorecard(
        ["frequency", "monetary", "recency"], weighting=weighting, normalisation=normalisation
    )
    res = card.fit_score(master, observation_end=END)
    assert res.weights.sum() == pytest.approx(1.0)
    assert res.customers["composite"].between(0, 100).all()


def test_ahp_weighting_and_refusal(master) -> None:
    names = ["frequency", "monetary", "recency"]
    good = pd.DataFrame([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]], index=names, columns=names)
    card = LoyaltyScorecard(names, weighting="ahp", ahp=good).fit(master, observation_end=END)
    np.testing.assert_allclose(card.weights_.to_numpy(), [4 / 7, 2 / 7, 1 / 7])
    again = LoyaltyScorecard.from_dict(json.loads(card.to_json()))
    np.testing.assert_allclose(again.weights_.to_numpy(), card.weights_.to_numpy())
    bad = pd.DataFrame([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]], index=names, columns=names)
    with pytest.raises(ValidationError, match="consistency ratio"):
        LoyaltyScorecard(names, weighting="ahp", ahp=bad).fit(master, observation_end=END)


def test_fixed_weights_and_thresholds(master) -> None:
    card = LoyaltyScorecard(
        {"frequency": {"weight": 2}, "monetary": {"weight": 1}, "recency": {"weight": 1}},
        tiers={"labels": ["A", "B", "C"], "thresholds": [70, 40]},
    )
    res = card.fit_score(master, observation_end=END)
    assert res.weights.to_dict() == {"frequency": 0.5, "monetary": 0.25, "recency": 0.25}
    comp, tier = res.customers["composite"], res.customers["tier"].astype(str)
    assert (tier[comp >= 70] == "A").all()
    assert (tier[(comp < 70) & (comp >= 40)] == "B").all()
    assert (tier[comp < 40] == "C").all()


def test_configuration_errors() -> None:
    with pytest.raises(ValidationError, match="weighting"):
        LoyaltyScorecard(weighting="magic")
    with pytest.raises(PluginError, match=r"No metric named 'frequncy'\. Did you mean 'frequency'"):
        LoyaltyScorecard(["frequncy"])
    with pytest.raises(ValidationError, match="base-level"):
        LoyaltyScorecard(["nps"])
    with pytest.raises(ValidationError, match="thresholds"):
        LoyaltyScorecard(["frequency"], tiers={"labels": ["A", "B"], "thresholds": [1, 2]})
    with pytest.raises(NotFittedError):
        LoyaltyScorecard(["frequency"]).score(load_cdnow("sample"))


def test_compare_periods(master) -> None:
    card = LoyaltyScorecard(["frequency", "monetary", "recency"]).fit(
        master, observation_end="1997-12-31"
    )
    before = card.score(master, observation_end="1997-12-31")
    after = card.score(master, observation_end=END)
    c = compare(before, after)
    counts = c.migration.counts
    assert counts.to_numpy().sum() == 23570
    # rows of the migration matrix add up to the tier sizes before
    sizes = before.customers["tier"].value_counts(sort=False)
    np.testing.assert_array_equal(counts.iloc[:-1].sum(axis=1).to_numpy(), sizes.to_numpy())
    assert sum(c.movements.values()) == 23570
    assert c.indicators.loc["recency", "change"] > 0  # six more months since last purchase
    json.dumps(c.to_dict())


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(40)))
def test_row_order_does_not_change_scores(perm: list[int]) -> None:
    tx = make_transactions(40, seed=5, start="2024-01-01")
    card = LoyaltyScorecard(["frequency", "monetary", "recency"], weighting="critic")
    base = card.fit_score(tx).customers
    idx = np.concatenate([np.flatnonzero(tx["customer_id"].to_numpy() == c + 1) for c in perm])
    shuffled = LoyaltyScorecard(["frequency", "monetary", "recency"], weighting="critic")
    other = shuffled.fit_score(tx.iloc[idx]).customers
    pd.testing.assert_frame_equal(other.sort_index(), base.sort_index())


def test_survey_with_missing_customer_ids_is_refused(master, surveys) -> None:
    bad = surveys.astype({"customer_id": "float64"})
    bad.loc[bad.index[:3], "customer_id"] = np.nan
    with pytest.raises(ValidationError, match=r"customer_id.*3 null customer id"):
        LoyaltyScorecard(["frequency", "satisfaction"]).fit(master, bad, observation_end=END)

"""LoyaltyScorecard on CDNOW master + synthetic survey answers, round trips, compare()."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custloyalty import metrics
from custloyalty.datasets import load_cdnow, make_survey, make_transactions
from custloyalty.errors import NotFittedError, PluginError, UndefinedMetricWarning, ValidationError
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
    assert set(result.weights.index) == set(DEFAULT_INDICATORS) - {"engagement"}  # no contacts
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
    assert answered.sum() == surveys["customer_id"].nunique() == result.summary.respondents
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
    assert s.nps is not None
    assert -100 <= s.nps.score <= 100
    assert s.satisfaction_index is not None
    assert 0 <= s.satisfaction_index <= 100
    assert s.mean_churn_risk == pytest.approx(result.customers["churn_risk"].mean(), abs=1e-12)
    assert s.customers == 23570
    assert sum(s.tier_sizes.values()) == 23570
    frame = s.to_frame()
    assert frame.loc["customers", "value"] == 23570
    assert frame.loc["nps", "value"] == s.nps.score  # unrounded
    json.dumps(result.to_dict(), allow_nan=False)  # JSON-safe


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
    assert res.weights.to_dict() == {
        "purchase_days": 0.5,
        "total_spend": 0.25,
        "days_since_last_purchase": 0.25,
    }
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
    assert (
        c.indicators.loc["days_since_last_purchase", "change"] > 0
    )  # six more months since last purchase
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


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_cdnow("sample")


@pytest.fixture(scope="module")
def sample_surveys(sample: pd.DataFrame) -> pd.DataFrame:
    return make_survey(300, seed=1, customer_ids=sample["customer_id"].unique())


def test_customers_without_composite_get_no_tier(sample, sample_surveys) -> None:
    # survey indicators only: the 2,057 customers who did not answer have no composite
    card = LoyaltyScorecard(["satisfaction", "recommendation"], weighting="equal")
    res = card.fit_score(sample, sample_surveys, observation_end=END)
    assert np.isfinite(card.tier_thresholds_).all()
    cust = res.customers
    unscored = cust["composite"].isna()
    assert unscored.sum() == 2357 - 300
    assert cust.loc[unscored, "tier"].isna().all()
    assert cust.loc[~unscored, "tier"].notna().all()
    shares = cust.loc[~unscored, "tier"].value_counts(normalize=True, sort=False)
    np.testing.assert_allclose(shares.to_numpy(), [0.1, 0.2, 0.3, 0.4], atol=0.02)
    assert res.summary.customers_without_tier == 2057
    assert sum(res.summary.tier_sizes.values()) == 300
    assert res.top("Platinum", 3)["composite"].notna().all()
    again = LoyaltyScorecard.from_json(card.to_json())
    pd.testing.assert_frame_equal(
        again.score(sample, sample_surveys, observation_end=END).customers, cust
    )


def test_survey_ids_matching_no_customer_are_refused(sample, sample_surveys) -> None:
    card = LoyaltyScorecard(["frequency", "satisfaction"])
    as_text = sample_surveys.astype({"customer_id": str})
    with pytest.raises(
        ValidationError,
        match=r"(?s)none of the 300 survey answers matches a customer.*'customer_id' has dtype "
        r"(str|object).*dtype int64.*Hint: .*astype\('int64'\)",
    ):
        card.fit(sample, as_text, observation_end=END)
    foreign = sample_surveys.assign(customer_id=sample_surveys["customer_id"] + 10**6)
    with pytest.raises(ValidationError, match=r"(?s)none of the 300.*Hint: check that"):
        card.fit(sample, foreign, observation_end=END)


def test_normaliser_error_names_the_indicator(sample, sample_surveys) -> None:
    from custloyalty import metrics

    @metrics.register("test_blank_answers", source="surveys")
    def blank(surveys: pd.DataFrame) -> pd.Series:
        return pd.Series(np.nan, index=surveys["customer_id"].unique())

    try:
        card = LoyaltyScorecard(["frequency", "test_blank_answers"])
        with pytest.raises(
            ValidationError, match="normalisation for indicator 'test_blank_answers'"
        ):
            card.fit(sample, sample_surveys, observation_end=END)
    finally:
        metrics.unregister("test_blank_answers")


def test_respondents_counted_without_survey_indicators(sample, sample_surveys) -> None:
    from custloyalty.metrics import nps

    # 20 answers from people who are not customers: reported, and left out of the base figures
    extra = sample_surveys.iloc[:20].assign(customer_id=np.arange(10**6, 10**6 + 20))
    sv = pd.concat([sample_surveys, extra], ignore_index=True)
    res = LoyaltyScorecard(["frequency", "recency"]).fit_score(sample, sv, observation_end=END)
    s = res.summary
    assert s.respondents == sample_surveys["customer_id"].nunique() == 300
    assert res.customers["answered_survey"].sum() == 300
    assert s.survey_answers_without_transactions == 20
    assert s.nps is not None
    assert s.nps.score == pytest.approx(nps(sample_surveys["recommend"]).score, abs=1e-12)
    assert s.mean_churn_risk is None  # churn is not an indicator: its model is not fitted
    with_churn = LoyaltyScorecard(["frequency", "churn"]).fit_score(sample, observation_end=END)
    assert with_churn.summary.mean_churn_risk == pytest.approx(
        with_churn.customers["churn_risk"].mean(), abs=1e-12
    )


def test_compare_per_segment(master, surveys) -> None:
    card = LoyaltyScorecard(["frequency", "monetary", "recency"]).fit(
        master, observation_end="1997-12-31"
    )
    before = card.score(master, surveys, observation_end="1997-12-31")
    after = card.score(master, surveys, observation_end=END)
    c = compare(before, after)
    seg = c.by_segment
    assert seg.index.name == "tier"
    assert list(seg.index) == ["Platinum", "Gold", "Silver", "Bronze"]
    np.testing.assert_allclose(seg["composite_change"], c.by_tier["mean_composite_change"])
    a, b = before.customers, after.customers
    manual = (
        (b["days_since_last_purchase"] - a["days_since_last_purchase"])
        .groupby(a["tier"], observed=False)
        .mean()
    )
    np.testing.assert_allclose(seg["days_since_last_purchase_change"], manual.to_numpy())
    for k in ("upgraded", "downgraded", "unchanged"):
        assert seg[k].sum() == c.movements[k]
    assert seg["customers"].sum() == 23570
    assert (seg.loc["Platinum", "upgraded"], seg.loc["Bronze", "downgraded"]) == (0, 0)
    # a column of the results, and a Series of segments indexed by customer
    by_answer = compare(before, after, by="answered_survey")
    assert by_answer.by_segment["customers"].to_dict() == {False: 23570 - 3000, True: 3000}
    rfm = pd.Series(
        np.where(a["purchase_days"] > 1, "repeat", "one-off"), index=a.index, name="kind"
    )
    by_rfm = compare(before, after, by=rfm.iloc[:20000]).by_segment
    assert by_rfm.index.name == "kind"
    assert by_rfm["customers"].sum() == 20000  # customers without a segment are left out
    expect = (b["composite"] - a["composite"]).iloc[:20000].groupby(rfm.iloc[:20000]).mean()
    np.testing.assert_allclose(by_rfm["composite_change"], expect.to_numpy())
    json.dumps(c.to_dict())
    with pytest.raises(ValidationError, match="'by' must be a column"):
        compare(before, after, by="no_such_column")
    with pytest.raises(ValidationError, match="shares no customer"):
        compare(before, after, by=pd.Series(["x"], index=[-1]))
    twice = pd.Series(["x", "y"], index=[before.customers.index[0]] * 2)
    with pytest.raises(
        ValidationError, match=r"'by' Series passed to compare .* share 1 customer id"
    ):
        compare(before, after, by=twice)


def test_segment_imputation_needs_a_transaction_indicator() -> None:
    with pytest.raises(ValidationError, match="at least one transaction indicator"):
        LoyaltyScorecard(["satisfaction"], missing="segment")


def test_fixed_weights_for_unknown_indicators_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"fixed weights are given for \['bogus'\]"):
        LoyaltyScorecard(
            ["frequency", "monetary"], weighting={"frequency": 1, "monetary": 1, "bogus": 5}
        )
    with pytest.raises(ValidationError, match="'weighting' must be a mapping indicator -> number"):
        LoyaltyScorecard(["frequency", "monetary"], weighting={"frequency": 1, "monetary": "x"})


def test_ahp_matrix_columns_in_another_order(sample) -> None:
    names = ["frequency", "monetary", "recency"]
    good = pd.DataFrame([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]], index=names, columns=names)
    card = LoyaltyScorecard(names, weighting="ahp", ahp=good[["recency", "frequency", "monetary"]])
    np.testing.assert_allclose(card.fit(sample).weights_.to_numpy(), [4 / 7, 2 / 7, 1 / 7])


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"tiers": "abc"}, r"'tiers' must be a mapping .*; got str 'abc'"),
        ({"indicators": 5}, r"'indicators' must be a metric name.*; got int 5"),
        (
            {"tiers": {"labels": "ABC", "shares": [1, 2, 3]}},
            r"'tiers.labels' must be a list; got str",
        ),
        (
            {"tiers": {"labels": ["A", "B"], "shares": [1, "x"]}},
            r"'tiers.shares' must be a list of numbers",
        ),
        ({"tiers": {"labels": ["A", "B"], "share": [1, 2]}}, r"unknown tier settings \['share'\]"),
        ({"indicators": {"frequency": "high"}}, r"'indicators.frequency' must be a mapping"),
        (
            {"indicators": {"frequency": {"weight": "2"}}},
            r"'indicators.frequency.weight' must be a number",
        ),
        (
            {"indicators": {"frequency": {"options": 3}}},
            r"'indicators.frequency.options' must be a mapping",
        ),
        ({"customer": ["a", "b"]}, r"'customer' must be a column name; got list"),
        ({"allow_inconsistent": "yes"}, r"'allow_inconsistent' must be true or false; got str"),
        ({"ahp": 3}, r"'ahp' must be a pairwise matrix"),
        ({"ahp": {"criteria": [[1]]}}, r"'ahp.sub' must be a mapping"),
        ({"ahp": {"index": ["a"]}}, r"'ahp' must be a matrix as"),
        ([1, 2], r"'configuration' must be a mapping of settings; got list"),
        ({"config": 3}, r"saved state of kind None"),
        (
            {
                "kind": "loyalty_scorecard",
                "format_version": 1,
                "config": {"indicators": ["frequency"]},
                "fitted": {"active": []},
            },
            r"fitted.active must be a non-empty list",
        ),
    ],
)
def test_configuration_types_are_checked(config, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        LoyaltyScorecard.from_dict(config)


@pytest.mark.parametrize(
    ("tiers", "words"),
    [
        ({"labels": ["A", "B"], "shares": [0.5, 0.6]}, "'tiers.shares' must sum to 1"),
        ({"labels": ["A", "B"], "thresholds": [150]}, r"'tiers.thresholds' .* \(0, 100\]"),
        ({"labels": ["A", "B"], "thresholds": [0]}, r"'tiers.thresholds'"),
        ({"labels": ["A", "B"], "shares": [0.5, 0.5], "thresholds": [50]}, "not both"),
    ],
)
def test_tier_settings_that_would_mislead_are_refused(tiers: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        LoyaltyScorecard(["purchase_days"], tiers=tiers)


def test_tier_shares_may_be_percentages() -> None:
    card = LoyaltyScorecard(["purchase_days"], tiers={"labels": ["A", "B"], "shares": [30, 70]})
    assert card.config.tiers["shares"] == pytest.approx([0.3, 0.7])


def test_metric_option_values_are_checked(master: pd.DataFrame, surveys: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="'max_fit_customers'"):
        LoyaltyScorecard({"churn_risk": {"options": {"max_fit_customers": True}}}).fit(master)
    with pytest.raises(ValidationError, match="'scale'"):
        LoyaltyScorecard({"purchase_days": {}, "satisfaction": {"options": {"scale": 10}}}).fit(
            master, surveys, observation_end=END
        )


def test_one_satisfaction_item_named_alone(master: pd.DataFrame, surveys: pd.DataFrame) -> None:
    card = LoyaltyScorecard({"purchase_days": {}, "satisfaction": {"options": {"items": "sat1"}}})
    res = card.fit_score(master, surveys, observation_end=END)
    want = surveys.groupby("customer_id")["sat1"].mean().sub(1).div(9).mul(100)
    got = res.customers["satisfaction"].dropna()
    pd.testing.assert_series_equal(got, want.loc[got.index], check_names=False)


def test_a_batch_without_answers_scores_like_no_surveys(
    fitted: LoyaltyScorecard, master: pd.DataFrame, surveys: pd.DataFrame
) -> None:
    blank = surveys.assign(sat1=np.nan, sat2=np.nan, sat3=np.nan, recommend=np.nan)
    a = fitted.score(master, blank, observation_end=END).customers["composite"]
    b = fitted.score(master, observation_end=END).customers["composite"]
    pd.testing.assert_series_equal(a, b)


def test_constant_indicators_are_flagged(master: pd.DataFrame, surveys: pd.DataFrame) -> None:
    flat = surveys.assign(recommend=10)
    card = LoyaltyScorecard(["purchase_days", "total_spend", "recommendation"])
    with pytest.warns(UndefinedMetricWarning, match="'recommendation' .* all 10"):
        card.fit(master, flat, observation_end=END)
    assert card.weights_["recommendation"] < 1e-9


def test_plugin_exceptions_name_the_plugin(master: pd.DataFrame) -> None:
    @metrics.register("test_boom")
    def boom(summary: pd.DataFrame) -> pd.Series:
        raise RuntimeError("lost connection")

    try:
        with pytest.raises(PluginError, match=r"'test_boom'.*RuntimeError: lost connection") as e:
            LoyaltyScorecard(["purchase_days", "test_boom"]).fit(master)
        assert isinstance(e.value.__cause__, RuntimeError)
    finally:
        metrics.unregister("test_boom")


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ((), "'extra'"),
        (("fitted",), "did you mean 'observation_end'"),
        (("fitted", "normalisers"), "fitted.normalisers"),
    ],
)
def test_saved_state_with_unknown_keys_is_refused(
    fitted: LoyaltyScorecard, path: tuple[str, ...], words: str
) -> None:
    data = json.loads(fitted.to_json())
    node = data
    for key in path:
        node = node[key]
    key = {(): "extra", ("fitted",): "observation_ned"}.get(path, "clv")
    node[key] = node.get("purchase_days", "x") if path else 1
    with pytest.raises(ValidationError, match=words):
        LoyaltyScorecard.from_dict(data)


def test_compare_needs_results(result) -> None:
    with pytest.raises(ValidationError, match="'before' must be a ScorecardResult"):
        compare(result.customers, result)


def test_interaction_ids_of_another_type_are_named(master: pd.DataFrame) -> None:
    from custloyalty.datasets import make_interactions

    ids = master["customer_id"].unique()[:50]
    contacts = make_interactions(customer_ids=ids, seed=1, start="1997-01-01")
    contacts["customer_id"] = contacts["customer_id"].astype(str)
    with pytest.raises(ValidationError, match=r"(?s)none of the \d+ interactions.*astype"):
        LoyaltyScorecard(["purchase_days", "engagement"]).fit(
            master, interactions=contacts, observation_end=END
        )
    # without an interaction indicator, the interactions are not read at all
    LoyaltyScorecard(["purchase_days", "total_spend"]).fit(
        master, interactions=contacts, observation_end=END
    )

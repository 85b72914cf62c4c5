"""Scoring with what was fitted: service round trip, batch invariance, saved-state checks,
plugin isolation and config typos."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custloyalty import metrics
from custloyalty.datasets import load_cdnow, make_survey
from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.scorecard import LoyaltyScorecard, ScorecardSummary

END = "1998-06-30"


@pytest.fixture(scope="module")
def master() -> pd.DataFrame:
    return load_cdnow("master")


@pytest.fixture(scope="module")
def surveys(master: pd.DataFrame) -> pd.DataFrame:
    return make_survey(3000, seed=11, customer_ids=master["customer_id"].unique())


@pytest.fixture(scope="module")
def card(master: pd.DataFrame, surveys: pd.DataFrame) -> LoyaltyScorecard:
    return LoyaltyScorecard(seed=0).fit(master, surveys, observation_end=END)


@pytest.fixture(scope="module")
def scored(card: LoyaltyScorecard, master: pd.DataFrame, surveys: pd.DataFrame):
    return card.score(master, surveys, observation_end=END)


def test_service_case_round_trip_in_a_fresh_process(card, scored, tmp_path) -> None:
    # fit with surveys, save, load in a new interpreter, score without surveys
    state = tmp_path / "card.json"
    state.write_text(card.to_json(), encoding="utf-8")
    out = tmp_path / "scores.parquet"
    code = textwrap.dedent(
        f"""
        from pathlib import Path
        from custloyalty.datasets import load_cdnow
        from custloyalty.scorecard import LoyaltyScorecard
        card = LoyaltyScorecard.from_json(Path({str(state)!r}).read_text(encoding="utf-8"))
        res = card.score(load_cdnow("master"), observation_end={END!r})
        res.customers[["churn_risk", "composite"]].assign(
            tier=res.customers["tier"].astype(str), answered=res.customers["answered_survey"]
        ).to_parquet({str(out)!r})
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    fresh = pd.read_parquet(out)
    base = scored.customers
    # churn: the fitted Pareto/NBD, not a re-fit on the scoring batch
    np.testing.assert_array_equal(fresh["churn_risk"].to_numpy(), base["churn_risk"].to_numpy())
    # customers who did not answer have the same inputs, hence the same composite and tier
    non = ~base["answered_survey"].to_numpy()
    np.testing.assert_allclose(
        fresh["composite"].to_numpy()[non], base["composite"].to_numpy()[non], atol=1e-9, rtol=0
    )
    assert (fresh["tier"].to_numpy()[non] == base["tier"].astype(str).to_numpy()[non]).all()


def test_fit_score_equals_fit_then_score(master, surveys, scored) -> None:
    again = LoyaltyScorecard(seed=0).fit_score(master, surveys, observation_end=END)
    pd.testing.assert_frame_equal(again.customers, scored.customers)
    assert again.summary == scored.summary


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_subset_scores_equal_whole_scores(card, scored, master, surveys, data) -> None:
    ids = scored.customers.index.to_numpy()
    size = data.draw(st.integers(1, 300))
    pick = data.draw(st.lists(st.sampled_from(list(ids)), min_size=1, max_size=size, unique=True))
    tx = master[master["customer_id"].isin(pick)]
    sv = surveys[surveys["customer_id"].isin(pick)] if data.draw(st.booleans()) else surveys
    part = card.score(tx, sv, observation_end=END).customers
    whole = scored.customers.loc[part.index]
    num = part.select_dtypes("number").columns
    np.testing.assert_allclose(
        part[num].to_numpy(), whole[num].to_numpy(), atol=1e-9, rtol=0, equal_nan=True
    )
    assert (part["tier"].astype(str) == whole["tier"].astype(str)).all()


def test_bucket_totals_add_up_to_the_base_summary(card, scored, master, surveys) -> None:
    ids = scored.customers.index.to_numpy()
    buckets = [ids[ids % 3 == k] for k in range(3)]
    parts = [
        card.score_bucket(
            master[master["customer_id"].isin(b)],
            surveys[surveys["customer_id"].isin(b)],
            observation_end=END,
        )
        for b in buckets
    ]
    totals = parts[0].totals + parts[1].totals + parts[2].totals  # type: ignore[operator]
    combined = ScorecardSummary.from_totals(totals, pd.Timestamp(END))
    assert combined.tier_sizes == scored.summary.tier_sizes
    assert combined.customers == scored.summary.customers
    for name in ("composite_mean", "mean_churn_risk", "satisfaction_index", "mean_total_spend"):
        assert getattr(combined, name) == pytest.approx(getattr(scored.summary, name), rel=1e-12)
    assert combined.nps is not None
    assert scored.summary.nps is not None
    assert combined.nps.score == pytest.approx(scored.summary.nps.score, abs=1e-12)
    with pytest.raises(ValidationError, match="needs observation_end"):
        card.score_bucket(master, observation_end=None)


def test_scoring_without_observation_end_uses_the_fitted_one(card, master) -> None:
    early = master[master["date"] <= "1998-03-31"]
    res = card.score(early)
    assert res.observation_end == pd.Timestamp(END)
    one = card.score(master[master["customer_id"] == 1])
    # the one customer's recency counts to the fitted end, not to its own last purchase
    assert (
        one.customers.loc[1, "days_since_last_purchase"]
        == (pd.Timestamp(END) - pd.Timestamp("1997-01-01")).days
    )
    late = master.assign(date=master["date"] + pd.Timedelta(days=400))
    with pytest.raises(ValidationError, match="after the fitted observation_end"):
        card.score(late)
    # every purchase later than the fitted window: the same cause named, with the way round
    all_late = master.assign(date=master["date"] + pd.Timedelta(days=4000))
    with pytest.raises(
        ValidationError,
        match=r"every transaction falls after the fitted observation_end .*\nHint: pass "
        "observation_end=",
    ):
        card.score(all_late)


def _corrupt(state: dict, path: list, value: object) -> dict:
    out = copy.deepcopy(state)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "match"),
    [
        (["fitted", "weighting", "weights", "purchase_days"], -0.2, r"weights\['purchase_days'\]"),
        (["fitted", "weighting", "weights", "purchase_days"], None, r"weights\['purchase_days'\]"),
        (["fitted", "weighting", "weights", "total_spend"], 0.9, "must sum to 1"),
        (["fitted", "weighting", "weights", "days_since_last_purchase"], _DELETE, "missing"),
        (["fitted", "normalisers", "churn_risk"], _DELETE, "'churn_risk'"),
        (["fitted", "normalisers", "purchase_days", "direction"], "sideways", "direction"),
        (["fitted", "normalisers", "total_spend", "knots", 0], 1e9, "knots"),
        (["fitted", "tiers", "thresholds"], [60.0, 40.0], "thresholds must hold exactly 3"),
        (["fitted", "tiers", "thresholds", 0], "high", r"thresholds\[0\]"),
        (["fitted", "metric_states", "churn_risk", "model", "params", "r"], -1.0, "churn_risk"),
        # a state without the churn model used to load and refit at every score
        (["fitted", "metric_states", "churn_risk"], _DELETE, r"metric_states\['churn_risk'\] is"),
        (["fitted", "metric_states", "churn_risk"], None, r"metric_states\['churn_risk'\] is"),
        (
            ["fitted", "metric_states", "nps_of_a_typo"],
            {},
            "metric_states has unknown key .nps_of_a_typo.",
        ),
        (["format_version"], 99, "format_version 99"),
        (["kind"], "bg_nbd", "kind 'bg_nbd'"),
        (["fitted", "active"], ["purchase_days"], "lacks the transaction indicators"),
    ],
)
def test_corrupted_state_is_refused_naming_the_key(card, path, value, match) -> None:
    state = json.loads(card.to_json())
    with pytest.raises(ValidationError, match=match):
        LoyaltyScorecard.from_dict(_corrupt(state, path, value))


def test_an_emptied_model_state_is_refused_at_score(card, master, surveys) -> None:
    # an empty state is the indicator's own business (a plugin may fit nothing); the churn
    # indicator, which scores with its model, refuses it instead of fitting on the batch
    state = _corrupt(json.loads(card.to_json()), ["fitted", "metric_states", "churn_risk"], {})
    loaded = LoyaltyScorecard.from_dict(state)
    with pytest.raises(ValidationError, match="churn_risk indicator: its fitted state has no"):
        loaded.score(master, surveys, observation_end=END)


def test_truncated_json_is_our_error(card) -> None:
    text = card.to_json()
    with pytest.raises(ValidationError, match="not valid JSON"):
        LoyaltyScorecard.from_json(text[: len(text) // 2])


def test_html_repr_renders_tables(card, scored) -> None:
    assert "<table" in card._repr_html_()
    assert scored._repr_html_().count("<table") >= 3


# -- plugins ------------------------------------------------------------------------------
def _writes_into_input(summary: pd.DataFrame) -> pd.Series:
    summary["frequency"] = 0
    summary.loc[:, "total_amount"] = 0.0
    return summary["T"].astype(float)


def _plus_inf(summary: pd.DataFrame) -> pd.Series:
    out = summary["T"].astype(float)
    out.iloc[0] = np.inf
    return out


def _too_long(summary: pd.DataFrame) -> np.ndarray:
    return np.arange(len(summary) + 5, dtype=float)


def _frame(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[["T"]]


def _duplicated(summary: pd.DataFrame) -> pd.Series:
    s = summary["T"].astype(float)
    return pd.concat([s, s.iloc[:2]])


def _strings(summary: pd.DataFrame) -> pd.Series:
    return summary["T"].astype(str)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_cdnow("sample")


def test_metric_writing_into_its_input_cannot_poison_later_indicators(sample) -> None:
    metrics.register("test_writer")(_writes_into_input)
    try:
        res = LoyaltyScorecard(["test_writer", "frequency", "monetary"], weighting="equal")
        got = res.fit_score(sample, observation_end=END).customers
        clean = LoyaltyScorecard(["frequency", "monetary"], weighting="equal")
        want = clean.fit_score(sample, observation_end=END).customers
        pd.testing.assert_series_equal(got["purchase_days"], want["purchase_days"])
        pd.testing.assert_series_equal(got["total_spend"], want["total_spend"])
    finally:
        metrics.unregister("test_writer")


@pytest.mark.parametrize(
    ("func", "match"),
    [
        (_plus_inf, "infinite values"),
        (_too_long, r"an array of shape \(2362,\)"),
        (_frame, "a DataFrame"),
        (_duplicated, "duplicated customers"),
        (_strings, "non-numeric values"),
    ],
)
def test_misbehaving_metric_is_refused_naming_it(sample, func, match) -> None:
    metrics.register("test_bad", replace=True)(func)
    try:
        card = LoyaltyScorecard(["frequency", "test_bad"])
        with pytest.raises(ValidationError, match=rf"Metric 'test_bad' .*{match}"):
            card.fit(sample, observation_end=END)
    finally:
        metrics.unregister("test_bad")


# -- configuration ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("config", "match"),
    [
        (
            {"indicators": {"churn": {"options": {"modle": "bg_nbd"}}}},
            r"unknown options for indicator 'churn' \['modle'\].*\n.*Hint: did you mean "
            r"'modle' -> 'model'",
        ),
        (
            {"weigthing": "equal"},
            r"(?s)unknown configuration keys \['weigthing'\].*Hint.*'weighting'",
        ),
        (
            {"weighting": "entropi"},
            r"(?s)'weighting' parameter of LoyaltyScorecard must be one of.*Hint: did you mean 'entropy'",
        ),
        ({"indicators": {"frequency": {"directon": "lower"}}}, r"Hint: .*'direction'"),
        ({"tiers": {"labels": ["A"], "share": [1]}}, r"unknown tier settings.*'shares'"),
        ({"seed": "x"}, r"'seed' must be a non-negative integer"),
        # an integer beyond the float range (valid JSON) ended in OverflowError
        ({"tiers": {"labels": ["A", "B"], "shares": [10**400, 1]}}, "one positive share"),
    ],
)
def test_config_typos_are_refused_with_a_hint(config, match) -> None:
    with pytest.raises(ValidationError, match=match):
        LoyaltyScorecard.from_dict(config)


def test_churn_subsample_is_seeded(sample) -> None:
    opts = {"churn": {"options": {"max_fit_customers": 500}}}
    a = LoyaltyScorecard(opts, seed=3).fit(sample, observation_end=END)
    b = LoyaltyScorecard(opts, seed=3).fit(sample, observation_end=END)
    c = LoyaltyScorecard(opts, seed=4).fit(sample, observation_end=END)
    pa, pb, pc = (x.metric_states_["churn_risk"]["model"].params_ for x in (a, b, c))
    assert pa == pb
    assert pa != pc
    assert json.loads(a.to_json())["config"]["seed"] == 3


# -- new inputs ---------------------------------------------------------------------------
def test_interactions_reach_metrics_that_ask_for_them(sample) -> None:
    @metrics.register("test_contacts", source="interactions")
    def contacts(interactions: pd.DataFrame) -> pd.Series:
        return interactions.groupby("customer_id").size().astype(float)

    try:
        ids = sample["customer_id"].unique()[:50]
        interactions = pd.DataFrame({"cust": np.repeat(ids, 2), "kind": "email_open"})
        card = LoyaltyScorecard(
            ["frequency", "test_contacts"], weighting="equal", interaction_customer="cust"
        )
        # every contact count is 2: a constant indicator, which the fit flags
        with pytest.warns(UndefinedMetricWarning, match="'test_contacts' .50 customers, all 2"):
            res = card.fit_score(sample, interactions=interactions, observation_end=END)
        cust = res.customers
        assert (cust.loc[ids, "test_contacts"] == 2.0).all()
        # did not interact: missing, handled like a survey indicator (renormalised)
        others = cust.index.difference(ids)
        assert cust.loc[others, "test_contacts"].isna().all()
        assert cust.loc[others, "contrib_test_contacts"].eq(0).all()
        # without interactions at fit, the indicator is left out
        plain = LoyaltyScorecard(["frequency", "test_contacts"]).fit(sample, observation_end=END)
        assert plain.active_ == ["purchase_days"]
        # scoring without interactions: missing for everybody, the fitted state is kept
        again = card.score(sample, observation_end=END).customers
        assert again["test_contacts"].isna().all()
    finally:
        metrics.unregister("test_contacts")


def test_date_format_and_nan_policy_reach_the_window(sample) -> None:
    text = sample.assign(date=sample["date"].dt.strftime("%d/%m/%Y"))
    card = LoyaltyScorecard(["frequency", "recency"], weighting="equal")
    a = card.fit_score(text, observation_end=END, date_format="%d/%m/%Y").customers
    b = LoyaltyScorecard(["frequency", "recency"], weighting="equal").fit_score(
        sample, observation_end=END
    )
    pd.testing.assert_frame_equal(a, b.customers)
    gappy = sample.astype({"amount": "float64"})
    gappy.loc[gappy.index[:3], "amount"] = np.nan
    with pytest.raises(ValidationError, match="amount"):
        card.fit(gappy, observation_end=END)
    res = card.fit_score(gappy, observation_end=END, nan_policy="omit")
    assert len(res.customers) <= sample["customer_id"].nunique()


def test_fit_score_progress_bar_goes_to_stderr(sample, capsys) -> None:
    LoyaltyScorecard(["frequency"]).fit_score(sample, observation_end=END, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "fit_score" in captured.err


def test_one_column_in_two_roles_is_refused() -> None:
    # customer="amount" grouped the purchases by their amount, silently
    with pytest.raises(ValidationError, match="'customer' and 'amount' both name the column"):
        LoyaltyScorecard(customer="amount")
    with pytest.raises(ValidationError, match="'time' and 'amount' both name the column 'x'"):
        LoyaltyScorecard(time="x", amount="x")
    LoyaltyScorecard(survey_customer="customer_id")  # the id column of another table: fine


def test_score_names_survey_ids_of_another_type() -> None:
    tx = load_cdnow("sample")
    sv = make_survey(200, seed=1, customer_ids=tx["customer_id"].unique())
    card = LoyaltyScorecard(
        ["purchase_days", "total_spend", "satisfaction"], weighting="equal"
    ).fit(tx, sv)
    batch = tx[tx["customer_id"].isin(sv["customer_id"].head(10))]
    # text ids against integer survey ids: every answer was silently lost at score
    with pytest.raises(ValidationError, match=r"(?s)survey answers matches.*same type"):
        card.score(batch.astype({"customer_id": str}), sv)
    # answers of other customers only (same id type): a batch, scored without them
    other = sv[~sv["customer_id"].isin(batch["customer_id"])]
    assert not card.score(batch, other).customers["answered_survey"].any()


def test_tier_lists_given_as_generators_are_read_once() -> None:
    # a generator of labels or shares was read twice: the error said "got []"
    from custloyalty.scorecard import ScorecardConfig

    cfg = ScorecardConfig.from_dict(
        {
            "indicators": ["purchase_days", "total_spend"],
            "tiers": {"labels": (t for t in ["A", "B"]), "shares": (s for s in [0.4, 0.6])},
        }
    )
    assert cfg.tiers == {"labels": ["A", "B"], "shares": [0.4, 0.6]}
    with pytest.raises(ValidationError, match=r"got \[0\.5, 0\.5, 0\.1\]"):
        ScorecardConfig.from_dict(
            {"tiers": {"labels": iter(["A", "B"]), "shares": iter([0.5, 0.5, 0.1])}}
        )

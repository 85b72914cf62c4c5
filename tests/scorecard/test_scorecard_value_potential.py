"""Value x potential tiers in the scorecard result: fitted once, saved, batch-invariant."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custloyalty import metrics, rfm_summary
from custloyalty.datasets import load_cdnow
from custloyalty.errors import ValidationError
from custloyalty.scorecard import LoyaltyScorecard, ScorecardConfig
from custloyalty.segmentation import ValuePotentialGrid, value_potential_tiers

END = "1997-09-30"
COLUMNS = ["total_spend", "potential", "value_level", "potential_level", "action"]


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return load_cdnow("sample")


@pytest.fixture(scope="module")
def clv_card(tx: pd.DataFrame) -> LoyaltyScorecard:
    return LoyaltyScorecard(["purchase_days", "total_spend", "clv"], weighting="equal").fit(
        tx, observation_end=END
    )


@pytest.fixture(scope="module")
def opt_in_card(tx: pd.DataFrame) -> LoyaltyScorecard:
    card = LoyaltyScorecard(
        ["purchase_days", "days_since_last_purchase"],
        value_potential={"levels": 3, "horizon": 6},
        seed=0,
    )
    return card.fit(tx, observation_end=END)


def _saved(card: LoyaltyScorecard) -> dict[str, Any]:
    return json.loads(json.dumps(card.to_dict(), allow_nan=False))


# -- what the result carries ----------------------------------------------------------------
def test_clv_card_reuses_its_models_and_its_clv_column(tx, clv_card) -> None:
    res = clv_card.score(tx, observation_end=END)
    c = res.customers
    assert set(COLUMNS) <= set(c.columns)
    # the potential is the clv indicator itself (same models, same horizon)
    np.testing.assert_array_equal(c["potential"].to_numpy(), c["clv"].to_numpy())
    state = clv_card.value_potential_
    assert state["models"]["transactions"] is clv_card.metric_states_["clv"]["transactions"]
    assert state["horizon"] == 12
    # the default 2 x 2 grid at the medians of the fitted base, as value_potential_tiers
    grid = state["grid"]
    assert grid.value_thresholds_ == [float(np.quantile(c["total_spend"], 0.5))]
    assert grid.potential_thresholds_ == [float(np.quantile(c["potential"], 0.5))]
    high = c["total_spend"] >= grid.value_thresholds_[0]
    assert (high == (c["value_level"] == "high")).all()
    hh = (c["value_level"] == "high") & (c["potential_level"] == "high")
    assert (c.loc[hh, "action"] == "retain").all()
    assert (c.loc[~hh, "action"] != "retain").all()
    assert c["value_level"].cat.ordered
    assert list(c["value_level"].cat.categories) == ["low", "high"]


def test_summary_counts_match_the_customers(tx, clv_card) -> None:
    res = clv_card.score(tx, observation_end=END)
    counts = res.summary.value_potential_counts
    c = res.customers
    for v, row in counts.items():
        for p, n in row.items():
            assert n == int(((c["value_level"] == v) & (c["potential_level"] == p)).sum())
    assert sum(sum(r.values()) for r in counts.values()) == len(c)
    table = res.summary.value_potential_table()
    assert list(table.index) == ["high", "low"]
    assert list(table.columns) == ["low", "high"]
    assert table.loc["low", "high"] == counts["low"]["high"]
    figs = res.summary.figures()
    assert figs["value_potential_count[high,low]"] == counts["high"]["low"]
    json.dumps(res.summary.to_dict(), allow_nan=False)
    json.dumps(res.to_dict(), allow_nan=False)


def test_value_potential_view_matches_value_potential_tiers(tx, clv_card) -> None:
    vp = clv_card.score(tx, observation_end=END).value_potential
    # the standalone function on the same data, with the scorecard's models
    models = clv_card.value_potential_["models"]
    ref = value_potential_tiers(
        tx, observation_end=END, model=models["transactions"], spend_model=models["spend"]
    )
    assert vp is not None
    assert vp.horizon == ref.horizon == 12
    assert list(vp.customers.columns) == COLUMNS
    np.testing.assert_allclose(vp.customers["total_spend"], ref.customers["total_spend"])
    pd.testing.assert_frame_equal(vp.actions, ref.actions)
    assert vp.value_thresholds == ref.value_thresholds
    # the scorecard's potential follows the clv indicator's rule for $0 repeat spend, the
    # standalone function floors such spend at 0.01: the same cells but for those customers
    same = (vp.customers["action"] == ref.customers["action"]).mean()
    assert same > 0.99


def test_opt_in_without_clv_fits_the_models_on_the_fitted_base(tx, opt_in_card) -> None:
    res = opt_in_card.score(tx, observation_end=END)
    c = res.customers
    assert "clv" not in c.columns
    assert list(c["value_level"].cat.categories) == ["low", "medium", "high"]
    state = opt_in_card.value_potential_
    assert state["horizon"] == 6
    clv = metrics.get("clv")
    summary = rfm_summary(tx, observation_end=END)
    expected = clv.compute({"summary": summary, "state": state["models"]}, months=6)
    np.testing.assert_allclose(c["potential"], expected.to_numpy())
    assert len(state["grid"].potential_thresholds_) == 2
    assert set(c["action"]) <= {
        "retain",
        "grow",
        "develop",
        "protect",
        "maintain",
        "nurture",
        "harvest",
    }
    assert res.value_potential.counts.shape == (3, 3)


def test_fixed_thresholds_from_the_config(tx) -> None:
    card = LoyaltyScorecard(
        ["total_spend", "clv"],
        value_potential={"value_thresholds": [100.0], "potential_thresholds": [50.0]},
    ).fit(tx, observation_end=END)
    c = card.score(tx, observation_end=END).customers
    assert ((c["total_spend"] >= 100) == (c["value_level"] == "high")).all()
    assert ((c["potential"] >= 50) == (c["potential_level"] == "high")).all()


def test_without_models_nothing_is_added_or_fitted(tx, monkeypatch) -> None:
    calls: list[Any] = []
    real = ValuePotentialGrid.fit
    monkeypatch.setattr(ValuePotentialGrid, "fit", lambda *a: calls.append(a) or real(*a))
    card = LoyaltyScorecard(["purchase_days", "total_spend"]).fit(tx, observation_end=END)
    res = card.score(tx, observation_end=END)
    assert calls == []
    assert card.value_potential_ is None
    assert not {"potential", "value_level", "potential_level", "action"} & set(res.customers)
    assert res.value_potential is None
    assert res.summary.value_potential_counts is None
    assert res.summary.value_potential_table() is None
    assert not any(k.startswith("value_potential") for k in res.summary.figures())
    assert "value_potential" not in card.to_dict()["fitted"]
    # value_potential=False switches it off even with a clv indicator
    off = LoyaltyScorecard(["total_spend", "clv"], value_potential=False)
    assert off.fit(tx, observation_end=END).value_potential_ is None


# -- batch invariance -------------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(1, 2357), min_size=1, max_size=40, unique=True))
def test_a_subset_alone_gets_the_cells_it_has_in_the_whole_base(tx, clv_card, ids) -> None:
    whole = clv_card.score(tx, observation_end=END).customers
    loaded = LoyaltyScorecard.from_dict(_saved(clv_card))
    alone = loaded.score(tx[tx["customer_id"].isin(ids)], observation_end=END).customers
    pd.testing.assert_frame_equal(alone[COLUMNS], whole.loc[alone.index, COLUMNS])


# -- saved state ------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["clv_card", "opt_in_card"])
def test_save_load_round_trip(tx, which, request) -> None:
    card = request.getfixturevalue(which)
    again = LoyaltyScorecard.from_dict(_saved(card))
    assert again.value_potential_["grid"].value_thresholds_ == (
        card.value_potential_["grid"].value_thresholds_
    )
    assert again.value_potential_["horizon"] == card.value_potential_["horizon"]
    a = card.score(tx, observation_end=END)
    b = again.score(tx, observation_end=END)
    pd.testing.assert_frame_equal(a.customers, b.customers)
    assert a.summary == b.summary
    assert (
        LoyaltyScorecard.from_json(again.to_json()).to_dict()["fitted"] == (_saved(card)["fitted"])
    )


def test_config_round_trip() -> None:
    spec = {"levels": 3, "horizon": 24}
    cfg = ScorecardConfig.from_dict({"value_potential": spec})
    assert ScorecardConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.to_dict()["value_potential"]["levels"] == 3
    assert ScorecardConfig.from_dict({"value_potential": True}).value_potential_settings() == {
        "levels": 2,
        "horizon": 12,
        "value_thresholds": None,
        "potential_thresholds": None,
    }
    with_clv = ScorecardConfig.from_dict({"indicators": {"clv": {"options": {"months": 6}}}})
    assert with_clv.value_potential_settings()["horizon"] == 6
    assert (
        ScorecardConfig.from_dict({"indicators": ["total_spend"]}).value_potential_settings()
        is None
    )


def _corrupt(state: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(state)
    node = out["fitted"]["value_potential"]
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "names"),
    [
        (["grid", "fitted_value_thresholds"], [1.0, 2.0], "fitted_value_thresholds"),
        (["grid", "fitted_value_thresholds"], [None], "fitted_value_thresholds[0]"),
        (["grid", "fitted_value_thresholds"], ["abc"], "fitted_value_thresholds[0]"),
        (["grid", "fitted_potential_thresholds"], KeyError, "fitted_potential_thresholds"),
        (["grid", "levels"], 4, "levels"),
        (["grid", "actions"], [["high", "high"]], "actions"),
        (["grid", "actions"], [["top", "high", "retain"]], "actions"),
        (["grid", "kind"], "quantile_tiers", "value_potential_grid"),
        (["horizon"], 0, "fitted.value_potential.horizon"),
        (["horizon"], 6, "fitted.value_potential.horizon"),
        (["models"], KeyError, "models"),
        (["models"], "bg_nbd", "fitted.value_potential.models"),
        (["grid"], "x", "fitted.value_potential.grid"),
    ],
)
def test_corrupted_state_names_the_key(clv_card, path, value, names) -> None:
    bad = _corrupt(_saved(clv_card), path, value)
    with pytest.raises(ValidationError, match=r"LoyaltyScorecard\.from_dict") as info:
        LoyaltyScorecard.from_dict(bad)
    assert names in str(info.value)


@pytest.mark.parametrize(
    ("path", "value", "names"),
    [
        (["models", "spend"], KeyError, "spend"),
        (["models", "spend", "params", "p"], -1.0, "fitted.value_potential.models"),
        (["models"], "clv", "no fitted 'clv' indicator"),
    ],
)
def test_corrupted_models_of_an_opt_in_card_name_the_key(opt_in_card, path, value, names) -> None:
    bad = _corrupt(_saved(opt_in_card), path, value)
    with pytest.raises(ValidationError, match=r"LoyaltyScorecard\.from_dict") as info:
        LoyaltyScorecard.from_dict(bad)
    assert names in str(info.value)


def test_clv_models_are_saved_once(tx, clv_card, opt_in_card) -> None:
    # the tiers reuse the clv indicator's models: the state names them instead of a copy,
    # and the loaded card shares one pair of models again
    state = _saved(clv_card)
    assert state["fitted"]["value_potential"]["models"] == "clv"
    loaded = LoyaltyScorecard.from_dict(state)
    vp_models = loaded.value_potential_["models"]
    assert vp_models["transactions"] is loaded.metric_states_["clv"]["transactions"]
    assert vp_models["spend"] is loaded.metric_states_["clv"]["spend"]
    pd.testing.assert_frame_equal(
        loaded.score(tx, observation_end=END).customers,
        clv_card.score(tx, observation_end=END).customers,
    )
    # a card fitting its own models for the tiers saves them in full
    assert isinstance(_saved(opt_in_card)["fitted"]["value_potential"]["models"], dict)


def test_unsorted_potential_thresholds_are_refused(opt_in_card) -> None:
    bad = _corrupt(_saved(opt_in_card), ["grid", "fitted_potential_thresholds"], [9.0, 1.0])
    with pytest.raises(ValidationError, match=r"fitted_potential_thresholds must be sorted"):
        LoyaltyScorecard.from_dict(bad)


def test_state_and_config_must_agree(clv_card, opt_in_card) -> None:
    state = _saved(clv_card)
    del state["fitted"]["value_potential"]
    # a state written before value x potential tiers: loads without them
    assert LoyaltyScorecard.from_dict(state).value_potential_ is None
    explicit = _saved(opt_in_card)
    del explicit["fitted"]["value_potential"]
    with pytest.raises(ValidationError, match=r"fitted\.value_potential is missing"):
        LoyaltyScorecard.from_dict(explicit)
    off = _saved(clv_card)
    off["config"]["value_potential"] = False
    with pytest.raises(ValidationError, match="config has no value x potential"):
        LoyaltyScorecard.from_dict(off)
    levels = _saved(opt_in_card)
    levels["config"]["value_potential"]["levels"] = 2
    with pytest.raises(ValidationError, match="3 levels; the config asks for 2"):
        LoyaltyScorecard.from_dict(levels)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("yes", "'value_potential' must be"),
        ({"level": 3}, "did you mean 'level' -> 'levels'"),
        ({"levels": 4}, "value_potential.levels"),
        ({"horizon": 0}, "value_potential.horizon"),
        ({"horizon": 1.5}, "value_potential.horizon"),
        ({"value_thresholds": [2.0, 1.0], "levels": 3}, "value_potential.value_thresholds"),
        ({"potential_thresholds": [1.0, 2.0]}, "value_potential.potential_thresholds"),
        ({"potential_thresholds": "1"}, "value_potential.potential_thresholds"),
        ({"value_thresholds": [float("nan")]}, "value_potential.value_thresholds"),
    ],
)
def test_bad_settings_are_refused(spec, match) -> None:
    with pytest.raises(ValidationError, match=match):
        LoyaltyScorecard(value_potential=spec)


# -- the grid on its own ------------------------------------------------------------------------
def test_grid_missing_values_get_no_cell() -> None:
    grid = ValuePotentialGrid().fit([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0])
    out = grid.assign([np.nan, 5.0], [1.0, np.nan])
    assert out["value_level"].isna().all()
    assert out["action"].isna().all()
    assert grid.cell_counts(*grid.codes([np.nan, 5.0], [1.0, 5.0])) == (0, 0, 0, 1)


def test_grid_round_trip_and_not_fitted() -> None:
    grid = ValuePotentialGrid(3, actions={("low", "low"): "win back"})
    with pytest.raises(Exception, match="not fitted"):
        grid.codes([1.0], [1.0])
    grid.fit(np.arange(10.0), np.arange(10.0) ** 2)
    again = ValuePotentialGrid.from_json(grid.to_json())
    assert again.actions == grid.actions
    assert again.value_thresholds_ == grid.value_thresholds_
    assert "win back" in repr(again.action_table().tolist())


@pytest.mark.slow
def test_cdnow_master() -> None:
    tx = load_cdnow("master")
    card = LoyaltyScorecard(["purchase_days", "total_spend", "clv"], seed=0)
    res = card.fit_score(tx, observation_end="1997-09-30")
    table = res.summary.value_potential_table()
    assert int(table.to_numpy().sum()) == 23_570
    # a median split on value: about half the customers in each value row
    assert abs(table.loc["high"].sum() / 23_570 - 0.5) < 0.05
    assert (res.customers["potential"] >= 0).all()


def test_a_clv_metric_without_the_models(tx, monkeypatch) -> None:
    from custloyalty.scorecard import _potential

    inputs = {"summary": rfm_summary(tx, observation_end=END)}
    raw = pd.DataFrame(index=inputs["summary"].index)
    auto = ScorecardConfig.from_dict({"indicators": ["total_spend", "clv"]})
    # a clv metric (a plugin) whose state is not BG/NBD + Gamma-Gamma: no tiers by default
    assert _potential.fit(auto, inputs, raw, {"clv": {"model": "other"}}) is None

    class Fake:
        origin = "plugin fake: fake:clv"

        def fit_state(self, inputs: Any, *, seed: Any = None) -> dict[str, Any]:
            return {"model": "other"}

    monkeypatch.setattr(_potential, "get_metric", lambda name: Fake())
    explicit = ScorecardConfig.from_dict({"indicators": ["total_spend"], "value_potential": True})
    with pytest.raises(ValidationError, match=r"plugin fake.*\n.*value_potential=False"):
        _potential.fit(explicit, inputs, raw, {})

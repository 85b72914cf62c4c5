"""Tests of segmentation.value_potential_tiers (value x potential grid with actions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custloyalty import rfm_summary
from custloyalty.datasets import load_cdnow
from custloyalty.errors import ValidationError
from custloyalty.models import BetaGeo, GammaGamma, clv
from custloyalty.segmentation import ACTIONS, ValuePotentialGrid, value_potential_tiers

END = "1997-09-30"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_cdnow("sample")


def test_potential_is_the_model_clv(sample) -> None:
    res = value_potential_tiers(sample, observation_end=END, horizon=6)
    summary = rfm_summary(sample, observation_end=END, time_unit="W")
    bg = BetaGeo().fit(summary)
    gg = GammaGamma().fit(summary[(summary["frequency"] > 0) & (summary["monetary"] > 0)])
    expected = clv(bg, gg, summary, horizon=6, discount_rate=0.01, time_unit="W")
    np.testing.assert_allclose(res.customers["potential"], expected.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(res.customers["total_spend"], summary["total_amount"])
    assert res.horizon == 6
    assert res.model == "bg_nbd"


def test_quantile_grid_and_actions(sample) -> None:
    res = value_potential_tiers(sample, observation_end=END)
    c = res.customers
    assert res.counts.to_numpy().sum() == len(c) == 2357
    # median split on each axis: about half the customers on each side
    assert abs((c["value_level"] == "high").mean() - 0.5) < 0.02
    assert abs((c["potential_level"] == "high").mean() - 0.5) < 0.02
    high_v = c["total_spend"] >= res.value_thresholds[0]
    assert (high_v == (c["value_level"] == "high")).all()
    hh = (c["value_level"] == "high") & (c["potential_level"] == "high")
    assert (c.loc[hh, "action"] == "retain").all()
    lh = (c["value_level"] == "low") & (c["potential_level"] == "high")
    assert (c.loc[lh, "action"] == "develop").all()
    assert res.counts.loc["low", "high"] == int(lh.sum())
    assert res.actions.loc["high", "low"] == "maintain"
    assert res.actions.loc["low", "low"] == "harvest"
    assert (c["potential"] >= 0).all()


def test_fixed_thresholds_and_custom_actions(sample) -> None:
    res = value_potential_tiers(
        sample,
        observation_end=END,
        value_thresholds=[100.0],
        potential_thresholds=[50.0],
        actions={("low", "low"): "win back"},
    )
    c = res.customers
    assert ((c["total_spend"] >= 100) == (c["value_level"] == "high")).all()
    assert ((c["potential"] >= 50) == (c["potential_level"] == "high")).all()
    assert "win back" in set(c["action"])
    assert "harvest" not in set(c["action"])


def test_prefitted_models_give_the_same_grid(sample) -> None:
    summary = rfm_summary(sample, observation_end=END, time_unit="W")
    bg = BetaGeo().fit(summary)
    gg = GammaGamma().fit(summary[(summary["frequency"] > 0) & (summary["monetary"] > 0)])
    a = value_potential_tiers(sample, observation_end=END)
    b = value_potential_tiers(sample, observation_end=END, model=bg, spend_model=gg)
    pd.testing.assert_frame_equal(a.counts, b.counts)


def test_cdnow_master_three_levels() -> None:
    # issue 15: value x potential tiers run on CDNOW master
    tx = load_cdnow("master")
    res = value_potential_tiers(tx, observation_end="1998-06-30", levels=3)
    assert res.counts.shape == (3, 3)
    assert res.counts.to_numpy().sum() == 23570
    assert set(res.customers["action"]) == set(ACTIONS[3].values())
    # terciles of current value: about a third of the customers per value level
    shares = res.customers["value_level"].value_counts(normalize=True)
    assert (abs(shares - 1 / 3) < 0.03).all()
    # value and potential agree more often than not (repeat buyers are worth more)
    assert res.counts.loc["high", "high"] > res.counts.loc["high", "low"]
    assert res.counts.loc["low", "low"] > res.counts.loc["low", "high"]


def test_errors(sample) -> None:
    with pytest.raises(ValidationError, match="levels"):
        value_potential_tiers(sample, levels=4)
    with pytest.raises(ValidationError, match="horizon"):
        value_potential_tiers(sample, horizon=0)
    with pytest.raises(ValidationError, match="value_thresholds"):
        value_potential_tiers(sample, value_thresholds=[10.0, 5.0], levels=3)
    with pytest.raises(ValidationError, match="potential_thresholds"):
        value_potential_tiers(sample, potential_thresholds=[10.0, 20.0])
    with pytest.raises(ValidationError, match="cell"):
        value_potential_tiers(sample, actions={("medium", "low"): "x"})
    with pytest.raises(ValidationError, match="model"):
        value_potential_tiers(sample, model="sbg")
    with pytest.raises(ValidationError, match="spend_model"):
        value_potential_tiers(sample, spend_model="gg")


def test_plot(sample) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from custloyalty.plotting import plot_value_potential

    res = value_potential_tiers(sample, observation_end=END)
    ax = plot_value_potential(res)
    assert ax.get_xlabel().startswith("potential")
    assert len(ax.texts) == res.counts.size  # one label per cell, not one mark per customer
    plt.close(ax.figure)


@pytest.fixture(scope="module")
def fitted(sample):
    return value_potential_tiers(sample, observation_end=END, levels=3)


@settings(max_examples=10, deadline=None)
@given(
    v=st.lists(st.floats(0, 500), min_size=2, max_size=2, unique=True),
    p=st.lists(st.floats(0, 200), min_size=2, max_size=2, unique=True),
)
def test_fixed_thresholds_property(sample, fitted, v, p) -> None:
    v, p = sorted(v), sorted(p)
    res = value_potential_tiers(
        sample,
        observation_end=END,
        levels=3,
        value_thresholds=v,
        potential_thresholds=p,
        model="bg_nbd",
    )
    c = res.customers
    np.testing.assert_allclose(c["potential"], fitted.customers["potential"])
    code = c["value_level"].cat.codes.to_numpy()
    expected = (c["total_spend"].to_numpy()[:, None] >= np.array(v)).sum(axis=1)
    np.testing.assert_array_equal(code, expected)
    assert res.counts.to_numpy().sum() == len(c)


def test_zero_repeat_spend_follows_the_one_rule(sample) -> None:
    """A repeat customer whose repeat purchases cost $0: left out of the spend fit and valued
    at the model's limit, exactly as the scorecard's clv indicator does (no floor)."""
    tx = sample.copy()
    base = rfm_summary(tx, observation_end=END)
    ids = base.index[base["frequency"] > 0][:3].tolist()
    first = tx.groupby("customer_id")["date"].transform("min")
    free = tx["customer_id"].isin(ids) & (tx["date"] > first)
    tx.loc[free, "amount"] = 0.0
    res = value_potential_tiers(tx, observation_end=END, horizon=12)
    summary = rfm_summary(tx, observation_end=END, time_unit="W")
    assert (summary.loc[ids, "monetary"] == 0).all()
    assert (summary.loc[ids, "frequency"] > 0).all()
    bg = BetaGeo().fit(summary)
    gg = GammaGamma().fit(summary)
    assert gg.n_excluded_ == int((summary["frequency"] == 0).sum()) + 3
    expected = clv(bg, gg, summary, horizon=12, discount_rate=0.01, time_unit="W")
    np.testing.assert_allclose(res.customers["potential"], expected.to_numpy(), rtol=1e-6)
    assert (res.customers.loc[ids, "potential"] > 0).all()


@pytest.mark.parametrize("levels", [[2], {}, "2", 2.0])
def test_from_dict_refuses_levels_of_another_type(levels: object) -> None:
    state = ValuePotentialGrid().fit([10.0, 20.0, 30.0, 40.0], [5.0, 1.0, 8.0, 2.0]).to_dict()
    state["levels"] = levels
    with pytest.raises(ValidationError, match="levels must be 2 or 3"):
        ValuePotentialGrid.from_dict(state)


# -- round 3 of the hostile battery (issue 13) --------------------------------------------
def test_grid_checks_what_it_fits_and_assigns() -> None:
    grid = ValuePotentialGrid()
    for v, p, match in (
        (["a"], [1.0], "non-numeric"),
        ([True, False], [1.0, 2.0], "boolean"),
        ([1.0, 2.0], [1.0], "got 2 values and 1 potentials"),
        ([1.0, np.inf], [1.0, 2.0], "infinite"),
    ):
        with pytest.raises(ValidationError, match=match):
            grid.fit(v, p)
    grid.fit([10.0, 20.0, 30.0, 40.0], [5.0, 1.0, 8.0, 2.0])
    with pytest.raises(ValidationError, match="has 1 labels for 2 customers"):
        grid.assign([1.0, 2.0], [1.0, 2.0], index=["a"])


def test_two_series_are_matched_by_customer() -> None:
    grid = ValuePotentialGrid().fit([10.0, 20.0, 30.0, 40.0], [5.0, 1.0, 8.0, 2.0])
    value = pd.Series([35.0, 5.0], index=["a", "b"])
    by_label = grid.assign(value, pd.Series([9.0, 0.0], index=["b", "a"]))
    in_order = grid.assign(value, pd.Series([0.0, 9.0], index=["a", "b"]))
    assert by_label.equals(in_order)
    with pytest.raises(ValidationError, match="Series of different customers"):
        grid.assign(value, pd.Series([0.0, 9.0], index=["a", "z"]))


def test_actions_must_be_text() -> None:
    for name in (None, ["x"], "", 5):
        with pytest.raises(ValidationError, match="an action is a non-empty text"):
            ValuePotentialGrid(actions={("high", "low"): name})  # type: ignore[dict-item]


def test_grid_state_round_trips_unfitted_and_refuses_edits() -> None:
    import json

    assert not hasattr(
        ValuePotentialGrid.from_json(ValuePotentialGrid().to_json()), "value_thresholds_"
    )
    fitted = ValuePotentialGrid(value_thresholds=[25.0]).fit([10.0, 40.0], [1.0, 2.0])
    state = json.loads(fitted.to_json())
    with pytest.raises(ValidationError, match="differ from the fixed value_thresholds"):
        ValuePotentialGrid.from_dict({**state, "fitted_value_thresholds": [30.0]})
    with pytest.raises(ValidationError, match="unknown key 'actons'"):
        ValuePotentialGrid.from_dict({**state, "actons": []})


def test_no_customer_observed_before_the_last_day_is_explained() -> None:
    tx = pd.DataFrame({"customer_id": [1, 2], "date": "2024-05-01", "amount": 3.0})
    with pytest.raises(ValidationError, match=r"first purchase on the last day.*\nHint"):
        value_potential_tiers(tx)

"""The default scorecard uses ``engagement`` when interactions are given (issue 15)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from custloyalty.datasets import load_cdnow, make_interactions
from custloyalty.scorecard import DEFAULT_INDICATORS, LoyaltyScorecard

END = "1998-06-30"


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return load_cdnow("sample")


@pytest.fixture(scope="module")
def contacts(tx: pd.DataFrame) -> pd.DataFrame:
    # two thirds of the customers interact in the last year of the window
    ids = tx["customer_id"].drop_duplicates().iloc[::3].to_numpy()
    rest = tx["customer_id"].drop_duplicates().iloc[1::3].to_numpy()
    return make_interactions(
        seed=5, customer_ids=np.concatenate([ids, rest]), start="1997-07-01", days=365
    )


def _card(**kw: object) -> LoyaltyScorecard:
    return LoyaltyScorecard(seed=1, **kw)  # type: ignore[arg-type]


def test_engagement_is_a_default_indicator() -> None:
    assert "engagement" in DEFAULT_INDICATORS
    names = [i.name for i in LoyaltyScorecard().config.indicators]
    assert names[-1] == "engagement"


def test_without_interactions_engagement_is_left_out(tx: pd.DataFrame) -> None:
    res = _card().fit_score(tx, observation_end=END)
    assert "engagement" not in res.customers
    assert "engagement" not in res.weights.index


def test_fit_with_interactions_gives_an_engagement_column_and_weight(
    tx: pd.DataFrame, contacts: pd.DataFrame
) -> None:
    res = _card().fit_score(tx, interactions=contacts, observation_end=END)
    cust = res.customers
    assert res.weights["engagement"] > 0
    assert res.weights.sum() == pytest.approx(1.0)
    interacted = cust.index.isin(contacts["customer_id"])
    assert cust.loc[interacted, "engagement"].between(0, 100).all()
    # missing = did not interact: no value, no contribution, composite over the others
    others = cust.loc[~interacted]
    assert len(others) > 0
    assert others["engagement"].isna().all()
    assert (others["contrib_engagement"] == 0).all()
    w = res.weights.drop("engagement")
    z = others[[f"norm_{n}" for n in w.index]].to_numpy()
    np.testing.assert_allclose(
        others["composite"].to_numpy(), z @ w.to_numpy() / w.sum() * 100, atol=1e-9
    )


def test_score_without_interactions_uses_the_fitted_rule(
    tx: pd.DataFrame, contacts: pd.DataFrame
) -> None:
    # renormalise (default): everybody scored on the transaction indicators, weights of the fit
    card = _card().fit(tx, interactions=contacts, observation_end=END)
    res = card.score(tx, observation_end=END)
    assert res.customers["engagement"].isna().all()
    pd.testing.assert_series_equal(res.weights, card.weights_)
    assert res.customers["composite"].between(0, 100).all()
    # segment: the fitted imputation fills the normalised engagement of everybody
    seg = _card(missing="segment").fit(tx, interactions=contacts, observation_end=END)
    assert set(seg.imputation_) == {"engagement"}
    out = seg.score(tx, observation_end=END).customers
    assert out["engagement"].isna().all()
    filled = out["norm_engagement"].to_numpy()
    assert np.isfinite(filled).all()
    assert set(np.round(filled, 12)) <= set(np.round(seg.imputation_["engagement"], 12))
    # and the saved state carries engagement and its imputation
    again = LoyaltyScorecard.from_dict(json.loads(json.dumps(seg.to_dict())))
    pd.testing.assert_frame_equal(again.score(tx, observation_end=END).customers, out)

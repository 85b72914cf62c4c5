"""The scorecard on Dask: fit on a hash sample of customers, score per customer bucket."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from custloyalty._engines import _dask
from custloyalty.datasets import make_survey
from custloyalty.errors import ValidationError
from custloyalty.scorecard import LoyaltyScorecard

dd = pytest.importorskip("dask.dataframe")

END = "1998-06-30"


@pytest.fixture(scope="module")
def surveys(cdnow_master: pd.DataFrame) -> pd.DataFrame:
    ids = cdnow_master["customer_id"].drop_duplicates().sample(3000, random_state=0)
    return make_survey(3000, seed=0, customer_ids=ids.to_numpy())


@pytest.fixture(scope="module")
def card(cdnow_master: pd.DataFrame, surveys: pd.DataFrame) -> Any:
    return LoyaltyScorecard().fit(cdnow_master, surveys, observation_end=END)


def test_scoring_a_dask_frame_equals_in_memory_scoring(
    cdnow_master: pd.DataFrame, surveys: pd.DataFrame, card: Any
) -> None:
    ref = card.score(cdnow_master, surveys, observation_end=END)
    ddf = dd.from_pandas(cdnow_master.sample(frac=1.0, random_state=3), npartitions=4)
    res = _dask.score_scorecard(card, ddf, surveys, observation_end=END)
    assert isinstance(res.customers, dd.DataFrame)
    got = res.customers.compute().sort_index()
    assert got.index.equals(ref.customers.index)
    assert list(got.columns) == list(ref.customers.columns)
    np.testing.assert_allclose(got["composite"], ref.customers["composite"], rtol=0, atol=1e-9)
    assert (got["tier"].astype(str) == ref.customers["tier"].astype(str)).all()
    for key in (
        "customers",
        "respondents",
        "tier_sizes",
        "repeat_purchase_rate",
        "mean_frequency",
        "mean_monetary",
        "composite_mean",
        "nps",
        "satisfaction_index",
        "survey_answers_without_transactions",
        "churn_rate",
    ):
        if key in ref.summary:
            assert res.summary[key] == ref.summary[key], key
    assert abs(res.summary["composite_median"] - ref.summary["composite_median"]) <= 0.011


def test_fit_on_a_hash_sample_of_customers(
    cdnow_master: pd.DataFrame, surveys: pd.DataFrame
) -> None:
    ddf = dd.from_pandas(cdnow_master, npartitions=3)
    fitted = _dask.fit_scorecard(
        LoyaltyScorecard(), ddf, surveys, observation_end=END, sample_customers=0.3, seed=7
    )
    keep = _dask.in_sample(cdnow_master["customer_id"], 0.3, 7).to_numpy()
    sample = cdnow_master.loc[keep]
    assert 0.25 < sample["customer_id"].nunique() / cdnow_master["customer_id"].nunique() < 0.35
    sv = surveys.loc[_dask.in_sample(surveys["customer_id"], 0.3, 7).to_numpy()]
    ref = LoyaltyScorecard().fit(sample, sv, observation_end=END)
    assert fitted.to_dict() == ref.to_dict()
    again = _dask.fit_scorecard(
        LoyaltyScorecard(),
        dd.from_pandas(cdnow_master, npartitions=5),
        surveys,
        observation_end=END,
        sample_customers=0.3,
        seed=7,
    )
    assert again.to_dict() == fitted.to_dict()  # deterministic: the partitioning does not matter


@pytest.mark.parametrize("share", [0, 1.5, True, "0.1"])
def test_sample_share_is_checked(cdnow_master: pd.DataFrame, share: Any) -> None:
    with pytest.raises(ValidationError, match="sample_customers"):
        _dask.fit_scorecard(
            LoyaltyScorecard(),
            dd.from_pandas(cdnow_master, npartitions=2),
            observation_end=END,
            sample_customers=share,
        )


def test_scoring_needs_observation_end(cdnow_master: pd.DataFrame, card: Any) -> None:
    with pytest.raises(ValidationError, match="needs observation_end"):
        _dask.score_scorecard(
            card, dd.from_pandas(cdnow_master, npartitions=2), observation_end=None
        )

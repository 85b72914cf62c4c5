"""Customer-bucket helpers (pandas only, for Spark's applyInPandas): buckets add up to the whole."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import custloyalty as cl
from custloyalty.datasets import load_cdnow, make_survey
from custloyalty.errors import ValidationError
from custloyalty.scorecard import LoyaltyScorecard, ScorecardSummary

END = "1998-06-30"


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return load_cdnow("sample")


@pytest.fixture(scope="module")
def surveys(tx: pd.DataFrame) -> pd.DataFrame:
    ids = tx["customer_id"].drop_duplicates().sample(600, random_state=1).to_numpy()
    return make_survey(600, seed=1, customer_ids=ids)


@pytest.fixture(scope="module")
def card(tx: pd.DataFrame, surveys: pd.DataFrame) -> Any:
    return LoyaltyScorecard().fit(tx, surveys, observation_end=END)


def test_customer_bucket_is_a_function_of_the_id_and_the_seed() -> None:
    ids = pd.Series(np.arange(5000))
    a = cl.customer_bucket(ids, 16)
    assert a.equals(cl.customer_bucket(ids.sample(frac=1.0, random_state=0), 16).sort_index())
    assert cl.customer_bucket(ids, 16, seed=0).equals(a)  # None and 0: the same assignment
    seeded = cl.customer_bucket(ids, 16, seed=5)
    assert (seeded != a).mean() > 0.8  # numbers too: the seed changes the assignment
    assert seeded.equals(cl.customer_bucket(ids, 16, seed=5))
    assert np.bincount(seeded, minlength=16).min() > 200  # balanced
    words = pd.Series([f"c{i}" for i in range(2000)])
    assert (cl.customer_bucket(words, 16, seed=5) != cl.customer_bucket(words, 16)).mean() > 0.8


@given(n_buckets=st.integers(1, 9), seed=st.integers(-5, 5))
@settings(deadline=None, max_examples=10)
def test_bucket_scores_stack_to_the_whole_scores(
    tx: pd.DataFrame, surveys: pd.DataFrame, card: Any, n_buckets: int, seed: int
) -> None:
    ref = card.score(tx, surveys, observation_end=END).customers
    bucket = cl.customer_bucket(tx["customer_id"], n_buckets, seed=seed).to_numpy()
    parts = [
        cl.bucket_scores(card, tx[bucket == b], surveys, observation_end=END)
        for b in range(n_buckets)
    ]
    got = pd.concat(parts).set_index("customer_id").sort_index()
    assert got.index.equals(ref.index)
    pd.testing.assert_frame_equal(
        got.drop(columns="tier"), ref.drop(columns="tier"), check_exact=False, rtol=0, atol=1e-9
    )
    assert (got["tier"].to_numpy() == ref["tier"].astype(object).to_numpy()).all()


def test_bucket_totals_add_up_to_the_summary(
    tx: pd.DataFrame, surveys: pd.DataFrame, card: Any
) -> None:
    ref = card.score(tx, surveys, observation_end=END)
    bucket = cl.customer_bucket(tx["customer_id"], 4).to_numpy()
    totals = [
        card.score_bucket(
            tx[bucket == b],
            surveys[cl.customer_bucket(surveys["customer_id"], 4).to_numpy() == b],
            observation_end=END,
        ).totals
        for b in range(4)
    ]
    total = totals[0] + totals[1] + totals[2] + totals[3]
    got = ScorecardSummary.from_totals(total, ref.observation_end)
    for key, value in ref.summary.figures().items():
        if isinstance(value, float):
            assert got.figures()[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert got.figures()[key] == value, key


def test_a_bucket_without_customers_in_the_window_gives_no_rows(
    tx: pd.DataFrame, card: Any
) -> None:
    late = tx[tx["date"] > "1997-03-01"]
    late = late[~late["customer_id"].isin(tx.loc[tx["date"] <= "1997-03-01", "customer_id"])]
    out = cl.bucket_scores(card, late, observation_end="1997-03-01")
    full = cl.bucket_scores(card, tx, observation_end=END)
    assert len(out) == 0
    assert list(out.columns) == list(full.columns)
    with pytest.raises(ValidationError, match="needs observation_end"):
        cl.bucket_scores(card, tx, observation_end=None)

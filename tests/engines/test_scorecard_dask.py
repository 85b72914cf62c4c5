"""The scorecard on Dask: fit on a hash sample of customers, score per customer bucket."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from custloyalty import customer_bucket
from custloyalty._engines import _dask
from custloyalty.datasets import make_survey
from custloyalty.errors import ValidationError
from custloyalty.scorecard import LoyaltyScorecard, ScorecardResult

dd = pytest.importorskip("dask.dataframe")

END = "1998-06-30"


@pytest.fixture(scope="module")
def surveys(cdnow_master: pd.DataFrame) -> pd.DataFrame:
    ids = (
        cdnow_master["customer_id"].drop_duplicates().sample(3000, random_state=0).to_numpy().copy()
    )
    ids[:40] = np.arange(10**6, 10**6 + 40)  # answers of customers without transactions
    return make_survey(3000, seed=0, customer_ids=ids)


@pytest.fixture(scope="module")
def card(cdnow_master: pd.DataFrame, surveys: pd.DataFrame) -> Any:
    return LoyaltyScorecard(missing="segment").fit(cdnow_master, surveys, observation_end=END)


def _assert_same_summary(got: ScorecardResult, ref: ScorecardResult) -> None:
    a, b = got.summary.figures(), ref.summary.figures()
    assert a.keys() == b.keys()
    for key, value in b.items():
        if isinstance(value, float) and not isinstance(value, bool):
            # sums added bucket by bucket: the same numbers summed in another order
            assert math.isclose(a[key], value, rel_tol=1e-12, abs_tol=1e-12), key
        else:
            assert a[key] == value, key


def _assert_same_customers(got: pd.DataFrame, ref: pd.DataFrame) -> None:
    got = got.sort_index()
    assert got.index.equals(ref.index)
    assert list(got.columns) == list(ref.columns)
    assert got.dtypes.equals(ref.dtypes)
    np.testing.assert_allclose(got["composite"], ref["composite"], rtol=0, atol=1e-9)
    assert got["tier"].equals(ref["tier"])
    pd.testing.assert_frame_equal(got, ref, check_exact=False, rtol=0, atol=1e-9)


@pytest.mark.parametrize("npartitions", [1, 4, 7])
def test_scoring_a_dask_frame_equals_in_memory_scoring(
    cdnow_master: pd.DataFrame, surveys: pd.DataFrame, card: Any, npartitions: int
) -> None:
    ref = card.score(cdnow_master, surveys, observation_end=END)
    shuffled = cdnow_master.sample(frac=1.0, random_state=npartitions).reset_index(drop=True)
    ddf = dd.from_pandas(shuffled, npartitions=npartitions)
    res = card.score(ddf, surveys, observation_end=END)
    assert isinstance(res, ScorecardResult)
    assert isinstance(res.customers, dd.DataFrame)
    assert list(res.customers.columns) == list(ref.customers.columns)
    assert res.customers.dtypes.equals(ref.customers.dtypes)  # the lazy frame's schema
    _assert_same_customers(res.customers.compute(), ref.customers)
    _assert_same_summary(res, ref)
    assert res.summary.survey_answers_without_transactions == 40
    assert res.weights.equals(ref.weights)
    assert res.observation_end == ref.observation_end


def test_without_surveys_and_a_later_window(cdnow_master: pd.DataFrame, card: Any) -> None:
    # customers whose first purchase falls after the window: whole buckets may be empty
    end = "1997-02-15"
    ref = card.score(cdnow_master, observation_end=end)
    res = card.score(dd.from_pandas(cdnow_master, npartitions=6), observation_end=end)
    _assert_same_customers(res.customers.compute(), ref.customers)
    _assert_same_summary(res, ref)


def test_customer_bucket_partitions_need_no_shuffle(
    cdnow_master: pd.DataFrame, surveys: pd.DataFrame, card: Any
) -> None:
    ref = card.score(cdnow_master, surveys, observation_end=END)
    bucket = customer_bucket(cdnow_master["customer_id"], 5).to_numpy()
    parts = [cdnow_master[bucket == b] for b in range(5)]
    ddf = dd.from_delayed([_delayed(p) for p in parts], meta=cdnow_master.iloc[:0])
    res = card.score(ddf, surveys, observation_end=END, partitioned_by_customer=True)
    assert res.customers.npartitions == 5
    _assert_same_customers(res.customers.compute(), ref.customers)
    _assert_same_summary(res, ref)


def _delayed(frame: pd.DataFrame) -> Any:
    import dask

    return dask.delayed(frame)


def test_partitioned_by_customer_is_checked(cdnow_master: pd.DataFrame, card: Any) -> None:
    rows = cdnow_master.sample(frac=1.0, random_state=1).reset_index(drop=True)
    ddf = dd.from_pandas(rows, npartitions=3)
    res_lazy = None
    with pytest.raises(ValidationError, match="span several partitions"):
        res_lazy = card.score(ddf, observation_end=END, partitioned_by_customer=True)
    assert res_lazy is None
    with pytest.raises(ValidationError, match="Dask DataFrames only"):
        card.score(cdnow_master, observation_end=END, partitioned_by_customer=True)


def test_writing_scores_to_parquet(cdnow_master: pd.DataFrame, card: Any, tmp_path: Any) -> None:
    pytest.importorskip("pyarrow")
    ref = card.score(cdnow_master, observation_end=END).customers
    res = card.score(dd.from_pandas(cdnow_master, npartitions=3), observation_end=END)
    # ids as a column (readable by any engine; Dask's index writer warns under pandas 3.1)
    res.customers.reset_index().to_parquet(tmp_path / "scores", write_index=False)
    back = pd.read_parquet(tmp_path / "scores").set_index("customer_id")
    _assert_same_customers(back, ref)


def test_fit_on_a_hash_sample_of_customers(
    cdnow_master: pd.DataFrame, surveys: pd.DataFrame
) -> None:
    ddf = dd.from_pandas(cdnow_master, npartitions=3)
    fitted = LoyaltyScorecard().fit(ddf, surveys, observation_end=END, sample_customers=0.3, seed=7)
    keep = _dask.in_sample(cdnow_master["customer_id"], 0.3, 7).to_numpy()
    sample = cdnow_master.loc[keep]
    assert 0.25 < sample["customer_id"].nunique() / cdnow_master["customer_id"].nunique() < 0.35
    sv = surveys.loc[_dask.in_sample(surveys["customer_id"], 0.3, 7).to_numpy()]
    ref = LoyaltyScorecard().fit(sample, sv, observation_end=END)
    assert fitted.to_dict() == ref.to_dict()
    again = LoyaltyScorecard().fit(
        dd.from_pandas(
            cdnow_master.sample(frac=1.0, random_state=2).reset_index(drop=True), npartitions=5
        ),
        surveys,
        observation_end=END,
        sample_customers=0.3,
        seed=7,
    )
    assert again.to_dict() == fitted.to_dict()  # the partitioning and row order do not matter
    in_memory = LoyaltyScorecard().fit(
        cdnow_master, surveys, observation_end=END, sample_customers=0.3, seed=7
    )
    assert in_memory.to_dict() == fitted.to_dict()  # pandas sampled on request: the same fit
    other = LoyaltyScorecard().fit(ddf, observation_end=END, sample_customers=0.3, seed=8)
    assert (
        other.to_dict()
        != LoyaltyScorecard().fit(ddf, observation_end=END, sample_customers=0.3, seed=7).to_dict()
    )


def test_default_sample_is_a_tenth(cdnow_master: pd.DataFrame) -> None:
    ddf = dd.from_pandas(cdnow_master, npartitions=2)
    fitted = LoyaltyScorecard(["frequency", "recency"]).fit(ddf, observation_end=END)
    n = cdnow_master["customer_id"].nunique()
    assert 0.08 * n < fitted.n_customers_ < 0.12 * n


@pytest.mark.parametrize("share", [0, 1.5, True, "0.1", 1e-9])
def test_sample_share_is_checked(cdnow_master: pd.DataFrame, share: Any) -> None:
    with pytest.raises(ValidationError, match="sample_customers"):
        LoyaltyScorecard().fit(
            dd.from_pandas(cdnow_master, npartitions=2),
            observation_end=END,
            sample_customers=share,
        )


def test_fit_refusals(cdnow_master: pd.DataFrame) -> None:
    ddf = dd.from_pandas(cdnow_master, npartitions=2)
    with pytest.raises(ValidationError, match="needs observation_end"):
        LoyaltyScorecard().fit(ddf)
    with pytest.raises(ValidationError, match="needs observation_end"):
        LoyaltyScorecard().fit(cdnow_master, sample_customers=0.5)
    with pytest.raises(ValidationError, match="seed= chooses the hash sample"):
        LoyaltyScorecard().fit(cdnow_master, observation_end=END, seed=3)
    missing = cdnow_master.astype({"customer_id": "float64"})
    missing.loc[missing.index[:3], "customer_id"] = np.nan
    with pytest.raises(ValidationError, match="customer_id"):  # kept in the sample, then refused
        LoyaltyScorecard().fit(
            dd.from_pandas(missing, npartitions=2), observation_end=END, sample_customers=0.01
        )


def test_scoring_refusals(cdnow_master: pd.DataFrame, card: Any) -> None:
    ddf = dd.from_pandas(cdnow_master, npartitions=2)
    with pytest.raises(ValidationError, match="needs observation_end"):
        card.score(ddf)
    with pytest.raises(ValidationError, match="date_format"):
        card.score(ddf, observation_end=END, date_format="%Y-%m-%d")
    with pytest.raises(ValidationError, match="dropna"):
        card.score(ddf, observation_end=END, nan_policy="omit")
    with pytest.raises(ValidationError, match="amount"):
        card.score(ddf[["customer_id", "date"]], observation_end=END)


def test_two_worker_cluster(
    local_cluster: Any, cdnow_master: pd.DataFrame, surveys: pd.DataFrame, card: Any
) -> None:
    """Integration: the fitted card and the surveys travel to two worker processes."""
    ref = card.score(cdnow_master, surveys, observation_end=END)
    rows = cdnow_master.sample(frac=1.0, random_state=5).reset_index(drop=True)
    with local_cluster.as_current():  # the distributed (p2p) shuffle
        res = card.score(dd.from_pandas(rows, npartitions=4), surveys, observation_end=END)
        got = res.customers.compute(scheduler=local_cluster)
    _assert_same_customers(got, ref.customers)
    _assert_same_summary(res, ref)


def test_value_potential_columns_on_dask_equal_in_memory(cdnow_master: pd.DataFrame) -> None:
    card = LoyaltyScorecard(["purchase_days", "total_spend", "clv"], seed=0).fit(
        cdnow_master, observation_end=END
    )
    ref = card.score(cdnow_master, observation_end=END)
    res = card.score(dd.from_pandas(cdnow_master, npartitions=4), observation_end=END)
    cols = ["total_spend", "potential", "value_level", "potential_level", "action"]
    assert set(cols) <= set(res.customers.columns)
    assert res.customers.dtypes.equals(ref.customers.dtypes)
    _assert_same_customers(res.customers.compute(), ref.customers)
    _assert_same_summary(res, ref)
    assert res.summary.value_potential_counts == ref.summary.value_potential_counts
    vp, vp_ref = res.value_potential, ref.value_potential
    assert vp is not None
    assert vp_ref is not None
    assert isinstance(vp.customers, dd.DataFrame)  # lazy, like res.customers
    pd.testing.assert_frame_equal(vp.counts, vp_ref.counts)
    assert vp.potential_thresholds == vp_ref.potential_thresholds


def test_a_lazy_result_shows_itself_without_scoring_everything(
    cdnow_master: pd.DataFrame, card: Any
) -> None:
    from dask.callbacks import Callback

    ddf = dd.from_pandas(cdnow_master, npartitions=4)
    res = card.score(ddf, observation_end=END)
    graphs: list[int] = []

    class Count(Callback):  # type: ignore[misc]
        def _start(self, dsk: Any) -> None:
            graphs.append(len(dsk))

    with Count():
        text = repr(res)
        page = res._repr_html_()
    assert "lazy DataFrame" in text
    assert "Scalar" not in text
    assert f"{res.summary.customers:,} customers" in page
    assert len(graphs) == 1  # the first rows only (head), not a len() of the whole table

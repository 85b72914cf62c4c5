"""Tests of the exploratory k-means segmentation."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from custloyalty.errors import ConvergenceError, ValidationError
from custloyalty.segmentation import kmeans_elbow, kmeans_segments, rfm_scores


@pytest.fixture(scope="module")
def cdnow_small(cdnow_master_summary: pd.DataFrame) -> pd.DataFrame:
    return cdnow_master_summary.sample(3000, random_state=3)


def test_seeded_reproducible_and_ordered(cdnow_small: pd.DataFrame) -> None:
    a = kmeans_segments(cdnow_small, k=4, seed=7, n_init=3)
    b = kmeans_segments(cdnow_small, k=4, seed=7, n_init=3)
    pd.testing.assert_series_equal(a.labels, b.labels)
    assert a.labels.index.equals(cdnow_small.index)
    assert a.centers["n_customers"].sum() == len(cdnow_small)
    # cluster 0 is the best: more recent, more frequent and bigger spenders than the last one
    c = a.centers
    assert c.loc[0, "mean_days_since_last"] < c.loc[3, "mean_days_since_last"]
    assert c.loc[0, "mean_frequency"] > c.loc[3, "mean_frequency"]
    assert c.loc[0, "mean_monetary"] > c.loc[3, "mean_monetary"]
    # the best cluster scores higher on the RFM scores too
    sc = rfm_scores(cdnow_small)
    best, worst = sc[a.labels == 0], sc[a.labels == 3]
    assert (best[["R", "F", "M"]].mean() > worst[["R", "F", "M"]].mean()).all()
    assert a.to_dict()["k"] == 4


def test_elbow_inertia_decreases(cdnow_small: pd.DataFrame) -> None:
    t = kmeans_elbow(cdnow_small, ks=[1, 2, 3, 4], seed=0, n_init=3, sample_size=500)
    assert list(t.index) == [1, 2, 3, 4]
    assert np.all(np.diff(t["inertia"]) < 0)
    assert np.isnan(t.loc[1, "silhouette"])
    assert t["silhouette"].iloc[1:].between(-1, 1).all()


def test_silhouette_separated_blobs() -> None:
    rng = np.random.default_rng(0)
    n = 200
    days = np.r_[rng.integers(0, 5, n), rng.integers(300, 320, n)].astype(float)
    s = pd.DataFrame(
        {
            "recency": 400.0 - days,
            "T": 400.0,
            "n_purchases": np.r_[rng.integers(20, 25, n), rng.integers(1, 2, n)],
            "total_amount": np.r_[rng.uniform(900, 1000, n), rng.uniform(10, 12, n)],
        }
    )
    t = kmeans_elbow(s, ks=[2], seed=0)
    assert t.loc[2, "silhouette"] > 0.8
    lab = kmeans_segments(s, k=2).labels
    assert (lab[:n] == 0).all()
    assert (lab[n:] == 1).all()


def test_errors() -> None:
    s = pd.DataFrame(
        {"recency": [1.0, 2.0], "T": [3.0, 3.0], "n_purchases": [1, 2], "total_amount": [1.0, -1.0]}
    )
    with pytest.raises(ValidationError, match=">= 0"):
        kmeans_segments(s)
    with pytest.raises(ValidationError, match="k must"):
        kmeans_segments(s.assign(total_amount=1.0), k=5)


def test_identical_customers_only_convergence_error() -> None:
    # regression: scipy's k-means++ emitted one RuntimeWarning per start (10) before the
    # ConvergenceError; under filterwarnings=error the first warning used to escape instead
    one = pd.DataFrame(
        {"recency": [300.0], "T": [310.0], "n_purchases": [12], "total_amount": [900.0]}
    )
    same = pd.concat([one] * 6, ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ConvergenceError, match="only 1 distinct"):
            kmeans_segments(same, k=2)

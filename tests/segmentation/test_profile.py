"""Tests of segment_profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.segmentation import rfm_scores, rfm_segments, segment_profile


def test_cdnow_profile(cdnow_master_summary: pd.DataFrame) -> None:
    s = cdnow_master_summary
    sc = rfm_scores(s)
    seg = rfm_segments(sc)
    p = segment_profile(s, seg, scores=sc)
    assert list(p.index) == list(seg.cat.categories)
    assert p["n_customers"].sum() == len(s)
    np.testing.assert_allclose(p["customer_share"].sum(), 1.0)
    np.testing.assert_allclose(p["revenue_share"].sum(), 1.0)
    np.testing.assert_allclose(p["revenue"].sum(), s["total_amount"].sum())
    # Champions score higher than Lost on every dimension
    for k in ("R", "F", "M"):
        assert p.loc["Champions", f"mean_{k}"] > p.loc["Lost", f"mean_{k}"]
    # naive recomputation for one segment
    champs = s[seg == "Champions"]
    np.testing.assert_allclose(p.loc["Champions", "mean_n_purchases"], champs["n_purchases"].mean())


def test_errors_and_extra_columns() -> None:
    s = pd.DataFrame({"total_amount": [1.0, 2.0], "nps": [9.0, 3.0]}, index=["a", "b"])
    p = segment_profile(s, pd.Series(["x", "y"], index=["a", "b"]), columns=["nps"])
    assert p["mean_nps"].tolist() == [9.0, 3.0]
    with pytest.raises(ValidationError, match="not found"):
        segment_profile(s, pd.Series(["x"], index=["zz"]))
    with pytest.raises(ValidationError, match="'nope' not found"):
        segment_profile(s, pd.Series(["x"], index=["a"]), columns=["nope"])


def test_duplicated_customers_raise_instead_of_double_counting() -> None:
    # regression: labels indexed ["a", "a"] put a's revenue in both segments and dropped b
    s = pd.DataFrame({"total_amount": [10.0, 30.0]}, index=["a", "b"])
    with pytest.raises(ValidationError, match=r"labels .* 2 rows share 1 customer id: 'a'"):
        segment_profile(s, pd.Series(["x", "y"], index=["a", "a"]))
    with pytest.raises(ValidationError, match=r"index of summary .* 'a'"):
        segment_profile(pd.concat([s, s.iloc[:1]]), pd.Series(["x", "y"], index=["a", "b"]))
    sc = pd.DataFrame({"R": [1, 2], "F": [1, 2], "M": [1, 2]}, index=["b", "b"])
    with pytest.raises(ValidationError, match="index of scores"):
        segment_profile(s, pd.Series(["x", "y"], index=["a", "b"]), scores=sc)


def test_unindexed_labels_need_one_per_row() -> None:
    s = pd.DataFrame({"total_amount": [10.0, 30.0]}, index=["a", "b"])
    p = segment_profile(s, ["x", "y"])
    assert p["revenue"].tolist() == [10.0, 30.0]
    for bad in (["x"], ["x", "y", "z"], np.array([["x", "y"]]), "x"):
        with pytest.raises(ValidationError, match="one label per row of summary"):
            segment_profile(s, bad)
    with pytest.raises(ValidationError, match="one-dimensional"):
        segment_profile(s, pd.DataFrame({"seg": ["x", "y"]}, index=["a", "b"]))


def test_zero_total_revenue_gives_nan_share_with_warning() -> None:
    s = pd.DataFrame({"total_amount": [0.0, 0.0], "n_purchases": [1, 2]}, index=["a", "b"])
    with pytest.warns(UndefinedMetricWarning, match="revenue_share"):
        p = segment_profile(s, pd.Series(["x", "y"], index=["a", "b"]))
    assert p["revenue_share"].isna().all()
    assert p["revenue"].tolist() == [0.0, 0.0]
    assert p["customer_share"].tolist() == [0.5, 0.5]


def test_customers_without_a_label_are_refused_or_left_out_as_asked() -> None:
    # a NaN label was dropped silently: the biggest customer (160 of 300) left the revenue
    # total, and tier A showed 36% of the revenue instead of 17%
    s = pd.DataFrame(
        {"total_amount": [10.0, 40.0, 90.0, 160.0]},
        index=pd.Index([1, 2, 3, 4], name="customer_id"),
    )
    labels = pd.Series(["A", "A", "B", np.nan], index=s.index)
    with pytest.raises(ValidationError, match=r"1 of 4 customers of summary have no label") as e:
        segment_profile(s, labels)
    assert "nan_policy='omit'" in str(e.value)
    with pytest.raises(ValidationError, match="have no label"):
        segment_profile(s, labels.iloc[:3])  # customer 4 not in labels at all
    omitted = segment_profile(s, labels, nan_policy="omit")
    assert omitted["revenue_share"].tolist() == pytest.approx([50 / 140, 90 / 140])
    full = segment_profile(s, labels.fillna("none"))
    assert full.loc["A", "revenue_share"] == pytest.approx(50 / 300)

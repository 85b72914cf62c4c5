"""Tests of segment_profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custloyalty.errors import ValidationError
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

"""Tests of the SERVQUAL gap scores."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty.errors import ValidationError
from custloyalty.metrics import SERVQUAL_DIMENSIONS, servqual


def _tables(n: int = 50, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    cols = [f"q{i}" for i in range(1, 23)]
    p = pd.DataFrame(rng.integers(1, 8, (n, 22)), columns=cols)
    e = pd.DataFrame(rng.integers(3, 8, (n, 22)), columns=cols)
    return p, e


def test_standard_layout_by_position() -> None:
    p, e = _tables()
    r = servqual(p, e)
    assert list(r.dimensions.index) == list(SERVQUAL_DIMENSIONS)
    assert r.dimensions["n_items"].tolist() == [4, 5, 4, 4, 5]
    gap = p - e
    assert r.dimensions.loc["reliability", "gap"] == pytest.approx(
        gap[[f"q{i}" for i in range(5, 10)]].to_numpy().mean()
    )
    assert r.items.loc["q18", "dimension"] == "empathy"
    # unweighted SERVQUAL: mean of the five dimension gaps
    assert r.overall == pytest.approx(r.dimensions["gap"].mean())
    assert r.per_respondent["overall"].mean() == pytest.approx(r.overall)
    json.dumps(r.to_dict())


def test_weights_are_normalised() -> None:
    p, e = _tables()
    w = {"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20}
    r = servqual(p, e, dimension_weights=w)
    assert r.dimensions["weight"].sum() == pytest.approx(1.0)
    expected = sum(r.dimensions.loc[d, "gap"] * v / 100 for d, v in w.items())
    assert r.overall == pytest.approx(expected)
    same = servqual(p, e, dimension_weights={k: v / 10 for k, v in w.items()})
    assert same.overall == pytest.approx(r.overall)
    ones = servqual(p, e, dimension_weights=dict.fromkeys(w, 1.0))
    assert ones.overall == pytest.approx(servqual(p, e).overall)


def test_explicit_dimensions_and_row_matching() -> None:
    p = pd.DataFrame({"a": [5, 6, 7], "b": [4, 6, 2]}, index=["x", "y", "z"])
    e = pd.DataFrame({"a": [7, 7, 7], "b": [6, 6, 6]}, index=["z", "x", "y"])
    r = servqual(p, e, dimensions={"d1": ["a"], "d2": ["b"]})
    expected_a = np.mean([5 - 7, 6 - 7, 7 - 7])
    assert r.dimensions.loc["d1", "gap"] == pytest.approx(expected_a)
    assert list(r.per_respondent.index) == ["x", "y", "z"]


@given(st.integers(0, 10_000))
def test_row_order_invariance(seed: int) -> None:
    p, e = _tables(20, seed)
    order = np.random.default_rng(seed).permutation(len(p))
    a = servqual(p, e)
    b = servqual(p.iloc[order], e.iloc[order])
    assert a.overall == pytest.approx(b.overall)
    assert -6 <= a.overall <= 6


def test_validation() -> None:
    p, e = _tables()
    with pytest.raises(ValidationError, match="22 standard"):
        servqual(p.iloc[:, :10], e.iloc[:, :10])
    with pytest.raises(ValidationError, match="out-of-range"):
        servqual(p.assign(q1=9), e)
    with pytest.raises(
        ValidationError, match="labels of perceptions have no match in expectations"
    ):
        servqual(p, e.iloc[:10])
    with pytest.raises(ValidationError, match="one weight per dimension"):
        servqual(p, e, dimension_weights={"tangibles": 1})
    with pytest.raises(ValidationError, match="is in dimensions"):
        servqual(p, e, dimensions={"a": ["q1"], "b": ["q1"]})
    with pytest.raises(ValidationError, match="not found"):
        servqual(p, e, dimensions={"a": ["nope"]})


def test_nan_policy() -> None:
    p, e = _tables(10)
    p = p.astype(float)
    p.loc[3, "q2"] = np.nan
    with pytest.raises(ValidationError, match="missing"):
        servqual(p, e)
    r = servqual(p, e, nan_policy="omit")
    assert r.n == 9
    assert 3 not in r.per_respondent.index


# ------------------------------------------------------------------ audit regressions
def test_duplicate_labels_in_different_order_rejected() -> None:
    dims = {"d1": ["a"]}
    p = pd.DataFrame({"a": [5, 6, 7]}, index=["x", "x", "z"])
    e = pd.DataFrame({"a": [7, 7, 7]}, index=["z", "x", "x"])
    with pytest.raises(ValidationError, match=r"index of perceptions .* 2 rows share 1 label: 'x'"):
        servqual(p, e.set_axis(["z", "y", "x"]), dimensions=dims)
    with pytest.raises(
        ValidationError, match=r"index of expectations .* 2 rows share 1 label: 'x'"
    ):
        servqual(p.set_axis(["z", "y", "x"]), e, dimensions=dims)


def test_identical_duplicate_index_matched_by_position() -> None:
    dims = {"d1": ["a"], "d2": ["b"]}
    idx = ["x", "x", "z"]
    p = pd.DataFrame({"a": [5, 6, 7], "b": [1, 2, 3]}, index=idx)
    e = pd.DataFrame({"a": [7, 7, 6], "b": [3, 3, 3]}, index=idx)
    r = servqual(p, e, dimensions=dims)
    assert r.per_respondent["d1"].tolist() == [-2.0, -1.0, 1.0]
    assert r.per_respondent["d2"].tolist() == [-2.0, -1.0, 0.0]
    assert r.dimensions.loc["d1", "gap"] == pytest.approx(-2 / 3)
    assert list(r.per_respondent.index) == idx


def test_non_numeric_weights() -> None:
    p, e = _tables(5)
    dims = {"d1": ["q1"], "d2": ["q2"]}
    with pytest.raises(
        ValidationError,
        match=r"'dimension_weights' parameter of servqual must hold numbers; 1 are not "
        r"\(rows d1\): 'x'",
    ):
        servqual(p, e, dimensions=dims, dimension_weights={"d1": "x", "d2": 1})  # type: ignore[dict-item]

"""Tests of CSAT, CES and the ACSI-style satisfaction index."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from custloyalty.datasets import load_ecsi, make_survey
from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.metrics import ces, csat, csat_mean, satisfaction_index

SAT = ["sat1", "sat2", "sat3", "sat4"]


# ------------------------------------------------------------------ CSAT
def test_csat_top_box_and_wilson() -> None:
    x = [5, 4, 4, 3, 2, 5, 1, 4]
    r = csat(x)
    assert r.score == pytest.approx(62.5)
    assert r.mean == pytest.approx(3.5)
    # Wilson interval by hand: p = 5/8, n = 8, z = 1.96
    p, n, z = 5 / 8, 8, 1.959963984540054
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert r.ci == pytest.approx((100 * (centre - half), 100 * (centre + half)))
    json.dumps(r.to_dict())


def test_csat_top_box_width_and_scale() -> None:
    x = [1, 2, 3, 4, 5, 6, 7]
    assert csat(x, scale=(1, 7), top_box=1).score == pytest.approx(100 / 7)
    assert csat(x, scale=(1, 7), top_box=3).score == pytest.approx(300 / 7)
    with pytest.raises(ValidationError, match="top_box"):
        csat(x, scale=(1, 7), top_box=7)
    with pytest.raises(ValidationError, match=r"1 values .*: 6"):
        csat([1, 6])
    with pytest.raises(ValidationError, match="scale"):
        csat([1, 2], scale=(1.5, 5))


def test_csat_wilson_bounds_at_extremes() -> None:
    r = csat([5, 5, 5])
    assert r.score == 100.0
    assert 0 < r.ci[0] < 100.0
    assert r.ci[1] == pytest.approx(100.0)


@given(st.lists(st.integers(1, 5), min_size=1, max_size=100))
def test_csat_weights_of_ones(values: list[int]) -> None:
    a, b = csat(values), csat(values, sample_weight=np.ones(len(values)))
    assert a.score == pytest.approx(b.score)
    assert a.ci == pytest.approx(b.ci)
    assert 0 <= a.ci[0] <= a.score <= a.ci[1] <= 100


def test_csat_mean_t_interval() -> None:
    x = np.array([5, 4, 4, 3, 2, 5, 1, 4])
    r = csat_mean(x)
    from scipy import stats

    se = x.std(ddof=1) / np.sqrt(len(x))
    t = stats.t.ppf(0.975, len(x) - 1)
    assert r.se == pytest.approx(se)
    assert r.ci == pytest.approx((x.mean() - t * se, x.mean() + t * se))
    assert r.index == pytest.approx(100 * (3.5 - 1) / 4)
    w = np.ones(len(x))
    assert csat_mean(x, sample_weight=w).se == pytest.approx(se)


def test_csat_mean_single_answer_warns() -> None:
    with pytest.warns(UndefinedMetricWarning):
        r = csat_mean([4])
    assert np.isnan(r.se)
    assert np.isnan(r.ci[0])


# ------------------------------------------------------------------ CES
def test_ces() -> None:
    x = [1, 2, 2, 5, 7, 3]
    r = ces(x)
    assert r.mean == pytest.approx(np.mean(x))
    assert r.easy == pytest.approx(4 / 6)
    assert r.easy_ci[0] < r.easy < r.easy_ci[1]
    assert ces(x, easy_box=2).easy == pytest.approx(3 / 6)
    with pytest.raises(ValidationError, match=r"8"):
        ces([1, 8])


def test_ces_nan_policy_drops_weights_too() -> None:
    r = ces([1, np.nan, 7], sample_weight=[1.0, 100.0, 1.0], nan_policy="omit")
    assert r.n == 2
    assert r.mean == pytest.approx(4.0)


# ------------------------------------------------------------------ satisfaction index
def test_index_formula_on_ecsi() -> None:
    survey = load_ecsi("satisfaction")
    r = satisfaction_index(survey, columns=SAT, scale=(0, 10))
    means = survey[SAT].mean()
    assert r.overall == pytest.approx(((means - 0) / 10).mean() * 100)
    assert r.per_respondent.mean() == pytest.approx(r.overall)
    assert r.per_respondent.name == "satisfaction_index"
    assert r.per_respondent.index.equals(survey.index)
    assert r.item_weights.sum() == pytest.approx(1.0)
    json.dumps(r.to_dict())


def test_index_weights_formula() -> None:
    items = pd.DataFrame({"a": [10, 1, 4], "b": [1, 1, 7], "id": ["x", "y", "z"]})
    w = {"a": 3.0, "b": 1.0}
    r = satisfaction_index(items, item_weights=w)  # columns from the weights mapping
    ma, mb = items["a"].mean(), items["b"].mean()
    expected = (3 * (ma - 1) + 1 * (mb - 1)) / (9 * 4) * 100
    assert r.overall == pytest.approx(expected)
    assert r.per_respondent.iloc[0] == pytest.approx((3 * 9 + 0) / 36 * 100)
    seq = satisfaction_index(items, columns=["a", "b"], item_weights=[6, 2])
    assert seq.overall == pytest.approx(expected)


def test_index_series_input_and_bounds_error() -> None:
    s = pd.Series([1, 10, 5], name="sat")
    assert satisfaction_index(s).overall == pytest.approx((0 + 100 + 400 / 9) / 3)
    with pytest.raises(ValidationError, match=r"'sat' has 1 out-of-range"):
        satisfaction_index(pd.Series([1, 11], name="sat"))


def test_index_omit_uses_available_answers() -> None:
    items = pd.DataFrame({"a": [10.0, np.nan, 1.0], "b": [1.0, np.nan, np.nan]})
    with pytest.raises(ValidationError, match="missing"):
        satisfaction_index(items)
    r = satisfaction_index(items, nan_policy="omit")
    assert r.per_respondent.iloc[0] == pytest.approx(50.0)
    assert np.isnan(r.per_respondent.iloc[1])
    assert r.per_respondent.iloc[2] == pytest.approx(0.0)
    assert r.item_means.tolist() == pytest.approx([5.5, 1.0])
    empty = pd.DataFrame({"a": [1.0, 2.0], "b": [np.nan, np.nan]})
    with pytest.raises(ValidationError, match="no answers"):
        satisfaction_index(empty, nan_policy="omit")


def test_index_invalid_weights() -> None:
    items = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    with pytest.raises(ValidationError, match="not among"):
        satisfaction_index(items, columns=["a", "b"], item_weights={"c": 1.0})
    with pytest.raises(ValidationError, match="'c' not found"):
        satisfaction_index(items, item_weights={"c": 1.0})
    with pytest.raises(ValidationError, match=">= 0"):
        satisfaction_index(items, item_weights=[1.0, -1.0])
    with pytest.raises(ValidationError, match="one value per item"):
        satisfaction_index(items, item_weights=[1.0])
    with pytest.raises(ValidationError, match="positive sum"):
        satisfaction_index(items, item_weights=[0.0, 0.0])


item_tables = hnp.arrays(
    np.int64,
    st.tuples(st.integers(1, 40), st.integers(1, 5)),
    elements=st.integers(1, 10),
)


@given(item_tables, st.lists(st.floats(0.01, 10), min_size=5, max_size=5))
def test_index_within_bounds(x: np.ndarray, w: list[float]) -> None:
    df = pd.DataFrame(x)
    r = satisfaction_index(df, item_weights=w[: x.shape[1]])
    assert 0.0 <= r.overall <= 100.0
    assert ((r.per_respondent >= 0) & (r.per_respondent <= 100)).all()
    assert r.per_respondent.mean() == pytest.approx(r.overall)


@given(item_tables)
def test_index_row_order_and_unit_weights(x: np.ndarray) -> None:
    df = pd.DataFrame(x)
    a = satisfaction_index(df)
    b = satisfaction_index(df.iloc[::-1], item_weights=[1.0] * x.shape[1])
    assert a.overall == pytest.approx(b.overall)
    pd.testing.assert_series_equal(a.per_respondent, b.per_respondent.loc[df.index])


@given(item_tables, st.integers(1, 39))
def test_index_chunked_equals_whole(x: np.ndarray, cut: int) -> None:
    df = pd.DataFrame(x)
    cut = min(cut, len(df))
    whole = satisfaction_index(df).per_respondent
    parts = pd.concat(
        [satisfaction_index(df.iloc[:cut]).per_respondent]
        + ([satisfaction_index(df.iloc[cut:]).per_respondent] if cut < len(df) else [])
    )
    pd.testing.assert_series_equal(whole, parts)


def test_generated_survey_columns() -> None:
    s = make_survey(300, seed=3)
    assert 0 <= csat(s["csat"]).score <= 100
    assert 1 <= ces(s["ces"]).mean <= 7
    assert 0 <= satisfaction_index(s, columns=["sat1", "sat2", "sat3"]).overall <= 100


def test_inputs_not_mutated() -> None:
    items = pd.DataFrame({"a": [1.0, np.nan], "b": [3.0, 4.0]})
    before = items.copy()
    satisfaction_index(items, nan_policy="omit")
    pd.testing.assert_frame_equal(items, before)


# ------------------------------------------------------------------ audit regressions
def test_csat_weights_series_matched_by_label() -> None:
    ratings = pd.Series([5, 1], index=["a", "b"])
    weights = pd.Series([3.0, 1.0], index=["b", "a"])
    # 'a' (top box) weighs 1 and 'b' weighs 3: 25 % satisfied (by position it was 75 %)
    assert csat(ratings, sample_weight=weights).score == pytest.approx(25.0)
    assert csat_mean(ratings, sample_weight=weights).mean == pytest.approx((5 + 3) / 4)
    with pytest.raises(ValidationError, match="matches nothing in ratings"):
        ces(
            pd.Series([1, 2], index=["a", "b"]),
            sample_weight=pd.Series([1.0, 1.0], index=["a", "c"]),
        )


def test_boolean_ratings_rejected_by_csat() -> None:
    with pytest.raises(ValidationError, match="boolean value"):
        csat(pd.Series([True, False]), scale=(0, 1), top_box=1)


def test_index_ignores_unanswered_zero_weight_item() -> None:
    items = pd.DataFrame({"a": [1.0, 10.0, 4.0], "b": [np.nan, np.nan, np.nan]})
    r = satisfaction_index(items, item_weights=[1, 0], nan_policy="omit")
    assert r.overall == pytest.approx(((1 + 10 + 4) / 3 - 1) / 9 * 100)
    assert r.per_respondent.tolist() == pytest.approx([0.0, 100.0, 100 / 3])
    assert np.isnan(r.item_means["b"])
    assert r.item_weights.tolist() == [1.0, 0.0]
    same = satisfaction_index(items, item_weights={"a": 2.0, "b": 0.0}, nan_policy="omit")
    assert same.overall == pytest.approx(r.overall)
    # an unanswered item that carries weight still raises, naming it
    with pytest.raises(ValidationError, match=r"Items \['b'\] have no answers"):
        satisfaction_index(items, item_weights=[1, 1], nan_policy="omit")


@pytest.mark.parametrize("weights", [["x", 1], {"a": "x", "b": 1}, [None, 1]])
def test_index_non_numeric_weights(weights: object) -> None:
    items = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    with pytest.raises(
        ValidationError,
        match=r"'item_weights' parameter of satisfaction_index must hold numbers; 1 are not "
        r"\(rows a\)",
    ):
        satisfaction_index(items, columns=["a", "b"], item_weights=weights)  # type: ignore[arg-type]


@pytest.mark.parametrize("box", [True, float("nan"), "2", 2.5, None])
def test_top_box_must_be_a_whole_number(box: object) -> None:
    with pytest.raises(ValidationError, match="'top_box' parameter of csat"):
        csat([1, 5, 4], top_box=box)  # type: ignore[arg-type]


def test_item_weights_refuse_booleans() -> None:
    items = pd.DataFrame({"a": [1, 5], "b": [2, 6]})
    with pytest.raises(ValidationError, match=r"'item_weights'.*True"):
        satisfaction_index(items, item_weights=[True, False])


def test_an_item_listed_twice_is_refused() -> None:
    # the repeat was dropped silently: 3 items asked for, 2 used
    from custloyalty.metrics import cronbach_alpha, item_total_correlations

    sv = make_survey(80, seed=2)
    cols = ["sat1", "sat1", "sat2"]
    for func in (satisfaction_index, cronbach_alpha, item_total_correlations):
        with pytest.raises(ValidationError, match="name 'sat1' more than once"):
            func(sv, columns=cols)

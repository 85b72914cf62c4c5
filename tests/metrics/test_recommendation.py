"""Tests of the Net Promoter Score functions."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty.datasets import make_survey
from custloyalty.errors import DegenerateIntervalWarning, UndefinedMetricWarning, ValidationError
from custloyalty.metrics import NPSResult, nps, nps_by, nps_category, nps_test

ratings_st = st.lists(st.integers(0, 10), min_size=1, max_size=200)
# property tests draw samples of one category too, whose Wald interval warns (tested below)
quiet_degenerate = pytest.mark.filterwarnings(
    "ignore::custloyalty.errors.DegenerateIntervalWarning"
)


def test_textbook_example() -> None:
    # 5 promoters, 2 passives, 3 detractors out of 10: NPS = 100 * (0.5 - 0.3) = 20
    r = nps([10, 9, 9, 8, 7, 6, 3, 10, 9, 0])
    assert r.score == pytest.approx(20.0)
    assert (r.promoters, r.passives, r.detractors) == pytest.approx((0.5, 0.2, 0.3))
    assert r.n == 10
    # SE = 100 * sqrt((p+ + p- - (p+ - p-)^2) / n) = 100 * sqrt((0.8 - 0.04) / 10)
    assert r.se == pytest.approx(100 * np.sqrt(0.76 / 10))
    z = 1.959963984540054
    assert r.ci == pytest.approx((20 - z * r.se, 20 + z * r.se))
    assert isinstance(r, NPSResult)
    json.dumps(r.to_dict())
    assert "NPSResult" in r._repr_html_()
    assert r.to_frame().columns.tolist()[:2] == ["statistic", "promoters"]


def test_se_matches_multinomial_simulation_formula() -> None:
    # the score is 100 * mean of (+1 promoter, 0 passive, -1 detractor); its SE is the
    # population sd of that variable / sqrt(n)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 11, 1000)
    v = np.where(x >= 9, 1.0, np.where(x <= 6, -1.0, 0.0))
    r = nps(x)
    assert r.score == pytest.approx(100 * v.mean())
    assert r.se == pytest.approx(100 * v.std() / np.sqrt(len(v)))


def test_weights_use_kish_effective_n() -> None:
    x = np.array([10, 10, 0, 8])
    w = np.array([1.0, 3.0, 2.0, 2.0])
    r = nps(x, sample_weight=w)
    assert r.promoters == pytest.approx(4 / 8)
    assert r.detractors == pytest.approx(2 / 8)
    n_eff = 8**2 / (1 + 9 + 4 + 4)
    assert r.n_effective == pytest.approx(n_eff)
    assert r.se == pytest.approx(100 * np.sqrt((0.75 - 0.25**2) / n_eff))
    assert r.n == 4


def test_integer_weights_equal_repeated_rows() -> None:
    x = np.array([10, 7, 3, 9])
    w = np.array([2, 1, 3, 1])
    assert nps(x, sample_weight=w).score == pytest.approx(nps(np.repeat(x, w)).score)


def test_ci_clipped_to_bounds() -> None:
    r = nps([10, 10, 9, 10, 8])
    assert r.ci[1] <= 100.0
    with pytest.warns(DegenerateIntervalWarning, match="zero width"):
        assert nps([10] * 5).ci == (100.0, 100.0)


@quiet_degenerate
@given(ratings_st)
def test_score_within_bounds(values: list[int]) -> None:
    r = nps(values)
    assert -100.0 <= r.score <= 100.0
    assert -100.0 <= r.ci[0] <= r.score <= r.ci[1] <= 100.0
    assert r.promoters + r.passives + r.detractors == pytest.approx(1.0)


@quiet_degenerate
@given(ratings_st, st.randoms(use_true_random=False))
def test_invariant_to_respondent_order(values: list[int], rnd: object) -> None:
    shuffled = list(values)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    a, b = nps(values), nps(shuffled)
    assert a.score == pytest.approx(b.score)
    assert a.se == pytest.approx(b.se)


@quiet_degenerate
@given(ratings_st)
def test_weights_of_ones_equal_no_weights(values: list[int]) -> None:
    a, b = nps(values), nps(values, sample_weight=np.ones(len(values)))
    assert a.score == pytest.approx(b.score)
    assert a.se == pytest.approx(b.se)
    assert a.ci == pytest.approx(b.ci)


@quiet_degenerate
@given(st.lists(st.integers(0, 10), min_size=2, max_size=50), st.integers(2, 10))
def test_ci_shrinks_as_n_grows(values: list[int], k: int) -> None:
    small, large = nps(values), nps(values * k)
    assert large.score == pytest.approx(small.score)
    width_small = small.ci[1] - small.ci[0]
    width_large = large.ci[1] - large.ci[0]
    assert width_large <= width_small + 1e-12
    if small.se > 0:
        assert large.se == pytest.approx(small.se / np.sqrt(k))


@pytest.mark.parametrize(
    ("bad", "shown"),
    [([10, 11, 3], "11"), ([10, 7.5], "7.5"), ([-1, 3], "-1"), (["a", 3], "'a'")],
)
def test_invalid_ratings_show_offending_values(bad: list[object], shown: str) -> None:
    with pytest.raises(ValidationError, match=shown):
        nps(bad)


def test_invalid_ratings_show_series_labels() -> None:
    s = pd.Series([10, 12, 9], index=["a", "b", "c"])
    with pytest.raises(ValidationError, match=r"1 values .*rows b\): 12"):
        nps(s)


def test_nan_policy() -> None:
    x = [10, np.nan, 3]
    with pytest.raises(ValidationError, match="missing"):
        nps(x)
    r = nps(x, nan_policy="omit", sample_weight=[1.0, 5.0, 1.0])
    assert r.n == 2
    assert r.score == pytest.approx(0.0)
    with pytest.raises(ValidationError, match="nan_policy"):
        nps([10], nan_policy="drop")


def test_invalid_weights_and_confidence() -> None:
    with pytest.raises(ValidationError, match="one value per rating"):
        nps([10, 9], sample_weight=[1.0])
    with pytest.raises(ValidationError, match="negative"):
        nps([10, 9], sample_weight=[1.0, -1.0])
    with pytest.raises(ValidationError, match="positive sum"):
        nps([10, 9], sample_weight=[0.0, 0.0])
    with pytest.raises(ValidationError, match="confidence"):
        nps([10], confidence=1.5)


def test_input_not_mutated() -> None:
    s = pd.Series([10, 3, np.nan])
    before = s.copy()
    nps(s, nan_policy="omit")
    pd.testing.assert_series_equal(s, before)


def test_nps_test_difference_and_pvalue() -> None:
    a = [10] * 60 + [5] * 40
    b = [10] * 40 + [5] * 60
    t = nps_test(a, b)
    ra, rb = nps(a), nps(b)
    assert t.difference == pytest.approx(40.0)
    assert t.se == pytest.approx(np.hypot(ra.se, rb.se))
    assert t.z == pytest.approx(40.0 / t.se)
    from scipy import stats

    assert t.p_value == pytest.approx(2 * stats.norm.sf(t.z))
    assert t.ci[0] < 40.0 < t.ci[1]
    # symmetric
    assert nps_test(b, a).difference == pytest.approx(-40.0)
    # accepts precomputed results
    assert nps_test(ra, rb).p_value == pytest.approx(t.p_value)


def test_nps_test_degenerate() -> None:
    with pytest.warns(DegenerateIntervalWarning, match="adjusted_wald"):
        same = nps_test([10, 10], [10, 10])
    assert same.p_value == 1.0
    with pytest.warns(DegenerateIntervalWarning):
        diff = nps_test([10, 10], [0, 0])
    assert diff.p_value == 0.0
    assert diff.z == np.inf
    # the adjusted-Wald test stays finite and is not certain on two answers per sample
    adj = nps_test([10, 10], [0, 0], interval="adjusted_wald")
    assert np.isfinite(adj.z)
    assert 0.0 < adj.p_value < 0.2  # two answers a side: suggestive, not certain
    assert adj.statistic == 200.0


def test_nps_category() -> None:
    s = pd.Series([0, 6, 7, 8, 9, 10, np.nan], index=list("abcdefg"))
    cat = nps_category(s, nan_policy="omit")
    assert cat.name == "nps_category"
    assert list(cat.index) == list("abcdefg")
    assert cat.iloc[:6].tolist() == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]
    assert pd.isna(cat.iloc[6])
    assert cat.cat.ordered
    with pytest.raises(ValidationError):
        nps_category([11])


@quiet_degenerate
@given(ratings_st)
def test_category_shares_agree_with_nps(values: list[int]) -> None:
    shares = nps_category(values).value_counts(normalize=True)
    r = nps(values)
    assert shares["promoter"] == pytest.approx(r.promoters)
    assert shares["detractor"] == pytest.approx(r.detractors)


def test_nps_by_segments_match_nps() -> None:
    survey = make_survey(600, seed=1)
    survey["region"] = np.where(survey["customer_id"] % 3 == 0, "north", "south")
    out = nps_by(survey, by="region")
    assert list(out.columns) == [
        "score",
        "promoters",
        "passives",
        "detractors",
        "n",
        "n_effective",
        "se",
        "ci_low",
        "ci_high",
    ]
    for region, group in survey.groupby("region"):
        r = nps(group["recommend"])
        assert out.loc[region, "score"] == pytest.approx(r.score)
        assert out.loc[region, "se"] == pytest.approx(r.se)
        assert out.loc[region, "ci_low"] == pytest.approx(r.ci[0])
        assert out.loc[region, "n"] == r.n


def test_nps_by_periods_and_weights() -> None:
    survey = make_survey(400, seed=2, start="2024-01-01", days=180)
    survey["w"] = np.linspace(0.5, 2.0, len(survey))
    out = nps_by(survey, time="date", period="M", sample_weight="w")
    assert out.index.name == "period"
    assert out["n"].sum() == len(survey)
    first = out.index[0]
    mask = survey["date"].dt.to_period("M") == first
    r = nps(survey.loc[mask, "recommend"], sample_weight=survey.loc[mask, "w"])
    assert out.loc[first, "score"] == pytest.approx(r.score)
    assert out.loc[first, "n_effective"] == pytest.approx(r.n_effective)
    # segments and periods together
    survey["seg"] = survey["customer_id"] % 2
    both = nps_by(survey, by=["seg"], time="date", period="Q")
    assert both.index.names == ["seg", "period"]


def test_nps_by_validation() -> None:
    survey = pd.DataFrame({"g": ["a", "b"], "recommend": [10, 12]})
    with pytest.raises(ValidationError, match=r"'recommend' has 1 values .*12"):
        nps_by(survey, by="g")
    with pytest.raises(ValidationError, match="needs"):
        nps_by(survey)
    with pytest.raises(ValidationError, match="not found"):
        nps_by(survey, by="group")
    # the date column is read only when a period is asked for
    with pytest.raises(ValidationError, match="'date' not found"):
        nps_by(survey, by="g", period="M")


@quiet_degenerate
def test_nps_by_omit() -> None:
    survey = pd.DataFrame({"g": ["a", "a", "b"], "recommend": [10, np.nan, 3]})
    with pytest.raises(ValidationError, match="missing"):
        nps_by(survey, by="g")
    out = nps_by(survey, by="g", nan_policy="omit")
    assert out.loc["a", "n"] == 1
    assert out.loc["a", "score"] == 100.0


# ------------------------------------------------------------------ audit regressions
def test_weights_series_matched_by_label() -> None:
    # ratings 10 (label 0) and 3 (label 1); the weights Series lists label 1 first
    ratings = pd.Series([10, 3], index=[0, 1])
    weights = pd.Series([1.0, 3.0], index=[1, 0])
    # by label: the promoter weighs 3, the detractor 1 -> 100 * (3/4 - 1/4) = 50
    # (matching by position gave -50)
    assert nps(ratings, sample_weight=weights).score == pytest.approx(50.0)
    # string labels, with omitted ratings: the weight of the dropped rating goes too
    r = pd.Series([10, np.nan, 3], index=["a", "b", "c"])
    w = pd.Series([1.0, 100.0, 3.0], index=["c", "b", "a"])
    res = nps(r, sample_weight=w, nan_policy="omit")
    assert res.score == pytest.approx(50.0)
    assert res.n_effective == pytest.approx(16 / 10)
    # identical indexes and non-Series weights are matched by position
    assert nps(ratings, sample_weight=[1.0, 3.0]).score == pytest.approx(-50.0)
    assert nps(ratings, sample_weight=pd.Series([1.0, 3.0], index=[0, 1])).score == pytest.approx(
        -50.0
    )


@quiet_degenerate
def test_weights_series_with_unmatched_labels_raise() -> None:
    ratings = pd.Series([10, 3, 8], index=["a", "b", "c"])
    with pytest.raises(
        ValidationError,
        match=r"sample_weight of nps is matched to ratings by index label, but 1 label of ratings "
        r"has no match in sample_weight \('c'\) and 1 label of sample_weight matches nothing in ratings "
        r"\('z'\)",
    ):
        nps(ratings, sample_weight=pd.Series([1.0, 2.0, 3.0], index=["a", "b", "z"]))
    with pytest.raises(ValidationError, match=r"index of sample_weight .* share 1 label: 'a'"):
        nps(ratings, sample_weight=pd.Series([1.0, 2.0, 3.0], index=["a", "a", "b"]))
    dup = pd.Series([10, 3, 8], index=["a", "a", "b"])
    with pytest.raises(ValidationError, match=r"index of ratings .* 2 rows share 1 label: 'a'"):
        nps(dup, sample_weight=pd.Series([1.0, 2.0, 3.0], index=["b", "a", "c"]))
    # identical (even repeated) labels: positional, no error
    assert nps(dup, sample_weight=pd.Series([1.0, 0.0, 0.0], index=dup.index)).score == 100.0


@pytest.mark.parametrize(
    "ratings", [[True, False], np.array([True, True]), pd.Series([True, None], dtype="boolean")]
)
def test_boolean_ratings_rejected(ratings: object) -> None:
    with pytest.raises(ValidationError, match="boolean value"):
        nps(ratings)
    with pytest.raises(ValidationError, match="boolean value"):
        nps_category(ratings)


def test_nps_by_boolean_ratings_rejected() -> None:
    survey = pd.DataFrame({"g": ["a", "b"], "recommend": [True, False]})
    with pytest.raises(ValidationError, match="'recommend' holds booleans"):
        nps_by(survey, by="g")


def test_nps_by_bad_period_alias() -> None:
    survey = make_survey(50, seed=4)
    for period in ("fortnight", "MS"):
        with pytest.raises(ValidationError, match=r"'period' parameter of nps_by .*" + period):
            nps_by(survey, time="date", period=period)


def test_nps_by_zero_weight_group_warns_and_gives_nan() -> None:
    survey = pd.DataFrame(
        {"g": ["a", "a", "b", "b"], "recommend": [10, 3, 9, 0], "w": [1.0, 1.0, 0.0, 0.0]}
    )
    with pytest.warns(
        UndefinedMetricWarning, match=r"nps_by: the weights sum to 0 in 1 group\(s\) \('b'\)"
    ):
        out = nps_by(survey, by="g", sample_weight="w")
    assert out.loc["a", "score"] == pytest.approx(0.0)
    row = out.loc["b"]
    assert row.drop("n").isna().all()
    assert row["n"] == 2
    # nps itself refuses the same group
    with pytest.raises(ValidationError, match="positive sum"):
        nps([9, 0], sample_weight=[0.0, 0.0])


@quiet_degenerate
def test_nps_test_to_dict_is_strict_json() -> None:
    t = nps_test([10, 10], [0, 0])
    assert t.z == np.inf
    d = t.to_dict()
    assert d["z"] is None
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    same = nps_test([10, 10], [10, 10]).to_dict()
    assert same["z"] is None
    json.dumps(same, allow_nan=False)


def test_adjusted_wald_interval_formula() -> None:
    # Rocks (2016) / R NPS nps_test(test = "adjusted.wald"): add 0.75 detractor, 1.5 passive
    # and 0.75 promoter pseudo-observations, then the Wald interval of the adjusted shares.
    x = [10] * 6 + [8] * 3 + [2]
    d, m, p = 1 + 0.75, 3 + 1.5, 6 + 0.75
    n = d + m + p
    centre = (p - d) / n
    se = np.sqrt((p / n + d / n - centre**2) / n)
    z = 1.959963984540054
    r = nps(x, interval="adjusted_wald")
    assert r.statistic == pytest.approx(50.0)  # the point estimate is not adjusted
    assert r.ci == pytest.approx((100 * (centre - z * se), 100 * (centre + z * se)))
    assert r.interval == "adjusted_wald"


def test_adjusted_wald_never_degenerate_and_covers() -> None:
    # one-category samples: Wald collapses to a point, adjusted Wald keeps a real width
    with pytest.warns(DegenerateIntervalWarning):
        wald = nps([10] * 8)
    adj = nps([10] * 8, interval="adjusted_wald")
    assert wald.ci == (100.0, 100.0)
    assert adj.ci[0] < 100.0
    assert adj.ci[1] == 100.0
    # coverage on small samples of a known population (NPS = 100 * (0.5 - 0.3) = 20)
    rng = np.random.default_rng(3)
    probs = np.zeros(11)
    probs[[0, 8, 10]] = [0.3, 0.2, 0.5]
    hits = {"wald": 0, "adjusted_wald": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateIntervalWarning)
        for _ in range(400):
            sample = rng.choice(11, size=15, p=probs)
            for method in hits:
                lo, hi = nps(sample, interval=method).ci
                hits[method] += lo <= 20.0 <= hi
    assert hits["adjusted_wald"] >= hits["wald"]
    assert hits["adjusted_wald"] / 400 > 0.9


@pytest.mark.parametrize(
    "ratings",
    [[10, True, 3], np.array([10, False, 3], dtype=object), pd.Series([9, True], dtype=object)],
)
def test_booleans_inside_numbers_rejected(ratings: object) -> None:
    # True would otherwise count as a rating of 1 (np.asarray([10, True]) is [10, 1])
    with pytest.raises(ValidationError, match="boolean value"):
        nps(ratings)


def test_nps_by_adjusted_wald_matches_nps() -> None:
    survey = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 3, "recommend": [10, 9, 3, 7, 10, 10, 10]})
    out = nps_by(survey, by="g", interval="adjusted_wald")
    for g, grp in survey.groupby("g"):
        r = nps(grp["recommend"], interval="adjusted_wald")
        assert (out.loc[g, "ci_low"], out.loc[g, "ci_high"]) == pytest.approx(r.ci)
    with pytest.warns(DegenerateIntervalWarning, match="1 group"):
        nps_by(survey, by="g")


def test_nps_by_mixed_label_types() -> None:
    # labels of mixed types (a tuple next to numbers and None) are grouped, not compared
    survey = pd.DataFrame(
        {"seg": [("a", 1), 2.5, None, ("a", 1), 2.5], "recommend": [10, 3, 9, 0, 9]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateIntervalWarning)
        out = nps_by(survey, by="seg")
    assert len(out) == 3
    assert out["n"].sum() == 5
    assert out.loc[[("a", 1)], "score"].iloc[0] == 0.0


@pytest.mark.parametrize("scale", [1e-320, 1e-150, 1.0, 1e150, 1e308])
def test_weights_only_count_relative_to_each_other(scale: float) -> None:
    # shares and Kish's n of weights near the float limits: no overflow, no 0/0
    res = nps([10, 10, 0, 7], sample_weight=[scale] * 4)
    assert res.statistic == pytest.approx(25.0)
    assert res.n_effective == pytest.approx(4.0)
    assert res.se == pytest.approx(nps([10, 10, 0, 7]).se)


def test_nps_test_interval_is_clipped_to_the_range_of_a_difference() -> None:
    up = nps_test([10] * 5, [0, 10, 5])
    assert up.ci[1] == 200.0
    assert up.ci[0] < up.statistic
    down = nps_test([0, 10, 5], [10] * 5)
    assert down.ci[0] == -200.0


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"by": "recommend"}, "'rating' and 'by[0]'"),
        ({"by": "seg", "sample_weight": "recommend"}, "'rating' and 'sample_weight'"),
        ({"by": "date", "period": "M"}, "'time' and 'by[0]'"),
        ({"by": ["seg", "seg"]}, "'by[0]' and 'by[1]'"),
    ],
)
def test_nps_by_refuses_one_column_in_two_roles(options: dict[str, object], named: str) -> None:
    # grouping by the rating itself, or weighting by it, gave plausible tables of nonsense
    sv = make_survey(60, seed=1).assign(
        date=pd.date_range("2024-01-01", periods=60, freq="D"), seg=np.arange(60) % 3
    )
    with pytest.raises(ValidationError, match=re.escape(named) + " both name the column"):
        nps_by(sv, **options)  # type: ignore[arg-type]

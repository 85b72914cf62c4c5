"""Tests of RFM scores (RFMScorer, rfm_scores) and named segments (rfm_segments)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty.errors import NotFittedError, ValidationError
from custloyalty.segmentation import (
    RFM_PRESET_SCORES,
    RFM_PRESETS,
    RFMScorer,
    SegmentRule,
    rfm_scores,
    rfm_segments,
)


def _summary(days_since, n_purchases, total_amount) -> pd.DataFrame:
    days = np.asarray(days_since, dtype=float)
    return pd.DataFrame(
        {
            "recency": 100.0 - days,
            "T": np.full(days.shape, 100.0),
            "frequency": np.asarray(n_purchases) - 1,
            "n_purchases": n_purchases,
            "total_amount": total_amount,
        }
    )


metric_st = st.lists(st.integers(0, 30), min_size=1, max_size=80)


# ------------------------------------------------------------------------------------------
# CDNOW master: the "must show"
# ------------------------------------------------------------------------------------------
def test_cdnow_r_quintiles_balanced_and_ordered(cdnow_master_summary: pd.DataFrame) -> None:
    s = cdnow_master_summary
    sc = rfm_scores(s)
    shares = sc["R"].value_counts(normalize=True)
    assert set(shares.index) == {1, 2, 3, 4, 5}
    assert shares.max() <= 0.35
    days = s["T"] - s["recency"]
    assert days[sc["R"] == 5].median() < days[sc["R"] == 1].median()
    # the same holds for every scoring method
    for method in ("rfm", "pymc"):
        r = rfm_scores(s, method=method)["R"]
        assert r.value_counts(normalize=True).max() <= 0.35
        assert days[r == r.max()].median() < days[r == 1].median()


@pytest.mark.parametrize(
    ("method", "rules"), [("quantile", None), ("rfm", "rfm"), ("pymc", "pymc")]
)
def test_cdnow_every_customer_one_segment(
    cdnow_master_summary: pd.DataFrame, method: str, rules: str | None
) -> None:
    sc = rfm_scores(cdnow_master_summary, method=method)
    seg = rfm_segments(sc, rules=rules)
    assert seg.index.equals(cdnow_master_summary.index)
    assert seg.notna().all()
    assert len(seg) == len(cdnow_master_summary)
    # the default rules partition the 1-5 cube: nobody is left in "Others"
    if rules is None:
        assert (seg == "Others").sum() == 0


def test_cdnow_heavy_frequency_ties_documented_rule(cdnow_master_summary: pd.DataFrame) -> None:
    # about half the CDNOW customers bought once: the inner quintiles of n_purchases coincide at
    # 1, so the one-time buyers all score 1 and score 2 stays empty (not renumbered).
    s = cdnow_master_summary
    f = rfm_scores(s)["F"]
    one = s["n_purchases"] == 1
    assert one.mean() > 0.4
    assert (f[one] == 1).all()
    assert (f[~one] > 1).all()
    assert 2 not in set(f)


# ------------------------------------------------------------------------------------------
# parity with R rfm 0.3.0 and pymc-marketing (their algorithms transcribed naively)
# ------------------------------------------------------------------------------------------
def _r_seq_length_out(start: float, stop: float, length_out: int) -> list[float]:
    """R's seq.default(from, to, length.out=) for doubles (R/base/R/seq.R, R 4.x):
    c(from, from + seq_len(length.out - 2L) * by, to) with by = (to - from) / (length.out - 1)."""
    by = (stop - start) / (length_out - 1)
    return [start] + [start + k * by for k in range(1, length_out - 1)] + [stop]


def _r_quantile7(x: np.ndarray, probs: list[float]) -> list[float]:
    """R's stats:::quantile.default(type = 7), line by line (1-based indices)."""
    xs = sorted(float(v) for v in x)
    n = len(xs)
    out = []
    for p in probs:
        index = 1 + (n - 1) * p
        lo, hi = math.floor(index), math.ceil(index)
        qs = xs[lo - 1]
        if index > lo and xs[hi - 1] != qs:
            h = index - lo
            qs = (1 - h) * qs + h * xs[hi - 1]
        out.append(qs)
    return out


def _r_rfm_scores(x: np.ndarray, n_bins: int, reverse: bool) -> np.ndarray:
    """Transcription of rfm 0.3.0 R/utils.R bins(), bins_lower(), bins_upper() and the loop of
    rfm_table_order() (later intervals overwrite earlier ones):
    bins() = quantile(x, probs = seq(0, 1, length.out = n_bins + 1))[c(-1, -(n_bins + 1))] + 1,
    with R's own seq() and quantile(type = 7) arithmetic."""
    probs = _r_seq_length_out(0.0, 1.0, n_bins + 1)
    breaks = np.asarray(_r_quantile7(x, probs)[1:-1]) + 1
    lower = np.concatenate([[x.min()], breaks])
    upper = np.concatenate([breaks, [x.max() + 1]])
    scores = np.full(x.shape, -1)
    labels = list(range(n_bins, 0, -1)) if reverse else list(range(1, n_bins + 1))
    for i in range(n_bins):
        scores[(x >= lower[i]) & (x < upper[i])] = labels[i]
    return scores


def test_rfm_method_matches_r_rfm_on_cdnow(cdnow_master_summary: pd.DataFrame) -> None:
    s = cdnow_master_summary
    sc = rfm_scores(s, method="rfm")
    days = (s["T"] - s["recency"]).to_numpy()
    np.testing.assert_array_equal(sc["R"], _r_rfm_scores(days, 5, reverse=True))
    np.testing.assert_array_equal(
        sc["F"], _r_rfm_scores(s["n_purchases"].to_numpy(float), 5, False)
    )
    np.testing.assert_array_equal(sc["M"], _r_rfm_scores(s["total_amount"].to_numpy(), 5, False))


def test_rfm_method_r_arithmetic_21_values() -> None:
    # regression: R's seq(0, 1, length.out = 6) holds 3 * 0.2 = 0.6000000000000001, not 0.6;
    # with these 21 values R's edge is 10.000000000000002 + 1, np.quantile(x, 0.6) + 1 is
    # exactly 11, so the value 11 scored R=2, F=4, M=4 instead of R's 3, 3, 3.
    x = np.array([7, 11, 18, 12, 10, 4, 6, 7, 7, 14, 3, 10, 5, 14, 3, 3, 18, 7, 19, 11, 4], float)
    assert _r_seq_length_out(0.0, 1.0, 6)[3] == 0.6000000000000001
    s = pd.DataFrame({"recency": 0.0, "T": x, "n_purchases": x.astype(int), "total_amount": x})
    sc = rfm_scores(s, method="rfm")
    np.testing.assert_array_equal(sc["R"], _r_rfm_scores(x, 5, reverse=True))
    np.testing.assert_array_equal(sc["F"], _r_rfm_scores(x, 5, reverse=False))
    np.testing.assert_array_equal(sc["M"], _r_rfm_scores(x, 5, reverse=False))
    assert sc.loc[x == 11, ["R", "F", "M"]].drop_duplicates().to_numpy().tolist() == [[3, 3, 3]]


@given(metric_st.filter(lambda x: len(set(x)) > 1), st.integers(2, 10))
def test_rfm_method_matches_r_transcription(x: list[int], bins: int) -> None:
    # (a metric with one value has no ranking: the documented middle score, not R's end score)
    v = np.asarray(x, dtype=float) / 7.0  # thirds and sevenths: edges rarely exact in binary
    s = pd.DataFrame({"recency": 0.0, "T": v, "n_purchases": v, "total_amount": v})
    sc = rfm_scores(s, method="rfm", bins=bins)
    np.testing.assert_array_equal(sc["R"], _r_rfm_scores(v, bins, reverse=True))
    np.testing.assert_array_equal(sc["M"], _r_rfm_scores(v, bins, reverse=False))


def _pymc_quartiles(x: pd.Series, reverse: bool) -> np.ndarray:
    """pymc-marketing rfm_segments: pd.qcut(q=4, duplicates="drop"), recency labels reversed."""
    for n in (5, 4, 3):
        labels = list(range(n - 1, 0, -1)) if reverse else list(range(1, n))
        try:
            return pd.qcut(x, q=4, labels=labels, duplicates="drop").astype(int).to_numpy()
        except ValueError:
            continue
    raise AssertionError


def test_pymc_method_matches_pymc_marketing_on_cdnow(cdnow_master_summary: pd.DataFrame) -> None:
    s = cdnow_master_summary
    sc = rfm_scores(s, method="pymc")
    days = s["recency"] * 0 + (s["T"] - s["recency"])
    np.testing.assert_array_equal(sc["R"], _pymc_quartiles(days, reverse=True))
    np.testing.assert_array_equal(sc["F"], _pymc_quartiles(s["frequency"] + 1.0, reverse=False))
    m = s["total_amount"] / (s["frequency"] + 1.0)
    np.testing.assert_array_equal(sc["M"], _pymc_quartiles(m, reverse=False))
    # and the segments: pymc assigns in dict order, later keys overwrite earlier ones; the
    # cell lists are disjoint, so the first match is the only match
    seg = rfm_segments(sc, rules="pymc")
    code = sc["R"].astype(str) + sc["F"].astype(str) + sc["M"].astype(str)
    want = pd.Series("Other", index=s.index)
    for rule in RFM_PRESETS["pymc"][0]:
        want[code.isin(rule.cells)] = rule.name
    assert (seg.astype(str) == want).all()


# ------------------------------------------------------------------------------------------
# unit behaviour
# ------------------------------------------------------------------------------------------
def test_small_example_by_hand() -> None:
    s = _summary([0, 10, 20, 30, 40], [1, 2, 3, 4, 5], [10.0, 20.0, 30.0, 40.0, 50.0])
    sc = rfm_scores(s)
    assert sc["R"].tolist() == [5, 4, 3, 2, 1]
    assert sc["F"].tolist() == [1, 2, 3, 4, 5]
    assert sc["M"].tolist() == [1, 2, 3, 4, 5]
    assert sc["cell"].astype(str).tolist() == ["5-1-1", "4-2-2", "3-3-3", "2-4-4", "1-5-5"]
    assert sc["R"].dtype == np.int16  # room for R * 100 + F * 10 + M


def test_all_ties_one_score_no_error() -> None:
    s = _summary([5] * 6, [1] * 6, [10.0] * 6)
    sc = rfm_scores(s)
    # one value for everybody: no ranking, the documented middle score in every metric
    assert set(sc["F"]) == {3}
    assert set(sc["M"]) == {3}
    assert set(sc["R"]) == {3}


@pytest.mark.parametrize(("method", "middle"), [("quantile", 3), ("rfm", 3), ("pymc", 2)])
def test_identical_customers_who_bought_today_get_the_middle_score(
    method: str, middle: int
) -> None:
    # issue 13: 50 identical customers who all bought today scored R = 1 ("Lost") by the
    # quantile method and R = 5 by the rfm method; every method now gives the middle score
    s = pd.DataFrame(
        {
            "recency": [30.0] * 50,
            "T": [30.0] * 50,
            "n_purchases": [2] * 50,
            "total_amount": [40.0] * 50,
            "frequency": [1] * 50,
        }
    )
    scorer = RFMScorer(method=method).fit(s)
    sc = scorer.transform(s)
    for k in ("R", "F", "M"):
        assert set(sc[k]) == {middle}
    assert scorer.constant_ == {"R": 0.0, "F": 2.0, "M": 40.0 if method != "pymc" else 20.0}
    seg = rfm_segments(sc, rules=None if method == "quantile" else method)
    assert "Lost" not in set(seg.astype(str))
    # a new customer at the fitted value gets the middle score, an older one the lowest
    new = s.iloc[:2].assign(recency=[30.0, 0.0], T=[30.0, 40.0])
    assert scorer.transform(new)["R"].tolist() == [middle, 1]
    again = RFMScorer.from_json(scorer.to_json())
    assert again.transform(s).equals(sc)


def test_saved_state_is_validated() -> None:
    s = _summary([0, 10, 20, 30, 40], [1, 2, 3, 4, 5], [10.0, 20.0, 30.0, 40.0, 50.0])
    good = RFMScorer().fit(s).to_dict()
    assert good["kind"] == "RFMScorer"
    assert good["format_version"] == 1
    bad_cases = {
        "unsorted": ({"edges": {**good["edges"], "F": [3.0, 1.0, 2.0, 4.0]}}, "sorted"),
        "nan": ({"edges": {**good["edges"], "M": [float("nan")]}}, "finite"),
        "method": ({"method": "median"}, "method"),
        "bins": ({"bins": 50}, "bins"),
        "version": ({"format_version": 99}, "format_version 99"),
        "kind": ({"kind": "TierPolicy"}, "kind 'TierPolicy'"),
        "constant": ({"constant": {"X": 1.0}}, "unknown metrics"),
    }
    for name, (patch, message) in bad_cases.items():
        with pytest.raises(ValidationError, match=message):
            RFMScorer.from_dict({**good, **patch})
        assert name
    with pytest.raises(ValidationError, match="not valid JSON"):
        RFMScorer.from_json(RFMScorer().fit(s).to_json()[:40])


def test_heavy_zero_ties_get_lowest_score() -> None:
    f = [1] * 90 + list(range(2, 12))
    s = _summary(np.arange(100), f, np.arange(100.0))
    sc = rfm_scores(s)
    assert (sc["F"][:90] == 1).all()
    assert (sc["F"][90:] == 5).all()


def test_custom_edges_and_columns() -> None:
    s = _summary([0, 29, 30, 200], [1, 3, 8, 20], [5.0, 50.0, 500.0, 5000.0])
    sc = rfm_scores(
        s, edges={"R": [30, 90, 180, 365], "F": [1, 2, 5, 10], "M": [10, 100, 1000, 2000]}
    )
    # R: days < 30 -> 5; [30, 90) -> 4; [180, 365) -> 2 (left-closed on days: right-closed on -days)
    assert sc["R"].tolist() == [5, 5, 4, 2]
    assert sc["F"].tolist() == [1, 3, 4, 5]
    assert sc["M"].tolist() == [1, 2, 3, 5]
    sc2 = rfm_scores(s.rename(columns={"total_amount": "spend"}), monetary="spend")
    assert sc2["M"].tolist() == rfm_scores(s)["M"].tolist()


def test_fit_then_transform_new_customers_and_json_round_trip() -> None:
    rng = np.random.default_rng(1)
    old = _summary(rng.integers(0, 100, 300), rng.integers(1, 9, 300), rng.gamma(2, 50, 300))
    new = _summary(rng.integers(0, 150, 50), rng.integers(1, 20, 50), rng.gamma(2, 80, 50))
    scorer = RFMScorer().fit(old)
    d = json.loads(json.dumps(scorer.to_dict()))
    again = RFMScorer.from_dict(d)
    pd.testing.assert_frame_equal(again.transform(new), scorer.transform(new))
    out = scorer.transform(new)
    assert out[["R", "F", "M"]].isin([1, 2, 3, 4, 5]).all().all()
    # new values beyond the fitted range take the end scores
    assert out["F"][new["n_purchases"] > old["n_purchases"].max()].eq(5).all()
    assert "fitted on 300 customers" in repr(scorer)


def test_from_dict_with_incomplete_edges_raises_validation_error() -> None:
    # regression: edges missing a metric raised a bare KeyError
    base = RFMScorer().to_dict()
    with pytest.raises(ValidationError, match=r"missing \['F', 'M'\]"):
        RFMScorer.from_dict({**base, "edges": {"R": [1.0]}})
    with pytest.raises(ValidationError, match="edges"):
        RFMScorer.from_dict({**base, "edges": [1.0, 2.0]})


def test_not_fitted_and_validation_errors() -> None:
    s = _summary([1, 2], [1, 2], [1.0, 2.0])
    with pytest.raises(NotFittedError, match="fit"):
        RFMScorer().transform(s)
    with pytest.raises(ValidationError, match="bins"):
        rfm_scores(s, bins=1)
    with pytest.raises(ValidationError, match="method"):
        rfm_scores(s, method="ntile")
    with pytest.raises(ValidationError, match="ascending"):
        rfm_scores(s, edges={"F": [3, 1]})
    with pytest.raises(ValidationError, match="n_purchases"):
        rfm_scores(s.drop(columns="n_purchases"))
    bad = s.assign(total_amount=[1.0, np.nan])
    with pytest.raises(ValidationError, match="total_amount"):
        rfm_scores(bad)
    assert len(rfm_scores(bad, nan_policy="omit")) == 1


def test_caller_frame_untouched() -> None:
    s = _summary([0, 10, 20], [1, 2, 3], [1.0, 2.0, 3.0])
    before = s.copy()
    rfm_segments(rfm_scores(s))
    pd.testing.assert_frame_equal(s, before)


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------
@given(metric_st, st.sampled_from(["quantile", "rfm", "pymc"]))
def test_scores_monotone_and_ties_never_split(x: list[int], method: str) -> None:
    n = len(x)
    s = _summary(x, [v + 1 for v in x], [float(v) for v in x])
    sc = rfm_scores(s, method=method)
    order = np.argsort(x, kind="stable")
    f, m, r = (sc[k].to_numpy()[order] for k in ("F", "M", "R"))
    assert np.all(np.diff(f) >= 0)
    assert np.all(np.diff(m) >= 0)
    assert np.all(np.diff(r) <= 0)  # more days since the last purchase -> lower R
    for k in ("R", "F", "M"):
        assert sc[k].groupby(np.asarray(x)).nunique().max() == 1
        assert sc[k].between(1, 5 if method != "pymc" else 4).all()
    assert n == len(sc)


@given(metric_st, st.randoms(use_true_random=False))
def test_labels_stable_under_row_permutation(x: list[int], rnd) -> None:
    s = _summary(x, [1 + v % 7 for v in x], [float(v * v % 13) for v in x])
    perm = list(range(len(x)))
    rnd.shuffle(perm)
    a = rfm_scores(s)
    b = rfm_scores(s.iloc[perm]).loc[s.index]
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_series_equal(rfm_segments(a), rfm_segments(b))


@given(metric_st, st.sampled_from(["quantile", "rfm", "pymc"]))
def test_fitted_scoring_reproduces_fit_scores(x: list[int], method: str) -> None:
    s = _summary(x, [1 + v % 5 for v in x], [float(v) / 3 for v in x])
    scorer = RFMScorer(method=method).fit(s)
    pd.testing.assert_frame_equal(scorer.transform(s), rfm_scores(s, method=method))
    again = RFMScorer.from_dict(json.loads(json.dumps(scorer.to_dict())))
    pd.testing.assert_frame_equal(again.transform(s), scorer.transform(s))


# ------------------------------------------------------------------------------------------
# segments
# ------------------------------------------------------------------------------------------
def test_first_match_wins_and_others() -> None:
    sc = pd.DataFrame({"R": [5, 5, 1], "F": [5, 1, 1], "M": [5, 1, 1]}, index=["a", "b", "c"])
    rules = [("Top", (4, 5), (4, 5), (4, 5)), ("Recent", 5, (1, 5), (1, 5)), ("Also top", 5, 5, 5)]
    seg = rfm_segments(sc, rules=rules)
    assert seg.tolist() == ["Top", "Recent", "Others"]
    assert list(seg.cat.categories) == ["Top", "Recent", "Also top", "Others"]
    assert seg.name == "segment"
    assert seg.index.tolist() == ["a", "b", "c"]
    seg2 = rfm_segments(sc, rules=[{"name": "X", "cells": ["5-5-5", "111"]}], other="rest")
    assert seg2.tolist() == ["X", "rest", "X"]


def test_rfm_preset_cells() -> None:
    # rows of the R rfm 0.3.0 table checked by hand (first match wins)
    sc = pd.DataFrame(
        {
            "R": [5, 4, 3, 2, 1, 1, 1, 3, 2],
            "F": [5, 4, 2, 2, 4, 2, 3, 1, 1],
            "M": [5, 3, 4, 2, 4, 4, 3, 1, 5],
        }
    )
    got = rfm_segments(sc, rules="rfm").tolist()
    assert got == [
        "Champions",
        "Potential Loyalist",
        "Loyal Customers",
        "Loyal Customers",
        "Can't Lose Them",
        "At Risk",
        "Need Attention",
        "About To Sleep",
        "Others",
    ]


def test_default_preset_partitions_cube() -> None:
    g = np.array(np.meshgrid(*[np.arange(1, 6)] * 3, indexing="ij")).reshape(3, -1).T
    seg = rfm_segments(pd.DataFrame(g, columns=["R", "F", "M"]))
    assert (seg != "Others").all()
    assert set(seg) == {r.name for r in RFM_PRESETS["default"][0]}


def test_presets_reject_scores_outside_their_scale() -> None:
    # regression: the default preset on bins=10 scores put most customers in "Others" and
    # the pymc preset on 1-5 scores returned "Other", both silently
    assert RFM_PRESET_SCORES == {"default": (1, 5), "rfm": (1, 5), "pymc": (1, 4)}
    assert set(RFM_PRESET_SCORES) == set(RFM_PRESETS)
    s = _summary(np.arange(40), np.arange(1, 41), np.arange(40.0))
    ten = rfm_scores(s, bins=10)
    for preset in (None, "default", "rfm"):
        with pytest.raises(ValidationError, match=r"scores 1\.\.5; column 'R' .* 20 values"):
            rfm_segments(ten, rules=preset)
    five = rfm_scores(s)
    with pytest.raises(ValidationError, match=r"(?s)'pymc' preset .* scores 1\.\.4.*method='pymc'"):
        rfm_segments(five, rules="pymc")
    # within the scale: fine, including a smaller scale (3 bins) and the pymc scoring
    assert rfm_segments(five).notna().all()
    assert rfm_segments(rfm_scores(s, bins=3), rules="rfm").notna().all()
    assert rfm_segments(rfm_scores(s, method="pymc"), rules="pymc").notna().all()
    # user rules are not bound to a scale
    seg = rfm_segments(ten, rules=[("Top", (9, 10), (1, 10), (1, 10))])
    assert (seg == "Top").sum() == 8


def test_segment_validation() -> None:
    sc = pd.DataFrame({"R": [1, 2], "F": [1, 2], "M": [1, 2]})
    with pytest.raises(ValidationError, match="rules"):
        rfm_segments(sc, rules="fancy")
    with pytest.raises(ValidationError, match="range"):
        rfm_segments(sc, rules=[("x", (3, 1), (1, 5), (1, 5))])
    with pytest.raises(ValidationError, match="cell"):
        rfm_segments(sc, rules=[("x", ["12"])])
    with pytest.raises(ValidationError, match="non-integer"):
        rfm_segments(sc.assign(R=[1.5, 2]))
    with pytest.raises(ValidationError, match="'M'"):
        rfm_segments(sc.drop(columns="M"))


def test_impossible_summaries_and_malformed_options_are_refused() -> None:
    s = _summary([0, 29, 30, 200], [1, 3, 8, 20], [5.0, 50.0, 500.0, 5000.0])
    bad = s.assign(recency=s["T"] + 1.0)  # recency beyond T: a negative time since last
    with pytest.raises(ValidationError, match=r"(?s)R metric.*negative for 4 customers.*T"):
        rfm_scores(bad)
    with pytest.raises(ValidationError, match="'edges' parameter of RFMScorer must map"):
        rfm_scores(s, edges="R")  # type: ignore[arg-type]
    scores = rfm_scores(s, bins=3)
    with pytest.raises(ValidationError, match="'rules' parameter of rfm_segments must be"):
        rfm_segments(scores, rules=5)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Each segment rule needs a 'name'"):
        rfm_segments(scores, rules=[{"R": (1, 2)}])
    with pytest.raises(ValidationError, match=r"(?s)unknown key 'f'.*did you mean 'F'"):
        rfm_segments(scores, rules=[{"name": "x", "f": (1, 2)}])


def test_from_dict_refuses_a_wrong_number_of_edges() -> None:
    # issue 13: edges one short loaded and scored on fewer bins than the state's own bins
    summary = pd.DataFrame(
        {
            "recency": [0.0, 10.0, 30.0, 50.0, 60.0],
            "T": [60.0] * 5,
            "n_purchases": [1, 2, 2, 5, 9],
            "total_amount": [10.0, 25.0, 40.0, 90.0, 300.0],
        }
    )
    state = RFMScorer(bins=3).fit(summary).to_dict()
    state["edges"]["R"] = state["edges"]["R"][:1]
    with pytest.raises(ValidationError, match=r"edges\['R'\] must hold 2 \(bins - 1\) values"):
        RFMScorer.from_dict(state)


# -- round 3 of the hostile battery (issue 13) --------------------------------------------
def _summary3() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "recency": [0.0, 10.0, 30.0, 50.0, 60.0],
            "T": [60.0] * 5,
            "n_purchases": [1, 2, 2, 5, 9],
            "total_amount": [10.0, 25.0, 40.0, 90.0, 300.0],
        },
        index=pd.Index([11, 12, 13, 14, 15], name="customer_id"),
    )


def test_a_customer_twice_in_the_summary_is_refused() -> None:
    s = _summary3().set_axis([11, 12, 12, 14, 15])
    with pytest.raises(ValidationError, match=r"2 rows share 1 customer id: 12\.\nHint"):
        rfm_scores(s)


def test_negative_purchase_counts_are_refused_but_negative_revenue_is_ranked() -> None:
    s = _summary3()
    with pytest.raises(ValidationError, match=r"F metric of rfm_scores \('n_purchases'\)"):
        rfm_scores(s.assign(n_purchases=-s["n_purchases"]))
    m = rfm_scores(s.assign(total_amount=-s["total_amount"]), bins=5)["M"]
    assert m.tolist() == [5, 4, 3, 2, 1]


def test_edges_of_one_metric_twice_or_as_text_are_refused() -> None:
    with pytest.raises(ValidationError, match="gives the F edges twice"):
        RFMScorer(edges={"F": [2], "frequency": [3]})
    for bad in ("10", ["10", "20"], [[1, 2]]):
        with pytest.raises(ValidationError, match=r"edges\['M'\]"):
            RFMScorer(edges={"M": bad})


def test_saved_state_refuses_unknown_keys_and_fractional_counts() -> None:
    state = json.loads(RFMScorer(bins=3).fit(_summary3()).to_json())
    for key, value, match in (
        ("bins", 3.5, "bins must be a whole number"),
        ("n_customers", 4.5, "n_customers must be a whole number"),
        ("edgse", {}, "unknown key 'edgse'"),
        ("columns", {"recency": "recency", "TT": "T"}, "unknown key 'TT'"),
    ):
        with pytest.raises(ValidationError, match=match):
            RFMScorer.from_dict({**state, key: value})


def test_tuple_column_names_survive_the_json_round_trip() -> None:
    wide = pd.concat({"a": _summary3()}, axis=1)
    names = {k: ("a", c) for k, c in (("recency", "recency"), ("T", "T"))}
    scorer = RFMScorer(
        bins=3, frequency=("a", "n_purchases"), monetary=("a", "total_amount"), **names
    ).fit(wide)
    again = RFMScorer.from_json(scorer.to_json())
    assert again.columns == scorer.columns
    assert again.transform(wide).equals(scorer.transform(wide))


@pytest.mark.parametrize(
    ("rule", "match"),
    [
        (("x", (1.5, 4), (1, 5), (1, 5)), "whole numbers"),
        (("x", "15", (1, 5), (1, 5)), "whole numbers"),
        ((None, (1, 5), (1, 5), (1, 5)), "non-empty name"),
        ({"name": "x", "cells": 334}, "cells must be a list"),
        ({"name": "x", "cells": "334"}, "cells must be a list"),
        ({"name": "x", "cells": ["334"], "M": 3}, r"both cells and ranges \['M'\]"),
        (SegmentRule("x", R=(5, 1)), "1 <= low <= high"),
        (SegmentRule("x", F=(True, 2)), "boolean"),
    ],
)
def test_segment_rules_are_checked_whatever_their_form(rule: Any, match: str) -> None:
    scores = pd.DataFrame({"R": [1, 5], "F": [1, 5], "M": [1, 5]})
    with pytest.raises(ValidationError, match=match):
        rfm_segments(scores, rules=[rule])


def test_whole_float_bounds_equal_integer_bounds() -> None:
    scores = pd.DataFrame({"R": [1, 4, 5], "F": [1, 5, 5], "M": [1, 5, 5]})
    a = rfm_segments(scores, rules=[("x", (4.0, 5.0), (1, 5), (1, 5))])
    b = rfm_segments(scores, rules=[("x", (4, 5), (1, 5), (1, 5))])
    assert a.equals(b)
    assert a.tolist() == ["Others", "x", "x"]

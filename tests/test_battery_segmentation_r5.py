"""Hostile battery of the segmentation, the plots and the generators, round 5 (issue 13).

Round 3 (``test_battery_segmentation``) tried the RFM scores and segments, value and quantile
tiers, tier policies, tier migration, the value x potential grid, the plots that read
customers and the generators' counts. This round tries what it did not: ``kmeans_segments`` /
``kmeans_elbow`` and ``segment_profile``; every other public plot (NPS distribution and by
segment, cohort retention, survival, the model checks, P(alive), sBG retention, the value x potential
grid, the programme effect, engagement, key drivers, the Pareto curve) with results of the
wrong kind, hand-made result tables (text, NaN, negative or fractional counts, an unsorted or
text index, empty tables), degenerate results (one customer, one tier, ties, all zero) and
magnitudes near the float limits, checking what is drawn (bar heights, cell counts and
texts, band widths, line values) against an independent computation; the spend parameters of
the generators at their extremes; and hand-edited saved states the earlier rounds left out
(numbers written as text, repeated or missing cells, fitted edges unlike the fixed ones,
shares not summing to 1); options that were silently ignored (``value_potential_tiers``'s
``date_format``, ``rfm_segments``'s ``other``).

Outcomes: ``Num(value)`` the right value from an independent computation in the test (a
crosstab, a histogram, a hand formula, ``value_tiers`` for the ABC bands), ``Err(kind,
*words)`` our own exception naming the parameter, column or key, ``Warns(kind, words, check)``
a warning of ours. A stray exception, a RuntimeWarning or matplotlib warning, a silently
wrong drawing or number, a silently ignored option or a modified caller object fails the
case. The fourth element of a case names the failure it met before this round's fixes
("" when it already passed).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest

import custloyalty as cl
from _battery import Err, Num, drawn, run_case
from custloyalty import datasets as ds
from custloyalty import plotting as pl
from custloyalty.errors import ConvergenceError
from custloyalty.errors import ValidationError as VE
from custloyalty.models import BetaGeo
from custloyalty.segmentation import (
    QuantileTiers,
    RFMScorer,
    TierPolicy,
    ValuePotentialGrid,
    kmeans_elbow,
    kmeans_segments,
    rfm_scores,
    rfm_segments,
    segment_profile,
    tier_migration,
    value_potential_tiers,
    value_tiers,
)

matplotlib.use("Agg")

TX = ds.make_transactions(60, seed=1)
SUMMARY = cl.rfm_summary(TX)
SCORES = rfm_scores(SUMMARY)
SEGMENTS = rfm_segments(SCORES)
SPEND = SUMMARY["total_amount"]
TIED = SUMMARY.assign(recency=1.0, T=2.0, n_purchases=1, total_amount=5.0)

Case = tuple[str, Callable[[], Any], Num | Err, str]


def table(cases: list[Case]) -> Any:
    return pytest.mark.parametrize(
        ("call", "want"), [c[1:3] for c in cases], ids=[c[0] for c in cases]
    )


def heights(ax: Any) -> list[float]:
    return [float(p.get_height()) for p in ax.patches]


def widths(ax: Any) -> list[float]:
    return [float(p.get_width()) for p in ax.patches]


def texts(ax: Any) -> list[str]:
    return [t.get_text() for t in ax.texts]


def edited(obj: Any, path: tuple[Any, ...], value: Any) -> Callable[[], Any]:
    """``from_json`` of ``obj``'s saved state with the entry at ``path`` replaced by hand."""
    state = json.loads(obj.to_json())
    node = state
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    text = json.dumps(state)
    return lambda: type(obj).from_json(text)


# ------------------------------------------------------------------ k-means and profiles
def _elbow_matches_segments() -> list[float]:
    table_ = kmeans_elbow(SUMMARY, ks=[4, 2], seed=3)
    direct = [kmeans_segments(SUMMARY, k=k, seed=3, n_init=5).inertia for k in (2, 4)]
    return [*table_.index.tolist(), *(table_["inertia"].to_numpy() - direct).tolist()]


def _profile_by_hand() -> dict[str, float]:
    rev = SPEND.groupby(SEGMENTS.astype(str)).sum()
    return {k: float(v) for k, v in rev.items() if v}


def _profile_revenue() -> dict[str, float]:
    out = segment_profile(SUMMARY, SEGMENTS)
    return {str(k): float(v) for k, v in out["revenue"].items() if v}


SEGMENTATION: list[Case] = [
    (
        "elbow of no k",
        lambda: kmeans_elbow(SUMMARY, ks=[]),
        Err(VE, "'ks'", "at least one"),
        "KeyError",
    ),
    (
        "elbow of one k as a number",
        lambda: kmeans_elbow(SUMMARY, ks=3),
        Err(VE, "'ks'", "ks=[3]"),
        "TypeError",
    ),
    (
        "elbow of ks as text",
        lambda: kmeans_elbow(SUMMARY, ks="23"),
        Err(VE, "'ks'", "list"),
        "message about k '2'",
    ),
    (
        "elbow of a repeated k",
        lambda: kmeans_elbow(SUMMARY, ks=[2, 2, 3]),
        Err(VE, "'ks'", "each once"),
        "silent duplicate rows",
    ),
    (
        "elbow: unsorted ks give the table by k, as kmeans_segments",
        _elbow_matches_segments,
        Num([2, 4, 0.0, 0.0], 1e-9),
        "rows in the order given",
    ),
    (
        "elbow: sample_size True",
        lambda: kmeans_elbow(SUMMARY, sample_size=True),
        Err(VE, "'sample_size'"),
        "",
    ),
    (
        "kmeans: k = number of customers, inertia 0",
        lambda: kmeans_segments(SUMMARY, k=60, seed=0).inertia,
        Num(0.0),
        "",
    ),
    (
        "kmeans: everybody tied",
        lambda: kmeans_segments(TIED, k=2, seed=0),
        Err(ConvergenceError, "1 distinct"),
        "",
    ),
    ("kmeans: seed True", lambda: kmeans_segments(SUMMARY, seed=True), Err(VE, "'seed'"), ""),
    (
        "kmeans: centre sizes are the label counts",
        lambda: (
            lambda r: (
                r.centers["n_customers"].tolist() == r.labels.value_counts().sort_index().tolist()
            )
        )(kmeans_segments(SUMMARY, k=3, seed=0)),
        Num(True),
        "",
    ),
    (
        "profile: columns as one text",
        lambda: segment_profile(SUMMARY, SEGMENTS, columns="recency"),
        Err(VE, "'columns'", "columns=['recency']"),
        "message about column 'e' twice",
    ),
    (
        "profile: revenue totals beyond the float range",
        lambda: segment_profile(SUMMARY.assign(total_amount=1e308), SEGMENTS),
        Err(VE, "overflow", "total_amount", "Hint"),
        "revenue_share NaN",
    ),
    ("profile: revenue per segment by hand", _profile_revenue, Num(_profile_by_hand(), 1e-9), ""),
    (
        "profile: shares sum to 1",
        lambda: (
            segment_profile(SUMMARY, SEGMENTS)[["customer_share", "revenue_share"]].sum().tolist()
        ),
        Num([1.0, 1.0], 1e-12),
        "",
    ),
    (
        "profile: labels of other customers",
        lambda: segment_profile(SUMMARY, SEGMENTS.set_axis(SEGMENTS.index + 1000)),
        Err(VE, "not found in summary"),
        "",
    ),
    (
        "profile: boolean labels",
        lambda: segment_profile(SUMMARY, pd.Series(SUMMARY.index % 2 == 0, index=SUMMARY.index))[
            "n_customers"
        ].tolist(),
        Num([30, 30]),
        "",
    ),
    (
        "rfm_segments: other as a number",
        lambda: rfm_segments(SCORES, other=5),
        Err(VE, "'other'", "non-empty text"),
        "label '5'",
    ),
    (
        "rfm_segments: other blank",
        lambda: rfm_segments(SCORES, other=" "),
        Err(VE, "'other'"),
        "blank segment",
    ),
]


@table(SEGMENTATION)
def test_segmentation(call: Callable[[], Any], want: Num | Err) -> None:
    run_case(call, want)


# ---------------------------------------------------------------------------- plots
NB = cl.metrics.nps_by(
    pd.DataFrame({"region": list("NNNSSS"), "recommend": [10, 3, 9, 9, 8, 10]}), by="region"
)
SEG_FRAME = pd.DataFrame(
    {"score": [20.0, -10.0], "ci_low": [10.0, -30.0], "ci_high": [30.0, 10.0], "n": [40, 25]},
    index=["a", "b"],
)
MIG = tier_migration(pd.Series(["A", "B", "B"]), pd.Series(["B", "B", "A"]))
KD = pd.DataFrame({"total": [0.5, 0.3, 0.1], "performance": [60.0, 75.0, 80.0]}, index=list("VQI"))
CH = pd.DataFrame({"n_customers": [5, 3], "actual": [0.2, 1.0], "expected": [0.3, 0.9]})
CP = pd.DataFrame(
    {"actual": [1.0, 3.0, 4.0], "expected": [1.2, 2.8, 4.1], "holdout": [False, False, True]}
)
SB = pd.DataFrame(
    {
        "cohort": ["c1"] * 3,
        "period": [0, 1, 2],
        "actual": [100, 60, 40],
        "expected": [100.0, 62.0, 41.0],
        "actual_retention": [np.nan, 0.6, 0.667],
        "expected_retention": [np.nan, 0.62, 0.661],
    }
)
BG = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})


class _Result:
    """A hand-made result object (the kind a plot reads, with its tables edited)."""

    def __init__(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)


CR = cl.metrics.cohort_retention(TX, period="Q")
SV = cl.metrics.survival_curve(SUMMARY, threshold=26)


def cohort(**tables: Any) -> _Result:
    keep = {k: getattr(CR, k) for k in ("rates", "sizes", "counts", "period", "observation_end")}
    return _Result(**{**keep, **tables})


def survival(**parts: Any) -> _Result:
    names = ("table", "median", "confidence", "time_unit", "n_customers")
    return _Result(**{**{k: getattr(SV, k) for k in names}, **parts})


VP_COUNTS = pd.DataFrame(
    [[49, 101], [99, 51]],
    index=pd.Index(["high", "low"], name="value"),
    columns=pd.Index(["low", "high"], name="potential"),
)
VP_ACTIONS = pd.DataFrame(
    [["maintain", "retain"], ["harvest", "develop"]],
    index=VP_COUNTS.index,
    columns=VP_COUNTS.columns,
)


def vp(counts: pd.DataFrame = VP_COUNTS, actions: pd.DataFrame = VP_ACTIONS) -> _Result:
    return _Result(
        counts=counts,
        actions=actions,
        model="bg_nbd",
        horizon=12,
        observation_end=pd.Timestamp("2021-06-30"),
    )


def _rfm_grid_by_hand() -> list[list[float]]:
    ct = pd.crosstab(SCORES["R"], SCORES["F"]).reindex(index=range(1, 6), columns=range(1, 6))
    return ct.fillna(0).to_numpy(dtype=float).tolist()


def _rfm_shares_by_hand() -> list[str]:
    cell = SCORES["R"].astype(str) + SCORES["F"].astype(str)
    share = SPEND.groupby(cell).sum() / SPEND.sum()
    count = cell.value_counts()
    out = []
    for r in range(1, 6):
        for f in range(1, 6):
            key = f"{r}{f}"
            out.append(f"{int(count.get(key, 0)):,}\n{share.get(key, 0.0):.0%} rev.")
    return out


def _migration_pct_by_hand() -> list[list[float]]:
    c = MIG.counts.to_numpy(dtype=float)
    s = c.sum(axis=1, keepdims=True)
    return np.where(s > 0, 100 * c / np.where(s > 0, s, 1), np.nan)[:2].tolist()


def _abc_bands(values: list[float]) -> list[str]:
    tiers = value_tiers(values)
    share = tiers.value_counts(sort=False).to_numpy() / len(values) * 100
    return [f"{name}\n{s:.0f}% of\ncustomers" for name, s in zip("ABC", share, strict=True)]


def _vp_texts() -> list[str]:
    total = VP_COUNTS.to_numpy().sum()
    return [
        f"{n:,} ({100 * n / total:.0f}%)\n{a}"
        for n, a in zip(VP_COUNTS.to_numpy().ravel(), VP_ACTIONS.to_numpy().ravel(), strict=True)
    ]


PLOTS: list[Case] = [
    # NPS distribution and NPS by segment
    (
        "nps bars: every answer a promoter, no interval warning",
        drawn(lambda: heights(pl.plot_nps_distribution([9, 10, 10]))),
        Num([0.0] * 9 + [1.0, 2.0]),
        "DegenerateIntervalWarning",
    ),
    (
        "nps bars: nullable with a gap, omitted",
        drawn(
            lambda: heights(
                pl.plot_nps_distribution(
                    pd.Series([10, 9, pd.NA, 3], dtype="Int64"), nan_policy="omit"
                )
            )
        ),
        Num([0.0] * 3 + [1.0] + [0.0] * 5 + [1.0, 1.0]),
        "",
    ),
    (
        "nps bars: ax of the wrong kind",
        drawn(lambda: pl.plot_nps_distribution([0, 10], ax="ax")),
        Err(VE, "'ax'"),
        "",
    ),
    (
        "nps by segment: bar widths are the scores",
        drawn(lambda: widths(pl.plot_nps_by_segment(SEG_FRAME))),
        Num([20.0, -10.0]),
        "",
    ),
    (
        "nps by segment: score as text",
        drawn(lambda: pl.plot_nps_by_segment(NB.assign(score="a"))),
        Err(VE, "'score'", "non-numeric"),
        "ValueError",
    ),
    (
        "nps by segment: respondents NaN",
        drawn(lambda: pl.plot_nps_by_segment(NB.assign(n=np.nan))),
        Err(VE, "'n'", "missing"),
        "ValueError",
    ),
    (
        "nps by segment: respondents negative",
        drawn(lambda: pl.plot_nps_by_segment(NB.assign(n=-3))),
        Err(VE, "'n'", "out-of-range"),
        "silently drawn",
    ),
    (
        "nps by segment: respondents fractional",
        drawn(lambda: pl.plot_nps_by_segment(NB.assign(n=2.5))),
        Err(VE, "'n'", "non-integer"),
        "silently drawn",
    ),
    (
        "nps by segment: respondents boolean",
        drawn(lambda: pl.plot_nps_by_segment(NB.assign(n=True))),
        Err(VE, "'n'", "bool"),
        "silently drawn",
    ),
    (
        "nps by segment: score of 500 points",
        drawn(lambda: pl.plot_nps_by_segment(NB.assign(score=500.0))),
        Err(VE, "'score'", "outside [-100, 100]"),
        "silently drawn",
    ),
    (
        "nps by segment: score NaN",
        drawn(lambda: pl.plot_nps_by_segment(NB.assign(score=np.nan))),
        Err(VE, "'score'", "missing"),
        "empty bars",
    ),
    (
        "nps by segment: no interval at all",
        drawn(
            lambda: widths(pl.plot_nps_by_segment(SEG_FRAME.assign(ci_low=np.nan, ci_high=np.nan)))
        ),
        Num([20.0, -10.0]),
        "RuntimeWarning",
    ),
    # cohort retention and survival (hand-edited result tables)
    (
        "cohort: cells are the rates in %",
        drawn(
            lambda: (
                pl.plot_cohort_retention(CR).images[0].get_array().filled(np.nan)[0, :2].tolist()
            )
        ),
        Num((100 * CR.rates.iloc[0, :2]).tolist(), 1e-9),
        "",
    ),
    (
        "cohort: rates as text",
        drawn(lambda: pl.plot_cohort_retention(cohort(rates=CR.rates.astype(str) + "x"))),
        Err(VE, "non-numeric"),
        "ValueError",
    ),
    (
        "cohort: rates above 1",
        drawn(lambda: pl.plot_cohort_retention(cohort(rates=CR.rates * 5))),
        Err(VE, "outside [0, 1]"),
        "silently drawn",
    ),
    (
        "cohort: every rate missing",
        drawn(lambda: pl.plot_cohort_retention(cohort(rates=CR.rates * np.nan))),
        Err(VE, "nothing to draw"),
        "empty grid",
    ),
    (
        "cohort: negative size",
        drawn(lambda: pl.plot_cohort_retention(cohort(sizes=-CR.sizes))),
        Err(VE, "'size'", "out-of-range"),
        "label of -60 customers",
    ),
    (
        "cohort: no cohort",
        drawn(
            lambda: pl.plot_cohort_retention(
                cohort(rates=CR.rates.iloc[:0, :0], sizes=CR.sizes.iloc[:0])
            )
        ),
        Err(VE, "at least one cohort"),
        "matplotlib UserWarning",
    ),
    (
        "survival: table as text",
        drawn(lambda: pl.plot_survival(survival(table=SV.table.astype(str) + "x"))),
        Err(VE, "'time'", "non-numeric"),
        "ValueError",
    ),
    (
        "survival: empty table",
        drawn(lambda: pl.plot_survival(survival(table=SV.table.iloc[:0]))),
        Err(VE, "empty"),
        "empty plot",
    ),
    (
        "survival: shares above 1",
        drawn(lambda: pl.plot_survival(survival(table=SV.table.assign(survival=5.0)))),
        Err(VE, "above 1"),
        "silently drawn",
    ),
    (
        "survival: curve NaN",
        drawn(lambda: pl.plot_survival(survival(table=SV.table.assign(survival=np.nan)))),
        Err(VE, "'survival'", "missing"),
        "empty curve",
    ),
    (
        "survival: median None (never reached)",
        drawn(lambda: len(pl.plot_survival(survival(median=None)).lines)),
        Num(1),
        "TypeError",
    ),
    # RFM grid
    (
        "rfm grid: cells are the crosstab of R and F",
        drawn(lambda: pl.plot_rfm_segments(SCORES).images[0].get_array().tolist()),
        Num(_rfm_grid_by_hand()),
        "",
    ),
    (
        "rfm grid: texts give counts and revenue shares",
        drawn(lambda: texts(pl.plot_rfm_segments(SCORES, revenue=SPEND))),
        Num(_rfm_shares_by_hand()),
        "",
    ),
    (
        "rfm grid: revenue near the float limit",
        drawn(lambda: texts(pl.plot_rfm_segments(SCORES, revenue=SPEND / SPEND.max() * 1e308))),
        Num(_rfm_shares_by_hand()),
        "RuntimeWarning, NaN shares",
    ),
    (
        "rfm grid: boolean R",
        drawn(lambda: pl.plot_rfm_segments(SCORES.assign(R=True))),
        Err(VE, "'R'", "boolean"),
        "True drawn as score 1",
    ),
    (
        "rfm grid: no customer",
        drawn(lambda: pl.plot_rfm_segments(SCORES.head(0))),
        Err(VE, "at least one customer"),
        "empty grid drawn",
    ),
    (
        "rfm grid: a customer twice",
        drawn(lambda: pl.plot_rfm_segments(pd.concat([SCORES, SCORES.head(2)]))),
        Err(VE, "once"),
        "counted twice",
    ),
    # tiers
    (
        "tiers: heights are the shares of customers",
        drawn(lambda: heights(pl.plot_tiers(["A", "B", "B", "B"]))),
        Num([25.0, 75.0]),
        "",
    ),
    (
        "tiers: fractional size",
        drawn(lambda: pl.plot_tiers({"Gold": 2.5, "Silver": 1})),
        Err(VE, "whole number", "Gold"),
        "label '2' for 2.5",
    ),
    (
        "tiers: sizes near the float limit",
        drawn(lambda: heights(pl.plot_tiers({"Gold": 1e308, "Silver": 1e308}))),
        Num([50.0, 50.0]),
        "RuntimeWarning",
    ),
    (
        "tiers: values near the float limit",
        drawn(lambda: heights(pl.plot_tiers(["A", "B"], values=[1.5e308, 0.5e308]))),
        Num([50.0, 50.0, 75.0, 25.0]),
        "RuntimeWarning",
    ),
    (
        "tiers: a 2-D array of labels",
        drawn(lambda: pl.plot_tiers(np.array([["a", "b"], ["c", "d"]]))),
        Err(VE, "one tier label per customer"),
        "ArrowInvalid",
    ),
    (
        "tiers: lists as labels",
        drawn(lambda: pl.plot_tiers([["a"], ["b"]])),
        Err(VE, "tiers", "scalar"),
        "TypeError",
    ),
    (
        "tiers: names that read the same",
        drawn(lambda: pl.plot_tiers({1: 3, "1": 4})),
        Err(VE, "distinct tier names"),
        "two bars named '1'",
    ),
    (
        "tiers: one tier",
        drawn(lambda: heights(pl.plot_tiers(pd.Series(["A"] * 7)))),
        Num([100.0]),
        "",
    ),
    # tier migration
    (
        "migration: row % by hand",
        drawn(lambda: pl.plot_tier_migration(MIG).images[0].get_array()[:2].tolist()),
        Num(_migration_pct_by_hand()),
        "",
    ),
    (
        "migration: counts NaN",
        drawn(lambda: pl.plot_tier_migration(_Result(counts=MIG.counts.astype(float) * np.nan))),
        Err(VE, "missing"),
        "ValueError",
    ),
    (
        "migration: counts negative",
        drawn(lambda: pl.plot_tier_migration(_Result(counts=-MIG.counts))),
        Err(VE, "out-of-range"),
        "silently drawn",
    ),
    (
        "migration: counts fractional",
        drawn(lambda: pl.plot_tier_migration(_Result(counts=MIG.counts / 2))),
        Err(VE, "non-integer"),
        "silently drawn",
    ),
    (
        "migration: no tier",
        drawn(lambda: pl.plot_tier_migration(_Result(counts=MIG.counts.iloc[:0, :0]))),
        Err(VE, "empty"),
        "matplotlib UserWarning",
    ),
    # composite and engagement histograms
    (
        "composite: bars are np.histogram",
        drawn(lambda: heights(pl.plot_composite_distribution([5.0, 55.0, 60.0, 100.0], bins=4))),
        Num(
            np.histogram([5.0, 55.0, 60.0, 100.0], bins=4, range=(0, 100))[0].astype(float).tolist()
        ),
        "",
    ),
    (
        "composite: values beyond 100",
        drawn(lambda: pl.plot_composite_distribution([50.0, 150.0, -5.0])),
        Err(VE, "values", "outside [0, 100]"),
        "2 of 3 not drawn",
    ),
    (
        "composite: thresholds as text",
        drawn(lambda: pl.plot_composite_distribution([50.0], thresholds="50")),
        Err(VE, "thresholds", "text"),
        "cut-offs 5 and 0",
    ),
    (
        "composite: threshold beyond the scale",
        drawn(lambda: pl.plot_composite_distribution([50.0], thresholds=[150.0])),
        Err(VE, "thresholds", "outside [0, 100]"),
        "silently drawn",
    ),
    (
        "composite: labels as a number",
        drawn(lambda: pl.plot_composite_distribution([50.0], thresholds=[60.0], labels=5)),
        Err(VE, "labels"),
        "TypeError",
    ),
    (
        "composite: labels as one text",
        drawn(
            lambda: pl.plot_composite_distribution([50.0], thresholds=[60.0, 30.0], labels="abc")
        ),
        Err(VE, "labels", "list"),
        "letters as tier names",
    ),
    (
        "engagement: values beyond 100",
        drawn(lambda: pl.plot_engagement([50.0, 150.0, -5.0])),
        Err(VE, "index", "outside [0, 100]"),
        "2 of 3 not drawn",
    ),
    (
        "engagement: bars are np.histogram",
        drawn(lambda: heights(pl.plot_engagement([10.0, 35.0, 35.0, 80.0, np.nan], bins=4))),
        Num([1.0, 2.0, 0.0, 1.0]),
        "",
    ),
    # weights and drivers
    (
        "weights: bars are the weights in %",
        drawn(lambda: widths(pl.plot_weights({"f": 0.5, "m": 0.3, "r": 0.2}))),
        Num([50.0, 30.0, 20.0], 1e-9),
        "",
    ),
    (
        "weights: not summing to 1",
        drawn(lambda: pl.plot_weights({"a": 5, "b": 3})),
        Err(VE, "sum to 1", "Hint"),
        "bars of 500% and 300%",
    ),
    (
        "weights: all zero",
        drawn(lambda: pl.plot_weights({"a": 0, "b": 0})),
        Err(VE, "sum to 1"),
        "silently drawn",
    ),
    (
        "weights: an indicator twice",
        drawn(lambda: pl.plot_weights(pd.Series([0.5, 0.5], index=["a", "a"]))),
        Err(VE, "one weight per indicator"),
        "silently drawn",
    ),
    (
        "weights: contributions of an indicator twice",
        drawn(
            lambda: pl.plot_weights(
                {"a": 0.5, "b": 0.5}, contributions=pd.Series([1.0, 2.0], index=["a", "a"])
            )
        ),
        Err(VE, "more than once"),
        "ValueError",
    ),
    (
        "weights: infinite contribution",
        drawn(lambda: pl.plot_weights({"a": 0.5, "b": 0.5}, contributions={"a": np.inf})),
        Err(VE, "finite"),
        "RuntimeWarning",
    ),
    (
        "drivers: totals as text",
        drawn(lambda: pl.plot_key_drivers(KD.assign(total="a"))),
        Err(VE, "'total'", "non-numeric"),
        "ValueError",
    ),
    (
        "drivers: a total NaN",
        drawn(lambda: pl.plot_key_drivers(KD.assign(total=[np.nan, 0.3, 0.1]))),
        Err(VE, "'total'", "missing"),
        "ValueError",
    ),
    (
        "drivers: infinite performance",
        drawn(lambda: pl.plot_key_drivers(KD.assign(performance=np.inf))),
        Err(VE, "'performance'", "infinite"),
        "RuntimeWarning",
    ),
    (
        "drivers: performance beyond 100",
        drawn(lambda: pl.plot_key_drivers(KD.assign(performance=500.0))),
        Err(VE, "'performance'", "outside [0, 100]"),
        "silently drawn",
    ),
    (
        "drivers: totals spanning the float range",
        drawn(lambda: pl.plot_key_drivers(KD.assign(total=[1e308, -1e308, 0.0]))),
        Err(VE, "float range"),
        "RuntimeWarning",
    ),
    (
        "drivers: boolean totals",
        drawn(lambda: pl.plot_key_drivers(KD.assign(total=True))),
        Err(VE, "'total'", "bool"),
        "True drawn as 1",
    ),
    # Pareto curve
    (
        "pareto: bands are the value_tiers tiers",
        drawn(lambda: texts(pl.plot_pareto_curve(SPEND))[:3]),
        Num(_abc_bands(SPEND.tolist())),
        "",
    ),
    (
        "pareto: tied customers share a band",
        drawn(lambda: texts(pl.plot_pareto_curve([10.0, 1.0, 1.0, 1.0]))[:3]),
        Num(_abc_bands([10.0, 1.0, 1.0, 1.0])),
        "A 50% / B 50% against value_tiers' A 100%",
    ),
    (
        "pareto: shares summing to 2",
        drawn(lambda: pl.plot_pareto_curve(SPEND, shares=(1.0, 0.5, 0.5))),
        Err(VE, "'shares'", "sum to 1"),
        "silently drawn",
    ),
    (
        "pareto: negative share",
        drawn(lambda: pl.plot_pareto_curve(SPEND, shares=(1.2, -0.1, -0.1))),
        Err(VE, "'shares'", "positive"),
        "silently drawn",
    ),
    (
        "pareto: share NaN",
        drawn(lambda: pl.plot_pareto_curve(SPEND, shares=(np.nan, 0.5, 0.5))),
        Err(VE, "'shares'"),
        "silently drawn",
    ),
    (
        "pareto: shares as text",
        drawn(lambda: pl.plot_pareto_curve(SPEND, shares="abc")),
        Err(VE, "'shares'"),
        "TypeError",
    ),
    (
        "pareto: shares as a number",
        drawn(lambda: pl.plot_pareto_curve(SPEND, shares=1.0)),
        Err(VE, "'shares'"),
        "TypeError",
    ),
    (
        "pareto: boolean shares",
        drawn(lambda: pl.plot_pareto_curve(SPEND, shares=(True, False, False))),
        Err(VE, "'shares'", "boolean"),
        "silently drawn",
    ),
    (
        "pareto: labels as a number",
        drawn(lambda: pl.plot_pareto_curve(SPEND, labels=3)),
        Err(VE, "'labels'"),
        "TypeError",
    ),
    # model checks
    (
        "calibration: lines are the table",
        drawn(lambda: [ln.get_ydata().tolist() for ln in pl.plot_calibration_holdout(CH).lines]),
        Num([[0.2, 1.0], [0.3, 0.9]]),
        "",
    ),
    (
        "calibration: index of text",
        drawn(lambda: pl.plot_calibration_holdout(CH.set_axis(["a", "b"]))),
        Err(VE, "index"),
        "ValueError",
    ),
    (
        "calibration: actual as text",
        drawn(lambda: pl.plot_calibration_holdout(CH.assign(actual="x"))),
        Err(VE, "'actual'", "non-numeric"),
        "text drawn as categories",
    ),
    (
        "calibration: actual NaN",
        drawn(lambda: pl.plot_calibration_holdout(CH.assign(actual=np.nan))),
        Err(VE, "'actual'", "missing"),
        "empty line",
    ),
    (
        "calibration: no row",
        drawn(lambda: pl.plot_calibration_holdout(CH.head(0))),
        Err(VE, "empty"),
        "empty plot",
    ),
    (
        "calibration: index not in order",
        drawn(lambda: pl.plot_calibration_holdout(CH.set_axis([1, 0]))),
        Err(VE, "increasing order"),
        "'0+' tick on the smallest count",
    ),
    (
        "cumulative: holdout flags as text",
        drawn(lambda: pl.plot_cumulative_purchases(CP.assign(holdout=["no", "no", "yes"]))),
        Err(VE, "'holdout'", "True / False"),
        "'no' read as True",
    ),
    (
        "cumulative: index of text",
        drawn(lambda: pl.plot_cumulative_purchases(CP.set_axis(list("abc")))),
        Err(VE, "index"),
        "ValueError",
    ),
    (
        "cumulative: no row",
        drawn(lambda: pl.plot_cumulative_purchases(CP.head(0))),
        Err(VE, "empty"),
        "empty plot",
    ),
    (
        "cumulative: calibration end at the last calibration period",
        drawn(lambda: float(pl.plot_cumulative_purchases(CP).lines[2].get_xdata()[0])),
        Num(1.0),
        "",
    ),
    (
        "p_alive: T None",
        drawn(lambda: pl.plot_p_alive_matrix(BG, T=None)),
        Err(VE, "'T' parameter", "must be a number"),
        "TypeError",
    ),
    (
        "p_alive: T a list",
        drawn(lambda: pl.plot_p_alive_matrix(BG, T=[39.0])),
        Err(VE, "'T' parameter", "must be a number"),
        "TypeError",
    ),
    (
        "p_alive: T as text",
        drawn(lambda: pl.plot_p_alive_matrix(BG, T="39")),
        Err(VE, "'T' parameter", "must be a number"),
        "text read as 39",
    ),
    (
        "p_alive: cells are the model's P(alive)",
        drawn(
            lambda: float(
                pl.plot_p_alive_matrix(BG, max_frequency=2, n_recency=2, T=10.0)
                .images[0]
                .get_array()[2, 1]
            )
        ),
        Num(float(BG.p_alive(frequency=[2], recency=[10.0], T=[10.0]).iloc[0]), 1e-12),
        "",
    ),
    (
        "retention: cohort of 0 customers",
        drawn(lambda: pl.plot_retention(SB.assign(actual=[0, 0, 0]))),
        Err(VE, "0 customers"),
        "RuntimeWarning",
    ),
    (
        "retention: counts as text",
        drawn(lambda: pl.plot_retention(SB.assign(actual="x"))),
        Err(VE, "'actual'", "non-numeric"),
        "ValueError",
    ),
    (
        "retention: no row",
        drawn(lambda: pl.plot_retention(SB.head(0))),
        Err(VE, "empty"),
        "matplotlib UserWarning",
    ),
    (
        "retention: cohort missing",
        drawn(lambda: pl.plot_retention(SB.assign(cohort=np.nan))),
        Err(VE, "'cohort'", "missing"),
        "nothing drawn",
    ),
    (
        "retention: rows not in period order",
        drawn(lambda: pl.plot_retention(SB.iloc[::-1]).lines[0].get_ydata().tolist()),
        Num([1.0, 0.6, 0.4]),
        "survival 1.0, 1.5, 2.5",
    ),
    (
        "retention: a period twice",
        drawn(lambda: pl.plot_retention(pd.concat([SB, SB.tail(1)]))),
        Err(VE, "twice"),
        "silently drawn",
    ),
    # value x potential, programme, over time
    (
        "value x potential: texts are the counts and actions",
        drawn(lambda: texts(pl.plot_value_potential(vp()))),
        Num(_vp_texts()),
        "",
    ),
    (
        "value x potential: counts NaN",
        drawn(lambda: pl.plot_value_potential(vp(VP_COUNTS * np.nan))),
        Err(VE, "missing"),
        "RuntimeWarning",
    ),
    (
        "value x potential: counts as text",
        drawn(lambda: pl.plot_value_potential(vp(VP_COUNTS.astype(str) + "x"))),
        Err(VE, "non-numeric"),
        "ValueError",
    ),
    (
        "value x potential: counts negative",
        drawn(lambda: pl.plot_value_potential(vp(-VP_COUNTS))),
        Err(VE, "out-of-range"),
        "silently drawn",
    ),
    (
        "value x potential: fewer actions than cells",
        drawn(lambda: pl.plot_value_potential(vp(actions=VP_ACTIONS.iloc[:1]))),
        Err(VE, "one action per cell"),
        "IndexError",
    ),
    (
        "programme effect: a result without placebo",
        drawn(lambda: pl.plot_programme_effect(_Result(effects=pd.DataFrame(index=["a"])))),
        Err(VE, "programme_effect"),
        "AttributeError",
    ),
    (
        "over time: a result without alerts",
        drawn(lambda: pl.plot_over_time(_Result(kpis=pd.DataFrame()))),
        Err(VE, "evaluate_over_time"),
        "AttributeError",
    ),
]


@table(PLOTS)
def test_plots(call: Callable[[], Any], want: Num | Err) -> None:
    run_case(call, want)


# ------------------------------------------------------------------- generators, options
def _day_first_same_result() -> bool:
    import warnings

    tx = ds.make_transactions(80, seed=3)
    text = tx.assign(date=tx["date"].dt.strftime("%d/%m/%Y"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cl.errors.ConvergenceWarning)
        a = value_potential_tiers(tx, observation_end="2021-06-30")
        b = value_potential_tiers(text, observation_end="2021-06-30", date_format="%d/%m/%Y")
    return bool(a.customers.equals(b.customers))


GENERATORS: list[Case] = [
    (
        "make_transactions: gamma 1e300",
        lambda: ds.make_transactions(5, gamma=1e300, seed=1),
        Err(VE, "spend parameters", "gamma", "Hint"),
        "ValueError lam too large",
    ),
    (
        "make_transactions: q 1e-300",
        lambda: ds.make_transactions(5, q=1e-300, seed=1),
        Err(VE, "spend parameters", "q="),
        "RuntimeWarning",
    ),
    (
        "make_programme: mean_spend 1e308",
        lambda: ds.make_programme(50, lift=0.1, mean_spend=1e308, seed=1),
        Err(VE, "'mean_spend'"),
        "RuntimeWarning",
    ),
    (
        "make_transactions: amounts positive and finite",
        lambda: bool(
            np.isfinite(ds.make_transactions(200, seed=2)["amount"]).all()
            and (ds.make_transactions(200, seed=2)["amount"] > 0).all()
        ),
        Num(True),
        "",
    ),
    (
        "load_cdnow: a fresh copy each call",
        lambda: (
            lambda a: (
                a.iloc[:, 0].__setitem__(slice(None), -1),
                int(ds.load_cdnow("sample").iloc[0, 0]),
            )[1]
        )(ds.load_cdnow("sample")),
        Num(int(ds.load_cdnow("sample").iloc[0, 0])),
        "",
    ),
    (
        "value_potential_tiers: date_format is used",
        _day_first_same_result,
        Num(True),
        "date_format ignored",
    ),
    (
        "value_potential_tiers: date_format not a format",
        lambda: value_potential_tiers(TX, date_format=5),
        Err(VE, "'date_format'"),
        "silently ignored",
    ),
]


@table(GENERATORS)
def test_generators_and_options(call: Callable[[], Any], want: Num | Err) -> None:
    run_case(call, want)


# ------------------------------------------------------------ hand-edited saved states
POLICY = TierPolicy(
    [{"name": "Gold", "qualify": {"spend": 20}}, {"name": "Member"}], points_per_unit=2.0
)
GRID = ValuePotentialGrid().fit([10.0, 20.0, 30.0, 40.0], [5.0, 1.0, 8.0, 2.0])
QT = QuantileTiers([0.2, 0.3, 0.5]).fit(SPEND)
FIXED = RFMScorer(edges={"R": [100.0, 200.0, 300.0, 400.0]}).fit(SUMMARY)
CELLS = [["high", "high", "retain"], ["low", "high", "develop"], ["high", "low", "maintain"]]

STATES: list[Case] = [
    (
        "policy: qualification as text",
        edited(POLICY, ("tiers", 0, "qualify", "spend"), "20"),
        Err(VE, "qualify['spend']", "text"),
        "text read as 20",
    ),
    (
        "policy: points_per_unit as text",
        edited(POLICY, ("points_per_unit",), "2"),
        Err(VE, "points_per_unit", "text"),
        "text read as 2",
    ),
    (
        "policy: round trip assigns alike",
        lambda: (
            TierPolicy.from_json(POLICY.to_json())
            .assign(pd.DataFrame({"spend": [25.0, 5.0]}))["tier"]
            .astype(str)
            .tolist()
        ),
        Num(["Gold", "Member"]),
        "",
    ),
    (
        "grid: a cell listed twice",
        edited(GRID, ("actions",), [*CELLS, ["low", "low", "x"], ["low", "low", "harvest"]]),
        Err(VE, "actions", "once", "('low', 'low')"),
        "last action kept",
    ),
    (
        "grid: a cell missing",
        edited(GRID, ("actions",), CELLS),
        Err(VE, "actions", "missing", "('low', 'low')"),
        "default action kept",
    ),
    (
        "quantile tiers: shares not summing to 1",
        edited(QT, ("shares",), [0.2, 0.3, 0.6]),
        Err(VE, "shares", "sum to 1"),
        "rescaled silently",
    ),
    (
        "rfm scorer: fitted edges unlike the fixed ones",
        edited(FIXED, ("edges", "R"), [1.0, 2.0, 3.0, 4.0]),
        Err(VE, "edges['R']", "fixed_edges"),
        "scores by the edited edges",
    ),
    (
        "rfm scorer: a fixed metric recorded as constant",
        edited(FIXED, ("constant",), {"R": 150.0}),
        Err(VE, "constant['R']", "fixed"),
        "scores R by the constant",
    ),
    (
        "rfm scorer: round trip scores alike",
        lambda: (
            RFMScorer.from_json(FIXED.to_json()).transform(SUMMARY).equals(FIXED.transform(SUMMARY))
        ),
        Num(True),
        "",
    ),
]


@table(STATES)
def test_hand_edited_states(call: Callable[[], Any], want: Num | Err) -> None:
    run_case(call, want)


# -------------------------------------------------------------------- the caller's objects
def test_no_caller_object_is_modified() -> None:
    summary, segments, nb, frame = SUMMARY.copy(), SEGMENTS.copy(), NB.copy(), SB.iloc[::-1]
    frame_copy = frame.copy()
    ch, cp, kd, counts = CH.copy(), CP.copy(), KD.copy(), VP_COUNTS.copy()
    weights = {"f": 0.5, "m": 0.3, "r": 0.2}
    shares = [0.8, 0.15, 0.05]
    segment_profile(summary, segments)
    kmeans_segments(summary, k=3, seed=0)
    kmeans_elbow(summary, ks=[3, 2], seed=0)
    drawn(lambda: pl.plot_nps_by_segment(nb))()
    drawn(lambda: pl.plot_retention(frame))()
    drawn(lambda: pl.plot_calibration_holdout(ch))()
    drawn(lambda: pl.plot_cumulative_purchases(cp))()
    drawn(lambda: pl.plot_key_drivers(kd))()
    drawn(lambda: pl.plot_value_potential(vp(counts)))()
    drawn(lambda: pl.plot_weights(weights))()
    drawn(lambda: pl.plot_pareto_curve(SPEND, shares=shares))()
    pd.testing.assert_frame_equal(summary, SUMMARY)
    pd.testing.assert_series_equal(segments, SEGMENTS)
    pd.testing.assert_frame_equal(nb, NB)
    pd.testing.assert_frame_equal(frame, frame_copy)
    pd.testing.assert_frame_equal(ch, CH)
    pd.testing.assert_frame_equal(cp, CP)
    pd.testing.assert_frame_equal(kd, KD)
    pd.testing.assert_frame_equal(counts, VP_COUNTS)
    assert weights == {"f": 0.5, "m": 0.3, "r": 0.2}
    assert shares == [0.8, 0.15, 0.05]


def test_failure_log_is_complete() -> None:
    """Every case names the failure it met before the fixes, or "" when it passed."""
    cases = SEGMENTATION + PLOTS + GENERATORS + STATES
    assert len({c[0] for c in cases}) == len(cases)
    assert all(isinstance(c[3], str) for c in cases)

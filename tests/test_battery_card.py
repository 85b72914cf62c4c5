"""Hostile battery of the scorecard's building blocks, monitoring, programme and buckets (round 4).

Issue 13, "done when". Rounds 1-3 (``test_battery_survey_scorecard``, ``test_battery_flows``)
tried the scorecard's config, plugins, surveys and saved state. This round tries what they did
not: the normalisers (``min_max``, ``z_score``, ``percentile_rank``) on text, booleans, dates,
infinities, ties, constant columns and magnitudes near the float limits, with their options
(``bounds``, ``center``, ``scale``); the weightings (``entropy_weights``, ``critic_weights``,
``ahp_weights``, ``ahp_hierarchy``, ``fixed_weights``) on degenerate matrices; options of the
scorecard that contradict each other; ``compare`` of results of different cards;
``ScorecardResult.top`` and ``SummaryTotals`` arithmetic; ``population_stability_index``;
``evaluate_over_time`` options; ``programme_effect`` with one-sided groups and odd member ids;
``customer_bucket`` / ``bucket_scores`` inputs.

Outcomes: ``Num(value)`` the right number from an independent computation in the test (hand
formula, scipy), ``Err(kind, *words)`` our own exception naming the parameter, ``Warns(kind,
words, check)`` a warning of ours and a result passing ``check``. A stray exception, a
RuntimeWarning, a silently wrong number or a silently ignored option fails the case.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import custloyalty as cl
from _battery import Err, Num, Warns, run_case
from custloyalty.datasets import load_cdnow, make_programme, make_survey
from custloyalty.errors import (
    CustLoyaltyError,
    CustLoyaltyWarning,
    UndefinedMetricWarning,
    ValidationError,
)
from custloyalty.monitoring import evaluate_over_time, population_stability_index
from custloyalty.programme import programme_effect
from custloyalty.scorecard import (
    LoyaltyScorecard,
    ScorecardSummary,
    SummaryTotals,
    ahp_hierarchy,
    ahp_weights,
    compare,
    critic_weights,
    entropy_weights,
    fixed_weights,
    min_max,
    percentile_rank,
    z_score,
)

# the expected outcomes (Num, Err, Warns) and run_case: tests/_battery.py


END = "1997-12-31"
BEH = ["purchase_days", "total_spend", "days_since_last_purchase"]
TX = load_cdnow("sample")
TX = TX[(TX["customer_id"] <= 300) & (TX["date"] <= END)].reset_index(drop=True)
M3 = pd.DataFrame(np.ones((3, 3)), BEH, BEH)
CRIT = pd.DataFrame([[1, 2], [0.5, 1]], index=["beh", "att"])
INCONSISTENT = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
PHI = stats.norm.cdf


def card(indicators: Any = BEH, **kw: Any) -> LoyaltyScorecard:
    return LoyaltyScorecard(indicators, **kw)


_CACHE: dict[str, Any] = {}


def results() -> tuple[Any, Any]:
    """Two periods scored by one card (cached)."""
    if "r" not in _CACHE:
        c = card().fit(TX, observation_end="1997-06-30")
        _CACHE["r"] = (c.score(TX, observation_end="1997-06-30"), c.score(TX, observation_end=END))
    return _CACHE["r"]  # type: ignore[no-any-return]


def edited(path: tuple[str, ...], value: Any, *, vp: bool = False) -> pd.Series:
    """Score with a fitted card whose saved state was edited at ``path``."""
    key = f"state-{vp}"
    if key not in _CACHE:
        _CACHE[key] = card(value_potential=True if vp else None).fit(TX).to_dict()
    data = json.loads(json.dumps(_CACHE[key]))
    node = data
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return LoyaltyScorecard.from_dict(data).score(TX).customers["norm_total_spend"]


def other(**kw: Any) -> Any:
    return card(BEH[:2], **kw).fit_score(TX, observation_end=END)


def ref_entropy(x: np.ndarray) -> np.ndarray:
    """Entropy weights by the textbook formula (Zeleny 1982), on columns scaled to max 1."""
    x = x / x.max(axis=0)
    p = x / x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = -np.nansum(np.where(p > 0, p * np.log(p), 0.0), axis=0) / np.log(len(x))
    d = 1 - e
    return d / d.sum()


PROG = make_programme(200, lift=0.2, seed=1)
PKW: dict[str, Any] = {
    "launch": PROG.launch,
    "observation_end": PROG.observation_end,
    "n_boot": 50,
    "seed": 1,
}
PIDS = PROG.transactions["customer_id"].unique()
PSV = make_survey(400, seed=2, customer_ids=PIDS)
PSV["date"] = pd.Timestamp(PROG.launch) - pd.Timedelta(days=170)

CASES: list[tuple[str, Callable[[], Any], Num | Err | Warns]] = [
    # --- normalisers: values -------------------------------------------------------------
    ("min_max/text", lambda: min_max(["a", "b"]), Err(ValidationError, "x", "non-numeric")),
    ("min_max/bools", lambda: min_max([True, False, True]), Err(ValidationError, "boolean")),
    (
        "min_max/bool-series",
        lambda: min_max(pd.Series([True, False])),
        Err(ValidationError, "bool"),
    ),
    ("min_max/inf", lambda: min_max([1.0, 2.0, np.inf]), Err(ValidationError, "infinite")),
    ("min_max/-inf", lambda: min_max([1.0, -np.inf]), Err(ValidationError, "infinite")),
    ("min_max/dict", lambda: min_max({"a": 1}), Err(ValidationError, "min_max", "dict")),
    ("min_max/None", lambda: min_max(None), Err(ValidationError, "min_max", "NoneType")),
    (
        "min_max/dates",
        lambda: min_max(pd.Series(pd.date_range("2020", periods=3))),
        Err(ValidationError, "min_max", "dates"),
    ),
    ("min_max/2d", lambda: min_max([[1, 2], [3, 4]]), Err(ValidationError, "one-dimensional")),
    ("min_max/huge", lambda: min_max([-1e308, 0.0, 1e308]).tolist(), Num([0.0, 0.5, 1.0])),
    ("min_max/tiny", lambda: min_max([1e-300, 3e-300]).tolist(), Num([0.0, 1.0])),
    (
        "min_max/nan-kept",
        lambda: min_max([1.0, np.nan, 3.0]).isna().tolist(),
        Num([False, True, False]),
    ),
    ("min_max/constant", lambda: min_max([4.0] * 3).tolist(), Num([0.5] * 3)),
    (
        "min_max/Int64-NA",
        lambda: min_max(pd.Series([1, None, 3], dtype="Int64")).fillna(-1).tolist(),
        Num([0.0, -1.0, 1.0]),
    ),
    (
        "min_max/pyarrow",
        lambda: min_max(pd.Series([1, 2, 5], dtype="int64[pyarrow]")).tolist(),
        Num([0.0, 0.25, 1.0]),
    ),
    # --- normalisers: options ---------------------------------------------------------------
    (
        "min_max/bounds-reversed",
        lambda: min_max([1.0, 2.0], bounds=(3, 1)),
        Err(ValidationError, "'bounds'", "low < high", "Hint"),
    ),
    (
        "min_max/bounds-nan",
        lambda: min_max([1.0], bounds=(np.nan, 1)),
        Err(ValidationError, "'bounds'"),
    ),
    (
        "min_max/bounds-bool",
        lambda: min_max([1.0], bounds=(False, True)),
        Err(ValidationError, "'bounds'"),
    ),
    (
        "min_max/bounds-3",
        lambda: min_max([1.0], bounds=(1, 2, 3)),
        Err(ValidationError, "'bounds'", "3 values"),
    ),
    (
        "min_max/bounds-scalar",
        lambda: min_max([1.0], bounds=3),
        Err(ValidationError, "'bounds'", "pair"),
    ),
    ("min_max/bounds-str", lambda: min_max([1.0], bounds="ab"), Err(ValidationError, "'bounds'")),
    (
        "min_max/bounds-clip",
        lambda: min_max([0.0, 5.0, 20.0], bounds=(0, 10)).tolist(),
        Num([0.0, 0.5, 1.0]),
    ),
    (
        "z_score/scale-0",
        lambda: z_score([1.0, 2.0], scale=0),
        Err(ValidationError, "'scale'", "> 0"),
    ),
    (
        "z_score/scale-negative",
        lambda: z_score([1.0, 2.0], scale=-1),
        Err(ValidationError, "'scale'"),
    ),
    (
        "z_score/scale-nan",
        lambda: z_score([1.0, 2.0], scale=np.nan),
        Err(ValidationError, "'scale'"),
    ),
    (
        "z_score/center-nan",
        lambda: z_score([1.0, 2.0], center=np.nan),
        Err(ValidationError, "'center'"),
    ),
    (
        "z_score/center-str",
        lambda: z_score([1.0, 2.0], center="1"),
        Err(ValidationError, "'center'"),
    ),
    (
        "z_score/center-bool",
        lambda: z_score([1.0, 2.0], center=True),
        Err(ValidationError, "'center'"),
    ),
    (
        "z_score/center-scale",
        lambda: z_score([0.0, 2.0, 4.0], center=2.0, scale=2.0).tolist(),
        Num(PHI([-1.0, 0.0, 1.0]).tolist()),
    ),
    ("z_score/inf", lambda: z_score([1.0, np.inf]), Err(ValidationError, "infinite")),
    (
        "z_score/huge",
        lambda: z_score([-1e300, 0.0, 1e300]).tolist(),
        Num(PHI([-1.0, 0.0, 1.0]).tolist()),
    ),
    (
        "z_score/near-max",
        lambda: z_score([1e308, 1e308, 1.7e308]).tolist(),
        Num(PHI(stats.zscore([1.0, 1.0, 1.7], ddof=1)).tolist()),
    ),
    (
        "z_score/tiny",
        lambda: z_score([1e-300, 2e-300, 3e-300]).tolist(),
        Num(PHI([-1.0, 0.0, 1.0]).tolist()),
    ),
    ("z_score/constant", lambda: z_score([0.1] * 7).tolist(), Num([0.5] * 7)),
    (
        "percentile/ties",
        lambda: percentile_rank([1.0, 1.0, 1.0, 2.0]).tolist(),
        Num([1 / 3] * 3 + [1.0], tol=2e-3),
    ),
    ("percentile/constant", lambda: percentile_rank([3.0] * 4).tolist(), Num([0.5] * 4)),
    ("percentile/inf", lambda: percentile_rank([1.0, np.inf]), Err(ValidationError, "infinite")),
    ("percentile/bools", lambda: percentile_rank([True, False]), Err(ValidationError, "boolean")),
    (
        "percentile/huge",
        lambda: percentile_rank([-1e308, 0.0, 1e308]).tolist(),
        Num([0.0, 0.5, 1.0]),
    ),
    (
        "percentile/direction-typo",
        lambda: percentile_rank([1.0], direction="Lower"),
        Err(ValidationError, "'direction'"),
    ),
    # --- weights ------------------------------------------------------------------------------
    (
        "entropy/bools",
        lambda: entropy_weights([[True, False], [False, True]]),
        Err(ValidationError, "booleans"),
    ),
    (
        "entropy/bool-column",
        lambda: entropy_weights(pd.DataFrame({"a": [True, False], "b": [1.0, 2.0]})),
        Err(ValidationError, "'a'", "booleans"),
    ),
    (
        "entropy/dates",
        lambda: entropy_weights(
            pd.DataFrame({"a": pd.date_range("2020", periods=3), "b": [1.0, 2.0, 3.0]})
        ),
        Err(ValidationError, "'a'", "dates"),
    ),
    (
        "entropy/durations",
        lambda: entropy_weights(
            pd.DataFrame({"a": pd.to_timedelta([1, 2], unit="D"), "b": [1.0, 2.0]})
        ),
        Err(ValidationError, "'a'", "durations"),
    ),
    (
        "entropy/duplicate-columns",
        lambda: entropy_weights(pd.DataFrame([[1.0, 2.0], [2.0, 1.0]], columns=["a", "a"])),
        Err(ValidationError, "'a'", "once"),
    ),
    (
        "entropy/huge",
        lambda: entropy_weights(np.array([[1e308, 1.0], [1e308, 2.0], [0.0, 3.0]])).tolist(),
        Num(ref_entropy(np.array([[1.0, 1.0], [1.0, 2.0], [0.0, 3.0]])).tolist()),
    ),
    (
        "entropy/ragged",
        lambda: entropy_weights([[1.0], [1.0, 2.0]]),
        Err(ValidationError, "entropy_weights"),
    ),
    (
        "entropy/constant",
        lambda: entropy_weights([[1.0, 2.0], [1.0, 2.0]]).tolist(),
        Num([0.5, 0.5]),
    ),
    (
        "critic/bools",
        lambda: critic_weights(np.array([[True, False], [False, True]])),
        Err(ValidationError, "booleans"),
    ),
    (
        "critic/huge",
        lambda: critic_weights(np.array([[1e308, 0.0], [-1e308, 0.5], [0.0, 1.0]])).tolist(),
        Num(critic_weights(np.array([[1.0, 0.0], [-1.0, 0.5e-308], [0.0, 1e-308]])).tolist()),
    ),
    ("ahp/diagonal", lambda: ahp_weights([[2, 1], [1, 0.5]]), Err(ValidationError, "diagonal")),
    ("ahp/1x1-not-1", lambda: ahp_weights([[2]]), Err(ValidationError, "diagonal")),
    ("ahp/text", lambda: ahp_weights([["a", "2"], ["0.5", "1"]]), Err(ValidationError, "number")),
    ("ahp/ragged", lambda: ahp_weights([[1, 2], [0.5]]), Err(ValidationError, "ahp_weights")),
    (
        "ahp/bools",
        lambda: ahp_weights([[True, True], [True, True]]),
        Err(ValidationError, "number"),
    ),
    (
        "ahp/labels-duplicated",
        lambda: ahp_weights([[1, 2], [0.5, 1]], labels=["a", "a"]),
        Err(ValidationError, "'a'"),
    ),
    (
        "ahp/labels-with-frame",
        lambda: ahp_weights(pd.DataFrame([[1, 2], [0.5, 1]], index=["a", "b"]), labels=["x", "y"]),
        Err(ValidationError, "'labels'", "index"),
    ),
    (
        "ahp/max_ratio-nan",
        lambda: ahp_weights(INCONSISTENT, max_ratio=np.nan),
        Err(ValidationError, "'max_ratio'"),
    ),
    (
        "ahp/max_ratio-negative",
        lambda: ahp_weights(INCONSISTENT, max_ratio=-1),
        Err(ValidationError, "'max_ratio'"),
    ),
    (
        "ahp/max_ratio-bool",
        lambda: ahp_weights(INCONSISTENT, max_ratio=True),
        Err(ValidationError, "'max_ratio'"),
    ),
    (
        "ahp/allow_inconsistent-str",
        lambda: ahp_weights(INCONSISTENT, allow_inconsistent="no"),
        Err(ValidationError, "'allow_inconsistent'"),
    ),
    (
        "ahp/reference",
        lambda: ahp_weights([[1, 3], [1 / 3, 1]]).weights.tolist(),
        Num([0.75, 0.25]),
    ),
    (
        "hierarchy/sub-None",
        lambda: ahp_hierarchy(CRIT, None),
        Err(ValidationError, "'sub'", "mapping"),
    ),
    (
        "hierarchy/sub-unknown",
        lambda: ahp_hierarchy(CRIT, {"beh": "a", "att": "b", "behh": "c"}),
        Err(ValidationError, "'behh'", "did you mean"),
    ),
    (
        "hierarchy/sub-matrix-names-criterion",
        lambda: ahp_hierarchy(CRIT, {"beh": 5, "att": "b"}),
        Err(ValidationError, "'beh'"),
    ),
    (
        "hierarchy/weights",
        lambda: ahp_hierarchy(
            CRIT, {"beh": pd.DataFrame([[1, 3], [1 / 3, 1]], index=["f", "m"]), "att": "s"}
        ).to_dict(),
        Num({"f": 0.5, "m": 1 / 6, "s": 1 / 3}),
    ),
    (
        "fixed/bool",
        lambda: fixed_weights({"a": True, "b": 2}),
        Err(ValidationError, "numbers", "'a'"),
    ),
    ("fixed/text", lambda: fixed_weights({"a": "x", "b": 2}), Err(ValidationError, "numbers")),
    ("fixed/list", lambda: fixed_weights([1, 2]), Err(ValidationError, "'weighting'", "list")),
    ("fixed/None", lambda: fixed_weights(None), Err(ValidationError, "'weighting'")),
    ("fixed/pd.NA", lambda: fixed_weights({"a": pd.NA, "b": 1}), Err(ValidationError, "numbers")),
    ("fixed/complex", lambda: fixed_weights({"a": 1j, "b": 1}), Err(ValidationError, "numbers")),
    (
        "fixed/series-duplicated",
        lambda: fixed_weights(pd.Series([1.0, 2.0], index=["a", "a"])),
        Err(ValidationError, "'a'"),
    ),
    (
        "fixed/huge",
        lambda: fixed_weights({"a": 1e308, "b": 1e308}).to_dict(),
        Num({"a": 0.5, "b": 0.5}),
    ),
    # --- scorecard: options that contradict each other ----------------------------------
    (
        "card/ahp-without-weighting",
        lambda: card(ahp=M3),
        Err(ValidationError, "'ahp'", "weighting='ahp'"),
    ),
    (
        "card/weights-and-critic",
        lambda: card(
            {"purchase_days": {"weight": 2}, "total_spend": {"weight": 1}}, weighting="critic"
        ),
        Err(ValidationError, "weighting='critic'", "Hint"),
    ),
    (
        "card/two-weights-differ",
        lambda: card(
            {"purchase_days": {"weight": 2}, "total_spend": {}},
            weighting={"purchase_days": 1, "total_spend": 1},
        ),
        Err(ValidationError, "'purchase_days'", "both"),
    ),
    (
        "card/weight-nan",
        lambda: card({"purchase_days": {"weight": math.nan}}),
        Err(ValidationError, "purchase_days.weight"),
    ),
    (
        "card/weight-inf",
        lambda: card({"purchase_days": {"weight": math.inf}}),
        Err(ValidationError, "purchase_days.weight"),
    ),
    (
        "card/weight-huge-int",
        lambda: card({"purchase_days": {"weight": 10**400}}),
        Err(ValidationError, "purchase_days.weight"),
    ),
    (
        "card/weighting-nan",
        lambda: card(
            weighting={"purchase_days": math.nan, "total_spend": 1, "days_since_last_purchase": 1}
        ),
        Err(ValidationError, "'weighting'", "finite"),
    ),
    (
        "card/weighting-huge",
        lambda: card(weighting=dict.fromkeys(BEH, 1e308)).fit(TX).weights_.tolist(),
        Num([1 / 3] * 3),
    ),
    (
        "card/weighting-series",
        lambda: card(weighting=pd.Series([2.0, 1.0, 1.0], BEH)).fit(TX).weights_.tolist(),
        Num([0.5, 0.25, 0.25]),
    ),
    (
        "card/tier-label-None",
        lambda: card(tiers={"labels": [None, "B"], "shares": [0.5, 0.5]}),
        Err(ValidationError, "tiers.labels"),
    ),
    (
        "card/tier-label-list",
        lambda: card(tiers={"labels": [["a"], "B"], "shares": [0.5, 0.5]}),
        Err(ValidationError, "tiers.labels"),
    ),
    # --- scorecard: AHP matrices, fixed weights, flags ---------------------------------------
    (
        "card/ahp-unlabelled",
        lambda: card(weighting="ahp", ahp=[[1, 3, 3], [1 / 3, 1, 1], [1 / 3, 1, 1]]).fit(TX),
        Err(ValidationError, "AHP matrix", "Hint: label"),
    ),
    (
        "card/ahp-data-broadcast",
        lambda: card(
            BEH[:2], weighting="ahp", ahp={"index": BEH[:2], "columns": BEH[:2], "data": [[1, 1]]}
        ),
        Err(ValidationError, "'ahp'", "2x2", "(1, 2)"),
    ),
    (
        "card/ahp-survey-indicator-not-fitted",
        lambda: (
            card(
                [*BEH, "satisfaction"],
                weighting="ahp",
                ahp=pd.DataFrame(
                    [[1, 2, 2, 1], [0.5, 1, 1, 0.5], [0.5, 1, 1, 0.5], [1, 2, 2, 1]],
                    [*BEH, "satisfaction"],
                    [*BEH, "satisfaction"],
                ),
            )
            .fit(TX)
            .weights_.tolist()
        ),
        Num([0.5, 0.25, 0.25]),
    ),
    (
        "card/fixed-weights-zero-after-drop",
        lambda: card(
            [*BEH, "satisfaction"], weighting={**dict.fromkeys(BEH, 0), "satisfaction": 5}
        ).fit(TX),
        Err(ValidationError, "all zero", "'satisfaction'"),
    ),
    (
        "card/progress-str",
        lambda: card().fit_score(TX, progress="yes"),
        Err(ValidationError, "'progress'"),
    ),
    (
        "card/progress-int",
        lambda: card().fit_score(TX, progress=1),
        Err(ValidationError, "'progress'"),
    ),
    (
        "card/partitioned-str",
        lambda: card().fit(TX).score(TX, partitioned_by_customer="no"),
        Err(ValidationError, "'partitioned_by_customer'"),
    ),
    # --- saved state: keys a loader would ignore -------------------------------------------
    (
        "state/normaliser-extra-key",
        lambda: edited(("fitted", "normalisers", "total_spend", "bounds"), [0, 1]),
        Err(ValidationError, "'bounds'", "normalisers['total_spend']"),
    ),
    (
        "state/weighting-extra-key",
        lambda: edited(("fitted", "weighting", "weigths"), {}),
        Err(ValidationError, "'weigths'", "did you mean 'weights'"),
    ),
    (
        "state/value-potential-extra-key",
        lambda: edited(("fitted", "value_potential", "levels"), 3, vp=True),
        Err(ValidationError, "fitted.value_potential", "'levels'"),
    ),
    (
        "state/minmax-huge-bounds",
        lambda: edited(
            ("fitted", "normalisers", "total_spend"),
            {"method": "minmax", "direction": "higher", "low": -1e308, "high": 1e308},
        ).min(),
        Num(0.5, tol=1e-6),
    ),
    (
        "card/value-potential-horizon-1201",
        lambda: card(value_potential={"horizon": 1201}),
        Err(ValidationError, "value_potential.horizon", "1200"),
    ),
    (
        "card/composite-on-threshold",
        lambda: (
            card(weighting="equal", tiers={"labels": ["A", "B"], "thresholds": [50]})
            .fit_score(pd.DataFrame({"customer_id": range(20), "date": END, "amount": 10.0}))
            .summary.tier_sizes
        ),
        Warns(UndefinedMetricWarning, ("same value",), lambda v: v == {"A": 20, "B": 0}),
    ),
    # --- compare, results, totals --------------------------------------------------------
    (
        "compare/other-tiers",
        lambda: compare(results()[0], other(tiers={"labels": ["Hi", "Lo"], "shares": [0.5, 0.5]})),
        Err(ValidationError, "'Hi'", "tiers", "Hint"),
    ),
    (
        "compare/other-weights",
        lambda: compare(results()[1], other()).indicators.index.tolist(),
        Warns(
            CustLoyaltyWarning,
            ("different indicator weights",),
            lambda v: v == [*BEH[:2], "composite"],
        ),
    ),
    (
        "compare/no-common-customer",
        lambda: compare(
            results()[0], card().fit(TX).score(TX.assign(customer_id=TX["customer_id"] + 10_000))
        ),
        Err(ValidationError, "no customer is in both", "Hint"),
    ),
    (
        "compare/change",
        lambda: compare(*results()).indicators.loc["composite", "change"],
        Num(
            float(
                results()[1].customers["composite"].mean()
                - results()[0].customers["composite"].mean()
            )
        ),
    ),
    ("top/n-bool", lambda: results()[0].top(n=True), Err(ValidationError, "'n'")),
    ("top/n-str", lambda: results()[0].top(n="3"), Err(ValidationError, "'n'")),
    ("top/n-float", lambda: results()[0].top(n=2.5), Err(ValidationError, "'n'")),
    ("top/n-negative", lambda: results()[0].top(n=-1), Err(ValidationError, "'n'")),
    (
        "top/tier-typo",
        lambda: results()[0].top(tier="Platnum"),
        Err(ValidationError, "'tier'", "did you mean 'Platinum'"),
    ),
    (
        "top/tier",
        lambda: results()[0].top("Gold", n=3)["composite"].tolist(),
        Num(results()[0].customers.query("tier == 'Gold'")["composite"].nlargest(3).tolist()),
    ),
    (
        "totals/other-tiers",
        lambda: (
            results()[0].totals + other(tiers={"labels": ["Hi", "Lo"], "shares": [0.5, 0.5]}).totals
        ),
        Err(ValidationError, "tiers"),
    ),
    (
        "totals/plus-int",
        lambda: results()[0].totals + 5,
        Err(ValidationError, "SummaryTotals", "int"),
    ),
    ("totals/sum", lambda: sum([results()[0].totals, results()[1].totals]).customers, Num(600)),
    (
        "totals/empty-summary",
        lambda: (
            ScorecardSummary.from_totals(SummaryTotals(("A", "B")), pd.Timestamp(END)).tier_sizes
        ),
        Num({"A": 0, "B": 0}),
    ),
    (
        "totals/empty-plus-bucket",
        lambda: (SummaryTotals(results()[0].totals.tier_labels) + results()[0].totals).tier_counts,
        Num(results()[0].totals.tier_counts),
    ),
    # --- population stability index ---------------------------------------------------------
    (
        "psi/2d",
        lambda: population_stability_index([[1.0, 2.0], [3.0, 4.0]], [1.0]),
        Err(ValidationError, "'expected'", "one-dimensional"),
    ),
    (
        "psi/bool-mixed",
        lambda: population_stability_index([True, 1.0, 2.0], [1.0]),
        Err(ValidationError, "'expected'", "boolean"),
    ),
    (
        "psi/scalar",
        lambda: population_stability_index(5.0, [1.0]),
        Err(ValidationError, "'expected'"),
    ),
    (
        "psi/dict",
        lambda: population_stability_index({"a": 1}, [1.0]),
        Err(ValidationError, "'expected'"),
    ),
    (
        "psi/bins-numpy",
        lambda: population_stability_index(np.arange(100.0), np.arange(100.0), bins=np.int64(5)),
        Num(0.0),
    ),
    (
        "psi/constant-reference",
        lambda: population_stability_index([5.0] * 10, [6.0] * 10),
        Warns(UndefinedMetricWarning, ("every expected value is 5",), lambda v: v == 0.0),
    ),
    (
        "psi/hand",
        lambda: population_stability_index([1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 1.0, 4.0], bins=2),
        Num(0.25 * math.log(0.75 / 0.5) + (-0.25) * math.log(0.25 / 0.5)),
    ),
    # --- evaluate_over_time -------------------------------------------------------------------
    (
        "over_time/reference-int",
        lambda: evaluate_over_time(TX, scorecard=card(), reference=2),
        Err(ValidationError, "'reference'", "int"),
    ),
    (
        "over_time/psi_thresholds-str",
        lambda: evaluate_over_time(TX, scorecard=card(), psi_thresholds="0.1,0.25"),
        Err(ValidationError, "'psi_thresholds'"),
    ),
    (
        "over_time/psi_thresholds-scalar",
        lambda: evaluate_over_time(TX, scorecard=card(), psi_thresholds=0.1),
        Err(ValidationError, "'psi_thresholds'"),
    ),
    (
        "over_time/psi_thresholds-bool",
        lambda: evaluate_over_time(TX, scorecard=card(), psi_thresholds=(True, 2)),
        Err(ValidationError, "'psi_thresholds'"),
    ),
    (
        "over_time/reference-with-refit",
        lambda: evaluate_over_time(TX, scorecard=card(), reference="1997Q2", refit=True),
        Err(ValidationError, "reference='1997Q2'", "refit=True", "Hint"),
    ),
    (
        "over_time/card-columns",
        lambda: (
            evaluate_over_time(
                TX.rename(columns={"customer_id": "cid", "date": "day"}),
                scorecard=card(customer="cid", time="day"),
            )
            .kpis.reset_index(drop=True)
            .equals(evaluate_over_time(TX, scorecard=card()).kpis.reset_index(drop=True))
        ),
        Num(True),
    ),
    (
        "over_time/columns-contradict-card",
        lambda: evaluate_over_time(
            TX.assign(cid=TX["customer_id"]), scorecard=card(customer="cid"), customer="other"
        ),
        Err(ValidationError, "customer='other'", "'cid'", "Hint"),
    ),
    # --- programme_effect ---------------------------------------------------------------------
    (
        "programme/members-2d",
        lambda: programme_effect(PROG.transactions, np.array([PROG.members]), **PKW),
        Err(ValidationError, "'members'", "one-dimensional"),
    ),
    (
        "programme/members-ragged",
        lambda: programme_effect(PROG.transactions, [[1], [2, 3]], **PKW),
        Err(ValidationError, "unhashable", "Hint"),
    ),
    (
        "programme/members-dicts",
        lambda: programme_effect(PROG.transactions, [{1: 2}], **PKW),
        Err(ValidationError, "unhashable"),
    ),
    (
        "programme/one-non-member",
        lambda: programme_effect(PROG.transactions, PIDS[1:], **PKW).effects["n_nonmembers"].max(),
        Warns(UndefinedMetricWarning, ("drew no non-member", "1 non-members"), lambda v: v <= 1),
    ),
    (
        "programme/two-members",
        lambda: programme_effect(PROG.transactions, PIDS[:2], **PKW).effects["n_members"].max(),
        Warns(UndefinedMetricWarning, ("drew no member", "2 members"), lambda v: v <= 2),
    ),
    (
        "programme/survey-outcome-undefined",
        lambda: (
            programme_effect(
                PROG.transactions,
                PROG.members,
                surveys=PSV.assign(date=pd.Timestamp(PROG.launch) - pd.Timedelta(days=5)),
                outcomes=["nps"],
                **PKW,
            )
            .effects["estimate"]
            .isna()
            .all()
        ),
        Warns(UndefinedMetricWarning, ("undefined in a window",), lambda v: v),
    ),
    # --- buckets ------------------------------------------------------------------------------
    (
        "bucket/seed-bool",
        lambda: cl.customer_bucket([1, 2], 2, seed=True),
        Err(ValidationError, "'seed'"),
    ),
    (
        "bucket/seed-float",
        lambda: cl.customer_bucket([1, 2], 2, seed=1.5),
        Err(ValidationError, "'seed'"),
    ),
    ("bucket/ids-None", lambda: cl.customer_bucket(None, 2), Err(ValidationError, "'ids'")),
    ("bucket/ids-scalar", lambda: cl.customer_bucket(5, 2), Err(ValidationError, "'ids'")),
    ("bucket/ids-str", lambda: cl.customer_bucket("abc", 2), Err(ValidationError, "'ids'")),
    (
        "bucket/ids-frame",
        lambda: cl.customer_bucket(pd.DataFrame({"a": [1]}), 2),
        Err(ValidationError, "'ids'", "DataFrame"),
    ),
    (
        "bucket/ids-ragged",
        lambda: cl.customer_bucket([[1], [2, 3]], 2),
        Err(ValidationError, "'ids'"),
    ),
    (
        "bucket/ids-dicts",
        lambda: cl.customer_bucket(pd.Series([{1: 2}, {3: 4}]), 2),
        Err(ValidationError, "unhashable"),
    ),
    (
        "bucket/seed-negative",
        lambda: cl.customer_bucket(pd.Series(range(50)), 4, seed=-1).equals(
            cl.customer_bucket(pd.Series(range(50)), 4, seed=2**64 - 1)
        ),
        Num(True),
    ),
    (
        "bucket_scores/str",
        lambda: cl.bucket_scores("card", TX, observation_end=END),
        Err(ValidationError, "'scorecard'", "from_json"),
    ),
    (
        "bucket_scores/dict",
        lambda: cl.bucket_scores({}, TX, observation_end=END),
        Err(ValidationError, "'scorecard'"),
    ),
]


@pytest.mark.parametrize(("fn", "expected"), [pytest.param(f, e, id=i) for i, f, e in CASES])
def test_case(fn: Callable[[], Any], expected: Num | Err | Warns) -> None:
    run_case(fn, expected)


def test_undefined_survey_outcome_is_not_blamed_on_the_group_sizes() -> None:
    with pytest.warns(UndefinedMetricWarning) as caught:
        programme_effect(
            PROG.transactions,
            PROG.members,
            surveys=PSV.assign(date=pd.Timestamp(PROG.launch) - pd.Timedelta(days=5)),
            outcomes=["nps"],
            **PKW,
        )
    assert not [w for w in caught if "bootstrap replicates drew no" in str(w.message)]


def test_battery_size() -> None:
    assert len(CASES) >= 80
    assert len({name for name, _, _ in CASES}) == len(CASES)
    assert all(issubclass(e.kind, CustLoyaltyError) for _, _, e in CASES if isinstance(e, Err))


def test_inputs_are_not_modified() -> None:
    x = pd.Series([3.0, np.nan, 1.0], index=["a", "b", "c"])
    m = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]})
    w = {"a": 1e308, "b": 1.0}
    before = (x.copy(), m.copy(), dict(w))
    min_max(x), z_score(x), percentile_rank(x)
    entropy_weights(m), critic_weights(m), fixed_weights(w)
    pd.testing.assert_series_equal(x, before[0])
    pd.testing.assert_frame_equal(m, before[1])
    assert w == before[2]

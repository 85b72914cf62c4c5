"""Hostile battery of the survey side and the scorecard (issue 13, "done when").

Each case is an input a careless or hostile user could pass, with the one acceptable outcome:

* ``Num(value)``: the right number, computed by hand or independently in the test;
* ``Err(kind, *words)``: our own exception, whose message names the parameter, column or key
  (every word must appear);
* ``Warns(kind, words, check)``: a warning, and a result that passes ``check``.

Any other outcome fails the case: a stray exception (KeyError, TypeError, numpy's ValueError),
a wrong number, a silent acceptance, a modified input. Every case runs on the bundled data or
a few literal values; the whole file runs in a few seconds.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from _battery import Err, Num, Warns, run_case
from custloyalty import metrics
from custloyalty.datasets import load_cdnow, load_ecsi, make_interactions, make_programme
from custloyalty.errors import (
    CollinearityWarning,
    CustLoyaltyError,
    DegenerateIntervalWarning,
    PluginError,
    UndefinedMetricWarning,
    ValidationError,
)
from custloyalty.metrics import (
    composite_reliability,
    cronbach_alpha,
    csat,
    csat_mean,
    engagement_index,
    engagement_summary,
    item_total_correlations,
    nps,
    nps_by,
    nps_category,
    nps_test,
    pls_path_model,
    satisfaction_index,
    servqual,
)
from custloyalty.monitoring import evaluate_over_time, population_stability_index
from custloyalty.programme import programme_effect
from custloyalty.scorecard import LoyaltyScorecard, compare

END = "1997-12-31"
BEH = ["purchase_days", "total_spend", "days_since_last_purchase"]
SURVEY = [*BEH, "satisfaction", "recommendation"]
R = [10, 9, 9, 8, 7, 6, 3, 10, 9, 0]  # 5 promoters, 2 passives, 3 detractors: NPS 20


# the expected outcomes (Num, Err, Warns) and run_case: tests/_battery.py


# ---------------------------------------------------------------------------------------------
# data (bundled only) and independent reference computations
# ---------------------------------------------------------------------------------------------
TX = load_cdnow("sample")
TX = TX[(TX["customer_id"] <= 300) & (TX["date"] <= END)].reset_index(drop=True)
IDS = TX["customer_id"].unique()
ECSI = load_ecsi()
# ECSI answers run 0..10; the scorecard's satisfaction indicator reads 1..10
SV = ECSI.iloc[:120].copy()
SV[["sat1", "sat2", "sat3"]] = SV[["sat1", "sat2", "sat3"]].clip(lower=1)
SV = SV.assign(customer_id=IDS[:120], recommend=ECSI["loy1"].iloc[:120])
SV = SV.rename(columns={"sat4": "sat_extra"})
SV_SAT = ["sat1", "sat2", "sat3"]
BLOCKS = {
    "IMAG": [f"imag{i}" for i in range(1, 6)],
    "EXPE": [f"expe{i}" for i in range(1, 6)],
    "SAT": ["sat1", "sat2", "sat3", "sat4"],
    "LOY": ["loy1", "loy2", "loy3", "loy4"],
}
PATHS = {"EXPE": ["IMAG"], "SAT": ["IMAG", "EXPE"], "LOY": ["IMAG", "SAT"]}
ITEMS = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
X2 = pd.DataFrame({"a": [1, 5, 10, 7], "b": [2, 6, 9, 8]})


def ref_nps(r: Any) -> float:
    r = np.asarray(r, dtype=float)
    return float(100 * ((r >= 9).mean() - (r <= 6).mean()))


def ref_adjusted_wald(r: Any, conf: float = 0.95) -> tuple[float, float]:
    """R's NPS package (Rocks 2016): 3/4 detractor, 3/2 passive, 3/4 promoter added."""
    r = np.asarray(r)
    n = r.size + 3.0
    p_plus, p_minus = ((r >= 9).sum() + 0.75) / n, ((r <= 6).sum() + 0.75) / n
    centre = p_plus - p_minus
    se = math.sqrt((p_plus + p_minus - centre**2) / n)
    z = stats.norm.ppf(0.5 + conf / 2)
    return max(-100.0, 100 * (centre - z * se)), min(100.0, 100 * (centre + z * se))


def ref_alpha(df: pd.DataFrame) -> float:
    k = df.shape[1]
    return float(k / (k - 1) * (1 - df.var(ddof=1).sum() / df.sum(axis=1).var(ddof=1)))


def ref_index(df: pd.DataFrame, w: dict[str, float], lo: float = 1, hi: float = 10) -> float:
    total = sum(w.values())
    level = sum(df[c].mean() * v / total for c, v in w.items())
    return float(100 * (level - lo) / (hi - lo))


def card(indicators: Any = SURVEY, **kw: Any) -> LoyaltyScorecard:
    return LoyaltyScorecard(indicators, **kw)


_FITTED: dict[str, LoyaltyScorecard] = {}


def fitted() -> LoyaltyScorecard:
    if "card" not in _FITTED:
        _FITTED["card"] = card().fit(TX, SV, observation_end=END)
    return _FITTED["card"]


def state() -> dict[str, Any]:
    return json.loads(fitted().to_json())


def edited(path: tuple[Any, ...], value: Any = None, *, delete: bool = False) -> Any:
    def run() -> Any:
        data = state()
        node = data
        for key in path[:-1]:
            node = node[key]
        if delete:
            del node[path[-1]]
        else:
            node[path[-1]] = value(node[path[-1]]) if callable(value) else value
        return LoyaltyScorecard.from_dict(data).score(TX, SV).customers["composite"].mean()

    return run


def plugin(name: str, func: Callable[..., Any], **kw: Any) -> Callable[[], Any]:
    def run() -> Any:
        metrics.register(name, replace=True, **kw)(func)
        try:
            return card([*BEH, name]).fit(TX, observation_end=END).weights_[name]
        finally:
            metrics.unregister(name)

    return run


def _raise_value_error(summary: pd.DataFrame) -> pd.Series:
    raise ValueError("plugin-side failure")


def _fit_list(summary: pd.DataFrame) -> Any:
    return [1, 2]


def _fit_object(summary: pd.DataFrame) -> dict[str, Any]:
    return {"x": object()}


def _with_state(summary: pd.DataFrame, state: Any = None) -> pd.Series:
    return summary["frequency"].astype(float)


def _saved_with(fit: Callable[..., Any]) -> Callable[[], Any]:
    def run() -> Any:
        metrics.register("battery_state", replace=True, fit=fit)(_with_state)
        try:
            return card([*BEH, "battery_state"]).fit(TX, observation_end=END).to_json()
        finally:
            metrics.unregister("battery_state")

    return run


def _sv_nan() -> pd.DataFrame:
    return SV.assign(**dict.fromkeys([*SV_SAT, "recommend"], np.nan))


def _tiers(tiers: dict[str, Any]) -> Callable[[], Any]:
    return lambda: card(BEH, tiers=tiers)


PROG = make_programme(200, lift=0.2, seed=1)
PROG_KW: dict[str, Any] = {
    "launch": PROG.launch,
    "observation_end": PROG.observation_end,
    "n_boot": 50,
}
INTER = make_interactions(customer_ids=IDS[:60], seed=1, start="1997-01-01")


def _results() -> tuple[Any, Any]:
    c = card(BEH).fit(TX, observation_end="1997-06-30")
    return c.score(TX, observation_end="1997-06-30"), c.score(TX, observation_end=END)


# ---------------------------------------------------------------------------------------------
# the cases
# ---------------------------------------------------------------------------------------------
CASES: list[tuple[str, Callable[[], Any], Num | Err | Warns]] = [
    # --- nps: dtypes ---------------------------------------------------------------------
    ("nps/list", lambda: nps(R).statistic, Num(20.0)),
    ("nps/Int64", lambda: nps(pd.Series(R, dtype="Int64")).statistic, Num(20.0)),
    (
        "nps/Int64-NA-omit",
        lambda: nps(pd.Series([*R, None], dtype="Int64"), nan_policy="omit").statistic,
        Num(20.0),
    ),
    (
        "nps/Int64-NA-raise",
        lambda: nps(pd.Series([*R, None], dtype="Int64")),
        Err(ValidationError, "ratings", "nan_policy='omit'"),
    ),
    ("nps/pyarrow", lambda: nps(pd.Series(R, dtype="int64[pyarrow]")).statistic, Num(20.0)),
    (
        "nps/pyarrow-null-omit",
        lambda: nps(pd.Series([*R, None], dtype="int64[pyarrow]"), nan_policy="omit").statistic,
        Num(20.0),
    ),
    ("nps/categorical", lambda: nps(pd.Series(R).astype("category")).statistic, Num(20.0)),
    ("nps/strings", lambda: nps([str(r) for r in R]).statistic, Num(20.0)),
    ("nps/float-whole", lambda: nps([9.0, 10.0, 3.0]).statistic, Num(100 / 3)),
    ("nps/float-9.5", lambda: nps([9.5, 10, 3]), Err(ValidationError, "ratings", "9.5")),
    ("nps/11", lambda: nps([11, 10]), Err(ValidationError, "ratings", "[0, 10]")),
    ("nps/-1", lambda: nps([-1, 10]), Err(ValidationError, "ratings", "-1")),
    ("nps/bool-in-list", lambda: nps([10, True, 3]), Err(ValidationError, "boolean", "Hint")),
    (
        "nps/boolean-dtype",
        lambda: nps(pd.Series([True, False], dtype="boolean")),
        Err(ValidationError, "boolean"),
    ),
    ("nps/inf", lambda: nps([np.inf, 10]), Err(ValidationError, "infinite")),
    ("nps/empty", lambda: nps([]), Err(ValidationError, "ratings", "empty")),
    (
        "nps/all-NaN-omit",
        lambda: nps([np.nan, np.nan], nan_policy="omit"),
        Err(ValidationError, "no values left"),
    ),
    ("nps/2d", lambda: nps([[9, 10], [1, 2]]), Err(ValidationError, "one-dimensional")),
    ("nps/None", lambda: nps(None), Err(ValidationError, "ratings")),
    ("nps/frame", lambda: nps(pd.DataFrame({"a": [9]})), Err(ValidationError, "DataFrame")),
    # --- nps: degenerate samples and intervals ----------------------------------------------
    (
        "nps/one-respondent",
        lambda: nps([10]).statistic,
        Warns(DegenerateIntervalWarning, ("zero width", "adjusted_wald"), lambda v: v == 100.0),
    ),
    (
        "nps/all-promoters",
        lambda: nps([10] * 8).ci,
        Warns(DegenerateIntervalWarning, ("zero width",), lambda v: v == (100.0, 100.0)),
    ),
    (
        "nps/all-passives",
        lambda: nps([7] * 5).statistic,
        Warns(DegenerateIntervalWarning, ("zero width",), lambda v: v == 0.0),
    ),
    ("nps/adjusted-wald", lambda: nps(R, interval="adjusted_wald").ci, Num(ref_adjusted_wald(R))),
    (
        "nps/adjusted-wald-promoters",
        lambda: nps([10] * 8, interval="adjusted_wald").ci,
        Num(ref_adjusted_wald([10] * 8)),
    ),
    (
        "nps/adjusted-wald-detractors",
        lambda: nps([0] * 8, interval="adjusted_wald").ci,
        Num(ref_adjusted_wald([0] * 8)),
    ),
    (
        "nps/adjusted-wald-90",
        lambda: nps(R, interval="adjusted_wald", confidence=0.9).ci,
        Num(ref_adjusted_wald(R, 0.9)),
    ),
    # --- nps: parameters --------------------------------------------------------------------
    ("nps/confidence-1", lambda: nps(R, confidence=1), Err(ValidationError, "'confidence'")),
    (
        "nps/confidence-nan",
        lambda: nps(R, confidence=math.nan),
        Err(ValidationError, "'confidence'"),
    ),
    ("nps/confidence-bool", lambda: nps(R, confidence=True), Err(ValidationError, "'confidence'")),
    ("nps/interval-typo", lambda: nps(R, interval="wilson"), Err(ValidationError, "'interval'")),
    ("nps/nan_policy-typo", lambda: nps(R, nan_policy="drop"), Err(ValidationError, "nan_policy")),
    # --- nps: weights -----------------------------------------------------------------------
    (
        "nps/weights-negative",
        lambda: nps(R, sample_weight=[-1] + [1] * 9),
        Err(ValidationError, "sample_weight", "negative"),
    ),
    (
        "nps/weights-zero",
        lambda: nps(R, sample_weight=[0] * 10),
        Err(ValidationError, "sample_weight", "positive sum"),
    ),
    (
        "nps/weights-NaN",
        lambda: nps(R, sample_weight=[math.nan] + [1] * 9),
        Err(ValidationError, "sample_weight", "missing"),
    ),
    (
        "nps/weights-inf",
        lambda: nps(R, sample_weight=[math.inf] + [1] * 9),
        Err(ValidationError, "sample_weight", "infinite"),
    ),
    (
        "nps/weights-short",
        lambda: nps(R, sample_weight=[1] * 9),
        Err(ValidationError, "sample_weight", "9 weights for 10"),
    ),
    (
        "nps/weights-labels",
        lambda: nps(pd.Series(R), sample_weight=pd.Series(1.0, range(5, 15))),
        Err(ValidationError, "sample_weight", "Hint"),
    ),
    ("nps/weights-constant", lambda: nps(R, sample_weight=[2.5] * 10).statistic, Num(20.0)),
    (
        "nps/weights-huge",
        lambda: nps([10, 10, 0], sample_weight=[1e308] * 3).statistic,
        Num(100 / 3),
    ),
    (
        "nps/weights-huge-neff",
        lambda: nps([10, 0], sample_weight=[1e308, 1e308]).n_effective,
        Num(2.0),
    ),
    (
        "nps/weights-subnormal",
        lambda: nps([10, 0], sample_weight=[1e-320, 1e-320]).se,
        Num(100 * math.sqrt(1 / 2)),
    ),
    ("csat/weights-huge", lambda: csat([5, 1], sample_weight=[1e308, 1e308]).statistic, Num(50.0)),
    (
        "csat_mean/weights-tiny",
        lambda: csat_mean([5, 1], sample_weight=[1e-320] * 2).mean,
        Num(3.0),
    ),
    # --- nps_test ---------------------------------------------------------------------------
    ("nps_test/difference", lambda: nps_test(R, [10] * 5 + [0] * 5).statistic, Num(20.0)),
    ("nps_test/ci-within-200", lambda: nps_test([10] * 5, [0, 10, 5]).ci[1], Num(200.0)),
    ("nps_test/ci-within-minus-200", lambda: nps_test([0, 10, 5], [10] * 5).ci[0], Num(-200.0)),
    (
        "nps_test/one-each",
        lambda: nps_test([10], [0]).p_value,
        Warns(DegenerateIntervalWarning, ("zero width",), lambda p: p == 0.0),
    ),
    (
        "nps_test/adjusted-finite",
        lambda: nps_test([10] * 5, [10] * 5, interval="adjusted_wald").p_value,
        Num(1.0),
    ),
    ("nps_test/empty", lambda: nps_test(R, []), Err(ValidationError, "empty")),
    ("nps_test/bool", lambda: nps_test([True, 10], [9]), Err(ValidationError, "boolean")),
    # --- nps_category / nps_by -----------------------------------------------------------------
    (
        "nps_category/labels",
        lambda: list(nps_category([0, 6, 7, 8, 9, 10])),
        Num(["detractor"] * 2 + ["passive"] * 2 + ["promoter"] * 2),
    ),
    ("nps_category/11", lambda: nps_category([11]), Err(ValidationError, "ratings")),
    (
        "nps_by/segments",
        lambda: nps_by(pd.DataFrame({"recommend": R, "seg": list("aabbaabbab")}), by="seg")[
            "score"
        ].to_dict(),
        Num({"a": ref_nps([10, 9, 7, 6, 9]), "b": ref_nps([9, 8, 3, 10, 0])}),
    ),
    (
        "nps_by/missing-column",
        lambda: nps_by(pd.DataFrame({"recommend": R, "seg": 1}), by="segg"),
        Err(ValidationError, "'segg'", "did you mean 'seg'"),
    ),
    (
        "nps_by/weights-negative",
        lambda: nps_by(
            pd.DataFrame({"recommend": R, "seg": 1, "w": -1.0}), by="seg", sample_weight="w"
        ),
        Err(ValidationError, "'w'", "negative"),
    ),
    (
        "nps_by/period-typo",
        lambda: nps_by(
            pd.DataFrame({"recommend": R, "date": pd.date_range("2024-01-01", periods=10)}),
            period="fortnight",
        ),
        Err(ValidationError, "'period'", "Hint"),
    ),
    # --- csat / ces ---------------------------------------------------------------------------
    ("csat/top-box", lambda: csat([1, 2, 3, 4, 5, 5, 4]).statistic, Num(100 * 4 / 7)),
    ("csat/top_box-bool", lambda: csat([1, 5], top_box=True), Err(ValidationError, "'top_box'")),
    ("csat/top_box-NaN", lambda: csat([1, 5], top_box=math.nan), Err(ValidationError, "'top_box'")),
    ("csat/top_box-str", lambda: csat([1, 5], top_box="2"), Err(ValidationError, "'top_box'")),
    ("csat/top_box-6", lambda: csat([1, 5], top_box=6), Err(ValidationError, "'top_box'")),
    ("csat/scale-float", lambda: csat([1, 5], scale=(1, 5.5)), Err(ValidationError, "'scale'")),
    ("csat/6-on-1-5", lambda: csat([6, 5]), Err(ValidationError, "ratings", "[1, 5]")),
    ("csat_mean/identical", lambda: csat_mean([3] * 5).mean, Num(3.0)),
    (
        "csat_mean/one",
        lambda: csat_mean([3]).mean,
        Warns(UndefinedMetricWarning, ("two answers",), lambda v: v == 3.0),
    ),
    # --- satisfaction_index -------------------------------------------------------------------
    ("satidx/equal", lambda: satisfaction_index(X2).overall, Num(ref_index(X2, {"a": 1, "b": 1}))),
    (
        "satidx/weighted",
        lambda: satisfaction_index(X2, item_weights={"a": 3, "b": 1}).overall,
        Num(ref_index(X2, {"a": 3, "b": 1})),
    ),
    (
        "satidx/weights-strings",
        lambda: satisfaction_index(X2, item_weights=["1", "2"]).overall,
        Num(ref_index(X2, {"a": 1, "b": 2})),
    ),
    (
        "satidx/categorical",
        lambda: satisfaction_index(X2.astype("category")).overall,
        Num(ref_index(X2, {"a": 1, "b": 1})),
    ),
    (
        "satidx/pyarrow",
        lambda: satisfaction_index(X2.astype("int64[pyarrow]")).overall,
        Num(ref_index(X2, {"a": 1, "b": 1})),
    ),
    (
        "satidx/weights-bool",
        lambda: satisfaction_index(X2, item_weights=[True, False]),
        Err(ValidationError, "'item_weights'", "True"),
    ),
    (
        "satidx/weights-negative",
        lambda: satisfaction_index(X2, item_weights={"a": -1, "b": 2}),
        Err(ValidationError, "'item_weights'"),
    ),
    (
        "satidx/weights-zero-sum",
        lambda: satisfaction_index(X2, item_weights={"a": 0, "b": 0}),
        Err(ValidationError, "'item_weights'", "positive sum"),
    ),
    (
        "satidx/weights-NaN",
        lambda: satisfaction_index(X2, item_weights={"a": math.nan, "b": 1}),
        Err(ValidationError, "'item_weights'"),
    ),
    (
        "satidx/weights-unknown",
        lambda: satisfaction_index(X2, item_weights={"a": 1, "z": 1}),
        Err(ValidationError, "'z'"),
    ),
    (
        "satidx/out-of-range",
        lambda: satisfaction_index(X2.assign(a=[0, 5, 10, 11])),
        Err(ValidationError, "'a'", "out-of-range"),
    ),
    (
        "satidx/bool-column",
        lambda: satisfaction_index(X2.assign(a=X2["a"] > 2)),
        Err(ValidationError, "'a'", "bool"),
    ),
    (
        "satidx/NaN-raise",
        lambda: satisfaction_index(X2.astype(float).assign(a=[np.nan, 1, 2, 3])),
        Err(ValidationError, "'a'", "nan_policy='omit'"),
    ),
    (
        "satidx/scale-inverted",
        lambda: satisfaction_index(X2, scale=(10, 1)),
        Err(ValidationError, "'scale'"),
    ),
    (
        "satidx/duplicate-columns",
        lambda: satisfaction_index(pd.DataFrame([[1, 2]], columns=["a", "a"])),
        Err(ValidationError, "'a'", "2 times"),
    ),
    ("satidx/empty", lambda: satisfaction_index(X2.iloc[:0]), Err(ValidationError, "empty")),
    # --- reliability --------------------------------------------------------------------------
    ("alpha/reference", lambda: cronbach_alpha(ITEMS).alpha, Num(ref_alpha(ITEMS))),
    (
        "alpha/omit",
        lambda: (
            cronbach_alpha(
                ITEMS.astype(float).assign(a=[np.nan, 2, 3, 4, 5]), nan_policy="omit"
            ).alpha
        ),
        Num(ref_alpha(ITEMS.iloc[1:])),
    ),
    (
        "alpha/identical-items",
        lambda: cronbach_alpha(ITEMS[["a"]].assign(b=ITEMS["a"])).alpha,
        Num(1.0),
    ),
    (
        "alpha/no-variance",
        lambda: cronbach_alpha(pd.DataFrame({"a": [3] * 4, "b": [3] * 4})).alpha,
        Warns(UndefinedMetricWarning, ("no variance",), math.isnan),
    ),
    ("alpha/one-item", lambda: cronbach_alpha(ITEMS[["a"]]), Err(ValidationError, "two items")),
    ("alpha/one-row", lambda: cronbach_alpha(ITEMS.iloc[:1]), Err(ValidationError, "two complete")),
    (
        "alpha/bool",
        lambda: cronbach_alpha(ITEMS.assign(a=ITEMS["a"] > 2)),
        Err(ValidationError, "'a'", "bool"),
    ),
    (
        "CR/reference",
        lambda: composite_reliability([0.7, 0.8, 0.9]),
        Num(2.4**2 / (2.4**2 + 0.51 + 0.36 + 0.19)),
    ),
    ("CR/bool", lambda: composite_reliability([True, 0.8]), Err(ValidationError, "'loadings'")),
    ("CR/above-1", lambda: composite_reliability([1.2, 0.8]), Err(ValidationError, "loadings")),
    (
        "ITC/corrected-str",
        lambda: item_total_correlations(ITEMS, corrected="no"),
        Err(ValidationError, "'corrected'"),
    ),
    (
        "ITC/no-variance",
        lambda: item_total_correlations(ITEMS.assign(c=3))["c"],
        Warns(UndefinedMetricWarning, ("no variance",), math.isnan),
    ),
    # --- SERVQUAL -----------------------------------------------------------------------------
    (
        "servqual/weighted",
        lambda: (
            servqual(
                pd.DataFrame({"p1": [5, 6, 7], "p2": [4, 4, 5]}),
                pd.DataFrame({"p1": [6, 6, 6], "p2": [5, 5, 5]}),
                dimensions={"d": ["p1"], "e": ["p2"]},
                dimension_weights={"d": 3, "e": 1},
            ).overall
        ),
        Num(0.75 * 0 + 0.25 * (-2 / 3)),
    ),
    (
        "servqual/no-dimensions",
        lambda: servqual(pd.DataFrame({"p1": [5]}), pd.DataFrame({"p1": [6]})),
        Err(ValidationError, "'dimensions'", "Hint"),
    ),
    (
        "servqual/weights-typo",
        lambda: servqual(
            pd.DataFrame({"p1": [5], "p2": [4]}),
            pd.DataFrame({"p1": [6], "p2": [5]}),
            dimensions={"d": ["p1"], "e": ["p2"]},
            dimension_weights={"d": 1, "ee": 1},
        ),
        Err(ValidationError, "'dimension_weights'", "'ee'"),
    ),
    (
        "servqual/index-mismatch",
        lambda: servqual(
            pd.DataFrame({"p1": [5, 6]}),
            pd.DataFrame({"p1": [6, 6]}, index=[5, 6]),
            dimensions={"d": ["p1"]},
        ),
        Err(ValidationError, "expectations", "Hint"),
    ),
    # --- PLS ----------------------------------------------------------------------------------
    (
        "pls/collinear-inner",
        lambda: pls_path_model(
            ECSI.assign(**{f"expe{i}": ECSI[f"imag{i}"] for i in range(1, 6)}),
            paths=PATHS,
            blocks=BLOCKS,
        ).r_squared["SAT"],
        Warns(CollinearityWarning, ("collinear", "'SAT'"), lambda v: 0 <= v <= 1),
    ),
    (
        "pls/mode-B-singular",
        lambda: pls_path_model(
            ECSI.assign(imag5=ECSI["imag4"]), paths=PATHS, blocks=BLOCKS, modes={"IMAG": "B"}
        ),
        Err(ValidationError, "'IMAG'", "perfectly collinear", "Hint"),
    ),
    (
        "pls/zero-variance-item",
        lambda: pls_path_model(ECSI.assign(imag1=5), paths=PATHS, blocks=BLOCKS),
        Err(ValidationError, "'imag1'", "no variance"),
    ),
    (
        "pls/cycle",
        lambda: pls_path_model(ECSI, paths={**PATHS, "IMAG": ["LOY"]}, blocks=BLOCKS),
        Err(ValidationError, "cycle"),
    ),
    (
        "pls/item-twice",
        lambda: pls_path_model(ECSI, paths=PATHS, blocks={**BLOCKS, "EXPE": ["expe1", "imag1"]}),
        Err(ValidationError, "'imag1'"),
    ),
    (
        "pls/max_iter-bool",
        lambda: pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS, max_iter=True),
        Err(ValidationError, "'max_iter'"),
    ),
    (
        "pls/bootstrap-bool",
        lambda: pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS, bootstrap=True),
        Err(ValidationError, "'bootstrap'"),
    ),
    (
        "pls/scaled-str",
        lambda: pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS, scaled="no"),
        Err(ValidationError, "'scaled'"),
    ),
    (
        "pls/seed-str",
        lambda: pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS, bootstrap=2, seed="x"),
        Err(ValidationError, "'seed'"),
    ),
    (
        "pls/seed-negative",
        lambda: pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS, bootstrap=2, seed=-1),
        Err(ValidationError, "'seed'"),
    ),
    (
        "pls/tol-NaN",
        lambda: pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS, tol=math.nan),
        Err(ValidationError, "'tol'"),
    ),
    (
        "pls/one-row",
        lambda: pls_path_model(ECSI.iloc[:1], paths=PATHS, blocks=BLOCKS),
        Err(ValidationError, "at least 3"),
    ),
    (
        "pls/modes-typo",
        lambda: pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS, modes={"IMGA": "B"}),
        Err(ValidationError, "'IMGA'"),
    ),
    (
        "pls/bootstrap-1",
        lambda: pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS, bootstrap=1),
        Err(ValidationError, "'bootstrap'", "at least 2"),
    ),
    (
        "scorecard/zscore-constant",
        lambda: (
            card([*BEH, "satisfaction"], normalisation="zscore", weighting="equal")
            .fit(TX, SV.assign(sat1=5, sat2=5, sat3=5), observation_end=END)
            .score(TX, SV.assign(sat1=5, sat2=5, sat3=5))
            .customers["norm_satisfaction"]
            .dropna()
            .unique()
            .tolist()
        ),
        Warns(UndefinedMetricWarning, ("'satisfaction'",), lambda v: v == [0.5]),
    ),
    (
        "interactions/ids-as-strings",
        lambda: card([*BEH, "engagement"]).fit(
            TX,
            interactions=INTER.assign(customer_id=INTER["customer_id"].astype(str)),
            observation_end=END,
        ),
        Err(ValidationError, "none of the", "interactions", "'customer_id'", "Hint"),
    ),
    (
        "interactions/unused-ids-as-strings",
        lambda: (
            card(BEH)
            .fit(
                TX,
                interactions=INTER.assign(customer_id=INTER["customer_id"].astype(str)),
                observation_end=END,
            )
            .weights_.equals(card(BEH).fit(TX, observation_end=END).weights_)
        ),
        Num(True),
    ),
    # --- engagement ---------------------------------------------------------------------------
    (
        "engagement/max_channels-bool",
        lambda: engagement_index(
            engagement_summary(INTER, observation_end=INTER["date"].max()), max_channels=True
        ),
        Err(ValidationError, "'max_channels'"),
    ),
    (
        "engagement/max_channels-2.5",
        lambda: engagement_index(
            engagement_summary(INTER, observation_end=INTER["date"].max()), max_channels=2.5
        ),
        Err(ValidationError, "'max_channels'"),
    ),
    (
        "engagement/recency-NaN",
        lambda: engagement_index(
            engagement_summary(INTER, observation_end=INTER["date"].max()), recency_days=math.nan
        ),
        Err(ValidationError, "'recency_days'"),
    ),
    # --- scorecard: config --------------------------------------------------------------------
    (
        "config/unknown-indicator",
        lambda: card(["purchase_dayz"]),
        Err(PluginError, "'purchase_dayz'", "purchase_days"),
    ),
    ("config/empty", lambda: card([]), Err(ValidationError, "at least one indicator")),
    ("config/base-level", lambda: card(["nps"]), Err(ValidationError, "'nps'", "base-level")),
    (
        "config/weight-negative",
        lambda: card({"purchase_days": {"weight": -1}, "total_spend": {"weight": 2}}).fit(TX),
        Err(ValidationError, "purchase_days"),
    ),
    (
        "config/weights-zero",
        lambda: card(BEH, weighting=dict.fromkeys(BEH, 0)).fit(TX),
        Err(ValidationError, "zero"),
    ),
    (
        "config/weights-bool",
        lambda: card(BEH, weighting={**dict.fromkeys(BEH, 1), "total_spend": True}),
        Err(ValidationError, "'weighting'"),
    ),
    (
        "config/weighting-typo",
        lambda: card(BEH, weighting="entrophy"),
        Err(ValidationError, "'weighting'", "did you mean 'entropy'"),
    ),
    (
        "config/option-typo",
        lambda: card({"churn_risk": {"options": {"modle": "bg_nbd"}}}),
        Err(ValidationError, "'modle'", "model"),
    ),
    (
        "config/setting-typo",
        lambda: card({"purchase_days": {"wieght": 1}}),
        Err(ValidationError, "'wieght'", "weight"),
    ),
    (
        "config/max_fit_customers-negative",
        lambda: card({"churn_risk": {"options": {"max_fit_customers": -1}}}).fit(
            TX, observation_end=END
        ),
        Err(ValidationError, "'max_fit_customers'"),
    ),
    (
        "config/max_fit_customers-bool",
        lambda: card({"clv": {"options": {"max_fit_customers": True}}}).fit(
            TX, observation_end=END
        ),
        Err(ValidationError, "'max_fit_customers'"),
    ),
    (
        "config/satisfaction-scale-scalar",
        lambda: card({**{b: {} for b in BEH}, "satisfaction": {"options": {"scale": 10}}}).fit(
            TX, SV
        ),
        Err(ValidationError, "'scale'"),
    ),
    (
        "config/satisfaction-scale-short",
        lambda: card({**{b: {} for b in BEH}, "satisfaction": {"options": {"scale": [1]}}}).fit(
            TX, SV
        ),
        Err(ValidationError, "'scale'"),
    ),
    (
        "config/satisfaction-items-str",
        lambda: (
            card({**{b: {} for b in BEH}, "satisfaction": {"options": {"items": "sat1"}}})
            .fit(TX, SV, observation_end=END)
            .score(TX, SV)
            .customers["satisfaction"]
            .max()
        ),
        Num(100 * (SV.groupby("customer_id")["sat1"].mean().max() - 1) / 9),
    ),
    (
        "config/tier-shares-sum",
        _tiers({"labels": ["A", "B"], "shares": [0.5, 0.6]}),
        Err(ValidationError, "'tiers.shares'", "sum to 1"),
    ),
    (
        "config/tier-shares-percent",
        lambda: card(BEH, tiers={"labels": ["A", "B"], "shares": [40, 60]}).config.tiers["shares"],
        Num([0.4, 0.6]),
    ),
    (
        "config/tier-threshold-150",
        _tiers({"labels": ["A", "B"], "thresholds": [150]}),
        Err(ValidationError, "'tiers.thresholds'", "(0, 100]"),
    ),
    (
        "config/tier-threshold-negative",
        _tiers({"labels": ["A", "B"], "thresholds": [-5]}),
        Err(ValidationError, "'tiers.thresholds'"),
    ),
    (
        "config/tier-both",
        _tiers({"labels": ["A", "B"], "shares": [0.5, 0.5], "thresholds": [50]}),
        Err(ValidationError, "'shares'", "'thresholds'", "not both"),
    ),
    (
        "config/tier-increasing",
        _tiers({"labels": ["A", "B", "C"], "thresholds": [20, 80]}),
        Err(ValidationError, "decreasing"),
    ),
    ("config/seed-bool", lambda: card(BEH, seed=True), Err(ValidationError, "'seed'")),
    (
        "config/ahp-inconsistent",
        lambda: card(
            BEH,
            weighting="ahp",
            ahp=pd.DataFrame([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]], BEH, BEH),
        ).fit(TX),
        Err(ValidationError, "inconsistent", "allow_inconsistent"),
    ),
    # --- scorecard: plugins ------------------------------------------------------------------
    (
        "plugin/raises-own-exception",
        plugin("battery_raise", _raise_value_error),
        Err(PluginError, "'battery_raise'", "ValueError", "plugin-side failure"),
    ),
    (
        "plugin/fit-returns-list",
        plugin("battery_fitlist", _with_state, fit=_fit_list),
        Err(ValidationError, "'battery_fitlist'", "fit step", "dict"),
    ),
    (
        "plugin/state-not-json",
        _saved_with(_fit_object),
        Err(ValidationError, "'battery_state'", "JSON"),
    ),
    (
        "plugin/constant",
        plugin("battery_const", lambda summary: pd.Series(5.0, summary.index)),
        Warns(UndefinedMetricWarning, ("'battery_const'", "same value"), lambda w: w < 1e-9),
    ),
    (
        "plugin/too-long-array",
        plugin("battery_long", lambda summary: np.zeros(len(summary) + 5)),
        Err(ValidationError, "'battery_long'", "exactly one value per customer"),
    ),
    (
        "plugin/dataframe",
        plugin("battery_df", lambda summary: summary[["frequency", "T"]]),
        Err(ValidationError, "'battery_df'", "DataFrame"),
    ),
    (
        "plugin/inf",
        plugin("battery_inf", lambda summary: summary["frequency"].replace(0, np.inf)),
        Err(ValidationError, "'battery_inf'", "infinite"),
    ),
    (
        "plugin/strings",
        plugin("battery_str", lambda summary: summary["frequency"].astype(str)),
        Err(ValidationError, "'battery_str'", "non-numeric"),
    ),
    (
        "plugin/duplicate-index",
        plugin(
            "battery_dup",
            lambda summary: pd.concat([summary["frequency"], summary["frequency"].iloc[:2]]).astype(
                float
            ),
        ),
        Err(ValidationError, "'battery_dup'", "duplicated"),
    ),
    # --- scorecard: surveys ------------------------------------------------------------------
    (
        "surveys/ids-as-strings",
        lambda: card().fit(
            TX, SV.assign(customer_id=SV["customer_id"].astype(str)), observation_end=END
        ),
        Err(ValidationError, "none of the 120 survey answers", "Hint"),
    ),
    (
        "surveys/ids-as-floats",
        lambda: (
            card()
            .fit(TX, SV.assign(customer_id=SV["customer_id"].astype(float)), observation_end=END)
            .weights_.equals(fitted().weights_)
        ),
        Num(True),
    ),
    (
        "surveys/extra-customer-column",
        lambda: (
            card()
            .fit(TX, SV.assign(customer=SV["customer_id"]), observation_end=END)
            .weights_.equals(fitted().weights_)
        ),
        Num(True),
    ),
    (
        "surveys/rating-11",
        lambda: card().fit(TX, SV.assign(recommend=11)),
        Err(ValidationError, "'recommend'", "out-of-range"),
    ),
    (
        "surveys/rating-bool",
        lambda: card().fit(TX, SV.assign(recommend=True)),
        Err(ValidationError, "'recommend'", "bool"),
    ),
    (
        "surveys/missing-item",
        lambda: card().fit(TX, SV.drop(columns="sat3")),
        Err(ValidationError, "'sat3'", "'items'"),
    ),
    (
        "surveys/identical-answers",
        lambda: (
            card()
            .fit(TX, SV.assign(recommend=10, sat1=5, sat2=5, sat3=5), observation_end=END)
            .weights_[["satisfaction", "recommendation"]]
            .max()
        ),
        Warns(UndefinedMetricWarning, ("'satisfaction'", "'recommendation'"), lambda w: w < 1e-9),
    ),
    (
        "surveys/all-missing-at-fit",
        lambda: card().fit(TX, _sv_nan(), observation_end=END),
        Err(ValidationError, "'satisfaction'", "finite"),
    ),
    (
        "surveys/all-missing-at-score",
        lambda: (
            fitted()
            .score(TX, _sv_nan())
            .customers["composite"]
            .round(9)
            .equals(fitted().score(TX).customers["composite"].round(9))
        ),
        Num(True),
    ),
    (
        "surveys/unseen-customers",
        lambda: (
            fitted()
            .score(
                TX.assign(customer_id=TX["customer_id"] + 10_000),
                SV.assign(customer_id=SV["customer_id"] + 10_000),
            )
            .customers["composite"]
            .to_numpy()
            .tolist()
            == fitted().score(TX, SV).customers["composite"].to_numpy().tolist()
        ),
        Num(True),
    ),
    (
        "surveys/multiindex-columns",
        lambda: card().fit(
            TX, pd.DataFrame(SV.to_numpy(), columns=pd.MultiIndex.from_product([["s"], SV.columns]))
        ),
        Err(ValidationError, "'customer_id'", "MultiIndex"),
    ),
    # --- scorecard: saved state ----------------------------------------------------------------
    (
        "state/round-trip",
        lambda: (
            LoyaltyScorecard.from_json(fitted().to_json())
            .score(TX, SV)
            .customers["composite"]
            .equals(fitted().score(TX, SV).customers["composite"])
        ),
        Num(True),
    ),
    (
        "state/truncated",
        lambda: LoyaltyScorecard.from_json(fitted().to_json()[:500]),
        Err(ValidationError, "not valid JSON", "Hint"),
    ),
    ("state/version-99", edited(("format_version",), 99), Err(ValidationError, "format_version")),
    ("state/extra-top-key", edited(("extra",), 1), Err(ValidationError, "'extra'")),
    (
        "state/extra-fitted-key",
        edited(("fitted", "observation_ned"), "1997-12-31"),
        Err(ValidationError, "'observation_ned'", "did you mean 'observation_end'"),
    ),
    (
        "state/extra-normaliser",
        edited(("fitted", "normalisers", "clv"), {"method": "minmax", "direction": "higher"}),
        Err(ValidationError, "fitted.normalisers", "'clv'"),
    ),
    (
        "state/missing-normaliser",
        edited(("fitted", "normalisers", "satisfaction"), delete=True),
        Err(ValidationError, "'satisfaction'"),
    ),
    (
        "state/weights-negative",
        edited(("fitted", "weighting", "weights", "total_spend"), -0.5),
        Err(ValidationError, "weight"),
    ),
    (
        "state/knots-reversed",
        edited(("fitted", "normalisers", "satisfaction", "knots"), lambda k: k[::-1]),
        Err(ValidationError, "knots", "sorted"),
    ),
    (
        "state/thresholds-count",
        edited(("fitted", "tiers", "thresholds"), [50.0]),
        Err(ValidationError, "fitted.tiers.thresholds", "3"),
    ),
    (
        "state/observation_end",
        edited(("fitted", "observation_end"), "yesterday"),
        Err(ValidationError, "fitted.observation_end"),
    ),
    # --- compare / monitoring / programme ----------------------------------------------------
    (
        "compare/tables-not-results",
        lambda: compare(*(r.customers for r in _results())),
        Err(ValidationError, "'before'", "ScorecardResult"),
    ),
    (
        "compare/self",
        lambda: compare(*[_results()[0]] * 2).indicators["change"].abs().max(),
        Num(0.0),
    ),
    (
        "psi/identical",
        lambda: population_stability_index(np.arange(100.0), np.arange(100.0)),
        Num(0.0),
    ),
    (
        "psi/strings",
        lambda: population_stability_index(["a", "b"], [1.0]),
        Err(ValidationError, "'expected'", "numbers"),
    ),
    (
        "psi/bins-bool",
        lambda: population_stability_index([1.0, 2.0], [1.0], bins=True),
        Err(ValidationError, "'bins'"),
    ),
    (
        "over_time/refit-str",
        lambda: evaluate_over_time(TX, period="Q", refit="no"),
        Err(ValidationError, "'refit'"),
    ),
    (
        "over_time/no-recommend-column",
        lambda: (
            evaluate_over_time(
                TX,
                SV.drop(columns="recommend").assign(date=pd.Timestamp("1997-06-01")),
                period="Q",
                scorecard=card(BEH),
            )
            .kpis["nps"]
            .isna()
            .all()
        ),
        Warns(UndefinedMetricWarning, ("'recommend'", "recommend="), bool),
    ),
    (
        "programme/seed-negative",
        lambda: programme_effect(PROG.transactions, PROG.members, seed=-1, **PROG_KW),
        Err(ValidationError, "'seed'"),
    ),
    (
        "programme/seed-str",
        lambda: programme_effect(PROG.transactions, PROG.members, seed="a", **PROG_KW),
        Err(ValidationError, "'seed'"),
    ),
    (
        "programme/progress-str",
        lambda: programme_effect(PROG.transactions, PROG.members, progress="no", **PROG_KW),
        Err(ValidationError, "'progress'"),
    ),
    (
        "programme/members-mask",
        lambda: programme_effect(PROG.transactions, pd.Series(True, index=PROG.members), **PROG_KW),
        Err(ValidationError, "'members'", "booleans", "mask.index[mask]"),
    ),
    (
        "programme/n_boot-bool",
        lambda: programme_effect(PROG.transactions, PROG.members, **{**PROG_KW, "n_boot": True}),
        Err(ValidationError, "'n_boot'"),
    ),
]


@pytest.mark.parametrize(("fn", "expected"), [pytest.param(f, e, id=i) for i, f, e in CASES])
def test_case(fn: Callable[[], Any], expected: Num | Err | Warns) -> None:
    run_case(fn, expected)


def test_battery_size() -> None:
    assert len(CASES) >= 120
    assert len({name for name, _, _ in CASES}) == len(CASES)


def test_inputs_are_not_modified() -> None:
    tx, sv, ecsi = TX.copy(), SV.copy(), ECSI.copy()
    card().fit_score(TX, SV, observation_end=END)
    pls_path_model(ECSI, paths=PATHS, blocks=BLOCKS)
    satisfaction_index(SV, columns=SV_SAT)
    pd.testing.assert_frame_equal(TX, tx)
    pd.testing.assert_frame_equal(SV, sv)
    pd.testing.assert_frame_equal(ECSI, ecsi)


# ---------------------------------------------------------------------------------------------
# properties: any weights scale, any ratings
# ---------------------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    ratings=st.lists(st.integers(0, 10), min_size=1, max_size=30),
    exponent=st.integers(-320, 307),
)
def test_nps_weights_are_scale_free(ratings: list[int], exponent: int) -> None:
    w = [10.0**exponent] * len(ratings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateIntervalWarning)
        plain, scaled = nps(ratings), nps(ratings, sample_weight=w)
    assert scaled.statistic == pytest.approx(plain.statistic, abs=1e-9)
    assert scaled.n_effective == pytest.approx(len(ratings))
    assert scaled.se == pytest.approx(plain.se, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    a=st.lists(st.integers(0, 10), min_size=1, max_size=20),
    b=st.lists(st.integers(0, 10), min_size=1, max_size=20),
    interval=st.sampled_from(["wald", "adjusted_wald"]),
)
def test_nps_test_interval_stays_in_range(a: list[int], b: list[int], interval: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateIntervalWarning)
        res = nps_test(a, b, interval=interval)
    assert -200.0 <= res.ci[0] <= res.ci[1] <= 200.0
    assert res.statistic == pytest.approx(ref_nps(a) - ref_nps(b))


@settings(max_examples=40, deadline=None)
@given(
    value=st.one_of(
        st.booleans(), st.floats(allow_nan=True), st.text(max_size=3), st.integers(-5, 0), st.none()
    )
)
def test_count_parameters_refuse_non_counts(value: Any) -> None:
    if isinstance(value, float) and value.is_integer() and value >= 1:
        return
    with pytest.raises(ValidationError, match="'max_channels'"):
        engagement_index(pd.DataFrame(), max_channels=value)


def test_expected_errors_are_ours() -> None:
    # a stray pandas or numpy ValueError can never pass for an expected error
    assert all(issubclass(e.kind, CustLoyaltyError) for _, _, e in CASES if isinstance(e, Err))

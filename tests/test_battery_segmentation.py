"""A hostile battery of the segmentation, the plots and the generators (issue 13), round 3.

Rounds 1 and 2 (``test_battery_transactions``, ``test_battery_flows``) tried the segmentation
through transactions and the flows. This one tries every option of the segmentation objects
(RFM scores and segments, value tiers, quantile tiers, tier policies, tier migration, the
value x potential grid), the inputs of every public plot that reads customers, and the
parameters of the data-set generators, as a careless and a hostile user would: wrong types,
booleans as numbers, NaN / inf, empty and one-row inputs, ties, duplicated ids, unsorted or
repeated thresholds, typos, pyarrow / nullable / categorical / tz-aware dtypes, MultiIndex
columns, huge values and hand-edited saved states.

A case passes when the outcome is acceptable and exact:

* ``Err``: our own error (a :class:`~custloyalty.errors.CustLoyaltyError`) whose message names
  the parameter, column or key (the ``match`` pattern);
* ``Check``: a result checked against the value an experienced user expects.

A stray exception, a silently wrong result or a modified caller object fails the case.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import custloyalty as cl
from _battery import drawn
from custloyalty import datasets as ds
from custloyalty import plotting as pl
from custloyalty.errors import ConvergenceWarning, CustLoyaltyError, NotFittedError
from custloyalty.errors import ValidationError as VE
from custloyalty.segmentation import (
    QuantileTiers,
    RFMScorer,
    SegmentRule,
    Tier,
    TierPolicy,
    ValuePotentialGrid,
    rfm_scores,
    rfm_segments,
    tier_migration,
    value_potential_tiers,
    value_tiers,
)

matplotlib.use("Agg")

TX = ds.make_transactions(60, seed=1)
SUMMARY = cl.rfm_summary(TX)
NUM = SUMMARY[["recency", "T", "n_purchases", "total_amount"]]
SCORES = rfm_scores(SUMMARY)
SPEND = SUMMARY["total_amount"]
POLICY = TierPolicy([{"name": "Gold", "qualify": {"spend": 20}}, {"name": "Member"}])
MEMBERS = pd.DataFrame({"spend": [35.0, 8.0, 10.75]}, index=[1, 5, 1000])
GRID = ValuePotentialGrid().fit([10.0, 20.0, 30.0, 40.0], [5.0, 1.0, 8.0, 2.0])


@dataclass(frozen=True)
class Err:
    """Our own error of type ``kind`` whose message matches ``match``."""

    match: str
    kind: type[Exception] = VE


@dataclass(frozen=True)
class Check:
    """A result passing ``check``: the expected value, computed by hand."""

    check: Callable[[Any], bool]


Outcome = Err | Check
Case = tuple[str, Callable[[], Any], Outcome]


def run_case(call: Callable[[], Any], want: Outcome) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if isinstance(want, Err):
            with pytest.raises(want.kind, match=want.match) as info:
                call()
            assert isinstance(info.value, CustLoyaltyError), type(info.value)
            return
        result = call()
    assert want.check(result), result


def table(cases: list[Case]) -> Any:
    return pytest.mark.parametrize(
        ("call", "want"), [c[1:] for c in cases], ids=[c[0] for c in cases]
    )


def edited(obj: Any, **changes: Any) -> dict[str, Any]:
    """The JSON saved state of ``obj`` with keys replaced, as a hand edit would leave it."""
    state: dict[str, Any] = json.loads(obj.to_json())
    state.update(changes)
    return state


# ------------------------------------------------------------------------------ RFM scores
FITTED = RFMScorer().fit(SUMMARY)
WIDE = pd.concat({"x": NUM}, axis=1)
TUPLES = {
    "recency": ("x", "recency"),
    "T": ("x", "T"),
    "frequency": ("x", "n_purchases"),
    "monetary": ("x", "total_amount"),
}

RFM: list[Case] = [
    ("one customer", lambda: rfm_scores(SUMMARY.head(1)), Check(lambda r: r["cell"][1] == "3-3-3")),
    ("no customer", lambda: rfm_scores(SUMMARY.head(0)), Err(r"summary passed to rfm_scores")),
    (
        "everybody tied, every method: the middle score",
        lambda: [
            rfm_scores(NUM.assign(recency=1.0, T=1.0, n_purchases=1, total_amount=5.0), method=m)
            for m in ("quantile", "rfm")
        ],
        Check(lambda rs: all(set(r["cell"]) == {"3-3-3"} for r in rs)),
    ),
    (
        "Float64 columns",
        lambda: rfm_scores(NUM.astype("Float64")),
        Check(lambda r: r.equals(SCORES)),
    ),
    (
        "pyarrow columns",
        lambda: rfm_scores(NUM.astype("double[pyarrow]")),
        Check(lambda r: r.equals(SCORES)),
    ),
    (
        "MultiIndex columns named by tuples",
        lambda: rfm_scores(WIDE, **TUPLES),
        Check(lambda r: r.equals(SCORES)),
    ),
    (
        "MultiIndex columns by plain names",
        lambda: rfm_scores(WIDE),
        Err(r"Column 'recency' not found in summary"),
    ),
    (
        "a customer twice",
        lambda: rfm_scores(SUMMARY.set_axis([1] * len(SUMMARY))),
        Err(r"(?s)index of summary passed to rfm_scores must hold each customer id once.*Hint"),
    ),
    (
        "negative purchase counts",
        lambda: rfm_scores(SUMMARY.assign(n_purchases=-SUMMARY["n_purchases"])),
        Err(r"The F metric of rfm_scores \('n_purchases'\) is negative for 60 customers"),
    ),
    (
        "negative revenue (returns) is ranked",
        lambda: rfm_scores(SUMMARY.assign(total_amount=-SUMMARY["total_amount"]))["M"],
        Check(lambda m: (m == 6 - SCORES["M"]).mean() > 0.9),
    ),
    (
        "infinite T",
        lambda: rfm_scores(SUMMARY.assign(T=np.inf)),
        Err(r"Column 'T' has 60 infinite"),
    ),
    (
        "booleans as purchase counts",
        lambda: rfm_scores(SUMMARY.assign(n_purchases=True)),
        Err(r"Column 'n_purchases' must be numeric; got dtype bool"),
    ),
    ("bins as 2.0", lambda: rfm_scores(SUMMARY, bins=2.0), Err(r"'bins' parameter of RFMScorer")),
    (
        "edges for R twice (R and recency)",
        lambda: RFMScorer(edges={"R": [1, 2], "recency": [5, 6]}),
        Err(r"(?s)'edges' parameter of RFMScorer gives the R edges twice.*Hint"),
    ),
    (
        "edges as a number in text",
        lambda: rfm_scores(SUMMARY, edges={"R": "10"}),
        Err(r"edges\['R'\] must be a sequence of numbers; got '10'"),
    ),
    (
        "edges as texts",
        lambda: rfm_scores(SUMMARY, edges={"R": ["10", "20"]}),
        Err(r"edges\['R'\] must be a sequence of numbers"),
    ),
    (
        "edges nested",
        lambda: rfm_scores(SUMMARY, edges={"R": [[10, 20]]}),
        Err(r"edges\['R'\] must be a flat list of numbers"),
    ),
    ("edges as a set", lambda: rfm_scores(SUMMARY, edges={"R": {1, 2}}), Err(r"edges\['R'\]")),
    (
        "edges repeated: the score between stays empty",
        lambda: rfm_scores(SUMMARY, edges={"R": [10, 10, 20]})["R"],
        Check(lambda r: 3 not in set(r)),
    ),
    (
        "columns typo",
        lambda: rfm_scores(SUMMARY, recency="recncy"),
        Err(r"Column 'recncy' not found in summary"),
    ),
    (
        "summary as an array",
        lambda: rfm_scores(NUM.to_numpy()),
        Err(r"summary must be a table"),
    ),
    (
        "transform before fit",
        lambda: RFMScorer().transform(SUMMARY),
        Err(r"not fitted", kind=NotFittedError),
    ),
    (
        "transform a customer twice",
        lambda: FITTED.transform(pd.concat([SUMMARY.head(2), SUMMARY.head(1)])),
        Err(r"must hold each customer id once"),
    ),
    (
        "saved state: JSON round trip",
        lambda: RFMScorer.from_json(FITTED.to_json()).transform(SUMMARY),
        Check(lambda r: r.equals(SCORES)),
    ),
    (
        "saved state: tuple column names round trip",
        lambda: RFMScorer.from_json(RFMScorer(**TUPLES).fit(WIDE).to_json()).transform(WIDE),
        Check(lambda r: r.equals(SCORES)),
    ),
    (
        "saved state: bins 5.5",
        lambda: RFMScorer.from_dict(edited(FITTED, bins=5.5)),
        Err(r"RFMScorer.from_dict: bins must be a whole number; got 5.5"),
    ),
    (
        "saved state: n_customers 2.5",
        lambda: RFMScorer.from_dict(edited(FITTED, n_customers=2.5)),
        Err(r"n_customers must be a whole number"),
    ),
    (
        "saved state: unknown key",
        lambda: RFMScorer.from_dict(edited(FITTED, fixed_edgse={"R": [1]})),
        Err(r"(?s)unknown key 'fixed_edgse'.*did you mean 'fixed_edges'"),
    ),
    (
        "saved state: columns typo",
        lambda: RFMScorer.from_dict(edited(FITTED, columns={"recncy": "recency"})),
        Err(r"(?s)unknown key 'recncy'.*did you mean 'recency'"),
    ),
    (
        "saved state: column name a mapping",
        lambda: RFMScorer.from_dict(edited(FITTED, columns={"recency": {"a": 1}})),
        Err(r"columns\['recency'\] must be a column name"),
    ),
    (
        "saved state: edges of an unknown metric",
        lambda: RFMScorer.from_dict(edited(FITTED, edges={**FITTED.to_dict()["edges"], "X": [1]})),
        Err(r"unknown key 'X'"),
    ),
    (
        "saved state: bins as text",
        lambda: RFMScorer.from_dict(edited(FITTED, bins="5")),
        Err(r"bins must be a number"),
    ),
    (
        "saved state: truncated",
        lambda: RFMScorer.from_json(FITTED.to_json()[:40]),
        Err(r"not valid JSON"),
    ),
]


@table(RFM)
def test_rfm_scores(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


# ---------------------------------------------------------------------------- segments
def rules(*items: Any) -> Callable[[], Any]:
    return lambda: rfm_segments(SCORES, rules=list(items))


SEGMENTS: list[Case] = [
    (
        "float scores equal the integer ones",
        lambda: rfm_segments(SCORES[["R", "F", "M"]].astype(float)),
        Check(lambda r: r.equals(rfm_segments(SCORES))),
    ),
    ("scores of 2.5", lambda: rfm_segments(SCORES.assign(R=2.5)), Err(r"60 non-integer values")),
    (
        "nullable scores with a gap",
        lambda: rfm_segments(SCORES.assign(R=SCORES["R"].astype("Int64").where(SCORES.index > 1))),
        Err(r"Column 'R' has 1 missing"),
    ),
    (
        "range of fractions",
        rules(("x", (1.5, 4.9), (1, 5), (1, 5))),
        Err(r"(?s)Segment 'x': the R range must be \(low, high\) whole numbers.*Hint"),
    ),
    ("range as text", rules(("x", "15", (1, 5), (1, 5))), Err(r"R range must be \(low, high\)")),
    (
        "range of whole floats",
        rules(("x", (4.0, 5.0), (1, 5), (1, 5))),
        Check(lambda r: (r == "x").sum() == (SCORES["R"] >= 4).sum()),
    ),
    ("range reversed", rules(("x", (5, 1), (1, 5), (1, 5))), Err(r"1 <= low <= high")),
    ("rule named None", rules((None, (1, 5), (1, 5), (1, 5))), Err(r"needs a non-empty name")),
    ("rule named ''", rules({"name": " ", "R": (1, 5)}), Err(r"needs a non-empty name")),
    (
        "cells as a number",
        rules({"name": "x", "cells": 334}),
        Err(r"Segment 'x': cells must be a list of cells"),
    ),
    (
        "cells as one text",
        rules({"name": "x", "cells": "334"}),
        Err(r"Segment 'x': cells must be a list of cells"),
    ),
    (
        "cells and ranges",
        rules({"name": "x", "cells": ["334"], "R": (1, 2)}),
        Err(r"(?s)gives both cells and ranges \['R'\].*Hint"),
    ),
    (
        "SegmentRule with reversed range",
        rules(SegmentRule("x", R=(5, 1))),
        Err(r"Segment 'x': the R range must have 1 <= low <= high"),
    ),
    (
        "SegmentRule with a boolean bound",
        rules(SegmentRule("x", R=(True, 5))),
        Err(r"R range of segment 'x'.*must hold numbers; got the boolean"),
    ),
    (
        "SegmentRule with a text range",
        rules(SegmentRule("x", R="15")),  # type: ignore[arg-type]
        Err(r"R range must be \(low, high\) whole numbers"),
    ),
    (
        "SegmentRule with bad cells",
        rules(SegmentRule("x", cells=("ab",))),
        Err(r"A segment cell must look like '334'"),
    ),
    (
        "SegmentRule of cells",
        rules(SegmentRule("x", cells=("5-5-5",))),
        Check(lambda r: (r == "x").sum() == (SCORES["cell"] == "5-5-5").sum()),
    ),
    ("rules as a mapping", lambda: rfm_segments(SCORES, rules={"a": 1}), Err(r"'rules' parameter")),
    (
        "pymc preset on 1-5 scores",
        lambda: rfm_segments(SCORES, rules="pymc"),
        Err(r"(?s)'pymc' preset of rfm_segments is written for scores 1..4.*Hint"),
    ),
]


@table(SEGMENTS)
def test_rfm_segments(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


# ---------------------------------------------------------------------------- value tiers
QT = QuantileTiers([0.2, 0.3, 0.5]).fit(SPEND)
DATES = pd.Series(pd.date_range("2024-01-01", periods=3, tz="UTC"))

VALUE: list[Case] = [
    ("one customer", lambda: value_tiers(SPEND.head(1)), Check(lambda r: r.tolist() == ["A"])),
    (
        "all tied: one tier, the best",
        lambda: value_tiers(pd.Series([5.0] * 10), method="quantile"),
        Check(lambda r: set(r) == {"A"}),
    ),
    (
        "pyarrow values",
        lambda: value_tiers(SPEND.astype("double[pyarrow]")),
        Check(lambda r: r.equals(value_tiers(SPEND))),
    ),
    (
        "nullable values, omitted",
        lambda: value_tiers(pd.Series([1, None, 3], dtype="Int64"), nan_policy="omit"),
        Check(lambda r: r.index.tolist() == [0, 2]),
    ),
    (
        "tz-aware dates as values",
        lambda: value_tiers(DATES),
        Err(r"(?s)values passed to value_tiers must hold numbers; got dates.*Hint"),
    ),
    (
        "pyarrow dates as values",
        lambda: value_tiers(DATES.astype("timestamp[us, tz=UTC][pyarrow]")),
        Err(r"must hold numbers; got dates"),
    ),
    (
        "durations as values",
        lambda: value_tiers(pd.Series(pd.to_timedelta([1, 2, 3], unit="D"))),
        Err(r"must hold numbers; got durations"),
    ),
    (
        "complex values",
        lambda: value_tiers(np.array([1 + 1j, 2])),
        Err(r"must hold numbers; got complex numbers"),
    ),
    ("values as text", lambda: value_tiers("123"), Err(r"values passed to value_tiers must be")),
    ("values as a dict", lambda: value_tiers({"a": 1.0}), Err(r"values passed to value_tiers")),
    (
        "shares with the thresholds method",
        lambda: value_tiers(SPEND, method="thresholds", thresholds=[100, 10], shares=[0.5, 0.5]),
        Err(r"(?s)shares= is only used by method='abc' and 'quantile'.*Hint"),
    ),
    (
        "thresholds nested",
        lambda: value_tiers(SPEND, method="thresholds", thresholds=[[100, 10]]),
        Err(r"'thresholds' parameter of value_tiers must be a flat list"),
    ),
    (
        "thresholds as a mapping",
        lambda: value_tiers(SPEND, method="thresholds", thresholds={"A": 100}),
        Err(r"'thresholds' parameter of value_tiers must be a list of numbers"),
    ),
    (
        "huge values",
        lambda: value_tiers(pd.Series([1e308] * 5 + [1.0])),
        Check(lambda r: r.tolist() == ["A"] * 5 + ["C"]),
    ),
    (
        "QuantileTiers.fit of text",
        lambda: QuantileTiers([0.5, 0.5]).fit(["a", "b"]),
        Err(r"values"),
    ),
    (
        "QuantileTiers.fit of booleans",
        lambda: QuantileTiers([0.5, 0.5]).fit([True, False, True]),
        Err(r"values has 3 boolean values"),
    ),
    (
        "QuantileTiers.fit of a table",
        lambda: QuantileTiers([0.5, 0.5]).fit(SUMMARY),
        Err(r"values must be one-dimensional"),
    ),
    (
        "QuantileTiers.fit of a 2-D array",
        lambda: QuantileTiers([0.5, 0.5]).fit(np.arange(6.0).reshape(3, 2)),
        Err(r"values must be one-dimensional"),
    ),
    (
        "QuantileTiers.fit with inf",
        lambda: QuantileTiers([0.5, 0.5]).fit([1.0, np.inf, 2.0]),
        Err(r"values has 1 infinite value"),
    ),
    (
        "QuantileTiers.fit with NaN (ignored)",
        lambda: QuantileTiers([0.5, 0.5]).fit([1.0, np.nan, 2.0, 3.0, 4.0]).thresholds_,
        Check(lambda t: t == QuantileTiers([0.5, 0.5]).fit([1.0, 2.0, 3.0, 4.0]).thresholds_),
    ),
    ("QuantileTiers.assign of text", lambda: QT.assign(["a"]), Err(r"non-numeric")),
    (
        "QuantileTiers.assign with a short index",
        lambda: QT.assign([1.0, 2.0], index=[1]),
        Err(r"'index' parameter of QuantileTiers.assign has 1 labels for 2 values"),
    ),
    (
        "QuantileTiers.assign of NaN and inf",
        lambda: QT.assign([np.nan, np.inf, -np.inf]).tolist(),
        Check(lambda r: pd.isna(r[0]) and r[1:] == ["A", "C"]),
    ),
    (
        "from_thresholds unsorted",
        lambda: QuantileTiers.from_thresholds([10, 100]),
        Err(r"'thresholds' parameter of QuantileTiers.from_thresholds must be finite and"),
    ),
    (
        "from_thresholds NaN",
        lambda: QuantileTiers.from_thresholds([np.nan]),
        Err(r"must be finite"),
    ),
    (
        "from_thresholds boolean",
        lambda: QuantileTiers.from_thresholds([True]),
        Err(r"must hold numbers; got the boolean"),
    ),
    (
        "from_thresholds text",
        lambda: QuantileTiers.from_thresholds("100"),  # type: ignore[arg-type]
        Err(r"must be a list of numbers"),
    ),
    (
        "from_thresholds repeated (an empty tier, as fitted ties)",
        lambda: QuantileTiers.from_thresholds([10, 10]).assign([5, 10, 20]).tolist(),
        Check(lambda r: r == ["C", "A", "A"]),
    ),
    (
        "saved state: not fitted round trip",
        lambda: QuantileTiers.from_json(QuantileTiers([0.5, 0.5]).to_json()),
        Check(lambda q: not hasattr(q, "thresholds_")),
    ),
    (
        "saved state: fitted round trip",
        lambda: QuantileTiers.from_json(QT.to_json()).thresholds_,
        Check(lambda t: t == QT.thresholds_),
    ),
    (
        "saved state: unknown key",
        lambda: QuantileTiers.from_dict(edited(QT, treshold=[1.0])),
        Err(r"QuantileTiers.from_dict: unknown key 'treshold'"),
    ),
]


@table(VALUE)
def test_value_tiers(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


# ---------------------------------------------------------------------- membership tiers
def previous(**columns: Any) -> pd.DataFrame:
    return pd.DataFrame({"tier": ["Gold"], **columns}, index=[1])


MEMBERSHIP: list[Case] = [
    (
        "tiers None",
        lambda: TierPolicy(None),
        Err(r"'tiers' parameter of TierPolicy must be a list"),
    ),  # type: ignore[arg-type]
    ("tiers as one dict", lambda: TierPolicy({"name": "Gold"}), Err(r"'tiers' parameter")),  # type: ignore[arg-type]
    (
        "tier named None",
        lambda: TierPolicy([{"name": None, "qualify": {"spend": 1}}, {"name": "M"}]),
        Err(r"Each tier needs a non-empty name"),
    ),
    (
        "Tier object named ''",
        lambda: TierPolicy([Tier("", qualify={"spend": 1}), Tier("M")]),
        Err(r"Each tier needs a non-empty name"),
    ),
    (
        "previous grace_left absurd",
        lambda: POLICY.assign(MEMBERS, previous=previous(grace_left=[1e30])),
        Err(r"Column 'grace_left' has 1 out-of-range"),
    ),
    (
        "previous with ids as text",
        lambda: POLICY.assign(MEMBERS, previous=pd.Series(["Gold"] * 3, index=["1", "5", "1000"])),
        Err(r"(?s)customers and previous passed to TierPolicy.assign share no customer id.*Hint"),
    ),
    (
        "previous with a list as tier",
        lambda: POLICY.assign(MEMBERS, previous=pd.Series([["Gold"]], index=[1])),
        Err(r"previous has 1 tier label that is not a scalar"),
    ),
    (
        "previous of other customers only (same id type): all new",
        lambda: POLICY.assign(MEMBERS, previous=pd.Series(["Gold"], index=[7]))["status"],
        Check(lambda s: set(s) == {"new"}),
    ),
    (
        "points beyond the float range",
        lambda: POLICY.points(pd.DataFrame({"q1": [1e308], "q2": [1e308]})),
        Err(r"(?s)TierPolicy.points: the points of 1 customer.*exceed the float range.*Hint"),
    ),
    (
        "assign pyarrow metrics",
        lambda: POLICY.assign(MEMBERS.astype("double[pyarrow]"))["tier"].tolist(),
        Check(lambda r: r == ["Gold", "Member", "Member"]),
    ),
    (
        "assign MultiIndex columns",
        lambda: POLICY.assign(pd.concat({"x": MEMBERS}, axis=1)),
        Err(r"(?s)Column 'spend' not found in customers.*MultiIndex"),
    ),
    (
        "saved state: unknown key",
        lambda: TierPolicy.from_dict(edited(POLICY, grace_period=2)),
        Err(r"(?s)TierPolicy.from_dict: unknown key 'grace_period'.*did you mean 'grace_periods'"),
    ),
    (
        "saved state: round trip",
        lambda: TierPolicy.from_json(
            TierPolicy(POLICY.tiers, grace_periods=2, window="30D", points_expiry=3).to_json()
        ),
        Check(
            lambda p: p == TierPolicy(POLICY.tiers, grace_periods=2, window="30D", points_expiry=3)
        ),
    ),
]


@table(MEMBERSHIP)
def test_membership(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


# ------------------------------------------------------------------------------- migration
def moves(r: Any) -> tuple[int, int, int, int, int]:
    return (r.n_upgrades, r.n_downgrades, r.n_unchanged, r.n_churned, r.n_new)


MIGRATION: list[Case] = [
    (
        "numeric tiers in numeric order",
        lambda: tier_migration(pd.Series([2, 3]), pd.Series([10, 10])),
        Check(lambda r: moves(r) == (0, 2, 0, 0, 0) and list(r.counts.index[:3]) == [2, 3, 10]),
    ),
    (
        "ids as numbers before, as text after",
        lambda: tier_migration(pd.Series(["A", "B"], index=[1, 2]), pd.Series(["A"], index=["1"])),
        Err(r"(?s)before and after passed to tier_migration share no customer id.*Hint"),
    ),
    (
        "ids of one type, no overlap: all churned and new",
        lambda: tier_migration(pd.Series(["A"], index=[1]), pd.Series(["A"], index=[2])),
        Check(lambda r: moves(r) == (0, 0, 0, 1, 1)),
    ),
    (
        "order with a list",
        lambda: tier_migration(pd.Series(["A"]), pd.Series(["A"]), order=[["A"], "B"]),
        Err(r"order has 1 tier that is not a scalar"),
    ),
    (
        "order as text",
        lambda: tier_migration(pd.Series(["A"]), pd.Series(["A"]), order="AB"),  # type: ignore[arg-type]
        Err(r"'order' parameter of tier_migration must list the tiers"),
    ),
    ("labels None", lambda: tier_migration(None, None), Err(r"before must be the tier labels")),
    ("labels a text", lambda: tier_migration("A", "B"), Err(r"before must be the tier labels")),
    (
        "labels as dicts",
        lambda: tier_migration({1: "A", 2: "B"}, {1: "B", 2: "B"}, order=["A", "B"]),
        Check(lambda r: moves(r) == (0, 1, 1, 0, 0)),
    ),
    (
        "TierPolicy.assign results",
        lambda: tier_migration(
            POLICY.assign(MEMBERS), POLICY.assign(MEMBERS.assign(spend=[1.0, 30, 1]))
        ),
        Check(lambda r: moves(r) == (1, 1, 1, 0, 0)),
    ),
    (
        "a table without a tier column",
        lambda: tier_migration(MEMBERS, MEMBERS),
        Err(r"before must be one-dimensional.*no 'tier' column"),
    ),
    (
        "pyarrow labels with a gap",
        lambda: tier_migration(
            pd.Series(["A", None], dtype="string[pyarrow]"), pd.Series(["B", "A"], dtype="string")
        ),
        Check(lambda r: moves(r) == (0, 1, 0, 0, 1)),
    ),
]


@table(MIGRATION)
def test_tier_migration(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


# ------------------------------------------------------------------------ value x potential
GRID_CASES: list[Case] = [
    (
        "fit of text",
        lambda: ValuePotentialGrid().fit(["a"], ["b"]),
        Err(r"value has 1 non-numeric"),
    ),
    (
        "fit of booleans",
        lambda: ValuePotentialGrid().fit([True, False], [1.0, 2.0]),
        Err(r"value has 2 boolean values"),
    ),
    (
        "fit of unequal lengths",
        lambda: ValuePotentialGrid().fit([1.0, 2.0, 3.0], [1.0]),
        Err(r"must hold one number per customer each; got 3 values and 1 potentials"),
    ),
    (
        "fit with inf",
        lambda: ValuePotentialGrid().fit([1.0, np.inf], [1.0, 2.0]),
        Err(r"value has 1 infinite value"),
    ),
    ("fit of a table", lambda: ValuePotentialGrid().fit(SUMMARY, SUMMARY), Err(r"one-dimensional")),
    (
        "assign of unequal lengths",
        lambda: GRID.assign([1.0, 2.0], [1.0]),
        Err(r"got 2 values and 1 potentials"),
    ),
    (
        "assign with a short index",
        lambda: GRID.assign([1.0, 2.0], [1.0, 2.0], index=[1]),
        Err(r"'index' parameter of ValuePotentialGrid.assign has 1 labels for 2 customers"),
    ),
    (
        "assign two Series in other orders: matched by customer",
        lambda: GRID.assign(
            pd.Series([35.0, 5.0], index=["a", "b"]), pd.Series([0.0, 9.0], index=["b", "a"])
        )["action"].to_dict(),
        Check(lambda r: r == {"a": "retain", "b": "harvest"}),
    ),
    (
        "assign two Series of other customers",
        lambda: GRID.assign(pd.Series([35.0], index=["a"]), pd.Series([0.0], index=["z"])),
        Err(r"(?s)Series of different customers: 1 in value only.*Hint"),
    ),
    (
        "assign NaN: no cell",
        lambda: GRID.assign([np.nan], [1.0])["action"].tolist(),
        Check(lambda r: r == [None]),
    ),
    (
        "action None",
        lambda: ValuePotentialGrid(actions={("high", "low"): None}),  # type: ignore[dict-item]
        Err(r"'actions' parameter of ValuePotentialGrid names the action of cell"),
    ),
    (
        "action a list",
        lambda: ValuePotentialGrid(actions={("high", "low"): ["x"]}),  # type: ignore[dict-item]
        Err(r"an action is a non-empty text"),
    ),
    (
        "saved state: not fitted round trip",
        lambda: ValuePotentialGrid.from_json(ValuePotentialGrid(3).to_json()),
        Check(lambda g: g.levels == 3 and not hasattr(g, "value_thresholds_")),
    ),
    (
        "saved state: unknown key",
        lambda: ValuePotentialGrid.from_dict(edited(GRID, level=3)),
        Err(r"(?s)unknown key 'level'.*did you mean 'levels'"),
    ),
    (
        "saved state: fitted cut-offs unlike the fixed ones",
        lambda: ValuePotentialGrid.from_dict(edited(GRID, value_thresholds=[100.0])),
        Err(r"(?s)fitted_value_thresholds \[25.0\] differ from the fixed value_thresholds.*Hint"),
    ),
    (
        "value_potential_tiers: all first bought on the last day",
        lambda: value_potential_tiers(
            pd.DataFrame({"customer_id": range(20), "date": "2024-01-01", "amount": 1.0})
        ),
        Err(r"(?s)all 20 customers made their first purchase on the last day \(2024-01-01\).*Hint"),
    ),
]


@table(GRID_CASES)
def test_value_potential(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


# ----------------------------------------------------------------------------------- plots
VT = value_tiers(SPEND)
PLOTS: list[Case] = [
    (
        "composite bins 10**9",
        drawn(lambda: pl.plot_composite_distribution([1.0, 50.0], bins=10**9)),
        Err(r"'bins' parameter of plot_composite_distribution must be a positive integer <= 1000"),
    ),
    (
        "engagement bins 10**9",
        drawn(lambda: pl.plot_engagement([1.0, 50.0], bins=10**9)),
        Err(r"'bins' parameter of plot_engagement must be a positive integer <= 1000"),
    ),
    (
        "RFM grid of raw metrics",
        drawn(lambda: pl.plot_rfm_segments(SCORES.assign(R=10**6))),
        Err(r"(?s)scores has 60 rows whose R or F is above 20.*Hint"),
    ),
    (
        "RFM grid revenue of other customers",
        drawn(lambda: pl.plot_rfm_segments(SCORES, revenue=SPEND.reset_index(drop=True))),
        Err(r"(?s)revenue passed to plot_rfm_segments is a Series whose customers differ.*Hint"),
    ),
    (
        "RFM grid revenue in another order: matched by customer",
        drawn(
            lambda: [
                t.get_text() for t in pl.plot_rfm_segments(SCORES, revenue=SPEND.iloc[::-1]).texts
            ]
        ),
        Check(
            lambda texts: (
                texts
                == [
                    t.get_text()
                    for t in drawn(lambda: pl.plot_rfm_segments(SCORES, revenue=SPEND))().texts
                ]
            )
        ),
    ),
    (
        "RFM grid revenue negative",
        drawn(lambda: pl.plot_rfm_segments(SCORES, revenue=-SPEND)),
        Err(r"(?s)shares of the total revenue.*60 negative values.*Hint"),
    ),
    (
        "RFM grid revenue all zero",
        drawn(lambda: pl.plot_rfm_segments(SCORES, revenue=SPEND * 0)),
        Err(r"a total of 0"),
    ),
    (
        "tiers of a TierPolicy.assign result",
        drawn(lambda: [p.get_height() for p in pl.plot_tiers(POLICY.assign(MEMBERS)).patches]),
        Check(lambda h: np.allclose(h, [100 / 3, 200 / 3])),
    ),
    (
        "tiers of a table without a tier column",
        drawn(lambda: pl.plot_tiers(MEMBERS)),
        Err(r"plot_tiers needs tier labels per customer; got a DataFrame without a 'tier'"),
    ),
    (
        "tier sizes negative",
        drawn(lambda: pl.plot_tiers({"Gold": 10, "Silver": -5})),
        Err(r"size of each tier as a finite number >= 0"),
    ),
    (
        "tier sizes boolean",
        drawn(lambda: pl.plot_tiers({"Gold": True, "Silver": 5})),
        Err(r"'tiers' parameter of plot_tiers must hold numbers; got the boolean"),
    ),
    (
        "tier values of other customers",
        drawn(lambda: pl.plot_tiers(VT, values=SPEND.reset_index(drop=True))),
        Err(r"values passed to plot_tiers is a Series whose customers differ"),
    ),
    (
        "tier values negative",
        drawn(lambda: pl.plot_tiers(VT, values=-SPEND)),
        Err(r"shares of the total values"),
    ),
    (
        "weights boolean",
        drawn(lambda: pl.plot_weights({"a": True, "b": 1.0})),
        Err(r"'weighting' parameter of plot_weights must hold numbers; got the boolean"),
    ),
    (
        "contributions as text",
        drawn(lambda: pl.plot_weights({"a": 0.5, "b": 0.5}, contributions="x")),
        Err(r"'contributions' parameter of plot_weights must be a mapping"),
    ),
    (
        "contributions of unknown indicators",
        drawn(lambda: pl.plot_weights({"a": 0.5, "b": 0.5}, contributions={"c": 1.0})),
        Err(r"'contributions' of plot_weights name indicators without a weight: \['c'\]"),
    ),
    (
        "contributions table without contrib_ columns",
        drawn(lambda: pl.plot_weights({"a": 0.5}, contributions=pd.DataFrame({"c": [1.0]}))),
        Err(r"(?s)'contributions' table of plot_weights has no contrib_<indicator> column.*Hint"),
    ),
    (
        "contributions as text values",
        drawn(lambda: pl.plot_weights({"a": 0.5, "b": 0.5}, contributions={"a": "x"})),
        Err(r"'contributions' of plot_weights must be numbers"),
    ),
]


@table(PLOTS)
def test_plots(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


# ------------------------------------------------------------------------------ generators
GENERATORS: list[Case] = [
    (
        "make_transactions of 10**12 customers",
        lambda: ds.make_transactions(10**12, seed=1),
        Err(r"(?s)make_transactions would generate about 5.*e\+12 transactions.*Hint"),
    ),
    (
        "make_transactions with alpha 1e-300",
        lambda: ds.make_transactions(5, seed=1, alpha=1e-300),
        Err(r"make_transactions would generate about"),
    ),
    (
        "make_interactions with 10**12 interactions each",
        lambda: ds.make_interactions(3, seed=1, mean_interactions=1e12),
        Err(r"make_interactions would generate about 6e\+12 interactions"),
    ),
    (
        "make_survey of 10**8 respondents",
        lambda: ds.make_survey(10**8, seed=1),
        Err(r"make_survey would generate about .* answers"),
    ),
    (
        "make_survey ids with a gap stay integers",
        lambda: ds.make_survey(3, seed=1, customer_ids=[1, np.nan, 2])["customer_id"],
        Check(lambda s: s.dtype == np.int64 and set(s) <= {1, 2}),
    ),
    (
        "make_interactions nested ids",
        lambda: ds.make_interactions(seed=1, customer_ids=[[1], [2]]),
        Err(r"customer_ids passed to make_interactions must be a one-dimensional sequence"),
    ),
    (
        "make_transactions start aware",
        lambda: ds.make_transactions(5, seed=1, start="2020-01-01T00:00+02:00"),
        Err(r"'start' parameter .* mismatched time zones"),
    ),
]


@table(GENERATORS)
def test_generators(call: Callable[[], Any], want: Outcome) -> None:
    run_case(call, want)


# -------------------------------------------------------------------- the caller's objects
def test_no_caller_object_is_modified() -> None:
    summary, scores, spend = SUMMARY.copy(), SCORES.copy(), SPEND.copy()
    members, edges = MEMBERS.copy(), {"R": [10.0, 20.0]}
    rules_ = [{"name": "x", "R": [4, 5]}]
    before = pd.Series(["A", "B"], index=[1, 2])
    order = ["A", "B"]
    state = FITTED.to_dict()
    frozen = json.dumps(state, sort_keys=True)
    rfm_scores(summary, edges=edges)
    rfm_segments(scores, rules=rules_)
    value_tiers(spend)
    QuantileTiers([0.5, 0.5]).fit(spend).assign(spend)
    POLICY.assign(members, previous=POLICY.assign(members))
    tier_migration(before, before, order=order)
    ValuePotentialGrid().fit(spend, spend).assign(spend, spend)
    RFMScorer.from_dict(state)
    drawn(lambda: pl.plot_rfm_segments(scores, revenue=spend))()
    drawn(lambda: pl.plot_tiers(VT, values=spend))()
    pd.testing.assert_frame_equal(summary, SUMMARY)
    pd.testing.assert_frame_equal(scores, SCORES)
    pd.testing.assert_series_equal(spend, SPEND)
    pd.testing.assert_frame_equal(members, MEMBERS)
    pd.testing.assert_series_equal(before, pd.Series(["A", "B"], index=[1, 2]))
    assert edges == {"R": [10.0, 20.0]}
    assert rules_ == [{"name": "x", "R": [4, 5]}]
    assert order == ["A", "B"]
    assert json.dumps(state, sort_keys=True) == frozen


# Hypothesis: any dtype of the summary's columns gives the plain scores or our own error
KINDS = [None, "Float64", "Int64", "double[pyarrow]", "str", "object", "category", "bool"]


@settings(max_examples=30, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=4, max_size=4),
    hole=st.sampled_from([None, "recency", "n_purchases"]),
    policy=st.sampled_from(["raise", "omit"]),
)
def test_random_dtypes_give_the_scores_or_our_error(
    kinds: list[str | None], hole: str | None, policy: str
) -> None:
    frame = NUM.copy()
    if hole is not None:
        frame[hole] = frame[hole].astype("Float64").where(frame.index != frame.index[0])
    for col, kind in zip(NUM.columns, kinds, strict=True):
        if kind == "bool":
            frame[col] = frame[col] > frame[col].median()
        elif kind in ("Int64",) and frame[col].dropna().mod(1).any():
            continue
        elif kind is not None:
            frame[col] = frame[col].astype(kind)
    try:
        out = rfm_scores(frame, nan_policy=policy)
    except CustLoyaltyError:
        return
    assert "bool" not in kinds, "booleans were read as numbers"
    kept = NUM.drop(index=NUM.index[0]) if hole is not None else NUM
    assert out.equals(rfm_scores(kept)), (kinds, hole, policy)

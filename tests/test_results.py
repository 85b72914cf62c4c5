"""The shared Result base: repr, to_dict (JSON-safe), to_frame, _repr_html_."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, dataclass

import numpy as np
import pandas as pd
import pytest

from custloyalty._results import Result


@dataclass(frozen=True, slots=True)
class DemoResult(Result):
    score: float
    n: int
    ci: tuple[float, float]
    table: pd.DataFrame


def make() -> DemoResult:
    table = pd.DataFrame({"a": [1, 2]}, index=["x", "y"])
    return DemoResult(np.float64(12.5), np.int64(3), (np.float64(1.0), 2.0), table)


def test_repr_is_readable() -> None:
    assert repr(make()) == "DemoResult(score=12.5, n=3, ci=(1, 2), table=<DataFrame (2, 1)>)"


def test_to_dict_is_json_safe() -> None:
    d = make().to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["score"] == 12.5
    assert d["table"]["index"] == ["x", "y"]


def test_to_frame_splits_ci() -> None:
    f = make().to_frame()
    assert list(f.columns) == ["score", "n", "ci_low", "ci_high"]


def test_html_and_frozen() -> None:
    r = make()
    assert "<table>" in r._repr_html_()
    with pytest.raises(FrozenInstanceError):
        r.score = 1.0  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class EdgeResult(Result):
    values: tuple[float, float, float]
    z: float
    table: pd.DataFrame
    when: object
    missing: object


def test_to_dict_maps_non_finite_to_none() -> None:
    table = pd.DataFrame({"a": [np.nan, np.inf], "b": [-np.inf, 1.5]})
    r = EdgeResult((float("nan"), float("inf"), -np.inf), np.float64(np.inf), table, pd.NaT, pd.NA)
    d = r.to_dict()
    assert d["values"] == [None, None, None]
    assert d["z"] is None
    assert d["table"]["data"] == [[None, None], [None, 1.5]]
    assert d["when"] is None
    assert d["missing"] is None
    # strict JSON (no NaN / Infinity tokens) accepts it
    assert json.loads(json.dumps(d, allow_nan=False)) == d


def test_html_renders_tables_not_placeholders() -> None:
    html = make()._repr_html_()
    assert "<DataFrame" not in html
    assert "<td>1</td>" in html  # the DataFrame's cells are shown


@dataclass(frozen=True, slots=True)
class TwoIntervals(Result):
    statistic: float
    ci: tuple[float, float]
    easy_ci: tuple[float, float]
    scale: tuple[int, int]


def test_to_frame_splits_every_interval() -> None:
    f = TwoIntervals(1.0, (0.0, 2.0), (0.5, 1.5), (1, 7)).to_frame()
    assert list(f.columns) == ["statistic", "ci_low", "ci_high", "easy_ci_low", "easy_ci_high"]


def test_headline_field_is_statistic_everywhere() -> None:
    # one name for the headline value of every survey result (issue 11: score / mean /
    # overall / alpha / difference are readable aliases, not fields)
    from custloyalty.metrics import (
        ces,
        cronbach_alpha,
        csat,
        csat_mean,
        nps,
        nps_test,
        satisfaction_index,
    )

    items = pd.DataFrame({"a": [1, 4, 5, 3], "b": [2, 5, 4, 3]})
    results = {
        "score": nps([10, 9, 3, 7]),
        "difference": nps_test([10, 9, 3], [7, 7, 2]),
        "mean": csat_mean([1, 4, 5, 3]),
        "alpha": cronbach_alpha(items),
        "overall": satisfaction_index(items, scale=(1, 5)),
    }
    for alias, r in results.items():
        assert "statistic" in r.to_dict()
        assert alias not in r.to_dict()
        assert getattr(r, alias) == r.statistic
    assert csat([5, 4, 1]).score == csat([5, 4, 1]).statistic
    assert ces([1, 7, 5]).mean == ces([1, 7, 5]).statistic

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

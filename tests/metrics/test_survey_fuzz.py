"""Hostile survey input: every exception is our own, every answer is within its bounds.

Hypothesis draws ratings and item tables with the dtypes real survey exports produce
(nullable integers and floats, pyarrow-backed numbers and strings, categoricals, object
columns mixing numbers, strings, booleans, None, NaN and infinities) and checks that
:func:`nps`, :func:`nps_by` and :func:`satisfaction_index` either return a result inside its
documented range or raise a :class:`~custloyalty.errors.CustLoyaltyError` (never a stray
KeyError, TypeError or a NumPy error), and warn only with our own warnings.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custloyalty.errors import CustLoyaltyError, CustLoyaltyWarning
from custloyalty.metrics import nps, nps_by, satisfaction_index

ATOMS = st.one_of(
    st.integers(-3, 13),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([None, True, False, "7", "n/a", "", "10 ", pd.NA, np.nan]),
)

DTYPES = [
    None,
    "object",
    "Int64",
    "Float64",
    "float32",
    "category",
    "int64[pyarrow]",
    "double[pyarrow]",
    "string[pyarrow]",
    "string",
]


def _series(values: list[Any], dtype: str | None, index: list[Any] | None = None) -> Any:
    """Build a Series of ``values`` in ``dtype``; fall back to object when pandas refuses."""
    try:
        return pd.Series(values, dtype=dtype, index=index)
    except (TypeError, ValueError, OverflowError, ImportError):
        return pd.Series(values, dtype=object, index=index)
    except Exception:  # pyarrow's own errors (ArrowInvalid, ArrowTypeError)
        return pd.Series(values, dtype=object, index=index)


@st.composite
def ratings(draw: st.DrawFn) -> Any:
    values = draw(st.lists(ATOMS, min_size=0, max_size=25))
    kind = draw(st.sampled_from(["list", "array", "series"]))
    if kind == "list":
        return values
    if kind == "array":
        return np.array(values, dtype=object)
    index = draw(
        st.one_of(
            st.none(),
            st.lists(
                st.sampled_from(["a", "b", 1, 2.5]), min_size=len(values), max_size=len(values)
            ),
        )
    )
    return _series(values, draw(st.sampled_from(DTYPES)), index)


def _run(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``func``; return its result or None when it raised our own error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = func(*args, **kwargs)
        except CustLoyaltyError:
            out = None
        except Exception as exc:  # the property under test
            pytest.fail(f"{func.__name__} raised {type(exc).__name__}: {exc}")
    stray = [w for w in caught if not issubclass(w.category, CustLoyaltyWarning)]
    assert not stray, [str(w.message) for w in stray]
    return out


@settings(max_examples=150, deadline=None)
@given(ratings(), st.sampled_from(["raise", "omit"]), st.sampled_from(["wald", "adjusted_wald"]))
def test_nps_any_input(values: Any, nan_policy: str, interval: str) -> None:
    r = _run(nps, values, nan_policy=nan_policy, interval=interval)
    if r is None:
        return
    assert -100.0 <= r.statistic <= 100.0
    assert -100.0 <= r.ci[0] <= r.ci[1] <= 100.0
    assert math.isclose(r.promoters + r.passives + r.detractors, 1.0, abs_tol=1e-12)
    assert r.n >= 1


@st.composite
def item_tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 12))
    k = draw(st.integers(1, 3))
    columns: dict[Any, Any] = {}
    for j in range(k):
        values = draw(st.lists(ATOMS, min_size=n, max_size=n))
        columns[f"q{j}"] = _series(values, draw(st.sampled_from(DTYPES)))
    frame = pd.DataFrame(columns)
    layout = draw(st.sampled_from(["plain", "multiindex", "duplicate", "int-names"]))
    if layout == "multiindex" and k:
        frame.columns = pd.MultiIndex.from_tuples([("sat", c) for c in frame.columns])
    elif layout == "duplicate" and k > 1:
        frame.columns = ["q0"] * k
    elif layout == "int-names":
        frame.columns = list(range(k))
    return frame


@settings(max_examples=150, deadline=None)
@given(item_tables(), st.sampled_from(["raise", "omit"]))
def test_satisfaction_index_any_table(items: pd.DataFrame, nan_policy: str) -> None:
    r = _run(satisfaction_index, items, scale=(0, 10), nan_policy=nan_policy)
    if r is None:
        return
    assert 0.0 <= r.statistic <= 100.0
    answered = r.per_respondent.dropna()
    assert ((answered >= 0.0) & (answered <= 100.0)).all()
    assert r.item_weights.sum() == pytest.approx(1.0)


SEGMENTS = st.sampled_from(["north", "south", None, 1, 2.5, ("a", 1), ["x"], {"k": 1}])


@settings(max_examples=100, deadline=None)
@given(item_tables(), st.sampled_from(["raise", "omit"]), st.data())
def test_nps_by_any_table(items: pd.DataFrame, nan_policy: str, data: st.DataObject) -> None:
    def draw_segments(n: int) -> list[Any]:
        return data.draw(st.lists(SEGMENTS, min_size=n, max_size=n))

    frame = items.copy()
    if isinstance(frame.columns, pd.MultiIndex) or frame.columns.has_duplicates:
        rating: Any = frame.columns[0]
    else:
        frame["seg"] = draw_segments(len(frame))
        rating = frame.columns[0]
    by = "seg" if "seg" in frame.columns else None
    out = _run(nps_by, frame, by=by, rating=rating, nan_policy=nan_policy)
    if out is None or out.empty:
        return
    scores = out["score"].dropna()
    assert ((scores >= -100.0) & (scores <= 100.0)).all()

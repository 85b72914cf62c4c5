"""Hostile input to the scorecard: every exception is our own, every score within [0, 100].

The transactions come from the random-dtype strategy of the window tests (ids as ints,
nullable ints, pyarrow strings, categoricals, lists, booleans; dates naive, tz-aware, pyarrow,
ISO / day-first strings, yyyymmdd numbers, mixed time zones, junk; amounts as floats, nullable
and pyarrow floats, strings, booleans, infinities), the survey answers from a strategy of the
same kind. Whatever the frames, ``LoyaltyScorecard.fit_score`` answers or raises a
:class:`~custloyalty.errors.CustLoyaltyError`, warns only with our warnings, and leaves the
caller's frames as they were.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custloyalty.errors import CustLoyaltyError, CustLoyaltyWarning
from custloyalty.scorecard import LoyaltyScorecard
from test_window import odd_frames  # tests/ is on the path (conftest)

INDICATORS = [
    "purchase_days",
    "total_spend",
    "days_since_last_purchase",
    "satisfaction",
    "recommendation",
]


@st.composite
def tidy_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Valid transactions in the dtypes real exports use (no nulls): fits must succeed."""
    import pyarrow as pa

    n = draw(st.integers(4, 12))
    ids = draw(st.lists(st.integers(1, 5), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 500), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(0, 50_000), min_size=n, max_size=n))
    stamps = pd.Series(pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D"))
    id_kind = draw(st.sampled_from(["int", "Int64", "str", "pa_str", "cat"]))
    ids_col: Any = {
        "int": np.asarray(ids, dtype=np.int64),
        "Int64": pd.array(ids, dtype="Int64"),
        "str": [f"c{i:03d}" for i in ids],
        "pa_str": pd.array([f"c{i}" for i in ids], dtype="string[pyarrow]"),
        "cat": pd.Categorical([f"c{i}" for i in ids]),
    }[id_kind]
    date_kind = draw(st.sampled_from(["naive", "aware", "pa_naive", "pa_aware", "iso"]))
    dates: Any = {
        "naive": stamps,
        "aware": stamps.dt.tz_localize("Europe/Paris"),
        "pa_naive": pd.array(stamps, dtype=pd.ArrowDtype(pa.timestamp("us"))),
        "pa_aware": pd.array(
            stamps.dt.tz_localize("UTC"), dtype=pd.ArrowDtype(pa.timestamp("us", tz="UTC"))
        ),
        "iso": [s.date().isoformat() for s in stamps],
    }[date_kind]
    amount_kind = draw(st.sampled_from(["float", "Float64", "pa_double", "int", "str"]))
    amounts: Any = {
        "float": np.asarray(cents, dtype=np.float64) / 100,
        "Float64": pd.array([c / 100 for c in cents], dtype="Float64"),
        "pa_double": pd.array([c / 100 for c in cents], dtype="double[pyarrow]"),
        "int": cents,
        "str": [f"{c / 100:.2f}" for c in cents],
    }[amount_kind]
    return pd.DataFrame({"customer_id": ids_col, "date": dates, "amount": amounts})


@st.composite
def odd_surveys(draw: st.DrawFn) -> pd.DataFrame | None:
    if draw(st.booleans()):
        return None
    n = draw(st.integers(0, 6))
    ids = draw(
        st.lists(
            st.one_of(st.integers(0, 4), st.sampled_from(["c1", None])), min_size=n, max_size=n
        )
    )
    answer = st.one_of(
        st.integers(-1, 11),
        st.sampled_from([None, True, "7", "n/a", np.nan, np.inf]),
    )
    cols: dict[str, Any] = {"customer_id": pd.Series(ids, dtype=object)}
    for c in ("sat1", "sat2", "sat3", "recommend"):
        cols[c] = pd.Series(draw(st.lists(answer, min_size=n, max_size=n)), dtype=object)
    frame = pd.DataFrame(cols)
    if draw(st.booleans()) and n:
        frame = frame.infer_objects()
    return frame


@settings(max_examples=80, deadline=None)
@given(st.one_of(odd_frames(), tidy_frames()), odd_surveys(), st.sampled_from(["raise", "omit"]))
def test_fit_score_raises_only_our_errors(
    tx: pd.DataFrame, surveys: pd.DataFrame | None, nan_policy: str
) -> None:
    before_tx = tx.copy()
    before_sv = None if surveys is None else surveys.copy()
    card = LoyaltyScorecard(INDICATORS, seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = card.fit_score(tx, surveys, observation_end="2024-06-30", nan_policy=nan_policy)
        except CustLoyaltyError:
            res = None
        except Exception as exc:  # the property under test
            pytest.fail(f"fit_score raised {type(exc).__name__}: {exc}")
    stray = [w for w in caught if not issubclass(w.category, CustLoyaltyWarning)]
    assert not stray, [f"{w.category.__name__}: {w.message}" for w in stray]
    if res is not None:
        composite = res.customers["composite"].dropna()
        assert ((composite >= 0) & (composite <= 100)).all()
    pd.testing.assert_frame_equal(tx, before_tx)
    if surveys is not None:
        pd.testing.assert_frame_equal(surveys, before_sv)

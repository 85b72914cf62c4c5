"""Tests of value_tiers (ABC / Pareto, customer-share quantiles, thresholds)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty.errors import ValidationError
from custloyalty.segmentation import value_tiers

values_st = st.lists(st.integers(0, 1000), min_size=1, max_size=80).filter(lambda v: sum(v) > 0)


def test_cdnow_abc_a_tier_holds_80_percent(cdnow_master_summary: pd.DataFrame) -> None:
    revenue = cdnow_master_summary["total_amount"]
    tiers = value_tiers(revenue, method="abc", shares=(0.8, 0.15, 0.05))
    share = revenue.groupby(tiers, observed=False).sum() / revenue.sum()
    assert 0.78 <= share["A"] <= 0.82
    assert share["A"] >= 0.8  # the customer crossing 80 % stays in A
    # A is the smallest group: the Pareto concentration of CDNOW
    counts = tiers.value_counts()
    assert counts["A"] < counts["B"]
    assert list(tiers.cat.categories) == ["A", "B", "C"]
    assert tiers.cat.ordered


def test_by_hand() -> None:
    v = pd.Series([500.0, 300.0, 100.0, 60.0, 30.0, 10.0], index=list("uvwxyz"))
    assert value_tiers(v).tolist() == ["A", "A", "B", "B", "C", "C"]
    assert value_tiers(v, shares=(0.5, 0.5)).tolist() == ["A", "B", "B", "B", "B", "B"]
    q = value_tiers(v, method="quantile", shares=(0.5, 0.5), labels=["top", "rest"])
    assert q.tolist() == ["top", "top", "top", "rest", "rest", "rest"]
    t = value_tiers(v, method="thresholds", thresholds=(300, 30))
    assert t.tolist() == ["A", "A", "B", "B", "B", "C"]
    assert t.index.equals(v.index)
    assert t.name == "tier"


def test_ties_share_a_tier() -> None:
    v = np.array([10.0, 10.0, 10.0, 10.0, 1.0])
    assert value_tiers(v, method="quantile", shares=(0.5, 0.5)).tolist() == ["A"] * 4 + ["B"]


def test_nan_policy_and_errors() -> None:
    v = pd.Series([1.0, np.nan, 3.0], index=["a", "b", "c"])
    with pytest.raises(ValidationError, match="missing"):
        value_tiers(v)
    assert value_tiers(v, nan_policy="omit").index.tolist() == ["a", "c"]
    with pytest.raises(ValidationError, match="negative"):
        value_tiers([1.0, -2.0])
    with pytest.raises(ValidationError, match="sum to 0"):
        value_tiers([0.0, 0.0])
    with pytest.raises(ValidationError, match="sum to 1"):
        value_tiers([1.0, 2.0], shares=(0.5, 0.4))
    with pytest.raises(ValidationError, match="decreasing"):
        value_tiers([1.0, 2.0], method="thresholds", thresholds=(1, 5))
    with pytest.raises(ValidationError, match="thresholds"):
        value_tiers([1.0, 2.0], method="thresholds")
    with pytest.raises(ValidationError, match="labels"):
        value_tiers([1.0, 2.0], labels=["x", "y"])
    with pytest.raises(ValidationError, match="method"):
        value_tiers([1.0, 2.0], method="pareto")


@given(
    values_st, st.sampled_from(["abc", "quantile", "thresholds"]), st.randoms(use_true_random=False)
)
def test_properties(v: list[int], method: str, rnd) -> None:
    kw = {"thresholds": (500, 100)} if method == "thresholds" else {}
    x = pd.Series(np.asarray(v, dtype=float), index=[f"c{i}" for i in range(len(v))])
    t = value_tiers(x, method=method, **kw)
    codes = t.cat.codes.to_numpy()
    # monotone: a larger value never gets a worse tier (codes count from the best tier)
    order = np.argsort(-x.to_numpy(), kind="stable")
    assert np.all(np.diff(codes[order]) >= 0)
    # row order does not matter
    perm = list(range(len(v)))
    rnd.shuffle(perm)
    pd.testing.assert_series_equal(value_tiers(x.iloc[perm], method=method, **kw).loc[x.index], t)
    if method == "abc":
        a = x[t == "A"].sum() / x.sum()
        assert a >= 0.8 - 1e-12


@given(
    values_st,
    st.sampled_from(["abc", "quantile"]),
    st.sampled_from([(0.8, 0.15, 0.05), (0.5, 0.5), (0.2, 0.3, 0.5)]),
)
def test_matches_definition(v: list[int], method: str, shares: tuple[float, ...]) -> None:
    # naive reference in exact rational arithmetic: tier = #{t : c_t <= S_i}, S_i = weight
    # share of strictly larger values, c_t the cumulative *decimal* shares (0.8 + 0.15 = 19/20,
    # not the binary 0.9500000000000001 of np.cumsum)
    w = v if method == "abc" else [1] * len(v)
    total = sum(w)
    c = list(itertools.accumulate(Fraction(str(sh)) for sh in shares))[:-1]
    strictly_better = [sum(wj for xj, wj in zip(v, w, strict=True) if xj > xi) for xi in v]
    want = [sum(ct <= Fraction(b, total) for ct in c) for b in strictly_better]
    got = value_tiers(np.asarray(v, dtype=float), method=method, shares=shares).cat.codes.tolist()
    assert got == want


@pytest.mark.parametrize(
    ("n", "shares", "sizes"),
    [
        (20, (0.8, 0.15, 0.05), [16, 3, 1]),
        (100, (0.8, 0.15, 0.05), [80, 15, 5]),
        (10, (0.1, 0.2, 0.7), [1, 2, 7]),
    ],
)
def test_quantile_customer_on_a_boundary_starts_the_worse_tier(
    n: int, shares: tuple[float, ...], sizes: list[int]
) -> None:
    # regression: np.cumsum(shares) gives 0.9500000000000001 and 0.30000000000000004, which
    # put the customer exactly on the boundary (19 of 20 strictly better = 0.95) in the better
    # tier (16/4/0 instead of 16/3/1)
    t = value_tiers(np.arange(float(n), 0.0, -1.0), method="quantile", shares=shares)
    assert t.value_counts().sort_index().tolist() == sizes


def test_abc_customer_on_a_boundary_starts_the_worse_tier() -> None:
    # 80 + 15 = 95 of 100 are exactly the cumulative 0.95: the third customer starts C
    t = value_tiers([80.0, 15.0, 5.0], shares=(0.8, 0.15, 0.05))
    assert t.tolist() == ["A", "B", "C"]
    t = value_tiers([10.0, 20.0, 70.0], shares=(0.7, 0.2, 0.1))
    assert t.tolist() == ["C", "B", "A"]


@given(
    st.lists(st.integers(0, 20).map(float), min_size=1, max_size=200),
    st.lists(st.integers(1, 5), min_size=2, max_size=5),
)
def test_quantile_tiers_learned_and_applied_equal_value_tiers(
    values: list[float], weights: list[int]
) -> None:
    from custloyalty.segmentation import QuantileTiers

    shares = [w / sum(weights) for w in weights]
    v = np.asarray(values)
    cuts = QuantileTiers(shares).fit(v)
    want = value_tiers(v, method="quantile", shares=shares)
    assert cuts.assign(v).tolist() == want.tolist()
    # each value is placed alone, whatever the batch
    assert [cuts.assign(v[i : i + 1]).iloc[0] for i in range(min(5, v.size))] == want.tolist()[:5]
    again = QuantileTiers.from_json(cuts.to_json())
    assert again.thresholds_ == cuts.thresholds_


def test_quantile_tiers_saved_state_is_checked() -> None:
    import json

    from custloyalty.segmentation import QuantileTiers

    state = json.loads(QuantileTiers([0.5, 0.5]).fit([1.0, 2.0, 3.0]).to_json())
    state["thresholds"] = [1.0, 2.0]
    with pytest.raises(ValidationError, match="thresholds must hold exactly 1"):
        QuantileTiers.from_dict(state)
    state["thresholds"] = ["x"]
    with pytest.raises(ValidationError, match=r"thresholds\[0\]"):
        QuantileTiers.from_dict(state)


_EDGES = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, np.inf, -np.inf])


@given(
    bounds=st.lists(st.one_of(st.floats(allow_nan=False, width=64), _EDGES), max_size=12),
    values=st.lists(st.one_of(st.floats(width=64), _EDGES), min_size=1, max_size=40),
)
def test_tier_codes_count_the_bounds_reached(bounds: list[float], values: list[float]) -> None:
    from custloyalty.segmentation._value import _codes_from_lower_bounds

    lower = np.sort(np.asarray(bounds, dtype=np.float64))[::-1].copy()
    v = np.concatenate([np.asarray(values, dtype=np.float64), lower])
    expected = lower.shape[0] - np.searchsorted(lower[::-1], v, side="right")
    expected[np.isnan(v)] = -1
    assert _codes_from_lower_bounds(v, lower).tolist() == expected.tolist()


def test_abc_tiers_of_values_whose_total_overflows() -> None:
    # the shares do not depend on the scale: 1e308-sized values tier as 1-sized ones do
    big = pd.Series([1e308, 1e308, 5e307, 1.0])
    assert value_tiers(big).tolist() == value_tiers(big / 1e308).tolist() == ["A", "A", "B", "C"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"values": pd.Series([True, False])}, "values must be numeric; got booleans"),
        ({"values": [3.0, True]}, r"values has 1 boolean value \(rows 1\)"),
        ({"shares": [True, 0.0]}, "'shares' parameter of value_tiers must hold numbers"),
        (
            {"method": "thresholds", "thresholds": [True]},
            "'thresholds' parameter of value_tiers must hold numbers",
        ),
    ],
)
def test_booleans_are_not_values_or_options(kwargs: dict[str, object], match: str) -> None:
    values = kwargs.pop("values", pd.Series([5.0, 3.0, 1.0]))
    with pytest.raises(ValidationError, match=match):
        value_tiers(values, **kwargs)  # type: ignore[arg-type]


# -- round 3 of the hostile battery (issue 13) --------------------------------------------
@pytest.mark.parametrize(
    ("values", "what"),
    [
        (pd.Series(pd.date_range("2024-01-01", periods=3, tz="Europe/Paris")), "dates"),
        (pd.Series(pd.date_range("2024-01-01", periods=3)), "dates"),
        (pd.Series(pd.to_timedelta([1, 2, 3], unit="D")), "durations"),
        (np.array([1 + 2j, 3 + 0j]), "complex numbers"),
    ],
)
def test_dates_durations_and_complex_numbers_are_not_values(values: object, what: str) -> None:
    with pytest.raises(ValidationError, match=f"must hold numbers; got {what}"):
        value_tiers(values)


def test_shares_are_refused_with_thresholds_as_thresholds_are_with_shares() -> None:
    v = pd.Series([500.0, 50.0, 5.0])
    with pytest.raises(ValidationError, match="shares= is only used by"):
        value_tiers(v, method="thresholds", thresholds=[100, 10], shares=[0.5, 0.5])


def test_quantile_tiers_check_what_they_fit_and_assign() -> None:
    from custloyalty.segmentation import QuantileTiers

    q = QuantileTiers([0.5, 0.5])
    for bad, match in (
        (["a", "b"], "non-numeric"),
        ([True, False], "boolean"),
        (np.ones((2, 2)), "one-dimensional"),
        ([1.0, np.inf], "infinite"),
    ):
        with pytest.raises(ValidationError, match=match):
            q.fit(bad)
    q.fit([1.0, 2.0, np.nan, 3.0, 4.0])  # NaN ignored, as documented
    assert q.thresholds_ == QuantileTiers([0.5, 0.5]).fit([1.0, 2.0, 3.0, 4.0]).thresholds_
    with pytest.raises(ValidationError, match="has 1 labels for 2 values"):
        q.assign([1.0, 2.0], index=["a"])
    assert q.assign([np.nan, 10.0]).tolist()[1] == "A"


@pytest.mark.parametrize("bad", [[10, 100], [float("nan")], [True], "100", [[10, 1]]])
def test_from_thresholds_refuses_what_value_tiers_refuses(bad: object) -> None:
    from custloyalty.segmentation import QuantileTiers

    with pytest.raises(ValidationError, match="'thresholds' parameter of QuantileTiers"):
        QuantileTiers.from_thresholds(bad)  # type: ignore[arg-type]


def test_quantile_tiers_saved_state_round_trips_unfitted_and_refuses_unknown_keys() -> None:
    import json

    from custloyalty.segmentation import QuantileTiers

    again = QuantileTiers.from_json(QuantileTiers([0.3, 0.7], labels=["a", "b"]).to_json())
    assert again.labels == ["a", "b"]
    assert not hasattr(again, "thresholds_")
    state = json.loads(QuantileTiers([0.5, 0.5]).fit([1.0, 2.0]).to_json())
    with pytest.raises(ValidationError, match=r"(?s)unknown key 'lables'.*Hint: did you mean"):
        QuantileTiers.from_dict({**state, "lables": ["x"]})

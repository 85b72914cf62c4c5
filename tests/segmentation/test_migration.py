"""Tests of tier_migration."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty.errors import ValidationError
from custloyalty.segmentation import tier_migration, value_tiers

tiers_st = st.dictionaries(st.integers(0, 60), st.sampled_from(["A", "B", "C"]), max_size=40)


def test_by_hand() -> None:
    before = pd.Series(["A", "B", "B", "C", "C"], index=[1, 2, 3, 4, 5])
    after = pd.Series(["B", "A", "B", "A", "C"], index=[1, 2, 3, 4, 9])
    m = tier_migration(before, after, order=["A", "B", "C"])
    assert m.counts.loc["A", "B"] == 1
    assert m.counts.loc["C", "(churned)"] == 1
    assert m.counts.loc["(new)", "C"] == 1
    assert (m.n_unchanged, m.n_upgrades, m.n_downgrades, m.n_churned, m.n_new) == (1, 2, 1, 1, 1)
    assert (m.n_before, m.n_after) == (5, 5)
    np.testing.assert_allclose(m.shares.loc["B"].sum(), 1.0)
    assert json.loads(json.dumps(m.to_dict()))["n_upgrades"] == 2
    assert "TierMigrationResult(" in repr(m)


def test_order_from_categorical_best_first() -> None:
    before = value_tiers(pd.Series([100.0, 50.0, 10.0, 1.0]), method="quantile", shares=(0.5, 0.5))
    after = value_tiers(pd.Series([1.0, 50.0, 10.0, 100.0]), method="quantile", shares=(0.5, 0.5))
    m = tier_migration(before, after)
    assert list(m.counts.index) == ["A", "B", "(new)"]
    assert (m.n_upgrades, m.n_downgrades) == (1, 1)


def test_errors() -> None:
    with pytest.raises(ValidationError, match="not among the tiers"):
        tier_migration(pd.Series(["A", "X"]), pd.Series(["A", "B"]), order=["A", "B"])
    with pytest.raises(ValidationError, match="duplicated"):
        tier_migration(pd.Series(["A", "B"], index=[1, 1]), pd.Series(["A"]))


@given(tiers_st, tiers_st)
def test_rows_sum_to_before_sizes_and_columns_to_after(b: dict, a: dict) -> None:
    before, after = pd.Series(b, dtype=object), pd.Series(a, dtype=object)
    m = tier_migration(before, after, order=["A", "B", "C"])
    sizes = before.value_counts().reindex(["A", "B", "C"], fill_value=0)
    np.testing.assert_array_equal(m.counts.loc[["A", "B", "C"]].sum(axis=1), sizes)
    after_sizes = after.value_counts().reindex(["A", "B", "C"], fill_value=0)
    np.testing.assert_array_equal(m.counts[["A", "B", "C"]].sum(axis=0), after_sizes)
    total = m.n_unchanged + m.n_upgrades + m.n_downgrades + m.n_churned
    assert total == len(before)
    assert m.n_new == len(set(a) - set(b))


# -- round 3 of the hostile battery (issue 13) --------------------------------------------
def test_numeric_tiers_are_ranked_numerically() -> None:
    r = tier_migration(pd.Series([2, 3, 10]), pd.Series([10, 10, 2]))
    assert list(r.counts.index[:3]) == [2, 3, 10]
    assert (r.n_upgrades, r.n_downgrades) == (1, 2)


def test_ids_of_different_types_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"share no customer id.*\nHint"):
        tier_migration(pd.Series(["A"], index=[1]), pd.Series(["A"], index=["1"]))


@pytest.mark.parametrize("bad", [None, "A", 3])
def test_labels_must_be_per_customer(bad: object) -> None:
    with pytest.raises(ValidationError, match="must be the tier labels"):
        tier_migration(bad, pd.Series(["A"]))


def test_order_must_list_hashable_tiers() -> None:
    with pytest.raises(ValidationError, match="must list the tiers"):
        tier_migration(pd.Series(["A"]), pd.Series(["A"]), order="AB")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="not a scalar"):
        tier_migration(pd.Series(["A"]), pd.Series(["A"]), order=[["A"]])


def test_assign_results_and_dicts_are_read_as_labels() -> None:
    from custloyalty.segmentation import TierPolicy

    policy = TierPolicy([{"name": "G", "qualify": {"spend": 10}}, {"name": "M"}])
    a = policy.assign(pd.DataFrame({"spend": [20.0, 1.0]}, index=[1, 2]))
    b = policy.assign(pd.DataFrame({"spend": [1.0, 20.0]}, index=[1, 2]))
    r = tier_migration(a, b)
    assert (r.n_upgrades, r.n_downgrades) == (1, 1)
    d = tier_migration({1: "G", 2: "M"}, {1: "M", 2: "M"}, order=["G", "M"])
    assert (d.n_downgrades, d.n_unchanged) == (1, 1)

"""Tests of Cronbach's alpha, composite reliability, AVE and item-total correlations."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from custloyalty.datasets import load_ecsi
from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.metrics import (
    average_variance_extracted,
    composite_reliability,
    cronbach_alpha,
    item_total_correlations,
)

SAT = ["sat1", "sat2", "sat3", "sat4"]


@pytest.fixture(scope="module")
def sat_items() -> pd.DataFrame:
    return load_ecsi("satisfaction")[SAT]


def test_alpha_equals_covariance_form(sat_items: pd.DataFrame) -> None:
    # alpha = k * mean covariance / (mean variance + (k - 1) * mean covariance)
    c = sat_items.cov().to_numpy()
    k = c.shape[0]
    mean_var = np.trace(c) / k
    mean_cov = (c.sum() - np.trace(c)) / (k * (k - 1))
    expected = k * mean_cov / (mean_var + (k - 1) * mean_cov)
    r = cronbach_alpha(sat_items)
    assert r.alpha == pytest.approx(expected)
    assert (r.n, r.k) == (250, 4)
    json.dumps(r.to_dict())


def test_feldt_interval(sat_items: pd.DataFrame) -> None:
    r = cronbach_alpha(sat_items, confidence=0.9)
    n, k = 250, 4
    f_hi = stats.f.ppf(0.95, n - 1, (n - 1) * (k - 1))
    f_lo = stats.f.ppf(0.05, n - 1, (n - 1) * (k - 1))
    assert r.ci == pytest.approx((1 - (1 - r.alpha) * f_hi, 1 - (1 - r.alpha) * f_lo))
    assert r.ci[0] < r.alpha < r.ci[1]
    wide = cronbach_alpha(sat_items, confidence=0.99)
    assert wide.ci[0] < r.ci[0]
    assert wide.ci[1] > r.ci[1]


def test_alpha_of_identical_items_is_one() -> None:
    x = np.array([1, 4, 2, 5, 3], dtype=float)
    r = cronbach_alpha(pd.DataFrame({"a": x, "b": x, "c": x}))
    assert r.alpha == pytest.approx(1.0)


def test_alpha_standardised_items_matches_spearman_brown() -> None:
    # for standardised items alpha = k r / (1 + (k - 1) r) with r the mean inter-item correlation
    rng = np.random.default_rng(0)
    f = rng.normal(size=2000)
    x = pd.DataFrame({f"i{j}": f + rng.normal(size=2000) for j in range(5)})
    z = (x - x.mean()) / x.std()
    corr = x.corr().to_numpy()
    rbar = (corr.sum() - 5) / 20
    assert cronbach_alpha(z).alpha == pytest.approx(5 * rbar / (1 + 4 * rbar))


@given(
    hnp.arrays(
        np.int64, st.tuples(st.integers(3, 30), st.integers(2, 6)), elements=st.integers(1, 7)
    ),
    st.randoms(use_true_random=False),
)
def test_alpha_row_order_invariant(x: np.ndarray, rnd: object) -> None:
    df = pd.DataFrame(x)
    if df.sum(axis=1).var() == 0:
        return
    order = list(range(len(df)))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    a, b = cronbach_alpha(df), cronbach_alpha(df.iloc[order])
    assert a.alpha == pytest.approx(b.alpha, abs=1e-9)
    assert a.alpha <= 1.0 + 1e-12


def test_alpha_validation_and_undefined() -> None:
    with pytest.raises(ValidationError, match="two items"):
        cronbach_alpha(pd.DataFrame({"a": [1, 2, 3]}))
    with pytest.raises(ValidationError, match="missing"):
        cronbach_alpha(pd.DataFrame({"a": [1, np.nan, 3], "b": [1, 2, 3]}))
    r = cronbach_alpha(pd.DataFrame({"a": [1, np.nan, 3, 2], "b": [1, 2, 3, 3]}), nan_policy="omit")
    assert r.n == 3
    with pytest.warns(UndefinedMetricWarning):
        flat = cronbach_alpha(pd.DataFrame({"a": [2, 2, 2], "b": [3, 3, 3]}))
    assert np.isnan(flat.alpha)


def test_composite_reliability_and_ave() -> None:
    lam = np.array([0.8, 0.85, 0.9])
    s = lam.sum() ** 2
    assert composite_reliability(lam) == pytest.approx(s / (s + (1 - lam**2).sum()))
    assert average_variance_extracted(lam) == pytest.approx(np.mean(lam**2))
    assert composite_reliability([1.0, 1.0]) == pytest.approx(1.0)
    with pytest.raises(ValidationError, match="outside"):
        composite_reliability([0.5, 1.2])
    with pytest.raises(ValidationError, match="missing"):
        average_variance_extracted([0.5, np.nan])


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=10))
def test_reliability_bounds(lam: list[float]) -> None:
    if sum(lam) == 0:
        return
    assert 0.0 <= composite_reliability(lam) <= 1.0 + 1e-12
    assert 0.0 <= average_variance_extracted(lam) <= 1.0


def test_item_total_corrected_and_uncorrected(sat_items: pd.DataFrame) -> None:
    r = item_total_correlations(sat_items)
    rest = sat_items.drop(columns="sat1").sum(axis=1)
    assert r["sat1"] == pytest.approx(np.corrcoef(sat_items["sat1"], rest)[0, 1])
    full = item_total_correlations(sat_items, corrected=False)
    total = sat_items.sum(axis=1)
    assert full["sat3"] == pytest.approx(np.corrcoef(sat_items["sat3"], total)[0, 1])
    assert (full > r).all()
    assert r.name == "item_total_correlation"


def test_item_total_constant_item_warns() -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "b": [2, 2, 2], "c": [1, 3, 2]})
    with pytest.warns(UndefinedMetricWarning):
        r = item_total_correlations(df)
    assert np.isnan(r["b"])
    assert np.isfinite(r["a"])


def test_loadings_refuse_booleans() -> None:
    with pytest.raises(ValidationError, match="'loadings' of composite_reliability"):
        composite_reliability([True, 0.8])
    with pytest.raises(ValidationError, match="average_variance_extracted"):
        average_variance_extracted(np.array([True, False]))


def test_corrected_must_be_a_bool() -> None:
    items = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 4, 4], "c": [1, 3, 3, 4]})
    with pytest.raises(ValidationError, match="'corrected' parameter"):
        item_total_correlations(items, corrected="no")  # type: ignore[arg-type]

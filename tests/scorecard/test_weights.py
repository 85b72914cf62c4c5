"""Weighting functions against their formulas, on generated matrices."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from custloyalty.errors import ValidationError
from custloyalty.scorecard import (
    RANDOM_INDEX,
    ahp_hierarchy,
    ahp_weights,
    critic_weights,
    entropy_weights,
    fixed_weights,
)

matrices = st.integers(3, 40).flatmap(
    lambda n: st.integers(1, 6).flatmap(
        lambda k: arrays(np.float64, (n, k), elements=st.floats(0.0, 1.0, allow_subnormal=False))
    )
)


def entropy_by_formula(x: np.ndarray) -> np.ndarray:
    n, k = x.shape
    e = np.empty(k)
    for j in range(k):
        p = x[:, j] / x[:, j].sum()
        e[j] = -sum(pi * np.log(pi) for pi in p if pi > 0) / np.log(n)
    d = 1 - e
    if d.sum() <= 1e-12:  # no indicator carries information: equal weights by convention
        return np.full(k, 1.0 / k)
    return d / d.sum()


def critic_by_formula(z: np.ndarray) -> np.ndarray:
    k = z.shape[1]
    sd = z.std(axis=0, ddof=1)
    c = np.empty(k)
    for j in range(k):
        c[j] = sd[j] * sum(1 - np.corrcoef(z[:, j], z[:, m])[0, 1] for m in range(k))
    return c / c.sum()


@given(matrices)
def test_entropy_weights_equal_formula(x: np.ndarray) -> None:
    if (x.sum(axis=0) == 0).any():
        with pytest.raises(ValidationError, match="sum to 0"):
            entropy_weights(x)
        return
    w = entropy_weights(x).to_numpy()
    ref = entropy_by_formula(x)
    if np.isfinite(ref).all():
        np.testing.assert_allclose(w, ref, atol=1e-9)
    assert w.sum() == pytest.approx(1.0)
    assert (w >= 0).all()


def test_entropy_weights_known_values() -> None:
    x = np.array([[1.0, 0.5], [0.0, 0.5], [0.5, 0.4]])
    p0 = np.array([1 / 1.5, 0, 0.5 / 1.5])
    e0 = -(p0[p0 > 0] * np.log(p0[p0 > 0])).sum() / np.log(3)
    p1 = np.array([0.5, 0.5, 0.4]) / 1.4
    e1 = -(p1 * np.log(p1)).sum() / np.log(3)
    d = np.array([1 - e0, 1 - e1])
    np.testing.assert_allclose(entropy_weights(x).to_numpy(), d / d.sum())


def test_entropy_constant_columns_get_equal_weights_and_names_kept() -> None:
    df = pd.DataFrame({"a": [1.0, 1.0, 1.0], "b": [2.0, 2.0, 2.0]})
    w = entropy_weights(df)
    assert list(w.index) == ["a", "b"]
    np.testing.assert_allclose(w.to_numpy(), [0.5, 0.5])


def test_entropy_rejects_negative_and_nan() -> None:
    with pytest.raises(ValidationError, match=r"column 'b'.*1 negative"):
        entropy_weights(pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, -1.0]}))
    with pytest.raises(ValidationError, match="missing or infinite"):
        entropy_weights(np.array([[1.0, np.nan], [1.0, 2.0]]))


@given(matrices)
def test_critic_weights_equal_formula(z: np.ndarray) -> None:
    w = critic_weights(z).to_numpy()
    assert w.sum() == pytest.approx(1.0)
    assert (w >= -1e-12).all()
    if (z.std(axis=0, ddof=1) > 1e-6).all() and z.shape[1] > 1:
        np.testing.assert_allclose(w, critic_by_formula(z), atol=1e-8)


def test_critic_favours_conflicting_indicator() -> None:
    rng = np.random.default_rng(0)
    a = rng.random(200)
    z = np.column_stack([a, a * 0.9 + 0.05, rng.random(200)])
    w = critic_weights(z).to_numpy()
    assert w[2] > w[0]
    assert w[2] > w[1]


def test_ahp_consistent_matrix_recovers_weights() -> None:
    true = np.array([0.5, 0.3, 0.2])
    a = true[:, None] / true[None, :]
    res = ahp_weights(a, labels=["x", "y", "z"])
    np.testing.assert_allclose(res.weights.to_numpy(), true, atol=1e-12)
    assert res.lambda_max == pytest.approx(3.0)
    assert res.consistency_ratio == pytest.approx(0.0, abs=1e-9)


def test_ahp_saaty_example_ratio() -> None:
    a = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    res = ahp_weights(a)
    lam = np.max(np.linalg.eigvals(a).real)
    assert res.lambda_max == pytest.approx(lam)
    ci = (lam - 3) / 2
    assert res.consistency_index == pytest.approx(ci)
    assert res.consistency_ratio == pytest.approx(ci / RANDOM_INDEX[3])


def test_ahp_inconsistent_matrix_is_refused_with_ratio() -> None:
    a = np.array([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    lam = np.max(np.linalg.eigvals(a).real)
    cr = (lam - 3) / 2 / 0.58
    with pytest.raises(ValidationError, match=rf"consistency ratio {cr:.3f} > 0.1"):
        ahp_weights(a)
    res = ahp_weights(a, allow_inconsistent=True)
    assert res.consistency_ratio == pytest.approx(cr)


@pytest.mark.parametrize(
    ("matrix", "match"),
    [
        ([[1, 2], [2, 1]], "not reciprocal"),
        ([[1, 2, 3], [0.5, 1, 2]], "square"),
        ([[1, -2], [-0.5, 1]], "positive"),
    ],
)
def test_ahp_rejects_bad_matrices(matrix: list[list[float]], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        ahp_weights(matrix)


def test_ahp_hierarchy_multiplies_levels() -> None:
    crit = pd.DataFrame([[1, 3], [1 / 3, 1]], index=["beh", "att"], columns=["beh", "att"])
    beh = pd.DataFrame(
        [[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]], index=["f", "m", "r"], columns=["f", "m", "r"]
    )
    att = pd.DataFrame([[1, 1], [1, 1]], index=["sat", "nps"], columns=["sat", "nps"])
    w = ahp_hierarchy(crit, {"beh": beh, "att": att})
    assert w.sum() == pytest.approx(1.0)
    assert w["f"] == pytest.approx(0.75 * 4 / 7)
    assert w["sat"] == pytest.approx(0.25 * 0.5)
    with pytest.raises(ValidationError, match="no sub-indicators"):
        ahp_hierarchy(crit, {"beh": beh})


def test_fixed_weights() -> None:
    w = fixed_weights({"a": 1, "b": 3})
    assert w.to_dict() == {"a": 0.25, "b": 0.75}
    with pytest.raises(ValidationError, match="non-negative"):
        fixed_weights({"a": -1, "b": 3})
    with pytest.raises(ValidationError, match="zero"):
        fixed_weights({"a": 0})


SAATY = [1 / 9, 1 / 8, 1 / 7, 1 / 6, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 1, 2, 3, 4, 5, 6, 7, 8, 9]


@st.composite
def reciprocal_matrices(draw: st.DrawFn) -> np.ndarray:
    """Random reciprocal matrices on Saaty's scale, of every order with a random index."""
    n = draw(st.integers(2, max(RANDOM_INDEX)))
    upper = draw(
        st.lists(st.sampled_from(SAATY), min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2)
    )
    a = np.ones((n, n))
    a[np.triu_indices(n, 1)] = upper
    a[np.tril_indices(n, -1)] = 1.0 / a.T[np.tril_indices(n, -1)]
    return a


def power_iteration(a: np.ndarray) -> tuple[np.ndarray, float]:
    """Principal eigenvector (sum 1) and eigenvalue of a positive matrix, by power iteration."""
    w = np.full(a.shape[0], 1.0 / a.shape[0])
    for _ in range(20_000):
        nxt = a @ w
        nxt /= nxt.sum()
        if np.abs(nxt - w).max() < 1e-15:
            break
        w = nxt
    return nxt, float(np.mean(a @ nxt / nxt))


@given(reciprocal_matrices())
def test_ahp_weights_and_ratio_equal_power_iteration(a: np.ndarray) -> None:
    n = a.shape[0]
    w, lam = power_iteration(a)
    res = ahp_weights(a, allow_inconsistent=True)
    np.testing.assert_allclose(res.weights.to_numpy(), w, rtol=1e-7, atol=1e-10)
    assert res.lambda_max == pytest.approx(lam, rel=1e-9)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    cr = max(ci, 0.0) / RANDOM_INDEX[n] if RANDOM_INDEX[n] > 0 else 0.0
    assert res.consistency_ratio == pytest.approx(cr, rel=1e-7, abs=1e-9)
    if cr > 0.1:
        with pytest.raises(
            ValidationError, match=rf"consistency ratio {res.consistency_ratio:.3f}"
        ):
            ahp_weights(a)


def test_ahp_dataframe_columns_are_matched_to_the_index() -> None:
    names = ["churn", "monetary", "frequency"]
    a = np.array([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    ordered = ahp_weights(pd.DataFrame(a, index=names, columns=names)).weights
    shuffled = pd.DataFrame(a, index=names, columns=names)[["frequency", "churn", "monetary"]]
    pd.testing.assert_series_equal(ahp_weights(shuffled).weights, ordered)
    # unlabelled columns (or index) are read by position
    pd.testing.assert_series_equal(ahp_weights(pd.DataFrame(a, index=names)).weights, ordered)
    pd.testing.assert_series_equal(ahp_weights(pd.DataFrame(a, columns=names)).weights, ordered)
    other = pd.DataFrame(a, index=names, columns=["churn", "monetary", "recency"])
    with pytest.raises(ValidationError, match=r"columns \['churn', 'monetary', 'recency'\] do not"):
        ahp_weights(other)
    dup = pd.DataFrame(a, index=["churn", "churn", "frequency"], columns=names)
    with pytest.raises(ValidationError, match=r"pairwise matrix.* must hold each criterion once"):
        ahp_weights(dup)

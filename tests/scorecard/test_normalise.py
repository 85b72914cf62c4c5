"""Normalisation onto [0, 1] with direction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty.errors import ValidationError
from custloyalty.scorecard import min_max, percentile_rank, z_score
from custloyalty.scorecard._normalise import NORMALISERS, Normaliser, PercentileNormaliser

columns = st.lists(st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=False), min_size=2)


@given(columns, st.sampled_from([min_max, z_score, percentile_rank]))
def test_bounds_order_and_direction(xs: list[float], fn: object) -> None:
    x = np.array(xs)
    up = fn(x).to_numpy()  # type: ignore[operator]
    down = fn(x, direction="lower").to_numpy()  # type: ignore[operator]
    assert ((up >= 0) & (up <= 1)).all()
    np.testing.assert_allclose(up + down, 1.0, atol=1e-12)
    order = np.argsort(x, kind="stable")
    assert (np.diff(up[order]) >= -1e-12).all()  # monotone non-decreasing in x


def test_min_max_values_and_bounds() -> None:
    s = pd.Series([2.0, 4.0, 6.0], index=["a", "b", "c"], name="spend")
    out = min_max(s)
    assert out.index.tolist() == ["a", "b", "c"]
    assert out.name == "spend"
    assert out.tolist() == [0.0, 0.5, 1.0]
    assert min_max([0.0, 10.0, 20.0], bounds=(5, 15)).tolist() == [0.0, 0.5, 1.0]
    assert min_max([3.0, 3.0]).tolist() == [0.5, 0.5]


def test_z_score_is_normal_cdf() -> None:
    from scipy import stats

    x = np.array([1.0, 2.0, 4.0, 7.0])
    z = (x - x.mean()) / x.std(ddof=1)
    np.testing.assert_allclose(z_score(x).to_numpy(), stats.norm.cdf(z))


def test_percentile_rank_ties_get_mid_rank() -> None:
    out = percentile_rank([0.0, 0.0, 0.0, 0.0, 1.0]).to_numpy()
    assert out[0] == pytest.approx(out[1])
    assert 0.0 < out[0] < 1.0
    assert out[-1] == 1.0


def test_fitted_normaliser_applies_to_new_values_and_keeps_nan() -> None:
    norm = NORMALISERS["minmax"]("lower").fit(np.array([0.0, 10.0]))
    norm = Normaliser.from_dict(norm.to_dict())
    out = norm.apply(np.array([5.0, np.nan, 20.0]))
    assert out[0] == 0.5
    assert np.isnan(out[1])
    assert out[2] == 0.0


def test_bad_inputs() -> None:
    with pytest.raises(ValidationError, match="direction"):
        min_max([1.0, 2.0], direction="up")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="one-dimensional"):
        min_max(np.ones((2, 2)))
    with pytest.raises(ValidationError, match="finite"):
        percentile_rank([np.nan, np.nan])


@given(
    st.lists(st.integers(0, 5), min_size=3, max_size=200),
    st.sampled_from(list(NORMALISERS)),
)
def test_normaliser_is_continuous_at_tied_knots(xs: list[int], method: str) -> None:
    # heavy ties (purchase counts): a value one ulp off a tied knot maps one step away at most
    norm = NORMALISERS[method]("higher").fit(np.asarray(xs, dtype=np.float64))
    v = np.unique(np.asarray(xs, dtype=np.float64))
    near = np.concatenate([np.nextafter(v, -np.inf), np.nextafter(v, np.inf)])
    at = np.concatenate([v, v])
    np.testing.assert_allclose(norm.apply(near), norm.apply(at), atol=1e-9)
    # a fixed function of each value: any batch gives the same value per customer
    np.testing.assert_array_equal(norm.apply(v[:1]), norm.apply(v)[:1])


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ({"method": "percentile", "direction": "up", "knots": [0.0], "ranks": [0.5]}, "direction"),
        (
            {"method": "percentile", "direction": "higher", "knots": [2.0, 1.0], "ranks": [0, 1]},
            "knots",
        ),
        (
            {"method": "percentile", "direction": "higher", "knots": [1.0, 2.0], "ranks": [0.0]},
            "ranks",
        ),
        ({"method": "zscore", "direction": "higher", "mean": 0.0, "std": -1.0}, "std"),
        ({"method": "magic", "direction": "higher"}, "method"),
        ({"method": "minmax", "direction": "higher", "low": float("nan"), "high": 1.0}, "low"),
    ],
)
def test_saved_normaliser_is_validated(entry: dict[str, object], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        Normaliser.from_dict(entry)


def test_percentile_knots_merge_ties_at_mid_rank() -> None:
    norm = PercentileNormaliser().fit(np.array([1.0, 1.0, 1.0, 2.0]))
    assert norm.knots[0] == 1.0
    assert (np.diff(norm.knots) > 0).all()
    assert norm.apply(np.array([1.0]))[0] == pytest.approx(1 / 3, abs=1e-3)


# -- speed paths that must give the very same numbers ------------------------------------------
_SAMPLES = st.lists(
    st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, width=64),
        st.sampled_from([0.0, -0.0, 1.0, 2.0]),
    ),
    min_size=1,
    max_size=60,
)


@given(values=_SAMPLES, repeat=st.integers(1, 200))
def test_sorted_quantiles_equal_np_quantile(values: list[float], repeat: int) -> None:
    from custloyalty.scorecard._normalise import _sorted_quantiles

    s = np.sort(np.tile(np.asarray(values, dtype=np.float64), repeat))
    grid = np.linspace(0.0, 1.0, 1001)
    assert _sorted_quantiles(s, grid).tobytes() == np.quantile(s, grid).tobytes()


@pytest.mark.parametrize("direction", ["higher", "lower"])
@pytest.mark.parametrize("kind", ["continuous", "integer", "missing", "few", "few_knots"])
def test_percentile_map_equals_interp(direction: str, kind: str) -> None:
    # large columns are mapped in sorted order: the very numbers of np.interp value by value
    rng = np.random.default_rng(3)
    n = 20_000 if kind != "few" else 300
    values = {
        "continuous": rng.gamma(0.5, 100.0, n),
        "integer": rng.poisson(40.0, n).astype(np.float64),
        "missing": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "few": rng.normal(size=n),
        "few_knots": rng.poisson(2.0, n).astype(np.float64),
    }[kind]
    norm = PercentileNormaliser(direction).fit(values[: n // 2])
    mapped = np.where(np.isnan(values), np.nan, np.interp(values, norm.knots, norm.ranks))
    expected = mapped if direction == "higher" else 1.0 - mapped
    assert norm.apply(values).tobytes() == expected.tobytes()


def test_zscore_of_equal_values_is_constant_despite_rounding() -> None:
    # the mean of these equal values differs from them in the last bit: no spread to divide by
    v = np.full(120, 400 / 9)
    assert v.std(ddof=1) > 0  # summation noise, 7e-15
    norm = NORMALISERS["zscore"]("higher").fit(v, name="x")
    assert norm.std == 0.0
    np.testing.assert_array_equal(norm.apply(v), 0.5)

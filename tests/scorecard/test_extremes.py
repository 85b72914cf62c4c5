"""Normalisers and weights are scale-free up to the float limits (round 4 of issue 13).

Before, magnitudes near 1e308 overflowed the spans and sums (min-max NaN, z-scores all 0.5,
CRITIC and fixed weights 0 or equal) and magnitudes near 1e-300 underflowed the variance
(z-scores all 0.5), each with a numpy RuntimeWarning, which the suite turns into an error.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from custloyalty.scorecard import (
    critic_weights,
    entropy_weights,
    fixed_weights,
    min_max,
    percentile_rank,
    z_score,
)

# values on a grid in [1, 2] scaled by 10^k: every scale keeps them finite and distinct (values
# a few ulps apart would become ties once the differences between them fall below 1e-308)
_column = arrays(
    np.float64,
    st.integers(3, 30),
    elements=st.integers(0, 1000).map(lambda i: 1.0 + i / 1000),
    unique=True,
)
_exponent = st.sampled_from([-300, -150, -5, 0, 5, 150, 300, 307])


@settings(max_examples=60, deadline=None)
@given(x=_column, k=_exponent)
def test_normalisers_do_not_depend_on_the_scale(x: np.ndarray, k: int) -> None:
    c = 10.0**k
    np.testing.assert_allclose(min_max(x * c), min_max(x), atol=1e-12)
    np.testing.assert_allclose(z_score(x * c), z_score(x), atol=1e-9)
    np.testing.assert_allclose(percentile_rank(x * c), percentile_rank(x), atol=1e-9)
    # centred on 0: the span (max - min) of +-1e308 values overflows a float
    y = (x - 1.5) * c
    np.testing.assert_allclose(min_max(y), min_max(x - 1.5), atol=1e-12)
    np.testing.assert_allclose(z_score(y), z_score(x - 1.5), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    m=arrays(np.float64, (6, 3), elements=st.floats(0.01, 1)),
    k=_exponent,
)
def test_weights_do_not_depend_on_the_scale(m: np.ndarray, k: int) -> None:
    c = 10.0**k
    if np.ptp(m, axis=0).min() < 1e-3:  # a near-constant column: CRITIC's cut-off decides
        return
    np.testing.assert_allclose(entropy_weights(m * c), entropy_weights(m), atol=1e-9)
    np.testing.assert_allclose(critic_weights(m * c), critic_weights(m), atol=1e-9)
    w = dict(zip("abc", m[0], strict=True))
    scaled = {key: v * c for key, v in w.items()}
    if min(scaled.values()) > 0:  # 1e-300 * 0.01 underflows to a subnormal, still > 0
        np.testing.assert_allclose(fixed_weights(scaled), fixed_weights(w), rtol=1e-9)


def test_z_score_of_values_near_the_float_limit_by_hand() -> None:
    x = np.array([1e308, 1e308, 1.7e308])
    mean, sd = x.mean(dtype=np.longdouble), np.std(x / 1e308, ddof=1) * 1e308
    from scipy import stats

    assert z_score(x).tolist() == pytest.approx(stats.norm.cdf((x - float(mean)) / sd).tolist())

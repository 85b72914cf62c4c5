"""Small statistical helpers shared by the indicators, the monitoring and the report."""

from __future__ import annotations

import math
from statistics import NormalDist

__all__ = ["wilson_interval"]


def wilson_interval(k: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    r"""Wilson score interval of a proportion ``k / n``; ``(nan, nan)`` when ``n <= 0``.

    $$\frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n},\qquad
    \hat p = k / n,$$ clipped to [0, 1], with $z$ the normal quantile of ``0.5 + confidence / 2``
    (Wilson 1927, *JASA* 22(158), 209-212).

    Examples
    --------
    >>> lo, hi = wilson_interval(946, 2357)
    >>> round(lo, 4), round(hi, 4)
    (0.3816, 0.4212)
    """
    if n <= 0:
        return math.nan, math.nan
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    p = k / n
    z2n = z * z / n
    centre = (p + z2n / 2.0) / (1.0 + z2n)
    half = z / (1.0 + z2n) * math.sqrt(max(p * (1.0 - p) / n + z2n / (4.0 * n), 0.0))
    return max(0.0, centre - half), min(1.0, centre + half)

r"""Differences of log-gamma and digamma functions that keep their digits for large ``r``.

The count models need :math:`\log\Gamma(r+x) - \log\Gamma(r)` (the log of the rising factorial
:math:`r^{(x)} = r(r+1)\cdots(r+x-1)`) and its derivative :math:`\psi(r+x) - \psi(r)`. Formed
as differences of two library values, both lose the digits of the library values' magnitude:
at :math:`r = 10^{13}`, :math:`\log\Gamma(r) \approx 2.9\times10^{14}`, so the difference is
off by about 0.03 per customer (the log-likelihood of a homogeneous purchase rate, where the
fit drives ``r`` to its bound, off by tens of nats per thousand customers; probabilities off
by percents), and
:math:`\psi(r+x) - \psi(r) \approx x/r` keeps one or two digits.

For :math:`r \ge` :data:`_ASYMPTOTIC_MIN` both differences are taken from Stirling's series
(Abramowitz & Stegun 6.1.41 and 6.3.18) with the differences of its terms written out, so no
two large numbers are subtracted:

$$\log\Gamma(r+x) - \log\Gamma(r) = (r - \tfrac12)\log\!\left(1 + \tfrac{x}{r}\right)
+ x\log(r+x) - x - \frac{x}{12\,r\,(r+x)} + \frac{1}{360}\left(\frac{1}{r^3} -
\frac{1}{(r+x)^3}\right) - \cdots,$$

$$\psi(r+x) - \psi(r) = \log\!\left(1 + \tfrac{x}{r}\right) + \frac{x}{2\,r\,(r+x)}
+ \frac{x\,(2r+x)}{12\,r^2(r+x)^2} - \frac{1}{120}\left(\frac{1}{r^4} -
\frac{1}{(r+x)^4}\right) + \cdots.$$

At :math:`r \ge 1000` the first omitted terms are below :math:`10^{-20}` relative; below that,
the library differences are accurate to about :math:`10^{-12}` absolute and are used as they
are.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = ["digamma_diff", "log_poch"]

#: From this ``r`` on, the differences come from Stirling's series.
_ASYMPTOTIC_MIN = 1000.0


def _flat(r: Any, x: Any) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``r`` and ``x`` broadcast to one shape, as flat float64 arrays (copies)."""
    r_arr, x_arr = np.broadcast_arrays(np.asarray(r, dtype=np.float64), np.asarray(x))
    return r_arr.astype(np.float64).ravel(), x_arr.astype(np.float64).ravel()


def log_poch(r: Any, x: Any) -> Any:
    r"""Return :math:`\log\Gamma(r+x) - \log\Gamma(r)` for ``r > 0``, ``x >= 0`` (broadcast).

    Exact to rounding for large ``r`` (module docstring), where the plain difference loses
    the digits of :math:`\log\Gamma(r)`.

    Examples
    --------
    >>> import numpy as np
    >>> from custloyalty.models._special import log_poch
    >>> from scipy import special
    >>> r = 1e13
    >>> float(log_poch(r, 2.0)) == float(np.log(r) + np.log(r + 1.0))  # log(r (r + 1))
    True
    >>> round(float(special.gammaln(r + 2.0) - special.gammaln(r) - log_poch(r, 2.0)), 2)
    -0.06
    """
    r_arr, x_arr = _flat(r, x)
    out = special.gammaln(r_arr + x_arr) - special.gammaln(r_arr)
    big = r_arr >= _ASYMPTOTIC_MIN
    if np.any(big):
        rb, xb = r_arr[big], x_arr[big]
        rx = rb + xb
        out[big] = (
            (rb - 0.5) * np.log1p(xb / rb)
            + xb * np.log(rx)
            - xb
            - xb / (12.0 * rb * rx)
            + (xb * (rx * rx + rx * rb + rb * rb)) / (360.0 * rb**3 * rx**3)
        )
    return out.reshape(np.broadcast_shapes(np.shape(r), np.shape(x)))[()]


def digamma_diff(r: Any, x: Any) -> Any:
    r"""Return :math:`\psi(r+x) - \psi(r)` for ``r > 0``, ``x >= 0`` (broadcast).

    The derivative of :func:`log_poch` in ``r``; exact to rounding for large ``r``.

    Examples
    --------
    >>> from custloyalty.models._special import digamma_diff
    >>> round(float(digamma_diff(1e13, 3.0) * 1e13), 9)  # 1/r + 1/(r+1) + 1/(r+2), about 3/r
    3.0
    """
    r_arr, x_arr = _flat(r, x)
    out = special.digamma(r_arr + x_arr) - special.digamma(r_arr)
    big = r_arr >= _ASYMPTOTIC_MIN
    if np.any(big):
        rb, xb = r_arr[big], x_arr[big]
        rx = rb + xb
        out[big] = (
            np.log1p(xb / rb)
            + xb / (2.0 * rb * rx)
            + xb * (2.0 * rb + xb) / (12.0 * rb * rb * rx * rx)
            - xb * (rb + rx) * (rb * rb + rx * rx) / (120.0 * rb**4 * rx**4)
        )
    return out.reshape(np.broadcast_shapes(np.shape(r), np.shape(x)))[()]

"""Reliability of multi-item scales: Cronbach's alpha, composite reliability, AVE, item-total.

Before averaging questionnaire items into a construct (satisfaction, loyalty), check that they
measure one thing consistently.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from custloyalty import _frames
from custloyalty._results import Result
from custloyalty._validation import (
    as_1d_float,
    check_in_range,
    check_nan_policy,
    check_probability,
    format_examples,
    plural,
)
from custloyalty.errors import CustLoyaltyWarning, UndefinedMetricWarning, ValidationError
from custloyalty.metrics._params import check_flag

__all__ = [
    "AlphaResult",
    "average_variance_extracted",
    "composite_reliability",
    "cronbach_alpha",
    "item_total_correlations",
]

FloatArray = npt.NDArray[np.float64]


def _items(
    items: Any, columns: Sequence[Hashable] | None, nan_policy: str, func: str
) -> pd.DataFrame:
    policy = check_nan_policy(nan_policy, func=func)
    frame, missing = _frames.numeric_columns(
        items, columns, nan_policy=policy, func=func, name="items"
    )
    if missing.any():
        frame = frame.loc[~missing]
    if frame.shape[1] < 2:
        msg = f"{func} needs at least two items; got {frame.shape[1]}."
        raise ValidationError(msg)
    if frame.shape[0] < 2:
        msg = f"{func} needs at least two complete respondents; got {frame.shape[0]}."
        raise ValidationError(msg)
    return frame


def _scaled(frame: pd.DataFrame) -> FloatArray:
    """Return the items as floats, divided by a common factor if their magnitude is extreme.

    Alpha and the item-total correlations are ratios of (co)variances, unchanged when every
    item is multiplied by one constant; items of 1e200 would overflow the squares to
    infinity and items of 1e-200 underflow their variances to 0 (a false "no variance").
    Answers on usual scales are left exactly as they are.
    """
    x = frame.to_numpy(dtype=np.float64)
    top = float(np.abs(x).max()) if x.size else 0.0
    if top > 0 and not 1e-100 <= top <= 1e100:
        x = x / top
    return x


@dataclass(frozen=True, slots=True)
class AlphaResult(Result):
    """Cronbach's alpha with Feldt's confidence interval."""

    statistic: float
    """Cronbach's alpha, at most 1 (higher is more internally consistent; can be negative)."""
    ci: tuple[float, float]
    """Feldt's F-based confidence interval."""
    n: int
    """Respondents used (complete cases)."""
    k: int
    """Items."""
    confidence: float
    """Confidence level of ``ci``."""

    @property
    def alpha(self) -> float:
        """Cronbach's alpha: an alias of :attr:`statistic`."""
        return self.statistic


def cronbach_alpha(
    items: Any,
    /,
    *,
    columns: Sequence[Hashable] | None = None,
    confidence: float = 0.95,
    nan_policy: str = "raise",
) -> AlphaResult:
    r"""Cronbach's alpha of a multi-item scale, with Feldt's confidence interval.

    Parameters
    ----------
    items
        Survey table, one row per respondent, one column per item of the scale.
    columns
        Item columns; default every column.
    confidence
        Confidence level of the interval; default 0.95.
    nan_policy
        ``"raise"`` (default) raises on missing answers; ``"omit"`` drops respondents with a
        missing item (listwise deletion).

    Returns
    -------
    AlphaResult
        ``alpha`` (at most 1; 0.7 and above is the usual threshold for a reliable scale),
        ``ci``, ``n``, ``k``, ``confidence``. A scale without total variance gives NaN with an
        :class:`~custloyalty.errors.UndefinedMetricWarning`.

    Raises
    ------
    ValidationError
        Fewer than two items or respondents, non-numeric columns, missing answers under
        ``"raise"``.

    See Also
    --------
    composite_reliability : Dillon-Goldstein rho from loadings.
    item_total_correlations : Which item weakens the scale.
    pls_path_model : Reports alpha, rho and AVE for every block.

    Notes
    -----
    With $k$ items of variances $s_i^2$ and total score variance $s_T^2$,

    $$\alpha = \frac{k}{k-1}\left(1 - \frac{\sum_i s_i^2}{s_T^2}\right).$$

    Feldt's interval uses $(1 - \alpha)/(1 - \hat\alpha) \sim F(n-1, (n-1)(k-1))$:
    $\left[1 - (1 - \hat\alpha) F_{1-\gamma/2},\; 1 - (1 - \hat\alpha) F_{\gamma/2}\right]$
    with $\gamma = 1 - \mathrm{confidence}$. Alpha is unchanged when every item is multiplied
    by one constant: items of extreme magnitude (beyond 1e100 or below 1e-100) are divided by
    their largest absolute value first, so their squares neither overflow nor underflow.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297-334. https://doi.org/10.1007/BF02310555

    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. *Psychometrika*, 30(3), 357-370.
    https://doi.org/10.1007/BF02289499

    Examples
    --------
    >>> from custloyalty.datasets import load_ecsi
    >>> from custloyalty.metrics import cronbach_alpha
    >>> survey = load_ecsi("satisfaction")
    >>> r = cronbach_alpha(survey, columns=["sat1", "sat2", "sat3", "sat4"])
    >>> round(r.alpha, 3), tuple(round(v, 3) for v in r.ci)
    (0.894, (0.871, 0.914))
    """
    func = "cronbach_alpha"
    conf = check_probability(confidence, "confidence", func=func)
    frame = _items(items, columns, nan_policy, func)
    x = _scaled(frame)
    n, k = x.shape
    item_var = float(x.var(axis=0, ddof=1).sum())
    total_var = float(x.sum(axis=1).var(ddof=1))
    if total_var == 0:
        warnings.warn(
            "Cronbach's alpha is undefined when the total score has no variance; returning NaN.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
        nan = float("nan")
        return AlphaResult(statistic=nan, ci=(nan, nan), n=n, k=k, confidence=conf)
    alpha = k / (k - 1) * (1.0 - item_var / total_var)
    gamma = 1.0 - conf
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1.0 - (1.0 - alpha) * float(stats.f.ppf(1.0 - gamma / 2.0, df1, df2))
    high = 1.0 - (1.0 - alpha) * float(stats.f.ppf(gamma / 2.0, df1, df2))
    return AlphaResult(statistic=alpha, ci=(low, high), n=n, k=k, confidence=conf)


def _loadings(loadings: Any, func: str) -> FloatArray:
    values = loadings.tolist() if isinstance(loadings, np.ndarray | pd.Series) else loadings
    if isinstance(values, list | tuple) and any(isinstance(v, bool | np.bool_) for v in values):
        msg = (
            f"The 'loadings' of {func} must be numbers in [-1, 1]; got booleans in "
            f"{list(values)!r:.80}.\nHint: pass the standardised loadings (e.g. "
            "PLSResult.loadings), not a mask."
        )
        raise ValidationError(msg)
    lam, _ = as_1d_float(loadings, "loadings")
    check_in_range(lam, "loadings", -1.0, 1.0)
    return lam


def composite_reliability(loadings: Any, /) -> float:
    r"""Composite reliability (Dillon-Goldstein rho, Jöreskog's rho) from standardised loadings.

    Parameters
    ----------
    loadings
        Standardised loadings (correlations of the items with their construct), e.g.
        ``pls_path_model(...).loadings[block_items]``.

    Returns
    -------
    float
        rho in [0, 1] for positive loadings; 0.7 and above is the usual threshold.

    Raises
    ------
    ValidationError
        Loadings outside [-1, 1], booleans, missing or empty.

    Warns
    -----
    CustLoyaltyWarning
        Loadings of mixed signs (a reverse-coded item): they cancel in the sum.

    See Also
    --------
    average_variance_extracted : Mean squared loading.
    cronbach_alpha : Reliability from the raw items.

    Notes
    -----
    $$\rho_{DG} = \frac{(\sum_i \lambda_i)^2}{(\sum_i \lambda_i)^2 + \sum_i (1 - \lambda_i^2)}.$$

    The value depends on which loadings are passed. With PLS loadings (``pls.loadings``) it
    is the composite reliability SmartPLS and seminr report, and the
    ``composite_reliability`` column of ``PLSResult.constructs``. R plspm's ``DG.rho``
    instead uses the loadings of the block's first principal component of the
    standardised items (the ``dg_rho`` column of ``PLSResult.constructs``); the two differ
    slightly.

    References
    ----------
    Werts, C. E., Linn, R. L., & Jöreskog, K. G. (1974). Intraclass reliability estimates:
    Testing structural assumptions. *Educational and Psychological Measurement*, 34(1),
    25-33. https://doi.org/10.1177/001316447403400104

    Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path
    modeling. *Computational Statistics & Data Analysis*, 48(1), 159-205.
    https://doi.org/10.1016/j.csda.2004.03.005

    Examples
    --------
    >>> from custloyalty.metrics import composite_reliability
    >>> round(composite_reliability([0.8, 0.85, 0.9]), 4)
    0.8871
    """
    lam = _loadings(loadings, "composite_reliability")
    if (lam < 0).any() and (lam > 0).any():
        neg = np.flatnonzero(lam < 0)
        labels = loadings.index[neg] if isinstance(loadings, pd.Series) else neg
        warnings.warn(
            f"composite_reliability: the loadings have mixed signs ({plural(neg.size, 'loading')} "
            f"< 0 {format_examples(labels, lam[neg])}); the positive and negative ones cancel "
            "in the sum, so rho understates the reliability.\nHint: reverse-code the "
            "negatively loading items (max + min - answer) and refit.",
            CustLoyaltyWarning,
            stacklevel=2,
        )
    s = float(lam.sum()) ** 2
    return s / (s + float(np.sum(1.0 - lam**2)))


def average_variance_extracted(loadings: Any, /) -> float:
    r"""Average variance extracted (AVE) by a construct from its items' standardised loadings.

    Parameters
    ----------
    loadings
        Standardised loadings of the block's items.

    Returns
    -------
    float
        AVE in [0, 1]; 0.5 and above means the construct explains most of its items'
        variance (Fornell-Larcker criterion: AVE above the squared correlations with other
        constructs).

    Raises
    ------
    ValidationError
        Loadings outside [-1, 1], booleans, missing or empty.

    See Also
    --------
    composite_reliability : Dillon-Goldstein rho.

    Notes
    -----
    $$\mathrm{AVE} = \frac{1}{k}\sum_{i=1}^k \lambda_i^2.$$

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
    unobservable variables and measurement error. *Journal of Marketing Research*, 18(1),
    39-50. https://doi.org/10.1177/002224378101800104

    Examples
    --------
    >>> from custloyalty.metrics import average_variance_extracted
    >>> round(average_variance_extracted([0.8, 0.85, 0.9]), 4)
    0.7242
    """
    lam = _loadings(loadings, "average_variance_extracted")
    return float(np.mean(lam**2))


def item_total_correlations(
    items: Any,
    /,
    *,
    columns: Sequence[Hashable] | None = None,
    corrected: bool = True,
    nan_policy: str = "raise",
) -> pd.Series:
    r"""Correlation of each item with the total score of the scale.

    Parameters
    ----------
    items
        Survey table, one row per respondent, one column per item.
    columns
        Item columns; default every column.
    corrected
        ``True`` (default): correlate each item with the total of the *other* items, so an
        item does not correlate with itself; ``False``: with the full total.
    nan_policy
        ``"raise"`` (default) or ``"omit"`` (listwise deletion).

    Returns
    -------
    pandas.Series
        One correlation in [-1, 1] per item, named ``"item_total_correlation"``; items below
        about 0.3 weaken the scale. A constant item gives NaN with an
        :class:`~custloyalty.errors.UndefinedMetricWarning`.

    Raises
    ------
    ValidationError
        Fewer than two items or respondents, non-numeric columns, missing answers under
        ``"raise"``, ``corrected`` not a bool.

    See Also
    --------
    cronbach_alpha : Reliability of the whole scale.

    Notes
    -----
    With total $T = \sum_j x_j$, the corrected item-total correlation of item $i$ is
    $\operatorname{cor}(x_i, T - x_i)$.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16(3), 297-334. https://doi.org/10.1007/BF02310555

    Examples
    --------
    >>> from custloyalty.datasets import load_ecsi
    >>> from custloyalty.metrics import item_total_correlations
    >>> survey = load_ecsi("satisfaction")
    >>> item_total_correlations(survey, columns=["sat1", "sat2", "sat3", "sat4"]).round(2)
    sat1    0.82
    sat2    0.82
    sat3    0.73
    sat4    0.70
    Name: item_total_correlation, dtype: float64
    """
    func = "item_total_correlations"
    corrected = check_flag(corrected, "corrected", func=func)
    frame = _items(items, columns, nan_policy, func)
    x = _scaled(frame)
    x = x - x.mean(axis=0)
    total = x.sum(axis=1, keepdims=True)
    other = total - x if corrected else np.broadcast_to(total, x.shape)
    num = (x * other).sum(axis=0)
    den = np.sqrt((x * x).sum(axis=0) * (other * other).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
    if np.isnan(r).any():
        warnings.warn(
            "Some items (or the rest of the scale) have no variance; their item-total "
            "correlation is NaN.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    return pd.Series(r, index=frame.columns, name="item_total_correlation")

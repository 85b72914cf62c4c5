"""Monetary value: order values, revenue concentration (Pareto curve) and a simple CLV.

Order values are reductions of the customer-day aggregates of the transaction window
(:func:`custloyalty._window.observe`: transaction count and summed amount per customer and
day); the concentration and CLV functions work on per-customer columns.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _engines, _frames
from custloyalty._validation import (
    as_1d_float,
    check_discount_rate,
    check_in_range,
    check_nan_policy,
    check_probability,
    format_examples,
    plural,
)
from custloyalty._window import named_index, observe, require_amount
from custloyalty.errors import ValidationError
from custloyalty.metrics._frequency import (
    _check_period,
    _customer_period_runs,
    _period_codes,
    _period_index,
    _report,
)

__all__ = [
    "order_value",
    "pareto_curve",
    "revenue_share",
    "simple_clv",
]

FloatArray = npt.NDArray[np.float64]


def _average_order_value(total: npt.NDArray[Any], n_orders: npt.NDArray[Any]) -> FloatArray:
    """Total value over the number of orders (transaction rows), the kernel."""
    return np.asarray(total / n_orders, dtype=np.float64)


def order_value(
    transactions: Any,
    /,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    amount: Hashable = "amount",
    period: str | None = None,
    observation_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    r"""Total and average order value of every customer, overall or per calendar period.

    Parameters
    ----------
    transactions
        One row per order (pandas DataFrame, or anything with ``to_pandas()``).
    customer, time, amount
        Column names of the customer id, the order date/time and the order value.
    period
        ``None`` (default) for one row per customer over the whole window, or a calendar
        period (``"D"``, ``"W"``, ``"M"``, ``"Q"``, ``"Y"``) for one row per customer and period
        with at least one order (long form; ``.unstack(fill_value=0)`` gives the matrix).
    observation_end
        Last day included (default: the last order day); later orders are left out.
    date_format
        Format of date strings (default: inferred from the first date, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids, dates or amounts.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer (or by customer and ``period``), columns

        * ``n_orders``: transactions (rows), >= 1;
        * ``total_value``: sum of the amounts (higher is more valuable);
        * ``average_order_value``: ``total_value / n_orders``.

    Raises
    ------
    ValidationError
        Invalid table, unknown ``period``, or no order up to ``observation_end``.

    See Also
    --------
    custloyalty.rfm_summary : ``monetary`` there is the mean spend per *repeat purchase day*.
    pareto_curve : concentration of ``total_value`` across customers.

    Notes
    -----
    With :math:`v_{ij}` the amount of order :math:`j` of customer :math:`i` (in the period),

    $$\mathrm{TV}_i = \sum_j v_{ij},\qquad \mathrm{AOV}_i = \frac{1}{n_i}\sum_j v_{ij}.$$

    An *order* is one transaction row; the customer summary of Fader, Hardie and Lee (2005)
    instead merges the orders of one day (its ``monetary`` column).

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Chicago: Probus.

    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). RFM and CLV: Using iso-value curves
    for customer base analysis. *Journal of Marketing Research*, 42(4), 415-430.
    https://doi.org/10.1509/jmkr.2005.42.4.415

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import order_value
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 2],
    ...     "date": ["2024-01-01", "2024-01-01", "2024-02-15", "2024-01-10"],
    ...     "amount": [10.0, 5.0, 30.0, 8.0],
    ... })
    >>> order_value(tx)
                 n_orders  total_value  average_order_value
    customer_id
    1                   3         45.0                 15.0
    2                   1          8.0                  8.0
    >>> order_value(tx, period="M")
                        n_orders  total_value  average_order_value
    customer_id period
    1           2024-01         2         15.0                  7.5
                2024-02         1         30.0                 30.0
    2           2024-01         1          8.0                  8.0
    """
    if _engines.is_dask(transactions):  # per customer bucket, or refused with the way round
        return _engines.on_dask(order_value, locals())  # type: ignore[no-any-return]
    func = "order_value"
    if period is not None:
        _check_period(period, func)
    w = observe(
        transactions,
        customer=customer,
        time=time,
        amount=amount,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
    )
    cd = require_amount(w, func)
    assert cd.amount is not None  # checked by require_amount
    if period is None:
        k = len(cd.customers)
        n_orders = np.bincount(cd.customer, weights=cd.count, minlength=k).astype(np.int64)
        total = np.bincount(cd.customer, weights=cd.amount, minlength=k)
        index: pd.Index = w.customers
    else:
        pcode = _period_codes(cd.day, period)
        starts = _customer_period_runs(cd, pcode)
        n_orders = np.add.reduceat(cd.count, starts)
        total = np.add.reduceat(cd.amount, starts)
        index = pd.MultiIndex.from_arrays(
            [
                named_index(cd.customers[cd.customer[starts]], w.customer),
                _period_index(pcode[starts], period),
            ]
        )
    out = pd.DataFrame(
        {
            "n_orders": n_orders,
            "total_value": total,
            "average_order_value": _average_order_value(total, n_orders),
        },
        index=index,
    )
    out.attrs["custloyalty"] = _report(w, period=period)
    return out


def _cumulative_shares(ranked: FloatArray) -> FloatArray:
    """Cumulative shares of the total of ``ranked`` (largest first, not all 0).

    Values whose total overflows float64 (amounts near 1e308) are divided by the largest
    first: the same shares, no infinite total.
    """
    with np.errstate(over="ignore"):
        cum = np.cumsum(ranked)
    if not np.isfinite(cum[-1]):
        cum = np.cumsum(ranked / ranked[0])
    out: FloatArray = cum / cum[-1]
    return out


def _values(values: Any, name: str, nan_policy: str, func: str) -> FloatArray:
    policy = check_nan_policy(nan_policy, func=func)
    if isinstance(values, pd.Series):
        # one value per customer: a Series with repeated labels is usually the amounts of the
        # transactions (tx.set_index("customer_id")["amount"]), whose shares are not the
        # customers'
        _frames.check_unique_index(
            values.index,
            name,
            func=func,
            hint="pass one value per customer, e.g. values.groupby(level=0).sum().",
        )
    arr, keep = as_1d_float(values, name, nan_policy=policy)
    neg = arr < 0
    if neg.any():
        labels = np.asarray(values.index)[keep] if isinstance(values, pd.Series) else None
        pos = np.flatnonzero(neg)
        where = labels[pos] if labels is not None else pos
        msg = (
            f"{name} has {pos.size} negative {'value' if pos.size == 1 else 'values'} "
            f"{format_examples(where, arr[pos])}.\n"
            "Hint: net out returns per customer first; revenue shares need values >= 0."
        )
        raise ValidationError(msg)
    if not (arr.shape[0] and arr.max() > 0):  # (the sum itself may overflow)
        msg = f"{name} passed to {func} sums to 0; revenue shares are undefined."
        raise ValidationError(msg)
    return arr


def pareto_curve(values: Any, /, *, nan_policy: str = "raise") -> pd.DataFrame:
    r"""Cumulative share of revenue against the cumulative share of customers (Pareto curve).

    Customers are ranked by value, largest first; row :math:`k` gives the share of customers
    in the top :math:`k` and the share of total revenue they bring. This is the data behind
    the "80/20" statement and (reversed) the Lorenz curve.

    Parameters
    ----------
    values
        One non-negative value per customer (e.g. ``order_value(tx)["total_value"]``).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` missing values.

    Returns
    -------
    pandas.DataFrame
        :math:`n + 1` rows (the first is the origin), columns

        * ``customer_share``: :math:`k / n`, from 0 to 1;
        * ``revenue_share``: share of revenue of the top :math:`k` customers, from 0 to 1,
          non-decreasing and concave (above the diagonal);
        * ``customer``: the label of the :math:`k`-th customer (Series labels, else
          positions; missing in the first row).

    Raises
    ------
    ValidationError
        Non-numeric, infinite, negative or all-zero values, or a Series repeating a label (one
        value per customer is expected: transaction amounts indexed by customer are refused,
        with the ``groupby`` to sum them).

    See Also
    --------
    revenue_share : one point of the curve, e.g. the top 20 %.

    Notes
    -----
    With values sorted in decreasing order :math:`v_{(1)} \ge \dots \ge v_{(n)}`,

    $$P\bigl(k/n\bigr) = \frac{\sum_{j=1}^{k} v_{(j)}}{\sum_{j=1}^{n} v_{(j)}} .$$

    The Lorenz curve is :math:`L(p) = 1 - P(1 - p)`; the Gini coefficient is
    :math:`2\int_0^1 P(p)\,dp - 1` (Lorenz 1905). Ties are ordered by position.

    References
    ----------
    Lorenz, M. O. (1905). Methods of measuring the concentration of wealth. *Publications of
    the American Statistical Association*, 9(70), 209-219. https://doi.org/10.2307/2276207

    Examples
    --------
    >>> from custloyalty.metrics import pareto_curve
    >>> pareto_curve([10.0, 50.0, 40.0, 0.0])
       customer_share  revenue_share  customer
    0            0.00            0.0      <NA>
    1            0.25            0.5         1
    2            0.50            0.9         2
    3            0.75            1.0         0
    4            1.00            1.0         3
    """
    func = "pareto_curve"
    arr = _values(values, "values", nan_policy, func)
    if isinstance(values, pd.Series):
        labels = values.index[values.notna().to_numpy()]
    else:
        labels = pd.RangeIndex(arr.shape[0])
    order = np.argsort(-arr, kind="stable")
    n = arr.shape[0]
    cum = np.empty(n + 1)
    cum[0] = 0.0
    cum[1:] = _cumulative_shares(arr[order])
    # nullable labels of the ranked customers; the origin row has none
    ranked: Any = pd.array(np.asarray(labels.take(order)))
    customer = pd.concat(
        [pd.Series([None], dtype=ranked.dtype), pd.Series(ranked)], ignore_index=True
    )
    return pd.DataFrame(
        {
            "customer_share": np.arange(n + 1) / n,
            "revenue_share": cum,
            "customer": customer,
        }
    )


def revenue_share(values: Any, /, *, top: float = 0.2, nan_policy: str = "raise") -> float:
    r"""Share of revenue brought by the top ``top`` fraction of customers.

    Parameters
    ----------
    values
        One non-negative value per customer.
    top
        Fraction of customers, in (0, 1]; default 0.2 (the "top 20 %").
    nan_policy
        ``"raise"`` (default) or ``"omit"`` missing values.

    Returns
    -------
    float
        Revenue share in [``top``, 1]: ``top`` when every customer is worth the same, near 1
        when a few customers bring everything.

    Raises
    ------
    ValidationError
        Invalid values (see :func:`pareto_curve`) or ``top`` outside (0, 1].

    See Also
    --------
    pareto_curve : the whole curve.

    Notes
    -----
    The Pareto curve :math:`P` of :func:`pareto_curve` is interpolated linearly between its
    points :math:`(k/n, P(k/n))`, so a fraction of a customer counts with that fraction of
    their value:

    $$\mathrm{share}(x) = P\bigl(\lfloor xn \rfloor / n\bigr) + (xn - \lfloor xn \rfloor)
    \,\frac{v_{(\lfloor xn \rfloor + 1)}}{\sum_j v_j}.$$

    References
    ----------
    Lorenz, M. O. (1905). Methods of measuring the concentration of wealth. *Publications of
    the American Statistical Association*, 9(70), 209-219. https://doi.org/10.2307/2276207

    Examples
    --------
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.metrics import order_value, revenue_share
    >>> tv = order_value(load_cdnow("sample"))["total_value"]
    >>> round(revenue_share(tv, top=0.2), 3)
    0.674
    """
    func = "revenue_share"
    try:
        x = check_probability(top, "top", func=func, open_interval=False)
    except ValidationError as exc:  # one message for every value outside (0, 1]
        if "must lie in" not in str(exc):
            raise
        x = 0.0
    if x == 0:
        msg = (
            f"The 'top' parameter of {func} must lie in (0, 1]; got {top!r}.\nHint: top is "
            "the share of customers, a fraction: top=0.2 for the top 20%."
        )
        raise ValidationError(msg)
    arr = _values(values, "values", nan_policy, func)
    n = arr.shape[0]
    cum = np.concatenate(([0.0], _cumulative_shares(np.sort(arr)[::-1])))
    return float(np.interp(x, np.arange(n + 1) / n, cum))


_CLV_MISSING_HINT = "drop or fill them first; simple_clv has no nan_policy."


def simple_clv(
    margin: Any,
    /,
    *,
    retention: Any,
    discount_rate: float,
    horizon: int | None = None,
) -> Any:
    r"""Margin-based customer lifetime value with a constant retention and discount rate.

    The expected discounted margin of a customer who, in every period, stays with probability
    ``retention`` and brings ``margin`` when they stay (Gupta and Lehmann 2003).

    Parameters
    ----------
    margin
        Margin per period: a scalar, or one value per customer (array-like or Series).
    retention
        Retention rate per period, in [0, 1]: a scalar or one per customer (e.g.
        ``churn_rate(tx)["retention_rate"].mean()`` for the base). With an infinite horizon it
        must be below ``1 + discount_rate``. When both ``margin`` and ``retention`` are
        Series, ``retention`` is aligned on the labels of ``margin`` (extra labels are
        ignored, missing ones raise); otherwise values pair by position.
    discount_rate
        Discount rate per period, a fraction in [0, 1) (an annual 10 % is 0.10 for yearly
        periods; 10 is refused as a rate given in percent).
    horizon
        Number of periods (a positive integer), or ``None`` (default) for the infinite-horizon
        closed form.

    Returns
    -------
    float or pandas.Series
        ``clv`` in the currency of ``margin``: a float for scalar input, else a Series aligned
        to ``margin`` (its index when a Series). Higher is more valuable; it grows with
        ``retention`` and ``horizon`` and falls with ``discount_rate``.

    Raises
    ------
    ValidationError
        Non-numeric or missing inputs, ``retention`` outside [0, 1], a negative discount rate,
        a non-positive or non-integer horizon, mismatched lengths, a ``retention`` Series
        lacking labels of a ``margin`` Series (or with duplicated labels), or ``retention >= 1
        + discount_rate`` with an infinite horizon, or values that overflow floating point
        (margins near 1e308).

    See Also
    --------
    custloyalty.metrics.churn_rate : an observed period retention rate.

    Notes
    -----
    With margin :math:`m`, retention :math:`r` and discount rate :math:`d`, the margin of
    period :math:`t` is received if the customer survived :math:`t` renewals (probability
    :math:`r^t`) and is discounted by :math:`(1+d)^t`:

    $$\mathrm{CLV}_H = m\sum_{t=1}^{H}\Bigl(\frac{r}{1+d}\Bigr)^t
    = m\,\frac{q\,(1 - q^H)}{1 - q},\quad q = \frac{r}{1+d},\qquad
    \mathrm{CLV}_\infty = \frac{m\,r}{1 + d - r}.$$

    The infinite-horizon value is the formula of Gupta and Lehmann (2003) and the limit of
    the finite one. The variant that also counts a margin at :math:`t = 0` (before the first
    renewal) adds :math:`m`.

    References
    ----------
    Gupta, S., & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive
    Marketing*, 17(1), 9-24. https://doi.org/10.1002/dir.10045

    Reichheld, F. F., & Sasser, W. E. (1990). Zero defections: Quality comes to services.
    *Harvard Business Review*, 68(5), 105-111.

    Examples
    --------
    >>> from custloyalty.metrics import simple_clv
    >>> round(simple_clv(100.0, retention=0.8, discount_rate=0.1), 2)  # 100 * 0.8 / 0.3
    266.67
    >>> round(simple_clv(100.0, retention=0.8, discount_rate=0.1, horizon=3), 2)
    164.09
    >>> import pandas as pd
    >>> simple_clv(pd.Series([50.0, 120.0], index=["a", "b"]), retention=[0.5, 0.9],
    ...            discount_rate=0.1).round(2)
    a     41.67
    b    540.00
    Name: clv, dtype: float64
    """
    func = "simple_clv"
    scalar = np.ndim(margin) == 0 and not isinstance(margin, pd.Series)
    m, _ = as_1d_float(
        np.atleast_1d(margin) if scalar else margin, "margin", missing_hint=_CLV_MISSING_HINT
    )
    if isinstance(margin, pd.Series) and isinstance(retention, pd.Series):
        retention = _frames.align_to_index(
            retention,
            margin.index,
            name="retention",
            target="margin",
            func=func,
            hint="give a retention for every customer of margin (e.g. "
            "retention.reindex(margin.index).fillna(default)) or a scalar.",
        )
    r, _ = as_1d_float(
        np.atleast_1d(retention) if np.ndim(retention) == 0 else retention,
        "retention",
        missing_hint=_CLV_MISSING_HINT,
    )
    if r.shape[0] not in (1, m.shape[0]):
        msg = (
            f"The 'retention' parameter of {func} must be a scalar or have one value per margin; "
            f"got {r.shape[0]} values for {m.shape[0]} margins."
        )
        raise ValidationError(msg)
    check_in_range(
        r,
        "retention",
        0.0,
        1.0,
        index=retention.index if isinstance(retention, pd.Series) else None,
    )
    d = check_discount_rate(discount_rate, func=func)
    q = r / (1.0 + d)
    if horizon is None:
        if (q >= 1).any():
            msg = (
                f"{func} with an infinite horizon needs retention < 1 + discount_rate (the sum "
                "diverges otherwise).\nHint: pass a finite horizon or a positive discount rate."
            )
            raise ValidationError(msg)
        with np.errstate(over="ignore"):
            value = m * r / (1.0 + d - r)
    else:
        if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
            msg = f"The 'horizon' parameter of {func} must be a positive integer; got {horizon!r}."
            raise ValidationError(msg)
        h = int(horizon)
        one = q == 1
        factor = np.where(one, float(h), q * (1.0 - q**h) / np.where(one, 0.5, 1.0 - q))
        with np.errstate(over="ignore"):
            value = m * factor
    if not np.isfinite(value).all():
        pos = np.flatnonzero(~np.isfinite(np.broadcast_to(value, m.shape)))
        labels = margin.index if isinstance(margin, pd.Series) else np.arange(m.shape[0])
        msg = (
            f"{func}: the lifetime value of {plural(pos.size, 'margin')} overflows floating point "
            f"(beyond 1.8e308) {format_examples(np.asarray(labels)[pos], m[pos])}.\nHint: "
            "rescale the margins first (e.g. in thousands) and scale the result back."
        )
        raise ValidationError(msg)
    if scalar:
        return float(value[0])
    index = margin.index if isinstance(margin, pd.Series) else pd.RangeIndex(m.shape[0])
    return pd.Series(np.broadcast_to(value, m.shape).copy(), index=index, name="clv")

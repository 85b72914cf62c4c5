"""Churn and retention: period-to-period churn, cohort retention, inactivity flags, survival.

Transactions are observed once (:func:`custloyalty._window.observe`: validated and
aggregated to customer-days); the unique (customer, period) activity pairs are runs of those
sorted entries, and every count below is a ``bincount`` over them.
"""

from __future__ import annotations

import dataclasses
import html
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from custloyalty import _engines
from custloyalty._results import Result, _fmt, to_builtin
from custloyalty._validation import check_option, check_positive, check_probability
from custloyalty._window import TIME_UNITS, Window, observe
from custloyalty.errors import UndefinedMetricWarning, ValidationError
from custloyalty.metrics._frequency import (
    _check_period,
    _customer_period_runs,
    _period_codes,
    _period_index,
    _period_start,
    _report,
    _summary_columns,
)

__all__ = [
    "CohortRetentionResult",
    "SurvivalResult",
    "churn_flags",
    "churn_rate",
    "cohort_retention",
    "days_since_last_purchase",
    "survival_curve",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _frame_builtin(frame: pd.DataFrame | pd.Series) -> Any:
    """JSON-safe form of a table whose index / columns may hold periods."""
    out = frame.copy()
    out.index = out.index.astype(str)
    if isinstance(out, pd.DataFrame):
        out.columns = out.columns.astype(str)
    return to_builtin(out)


def _html_with_tables(result: Result, max_rows: int = 20, max_cols: int = 20) -> str:
    """Notebook HTML of a result: scalar fields as a table, then each table field rendered.

    The shared :meth:`Result._repr_html_` shows table fields as ``<DataFrame (r, c)>``
    placeholders; results whose point is a table render them (truncated past ``max_rows`` x
    ``max_cols``, as pandas does).
    """
    rows: list[str] = []
    tables: list[str] = []
    for f in dataclasses.fields(result):  # type: ignore[arg-type]
        value = getattr(result, f.name)
        name = html.escape(f.name)
        if isinstance(value, pd.DataFrame | pd.Series):
            frame = value.to_frame() if isinstance(value, pd.Series) else value
            body = frame.to_html(max_rows=max_rows, max_cols=max_cols, float_format="{:.4g}".format)
            tables.append(f"<details open><summary><b>{name}</b></summary>{body}</details>")
        else:
            rows.append(
                f"<tr><th style='text-align:left'>{name}</th>"
                f"<td>{html.escape(_fmt(value))}</td></tr>"
            )
    title = html.escape(type(result).__name__)
    return f"<div><table><caption>{title}</caption>{''.join(rows)}</table>{''.join(tables)}</div>"


def _activity(
    transactions: Any,
    *,
    customer: Hashable,
    time: Hashable,
    period: str,
    observation_end: Any,
    date_format: str | None,
    nan_policy: str,
    func: str,
) -> tuple[Window, IntArray, IntArray, int, int]:
    """Return the unique (customer, period) activity pairs, sorted by customer then period.

    Returns the window, the customer codes and period codes of the pairs (relative to the
    first period), the first period code and the number of periods up to the observation end.
    """
    _check_period(period, func)
    w = observe(
        transactions,
        customer=customer,
        time=time,
        amount=None,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
    )
    cd = w.entries
    pcode = _period_codes(cd.day, period)
    starts = _customer_period_runs(cd, pcode)
    cust = cd.customer[starts]
    per = pcode[starts]
    p0 = int(per.min())
    p_end = int(_period_codes(np.array([w.observation_end], dtype=np.int64), period)[0])
    per -= p0
    return w, cust, per, p0, p_end - p0 + 1


def _divide(num: FloatArray, den: FloatArray, zero_division: Any, func: str) -> FloatArray:
    """``num / den`` with the ``zero_division`` policy where ``den == 0``."""
    zero = den == 0
    out = np.empty_like(num)
    np.divide(num, den, out=out, where=~zero)
    if zero.any():
        if isinstance(zero_division, str):
            out[zero] = np.nan
            warnings.warn(
                f"{func}: {int(zero.sum())} periods have no active customers in the previous "
                "period; their churn and retention rates are undefined (NaN). Pass "
                "zero_division=np.nan to silence this warning.",
                UndefinedMetricWarning,
                stacklevel=3,
            )
        else:
            out[zero] = float(zero_division)
    return out


def _check_zero_division(value: Any, func: str) -> Any:
    if isinstance(value, str):
        return check_option(value, "zero_division", ("warn",), func=func)
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        msg = (
            f"The 'zero_division' parameter of {func} must be 'warn' or a number "
            f"(e.g. np.nan, 0.0); got {value!r}."
        )
        raise ValidationError(msg)
    return float(value)


def churn_rate(
    transactions: Any,
    /,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    period: str = "M",
    observation_end: Any = None,
    zero_division: Any = "warn",
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    r"""Churn and retention rates between consecutive calendar periods.

    A customer is *active* in a period when they bought at least once in it. The churn rate
    of period :math:`t` is the share of the customers active in :math:`t-1` who are not active
    in :math:`t`; the retention rate is its complement. See the guide *Customer summary and
    behavioural indicators*.

    Parameters
    ----------
    transactions
        One row per purchase (pandas DataFrame, or anything with ``to_pandas()``).
    customer, time
        Column names of the customer id and the purchase date/time.
    period
        Calendar period: ``"D"``, ``"W"`` (Monday to Sunday), ``"M"`` (default), ``"Q"``,
        ``"Y"``.
    observation_end
        Last day included; the periods run from the first purchase's period to the period
        holding ``observation_end`` (default: the last purchase day).
    zero_division
        Value of the rates when no customer was active in :math:`t-1`: ``"warn"`` (default)
        gives NaN and an :class:`~custloyalty.errors.UndefinedMetricWarning`; a number (such as
        ``np.nan``) gives that number silently.
    date_format
        Format of date strings (default: inferred from the first date, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` :math:`t` (a ``PeriodIndex``, from the second period on), columns

        * ``active_previous``: customers active in :math:`t-1`;
        * ``retained``: active in both :math:`t-1` and :math:`t`;
        * ``churned``: active in :math:`t-1`, not in :math:`t`;
        * ``active``: customers active in :math:`t` (retained, new and returning);
        * ``churn_rate``: ``churned / active_previous`` in [0, 1], lower is better;
        * ``retention_rate``: ``retained / active_previous`` = 1 - ``churn_rate``;
        * ``complete``: whether period :math:`t` ends on or before ``observation_end``. A
          partial last period overstates churn.

    Raises
    ------
    ValidationError
        Invalid table, unknown ``period`` or ``zero_division``, no purchase in the window,
        or a window shorter than two periods.

    Warns
    -----
    UndefinedMetricWarning
        Some period follows a period without active customers (``zero_division="warn"``).

    See Also
    --------
    cohort_retention : retention by acquisition cohort and age.
    churn_flags : inactivity-based churn of each customer.

    Notes
    -----
    With :math:`A_t` the set of customers active in period :math:`t`,

    $$\mathrm{churn}_t = \frac{|A_{t-1} \setminus A_t|}{|A_{t-1}|},\qquad
    \mathrm{retention}_t = \frac{|A_{t-1} \cap A_t|}{|A_{t-1}|} = 1 - \mathrm{churn}_t .$$

    This is the period retention rate behind the retention economics of Reichheld and Sasser
    (1990) and the retention rate :math:`r` of the customer-value formula of Gupta and
    Lehmann (2003) (see :func:`~custloyalty.metrics.simple_clv`). In non-contractual settings
    a customer inactive in one period may return later; they count as churned in that period
    and as active again when they return.

    References
    ----------
    Reichheld, F. F., & Sasser, W. E. (1990). Zero defections: Quality comes to services.
    *Harvard Business Review*, 68(5), 105-111.

    Gupta, S., & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive
    Marketing*, 17(1), 9-24. https://doi.org/10.1002/dir.10045

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import churn_rate
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 2, 3, 1, 2, 1],
    ...     "date": ["2024-01-05", "2024-01-09", "2024-01-20",
    ...              "2024-02-02", "2024-02-15", "2024-03-31"],
    ... })
    >>> churn_rate(tx)[["active_previous", "retained", "churned", "churn_rate"]].round(3)
             active_previous  retained  churned  churn_rate
    period
    2024-02                3         2        1       0.333
    2024-03                2         1        1       0.500
    """
    if _engines.is_dask(transactions):  # per customer bucket, or refused with the way round
        return _engines.on_dask(churn_rate, locals())  # type: ignore[no-any-return]
    func = "churn_rate"
    zd = _check_zero_division(zero_division, func)
    w, cust, per, p0, n_periods = _activity(
        transactions,
        customer=customer,
        time=time,
        period=period,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
    )
    if n_periods < 2:
        msg = (
            f"{func} needs at least two periods between the first purchase and the observation "
            f"end; got one period (period={period!r})."
        )
        raise ValidationError(msg)
    active = np.bincount(per, minlength=n_periods)
    # a pair (customer, p) followed by (customer, p + 1) is a retention into period p + 1
    kept = (cust[1:] == cust[:-1]) & (per[1:] == per[:-1] + 1)
    retained = np.bincount(per[1:][kept], minlength=n_periods)
    prev = active[:-1].astype(np.float64)
    ret = retained[1:]
    churned = active[:-1] - ret
    retention = _divide(ret.astype(np.float64), prev, zd, func)
    churn = _divide(churned.astype(np.float64), prev, zd, func)
    codes = np.arange(p0 + 1, p0 + n_periods, dtype=np.int64)
    complete = _period_start(codes + 1, period) - 1 <= w.observation_end
    out = pd.DataFrame(
        {
            "active_previous": active[:-1],
            "retained": ret,
            "churned": churned,
            "active": active[1:],
            "churn_rate": churn,
            "retention_rate": retention,
            "complete": complete,
        },
        index=_period_index(codes, period),
    )
    out.attrs["custloyalty"] = _report(w, period=period)
    return out


@dataclass(frozen=True, slots=True)
class CohortRetentionResult(Result):
    """Active customers of each acquisition cohort by age (periods since acquisition)."""

    counts: pd.DataFrame
    """Cohort x age matrix of active customers (float; NaN where the age lies after the
    observation end). Index ``cohort`` (periods of first purchase), columns ``age`` 0, 1, ...;
    age 0 holds the cohort size."""
    rates: pd.DataFrame
    """``counts`` divided by the cohort size, in [0, 1]; age 0 is 1."""
    sizes: pd.Series
    """Customers acquired in each cohort (first purchase in that period)."""
    period: str
    """Calendar period of cohorts and ages."""
    observation_end: str
    """Last day included (ISO date)."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dict of JSON-safe builtins (periods as strings)."""
        return {
            "counts": _frame_builtin(self.counts),
            "rates": _frame_builtin(self.rates),
            "sizes": _frame_builtin(self.sizes),
            "period": self.period,
            "observation_end": self.observation_end,
        }

    def _repr_html_(self) -> str:
        """Notebook view: ``period`` and ``observation_end``, then counts, rates and sizes."""
        return _html_with_tables(self)


#: Largest cohort x age table cohort_retention builds (two float tables of 400 MB each).
_MAX_COHORT_CELLS = 50_000_000


def cohort_retention(
    transactions: Any,
    /,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    period: str = "M",
    observation_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> CohortRetentionResult:
    r"""Cohort retention matrix: active customers by acquisition cohort and age.

    Customers are grouped into cohorts by the period of their first purchase; cell
    (:math:`c`, :math:`a`) counts the customers of cohort :math:`c` active (with a purchase)
    in period :math:`c + a`.

    Parameters
    ----------
    transactions
        One row per purchase (pandas DataFrame, or anything with ``to_pandas()``).
    customer, time
        Column names of the customer id and the purchase date/time.
    period
        Calendar period of cohorts and ages: ``"D"``, ``"W"``, ``"M"`` (default), ``"Q"``,
        ``"Y"``.
    observation_end
        Last day included (default: the last purchase day). Cells whose period starts after
        it are NaN.
    date_format
        Format of date strings (default: inferred from the first date, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates.

    Returns
    -------
    CohortRetentionResult
        ``counts`` (cohort x age, active customers), ``rates`` (counts / cohort size, in
        [0, 1], higher is better), ``sizes``, ``period`` and ``observation_end``. The last
        observed age of each cohort may be a partial period.

    Raises
    ------
    ValidationError
        Invalid table, unknown ``period``, no purchase in the window, or a table of more
        than 50 million cells (cohorts x periods; a coarser ``period`` is the way round).

    See Also
    --------
    churn_rate : retention between consecutive periods over the whole base.

    Notes
    -----
    With :math:`C_c` the customers whose first purchase falls in period :math:`c` and
    :math:`A_t` the customers active in period :math:`t`,

    $$n_{c,a} = |C_c \cap A_{c+a}|,\qquad r_{c,a} = n_{c,a} / |C_c| .$$

    In a non-contractual business the curve need not decrease: customers skip periods and
    come back. Cohort analysis of this kind goes back to the retention accounting of
    Reichheld and Sasser (1990); Fader and Hardie (2007) model such curves.

    References
    ----------
    Reichheld, F. F., & Sasser, W. E. (1990). Zero defections: Quality comes to services.
    *Harvard Business Review*, 68(5), 105-111.

    Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
    Interactive Marketing*, 21(1), 76-90. https://doi.org/10.1002/dir.20074

    Examples
    --------
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.metrics import cohort_retention
    >>> res = cohort_retention(load_cdnow("sample"), period="Q", observation_end="1998-06-30")
    >>> res.sizes.tolist()
    [2357]
    >>> res.rates.round(3)
    age       0      1      2      3      4      5
    cohort
    1997Q1  1.0  0.222  0.177  0.171  0.163  0.127
    """
    if _engines.is_dask(transactions):  # per customer bucket, or refused with the way round
        return _engines.on_dask(cohort_retention, locals())  # type: ignore[no-any-return]
    func = "cohort_retention"
    w, cust, per, p0, n_periods = _activity(
        transactions,
        customer=customer,
        time=time,
        period=period,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
    )
    k = len(w.entries.customers)
    # the pairs are sorted by customer then period: each customer's first pair is its cohort
    first = np.empty(per.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(cust[1:], cust[:-1], out=first[1:])
    cohort_of = np.empty(k, dtype=np.int64)
    cohort_of[cust[first]] = per[first]
    cohort = cohort_of[cust]
    age = per - cohort
    # one row per cohort that has customers (not per period of the window: a window of 60,000
    # days with four customers is 4 x 60,000 cells, not 60,000 x 60,000)
    cohorts = np.unique(cohort_of)
    n_cells = cohorts.size * n_periods
    if n_cells > _MAX_COHORT_CELLS:
        msg = (
            f"{func}: {cohorts.size} cohorts x {n_periods} periods (period={period!r}) make a "
            f"table of {n_cells:,} cells, too large to hold in memory.\nHint: pass a coarser "
            "period (e.g. period='M' or 'Q'), or an observation_end closer to the purchases."
        )
        raise ValidationError(msg)
    row = np.searchsorted(cohorts, cohort)
    cell = np.bincount(row * n_periods + age, minlength=n_cells)
    counts = cell.reshape(cohorts.size, n_periods).astype(np.float64)
    sizes = counts[:, 0].copy()
    # cohort c is observed up to age n_periods - 1 - c
    counts[cohorts[:, None] + np.arange(n_periods)[None, :] >= n_periods] = np.nan
    rates = counts / sizes[:, None]
    index = _period_index(cohorts.astype(np.int64) + p0, period, "cohort")
    columns = pd.RangeIndex(n_periods, name="age")
    return CohortRetentionResult(
        counts=pd.DataFrame(counts, index=index, columns=columns),
        rates=pd.DataFrame(rates, index=index, columns=columns),
        sizes=pd.Series(sizes.astype(np.int64), index=index, name="size"),
        period=period,
        observation_end=str(np.datetime64(w.observation_end, "D")),
    )


def _hiatus(rec: FloatArray, t_obs: FloatArray) -> FloatArray:
    """Days from the last purchase to the end of the window, ``T - t_x`` (the kernel)."""
    return np.asarray(t_obs - rec, dtype=np.float64)


def days_since_last_purchase(
    data: Any,
    /,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    observation_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.Series:
    r"""Time from each customer's last purchase to the end of the observation window.

    The recency of RFM analysis as managers read it (lower is better), and the hiatus that
    :func:`churn_flags` compares with its threshold.

    Parameters
    ----------
    data
        Transactions (one row per purchase) or a customer summary from
        :func:`custloyalty.rfm_summary` (columns ``frequency``, ``recency``, ``T``).
    customer, time
        Column names for transactions.
    observation_end
        End of the observation window for transactions (default: the last purchase day).
        A summary is already cut: only its own recorded end is accepted (another raises).
    date_format
        Format of date strings of transactions (default: inferred, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates (transactions).

    Returns
    -------
    pandas.Series
        ``days_since_last_purchase`` per customer, whole days >= 0 (float); 0 for a customer
        who bought on the last day of the window. Divide by 7 for weeks.

    Raises
    ------
    ValidationError
        Invalid table or summary.

    See Also
    --------
    churn_flags : customers whose hiatus exceeds a threshold.
    custloyalty.rfm_summary : ``recency`` there is the time from the first to the last purchase.

    Notes
    -----
    With :math:`T_i` the days from the first purchase of customer :math:`i` to the end of the
    window and :math:`t_{x,i}` the days from the first to the last purchase,

    $$h_i = T_i - t_{x,i} .$$

    References
    ----------
    Hughes, A. M. (1994). *Strategic Database Marketing*. Chicago: Probus.

    Wübben, M., & von Wangenheim, F. (2008). Instant customer base analysis: Managerial
    heuristics often "get it right". *Journal of Marketing*, 72(3), 82-93.
    https://doi.org/10.1509/jmkg.72.3.082

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import days_since_last_purchase
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2],
    ...     "date": ["2024-01-01", "2024-06-01", "2024-02-01"],
    ... })
    >>> days_since_last_purchase(tx, observation_end="2024-06-30")
    customer_id
    1     29.0
    2    150.0
    Name: days_since_last_purchase, dtype: float64
    """
    if _engines.is_dask(data):  # per customer bucket, or refused with the way round
        return _engines.on_dask(days_since_last_purchase, locals())  # type: ignore[no-any-return]
    func = "days_since_last_purchase"
    index, _, rec, t_obs = _summary_columns(
        data,
        customer=customer,
        time=time,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
    )
    return pd.Series(_hiatus(rec, t_obs), index=index, name="days_since_last_purchase")


def churn_flags(
    data: Any,
    /,
    *,
    threshold: float,
    time_unit: str = "D",
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    observation_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.Series:
    r"""Flag customers as churned after a period of inactivity.

    A customer is flagged when the time from their last purchase to the end of the
    observation window exceeds ``threshold`` -- the "hiatus" rule used by managers in
    non-contractual settings.

    Parameters
    ----------
    data
        Transactions (one row per purchase) or a customer summary from
        :func:`custloyalty.rfm_summary`.
    threshold
        Inactivity, in ``time_unit``, beyond which a customer counts as churned (> 0).
    time_unit
        Unit of ``threshold``: ``"D"`` days (default), ``"W"``, ``"M"``, ``"Q"``, ``"Y"``,
        ``"h"``.
    customer, time
        Column names for transactions.
    observation_end
        End of the observation window for transactions (default: the last purchase day).
        A summary is already cut: only its own recorded end is accepted (another raises).
    date_format
        Format of date strings (default: inferred from the first date, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates (transactions).

    Returns
    -------
    pandas.Series
        Boolean ``churned`` per customer: ``True`` when inactive for longer than
        ``threshold``. Its mean is the inactivity churn rate of the base.

    Raises
    ------
    ValidationError
        Invalid table or summary, unknown unit, or ``threshold`` not > 0.

    See Also
    --------
    survival_curve : lifetimes built on these flags.
    churn_rate : period-to-period churn.

    Notes
    -----
    With :math:`T_i - t_{x,i}` the days from the last purchase to the observation end and
    :math:`\tau` the threshold in days,

    $$\text{churned}_i = \mathbf{1}[T_i - t_{x,i} > \tau].$$

    Wübben and von Wangenheim (2008) show that such hiatus rules (e.g. nine months without a
    purchase) classify customers about as well as the Pareto/NBD and BG/NBD models.

    References
    ----------
    Wübben, M., & von Wangenheim, F. (2008). Instant customer base analysis: Managerial
    heuristics often "get it right". *Journal of Marketing*, 72(3), 82-93.
    https://doi.org/10.1509/jmkg.72.3.082

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import churn_flags
    >>> tx = pd.DataFrame({
    ...     "customer_id": [1, 1, 2],
    ...     "date": ["2024-01-01", "2024-06-01", "2024-02-01"],
    ... })
    >>> churn_flags(tx, threshold=3, time_unit="M", observation_end="2024-06-30")
    customer_id
    1    False
    2     True
    Name: churned, dtype: bool
    """
    if _engines.is_dask(data):  # per customer bucket, or refused with the way round
        return _engines.on_dask(churn_flags, locals())  # type: ignore[no-any-return]
    func = "churn_flags"
    check_option(time_unit, "time_unit", tuple(TIME_UNITS), func=func)
    tau = check_positive(threshold, "threshold", func=func) * TIME_UNITS[time_unit]
    index, _, rec, t_obs = _summary_columns(
        data,
        customer=customer,
        time=time,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
    )
    return pd.Series(_hiatus(rec, t_obs) > tau, index=index, name="churned")


@dataclass(frozen=True, slots=True)
class SurvivalResult(Result):
    """Kaplan-Meier survival curve of customer lifetimes with its confidence band."""

    table: pd.DataFrame
    """One row per distinct lifetime: ``time``, ``survival``, ``ci_low``, ``ci_high``,
    ``at_risk`` (lifetimes >= time), ``events`` (churned customers with this lifetime)."""
    median: float
    """Median lifetime (first time with survival <= 0.5); NaN if the curve stays above."""
    median_ci: tuple[float, float]
    """Median of the band's lower and upper curves (NaN where they stay above 0.5)."""
    n_customers: int
    """Customers in the curve."""
    n_events: int
    """Customers flagged churned (observed lifetimes)."""
    n_censored: int
    """Customers still active (lifetimes censored at the observation end)."""
    time_unit: str
    """Unit of ``time`` and ``median``."""
    confidence: float
    """Confidence level of the band."""
    ci_method: str
    """Band method: ``"linear"`` (Greenwood) or ``"log-log"``."""

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dict of JSON-safe builtins."""
        out = to_builtin({f: getattr(self, f) for f in self.__dataclass_fields__})
        assert isinstance(out, dict)
        return out

    def _repr_html_(self) -> str:
        """Notebook view: the scalar fields, then the survival table (first and last rows)."""
        return _html_with_tables(self)


def _median_time(time: FloatArray, surv: FloatArray) -> float:
    below = np.flatnonzero(surv <= 0.5)
    return float(time[below[0]]) if below.size else float("nan")


def survival_curve(
    data: Any,
    /,
    *,
    threshold: float,
    time_unit: str = "D",
    confidence: float = 0.95,
    ci_method: str = "linear",
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    observation_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> SurvivalResult:
    r"""Kaplan-Meier survival curve of customer lifetimes, with right censoring.

    A customer's *lifetime* is the time from the first to the last purchase when they are
    flagged churned (inactive for longer than ``threshold``, see :func:`churn_flags`); for
    customers still active it is right-censored at the observation end (known only to exceed
    the time from the first purchase to the end of the window). The product-limit estimator
    turns these into the share of customers still alive after each time.

    Parameters
    ----------
    data
        Transactions (one row per purchase) or a customer summary from
        :func:`custloyalty.rfm_summary`.
    threshold
        Inactivity (in ``time_unit``) beyond which a customer counts as churned (> 0).
    time_unit
        Unit of ``threshold`` and of the lifetimes: ``"D"`` (default), ``"W"``, ``"M"``,
        ``"Q"``, ``"Y"``, ``"h"``.
    confidence
        Confidence level of the pointwise band, in (0, 1); default 0.95.
    ci_method
        ``"linear"`` (default; Greenwood's variance, clipped to [0, 1]) or ``"log-log"``
        (Kalbfleisch and Prentice; stays inside [0, 1]).
    customer, time
        Column names for transactions.
    observation_end
        End of the observation window for transactions (default: the last purchase day).
        A summary is already cut: only its own recorded end is accepted (another raises).
    date_format
        Format of date strings (default: inferred from the first date, see
        :func:`custloyalty.rfm_summary`).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing ids or dates (transactions).

    Returns
    -------
    SurvivalResult
        ``table`` (``time``, ``survival`` in [0, 1] non-increasing, ``ci_low``, ``ci_high``,
        ``at_risk``, ``events``), ``median`` lifetime and its band, counts of events and
        censored customers.

    Raises
    ------
    ValidationError
        Invalid input or options, as for :func:`churn_flags`, or ``confidence`` outside
        (0, 1).

    See Also
    --------
    churn_flags : the churn definition used for the events.
    scipy.stats.ecdf : the estimator used.

    Notes
    -----
    With distinct event times :math:`t_1 < t_2 < \dots`, :math:`d_j` churned customers with
    lifetime :math:`t_j` and :math:`n_j` customers whose lifetime (observed or censored) is at
    least :math:`t_j`, the Kaplan-Meier estimator and Greenwood's variance are

    $$\hat S(t) = \prod_{t_j \le t}\Bigl(1 - \frac{d_j}{n_j}\Bigr),\qquad
    \widehat{\mathrm{Var}}\,\hat S(t) = \hat S(t)^2 \sum_{t_j \le t}
    \frac{d_j}{n_j (n_j - d_j)} .$$

    One-time buyers flagged churned have lifetime 0, so :math:`\hat S(0) < 1` is the share of
    customers who bought again or are still recent. The churn definition makes the lifetime
    end at the last purchase, which precedes the (unobserved) moment of defection; the curve
    is a descriptive heuristic, not the BG/NBD or Pareto/NBD dropout process.

    References
    ----------
    Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete observations.
    *Journal of the American Statistical Association*, 53(282), 457-481.
    https://doi.org/10.1080/01621459.1958.10501452

    Greenwood, M. (1926). The natural duration of cancer. *Reports on Public Health and
    Medical Subjects*, 33, 1-26.

    Examples
    --------
    >>> from custloyalty import rfm_summary
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.metrics import survival_curve
    >>> s = rfm_summary(load_cdnow("sample"), observation_end="1998-06-30")
    >>> res = survival_curve(s, threshold=26, time_unit="W")
    >>> res.n_events, res.n_censored
    (1840, 517)
    >>> res.table.iloc[0]  # 1,218 one-time buyers churned: lifetime 0
    time           0.000000
    survival       0.483241
    ci_low         0.463067
    ci_high        0.503416
    at_risk     2357.000000
    events      1218.000000
    Name: 0, dtype: float64
    >>> res.median  # more than half of the customers never came back
    0.0
    """
    if _engines.is_dask(data):  # per customer bucket, or refused with the way round
        return _engines.on_dask(survival_curve, locals())  # type: ignore[no-any-return]
    func = "survival_curve"
    check_option(time_unit, "time_unit", tuple(TIME_UNITS), func=func)
    check_option(ci_method, "ci_method", ("linear", "log-log"), func=func)
    conf = check_probability(confidence, "confidence", func=func)
    unit = TIME_UNITS[time_unit]
    tau = check_positive(threshold, "threshold", func=func) * unit
    _, _, rec, t_obs = _summary_columns(
        data,
        customer=customer,
        time=time,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
    )
    churned = (t_obs - rec) > tau
    duration = np.where(churned, rec, t_obs) / unit
    observed = duration[churned]
    censored = duration[~churned]
    n_events = int(observed.shape[0])
    n = int(duration.shape[0])
    if n_events == 0:
        # nobody churned: the curve stays at 1 (scipy needs at least one event)
        times = np.unique(duration)
        surv = np.ones_like(times)
        low = high = surv
    else:
        res = stats.ecdf(stats.CensoredData(uncensored=observed, right=censored))
        times = res.sf.quantiles
        surv = res.sf.probabilities
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            # scipy warns where the variance is undefined (the last point when everyone left)
            warnings.simplefilter("ignore", RuntimeWarning)
            band: Any = res.sf.confidence_interval(
                confidence_level=conf, method="linear" if ci_method == "linear" else "log-log"
            )
        low = band.low.probabilities
        high = band.high.probabilities
        low = np.where(np.isnan(low), surv, low)
        high = np.where(np.isnan(high), surv, high)
    sorted_all = np.sort(duration)
    at_risk = n - np.searchsorted(sorted_all, times, side="left")
    events = np.searchsorted(np.sort(observed), times, side="right") - np.searchsorted(
        np.sort(observed), times, side="left"
    )
    table = pd.DataFrame(
        {
            "time": times,
            "survival": surv,
            "ci_low": low,
            "ci_high": high,
            "at_risk": at_risk.astype(np.int64),
            "events": events.astype(np.int64),
        }
    )
    return SurvivalResult(
        table=table,
        median=_median_time(times, surv),
        median_ci=(_median_time(times, low), _median_time(times, high)),
        n_customers=n,
        n_events=n_events,
        n_censored=n - n_events,
        time_unit=time_unit,
        confidence=conf,
        ci_method=ci_method,
    )

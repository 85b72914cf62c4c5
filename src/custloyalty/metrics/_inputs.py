"""The inputs a metric receives: one place that builds them from raw tables.

Every registered metric (built-in or plugin) is called with some of :data:`INPUTS`: the customer
``summary`` (:func:`custloyalty.rfm_summary` in days), the validated ``transactions``, the
``surveys`` table and the ``observation_end`` timestamp. :func:`metric_inputs` builds them
exactly as :class:`~custloyalty.scorecard.LoyaltyScorecard` does, so a plugin author can call a
metric the way the scorecard will, and :func:`custloyalty.testing.check_metric` can test it.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from custloyalty import _frames
from custloyalty._window import Window, observe
from custloyalty.errors import ValidationError
from custloyalty.metrics._params import check_flag
from custloyalty.summary import rfm_summary

__all__ = ["MetricInputs", "metric_inputs"]

#: Column name of the customer id in the ``surveys`` input, whatever it was called on input.
SURVEY_CUSTOMER = "customer_id"


@dataclass(frozen=True, slots=True)
class MetricInputs:
    """Inputs for metrics, built by :func:`metric_inputs`.

    Attributes
    ----------
    summary
        Per-customer table of :func:`custloyalty.rfm_summary` with durations in days.
    transactions
        Validated transactions up to ``observation_end`` with canonical columns
        ``customer_id``, ``date``, ``amount`` plus the table's other columns (``None`` when not
        requested).
    surveys
        Survey answers with the customer column renamed ``customer_id`` (``None`` without
        surveys).
    interactions
        Interactions (contacts, e-mails, visits...) with the customer column renamed
        ``customer_id`` (``None`` without interactions).
    observation_end
        End of the observation window.
    unmatched_answers
        Number of survey rows whose customer id matches no customer of the summary.
    """

    summary: pd.DataFrame
    transactions: pd.DataFrame | None
    surveys: pd.DataFrame | None
    observation_end: pd.Timestamp
    unmatched_answers: int
    interactions: pd.DataFrame | None = None
    window: Window | None = None
    """The validated transaction window behind ``summary`` (rows cut, rows omitted)."""

    def as_dict(self) -> dict[str, Any]:
        """Return the inputs by name, as :meth:`custloyalty.metrics.Metric.compute` takes them."""
        return {
            "summary": self.summary,
            "transactions": self.transactions,
            "surveys": self.surveys,
            "interactions": self.interactions,
            "observation_end": self.observation_end,
        }


def metric_inputs(
    transactions: Any,
    surveys: Any = None,
    *,
    observation_end: Any = None,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    amount: Hashable = "amount",
    survey_customer: Hashable = "customer_id",
    interactions: Any = None,
    interaction_customer: Hashable = "customer_id",
    date_format: str | None = None,
    nan_policy: str = "raise",
    with_transactions: bool = True,
    func: str = "metric_inputs",
) -> MetricInputs:
    """Build the inputs a metric receives from raw transactions (and surveys).

    Parameters
    ----------
    transactions
        One row per purchase with the ``customer``, ``time`` and ``amount`` columns (any other
        columns, such as ``quantity``, are passed on to metrics that ask for ``transactions``).
        They are validated once, into the transaction window behind the ``summary``; only
        the row-level ``transactions`` input (built when a metric asks for it) reads the rows
        again.
    surveys
        Optional survey answers, one row per answer, with a ``survey_customer`` column.
    observation_end
        End of the observation window (default: the last purchase day); later transactions
        are left out.
    customer, time, amount
        Column names in ``transactions``.
    survey_customer
        Customer id column in ``surveys``.
    interactions
        Optional interactions table, one row per contact, with an ``interaction_customer``
        column.
    interaction_customer
        Customer id column in ``interactions``.
    date_format
        Explicit format of the transactions' date column (any :func:`pandas.to_datetime`
        format); default: inferred.
    nan_policy
        ``"raise"`` (default) on missing customer ids, dates or amounts, or ``"omit"`` the
        rows that have them.
    with_transactions
        Whether to build the validated ``transactions`` input (skip it when no metric asks for
        it: it costs a copy of the table).
    func
        Name used in error messages.

    Returns
    -------
    MetricInputs

    Raises
    ------
    ValidationError
        Invalid transactions or surveys (see :func:`custloyalty.rfm_summary`).

    Examples
    --------
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.metrics import get, metric_inputs
    >>> inputs = metric_inputs(load_cdnow("sample"), observation_end="1997-09-30")
    >>> get("frequency").compute(inputs.as_dict()).loc[1]
    np.float64(3.0)
    """
    with_transactions = check_flag(with_transactions, "with_transactions", func=func)
    # one validation of the transactions: the window (customer-day aggregates) flows on
    # to rfm_summary without being checked again
    window = observe(
        transactions,
        customer=customer,
        time=time,
        amount=amount,
        observation_end=observation_end,
        date_format=date_format,
        nan_policy=nan_policy,
        func=func,
        keep_rows=with_transactions,
    )
    summary = rfm_summary(window, time_unit="D")
    end = pd.Timestamp(summary.attrs["custloyalty"]["observation_end"])
    survey_frame = None
    unmatched = 0
    if surveys is not None:
        sv = _frames.as_frame(surveys, name="surveys")
        _frames.require_columns(sv, [survey_customer], name="surveys")
        ids = sv[survey_customer]
        _frames.check_ids(ids, survey_customer)
        survey_frame = sv.rename(columns={survey_customer: SURVEY_CUSTOMER})
        unmatched = int((~_frames.in_index(ids, summary.index)).sum())
    interaction_frame = None
    if interactions is not None:
        it = _frames.as_frame(interactions, name="interactions")
        _frames.require_columns(it, [interaction_customer], name="interactions")
        _frames.check_ids(it[interaction_customer], interaction_customer)
        interaction_frame = it.rename(columns={interaction_customer: SURVEY_CUSTOMER})
    tx = None
    if with_transactions:
        # row-level table, only for metrics that ask for ``transactions``: the rows the
        # window validated (not read again)
        tx = _window_rows(window, func)
    return MetricInputs(summary, tx, survey_frame, end, unmatched, interaction_frame, window)


def _window_rows(window: Window, func: str) -> pd.DataFrame:
    """Return the validated rows of the window: canonical columns, then the table's others."""
    rows = window.rows
    if rows is None:
        msg = (
            f"{func}: a metric asks for the row-level transactions, but the transaction window "
            "passed in was built without its rows.\n"
            "Hint: pass the transactions table itself."
        )
        raise ValidationError(msg)
    return rows.reset_index(drop=True)

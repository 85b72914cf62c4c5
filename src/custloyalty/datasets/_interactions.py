"""Seeded generator of customer interactions (contacts, e-mails, visits, complaints)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._validation import check_positive, check_seed
from custloyalty.datasets._synthetic import _check_count, _check_size, _id_pool, _origin
from custloyalty.errors import ValidationError

__all__ = ["make_interactions"]

IntArray = npt.NDArray[np.int64]
_FUNC = "make_interactions"

# kinds of customer-initiated interactions, their channels and shares
_OTHER_KINDS = np.array(
    ["visit", "visit", "app_session", "service_contact", "complaint", "review", "social"]
)
_OTHER_CHANNELS = np.array(["web", "store", "app", "phone", "phone", "web", "social"])
_OTHER_SHARES = np.array([0.30, 0.15, 0.30, 0.12, 0.04, 0.04, 0.05])


def make_interactions(
    n_customers: int | None = None,
    *,
    seed: int | None = None,
    customer_ids: Any = None,
    start: str = "2020-01-01",
    days: int = 365,
    mean_interactions: float = 20.0,
    heterogeneity: float = 1.0,
) -> pd.DataFrame:
    r"""Generate an interactions table: e-mails sent, opened and clicked, visits, contacts.

    Each customer has an engagement level $e_i \sim \mathrm{Gamma}(k, \bar e / k)$ ($\bar e$ =
    ``mean_interactions``, $k$ = ``heterogeneity``). The company sends
    $\mathrm{Poisson}(e_i / 2)$ e-mails (outbound); the customer opens each with probability
    $p_i \sim \mathrm{Beta}(2, 3)$ and clicks an opened one with probability $0.3$. The customer
    starts $\mathrm{Poisson}(e_i / 2)$ further interactions (inbound): web and store visits, app
    sessions, service contacts, complaints, reviews and social posts. Service contacts and
    complaints are resolved after an exponential time with mean 2 days (10 % stay open:
    ``resolved_at`` is missing). Dates are uniform over the ``days`` from ``start``; opens and
    clicks follow their e-mail within a day.

    Parameters
    ----------
    n_customers
        Number of customers (ids 1..n_customers); or give ``customer_ids``.
    seed
        Seed of :func:`numpy.random.default_rng`, a non-negative integer; ``None`` draws fresh
        entropy.
    customer_ids
        Ids to use instead of ``1..n_customers``, e.g. ``tx["customer_id"].unique()`` to pair
        the interactions with a transaction table.
    start
        First day.
    days
        Length of the period (default 365).
    mean_interactions
        Mean number of interactions per customer over the period (default 20).
    heterogeneity
        Shape of the Gamma distribution of engagement levels (smaller = more unequal).

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``date``, ``channel`` (email, web, store, app, phone, social),
        ``kind`` (email_sent, email_open, click, visit, app_session, service_contact,
        complaint, review, social), ``direction`` (inbound / outbound) and ``resolved_at``
        (service contacts and complaints), sorted by date.

    Raises
    ------
    ValidationError
        Neither or both of ``n_customers`` and ``customer_ids``; non-positive sizes;
        ``customer_ids`` holding lists or dicts or missing ids; more than 200 million
        expected interactions (customers x ``mean_interactions`` x 2).

    Examples
    --------
    >>> from custloyalty.datasets import make_interactions
    >>> df = make_interactions(200, seed=1)
    >>> df.columns.tolist()
    ['customer_id', 'date', 'channel', 'kind', 'direction', 'resolved_at']
    >>> bool((df.loc[df["kind"] == "email_sent", "direction"] == "outbound").all())
    True
    """
    if (n_customers is None) == (customer_ids is None):
        msg = f"{_FUNC} needs exactly one of n_customers and customer_ids."
        raise ValidationError(msg)
    if customer_ids is not None:
        _id_pool(customer_ids, _FUNC)  # one-dimensional scalars (no lists or dicts as ids)
        ids = pd.Index(customer_ids).unique()
        if len(ids) == 0 or ids.hasnans:
            msg = f"The 'customer_ids' of {_FUNC} must be non-empty and without missing ids."
            raise ValidationError(msg)
    else:
        ids = pd.RangeIndex(1, _check_count(n_customers, "n_customers", _FUNC) + 1)
    n = len(ids)
    length = _check_count(days, "days", _FUNC)
    mean = check_positive(mean_interactions, "mean_interactions", func=_FUNC)
    shape = check_positive(heterogeneity, "heterogeneity", func=_FUNC)
    _check_size(
        n * mean * 2.0,
        "interactions",
        _FUNC,
        "use fewer customers or a smaller mean_interactions.",
    )
    origin = _origin(start, length + 2, _FUNC)
    rng = np.random.default_rng(check_seed(seed, func=_FUNC))

    level = rng.gamma(shape, mean / shape, size=n)
    p_open = rng.beta(2.0, 3.0, size=n)
    # e-mails: sent (outbound), then opened, then clicked
    n_sent = rng.poisson(level / 2.0)
    sent_owner = np.repeat(np.arange(n, dtype=np.int64), n_sent)
    sent_time = rng.random(sent_owner.size) * length
    opened = rng.random(sent_owner.size) < p_open[sent_owner]
    clicked = opened & (rng.random(sent_owner.size) < 0.3)
    open_time = sent_time[opened] + rng.random(int(opened.sum()))
    click_time = sent_time[clicked] + 1.0 + rng.random(int(clicked.sum())) * 0.5
    # customer-initiated interactions
    n_other = rng.poisson(level / 2.0)
    other_owner = np.repeat(np.arange(n, dtype=np.int64), n_other)
    pick = rng.choice(_OTHER_KINDS.size, size=other_owner.size, p=_OTHER_SHARES)
    other_time = rng.random(other_owner.size) * length

    owner = np.concatenate([sent_owner, sent_owner[opened], sent_owner[clicked], other_owner])
    when = np.concatenate([sent_time, open_time, click_time, other_time])
    kind = np.concatenate(
        [
            np.full(sent_owner.size, "email_sent"),
            np.full(int(opened.sum()), "email_open"),
            np.full(int(clicked.sum()), "click"),
            _OTHER_KINDS[pick],
        ]
    )
    channel = np.concatenate(
        [
            np.full(sent_owner.size + int(opened.sum()) + int(clicked.sum()), "email"),
            _OTHER_CHANNELS[pick],
        ]
    )
    direction = np.where(kind == "email_sent", "outbound", "inbound")
    case = (kind == "service_contact") | (kind == "complaint")
    resolve = rng.exponential(2.0, size=kind.size)
    still_open = rng.random(kind.size) < 0.1
    seconds = np.round(when * 86_400).astype(np.int64)
    stamp = origin.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    res_seconds = seconds + np.round(resolve * 86_400).astype(np.int64)
    resolved = origin.astype("datetime64[s]") + res_seconds.astype("timedelta64[s]")
    order = np.lexsort((owner, seconds))
    out = pd.DataFrame(
        {
            "customer_id": ids.to_numpy()[owner[order]],
            "date": pd.to_datetime(stamp[order]).astype("datetime64[ns]"),
            "channel": channel[order],
            "kind": kind[order],
            "direction": direction[order],
            "resolved_at": pd.to_datetime(
                np.where((case & ~still_open)[order], resolved[order], np.datetime64("NaT"))
            ).astype("datetime64[ns]"),
        }
    )
    return out.reset_index(drop=True)

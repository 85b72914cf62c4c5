"""Seeded generator of a loyalty programme with a known effect and self-selected members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._frames import coerce_timestamp
from custloyalty._results import Result
from custloyalty._validation import check_positive, check_probability, check_seed, refuse_bools
from custloyalty.datasets._synthetic import MAX_AMOUNT, _check_count, _origin
from custloyalty.errors import ValidationError

__all__ = ["ProgrammeData", "make_programme"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_FUNC = "make_programme"


@dataclass(frozen=True, slots=True)
class ProgrammeData(Result):
    """Transactions of a simulated loyalty programme, its members and the true effects."""

    transactions: pd.DataFrame
    """One row per purchase: ``customer_id``, ``date``, ``amount``."""
    members: pd.Index
    """Ids of the customers who joined the programme at ``launch``."""
    launch: pd.Timestamp
    """Day the programme started (first day of the post window)."""
    observation_end: pd.Timestamp
    """Last day of the generated data."""
    pre_days: int
    """Length of the generated pre window, in days (history before ``launch``)."""
    true_effect: dict[str, float]
    """The effect built into the data: ``frequency`` (purchase days per 30 days) and
    ``spend`` (currency per 30 days), both average effects on the members."""


def _purchase_days(
    rng: np.random.Generator, prob: FloatArray, start: IntArray, stop: int
) -> tuple[IntArray, IntArray]:
    """Days in ``[start[i], stop)`` on which customer ``i`` buys, each with probability ``prob[i]``.

    A Bernoulli process per customer, drawn as geometric gaps between purchase days: the loop
    runs over the purchases of the heaviest buyer, vectorised over customers.
    Returns the customer position and the day of every purchase day.
    """
    owners: list[IntArray] = []
    days: list[IntArray] = []
    idx = np.flatnonzero(prob > 0).astype(np.int64)
    pos = start[idx] - 1
    while idx.size:
        pos = pos + rng.geometric(prob[idx])
        inside = pos < stop
        idx, pos = idx[inside], pos[inside]
        owners.append(idx)
        days.append(pos)
    if not owners:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(owners), np.concatenate(days)


def make_programme(
    n_customers: int,
    *,
    lift: float,
    seed: int | None = None,
    launch: Any = "2024-01-01",
    pre_days: int = 180,
    post_days: int = 180,
    purchase_rate: float = 1.0,
    heterogeneity: float = 2.0,
    member_share: float = 0.3,
    selection: float = 1.5,
    trend: float = 0.1,
    mean_spend: float = 40.0,
) -> ProgrammeData:
    r"""Simulate a loyalty programme whose members self-select, with a known effect.

    Every customer first buys before the history starts (``2 * pre_days`` days before
    ``launch``), then buys at a constant rate $\lambda_i \sim
    \mathrm{Gamma}(k, \bar\lambda / k)$ purchase days per 30 days ($\bar\lambda$ =
    ``purchase_rate``, $k$ = ``heterogeneity``). Customers join the programme with probability
    $\operatorname{logit}^{-1}(\operatorname{logit}(\pi) + s\,(\log\lambda_i -
    \overline{\log\lambda}))$ ($\pi$ = ``member_share``, $s$ = ``selection``): heavy buyers
    join more often, so members buy more than non-members before the programme exists. From
    ``launch`` on, everybody's rate moves by ``trend`` and the members' by ``lift`` more, in
    purchase days per 30 days. Each day is a purchase day with probability $\lambda_i / 30$
    (a Bernoulli process, capped at 1). Every purchase costs $\mathrm{Gamma}(4, \bar m / 4)$,
    with mean $\bar m$ = ``mean_spend``, independently of everything else.

    The average effect on the members is therefore exactly ``lift`` purchase days per 30 days
    and ``lift * mean_spend`` per 30 days of spend (``true_effect``); the members'
    post-launch advantage over non-members is much larger, because of self-selection.

    Parameters
    ----------
    n_customers
        Number of customers (ids 1..n_customers).
    lift
        Change of the members' purchase rate caused by the programme, in purchase days per 30
        days (may be 0 or negative as long as rates stay >= 0).
    seed
        Seed of :func:`numpy.random.default_rng`, a non-negative integer; ``None`` draws fresh
        entropy.
    launch
        Day the programme starts.
    pre_days, post_days
        Days of history before ``launch`` (the data start ``2 * pre_days`` days before it,
        so the retention comparison of :func:`custloyalty.programme.programme_effect` has a
        baseline) and days after it (``observation_end`` is the last).
    purchase_rate
        Mean purchase rate before the programme, purchase days per 30 days (default 1).
    heterogeneity
        Shape $k$ of the Gamma distribution of rates (smaller = more heterogeneous).
    member_share
        Approximate share of customers who join, in (0, 1).
    selection
        Strength of self-selection: log-odds of joining per unit of log purchase rate
        (0 = members are a random sample).
    trend
        Change of everybody's purchase rate after ``launch`` (purchase days per 30 days).
    mean_spend
        Mean amount of a purchase.

    Returns
    -------
    ProgrammeData
        ``transactions`` (``customer_id``, ``date``, ``amount``, sorted by date),
        ``members``, ``launch``, ``observation_end``, ``pre_days`` and ``true_effect``.

    Raises
    ------
    ValidationError
        Non-positive sizes or rates, a share outside (0, 1), a ``mean_spend`` above 1e12, or
        a ``lift`` / ``trend`` that makes a purchase rate negative.

    Examples
    --------
    >>> from custloyalty.datasets import make_programme
    >>> data = make_programme(500, lift=0.3, seed=1)
    >>> data.transactions.columns.tolist()
    ['customer_id', 'date', 'amount']
    >>> data.true_effect
    {'frequency': 0.3, 'spend': 12.0}
    >>> str(data.launch.date()), str(data.observation_end.date())
    ('2024-01-01', '2024-06-28')
    """
    n = _check_count(n_customers, "n_customers", _FUNC)
    pre = _check_count(pre_days, "pre_days", _FUNC)
    post = _check_count(post_days, "post_days", _FUNC)
    rate = check_positive(purchase_rate, "purchase_rate", func=_FUNC)
    shape = check_positive(heterogeneity, "heterogeneity", func=_FUNC)
    share = check_probability(member_share, "member_share", func=_FUNC)
    spend = check_positive(mean_spend, "mean_spend", func=_FUNC)
    if spend > MAX_AMOUNT:  # the gamma draws and their sums would overflow
        msg = (
            f"The 'mean_spend' parameter of {_FUNC} must be at most {MAX_AMOUNT:.0e}; got "
            f"{mean_spend!r}."
        )
        raise ValidationError(msg)
    for name, value in (("lift", lift), ("trend", trend), ("selection", selection)):
        refuse_bools(value, name, func=_FUNC)
    sel = float(selection)
    effect, drift = float(lift), float(trend)
    if not (np.isfinite(sel) and np.isfinite(effect) and np.isfinite(drift)):
        msg = f"The 'lift', 'trend' and 'selection' parameters of {_FUNC} must be finite."
        raise ValidationError(msg)
    launch_ts = coerce_timestamp(launch, "launch", func=_FUNC).normalize()
    history = 2 * pre
    acquisition = 30
    start = _origin(
        launch_ts - pd.Timedelta(days=history + acquisition), history + 31 + post, _FUNC
    )
    rng = np.random.default_rng(check_seed(seed, func=_FUNC))

    lam = rng.gamma(shape, rate / shape, size=n)  # purchase days per 30 days
    log_lam = np.log(np.maximum(lam, 1e-12))
    logit = np.log(share / (1 - share)) + sel * (log_lam - log_lam.mean())
    member = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    lam_post = lam + drift + effect * member
    if (lam_post < 0).any():
        msg = (
            f"The 'lift' ({effect:g}) and 'trend' ({drift:g}) of {_FUNC} make the purchase rate "
            f"of {int((lam_post < 0).sum())} customers negative.\nHint: use a smaller decrease "
            "or a larger purchase_rate."
        )
        raise ValidationError(msg)

    # acquisition day in the 30 days before the history, then two segments of constant rate
    first = rng.integers(0, acquisition, size=n)
    cut = acquisition + history  # day number of launch
    own_a, day_a = _purchase_days(rng, np.minimum(lam / 30.0, 1.0), first + 1, cut)
    own_b, day_b = _purchase_days(
        rng, np.minimum(lam_post / 30.0, 1.0), np.full(n, cut, dtype=np.int64), cut + post
    )
    owner = np.concatenate([np.arange(n, dtype=np.int64), own_a, own_b])
    day = np.concatenate([first.astype(np.int64), day_a, day_b])
    amount = rng.gamma(4.0, spend / 4.0, size=owner.size).round(2)
    order = np.lexsort((owner, day))
    dates = start + day[order].astype("timedelta64[D]")
    tx = pd.DataFrame(
        {
            "customer_id": owner[order] + 1,
            "date": pd.to_datetime(dates).astype("datetime64[ns]"),
            "amount": amount[order],
        }
    )
    ids = pd.Index(np.flatnonzero(member) + 1, name="customer_id")
    return ProgrammeData(
        transactions=tx,
        members=ids,
        launch=launch_ts,
        observation_end=launch_ts + pd.Timedelta(days=post - 1),
        pre_days=pre,
        true_effect={"frequency": effect, "spend": effect * spend},
    )

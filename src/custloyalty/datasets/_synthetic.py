"""Seeded synthetic generators for transactions and surveys (vectorised, no Python loops)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._frames import coerce_timestamp
from custloyalty._validation import check_option, check_positive, check_seed
from custloyalty.errors import ValidationError

__all__ = ["make_survey", "make_transactions"]


def _check_count(n: Any, name: str, func: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        msg = f"The {name!r} parameter of {func} must be a positive integer; got {n!r}."
        raise ValidationError(msg)
    return int(n)


#: Most rows (or cells) a generator builds: beyond, the request is refused up front rather than
#: failing with MemoryError (or numpy's "lam value too large") after minutes of work.
MAX_ROWS = 200_000_000


#: Largest amount of one generated purchase (beyond, quantities overflow the Poisson sampler).
MAX_AMOUNT = 1e12


def _check_size(expected: float, what: str, func: str, hint: str) -> None:
    """Refuse a request whose expected output exceeds :data:`MAX_ROWS`."""
    if not expected <= MAX_ROWS:  # NaN too
        msg = (
            f"{func} would generate about {expected:.3g} {what}; at most {MAX_ROWS:,} are "
            f"supported in memory.\nHint: {hint}"
        )
        raise ValidationError(msg)


def _id_pool(customer_ids: Any, func: str) -> Any:
    """Distinct customer ids to draw from: one-dimensional scalars, missing ones dropped."""
    try:
        values = np.asarray(customer_ids)
        if values.ndim != 1 or values.dtype == object:  # ragged lists, dicts, nested ids
            values = pd.Series(customer_ids).to_numpy()
            if values.ndim != 1 or any(isinstance(v, list | dict | set) for v in values):
                raise ValueError
        kept = pd.Series(values).dropna()
        whole = kept.dtype.kind == "f" and kept.size and (kept == np.floor(kept)).all()
        if whole and kept.abs().max() < 2**53:
            # integer ids read as floats because of a missing one: integers again
            kept = kept.astype(np.int64)
        return np.asarray(kept.unique())
    except (TypeError, ValueError):
        msg = (
            f"customer_ids passed to {func} must be a one-dimensional sequence of scalar ids "
            f"(numbers or strings); got {type(customer_ids).__name__}."
        )
        raise ValidationError(msg) from None


def _origin(start: Any, days: int, func: str) -> np.datetime64:
    """First day of the generated dates; all ``days`` days must fit in ``datetime64[ns]``."""
    ts = coerce_timestamp(start, "start", func=func).normalize()
    lo, hi = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")
    if ts < lo or (hi - ts).days < days - 1:
        msg = (
            f"The dates of {func} ({days} days from start={start!r}) do not fit in "
            f"datetime64[ns], which spans {lo.date()} to {hi.date()}."
        )
        raise ValidationError(msg)
    return np.datetime64(ts.date(), "D")


def make_transactions(
    n_customers: int,
    *,
    seed: int | None = None,
    start: str = "2020-01-01",
    acquisition_days: int = 84,
    observation_days: int = 546,
    r: float = 0.243,
    alpha: float = 4.414,
    a: float = 0.793,
    b: float = 2.426,
    p: float = 6.25,
    q: float = 3.744,
    gamma: float = 15.444,
    order: str = "time",
) -> pd.DataFrame:
    r"""Generate transactions from the BG/NBD purchase process with Gamma-Gamma spend.

    Each customer makes a first purchase on a day drawn uniformly from the acquisition window,
    then repeat purchases as a Poisson process with rate :math:`\lambda \sim
    \mathrm{Gamma}(r, \alpha)` (per week) while alive; after every repeat purchase they drop out
    with probability :math:`p_i \sim \mathrm{Beta}(a, b)`. Every purchase's amount is
    :math:`\mathrm{Gamma}(p, \nu_i)` with :math:`\nu_i \sim \mathrm{Gamma}(q, \gamma)`. The
    defaults are the published CDNOW estimates, so the data look like CDNOW (about three
    transactions per customer over 78 weeks, a long-tailed spend distribution).

    The generation is vectorised end to end and its memory use is linear in the number of rows,
    so it produces 10^8 rows (about 34 million customers with the defaults) on one machine.

    Parameters
    ----------
    n_customers
        Number of customers (ids 1..n_customers).
    seed
        Seed of :func:`numpy.random.default_rng` (a non-negative integer, or ``None``); the same
        seed gives the same data.
        ``None`` (default) draws fresh entropy: pass an int for a reproducible data set.
    start
        First day of the acquisition window.
    acquisition_days
        Length of the window in which first purchases happen (default 84 days, 12 weeks).
    observation_days
        Length of the whole observation period from ``start`` (default 546 days, 78 weeks).
    r, alpha
        Gamma heterogeneity of the weekly purchase rate (CDNOW: 0.243, 4.414).
    a, b
        Beta heterogeneity of the dropout probability (CDNOW: 0.793, 2.426).
    p, q, gamma
        Gamma-Gamma spend parameters (CDNOW: 6.25, 3.744, 15.444).
    order
        Row order: ``"time"`` (by date, as a transaction log; default), ``"customer"`` (by
        customer then date) or ``"random"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` (int64), ``date`` (datetime64[ns]), ``quantity`` (int64) and
        ``amount`` (float64, rounded to cents, > 0).

    Raises
    ------
    ValidationError
        Non-positive counts or parameters, ``acquisition_days > observation_days``, a
        ``start`` that is not a (naive) date, an observation period that does not fit in
        ``datetime64[ns]`` (which ends in 2262), or parameters whose expected number of
        transactions, :math:`n (1 + r / \alpha \cdot \text{observation\_days} / 7)`, exceeds
        :data:`MAX_ROWS` (200 million), or spend parameters ``p``, ``q``, ``gamma`` that draw
        an amount beyond :data:`MAX_AMOUNT` (1e12) or an infinite one (a tiny ``q``).

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way:
    An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    Fader, P. S., & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
    http://www.brucehardie.com/notes/025/

    Examples
    --------
    >>> from custloyalty.datasets import make_transactions
    >>> tx = make_transactions(1000, seed=1)
    >>> tx["customer_id"].nunique()
    1000
    >>> bool((tx["amount"] > 0).all())
    True
    >>> make_transactions(1000, seed=1).equals(tx)
    True
    """
    func = "make_transactions"
    n = _check_count(n_customers, "n_customers", func)
    acq = _check_count(acquisition_days, "acquisition_days", func)
    obs = _check_count(observation_days, "observation_days", func)
    if acq > obs:
        msg = f"acquisition_days ({acq}) must not exceed observation_days ({obs}) in {func}."
        raise ValidationError(msg)
    for name, value in {"r": r, "alpha": alpha, "a": a, "b": b, "p": p, "q": q}.items():
        check_positive(value, name, func=func)
    check_positive(gamma, "gamma", func=func)
    check_option(order, "order", ("time", "customer", "random"), func=func)
    # the mean number of purchases per customer is r / alpha per week over the window
    _check_size(
        n * (1.0 + r / alpha / 7.0 * obs),
        "transactions",
        func,
        "use fewer customers, a shorter observation_days, or a larger alpha (r / alpha is "
        "the mean number of purchases per week).",
    )
    origin = _origin(start, obs, func)
    rng = np.random.default_rng(check_seed(seed, func=func))

    lam = rng.gamma(r, 1.0 / alpha, n) / 7.0  # purchases per day
    drop = rng.beta(a, b, n)
    first = rng.integers(0, acq, n)
    span = (obs - 1 - first).astype(np.float64)  # days available after the first purchase
    m = rng.poisson(lam * span)
    k = rng.geometric(np.clip(drop, 1e-12, 1.0))  # repeat purchase after which they drop out
    n_rep = np.minimum(m, k).astype(np.int64)

    # Times of the first n_rep of m uniform order statistics on (0, span):
    # U_(j) = S_j / S_(m+1), S_j cumulative sums of Exp(1), S_(m+1) = S_(n_rep) + Gamma(m+1-n_rep).
    total_rep = int(n_rep.sum())
    owner = np.repeat(np.arange(n, dtype=np.int64), n_rep)
    e = rng.exponential(1.0, total_rep)
    cs = np.cumsum(e)
    ends = np.cumsum(n_rep)
    starts = ends - n_rep
    base = np.concatenate(([0.0], cs))[starts]
    s_j = cs - base[owner]
    s_last = np.concatenate(([0.0], cs))[ends] - base
    tail = rng.gamma((m + 1 - n_rep).astype(np.float64), 1.0)
    u = s_j / (s_last + tail)[owner]
    rep_day = first[owner] + 1 + np.minimum(np.floor(u * span[owner]), span[owner] - 1)

    cust = np.concatenate((np.arange(n, dtype=np.int64), owner))
    day = np.concatenate((first, rep_day.astype(np.int64)))
    nu = rng.gamma(q, 1.0 / gamma, n)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        amount = rng.gamma(p, 1.0, cust.size) / nu[cust]
    if not (np.isfinite(amount) & (amount <= MAX_AMOUNT)).all():
        # a tiny q or a huge gamma draws spend rates of 0 (amounts of inf) or amounts whose
        # quantities overflow numpy's Poisson sampler
        msg = (
            f"The spend parameters of {func} (p={p!r}, q={q!r}, gamma={gamma!r}) draw "
            f"amounts beyond {MAX_AMOUNT:.0e} per purchase (or infinite).\nHint: the mean "
            "amount is about p * gamma / (q - 1); keep it in a currency's range (the defaults "
            "give about 35)."
        )
        raise ValidationError(msg)
    amount = np.maximum(np.round(amount, 2), 0.01)
    quantity = 1 + rng.poisson(np.maximum(amount / 15.0 - 1.0, 0.0))

    if order == "time":
        # radix sort on 16-bit ints when the days fit (day <= obs - 1), else a merge sort
        key = day.astype(np.uint16) if obs <= 1 << 16 else day
        idx = np.argsort(key, kind="stable")
    elif order == "customer":
        idx = np.lexsort((day, cust))
    else:
        idx = rng.permutation(cust.size)
    dates = (origin + day[idx].astype("timedelta64[D]")).astype("datetime64[ns]")
    return pd.DataFrame(
        {
            "customer_id": cust[idx] + 1,
            "date": dates,
            "quantity": quantity[idx].astype(np.int64),
            "amount": amount[idx],
        }
    )


_BLOCKS = ("imag", "expe", "qual", "val", "sat", "loy")


def _likert(
    latent: npt.NDArray[np.float64],
    loading: float,
    rng: np.random.Generator,
    *,
    low: int,
    high: int,
    centre: float,
    spread: float,
) -> npt.NDArray[np.int64]:
    noise = rng.standard_normal(latent.shape[0])
    x = loading * latent + np.sqrt(1.0 - loading**2) * noise
    out: npt.NDArray[np.int64] = np.clip(np.rint(centre + spread * x), low, high).astype(np.int64)
    return out


def make_survey(
    n_respondents: int,
    *,
    seed: int | None = None,
    customer_ids: Any = None,
    items_per_block: int = 3,
    start: str | None = None,
    days: int = 365,
) -> pd.DataFrame:
    r"""Generate survey answers driven by an ECSI-style latent satisfaction model.

    Latent constructs follow the European Customer Satisfaction Index structure (image ->
    expectations -> perceived quality -> perceived value -> satisfaction -> loyalty), each
    standardised; every questionnaire item loads on its construct (loading 0.85) and is rounded
    onto its answer scale, so items within a block correlate strongly and blocks correlate
    through the paths. The recommendation question follows loyalty, producing a realistic NPS
    around +20.

    Parameters
    ----------
    n_respondents
        Number of rows.
    seed
        Seed of :func:`numpy.random.default_rng` (a non-negative integer, or ``None``); the same
        seed gives the same answers.
        ``None`` (default) draws fresh entropy.
    customer_ids
        Optional ids to attach: ``n_respondents`` customers are drawn from them without
        replacement (with replacement if there are fewer ids than respondents). Without it,
        ``customer_id`` is 1..n_respondents.
    items_per_block
        Items per construct (``imag1..imagK`` and so on; 10-point scale).
    start, days
        With ``start``, add a ``date`` column uniform over ``days`` days from ``start``.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``; items ``imag1..``, ``expe1..``, ``qual1..``, ``val1..``, ``sat1..``,
        ``loy1..`` on 1-10; ``recommend`` (0-10, the NPS question); ``csat`` (1-5); ``ces``
        (customer effort, 1-7, lower is better); optionally ``date``.

    Raises
    ------
    ValidationError
        Non-positive counts, a ``start`` that is not a (naive) date, dates that do not fit
        in ``datetime64[ns]``, ``customer_ids`` holding lists or dicts, or more than 200
        million answers (respondents x items).

    References
    ----------
    Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path modeling.
    *Computational Statistics & Data Analysis*, 48(1), 159-205.
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*, 81(12).

    Examples
    --------
    >>> from custloyalty.datasets import make_survey
    >>> s = make_survey(500, seed=0)
    >>> int(s["recommend"].min()) >= 0 and int(s["recommend"].max()) <= 10
    True
    >>> bool(s[["sat1", "sat2"]].corr().iloc[0, 1] > 0.5)
    True
    """
    func = "make_survey"
    n = _check_count(n_respondents, "n_respondents", func)
    k = _check_count(items_per_block, "items_per_block", func)
    _check_size(
        float(n) * (6 * k + 4),
        "answers",
        func,
        "use fewer respondents or fewer items_per_block.",
    )
    origin = None if start is None else _origin(start, _check_count(days, "days", func), func)
    rng = np.random.default_rng(check_seed(seed, func=func))

    def eps(weight: float) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = np.sqrt(max(1.0 - weight, 0.05)) * rng.standard_normal(n)
        return out

    def std(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        out: npt.NDArray[np.float64] = (x - x.mean()) / x.std() if n > 1 else x
        return out

    imag = rng.standard_normal(n)
    expe = std(0.55 * imag + eps(0.3))
    qual = std(0.75 * expe + eps(0.56))
    val = std(0.25 * expe + 0.55 * qual + eps(0.5))
    sat = std(0.2 * imag + 0.15 * qual + 0.55 * val + eps(0.65))
    loy = std(0.2 * imag + 0.55 * sat + eps(0.45))
    latent = {"imag": imag, "expe": expe, "qual": qual, "val": val, "sat": sat, "loy": loy}

    if customer_ids is None:
        ids: Any = np.arange(1, n + 1, dtype=np.int64)
    else:
        pool = _id_pool(customer_ids, func)
        if len(pool) == 0:
            msg = f"customer_ids passed to {func} is empty."
            raise ValidationError(msg)
        ids = rng.choice(pool, size=n, replace=len(pool) < n)
    cols: dict[str, Any] = {"customer_id": ids}
    for block in _BLOCKS:
        for j in range(1, k + 1):
            cols[f"{block}{j}"] = _likert(
                latent[block], 0.85, rng, low=1, high=10, centre=7.4, spread=1.6
            )
    cols["recommend"] = _likert(loy, 0.9, rng, low=0, high=10, centre=8.0, spread=1.9)
    cols["csat"] = _likert(sat, 0.85, rng, low=1, high=5, centre=3.9, spread=0.9)
    cols["ces"] = _likert(-qual, 0.7, rng, low=1, high=7, centre=3.0, spread=1.3)
    if origin is not None:
        offs = rng.integers(0, days, n).astype("timedelta64[D]")
        cols["date"] = (origin + offs).astype("datetime64[ns]")
    return pd.DataFrame(cols)

"""Customer buckets: pandas-only helpers for per-partition use on any engine (Spark...).

A *customer bucket* is a group of rows holding every transaction of its customers (and of no
other customer): a Spark ``groupBy(bucket).applyInPandas`` group, a Dask partition after a
shuffle by customer, a Parquet file written per hash bucket. Every per-customer result depends
only on the customer's own rows and on the observation window, so a bucket is summarised or
scored alone and the outputs of all buckets, stacked, equal the output on the whole table.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import infer_dtype

from custloyalty import _frames
from custloyalty._window import one_thread
from custloyalty.errors import ValidationError

__all__ = ["bucket_scores", "bucket_summary", "customer_bucket"]


_MAX_BUCKETS = 2**63 - 1
_NUMBER_KINDS = ("integer", "floating", "mixed-integer-float")


def _hash_ids(series: pd.Series) -> npt.NDArray[np.uint64]:
    """Return the stable 64-bit hash of every id, one hash per number whatever its dtype.

    A customer's id 7 is ``7`` in an int64 chunk, ``7.0`` in a float64 chunk (one null id
    there turns the column to float), ``7`` in an Int64 or object chunk: ids that
    :func:`custloyalty.rfm_summary` counts as one customer must share a bucket. Whole numbers
    are hashed as int64 (unsigned ones beyond int64 as uint64), other numbers as float64,
    every missing id alike; strings and other ids as pandas hashes them.
    """
    s = series
    if s.dtype == object and infer_dtype(s, skipna=True) in _NUMBER_KINDS:
        s = pd.to_numeric(s, dtype_backend="numpy_nullable")  # exact ints beside a None
    nulls = s.isna().to_numpy(dtype=bool)
    hashed = np.empty(len(s), dtype=np.uint64)
    hashed[nulls] = pd.util.hash_array(np.array([np.nan]), categorize=False)[0]
    valid = s[~nulls]
    numeric = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
    if not numeric or isinstance(s.dtype, pd.CategoricalDtype):
        hashed[~nulls] = pd.util.hash_array(valid.to_numpy(), categorize=False)
        return hashed
    if pd.api.types.is_integer_dtype(valid.dtype):
        unsigned = pd.api.types.is_unsigned_integer_dtype(valid.dtype)
        ints = valid.to_numpy(dtype=np.uint64 if unsigned else np.int64)
        hashed[~nulls] = pd.util.hash_array(ints, categorize=False)
        return hashed
    f = valid.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(f) & (f == np.floor(f)) & (np.abs(f) < 2.0**63)
    part = np.empty(len(f), dtype=np.uint64)
    part[whole] = pd.util.hash_array(f[whole].astype(np.int64), categorize=False)
    part[~whole] = pd.util.hash_array(f[~whole], categorize=False)
    hashed[~nulls] = part
    return hashed


def customer_bucket(ids: Any, n_buckets: int, *, seed: int | None = None) -> pd.Series:
    r"""Deterministic bucket number ``0..n_buckets-1`` of every customer id.

    The number depends only on the id (and ``seed``), never on the rows around it, so every
    transaction of a customer falls into the same bucket on every machine and run: the key to
    write customer-bucket files, to sample customers (``customer_bucket(ids, 10) == 0`` is a
    10 % sample) or to group rows for :func:`bucket_summary`.

    Parameters
    ----------
    ids
        Customer ids (a Series or array of integers, strings...).
    n_buckets
        Number of buckets, >= 1.
    seed
        Changes the assignment (``None`` and ``0`` are the same assignment).

    Returns
    -------
    pandas.Series
        int64 bucket numbers, aligned to ``ids`` (its index when it is a Series).

    Raises
    ------
    ValidationError
        ``n_buckets`` not an integer in [1, 2**63 - 1]; ``seed`` not None or an integer; ``ids``
        not a one-dimensional sequence of hashable ids.

    Notes
    -----
    The bucket is :math:`h(\\text{id}) \\bmod n`, with :math:`h` pandas' stable 64-bit hash
    of the value (``pandas.util.hash_array``); with a seed :math:`s \\ne 0`,
    :math:`h_s(\\text{id}) = h(h(\\text{id}) \\oplus h(s))`.

    One id has one bucket whatever the dtype of the chunk it is read in: a whole number is
    hashed as an int64 whether it comes as ``7``, ``7.0`` (a float column, as one missing
    id makes it), a nullable ``Int64`` or an object column; every missing id (NaN, None,
    ``pd.NA``) shares one bucket. Strings are not numbers: ``"7"`` has its own bucket.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import customer_bucket
    >>> b = customer_bucket(pd.Series([1, 2, 3, 1]), 4)
    >>> bool(b.iloc[0] == b.iloc[3]), bool(b.between(0, 3).all())
    (True, True)
    >>> ids = pd.Series(range(1000))
    >>> bool((customer_bucket(ids, 8, seed=1) != customer_bucket(ids, 8)).any())
    True
    """
    if (
        isinstance(n_buckets, bool)
        or not isinstance(n_buckets, int | np.integer)
        or not 1 <= n_buckets <= _MAX_BUCKETS
    ):
        msg = (
            "The 'n_buckets' parameter of customer_bucket must be an integer >= 1 (and at "
            f"most 2**63 - 1); got {n_buckets!r}."
        )
        raise ValidationError(msg)
    if seed is not None and (
        isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer)
    ):  # any integer keys the hash (a negative one modulo 2**64); True is no seed
        msg = f"The 'seed' parameter of customer_bucket must be None or an integer; got {seed!r}."
        raise ValidationError(msg)
    try:
        dims = np.ndim(ids)
    except ValueError:  # a ragged nesting of lists
        dims = 2
    if ids is None or isinstance(ids, str | bytes | Mapping | pd.DataFrame) or dims != 1:
        msg = (
            "The 'ids' parameter of customer_bucket must be a one-dimensional sequence of "
            f"customer ids (a Series, an array or a list); got {type(ids).__name__}."
        )
        raise ValidationError(msg)
    series = ids if isinstance(ids, pd.Series) else pd.Series(np.asarray(ids))
    try:
        if series.dtype == object:
            hash(tuple(series))  # lists, dicts, sets: no id (pandas would hash their text)
        hashed = _hash_ids(series)
    except (TypeError, ValueError):
        raise _frames.unhashable_ids_error(series, "ids", func="customer_bucket") from None
    if seed:  # numbers are hashed without a key: mix the seed into the hash, and hash again
        mix = pd.util.hash_array(np.array([int(seed) % 2**64], dtype=np.uint64), categorize=False)[
            0
        ]
        hashed = pd.util.hash_array(hashed ^ mix, categorize=False)
    return pd.Series(
        (hashed % np.uint64(n_buckets)).astype(np.int64), index=series.index, name="bucket"
    )


def _need_window(observation_end: Any, func: str) -> None:
    if observation_end is None:
        msg = (
            f"{func} needs observation_end: each bucket would otherwise end its window on its "
            "own last purchase day.\nHint: pass observation_end='YYYY-MM-DD', the same for "
            "every bucket."
        )
        raise ValidationError(msg)


def bucket_summary(
    transactions: pd.DataFrame,
    *,
    observation_end: Any,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    amount: Hashable | None = "amount",
    time_unit: str = "D",
    calibration_end: Any = None,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    """:func:`custloyalty.rfm_summary` of one customer bucket, ids as a column.

    For per-partition use (Spark ``applyInPandas``, a file per bucket): the customer id comes
    first as an ordinary column (engines such as Spark drop a pandas index), a bucket whose
    customers all start after the window gives zero rows instead of an error, and
    ``observation_end`` is required so that every bucket uses the same window.

    Parameters
    ----------
    transactions
        Every transaction of the bucket's customers (pandas).
    observation_end, customer, time, amount, time_unit, calibration_end, date_format, nan_policy
        As in :func:`custloyalty.rfm_summary`; ``observation_end`` is required.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`custloyalty.rfm_summary`, with ``customer`` first, one row per
        customer of the bucket, a default index.

    Raises
    ------
    ValidationError
        No ``observation_end``, or an invalid table (as :func:`custloyalty.rfm_summary`).

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty import bucket_summary
    >>> tx = pd.DataFrame({"customer_id": [7, 7], "date": ["2024-01-01", "2024-01-05"],
    ...                    "amount": [10.0, 4.0]})
    >>> bucket_summary(tx, observation_end="2024-01-31")[["customer_id", "frequency", "T"]]
       customer_id  frequency     T
    0            7          1  30.0
    """
    from custloyalty._engines._dask import _nothing_until
    from custloyalty.summary import rfm_summary

    _need_window(observation_end, "bucket_summary")
    options: dict[str, Any] = {
        "customer": customer,
        "time": time,
        "amount": amount,
        "observation_end": observation_end,
        "time_unit": time_unit,
        "calibration_end": calibration_end,
        "date_format": date_format,
        "nan_policy": nan_policy,
    }
    frame = _frames.as_frame(transactions, name="transactions")
    try:
        with one_thread():  # the engine runs one bucket per core already
            out = rfm_summary(frame, **options)
    except ValidationError:
        end = calibration_end if calibration_end is not None else observation_end
        if len(frame) == 0 or not _nothing_until(frame, time, end, date_format, omit=options):
            raise
        # every customer of the bucket starts after the window: no rows, the usual columns
        stamp = pd.Timestamp(end)
        tz = getattr(frame[time].dtype, "tz", None)
        if tz is not None and stamp.tzinfo is None:
            stamp = stamp.tz_localize(tz)
        probe = frame.iloc[:1].copy()
        probe[time] = stamp
        if amount is not None:
            probe[amount] = 0.0
        out = rfm_summary(probe, **options).iloc[:0]
    out = out.reset_index()
    out.attrs = {}
    return out


def bucket_scores(
    scorecard: Any,
    transactions: pd.DataFrame,
    surveys: Any = None,
    *,
    interactions: Any = None,
    observation_end: Any,
) -> pd.DataFrame:
    """Score one customer bucket with a fitted scorecard, ids as a column.

    The per-customer table of ``scorecard.score_bucket(transactions, surveys, ...)`` with the
    customer id first as an ordinary column and the tier as a string, for per-partition use
    (Spark ``applyInPandas``). Scoring uses only what the scorecard learnt in ``fit``
    (normalisation, weights, tier thresholds, model parameters), so the buckets, stacked,
    equal the scores of the whole table. A bucket whose customers all start after the window
    gives zero rows.

    Parameters
    ----------
    scorecard
        A fitted :class:`custloyalty.scorecard.LoyaltyScorecard` (for instance rebuilt in each
        task with ``LoyaltyScorecard.from_json``).
    transactions
        Every transaction of the bucket's customers (pandas).
    surveys, interactions
        Survey answers (interactions) of at least the bucket's customers, or ``None``; the
        rows of other customers are ignored.
    observation_end
        End of the window, required and the same for every bucket.

    Returns
    -------
    pandas.DataFrame
        ``customer_id`` then the columns of ``ScorecardResult.customers``; ``tier`` as strings
        (missing tiers as ``None``).

    Raises
    ------
    ValidationError
        No ``observation_end``; ``scorecard`` not a LoyaltyScorecard (a saved state is
        refused: rebuild it with ``from_json``); invalid inputs (as
        ``LoyaltyScorecard.score_bucket``).

    Examples
    --------
    >>> from custloyalty import bucket_scores, customer_bucket
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.scorecard import LoyaltyScorecard
    >>> tx = load_cdnow("sample")
    >>> card = LoyaltyScorecard().fit(tx, observation_end="1998-06-30")
    >>> bucket = tx[customer_bucket(tx["customer_id"], 4) == 0]
    >>> scores = bucket_scores(card, bucket, observation_end="1998-06-30")
    >>> whole = card.score(tx, observation_end="1998-06-30").customers
    >>> ids = scores["customer_id"]
    >>> bool((scores["composite"].to_numpy() == whole.loc[ids, "composite"].to_numpy()).all())
    True
    """
    import warnings

    from custloyalty._engines._dask import _score_one, _synthetic_transactions

    _need_window(observation_end, "bucket_scores")
    if not (callable(getattr(scorecard, "score_bucket", None)) and hasattr(scorecard, "config")):
        msg = (
            "The 'scorecard' parameter of bucket_scores must be a fitted LoyaltyScorecard; got "
            f"{type(scorecard).__name__}.\nHint: rebuild a saved one with "
            "LoyaltyScorecard.from_json(text) (or from_dict) in each task."
        )
        raise ValidationError(msg)
    frame = _frames.as_frame(transactions, name="transactions")
    cfg = scorecard.config
    sv = None if surveys is None else _frames.as_frame(surveys, name="surveys")
    it = None if interactions is None else _frames.as_frame(interactions, name="interactions")
    scored = _score_one(frame, sv, it, card=scorecard, observation_end=observation_end)
    if scored is not None:
        table: pd.DataFrame = scored[0].customers.copy()
    else:  # no customer of the bucket in the window: zero rows, the usual columns
        _frames.require_columns(frame, [cfg.customer, cfg.time, cfg.amount], name="transactions")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probe = scorecard.score_bucket(
                _synthetic_transactions(frame, cfg.customer, cfg.time, cfg.amount, observation_end),
                observation_end=observation_end,
            )
        table = probe.customers.iloc[:0].copy()
    table.attrs = {}
    table["tier"] = table["tier"].astype(object).where(table["tier"].notna(), None)
    name = table.index.name if table.index.name is not None else _frames.CUSTOMER
    table.index.name = name
    return table.reset_index()

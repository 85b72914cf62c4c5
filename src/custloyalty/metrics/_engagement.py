r"""Engagement from interactions: a per-customer summary and the ``engagement`` indicator.

Interactions are the third input table besides transactions and surveys: one row per contact
between a customer and the company (e-mails sent, opened and clicked, web and store visits, app
sessions, service contacts, complaints, reviews, social posts), with its date and channel and,
optionally, its direction (inbound / outbound) and when a case was resolved. See the guide
"Engagement and interactions".
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Hashable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _frames
from custloyalty._validation import check_nan_policy, check_positive, format_examples, plural
from custloyalty._window import day_of, to_days
from custloyalty.errors import CustLoyaltyWarning, ValidationError
from custloyalty.metrics._params import check_count
from custloyalty.metrics._registry import Metric, _builtin

__all__ = ["INTERACTION_KINDS", "ONLINE_CHANNELS", "engagement_index", "engagement_summary"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Kinds of interaction understood by :func:`engagement_summary`.
INTERACTION_KINDS = (
    "email_sent",
    "email_open",
    "click",
    "visit",
    "app_session",
    "service_contact",
    "complaint",
    "review",
    "social",
)
#: Kinds started by the company when no direction column says otherwise.
COMPANY_KINDS = ("email_sent",)
#: Default online channels (every other channel counts as offline).
ONLINE_CHANNELS = ("email", "web", "app", "social", "chat", "sms", "push", "online")
_DIRECTIONS = ("inbound", "outbound")
_CASES = ("service_contact", "complaint")
_FUNC = "engagement_summary"


def _bad_values(col: Hashable, what: str, s: pd.Series, mask: npt.NDArray[np.bool_]) -> str:
    # as objects: numpy's datetime64[ns] would show as an integer of nanoseconds
    ex = format_examples(s.index[mask][:5], s.to_numpy(dtype=object)[mask][:5])
    return f"Column {col!r} has {plural(int(mask.sum()), what + ' value')} {ex}."


def engagement_summary(
    interactions: Any,
    *,
    observation_end: Any,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    channel: Hashable = "channel",
    kind: Hashable = "kind",
    direction: Hashable | None = None,
    resolved_at: Hashable | None = None,
    online_channels: Collection[str] = ONLINE_CHANNELS,
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> pd.DataFrame:
    r"""Summarise interactions into one row per customer (recency, frequency, breadth, rates).

    Parameters
    ----------
    interactions
        One row per interaction: customer id, date, channel and kind (one of
        :data:`INTERACTION_KINDS`); optionally direction and resolution date.
    observation_end
        Last day observed (inclusive); later interactions are left out.
    customer, time, channel, kind
        Column names of the customer id, the date, the channel (free labels such as
        ``"email"``, ``"web"``, ``"store"``) and the kind.
    direction
        Optional column of ``"inbound"`` (started by the customer) / ``"outbound"`` (started by
        the company). Without it, ``email_sent`` rows are the company's and the rest the
        customer's.
    resolved_at
        Optional column of the date a service contact or complaint was resolved (missing =
        still open).
    online_channels
        Channels counted as online (default :data:`ONLINE_CHANNELS`).
    date_format
        Format of the date strings (default: inferred).
    nan_policy
        ``"raise"`` (default) on missing ids, dates, channels or kinds; ``"omit"`` drops such
        rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer (sorted), one row per customer with an interaction up to
        ``observation_end``:

        * ``n_interactions``, ``interaction_days`` (distinct days), ``n_channels``;
        * ``days_since_last_interaction`` (whole days to ``observation_end``);
        * ``initiated_interactions`` (started by the customer), ``initiated_days``,
          ``days_since_last_initiated`` (NaN if the customer never started one);
        * ``online_share``, ``inbound_share`` (share of customer-started interactions) in [0, 1];
        * ``emails_sent``, ``open_rate`` = opens / e-mails sent and ``click_rate`` = clicks /
          e-mails sent, in [0, 1] (NaN without an e-mail sent; capped at 1 when opens were
          tracked for e-mails missing from the table);
        * ``n_service_contacts``, ``n_complaints``, ``complaint_rate`` = complaints /
          interactions in [0, 1];
        * with ``resolved_at``: ``open_cases`` (unresolved at ``observation_end``) and
          ``median_resolution_days`` (NaN without a resolved case).

    Raises
    ------
    ValidationError
        Missing columns, unknown kinds or directions (with a close match as hint), bad or
        missing dates, resolution before the interaction, no interaction up to
        ``observation_end``.

    See Also
    --------
    engagement_index : the 0-100 engagement indicator built on this summary.

    Notes
    -----
    Open and click rates follow the e-mail marketing definitions (opens and clicks per
    delivered e-mail); the breadth of channels and the share of customer-initiated contacts
    are the interaction measures of customer engagement (van Doorn et al. 2010).

    References
    ----------
    van Doorn, J., Lemon, K. N., Mittal, V., Nass, S., Pick, D., Pirner, P., & Verhoef, P. C.
    (2010). Customer engagement behavior: Theoretical foundations and research directions.
    *Journal of Service Research*, 13(3), 253-266. https://doi.org/10.1177/1094670510375599

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import engagement_summary
    >>> df = pd.DataFrame({
    ...     "customer_id": [1, 1, 1, 1, 2],
    ...     "date": ["2024-03-01", "2024-03-01", "2024-03-05", "2024-03-20", "2024-02-01"],
    ...     "channel": ["email", "email", "web", "store", "phone"],
    ...     "kind": ["email_sent", "email_open", "visit", "visit", "complaint"],
    ... })
    >>> s = engagement_summary(df, observation_end="2024-03-31")
    >>> s[["n_interactions", "n_channels", "days_since_last_interaction", "open_rate"]]
                 n_interactions  n_channels  days_since_last_interaction  open_rate
    customer_id
    1                         4           3                           11        1.0
    2                         1           1                           59        NaN
    >>> s["complaint_rate"].tolist()
    [0.0, 1.0]
    """
    policy = check_nan_policy(nan_policy, func=_FUNC)
    _frames.distinct_roles(
        _FUNC,
        customer=customer,
        time=time,
        channel=channel,
        kind=kind,
        direction=direction,
        resolved_at=resolved_at,
    )
    online_set = _online_channels(online_channels)
    df = _frames.as_frame(interactions, name="interactions")
    cols: list[Hashable] = [customer, time, channel, kind]
    if direction is not None:
        cols.append(direction)
    if resolved_at is not None:
        cols.append(resolved_at)
    _frames.require_columns(df, cols, name="interactions")
    if len(df) == 0:
        msg = f"The interactions passed to {_FUNC} are empty; at least one row is needed."
        raise ValidationError(msg)
    missing = _frames.check_ids(df[customer], customer, nan_policy=policy)
    dates, miss_d = _frames.coerce_datetime(
        df[time], time, nan_policy=policy, date_format=date_format
    )
    missing = missing | miss_d
    for col in (channel, kind) + ((direction,) if direction is not None else ()):
        m = df[col].isna().to_numpy()
        if m.any() and policy == "raise":
            msg = _bad_values(col, "missing", df[col], m)
            raise ValidationError(msg + "\nHint: pass nan_policy='omit' to drop these rows.")
        missing = missing | m
    end = _frames.coerce_timestamp(
        observation_end, "observation_end", tz=getattr(dates.dtype, "tz", None), func=_FUNC
    )
    end_day = _day(end)
    days = _days(dates)
    keep = ~missing & (days <= end_day)
    kinds = df[kind].astype(object).to_numpy()
    known = pd.Index(INTERACTION_KINDS)
    kcode = known.get_indexer(pd.Index(kinds))
    bad = (kcode < 0) & ~missing
    if bad.any():
        msg = _bad_values(kind, "unknown kind", df[kind], bad)
        first = str(kinds[np.flatnonzero(bad)[0]])
        from difflib import get_close_matches

        close = get_close_matches(first, INTERACTION_KINDS, n=1)
        msg += f"\nKnown kinds: {', '.join(INTERACTION_KINDS)}."
        if close:
            msg += f"\nHint: did you mean {close[0]!r}? Map your labels to the known kinds."
        raise ValidationError(msg)
    if direction is not None:
        dvals = df[direction].astype(object).to_numpy()
        inbound = dvals == "inbound"
        bad = ~inbound & (dvals != "outbound") & ~missing
        if bad.any():
            msg = _bad_values(direction, "unknown direction", df[direction], bad)
            raise ValidationError(msg + "\nHint: use 'inbound' or 'outbound'.")
    else:
        inbound = ~np.isin(kinds, COMPANY_KINDS)
    res_days: FloatArray | None = None
    if resolved_at is not None:
        res, _ = _frames.coerce_datetime(
            df[resolved_at], resolved_at, nan_policy="omit", date_format=date_format
        )
        if (getattr(res.dtype, "tz", None) is None) != (getattr(dates.dtype, "tz", None) is None):
            msg = (
                f"Columns {time!r} and {resolved_at!r} must both be naive or both time-zone aware."
            )
            raise ValidationError(msg)
        delta = (res - dates).dt.total_seconds().to_numpy(dtype=np.float64) / 86_400.0
        early = (delta < 0) & ~missing
        if early.any():
            msg = _bad_values(resolved_at, "resolution-before-interaction", res, early)
            raise ValidationError(msg)
        resolved_by_end = _days(res.fillna(dates)) <= end_day
        res_days = np.where(np.isnan(delta) | ~resolved_by_end, np.nan, delta)
    if not keep.any():
        msg = f"No interaction passed to {_FUNC} falls on or before observation_end ({end.date()})."
        raise ValidationError(msg)

    ids = df[customer].to_numpy()[keep]
    try:
        code, uniques = pd.factorize(ids, sort=True)
    except TypeError:  # lists or dicts as ids, or ids of types that do not sort together
        try:
            code, uniques = pd.factorize(ids, sort=False)
        except TypeError:
            raise _frames.unhashable_ids_error(df[customer], customer, func=_FUNC) from None
    code = np.asarray(code, dtype=np.int64)
    n = len(uniques)
    d = days[keep]
    k = kcode[keep]
    inb = inbound[keep]
    chan = df[channel].astype(object).to_numpy()[keep]
    online = np.isin(chan, online_set)
    if not online.any():
        seen = pd.unique(pd.Series(chan).astype(str))
        warnings.warn(
            f"{_FUNC}: none of the channels counted as online ({', '.join(online_set[:8])}) "
            f"appears in column {channel!r} (its values: {', '.join(map(str, seen[:8]))}), "
            "so online_share is 0 for every customer.\nHint: pass online_channels= with "
            "your labels of the online channels.",
            CustLoyaltyWarning,
            stacklevel=2,
        )

    def count(mask: npt.NDArray[np.bool_] | None = None) -> FloatArray:
        if mask is None:
            return np.bincount(code, minlength=n).astype(np.float64)
        return np.bincount(code[mask], minlength=n).astype(np.float64)

    def distinct(values: Any, mask: npt.NDArray[np.bool_] | None = None) -> FloatArray:
        pairs = pd.DataFrame({"c": code, "v": values})
        if mask is not None:
            pairs = pairs[mask]
        uniq = pairs.drop_duplicates()
        return np.bincount(uniq["c"].to_numpy(), minlength=n).astype(np.float64)

    def last_day(mask: npt.NDArray[np.bool_]) -> FloatArray:
        last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last, code[mask], d[mask])
        out = (end_day - last).astype(np.float64)
        out[last == np.iinfo(np.int64).min] = np.nan
        return out

    total = count()
    initiated = count(inb)
    sent = count(k == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        open_rate = np.where(sent > 0, np.minimum(count(k == 1) / sent, 1.0), np.nan)
        click_rate = np.where(sent > 0, np.minimum(count(k == 2) / sent, 1.0), np.nan)
    complaints = count(k == INTERACTION_KINDS.index("complaint"))
    out = pd.DataFrame(
        {
            "n_interactions": total.astype(np.int64),
            "interaction_days": distinct(d).astype(np.int64),
            "n_channels": distinct(pd.Series(chan).astype(str).to_numpy()).astype(np.int64),
            "days_since_last_interaction": last_day(np.ones(code.size, dtype=bool)).astype(
                np.int64
            ),
            "initiated_interactions": initiated.astype(np.int64),
            "initiated_days": distinct(d, inb).astype(np.int64),
            "days_since_last_initiated": last_day(inb),
            "online_share": count(online) / total,
            "inbound_share": initiated / total,
            "emails_sent": sent.astype(np.int64),
            "open_rate": open_rate,
            "click_rate": click_rate,
            "n_service_contacts": count(k == INTERACTION_KINDS.index("service_contact")).astype(
                np.int64
            ),
            "n_complaints": complaints.astype(np.int64),
            "complaint_rate": complaints / total,
        },
        index=pd.Index(uniques, name="customer_id"),
    )
    if res_days is not None:
        case = np.isin(k, [INTERACTION_KINDS.index(c) for c in _CASES])
        rd = res_days[keep]
        out["open_cases"] = count(case & np.isnan(rd)).astype(np.int64)
        solved = case & ~np.isnan(rd)
        med = pd.Series(rd[solved]).groupby(code[solved]).median()
        out["median_resolution_days"] = med.reindex(np.arange(n)).to_numpy(dtype=np.float64)
    out.attrs["custloyalty"] = {
        "observation_end": str(end.date()),
        "rows_after_observation_end": int((~missing & (days > end_day)).sum()),
        "rows_omitted": int(missing.sum()),
    }
    return out


_day = day_of  # the window's one day function


def _online_channels(value: Any) -> list[str]:
    """Check the online channel labels: a collection of strings (a bare string is a mistake)."""
    if isinstance(value, str | bytes) or not isinstance(value, Collection):
        msg = (
            f"The 'online_channels' parameter of {_FUNC} must be a list of channel labels; "
            f"got {value!r:.60}.\nHint: online_channels=[{value!r:.30}] for a single channel."
            if isinstance(value, str)
            else f"The 'online_channels' parameter of {_FUNC} must be a list of channel "
            f"labels; got {type(value).__name__}."
        )
        raise ValidationError(msg)
    labels = list(value)
    bad = [v for v in labels if not isinstance(v, str)]
    if bad or not labels:
        msg = (
            f"The 'online_channels' parameter of {_FUNC} must be a non-empty list of channel "
            f"labels (strings); got {labels!r:.80}."
        )
        raise ValidationError(msg)
    return labels


def _days(dates: pd.Series) -> IntArray:
    """Day numbers by the window's one day function; missing dates sort after every day."""
    out: IntArray = np.where(dates.isna().to_numpy(), np.iinfo(np.int64).max, to_days(dates))
    return out


def engagement_index(
    summary: pd.DataFrame,
    *,
    recency_days: float = 90.0,
    frequency_days: float = 12.0,
    max_channels: int = 4,
) -> pd.Series:
    r"""Engagement indicator, 0-100 (higher = more engaged), from :func:`engagement_summary`.

    Parameters
    ----------
    summary
        Output of :func:`engagement_summary`.
    recency_days
        Scale $\rho$ of the recency component, in days (default 90).
    frequency_days
        Scale $\phi$ of the frequency component, in initiated interaction days (default 12).
    max_channels
        Number of channels $c_{\max}$ that counts as full breadth (default 4).

    Returns
    -------
    pandas.Series
        ``engagement`` in [0, 100] per customer of ``summary``.

    Raises
    ------
    ValidationError
        Non-positive scales (or given as text), ``max_channels`` not a whole number >= 1 (a
        bool included), a summary without the needed columns, or one repeating a customer.

    Notes
    -----
    For customer $i$ with $d_i$ days since the last interaction they started, $k_i$ days
    with such an interaction, $c_i$ channels, open rate $o_i$ and complaint share $q_i$,

    $$E_i = 100\,(1 - q_i)\,\frac{1}{|A_i|}\sum_{a \in A_i} a, \qquad
      A_i = \{e^{-d_i/\rho},\; 1 - e^{-k_i/\phi},\; \min(c_i, c_{\max})/c_{\max},\; o_i\},$$

    where the recency and frequency terms are 0 for a customer who never started an
    interaction and $o_i$ is left out of $A_i$ when no e-mail was sent. Every term lies in
    [0, 1], so $E_i \in [0, 100]$: recent, frequent, many-channel, responsive customers
    without complaints score high (van Doorn et al. 2010).

    References
    ----------
    van Doorn, J., Lemon, K. N., Mittal, V., Nass, S., Pick, D., Pirner, P., & Verhoef, P. C.
    (2010). Customer engagement behavior: Theoretical foundations and research directions.
    *Journal of Service Research*, 13(3), 253-266. https://doi.org/10.1177/1094670510375599

    Examples
    --------
    >>> from custloyalty.datasets import make_interactions
    >>> from custloyalty.metrics import engagement_index, engagement_summary
    >>> summary = engagement_summary(make_interactions(300, seed=2), observation_end="2020-12-30")
    >>> e = engagement_index(summary)
    >>> bool(e.between(0, 100).all()), e.name
    (True, 'engagement')
    """
    func = "engagement_index"
    rho = check_positive(recency_days, "recency_days", func=func)
    phi = check_positive(frequency_days, "frequency_days", func=func)
    cmax = float(check_count(max_channels, "max_channels", func=func, low=1))
    need = [
        "days_since_last_initiated",
        "initiated_days",
        "n_channels",
        "open_rate",
        "complaint_rate",
    ]
    df = _frames.as_frame(summary, name="summary")
    _frames.require_columns(df, need, name="summary")
    _frames.check_unique_index(
        df.index,
        "the summary",
        func=func,
        hint="pass the output of engagement_summary (one row per customer).",
    )
    if len(df) == 0:
        return pd.Series([], index=df.index, name="engagement", dtype=np.float64)
    hint = "pass the output of engagement_summary, which has none."
    counts, _ = _frames.numeric_columns(
        df,
        ["initiated_days", "n_channels"],
        func=func,
        bounds=(0.0, np.inf),
        integer=True,
        name="summary",
        missing_hint=hint,
    )
    complaint = _frames.numeric_columns(
        df, ["complaint_rate"], func=func, bounds=(0.0, 1.0), name="summary", missing_hint=hint
    )[0]["complaint_rate"].to_numpy()
    # NaN is meaningful in these two: never started an interaction, never sent an e-mail
    optional, _ = _frames.numeric_columns(
        df,
        ["days_since_last_initiated", "open_rate"],
        nan_policy="omit",
        func=func,
        bounds=(0.0, np.inf),
        name="summary",
    )
    opens = optional["open_rate"].to_numpy()
    if np.any(opens > 1.0):
        pos = np.flatnonzero(opens > 1.0)
        msg = (
            f"Column 'open_rate' has {pos.size} out-of-range (outside [0, 1]) values in the "
            f"summary passed to {func} (rows {', '.join(map(str, df.index[pos][:5]))})."
        )
        raise ValidationError(msg)
    since = optional["days_since_last_initiated"].to_numpy()
    recency = np.where(np.isnan(since), 0.0, np.exp(-np.nan_to_num(since) / rho))
    frequency = 1.0 - np.exp(-counts["initiated_days"].to_numpy() / phi)
    breadth = np.minimum(counts["n_channels"].to_numpy(), cmax) / cmax
    parts = np.column_stack([recency, frequency, breadth, opens])
    mean = np.nanmean(parts, axis=1)  # the first three are always defined
    return pd.Series(100.0 * (1.0 - complaint) * mean, index=df.index, name="engagement")


def engagement(
    interactions: Any,
    observation_end: Any,
    *,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    channel: Hashable = "channel",
    kind: Hashable = "kind",
    direction: Hashable | None = None,
    recency_days: float = 90.0,
    frequency_days: float = 12.0,
    max_channels: int = 4,
) -> pd.Series:
    """Engagement, 0-100 per customer who interacted (higher = more engaged).

    :func:`engagement_index` of :func:`engagement_summary`; customers without an
    interaction are missing (they did not interact), like survey indicators for customers who
    did not answer. Without an interactions table nobody interacted: the Series is empty.

    Examples
    --------
    >>> from custloyalty import metrics
    >>> from custloyalty.datasets import make_interactions
    >>> m = metrics.get("engagement")
    >>> m.inputs
    ('interactions', 'observation_end')
    >>> e = m.compute({"interactions": make_interactions(50, seed=1),
    ...                "observation_end": "2020-12-30"})
    >>> len(e) <= 50, bool(e.between(0, 100).all())
    (True, True)
    """
    if interactions is None:
        return pd.Series([], dtype=np.float64, name="engagement")
    summary = engagement_summary(
        interactions,
        observation_end=observation_end,
        customer=customer,
        time=time,
        channel=channel,
        kind=kind,
        direction=direction,
        nan_policy="omit",
    )
    out = engagement_index(
        summary,
        recency_days=recency_days,
        frequency_days=frequency_days,
        max_channels=max_channels,
    )
    out.index.name = None
    return out


_builtin(
    Metric(
        "engagement",
        engagement,
        inputs=("interactions", "observation_end"),
        source="interactions",
        description="Engagement from interactions, 0-100 (missing = did not interact)",
    )
)

r"""Membership tiers of a loyalty programme: qualification, retention with grace, points."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _frames
from custloyalty._frames import as_frame, check_unique_index, numeric_columns
from custloyalty._state import (
    Stateful,
    check_header,
    header,
    refuse_unknown_keys,
    state_key,
)
from custloyalty._validation import check_option, format_examples, plural, suggest
from custloyalty._window import observe, per_customer
from custloyalty.errors import ValidationError

__all__ = ["Tier", "TierPolicy"]

BoolMatrix = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_TIER_KEYS = ("name", "qualify", "retain", "require")
_STATE_KEYS = (
    "kind",
    "format_version",
    "custloyalty_version",
    "tiers",
    "grace_periods",
    "points_per_unit",
    "points_expiry",
    "window",
)
STATUSES = ("new", "upgraded", "requalified", "retained", "grace", "downgraded")


@dataclass(frozen=True, slots=True)
class Tier:
    """One membership tier.

    ``qualify`` maps customer metric columns to the minimum needed to enter the tier (e.g.
    ``{"spend": 1000, "n_purchases": 10}``); ``retain`` holds the (lower or equal) minimums
    needed to *keep* it (default: the same as ``qualify``, no hysteresis). ``require`` says
    whether ``"any"`` (default) or ``"all"`` of the minimums must be met. The entry tier (the
    last, worst one) has no rules.
    """

    name: str
    qualify: Mapping[str, float] = field(default_factory=dict)
    retain: Mapping[str, float] | None = None
    require: str = "any"

    def to_dict(self) -> dict[str, Any]:
        """Return the tier as JSON-safe builtins."""
        return {
            "name": self.name,
            "qualify": dict(self.qualify),
            "retain": None if self.retain is None else dict(self.retain),
            "require": self.require,
        }


def _num(value: Any, what: str) -> float:
    if isinstance(value, bool | np.bool_):  # float(True) == 1.0: never what is meant
        msg = f"{what} must be a number; got the boolean {value!r}."
        raise ValidationError(msg)
    if isinstance(value, str | bytes):  # float("20") would pass; "20 EUR" from the same file not
        msg = f"{what} must be a number; got the text {value!r}.\nHint: write it without quotes."
        raise ValidationError(msg)
    try:
        v = float(value)
    except OverflowError:  # an integer beyond the float range: refused below as not finite
        v = float("inf")
    except (TypeError, ValueError):
        msg = f"{what} must be a number; got {value!r}."
        raise ValidationError(msg) from None
    if not math.isfinite(v) or v < 0:
        msg = f"{what} must be finite and >= 0; got {value!r}."
        raise ValidationError(msg)
    return v


def _window_days(value: Any) -> int | None:
    """Length in whole days of a qualification window (``None``: all purchases so far)."""
    if value is None:
        return None
    ok_type = isinstance(value, str | pd.Timedelta | dt.timedelta | np.timedelta64)
    td: Any = None
    if ok_type:
        try:
            td = pd.Timedelta(value)
        except (TypeError, ValueError):
            td = None
    if td is None or td is pd.NaT:
        msg = (
            "The 'window' parameter of TierPolicy must be a duration in days such as '365D' "
            f"(or a Timedelta), or None; got {value!r}."
        )
        raise ValidationError(msg)
    day = pd.Timedelta(days=1)
    if td <= pd.Timedelta(0) or td % day != pd.Timedelta(0):
        msg = (
            "The 'window' parameter of TierPolicy must be a positive whole number of days "
            f"(purchases are counted per calendar day); got {value!r} ({td})."
        )
        raise ValidationError(msg)
    return int(td // day)


def _rules(value: Any, what: str, name: str) -> dict[Any, Any]:
    """Check a tier's ``qualify`` / ``retain`` rules: a mapping of metric column to minimum."""
    if not isinstance(value, Mapping):
        msg = (
            f"Tier {name!r}: {what} must map metric columns to minimums, such as "
            f"{{'spend': 1000, 'n_purchases': 10}}; got {type(value).__name__} {value!r}.\n"
            "Hint: name the metric each number applies to (a column of the customers table, "
            "e.g. from TierPolicy.qualification_metrics: 'spend', 'n_purchases', "
            "'purchase_days')."
        )
        raise ValidationError(msg)
    return dict(value)


def _tier_name(name: Any) -> str:
    if (
        name is None
        or (isinstance(name, str) and not name.strip())
        or not isinstance(name, Hashable)
    ):
        msg = f"Each tier needs a non-empty name (text); got {name!r}."
        raise ValidationError(msg)
    return str(name)


def _tier(item: Any) -> Tier:
    if isinstance(item, Tier):
        raw = item
    elif isinstance(item, Mapping):
        if "name" not in item:
            msg = f"Each tier needs a 'name'; got {dict(item)!r}."
            raise ValidationError(msg)
        unknown = [k for k in item if k not in _TIER_KEYS]
        if unknown:
            msg = (
                f"Tier {item['name']!r} has unknown key {unknown[0]!r}; a tier has the keys "
                f"{list(_TIER_KEYS)!r}."
            )
            close = suggest(str(unknown[0]), list(_TIER_KEYS))
            if close:
                msg += f"\nHint: did you mean {close!r}?"
            raise ValidationError(msg)
        tier_name = _tier_name(item["name"])
        qualify = item.get("qualify")
        retain = item.get("retain")
        raw = Tier(
            name=tier_name,
            qualify={} if qualify is None else _rules(qualify, "qualify", tier_name),
            retain=None if retain is None else _rules(retain, "retain", tier_name),
            require=str(item.get("require", "any")),
        )
    else:
        msg = f"Each tier must be a Tier or a dict with 'name' and 'qualify'; got {item!r}."
        raise ValidationError(msg)
    name = _tier_name(raw.name)
    check_option(raw.require, "require", ("any", "all"), func=f"tier {name!r}")
    rules = _rules(raw.qualify, "qualify", name)
    qualify = {str(k): _num(v, f"Tier {name!r}: qualify[{k!r}]") for k, v in rules.items()}
    retain = None
    if raw.retain is not None:
        kept = _rules(raw.retain, "retain", name)
        retain = {str(k): _num(v, f"Tier {name!r}: retain[{k!r}]") for k, v in kept.items()}
        extra = set(retain) - set(qualify)
        if extra:
            msg = f"Tier {name!r}: retain has metrics {sorted(extra)!r} that qualify does not use."
            raise ValidationError(msg)
        above = {k: (v, qualify[k]) for k, v in retain.items() if v > qualify[k]}
        if above:
            msg = (
                f"Tier {name!r}: retention thresholds must not exceed qualification thresholds "
                f"(hysteresis); got (retain, qualify) = {above!r}."
            )
            raise ValidationError(msg)
    return Tier(name=name, qualify=qualify, retain=retain, require=raw.require)


class TierPolicy(Stateful):
    r"""Rules of a tiered loyalty programme, applied to every member at each review.

    Parameters
    ----------
    tiers
        Tiers **best first** (e.g. Gold, Silver, Member), as :class:`Tier` objects or dicts with
        ``name``, ``qualify``, optional ``retain`` and ``require``. The last tier is the entry
        tier every customer holds at least, and has no rules.
    grace_periods
        Review periods a member who no longer meets the retention rules of the tier keeps it
        before being downgraded (default 0: downgrade at the first failed review).
    points_per_unit
        Points earned per currency unit spent (default 1), floored to whole points per period.
    points_expiry
        Periods after which earned points expire (``None``: never). With ``points_expiry=4``,
        points earned in period :math:`t` count until the end of period :math:`t + 3`.
    window
        Rolling qualification window of :meth:`qualification_metrics`, a whole number of days
        such as ``"365D"`` (or a :class:`pandas.Timedelta`): a review on day ``observation_end``
        counts the purchases of the calendar days in ``(observation_end - window,
        observation_end]``. ``None`` (default) counts every purchase up to ``observation_end``.
        Saved by :meth:`to_dict` / :meth:`to_json`.

    Raises
    ------
    ValidationError
        Fewer than two tiers, duplicated names, rules on the entry tier, a non-entry tier
        without rules, negative, boolean or text thresholds (``"20"``), a tier key other
        than ``name``,
        ``qualify``, ``retain`` and ``require`` (with a close-match hint), retention above
        qualification, qualification thresholds that increase from a better tier to a worse
        one, or a window that is not a positive whole number of days.

    See Also
    --------
    tier_migration : transitions between the tiers of two reviews.
    value_tiers : tiers by value alone (ABC, quantiles).

    Notes
    -----
    At each review with metrics :math:`x_i`, let :math:`q_i` be the best tier whose
    qualification rule holds and :math:`p_i` the tier held before. The new tier is

    $$t_i = \begin{cases}
    q_i & \text{new member, or } q_i \le p_i \text{ (re-qualified or upgraded)},\\
    p_i & \text{retention rule of } p_i \text{ holds, or grace left } g_i > 0,\\
    \min\{t > p_i : \text{retention rule of } t \text{ holds}\} & \text{otherwise (downgrade)},
    \end{cases}$$

    (tiers numbered from 0 = best). Grace is reset to ``grace_periods`` whenever the tier is
    (re)earned or retained and decreases by one per review spent in grace. Retention thresholds
    below qualification thresholds give the hysteresis that keeps members from flickering
    between tiers around one threshold.

    References
    ----------
    Drèze, X., & Nunes, J. C. (2009). Feeling superior: The impact of loyalty program structure
    on consumers' perceptions of status. *Journal of Consumer Research*, 35(6), 890-905.
    https://doi.org/10.1086/593946

    Wagner, T., Hennig-Thurau, T., & Rudolph, T. (2009). Does customer demotion jeopardize
    loyalty? *Journal of Marketing*, 73(3), 69-85. https://doi.org/10.1509/jmkg.73.3.069

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.segmentation import TierPolicy
    >>> policy = TierPolicy(
    ...     [
    ...         {"name": "Gold", "qualify": {"spend": 1000}, "retain": {"spend": 800}},
    ...         {"name": "Silver", "qualify": {"spend": 300}, "retain": {"spend": 200}},
    ...         {"name": "Member"},
    ...     ],
    ...     grace_periods=1,
    ... )
    >>> year1 = pd.DataFrame({"spend": [1200.0, 400.0, 50.0]}, index=["ann", "bob", "cy"])
    >>> r1 = policy.assign(year1)
    >>> r1["tier"].tolist()
    ['Gold', 'Silver', 'Member']
    >>> year2 = pd.DataFrame({"spend": [850.0, 100.0, 350.0]}, index=["ann", "bob", "cy"])
    >>> r2 = policy.assign(year2, previous=r1)
    >>> r2[["tier", "status", "grace_left"]]
           tier       status  grace_left
    ann    Gold     retained           1
    bob  Silver        grace           0
    cy   Silver     upgraded           1
    """

    _state_kind = "TierPolicy"

    def __init__(
        self,
        tiers: Sequence[Tier | Mapping[str, Any]],
        *,
        grace_periods: int = 0,
        points_per_unit: float = 1.0,
        points_expiry: int | None = None,
        window: str | pd.Timedelta | dt.timedelta | None = None,
    ) -> None:
        given: Any = tiers  # typed as a sequence, checked as anything
        if isinstance(given, str | bytes | Mapping) or not isinstance(given, Iterable):
            msg = (
                "The 'tiers' parameter of TierPolicy must be a list of tiers, best first, such "
                "as [{'name': 'Gold', 'qualify': {'spend': 1000}}, {'name': 'Member'}]; got "
                f"{type(given).__name__} {given!r:.80}."
            )
            raise ValidationError(msg)
        parsed = [_tier(t) for t in given]
        if len(parsed) < 2:
            msg = "A TierPolicy needs at least two tiers (best first; the last is the entry tier)."
            raise ValidationError(msg)
        names = [t.name for t in parsed]
        if len(set(names)) != len(names):
            msg = f"Tier names must be distinct; got {names!r}."
            raise ValidationError(msg)
        if parsed[-1].qualify:
            msg = (
                f"The last tier ({names[-1]!r}) is the entry tier every customer holds and must "
                "have no qualification rule; list tiers best first."
            )
            raise ValidationError(msg)
        for t in parsed[:-1]:
            if not t.qualify:
                msg = f"Tier {t.name!r} has no qualification rule; only the last tier may."
                raise ValidationError(msg)
        for better, worse in itertools.pairwise(parsed[:-1]):
            for metric, v in worse.qualify.items():
                if metric in better.qualify and better.qualify[metric] < v:
                    msg = (
                        f"Qualification thresholds must not increase from a better tier to a "
                        f"worse one: {better.name!r} needs {metric} >= {better.qualify[metric]:g} "
                        f"but {worse.name!r} needs {metric} >= {v:g}. List tiers best first."
                    )
                    raise ValidationError(msg)
        if isinstance(grace_periods, bool) or not isinstance(grace_periods, int | np.integer):
            msg = f"grace_periods must be a non-negative integer; got {grace_periods!r}."
            raise ValidationError(msg)
        if grace_periods < 0 or grace_periods > np.iinfo(np.int32).max:
            msg = f"grace_periods must be a non-negative integer; got {grace_periods!r:.40}."
            raise ValidationError(msg)
        rate = _num(points_per_unit, "points_per_unit")
        if rate == 0:
            msg = "points_per_unit must be > 0."
            raise ValidationError(msg)
        if points_expiry is not None and (
            isinstance(points_expiry, bool)
            or not isinstance(points_expiry, int | np.integer)
            or points_expiry < 1
        ):
            msg = f"points_expiry must be None or an integer >= 1; got {points_expiry!r}."
            raise ValidationError(msg)
        self.tiers: tuple[Tier, ...] = tuple(parsed)
        self.grace_periods = int(grace_periods)
        self.points_per_unit = rate
        self.points_expiry = None if points_expiry is None else int(points_expiry)
        days = _window_days(window)
        self.window: str | None = None if days is None else f"{days}D"
        """Qualification window as ``"<days>D"`` (``None``: all purchases up to the review)."""

    @property
    def names(self) -> list[str]:
        """Tier names, best first."""
        return [t.name for t in self.tiers]

    @property
    def metrics(self) -> list[str]:
        """Metric columns the rules use."""
        return list(dict.fromkeys(m for t in self.tiers for m in t.qualify))

    def __repr__(self) -> str:
        return (
            f"TierPolicy(tiers={self.names!r}, grace_periods={self.grace_periods}, "
            f"points_per_unit={self.points_per_unit:g}, points_expiry={self.points_expiry}, "
            f"window={self.window!r})"
        )

    # -- rules --------------------------------------------------------------------------------

    def _holds(self, values: pd.DataFrame, retain: bool) -> BoolMatrix:
        n, k = len(values), len(self.tiers)
        out = np.ones((n, k), dtype=bool)
        for j, t in enumerate(self.tiers[:-1]):
            rule = t.qualify if not retain or t.retain is None else t.retain
            if not rule:  # retain={} keeps the tier unconditionally
                continue
            hits = [values[m].to_numpy() >= v for m, v in rule.items()]
            stacked = np.vstack(hits)
            out[:, j] = stacked.any(axis=0) if t.require == "any" else stacked.all(axis=0)
        return out

    def qualified(self, customers: Any) -> pd.Series:
        """Best tier each customer qualifies for on its metrics alone (no history).

        Parameters
        ----------
        customers
            Table indexed by customer with the metric columns of the rules.

        Returns
        -------
        pandas.Series
            Named ``qualified``; ordered categorical with categories best first.
        """
        values = self._values(customers)
        codes = np.argmax(self._holds(values, retain=False), axis=1)
        return self._series(codes, values.index, "qualified")

    def _values(self, customers: Any) -> pd.DataFrame:
        func = "TierPolicy.assign"
        frame = as_frame(customers, name="customers")
        values, _ = numeric_columns(
            frame, self.metrics, func=func, name="customers", bounds=(0.0, np.inf)
        )
        check_unique_index(values.index, "customers", func=func)
        return values

    def _series(self, codes: Any, index: pd.Index, name: str) -> pd.Series:
        cat = pd.Categorical.from_codes(
            np.asarray(codes, dtype=np.int16), categories=pd.Index(self.names), ordered=True
        )
        return pd.Series(cat, index=index, name=name, copy=False)

    def assign(self, customers: Any, previous: Any = None) -> pd.DataFrame:
        """Assign every customer's tier at a review, given the previous review's result.

        Parameters
        ----------
        customers
            Table indexed by customer (each customer once) with the non-negative metric columns
            the rules use: spend and purchases in the qualification window from
            :meth:`qualification_metrics`, points from :meth:`points`, or any other metric.
        previous
            Result of the previous :meth:`assign` (columns ``tier`` and ``grace_left``), or a
            Series of tier labels (full grace assumed); ``None`` for a first review. Customers
            absent from ``previous`` are treated as new members.

        Returns
        -------
        pandas.DataFrame
            Indexed like ``customers``, columns ``tier`` (ordered categorical, categories best
            first), ``qualified`` (tier earned on this review's metrics alone), ``status``
            (one of ``new``, ``upgraded``, ``requalified``, ``retained``, ``grace``,
            ``downgraded``) and ``grace_left`` (reviews of grace remaining).

        Raises
        ------
        ValidationError
            Missing, non-numeric or negative metric columns, missing values, a customer twice
            in ``customers`` or ``previous``, previous tiers that are not tiers of this policy
            (or not scalars), a negative, non-integer or absurd (> 2**31 - 1) ``grace_left``,
            or customer ids of another type in ``previous`` (``"1"`` for ``1``) that match no
            customer.
        """
        values = self._values(customers)
        q_mat = self._holds(values, retain=False)
        r_mat = self._holds(values, retain=True) | q_mat
        qual = np.argmax(q_mat, axis=1)
        n, k = q_mat.shape
        g_full = self.grace_periods
        prev, grace = self._previous(previous, values.index)
        is_new = prev < 0
        p = np.where(is_new, k - 1, prev)
        rows = np.arange(n)
        keeps = r_mat[rows, p]
        up_or_same = qual <= p
        in_grace = ~up_or_same & ~keeps & (grace > 0)
        down = ~is_new & ~up_or_same & ~keeps & ~in_grace
        # best tier below the previous one whose retention rule holds (the entry tier always)
        below = r_mat & (np.arange(k)[None, :] > p[:, None])
        target = np.argmax(below, axis=1)
        tier = np.where(is_new | up_or_same, qual, np.where(down, target, p))
        grace_left = np.where(in_grace, grace - 1, g_full)
        status = np.select(
            [is_new, up_or_same & (qual < p), up_or_same, keeps, in_grace],
            [0, 1, 2, 3, 4],
            default=5,
        )
        out = pd.DataFrame(
            {
                "tier": self._series(tier, values.index, "tier"),
                "qualified": self._series(qual, values.index, "qualified"),
                "status": pd.Categorical.from_codes(status, categories=pd.Index(STATUSES)),
                "grace_left": grace_left.astype(np.int64),
            },
            index=values.index,
        )
        return out

    def _previous(self, previous: Any, index: pd.Index) -> tuple[IntArray, IntArray]:
        n = len(index)
        if previous is None:
            return np.full(n, -1, dtype=np.int64), np.full(n, self.grace_periods, np.int64)
        if isinstance(previous, pd.DataFrame):
            if "tier" not in previous.columns:
                msg = "previous must be the result of TierPolicy.assign (a 'tier' column)."
                raise ValidationError(msg)
            labels = previous["tier"]
            grace_col = previous.get("grace_left")
        elif isinstance(previous, pd.Series):
            labels, grace_col = previous, None
        else:
            msg = "previous must be a DataFrame from TierPolicy.assign or a Series of tiers."
            raise ValidationError(msg)
        check_unique_index(labels.index, "previous", func="TierPolicy.assign")
        _frames.check_hashable(labels, "previous")
        _frames.check_same_customers(
            index,
            labels.index,
            left_name="customers",
            right_name="previous",
            func="TierPolicy.assign",
        )
        codes = pd.Index(self.names).get_indexer(pd.Index(labels.astype(object).to_numpy()))
        unknown = (codes < 0) & labels.notna().to_numpy()
        if unknown.any():
            bad = pd.unique(labels.to_numpy()[unknown])[:5]
            msg = (
                f"previous has {int(unknown.sum())} tiers that are not tiers of this policy "
                f"{self.names!r}: {list(bad)!r}."
            )
            raise ValidationError(msg)
        pos = labels.index.get_indexer(index)
        found = pos >= 0
        prev = np.full(n, -1, dtype=np.int64)
        prev[found] = codes[pos[found]]
        grace = np.full(n, self.grace_periods, dtype=np.int64)
        if grace_col is not None:
            # missing grace_left (e.g. customers new in previous) means a full grace period
            block, _ = numeric_columns(
                grace_col.to_frame("grace_left"),
                ["grace_left"],
                nan_policy="omit",
                func="TierPolicy.assign",
                name="previous",
                integer=True,
                bounds=(0.0, float(np.iinfo(np.int32).max)),
            )
            g = block["grace_left"].to_numpy()
            g = np.where(np.isnan(g), self.grace_periods, g).astype(np.int64)
            grace[found] = g[pos[found]]
        return prev, grace

    # -- qualification window -----------------------------------------------------------------

    def qualification_metrics(
        self,
        transactions: Any,
        /,
        *,
        observation_end: Any,
        customer: Hashable = "customer_id",
        time: Hashable = "date",
        amount: Hashable | None = "amount",
        date_format: str | None = None,
        nan_policy: str = "raise",
    ) -> pd.DataFrame:
        r"""Spend and purchase counts of every member in the qualification window.

        The window ends with the review day ``observation_end`` (inclusive, the whole calendar
        day) and covers the ``window`` days before it: purchases on days :math:`d` with
        :math:`e - \text{window} < d \le e` count (:math:`e` the review day); with
        ``window=None`` every purchase up to ``observation_end`` counts. The metrics are those
        of :func:`custloyalty.rfm_summary` on that slice of the transactions, so they can be
        fed to :meth:`assign` directly.

        Parameters
        ----------
        transactions
            One row per purchase (pandas DataFrame, or anything with ``to_pandas()``), or a
            transaction window already observed (used without validating again).
        observation_end
            Review date; later purchases are ignored.
        customer, time, amount
            Column names of the customer id, purchase date/time and purchase value.
            ``amount=None`` leaves out ``spend``.
        date_format
            Format of date strings (default: inferred from the first date, see
            :func:`custloyalty.rfm_summary`).
        nan_policy
            ``"raise"`` (default) or ``"omit"`` rows with missing ids, dates or amounts.

        Returns
        -------
        pandas.DataFrame
            Indexed by customer (sorted ids), one row per customer with a purchase on or
            before ``observation_end`` (members without a purchase in the window get zeros),
            columns ``spend`` (sum of amounts, >= 0 for non-negative amounts),
            ``n_purchases`` (transactions) and ``purchase_days`` (distinct calendar days with
            a purchase). ``attrs["custloyalty"]`` records ``observation_end``, ``window`` and
            the first day counted (``window_start``).

        Raises
        ------
        ValidationError
            Invalid transactions (see :func:`custloyalty.rfm_summary`), an unparseable
            ``observation_end`` or one whose time zone does not match the data, or no
            purchase on or before ``observation_end``.

        See Also
        --------
        custloyalty.rfm_summary : the per-customer aggregation used on the window.
        assign : tiers from these metrics.

        Notes
        -----
        For member :math:`i` with purchases :math:`(d_k, a_k)` (calendar day, amount), review
        day :math:`e` and window :math:`W` days,

        $$\text{spend}_i = \sum_{k : e - W < d_k \le e} a_k,\qquad
        \text{n\_purchases}_i = \#\{k : e - W < d_k \le e\},$$

        and ``purchase_days`` counts the distinct :math:`d_k` in the window.

        Examples
        --------
        >>> import pandas as pd
        >>> from custloyalty.segmentation import TierPolicy
        >>> tx = pd.DataFrame({
        ...     "customer_id": ["ann", "ann", "ann", "bob", "bob"],
        ...     "date": ["2023-06-30", "2023-07-01", "2024-06-30", "2023-01-15", "2023-01-15"],
        ...     "amount": [500.0, 120.0, 80.0, 40.0, 60.0],
        ... })
        >>> policy = TierPolicy(
        ...     [{"name": "Gold", "qualify": {"spend": 150}}, {"name": "Member"}], window="366D"
        ... )
        >>> m = policy.qualification_metrics(tx, observation_end="2024-06-30")
        >>> m
                     spend  n_purchases  purchase_days
        customer_id
        ann          200.0            2              2
        bob            0.0            0              0
        >>> policy.assign(m)["tier"].tolist()
        ['Gold', 'Member']
        """
        func = "TierPolicy.qualification_metrics"
        if observation_end is None:
            msg = (
                f"The 'observation_end' parameter of {func} is required: the review day ends "
                "the qualification window."
            )
            raise ValidationError(msg)
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
        end_day = w.observation_end
        window_days = self._window_length()
        first_day = None if window_days is None else end_day - window_days + 1
        entries = w.entries
        if first_day is not None:  # every member stays in the index, absent ones get zeros
            entries = entries.select(entries.day >= first_day)
        agg = per_customer(entries)
        cols: dict[str, Any] = {}
        if entries.amount is not None:
            cols["spend"] = agg["total"]
        cols["n_purchases"] = agg["n_rows"]
        cols["purchase_days"] = agg["n_days"]
        out = pd.DataFrame(cols, index=w.customers)
        out.attrs["custloyalty"] = {
            "observation_end": str(np.datetime64(end_day, "D")),
            "window": self.window,
            "window_start": None if first_day is None else str(np.datetime64(first_day, "D")),
        }
        return out

    def _window_length(self) -> int | None:
        return None if self.window is None else int(self.window[:-1])

    # -- points -------------------------------------------------------------------------------

    def points(self, spend: Any) -> pd.Series:
        r"""Points balance at the end of the last period, with earning and expiry.

        Parameters
        ----------
        spend
            Table indexed by customer with one column per period, in time order (e.g.
            ``order_value(tx, period="Q")["total_value"].unstack(fill_value=0)``).

        Returns
        -------
        pandas.Series
            Named ``points``, indexed like ``spend``, >= 0: points earned in the periods that
            have not expired by the end of the last one.

        Raises
        ------
        ValidationError
            Non-numeric, missing or negative spend, or points beyond the float range.

        Notes
        -----
        With spend :math:`s_{it}` in period :math:`t = 1..T`, rate :math:`\rho` and expiry
        :math:`E` periods,

        $$P_i = \sum_{t = \max(1, T - E + 1)}^{T} \lfloor \rho\, s_{it} \rfloor .$$
        """
        frame = as_frame(spend, name="spend")
        values, _ = numeric_columns(
            frame, None, func="TierPolicy.points", name="spend", bounds=(0.0, np.inf)
        )
        with np.errstate(over="ignore"):
            earned = np.floor(values.to_numpy() * self.points_per_unit + 1e-9)
            if self.points_expiry is not None:
                earned = earned[:, -self.points_expiry :]
            total = earned.sum(axis=1)
        if not np.isfinite(total).all():
            pos = np.flatnonzero(~np.isfinite(total))
            msg = (
                f"TierPolicy.points: the points of {plural(pos.size, 'customer')} "
                f"{format_examples(values.index[pos], total[pos])} exceed the float range "
                f"(spend x points_per_unit = {self.points_per_unit:g}).\nHint: check the spend "
                "columns for amounts in the wrong unit."
            )
            raise ValidationError(msg)
        return pd.Series(total, index=values.index, name="points")

    # -- serialisation ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the policy as JSON-safe builtins, after the saved-state header.

        The header (``kind``, ``format_version``, ``custloyalty_version``) lets
        :meth:`from_dict` refuse a state of another kind or of an unknown format version.
        """
        return {
            **header(self._state_kind),
            "tiers": [t.to_dict() for t in self.tiers],
            "grace_periods": self.grace_periods,
            "points_per_unit": self.points_per_unit,
            "points_expiry": self.points_expiry,
            "window": self.window,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Rebuild a policy from :meth:`to_dict` (validated like the constructor).

        Raises
        ------
        ValidationError
            Not a saved TierPolicy of this format version, no ``tiers`` list, or rules the
            constructor refuses (named in the message).
        """
        where = f"{cls.__name__}.from_dict"
        state = check_header(data, cls._state_kind, where=where)
        refuse_unknown_keys(state, _STATE_KEYS, where=where)
        tiers = state_key(state, "tiers", where=where)
        if isinstance(tiers, str | bytes) or not isinstance(tiers, Sequence):
            msg = f"{where}: 'tiers' must be a list of tiers; got {tiers!r:.80}."
            raise ValidationError(msg)
        for i, tier in enumerate(tiers):
            name = tier.get("name") if isinstance(tier, Mapping) else None
            if isinstance(tier, Mapping) and not isinstance(name, str):
                msg = f"{where}: tiers[{i}].name must be a string; got {name!r:.80}."
                raise ValidationError(msg)
        return cls(
            tiers,
            grace_periods=state.get("grace_periods", 0),
            points_per_unit=state.get("points_per_unit", 1.0),
            points_expiry=state.get("points_expiry"),
            window=state.get("window"),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TierPolicy) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

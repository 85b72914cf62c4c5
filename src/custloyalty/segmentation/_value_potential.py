r"""Value x potential tiers: current spend against predicted lifetime value, with actions."""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._results import Result
from custloyalty._state import (
    Stateful,
    check_header,
    header,
    refuse_unknown_keys,
    state_floats,
    state_key,
)
from custloyalty._validation import (
    as_1d_float,
    check_discount_rate,
    check_option,
    check_positive,
    plural,
)
from custloyalty.errors import NotFittedError, ValidationError

__all__ = ["ACTIONS", "ValuePotentialGrid", "ValuePotentialResult", "value_potential_tiers"]

FloatArray = npt.NDArray[np.float64]
_FUNC = "value_potential_tiers"
_WEEK = 7.0

_LEVELS = {2: ("low", "high"), 3: ("low", "medium", "high")}
#: Default action of each (value level, potential level) cell, for 2 and 3 levels.
ACTIONS: dict[int, dict[tuple[str, str], str]] = {
    2: {
        ("high", "high"): "retain",
        ("low", "high"): "develop",
        ("high", "low"): "maintain",
        ("low", "low"): "harvest",
    },
    3: {
        ("high", "high"): "retain",
        ("medium", "high"): "grow",
        ("low", "high"): "develop",
        ("high", "medium"): "protect",
        ("medium", "medium"): "maintain",
        ("low", "medium"): "nurture",
        ("high", "low"): "maintain",
        ("medium", "low"): "harvest",
        ("low", "low"): "harvest",
    },
}
_TRANSACTION_MODELS = ("bg_nbd", "pareto_nbd")


@dataclass(frozen=True, slots=True)
class ValuePotentialResult(Result):
    """Customers placed on a value x potential grid, with the action of each cell."""

    customers: pd.DataFrame
    """Indexed by customer: ``total_spend`` (current value, in the window), ``potential``
    (predicted CLV over ``horizon`` months, >= 0), ``value_level`` and ``potential_level``
    (ordered categoricals, low to high) and ``action``."""
    counts: pd.DataFrame
    """Customers per cell: rows value level (high first), columns potential level (low to
    high)."""
    actions: pd.DataFrame
    """The action of each cell, laid out like ``counts``."""
    value_thresholds: list[float]
    """Cut-offs of ``total_spend`` between consecutive levels (a value at a cut-off goes up)."""
    potential_thresholds: list[float]
    """Cut-offs of ``potential`` between consecutive levels."""
    horizon: int
    """Months over which the potential is predicted."""
    model: str
    """Transaction model of the potential (``bg_nbd`` or ``pareto_nbd``)."""
    observation_end: pd.Timestamp
    """End of the window of the current value."""


def _clv(tm: Any, gg: Any, weeks: pd.DataFrame, horizon: int, discount_rate: float) -> pd.Series:
    """CLV over ``horizon`` months of a summary in weeks (:func:`custloyalty.models.clv`)."""
    from custloyalty.models import clv

    return clv(tm, gg, weeks, horizon=horizon, discount_rate=discount_rate, time_unit="W")


def _cuts(
    values: FloatArray, given: Sequence[float] | None, k: int, name: str, func: str = _FUNC
) -> list[float]:
    if given is None:
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            msg = f"{func}: no finite {name.split('_')[0]}, so no cut-offs can be learned."
            raise ValidationError(msg)
        return [float(q) for q in np.quantile(finite, np.arange(1, k) / k)]
    return _fixed_cuts(given, k, name, func)


def _fixed_cuts(given: Sequence[float], k: int, name: str, func: str) -> list[float]:
    if isinstance(given, str | bytes) or not isinstance(given, Sequence | np.ndarray):
        msg = f"The {name!r} parameter of {func} must be a list of numbers; got {given!r}."
        raise ValidationError(msg)
    cuts = [check_positive(c, name, func=func, strict=False) for c in given]
    if len(cuts) != k - 1 or any(b <= a for a, b in itertools.pairwise(cuts)):
        msg = (
            f"The {name!r} parameter of {func} must hold {k - 1} increasing cut-off(s) for "
            f"levels={k}; got {list(given)!r}."
        )
        raise ValidationError(msg)
    return cuts


def _check_levels(levels: Any, func: str) -> int:
    if isinstance(levels, bool) or levels not in _LEVELS:
        check_option(levels, "levels", (2, 3), func=func)
    return int(levels)


def _cell_actions(levels: int, actions: Any, func: str) -> dict[tuple[str, str], str]:
    cell_actions = dict(ACTIONS[levels])
    if actions is not None and not isinstance(actions, Mapping):
        msg = (
            f"The 'actions' parameter of {func} must map cells (value level, potential level) "
            f"to action names, such as {{('high', 'low'): 'Retain'}}; got "
            f"{type(actions).__name__} {actions!r}."
        )
        raise ValidationError(msg)
    if actions is not None:
        for key, name in actions.items():
            if key not in cell_actions:
                msg = (
                    f"The 'actions' parameter of {func} names the cell {key!r}, which a "
                    f"{levels} x {levels} grid does not have; cells are "
                    f"{sorted(cell_actions)!r}."
                )
                raise ValidationError(msg)
            if not isinstance(name, str) or not name.strip():
                msg = (
                    f"The 'actions' parameter of {func} names the action of cell {key!r} "
                    f"{name!r}; an action is a non-empty text such as 'retain'."
                )
                raise ValidationError(msg)
            cell_actions[key] = name
    return cell_actions


_STATE_KEYS = (
    "kind",
    "format_version",
    "custloyalty_version",
    "levels",
    "value_thresholds",
    "potential_thresholds",
    "actions",
    "fitted_value_thresholds",
    "fitted_potential_thresholds",
)


def _pair(
    value: Any, potential: Any, func: str, *, allow_inf: bool
) -> tuple[FloatArray, FloatArray]:
    """Value and potential as float arrays of one length (NaN kept: no cell)."""
    v, _ = as_1d_float(
        value,
        "value",
        func=func,
        nan_policy="omit",
        keep_missing=True,
        allow_empty=True,
        allow_inf=allow_inf,
    )
    p, _ = as_1d_float(
        potential,
        "potential",
        func=func,
        nan_policy="omit",
        keep_missing=True,
        allow_empty=True,
        allow_inf=allow_inf,
    )
    if v.shape != p.shape:
        msg = (
            f"value and potential passed to {func} must hold one number per customer each; "
            f"got {v.size} values and {p.size} potentials."
        )
        raise ValidationError(msg)
    return v, p


def _align(value: pd.Series, potential: pd.Series) -> pd.Series:
    """``potential`` in the customer order of ``value`` (two Series: matched by label)."""
    if potential.index.equals(value.index):
        return potential
    if not (value.index.is_unique and potential.index.is_unique):
        msg = (
            "value and potential passed to ValuePotentialGrid.assign are Series with "
            "different indexes, and one repeats a customer, so they cannot be matched."
        )
        raise ValidationError(msg)
    missing = value.index[~value.index.isin(potential.index)]
    extra = potential.index[~potential.index.isin(value.index)]
    if len(missing) or len(extra):
        msg = (
            "value and potential passed to ValuePotentialGrid.assign are Series of different "
            f"customers: {len(missing)} in value only (e.g. {list(missing[:5])!r}), "
            f"{len(extra)} in potential only (e.g. {list(extra[:5])!r}).\nHint: pass the "
            "same customers to both, or plain arrays in one order."
        )
        raise ValidationError(msg)
    return potential.reindex(value.index)


class ValuePotentialGrid(Stateful):
    r"""Value x potential cut-offs learned on one base and applied to any customer.

    The grid of :func:`value_potential_tiers`, split into ``fit`` (learn the cut-offs of each
    axis on a base: quantiles, or fixed ones kept as given) and ``assign`` (place any customer
    from its own value and potential), so that customers scored later, alone or in any batch,
    land in the cell their values had in the fitted base. A fitted
    :class:`~custloyalty.scorecard.LoyaltyScorecard` keeps one (``value_potential_``).

    Parameters
    ----------
    levels
        2 (default, low and high) or 3 (low, medium, high) levels on each axis.
    value_thresholds, potential_thresholds
        Fixed increasing cut-offs (``levels - 1`` of them) of value and of potential; default
        learned at :meth:`fit`, the quantiles $k / \text{levels}$ of the fitted values.
    actions
        Mapping ``(value level, potential level) -> action`` replacing some of the defaults
        (:data:`ACTIONS`).

    Attributes
    ----------
    value_thresholds_, potential_thresholds_ : list of float
        Cut-offs between consecutive levels, increasing (a value at a cut-off goes up).

    Raises
    ------
    ValidationError
        ``levels`` not 2 or 3; fixed cut-offs in the wrong number or order; unknown cells in
        ``actions``.

    Notes
    -----
    With cut-offs $s_1 \le \dots \le s_{L-1}$ of the value $S_i$ and $c_1 \le \dots \le
    c_{L-1}$ of the potential $P_i$, customer $i$ is in cell
    $(\#\{k : S_i \ge s_k\},\ \#\{k : P_i \ge c_k\})$; a missing value or potential gets
    no cell.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). RFM and CLV: Using iso-value curves
    for customer base analysis. *Journal of Marketing Research*, 42(4), 415-430.
    https://doi.org/10.1509/jmkr.2005.42.4.415

    Examples
    --------
    >>> from custloyalty.segmentation import ValuePotentialGrid
    >>> grid = ValuePotentialGrid().fit([10.0, 20.0, 30.0, 40.0], [5.0, 1.0, 8.0, 2.0])
    >>> grid.value_thresholds_, grid.potential_thresholds_
    ([25.0], [3.5])
    >>> grid.assign([35.0, 5.0], [0.0, 9.0])["action"].tolist()
    ['maintain', 'develop']
    """

    _state_kind = "value_potential_grid"

    def __init__(
        self,
        levels: int = 2,
        *,
        value_thresholds: Sequence[float] | None = None,
        potential_thresholds: Sequence[float] | None = None,
        actions: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        func = "ValuePotentialGrid"
        self.levels = _check_levels(levels, func)
        self.value_thresholds = (
            None
            if value_thresholds is None
            else _fixed_cuts(value_thresholds, self.levels, "value_thresholds", func)
        )
        self.potential_thresholds = (
            None
            if potential_thresholds is None
            else _fixed_cuts(potential_thresholds, self.levels, "potential_thresholds", func)
        )
        self.actions = _cell_actions(self.levels, actions, func)

    @property
    def names(self) -> tuple[str, ...]:
        """Level names, low to high."""
        return _LEVELS[self.levels]

    def fit(self, value: Any, potential: Any) -> ValuePotentialGrid:
        """Learn the cut-offs of each axis on the fitted base (NaN ignored).

        ``value`` and ``potential`` are numbers, one of each per customer (same length);
        text, booleans, infinite values, dates or tables raise :class:`ValidationError`.
        """
        func = "ValuePotentialGrid.fit"
        v, p = _pair(value, potential, func, allow_inf=False)
        self.value_thresholds_ = _cuts(v, self.value_thresholds, self.levels, "value", func)
        self.potential_thresholds_ = _cuts(
            p, self.potential_thresholds, self.levels, "potential", func
        )
        return self

    def codes(self, value: Any, potential: Any) -> tuple[npt.NDArray[np.int64], ...]:
        """Level index on each axis (0 = low), -1 where the value or the potential is NaN."""
        if not hasattr(self, "value_thresholds_"):
            msg = "This ValuePotentialGrid is not fitted yet; call fit() first."
            raise NotFittedError(msg)
        v, p = _pair(value, potential, "ValuePotentialGrid.assign", allow_inf=True)
        out = []
        for arr, cuts in ((v, self.value_thresholds_), (p, self.potential_thresholds_)):
            code = np.searchsorted(np.asarray(cuts, dtype=np.float64), arr, side="right")
            code = np.asarray(code, dtype=np.int64)
            out.append(code)
        missing = np.isnan(v) | np.isnan(p)
        out[0][missing] = -1
        out[1][missing] = -1
        return out[0], out[1]

    def action_table(self) -> npt.NDArray[np.object_]:
        """Actions as an array ``[value code, potential code]`` (low first on both axes)."""
        names = self.names
        return np.array([[self.actions[(v, p)] for p in names] for v in names], dtype=object)

    def assign(self, value: Any, potential: Any, *, index: Any = None) -> pd.DataFrame:
        """Return ``value_level``, ``potential_level`` (ordered categoricals) and ``action``.

        Two Series are matched by customer (``potential`` reordered to ``value``'s index; other
        customers raise); arrays by position. ``index`` labels the rows (default: ``value``'s
        index, or positions).
        """
        if isinstance(value, pd.Series) and isinstance(potential, pd.Series):
            potential = _align(value, potential)
        v_code, p_code = self.codes(value, potential)
        if index is None:
            index = value.index if isinstance(value, pd.Series) else pd.RangeIndex(v_code.size)
        if len(index) != v_code.size:
            msg = (
                f"The 'index' parameter of ValuePotentialGrid.assign has {len(index)} labels "
                f"for {v_code.size} customers."
            )
            raise ValidationError(msg)
        dtype = pd.CategoricalDtype(list(self.names), ordered=True)
        table = self.action_table()
        action = table[np.maximum(v_code, 0), np.maximum(p_code, 0)]
        action[v_code < 0] = None
        return pd.DataFrame(
            {
                "value_level": pd.Categorical.from_codes(v_code, dtype=dtype),
                "potential_level": pd.Categorical.from_codes(p_code, dtype=dtype),
                "action": action,
            },
            index=index,
        )

    def cell_counts(
        self, v_code: npt.NDArray[np.int64], p_code: npt.NDArray[np.int64]
    ) -> tuple[int, ...]:
        """Count the customers per cell, row-major (value code, potential code), low first."""
        k = self.levels
        ok = v_code >= 0
        flat = np.bincount(v_code[ok] * k + p_code[ok], minlength=k * k)
        return tuple(int(c) for c in flat)

    def tables(self, counts: Sequence[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Lay out counts and actions: rows value level (high first), columns potential level."""
        k = self.levels
        names = list(self.names)
        rows = pd.Index(names[::-1], name="value")
        cols = pd.Index(names, name="potential")
        grid = np.asarray(counts, dtype=np.int64).reshape(k, k)
        counts_df = pd.DataFrame(grid[::-1], index=rows, columns=cols)
        actions_df = pd.DataFrame(self.action_table()[::-1], index=rows, columns=cols)
        return counts_df, actions_df

    def to_dict(self) -> dict[str, Any]:
        """Return levels, actions, fixed and fitted cut-offs as a JSON-safe dict."""
        return {
            **header(self._state_kind),
            "levels": self.levels,
            "value_thresholds": self.value_thresholds,
            "potential_thresholds": self.potential_thresholds,
            "actions": [[v, p, a] for (v, p), a in self.actions.items()],
            "fitted_value_thresholds": list(getattr(self, "value_thresholds_", [])),
            "fitted_potential_thresholds": list(getattr(self, "potential_thresholds_", [])),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ValuePotentialGrid:
        """Rebuild from :meth:`to_dict`, checking the cut-offs (count, finite, order).

        Raises
        ------
        ValidationError
            A saved state of another kind or format; a missing or malformed entry (the
            message names the key): levels not 2 or 3, cut-offs not finite, not sorted or
            not ``levels - 1`` of them, actions that do not list every cell exactly once.
        """
        where = "ValuePotentialGrid.from_dict"
        data = check_header(data, cls._state_kind, where=where)
        refuse_unknown_keys(data, _STATE_KEYS, where=where)
        levels = state_key(data, "levels", where=where)
        if isinstance(levels, bool) or not isinstance(levels, int) or levels not in _LEVELS:
            msg = f"{where}: levels must be 2 or 3; got {levels!r:.80}."
            raise ValidationError(msg)
        k = int(levels)
        fixed: dict[str, list[float] | None] = {}
        for key in ("value_thresholds", "potential_thresholds"):
            given = state_key(data, key, where=where)
            fixed[key] = (
                None
                if given is None
                else state_floats(given, key, where=where, length=k - 1, increasing=True)
            )
        raw_actions = state_key(data, "actions", where=where)
        ok = isinstance(raw_actions, list) and all(
            isinstance(a, list) and len(a) == 3 and all(isinstance(x, str) for x in a)
            for a in raw_actions
        )
        if not ok:
            msg = (
                f"{where}: actions must be a list of [value level, potential level, action] "
                f"strings; got {raw_actions!r:.80}."
            )
            raise ValidationError(msg)
        cells = [(a[0], a[1]) for a in raw_actions]
        if len(set(cells)) != len(cells) or set(cells) != set(ACTIONS[k]):
            # to_dict writes every cell once: a repeated cell would keep its last action, a
            # missing one the default, both silently
            twice = sorted({c for c in cells if cells.count(c) > 1})
            missing = sorted(set(ACTIONS[k]) - set(cells))
            msg = (
                f"{where}: actions must list each of the {k * k} cells of a {k} x {k} grid "
                f"once; cells listed twice: {twice!r}, cells missing: {missing!r}."
                "\nHint: the state was edited by hand; fit or build the grid again."
            )
            raise ValidationError(msg)
        actions = {(a[0], a[1]): a[2] for a in raw_actions}
        try:
            obj = cls(
                k,
                value_thresholds=fixed["value_thresholds"],
                potential_thresholds=fixed["potential_thresholds"],
                actions=actions,
            )
        except ValidationError as exc:
            msg = f"{where}: {exc}"
            raise ValidationError(msg) from None
        fitted = {
            key: state_key(data, key, where=where)
            for key in ("fitted_value_thresholds", "fitted_potential_thresholds")
        }
        if all(v == [] for v in fitted.values()):  # saved before fit(): not fitted
            return obj
        for key, raw in fitted.items():
            cuts = state_floats(raw, key, where=where, length=k - 1, increasing=True)
            given = fixed[key.removeprefix("fitted_")]
            if given is not None and [float(x) for x in given] != cuts:
                msg = (
                    f"{where}: {key} {cuts!r} differ from the fixed "
                    f"{key.removeprefix('fitted_')} {given!r}, which fit() keeps as given."
                    "\nHint: the state was edited by hand; edit both, or fit the grid again."
                )
                raise ValidationError(msg)
            setattr(obj, key.removeprefix("fitted_") + "_", cuts)
        return obj

    def __repr__(self) -> str:
        if not hasattr(self, "value_thresholds_"):
            return f"ValuePotentialGrid(levels={self.levels}, not fitted)"
        v = [float(f"{t:.6g}") for t in self.value_thresholds_]
        p = [float(f"{t:.6g}") for t in self.potential_thresholds_]
        return (
            f"ValuePotentialGrid(levels={self.levels}, value_thresholds={v}, "
            f"potential_thresholds={p})"
        )


def value_potential_tiers(
    transactions: Any,
    *,
    observation_end: Any = None,
    horizon: int = 12,
    levels: int = 2,
    model: Any = "bg_nbd",
    spend_model: Any = None,
    value_thresholds: Sequence[float] | None = None,
    potential_thresholds: Sequence[float] | None = None,
    actions: Mapping[tuple[str, str], str] | None = None,
    discount_rate: float = 0.01,
    customer: Hashable = "customer_id",
    time: Hashable = "date",
    amount: Hashable = "amount",
    date_format: str | None = None,
    nan_policy: str = "raise",
) -> ValuePotentialResult:
    r"""Place customers on a value x potential grid and name the action of each cell.

    Current value is the total spend in the window; potential is the customer lifetime value
    predicted over the next ``horizon`` months by a transaction model (BG/NBD or Pareto/NBD)
    and the Gamma-Gamma spend model, fitted on the same customers (or given fitted). Each axis
    is cut into ``levels`` levels, by quantiles (equal numbers of customers) or fixed
    thresholds, and each cell gets an action: with two levels, *retain* (high value, high
    potential), *develop* (low value, high potential), *maintain* (high value, low potential)
    and *harvest* (low, low).

    Parameters
    ----------
    transactions
        One row per purchase.
    observation_end
        End of the window (inclusive); default the last purchase day.
    horizon
        Months of the predicted CLV (integer >= 1, default 12).
    levels
        2 (default, a 2 x 2 grid) or 3 (low, medium, high: a 3 x 3 grid).
    model
        ``"bg_nbd"`` (default) or ``"pareto_nbd"``, fitted here on the customer summary in
        weeks; or a fitted :class:`~custloyalty.models.BetaGeo` /
        :class:`~custloyalty.models.ParetoNBD` (fitted in weeks).
    spend_model
        A fitted :class:`~custloyalty.models.GammaGamma`; default: fitted here on the repeat
        customers with a positive mean spend.
    value_thresholds, potential_thresholds
        Fixed increasing cut-offs (``levels - 1`` of them) of total spend and of potential;
        default the quantiles $k / \text{levels}$.
    actions
        Mapping ``(value level, potential level) -> action`` replacing some of the defaults
        (:data:`ACTIONS`); levels are ``"low"``, ``"medium"``, ``"high"``.
    discount_rate
        Monthly discount rate of the CLV, a fraction in [0, 1) (default 0.01).
    customer, time, amount
        Column names of the transactions.
    date_format
        Format of date strings (default: inferred).
    nan_policy
        ``"raise"`` (default) or ``"omit"`` rows with missing values.

    Returns
    -------
    ValuePotentialResult
        ``customers`` (``total_spend``, ``potential``, levels and ``action``), ``counts`` and
        ``actions`` grids, the thresholds; ``plot()`` draws the grid.

    Raises
    ------
    ValidationError
        Bad transactions or options (``date_format`` included: it is passed on to
        :func:`custloyalty.rfm_summary`); fixed thresholds in the wrong number or order;
        unknown cells in ``actions``.

    See Also
    --------
    value_tiers : tiers on one value axis.
    custloyalty.models.clv : the potential.

    Notes
    -----
    With $S_i$ the total spend of customer $i$ up to the observation end and
    $\mathrm{CLV}_i(H)$ its expected discounted spend over the next $H$ months
    (:func:`custloyalty.models.clv`), customer $i$ is in cell $(v_i, p_i)$ with
    $v_i = \#\{k : S_i \ge s_k\}$ and $p_i = \#\{k : \mathrm{CLV}_i(H) \ge c_k\}$ for the
    cut-offs $s_k$, $c_k$. Tiering on value and potential (rather than value alone) separates
    customers worth keeping from those worth developing (Verhoef & Donkers 2001; Kumar &
    Reinartz 2018, ch. 5).

    References
    ----------
    Verhoef, P. C., & Donkers, B. (2001). Predicting customer potential value: an application
    in the insurance industry. *Decision Support Systems*, 32(2), 189-199.
    https://doi.org/10.1016/S0167-9236(01)00110-5

    Kumar, V., & Reinartz, W. (2018). *Customer Relationship Management: Concept, Strategy,
    and Tools* (3rd ed.). Springer. https://doi.org/10.1007/978-3-662-55381-7

    Examples
    --------
    >>> from custloyalty.datasets import load_cdnow
    >>> from custloyalty.segmentation import value_potential_tiers
    >>> res = value_potential_tiers(load_cdnow("sample"), observation_end="1997-09-30")
    >>> res.counts
    potential  low  high
    value
    high       362   817
    low        804   374
    >>> res.actions
    potential       low     high
    value
    high       maintain   retain
    low         harvest  develop
    """
    from custloyalty import rfm_summary
    from custloyalty.models import BetaGeo, GammaGamma, ParetoNBD, get_model

    levels = _check_levels(levels, _FUNC)
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        msg = f"The 'horizon' parameter of {_FUNC} must be an integer >= 1; got {horizon!r}."
        raise ValidationError(msg)
    rate = check_discount_rate(discount_rate, func=_FUNC)
    cell_actions = _cell_actions(levels, actions, _FUNC)
    v_fixed = (
        None
        if value_thresholds is None
        else _fixed_cuts(value_thresholds, levels, "value_thresholds", _FUNC)
    )
    p_fixed = (
        None
        if potential_thresholds is None
        else _fixed_cuts(potential_thresholds, levels, "potential_thresholds", _FUNC)
    )

    summary = rfm_summary(
        transactions,
        customer=customer,
        time=time,
        amount=amount,
        observation_end=observation_end,
        time_unit="D",
        date_format=date_format,  # was not passed on: day-first dates were read month-first
        nan_policy=nan_policy,
    )
    weeks = pd.DataFrame(
        {
            "frequency": summary["frequency"].to_numpy(),
            "recency": summary["recency"].to_numpy(dtype=np.float64) / _WEEK,
            "T": summary["T"].to_numpy(dtype=np.float64) / _WEEK,
            "monetary": summary["monetary"].to_numpy(dtype=np.float64),
        },
        index=summary.index,
    )
    pos = weeks["T"].to_numpy() > 0
    if isinstance(model, str):
        check_option(model, "model", _TRANSACTION_MODELS, func=_FUNC)
        if not pos.any():
            end = summary.attrs.get("custloyalty", {}).get("observation_end", "observation_end")
            msg = (
                f"{_FUNC} fits the {model!r} model on customers observed for some time, but "
                f"all {plural(len(weeks), 'customer')} made their first purchase on the last "
                f"day ({end}), so no model can be fitted.\nHint: pass a later "
                "observation_end=, more history, or a fitted model= (BetaGeo / ParetoNBD)."
            )
            raise ValidationError(msg)
        model_name = model
        tm = get_model(model)().fit(weeks[pos])
    elif isinstance(model, BetaGeo | ParetoNBD):
        model_name = "bg_nbd" if isinstance(model, BetaGeo) else "pareto_nbd"
        tm = model
    else:
        msg = (
            f"The 'model' parameter of {_FUNC} must be 'bg_nbd', 'pareto_nbd' or a fitted "
            f"BetaGeo / ParetoNBD; got {type(model).__name__}."
        )
        raise ValidationError(msg)
    if spend_model is None:
        # the one rule for $0 repeat spend (GammaGamma.fit_rows): left out of the fit,
        # valued at the model's limit by the CLV below, as in the scorecard's clv indicator
        gg = GammaGamma().fit(weeks)
    elif isinstance(spend_model, GammaGamma):
        gg = spend_model
    else:
        msg = f"The 'spend_model' parameter of {_FUNC} must be a fitted GammaGamma or None."
        raise ValidationError(msg)
    potential = np.zeros(len(weeks))
    if pos.any():
        potential[pos] = _clv(tm, gg, weeks[pos], int(horizon), rate).to_numpy(dtype=np.float64)
    value = summary["total_amount"].to_numpy(dtype=np.float64)
    grid = ValuePotentialGrid(
        levels, value_thresholds=v_fixed, potential_thresholds=p_fixed, actions=cell_actions
    ).fit(value, potential)
    cells = grid.assign(value, potential, index=summary.index)
    customers = pd.DataFrame(
        {"total_spend": value, "potential": potential, **dict(cells.items())},
        index=summary.index,
    )
    counts_df, actions_df = grid.tables(grid.cell_counts(*grid.codes(value, potential)))
    end = pd.Timestamp(summary.attrs["custloyalty"]["observation_end"])
    return ValuePotentialResult(
        customers=customers,
        counts=counts_df,
        actions=actions_df,
        value_thresholds=list(grid.value_thresholds_),
        potential_thresholds=list(grid.potential_thresholds_),
        horizon=int(horizon),
        model=model_name,
        observation_end=end,
    )

r"""Value x potential tiers: current spend against predicted lifetime value, with actions."""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._results import Result
from custloyalty._validation import check_option, check_positive
from custloyalty.errors import ValidationError

__all__ = ["ACTIONS", "ValuePotentialResult", "value_potential_tiers"]

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
    """Call :func:`custloyalty.models.clv` (one place for its keyword names)."""
    from custloyalty.models import clv

    params = inspect.signature(clv).parameters
    kw: dict[str, Any] = {"discount_rate": discount_rate}
    kw["horizon" if "horizon" in params else "time"] = horizon
    kw["time_unit" if "time_unit" in params else "freq"] = "W"
    out: pd.Series = clv(tm, gg, weeks, **kw)
    return out


def _cuts(values: FloatArray, given: Sequence[float] | None, k: int, name: str) -> list[float]:
    if given is None:
        return [float(q) for q in np.quantile(values, np.arange(1, k) / k)]
    cuts = [check_positive(c, name, func=_FUNC, strict=False) for c in given]
    if len(cuts) != k - 1 or any(b <= a for a, b in itertools.pairwise(cuts)):
        msg = (
            f"The {name!r} parameter of {_FUNC} must hold {k - 1} increasing cut-off(s) for "
            f"levels={k}; got {list(given)!r}."
        )
        raise ValidationError(msg)
    return cuts


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
        Monthly discount rate of the CLV (default 0.01).
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
        Bad transactions or options; fixed thresholds in the wrong number or order; unknown
        cells in ``actions``.

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

    if levels not in _LEVELS or isinstance(levels, bool):
        check_option(levels, "levels", (2, 3), func=_FUNC)
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        msg = f"The 'horizon' parameter of {_FUNC} must be an integer >= 1; got {horizon!r}."
        raise ValidationError(msg)
    rate = check_positive(discount_rate, "discount_rate", func=_FUNC, strict=False)
    names = _LEVELS[levels]
    cell_actions = dict(ACTIONS[levels])
    if actions is not None:
        for key, name in actions.items():
            if key not in cell_actions:
                msg = (
                    f"The 'actions' parameter of {_FUNC} names the cell {key!r}, which a "
                    f"{levels} x {levels} grid does not have; cells are "
                    f"{sorted(cell_actions)!r}."
                )
                raise ValidationError(msg)
            cell_actions[key] = str(name)

    summary = rfm_summary(
        transactions,
        customer=customer,
        time=time,
        amount=amount,
        observation_end=observation_end,
        time_unit="D",
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
        repeat = (weeks["frequency"] > 0) & (weeks["monetary"] > 0)
        gg = GammaGamma().fit(weeks[repeat])
    elif isinstance(spend_model, GammaGamma):
        gg = spend_model
    else:
        msg = f"The 'spend_model' parameter of {_FUNC} must be a fitted GammaGamma or None."
        raise ValidationError(msg)
    # repeat customers whose repeat purchases cost nothing keep a tiny positive mean spend
    repeat_any = weeks["frequency"].to_numpy() > 0
    weeks["monetary"] = np.where(repeat_any, np.maximum(weeks["monetary"].to_numpy(), 0.01), 0.0)
    potential = np.zeros(len(weeks))
    if pos.any():
        potential[pos] = _clv(tm, gg, weeks[pos], int(horizon), rate).to_numpy(dtype=np.float64)
    value = summary["total_amount"].to_numpy(dtype=np.float64)
    v_cuts = _cuts(value, value_thresholds, levels, "value_thresholds")
    p_cuts = _cuts(potential, potential_thresholds, levels, "potential_thresholds")
    v_code = np.searchsorted(np.asarray(v_cuts), value, side="right")
    p_code = np.searchsorted(np.asarray(p_cuts), potential, side="right")
    dtype = pd.CategoricalDtype(list(names), ordered=True)
    v_level = pd.Categorical.from_codes(v_code, dtype=dtype)
    p_level = pd.Categorical.from_codes(p_code, dtype=dtype)
    table = np.array([[cell_actions[(v, p)] for p in names] for v in names], dtype=object)
    action = table[v_code, p_code]
    customers = pd.DataFrame(
        {
            "total_spend": value,
            "potential": potential,
            "value_level": v_level,
            "potential_level": p_level,
            "action": action,
        },
        index=summary.index,
    )
    counts = np.zeros((levels, levels), dtype=np.int64)
    np.add.at(counts, (v_code, p_code), 1)
    rows = pd.Index(list(names)[::-1], name="value")
    cols = pd.Index(list(names), name="potential")
    counts_df = pd.DataFrame(counts[::-1], index=rows, columns=cols)
    actions_df = pd.DataFrame(table[::-1], index=rows, columns=cols)
    end = pd.Timestamp(summary.attrs["custloyalty"]["observation_end"])
    return ValuePotentialResult(
        customers=customers,
        counts=counts_df,
        actions=actions_df,
        value_thresholds=v_cuts,
        potential_thresholds=p_cuts,
        horizon=int(horizon),
        model=model_name,
        observation_end=end,
    )

"""Common checks every metric must pass, for the test suite and for plugin authors.

:func:`check_metric` runs a registered metric (built-in, registered in-process, or published
by a plugin under the ``custloyalty.metrics`` entry-point group) the way a
:class:`~custloyalty.scorecard.LoyaltyScorecard` runs it, on seeded synthetic data or on the
tables you give, and checks the properties the scorecard relies on. custloyalty's own test
suite runs it over every name in :func:`custloyalty.metrics.available`; a plugin package can
run it in its own CI::

    from custloyalty.testing import check_metric

    def test_my_metric():
        check_metric("basket_size")
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from custloyalty._frames import as_frame, require_columns
from custloyalty._validation import check_positive
from custloyalty.errors import ValidationError
from custloyalty.metrics import (
    SURVEY_CUSTOMER,
    Metric,
    MetricInputs,
    check_output,
    get,
    metric_inputs,
)

__all__ = ["check_metric"]

_CHECKS = (
    "fit state is JSON-safe",
    "output shape and type",
    "deterministic",
    "row order does not matter",
    "chunked == whole",
    "inputs unchanged",
)


def _fail(name: str, check: str, detail: str) -> AssertionError:
    return AssertionError(f"check_metric({name!r}): {check!r} failed: {detail}")


def _as_series(value: Any, name: str, metric: Metric, index: pd.Index) -> pd.Series:
    # the run-time checks of the scorecard (shared code), reported as this check's failure
    try:
        check_output(metric, value, index)
    except ValidationError as exc:
        raise _fail(name, "output shape and type", str(exc)) from None
    if not isinstance(value, pd.Series):
        raise _fail(
            name,
            "output shape and type",
            f"a customer-level metric must return a pandas Series indexed by customer; "
            f"got {type(value).__name__}.",
        )
    if not value.index.is_unique:
        dup = value.index[value.index.duplicated()].unique()[:5].tolist()
        raise _fail(name, "output shape and type", f"duplicated customers in the index: {dup}.")
    numeric = pd.to_numeric(value, errors="coerce")
    if (numeric.isna() & value.notna()).any():
        raise _fail(name, "output shape and type", "the values are not numeric.")
    return numeric.astype(np.float64)


def _as_number(value: Any, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise _fail(
            name,
            "output shape and type",
            f"a base-level metric must return a number; got {type(value).__name__}.",
        ) from None
    return out


def _same(
    name: str, check: str, got: pd.Series | float, want: pd.Series | float, rtol: float
) -> None:
    if isinstance(want, pd.Series):
        assert isinstance(got, pd.Series)
        if not got.index.sort_values().equals(want.index.sort_values()):
            extra = got.index.difference(want.index)[:5].tolist()
            missing = want.index.difference(got.index)[:5].tolist()
            raise _fail(name, check, f"different customers (extra {extra}, missing {missing}).")
        g = got.reindex(want.index).to_numpy(dtype=np.float64)
        w = want.to_numpy(dtype=np.float64)
    else:
        g, w = np.array([got]), np.array([want])
    close = np.isclose(g, w, rtol=rtol, atol=rtol, equal_nan=True)
    if not close.all():
        bad = np.flatnonzero(~close)[:5]
        pairs = ", ".join(f"{g[i]!r} vs {w[i]!r}" for i in bad)
        raise _fail(name, check, f"{int((~close).sum())} values differ: {pairs}.")


def _options(options: Any, func: str) -> dict[str, Any]:
    """Return the options as a dict (a mapping of option names to values)."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        msg = (
            f"The 'options' parameter of {func} must be a mapping of option names to values; "
            f"got {type(options).__name__} {options!r:.60}."
        )
        raise ValidationError(msg)
    return dict(options)  # names the metric does not take: refused by Metric.compute


def _seed(value: Any, func: str) -> int:
    """Return the seed of the default data and the shuffles (a non-negative integer)."""
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if not whole or int(value) < 0:
        msg = f"The 'seed' parameter of {func} must be a non-negative integer; got {value!r}."
        raise ValidationError(msg)
    return int(value)


def _n_customers(value: Any, func: str) -> int:
    """Size of the default synthetic base: two customers at least (two chunks)."""
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if not whole or int(value) < 2:
        msg = (
            f"The 'n_customers' parameter of {func} must be an integer >= 2 (the chunked check "
            f"splits the customers in two); got {value!r}."
        )
        raise ValidationError(msg)
    return int(value)


def check_metric(
    metric: str | Metric,
    /,
    *,
    transactions: Any = None,
    surveys: Any = None,
    observation_end: Any = None,
    options: Mapping[str, Any] | None = None,
    n_customers: int = 300,
    seed: int = 0,
    rtol: float = 1e-9,
) -> list[str]:
    """Check that a metric behaves as a scorecard indicator must.

    The metric is computed as :class:`~custloyalty.scorecard.LoyaltyScorecard` computes it
    (inputs from :func:`custloyalty.metrics.metric_inputs`, fitting step first when the metric
    has one, its state passed back when scoring) and checked for:

    * **fit state is JSON-safe**: the fitted state, with fitted objects (models) written
      through their ``to_dict``, survives ``json.dumps(allow_nan=False)``;
    * **output shape and type**: the run-time checks of the scorecard
      (:meth:`custloyalty.metrics.Metric.compute_checked`): a customer-level metric returns
      a numeric Series with a unique index and finite values, one per customer (transaction
      metrics: every customer, no missing value; survey metrics: a subset of the customers)
      or an array of exactly one value per customer; a base-level metric returns a finite
      number;
    * **deterministic**: two calls give the same values;
    * **row order does not matter**: shuffling the transaction and survey rows changes nothing;
    * **chunked == whole** (customer-level): with the fitted state held fixed, computing the
      metric on two disjoint groups of customers and concatenating gives the whole-base values,
      so it can run partition by partition;
    * **inputs unchanged**: neither the caller's tables nor the inputs passed to the metric
      are modified.

    Parameters
    ----------
    metric
        A registered name (see :func:`custloyalty.metrics.available`) or a
        :class:`~custloyalty.metrics.Metric`.
    transactions, surveys
        Data to check on, with the canonical column names (``customer_id``, ``date``,
        ``amount``; surveys keyed by ``customer_id``). Default:
        ``make_transactions(n_customers, seed=seed)`` (it has a ``quantity`` column) and
        ``make_survey`` answers from half of those customers (ECSI items, ``recommend``,
        ``csat``, ``ces``).
    observation_end
        End of the observation window (default: the last purchase day).
    options
        Options passed to the metric, as in a scorecard's indicator settings.
    n_customers, seed
        Size and seed of the default synthetic data; ``seed`` also drives the shuffles and the
        split into chunks.
    rtol
        Relative (and absolute) tolerance of the comparisons.

    Returns
    -------
    list of str
        Names of the checks that ran and passed.

    Raises
    ------
    AssertionError
        A check failed; the message names the metric, the check and what differed.
    ValidationError
        An option the metric's function does not take (with the closest name as hint),
        ``options`` not a mapping, tables that are not tables or lack ``customer_id``, a
        negative or non-integer ``seed``, ``n_customers`` below 2, or ``rtol`` not a finite
        number >= 0.

    Examples
    --------
    >>> from custloyalty.testing import check_metric
    >>> check_metric("monetary")
    ['fit state is JSON-safe', 'output shape and type', 'deterministic', \
'row order does not matter', 'chunked == whole', 'inputs unchanged']
    """
    from custloyalty.datasets import make_survey, make_transactions

    m = metric if isinstance(metric, Metric) else get(metric)
    name = m.name
    func = f"check_metric({name!r})"
    opts = _options(options, func)
    seed = _seed(seed, func)
    rtol = check_positive(rtol, "rtol", func=func, strict=False)
    rng = np.random.default_rng(seed)
    if transactions is None:
        tx = make_transactions(_n_customers(n_customers, func), seed=seed)
    else:
        tx = as_frame(transactions, name="transactions")
        require_columns(tx, ["customer_id"], name="transactions")
        if tx.empty:
            msg = f"The transactions passed to {func} are empty (0 rows)."
            raise ValidationError(msg)
    if surveys is None:
        ids = pd.unique(pd.Series(tx["customer_id"]))
        surveys = make_survey(max(len(ids) // 2, 1), seed=seed + 1, customer_ids=ids)
    else:
        surveys = as_frame(surveys, name="surveys")
        require_columns(surveys, [SURVEY_CUSTOMER], name="surveys")
    tx_before = tx.copy(deep=True)
    sv_before = surveys.copy(deep=True)

    def build(t: Any, s: Any, end: Any) -> MetricInputs:
        return metric_inputs(
            t,
            s,
            observation_end=end,
            with_transactions="transactions" in m.inputs,
            func=func,
        )

    whole = build(tx, surveys, observation_end)
    end = whole.observation_end
    inputs = whole.as_dict()
    frozen = {k: v.copy(deep=True) for k, v in inputs.items() if isinstance(v, pd.DataFrame)}

    from custloyalty.scorecard import serialise

    state = m.fit_state(inputs, seed=seed, **opts)
    try:
        json.dumps(serialise(state), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise _fail(name, _CHECKS[0], f"json.dumps raised {exc!r}.") from None

    def run(inp: Mapping[str, Any]) -> pd.Series | float:
        value = m.compute({**inp, "state": state}, **opts)
        if m.level == "base":
            try:
                check_output(m, value, inp["summary"].index)
            except ValidationError as exc:
                raise _fail(name, "output shape and type", str(exc)) from None
            return _as_number(value, name)
        return _as_series(value, name, m, inp["summary"].index)

    first = run(inputs)
    summary = whole.summary
    if isinstance(first, pd.Series):
        if not first.index.isin(summary.index).all():
            extra = first.index[~first.index.isin(summary.index)][:5].tolist()
            raise _fail(name, _CHECKS[1], f"values for unknown customers {extra}.")
        if m.source == "transactions":
            full = first.reindex(summary.index)
            if full.isna().any():
                miss = full.index[full.isna()][:5].tolist()
                raise _fail(
                    name,
                    _CHECKS[1],
                    f"{int(full.isna().sum())} customers have no value (e.g. {miss}); a "
                    "transaction metric must cover every customer.",
                )
    _same(name, _CHECKS[2], run(inputs), first, rtol)

    perm_tx = tx.iloc[rng.permutation(len(tx))]
    perm_sv = surveys.iloc[rng.permutation(len(surveys))]
    _same(name, _CHECKS[3], run(build(perm_tx, perm_sv, end).as_dict()), first, rtol)

    checks = list(_CHECKS[:4])
    if isinstance(first, pd.Series):
        customers = summary.index.to_numpy()
        in_a = rng.random(len(customers)) < 0.5
        in_a[0], in_a[-1] = True, False  # both chunks non-empty
        group_a = set(customers[in_a].tolist())
        parts = []
        for keep in (True, False):
            t_mask = pd.Series(tx["customer_id"]).isin(group_a).to_numpy() == keep
            s_mask = pd.Series(surveys[SURVEY_CUSTOMER]).isin(group_a).to_numpy() == keep
            part = run(build(tx.loc[t_mask], surveys.loc[s_mask], end).as_dict())
            assert isinstance(part, pd.Series)
            parts.append(part)
        _same(name, _CHECKS[4], pd.concat(parts), first, rtol)
        checks.append(_CHECKS[4])

    for key, before in frozen.items():
        if not before.equals(inputs[key]):
            raise _fail(name, _CHECKS[5], f"the metric modified its {key!r} input.")
    for label, now, before in (("transactions", tx, tx_before), ("surveys", surveys, sv_before)):
        if not before.equals(now):
            raise _fail(name, _CHECKS[5], f"the caller's {label} table was modified.")
    checks.append(_CHECKS[5])
    return checks

"""Engines other than in-memory pandas: Dask, frames of other libraries, customer buckets.

The library computes on pandas. This package is the seam where other engines plug in, through
a few one-line hooks at the top of the public functions:

* :func:`rfm_summary` is called first by :func:`custloyalty.rfm_summary`: a Dask frame is
  summarised by shuffling its rows by customer and running the in-memory kernel per partition
  (:mod:`._dask`); a polars LazyFrame or a DuckDB relation is aggregated per customer-day inside
  its own engine (:mod:`._foreign`); anything else returns ``None`` and the pandas path runs.
* :func:`on_dask` is called first by the transaction metrics: per-customer metrics run per
  customer bucket on Dask, whole-base ones are refused with the way round.
* :func:`to_pandas` is called by :func:`custloyalty._frames.as_frame` for tables of other
  libraries (polars, pyarrow, DuckDB), keeping the customer ids as the index.

Nothing here imports Dask, polars, pyarrow or DuckDB at import time: the type of an object is
recognised by the name of its module first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "fit_scorecard",
    "is_dask",
    "library_of",
    "on_dask",
    "rfm_summary",
    "score_scorecard",
    "to_pandas",
]

_FOREIGN = ("polars", "pyarrow", "duckdb", "_duckdb")


def library_of(obj: Any) -> str:
    """Top-level module name of the type of ``obj`` (``"pandas"``, ``"dask"``, ``"polars"``...)."""
    module = type(obj).__module__ or ""
    return module.split(".", 1)[0]


def is_dask(obj: Any) -> bool:
    """Whether ``obj`` is a Dask DataFrame or Series (without importing Dask otherwise)."""
    if library_of(obj) not in ("dask", "dask_expr"):
        return False
    import dask.dataframe as dd

    return isinstance(obj, dd.DataFrame | dd.Series)


def rfm_summary(transactions: Any, **options: Any) -> Any:
    """Summarise ``transactions`` on their own engine, or return ``None`` for the pandas path.

    Called first by :func:`custloyalty.rfm_summary` with all of its arguments.
    """
    partitioned = options.pop("partitioned_by_customer", False)
    if is_dask(transactions):
        from custloyalty._engines import _dask

        return _dask.rfm_summary(transactions, partitioned_by_customer=partitioned, **options)
    if partitioned:
        from custloyalty._engines._dask import refuse_partitioned

        refuse_partitioned(transactions)
    if library_of(transactions) in _FOREIGN:
        from custloyalty._engines import _foreign

        if _foreign.is_lazy(transactions):
            return _foreign.rfm_summary(transactions, **options)
    return None


def on_dask(func: Callable[..., Any], arguments: Mapping[str, Any]) -> Any:
    """Run the public ``func`` on a Dask frame (per customer bucket), or refuse it.

    ``arguments`` are the arguments of ``func`` as received (its ``locals()`` at the top),
    the table first. Called only when :func:`is_dask` holds for the table.
    """
    from custloyalty._engines import _dask

    return _dask.call(func, dict(arguments))


def to_pandas(data: Any, *, name: str) -> pd.DataFrame | None:
    """Convert a table of another library (polars, pyarrow, DuckDB) to pandas, ids as index.

    Returns ``None`` for anything else (so the caller's own rules apply).
    """
    if is_dask(data):
        from custloyalty._engines._dask import refuse_in_memory

        refuse_in_memory(data, name=name)
    if library_of(data) not in _FOREIGN:
        return None
    from custloyalty._engines import _foreign

    return _foreign.to_pandas(data, name=name)


def fit_scorecard(card: Any, arguments: Mapping[str, Any]) -> Any:
    """Fit a scorecard on a hash sample of customers (a Dask frame, or pandas on request).

    ``arguments`` are those of ``LoyaltyScorecard.fit`` as received (its ``locals()``).
    """
    from custloyalty._engines import _dask

    options = {k: v for k, v in arguments.items() if k not in ("self", "transactions", "surveys")}
    return _dask.fit_scorecard(card, arguments["transactions"], arguments["surveys"], **options)


def score_scorecard(card: Any, arguments: Mapping[str, Any]) -> Any:
    """Score a Dask frame per customer bucket (``LoyaltyScorecard.score``'s ``locals()``)."""
    from custloyalty._engines import _dask

    data = arguments["transactions"]
    if not is_dask(data):
        _dask.refuse_partitioned(data)
    options = {k: v for k, v in arguments.items() if k not in ("self", "transactions", "surveys")}
    return _dask.score_scorecard(card, data, arguments["surveys"], **options)

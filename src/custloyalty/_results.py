"""Shared base for result objects.

Results that carry more than a number are frozen, slotted dataclasses deriving from
:class:`Result`, which provides a readable ``__repr__``, ``to_dict()`` (JSON-safe builtins),
``to_frame()`` and ``_repr_html_`` for notebooks (the scalar fields, then every table).

The headline value of a result is its ``statistic`` field (as in SciPy's results): the NPS
of :class:`~custloyalty.metrics.NPSResult`, the alpha of an ``AlphaResult``, the difference of
an ``NPSTestResult``. Readable aliases (``score``, ``alpha``, ``difference``) are properties
that return the same value.
"""

from __future__ import annotations

import dataclasses
import html
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Result", "to_builtin"]


def to_builtin(value: Any) -> Any:
    """Convert numpy / pandas values (recursively) to JSON-safe Python builtins.

    Non-finite floats (NaN, +inf, -inf) and missing markers (``pd.NA``, ``pd.NaT``) become
    ``None``, so the output passes ``json.dumps(..., allow_nan=False)`` and strict JSON
    parsers. A Series or dict becomes a mapping with text keys, unless two keys are equal as
    text (a repeated index label, or ``1`` and ``"1"``): then ``{"index": [...], "data":
    [...]}``, as a DataFrame, so that no value is lost.

    >>> import pandas as pd
    >>> to_builtin(pd.Series([1.0, float("nan")], index=["a", "b"]))
    {'a': 1.0, 'b': None}
    >>> to_builtin(pd.Series([1, 2], index=["a", "a"]))
    {'index': ['a', 'a'], 'data': [1, 2]}
    """
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, dict):
        if _keys_collide(value.keys()):
            return _split(list(value.keys()), list(value.values()))
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_builtin(v) for v in value]
    if isinstance(value, pd.DataFrame):
        return {
            "index": [to_builtin(i) for i in value.index],
            "columns": [to_builtin(c) for c in value.columns],
            "data": [[to_builtin(x) for x in row] for row in value.to_numpy(dtype=object)],
        }
    if isinstance(value, pd.Series):
        if _keys_collide(value.index):
            return _split(list(value.index), list(value.to_numpy(dtype=object)))
        return {str(k): to_builtin(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return [to_builtin(v) for v in value.tolist()]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Period | pd.Timedelta):
        return str(value)
    if isinstance(value, np.generic):
        return to_builtin(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _keys_collide(keys: Any) -> bool:
    """Whether two keys are equal as text (a repeated label, or ``1`` and ``"1"``)."""
    text = [str(k) for k in keys]
    return len(set(text)) != len(text)


def _split(keys: list[Any], values: list[Any]) -> dict[str, Any]:
    """``{"index": [...], "data": [...]}``: a mapping whose keys would collide as text."""
    return {"index": [to_builtin(k) for k in keys], "data": [to_builtin(v) for v in values]}


def _fmt(value: Any) -> str:
    if isinstance(value, np.integer | np.bool_):
        return repr(value.item())
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    if isinstance(value, tuple) and all(isinstance(v, float | np.floating) for v in value):
        return "(" + ", ".join(f"{float(v):.6g}" for v in value) + ")"
    if isinstance(value, pd.DataFrame | pd.Series):
        return f"<{type(value).__name__} {getattr(value, 'shape', '')}>"
    return repr(value)


class Result:
    """Mixin for frozen result dataclasses."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Put the shared __repr__ in each subclass's own namespace so that @dataclass (which
        # never overwrites a method defined in the class body) keeps it.
        super().__init_subclass__(**kwargs)
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = Result.__repr__  # type: ignore[method-assign]

    def _fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={_fmt(v)}" for k, v in self._fields().items())
        return f"{type(self).__name__}({inner})"

    def to_dict(self) -> dict[str, Any]:
        """Return the result as a dict of JSON-safe builtins (non-finite floats -> ``None``)."""
        out = to_builtin(self._fields())
        assert isinstance(out, dict)
        return out

    def _scalars(self) -> dict[str, Any]:
        """Scalar fields, with each ``*ci`` pair split into ``*ci_low`` / ``*ci_high``."""
        flat: dict[str, Any] = {}
        for k, v in self._fields().items():
            if isinstance(v, pd.DataFrame | pd.Series | dict | list) or v is None:
                continue
            if isinstance(v, tuple) and k.endswith("ci") and len(v) == 2:
                flat[f"{k}_low"], flat[f"{k}_high"] = v
            elif isinstance(v, tuple):
                continue
            else:
                flat[k] = v
        return flat

    def _tables(self) -> dict[str, pd.DataFrame | pd.Series]:
        """Table fields (DataFrames and Series), in field order."""
        return {k: v for k, v in self._fields().items() if isinstance(v, pd.DataFrame | pd.Series)}

    def to_frame(self) -> pd.DataFrame:
        """Return the scalar fields as a one-row DataFrame.

        Confidence intervals are split into ``ci_low`` / ``ci_high`` columns (and
        ``<name>_ci_low`` / ``<name>_ci_high`` for other intervals); tables are left out
        (they are attributes of their own).
        """
        return pd.DataFrame([self._scalars()])

    def _repr_html_(self) -> str:
        """Notebook view: the scalar fields, then every table (first 20 rows each)."""
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td>{html.escape(_fmt(v))}</td></tr>"
            for k, v in self._scalars().items()
        )
        title = html.escape(type(self).__name__)
        parts = [f"<table><caption>{title}</caption>{rows}</table>"]
        for name, table in self._tables().items():
            frame = table.to_frame() if isinstance(table, pd.Series) else table
            body = frame.to_html(max_rows=20, max_cols=20, float_format=_html_float)
            parts.append(f"<details open><summary>{html.escape(name)}</summary>{body}</details>")
        for name, value in self._fields().items():
            if isinstance(value, Result):
                parts.append(
                    f"<details><summary>{html.escape(name)}</summary>"
                    f"{value._repr_html_()}</details>"
                )
        return "\n".join(parts)


def _html_float(value: float) -> str:
    return f"{value:.6g}"

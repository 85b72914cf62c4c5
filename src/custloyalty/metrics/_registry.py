"""The metric registry: built-in indicators, in-process metrics and entry-point plugins.

A metric is anything that computes an indicator from the inputs a scorecard has at hand:
the customer ``summary`` (the table of :func:`custloyalty.rfm_summary`, in days), the validated
``transactions`` (columns ``customer_id``, ``date``, ``amount``), the ``surveys`` table (one row
per answer, with a ``customer_id`` column) and the ``observation_end`` timestamp. A plain
function declares what it needs by naming those parameters; a :class:`Metric` states it
explicitly, together with its level, direction and an optional fitting step.

Third-party packages publish metrics under the entry-point group ``custloyalty.metrics``::

    [project.entry-points."custloyalty.metrics"]
    basket_size = "my_package.metrics:basket_size"

and they appear in :func:`available` without the caller importing them. A plugin is skipped,
with a :class:`~custloyalty.errors.PluginWarning` naming it, when it fails to import (an
exception or ``sys.exit()`` at import), is neither a function nor a :class:`Metric`, takes a
built-in name, or when two distributions publish the same name (which one would win depends
on the install order, so neither is used); one distribution seen twice on ``sys.path`` counts
once.
"""

from __future__ import annotations

import difflib
import inspect
import math
import reprlib
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._validation import check_option, suggest
from custloyalty.errors import PluginError, PluginWarning, ValidationError

__all__ = [
    "ENTRY_POINT_GROUP",
    "INPUTS",
    "Metric",
    "available",
    "check_output",
    "describe",
    "get",
    "register",
    "unregister",
]

ENTRY_POINT_GROUP = "custloyalty.metrics"
#: Names of the inputs a metric may ask for.
INPUTS = ("summary", "transactions", "surveys", "interactions", "observation_end", "state")

Level = Literal["customer", "base"]
Direction = Literal["higher", "lower"]
Source = Literal["transactions", "surveys", "interactions"]
#: Sources whose indicators may be missing for a customer (did not answer / interact).
SPARSE_SOURCES = ("surveys", "interactions")
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Metric:
    """A named indicator with the metadata a scorecard needs.

    Parameters
    ----------
    name
        Registry name (lower case, no spaces by convention).
    func
        ``func(**inputs, **options)``: receives by keyword the inputs it lists in ``inputs``
        and any options configured for it; returns a Series indexed by customer
        (level "customer") or a number (level "base").
    level
        ``"customer"`` (one value per customer) or ``"base"`` (one value for the whole base).
    direction
        ``"higher"`` when larger values mean more loyal, ``"lower"`` otherwise (churn risk).
    inputs
        Which of :data:`INPUTS` to pass. Default: inferred from the parameter names of
        ``func``.
    source
        ``"transactions"``, ``"surveys"`` or ``"interactions"``: which data the indicator
        describes; survey and interaction indicators are missing for customers who did not
        answer or did not interact.
    fit
        Optional ``fit(**inputs, **options) -> dict`` learning JSON-safe state (for example model
        parameters) when a scorecard is fitted; the state is passed back to ``func`` as
        ``state=`` when scoring.
    description
        One line for listings and reports.

    Raises
    ------
    ValidationError
        A name that is not non-empty text, ``func`` or ``fit`` not callable, an unknown
        ``level``, ``direction`` or ``source``, ``inputs`` given as text, unknown or listed
        twice, a ``description`` that is not text. :meth:`compute` and :meth:`fit_state`
        refuse options the function (or fit step) does not take, naming the closest one.

    Examples
    --------
    >>> from custloyalty.metrics import Metric
    >>> def basket(summary):
    ...     return summary["total_amount"] / summary["n_purchases"]
    >>> m = Metric("basket", basket, description="Average spend per purchase day")
    >>> m.inputs, m.level, m.direction
    (('summary',), 'customer', 'higher')
    """

    name: str
    func: Callable[..., Any]
    level: Level = "customer"
    direction: Direction = "higher"
    inputs: tuple[str, ...] = ()
    source: Source = "transactions"
    fit: Callable[..., dict[str, Any]] | None = None
    description: str = ""
    origin: str = field(default="builtin", compare=False)

    def __post_init__(self) -> None:
        _check_name(self.name, "Metric")
        func: object = self.func
        if not callable(func):
            msg = f"Metric {self.name!r}: func must be callable; got {type(self.func).__name__}."
            raise ValidationError(msg)
        choices = {
            "level": ("customer", "base"),
            "direction": ("higher", "lower"),
            "source": ("transactions", *SPARSE_SOURCES),
        }
        for option, allowed in choices.items():
            value = getattr(self, option)
            if not isinstance(value, str) or value not in allowed:
                names = " or ".join(", ".join(map(repr, allowed)).rsplit(", ", 1))
                msg = f"Metric {self.name!r}: {option} must be {names}; got {value!r:.40}."
                close = suggest(value, allowed) if isinstance(value, str) else None
                if close:
                    msg += f"\nHint: did you mean {close!r}?"
                raise ValidationError(msg)
        fit: object = self.fit
        if fit is not None and not callable(fit):
            msg = (
                f"Metric {self.name!r}: fit must be a function (or None); got "
                f"{type(fit).__name__} {fit!r:.40}."
            )
            raise ValidationError(msg)
        description: object = self.description  # typed str, given anything at run time
        if not isinstance(description, str):
            msg = (
                f"Metric {self.name!r}: description must be text; got "
                f"{type(description).__name__} {description!r:.40}."
            )
            raise ValidationError(msg)
        object.__setattr__(self, "inputs", _check_inputs(self.name, self.inputs, self.func))
        if not self.description:
            doc = inspect.getdoc(self.func) or ""
            object.__setattr__(self, "description", doc.split("\n", 1)[0])

    def compute(self, inputs: Mapping[str, Any], **options: Any) -> Any:
        """Call the metric with the inputs it asks for, taken from ``inputs``."""
        _check_options(self, self.func, options)
        kwargs = {k: inputs.get(k) for k in self.inputs}
        return self.func(**kwargs, **options)

    def fit_state(
        self, inputs: Mapping[str, Any], *, seed: int | None = None, **options: Any
    ) -> dict[str, Any]:
        """Run the fitting step (``{}`` when the metric has none).

        ``seed`` is passed on to fitting steps that take a ``seed`` parameter (random
        subsamples); others never see it.
        """
        if self.fit is None:
            return {}
        _check_options(self, self.fit, options)
        kwargs = {k: inputs.get(k) for k in _inputs_of(self.fit)}
        if _takes(self.fit, "seed"):
            kwargs["seed"] = seed
        state: Any = self.fit(**kwargs, **options)  # a plugin's fit may return anything
        if not isinstance(state, Mapping):
            msg = (
                f"Metric {self.name!r} ({self.origin}): its fit step returned "
                f"{type(state).__name__} {state!r:.60}; a fit step returns a dict (the state "
                "passed back to the metric as 'state').\nHint: return e.g. {'model': fitted}."
            )
            raise ValidationError(msg)
        return dict(state)

    def compute_checked(
        self, inputs: Mapping[str, Any], index: pd.Index, **options: Any
    ) -> FloatArray | float:
        """Run the metric isolated and validated, as the scorecard does.

        Each table is handed over as a copy (a metric writing into its input cannot change
        what later metrics see), and the output goes through :func:`check_output`.

        Returns
        -------
        numpy.ndarray or float
            Customer level: one float per customer of ``index``, in that order (NaN where a
            survey or interaction metric has no value); base level: a float.
        """
        isolated = {
            k: v.copy(deep=False) if isinstance(v, pd.DataFrame) else v
            for k in self.inputs
            if (v := inputs.get(k)) is not None
        }
        return check_output(self, self.compute(isolated, **options), index)


def _check_name(name: Any, where: str) -> str:
    """Refuse a metric name that is not non-empty text (a number or a list as a name)."""
    if not isinstance(name, str) or not name:
        msg = (
            f"{where}: a metric name is non-empty text; got {type(name).__name__} {name!r:.40}."
            "\nHint: pass the name as a string, e.g. 'basket_value'."
        )
        raise ValidationError(msg)
    return name


def _check_inputs(name: str, inputs: Any, func: Callable[..., Any]) -> tuple[str, ...]:
    """Return the ``inputs`` of a metric as a tuple of known input names, each once.

    One name given as text (``inputs="summary"``) is refused rather than read letter by
    letter; empty means: inferred from the parameter names of ``func``.
    """
    if isinstance(inputs, str | bytes):
        msg = (
            f"Metric {name!r}: inputs must be a tuple of input names; got the text "
            f"{inputs!r}.\nHint: inputs=({inputs!r},)."
        )
        raise ValidationError(msg)
    try:
        given = tuple(inputs)
    except TypeError:
        msg = f"Metric {name!r}: inputs must be a tuple of input names; got {inputs!r:.40}."
        raise ValidationError(msg) from None
    if not given:
        return _inputs_of(func)
    unknown = [i for i in given if not isinstance(i, str) or i not in INPUTS]
    if unknown:
        close = suggest(str(unknown[0]), INPUTS)
        msg = f"Metric {name!r} asks for unknown inputs {unknown!r}; known: {INPUTS}."
        if close:
            msg += f"\nHint: did you mean {close!r}?"
        raise ValidationError(msg)
    twice = sorted({i for i in given if given.count(i) > 1})
    if twice:
        msg = f"Metric {name!r} lists the inputs {twice!r} more than once; list each once."
        raise ValidationError(msg)
    return given


def _check_options(metric: Metric, target: Callable[..., Any], options: Mapping[str, Any]) -> None:
    """Refuse options ``target`` does not take (a typo would be a raw TypeError otherwise)."""
    if not options:
        return
    try:
        params = inspect.signature(target).parameters
    except (TypeError, ValueError):  # no signature to check against: let the call decide
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    takes = [
        p.name
        for p in params.values()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        and p.name not in INPUTS
    ]
    unknown = [k for k in options if k not in takes]
    if unknown:
        close = suggest(str(unknown[0]), takes)
        step = " (its fit step)" if target is metric.fit else ""
        msg = (
            f"Metric {metric.name!r} ({metric.origin}){step} has no option {unknown[0]!r}; "
            f"its options are {takes!r}."
        )
        if close:
            msg += f"\nHint: did you mean {close!r}?"
        raise ValidationError(msg)


def _check_choice(value: Any, name: str, allowed: tuple[str, ...], func: str) -> None:
    """``check_option`` with a close-match hint (``level="cust"`` would select nothing)."""
    try:
        check_option(value, name, allowed, func=func)
    except (ValidationError, TypeError):  # TypeError: an unhashable value such as a list
        msg = f"The {name!r} parameter of {func} must be one of {allowed!r}; got {value!r:.40}."
        close = suggest(str(value), allowed) if isinstance(value, str) else None
        if close:
            msg += f"\nHint: did you mean {close!r}?"
        raise ValidationError(msg) from None


def _fail_output(metric: Metric, problem: str, hint: str = "") -> ValidationError:
    msg = f"Metric {metric.name!r} ({metric.origin}) returned {problem}"
    if hint:
        msg += f"\nHint: {hint}"
    return ValidationError(msg)


def check_output(metric: Metric, value: Any, index: pd.Index) -> FloatArray | float:
    """Validate what a metric returned and return it as floats aligned to ``index``.

    The run-time form of the checks of :func:`custloyalty.testing.check_metric` (which calls
    this function): a base-level metric returns one finite real number; a customer-level
    metric returns a numeric pandas Series with a unique index of known customers and finite
    values (a transaction metric: exactly the customers of ``index``; a survey or interaction
    metric: a subset of them, the others being missing), or a one-dimensional array with
    exactly one value per customer of ``index``, in its order.

    Raises
    ------
    ValidationError
        Naming the metric: a DataFrame or another type, non-numeric values (strings),
        complex numbers, dates or durations (which a float conversion would turn into real
        parts or nanoseconds), non-finite values (infinity; NaN for a transaction metric; an
        integer beyond the float range), an array of the wrong length, duplicated or unknown
        customers in the index, or an ``index`` that is not a pandas Index (or repeats a
        customer while the values come with another index).

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.metrics import check_output, get
    >>> metric = get("purchase_days")
    >>> check_output(metric, pd.Series([2.0, 1.0], index=[7, 9]), pd.Index([7, 9])).tolist()
    [2.0, 1.0]
    >>> check_output(metric, [1.0, 2.0, 3.0], pd.Index([7, 9]))
    Traceback (most recent call last):
    ...
    custloyalty.errors.ValidationError: ...
    """
    given: object = index  # typed pd.Index, given anything at run time
    if not isinstance(given, pd.Index):
        msg = (
            f"check_output: index must be a pandas Index of the customers; got "
            f"{type(index).__name__}.\nHint: pass summary.index (or pd.Index(ids))."
        )
        raise ValidationError(msg)
    if metric.level == "base":
        real = isinstance(value, int | float | np.integer | np.floating)
        if isinstance(value, bool | np.bool_) or not real:
            raise _fail_output(
                metric, f"a {type(value).__name__}; a base-level metric returns a real number."
            )
        try:
            out = float(value)
        except OverflowError:  # an int beyond float range
            out = math.inf
        if not np.isfinite(out):
            raise _fail_output(metric, f"{out!r}; a base-level metric returns a finite number.")
        return out
    sparse = metric.source in SPARSE_SOURCES
    if isinstance(value, pd.DataFrame):
        raise _fail_output(
            metric,
            f"a DataFrame with columns {reprlib.repr(list(value.columns))}; a customer-level "
            "metric returns a Series indexed by customer.",
            "select one column, e.g. frame['column'].",
        )
    if isinstance(value, pd.Series):
        if not value.index.is_unique:
            dup = value.index[value.index.duplicated()].unique()
            raise _fail_output(
                metric,
                f"{dup.size} duplicated customers in its index (e.g. {dup[:5].tolist()!r}).",
                "return one value per customer (aggregate with groupby first).",
            )
        # the usual case, the customers of ``index`` in its order (often the very same
        # index object), needs no look-up of each label
        same = value.index is index or value.index.equals(index)
        where = None
        if not same and not index.is_unique:
            raise _fail_output(
                metric,
                "a Series whose index differs from the customers', which hold "
                f"{int(index.duplicated().sum())} duplicated labels: its values cannot be "
                "matched to customers by label.",
                "return the values in the customers' order and index (or pass a unique index).",
            )
        if not same:
            # a subset (survey metrics): one look-up of each label gives both the check and
            # the positions (the customers' index keeps its hash table between look-ups)
            where = index.get_indexer(value.index) if index.is_unique else None
            known = value.index.isin(index) if where is None else where >= 0
            if not known.all():
                extra = value.index[~known]
                raise _fail_output(
                    metric,
                    f"values for {extra.size} unknown customers (e.g. {extra[:5].tolist()!r}).",
                )
        series = value
        arr = _numeric(metric, series, series.index)
        if same:
            values = arr
        else:
            values = np.full(len(index), np.nan)
            values[index.get_indexer(series.index) if where is None else where] = arr
    elif isinstance(value, np.ndarray | list | tuple):
        raw = np.asarray(value)
        if raw.ndim != 1 or raw.shape[0] != len(index):
            raise _fail_output(
                metric,
                f"an array of shape {raw.shape}; an array needs exactly one value per customer "
                f"({len(index)}), in the order of the summary's index.",
                "return a Series indexed by customer id.",
            )
        values = _numeric(metric, pd.Series(raw, index=index), index)
    else:
        raise _fail_output(
            metric,
            f"a {type(value).__name__}; a customer-level metric returns a pandas Series "
            "indexed by customer.",
        )
    inf = np.isinf(values)
    if inf.any():
        pos = np.flatnonzero(inf)
        raise _fail_output(
            metric,
            f"{pos.size} infinite values (customers {index[pos[:5]].tolist()!r}).",
        )
    if not sparse:
        nan = np.isnan(values)
        if nan.any():
            pos = np.flatnonzero(nan)
            raise _fail_output(
                metric,
                f"{pos.size} missing values (customers {index[pos[:5]].tolist()!r}); a "
                "transaction metric must cover every customer.",
            )
    return values


def _numeric(metric: Metric, values: pd.Series, labels: pd.Index) -> FloatArray:
    """Convert values to floats; strings, booleans and other objects are refused.

    Numeric dtypes (including nullable ones) convert directly; only an object column is
    inspected value by value.
    """
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise _fail_output(
            metric, "booleans; a customer-level metric returns numbers.", "cast with astype(float)."
        )
    kind = getattr(dtype, "kind", "O")
    if kind in "cmM" or isinstance(dtype, pd.DatetimeTZDtype | pd.PeriodDtype):
        what = {"c": "complex numbers", "m": "durations"}.get(kind, "dates")
        raise _fail_output(
            metric,
            f"{what} (dtype {dtype}); a customer-level metric returns real numbers.",
            "return a number per customer, e.g. a duration in days: values / pd.Timedelta(days=1).",
        )
    if pd.api.types.is_numeric_dtype(dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    numeric = pd.to_numeric(values, errors="coerce")
    kinds = values.map(type) if len(values) else values
    not_real = [str, bytes, bool, np.bool_, complex, np.complex128, pd.Timestamp, pd.Timedelta]
    text = kinds.isin(not_real).to_numpy(dtype=bool) if len(values) else None
    bad = (numeric.isna() & values.notna()).to_numpy(dtype=bool)
    if text is not None:
        bad = bad | text
    if bad.any():
        pos = np.flatnonzero(bad)
        shown = ", ".join(repr(values.iloc[i]) for i in pos[:5])
        raise _fail_output(
            metric,
            f"{pos.size} non-numeric values (customers {labels[pos[:5]].tolist()!r}: {shown}).",
            "return numbers (float dtype).",
        )
    return numeric.to_numpy(dtype=np.float64, na_value=np.nan)


def _takes(func: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False


def _inputs_of(func: Callable[..., Any]) -> tuple[str, ...]:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return ("summary",)
    found = tuple(p for p in params if p in INPUTS)
    return found or ("summary",)


_BUILTIN: dict[str, Metric] = {}
#: Deprecated registry names -> current names (built-ins renamed to the glossary's words).
_ALIASES: dict[str, str] = {}
_USER: dict[str, Metric] = {}
_PLUGINS: dict[str, Metric] | None = None


def _plugins() -> dict[str, Metric]:
    global _PLUGINS
    if _PLUGINS is None:
        _PLUGINS = _load_entry_points()
    return _PLUGINS


def _load_entry_points() -> dict[str, Metric]:
    found: dict[str, Metric] = {}
    sources: dict[str, tuple[str, str]] = {}  # name -> (distribution, entry-point value)
    clashes: dict[str, set[str]] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist_name = ep.dist.name if ep.dist else "unknown distribution"
        if ep.name in sources:
            if sources[ep.name] != (dist_name, ep.value):  # not one install seen twice
                clashes.setdefault(ep.name, {f"{sources[ep.name][0]}: {sources[ep.name][1]}"})
                clashes[ep.name].add(f"{dist_name}: {ep.value}")
            continue
        sources[ep.name] = (dist_name, ep.value)
        try:
            obj = ep.load()
        except (Exception, SystemExit) as exc:  # a plugin calling sys.exit() at import too
            warnings.warn(
                f"Skipping metric plugin {ep.name!r} ({ep.value}, from {dist_name}): it failed to "
                f"load: {exc!r}",
                PluginWarning,
                stacklevel=3,
            )
            continue
        origin = f"plugin {ep.dist.name if ep.dist else '?'}: {ep.value}"
        try:
            if isinstance(obj, Metric):
                metric = replace(obj, name=ep.name, origin=origin)
            elif callable(obj):
                metric = Metric(ep.name, obj, origin=origin)
            else:
                msg = f"entry point is a {type(obj).__name__}, not a function or Metric"
                raise TypeError(msg)
        except (TypeError, ValueError) as exc:  # ValidationError, or a callable without signature
            warnings.warn(
                f"Skipping metric plugin {ep.name!r} ({ep.value}): {exc}",
                PluginWarning,
                stacklevel=3,
            )
            continue
        if ep.name in _BUILTIN or ep.name in _ALIASES:
            warnings.warn(
                f"Metric plugin {ep.name!r} ({ep.value}) clashes with a built-in metric and is "
                "ignored; register it under another name.",
                PluginWarning,
                stacklevel=3,
            )
            continue
        found[ep.name] = metric
    for name, where in sorted(clashes.items()):
        found.pop(name, None)
        warnings.warn(
            f"Metric plugin {name!r} is provided by several distributions "
            f"({'; '.join(sorted(where))}) and is ignored, since which one would be used "
            "depends on the install order.\nHint: uninstall all but one of them.",
            PluginWarning,
            stacklevel=3,
        )
    return found


def _all() -> dict[str, Metric]:
    return {**_plugins(), **_USER, **_BUILTIN}


def available(*, level: Level | None = None, source: str | None = None) -> list[str]:
    """Names of every registered metric: built-in, registered in-process and plugins.

    Parameters
    ----------
    level
        Only ``"customer"`` or ``"base"`` metrics; default all.
    source
        Only metrics describing ``"transactions"`` or ``"surveys"``; default all.

    Returns
    -------
    list of str
        Sorted names; entry points of the group ``custloyalty.metrics`` are discovered on the
        first call.

    Raises
    ------
    ValidationError
        ``level`` or ``source`` is not one of its values (a typo would select nothing).

    Warns
    -----
    PluginWarning
        A plugin skipped at discovery (failed import, not a metric, a built-in name, a name
        published by several distributions).

    Examples
    --------
    >>> from custloyalty import metrics
    >>> {"purchase_days", "total_spend", "churn_risk", "satisfaction", "recommendation"} <= set(
    ...     metrics.available()
    ... )
    True
    """
    func = "available"
    if level is not None:
        _check_choice(level, "level", ("customer", "base"), func)
    if source is not None:
        _check_choice(source, "source", ("transactions", *SPARSE_SOURCES), func)
    return sorted(
        name
        for name, m in _all().items()
        if (level is None or m.level == level) and (source is None or m.source == source)
    )


def get(name: str) -> Metric:
    """Look a metric up by name.

    Parameters
    ----------
    name
        A name from :func:`available`.

    Returns
    -------
    Metric

    Raises
    ------
    PluginError
        No metric has that name (the message suggests close names), or ``name`` is not text.

    Examples
    --------
    >>> from custloyalty import metrics
    >>> m = metrics.get("days_since_last_purchase")
    >>> m.direction
    'lower'
    >>> metrics.get("recency").name  # former name, still accepted
    'days_since_last_purchase'
    """
    given: object = name  # typed str, given anything at run time
    if not isinstance(given, str):
        msg = (
            f"get: a metric name is text; got {type(name).__name__} {name!r:.40}.\n"
            "Hint: pass one name from available(), e.g. get('purchase_days')."
        )
        raise PluginError(msg)
    everything = _all()
    if name in everything:
        return everything[name]
    if name in _ALIASES:
        return everything[_ALIASES[name]]
    close = difflib.get_close_matches(str(name), [*everything, *_ALIASES], n=3)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    msg = f"No metric named {name!r}.{hint} Available: {', '.join(sorted(everything))}."
    raise PluginError(msg)


@overload
def register(name: Callable[..., Any], /) -> Callable[..., Any]: ...
@overload
def register(
    name: str | None = None,
    /,
    *,
    level: Level = "customer",
    direction: Direction = "higher",
    inputs: tuple[str, ...] = (),
    source: Source = "transactions",
    fit: Callable[..., dict[str, Any]] | None = None,
    description: str = "",
    replace: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]: ...


def register(
    name: str | Callable[..., Any] | None = None,
    /,
    *,
    level: Level = "customer",
    direction: Direction = "higher",
    inputs: tuple[str, ...] = (),
    source: Source = "transactions",
    fit: Callable[..., dict[str, Any]] | None = None,
    description: str = "",
    replace: bool = False,
) -> Any:
    """Register a function as a metric (decorator).

    Parameters
    ----------
    name
        Registry name; default the function's ``__name__``. ``@register`` without
        parentheses also works.
    level, direction, inputs, source, fit, description
        As in :class:`Metric`.
    replace
        Allow replacing an earlier in-process registration of the same name (built-in names
        can never be replaced).

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.

    Raises
    ------
    ValidationError
        The name is taken (by a built-in, or by another registration without ``replace``),
        is not non-empty text, or an option is invalid (see :class:`Metric`; ``replace`` must
        be True or False).

    Examples
    --------
    >>> from custloyalty import metrics
    >>> @metrics.register("basket_value", description="Average spend per purchase day")
    ... def basket_value(summary):
    ...     return summary["total_amount"] / summary["n_purchases"]
    >>> "basket_value" in metrics.available()
    True
    >>> metrics.unregister("basket_value")
    """
    if callable(name):
        return register()(name)
    if name is not None:
        _check_name(name, "register")
    flag: object = replace  # typed bool, given anything at run time
    if not isinstance(flag, bool | np.bool_):
        msg = (
            f"The 'replace' parameter of register must be True or False; got "
            f"{type(replace).__name__} {replace!r:.40}."
        )
        raise ValidationError(msg)

    def deco(func: Callable[..., Any]) -> Callable[..., Any]:
        key = name or getattr(func, "__name__", None)
        _check_name(key, "register")
        assert isinstance(key, str)
        if key in _BUILTIN or key in _ALIASES:
            msg = f"{key!r} is a built-in metric and cannot be replaced; choose another name."
            raise ValidationError(msg)
        if key in _USER and not replace:
            msg = f"A metric named {key!r} is already registered; pass replace=True to replace."
            raise ValidationError(msg)
        plugin = _plugins().get(key)
        if plugin is not None:
            warnings.warn(
                f"Metric {key!r} registered in-process shadows the plugin metric of the same "
                f"name ({plugin.origin}); unregister({key!r}) brings the plugin back.",
                PluginWarning,
                stacklevel=2,
            )
        _USER[key] = Metric(
            key,
            func,
            level=level,
            direction=direction,
            inputs=inputs,
            source=source,
            fit=fit,
            description=description,
            origin=f"registered: {getattr(func, '__module__', '?')}",
        )
        return func

    return deco


def unregister(name: str) -> None:
    """Remove an in-process registration (plugins and built-ins stay).

    A name that is not registered in-process is ignored (so clean-up code may call this
    unconditionally).

    Raises
    ------
    ValidationError
        ``name`` is not text, or names a built-in metric (built-ins cannot be removed).
    """
    _check_name(name, "unregister")
    if name in _BUILTIN or name in _ALIASES:
        msg = (
            f"unregister: {name!r} is a built-in metric and cannot be removed.\nHint: leave it "
            "out of the scorecard's indicators instead."
        )
        raise ValidationError(msg)
    _USER.pop(name, None)


def _builtin(metric: Metric) -> None:
    """Register a built-in metric (used by :mod:`custloyalty.metrics._builtin`)."""
    _BUILTIN[metric.name] = metric


def _alias(old: str, new: str) -> None:
    """Keep accepting a former built-in name (``get(old)`` returns the metric ``new``)."""
    _ALIASES[old] = new


def canonical(name: str) -> str:
    """Return the current registry name of ``name`` (former built-in names are mapped)."""
    return _ALIASES.get(name, name)


def _reload_plugins() -> None:
    """Forget discovered plugins so the next lookup scans the entry points again."""
    global _PLUGINS
    _PLUGINS = None


def describe() -> pd.DataFrame:
    """Table of every metric: level, direction, source, inputs, origin and description.

    Examples
    --------
    >>> from custloyalty import metrics
    >>> metrics.describe().loc["churn_risk", "direction"]
    'lower'
    """
    rows = {
        n: {
            "level": m.level,
            "direction": m.direction,
            "source": m.source,
            "inputs": ", ".join(m.inputs),
            "origin": m.origin,
            "description": m.description,
        }
        for n, m in sorted(_all().items())
    }
    return pd.DataFrame.from_dict(rows, orient="index")

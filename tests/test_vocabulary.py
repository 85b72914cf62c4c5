"""One word, one meaning: every public signature follows the glossary of CONTRIBUTING.md.

The test walks every public module of the package (no ``_`` in its dotted path) and each name
of its ``__all__``: functions, classes (constructor and public methods defined in custloyalty,
including inherited ones) and the dataclass fields of results (whose constructor is checked
through the field rules). It fails on the names the
glossary bans, with one line per violation. A documented exception goes in :data:`ALLOWED`
with its reason; nothing else is skipped.

The rules, as the glossary states them:

- parameters never named ``freq``, ``summary_time_unit``, ``unit`` (use ``time_unit`` or
  ``period``), ``as_of``, ``end``, ``cutoff`` (``observation_end``), ``random_state``,
  ``random_seed``, ``rng`` (``seed``), ``verbose`` (``progress``), ``months`` or ``t``
  (``horizon``), ``weights`` (``sample_weight`` for rows, ``item_weights`` for survey items,
  ``weighting`` for the scorecard), ``*_col`` (``customer``, ``time``, ``amount``);
- a signature with the column keywords ``customer`` and ``time`` reads transactions, so it
  takes ``nan_policy`` and ``date_format`` as well;
- ``time`` is the date column only: a parameter ``time`` must default to a column name (a
  string); a ``time`` without one is a horizon in disguise;
- ``seed`` is ``seed: int | None = None``: it defaults to None (results record the seed used
  as a field, which the field rules do not restrict);
- result fields: the headline value is ``statistic``; ``score``, ``overall``, ``rate`` and
  ``difference`` are never fields, and a ``mean`` field only sits beside a ``statistic``; the
  parameter bans above apply to fields too.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

import custloyalty

#: Parameter (and field) names that are never right, with the glossary's word for each.
BANNED: dict[str, str] = {
    "freq": "time_unit (durations) or period (calendar bucket)",
    "summary_time_unit": "time_unit",
    "unit": "time_unit",
    "as_of": "observation_end",
    "end": "observation_end",
    "cutoff": "observation_end",
    "random_state": "seed: int | None = None",
    "random_seed": "seed: int | None = None",
    "rng": "seed: int | None = None",
    "verbose": "progress: bool = False",
    "months": "horizon (in the model's time_unit)",
    "t": "horizon (in the model's time_unit)",
}

#: Banned as parameters only (a result may report its "weights" as an output).
BANNED_PARAMETERS: dict[str, str] = {
    "weights": "sample_weight (rows), item_weights (survey items) or weighting (scorecard)",
}

#: Result fields that are never the headline value (that is ``statistic``).
BANNED_FIELDS = {"score", "overall", "rate", "difference"}

#: Documented exceptions: (qualified object, name) -> reason. Keep it short.
ALLOWED: dict[tuple[str, str], str] = {
    ("custloyalty.LoyaltyScorecard", "date_format"): (
        "the constructor only names the columns (configuration); the methods that read "
        "transactions, fit / score / fit_score, take date_format and nan_policy"
    ),
    ("custloyalty.LoyaltyScorecard", "nan_policy"): (
        "as for date_format: fit / score / fit_score take nan_policy"
    ),
    ("custloyalty.testing.check_metric", "seed"): (
        "a test helper: the synthetic data it checks a metric on must be the same on every run "
        "of a plugin's CI, so its seed defaults to 0 instead of None"
    ),
}


def public_modules() -> list[ModuleType]:
    """custloyalty and every submodule without a private component in its dotted path."""
    modules = [custloyalty]
    for info in pkgutil.walk_packages(custloyalty.__path__, "custloyalty."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _own(obj: Any) -> bool:
    return str(getattr(obj, "__module__", "") or "").startswith("custloyalty")


def _callables(qualname: str, obj: Any) -> Iterator[tuple[str, Callable[..., Any]]]:
    """(qualified name, callable) for a public function or class and its public methods."""
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return
        if not dataclasses.is_dataclass(obj):  # a result's constructor is its fields
            yield qualname, obj
        for name, member in inspect.getmembers(obj):
            if name.startswith("_"):
                continue
            func = member.__func__ if isinstance(member, classmethod | staticmethod) else member
            if (inspect.isfunction(func) or inspect.ismethod(func)) and _own(func):
                yield f"{qualname}.{name}", func
    elif callable(obj) and _own(obj) and not isinstance(obj, ModuleType):
        yield qualname, obj


def public_objects() -> dict[int, tuple[str, Any]]:
    """Every object named in a public ``__all__``, once, by its first public name."""
    found: dict[int, tuple[str, Any]] = {}
    for module in public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if isinstance(obj, ModuleType) or id(obj) in found:
                continue
            found[id(obj)] = (f"{module.__name__}.{name}", obj)
    return found


def signature_violations(qualname: str, func: Callable[..., Any]) -> list[str]:
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    out = []
    params = signature.parameters
    if "customer" in params and "time" in params:  # reads transactions (column keywords)
        out += [
            f"{qualname}: reads transactions, so takes {name!r}"
            for name in ("nan_policy", "date_format")
            if name not in params and (qualname, name) not in ALLOWED
        ]
    for param in params.values():
        name = param.name
        if (qualname, name) in ALLOWED or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in BANNED:
            out.append(f"{qualname}({name}): use {BANNED[name]}")
        elif name in BANNED_PARAMETERS:
            out.append(f"{qualname}({name}): use {BANNED_PARAMETERS[name]}")
        elif name.endswith("_col"):
            out.append(f"{qualname}({name}): column keywords are customer, time, amount")
        elif name == "time" and not isinstance(param.default, str):
            out.append(f"{qualname}(time): the date column keyword defaults to a column name")
        elif name == "seed" and param.default is not None:
            default = " required" if param.default is param.empty else f"={param.default!r}"
            out.append(f"{qualname}(seed{default}): seed: int | None = None")
    return out


def field_violations(qualname: str, cls: type) -> list[str]:
    if not dataclasses.is_dataclass(cls):
        return []
    names = [f.name for f in dataclasses.fields(cls)]
    out = []
    for name in names:
        if (qualname, name) in ALLOWED:
            continue
        if name in BANNED:
            out.append(f"{qualname}.{name} (field): use {BANNED[name]}")
        elif name in BANNED_FIELDS:
            out.append(f"{qualname}.{name} (field): the headline value is `statistic`")
        elif name == "mean" and "statistic" not in names:
            out.append(f"{qualname}.mean (field): the headline value is `statistic`")
    return out


def violations() -> list[str]:
    out: list[str] = []
    seen: set[int] = set()
    for qualname, obj in public_objects().values():
        for name, func in _callables(qualname, obj):
            key = id(getattr(func, "__func__", func))
            if key in seen:
                continue
            seen.add(key)
            out += signature_violations(name, func)
        if inspect.isclass(obj):
            out += field_violations(qualname, obj)
    return sorted(set(out))


def test_every_public_module_declares_all() -> None:
    missing = [m.__name__ for m in public_modules() if not hasattr(m, "__all__")]
    assert missing == []


def test_public_signatures_follow_the_glossary() -> None:
    found = violations()
    assert not found, f"{len(found)} names against the glossary:\n" + "\n".join(found)


def test_allowed_exceptions_are_used_and_explained() -> None:
    # every exception names a public callable (or result) that exists, and says why
    names = {n for q, obj in public_objects().values() for n, _ in _callables(q, obj)}
    names |= {q for q, _ in public_objects().values()}
    for (qualname, name), reason in ALLOWED.items():
        assert len(reason) > 20, (qualname, name)
        assert re.fullmatch(r"\w+", name), name
        assert qualname in names, qualname


# --- the rules themselves must be able to fail ------------------------------------------


def _horizon(model: Any, t: float, *, freq: str = "D") -> None: ...


def _column(
    frame: Any,
    *,
    customer: str = "customer_id",
    time: str = "date",
    nan_policy: str = "raise",
    date_format: str | None = None,
    seed: int | None = None,
) -> None: ...


def _no_policy(frame: Any, *, customer: str = "customer_id", time: str = "date") -> None: ...


def _hidden(frame: Any, time: float, *, seed: int = 0, weights: Any = None) -> None: ...


@dataclasses.dataclass(frozen=True)
class _Headline:
    score: float
    mean: float


@dataclasses.dataclass(frozen=True)
class _Statistic:
    statistic: float
    mean: float


@pytest.mark.parametrize(
    ("func", "expected"),
    [
        (_horizon, ["x(t): use horizon", "x(freq): use time_unit"]),
        (_column, []),
        (
            _no_policy,
            [
                "x: reads transactions, so takes 'nan_policy'",
                "x: reads transactions, so takes 'date_format'",
            ],
        ),
        (_hidden, ["x(time): the date column", "x(seed=0)", "x(weights): use sample_weight"]),
    ],
)
def test_signature_rules(func: Callable[..., Any], expected: list[str]) -> None:
    found = signature_violations("x", func)
    assert len(found) == len(expected)
    for line, start in zip(found, expected, strict=True):
        assert line.startswith(start), (line, start)


def test_field_rules() -> None:
    assert field_violations("R", _Headline) == [
        "R.score (field): the headline value is `statistic`",
        "R.mean (field): the headline value is `statistic`",
    ]
    assert field_violations("R", _Statistic) == []

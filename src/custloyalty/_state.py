"""Saved state of fitted objects: one header, one JSON codec, one set of checks.

Every fitted class (models, ``RFMScorer``, ``TierPolicy``, ``LoyaltyScorecard``, normalisers,
weightings, tier cut-offs) derives from :class:`Stateful`, which gives ``to_json`` /
``from_json`` on top of the class's own ``to_dict`` / ``from_dict`` and an HTML repr. The dict
a class writes starts with :func:`header` (``kind``, ``format_version``, ``custloyalty_version``)
and ``from_dict`` calls :func:`check_header` first, then validates its fitted block with the
small checkers below, so a hand-edited or corrupted state is refused with an error naming the
key rather than scoring silently.
"""

from __future__ import annotations

import html
import itertools
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

import numpy as np

from custloyalty.errors import CustLoyaltyError, ValidationError

__all__ = [
    "FORMAT_VERSION",
    "Stateful",
    "check_header",
    "header",
    "state_bool",
    "state_float",
    "state_floats",
    "state_key",
    "state_mapping",
    "state_str",
    "unique_keys",
]

#: Version of the saved-state layout. Bump it when a ``to_dict`` layout changes; loaders refuse
#: versions they do not know.
FORMAT_VERSION = 1


def _package_version() -> str:
    from custloyalty import __version__

    return __version__


def header(kind: str) -> dict[str, Any]:
    """Return the header every saved state starts with."""
    return {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "custloyalty_version": _package_version(),
    }


class _RepeatedKeyError(ValueError):
    """A JSON object names a key twice."""


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` refusing a key given twice in one JSON object."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            msg = f"the key {key!r} is given twice"
            raise _RepeatedKeyError(msg)
        out[key] = value
    return out


def check_header(data: Any, kind: str, *, where: str) -> Mapping[str, Any]:
    """Check that ``data`` is a saved state of ``kind`` in a format this version reads.

    Returns ``data`` typed as a mapping. ``where`` names the loader in messages
    (e.g. ``"BetaGeo.from_dict"``).
    """
    if not isinstance(data, Mapping):
        msg = f"{where} needs a dict (the output of to_dict()); got {type(data).__name__}."
        raise ValidationError(msg)
    got_kind = data.get("kind")
    if got_kind != kind:
        msg = f"{where} got a saved state of kind {got_kind!r}, not {kind!r}."
        if got_kind is None:
            msg += "\nHint: the state has no 'kind' key; was it written by to_dict()?"
        raise ValidationError(msg)
    version = data.get("format_version")
    if isinstance(version, bool) or version != FORMAT_VERSION:
        written = data.get("custloyalty_version", "an unknown version")
        msg = (
            f"{where}: saved state has format_version {version!r}; this custloyalty "
            f"({_package_version()}) reads format_version {FORMAT_VERSION}."
            f"\nHint: it was written by custloyalty {written}; fit again with this version, "
            "or load it with the version that wrote it."
        )
        raise ValidationError(msg)
    return data


def refuse_unknown_keys(
    data: Mapping[Any, Any], known: Sequence[str], *, where: str, block: str = ""
) -> None:
    """Refuse keys of a saved state (or of its ``block``) that the loader would ignore.

    A hand edit or a typo (``"grace_period"`` for ``"grace_periods"``) would otherwise load
    as if the key were absent. The message names the first unknown key, the keys a saved
    state holds there and the closest of them.
    """
    unknown = [k for k in data if k not in known]
    if not unknown:
        return
    from custloyalty._validation import suggest

    names = ", ".join(repr(k) for k in unknown[:5])
    what = f"unknown key {names}" if len(unknown) == 1 else f"unknown keys {names}"
    close = suggest(str(unknown[0]), [str(k) for k in known])
    hint = (
        f"did you mean {close!r}?"
        if close
        else "the state was edited by hand; remove the key or save the state again."
    )
    msg = (
        f"{where}: {block + ' has ' if block else ''}{what} (a saved state would ignore "
        f"{'it' if len(unknown) == 1 else 'them'}); the keys are {sorted(map(str, known))!r}."
        f"\nHint: {hint}"
    )
    raise ValidationError(msg)


def state_key(data: Mapping[str, Any], key: str, *, where: str) -> Any:
    """Return ``data[key]``, or raise a :class:`ValidationError` naming the missing key."""
    if key not in data:
        have = ", ".join(repr(str(k)) for k in data) or "none"
        msg = f"{where}: saved state has no {key!r} entry (it has {have})."
        raise ValidationError(msg)
    return data[key]


def state_mapping(value: Any, key: str, *, where: str) -> Mapping[str, Any]:
    """Check that an entry is a mapping."""
    if not isinstance(value, Mapping):
        msg = f"{where}: {key} must be a mapping; got {type(value).__name__} {value!r:.80}."
        raise ValidationError(msg)
    return value


def state_str(value: Any, key: str, *, where: str, choices: Sequence[str] | None = None) -> str:
    """Check that an entry is a string (one of ``choices`` when given)."""
    if not isinstance(value, str) or (choices is not None and value not in choices):
        want = "a string" if choices is None else f"one of {sorted(choices)}"
        msg = f"{where}: {key} must be {want}; got {value!r:.80}."
        raise ValidationError(msg)
    return value


def state_bool(value: Any, key: str, *, where: str, allow_none: bool = False) -> bool | None:
    """Check that an entry is a JSON boolean (or ``null`` when allowed)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, bool | np.bool_):
        msg = f"{where}: {key} must be true or false; got {value!r:.80}."
        raise ValidationError(msg)
    return bool(value)


def _bound_text(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low:g}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high:g}")
    return " and ".join(parts)


def state_float(
    value: Any,
    key: str,
    *,
    where: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_none: bool = False,
) -> float:
    """Check one number of a saved state: finite, within bounds; ``None`` -> NaN if allowed."""
    if value is None and allow_none:
        return float("nan")
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        msg = f"{where}: {key} must be a number; got {value!r:.80}."
        raise ValidationError(msg)
    try:
        v = float(value)
    except OverflowError:  # an integer beyond the float range (e.g. 10**400 from JSON)
        v = math.inf if value > 0 else -math.inf
    ok = math.isfinite(v)
    if ok and low is not None:
        ok = v > low if low_open else v >= low
    if ok and high is not None:
        ok = v < high if high_open else v <= high
    if not ok:
        bounds = _bound_text(low, high, low_open, high_open)
        want = "finite" + (f" and {bounds}" if bounds else "")
        msg = f"{where}: {key} must be {want}; got {v!r}."
        raise ValidationError(msg)
    return v


def state_floats(
    value: Any,
    key: str,
    *,
    where: str,
    length: int | None = None,
    min_length: int = 0,
    increasing: bool = False,
    low: float | None = None,
    high: float | None = None,
) -> list[float]:
    """Check a list of numbers: finite, within bounds, of a length, non-decreasing if asked."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        msg = f"{where}: {key} must be a list of numbers; got {value!r:.80}."
        raise ValidationError(msg)
    if (length is not None and len(value) != length) or len(value) < min_length:
        want = f"exactly {length}" if length is not None else f"at least {min_length}"
        msg = f"{where}: {key} must hold {want} numbers; got {len(value)}."
        raise ValidationError(msg)
    out = [
        state_float(v, f"{key}[{i}]", where=where, low=low, high=high) for i, v in enumerate(value)
    ]
    if increasing and any(b < a for a, b in itertools.pairwise(out)):
        msg = f"{where}: {key} must be sorted in increasing order; got {out!r:.120}."
        raise ValidationError(msg)
    return out


class Stateful:
    """Mixin of fitted classes: JSON round trip and an HTML repr over ``to_dict``/``from_dict``.

    Subclasses implement ``to_dict()`` (starting from :func:`header` with their
    ``_state_kind``) and the classmethod ``from_dict()`` (starting with :func:`check_header`).
    """

    _state_kind: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every subclass overrides it
        """Return the fitted state as a JSON-safe dict."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:  # pragma: no cover - overridden
        """Rebuild the object from :meth:`to_dict` output."""
        raise NotImplementedError

    def to_json(self, *, indent: int | None = 2) -> str:
        """Return :meth:`to_dict` as strict JSON text (no NaN or infinity literals)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Rebuild the object from :meth:`to_json` text.

        Raises
        ------
        ValidationError
            The text is not valid JSON (for example a truncated file, bytes that are not
            UTF-8, numbers of thousands of digits, nesting thousands deep), an object gives a
            key twice (a hand edit: JSON readers keep the last one), or the state inside is
            malformed (see :meth:`from_dict`).
        """
        given: object = text  # checked at run time: callers pass what they read
        if not isinstance(given, str | bytes | bytearray):
            msg = f"{cls.__name__}.from_json needs JSON text; got {type(given).__name__}."
            raise ValidationError(msg)
        hint = "\nHint: the file may be truncated or edited by hand; save it again with to_json()."
        try:
            data = json.loads(text, object_pairs_hook=unique_keys)
        except _RepeatedKeyError as exc:
            msg = (
                f"{cls.__name__}.from_json: {exc} (JSON would keep the last value silently)."
                "\nHint: the file was edited by hand; keep one value per key."
            )
            raise ValidationError(msg) from None
        except json.JSONDecodeError as exc:
            msg = (
                f"{cls.__name__}.from_json: the text is not valid JSON ({exc.msg} at line "
                f"{exc.lineno}, column {exc.colno}).{hint}"
            )
            raise ValidationError(msg) from None
        except (ValueError, RecursionError) as exc:
            # bytes that are not UTF-8 (UnicodeDecodeError), an integer of thousands of
            # digits (ValueError), arrays nested thousands deep (RecursionError)
            msg = f"{cls.__name__}.from_json: the text is not valid JSON ({exc!s:.120}).{hint}"
            raise ValidationError(msg) from None
        return cls.from_dict(data)

    def _repr_html_(self) -> str:
        """Notebook view: the one-line repr and the fitted tables (``summary`` when defined)."""
        parts = [f"<p><code>{html.escape(repr(self))}</code></p>"]
        table = getattr(type(self), "summary", None)
        if isinstance(table, property):
            try:
                frame = getattr(self, "summary")  # noqa: B009 - property may raise NotFitted
            except CustLoyaltyError:  # not fitted: the repr says so
                frame = None
            to_html = getattr(frame, "to_html", None)
            if callable(to_html):
                parts.append(str(to_html(float_format=lambda v: f"{v:.6g}")))
        return "\n".join(parts)

"""The section registry: a report is the ordered list of small functions registered here."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from custloyalty._validation import suggest
from custloyalty.errors import ValidationError

__all__ = ["SectionSpec", "available_sections", "section"]

#: A section function: takes the :class:`ReportContext`, returns the body HTML or None (skip).
SectionFunc = Callable[[Any], "str | None"]


@dataclass(frozen=True, slots=True)
class SectionSpec:
    """One registered section: its anchor id, heading and the function that writes its body."""

    id: str
    title: str
    func: SectionFunc


_REGISTRY: list[SectionSpec] = []

#: A section id is the page anchor of the section (``id="..."``, ``href="#..."``).
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _check_id(id: Any, name: str, func: str) -> str:
    """Validate a section id: a string usable as an HTML anchor (letters, digits, ``-``, ``_``)."""
    if not isinstance(id, str) or not _ID.fullmatch(id):
        msg = (
            f"The {name!r} parameter of {func} must be a section id: a letter followed by "
            f"letters, digits, '-' or '_' (it is the section's anchor in the page); got {id!r}."
        )
        raise ValidationError(msg)
    return id


def _unknown(ids: Sequence[Any], known: Sequence[str], what: str) -> ValidationError:
    """Return the error for section ids that are not registered, a close match as hint."""
    msg = f"{what}; the sections are {list(known)}."
    close = suggest(str(ids[0]), known)
    if close is not None:
        msg += f"\nHint: did you mean {close!r}?"
    return ValidationError(msg)


def section(
    id: str, title: str, *, after: str | None = None
) -> Callable[[SectionFunc], SectionFunc]:
    """Register a report section (decorator).

    Parameters
    ----------
    id
        Anchor id of the section (unique; registering an id again replaces that section).
    title
        Heading shown in the report and its table of contents.
    after
        Id of the section this one follows; default: at the end.

    Returns
    -------
    callable
        The decorator, which returns the function unchanged.

    Raises
    ------
    ValidationError
        ``id`` is not a valid anchor (a letter, then letters, digits, ``-`` or ``_``),
        ``title`` is not a string, ``after`` names no registered section, or the decorated
        object is not callable.

    Examples
    --------
    >>> from custloyalty.report import available_sections, section
    >>> @section("hello", "Hello", after="headline")
    ... def hello(ctx):
    ...     return "<p>Hello.</p>"
    >>> available_sections()[:2]
    ['headline', 'hello']
    >>> from custloyalty.report._registry import remove_section
    >>> remove_section("hello")
    """
    _check_id(id, "id", "section")
    given_title: Any = title  # typed str; a caller may pass anything
    if not isinstance(given_title, str):
        msg = f"The 'title' parameter of section must be a string; got {title!r}."
        raise ValidationError(msg)
    if after is not None:
        _check_id(after, "after", "section")

    def register(func: SectionFunc) -> SectionFunc:
        given: Any = func  # typed callable; a caller may decorate anything
        if not callable(given):
            msg = (
                f"section {id!r}: the decorated object must be a function of the report "
                f"context returning HTML or None; got {type(func).__name__}."
            )
            raise ValidationError(msg)
        spec = SectionSpec(id=id, title=title, func=func)
        for k, existing in enumerate(_REGISTRY):
            if existing.id == id:
                _REGISTRY[k] = spec
                return func
        if after is None:
            _REGISTRY.append(spec)
        else:
            ids = [s.id for s in _REGISTRY]
            if after not in ids:  # a built-in section, before the built-ins are loaded?
                ids = available_sections()
            if after not in ids:
                raise _unknown([after], ids, f"section {id!r}: after={after!r} is not a section")
            _REGISTRY.insert(ids.index(after) + 1, spec)
        return func

    return register


def remove_section(id: str) -> None:
    """Unregister a section.

    Parameters
    ----------
    id
        The section's id, as given to :func:`section` (see :func:`available_sections`).

    Raises
    ------
    ValidationError
        No section has this id (a typo would otherwise leave the section in every report);
        the message suggests the closest id.

    Examples
    --------
    >>> from custloyalty.report import available_sections, remove_section, section
    >>> @section("hello", "Hello")
    ... def hello(ctx):
    ...     return "<p>hello</p>"
    >>> "hello" in available_sections()
    True
    >>> remove_section("hello")
    >>> "hello" in available_sections()
    False
    """
    known = available_sections()
    if id not in known:
        raise _unknown([id], known, f"remove_section: {id!r} is not a registered section")
    _REGISTRY[:] = [s for s in _REGISTRY if s.id != id]


def available_sections() -> list[str]:
    """Return the ids of the registered sections, in report order.

    Examples
    --------
    >>> from custloyalty.report import available_sections
    >>> available_sections()[0], "method" in available_sections()
    ('headline', True)
    """
    from custloyalty.report import _sections  # noqa: F401  (registers the built-in sections)

    return [s.id for s in _REGISTRY]


def selected(ids: Sequence[str] | None) -> list[SectionSpec]:
    """Return the registered sections named in ``ids`` (all when None), in report order."""
    available_sections()
    if ids is None:
        return list(_REGISTRY)
    wanted = list(ids)  # once: a generator read twice gave no section at all, silently
    known = [s.id for s in _REGISTRY]
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise _unknown(unknown, known, f"Unknown report sections {unknown!r}")
    return [s for s in _REGISTRY if s.id in set(wanted)]


# -- small HTML helpers shared by the sections --------------------------------------------------
def esc(text: Any) -> str:
    """HTML-escape ``str(text)``."""
    return html.escape(str(text), quote=True)


def figures(*svgs: str) -> str:
    """Lay figures side by side (one column on narrow screens), each in a ``<figure>``.

    Parameters
    ----------
    *svgs
        Inline figures, from :func:`figure_svg`.

    Returns
    -------
    str
        The HTML of a section's figure row.

    Raises
    ------
    ValidationError
        An argument is not a string.

    Examples
    --------
    >>> from custloyalty.report import figures
    >>> figures("<svg></svg>")
    '<div class="figs one"><figure class="fig"><svg></svg></figure></div>'
    """
    given: tuple[Any, ...] = svgs  # typed strings; a caller may pass anything
    for k, svg in enumerate(given):
        if not isinstance(svg, str):
            msg = (
                f"figures takes the figures' markup as strings (from figure_svg); argument "
                f"{k + 1} is a {type(svg).__name__}."
            )
            raise ValidationError(msg)
    cls = "figs one" if len(svgs) == 1 else "figs"
    inner = "".join(f'<figure class="fig">{s}</figure>' for s in svgs)
    return f'<div class="{cls}">{inner}</div>'


def paragraph(text: str) -> str:
    """Wrap already-escaped text in a paragraph."""
    return f"<p>{text}</p>"


def note(text: str) -> str:
    """Wrap already-escaped text in a muted note."""
    return f'<p class="note">{text}</p>'


def table(frame: pd.DataFrame, *, formats: dict[str, str] | None = None) -> str:
    """Return a small HTML table of ``frame`` (index as first column), numbers right-aligned."""
    formats = formats or {}
    head = "".join(f"<th>{esc(c)}</th>" for c in [frame.index.name or "", *frame.columns])
    rows = []
    for key, row in frame.iterrows():  # a handful of rows (tiers, segments, indicators)
        cells = [f'<th scope="row">{esc(key)}</th>']
        for col, value in row.items():
            fmt = formats.get(str(col))
            if fmt is not None and isinstance(value, int | float) and pd.notna(value):
                cells.append(f'<td class="num">{format(value, fmt)}</td>')
            else:
                num = isinstance(value, int | float)
                cells.append(f"<td{' class=num' if num else ''}>{esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def items(lines: Iterable[str]) -> str:
    """Return a bullet list of already-escaped lines."""
    return "<ul>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"

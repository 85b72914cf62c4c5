"""Griffe extension: render the Sphinx roles of numpydoc docstrings in the API pages.

The docstrings are written for numpydoc (``:math:`x```, ``:func:`rfm_summary```,
``:class:`~custloyalty.models.BetaGeo```, ...), which mkdocstrings would show as literal text.
When griffe has loaded the package, this extension rewrites each docstring *in memory* (the
sources are untouched):

- ``:math:`...``` becomes ``$...$``, rendered by pymdownx.arithmatex and MathJax;
- ``:func:``, ``:class:``, ``:meth:``, ``:attr:``, ``:mod:``, ``:data:``, ``:obj:``, ``:exc:``
  and ``:ref:`` become an optional autorefs cross-reference to the object's canonical path,
  resolved like Sphinx does: from the object outwards through its parents (so ``:meth:`fit```
  in a class finds the class's ``fit``), then in the public subpackages. A target that is not
  documented on the site (``pandas.qcut``, a private helper) is shown as code without a link,
  and never fails the strict build. ``~`` shows the last component only; functions and methods
  get ``()`` as in Sphinx;
- the entries of a numpydoc "See Also" section (``name, name : description``) become a list
  of the same cross-references.

Enabled in ``mkdocs.yml`` under the python handler's ``extensions``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from griffe import AliasResolutionError, Extension, GriffeLoader, Module, Object

ROLE = re.compile(
    r":(?:py:)?(?P<role>math|func|class|meth|attr|mod|data|obj|exc|ref|const):`(?P<body>[^`]+)`"
)

#: Where a bare name is looked up after the object's own scopes, in order.
PUBLIC_ROOTS = (
    "custloyalty",
    "custloyalty.metrics",
    "custloyalty.models",
    "custloyalty.segmentation",
    "custloyalty.scorecard",
    "custloyalty.datasets",
    "custloyalty.errors",
    "custloyalty.plotting",
    "custloyalty.summary",
)

CALLABLE_ROLES = {"func", "meth"}


def _walk(obj: Object) -> Iterator[Object]:
    yield obj
    for member in list(obj.members.values()):
        if member.is_alias:
            continue  # documented where it is defined
        yield from _walk(member)  # type: ignore[arg-type]


def _lookup(loader: GriffeLoader, path: str) -> Object | None:
    try:
        found = loader.modules_collection[path]
    except (KeyError, AliasResolutionError, ValueError, IndexError):
        return None
    try:
        return found.final_target if found.is_alias else found  # type: ignore[no-any-return]
    except AliasResolutionError:
        return None


def _inherited(scope: Object, name: str, loader: GriffeLoader) -> Object | None:
    """Member ``name`` (dotted) of class ``scope`` including inherited members."""
    if not scope.is_class:
        return None
    first, _, rest = name.partition(".")
    try:
        member = scope.all_members.get(first)
    except AliasResolutionError:
        return None
    if member is None:
        return None
    return _lookup(loader, f"{member.path}.{rest}" if rest else member.path)


def resolve(name: str, obj: Object, loader: GriffeLoader) -> str | None:
    """Return the canonical path of the object ``name`` refers to from ``obj``, or None."""
    name = name.lstrip(".")
    scope: Object | None = obj
    while scope is not None:
        found = _lookup(loader, f"{scope.path}.{name}") or _inherited(scope, name, loader)
        if found is not None:
            return found.path
        scope = scope.parent
    for root in ("", *PUBLIC_ROOTS):
        found = _lookup(loader, f"{root}.{name}" if root else name)
        if found is not None:
            return found.path
    return None


def link(body: str, role: str, obj: Object, loader: GriffeLoader) -> str:
    """HTML for one reference: an optional autoref, or plain code when nothing is found."""
    explicit = re.fullmatch(r"(?P<title>.*?)\s*<(?P<target>[^>]+)>", body)
    if explicit:  # :func:`title <target>`
        title, target = explicit["title"], explicit["target"]
    else:
        target = body.lstrip("!")
        short = target.startswith("~")
        target = target.lstrip("~")
        title = target.rsplit(".", 1)[-1] if short else target
        if role in CALLABLE_ROLES and not title.endswith(")"):
            title += "()"
    path = resolve(target, obj, loader)
    code = f"<code>{title}</code>"
    if path is None:
        return code
    return f'<autoref identifier="{path}" optional>{code}</autoref>'


SEE_ALSO = re.compile(
    r"^See Also\n-+\n(?P<body>.*?)(?=^\S[^\n]*\n-+\n|\Z)", re.MULTILINE | re.DOTALL
)
ENTRY = re.compile(r"(?P<names>[\w.~]+(?:\s*,\s*[\w.~]+)*)\s*(?::\s*(?P<desc>.*))?")


def _see_also(body: str, obj: Object, loader: GriffeLoader) -> str:
    """Turn the numpydoc "See Also" entries (``name, name : description``) as a list of links."""
    lines = []
    for line in body.splitlines():
        entry = ENTRY.fullmatch(line)
        if entry is None or line[:1].isspace():
            lines.append(line)  # a continuation or prose line
            continue
        names = [n.strip() for n in entry["names"].split(",")]
        links = ", ".join(link(n, "obj", obj, loader) for n in names)
        lines.append(f"- {links}: {entry['desc']}" if entry["desc"] else f"- {links}")
    return "\n".join(lines) + ("\n" if body.endswith("\n") else "")


def convert(text: str, obj: Object, loader: GriffeLoader) -> str:
    """Rewrite the Sphinx roles and "See Also" entries of one docstring."""

    def replace(match: re.Match[str]) -> str:
        role, body = match["role"], match["body"].strip()
        if role == "math":
            return f"${body}$"
        return link(body, role, obj, loader)

    text = SEE_ALSO.sub(
        lambda m: m.group(0)[: m.start("body") - m.start()] + _see_also(m["body"], obj, loader),
        text,
    )
    return ROLE.sub(replace, text)


class SphinxRoles(Extension):
    """Convert numpydoc/Sphinx roles once the whole package is loaded."""

    def on_package(self, *, pkg: Module, loader: GriffeLoader, **kwargs: Any) -> None:
        """Rewrite every docstring of the package (defined objects, not aliases)."""
        for obj in _walk(pkg):
            if obj.docstring is not None:
                obj.docstring.value = convert(obj.docstring.value, obj, loader)

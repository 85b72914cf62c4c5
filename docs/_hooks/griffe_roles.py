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


PARAMETERS = re.compile(
    r"^(?:Other )?Parameters\n-+\n(?P<body>.*?)(?=^\S[^\n]*\n-+\n|\Z)", re.MULTILINE | re.DOTALL
)
SHARED = re.compile(r"(?P<names>[*\w]+(?:, [*\w]+)+)(?P<rest>\s*:.*)?")


def _one_entry_per_name(body: str) -> str:
    """Split numpydoc entries naming several parameters (``customer, time``) into one each.

    griffe gives every name of such an entry the first name's default and annotation (the
    API pages showed ``time``'s default as ``'customer_id'``): one entry per name, the
    description repeated, lets each take its own from the signature.
    """
    lines = body.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        shared = SHARED.fullmatch(line.rstrip("\n"))
        if shared is None or line[:1].isspace():
            out.append(line)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and (lines[j][:1].isspace() or not lines[j].strip()):
            j += 1
        desc = lines[i + 1 : j]
        while desc and not desc[-1].strip():  # blank lines stay after the last entry
            desc.pop()
        blank = lines[i + 1 + len(desc) : j]
        for name in shared["names"].split(", "):
            out.append(f"{name}{shared['rest'] or ''}\n")
            out.extend(desc)
        out.extend(blank)
        i = j
    return "".join(out)


def convert(text: str, obj: Object, loader: GriffeLoader) -> str:
    """Rewrite the Sphinx roles, shared parameter entries and "See Also" entries of a docstring."""
    text = PARAMETERS.sub(
        lambda m: m.group(0)[: m.start("body") - m.start()] + _one_entry_per_name(m["body"]),
        text,
    )

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

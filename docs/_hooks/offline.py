"""MkDocs hook: a site that works offline, opened from disk, with no CDN address in it.

1. MathJax ships inside the built site, so formulas render offline.

MathJax 3 comes from the PyPI package ``django-static-mathjax`` (Apache-2.0; a plain copy of
the MathJax distribution, no dependency, in the ``dev`` extra), installed with the other
documentation tools: nothing is vendored in the repository and nothing is loaded from a CDN
when a page is read. The single-file component ``tex-svg-full.js`` is used: every TeX
extension is built in and the SVG output needs no web fonts, so no further file is loaded at
run time. Its speech-rule-engine defaults name a CDN (used only by the accessibility explorer,
which MathJax loads on request); the copy written to the site points them at the site itself,
so that the built site holds no CDN address at all. The MathJax licence is copied beside it.

2. Material's JavaScript bundle carries two CDN fallbacks that a page of this site never
   triggers (a ResizeObserver polyfill for old browsers, mermaid for diagrams, which the docs do
   not use); after the build they are pointed at the site too. The search shim that Material's
   offline plugin would load from a CDN is a local copy (``docs/javascripts``, see mkdocs.yml).

3. Last, every text file of the built site is searched for a CDN host (:data:`CDN_HOSTS`): the
   build fails if one is left, so a new theme version or plugin cannot bring one back silently.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

COMPONENT = "tex-svg-full.js"
DEST = "assets/mathjax"
CDN = "https://cdn.jsdelivr.net/npm/"

#: Hosts that serve libraries to web pages; none may appear in the built site.
CDN_HOSTS = (
    "unpkg.com",
    "cdn.jsdelivr.net",
    "cdnjs.cloudflare.com",
    "fonts.googleapis.com",
    "fonts.gstatic.com",
    "ajax.googleapis.com",
    "polyfill.io",
    "code.jquery.com",
    "stackpath.bootstrapcdn.com",
    "cdn.plot.ly",
    "mathjax.rstudio.com",
)
CDN_PATTERN = re.compile(
    r"(?:https?:)?//(?:" + "|".join(map(re.escape, CDN_HOSTS)) + r")/[^\s\\\"'`)]*"
)
TEXT_SUFFIXES = {".html", ".js", ".css", ".map", ".json", ".xml", ".txt", ".svg"}


def _mathjax_dir() -> Path:
    try:
        import mathjax  # type: ignore[import-untyped]  # django-static-mathjax
    except ImportError as exc:
        msg = (
            "MathJax is not installed; the docs ship it offline from the PyPI package "
            "django-static-mathjax. Hint: pip install -e '.[dev]' (make docs does it)."
        )
        raise PluginError(msg) from exc
    return Path(mathjax.__file__).parent / "static" / "mathjax"


def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> Files:
    """Add the MathJax component and its licence to the site's files."""
    root = _mathjax_dir()
    script = (root / "es5" / COMPONENT).read_text(encoding="utf-8")
    script = script.replace(CDN, "./")  # never reached offline; no CDN address in the site
    files.append(File.generated(config, f"{DEST}/{COMPONENT}", content=script))
    licence = (root / "LICENSE").read_text(encoding="utf-8")
    files.append(File.generated(config, f"{DEST}/LICENSE", content=licence))
    return files


def cdn_references(site_dir: Path) -> list[str]:
    """Return ``file: url`` for every CDN address in the text files of a built site."""
    found = []
    for path in sorted(site_dir.rglob("*")):
        if path.suffix in TEXT_SUFFIXES and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [f"{path.relative_to(site_dir)}: {m}" for m in CDN_PATTERN.findall(text)]
    return found


def on_post_build(config: MkDocsConfig, **kwargs: Any) -> None:
    """Point Material's unused CDN fallbacks at the site; fail on any CDN address left."""
    site = Path(config.site_dir)
    for bundle in (site / "assets" / "javascripts").glob("bundle.*.js*"):
        text = bundle.read_text(encoding="utf-8")
        patched = CDN_PATTERN.sub("./offline-unavailable", text)
        if patched != text:
            bundle.write_text(patched, encoding="utf-8")
    left = cdn_references(site)
    if left:
        msg = "CDN addresses in the built site (it must work offline):\n" + "\n".join(left[:20])
        raise PluginError(msg)

"""The built documentation site works anywhere: offline, from disk, formulas and figures shown.

The site is built once per test session into ``build/site`` (the ``site`` fixture, the same
command as ``make docs``); the checks then read the files, and one test opens pages in headless
Chromium from ``file://`` (``tests/_browser.py``) and leaves a screenshot in
``build/screenshots/docs.png`` for a person to look at.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "build" / "site"
SCREENSHOTS = ROOT / "build" / "screenshots"

#: Hosts that serve libraries to web pages: none may appear in the site.
CDN = re.compile(
    r"//(?:unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|fonts\.googleapis\.com|"
    r"fonts\.gstatic\.com|ajax\.googleapis\.com|polyfill\.io|code\.jquery\.com|"
    r"[a-z0-9-]+\.bootstrapcdn\.com|cdn\.plot\.ly|mathjax\.rstudio\.com)/"
)
#: Sphinx roles that must have been converted (numpydoc docstrings, docs/_hooks/griffe_roles.py).
ROLE = re.compile(r":(?:math|func|class|meth|attr|mod|data|obj|exc|ref|doi):`")


@pytest.fixture(scope="session")
def site() -> Path:
    """Build the documentation into build/site once per test session (as ``make docs``)."""
    env = {
        **os.environ,
        "NO_MKDOCS_2_WARNING": "1",
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(SITE)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-4000:]}"
    return SITE


def html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


class _Refs(HTMLParser):
    """Collect href/src attributes and the text of <img> alt attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.refs.append((tag, name, value))


def refs(page: Path) -> list[tuple[str, str, str]]:
    parser = _Refs()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.refs


def test_no_cdn_address_in_the_site(site: Path) -> None:
    found = [
        f"{path.relative_to(site)}: {m.group(0)}"
        for path in sorted(site.rglob("*"))
        if path.is_file() and path.suffix in {".html", ".js", ".css", ".map", ".json", ".svg"}
        for m in CDN.finditer(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == []


def test_pages_load_nothing_from_the_network(site: Path) -> None:
    # scripts, styles and images are files of the site; links to papers (<a href>) may be remote
    remote = [
        f"{page.relative_to(site)}: <{tag} {attr}={value}>"
        for page in html_pages(site)
        for tag, attr, value in refs(page)
        if tag != "a" and re.match(r"(?:https?:)?//", value)
    ]
    assert remote == []


def test_mathjax_ships_with_the_site(site: Path) -> None:
    mathjax = site / "assets" / "mathjax" / "tex-svg-full.js"
    assert mathjax.stat().st_size > 1_000_000
    assert "Apache License" in (mathjax.parent / "LICENSE").read_text(encoding="utf-8")
    page = site / "api" / "models.html"
    assert ("script", "src", "../assets/mathjax/tex-svg-full.js") in refs(page)


def test_links_work_from_disk(site: Path) -> None:
    # opened from disk there is no server to turn "guides/" into "guides/index.html": every
    # local link must name an existing file
    broken = []
    for page in html_pages(site):
        for tag, attr, value in refs(page):
            if re.match(r"[a-z][a-z0-9+.-]*:|//|#", value):
                continue  # remote, mailto:, data: or same-page anchors
            target = value.split("#", 1)[0].split("?", 1)[0]
            if not target:
                continue
            path = (page.parent / target).resolve()
            if not path.is_file():
                broken.append(f"{page.relative_to(site)}: <{tag} {attr}={value}>")
    assert broken == []


def test_no_literal_sphinx_role(site: Path) -> None:
    found = [
        f"{page.relative_to(site)}: {m.group(0)}"
        for page in html_pages(site)
        for m in ROLE.finditer(page.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_roles_become_math_and_cross_references(site: Path) -> None:
    # ":math:`\lambda`" in a docstring becomes arithmatex math; ":func:`rfm_summary`" and
    # ":class:`BetaGeo`" links to the object's section of the API pages
    models = (site / "api" / "models.html").read_text(encoding="utf-8")
    assert models.count('class="arithmatex"') > 20
    links = re.findall(r'<a class="autorefs autorefs-internal"[^>]*href="([^"]+)"', models)
    assert any(h.endswith("summary.html#custloyalty.summary.rfm_summary") for h in links)
    assert "<autoref" not in models
    for page in html_pages(site):
        assert "<autoref" not in page.read_text(encoding="utf-8"), page


def test_parameters_documented_together_show_their_own_defaults(site: Path) -> None:
    # "customer, time" in a numpydoc Parameters section: griffe gave both names the first
    # one's default, so the API table said time defaults to 'customer_id'
    page = (site / "api" / "metrics-behaviour.html").read_text(encoding="utf-8")
    start = page.index('id="custloyalty.metrics.purchase_rate"')
    section = page[start : page.index('<h2 id="custloyalty.', start + 1)]
    rows = re.findall(
        r"<code>(customer|time)</code>.*?<td>\s*<code>(&#39;\w+&#39;)</code>", section, re.DOTALL
    )
    assert dict(rows) == {"customer": "&#39;customer_id&#39;", "time": "&#39;date&#39;"}


def test_every_guide_shows_a_figure_drawn_at_build_time(site: Path) -> None:
    guides = sorted((site / "guides").glob("*.html"))
    assert len(guides) >= 6
    for guide in guides:
        images = [v for tag, attr, v in refs(guide) if tag == "img" and attr == "src"]
        figures = [v for v in images if v.startswith("../figures/") and v.endswith(".svg")]
        assert figures, f"{guide.name} shows no figure from docs/figures"
        for figure in figures:
            svg = (guide.parent / figure).resolve()
            assert svg.stat().st_size > 5_000, svg
            assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    scripts = sorted((ROOT / "docs" / "figures").glob("*.py"))
    drawn = {p.stem for p in (site / "figures").glob("*.svg")}
    assert drawn == {s.stem for s in scripts}
    for script in scripts:
        assert "custloyalty" in script.read_text(encoding="utf-8"), script.name


def test_page_in_a_browser(site: Path) -> None:
    # a guide with formulas and a figure near the top, and an API page with converted roles,
    # opened from disk in headless Chromium
    import _browser as browser

    browser.ensure_chromium()  # installs it, or fails on CI / skips elsewhere with the reason
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = {
        "docs.png": site / "guides" / "satisfaction.html",
        "docs-api.png": site / "api" / "models.html",
    }
    for png, page in pages.items():
        log = browser.open_page(page.as_uri(), SCREENSHOTS / png)
        where = page.relative_to(site)
        assert log.console_errors == [], where
        assert log.requests == [], where
        assert log.title.endswith("custloyalty"), log.title
        formulas = page.read_text(encoding="utf-8").count('class="arithmatex"')
        assert formulas > 5
        assert log.math >= formulas, where  # MathJax typeset every formula
        assert "$$" not in log.text
        assert "\\frac" not in log.text  # no raw TeX left on the page
        assert ROLE.search(log.text) is None
        assert all(w > 0 and h > 0 for w, h in log.figures), (where, log.figures)
        if page.parent.name == "guides":  # the figure drawn at build time, at a readable size
            assert any(w > 200 and h > 150 for w, h in log.figures), (where, log.figures)
        assert (SCREENSHOTS / png).stat().st_size > 10_000

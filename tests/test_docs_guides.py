"""Run the code of the documentation pages, so that they cannot rot.

Every page under ``docs/`` and ``docs/guides/`` with a fenced ```python block runs: the
guides, getting started, and new pages as they are added (``tests/test_readme.py`` runs the
README the same way). Each page is one test: its fenced ```python blocks run in order in one namespace, as a reader
would paste them. A block with ``>>>`` prompts is a doctest (its printed output must match,
with the flags of the package's doctests: NORMALIZE_WHITESPACE, ELLIPSIS, NUMBER); a block
without prompts is plain code that must run without error. A block that must not run is
fenced as ```py (shown the same, not run).
"""

from __future__ import annotations

import doctest
import io
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
# pymdownx.snippets include (mkdocs.yml: base_path ".", the repository root)
_SNIPPET = re.compile(r'^--8<--[ \t]+"([^"]+)"[ \t]*$', re.MULTILINE)

FLAGS = (
    doctest.NORMALIZE_WHITESPACE
    | doctest.ELLIPSIS
    # pytest registers NUMBER (floats match to the precision written in the expected output);
    # register_optionflag returns the same flag when it already exists
    | doctest.register_optionflag("NUMBER")
)


def _checker() -> doctest.OutputChecker:
    """pytest's output checker, which implements NUMBER (as in the package's doctests)."""
    from _pytest.doctest import _get_checker  # private, but the one NUMBER implementation

    return _get_checker()


def python_blocks(text: str) -> list[tuple[int, str]]:
    """Return the ```python blocks of a markdown text with the line number of their code."""
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _FENCE.finditer(text)]


def _expand_snippets(code: str) -> str:
    """Replace ``--8<-- "path"`` lines by the file they include, as the docs build does."""
    return _SNIPPET.sub(lambda m: (ROOT / m.group(1)).read_text(encoding="utf-8"), code)


def run_guide(path: Path) -> list[str]:
    """Run every python block of a guide in one namespace; return the failure reports."""
    text = path.read_text(encoding="utf-8")
    blocks = python_blocks(text)
    if not blocks:
        return [f"{path.name}: no ```python blocks found"]
    globs: dict[str, Any] = {"__name__": f"guide_{path.stem}"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(checker=_checker(), optionflags=FLAGS, verbose=False)
    failures: list[str] = []
    for lineno, block in blocks:
        where = f"{path.name}:{lineno}"
        code = _expand_snippets(block)
        if re.search(r"^\s*>>>", code, re.MULTILINE):
            test = parser.get_doctest(code, globs, where, str(path), lineno - 1)
            test.globs = globs  # DocTest copies its globals: share them with later blocks
            out = io.StringIO()
            result = runner.run(test, out=out.write, clear_globs=False)
            if result.failed:
                failures.append(out.getvalue())
        else:
            try:
                exec(compile(code, where, "exec"), globs)  # the guide's own code
            except Exception as exc:  # report every failing block, not only the first
                failures.append(f"{where}: {type(exc).__name__}: {exc}")
    return failures


def pages_with_code() -> list[str]:
    """Pages under docs/ and docs/guides/ that hold ```python blocks (paths from docs/)."""
    pages = sorted([*DOCS.glob("*.md"), *DOCS.glob("guides/*.md")])
    return [
        page.relative_to(DOCS).as_posix()
        for page in pages
        if python_blocks(page.read_text(encoding="utf-8"))
    ]


#: Pages whose code runs in the test suite (paths under docs/), found by pages_with_code.
PAGES = pages_with_code()


def test_pages_found() -> None:
    # the discovery itself: getting started and every guide with code are covered
    assert "getting-started.md" in PAGES
    guides = {p for p in PAGES if p.startswith("guides/")}
    assert {"guides/behaviour.md", "guides/models.md", "guides/scorecard.md"} <= guides


@pytest.mark.parametrize("page", PAGES)
def test_guide_code_runs(page: str) -> None:
    failures = run_guide(DOCS / page)
    assert not failures, "\n".join(failures)


def test_runner_detects_wrong_output(tmp_path: Path) -> None:
    # the runner itself must be able to fail: a wrong printed value and a raising plain block
    page = tmp_path / "broken.md"
    page.write_text(
        "```python\nx = 1\n```\n\n```python\n>>> x + 1\n3\n>>> round(0.1234, 4)\n0.123\n```\n\n"
        "```python\nraise RuntimeError('boom')\n```\n\n```bash\nnot python\n```\n",
        encoding="utf-8",
    )
    failures = run_guide(page)
    assert len(failures) == 2
    assert "Expected:\n    3\nGot:\n    2" in failures[0]
    assert "0.123" not in failures[0]  # NUMBER: 0.1234 matches 0.123 to the digits written
    assert failures[1] == "broken.md:13: RuntimeError: boom"
    assert run_guide(tmp_path / "broken.md") == failures  # deterministic


def test_snippet_includes_are_expanded() -> None:
    # guides include source files with pymdownx.snippets, paths from the repository root
    code = 'x = 1\n--8<-- "tests/data/README.md"\ny = 2\n'
    out = _expand_snippets(code)
    assert out.startswith("x = 1\n# Test data\n")
    assert out.endswith("y = 2\n")
    assert "--8<--" not in out

"""Run the README's python examples, as the documentation pages run (tests/test_docs_guides.py).

The README is what most people read first: each fenced ```python block runs in order in one
namespace; a block with ``>>>`` prompts must print what it shows.
"""

from __future__ import annotations

from test_docs_guides import ROOT, python_blocks, run_guide

README = ROOT / "README.md"


def test_readme_has_examples() -> None:
    # the README shows code; if it stops doing so this test should be revisited, not pass empty
    assert len(python_blocks(README.read_text(encoding="utf-8"))) >= 2


def test_readme_code_runs() -> None:
    failures = run_guide(README)
    assert not failures, "\n".join(failures)

"""The report as a person sees it: CDNOW master plus a generated survey, in headless Chromium.

One report only (the suite stays fast). The screenshot lands in build/screenshots/report.png
for a person to look at.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from _browser import ensure_chromium, open_page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "build" / "screenshots" / "report.png"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from custloyalty.datasets import load_cdnow, make_survey
    from custloyalty.report import write_report

    ensure_chromium()
    tx = load_cdnow("master")
    sv = make_survey(4000, seed=7, customer_ids=tx["customer_id"].unique())
    previous = tx[tx["date"] <= "1997-12-31"]
    out = tmp_path_factory.mktemp("report") / "report.html"
    return write_report(out, tx, sv, observation_end="1998-06-30", previous=previous)


def test_report_in_chromium(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    log = open_page(report.as_uri(), SCREENSHOT)
    assert log.title == "Customer loyalty report"
    assert log.console_errors == []
    assert log.requests == []
    # every section of the issue is there, each figure drawn with a non-zero size
    ids = re.findall(r'<section id="([^"]+)"', text)
    assert ids == [
        "headline",
        "composite",
        "weights",
        "recommendation",
        "drivers",
        "retention",
        "survival",
        "rfm",
        "value",
        "value_potential",
        "migration",
        "models",
        "data_quality",
        "method",
    ]
    assert len(log.figures) == text.count("<svg") == 14
    assert all(w > 100 and h > 100 for w, h in log.figures), log.figures
    assert SCREENSHOT.stat().st_size > 50_000


@pytest.mark.parametrize("ci", ["", "true"])
def test_missing_chromium_fails_on_ci_and_skips_elsewhere(
    ci: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import _browser

    # no binary, and not allowed to install it (not root): never apt-get in this test
    monkeypatch.setattr(_browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setattr(_browser.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(_browser.os, "geteuid", lambda: 1000, raising=False)
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(expected, match="only root can install it"):
        _browser.ensure_chromium()
    assert _browser.chromium() is None

"""MkDocs hook: draw the documentation figures with custloyalty's plot functions at build time.

Each script ``docs/figures/NAME.py`` draws one figure with :mod:`custloyalty.plotting` on the
bundled data (matplotlib's Agg backend; the script only draws, the hook saves). The hook runs
every script when the site is built and adds the result to the site as ``figures/NAME.svg``,
so a guide shows it with one line of Markdown:

    ![P(alive) by frequency and recency](../figures/p_alive_matrix.svg)

A script that raises, or draws nothing, fails the build. The figures are never committed: they
are drawn from the current code each time.
"""

from __future__ import annotations

import io
import runpy
import warnings
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

SCRIPTS = Path(__file__).resolve().parents[1] / "figures"
DEST = "figures"


def draw(script: Path) -> str:
    """Run one figure script and return its figure as SVG text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.close("all")
    with (
        matplotlib.rc_context({"svg.hashsalt": script.stem, "figure.dpi": 100}),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")  # the docs build is not the place for library warnings
        try:
            runpy.run_path(str(script), run_name="__figure__")
        except Exception as exc:
            msg = f"figure script {script.name} failed: {type(exc).__name__}: {exc}"
            raise PluginError(msg) from exc
        fig = plt.gcf()
        if not fig.axes:
            msg = f"figure script {script.name} drew nothing"
            raise PluginError(msg)
        out = io.StringIO()
        fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close("all")
    return out.getvalue()


def on_files(files: Files, config: MkDocsConfig, **kwargs: Any) -> Files:
    """Draw every figure script into ``figures/NAME.svg`` of the site."""
    for script in sorted(SCRIPTS.glob("*.py")):
        files.append(File.generated(config, f"{DEST}/{script.stem}.svg", content=draw(script)))
    return files

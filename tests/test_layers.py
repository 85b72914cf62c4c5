"""The module map of CONTRIBUTING.md ("Layers and modules") is true: who may import whom.

Every module under ``src/custloyalty`` is parsed (``ast``, nothing is imported to find the
imports; imports inside functions and under ``TYPE_CHECKING`` count too) and each import of a
custloyalty module is checked against :data:`LAYERS`:

- a module imports only modules of its own layer or of layers below;
- the faces (``plotting``, ``report``, ``cli``) are imported by no other layer;
- across top-level units, only public names are imported: ``custloyalty.metrics``, not
  ``custloyalty.metrics._churn`` (the foundation modules, private by name, are the exception:
  they are the shared base);
- every top-level module or package is in :data:`LAYERS`, so the map cannot fall behind.

The package's ``__init__`` is the facade that re-exports the layers; it is not checked as an
importer.
"""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path

import pytest

import custloyalty

SRC = Path(custloyalty.__file__).resolve().parent

#: Top-level unit (module or subpackage of custloyalty) -> layer. Keep in step with the
#: "Layers and modules" section of CONTRIBUTING.md.
LAYERS: dict[str, int] = {
    # 0 foundation: validation, errors, the transaction window, shared result/state/progress
    "errors": 0,
    "_frames": 0,
    "_validation": 0,
    "_window": 0,
    "_results": 0,
    "_state": 0,
    "_progress": 0,
    "_stats": 0,
    "_output": 0,
    # the engine seam (see CALLBACKS): Dask, Spark and foreign frames plug in at the window
    "_engines": 0,
    # 1 data: bundled data and generators, the customer summary
    "datasets": 1,
    "summary": 1,
    # 2 indicators and models
    "metrics": 2,
    "models": 2,
    "segmentation": 2,
    # 3 the scorecard over the indicators
    "scorecard": 3,
    # 4 analyses over the scorecard, and the plugin test kit
    "programme": 4,
    "monitoring": 4,
    "testing": 4,
    # 5 faces: never imported by a layer below
    "plotting": 5,
    "report": 5,
    "cli": 5,
}
#: The one documented exception to "imports go down": the engine seam ``_engines`` is reached
#: from the foundation (the window and the summary hand it foreign and Dask frames) and calls
#: back the public in-memory kernels per customer bucket (``rfm_summary``,
#: ``LoyaltyScorecard.score_bucket``), lazily, inside its functions.
CALLBACKS: dict[str, set[str]] = {"_engines": {"summary", "scorecard"}}
FACES = {unit for unit, layer in LAYERS.items() if layer == 5}
FOUNDATION = {unit for unit, layer in LAYERS.items() if layer == 0}


@functools.cache
def modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the package."""
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = ["custloyalty", *path.relative_to(SRC).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imported(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, dotted target) of every custloyalty import in a module, names resolved."""
    known = modules()
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("custloyalty")]
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, path, node)
            if not target.startswith("custloyalty"):
                continue
            for alias in node.names:
                full = f"{target}.{alias.name}"
                if full in known:  # a submodule
                    out.append((node.lineno, full))
                elif target == "custloyalty":  # a re-exported name: where it is defined
                    obj = getattr(importlib.import_module(target), alias.name, None)
                    out.append((node.lineno, getattr(obj, "__module__", None) or target))
                else:
                    out.append((node.lineno, target))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("custloyalty.")
        ):
            out.append((node.lineno, str(node.args[0].value)))
    return out


def unit(dotted: str) -> str | None:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else None


def checked_modules() -> list[tuple[str, Path]]:
    return [(m, p) for m, p in modules().items() if m != "custloyalty"]


def layer_violations() -> list[str]:
    out = []
    for module, path in checked_modules():
        own = unit(module)
        assert own is not None
        for line, target in imported(module, path):
            other = unit(target)
            if other is None or other == own:
                continue
            if other not in LAYERS or own not in LAYERS:
                continue  # reported by test_every_module_is_on_the_map
            where = f"{path.relative_to(SRC.parent)}:{line}: {module} imports {target}"
            if other in FACES and own not in FACES:
                out.append(f"{where} (a face, imported by no layer below)")
            elif LAYERS[other] > LAYERS[own] and other not in CALLBACKS.get(own, set()):
                out.append(f"{where} (layer {LAYERS[other]} above layer {LAYERS[own]})")
    return sorted(set(out))


def private_violations() -> list[str]:
    out = []
    for module, path in checked_modules():
        own = unit(module)
        for line, target in imported(module, path):
            other = unit(target)
            if other is None or other == own or other in FOUNDATION:
                continue
            inner = target.split(".")[2:]
            if any(part.startswith("_") for part in inner):
                out.append(
                    f"{path.relative_to(SRC.parent)}:{line}: {module} imports {target} "
                    f"(import custloyalty.{other}, not its private modules)"
                )
    return sorted(set(out))


def test_every_module_is_on_the_map() -> None:
    units = {unit(m) for m in modules() if unit(m) is not None}
    assert units - set(LAYERS) == set(), "add them to LAYERS and to CONTRIBUTING.md"


def test_imports_go_down_the_layers() -> None:
    found = layer_violations()
    assert not found, "\n".join(found)


def test_no_private_module_of_another_unit_is_imported() -> None:
    found = private_violations()
    assert not found, "\n".join(found)


def test_faces_are_not_imported_on_import() -> None:
    # the layers below the faces load without matplotlib and without the faces
    import subprocess
    import sys

    code = (
        "import sys, custloyalty, custloyalty.metrics, custloyalty.models, "
        "custloyalty.segmentation, custloyalty.scorecard, custloyalty.summary\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib' or "
        "m in ('custloyalty.plotting', 'custloyalty.report', 'custloyalty.cli'))\n"
        "print(bad)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# --- the checker itself must be able to fail ------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from custloyalty.plotting import plot_tiers\n", ["custloyalty.plotting"]),
        ("from ..plotting import plot_tiers\n", ["custloyalty.plotting"]),
        ("from .. import scorecard\n", ["custloyalty.scorecard"]),
        ("from ._churn import churn\n", ["custloyalty.metrics._churn"]),
        ("import importlib\nimportlib.import_module('custloyalty.cli')\n", ["custloyalty.cli"]),
        ("from custloyalty import LoyaltyScorecard\n", ["custloyalty.scorecard._scorecard"]),
    ],
)
def test_imports_are_resolved(tmp_path: Path, source: str, expected: list[str]) -> None:
    path = tmp_path / "fake.py"
    path.write_text(source, encoding="utf-8")
    found = [target for _, target in imported("custloyalty.metrics.fake", path)]
    if expected == ["custloyalty.scorecard._scorecard"]:
        assert found[0].startswith("custloyalty.scorecard")
    else:
        assert found == expected

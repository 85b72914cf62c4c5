"""Importing custloyalty stays light."""

from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_optional_extras() -> None:
    code = (
        "import sys, custloyalty, custloyalty.metrics, custloyalty.models, "
        "custloyalty.segmentation, custloyalty.scorecard, custloyalty.datasets\n"
        "heavy = [m for m in ('matplotlib', 'dask', 'polars', 'duckdb') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_version_and_errors_exported() -> None:
    import custloyalty

    assert custloyalty.__version__
    assert issubclass(custloyalty.ValidationError, ValueError)
    assert issubclass(custloyalty.ValidationError, custloyalty.CustLoyaltyError)

"""Importing custloyalty stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest


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


def test_lazy_shortcuts_resolve_to_the_subpackage_objects() -> None:
    import custloyalty as cl
    from custloyalty.scorecard import LoyaltyScorecard
    from custloyalty.segmentation import value_tiers

    assert cl.LoyaltyScorecard is LoyaltyScorecard
    assert cl.value_tiers is value_tiers
    assert set(cl.__all__) <= set(dir(cl))
    for name in cl.__all__:
        assert getattr(cl, name) is not None
    with pytest.raises(AttributeError, match="no_such_thing"):
        cl.no_such_thing  # noqa: B018

"""Shared fixtures: the bundled reference data (CDNOW, ECSI) and summaries built from it.

Every reference test reads the data through the public loaders of
:mod:`custloyalty.datasets`, so a clone of the repository standing alone runs the whole suite.
Only ``tests/test_datasets.py`` looks at the original files in ``../shared/data``, to check that
the bundled copies equal them (and, when they are absent, that the bundled copies still render
to the recorded sha256 digests of the originals).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci")

#: the original data files, present when the repository sits beside ``shared/`` (as in CI)
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def cdnow_sample_raw() -> pd.DataFrame:
    """CDNOW 1/10 sample as in the original file: sample id, date as YYYYMMDD integers, CDs, $.

    Read through ``load_cdnow("sample")``; ``tests/test_datasets.py`` checks the bundled copy
    against the original ``CDNOW_sample.txt``.
    """
    from custloyalty.datasets import load_cdnow

    tx = load_cdnow("sample")
    return tx.assign(date=tx["date"].dt.strftime("%Y%m%d").astype("int64"))


@pytest.fixture(scope="session")
def cdnow_sample_summary(cdnow_sample_raw: pd.DataFrame) -> pd.DataFrame:
    """Calibration summary of the BG/NBD paper: 39 weeks to 1997-09-30, in weeks."""
    from custloyalty import rfm_summary

    tx = cdnow_sample_raw.assign(date=cdnow_sample_raw["date"].astype(str))
    return rfm_summary(tx, observation_end="1997-09-30", time_unit="W")


@pytest.fixture(scope="session")
def cdnow_master_summary() -> pd.DataFrame:
    """CDNOW master summary to 1998-06-30, in days, from ``load_cdnow("master")``."""
    from custloyalty import rfm_summary
    from custloyalty.datasets import load_cdnow

    return rfm_summary(load_cdnow("master"), observation_end="1998-06-30")

"""Shared fixtures: the ../shared reference data and summaries built from it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ../shared/data (the CI clone has it beside the repository)."""
    if not SHARED.is_dir():
        pytest.skip(f"reference data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def cdnow_sample_raw(shared_data: Path) -> pd.DataFrame:
    """CDNOW 1/10 sample read straight from ../shared (master id, sample id, date, CDs, $)."""
    return pd.read_csv(
        shared_data / "cdnow" / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "quantity", "amount"],
    )


@pytest.fixture(scope="session")
def cdnow_sample_summary(cdnow_sample_raw: pd.DataFrame) -> pd.DataFrame:
    """Calibration summary of the BG/NBD paper: 39 weeks to 1997-09-30, in weeks."""
    from custloyalty import rfm_summary

    tx = cdnow_sample_raw.assign(date=cdnow_sample_raw["date"].astype(str))
    return rfm_summary(tx, observation_end="1997-09-30", time_unit="W")


@pytest.fixture(scope="session")
def cdnow_master_summary(shared_data: Path) -> pd.DataFrame:
    """CDNOW master summary to 1998-06-30, in days."""
    from custloyalty import rfm_summary

    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_master.txt", sep=r"\s+")
    raw.columns = ["customer_id", "date", "quantity", "amount"]
    return rfm_summary(raw, observation_end="1998-06-30")

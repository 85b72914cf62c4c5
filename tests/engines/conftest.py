"""Fixtures of the engine tests: Dask on the synchronous scheduler, one shared LocalCluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

dask = pytest.importorskip("dask")


@pytest.fixture(autouse=True)
def _synchronous_dask() -> Iterator[None]:
    """Unit tests run Dask graphs in the test's own thread (fast, deterministic)."""
    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.fixture(scope="session")
def cdnow_master() -> pd.DataFrame:
    from custloyalty.datasets import load_cdnow

    return load_cdnow("master")


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[Any]:
    """One two-worker LocalCluster for the whole session (integration tests only).

    Not the default client: the unit tests keep the synchronous scheduler; an integration
    test builds and computes its graph inside ``with client.as_current()``.
    """
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: None means 8787, taken by any other cluster
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client

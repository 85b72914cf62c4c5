"""Tests of the check plots (Agg backend, no display)."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from custloyalty.errors import ValidationError
from custloyalty.models import (
    BetaGeo,
    ShiftedBetaGeo,
    calibration_holdout,
    cumulative_purchases,
)
from custloyalty.plotting import (
    plot_calibration_holdout,
    plot_cumulative_purchases,
    plot_p_alive_matrix,
    plot_retention,
)

BG = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})


@pytest.fixture(autouse=True)
def _close() -> Iterator[None]:
    yield
    plt.close("all")


def test_calibration_holdout_plot(cdnow_sample_raw: pd.DataFrame) -> None:
    from custloyalty import rfm_summary

    tx = cdnow_sample_raw.assign(date=cdnow_sample_raw["date"].astype(str))
    s = rfm_summary(tx, calibration_end="1997-09-30", observation_end="1998-06-30", time_unit="W")
    frame = calibration_holdout(BG, s)
    ax = plot_calibration_holdout(frame)
    assert [line.get_label() for line in ax.lines] == ["actual", "expected"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), frame["actual"])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), frame["expected"])
    assert ax.get_xticklabels()[-1].get_text() == "7+"
    # drawing on a given Axes returns that Axes
    _, given = plt.subplots()
    assert plot_calibration_holdout(frame, ax=given) is given
    with pytest.raises(ValidationError, match="'expected' not found"):
        plot_calibration_holdout(frame.drop(columns="expected"))

    cum = cumulative_purchases(BG, tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    ax = plot_cumulative_purchases(cum)
    labels = [line.get_label() for line in ax.lines]
    assert labels == ["actual", "expected", "end of calibration"]
    np.testing.assert_allclose(ax.lines[2].get_xdata(), [39, 39])


def test_p_alive_matrix_plot() -> None:
    ax = plot_p_alive_matrix(BG, max_frequency=5, T=20.0, n_recency=10)
    arr = np.asarray(ax.images[0].get_array())
    assert arr.shape == (6, 10)
    assert np.all((arr >= 0) & (arr <= 1))
    assert np.all(arr[0] == 1.0)  # no repeat purchase: alive under BG/NBD
    assert np.all(np.diff(arr[1:], axis=1) >= 0)  # more recent -> more likely alive
    with pytest.raises(ValidationError, match="max_frequency"):
        plot_p_alive_matrix(BG, max_frequency=0)
    with pytest.raises(ValidationError, match="T must be"):
        plot_p_alive_matrix(BG, T=-1)


def test_retention_plot() -> None:
    table = pd.DataFrame(
        [[1000, 631, 468, 382], [500, 330, np.nan, np.nan]], index=pd.Index(["a", "b"])
    )
    sbg = ShiftedBetaGeo().fit(table)
    frame = sbg.survival_by_cohort(table)
    ax = plot_retention(frame)
    assert len(ax.lines) == 4
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [1.0, 0.631, 0.468, 0.382])
    ax = plot_retention(frame, kind="retention")
    np.testing.assert_allclose(ax.lines[0].get_ydata()[1:], [0.631, 468 / 631, 382 / 468])
    with pytest.raises(ValidationError, match="'kind' parameter of plot_retention"):
        plot_retention(frame, kind="hazard")

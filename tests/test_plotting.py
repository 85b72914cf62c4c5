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
    plot_composite_distribution,
    plot_cumulative_purchases,
    plot_p_alive_matrix,
    plot_retention,
    plot_rfm_segments,
    plot_tiers,
    plot_weights,
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


# -- model checks: titles, units, whole-number ticks -------------------------------------------
def _integer_ticks(axis) -> bool:
    ticks = np.asarray(axis.get_majorticklocs(), dtype=float)
    return bool(np.all(ticks == np.round(ticks)))


def test_model_check_titles_units_and_integer_ticks() -> None:
    ax = plot_p_alive_matrix(BG, max_frequency=3, T=10.0, n_recency=5, time_unit="D")
    assert ax.get_title() == "BetaGeo: P(alive), customers of age T = 10 days"
    assert "days" in ax.get_xlabel()
    # a small grid used to get ticks at 0.5 on the frequency (count) axis
    assert _integer_ticks(ax.yaxis)
    frame = pd.DataFrame(
        {"actual": [1.0, 3.0, 4.0], "expected": [1.2, 2.8, 4.1], "holdout": [False, True, True]},
        index=pd.Index([1, 2, 3], name="period"),
    )
    ax = plot_cumulative_purchases(frame, model_name="ParetoNBD", time_unit="D")
    assert ax.get_title() == "ParetoNBD: cumulative repeat purchases"
    assert ax.get_xlabel() == "days since the first purchase day"
    assert _integer_ticks(ax.xaxis)
    assert _integer_ticks(ax.yaxis)
    cal = pd.DataFrame({"actual": [0.2, 1.0], "expected": [0.25, 0.9]}, index=[0, 1])
    cal.attrs["custloyalty"] = {"model": "BetaGeo"}
    assert plot_calibration_holdout(cal).get_title() == "BetaGeo: calibration vs holdout"
    table = pd.DataFrame([[1000, 631, 468]], index=["a"])
    ax = plot_retention(ShiftedBetaGeo().fit(table).survival_by_cohort(table))
    assert ax.get_title().startswith("ShiftedBetaGeo")
    assert _integer_ticks(ax.xaxis)


# -- indicator plots ----------------------------------------------------------------------------
def test_nps_distribution_counts_and_colours() -> None:
    from custloyalty.plotting import PALETTE, plot_nps_distribution

    ratings = [0, 6, 6, 7, 8, 9, 10, 10, 10, 3]
    ax = plot_nps_distribution(ratings)
    heights = [p.get_height() for p in ax.patches]
    assert heights == list(np.bincount(ratings, minlength=11))
    # detractors red, passives grey, promoters green
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in ax.patches]
    assert colours[6] == PALETTE["bad"]
    assert colours[7] == PALETTE["neutral"]
    assert colours[9] == PALETTE["good"]
    assert ax.get_title() == "Recommendation ratings: NPS +0 (n = 10)"
    assert _integer_ticks(ax.yaxis)
    with pytest.raises(ValidationError, match="not integers"):
        plot_nps_distribution([11, 3])
    ax = plot_nps_distribution([10, np.nan, 0], nan_policy="omit")
    assert sum(p.get_height() for p in ax.patches) == 2


def test_nps_by_segment_bars_and_intervals() -> None:
    from custloyalty.metrics import nps_by
    from custloyalty.plotting import plot_nps_by_segment

    survey = pd.DataFrame({"region": list("NNNNSSSS"), "recommend": [10, 9, 3, 0, 9, 9, 10, 8]})
    frame = nps_by(survey, by="region")
    ax = plot_nps_by_segment(frame)
    widths = sorted(p.get_width() for p in ax.patches)
    np.testing.assert_allclose(widths, sorted(frame["score"]))
    assert ax.get_title() == "NPS by region"
    with pytest.raises(ValidationError, match="'ci_low' not found"):
        plot_nps_by_segment(frame.drop(columns="ci_low"))


def test_cohort_retention_heat_map() -> None:
    from custloyalty.metrics import cohort_retention
    from custloyalty.plotting import plot_cohort_retention

    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2, 3],
            "date": pd.to_datetime(
                ["2024-01-05", "2024-02-10", "2024-01-20", "2024-03-02", "2024-02-11"]
            ),
        }
    )
    res = cohort_retention(tx, period="M", observation_end="2024-03-31")
    ax = plot_cohort_retention(res)
    arr = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
    np.testing.assert_allclose(arr[0], [100.0, 50.0, 50.0])
    assert np.isnan(arr[1, 2])  # after the observation end
    assert ax.get_xlabel() == "months since the first purchase"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["2024-01 (2)", "2024-02 (1)"]
    with pytest.raises(ValidationError, match="cohort_retention"):
        plot_cohort_retention(pd.DataFrame())


def test_survival_plot_thins_long_curves() -> None:
    from custloyalty import rfm_summary
    from custloyalty.datasets import make_transactions
    from custloyalty.metrics import survival_curve
    from custloyalty.plotting import plot_survival

    s = rfm_summary(make_transactions(3000, seed=3))
    res = survival_curve(s, threshold=30)
    ax = plot_survival(res)
    line = ax.lines[0]
    assert len(line.get_xdata()) <= 400
    y = np.asarray(line.get_ydata(), dtype=float)
    assert np.all(np.diff(y) <= 1e-12)
    assert y.max() <= 100
    assert "days" in ax.get_xlabel()
    assert ax.get_title() == "Customer survival (Kaplan-Meier, 3,000 customers)"


def test_rfm_grid_counts_and_revenue() -> None:
    from custloyalty.plotting import plot_rfm_segments

    scores = pd.DataFrame({"R": [1, 1, 2, 2, 2], "F": [1, 2, 2, 2, 1]})
    ax = plot_rfm_segments(scores, revenue=[10, 10, 20, 40, 20])
    counts = np.asarray(ax.images[0].get_array())
    np.testing.assert_array_equal(counts, [[1, 1], [1, 2]])
    texts = sorted(t.get_text() for t in ax.texts)
    assert "2\n60% rev." in texts
    assert _integer_ticks(ax.xaxis)
    assert _integer_ticks(ax.yaxis)
    with pytest.raises(ValidationError, match="positive integer"):
        plot_rfm_segments(pd.DataFrame({"R": [0], "F": [1]}))
    with pytest.raises(ValidationError, match="revenue has 1 values"):
        plot_rfm_segments(scores, revenue=[1.0])


def test_tiers_and_composite() -> None:
    from custloyalty.plotting import plot_composite_distribution, plot_tiers

    tiers = pd.Series(pd.Categorical(["B", "A", "B", "B"], categories=["A", "B"], ordered=True))
    ax = plot_tiers(tiers, values=[10.0, 30.0, 30.0, 30.0])
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights, [25.0, 75.0, 30.0, 70.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B"]
    with pytest.raises(ValidationError, match="mapping"):
        plot_tiers({"A": 1}, values=[1.0])
    ax = plot_composite_distribution([5.0, 15.0, np.nan, 95.0], thresholds=[50.0], bins=10)
    assert sum(p.get_height() for p in ax.patches) == 3
    assert [line.get_xdata()[0] for line in ax.lines] == [50.0]
    assert _integer_ticks(ax.yaxis)


def test_weights_and_contributions() -> None:
    from custloyalty.plotting import plot_weights

    w = pd.Series({"a": 0.2, "b": 0.8})
    customers = pd.DataFrame({"contrib_a": [10.0, 20.0], "contrib_b": [40.0, 60.0]})
    ax = plot_weights(w, contributions=customers)
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, [80.0, 20.0, 50.0, 15.0])
    with pytest.raises(ValidationError, match="finite weights"):
        plot_weights({"a": np.nan})


def test_key_drivers_from_pls() -> None:
    from custloyalty.datasets import make_survey
    from custloyalty.metrics import pls_path_model
    from custloyalty.plotting import PALETTE, plot_key_drivers

    sv = make_survey(400, seed=1, items_per_block=2)
    blocks = {b.upper(): [f"{b}1", f"{b}2"] for b in ("imag", "qual", "val", "sat")}
    paths = {"VAL": ["QUAL"], "SAT": ["IMAG", "QUAL", "VAL"]}
    res = pls_path_model(sv, paths=paths, blocks=blocks)
    ax = plot_key_drivers(res, target="SAT")
    table = res.key_drivers("SAT", scale=(1, 10))
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], table["total"])
    np.testing.assert_allclose(offsets[:, 1], table["performance"])
    # important and below-average performance -> red
    colours = [matplotlib.colors.to_hex(c) for c in ax.collections[0].get_facecolors()]
    x, y = table["total"].to_numpy(), table["performance"].to_numpy()
    flagged = (x >= x.mean()) & (y < y.mean())
    assert [c == PALETTE["bad"] for c in colours] == list(flagged)
    with pytest.raises(ValidationError, match="'performance' not found"):
        plot_key_drivers(table.drop(columns="performance"))


def test_pareto_curve_abc_bands() -> None:
    from custloyalty.metrics import pareto_curve
    from custloyalty.plotting import plot_pareto_curve

    rng = np.random.default_rng(0)
    values = rng.pareto(1.5, 5000)
    ax = plot_pareto_curve(values)
    curve = ax.lines[-1]
    x, y = np.asarray(curve.get_xdata()), np.asarray(curve.get_ydata())
    assert len(x) <= 401
    ref = pareto_curve(values)
    np.testing.assert_allclose(
        y, 100 * np.interp(x / 100, ref["customer_share"], ref["revenue_share"]), atol=1e-9
    )
    # three ABC bands that tile the x axis
    spans = list(ax.patches)
    assert len(spans) == 3
    with pytest.raises(ValidationError, match="non-negative"):
        plot_pareto_curve([-1.0, 2.0])


def test_tier_migration_heat_map() -> None:
    from custloyalty.plotting import plot_tier_migration
    from custloyalty.segmentation import tier_migration

    before = pd.Series(["A", "B", "B", "C"], index=[1, 2, 3, 4])
    after = pd.Series(["A", "A", "C", "B"], index=[1, 2, 4, 5])
    res = tier_migration(before, after, order=["A", "B", "C"])
    ax = plot_tier_migration(res)
    arr = np.ma.filled(ax.images[0].get_array().astype(float), np.nan)
    np.testing.assert_allclose(arr[1], [50.0, 0.0, 0.0, 50.0])
    assert ax.get_title() == "Tier migration: 1 up, 0 down"
    with pytest.raises(ValidationError, match="tier_migration"):
        plot_tier_migration(object())


def test_plots_draw_on_given_axes_and_import_lazily() -> None:
    import subprocess
    import sys

    from custloyalty.plotting import plot_tiers

    _, given = plt.subplots()
    assert plot_tiers({"A": 2, "B": 3}, ax=given) is given
    code = "import sys, custloyalty.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plot_engagement_counts_the_customers() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from custloyalty.errors import ValidationError
    from custloyalty.plotting import plot_engagement

    ax = plot_engagement([5.0, 5.0, 95.0, float("nan")], bins=4)
    assert [p.get_height() for p in ax.patches] == [2, 0, 0, 1]
    assert "3 customers who interacted (1 did not)" in ax.get_title()
    plt.close("all")
    with pytest.raises(ValidationError, match="no values left"):
        plot_engagement([float("nan")])
    with pytest.raises(ValidationError, match="bins"):
        plot_engagement([1.0], bins=0)


def test_inputs_of_the_wrong_kind_get_our_errors() -> None:
    from custloyalty.plotting import (
        plot_composite_distribution,
        plot_over_time,
        plot_programme_effect,
        plot_value_potential,
        plot_weights,
    )

    with pytest.raises(ValidationError, match="'ax' parameter must be a matplotlib Axes"):
        plot_p_alive_matrix(BG, ax="left")
    with pytest.raises(ValidationError, match="needs a fitted BetaGeo or ParetoNBD model"):
        plot_p_alive_matrix("BetaGeo")
    for plot in (plot_over_time, plot_programme_effect, plot_value_potential):
        with pytest.raises(ValidationError, match=f"{plot.__name__} needs the result of"):
            plot(5)
    with pytest.raises(ValidationError, match="'bins' parameter of plot_composite_distribution"):
        plot_composite_distribution([1.0, 2.0], bins=0)
    with pytest.raises(ValidationError, match="thresholds must be finite and strictly decreasing"):
        plot_composite_distribution([1.0, 2.0], thresholds=[40, 70])
    with pytest.raises(ValidationError, match="plot_weights needs the weights as a mapping"):
        plot_weights("critic")


# -- round 3 of the hostile battery (issue 13) --------------------------------------------
def test_bins_are_capped() -> None:
    from custloyalty.plotting import plot_engagement

    with pytest.raises(ValidationError, match=r"positive integer <= 1000"):
        plot_composite_distribution([10.0, 90.0], bins=1001)
    with pytest.raises(ValidationError, match=r"positive integer <= 1000"):
        plot_engagement([10.0, 90.0], bins=10**9)
    plot_engagement([10.0, 90.0], bins=1000)


def test_model_plot_grids_are_capped_and_units_checked() -> None:
    # max_frequency or n_recency of 10^9 exhausted memory (MemoryError of 298 GiB); a
    # time unit typo went into the labels; annotate=3 was read as True
    from custloyalty.datasets import make_transactions
    from custloyalty.metrics import cohort_retention
    from custloyalty.plotting import plot_cohort_retention

    bg = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    with pytest.raises(ValidationError, match=r"max_frequency must be an integer in \[1, 1000\]"):
        plot_p_alive_matrix(bg, max_frequency=10**9)
    with pytest.raises(ValidationError, match=r"n_recency must be an integer in \[2, 1000\]"):
        plot_p_alive_matrix(bg, n_recency=10**9)
    ax = plot_p_alive_matrix(bg, max_frequency=np.int64(1000), n_recency=2, T=10)
    assert ax.images[0].get_array().shape == (1001, 2)
    with pytest.raises(ValidationError, match="'time_unit' parameter of plot_p_alive_matrix"):
        plot_p_alive_matrix(bg, time_unit="weeks")
    frame = pd.DataFrame({"actual": [1.0, 2.0], "expected": [1.0, 2.5]}, index=[1, 2])
    with pytest.raises(ValidationError, match="'time_unit' parameter of plot_cumulative"):
        plot_cumulative_purchases(frame, time_unit="wk")
    res = cohort_retention(make_transactions(50, seed=1), period="Q")
    with pytest.raises(ValidationError, match="'annotate' parameter of plot_cohort_retention"):
        plot_cohort_retention(res, annotate=3)  # type: ignore[arg-type]


def test_rfm_grid_matches_revenue_by_customer_and_refuses_raw_metrics() -> None:
    scores = pd.DataFrame({"R": [1, 2, 2], "F": [1, 1, 2]}, index=[7, 8, 9])
    revenue = pd.Series([10.0, 20.0, 70.0], index=[7, 8, 9])
    texts = [t.get_text() for t in plot_rfm_segments(scores, revenue=revenue).texts]
    again = [t.get_text() for t in plot_rfm_segments(scores, revenue=revenue[::-1]).texts]
    assert texts == again
    assert "70% rev." in " ".join(texts)
    with pytest.raises(ValidationError, match="customers differ"):
        plot_rfm_segments(scores, revenue=revenue.reset_index(drop=True))
    with pytest.raises(ValidationError, match="negative"):
        plot_rfm_segments(scores, revenue=-revenue)
    with pytest.raises(ValidationError, match="above 20"):
        plot_rfm_segments(scores.assign(R=[1, 2, 500]))


def test_plot_tiers_reads_a_tier_column_and_checks_sizes_and_values() -> None:
    table = pd.DataFrame({"tier": pd.Categorical(["G", "M", "M"], categories=["G", "M"])})
    assert [round(p.get_height()) for p in plot_tiers(table).patches] == [33, 67]
    for sizes in ({"G": -1, "M": 5}, {"G": True, "M": 5}, {"G": float("nan"), "M": 5}):
        with pytest.raises(ValidationError, match="tier"):
            plot_tiers(sizes)
    with pytest.raises(ValidationError, match="customers differ"):
        plot_tiers(table["tier"], values=pd.Series([1.0, 2.0, 3.0], index=[5, 6, 7]))


def test_plot_weights_checks_weights_and_contributions() -> None:
    with pytest.raises(ValidationError, match="booleans"):
        plot_weights({"a": True, "b": 0.5})
    for contributions, match in (
        ("x", "must be a mapping"),
        ({"c": 1.0}, "without a weight"),
        ({"a": "x"}, "must be numbers"),
        (pd.DataFrame({"c": [1.0]}), "no contrib_"),
    ):
        with pytest.raises(ValidationError, match=match):
            plot_weights({"a": 0.5, "b": 0.5}, contributions=contributions)
    table = pd.DataFrame({"contrib_a": [10.0, 30.0], "contrib_b": [5.0, 5.0]})
    ax = plot_weights({"a": 0.5, "b": 0.5}, contributions=table)
    assert " 20.0" in [t.get_text() for t in ax.texts]

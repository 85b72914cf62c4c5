"""Tests of the model checks (calibration vs holdout, cumulative purchases)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custloyalty import rfm_summary
from custloyalty.errors import ValidationError
from custloyalty.models import BetaGeo, calibration_holdout, cumulative_purchases


@pytest.fixture(scope="module")
def tx(cdnow_sample_raw: pd.DataFrame) -> pd.DataFrame:
    return cdnow_sample_raw.assign(date=cdnow_sample_raw["date"].astype(str))


@pytest.fixture(scope="module")
def split(tx: pd.DataFrame) -> pd.DataFrame:
    return rfm_summary(
        tx, calibration_end="1997-09-30", observation_end="1998-06-30", time_unit="W"
    )


@pytest.fixture(scope="module")
def bg(cdnow_sample_summary: pd.DataFrame) -> BetaGeo:
    return BetaGeo().fit(cdnow_sample_summary)


def test_calibration_holdout(bg: BetaGeo, split: pd.DataFrame) -> None:
    out = calibration_holdout(bg, split)
    assert list(out.columns) == ["n_customers", "actual", "expected"]
    assert out.index.name == "frequency"
    assert out["n_customers"].sum() == len(split)
    group = split["frequency"].clip(upper=7)
    pd.testing.assert_series_equal(
        out["actual"],
        split.groupby(group)["frequency_holdout"].mean().rename("actual").astype(float),
        check_index_type=False,
    )
    e = bg.expected_purchases(split["duration_holdout"].iloc[0], split)
    np.testing.assert_allclose(out["expected"].to_numpy(), e.groupby(group).mean().to_numpy())
    # per-customer durations take the unpooled path and agree
    varied = split.assign(duration_holdout=split["duration_holdout"] + 0.0)
    varied.iloc[0, varied.columns.get_loc("duration_holdout")] += 1e-9
    out2 = calibration_holdout(bg, varied)
    np.testing.assert_allclose(out2["expected"], out["expected"], rtol=1e-6)
    assert len(calibration_holdout(bg, split, max_frequency=3)) == 4
    with pytest.raises(ValidationError, match="max_frequency"):
        calibration_holdout(bg, split, max_frequency=0)
    with pytest.raises(ValidationError, match="not found"):
        calibration_holdout(bg, split.drop(columns="frequency_holdout"))


@pytest.mark.reference
def test_cumulative_purchases(bg: BetaGeo, tx: pd.DataFrame, split: pd.DataFrame) -> None:
    cum = cumulative_purchases(bg, tx, calibration_end="1997-09-30", observation_end="1998-06-30")
    assert list(cum.columns) == ["date", "actual", "expected", "holdout"]
    assert len(cum) == 78  # FHL (2005) Figure 2: 78 weeks
    # the actual count at week 39 / 78 equals the summaries' repeat purchases
    assert cum.loc[39, "actual"] == split["frequency"].sum()
    assert cum.loc[78, "actual"] == split["frequency"].sum() + split["frequency_holdout"].sum()
    assert cum.loc[39, "date"] == pd.Timestamp("1997-09-30")
    assert not cum.loc[39, "holdout"]
    assert cum.loc[40, "holdout"]
    assert np.all(np.diff(cum["expected"]) >= 0)
    assert np.all(np.diff(cum["actual"]) >= 0)
    # expected at week 39 is the sum of E[X(T_i)] over the calibration summary
    want = np.sum(bg.expected_purchases_new(split["T"].to_numpy()))
    assert cum.loc[39, "expected"] == pytest.approx(want, rel=1e-12)
    # the model tracks the data within 5% at the end of the holdout (FHL 2005, Figure 2)
    assert cum.loc[78, "expected"] == pytest.approx(cum.loc[78, "actual"], rel=0.05)


def test_cumulative_purchases_errors(bg: BetaGeo, tx: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match="time_unit"):
        cumulative_purchases(bg, tx, time_unit="fortnight")
    with pytest.raises(ValidationError, match="less than one"):
        cumulative_purchases(bg, tx, observation_end="1997-01-02")


def test_checks_and_clv_accept_pareto_nbd(
    tx: pd.DataFrame, split: pd.DataFrame, cdnow_sample_summary: pd.DataFrame
) -> None:
    from custloyalty.models import GammaGamma, ParetoNBD, clv

    # Fader, Hardie & Lee (2005): Pareto/NBD on the CDNOW sample
    params = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
    pn = ParetoNBD.from_params(params, time_unit="W")
    out = calibration_holdout(pn, split)
    assert np.all(out["expected"] >= 0)
    assert np.all(np.diff(out["expected"].to_numpy()) > 0)
    cum = cumulative_purchases(pn, tx, observation_end="1998-06-30")
    assert cum.loc[78, "expected"] == pytest.approx(cum.loc[78, "actual"], rel=0.05)
    gg = GammaGamma.from_params({"p": 6.25, "q": 3.744, "v": 15.444})
    value = clv(pn, gg, cdnow_sample_summary)
    assert value.name == "clv"
    assert np.all(value.to_numpy() >= 0)


def test_calibration_holdout_nan_policy(bg: BetaGeo, split: pd.DataFrame) -> None:
    holes = split.copy()
    holes["frequency"] = holes["frequency"].astype(float)
    holes.iloc[:3, holes.columns.get_loc("frequency")] = np.nan
    holes.iloc[5, holes.columns.get_loc("frequency_holdout")] = np.nan
    with pytest.raises(ValidationError, match="missing"):
        calibration_holdout(bg, holes)
    got = calibration_holdout(bg, holes, nan_policy="omit")
    want = calibration_holdout(bg, split.drop(index=split.index[[0, 1, 2, 5]]))
    pd.testing.assert_frame_equal(got, want)
    assert got["n_customers"].sum() == len(split) - 4


def test_calibration_holdout_huge_max_frequency_allocates_little(
    bg: BetaGeo, split: pd.DataFrame
) -> None:
    # issue 13: bins were allocated up to max_frequency (10**9: gigabytes, process killed)
    got = calibration_holdout(bg, split, max_frequency=10**12)
    assert got.index.max() == split["frequency"].max()
    pd.testing.assert_frame_equal(got, calibration_holdout(bg, split, max_frequency=10**4))


def test_checks_refuse_models_without_the_method(split: pd.DataFrame, tx: pd.DataFrame) -> None:
    from custloyalty.models import GammaGamma

    gg = GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})
    with pytest.raises(ValidationError, match="'model' parameter of calibration_holdout"):
        calibration_holdout(gg, split)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'model' parameter of cumulative_purchases"):
        cumulative_purchases(gg, tx)  # type: ignore[arg-type]


def test_calibration_holdout_refuses_non_integer_holdout(bg: BetaGeo, split: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match=r"'frequency_holdout' has .* non-integer"):
        calibration_holdout(bg, split.assign(frequency_holdout=0.5))


def test_cumulative_purchases_time_unit_follows_the_model(tx: pd.DataFrame) -> None:
    # issue 13: the default "W" with a model fitted in days gave expectations 7x too small
    daily = BetaGeo.from_params(
        {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426}, time_unit="D"
    )
    got = cumulative_purchases(daily, tx, observation_end="1997-02-28")
    assert len(got) == 59  # days from 1997-01-01
    with pytest.raises(ValidationError, match="fitted in 'D'"):
        cumulative_purchases(daily, tx, time_unit="W")

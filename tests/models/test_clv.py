"""Tests of clv."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custloyalty.errors import NotFittedError, ValidationError
from custloyalty.models import BetaGeo, GammaGamma, clv


@pytest.fixture(scope="module")
def fitted(cdnow_sample_summary: pd.DataFrame) -> tuple[BetaGeo, GammaGamma]:
    return BetaGeo().fit(cdnow_sample_summary, time_unit="W"), GammaGamma().fit(
        cdnow_sample_summary
    )


def test_formula(fitted: tuple[BetaGeo, GammaGamma], cdnow_sample_summary: pd.DataFrame) -> None:
    bg, gg = fitted
    s = cdnow_sample_summary
    got = clv(bg, gg, s, horizon=6, discount_rate=0.02, time_unit="W", margin=0.3)
    assert got.name == "clv"
    assert got.index.equals(s.index)
    u = 365.25 / 12 / 7
    want = np.zeros(len(s))
    prev = np.zeros(len(s))
    for k in range(1, 7):
        cum = bg.expected_purchases(k * u, s).to_numpy()
        want += (cum - prev) / 1.02**k
        prev = cum
    want *= 0.3 * gg.expected_spend(s).to_numpy()
    np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-12)


@pytest.mark.reference
def test_close_to_lifetimes(
    fitted: tuple[BetaGeo, GammaGamma], cdnow_sample_summary: pd.DataFrame
) -> None:
    # lifetimes 0.11.3, GammaGammaFitter().customer_lifetime_value(BetaGeoFitter fitted on the
    # same summary, ..., time=12, discount_rate=0.01, freq="W") for customers 1, 2, 3:
    # 36.273977, 4.640936, 8.344481. lifetimes takes 4.345 weeks a month (we: 30.4375 / 7),
    # hence agreement to 0.1%.
    bg, gg = fitted
    got = clv(bg, gg, cdnow_sample_summary).loc[[1, 2, 3]].to_numpy()
    np.testing.assert_allclose(got, [36.273977, 4.640936, 8.344481], rtol=1e-3)


def test_monotone(fitted: tuple[BetaGeo, GammaGamma], cdnow_sample_summary: pd.DataFrame) -> None:
    bg, gg = fitted
    s = cdnow_sample_summary.iloc[:300]
    base = clv(bg, gg, s).to_numpy()
    assert np.all(base >= 0)
    assert np.all(clv(bg, gg, s, horizon=24).to_numpy() >= base)
    assert np.all(clv(bg, gg, s, discount_rate=0.05).to_numpy() <= base)
    np.testing.assert_allclose(clv(bg, gg, s, margin=0.5).to_numpy(), 0.5 * base)
    # row order does not matter
    rev = clv(bg, gg, s.iloc[::-1])
    pd.testing.assert_series_equal(rev.sort_index(), clv(bg, gg, s).sort_index())
    # daily units: the same customers measured in days give the same value
    days = s.assign(recency=s["recency"] * 7, T=s["T"] * 7)
    bg_d = BetaGeo.from_params({**bg.params_, "alpha": bg.params_["alpha"] * 7}, time_unit="D")
    np.testing.assert_allclose(clv(bg_d, gg, days).to_numpy(), base, rtol=1e-9)


def test_errors(fitted: tuple[BetaGeo, GammaGamma], cdnow_sample_summary: pd.DataFrame) -> None:
    bg, gg = fitted
    s = cdnow_sample_summary
    with pytest.raises(ValidationError, match="'horizon' parameter"):
        clv(bg, gg, s, horizon=0)
    with pytest.raises(ValidationError, match="'time_unit' parameter of clv"):
        clv(BetaGeo.from_params(bg.params_), gg, s, time_unit="fortnight")
    with pytest.raises(ValidationError, match="fitted in 'W'"):
        clv(bg, gg, s, time_unit="D")  # the model knows its unit: a contradiction is refused
    with pytest.raises(ValidationError, match="needs the time unit"):
        clv(BetaGeo.from_params(bg.params_), gg, s)
    with pytest.raises(ValidationError, match="discount_rate"):
        clv(bg, gg, s, discount_rate=-0.1)
    with pytest.raises(NotFittedError):
        clv(BetaGeo(), gg, s)
    with pytest.raises(ValidationError, match="not found"):
        clv(bg, gg, s.drop(columns="monetary"))


def test_model_types_checked(fitted: tuple[BetaGeo, GammaGamma]) -> None:
    bg, gg = fitted
    s = pd.DataFrame({"frequency": [1], "recency": [1.0], "T": [2.0], "monetary": [10.0]})
    with pytest.raises(
        ValidationError, match=r"'spend_model' .* must be a fitted GammaGamma; got "
    ):
        clv(bg, bg, s)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"'transaction_model' .* got GammaGamma"):
        clv(gg, gg, s)  # type: ignore[arg-type]


def test_missing_monetary_of_one_time_buyers_and_nan_policy(
    fitted: tuple[BetaGeo, GammaGamma], cdnow_sample_summary: pd.DataFrame
) -> None:
    bg, gg = fitted
    s = cdnow_sample_summary.iloc[:200]
    # monetary is not used where frequency is 0: missing there is fine
    s_nan = s.assign(monetary=s["monetary"].where(s["frequency"] > 0))
    assert s_nan["monetary"].isna().any()
    pd.testing.assert_series_equal(clv(bg, gg, s_nan), clv(bg, gg, s))
    # a missing value the models need: raise, or NaN for that customer under "omit"
    holes = s.copy()
    repeat = holes.index[holes["frequency"] > 0]
    holes.loc[repeat[0], "monetary"] = np.nan
    holes.loc[holes.index[1], "T"] = np.nan
    with pytest.raises(ValidationError, match="missing"):
        clv(bg, gg, holes)
    got = clv(bg, gg, holes, nan_policy="omit")
    assert got.index.equals(s.index)
    assert got.isna().sum() == 2
    assert np.isnan(got[repeat[0]])
    assert np.isnan(got.iloc[1])
    ok = got.notna()
    pd.testing.assert_series_equal(got[ok], clv(bg, gg, s[ok.to_numpy()]))


def test_zero_repeat_spend_follows_the_spend_model(
    fitted: tuple[BetaGeo, GammaGamma], cdnow_sample_summary: pd.DataFrame
) -> None:
    # issue 13.5: $0 repeat spend gets the Gamma-Gamma limit, no floor and no refusal
    bg, gg = fitted
    s = cdnow_sample_summary.iloc[:50].copy()
    rep = s.index[s["frequency"] > 0][:3]
    s.loc[rep, "monetary"] = 0.0
    got = clv(bg, gg, s)
    spend = gg.expected_spend(s).loc[rep].to_numpy()
    p, q, v = (gg.params_[k] for k in ("p", "q", "v"))
    x = s.loc[rep, "frequency"].to_numpy()
    np.testing.assert_allclose(spend, p * v / (p * x + q - 1.0), rtol=1e-12)
    assert np.all(np.isfinite(got))
    assert np.all(got.loc[rep] > 0)


def test_horizon_is_capped_at_1200_months() -> None:
    # issue 13: one model evaluation per month; 12000 months ran for a minute
    bg = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, time_unit="W")
    gg = GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})
    data = pd.DataFrame({"frequency": [2], "recency": [30.0], "T": [38.0], "monetary": [20.0]})
    with pytest.raises(
        ValidationError, match=r"from 1 to 1200 \(100 years\).*\n.*months, not days"
    ):
        clv(bg, gg, data, horizon=36500)
    assert np.isfinite(clv(bg, gg, data, horizon=1200).iloc[0])


def test_a_discount_rate_in_percent_is_refused() -> None:
    # discount_rate=5 meant 5% and discounted every month by 500%: CLV about 1/6 of the
    # undiscounted first month, silently. Every function with a discount rate refuses it
    from custloyalty.datasets import load_cdnow
    from custloyalty.metrics import simple_clv
    from custloyalty.models import ShiftedBetaGeo
    from custloyalty.segmentation import value_potential_tiers

    bg = BetaGeo.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, time_unit="W")
    gg = GammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})
    data = pd.DataFrame({"frequency": [2], "recency": [30.0], "T": [38.0], "monetary": [20.0]})
    sbg = ShiftedBetaGeo.from_params({"gamma": 0.688, "delta": 1.182})
    calls = [
        lambda d: clv(bg, gg, data, discount_rate=d),
        lambda d: simple_clv(100.0, retention=0.8, discount_rate=d),
        lambda d: sbg.discounted_expected_residual_lifetime(d),
        lambda d: value_potential_tiers(
            load_cdnow("sample").head(2000), observation_end="1997-06-30", discount_rate=d
        ),
    ]
    for call in calls:
        with pytest.raises(ValidationError, match=r"(?s)got 5, 500% per period.*=0\.05 for 5%"):
            call(5)
        with pytest.raises(ValidationError, match="100% per period"):
            call(1.0)
    assert np.isfinite(clv(bg, gg, data, discount_rate=0.05).iloc[0])

"""Bundled data sets and synthetic generators."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custloyalty import ValidationError, rfm_summary
from custloyalty.datasets import load_cdnow, load_ecsi, make_survey, make_transactions


def test_cdnow_sample_shape() -> None:
    tx = load_cdnow("sample")
    assert tx.shape == (6919, 4)
    assert tx["customer_id"].nunique() == 2357
    assert tx["customer_id"].min() == 1
    assert tx["customer_id"].max() == 2357


def test_cdnow_master_shape_and_dtypes() -> None:
    tx = load_cdnow("master")
    assert tx.shape == (69659, 4)
    assert tx["customer_id"].nunique() == 23570
    assert tx.dtypes.astype(str).tolist() == ["int64", "datetime64[ns]", "int64", "float64"]
    assert tx["date"].min() == pd.Timestamp("1997-01-01")
    assert tx["date"].max() == pd.Timestamp("1998-06-30")


def test_bundled_cdnow_equals_shared_copy(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "cdnow" / "CDNOW_master.txt", sep=r"\s+")
    tx = load_cdnow("master")
    np.testing.assert_array_equal(tx["customer_id"], raw["customer_id"])
    np.testing.assert_array_equal(tx["date"].dt.strftime("%Y%m%d").astype(int), raw["date"])
    np.testing.assert_array_equal(tx["quantity"], raw["number_of_cds"])
    np.testing.assert_allclose(tx["amount"], raw["dollar_value"], atol=1e-9)
    sample = pd.read_csv(shared_data / "cdnow" / "CDNOW_sample.txt", sep=r"\s+", header=None)
    np.testing.assert_array_equal(load_cdnow("sample")["customer_id"], sample[1])
    assert int((load_cdnow("sample")["amount"] == 0).sum()) == 8


def test_bundled_ecsi_equals_shared_copy(shared_data: Path) -> None:
    for name in ("satisfaction", "mobi"):
        raw = pd.read_csv(shared_data / "ecsi" / f"{name}.csv", index_col=0).reset_index(drop=True)
        got = load_ecsi(name)
        assert got.shape == raw.shape
        num = raw.select_dtypes("number").columns
        pd.testing.assert_frame_equal(got[num], raw[num], check_dtype=False)


def test_loaders_return_fresh_copies() -> None:
    a = load_cdnow("sample")
    a.loc[0, "amount"] = -1.0
    assert load_cdnow("sample").loc[0, "amount"] != -1.0


def test_unknown_dataset_names() -> None:
    with pytest.raises(ValidationError, match="'kind' parameter of load_cdnow"):
        load_cdnow("full")
    with pytest.raises(ValidationError, match="'name' parameter of load_ecsi"):
        load_ecsi("acsi")


def test_make_transactions_is_seeded_and_plausible() -> None:
    a = make_transactions(5000, seed=7)
    b = make_transactions(5000, seed=7)
    c = make_transactions(5000, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert a["customer_id"].nunique() == 5000
    assert (a["amount"] > 0).all()
    assert a["date"].is_monotonic_increasing  # default order="time"
    s = rfm_summary(a)
    # Heterogeneity: most customers never repeat, a few buy very often (CDNOW-like).
    assert 0.4 < (s["frequency"] == 0).mean() < 0.8
    assert s["frequency"].max() >= 15


def test_make_transactions_recovers_generating_process_roughly() -> None:
    tx = make_transactions(20000, seed=3, observation_days=273, acquisition_days=84)
    s = rfm_summary(tx, time_unit="W")
    # With CDNOW parameters about 1 repeat purchase per customer in 39 weeks, as in CDNOW.
    assert 0.7 < s["frequency"].mean() < 1.4


def test_make_transactions_orders() -> None:
    by_customer = make_transactions(200, seed=1, order="customer")
    assert by_customer["customer_id"].is_monotonic_increasing
    rnd = make_transactions(200, seed=1, order="random")
    cols = ["customer_id", "date", "amount"]
    pd.testing.assert_frame_equal(
        rnd.sort_values(cols).reset_index(drop=True)[cols],
        by_customer.sort_values(cols).reset_index(drop=True)[cols],
    )


def test_make_transactions_rejects_bad_counts() -> None:
    with pytest.raises(ValidationError, match="n_customers"):
        make_transactions(0, seed=1)
    with pytest.raises(ValidationError, match="acquisition_days"):
        make_transactions(10, seed=1, acquisition_days=100, observation_days=50)


def test_make_transactions_time_order_past_65535_days() -> None:
    # Sorting on day.astype(uint16) wrapped day 65,536 to 0 and broke the time order.
    tx = make_transactions(200, seed=1, acquisition_days=70_000, observation_days=70_000)
    assert tx["date"].max() > pd.Timestamp("2020-01-01") + pd.Timedelta(days=65_536)
    assert tx["date"].is_monotonic_increasing


def test_make_transactions_rejects_dates_beyond_datetime64_ns() -> None:
    # 200,000 days from 2020 used to wrap around to dates in 1679 without a word.
    with pytest.raises(ValidationError, match=r"\(200000 days from start='2020-01-01'\)"):
        make_transactions(5, seed=1, acquisition_days=200_000, observation_days=200_000)
    with pytest.raises(ValidationError, match=r"do not fit in datetime64\[ns\]"):
        make_transactions(5, seed=1, start="2262-01-01")
    with pytest.raises(ValidationError, match=r"do not fit in datetime64\[ns\]"):
        make_survey(5, seed=1, start="2262-04-01", days=30)


@pytest.mark.parametrize("start", ["nope", "2024-13-01", None])
def test_generators_reject_a_bad_start(start: str | None) -> None:
    with pytest.raises(ValidationError, match="'start' parameter of make_transactions"):
        make_transactions(5, seed=1, start=start)  # type: ignore[arg-type]
    if start is not None:
        with pytest.raises(ValidationError, match="'start' parameter of make_survey"):
            make_survey(5, seed=1, start=start)


def test_make_survey_structure() -> None:
    s = make_survey(2000, seed=1, start="2024-01-01")
    assert len(s) == 2000
    assert s["recommend"].between(0, 10).all()
    assert s["csat"].between(1, 5).all()
    items = s.filter(regex=r"^(imag|expe|qual|val|sat|loy)\d$")
    assert items.shape[1] == 18
    assert items.min().min() >= 1
    assert items.max().max() <= 10
    # Items correlate within a block and across blocks through the latent paths.
    assert s[["sat1", "sat2"]].corr().iloc[0, 1] > 0.5
    assert s[["sat1", "loy1"]].corr().iloc[0, 1] > 0.2
    assert s["date"].between(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31")).all()


def test_make_survey_customer_ids() -> None:
    s = make_survey(100, seed=1, customer_ids=np.arange(1000, 2000))
    assert s["customer_id"].between(1000, 1999).all()
    assert s["customer_id"].is_unique


def test_generators_require_an_explicit_seed() -> None:
    with pytest.raises(TypeError, match="seed"):
        make_transactions(10)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="seed"):
        make_survey(10)  # type: ignore[call-arg]
    fresh = make_transactions(50, seed=None)  # explicit None: fresh entropy, still valid data
    assert fresh["customer_id"].nunique() == 50

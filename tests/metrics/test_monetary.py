"""Tests of the monetary-value indicators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty import rfm_summary
from custloyalty.datasets import load_cdnow, make_transactions
from custloyalty.errors import ValidationError
from custloyalty.metrics import order_value, pareto_curve, revenue_share, simple_clv

values_st = st.lists(st.integers(0, 1000), min_size=1, max_size=60).filter(lambda v: sum(v) > 0)


# ------------------------------------------------------------------------------------------
# order_value
# ------------------------------------------------------------------------------------------
def test_order_value_matches_naive_groupby() -> None:
    tx = make_transactions(400, seed=7, order="random")
    got = order_value(tx)
    g = tx.groupby("customer_id")["amount"]
    np.testing.assert_array_equal(got["n_orders"], g.size())
    np.testing.assert_allclose(got["total_value"], g.sum(), rtol=1e-12)
    np.testing.assert_allclose(got["average_order_value"], g.mean(), rtol=1e-12)
    s = rfm_summary(tx)
    np.testing.assert_allclose(got["total_value"], s["total_amount"], rtol=1e-12)
    assert (got["n_orders"] == s["n_purchases"]).all()


@pytest.mark.parametrize("period", ["W", "M", "Q"])
def test_order_value_per_period_matches_naive_groupby(period: str) -> None:
    tx = make_transactions(300, seed=8)
    got = order_value(tx, period=period)
    g = tx.groupby(["customer_id", tx["date"].dt.to_period(period)])["amount"]
    np.testing.assert_array_equal(got["n_orders"], g.size())
    np.testing.assert_allclose(got["total_value"], g.sum(), rtol=1e-12)
    np.testing.assert_allclose(got["average_order_value"], g.mean(), rtol=1e-12)
    assert got.index.names == ["customer_id", "period"]
    # periods add up to the whole window
    whole = order_value(tx)
    np.testing.assert_allclose(
        got["total_value"].groupby(level=0).sum(), whole["total_value"], rtol=1e-12
    )


def test_order_value_cdnow_sample_totals() -> None:
    # the sample has 6,919 purchase records (Fader, Hardie & Lee 2005 data); the dollar total
    # is the plain column sum of the shipped file
    tx = load_cdnow("sample")
    got = order_value(tx)
    assert got["n_orders"].sum() == 6919
    assert got["total_value"].sum() == pytest.approx(tx["amount"].sum())
    assert len(got) == 2357


def test_order_value_observation_end_and_errors() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": ["2024-01-01", "2024-03-01", "2024-01-02"],
            "amount": [1.0, 2.0, "x"],
        }
    )
    with pytest.raises(ValidationError, match="Column 'amount' has 1 non-numeric value"):
        order_value(tx)
    ok = tx.assign(amount=[1.0, 2.0, 3.0])
    got = order_value(ok, observation_end="2024-02-01")
    assert got["n_orders"].tolist() == [1, 1]
    assert got.attrs["custloyalty"]["n_excluded_after_observation_end"] == 1
    with pytest.raises(ValidationError, match="'period' parameter of order_value"):
        order_value(ok, period="fortnight")
    before = ok.copy()
    order_value(ok, period="M")
    pd.testing.assert_frame_equal(ok, before)


# ------------------------------------------------------------------------------------------
# pareto_curve / revenue_share
# ------------------------------------------------------------------------------------------
def test_pareto_curve_hand_example() -> None:
    v = pd.Series([10.0, 50.0, 40.0, 0.0], index=["a", "b", "c", "d"])
    got = pareto_curve(v)
    assert got["customer_share"].tolist() == [0, 0.25, 0.5, 0.75, 1.0]
    assert got["revenue_share"].tolist() == pytest.approx([0, 0.5, 0.9, 1.0, 1.0])
    assert got["customer"].tolist()[1:] == ["b", "c", "a", "d"]
    assert revenue_share(v, top=0.25) == pytest.approx(0.5)
    # interpolation: 30 % of 4 customers = b and 0.2 of c -> (50 + 0.2 * 40) / 100
    assert revenue_share(v, top=0.3) == pytest.approx(0.58)
    assert revenue_share(v, top=1.0) == pytest.approx(1.0)


def test_revenue_share_equal_values_is_diagonal() -> None:
    assert revenue_share(np.ones(10), top=0.2) == pytest.approx(0.2)
    assert revenue_share(np.ones(7), top=0.5) == pytest.approx(0.5)


def test_pareto_rejects_bad_values() -> None:
    with pytest.raises(ValidationError, match=r"1 negative values?"):
        pareto_curve([1.0, -2.0])
    with pytest.raises(ValidationError, match="sums to 0"):
        pareto_curve([0.0, 0.0])
    with pytest.raises(ValidationError, match=r"missing values?"):
        pareto_curve([1.0, np.nan])
    assert len(pareto_curve([1.0, np.nan], nan_policy="omit")) == 2
    with pytest.raises(ValidationError, match="'top' parameter"):
        revenue_share([1.0], top=0)


@given(values_st)
def test_pareto_properties(values: list[int]) -> None:
    v = np.asarray(values, dtype=float)
    c = pareto_curve(v)
    share = c["revenue_share"].to_numpy()
    assert share[0] == 0
    assert share[-1] == pytest.approx(1.0)
    assert (np.diff(share) >= -1e-12).all()
    assert (share >= c["customer_share"].to_numpy() - 1e-12).all()  # above the diagonal
    # order invariance and scale invariance
    perm = np.random.default_rng(0).permutation(v.size)
    np.testing.assert_allclose(pareto_curve(v[perm])["revenue_share"], share)
    np.testing.assert_allclose(pareto_curve(3.5 * v)["revenue_share"], share)
    top = revenue_share(v, top=0.2)
    assert 0.2 - 1e-12 <= top <= 1 + 1e-12


# ------------------------------------------------------------------------------------------
# simple_clv
# ------------------------------------------------------------------------------------------
def test_clv_gupta_lehmann_closed_form() -> None:
    # Gupta & Lehmann (2003): CLV = m r / (1 + i - r); m = 100, r = 0.8, i = 0.12 -> 250
    assert simple_clv(100.0, retention=0.8, discount_rate=0.12) == pytest.approx(100 * 0.8 / 0.32)
    # their "margin multiple" r / (1 + i - r) at r = 80 %, i = 12 % is 2.5
    assert simple_clv(1.0, retention=0.8, discount_rate=0.12) == pytest.approx(2.5)


def test_clv_finite_horizon_sum_and_limit() -> None:
    m, r, d = 80.0, 0.7, 0.1
    for h in (1, 2, 5, 30):
        want = sum(m * r**t / (1 + d) ** t for t in range(1, h + 1))
        assert simple_clv(m, retention=r, discount_rate=d, horizon=h) == pytest.approx(want)
    assert simple_clv(m, retention=r, discount_rate=d, horizon=2000) == pytest.approx(
        simple_clv(m, retention=r, discount_rate=d)
    )
    # r = 1, d = 0: H margins
    assert simple_clv(10.0, retention=1.0, discount_rate=0.0, horizon=4) == pytest.approx(40.0)


def test_clv_vectorised_over_customers() -> None:
    margin = pd.Series([10.0, 20.0, 30.0], index=pd.Index([7, 8, 9], name="customer_id"))
    out = simple_clv(margin, retention=[0.5, 0.6, 0.7], discount_rate=0.05, horizon=3)
    assert isinstance(out, pd.Series)
    assert out.name == "clv"
    assert out.index.equals(margin.index)
    for i, (m, r) in enumerate(zip([10.0, 20.0, 30.0], [0.5, 0.6, 0.7], strict=True)):
        assert out.iloc[i] == pytest.approx(
            simple_clv(m, retention=r, discount_rate=0.05, horizon=3)
        )
    same_r = simple_clv([1.0, 2.0], retention=0.5, discount_rate=0.0)
    assert same_r.tolist() == pytest.approx([1.0, 2.0])


def test_clv_errors() -> None:
    with pytest.raises(ValidationError, match=r"retention has 1 values? outside"):
        simple_clv(1.0, retention=1.2, discount_rate=0.1)
    with pytest.raises(ValidationError, match="diverges"):
        simple_clv(1.0, retention=1.0, discount_rate=0.0)
    with pytest.raises(ValidationError, match="'horizon' parameter"):
        simple_clv(1.0, retention=0.5, discount_rate=0.1, horizon=0)
    with pytest.raises(ValidationError, match="'discount_rate' parameter"):
        simple_clv(1.0, retention=0.5, discount_rate=-0.1)
    with pytest.raises(ValidationError, match="one value per margin"):
        simple_clv([1.0, 2.0], retention=[0.5, 0.5, 0.5], discount_rate=0.1)


def test_clv_aligns_retention_series_on_margin_labels() -> None:
    # before: paired by position, a = 1 * 0.1 / 0.9 = 0.111 and b = 2 * 0.9 / 0.1 = 18
    margin = pd.Series([1.0, 2.0], index=["a", "b"])
    retention = pd.Series([0.1, 0.9], index=["b", "a"])
    got = simple_clv(margin, retention=retention, discount_rate=0.0)
    assert got.index.tolist() == ["a", "b"]
    assert got.tolist() == pytest.approx([1.0 * 0.9 / 0.1, 2.0 * 0.1 / 0.9])  # 9.0, 0.222
    # extra labels in retention are ignored; a finite horizon aligns the same way
    extra = pd.concat([retention, pd.Series([0.5], index=["z"])])
    pd.testing.assert_series_equal(simple_clv(margin, retention=extra, discount_rate=0.0), got)
    finite = simple_clv(margin, retention=retention, discount_rate=0.1, horizon=3)
    assert finite["a"] == pytest.approx(
        simple_clv(1.0, retention=0.9, discount_rate=0.1, horizon=3)
    )
    # plain arrays (no labels) still pair by position
    assert simple_clv(margin, retention=[0.9, 0.1], discount_rate=0.0).tolist() == pytest.approx(
        got.tolist()
    )


def test_clv_retention_series_label_errors() -> None:
    margin = pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"])
    with pytest.raises(
        ValidationError, match=r"2 labels of margin have no match in retention \('b', 'c'\)"
    ):
        simple_clv(margin, retention=pd.Series([0.5], index=["a"]), discount_rate=0.1)
    dup = pd.Series([0.5, 0.6, 0.7, 0.8], index=["a", "b", "c", "c"])
    with pytest.raises(ValidationError, match=r"index of retention .* 2 rows share 1 label: 'c'"):
        simple_clv(margin, retention=dup, discount_rate=0.1)
    # out-of-range retention is reported with its label
    bad = pd.Series([0.5, 1.5, 0.5], index=["c", "b", "a"])
    with pytest.raises(
        ValidationError, match=r"retention has 1 values? outside \[0, 1\] \(rows b\)"
    ):
        simple_clv(margin, retention=bad, discount_rate=0.1)


@pytest.mark.parametrize(
    ("margin", "retention", "name", "rows"),
    [
        ([1.0, np.nan], 0.5, "margin", "rows 1"),
        (pd.Series([1.0, np.nan], index=["a", "b"]), 0.5, "margin", "rows b"),
        ([1.0, 2.0], [0.5, np.nan], "retention", "rows 1"),
    ],
)
def test_clv_missing_values_no_nan_policy_hint(
    margin: object, retention: object, name: str, rows: str
) -> None:
    # simple_clv has no nan_policy: its error must not suggest nan_policy='omit'
    with pytest.raises(ValidationError) as info:
        simple_clv(margin, retention=retention, discount_rate=0.1)
    text = str(info.value)
    assert f"{name} has 1 missing value ({rows}): nan" in text
    assert "simple_clv has no nan_policy" in text
    assert "nan_policy='omit'" not in text


@given(
    st.floats(0, 1000),
    st.floats(0, 0.99),
    st.floats(0, 0.5),
    st.integers(1, 50),
)
def test_clv_monotone(m: float, r: float, d: float, h: int) -> None:
    finite = simple_clv(m, retention=r, discount_rate=d, horizon=h)
    longer = simple_clv(m, retention=r, discount_rate=d, horizon=h + 1)
    infinite = simple_clv(m, retention=r, discount_rate=d)
    assert 0 <= finite <= longer + 1e-9 <= infinite + 2e-9
    assert simple_clv(m, retention=r, discount_rate=d + 0.1) <= infinite + 1e-9


def test_order_value_chunked_customers_equal_whole() -> None:
    tx = make_transactions(300, seed=12, order="random")
    whole = order_value(tx, period="Q")
    parts = [order_value(p, period="Q") for _, p in tx.groupby(tx["customer_id"] % 3)]
    pd.testing.assert_frame_equal(pd.concat(parts).sort_index(), whole, check_like=True)


def test_revenue_shares_of_values_whose_total_overflows() -> None:
    # issue 13 battery: a total past float64 (amounts near 1e308) made the shares NaN with a
    # RuntimeWarning; the shares of [1e308, 1e308, 1] are those of [1, 1, 1e-308]
    from custloyalty.metrics import pareto_curve, revenue_share

    curve = pareto_curve([1e308, 1e308, 1.0])
    np.testing.assert_allclose(curve["revenue_share"], [0.0, 0.5, 1.0, 1.0])
    assert revenue_share([1e308, 1e308, 1.0, 5.0], top=0.25) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("values", "what"),
    [
        (pd.Series(pd.date_range("2024-01-01", periods=5)), "dates"),
        (pd.Series(pd.date_range("2024-01-01", periods=5, tz="UTC")), "dates"),
        (np.array([5, 6, 7], dtype="m8[D]"), "durations"),
        (np.array([1 + 2j, 3 + 0j]), "complex numbers"),
    ],
)
def test_values_that_are_not_numbers_are_refused(values: object, what: str) -> None:
    # every 1-D numeric input goes through one conversion (as_1d_float), which turned dates
    # into nanoseconds: revenue_share of a date column was 0.2, silently
    from custloyalty.metrics import pareto_curve, revenue_share

    for func in (revenue_share, pareto_curve):
        with pytest.raises(ValidationError, match=f"must hold numbers; got {what}"):
            func(values)

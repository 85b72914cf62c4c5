"""Tests of the interactions input: engagement_summary, engagement_index, the metric."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custloyalty import metrics
from custloyalty.datasets import make_interactions, make_transactions
from custloyalty.errors import ValidationError
from custloyalty.metrics import engagement_index, engagement_summary

END = "2024-03-31"


def _toy() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a", "b", "b", "c"],
            "date": [
                "2024-03-01",
                "2024-03-01",
                "2024-03-02",
                "2024-03-10",
                "2024-03-10",
                "2024-01-01",
                "2024-01-03",
                "2024-04-15",
            ],
            "channel": ["email", "email", "email", "store", "app", "phone", "phone", "web"],
            "kind": [
                "email_sent",
                "email_open",
                "click",
                "visit",
                "app_session",
                "service_contact",
                "complaint",
                "visit",
            ],
            "direction": [
                "outbound",
                "inbound",
                "inbound",
                "inbound",
                "inbound",
                "outbound",
                "inbound",
                "inbound",
            ],
            "resolved": [None, None, None, None, None, "2024-01-02", None, None],
        }
    )


def test_summary_by_hand() -> None:
    df = _toy()
    before = df.copy()
    s = engagement_summary(df, observation_end=END, direction="direction", resolved_at="resolved")
    pd.testing.assert_frame_equal(df, before)
    assert list(s.index) == ["a", "b"]  # c interacted after observation_end
    a, b = s.loc["a"], s.loc["b"]
    assert a["n_interactions"] == 5
    assert a["interaction_days"] == 3
    assert a["n_channels"] == 3
    assert a["days_since_last_interaction"] == 21
    assert a["initiated_interactions"] == 4
    assert a["initiated_days"] == 3
    assert a["online_share"] == pytest.approx(4 / 5)
    assert a["inbound_share"] == pytest.approx(4 / 5)
    assert a["open_rate"] == 1.0
    assert a["click_rate"] == 1.0
    assert np.isnan(b["open_rate"])
    assert b["complaint_rate"] == 0.5
    assert b["n_service_contacts"] == 1
    assert b["open_cases"] == 1  # the complaint was never resolved
    assert b["median_resolution_days"] == 1.0
    assert np.isnan(a["median_resolution_days"])
    assert s.attrs["custloyalty"]["rows_after_observation_end"] == 1


def test_without_direction_email_sent_is_the_company_s() -> None:
    s = engagement_summary(_toy(), observation_end=END)
    assert s.loc["a", "initiated_interactions"] == 4
    assert s.loc["b", "initiated_interactions"] == 2  # no direction column: both count
    assert "open_cases" not in s


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_and_bounds(seed: int) -> None:
    df = make_interactions(40, seed=seed, days=120)
    end = "2020-04-20"
    a = engagement_summary(
        df, observation_end=end, direction="direction", resolved_at="resolved_at"
    )
    shuffled = df.sample(frac=1.0, random_state=seed)
    b = engagement_summary(
        shuffled, observation_end=end, direction="direction", resolved_at="resolved_at"
    )
    pd.testing.assert_frame_equal(a, b)
    for col in ("online_share", "inbound_share", "open_rate", "click_rate", "complaint_rate"):
        v = a[col].dropna()
        assert v.between(0, 1).all(), col
    e = engagement_index(a)
    assert e.between(0, 100).all()
    assert (a["interaction_days"] <= a["n_interactions"]).all()


def test_index_components() -> None:
    base = pd.DataFrame(
        {
            "days_since_last_initiated": [0.0, 90.0, np.nan],
            "initiated_days": [1000, 12, 0],
            "n_channels": [4, 2, 1],
            "open_rate": [1.0, np.nan, 0.5],
            "complaint_rate": [0.0, 0.5, 0.0],
        }
    )
    e = engagement_index(base)
    assert e.iloc[0] == pytest.approx(100.0)  # recent, frequent, broad, responsive
    expected_b = 100 * 0.5 * (np.exp(-1) + (1 - np.exp(-1)) + 0.5) / 3
    assert e.iloc[1] == pytest.approx(expected_b)
    assert e.iloc[2] == pytest.approx(100 * (0 + 0 + 0.25 + 0.5) / 4)
    more_recent = base.assign(days_since_last_initiated=[0.0, 10.0, np.nan])
    assert engagement_index(more_recent).iloc[1] > e.iloc[1]
    with pytest.raises(ValidationError, match="recency_days"):
        engagement_index(base, recency_days=0)


def test_metric_is_registered_and_needs_interactions() -> None:
    m = metrics.get("engagement")
    assert m.inputs == ("interactions", "observation_end")
    assert m.source == "interactions"
    tx = make_transactions(100, seed=1)
    inter = make_interactions(
        seed=2, customer_ids=tx["customer_id"].unique()[:60], start="2020-01-01"
    )
    e = m.compute({"interactions": inter, "observation_end": pd.Timestamp("2020-12-31")})
    assert set(e.index) <= set(tx["customer_id"])
    assert e.name == "engagement"
    assert e.between(0, 100).all()
    assert m.compute({"interactions": None, "observation_end": None}).empty


def test_engagement_tracks_the_generated_level() -> None:
    # heavier interactors (more rows) are more engaged on average
    df = make_interactions(2000, seed=3)
    s = engagement_summary(df, observation_end="2020-12-30")
    e = engagement_index(s)
    assert np.corrcoef(np.log1p(s["n_interactions"]), e)[0, 1] > 0.5


def test_errors() -> None:
    df = _toy()
    with pytest.raises(ValidationError, match="unknown kind") as info:
        engagement_summary(
            df.assign(kind=df["kind"].replace("complaint", "complain")), observation_end=END
        )
    assert "did you mean 'complaint'" in str(info.value)
    with pytest.raises(ValidationError, match="unknown direction"):
        engagement_summary(df.assign(direction="in"), observation_end=END, direction="direction")
    bad = df.copy()
    bad.loc[5, "resolved"] = "2023-12-01"
    with pytest.raises(ValidationError, match="resolution-before-interaction"):
        engagement_summary(bad, observation_end=END, resolved_at="resolved")
    with pytest.raises(ValidationError, match="Column 'chanel' not found"):
        engagement_summary(df, observation_end=END, channel="chanel")
    gappy = df.copy()
    gappy.loc[0, "channel"] = None
    with pytest.raises(ValidationError, match="missing value"):
        engagement_summary(gappy, observation_end=END)
    s = engagement_summary(gappy, observation_end=END, nan_policy="omit")
    assert s.loc["a", "n_interactions"] == 4
    assert s.attrs["custloyalty"]["rows_omitted"] == 1
    with pytest.raises(ValidationError, match="No interaction"):
        engagement_summary(df, observation_end="2020-01-01")
    with pytest.raises(ValidationError, match="nan_policy"):
        engagement_summary(df, observation_end=END, nan_policy="drop")


def test_generator() -> None:
    a = make_interactions(100, seed=5)
    pd.testing.assert_frame_equal(a, make_interactions(100, seed=5))
    assert set(a["kind"]) <= set(metrics.INTERACTION_KINDS)
    sent = a[a["kind"] == "email_sent"].groupby("customer_id").size()
    opens = a[a["kind"] == "email_open"].groupby("customer_id").size()
    assert (opens.reindex(sent.index, fill_value=0) <= sent).all()
    cases = a["kind"].isin(["service_contact", "complaint"])
    assert a.loc[~cases, "resolved_at"].isna().all()
    assert (
        a.loc[cases, "resolved_at"].dropna()
        >= a.loc[cases, "date"][a.loc[cases, "resolved_at"].notna()]
    ).all()
    ids = make_interactions(seed=1, customer_ids=["x", "y"])["customer_id"]
    assert set(ids) <= {"x", "y"}
    with pytest.raises(ValidationError, match="exactly one"):
        make_interactions(seed=1)


@pytest.mark.parametrize("value", [True, 2.5, 0, float("nan"), "4"])
def test_max_channels_is_a_whole_number(value: object) -> None:
    with pytest.raises(ValidationError, match="'max_channels' parameter of engagement_index"):
        engagement_index(pd.DataFrame(), max_channels=value)  # type: ignore[arg-type]


def test_one_column_in_two_roles_is_refused() -> None:
    # customer="date" grouped every interaction by its timestamp: a "customer" per row
    df = make_interactions(30, seed=1)
    with pytest.raises(ValidationError, match="'customer' and 'time' both name the column"):
        engagement_summary(df, customer="date", observation_end="2020-12-31")
    with pytest.raises(ValidationError, match="'channel' and 'kind' both name the column"):
        engagement_summary(df, channel="kind", observation_end="2020-12-31")


def test_online_channels_are_a_list_of_labels() -> None:
    df = make_interactions(30, seed=1)
    # a bare string was read as its characters: no channel matched, online share 0
    with pytest.raises(ValidationError, match=r"online_channels=\['web'\]"):
        engagement_summary(df, online_channels="web", observation_end="2020-12-31")
    with pytest.raises(ValidationError, match="non-empty list of channel labels"):
        engagement_summary(df, online_channels=[1, 2], observation_end="2020-12-31")
    ok = engagement_summary(df, online_channels=["web"], observation_end="2020-12-31")
    assert ok["online_share"].max() > 0
    # labels that never occur (a typo, another spelling) are warned of
    from custloyalty.errors import CustLoyaltyWarning

    with pytest.warns(CustLoyaltyWarning, match="none of the channels counted as online"):
        s = engagement_summary(df, online_channels=["wbe"], observation_end="2020-12-31")
    assert (s["online_share"] == 0).all()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("initiated_days", -3, "out-of-range"),
        ("initiated_days", 2.5, "initiated_days"),
        ("n_channels", np.nan, "missing"),
        ("n_channels", "three", "n_channels"),
        ("complaint_rate", 1.5, "out-of-range"),
        ("complaint_rate", np.nan, "missing"),
        ("open_rate", 2.0, "out-of-range"),
        ("days_since_last_initiated", -1.0, "out-of-range"),
    ],
)
def test_index_refuses_a_hand_edited_summary(column: str, value: object, message: str) -> None:
    # values outside what engagement_summary gives used to make scores below 0 or above 100
    s = engagement_summary(make_interactions(40, seed=3), observation_end="2020-12-31")
    bad = s.astype({column: object})
    bad.iloc[2, bad.columns.get_loc(column)] = value
    with pytest.raises(ValidationError, match=message):
        engagement_index(bad)
    # NaN where engagement_summary gives it: never started an interaction, no e-mail sent
    ok = s.assign(open_rate=np.nan, days_since_last_initiated=np.nan)
    assert engagement_index(ok).between(0, 100).all()
    with pytest.raises(ValidationError, match="must be a table"):
        engagement_index([1, 2, 3])  # type: ignore[arg-type]

"""Tests of TierPolicy (membership tiers with hysteresis, grace periods and points)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from custloyalty.errors import ValidationError
from custloyalty.segmentation import Tier, TierPolicy, tier_migration

GOLD = {"name": "Gold", "qualify": {"spend": 1000, "n_purchases": 12}, "retain": {"spend": 800}}
SILVER = {"name": "Silver", "qualify": {"spend": 300, "n_purchases": 4}, "retain": {"spend": 200}}
MEMBER = {"name": "Member"}


def policy(grace: int = 0) -> TierPolicy:
    return TierPolicy([GOLD, SILVER, MEMBER], grace_periods=grace)


def test_first_review_qualification_any_rule() -> None:
    c = pd.DataFrame(
        {"spend": [1500.0, 100.0, 350.0, 10.0], "n_purchases": [1, 12, 1, 1]}, index=list("abcd")
    )
    out = policy().assign(c)
    assert out["tier"].tolist() == ["Gold", "Gold", "Silver", "Member"]
    assert (out["status"] == "new").all()
    assert list(out["tier"].cat.categories) == ["Gold", "Silver", "Member"]
    assert out.index.equals(c.index)


def test_require_all() -> None:
    p = TierPolicy(
        [{"name": "VIP", "qualify": {"spend": 100, "visits": 3}, "require": "all"}, MEMBER]
    )
    c = pd.DataFrame({"spend": [150.0, 150.0], "visits": [3, 2]})
    assert p.assign(c)["tier"].tolist() == ["VIP", "Member"]


def test_hysteresis_and_grace_over_reviews() -> None:
    p = policy(grace=1)
    y1 = pd.DataFrame({"spend": [1200.0, 1200.0, 1200.0], "n_purchases": 0}, index=["a", "b", "c"])
    r1 = p.assign(y1)
    # a: between retain and qualify -> kept (hysteresis); b: below retain -> grace;
    # c: below even Silver's retention -> grace too
    y2 = pd.DataFrame({"spend": [900.0, 500.0, 50.0], "n_purchases": 0}, index=["a", "b", "c"])
    r2 = p.assign(y2, previous=r1)
    assert r2["tier"].tolist() == ["Gold", "Gold", "Gold"]
    assert r2["status"].tolist() == ["retained", "grace", "grace"]
    assert r2["grace_left"].tolist() == [1, 0, 0]
    r3 = p.assign(y2, previous=r2)
    # grace used up: b falls to the best tier whose retention it meets, c to the entry tier
    assert r3["tier"].tolist() == ["Gold", "Silver", "Member"]
    assert r3["status"].tolist() == ["retained", "downgraded", "downgraded"]
    m = tier_migration(r2["tier"], r3["tier"])
    assert m.n_downgrades == 2
    # without hysteresis (retain = qualify) and no grace a is downgraded at once
    strict = TierPolicy([{**GOLD, "retain": None}, {**SILVER, "retain": None}, MEMBER])
    assert strict.assign(y2, previous=r1["tier"])["tier"].tolist() == ["Silver", "Silver", "Member"]


def test_new_customers_and_series_previous() -> None:
    c = pd.DataFrame({"spend": [100.0, 1000.0], "n_purchases": 0}, index=["old", "new"])
    prev = pd.Series(["Gold"], index=["old"])
    out = policy(grace=2).assign(c, previous=prev)
    assert out["tier"].tolist() == ["Gold", "Gold"]
    assert out["status"].tolist() == ["grace", "new"]
    assert out["grace_left"].tolist() == [1, 2]


def test_validation() -> None:
    with pytest.raises(ValidationError, match="must not increase"):
        TierPolicy(
            [
                {"name": "Gold", "qualify": {"spend": 100}},
                {"name": "Silver", "qualify": {"spend": 300}},
                MEMBER,
            ]
        )
    with pytest.raises(ValidationError, match="hysteresis"):
        TierPolicy([{"name": "Gold", "qualify": {"spend": 100}, "retain": {"spend": 200}}, MEMBER])
    with pytest.raises(ValidationError, match="entry tier"):
        TierPolicy([MEMBER, GOLD])
    with pytest.raises(ValidationError, match="at least two"):
        TierPolicy([MEMBER])
    with pytest.raises(ValidationError, match="distinct"):
        TierPolicy([GOLD, {**GOLD}, MEMBER])
    with pytest.raises(ValidationError, match=">= 0"):
        TierPolicy([{"name": "G", "qualify": {"spend": -1}}, MEMBER])
    with pytest.raises(ValidationError, match="require"):
        TierPolicy([{"name": "G", "qualify": {"spend": 1}, "require": "most"}, MEMBER])
    with pytest.raises(ValidationError, match="grace_periods"):
        TierPolicy([GOLD, MEMBER], grace_periods=-1)
    with pytest.raises(ValidationError, match="points_expiry"):
        TierPolicy([GOLD, MEMBER], points_expiry=0)
    p = policy()
    with pytest.raises(ValidationError, match="n_purchases"):
        p.assign(pd.DataFrame({"spend": [1.0]}))
    with pytest.raises(ValidationError, match="not tiers of this policy"):
        p.assign(pd.DataFrame({"spend": [1.0], "n_purchases": 1}), previous=pd.Series(["Platinum"]))


def test_json_round_trip() -> None:
    p = TierPolicy(
        [Tier("Gold", {"spend": 1000}, {"spend": 800}), MEMBER], grace_periods=2, points_expiry=4
    )
    again = TierPolicy.from_json(json.dumps(json.loads(p.to_json())))
    assert again == p
    assert again.to_dict() == p.to_dict()
    assert "TierPolicy(tiers=['Gold', 'Member']" in repr(p)


def test_points_earning_and_expiry() -> None:
    p = TierPolicy([GOLD, MEMBER], points_per_unit=0.5, points_expiry=2)
    spend = pd.DataFrame(
        {"q1": [100.0, 0.0], "q2": [3.0, 10.0], "q3": [20.0, 0.0]}, index=["a", "b"]
    )
    pts = p.points(spend)
    assert pts.tolist() == [1.0 + 10.0, 5.0]  # q1 expired; floor(1.5) = 1
    assert pts.name == "points"
    never = TierPolicy([GOLD, MEMBER]).points(spend)
    assert never.tolist() == [123.0, 10.0]
    with pytest.raises(ValidationError, match="out-of-range"):
        p.points(spend.assign(q1=[-1.0, 0.0]))


spend_st = st.lists(st.floats(0, 2000, allow_nan=False), min_size=1, max_size=40)


@given(spend_st, st.integers(0, 3), st.randoms(use_true_random=False))
def test_properties(spend: list[float], grace: int, rnd) -> None:
    p = policy(grace)
    idx = [f"c{i}" for i in range(len(spend))]
    c1 = pd.DataFrame({"spend": spend, "n_purchases": 0}, index=idx)
    c2 = pd.DataFrame({"spend": spend[::-1], "n_purchases": 0}, index=idx)
    r1 = p.assign(c1)
    r2 = p.assign(c2, previous=r1)
    codes1, codes2 = r1["tier"].cat.codes.to_numpy(), r2["tier"].cat.codes.to_numpy()
    q2 = r2["qualified"].cat.codes.to_numpy()
    # never below what the metrics alone earn, and never above the better of before / earned
    assert np.all(codes2 <= q2)
    assert np.all(codes2 >= np.minimum(codes1, q2))
    # hysteresis: with the same metrics again, nobody moves
    same = p.assign(c1, previous=r1)
    assert same["tier"].equals(r1["tier"])
    # row order does not matter
    perm = list(range(len(spend)))
    rnd.shuffle(perm)
    pd.testing.assert_frame_equal(p.assign(c2.iloc[perm], previous=r1).loc[idx], r2)


# ------------------------------------------------------------------------------------------
# qualification window
# ------------------------------------------------------------------------------------------
def _naive_window_metrics(tx: pd.DataFrame, as_of: str, days: int | None) -> pd.DataFrame:
    """Plain pandas: calendar days in (as_of - days, as_of], grouped by customer."""
    day = pd.to_datetime(tx["date"]).dt.normalize()
    end = pd.Timestamp(as_of).normalize()
    members = tx.loc[day <= end, "customer_id"].unique()
    keep = day <= end
    if days is not None:
        keep &= day > end - pd.Timedelta(days=days)
    w = tx.loc[keep].assign(day=day[keep])
    g = w.groupby("customer_id")
    out = pd.DataFrame(
        {
            "spend": g["amount"].sum(),
            "n_purchases": g.size(),
            "purchase_days": g["day"].nunique(),
        }
    )
    return out.reindex(sorted(members), fill_value=0)


def test_qualification_metrics_equal_naive_pandas_on_cdnow() -> None:
    from custloyalty.datasets import load_cdnow

    tx = load_cdnow("master")
    for window, days in (("365D", 365), ("90D", 90), (None, None)):
        p = TierPolicy([GOLD, SILVER, MEMBER], window=window)
        got = p.qualification_metrics(tx, observation_end="1997-12-31")
        want = _naive_window_metrics(tx, "1997-12-31", days)
        np.testing.assert_array_equal(got.index, want.index)
        np.testing.assert_allclose(got["spend"], want["spend"], rtol=1e-12)
        np.testing.assert_array_equal(got["n_purchases"], want["n_purchases"])
        np.testing.assert_array_equal(got["purchase_days"], want["purchase_days"])
        assert got.index.name == "customer_id"
        assert got.attrs["custloyalty"]["window"] == window
    # the metrics feed assign() directly
    r = TierPolicy([GOLD, SILVER, MEMBER], window="365D").assign(got)
    assert r.index.equals(got.index)


def test_window_boundaries_and_as_of() -> None:
    # window "3D" reviewed on 2024-01-10: days 01-08, 01-09 and 01-10 (all of it) count
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f"],
            "date": pd.to_datetime(
                [
                    "2024-01-07 12:00",  # as_of - window: excluded
                    "2024-01-08 00:00",  # first day of the window: included
                    "2024-01-10 23:59",  # the review day, any time: included
                    "2024-01-11 00:00",  # after the review: ignored (d is not a member yet)
                    "2024-01-09 08:00",
                    "2024-01-09 18:00",
                ]
            ),
            "amount": [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
        }
    )
    p = TierPolicy([GOLD, MEMBER], window="3D")
    m = p.qualification_metrics(tx, observation_end="2024-01-10")
    assert m.index.tolist() == ["a", "b", "c", "e", "f"]
    assert m["spend"].tolist() == [0.0, 2.0, 4.0, 16.0, 32.0]
    assert m["n_purchases"].tolist() == [0, 1, 1, 1, 1]
    assert m.attrs["custloyalty"] == {
        "observation_end": "2024-01-10",
        "window": "3D",
        "window_start": "2024-01-08",
    }
    # a time of day in as_of does not cut the review day
    pd.testing.assert_frame_equal(
        p.qualification_metrics(tx, observation_end="2024-01-10 06:00"), m
    )
    # same-day purchases: two transactions, one purchase day; custom column names
    two = pd.DataFrame({"who": ["x", "x"], "when": ["2024-01-09", "2024-01-09"], "v": [1, 2]})
    m2 = p.qualification_metrics(
        two, observation_end="2024-01-10", customer="who", time="when", amount="v"
    )
    assert m2.loc["x"].tolist() == [3.0, 2, 1]
    assert m2.index.name == "who"
    # nobody bought in the window: members get zeros
    m3 = p.qualification_metrics(
        two, observation_end="2024-03-01", customer="who", time="when", amount="v"
    )
    assert m3.loc["x"].tolist() == [0.0, 0, 0]
    assert m3["n_purchases"].dtype == np.int64
    # without amounts: counts only
    m4 = p.qualification_metrics(
        two.drop(columns="v"),
        observation_end="2024-01-10",
        customer="who",
        time="when",
        amount=None,
    )
    assert list(m4.columns) == ["n_purchases", "purchase_days"]


def test_qualification_metrics_validation() -> None:
    p = TierPolicy([GOLD, MEMBER], window="30D")
    tx = pd.DataFrame({"customer_id": [1], "date": ["2024-01-05"], "amount": [1.0]})
    with pytest.raises(
        ValidationError, match="No purchases on or before observation_end=2023-12-31"
    ):
        p.qualification_metrics(tx, observation_end="2023-12-31")
    with pytest.raises(ValidationError, match="'observation_end'"):
        p.qualification_metrics(tx, observation_end="not a date")
    with pytest.raises(ValidationError, match="'amount'"):
        p.qualification_metrics(tx.assign(amount=["n/a"]), observation_end="2024-01-31")
    with pytest.raises(ValidationError, match="'date'"):
        p.qualification_metrics(tx.drop(columns="date"), observation_end="2024-01-31")
    before = tx.copy()
    p.qualification_metrics(tx, observation_end="2024-01-31")
    pd.testing.assert_frame_equal(tx, before)


@pytest.mark.parametrize("bad", [0, 365, "0D", "-5D", "36h", "yearly", 1.5])
def test_window_must_be_whole_positive_days(bad: object) -> None:
    with pytest.raises(ValidationError, match="'window'"):
        TierPolicy([GOLD, MEMBER], window=bad)


def test_window_forms_and_json_round_trip() -> None:
    for w in ("365D", "365 days", pd.Timedelta(days=365), "52W1D"):
        assert TierPolicy([GOLD, MEMBER], window=w).window == "365D"
    p = TierPolicy([GOLD, SILVER, MEMBER], grace_periods=1, window="365D")
    d = json.loads(p.to_json())
    assert d["window"] == "365D"
    again = TierPolicy.from_json(p.to_json())
    assert again == p
    assert again.window == "365D"
    assert "window='365D'" in repr(p)
    head = {k: d[k] for k in ("kind", "format_version", "custloyalty_version")}
    assert TierPolicy.from_dict({**head, "tiers": [GOLD, MEMBER]}).window is None
    assert TierPolicy([GOLD, MEMBER]) != TierPolicy([GOLD, MEMBER], window="30D")
    with pytest.raises(ValidationError, match="'tiers'"):
        TierPolicy.from_dict({**head, "window": "30D"})


def test_saved_policy_is_versioned_and_checked() -> None:
    d = TierPolicy([GOLD, SILVER, MEMBER], grace_periods=1).to_dict()
    assert d["kind"] == "TierPolicy"
    assert d["format_version"] == 1
    cases = {
        "format_version 7": {**d, "format_version": 7},
        "kind 'RFMScorer'": {**d, "kind": "RFMScorer"},
        "'tiers' must be a list": {**d, "tiers": "Gold"},
        "grace_periods": {**d, "grace_periods": -1},
    }
    for message, bad in cases.items():
        with pytest.raises(ValidationError, match=message):
            TierPolicy.from_dict(bad)
    with pytest.raises(ValidationError, match="not valid JSON"):
        TierPolicy.from_json(TierPolicy([GOLD, MEMBER]).to_json()[:-3])
    assert "TierPolicy" in TierPolicy([GOLD, MEMBER])._repr_html_()


# ------------------------------------------------------------------------------------------
# validation of metrics and previous results
# ------------------------------------------------------------------------------------------
def test_previous_with_duplicated_customers_raises() -> None:
    # regression: pandas InvalidIndexError escaped from get_indexer
    c = pd.DataFrame({"spend": [1.0, 2000.0], "n_purchases": 0}, index=["a", "b"])
    prev = pd.Series(["Gold", "Silver"], index=["a", "a"])
    with pytest.raises(ValidationError, match=r"previous .* 2 rows share 1 customer id: 'a'"):
        policy().assign(c, previous=prev)
    frame = pd.DataFrame({"tier": ["Gold", "Silver"], "grace_left": [0, 0]}, index=["a", "a"])
    with pytest.raises(ValidationError, match="previous"):
        policy().assign(c, previous=frame)
    with pytest.raises(ValidationError, match="index of customers"):
        policy().assign(pd.concat([c, c]))


def test_negative_metrics_and_grace_raise() -> None:
    c = pd.DataFrame({"spend": [-5.0, 2000.0], "n_purchases": 0}, index=["a", "b"])
    with pytest.raises(ValidationError, match=r"'spend' has 1 out-of-range .*-5\.0"):
        policy().assign(c)
    ok = c.assign(spend=[5.0, 2000.0])
    prev = pd.DataFrame({"tier": ["Gold", "Gold"], "grace_left": [-1, 0]}, index=["a", "b"])
    with pytest.raises(ValidationError, match=r"'grace_left' has 1 out-of-range .*\(rows a\): -1"):
        policy(grace=1).assign(ok, previous=prev)
    with pytest.raises(ValidationError, match="grace_left"):
        policy(grace=1).assign(ok, previous=prev.assign(grace_left=[0.5, 0]))
    # a missing grace_left still means full grace
    out = policy(grace=1).assign(ok, previous=prev.assign(grace_left=[np.nan, 0]))
    assert out.loc["a", "status"] == "grace"


def test_tier_key_typos_and_boolean_thresholds_are_refused() -> None:
    member = {"name": "Member"}
    with pytest.raises(ValidationError, match=r"(?s)unknown key 'retian'.*did you mean 'retain'"):
        TierPolicy([{"name": "Gold", "qualify": {"spend": 9}, "retian": {"spend": 5}}, member])
    with pytest.raises(ValidationError, match=r"qualify\['spend'\] must be a number; got the bool"):
        TierPolicy([{"name": "Gold", "qualify": {"spend": True}}, member])
    with pytest.raises(ValidationError, match="points_per_unit must be a number; got the boolean"):
        TierPolicy([{"name": "Gold", "qualify": {"spend": 9}}, member], points_per_unit=True)


@pytest.mark.parametrize("name", [None, ["Gold"], 3.0, {"n": 1}])
def test_from_dict_refuses_a_tier_name_that_is_not_a_string(name: object) -> None:
    state = TierPolicy([GOLD, SILVER, MEMBER]).to_dict()
    state["tiers"][0]["name"] = name
    with pytest.raises(ValidationError, match=r"tiers\[0\].name must be a string"):
        TierPolicy.from_dict(state)


def test_integers_beyond_floats_are_refused() -> None:
    # issue 13: an integer of 400 digits (valid JSON) ended in OverflowError
    with pytest.raises(ValidationError, match="qualify"):
        TierPolicy([{"name": "Gold", "qualify": {"spend": 10**400}}, MEMBER])
    with pytest.raises(ValidationError, match="grace_periods must be a non-negative integer"):
        TierPolicy([GOLD, MEMBER], grace_periods=10**400)


# -- round 3 of the hostile battery (issue 13) --------------------------------------------
_P3 = TierPolicy([{"name": "Gold", "qualify": {"spend": 20}}, {"name": "Member"}])
_M3 = pd.DataFrame({"spend": [35.0, 8.0]}, index=[1, 2])


@pytest.mark.parametrize("tiers", [None, {"name": "Gold"}, "Gold", 5])
def test_tiers_must_be_a_list(tiers: object) -> None:
    with pytest.raises(ValidationError, match=r"(must be a list of tiers|Each tier must be)"):
        TierPolicy(tiers)  # type: ignore[arg-type]


def test_tier_names_must_be_given() -> None:
    for name in (None, "", "  "):
        with pytest.raises(ValidationError, match="non-empty name"):
            TierPolicy([{"name": name, "qualify": {"spend": 1}}, {"name": "M"}])
        with pytest.raises(ValidationError, match="non-empty name"):
            TierPolicy([Tier(name, qualify={"spend": 1}), Tier("M")])  # type: ignore[arg-type]


def test_previous_ids_of_another_type_are_refused_not_read_as_new_members() -> None:
    prev = pd.Series(["Gold", "Gold"], index=["1", "2"])
    with pytest.raises(ValidationError, match=r"share no customer id.*\nHint"):
        _P3.assign(_M3, previous=prev)
    # same type, other customers: genuinely new members
    assert set(_P3.assign(_M3, previous=pd.Series(["Gold"], index=[9]))["status"]) == {"new"}


def test_previous_tiers_must_be_scalars_and_grace_bounded() -> None:
    with pytest.raises(ValidationError, match="not a scalar"):
        _P3.assign(_M3, previous=pd.Series([["Gold"], "Gold"], index=[1, 2]))
    prev = pd.DataFrame({"tier": ["Gold"], "grace_left": [1e30]}, index=[1])
    with pytest.raises(ValidationError, match="grace_left"):
        _P3.assign(_M3, previous=prev)


def test_points_beyond_the_float_range_are_refused() -> None:
    with pytest.raises(ValidationError, match="exceed the float range"):
        _P3.points(pd.DataFrame({"q1": [1e308, 1.0], "q2": [1e308, 1.0]}))


def test_saved_policy_refuses_unknown_keys() -> None:
    state = json.loads(_P3.to_json())
    with pytest.raises(ValidationError, match=r"(?s)unknown key 'windw'.*did you mean 'window'"):
        TierPolicy.from_dict({**state, "windw": "30D"})

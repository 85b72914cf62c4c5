"""Tests of custloyalty.programme.programme_effect and datasets.make_programme."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from custloyalty.datasets import make_programme
from custloyalty.errors import ValidationError
from custloyalty.programme import ProgrammeEffectResult, programme_effect

LIFT = 0.5
SEEDS = range(40)


@pytest.fixture(scope="module")
def runs() -> list[tuple[dict[str, float], ProgrammeEffectResult]]:
    out = []
    for seed in SEEDS:
        data = make_programme(1000, lift=LIFT, seed=seed)
        res = programme_effect(
            data.transactions,
            data.members,
            launch=data.launch,
            observation_end=data.observation_end,
            n_boot=199,
            seed=seed,
        )
        out.append((data.true_effect, res))
    return out


def _covered(frame: pd.DataFrame, outcome: str, value: float) -> bool:
    row = frame.loc[outcome]
    return bool(row["ci_low"] <= value <= row["ci_high"])


@pytest.mark.parametrize("outcome", ["frequency", "spend"])
def test_interval_covers_the_known_lift_in_about_95_percent_of_seeds(runs, outcome) -> None:
    covered = [_covered(res.effects, outcome, truth[outcome]) for truth, res in runs]
    # 40 seeds: a 95 % interval covers the truth in 38 on average; a binomial 95 % range is
    # 35..40. Fewer than 34 means the interval is biased or too narrow.
    assert sum(covered) >= 34
    # ... and not by being far too wide: the mean half-width matches 1.96 sd of the estimates
    est = np.array([res.effects.loc[outcome, "estimate"] for _, res in runs])
    half = np.mean(
        [
            (r.effects.loc[outcome, "ci_high"] - r.effects.loc[outcome, "ci_low"]) / 2
            for _, r in runs
        ]
    )
    ratio = half / (1.96 * est.std(ddof=1))
    assert 0.7 < ratio < 1.4
    # unbiased: the mean estimate is within 3 standard errors of the truth
    truth = runs[0][0][outcome]
    assert abs(est.mean() - truth) < 3 * est.std(ddof=1) / np.sqrt(len(est))


def test_placebo_covers_zero(runs) -> None:
    for outcome in ("frequency", "spend", "retention"):
        covered = [_covered(res.placebo, outcome, 0.0) for _, res in runs]
        assert sum(covered) >= 34, outcome


def test_naive_difference_misses_the_lift_under_self_selection(runs) -> None:
    for truth, res in runs:
        row = res.effects.loc["frequency"]
        assert row["naive"] > row["ci_high"]  # the naive gap lies above the whole interval
        assert row["naive"] > truth["frequency"] + 0.3


def test_no_selection_makes_naive_and_did_agree() -> None:
    data = make_programme(4000, lift=LIFT, seed=5, selection=0.0)
    res = programme_effect(
        data.transactions,
        data.members,
        launch=data.launch,
        observation_end=data.observation_end,
        n_boot=99,
        seed=1,
    )
    row = res.effects.loc["frequency"]
    assert row["ci_low"] < row["naive"] < row["ci_high"]


def test_result_shape_and_group_means() -> None:
    data = make_programme(800, lift=0.3, seed=2)
    res = programme_effect(
        data.transactions,
        data.members,
        launch=data.launch,
        observation_end=data.observation_end,
        n_boot=99,
        seed=0,
    )
    assert isinstance(res, ProgrammeEffectResult)
    eff = res.effects
    assert list(eff.index) == ["frequency", "spend", "retention"]
    for col in (
        "estimate",
        "ci_low",
        "ci_high",
        "member_pre",
        "member_post",
        "nonmember_pre",
        "nonmember_post",
        "n_members",
        "n_nonmembers",
        "naive",
    ):
        assert col in eff
    did = (eff["member_post"] - eff["member_pre"]) - (eff["nonmember_post"] - eff["nonmember_pre"])
    np.testing.assert_allclose(eff["estimate"], did)
    assert (eff["ci_low"] <= eff["estimate"]).all()
    assert (eff["estimate"] <= eff["ci_high"]).all()
    assert res.n_members + res.n_nonmembers == 800
    assert res.n_members == len(data.members)
    assert eff.loc["frequency", "n_members"] == res.n_members
    # frequency by hand: purchase days per 30 days in the post window
    tx = data.transactions
    post = tx[tx["date"] >= data.launch]
    per = post.groupby("customer_id")["date"].nunique().reindex(range(1, 801), fill_value=0)
    is_member = per.index.isin(data.members)
    assert eff.loc["frequency", "member_post"] == pytest.approx(per[is_member].mean() * 30 / 180)
    d = res.to_dict()
    assert d["method"] == "did"
    assert "effects" in d
    assert res.post_days == 180
    assert res.pre_days == 180


def test_seed_reproducible_and_input_unchanged() -> None:
    data = make_programme(500, lift=0.3, seed=4)
    tx = data.transactions.copy()
    a = programme_effect(
        data.transactions,
        list(data.members),
        launch=data.launch,
        observation_end=data.observation_end,
        n_boot=60,
        seed=7,
    )
    b = programme_effect(
        data.transactions,
        set(data.members),
        launch=data.launch,
        observation_end=data.observation_end,
        n_boot=60,
        seed=7,
    )
    pd.testing.assert_frame_equal(a.effects, b.effects)
    pd.testing.assert_frame_equal(data.transactions, tx)


def test_row_order_does_not_matter() -> None:
    data = make_programme(500, lift=0.3, seed=4)
    shuffled = data.transactions.sample(frac=1.0, random_state=0)
    a = programme_effect(
        data.transactions,
        data.members,
        launch=data.launch,
        observation_end=data.observation_end,
        n_boot=60,
        seed=7,
    )
    b = programme_effect(
        shuffled,
        data.members,
        launch=data.launch,
        observation_end=data.observation_end,
        n_boot=60,
        seed=7,
    )
    pd.testing.assert_series_equal(a.effects["estimate"], b.effects["estimate"])


def test_matched_recovers_lift_and_improves_balance() -> None:
    data = make_programme(3000, lift=LIFT, seed=11)
    res = programme_effect(
        data.transactions,
        data.members,
        launch=data.launch,
        observation_end=data.observation_end,
        method="matched",
        n_boot=199,
        seed=0,
    )
    assert _covered(res.effects, "frequency", LIFT)
    bal = res.balance
    assert (bal["smd_after"].abs() < bal["smd_before"].abs()).all()
    assert bal["smd_before"].abs().max() > 0.5  # self-selection: heavy buyers joined
    assert bal["smd_after"].abs().max() < 0.25
    plain = programme_effect(
        data.transactions,
        data.members,
        launch=data.launch,
        observation_end=data.observation_end,
        n_boot=99,
        seed=0,
    )
    assert (plain.balance["smd_after"] == plain.balance["smd_before"]).all()


def test_survey_outcomes() -> None:
    data = make_programme(1500, lift=0.3, seed=8)
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 1501, size=6000)
    dates = data.launch + pd.to_timedelta(rng.integers(-180, 180, size=6000), unit="D")
    member = pd.Index(ids).isin(data.members)
    after = np.asarray(dates >= data.launch)
    # members answer 2 points higher after launch; everybody else is unchanged
    base = rng.integers(4, 9, size=6000) + 2 * (member & after)
    surveys = pd.DataFrame(
        {
            "customer_id": ids,
            "date": dates,
            "recommend": np.clip(base, 0, 10),
            "sat1": np.clip(base, 1, 10),
            "sat2": np.clip(base, 1, 10),
            "sat3": np.clip(base, 1, 10),
        }
    )
    res = programme_effect(
        data.transactions,
        data.members,
        launch=data.launch,
        observation_end=data.observation_end,
        surveys=surveys,
        outcomes=("frequency", "nps", "satisfaction"),
        n_boot=199,
        seed=0,
    )
    eff = res.effects
    assert eff.loc["nps", "ci_low"] > 10
    # satisfaction index: 2 points of 1-10 is 100 * 2 / 9 = 22.2 index points (minus clipping)
    assert 12 < eff.loc["satisfaction", "estimate"] < 24
    assert _covered(res.placebo, "nps", 0.0)


def test_errors() -> None:
    data = make_programme(300, lift=0.3, seed=1)
    tx = data.transactions
    with pytest.raises(ValidationError, match="survey outcomes"):
        programme_effect(
            tx,
            data.members,
            launch=data.launch,
            observation_end=data.observation_end,
            outcomes=("nps",),
        )
    with pytest.raises(ValidationError, match="'outcomes'"):
        programme_effect(
            tx,
            data.members,
            launch=data.launch,
            observation_end=data.observation_end,
            outcomes=("frequncy",),
        )
    with pytest.raises(ValidationError, match="'method'"):
        programme_effect(
            tx, data.members, launch=data.launch, observation_end=data.observation_end, method="psm"
        )
    with pytest.raises(ValidationError, match="No member"):
        programme_effect(tx, [10_000], launch=data.launch, observation_end=data.observation_end)
    with pytest.raises(ValidationError, match="each customer id once"):
        programme_effect(tx, tx, launch=data.launch, observation_end=data.observation_end)
    with pytest.raises(ValidationError, match="post window"):
        programme_effect(
            tx,
            data.members,
            launch=data.launch,
            observation_end=data.observation_end,
            post_days=400,
        )
    with pytest.raises(ValidationError, match="bought before the pre window"):
        programme_effect(
            tx, data.members, launch=data.launch, observation_end=data.observation_end, pre_days=600
        )
    with pytest.raises(ValidationError, match="n_boot"):
        programme_effect(
            tx, data.members, launch=data.launch, observation_end=data.observation_end, n_boot=10
        )
    with pytest.raises(ValidationError, match="Column 'when' not found"):
        programme_effect(
            tx, data.members, launch=data.launch, observation_end=data.observation_end, time="when"
        )
    with pytest.raises(ValidationError, match="'launch'"):
        programme_effect(
            tx, data.members, launch="not a date", observation_end=data.observation_end
        )


def test_generator_validation() -> None:
    with pytest.raises(ValidationError, match="negative"):
        make_programme(100, lift=-5.0, seed=0)
    with pytest.raises(ValidationError, match="member_share"):
        make_programme(100, lift=0.1, seed=0, member_share=1.5)
    a = make_programme(200, lift=0.1, seed=3).transactions
    b = make_programme(200, lift=0.1, seed=3).transactions
    pd.testing.assert_frame_equal(a, b)
    assert not a.duplicated(["customer_id", "date"]).any()  # one purchase per day


def test_plot() -> None:
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = make_programme(500, lift=0.3, seed=1)
    res = programme_effect(
        data.transactions,
        data.members,
        launch=data.launch,
        observation_end=data.observation_end,
        n_boot=60,
        seed=0,
    )
    from custloyalty.plotting import plot_programme_effect

    axes = plot_programme_effect(res)
    assert [a.get_title(loc="left") for a in axes] == ["frequency", "spend", "retention"]
    plt.close(axes[0].figure)
    _, mine = plt.subplots(3, 1)
    assert plot_programme_effect(res, ax=mine)[1] is mine[1]
    with pytest.raises(ValidationError, match="3 Axes"):
        plot_programme_effect(res, ax=mine[0])
    plt.close("all")


def test_time_zone_aware_dates_and_string_ids() -> None:
    data = make_programme(600, lift=0.3, seed=6)
    tx = data.transactions.assign(
        date=data.transactions["date"].dt.tz_localize("Europe/Paris"),
        customer_id="c" + data.transactions["customer_id"].astype(str),
    )
    members = ["c" + str(i) for i in data.members]
    naive = programme_effect(
        data.transactions,
        data.members,
        launch=data.launch,
        observation_end=data.observation_end,
        n_boot=60,
        seed=2,
    )
    aware = programme_effect(
        tx,
        members,
        launch=data.launch.tz_localize("Europe/Paris"),
        observation_end=data.observation_end.tz_localize("Europe/Paris"),
        n_boot=60,
        seed=2,
    )
    pd.testing.assert_series_equal(naive.effects["estimate"], aware.effects["estimate"])
    # naive calendar days name the data's local days; a naive time of day is ambiguous
    days = programme_effect(
        tx, members, launch=data.launch, observation_end=data.observation_end, n_boot=60, seed=2
    )
    pd.testing.assert_series_equal(naive.effects["estimate"], days.effects["estimate"])
    with pytest.raises(ValidationError, match="time zone"):
        programme_effect(
            tx,
            members,
            launch=data.launch + pd.Timedelta(hours=10),
            observation_end=data.observation_end,
        )


def _two_launches() -> tuple[pd.DataFrame, pd.DataFrame, float]:
    a = make_programme(2500, lift=0.3, seed=21, trend=0.0, launch="2024-01-01")
    b = make_programme(2500, lift=0.6, seed=22, trend=0.0, launch="2024-03-01")
    tx = pd.concat(
        [a.transactions, b.transactions.assign(customer_id=b.transactions["customer_id"] + 10_000)]
    )
    members = pd.DataFrame(
        {
            "customer_id": np.r_[a.members.to_numpy(), b.members.to_numpy() + 10_000],
            "date": [a.launch] * len(a.members) + [b.launch] * len(b.members),
        }
    )
    truth = (0.3 * len(a.members) + 0.6 * len(b.members)) / len(members)
    return tx, members, truth


def test_staggered_enrolment() -> None:
    tx, members, truth = _two_launches()
    before = members.copy()
    res = programme_effect(
        tx,
        members,
        launch="2024-01-01",
        observation_end="2024-06-28",
        post_days=120,
        n_boot=199,
        seed=0,
    )
    pd.testing.assert_frame_equal(members, before)
    assert res.n_cohorts == 2
    assert res.n_members == len(members)
    assert res.post_days == 120
    assert _covered(res.effects, "frequency", truth)
    assert _covered(res.placebo, "frequency", 0.0)
    eff = res.effects
    did = (eff["member_post"] - eff["member_pre"]) - (eff["nonmember_post"] - eff["nonmember_pre"])
    np.testing.assert_allclose(eff["estimate"], did)
    # one cohort alone is the single-launch analysis of that cohort
    first = members[members["date"] == pd.Timestamp("2024-01-01")]
    alone = programme_effect(
        tx,
        first,
        launch="2024-01-01",
        observation_end="2024-06-28",
        post_days=120,
        n_boot=60,
        seed=0,
    )
    ids = programme_effect(
        tx,
        first["customer_id"],
        launch="2024-01-01",
        observation_end="2024-06-28",
        post_days=120,
        n_boot=60,
        seed=0,
    )
    pd.testing.assert_frame_equal(alone.effects, ids.effects)
    matched = programme_effect(
        tx,
        members,
        launch="2024-01-01",
        observation_end="2024-06-28",
        post_days=120,
        method="matched",
        n_boot=99,
        seed=0,
    )
    assert (matched.balance["smd_after"].abs() < matched.balance["smd_before"].abs()).all()


def test_staggered_errors() -> None:
    tx, members, _ = _two_launches()
    with pytest.raises(ValidationError, match="enrolled before the launch"):
        programme_effect(tx, members, launch="2024-02-01", observation_end="2024-06-28")
    many = members.assign(
        date=pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(len(members)) % 90, unit="D")
    )
    with pytest.raises(ValidationError, match="group the enrolment dates"):
        programme_effect(tx, many, launch="2024-01-01", observation_end="2024-06-28")
    with pytest.raises(ValidationError, match="post window"):
        programme_effect(
            tx, members, launch="2024-01-01", observation_end="2024-06-28", post_days=200
        )


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("seed", -1, "'seed' parameter"),
        ("seed", "a", "'seed' parameter"),
        ("progress", "no", "'progress' parameter"),
    ],
)
def test_seed_and_progress_are_checked(option: str, value: object, words: str) -> None:
    data = make_programme(200, lift=0.2, seed=1)
    with pytest.raises(ValidationError, match=words):
        programme_effect(
            data.transactions,
            data.members,
            launch=data.launch,
            observation_end=data.observation_end,
            n_boot=50,
            **{option: value},  # type: ignore[arg-type]
        )


def test_a_boolean_mask_is_not_taken_for_member_ids() -> None:
    data = make_programme(200, lift=0.2, seed=1)
    with pytest.raises(ValidationError, match=r"(?s)booleans.*mask\.index\[mask\]"):
        programme_effect(
            data.transactions,
            pd.Series(True, index=data.members),
            launch=data.launch,
            observation_end=data.observation_end,
            n_boot=50,
        )


def test_a_handful_of_members_warns_that_replicates_drew_none() -> None:
    import warnings

    from custloyalty.errors import UndefinedMetricWarning

    data = make_programme(300, lift=0.3, seed=3)
    one = data.members[:1]
    kw = {"launch": data.launch, "observation_end": data.observation_end, "n_boot": 200, "seed": 1}
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no numpy 0/0 warning
        with pytest.warns(UndefinedMetricWarning, match="bootstrap replicates drew no member"):
            res = programme_effect(data.transactions, one, **kw)
    assert np.isfinite(res.effects["estimate"]).all()


def test_survey_ids_of_another_type_are_refused() -> None:
    data = make_programme(300, lift=0.3, seed=3)
    tx = data.transactions.astype({"customer_id": str})
    ids = data.transactions["customer_id"].unique()[:50]
    sv = pd.DataFrame({"customer_id": ids, "date": data.launch, "recommend": 9})
    with pytest.raises(ValidationError, match=r"(?s)dtype int64.*Hint: give both id columns"):
        programme_effect(
            tx,
            [str(i) for i in data.members[:20]],
            launch=data.launch,
            observation_end=data.observation_end,
            surveys=sv,
            outcomes=["nps"],
            n_boot=50,
        )

"""A hostile battery of the flows users run end to end (issue 13, "done when"), round 2.

Round 1 (``test_battery_transactions``, ``test_battery_survey_scorecard``,
``test_battery_models_state``) tried the public functions one input at a time. This one runs
the flows: the command line with its configuration files and outputs, the service pattern (fit
once, save, load in a fresh process, score batches of odd shapes), threads sharing one fitted
card, metric plugins, and monitoring / programme evaluation / report on odd data.

A case passes when its outcome is acceptable and exact: the right result (checked against the
equivalent whole-base call or an independent computation), our own error naming the key,
flag, column or parameter (with a hint where the fix is known), or the right result with a
warning saying why it is suspicious. A traceback, a silently ignored setting, a silently lost
join, a lost or half-written file or a modified caller table fails it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from _battery import cli
from custloyalty import datasets as ds
from custloyalty import metrics
from custloyalty.cli import main
from custloyalty.errors import (
    PluginWarning,
    UndefinedMetricWarning,
    ValidationError,
)
from custloyalty.metrics import _registry as reg
from custloyalty.monitoring import evaluate_over_time
from custloyalty.programme import programme_effect
from custloyalty.report import build_report, write_report
from custloyalty.scorecard import LoyaltyScorecard

SRC = Path(__file__).resolve().parents[1] / "src"
PLUGIN_SRC = Path(__file__).resolve().parent / "plugin_example" / "src"
#: indicators without a transaction model: fast and free of convergence warnings
FAST = ["purchase_days", "total_spend", "days_since_last_purchase"]


# ------------------------------------------------------------------------------ the CLI
@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("flows")
    tx = ds.load_cdnow("sample").head(1500)
    tx.to_csv(d / "tx.csv", index=False)
    tx[tx["date"] <= "1997-06-30"].to_csv(d / "early.csv", index=False)
    tx[tx["date"] > "1997-06-30"].to_csv(d / "late.csv", index=False)
    (d / "plain.toml").write_text("indicators = ['frequency', 'monetary']\n", encoding="utf-8")
    assert (
        cli(d, "score", "early.csv", "--config", "plain.toml", "--save-state", "early.json")[0] == 0
    )
    return d


CONFIGS: list[tuple[str, str | bytes, int, str]] = [
    # (file, content, exit status, what stderr must say)
    ("bom.toml", "\ufeffindicators = ['frequency', 'monetary']\n", 0, ""),
    ("bom.json", '\ufeff{"indicators": ["frequency", "monetary"]}', 0, ""),
    ("empty.toml", "", 0, "holds no setting; the default scorecard is used"),
    ("blank.json", "  \n", 0, "holds no setting; the default scorecard is used"),
    (
        "dup.json",
        '{"indicators": ["frequency", "monetary"], "weighting": "equal", "weighting": "critic"}',
        2,
        "the key 'weighting' is given twice\nHint: keep one value per key",
    ),
    ("dup.yaml", "weighting: equal\nweighting: critic\n", 2, "the key 'weighting' is given twice"),
    ("dup.toml", "weighting = 'equal'\nweighting = 'critic'\n", 2, "not valid TOML"),
    (
        "section.toml",
        "[scorecard]\nindicators = ['frequency', 'monetary']\n[tiers]\nlabels = ['A', 'B']\n",
        2,
        "['tiers'] lie outside the 'scorecard' section and would be ignored\nHint: move them",
    ),
    (
        "mixed.toml",
        "weighting = 'equal'\n[scorecard]\nindicators = ['frequency', 'monetary']\n",
        2,
        "['weighting'] lie outside the 'scorecard' section",
    ),
    (
        "modle.toml",
        "[[indicators]]\nname = 'churn_risk'\n[indicators.options]\nmodle = 'bg_nbd'\n",
        2,
        "unknown options for indicator 'churn_risk' ['modle']; the valid ones are "
        "['max_fit_customers', 'model'].\nHint: did you mean 'modle' -> 'model'?",
    ),
    ("typo.toml", "weigthing = 'equal'\n", 2, "Hint: did you mean 'weigthing' -> 'weighting'?"),
    ("seed.toml", "seed = '1'\n", 2, "'seed' must be a non-negative integer or None; got str"),
    ("latin1.toml", "# caf\xe9\nweighting = 'equal'\n".encode("latin-1"), 2, "not a UTF-8"),
    ("utf16.json", '{"weighting": "equal"}'.encode("utf-16"), 2, "not a UTF-8"),
    ("list.json", "[1, 2]", 2, "must hold a table/mapping at the top level"),
    ("toml.txt", "weighting = 'equal'\n", 2, "not valid JSON: Expecting value"),
    ("toml.txt", "weighting = 'equal'\n", 2, "Hint: name a TOML config .toml"),
    (
        "roles.json",
        '{"customer": "amount"}',
        2,
        "'customer' and 'amount' both name the column 'amount'",
    ),
    ("dir.toml", "", 2, "config file dir.toml is a folder, not a file"),
    # survey indicators without --surveys: the advice names the flag, not the keyword
    ("sat.toml", "indicators = ['satisfaction']\n", 2, "pass --surveys FILE (or --interactions"),
]


@pytest.mark.parametrize(("name", "content", "code", "message"), CONFIGS)
def test_cli_config_files(
    d: Path, name: str, content: str | bytes, code: int, message: str
) -> None:
    path = d / name
    if name == "dir.toml":
        path.mkdir(exist_ok=True)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    out = d / f"out-{name}.csv"
    got, err = cli(d, "score", "tx.csv", "--config", name, "-o", out.name)
    assert got == code, err
    assert message in err
    if code:
        assert err.startswith("custloyalty: error: ")
        assert not out.exists()


def test_cli_config_with_a_bom_reads_as_without(d: Path) -> None:
    assert cli(d, "score", "tx.csv", "--config", "plain.toml", "-o", "plain.csv")[0] == 0
    (d / "bom2.toml").write_text("\ufeff" + (d / "plain.toml").read_text(), encoding="utf-8")
    assert cli(d, "score", "tx.csv", "--config", "bom2.toml", "-o", "bom2.csv")[0] == 0
    assert (d / "plain.csv").read_bytes() == (d / "bom2.csv").read_bytes()


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "tx.csv", "-o", ""],
        ["score", "tx.csv", "--surveys", " "],
        ["score", "tx.csv", "--interactions", ""],
        ["score", "tx.csv", "--config", ""],
        ["score", "tx.csv", "--save-state", ""],
        ["score", "tx.csv", "--load-state", ""],
        ["score", ""],
        ["report", "tx.csv", "-o", ""],
    ],
)
def test_cli_empty_file_arguments_are_refused_not_dropped(d: Path, argv: list[str]) -> None:
    # -o "$OUT" with OUT unset: exit 0 without the table was lost output
    code, err = cli(d, *argv)
    assert code == 2
    assert "an empty file name was given" in err


def test_cli_config_with_a_loaded_state_is_refused(d: Path) -> None:
    code, err = cli(
        d, "score", "tx.csv", "--load-state", "early.json", "--config", "plain.toml", "-o", "l.csv"
    )
    assert code == 2
    assert "--config plain.toml would be ignored" in err
    assert "\nHint: drop --config" in err
    assert not (d / "l.csv").exists()


def test_cli_every_purchase_after_the_loaded_window_names_the_flag_to_give(d: Path) -> None:
    code, err = cli(d, "score", "late.csv", "--load-state", "early.json")
    assert code == 2
    assert "every transaction falls after 1997-06-30" in err
    assert "pass --observation-end YYYY-MM-DD" in err
    # and with the flag, the later window is scored
    assert (
        cli(
            d, "score", "late.csv", "--load-state", "early.json", "--observation-end", "1998-06-30"
        )[0]
        == 0
    )


def test_cli_outputs_by_extension_and_existing_files(d: Path) -> None:
    (d / "old.csv").write_text("keep?\n", encoding="utf-8")
    for name in ("old.csv", "UP.CSV.GZ", "t.tsv", "p.PQ"):
        assert cli(d, "score", "tx.csv", "--config", "plain.toml", "-o", name)[0] == 0
    csv = pd.read_csv(d / "old.csv", dtype={"customer_id": str}).set_index("customer_id")
    gz = pd.read_csv(d / "UP.CSV.GZ", dtype={"customer_id": str}).set_index("customer_id")
    tsv = pd.read_csv(d / "t.tsv", sep="\t", dtype={"customer_id": str}).set_index("customer_id")
    pq = pd.read_parquet(d / "p.PQ")
    pd.testing.assert_frame_equal(csv, gz)
    pd.testing.assert_frame_equal(csv, tsv)
    assert len(pq) == len(csv) == ds.load_cdnow("sample").head(1500)["customer_id"].nunique()
    for argv, message in [
        (["-o", "out.xlsx"], ".xlsx is not a table format"),
        (["-o", "nodir/out.csv"], "the folder does not exist"),
        (["--save-state", "s.csv"], ".csv is not a state format"),
        (["-o", "tx.csv"], "refusing to write --output tx.csv: it is the transactions file"),
        (["-o", "plain.toml"], ".toml is not a table format"),
    ]:
        before = (d / "tx.csv").read_bytes()
        code, err = cli(d, "score", "tx.csv", *argv)
        assert (code, message in err) == (2, True), err
        assert (d / "tx.csv").read_bytes() == before
    assert not [p for p in d.iterdir() if p.name.startswith(".")]  # no temporary file left


@pytest.mark.parametrize("command", [[], ["score"], ["report"], ["demo"]])
def test_cli_help_of_every_command(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: custloyalty")
    if command == ["score"]:
        assert all(f in out for f in ("--output", "--save-state", "--load-state", "--config"))


def test_cli_as_a_module_in_a_fresh_process(d: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    run = [sys.executable, "-m", "custloyalty.cli"]
    ok = subprocess.run([*run, "--help"], capture_output=True, text=True, env=env, check=False)
    assert ok.returncode == 0
    assert "score" in ok.stdout
    bad = subprocess.run(
        [*run, "score", str(d / "tx.csv"), "-q", "-o", str(d / "tx.csv")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("custloyalty: error: refusing to write --output")
    assert "Traceback" not in bad.stderr


# ---------------------------------------------------------------------- service pattern
END = pd.Timestamp("1997-12-31")


@pytest.fixture(scope="module")
def service() -> dict[str, Any]:
    tx = ds.load_cdnow("sample")
    sv = ds.make_survey(300, seed=1, customer_ids=tx["customer_id"].unique())
    fit_tx = tx[tx["date"] <= END].reset_index(drop=True)
    card = LoyaltyScorecard([*FAST, "satisfaction"], weighting="critic")
    card.fit(fit_tx, sv, observation_end=END)
    whole = card.score(fit_tx, sv, observation_end=END).customers
    return {"tx": tx, "sv": sv, "fit_tx": fit_tx, "card": card, "whole": whole}


def test_service_load_in_a_fresh_process_scores_as_the_fitted_card(
    service: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "card.json").write_text(service["card"].to_json(), encoding="utf-8")
    service["fit_tx"].to_pickle(tmp_path / "tx.pkl")
    service["sv"].to_pickle(tmp_path / "sv.pkl")
    code = (
        "import pandas as pd, sys; from custloyalty.scorecard import LoyaltyScorecard; "
        "d = sys.argv[1]; c = LoyaltyScorecard.from_json(open(d + '/card.json').read()); "
        "c.score(pd.read_pickle(d + '/tx.pkl'), pd.read_pickle(d + '/sv.pkl'), "
        "observation_end=pd.Timestamp('1997-12-31')).customers.to_pickle(d + '/out.pkl')"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True, env=env)
    pd.testing.assert_frame_equal(pd.read_pickle(tmp_path / "out.pkl"), service["whole"])


def test_service_one_customer_at_a_time_equals_the_whole_base(service: dict[str, Any]) -> None:
    card, tx, sv, whole = service["card"], service["fit_tx"], service["sv"], service["whole"]
    answered = whole.index[whole["answered_survey"]][:3].tolist()
    for cid in [*answered, *whole.index[:3]]:
        one = card.score(
            tx[tx["customer_id"] == cid], sv[sv["customer_id"] == cid], observation_end=END
        ).customers
        pd.testing.assert_frame_equal(one, whole.loc[[cid]], check_index_type=False)
    # one row of the whole table (a single purchase) scores like that customer's whole history
    single = tx[tx["customer_id"].map(tx["customer_id"].value_counts()) == 1].head(1)
    one = card.score(single, sv, observation_end=END).customers
    pd.testing.assert_frame_equal(one, whole.loc[one.index], check_index_type=False)


def test_service_customers_new_after_the_fitted_window(service: dict[str, Any]) -> None:
    card, sv = service["card"], service["sv"]
    new = pd.DataFrame(
        {
            "customer_id": [80001, 80001, 80002],
            "date": pd.to_datetime(["1998-02-01", "1998-03-01", "1998-05-01"]),
            "quantity": 1,
            "amount": [10.0, 20.0, 30.0],
        }
    )
    later = pd.Timestamp("1998-06-30")
    with pytest.raises(
        ValidationError, match="every transaction falls after the fitted observation_end"
    ):
        card.score(new, None)  # the fitted window ends before their first purchase
    alone = card.score(new, None, observation_end=later).customers
    everyone = card.score(
        pd.concat([service["tx"], new], ignore_index=True), sv, observation_end=later
    ).customers
    pd.testing.assert_frame_equal(alone, everyone.loc[alone.index], check_index_type=False)
    assert alone["purchase_days"].tolist() == [2.0, 1.0]


def test_service_unseen_customer_and_survey_only_batches(service: dict[str, Any]) -> None:
    card, tx, sv = service["card"], service["fit_tx"], service["sv"]
    unseen = tx.head(3).assign(customer_id=99999)
    got = card.score(unseen, None, observation_end=END).customers
    assert got.index.tolist() == [99999]
    assert np.isfinite(got["composite"]).all()
    with pytest.raises(ValidationError, match="empty"):
        card.score(tx.head(0), sv.head(5), observation_end=END)
    with pytest.raises(ValidationError, match="must be a table"):
        card.score(None, sv.head(5), observation_end=END)


def test_service_survey_ids_of_another_type_are_named_not_lost(service: dict[str, Any]) -> None:
    # text ids in the batch, integer ids in the surveys: before, every answer was dropped
    card, tx, sv, whole = service["card"], service["fit_tx"], service["sv"], service["whole"]
    answered = whole.index[whole["answered_survey"]][:20]
    batch = tx[tx["customer_id"].isin(answered)].astype({"customer_id": str})
    before = batch.copy()
    with pytest.raises(ValidationError, match=r"none of the \d+ survey answers matches") as exc:
        card.score(batch, sv, observation_end=END)
    assert "Hint: give both id columns the same type" in str(exc.value)
    pd.testing.assert_frame_equal(batch, before)
    # surveys of other customers with the same id type are a batch, not an error
    other = sv[~sv["customer_id"].isin(answered)]
    got = card.score(batch.astype({"customer_id": int}), other, observation_end=END).customers
    assert not got.loc[answered, "answered_survey"].any()


def test_service_eight_threads_share_one_card(service: dict[str, Any]) -> None:
    card, tx, sv, whole = service["card"], service["fit_tx"], service["sv"], service["whole"]
    chunks = np.array_split(whole.index.to_numpy(), 16)

    def job(ids: np.ndarray) -> pd.DataFrame:
        return card.score(
            tx[tx["customer_id"].isin(ids)], sv[sv["customer_id"].isin(ids)], observation_end=END
        ).customers

    serial = [job(c) for c in chunks]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(job, chunks))
    for s, p in zip(serial, parallel, strict=True):
        pd.testing.assert_frame_equal(s, p)
    pd.testing.assert_frame_equal(pd.concat(parallel), whole, check_index_type=False)


def test_one_column_in_two_roles_is_refused() -> None:
    tx = ds.load_cdnow("sample").head(200)
    for roles in ({"customer": "amount"}, {"customer": "date"}, {"time": "amount"}):
        with pytest.raises(ValidationError, match="both name the column"):
            LoyaltyScorecard(FAST, **roles).fit_score(tx)


# ------------------------------------------------------------------------------- plugins
class FakeEP:
    """An entry point of the ``custloyalty.metrics`` group."""

    def __init__(self, name: str, value: str, dist: str, load: Any) -> None:
        self.name, self.value, self._load = name, value, load
        self.dist = type("Dist", (), {"name": dist})()

    def load(self) -> Any:
        return self._load()


@pytest.fixture
def entry_points(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[FakeEP]]:
    eps: list[FakeEP] = []
    monkeypatch.setattr(reg.metadata, "entry_points", lambda group: list(eps))
    monkeypatch.syspath_prepend(str(PLUGIN_SRC))
    reg._reload_plugins()
    yield eps
    monkeypatch.undo()
    reg._reload_plugins()


def _example(attr: str) -> Any:
    import custloyalty_example_metrics as ex

    return getattr(ex, attr)


def test_plugin_example_end_to_end(entry_points: list[FakeEP]) -> None:
    entry_points += [
        FakeEP(
            "items_per_order", "ex:items_per_order", "example", lambda: _example("items_per_order")
        ),
        FakeEP(
            "days_between_purchases",
            "ex:DAYS",
            "example",
            lambda: _example("DAYS_BETWEEN_PURCHASES"),
        ),
        # the same install seen twice on sys.path counts once, silently
        FakeEP(
            "items_per_order", "ex:items_per_order", "example", lambda: _example("items_per_order")
        ),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        names = metrics.available()
    assert {"items_per_order", "days_between_purchases"} <= set(names)
    tx = ds.load_cdnow("sample")
    card = LoyaltyScorecard(["purchase_days", "items_per_order", "days_between_purchases"])
    res = card.fit_score(tx, observation_end="1998-06-30")
    manual = tx.groupby("customer_id")["quantity"].mean()
    np.testing.assert_allclose(res.customers["items_per_order"], manual.loc[res.customers.index])
    again = LoyaltyScorecard.from_json(card.to_json()).score(tx, observation_end="1998-06-30")
    pd.testing.assert_frame_equal(again.customers, res.customers)


def test_plugin_published_by_two_distributions_is_refused(entry_points: list[FakeEP]) -> None:
    # before: the last one scanned won silently, depending on the install order
    entry_points += [
        FakeEP("basket", "a:f", "dist-a", lambda: lambda summary: summary["frequency"]),
        FakeEP("basket", "b:g", "dist-b", lambda: lambda summary: -summary["frequency"]),
    ]
    with pytest.warns(PluginWarning, match=r"'basket' is provided by several distributions") as w:
        names = metrics.available()
    assert "basket" not in names
    assert "dist-a: a:f; dist-b: b:g" in str(w[0].message)


@pytest.mark.parametrize(
    ("load", "message"),
    [
        (lambda: sys.exit(3), "failed to load: SystemExit(3)"),
        (lambda: __import__("no_such_module_xyz"), "failed to load: ModuleNotFoundError"),
        (lambda: 42, "entry point is a int, not a function or Metric"),
        (lambda: {"a": 1}, "entry point is a dict, not a function or Metric"),
    ],
)
def test_plugin_that_cannot_load_is_skipped_with_a_warning(
    entry_points: list[FakeEP], load: Any, message: str
) -> None:
    entry_points.append(FakeEP("hostile", "h:x", "dist-h", load))
    with pytest.warns(PluginWarning, match="hostile") as w:
        names = metrics.available()
    assert "hostile" not in names
    assert any(message in str(x.message) for x in w), [str(x.message) for x in w]


def test_plugin_shadowing_a_builtin_is_ignored(entry_points: list[FakeEP]) -> None:
    entry_points.append(
        FakeEP("purchase_days", "s:f", "dist-s", lambda: lambda summary: 0 * summary["T"])
    )
    with pytest.warns(PluginWarning, match="clashes with a built-in metric"):
        m = metrics.get("purchase_days")
    assert m.origin.startswith("built-in") or "plugin" not in m.origin
    with pytest.raises(ValidationError, match="cannot be replaced"):
        metrics.register("purchase_days")(lambda summary: summary["T"])
    metrics.register("twice_registered")(lambda summary: summary["T"])
    try:
        with pytest.raises(ValidationError, match="already registered"):
            metrics.register("twice_registered")(lambda summary: summary["T"])
    finally:
        metrics.unregister("twice_registered")


# ------------------------------------------------------------ monitoring, programme, report
@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return ds.load_cdnow("sample")


def test_over_time_with_one_period_is_our_error(cdnow: pd.DataFrame) -> None:
    with pytest.raises(ValidationError, match=r"at least two 'Q' periods.*\nHint: use a shorter"):
        evaluate_over_time(cdnow[cdnow["date"] < "1997-04-01"], scorecard=LoyaltyScorecard(FAST))


def test_over_time_periods_without_purchases_are_warned(cdnow: pd.DataFrame) -> None:
    gap = cdnow[(cdnow["date"] < "1997-04-01") | (cdnow["date"] >= "1997-10-01")]
    with pytest.warns(UndefinedMetricWarning, match=r"no purchase at all in 2 of the 6 periods"):
        res = evaluate_over_time(gap, scorecard=LoyaltyScorecard(FAST, weighting="equal"))
    assert res.kpis.loc[["1997Q2", "1997Q3"], "active"].tolist() == [0, 0]
    assert res.kpis.loc["1997Q2", "churn_rate"] == 1.0


def test_over_time_every_customer_new_each_period(cdnow: pd.DataFrame) -> None:
    tx = cdnow.assign(
        customer_id=cdnow["customer_id"].astype(str)
        + "_"
        + cdnow["date"].dt.to_period("Q").astype(str)
    )
    res = evaluate_over_time(tx, scorecard=LoyaltyScorecard(FAST, weighting="equal"))
    # independent: the buyers of each quarter, all of them new, none of them buying again
    buyers = tx.groupby(tx["date"].dt.to_period("Q"))["customer_id"].nunique()
    assert res.kpis["active"].tolist() == buyers.tolist()
    assert res.kpis["customers"].tolist() == buyers.cumsum().tolist()
    assert (res.kpis["churn_rate"].iloc[1:] == 1.0).all()


def test_programme_with_no_or_all_members_is_our_error(cdnow: pd.DataFrame) -> None:
    ids = cdnow["customer_id"].unique()
    kw: dict[str, Any] = {"launch": "1997-07-01", "observation_end": "1998-06-30", "n_boot": 50}
    with pytest.raises(ValidationError, match="'members' parameter of programme_effect is empty"):
        programme_effect(cdnow, [], **kw)
    with pytest.raises(ValidationError, match="no non-member to compare"):
        programme_effect(cdnow, ids, **kw)
    with pytest.raises(ValidationError, match="No member of programme_effect is in the base"):
        programme_effect(cdnow, [str(i) for i in ids[:100]], **kw)


def test_programme_of_one_member_warns_instead_of_a_numpy_warning(cdnow: pd.DataFrame) -> None:
    base = cdnow[cdnow["date"] < "1997-02-01"]["customer_id"].unique()
    kw: dict[str, Any] = {
        "launch": "1997-09-01",
        "observation_end": "1998-06-30",
        "pre_days": 120,
        "n_boot": 200,
        "seed": 1,
    }
    # before: "RuntimeWarning: invalid value encountered in divide" from inside numpy
    with pytest.warns(UndefinedMetricWarning, match=r"bootstrap replicates drew no member"):
        one = programme_effect(cdnow, base[:1], **kw)
    assert np.isfinite(one.effects["estimate"]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ten = programme_effect(cdnow, list(base[:10]) * 2, **kw)  # duplicates count once
        pd.testing.assert_frame_equal(ten.effects, programme_effect(cdnow, base[:10], **kw).effects)


def test_report_flows(cdnow: pd.DataFrame, tmp_path: Path) -> None:
    card = LoyaltyScorecard(FAST, weighting="equal")
    (tmp_path / "old.html").write_text("old", encoding="utf-8")
    out = write_report(tmp_path / "old.html", cdnow, scorecard=card)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    (tmp_path / "dir.html").mkdir()
    with pytest.raises(ValidationError, match="it is a folder"):
        write_report(tmp_path / "dir.html", cdnow, scorecard=card)
    with pytest.raises(ValidationError, match="does not exist"):
        write_report(tmp_path / "no" / "r.html", cdnow, scorecard=card)
    with pytest.raises(ValidationError, match="'over_time' parameter of build_report"):
        build_report(cdnow, scorecard=card, over_time=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.html", "old.html"]
    with pytest.raises(ValidationError, match="at least 2 customers"):
        build_report(cdnow[cdnow["customer_id"] == 1], scorecard=LoyaltyScorecard(FAST))
    yearly = evaluate_over_time(cdnow, period="Y", scorecard=card)
    html = build_report(cdnow, scorecard=card, over_time=yearly)
    assert "1998" in html


def test_config_reader_keeps_json_and_yaml_mappings(tmp_path: Path) -> None:
    from custloyalty.cli._files import read_config

    (tmp_path / "a.json").write_text(json.dumps({"scorecard": {"seed": 1}}), encoding="utf-8")
    assert read_config(str(tmp_path / "a.json")) == {"seed": 1}
    (tmp_path / "b.yaml").write_text("scorecard:\n  tiers:\n    labels: [A, B]\n", encoding="utf-8")
    assert read_config(str(tmp_path / "b.yaml")) == {"tiers": {"labels": ["A", "B"]}}
    (tmp_path / "c.yaml").write_text("a: 1\nb:\n  x: 1\n  x: 2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="the key 'x' is given twice"):
        read_config(str(tmp_path / "c.yaml"))


def test_programme_survey_ids_of_another_type_are_named_not_lost(cdnow: pd.DataFrame) -> None:
    # before: nps NaN with n_members 0 and only a generic "undefined" warning
    tx = cdnow.astype({"customer_id": str})
    sv = ds.make_survey(300, seed=1, customer_ids=cdnow["customer_id"].unique())
    sv["date"] = pd.Timestamp("1997-01-01") + pd.to_timedelta(np.arange(len(sv)) % 500, unit="D")
    base = tx[tx["date"] < "1997-02-01"]["customer_id"].unique()
    with pytest.raises(ValidationError, match=r"(?s)None of the 300 survey answers.*same type"):
        programme_effect(
            tx,
            base[:10],
            launch="1997-09-01",
            observation_end="1998-06-30",
            pre_days=120,
            surveys=sv,
            outcomes=["nps"],
            n_boot=50,
        )

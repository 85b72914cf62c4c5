"""Command line: custloyalty score / report / demo; errors, data kept as it is, no data lost."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from custloyalty.cli import main
from custloyalty.datasets import load_cdnow, make_survey


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    tx = load_cdnow("sample").rename(columns={"customer_id": "cust", "date": "day"})
    tx.to_csv(d / "tx.csv", index=False)
    tx.to_parquet(d / "tx.parquet")
    sv = make_survey(400, seed=2, customer_ids=tx["cust"].unique()).rename(
        columns={"customer_id": "cust"}
    )
    sv.to_csv(d / "surveys.csv", index=False)
    (d / "card.toml").write_text(
        """
[scorecard]
indicators = ["frequency", "monetary", "recency", "satisfaction", "recommendation"]
weighting = "critic"
normalisation = "percentile"
[scorecard.tiers]
labels = ["Gold", "Silver", "Bronze"]
shares = [0.2, 0.3, 0.5]
""",
        encoding="utf-8",
    )
    (d / "card.yaml").write_text(
        """
scorecard:
  indicators: [frequency, monetary, recency]
  weighting: critic
  tiers:
    labels: [Gold, Silver, Bronze]
    shares: [0.2, 0.3, 0.5]
""",
        encoding="utf-8",
    )
    (d / "bad.yaml").write_text("indicators: [frequency, monetary\n  weighting: : critic\n")
    (d / "tiers.toml").write_text('tiers = "abc"\n', encoding="utf-8")
    (d / "indicators.toml").write_text("indicators = 5\n", encoding="utf-8")
    (d / "garbage.csv").write_bytes(b"2\x98\xd3g\xce\xb6\x9cR\x19r@\xda" * 300)
    (d / "garbage.parquet").write_bytes(b"not a parquet file at all")
    (d / "empty.csv").write_text("", encoding="utf-8")
    (d / "header.csv").write_text("cust,day,amount\n", encoding="utf-8")
    (d / "state.bad.json").write_text("{not json", encoding="utf-8")
    (d / "unfitted.json").write_text(json.dumps({"config": {}, "fitted": None}))
    return {
        "dir": d,
        "csv": d / "tx.csv",
        "parquet": d / "tx.parquet",
        "surveys": d / "surveys.csv",
        "toml": d / "card.toml",
        "yaml": d / "card.yaml",
    }


def test_score_csv_with_surveys_config_and_state(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = files["dir"] / "scores.csv"
    state = files["dir"] / "state.json"
    argv = [
        "score",
        str(files["csv"]),
        "--surveys",
        str(files["surveys"]),
        "--config",
        str(files["toml"]),
        "--customer",
        "cust",
        "--time",
        "day",
        "--survey-customer",
        "cust",
        "--observation-end",
        "1998-06-30",
        "-o",
        str(out),
        "--save-state",
        str(state),
    ]
    assert main(argv) == 0
    printed = capsys.readouterr()
    assert "nps" in printed.out
    assert "tier_sizes" in printed.out
    assert f"wrote 2,357 customers to {out}" in printed.err  # notes on stderr
    table = pd.read_csv(out, index_col=0)
    assert len(table) == 2357
    assert set(table["tier"]) == {"Gold", "Silver", "Bronze"}
    assert table["composite"].between(0, 100).all()
    fitted = json.loads(state.read_text())
    assert fitted["config"]["weighting"] == "critic"
    # score again from the saved state, parquet in and out, quietly
    out2 = files["dir"] / "scores.parquet"
    argv2 = [
        "score",
        str(files["parquet"]),
        "--load-state",
        str(state),
        "--surveys",
        str(files["surveys"]),
        "--observation-end",
        "1998-06-30",
        "-o",
        str(out2),
        "-q",
    ]
    assert main(argv2) == 0
    assert capsys.readouterr().err == ""
    again = pd.read_parquet(out2)
    pd.testing.assert_series_equal(
        again["composite"].reset_index(drop=True), table["composite"].reset_index(drop=True)
    )


def test_load_state_refuses_later_purchases_without_observation_end(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = files["dir"]
    early = d / "early.csv"
    tx = pd.read_csv(files["csv"], dtype={"cust": str})
    tx[tx["day"] <= "1997-12-31"].to_csv(early, index=False)
    state = d / "early.json"
    cols = ["--customer", "cust", "--time", "day", "-q"]
    assert main(["score", str(early), *cols, "--save-state", str(state)]) == 0
    capsys.readouterr()
    out = d / "later.csv"
    argv = ["score", str(files["csv"]), *cols, "--load-state", str(state), "-o", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    n_after = int((tx["day"] > "1997-12-31").sum())
    assert err == (
        f"custloyalty: error: {n_after:,} transactions fall after 1997-12-31, the end of the "
        f"window the state in {state} was fitted on; pass --observation-end YYYY-MM-DD to "
        "score a later window\n"
    )
    assert not out.exists()
    assert main([*argv, "--observation-end", "1998-06-30"]) == 0
    assert "observation_end                      1998-06-30" in capsys.readouterr().out
    assert len(pd.read_csv(out)) == tx["cust"].nunique()


def test_bad_saved_state_and_config_name_their_file(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cols = ["--customer", "cust", "--time", "day", "-q"]
    good = tmp_path / "good.json"
    assert main(["score", str(files["csv"]), *cols, "--save-state", str(good)]) == 0
    capsys.readouterr()
    state = json.loads(good.read_text(encoding="utf-8"))
    assert state["kind"] == "loyalty_scorecard"
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps({**state, "format_version": 99}), encoding="utf-8")
    assert main(["score", str(files["csv"]), *cols, "--load-state", str(newer)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        f"custloyalty: error: state file {newer}: saved state has format_version 99;"
    )
    assert "\nHint: " in err
    state["fitted"]["weighting"]["weights"]["purchase_days"] = -0.5
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(state), encoding="utf-8")
    assert main(["score", str(files["csv"]), *cols, "--load-state", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"custloyalty: error: state file {bad}: fitted.weighting")
    assert err.count("\n") == 1
    typo = tmp_path / "typo.toml"
    typo.write_text('weigthing = "equal"\n', encoding="utf-8")
    assert main(["score", str(files["csv"]), *cols, "--config", str(typo)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(
        f"custloyalty: error: config file {typo}: unknown configuration keys ['weigthing']"
    )
    assert err[1] == "Hint: did you mean 'weigthing' -> 'weighting'?"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["score", "nope.csv"], "transactions file not found: nope.csv"),
        # every line of the error is shown: here the second missing column
        (
            ["score", "{csv}"],
            "Column 'customer_id' not found in data; it has columns ['cust', 'day', 'quantity', 'amount'].\nAlso missing: ['date'].",
        ),
        (["score", "{csv}", "--customer", "cust", "--time", "day", "--config", "x.toml"], "config"),
        (["score", "{toml}"], "cannot read transactions file"),
        # quotes at the ends of a message are kept
        (["score", "'nope'"], "transactions file not found: 'nope'\n"),
        # unreadable files: the message names the file and says why
        (
            ["score", "{d}/garbage.csv"],
            "cannot read transactions file {d}/garbage.csv: not a UTF-8",
        ),
        (["score", "{d}/garbage.parquet"], "cannot read transactions file {d}/garbage.parquet: "),
        (
            ["score", "{d}/empty.csv"],
            "cannot read transactions file {d}/empty.csv: the file is empty",
        ),
        (
            ["score", "{d}/header.csv"],
            "cannot read transactions file {d}/header.csv: it has no rows",
        ),
        (
            ["score", "{csv}", "--surveys", "{d}/empty.csv"],
            "cannot read surveys file {d}/empty.csv",
        ),
        (
            ["score", "{csv}", "--load-state", "{d}/nope.json"],
            "state file not found: {d}/nope.json",
        ),
        (
            ["score", "{csv}", "--load-state", "{d}/state.bad.json"],
            "cannot read state file {d}/state.bad.json: not valid JSON: Expecting property name",
        ),
        (["score", "{csv}", "--load-state", "{d}/unfitted.json"], "holds no fitted scorecard"),
        # bad configuration values: the key, the type expected and what was given
        (["score", "{csv}", "--config", "{d}/tiers.toml"], "'tiers' must be a mapping"),
        (["score", "{csv}", "--config", "{d}/indicators.toml"], "got int 5"),
        (
            ["score", "{csv}", "--customer", "cust", "--time", "day", "-o", "{d}/no/dir/out.csv"],
            "cannot write --output {d}/no/dir/out.csv: the folder does not exist",
        ),
    ],
)
def test_errors_are_one_line_without_traceback(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    fmt = {"csv": files["csv"], "toml": files["toml"], "d": files["dir"]}
    argv = [a.format(**fmt) for a in argv]
    message = message.format(**fmt)
    assert main([*argv, "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("custloyalty: error: ")
    assert message in err
    assert err.count("\n") == 1 + message.rstrip("\n").count("\n")
    assert "Traceback" not in err


def test_bad_config_value(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    cfg = files["dir"] / "bad.json"
    cfg.write_text(json.dumps({"weighting": "magic"}), encoding="utf-8")
    argv = ["score", str(files["csv"]), "--customer", "cust", "--time", "day"]
    assert main([*argv, "--config", str(cfg), "-q"]) == 2
    assert "'weighting' parameter" in capsys.readouterr().err


def test_yaml_config(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("yaml")
    out = files["dir"] / "yaml_scores.csv"
    argv = ["score", str(files["csv"]), "--customer", "cust", "--time", "day", "-q"]
    assert main([*argv, "--config", str(files["yaml"]), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "weights: purchase_days" in printed
    table = pd.read_csv(out, index_col=0)
    assert set(table["tier"]) == {"Gold", "Silver", "Bronze"}
    assert "churn" not in table
    # invalid YAML: one line naming the file and the place
    assert main([*argv, "--config", str(files["dir"] / "bad.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"cannot read config file {files['dir'] / 'bad.yaml'}: not valid YAML: " in err
    assert "(line 2, column 12)" in err


def test_yaml_config_reads_exponent_floats_as_numbers(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # PyYAML follows YAML 1.1, where 5e1 and 1e-1 are text: a threshold of 5e1 was refused as
    # "not a number"; they are numbers in YAML 1.2 and in every other config format
    pytest.importorskip("yaml")
    cfg = files["dir"] / "exponents.yaml"
    cfg.write_text(
        "indicators: [purchase_days, total_spend]\n"
        "weighting: {purchase_days: 1e-1, total_spend: 9E-1}\n"
        "tiers: {labels: [A, B], thresholds: [5e1]}\n",
        encoding="utf-8",
    )
    out = files["dir"] / "exponents.csv"
    argv = ["score", str(files["csv"]), "--customer", "cust", "--time", "day", "-q"]
    assert main([*argv, "--config", str(cfg), "-o", str(out)]) == 0
    assert "weights: purchase_days 0.100, total_spend 0.900" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert set(table["tier"]) <= {"A", "B"}
    assert (table.loc[table["composite"] >= 50, "tier"] == "A").all()
    assert (table.loc[table["composite"] < 50, "tier"] == "B").all()
    import yaml

    assert yaml.safe_load("x: 5e1") == {"x": "5e1"}  # PyYAML's own loader is left as it is


def test_yaml_config_without_pyyaml_names_the_extra(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "yaml", None)  # import yaml -> ImportError
    argv = ["score", str(files["csv"]), "--config", str(files["yaml"]), "-q"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "YAML configs need PyYAML: pip install 'custloyalty[yaml]'" in err


def test_parquet_without_pyarrow_names_the_extra(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_engine(*args: object, **kwargs: object) -> None:
        msg = "Unable to find a usable engine; tried using: 'pyarrow', 'fastparquet'."
        raise ImportError(msg)

    monkeypatch.setattr(pd, "read_parquet", no_engine)
    assert main(["score", str(files["parquet"]), "-q"]) == 2
    err = capsys.readouterr().err
    assert f"cannot read transactions file {files['parquet']}: Parquet files need pyarrow" in err
    assert "custloyalty[parquet]" in err


def test_unexpected_errors_keep_their_traceback(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import custloyalty.cli as cli

    def bug(args: object) -> str:
        msg = "a bug, not a user error"
        raise RuntimeError(msg)

    monkeypatch.setattr(cli, "run_score", bug)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["score", str(files["csv"]), "-q"])


@pytest.mark.slow
def test_demo_runs_the_full_evaluation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for needle in (
        "CDNOW master: transactions",
        "total repeat purchases 2,457",
        "SAT <- VAL 0.589331",
        "BG/NBD      r 0.243, alpha 4.414, a 0.793, b 2.426   LL -9582.43",
        "Pareto/NBD  r 0.553, alpha 10.578, s 0.606, beta 11.669   LL -9594.98",
        "(946 repeat customers)",
        "Client tiering",
        "A 7,695 customers / 80.0% of revenue",
        "Loyalty scorecard",
        "Top customers of each tier",
        "Platinum",
    ):
        assert needle in out
    # the scorecard part: the current names, every figure a number, no empty column
    card = out.split("Loyalty scorecard")[1]
    assert "customers                            23,570" in card
    assert "nps                                  " in card
    assert "weights: purchase_days" in card
    assert "nan" not in card.lower()
    assert "<NA>" not in card
    for stale in ("frequency", "monetary", "recency", "churn ", "survey_customer"):
        assert stale not in card


def test_date_format_option(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    d = files["dir"]
    tx = pd.read_csv(files["csv"], parse_dates=["day"])
    tx["day"] = tx["day"].dt.strftime("%d/%m/%Y")  # day first: 05/01/1997 is January 5th
    tx.to_csv(d / "dayfirst.csv", index=False)
    base = ["--customer", "cust", "--time", "day", "--observation-end", "1997-09-30", "-q"]
    # inferred month-first from the first date, then refused: never guessed row by row
    assert main(["score", str(d / "dayfirst.csv"), *base]) == 2
    err = capsys.readouterr().err
    assert err.startswith("custloyalty: error: ")
    assert "Column 'day'" in err
    assert "Traceback" not in err
    out_iso, out_dayfirst = d / "iso_scores.csv", d / "dayfirst_scores.csv"
    assert main(["score", str(files["csv"]), *base, "-o", str(out_iso)]) == 0
    argv = ["score", str(d / "dayfirst.csv"), *base, "--date-format", "%d/%m/%Y"]
    assert main([*argv, "-o", str(out_dayfirst)]) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(pd.read_csv(out_dayfirst), pd.read_csv(out_iso))


# ---------------------------------------------------------------- no lost data (issue 13)
BASE = ["--customer", "cust", "--time", "day", "-q"]


def _no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading the inputs fail the test: the checks must come before any work."""
    import custloyalty.cli._files as files_mod

    def boom(*args: object, **kwargs: object) -> None:
        msg = "work started before the checks"
        raise AssertionError(msg)

    monkeypatch.setattr(files_mod, "read_table", boom)
    monkeypatch.setattr("custloyalty.cli.read_table", boom)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("flag", ["-o", "--save-state"])
def test_output_equal_to_an_input_is_refused(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    flag: str,
) -> None:
    tx = tmp_path / "tx.csv"
    tx.write_bytes(files["csv"].read_bytes())
    before = tx.read_bytes()
    (tmp_path / "link.json").symlink_to(tx)  # a link to the input, with an accepted suffix
    (tmp_path / "hard.csv").hardlink_to(tx)
    _no_work(monkeypatch)
    targets = (
        [tx, tmp_path / "link.json"] if flag == "--save-state" else [tx, tmp_path / "hard.csv"]
    )
    for target in targets:
        if flag == "--save-state" and target.suffix != ".json":
            continue
        assert main(["score", str(tx), *BASE, flag, str(target)]) == 2
        err = capsys.readouterr().err
        assert f"refusing to write {flag.replace('-o', '--output')} {target}" in err
        assert "it is the transactions file" in err
        assert "Hint: choose another output path." in err
    # the surveys and the config are inputs too
    cfg = tmp_path / "card.json"
    cfg.write_text("{}", encoding="utf-8")
    assert main(["score", str(tx), *BASE, "--config", str(cfg), "--save-state", str(cfg)]) == 2
    assert "it is the config file" in capsys.readouterr().err
    assert tx.read_bytes() == before


def test_unwritable_output_reported_before_any_work(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _no_work(monkeypatch)
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    (tmp_path / "folder.csv").mkdir()
    cases = {
        str(tmp_path / "missing" / "out.csv"): "the folder does not exist",
        str(tmp_path / "afile" / "out.csv"): "the folder does not exist",
        str(tmp_path / "folder.csv"): "it is a folder",
    }
    for out, why in cases.items():
        assert main(["score", str(files["csv"]), *BASE, "-o", out]) == 2
        err = capsys.readouterr().err
        assert f"cannot write --output {out}: {why}" in err


def test_missing_extras_reported_before_any_work(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _no_work(monkeypatch)
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    out = tmp_path / "scores.parquet"
    assert main(["score", str(files["csv"]), *BASE, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Parquet files need pyarrow: pip install 'custloyalty[parquet]'" in err
    assert not out.exists()
    monkeypatch.setitem(sys.modules, "yaml", None)
    assert main(["score", str(files["csv"]), *BASE, "--config", str(files["yaml"])]) == 2
    assert "YAML configs need PyYAML" in capsys.readouterr().err


@pytest.mark.parametrize(("suffix", "writer"), [(".csv", "to_csv"), (".parquet", "to_parquet")])
def test_ctrl_c_while_writing_keeps_the_previous_output(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    suffix: str,
    writer: str,
) -> None:
    out = tmp_path / f"scores{suffix}"
    argv = ["score", str(files["csv"]), *BASE, "--observation-end", "1997-09-30", "-o", str(out)]
    assert main(argv) == 0
    good = out.read_bytes()
    original = getattr(pd.DataFrame, writer)

    def interrupted(self: pd.DataFrame, path: Path, *args: object, **kwargs: object) -> None:
        original(self.iloc[:100], path, *args, **kwargs)  # half a file, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, writer, interrupted)
    capsys.readouterr()
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert err == "custloyalty: interrupted; the file being written was left as it was\n"
    assert out.read_bytes() == good
    assert _leftovers(tmp_path) == []  # the temporary file is gone


def test_ctrl_c_while_fitting_exits_130(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from custloyalty.scorecard import LoyaltyScorecard

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(LoyaltyScorecard, "fit_score", interrupted)
    assert main(["score", str(files["csv"]), *BASE]) == 130
    assert capsys.readouterr().err.count("\n") == 1


def test_outputs_replace_atomically_and_keep_permissions(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import os

    out, state = tmp_path / "scores.csv.gz", tmp_path / "state.json"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o640)
    argv = ["score", str(files["csv"]), *BASE, "-o", str(out), "--save-state", str(state)]
    assert main(argv) == 0
    assert len(pd.read_csv(out, index_col=0)) == 2357  # compressed: the suffix was kept
    assert os.stat(out).st_mode & 0o777 == 0o640
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(state).st_mode & 0o777 == 0o666 & ~umask
    assert _leftovers(tmp_path) == []


# ------------------------------------------------------- the user's data as it is (issue 14)
@pytest.fixture(scope="module")
def text_ids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from custloyalty.datasets import make_transactions

    d = tmp_path_factory.mktemp("ids")
    tx = make_transactions(300, seed=4)
    tx["customer_id"] = tx["customer_id"].map("{:05d}".format)  # 00001, 00002, ...
    tx.to_csv(d / "tx.csv", index=False)
    sv = make_survey(100, seed=4, customer_ids=tx["customer_id"].unique())
    sv.to_csv(d / "surveys.csv", index=False)
    return {"dir": d, "tx": d / "tx.csv", "surveys": d / "surveys.csv"}


def test_ids_are_written_back_exactly(
    text_ids: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = text_ids["dir"] / "scores.csv"
    argv = ["score", str(text_ids["tx"]), "--surveys", str(text_ids["surveys"]), "-q"]
    assert main([*argv, "-o", str(out)]) == 0
    written = pd.read_csv(out, dtype={"customer_id": str})["customer_id"]
    given = pd.read_csv(text_ids["tx"], dtype=str)["customer_id"]
    assert set(written) == set(given)
    assert written.str.fullmatch(r"\d{5}").all()
    assert "00042" in set(written)
    printed = capsys.readouterr().out
    assert "respondents" in printed


def test_parquet_ids_and_csv_ids_meet_as_text(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    # integer ids from Parquet and text ids from a CSV survey file are the same customers
    out = files["dir"] / "mixed.csv"
    argv = ["score", str(files["parquet"]), "--surveys", str(files["surveys"]), *BASE]
    assert main([*argv, "--survey-customer", "cust", "-o", str(out)]) == 0
    table = pd.read_csv(out, index_col=0)
    assert table["answered_survey"].sum() > 0


@pytest.mark.parametrize("name", ["out.xlsx", "out.json", "out", "out.csv.bz2"])
def test_unknown_output_suffix_is_refused(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    name: str,
) -> None:
    _no_work(monkeypatch)
    out = tmp_path / name
    assert main(["score", str(files["csv"]), *BASE, "-o", str(out)]) == 2
    first, hint = capsys.readouterr().err.splitlines()
    assert first.startswith(f"custloyalty: error: cannot write --output {out}: ")
    assert "is not a table format" in first
    assert hint == "Hint: use one of .csv, .csv.gz, .tsv, .parquet, .pq."
    assert not out.exists()
    assert main(["score", str(files["csv"]), *BASE, "--save-state", str(tmp_path / "s.csv")]) == 2
    assert "Hint: use one of .json." in capsys.readouterr().err


@pytest.mark.parametrize(
    "value", ["01/06/1998", "30/06/1998", "06/30/1998", "June 1998", "1998-13-01", "1998/06/30"]
)
def test_observation_end_is_iso_8601_unless_a_format_is_given(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    value: str,
) -> None:
    _no_work(monkeypatch)
    assert main(["score", str(files["csv"]), *BASE, "--observation-end", value]) == 2
    first, hint = capsys.readouterr().err.splitlines()
    assert first == (
        f"custloyalty: error: --observation-end {value!r} is not an ISO 8601 date (YYYY-MM-DD)"
    )
    assert hint.startswith("Hint: write it as YYYY-MM-DD")
    assert "--date-format" in hint


def test_observation_end_in_the_given_format(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    d = files["dir"]
    tx = pd.read_csv(files["csv"], parse_dates=["day"])
    tx["day"] = tx["day"].dt.strftime("%d/%m/%Y")
    tx.to_csv(d / "dayfirst_end.csv", index=False)
    iso, dayfirst = d / "end_iso.csv", d / "end_dayfirst.csv"
    argv = ["score", str(files["csv"]), *BASE, "--observation-end", "1997-06-01"]
    assert main([*argv, "-o", str(iso)]) == 0
    argv = ["score", str(d / "dayfirst_end.csv"), *BASE, "--date-format", "%d/%m/%Y"]
    assert main([*argv, "--observation-end", "01/06/1997", "-o", str(dayfirst)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(dayfirst), pd.read_csv(iso))
    assert "observation_end                      1997-06-01" in capsys.readouterr().out
    # a date that fits neither the format nor ISO 8601
    assert main([*argv, "--observation-end", "1997/06/01"]) == 2
    assert "does not match --date-format '%d/%m/%Y'" in capsys.readouterr().err


def test_numbers_written_without_float_noise(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out_csv, out_pq = files["dir"] / "digits.csv", files["dir"] / "digits.parquet"
    argv = ["score", str(files["csv"]), *BASE, "--observation-end", "1998-06-30"]
    assert main([*argv, "-o", str(out_csv)]) == 0
    assert main([*argv, "-o", str(out_pq)]) == 0
    text = pd.read_csv(out_csv, dtype=str, index_col=0)
    exact = pd.read_parquet(out_pq)  # binary floats, every digit
    floats = [c for c in exact.columns if exact[c].dtype.kind == "f"]
    assert floats
    for col in floats:
        cells = text[col].dropna()
        digits = cells.str.replace(r"[-.]|e.*$", "", regex=True).str.lstrip("0")
        assert (digits.str.len() <= 10).all(), col
        np.testing.assert_allclose(
            cells.astype(float).to_numpy(), exact[col].dropna().to_numpy(), rtol=1e-9
        )
    # the documented precision
    assert "%.10g" in _help("score")


def _help(command: str) -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), pytest.raises(SystemExit):
        main([command, "--help"])
    return " ".join(buf.getvalue().split())


def test_hints_are_shown_and_name_cli_flags(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    tx = pd.read_csv(files["csv"]).rename(columns={"cust": "Customer_id", "day": "date"})
    tx.to_csv(tmp_path / "tx.csv", index=False)
    assert main(["score", str(tmp_path / "tx.csv"), "-q"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("custloyalty: error: Column 'customer_id' not found in ")
    assert (
        lines[1] == "Hint: did you mean 'Customer_id'? Give it with --customer-col 'Customer_id'."
    )
    assert main(["score", str(tmp_path / "tx.csv"), "--customer-col", "Customer_id", "-q"]) == 0
    capsys.readouterr()
    # the date advice names --date-format, not pd.to_datetime(..., format=...)
    tx["date"] = pd.to_datetime(tx["date"]).dt.strftime("%d/%m/%Y")
    tx.to_csv(tmp_path / "dayfirst.csv", index=False)
    assert main(["score", str(tmp_path / "dayfirst.csv"), "--customer-col", "Customer_id"]) == 2
    err = capsys.readouterr().err
    assert "Hint: " in err
    assert "pass --date-format '%d/%m/%Y'" in err
    assert "pd.to_datetime" not in err
    assert "keyword" not in err


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("x\nHint: survey_customer= names it", "x\nHint: --survey-customer-col names it"),
        ("Hint: pass date_format='%Y%m%d'.", "Hint: pass --date-format '%Y%m%d'."),
        ("Hint: set observation_end= later", "Hint: set --observation-end later"),
        ("Hint: pass nan_policy='omit' to drop these rows.", "Hint: remove these rows"),
    ],
)
def test_hint_keywords_become_flags(text: str, want: str) -> None:
    from custloyalty.cli import cli_message

    assert cli_message(text).startswith(want)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from custloyalty import __version__

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"custloyalty {__version__}\n"


@pytest.mark.filterwarnings("always")
def test_warnings_are_one_line_without_source_paths(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    from custloyalty.errors import ConvergenceWarning
    from custloyalty.scorecard import LoyaltyScorecard

    original = LoyaltyScorecard.fit_score

    def noisy(self: LoyaltyScorecard, *args: object, **kwargs: object) -> object:
        warnings.warn("the optimiser stopped\nafter 100 steps", ConvergenceWarning, stacklevel=1)
        warnings.warn("second", UserWarning, stacklevel=1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LoyaltyScorecard, "fit_score", noisy)
    assert main(["score", str(files["csv"]), *BASE]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "custloyalty: warning: ConvergenceWarning: the optimiser stopped after 100 steps",
        "custloyalty: warning: UserWarning: second",
    ]
    # the CLI's display is undone when main returns
    assert warnings.showwarning.__module__ == "warnings"


def test_progress_bar(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from custloyalty.scorecard import LoyaltyScorecard

    seen: dict[str, object] = {}
    original = LoyaltyScorecard.fit_score

    def fit_score(
        self: LoyaltyScorecard, tx: object, sv: object = None, *, progress: bool = False, **kw: Any
    ) -> object:
        seen["progress"] = progress
        return original(self, tx, sv, **kw)

    monkeypatch.setattr(LoyaltyScorecard, "fit_score", fit_score)
    argv = ["score", str(files["csv"]), "--customer", "cust", "--time", "day"]
    assert main([*argv, "--progress"]) == 0
    assert seen == {"progress": True}
    assert "custloyalty score" in capsys.readouterr().err  # the bar's title, on stderr
    seen.clear()
    assert main([*argv, "--progress", "-q"]) == 0  # quiet wins
    assert seen == {"progress": False}
    assert capsys.readouterr().err == ""
    assert main(argv) == 0  # stderr is not a terminal here: no bar
    assert seen == {"progress": False}
    assert "custloyalty score" not in capsys.readouterr().err


# ------------------------------------------------------------ interactions (issue 15)
@pytest.fixture(scope="module")
def interactions(files: dict[str, Path]) -> Path:
    tx = pd.read_csv(files["csv"])
    ids = tx["cust"].drop_duplicates().iloc[:50]
    rows = pd.DataFrame(
        {
            "cust": ids.to_numpy(),
            "date": "1997-05-01",
            "channel": "email",
            "kind": "email_open",
        }
    )
    path = files["dir"] / "interactions.csv"
    rows.to_csv(path, index=False)
    return path


def test_interactions_passed_to_the_scorecard(
    files: dict[str, Path],
    interactions: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from custloyalty.scorecard import LoyaltyScorecard

    seen: dict[str, Any] = {}
    original = LoyaltyScorecard.fit_score

    def fit_score(
        self: LoyaltyScorecard,
        tx: object,
        sv: object = None,
        *,
        interactions: Any = None,
        **kw: Any,
    ) -> object:
        seen["interactions"] = interactions
        return original(self, tx, sv, **kw)

    monkeypatch.setattr(LoyaltyScorecard, "fit_score", fit_score)
    assert main(["score", str(files["csv"]), *BASE, "--interactions", str(interactions)]) == 0
    got = seen["interactions"]
    assert isinstance(got, pd.DataFrame)
    assert len(got) == 50
    assert got["cust"].map(type).eq(str).all()  # ids as text, like the transactions'
    seen.clear()
    assert main(["score", str(files["csv"]), *BASE]) == 0
    assert seen == {"interactions": None}  # not passed when not given


def test_interactions_refused_by_a_scorecard_without_them(
    files: dict[str, Path],
    interactions: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from custloyalty.scorecard import LoyaltyScorecard

    def fit_score(self: LoyaltyScorecard, tx: object, sv: object = None, **kw: Any) -> object:
        raise AssertionError

    monkeypatch.setattr(LoyaltyScorecard, "fit_score", fit_score)
    # only keyword-only options: **kw is not a named 'interactions' parameter
    monkeypatch.setattr("custloyalty.cli._accepts", lambda func, name: name in ("observation_end",))
    assert main(["score", str(files["csv"]), *BASE, "--interactions", str(interactions)]) == 2
    assert "does not use interactions" in capsys.readouterr().err


def test_interactions_reach_the_engagement_indicator(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from custloyalty.datasets import make_interactions

    ids = pd.read_csv(files["csv"], dtype={"cust": str})["cust"].drop_duplicates()
    contacts = make_interactions(
        seed=4, customer_ids=ids.iloc[::2].to_numpy(), start="1997-07-01", days=365
    ).rename(columns={"customer_id": "contact"})
    contacts_csv = tmp_path / "contacts.csv"
    contacts.to_csv(contacts_csv, index=False)
    cfg = tmp_path / "card.toml"
    cfg.write_text(
        'indicators = ["purchase_days", "days_since_last_purchase", "engagement"]\n'
        'weighting = "equal"\n',
        encoding="utf-8",
    )
    out = tmp_path / "scores.csv"
    state = tmp_path / "card.json"
    argv = [
        "score",
        str(files["csv"]),
        *BASE,
        "--interactions",
        str(contacts_csv),
        "--interaction-customer-col",
        "contact",
        "--observation-end",
        "1998-06-30",
    ]
    assert main([*argv, "--config", str(cfg), "-o", str(out), "--save-state", str(state)]) == 0
    assert "engagement 0.333" in capsys.readouterr().out
    table = pd.read_csv(out, dtype={"cust": str}).set_index("cust")
    interacted = table.index.isin(contacts["contact"].astype(str))
    assert interacted.sum() == contacts["contact"].nunique()
    assert table.loc[interacted, "engagement"].between(0, 100).all()
    assert table.loc[~interacted, "engagement"].isna().all()  # did not interact
    assert (table.loc[~interacted, "contrib_engagement"] == 0).all()
    # a saved state scores without interactions: engagement missing for all, not an error
    again = tmp_path / "again.csv"
    load = ["score", str(files["csv"]), *BASE, "--load-state", str(state), "-o", str(again)]
    assert main([*load, "--observation-end", "1998-06-30"]) == 0
    assert pd.read_csv(again)["engagement"].isna().all()
    # the default scorecard uses engagement when interactions are given
    capsys.readouterr()
    assert main(argv) == 0
    weights = capsys.readouterr().out.split("weights: ")[1]
    assert "engagement" in weights
    assert main(["score", str(files["csv"]), *BASE, "--observation-end", "1998-06-30"]) == 0
    assert "engagement" not in capsys.readouterr().out


def test_interaction_id_column_hint_names_its_flag(
    files: dict[str, Path], interactions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["score", str(files["csv"]), *BASE, "--interactions", str(interactions)]
    assert main([*argv, "--interaction-customer-col", "Cust"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("custloyalty: error: Column 'Cust' not found in interactions")
    assert err[1] == "Hint: did you mean 'cust'? Give it with --interaction-customer-col 'cust'."


# ------------------------------------------------------------------- report (issue 14)
class FakeReport:
    """Stands in for custloyalty.report (built on another branch)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.interrupt = False

    def write_report(
        self,
        path: Any,
        transactions: Any,
        surveys: Any = None,
        *,
        interactions: Any = None,
        scorecard: Any = None,
        observation_end: Any = None,
        date_format: str | None = None,
        progress: bool = False,
    ) -> Path:
        self.calls.append(
            {
                "path": Path(path),
                "transactions": transactions,
                "surveys": surveys,
                "interactions": interactions,
                "scorecard": scorecard,
                "observation_end": observation_end,
                "date_format": date_format,
                "progress": progress,
            }
        )
        Path(path).write_text("<html>" + "x" * 1000, encoding="utf-8")
        if self.interrupt:
            raise KeyboardInterrupt
        Path(path).write_text("<html>report</html>", encoding="utf-8")
        return Path(path)


@pytest.fixture
def fake_report(monkeypatch: pytest.MonkeyPatch) -> FakeReport:
    import types

    fake = FakeReport()
    module = types.ModuleType("custloyalty.report")
    module.write_report = fake.write_report  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "custloyalty.report", module)
    return fake


def test_report_command(
    files: dict[str, Path],
    interactions: Path,
    fake_report: FakeReport,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    out = tmp_path / "report.html"
    argv = [
        "report",
        str(files["csv"]),
        "--surveys",
        str(files["surveys"]),
        "--interactions",
        str(interactions),
        "--config",
        str(files["toml"]),
        "--customer-col",
        "cust",
        "--time-col",
        "day",
        "--survey-customer-col",
        "cust",
        "--observation-end",
        "1998-06-30",
        "-o",
        str(out),
    ]
    assert main(argv) == 0
    assert out.read_text(encoding="utf-8") == "<html>report</html>"
    assert _leftovers(tmp_path) == []
    (call,) = fake_report.calls
    assert call["path"] != out  # written beside it, then moved into place
    assert call["path"].parent == tmp_path
    assert call["path"].name.endswith(".html")
    assert call["transactions"]["cust"].map(type).eq(str).all()
    assert len(call["surveys"]) == 400
    assert len(call["interactions"]) == 50
    card = call["scorecard"]
    cfg = card.config  # the settings live on the scorecard's checked config
    assert (cfg.customer, cfg.time, cfg.survey_customer) == ("cust", "day", "cust")
    assert cfg.interaction_customer == "cust"  # follows --customer-col when not given
    assert cfg.weighting == "critic"  # from the config file
    assert call["observation_end"] == pd.Timestamp("1998-06-30")
    assert call["date_format"] is None
    assert call["progress"] is False
    assert f"wrote the report to {out}" in capsys.readouterr().err


def test_report_errors_and_ctrl_c(
    files: dict[str, Path],
    fake_report: FakeReport,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    base = ["report", str(files["csv"]), "--customer-col", "cust", "--time-col", "day", "-q"]
    # the output suffix, an input as output, the observation end
    assert main([*base, "-o", str(tmp_path / "report.pdf")]) == 2
    assert "Hint: use one of .html, .htm." in capsys.readouterr().err
    link = tmp_path / "tx.html"
    link.symlink_to(files["csv"])
    assert main([*base, "-o", str(link)]) == 2
    assert "it is the transactions file" in capsys.readouterr().err
    out = tmp_path / "report.html"
    assert main([*base, "--observation-end", "30/06/1998", "-o", str(out)]) == 2
    assert not fake_report.calls
    # Ctrl-C in the middle of the report: the previous report stays
    out.write_text("previous report", encoding="utf-8")
    fake_report.interrupt = True
    capsys.readouterr()
    assert main([*base, "-o", str(out)]) == 130
    assert capsys.readouterr().err.count("\n") == 1
    assert out.read_text(encoding="utf-8") == "previous report"
    assert _leftovers(tmp_path) == []
    # matplotlib missing: said before any work
    fake_report.calls.clear()
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main([*base, "-o", str(out)]) == 2
    assert "the HTML report needs matplotlib" in capsys.readouterr().err
    assert not fake_report.calls


def test_report_without_the_report_module(
    files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setitem(sys.modules, "custloyalty.report", None)
    argv = ["report", str(files["csv"]), *BASE, "-o", str(tmp_path / "r.html")]
    assert main(argv) == 2
    assert "cannot write the report" in capsys.readouterr().err


def test_report_command_writes_the_real_report(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # no stand-in: the CLI reads the files (ids as text, the scorecard's column names from the
    # flags, the config's tiers) and custloyalty.report scores them and writes the page
    import re

    out = tmp_path / "report.html"
    argv = [
        "report",
        str(files["csv"]),
        "--surveys",
        str(files["surveys"]),
        "--config",
        str(files["toml"]),
        "--customer-col",
        "cust",
        "--time-col",
        "day",
        "--survey-customer-col",
        "cust",
        "--observation-end",
        "1998-06-30",
        "-q",
        "-o",
        str(out),
    ]
    assert main(argv) == 0, capsys.readouterr().err
    assert _leftovers(tmp_path) == []
    page = out.read_text(encoding="utf-8")
    sections = re.findall(r'<section id="([^"]+)"', page)
    assert sections == [
        "headline",
        "composite",
        "weights",
        "recommendation",
        "drivers",
        "retention",
        "survival",
        "rfm",
        "value",
        "value_potential",
        "models",
        "data_quality",
        "method",
    ]  # no migration: the command has no previous period
    assert "2,357 customers, 1997-01-01 to 1998-06-30" in page  # the CDNOW sample, all of it
    assert "400 survey answers from 400 scored customers" in page  # text ids met text ids
    # the config's scorecard is the one described
    assert "Tiers by share of customers, best first: Gold 20%, Silver 30%, Bronze 50%." in page
    assert "Weighting: critic;" in page
    # every figure but the churn model's P(alive) matrix: the config scores no churn indicator
    assert page.count("<svg") == 12
    assert "P(alive)" not in page
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page)  # nothing from the network


def test_report_progress_shows_one_bar_at_a_time(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = ["report", str(files["csv"]), "--customer", "cust", "--time", "day", "--progress"]
    assert main([*argv, "-o", str(tmp_path / "r.html")]) == 0
    err = capsys.readouterr().err
    assert "custloyalty report: read" in err  # reading the files
    assert "\rreport: " in err  # then the report's own bar (sections)
    assert "\x1b[A" not in err  # no bar drawn inside another


def test_semicolon_files_folders_and_bad_date_formats(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tx = pd.read_csv(files["csv"]).head(800)
    tx.to_csv(tmp_path / "comma.csv", index=False)
    tx.to_csv(tmp_path / "semi.csv", index=False, sep=";")  # a spreadsheet's export
    argv = ["score", "--customer-col", "cust", "--time-col", "day", "-q"]
    assert main([*argv, str(tmp_path / "comma.csv"), "-o", str(tmp_path / "a.csv")]) == 0
    assert main([*argv, str(tmp_path / "semi.csv"), "-o", str(tmp_path / "b.csv")]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    capsys.readouterr()
    assert main(["score", str(tmp_path), "-q"]) == 2
    assert f"transactions file {tmp_path} is a folder, not a file" in capsys.readouterr().err
    assert main([*argv, str(files["csv"]), "--date-format", "%Q"]) == 2
    assert "--date-format '%Q' is not a valid date format" in capsys.readouterr().err


def test_aware_timestamps_with_an_observation_end_day(
    files: dict[str, Path], tmp_path: Path
) -> None:
    tx = pd.read_parquet(files["parquet"]).head(800)
    tx.to_parquet(tmp_path / "naive.parquet")
    tx.assign(day=pd.to_datetime(tx["day"]).dt.tz_localize("UTC")).to_parquet(
        tmp_path / "tz.parquet"
    )
    argv = ["score", "--customer-col", "cust", "--time-col", "day", "-q"]
    argv += ["--observation-end", "1997-06-30"]
    assert main([*argv, str(tmp_path / "naive.parquet"), "-o", str(tmp_path / "a.csv")]) == 0
    assert main([*argv, str(tmp_path / "tz.parquet"), "-o", str(tmp_path / "b.csv")]) == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


# ------------------------------------------------------------ config files read as written
def test_config_reader_bom_duplicates_sections_and_empty_files(tmp_path: Path) -> None:
    from custloyalty.cli._files import read_config
    from custloyalty.errors import CustLoyaltyWarning, ValidationError

    def cfg(name: str, text: str) -> str:
        (tmp_path / name).write_text(text, encoding="utf-8")
        return str(tmp_path / name)

    # a byte-order mark (Windows editors) is skipped, in TOML and JSON alike
    assert read_config(cfg("bom.toml", "\ufeffweighting = 'equal'\n")) == {"weighting": "equal"}
    assert read_config(cfg("bom.json", '\ufeff{"seed": 1}')) == {"seed": 1}
    # a key given twice would be last-wins in JSON and YAML: refused, like TOML does
    with pytest.raises(ValidationError, match=r"'seed' is given twice\nHint: keep one value"):
        read_config(cfg("dup.json", '{"seed": 1, "seed": 2}'))
    with pytest.raises(ValidationError, match="'seed' is given twice"):
        read_config(cfg("dup.yaml", "seed: 1\nseed: 2\n"))
    # settings beside a [scorecard] section would be ignored: refused, naming them
    with pytest.raises(ValidationError, match=r"\['tiers'\] lie outside the 'scorecard'"):
        read_config(cfg("s.toml", "[scorecard]\nseed = 1\n[tiers]\nlabels = ['A', 'B']\n"))
    # an empty file: the defaults, with a warning, whatever the format
    for name in ("e.toml", "e.json", "e.yaml"):
        with pytest.warns(CustLoyaltyWarning, match="holds no setting"):
            assert read_config(cfg(name, " \n")) == {}
    # a TOML file with another suffix is read as JSON: the hint says how to name it
    with pytest.raises(ValidationError, match=r"not valid JSON.*\nHint: name a TOML config"):
        read_config(cfg("c.conf", "seed = 1\n"))


@pytest.mark.parametrize("flag", ["-o", "--surveys", "--config", "--save-state", "--load-state"])
def test_empty_file_arguments_are_refused(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], flag: str
) -> None:
    # -o "$OUT" with OUT unset used to exit 0 without writing (or reading) anything
    with pytest.raises(SystemExit) as exc:
        main(["score", str(files["csv"]), flag, "", "-q"])
    assert exc.value.code == 2
    assert "an empty file name was given" in capsys.readouterr().err


def test_config_with_load_state_is_refused_and_later_windows_named(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cols = ["--customer", "cust", "--time", "day", "-q"]
    tx = pd.read_csv(files["csv"])
    tx[tx["day"] <= "1997-06-30"].to_csv(tmp_path / "early.csv", index=False)
    tx[tx["day"] > "1997-06-30"].to_csv(tmp_path / "late.csv", index=False)
    state = str(tmp_path / "s.json")
    assert main(["score", str(tmp_path / "early.csv"), *cols, "--save-state", state]) == 0
    capsys.readouterr()
    argv = ["score", str(files["csv"]), *cols, "--load-state", state]
    assert main([*argv, "--config", str(files["toml"])]) == 2
    assert "would be ignored: a scorecard loaded with --load-state" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "late.csv"), *cols, "--load-state", state]) == 2
    err = capsys.readouterr().err
    assert "every transaction falls after 1997-06-30, the end of the window" in err
    assert "pass --observation-end YYYY-MM-DD" in err

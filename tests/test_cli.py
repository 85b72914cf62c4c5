"""Command line: custloyalty score / demo, one-line errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

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
    assert "[1/5" in printed.err  # progress on stderr
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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["score", "nope.csv"], "transactions file not found: nope.csv"),
        (["score", "{csv}"], "'customer_id'"),
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
            "cannot write output file {d}/no/dir/out.csv",
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
    assert err.count("\n") == 1
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

"""Command line: custloyalty score / demo, one-line errors."""

from __future__ import annotations

import json
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
    return {
        "dir": d,
        "csv": d / "tx.csv",
        "parquet": d / "tx.parquet",
        "surveys": d / "surveys.csv",
        "toml": d / "card.toml",
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
    ],
)
def test_errors_are_one_line_without_traceback(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    argv = [a.format(csv=files["csv"], toml=files["toml"]) for a in argv]
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

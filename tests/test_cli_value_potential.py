"""The CLI's score command with value x potential tiers (columns, summary, saved state)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from custloyalty.cli import main
from custloyalty.datasets import load_cdnow


def test_score_writes_the_value_potential_columns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    load_cdnow("sample").to_csv(tmp_path / "tx.csv", index=False)
    (tmp_path / "card.toml").write_text(
        'indicators = ["purchase_days", "total_spend"]\n[value_potential]\nlevels = 3\n',
        encoding="utf-8",
    )
    out, state = tmp_path / "scores.csv", tmp_path / "state.json"
    argv = ["score", str(tmp_path / "tx.csv"), "--config", str(tmp_path / "card.toml")]
    argv += ["--observation-end", "1997-09-30", "-o", str(out), "--save-state", str(state)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "value_potential_counts" in printed
    assert "high/high" in printed
    table = pd.read_csv(out, index_col=0)
    for col in ("potential", "value_level", "potential_level", "action"):
        assert col in table.columns
    assert set(table["value_level"]) == {"low", "medium", "high"}
    saved = json.loads(state.read_text(encoding="utf-8"))
    assert len(saved["fitted"]["value_potential"]["grid"]["fitted_value_thresholds"]) == 2
    # the saved state scores a later batch into the same cells
    out2 = tmp_path / "again.csv"
    argv2 = ["score", str(tmp_path / "tx.csv"), "--load-state", str(state)]
    argv2 += ["--observation-end", "1997-09-30", "-o", str(out2)]
    assert main(argv2) == 0
    again = pd.read_csv(out2, index_col=0)
    pd.testing.assert_frame_equal(again, table)


def test_score_without_value_potential_has_no_such_columns(tmp_path: Path) -> None:
    load_cdnow("sample").to_csv(tmp_path / "tx.csv", index=False)
    out = tmp_path / "scores.csv"
    argv = ["score", str(tmp_path / "tx.csv"), "--observation-end", "1997-09-30", "-o", str(out)]
    assert main(argv) == 0
    assert "action" not in pd.read_csv(out, index_col=0).columns

"""Progress bars on long work: silent by default, a bar on standard error when asked."""

from __future__ import annotations

import pytest

from custloyalty import rfm_summary
from custloyalty.datasets import load_cdnow, load_ecsi, make_programme
from custloyalty.metrics import pls_path_model
from custloyalty.programme import programme_effect

BLOCKS = {"IMAG": ["imag1", "imag2", "imag3"], "SAT": ["sat1", "sat2", "sat3"]}


def test_rfm_summary_progress(capsys: pytest.CaptureFixture[str]) -> None:
    tx = load_cdnow("sample")
    quiet = rfm_summary(tx, observation_end="1998-06-30")
    assert capsys.readouterr().err == ""
    loud = rfm_summary(tx, observation_end="1998-06-30", progress=True)
    assert "rfm_summary" in capsys.readouterr().err
    assert loud.equals(quiet)


def test_bootstrap_progress(capsys: pytest.CaptureFixture[str]) -> None:
    survey = load_ecsi("satisfaction")
    pls_path_model(survey, paths={"SAT": ["IMAG"]}, blocks=BLOCKS, bootstrap=20, seed=1)
    assert capsys.readouterr().err == ""
    pls_path_model(
        survey, paths={"SAT": ["IMAG"]}, blocks=BLOCKS, bootstrap=20, seed=1, progress=True
    )
    assert "pls_path_model bootstrap" in capsys.readouterr().err
    data = make_programme(400, lift=0.3, seed=2)
    programme_effect(
        data.transactions,
        data.members,
        launch=data.launch,
        observation_end=data.observation_end,
        pre_days=data.pre_days,
        n_boot=60,
        seed=1,
        progress=True,
    )
    assert "programme_effect bootstrap" in capsys.readouterr().err

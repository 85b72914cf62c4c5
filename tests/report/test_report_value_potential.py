"""The report's value x potential section reads the scorecard's own tiers when it has them."""

from __future__ import annotations

import pandas as pd
import pytest

from custloyalty.datasets import make_transactions
from custloyalty.report import build_report, render
from custloyalty.scorecard import LoyaltyScorecard
from custloyalty.segmentation import value_potential_tiers


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return make_transactions(800, seed=11)


def _section(text: str) -> str:
    return text.split('<section id="value_potential"')[1].split("</section>")[0]


def test_the_section_uses_the_results_tiers(tx: pd.DataFrame, monkeypatch) -> None:
    import custloyalty.plotting
    import custloyalty.segmentation

    card = LoyaltyScorecard(["purchase_days", "total_spend", "clv"]).fit(tx)
    res = card.score(tx)

    def refit(*args: object, **kwargs: object) -> None:  # the fallback must not run
        raise AssertionError

    drawn: list[object] = []
    plot = custloyalty.plotting.plot_value_potential

    def spy(vp: object, **kwargs: object) -> object:
        drawn.append(vp)
        return plot(vp, **kwargs)

    monkeypatch.setattr(custloyalty.segmentation, "value_potential_tiers", refit)
    monkeypatch.setattr(custloyalty.plotting, "plot_value_potential", spy)
    body = _section(render(res, transactions=tx, scorecard=card, sections=["value_potential"]))
    assert "every scored customer (800)" in body
    assert "quantiles of the customers the scorecard was fitted on" in body
    assert body.count("<svg") == 1
    # the grid drawn is the result's own
    assert len(drawn) == 1
    pd.testing.assert_frame_equal(drawn[0].counts, res.summary.value_potential_table())


def test_without_tiers_the_section_refits(tx: pd.DataFrame) -> None:
    card = LoyaltyScorecard(["purchase_days", "total_spend"])
    body = _section(build_report(tx, scorecard=card))
    assert "800 customers" in body
    assert "split at the medians" in body
    ref = value_potential_tiers(tx)
    assert str(int(ref.counts.loc["high", "high"])) in body

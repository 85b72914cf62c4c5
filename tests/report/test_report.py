"""Tests of the HTML report: content, self-containment, atomic writing, the section registry."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from custloyalty.datasets import make_survey, make_transactions
from custloyalty.errors import ValidationError
from custloyalty.report import (
    available_sections,
    build_report,
    customer_columns,
    figure_svg,
    figures,
    remove_section,
    render,
    section,
    write_report,
)
from custloyalty.scorecard import LoyaltyScorecard

SECTIONS = [
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
    "migration",
    "over_time",
    "programme",
    "models",
    "data_quality",
    "method",
]


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    tx = make_transactions(800, seed=11)
    sv = make_survey(300, seed=7, customer_ids=tx["customer_id"].unique())
    return tx, sv


@pytest.fixture(scope="module")
def fitted(data: tuple[pd.DataFrame, pd.DataFrame]) -> LoyaltyScorecard:
    tx, sv = data
    return LoyaltyScorecard().fit(tx, sv)


@pytest.fixture(scope="module")
def result(data: tuple[pd.DataFrame, pd.DataFrame], fitted: LoyaltyScorecard) -> object:
    tx, sv = data
    return fitted.score(tx, sv)


@pytest.fixture(scope="module")
def page(data: tuple[pd.DataFrame, pd.DataFrame]) -> str:
    tx, sv = data
    return build_report(tx, sv)


def _section_ids(text: str) -> list[str]:
    return re.findall(r'<section id="([^"]+)"', text)


def test_sections_in_order() -> None:
    assert available_sections() == SECTIONS


OPTIONAL = ("migration", "over_time", "programme")  # shown only when their input is given


def test_report_has_every_section_but_migration(page: str) -> None:
    assert _section_ids(page) == [s for s in SECTIONS if s not in OPTIONAL]
    assert page.startswith("<!DOCTYPE html>")
    for label in ("Net Promoter Score", "Satisfaction index", "Churn risk", "Repeat-purchase rate"):
        assert label in page
    assert page.count("95% CI") == 5


def test_report_is_self_contained(page: str) -> None:
    # nothing that could make the browser fetch: no script, link, external src/href or @import
    assert "<script" not in page
    assert "<link" not in page
    assert "@import" not in page
    refs = re.findall(r'(?:src|href|xlink:href)="([^"]+)"', page)
    assert refs
    assert all(r.startswith(("#", "data:")) for r in refs), set(refs)
    assert "url(http" not in page
    assert "Content-Security-Policy" in page


def test_figures_summarise(
    data: tuple[pd.DataFrame, pd.DataFrame], fitted: LoyaltyScorecard, page: str
) -> None:
    """The page does not grow with the customers: figures hold bins, cells and tiers."""
    tx, sv = data
    small = build_report(tx[tx["customer_id"] <= 250], sv, scorecard=fitted)
    big = page
    assert len(big) < 1.3 * len(small)
    assert big.count("<svg") == small.count("<svg")


def test_kpis_match_the_data(
    data: tuple[pd.DataFrame, pd.DataFrame], result: object, page: str
) -> None:
    from custloyalty.metrics import nps

    _tx, sv = data
    cust, _ = customer_columns(result)
    expected = nps(sv["recommend"]).score
    assert f"{expected:+.1f}" in page
    assert f"{cust['total_spend'].mean():,.2f}" in page
    assert f"{(cust['purchase_days'] > 1).mean():.1%}" in page


def test_write_report_is_atomic(tmp_path: Path, data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tx, _ = data
    out = write_report(tmp_path / "r.html", tx[tx["customer_id"] <= 300])
    assert out == tmp_path / "r.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]  # no temp file left
    text = out.read_text(encoding="utf-8")
    assert "recommendation" not in _section_ids(text)  # no surveys, no NPS section
    with pytest.raises(ValidationError, match="does not exist"):
        write_report(tmp_path / "missing" / "r.html", tx)


def test_failed_write_leaves_old_file(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(ValidationError):
        write_report(target, pd.DataFrame({"customer_id": [1], "date": ["x"], "amount": [1.0]}))
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_caller_data_unchanged_and_date_format(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    tx, _sv = data
    small = tx[tx["customer_id"] <= 300].copy()
    small["date"] = small["date"].dt.strftime("%d/%m/%Y")
    before = small.copy()
    text = build_report(small, date_format="%d/%m/%Y")
    pd.testing.assert_frame_equal(small, before)
    assert '<section id="survival">' in text


def test_previous_period_adds_migration(
    data: tuple[pd.DataFrame, pd.DataFrame], fitted: LoyaltyScorecard
) -> None:
    tx, sv = data
    end = tx["date"].max()
    prev = tx[tx["date"] <= end - pd.Timedelta(days=180)]
    text = build_report(tx, sv, previous=prev, scorecard=fitted)
    assert "migration" in _section_ids(text)
    assert "moved up" in text
    with pytest.raises(ValidationError, match="previous must be"):
        build_report(tx, previous=[1, 2], scorecard=fitted)


def test_render_existing_result(
    data: tuple[pd.DataFrame, pd.DataFrame], fitted: LoyaltyScorecard, result: object
) -> None:
    tx, sv = data
    full = render(result, transactions=tx, surveys=sv, scorecard=fitted, sections=["retention"])
    assert _section_ids(full) == ["retention"]
    text = render(result)  # the result alone: the transaction sections are left out
    ids = _section_ids(text)
    assert ids[:3] == ["headline", "composite", "weights"]
    assert "retention" not in ids
    assert "survival" not in ids
    only = render(result, sections=["headline", "method"])
    assert _section_ids(only) == ["headline", "method"]
    with pytest.raises(ValidationError, match="Unknown report sections"):
        render(result, sections=["nope"])


def test_registry_adds_one_function(result: object) -> None:
    @section("extra", "An extra section", after="weights")
    def extra(ctx: object) -> str:
        return "<p>extra body</p>"

    try:
        ids = available_sections()
        assert ids[ids.index("weights") + 1] == "extra"
        text = render(result, sections=["weights", "extra"])
        assert _section_ids(text) == ["weights", "extra"]
        assert "extra body" in text
        with pytest.raises(ValidationError, match="after='nope'"):
            section("x", "X", after="nope")(extra)
    finally:
        remove_section("extra")
    assert "extra" not in available_sections()


def test_extension_api_refuses_what_it_cannot_use(result: object) -> None:
    # a typo in an id, a non-callable or a mistyped size was accepted silently (remove_section
    # of a misspelt id removed nothing; a section id "a b<" went into the page's anchors) or
    # ended in matplotlib's or Python's own exception; a section returning a number was printed
    with pytest.raises(ValidationError, match="'headlin' is not a registered section") as err:
        remove_section("headlin")
    assert "did you mean 'headline'" in str(err.value)
    with pytest.raises(ValidationError, match="did you mean 'value'"):
        section("x1", "X", after="valu")(lambda ctx: "")
    with pytest.raises(ValidationError, match="did you mean 'headline'"):
        render(result, sections=["headlin"])
    for bad_id in ("", "a b<", 3, "1st"):
        with pytest.raises(ValidationError, match="'id' parameter of section"):
            section(bad_id, "X")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'title' parameter of section"):
        section("x2", None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="decorated object must be a function"):
        section("x3", "X")(3)  # type: ignore[arg-type]
    assert not {"x1", "x2", "x3"} & set(available_sections())
    draw = lambda ax: ax.plot([0, 1])  # noqa: E731
    with pytest.raises(ValidationError, match="'draw' parameter of figure_svg"):
        figure_svg(3)  # type: ignore[arg-type]
    for size in (0, -1.0, float("nan"), float("inf"), True, "wide"):
        with pytest.raises(ValidationError, match="'width' parameter of figure_svg"):
            figure_svg(draw, width=size)  # type: ignore[arg-type]
        with pytest.raises(ValidationError, match="'height' parameter of figure_svg"):
            figure_svg(draw, height=size)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="'label' parameter of figure_svg"):
        figure_svg(draw, label=None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="argument 2 is a int"):
        figures("<svg></svg>", 3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="customer_columns needs a ScorecardResult"):
        customer_columns(3)
    for returned in (3, b"<p>x</p>", ["<p>x</p>"]):

        @section("odd", "Odd")
        def odd(ctx: object, returned: object = returned) -> object:
            return returned

        try:
            with pytest.raises(ValidationError, match="Report section 'odd' returned"):
                render(result, sections=["odd"])
        finally:
            remove_section("odd")


def test_adapter_reads_old_and_new_names() -> None:
    idx = pd.Index([1, 2], name="customer_id")
    old = pd.DataFrame(
        {
            "frequency": [1.0, 3.0],
            "monetary": [5.0, 9.0],
            "recency": [3.0, 1.0],
            "churn": [0.5, 0.1],
        },
        index=idx,
    )
    new = old.rename(
        columns={
            "frequency": "purchase_days",
            "monetary": "total_spend",
            "recency": "days_since_last_purchase",
            "churn": "churn_risk",
        }
    )
    typed = SimpleNamespace(to_dict=lambda: {"customers": 2})
    a, sa = customer_columns(SimpleNamespace(customers=old, summary={"customers": 2}))
    b, sb = customer_columns(SimpleNamespace(customers=new, summary=typed))
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == [
        "purchase_days",
        "total_spend",
        "days_since_last_purchase",
        "churn_risk",
    ]
    assert sa == sb == {"customers": 2}


def test_progress_bar(
    data: tuple[pd.DataFrame, pd.DataFrame],
    fitted: LoyaltyScorecard,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tx, _ = data
    small = tx[tx["customer_id"] <= 200]
    build_report(small, scorecard=fitted, progress=True)
    err = capsys.readouterr().err
    assert "report" in err
    build_report(small, scorecard=fitted)
    assert capsys.readouterr().err == ""


def test_interactions_counted(
    data: tuple[pd.DataFrame, pd.DataFrame], fitted: LoyaltyScorecard
) -> None:
    tx, _ = data
    inter = pd.DataFrame(
        {"customer_id": [1, 2], "date": ["2020-01-02", "2020-01-03"], "kind": ["visit"] * 2}
    )
    text = build_report(tx[tx["customer_id"] <= 200], interactions=inter, scorecard=fitted)
    assert "2 interaction rows given" in text


def test_value_potential_summarised(page: str) -> None:
    """The value x potential grid: one cell per level pair, never one mark per customer."""
    body = page.split('<section id="value_potential"')[1].split("</section>")[0]
    assert body.count("<svg") == 1
    assert "retain" in body
    assert "customers" in body


def test_value_potential_sampled(
    data: tuple[pd.DataFrame, pd.DataFrame], result: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custloyalty.report import _sections

    tx, _sv = data
    monkeypatch.setattr(_sections, "VALUE_POTENTIAL_SAMPLE", 300)
    text = render(result, transactions=tx, sections=["value_potential"])
    assert "a random sample of 300 of the 800 customers" in text


def test_over_time_and_programme_sections(
    data: tuple[pd.DataFrame, pd.DataFrame], fitted: LoyaltyScorecard
) -> None:
    from custloyalty.datasets import make_programme
    from custloyalty.monitoring import evaluate_over_time
    from custloyalty.programme import programme_effect

    tx, sv = data
    card = LoyaltyScorecard(
        ["purchase_days", "total_spend", "days_since_last_purchase"], weighting="equal"
    )
    over = evaluate_over_time(tx, scorecard=card, period="Y")
    prog_data = make_programme(400, lift=0.3, seed=1)
    prog = programme_effect(
        prog_data.transactions,
        prog_data.members,
        launch=prog_data.launch,
        observation_end=prog_data.observation_end,
        n_boot=50,
        seed=0,
    )
    result = fitted.score(tx, sv)
    text = render(result, over_time=over, programme=prog, sections=["over_time", "programme"])
    assert _section_ids(text) == ["over_time", "programme"]
    assert text.count("<svg") == 2
    for period in over.kpis.index:
        assert str(period) in text
    assert "placebo" in text
    assert f"{float(prog.effects.loc['frequency', 'estimate']):.3f}" in text
    # build_report passes them on too
    page = build_report(tx, scorecard=fitted, over_time=over, programme=prog)
    assert {"over_time", "programme"} <= set(_section_ids(page))


def test_method_names_each_indicators_normalisation_and_direction(page: str) -> None:
    """The method table reads the fitted normalisers (objects since the scorecard split)."""
    method = page[page.index('<section id="method"') :]
    method = method[: method.index("</section>")]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th><td>([^<]*)</td><td>([^<]*)</td>', method)
    tab = {name: (direction, norm) for name, direction, norm in rows}
    assert set(tab) >= {"purchase_days", "days_since_last_purchase", "churn_risk"}
    assert {norm for _, norm in tab.values()} == {"percentile"}
    assert tab["days_since_last_purchase"][0] == "lower"
    assert tab["churn_risk"][0] == "lower"
    assert tab["purchase_days"][0] == "higher"


def test_objects_of_the_wrong_kind_are_refused_before_any_work(tmp_path: Path) -> None:
    tx = make_transactions(30, seed=1)
    for name in ("scorecard", "over_time", "programme"):
        with pytest.raises(ValidationError, match=f"The '{name}' parameter of build_report"):
            build_report(tx, **{name: 5})
    with pytest.raises(ValidationError, match="render needs a ScorecardResult"):
        render(5)
    with pytest.raises(ValidationError, match="'path' parameter of write_report"):
        write_report(5, tx)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="it is a folder"):
        write_report(tmp_path, tx)


def test_report_of_aware_timestamps() -> None:
    tx = make_transactions(30, seed=1)
    naive = render(LoyaltyScorecard(["frequency", "monetary"]).fit_score(tx), transactions=tx)
    aware = tx.assign(date=tx["date"].dt.tz_localize("Asia/Tokyo"))
    page = build_report(aware, scorecard=LoyaltyScorecard(["frequency", "monetary"]))
    assert page.count("<section") == naive.count("<section")


def test_data_quality_names_unmatched_survey_answers_only_when_there_are_some(
    data: tuple[pd.DataFrame, pd.DataFrame], fitted: LoyaltyScorecard, result: object
) -> None:
    tx, sv = data
    kwargs = {"transactions": tx, "scorecard": fitted, "sections": ["data_quality"]}
    matched = render(result, surveys=sv, **kwargs)
    assert "300 survey answers from" in matched
    assert "without transactions" not in matched  # "0 survey answers ... left out" before
    stranger = sv.iloc[:2].assign(customer_id=[10**9, 10**9 + 1])
    page = render(result, surveys=pd.concat([sv, stranger], ignore_index=True), **kwargs)
    assert "2 survey answers without transactions" in page

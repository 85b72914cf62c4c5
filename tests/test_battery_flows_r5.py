"""A hostile battery of the flows users run end to end (issue 13, "done when"), round 5.

Round 2 (``test_battery_flows``) ran the command line with its config files, the service
pattern, threads, plugins and the report on odd data. This round tries what it did not:

- the command line on odd files: byte-order marks, Latin-1, semicolon / pipe separators,
  decimal commas, quoted fields holding separators and newlines, huge fields, a header naming a
  column twice, Parquet with tz-aware dates, categorical / dictionary / float / decimal
  columns, several column levels; outputs that are symbolic links (to an input, to another
  file, dangling), read-only files, the same path as an input or another output; state files
  with a byte-order mark, a key given twice or cut short; ``--interactions`` no indicator
  uses; config values of the wrong type in every nested block;
- the saved state edited by hand, key by key (``tiers``, ``imputation``, ``n_customers``,
  normaliser directions, weights, thresholds, model states);
- the report API: ``title`` and ``progress`` of the wrong type, a plugin section raising a
  stray exception, surveys whose ids match no customer, outputs that are links or read-only;
- the service pattern with column dtypes other than at fit time (text / float / categorical
  ids, text amounts and dates, pyarrow and nullable dtypes).

A case passes when its outcome is acceptable and exact: the right result (against the
equivalent plain call or an independent computation), our own error naming the flag, key,
column or parameter (with a hint where the fix is known), or the right result with a warning
saying why it is suspicious. A traceback, a silently ignored setting, a silently lost join, a
lost, replaced or half-written file or a modified caller table fails it.
"""

from __future__ import annotations

import copy
import json
import os
import stat
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from _battery import Err, Num, cli, run_case
from custloyalty import datasets as ds
from custloyalty.errors import (
    PluginError,
    ValidationError,
)
from custloyalty.report import build_report, remove_section, render, section, write_report
from custloyalty.scorecard import LoyaltyScorecard

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

#: indicators without a transaction model: fast and free of convergence warnings
FAST = ["purchase_days", "total_spend", "days_since_last_purchase"]
TX = ds.load_cdnow("sample").head(600)
N_CUSTOMERS = TX["customer_id"].nunique()


# ------------------------------------------------------------------------------ the CLI


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("flows5")
    TX.to_csv(d / "tx.csv", index=False)
    (d / "plain.toml").write_text(f"indicators = {FAST!r}\n", encoding="utf-8")
    assert cli(d, "score", "tx.csv", "--config", "plain.toml", "-o", "ref.csv")[0] == 0
    assert cli(d, "score", "tx.csv", "--config", "plain.toml", "--save-state", "st.json")[0] == 0
    return d


def ref(d: Path) -> pd.DataFrame:
    return pd.read_csv(d / "ref.csv", dtype={"customer_id": str}).set_index("customer_id")


def _write(d: Path, name: str, make: Callable[[], Any]) -> None:
    """Write an input file: ``make()`` returns text, bytes, a DataFrame or a pyarrow table."""
    obj = make()
    path = d / name
    if isinstance(obj, bytes):
        path.write_bytes(obj)
    elif isinstance(obj, str):
        path.write_text(obj, encoding="utf-8")
    elif isinstance(obj, pd.DataFrame):
        obj.to_parquet(path) if name.endswith(".parquet") else obj.to_csv(path, index=False)
    else:
        pq.write_table(obj, path)


def _tx_with(**cols: Any) -> pd.DataFrame:
    return TX.assign(**cols)


def _arrow(column: str, array: Callable[[Any], Any]) -> Any:
    table = pa.Table.from_pandas(TX, preserve_index=False)
    i = table.schema.get_field_index(column)
    return table.set_column(i, column, array(table[column]))


# (id, file name, content maker, exit status, words on stderr, same table as tx.csv?)
ODD_INPUTS: list[tuple[str, str, Callable[[], Any], int, tuple[str, ...], bool]] = [
    ("bom", "bom.csv", lambda: "\ufeff" + TX.to_csv(index=False), 0, (), True),
    ("pipe", "pipe.csv", lambda: TX.to_csv(index=False, sep="|"), 0, (), True),
    ("semicolon", "semi.csv", lambda: TX.to_csv(index=False, sep=";"), 0, (), True),
    (
        "quoted-newline-and-comma",
        "quoted.csv",
        lambda: _tx_with(note='a,\n"b";c').to_csv(index=False),
        0,
        (),
        True,
    ),
    (
        "huge-field",
        "huge.csv",
        lambda: _tx_with(note="x" * 100_000).to_csv(index=False),
        0,
        (),
        True,
    ),
    ("crlf", "crlf.csv", lambda: TX.to_csv(index=False, lineterminator="\r\n"), 0, (), True),
    (
        "latin1",
        "latin1.csv",
        lambda: _tx_with(note="café").to_csv(index=False).encode("latin-1"),
        2,
        ("cannot read transactions file latin1.csv", "not a UTF-8"),
        False,
    ),
    (
        "decimal-comma",
        "comma.csv",
        lambda: TX.to_csv(index=False, sep=";", decimal=","),
        2,
        ("Column 'amount'", "non-numeric", "Hint: use '.' as the decimal mark"),
        False,
    ),
    (
        "header-twice",
        "twice.csv",
        lambda: "customer_id,date,amount,amount\n1,1997-01-01,3,4\n2,1997-01-02,5,6\n",
        2,
        ("twice.csv", "names the columns ['amount'] more than once", "Hint: rename"),
        False,
    ),
    (
        "header-twice-tsv",
        "twice.tsv",
        lambda: "customer_id\tdate\tdate\tamount\n1\t1997-01-01\t1997-01-02\t3\n",
        2,
        ("names the columns ['date'] more than once",),
        False,
    ),
    (
        "header-only",
        "header.csv",
        lambda: "customer_id,date,amount\n",
        2,
        ("it has no rows",),
        False,
    ),
    (
        "binary",
        "binary.csv",
        lambda: bytes(range(256)) * 8,
        2,
        ("cannot read transactions",),
        False,
    ),
    (
        "parquet-tz",
        "tz.parquet",
        lambda: _tx_with(date=TX["date"].dt.tz_localize("Europe/Paris")),
        0,
        (),
        True,
    ),
    (
        "parquet-categorical-ids",
        "cat.parquet",
        lambda: _tx_with(customer_id=TX["customer_id"].astype("category")),
        0,
        (),
        True,
    ),
    (
        "parquet-text-dates",
        "sdate.parquet",
        lambda: _tx_with(date=TX["date"].dt.strftime("%Y-%m-%d")),
        0,
        (),
        True,
    ),
    (
        "parquet-decimal-amounts",
        "dec.parquet",
        lambda: _arrow("amount", lambda c: pa.compute.cast(c, pa.decimal128(12, 2))),
        0,
        (),
        True,
    ),
    (
        "parquet-dictionary-ids",
        "dict.parquet",
        lambda: _arrow(
            "customer_id", lambda c: pa.compute.cast(c, pa.string()).dictionary_encode()
        ),
        0,
        (),
        True,
    ),
    (
        "parquet-two-column-levels",
        "levels.parquet",
        lambda: TX.set_axis(pd.MultiIndex.from_tuples([(c, "x") for c in TX.columns]), axis=1),
        2,
        ("levels.parquet", "its columns have 2 levels", "Hint: write the table with one level"),
        False,
    ),
    (
        "parquet-ids-in-the-index",
        "idx.parquet",
        lambda: TX.set_index("customer_id"),
        0,
        (),
        True,
    ),
    (
        "parquet-ids-and-dates-in-the-index",
        "idx2.parquet",
        lambda: TX.set_index(["customer_id", "date"]),
        0,
        (),
        True,
    ),
    (
        "parquet-index-repeating-a-column",
        "idx3.parquet",
        lambda: TX.set_index(TX["customer_id"].rename("customer_id")),
        0,
        (),
        True,
    ),
    ("parquet-empty-file", "empty.parquet", lambda: b"", 2, ("cannot read", "empty"), False),
]


@pytest.mark.parametrize(
    ("name", "make", "code", "words", "same"),
    [pytest.param(*c[1:], id=c[0]) for c in ODD_INPUTS],
)
def test_cli_odd_input_files(
    d: Path, name: str, make: Callable[[], Any], code: int, words: tuple[str, ...], same: bool
) -> None:
    _write(d, name, make)
    out = f"out-{name}.csv"
    got, err = cli(d, "score", name, "--config", "plain.toml", "-o", out)
    assert got == code, err
    assert all(w in err for w in words), err
    if code:
        assert err.startswith("custloyalty: error: ")
        assert not (d / out).exists()
    if same:  # the same customers and numbers as the plain CSV
        got_t = pd.read_csv(d / out, dtype={"customer_id": str}).set_index("customer_id")
        pd.testing.assert_frame_equal(got_t.sort_index(), ref(d).sort_index())


def test_cli_parquet_float_ids_match_csv_survey_ids(d: Path) -> None:
    # before: the Parquet ids 1.0, 2.0 became the text "1.0", which no survey id "1" matches
    sv = ds.make_survey(100, seed=1, customer_ids=TX["customer_id"].unique())
    sv.to_csv(d / "sv.csv", index=False)
    TX.astype({"customer_id": float}).to_parquet(d / "ftx.parquet")
    TX.to_parquet(d / "itx.parquet")
    for name in ("ftx.parquet", "itx.parquet"):
        code, err = cli(d, "score", name, "--surveys", "sv.csv", "-o", f"{name}.csv")
        assert code == 0, err
    f = pd.read_csv(d / "ftx.parquet.csv", dtype={"customer_id": str})
    i = pd.read_csv(d / "itx.parquet.csv", dtype={"customer_id": str})
    assert f["answered_survey"].sum() == sv["customer_id"].nunique()
    pd.testing.assert_frame_equal(f, i)


# --------------------------------------------------------------------- CLI outputs
def _link(d: Path, name: str, to: str) -> str:
    if not (d / name).is_symlink():
        os.symlink(to, d / name)
    return name


def _read_only(d: Path, name: str) -> str:
    (d / name).write_text("keep me\n", encoding="utf-8")
    os.chmod(d / name, 0o444)
    return name


def test_cli_output_link_to_another_file_writes_through_the_link(d: Path) -> None:
    (d / "target.csv").write_text("old\n", encoding="utf-8")
    _link(d, "link.csv", "target.csv")
    code, err = cli(d, "score", "tx.csv", "--config", "plain.toml", "-o", "link.csv")
    assert code == 0, err
    assert (d / "link.csv").is_symlink()  # before: the link was replaced by a plain file
    got = pd.read_csv(d / "target.csv", dtype={"customer_id": str}).set_index("customer_id")
    pd.testing.assert_frame_equal(got, ref(d))


def test_cli_save_state_through_a_link(d: Path) -> None:
    _link(d, "state-link.json", "state-target.json")
    code, err = cli(
        d, "score", "tx.csv", "--config", "plain.toml", "--save-state", "state-link.json"
    )
    assert code == 0, err
    assert (d / "state-link.json").is_symlink()
    assert json.loads((d / "state-target.json").read_text())["kind"] == "loyalty_scorecard"


OUTPUTS: list[tuple[str, Callable[[Path], list[str]], tuple[str, ...]]] = [
    (
        "link-to-the-input",
        lambda d: ["-o", _link(d, "in-link.csv", "tx.csv")],
        ("refusing to write --output in-link.csv: it is the transactions file",),
    ),
    (
        "dangling-link",
        lambda d: ["-o", _link(d, "dangle.csv", "nowhere/x.csv")],
        ("cannot write --output dangle.csv", "the folder does not exist"),
    ),
    (
        "read-only-file",
        lambda d: ["-o", _read_only(d, "ro.csv")],
        ("cannot write --output ro.csv: the existing file is read-only", "Hint: choose another"),
    ),
    (
        "read-only-state",
        lambda d: ["--save-state", _read_only(d, "ro.json")],
        ("cannot write --save-state ro.json: the existing file is read-only",),
    ),
    (
        "link-to-a-read-only-file",
        lambda d: ["-o", _link(d, "ro-link.csv", _read_only(d, "ro2.csv"))],
        ("the existing file is read-only",),
    ),
    (
        "output-is-the-config",
        lambda d: ["--save-state", "plain.json"],
        ("refusing to write --save-state plain.json: it is the config file",),
    ),
    (
        "output-is-the-surveys",
        lambda d: ["--surveys", "sv2.csv", "-o", "sv2.csv"],
        ("refusing to write --output sv2.csv: it is the surveys file",),
    ),
    (
        "output-and-state-through-links-to-one-file",
        lambda d: [
            "-o",
            _link(d, "a.csv", "shared.csv"),
            "--save-state",
            _link(d, "b.json", "shared.csv"),
        ],
        ("--save-state and --output name the same file",),
    ),
    (
        "device",
        lambda d: ["-o", "/dev/null"],
        ("no suffix is not a table format",),
    ),
]


@pytest.mark.parametrize(("argv", "words"), [pytest.param(*o[1:], id=o[0]) for o in OUTPUTS])
def test_cli_outputs_that_would_lose_data_are_refused_before_any_work(
    d: Path, argv: Callable[[Path], list[str]], words: tuple[str, ...]
) -> None:
    (d / "plain.json").write_text(json.dumps({"indicators": FAST}), encoding="utf-8")
    ds.make_survey(50, seed=1, customer_ids=TX["customer_id"].unique()).to_csv(
        d / "sv2.csv", index=False
    )
    config = "plain.json" if "plain.json" in argv(d) else "plain.toml"
    before = {p.name: p.read_bytes() for p in d.iterdir() if p.is_file() and not p.is_symlink()}
    code, err = cli(d, "score", "tx.csv", "--config", config, *argv(d))
    assert code == 2, err
    assert all(w in err for w in words), err
    after = {p.name: p.read_bytes() for p in d.iterdir() if p.is_file() and not p.is_symlink()}
    assert {k: v for k, v in after.items() if k in before} == before
    assert not [n for n in after if n.startswith(".")]  # no temporary file left


def test_cli_replaced_output_keeps_its_permissions(d: Path) -> None:
    (d / "perm.csv").write_text("old\n", encoding="utf-8")
    os.chmod(d / "perm.csv", 0o640)
    assert cli(d, "score", "tx.csv", "--config", "plain.toml", "-o", "perm.csv")[0] == 0
    assert stat.S_IMODE((d / "perm.csv").stat().st_mode) == 0o640


# ----------------------------------------------------------------- CLI state and flags
def _nan_weight(state: dict[str, Any]) -> dict[str, Any]:
    state["fitted"]["weighting"]["weights"]["purchase_days"] = float("nan")
    return state


STATE_FILES: list[tuple[str, Callable[[str], str | bytes], int, tuple[str, ...]]] = [
    ("bom", lambda s: "\ufeff" + s, 0, ()),
    (
        "key-twice",
        lambda s: s[:-1] + ', "fitted": null}',
        2,
        ("cannot read state file", "the key 'fitted' is given twice"),
    ),
    ("cut-short", lambda s: s[: len(s) // 2], 2, ("not valid JSON",)),
    ("latin1", lambda s: s.replace("customer_id", "clientè").encode("latin-1"), 2, ("UTF-8",)),
    ("empty", lambda s: "", 2, ("not valid JSON",)),
    ("a-list", lambda s: "[" + s + "]", 2, ("not a scorecard written by --save-state",)),
    (
        "unfitted",
        lambda s: json.dumps({**json.loads(s), "fitted": None}),
        2,
        ("holds no fitted scorecard",),
    ),
    (
        "nan-weight",
        lambda s: json.dumps(_nan_weight(json.loads(s))),  # NaN: JSON's non-standard literal
        2,
        ("fitted.weighting",),
    ),
]


@pytest.mark.parametrize(
    ("edit", "code", "words"), [pytest.param(*c[1:], id=c[0]) for c in STATE_FILES]
)
def test_cli_state_files(
    d: Path, edit: Callable[[str], str | bytes], code: int, words: tuple[str, ...]
) -> None:
    text = (d / "st.json").read_text(encoding="utf-8")
    edited = edit(text)
    path = d / "edited.json"
    path.write_bytes(edited if isinstance(edited, bytes) else edited.encode("utf-8"))
    got, err = cli(d, "score", "tx.csv", "--load-state", "edited.json", "-o", "loaded.csv")
    assert got == code, err
    assert all(w in err for w in words), err
    if code == 0:
        loaded = pd.read_csv(d / "loaded.csv", dtype={"customer_id": str})
        pd.testing.assert_frame_equal(loaded.set_index("customer_id"), ref(d))


def test_cli_interactions_no_indicator_uses_are_refused(d: Path) -> None:
    it = pd.DataFrame({"customer_id": TX["customer_id"].head(5), "date": TX["date"].head(5)})
    it.to_csv(d / "it.csv", index=False)
    code, err = cli(
        d, "score", "tx.csv", "--config", "plain.toml", "--interactions", "it.csv", "-o", "i.csv"
    )
    assert code == 2
    assert "--interactions it.csv would be ignored: no indicator of the scorecard uses" in err
    assert "Hint: add the 'engagement' indicator" in err
    assert not (d / "i.csv").exists()


def test_cli_empty_scorecard_section_is_warned(d: Path) -> None:
    (d / "empty-section.toml").write_text("[scorecard]\n", encoding="utf-8")
    (d / "empty.toml").write_text("", encoding="utf-8")
    code, err = cli(d, "score", "tx.csv", "--config", "empty-section.toml", "-o", "es.csv")
    assert code == 0
    assert "its 'scorecard' section holds no setting; the default scorecard is used" in err
    assert cli(d, "score", "tx.csv", "--config", "empty.toml", "-o", "ee.csv")[0] == 0
    assert (d / "es.csv").read_bytes() == (d / "ee.csv").read_bytes()


# every nested block of the config, given a value of the wrong kind or a typo
CONFIG_VALUES: list[tuple[str, str, tuple[str, ...]]] = [
    ("seed-nan", '{"seed": NaN}', ("'seed' must be a non-negative integer", "nan")),
    ("seed-yaml-yes", "seed: yes\n", ("'seed'", "bool True")),
    ("seed-huge-float", '{"seed": 1e300}', ("'seed'",)),
    (
        "weights-key",
        "weights = {purchase_days = 1}\n",
        ("Hint: did you mean 'weights' -> 'weighting'",),
    ),
    (
        "indicator-options-int",
        "[[indicators]]\nname = 'purchase_days'\noptions = 5\n",
        ("options",),
    ),
    ("indicator-no-name", "[[indicators]]\nnam = 'purchase_days'\n", ("with a 'name'",)),
    ("indicator-number", "indicators = [5]\n", ("each indicator is a metric name",)),
    ("indicators-empty", "indicators = []\n", ("at least one indicator",)),
    (
        "direction-typo",
        "[[indicators]]\nname = 'purchase_days'\ndirection = 'lowr'\n",
        ("did you mean 'lower'",),
    ),
    ("tiers-share-sum", "[tiers]\nlabels = ['A','B']\nshares = [0.5, 0.6]\n", ("sum to 1",)),
    (
        "tiers-labels-twice",
        "[tiers]\nlabels = ['A','A']\nshares = [0.5, 0.5]\n",
        ("distinct 'labels'",),
    ),
    (
        "tiers-thresholds-up",
        "[tiers]\nlabels = ['A','B','C']\nthresholds = [50, 60]\n",
        ("decreasing",),
    ),
    ("tiers-key-typo", "[tiers]\nlabel = ['A','B']\n", ("did you mean 'label' -> 'labels'",)),
    ("value-potential-key", "value_potential = {x = 1}\n", ("unknown value_potential settings",)),
    (
        "allow-inconsistent-int",
        "allow_inconsistent = 1\n",
        ("'allow_inconsistent' must be true or false",),
    ),
    ("customer-list", "customer = ['a']\n", ("'customer' must be a column name",)),
    ("ahp-mapping", "weighting = 'ahp'\nahp = {purchase_days = 1}\n", ("'ahp' must be a matrix",)),
    ("yaml-python-tag", "seed: !!python/object/apply:os.system ['true']\n", ("not valid YAML",)),
    ("yaml-two-documents", "seed: 1\n---\nseed: 2\n", ("not valid YAML",)),
    ("json-top-null", "null", ("must hold a table/mapping at the top level",)),
]


@pytest.mark.parametrize(
    ("content", "words"), [pytest.param(*c[1:], id=c[0]) for c in CONFIG_VALUES]
)
def test_cli_config_values_of_the_wrong_kind(
    d: Path, request: pytest.FixtureRequest, content: str, words: tuple[str, ...]
) -> None:
    ident = request.node.callspec.id
    suffix = (
        ".yaml"
        if ident.startswith(("seed-yaml", "yaml"))
        else (".json" if content.lstrip().startswith(("{", "null")) else ".toml")
    )
    name = f"cfg-{ident}{suffix}"
    (d / name).write_text(content, encoding="utf-8")
    code, err = cli(d, "score", "tx.csv", "--config", name, "-o", f"{name}.csv")
    assert code == 2, err
    assert err.startswith("custloyalty: error: ")
    assert all(w in err for w in words), err
    assert not (d / f"{name}.csv").exists()


# -------------------------------------------------------------- hand-edited saved state
@pytest.fixture(scope="module")
def fitted() -> dict[str, Any]:
    sv = ds.make_survey(150, seed=1, customer_ids=TX["customer_id"].unique())
    card = LoyaltyScorecard(
        [*FAST, "satisfaction"],
        tiers={"labels": ["A", "B", "C"], "shares": [0.2, 0.3, 0.5]},
        missing="segment",
    )
    card.fit(TX, sv)
    return {"card": card, "sv": sv, "state": json.loads(card.to_json())}


def _edited(state: dict[str, Any], edit: Callable[[dict[str, Any]], Any]) -> str:
    s = copy.deepcopy(state)
    edit(s)
    return json.dumps(s)


def _f(s: dict[str, Any]) -> dict[str, Any]:
    return s["fitted"]  # type: ignore[no-any-return]


STATES: list[tuple[str, Callable[[dict[str, Any]], Any], Any]] = [
    (
        "tiers-extra-key",
        lambda s: _f(s)["tiers"].update(shares=[0.2, 0.3, 0.5]),
        Err(ValidationError, "fitted.tiers has unknown key 'shares'"),
    ),
    (
        "imputation-extra-key",
        lambda s: _f(s)["imputation"].update(edge=[1.0]),
        Err(ValidationError, "fitted.imputation has unknown key 'edge'"),
    ),
    (
        "n-customers-fraction",
        lambda s: _f(s).update(n_customers=150.5),
        Err(ValidationError, "fitted.n_customers must be a whole number", "150.5"),
    ),
    (
        "n-customers-bool",
        lambda s: _f(s).update(n_customers=True),
        Err(ValidationError, "fitted.n_customers must be a number"),
    ),
    (
        "direction-against-the-config",
        lambda s: s["config"]["indicators"]["total_spend"].update(direction="lower"),
        Err(
            ValidationError,
            "fitted.normalisers['total_spend'].direction is 'higher'",
            "direction 'lower'",
            "Hint: edit both",
        ),
    ),
    (
        "normaliser-direction-against-the-config",
        lambda s: _f(s)["normalisers"]["purchase_days"].update(direction="lower"),
        Err(ValidationError, "fitted.normalisers['purchase_days'].direction is 'lower'"),
    ),
    (
        "weights-off-by-1e-7",
        lambda s: _f(s)["weighting"]["weights"].update(
            purchase_days=_f(s)["weighting"]["weights"]["purchase_days"] + 1e-7
        ),
        Err(ValidationError, "fitted.weighting.weights must sum to 1"),
    ),
    (
        "weights-all-zero",
        lambda s: _f(s)["weighting"].update(
            weights=dict.fromkeys(_f(s)["weighting"]["weights"], 0.0)
        ),
        Err(ValidationError, "fitted.weighting"),
    ),
    (
        "weighting-method-against-the-config",
        lambda s: _f(s)["weighting"].update(method="critic"),
        Err(ValidationError, "fitted.weighting.method is 'critic'", "weighting is 'entropy'"),
    ),
    (
        "thresholds-nan",
        lambda s: _f(s)["tiers"]["thresholds"].__setitem__(0, float("nan")),
        Err(ValidationError, "fitted.tiers.thresholds[0] must be finite"),
    ),
    (
        "knots-repeated",
        lambda s: _f(s)["normalisers"]["total_spend"]["knots"].__setitem__(
            1, _f(s)["normalisers"]["total_spend"]["knots"][0]
        ),
        Err(ValidationError, "knots must be strictly increasing"),
    ),
    (
        "imputation-values-unknown",
        lambda s: _f(s)["imputation"]["values"].update(foo=[0.5] * 5),
        Err(ValidationError, "fitted.imputation.values names 'foo'"),
    ),
    (
        "imputation-values-above-1",
        lambda s: _f(s)["imputation"]["values"].update(
            satisfaction=[2.0] * len(_f(s)["imputation"]["values"]["satisfaction"])
        ),
        Err(ValidationError, "fitted.imputation.values['satisfaction']"),
    ),
    (
        "observation-end-number",
        lambda s: _f(s).update(observation_end=19980630),
        Err(ValidationError, "fitted.observation_end must be an ISO date"),
    ),
    (
        "format-version-text",
        lambda s: s.update(format_version="1"),
        Err(ValidationError, "format_version '1'"),
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [pytest.param(*c[1:], id=c[0]) for c in STATES])
def test_hand_edited_state(
    fitted: dict[str, Any], edit: Callable[[dict[str, Any]], Any], expected: Any
) -> None:
    text = _edited(fitted["state"], edit)
    run_case(lambda: LoyaltyScorecard.from_json(text).score(TX, fitted["sv"]), expected)


def test_unedited_state_scores_as_the_card(fitted: dict[str, Any]) -> None:
    card = LoyaltyScorecard.from_json(json.dumps(fitted["state"]))
    pd.testing.assert_frame_equal(
        card.score(TX, fitted["sv"]).customers, fitted["card"].score(TX, fitted["sv"]).customers
    )


# ------------------------------------------------------------------- service dtypes
@pytest.fixture(scope="module")
def service() -> dict[str, Any]:
    card = LoyaltyScorecard(FAST, weighting="critic")
    card.fit(TX)
    return {"card": card, "whole": card.score(TX).customers}


def _same_numbers(whole: pd.DataFrame) -> Callable[[Any], bool]:
    def check(got: pd.DataFrame) -> bool:
        cols = ["composite", *FAST]
        a = got[cols].to_numpy(dtype=float)
        b = whole.loc[got.index.astype(whole.index.dtype), cols].to_numpy(dtype=float)
        return len(got) == len(whole) and bool(np.allclose(a, b, rtol=1e-12))

    return check


DTYPES: list[tuple[str, Callable[[pd.DataFrame], pd.DataFrame]]] = [
    ("ids-text", lambda t: t.astype({"customer_id": str})),
    ("ids-float", lambda t: t.astype({"customer_id": float})),
    ("ids-categorical", lambda t: t.astype({"customer_id": "category"})),
    ("ids-nullable", lambda t: t.astype({"customer_id": "Int64"})),
    ("amount-text", lambda t: t.astype({"amount": str})),
    ("dates-text", lambda t: t.assign(date=t["date"].dt.strftime("%Y-%m-%d"))),
    ("pyarrow", lambda t: t.convert_dtypes(dtype_backend="pyarrow")),
    ("nullable", lambda t: t.convert_dtypes()),
    ("duplicate-index", lambda t: t.set_axis(np.zeros(len(t), dtype=int))),
    ("multiindex-rows", lambda t: t.set_index(["customer_id", "date"], drop=False)),
    ("reversed-rows", lambda t: t.iloc[::-1]),
]


@pytest.mark.parametrize("change", [pytest.param(c[1], id=c[0]) for c in DTYPES])
def test_service_batch_dtypes_other_than_at_fit(
    service: dict[str, Any], change: Callable[[pd.DataFrame], pd.DataFrame]
) -> None:
    batch = change(TX.copy())
    before = batch.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning either: these are all the same purchases
        got = service["card"].score(batch).customers
    assert _same_numbers(service["whole"])(got)
    pd.testing.assert_frame_equal(batch, before)


# ---------------------------------------------------------------------------- report
@pytest.fixture(scope="module")
def scored() -> dict[str, Any]:
    card = LoyaltyScorecard(FAST, weighting="equal")
    result = card.fit_score(TX)
    return {"card": card, "result": result}


REPORT: list[tuple[str, Callable[[dict[str, Any]], Any], Any]] = [
    (
        "render-title-number",
        lambda s: render(s["result"], title=5, sections=["headline"]),
        Err(ValidationError, "'title' parameter of render must be a string"),
    ),
    (
        "build-title-list",
        lambda s: build_report(TX, scorecard=s["card"], title=["a"]),
        Err(ValidationError, "'title' parameter of build_report"),
    ),
    (
        "render-progress-one",
        lambda s: render(s["result"], progress=1, sections=["headline"]),
        Err(ValidationError, "'progress' parameter of render must be True or False", "int 1"),
    ),
    (
        "build-progress-no",
        lambda s: build_report(TX, scorecard=s["card"], progress="no"),
        Err(ValidationError, "'progress' parameter of build_report", "str 'no'"),
    ),
    (
        "fit-score-progress-text",
        lambda s: LoyaltyScorecard(FAST).fit_score(TX, progress="yes"),
        Err(ValidationError, "'progress' parameter of LoyaltyScorecard.fit_score"),
    ),
    (
        "render-progress-numpy-bool",
        lambda s: render(s["result"], progress=np.False_, sections=["headline"]).count("<section"),
        Num(1),
    ),
    (
        "render-title-escaped",
        lambda s: "<script>" in render(s["result"], title="<script>x</script>", sections=[]),
        Num(False),
    ),
]


@pytest.mark.parametrize(("call", "expected"), [pytest.param(*c[1:], id=c[0]) for c in REPORT])
def test_report_options(
    scored: dict[str, Any], call: Callable[[dict[str, Any]], Any], expected: Any
) -> None:
    run_case(lambda: call(scored), expected)


def test_report_section_raising_a_stray_exception_is_named() -> None:
    @section("r5_broken", "Broken")
    def broken(ctx: Any) -> str:
        return {"a": 1}["b"]  # type: ignore[return-value]

    try:
        result = LoyaltyScorecard(FAST, weighting="equal").fit_score(TX)
        with pytest.raises(PluginError, match=r"Report section 'r5_broken' failed: KeyError") as e:
            render(result, sections=["r5_broken"])
        assert "Hint: fix the section, or leave it out with remove_section('r5_broken')" in str(
            e.value
        )
        assert isinstance(e.value.__cause__, KeyError)
    finally:
        remove_section("r5_broken")


def test_report_surveys_matching_no_customer_are_noted_not_a_stray_error(
    scored: dict[str, Any],
) -> None:
    sv = ds.make_survey(100, seed=2, customer_ids=TX["customer_id"].unique())
    sv["customer_id"] += 10**9  # the same dtype, no id in common
    # before: "The items passed to satisfaction_index is empty" from the headline
    page = render(scored["result"], surveys=sv, sections=["headline", "data_quality"])
    assert "None of the 100 survey answers matches a scored customer id" in page
    assert "Net Promoter Score" not in page


def test_write_report_link_read_only_and_permissions(
    scored: dict[str, Any], tmp_path: Path
) -> None:
    card = scored["card"]
    os.symlink("target.html", tmp_path / "link.html")
    write_report(tmp_path / "link.html", TX, scorecard=card)
    assert (tmp_path / "link.html").is_symlink()
    assert (tmp_path / "target.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    (tmp_path / "ro.html").write_text("keep", encoding="utf-8")
    os.chmod(tmp_path / "ro.html", 0o444)
    with pytest.raises(ValidationError, match="the existing file is read-only"):
        write_report(tmp_path / "ro.html", TX, scorecard=card)
    assert (tmp_path / "ro.html").read_text(encoding="utf-8") == "keep"
    out = write_report(tmp_path / "new.html", TX, scorecard=card)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask  # not mkstemp's private 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_cli_report_with_surveys_matching_no_customer_names_the_flag(d: Path) -> None:
    sv = ds.make_survey(60, seed=3, customer_ids=TX["customer_id"].unique())
    sv["customer_id"] += 10**6
    sv.to_csv(d / "sv-other.csv", index=False)
    code, err = cli(
        d, "report", "tx.csv", "--config", "plain.toml", "--surveys", "sv-other.csv", "-o", "r.html"
    )
    # fitting on the whole base: no answer matching is our error, naming the flag to check
    assert code == 2
    assert "none of the 60 survey answers matches a customer of the transactions" in err
    assert "--survey-customer-col" in err
    assert not (d / "r.html").exists()


def test_report_figures_drawn_in_threads_keep_the_report_style() -> None:
    # before: a thread leaving matplotlib's rc_context restored the style it had found (the
    # default) under a figure another thread was drawing; 1 report in 8 differed when 4
    # threads rendered at once. Here B starts first, A draws while B ends.
    import threading

    import matplotlib as mpl

    from custloyalty.report import figure_svg

    b_drawing, a_drawing, b_done = threading.Event(), threading.Event(), threading.Event()
    seen: list[float] = []

    def draw_b(ax: Any) -> None:
        b_drawing.set()
        a_drawing.wait(timeout=1.0)  # with the lock, A waits for B instead

    def draw_a(ax: Any) -> None:
        a_drawing.set()
        b_done.wait(timeout=30.0)
        seen.append(float(mpl.rcParams["font.size"]))

    def run_b() -> None:
        figure_svg(draw_b)
        b_done.set()

    b = threading.Thread(target=run_b)
    b.start()
    assert b_drawing.wait(timeout=30.0)
    a = threading.Thread(target=lambda: figure_svg(draw_a))
    a.start()
    a.join()
    b.join()
    assert seen == [10.5]  # the report's font size, not matplotlib's default 10


def test_report_previous_with_other_tier_labels_names_previous(scored: dict[str, Any]) -> None:
    # before: "before has 502 labels ... Hint: pass order=[...]", tier_migration's own words
    other = LoyaltyScorecard(
        FAST, weighting="equal", tiers={"labels": ["X", "Y"], "shares": [0.5, 0.5]}
    ).fit_score(TX)
    run_case(
        lambda: render(scored["result"], previous=other, sections=["migration"]),
        Err(ValidationError, "The 'previous' tiers hold labels ['X', 'Y']", "Hint: compare"),
    )
    # the same labels: the migration of a period onto itself keeps everyone's tier
    page = render(scored["result"], previous=scored["result"], sections=["migration"])
    assert f"{N_CUSTOMERS:,} customers kept their tier, 0 moved up, 0 moved down" in page


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            pd.Series([1.0, 2.0], index=["a", "a"]),
            {"index": ["a", "a"], "data": [1.0, 2.0]},
            id="series-repeated-label",
        ),
        pytest.param(
            pd.Series([1.0, 2.0], index=pd.Index([1, "1"], dtype=object)),
            {"index": [1, "1"], "data": [1.0, 2.0]},
            id="series-labels-equal-as-text",
        ),
        pytest.param(
            {1: "x", "1": "y"}, {"index": [1, "1"], "data": ["x", "y"]}, id="dict-1-and-'1'"
        ),
        pytest.param(
            pd.Series([1.0, np.nan], index=[3, 4]), {"3": 1.0, "4": None}, id="series-plain"
        ),
    ],
)
def test_results_to_dict_never_drops_a_value(value: Any, expected: Any) -> None:
    # before: {str(label): value} kept the last of two labels equal as text, silently
    from dataclasses import dataclass

    from custloyalty._results import Result

    @dataclass(frozen=True)
    class Holder(Result):
        table: Any

    got = Holder(value).to_dict()["table"]
    assert got == expected
    assert json.loads(json.dumps(got, allow_nan=False)) == expected


def test_from_json_refuses_a_key_given_twice(fitted: dict[str, Any]) -> None:
    # before: the last "weighting" won silently (here: weights that were never fitted)
    text = json.dumps(fitted["state"])
    twice = text[:-1] + ', "kind": "loyalty_scorecard"}'
    run_case(
        lambda: LoyaltyScorecard.from_json(twice),
        Err(ValidationError, "from_json: the key 'kind' is given twice", "Hint: "),
    )
    from custloyalty.models import BetaGeo

    model = '{"kind": "BetaGeo", "params": {"r": 1, "r": 2}}'
    run_case(lambda: BetaGeo.from_json(model), Err(ValidationError, "the key 'r' is given twice"))


def test_cli_output_link_is_written_in_the_format_of_its_own_name(d: Path) -> None:
    # the format is the one asked for (out.csv: plain text), not the link target's (.csv.gz)
    (d / "old.csv.gz").write_bytes(b"")
    _link(d, "plain-link.csv", "old.csv.gz")
    assert cli(d, "score", "tx.csv", "--config", "plain.toml", "-o", "plain-link.csv")[0] == 0
    assert (d / "old.csv.gz").read_bytes() == (d / "ref.csv").read_bytes()


@pytest.mark.parametrize(
    "sections",
    [
        pytest.param(lambda: (s for s in ["method", "headline"]), id="generator"),
        pytest.param(lambda: iter(["headline", "method"]), id="iterator"),
        pytest.param(lambda: ("headline", "method"), id="tuple"),
        pytest.param(lambda: np.array(["method", "headline"]), id="numpy"),
    ],
)
def test_report_sections_given_as_any_iterable(
    scored: dict[str, Any], sections: Callable[[], Any]
) -> None:
    # before: a generator was read twice, the second time empty: a page without any section
    page = render(scored["result"], sections=sections())
    assert page.count("<section") == 2
    assert page.index('id="headline"') < page.index('id="method"')  # report order

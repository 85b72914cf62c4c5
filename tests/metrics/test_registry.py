"""Metric registry: built-ins, in-process registration, entry-point plugins."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import subprocess
import sys
import tomllib
import warnings
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from custloyalty import metrics
from custloyalty.datasets import load_cdnow
from custloyalty.errors import PluginError, PluginWarning, ValidationError
from custloyalty.metrics import Metric
from custloyalty.metrics import _registry as reg
from custloyalty.scorecard import LoyaltyScorecard

BUILTIN = {
    "purchase_days",
    "total_spend",
    "days_since_last_purchase",
    "churn_risk",
    "mean_churn_risk",
    "satisfaction",
    "recommendation",
    "nps",
    "average_order_value",
    "purchase_rate",
    "clv",
}


def test_builtins_are_registered_with_metadata() -> None:
    assert set(metrics.available()) >= BUILTIN
    # former names (they meant other things in rfm_summary) map to the glossary's names
    assert not {"frequency", "monetary", "recency", "churn", "churn_rate"} & set(
        metrics.available()
    )
    assert metrics.get("frequency").name == "purchase_days"
    assert metrics.get("churn_rate").name == "mean_churn_risk"
    assert metrics.get("churn").direction == "lower"
    assert metrics.get("satisfaction").source == "surveys"
    assert metrics.get("nps").level == "base"
    assert "nps" not in metrics.available(level="customer")
    assert "satisfaction" in metrics.available(source="surveys")
    desc = metrics.describe()
    assert desc.loc["days_since_last_purchase", "direction"] == "lower"


def test_register_decorator_and_scorecard_use() -> None:
    @metrics.register("test_tenure", description="Days since first purchase")
    def tenure(summary: pd.DataFrame) -> pd.Series:
        return summary["T"].astype(float)

    try:
        m = metrics.get("test_tenure")
        assert m.inputs == ("summary",)
        assert m.origin.startswith("registered")
        with pytest.raises(ValidationError, match="already registered"):
            metrics.register("test_tenure")(tenure)
        metrics.register("test_tenure", replace=True, direction="lower")(tenure)
        assert metrics.get("test_tenure").direction == "lower"
        tx = load_cdnow("sample")
        res = LoyaltyScorecard(["frequency", "test_tenure"]).fit_score(tx)
        assert "contrib_test_tenure" in res.customers
    finally:
        metrics.unregister("test_tenure")
    with pytest.raises(PluginError, match="No metric named 'test_tenure'"):
        metrics.get("test_tenure")


def test_builtin_names_cannot_be_replaced() -> None:
    with pytest.raises(ValidationError, match="built-in"):
        metrics.register("frequency")(lambda summary: summary["frequency"])


def test_metric_validation() -> None:
    with pytest.raises(ValidationError, match="direction"):
        Metric("x", lambda summary: summary, direction="up")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="unknown inputs"):
        Metric("x", lambda summary: summary, inputs=("weather",))
    m = Metric("x", lambda transactions, surveys: None)
    assert m.inputs == ("transactions", "surveys")


PLUGIN_DIR = Path(__file__).resolve().parents[1] / "plugin_example"
PLUGIN_MODULE = "custloyalty_example_metrics"
PLUGIN_DIST = "custloyalty-example-metrics"


def _wheel_from_sources(src: Path, out: Path) -> Path:
    """Build the example's wheel with the standard library (PEP 427) from its pyproject.toml.

    Used when hatchling (the example's build backend) is not installed, so that the install
    below needs neither a build backend nor the network.
    """
    meta = tomllib.loads((src / "pyproject.toml").read_text(encoding="utf-8"))
    project = meta["project"]
    name, version = project["name"], project["version"]
    stem = f"{name.replace('-', '_')}-{version}"
    info = f"{stem}.dist-info"
    files: dict[str, bytes] = {}
    for pkg in meta["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]:
        root = src / pkg
        for f in sorted(root.rglob("*.py")):
            files[f"{root.name}/{f.relative_to(root).as_posix()}"] = f.read_bytes()
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        f"Requires-Python: {project['requires-python']}\n"
    ).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: custloyalty-tests\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n"
    )
    files[f"{info}/entry_points.txt"] = "".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in entries.items()) + "\n"
        for group, entries in project["entry-points"].items()
    ).encode()
    record = [
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for path, data in files.items()
    ]
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    wheel = out / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pip-install tests/plugin_example into a temporary directory, offline."""
    tmp = tmp_path_factory.mktemp("plugin")
    target = tmp / "site"
    if importlib.util.find_spec("hatchling") is not None:
        source, extra = str(PLUGIN_DIR), ["--no-build-isolation"]  # the real build
    else:
        source, extra = str(_wheel_from_sources(PLUGIN_DIR, tmp)), []
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--no-deps",
        "--no-index",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--quiet",
        *extra,
        "--target",
        str(target),
        source,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}"
    return target


@pytest.fixture
def example_plugin(plugin_site: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Put the installed example on sys.path (first) and make the registry rescan."""
    monkeypatch.delitem(sys.modules, PLUGIN_MODULE, raising=False)
    monkeypatch.syspath_prepend(str(plugin_site))
    reg._reload_plugins()
    yield plugin_site
    monkeypatch.undo()
    reg._reload_plugins()


def test_pip_installed_plugin_is_discovered_and_used_in_scorecard(example_plugin: Path) -> None:
    dist = metadata.distribution(PLUGIN_DIST)
    assert Path(str(dist.locate_file(""))).resolve() == example_plugin.resolve()
    assert PLUGIN_MODULE not in sys.modules  # neither this test nor the registry imported it
    assert {"items_per_order", "days_between_purchases"} <= set(metrics.available())
    # discovery imported the module from the temporary install, not from elsewhere
    assert (
        Path(sys.modules[PLUGIN_MODULE].__file__).resolve().is_relative_to(example_plugin.resolve())
    )
    rich = metrics.get("days_between_purchases")
    assert rich.direction == "lower"
    assert rich.origin.startswith(f"plugin {PLUGIN_DIST}")
    plain = metrics.get("items_per_order")
    assert plain.inputs == ("transactions",)
    assert plain.direction == "higher"
    tx = load_cdnow("sample")
    card = LoyaltyScorecard(["frequency", "items_per_order", "days_between_purchases"])
    res = card.fit_score(tx, observation_end="1998-06-30")
    cust = res.customers
    manual = tx.groupby("customer_id")["quantity"].mean()
    pd.testing.assert_series_equal(
        cust["items_per_order"], manual.reindex(cust.index).astype(float), check_names=False
    )
    assert cust["composite"].between(0, 100).all()
    assert set(res.weights.index) == {"purchase_days", "items_per_order", "days_between_purchases"}
    again = LoyaltyScorecard.from_json(card.to_json())
    pd.testing.assert_frame_equal(again.score(tx, observation_end="1998-06-30").customers, cust)


def test_plugin_missing_column_names_metric_and_column(example_plugin: Path) -> None:
    tx = load_cdnow("sample").drop(columns="quantity")
    card = LoyaltyScorecard(["frequency", "items_per_order"])
    with pytest.raises(
        ValidationError, match=r"Indicator 'items_per_order' \(plugin .*needs column 'quantity'"
    ):
        card.fit(tx)


def test_broken_plugin_is_skipped_with_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeEP:
        name = "broken_metric"
        value = "nowhere:missing"
        dist = None

        def load(self) -> object:
            msg = "No module named 'nowhere'"
            raise ImportError(msg)

    monkeypatch.setattr(reg.metadata, "entry_points", lambda group: [FakeEP()])
    reg._reload_plugins()
    try:
        with pytest.warns(PluginWarning, match="broken_metric"):
            names = metrics.available()
        assert "broken_metric" not in names
    finally:
        monkeypatch.undo()
        reg._reload_plugins()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            metrics.available()


def test_builtin_churn_and_clv_equal_the_models() -> None:
    import numpy as np

    import custloyalty as cl
    from custloyalty.models import BetaGeo, GammaGamma, ParetoNBD, clv

    tx = load_cdnow("sample")
    summary = cl.rfm_summary(tx, observation_end="1997-09-30")  # days
    weeks = summary[["frequency", "recency", "T", "monetary"]].copy()
    weeks[["recency", "T"]] /= 7.0
    churn = metrics.get("churn")
    state = churn.fit_state({"summary": summary})
    risk = churn.compute({"summary": summary, "state": state})
    pareto = ParetoNBD().fit(weeks)
    np.testing.assert_allclose(risk, 1 - pareto.p_alive(weeks), rtol=1e-6, atol=1e-9)
    bg_state = churn.fit_state({"summary": summary}, model="bg_nbd")
    bg_risk = churn.compute({"summary": summary, "state": bg_state}, model="bg_nbd")
    bg = BetaGeo().fit(weeks)
    np.testing.assert_allclose(bg_risk, 1 - bg.p_alive(weeks), rtol=1e-6, atol=1e-9)
    assert (bg_risk[summary["frequency"] == 0] == 0).all()  # BG/NBD: no repeat, always alive
    assert (risk[summary["frequency"] == 0] > 0).all()  # Pareto/NBD: risk grows with silence
    with pytest.raises(ValidationError, match="'model' parameter"):
        churn.fit_state({"summary": summary}, model="magic")
    value = metrics.get("clv")
    vstate = value.fit_state({"summary": summary})
    got = value.compute({"summary": summary, "state": vstate})
    gg = GammaGamma().fit(weeks[weeks["frequency"] > 0])
    np.testing.assert_allclose(got, clv(bg, gg, weeks, horizon=12, time_unit="W"), rtol=1e-6)


def test_churn_model_fitted_on_a_seeded_subsample_of_large_bases() -> None:
    import custloyalty as cl

    summary = cl.rfm_summary(load_cdnow("sample"), observation_end="1997-09-30")
    churn = metrics.get("churn")
    full = churn.fit_state({"summary": summary}, model="bg_nbd")["model"]
    sub = churn.fit_state({"summary": summary}, seed=7, model="bg_nbd", max_fit_customers=1500)
    again = churn.fit_state({"summary": summary}, seed=7, model="bg_nbd", max_fit_customers=1500)
    other = churn.fit_state({"summary": summary}, seed=8, model="bg_nbd", max_fit_customers=1500)
    assert sub["model"].params_ == again["model"].params_  # seeded: the same subsample
    assert sub["model"].params_ != other["model"].params_
    assert sub["model"].n_obs_ == 1500
    assert full.n_obs_ == 2357
    for k in ("r", "alpha", "a", "b"):
        assert sub["model"].params_[k] == pytest.approx(full.params_[k], rel=0.5)


def test_recommendation_indicator_validates_through_the_boundary() -> None:
    rec = metrics.get("recommendation")
    sv = pd.DataFrame({"customer_id": [1, 1, 2, 3], "recommend": [10, 8, None, 11]})
    with pytest.raises(ValidationError, match=r"'recommend' has 1 out-of-range.*\(rows 3\)"):
        rec.compute({"surveys": sv})
    sv.loc[3, "recommend"] = 3
    got = rec.compute({"surveys": sv})
    assert got.loc[1] == 9.0
    assert np.isnan(got.loc[2])
    assert got.loc[3] == 3.0
    with pytest.raises(ValidationError, match="needs survey answers"):
        rec.compute({"surveys": None})


def test_in_process_registration_shadowing_a_plugin_warns(example_plugin: Path) -> None:
    assert metrics.get("items_per_order").origin.startswith("plugin")
    with pytest.warns(PluginWarning, match=r"'items_per_order' registered in-process shadows"):
        metrics.register("items_per_order")(lambda summary: summary["frequency"])
    try:
        assert metrics.get("items_per_order").origin.startswith("registered")
    finally:
        metrics.unregister("items_per_order")
    assert metrics.get("items_per_order").origin.startswith("plugin")


def test_broken_plugin_warning_names_its_distribution(monkeypatch: pytest.MonkeyPatch) -> None:
    class Dist:
        name = "acme-metrics"

    class FakeEP:
        name = "broken_metric"
        value = "acme.metrics:missing"
        dist = Dist()

        def load(self) -> object:
            msg = "No module named 'acme'"
            raise ImportError(msg)

    monkeypatch.setattr(reg.metadata, "entry_points", lambda group: [FakeEP()])
    reg._reload_plugins()
    try:
        with pytest.warns(PluginWarning, match=r"from acme-metrics\): it failed to load"):
            metrics.available()
    finally:
        monkeypatch.undo()
        reg._reload_plugins()


@pytest.mark.parametrize("end", ["1997-09-30", "1998-06-30"])
def test_builtin_indicators_equal_their_public_functions(end: str) -> None:
    """Every transaction indicator is a thin adapter: the public function's number, exactly."""
    tx = load_cdnow("sample")
    inputs = metrics.metric_inputs(tx, observation_end=end).as_dict()

    def value(name: str) -> pd.Series:
        return metrics.get(name).compute(inputs)

    orders = metrics.order_value(tx, observation_end=end)
    pairs = {
        "purchase_days": metrics.purchase_days(tx, observation_end=end),
        "purchase_rate": metrics.purchase_rate(tx, time_unit="Y", observation_end=end),
        "days_since_last_purchase": metrics.days_since_last_purchase(tx, observation_end=end),
        "average_order_value": orders["average_order_value"],
        "total_spend": orders["total_value"],
    }
    for name, expected in pairs.items():
        got = value(name)
        assert got.name == name
        np.testing.assert_array_equal(got.index, expected.index)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12, err_msg=name)
    rate = metrics.repeat_purchase_rate(tx, observation_end=end).statistic
    assert metrics.get("repeat_purchase_rate").compute(inputs) == rate
    # the hiatus rule of churn_flags reads the same days
    flags = metrics.churn_flags(tx, threshold=90, observation_end=end)
    np.testing.assert_array_equal(flags.to_numpy(), (value("days_since_last_purchase") > 90))


def test_purchase_days_and_days_since_last_purchase_from_a_summary() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c"],
            "date": ["2024-01-01", "2024-01-01", "2024-03-01", "2024-02-01", "2024-03-31"],
        }
    )
    for unit in ("D", "W"):
        summary = summary_of(tx, unit)
        days = metrics.purchase_days(summary)
        assert days.to_dict() == {"a": 2.0, "b": 1.0, "c": 1.0}
        since = metrics.days_since_last_purchase(summary)
        assert since.to_dict() == {"a": 30.0, "b": 59.0, "c": 0.0}
        assert since.equals(metrics.days_since_last_purchase(tx, observation_end="2024-03-31"))
    with pytest.raises(ValidationError, match="time unit"):
        metrics.days_since_last_purchase(
            pd.DataFrame({"frequency": [1], "recency": [2.0], "T": [3.0]})
        )


def summary_of(tx: pd.DataFrame, unit: str) -> pd.DataFrame:
    from custloyalty import rfm_summary

    return rfm_summary(tx, observation_end="2024-03-31", time_unit=unit, amount=None)


def test_repeat_purchase_rate_of_an_empty_summary_is_our_error() -> None:
    from custloyalty import rfm_summary

    empty = rfm_summary(load_cdnow("sample"), observation_end="1997-09-30").iloc[:0]
    with pytest.raises(ValidationError, match="empty"):
        metrics.repeat_purchase_rate(empty)
    assert np.isnan(metrics.get("repeat_purchase_rate").compute({"summary": empty}))


def test_a_fit_step_must_return_a_mapping() -> None:
    summary = pd.DataFrame({"frequency": [1.0, 2.0]}, index=[1, 2])
    metric = Metric(
        "test_fit_list",
        lambda summary, state=None: summary["frequency"],
        fit=lambda summary: [1, 2],
    )
    with pytest.raises(ValidationError, match=r"'test_fit_list'.*fit step returned list"):
        metric.fit_state({"summary": summary})


class _EP:
    def __init__(self, name: str, value: str, dist: str, obj: object) -> None:
        self.name, self.value, self.obj = name, value, obj
        self.dist = type("Dist", (), {"name": dist})()

    def load(self) -> object:
        if isinstance(self.obj, BaseException):
            raise self.obj
        return self.obj


def test_plugin_name_from_two_distributions_is_ignored_and_one_install_counts_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def f(summary: pd.DataFrame) -> pd.Series:
        return summary["frequency"]

    eps = [
        _EP("basket", "a:f", "dist-a", f),
        _EP("basket", "b:f", "dist-b", f),
        _EP("solo", "c:f", "dist-c", f),
        _EP("solo", "c:f", "dist-c", f),  # one distribution twice on sys.path
        _EP("quitter", "q:f", "dist-q", SystemExit(1)),  # sys.exit() at import
    ]
    monkeypatch.setattr(reg.metadata, "entry_points", lambda group: eps)
    reg._reload_plugins()
    try:
        with pytest.warns(PluginWarning) as record:
            names = metrics.available()
        messages = [str(w.message) for w in record]
        assert "basket" not in names
        assert "quitter" not in names
        assert "solo" in names
        assert any("'basket' is provided by several distributions" in m for m in messages)
        assert any("'quitter'" in m and "SystemExit(1)" in m for m in messages)
        assert not any("'solo'" in m for m in messages)
    finally:
        monkeypatch.undo()
        reg._reload_plugins()

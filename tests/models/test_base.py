"""Tests of the shared model machinery (compress, MLE driver)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from custloyalty.errors import ConvergenceError, ValidationError
from custloyalty.models import BetaGeo, GammaGamma, ParetoNBD, ShiftedBetaGeo, compress
from custloyalty.models._base import _fit_mle

SAVED = [
    (BetaGeo, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    (ParetoNBD, {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}),
    (GammaGamma, {"p": 6.25, "q": 3.744, "v": 15.444}),
    (ShiftedBetaGeo, {"gamma": 0.704, "delta": 1.182}),
]


@given(
    arrays(np.int64, st.integers(1, 60), elements=st.integers(0, 4)),
    st.integers(0, 2**32 - 1),
)
def test_compress_matches_numpy_unique(f: np.ndarray, seed: int) -> None:
    rng = np.random.default_rng(seed)
    r = rng.integers(0, 3, f.shape[0]) / 7.0
    t = rng.integers(3, 6, f.shape[0]) / 7.0
    w = rng.uniform(0, 2, f.shape[0])
    rows, weights, inv = compress(f, r, t, w)
    stacked = np.column_stack([f, r, t]).astype(float)
    want_rows, want_inv = np.unique(stacked, axis=0, return_inverse=True)
    np.testing.assert_array_equal(rows, want_rows)
    np.testing.assert_array_equal(inv, want_inv.reshape(-1))
    np.testing.assert_allclose(weights, np.bincount(want_inv.reshape(-1), weights=w))
    np.testing.assert_array_equal(rows[inv], stacked)
    # unweighted: counts
    _, counts, _ = compress(f, r, t)
    assert counts.sum() == f.shape[0]


def test_fit_mle_quadratic_and_standard_errors() -> None:
    # negative log-likelihood of n normal observations with known variance in log-parameters:
    # theta = exp(x); -ll = n (theta - 3)^2 / 2  ->  theta = 3, se = 1 / sqrt(n)
    n = 400.0

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.exp(x)
        return float(n * (theta[0] - 3.0) ** 2 / 2), np.array([n * (theta[0] - 3.0) * theta[0]])

    fit = _fit_mle(fun, np.zeros(1), n_obs=n, model="toy")
    assert fit.params[0] == pytest.approx(3.0, rel=1e-9)
    assert fit.standard_errors[0] == pytest.approx(1 / np.sqrt(n), rel=1e-5)
    assert fit.converged


def test_fit_mle_non_finite_raises() -> None:
    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        return float("nan"), np.zeros_like(x)

    with pytest.raises(ConvergenceError, match="toy: maximum-likelihood fit failed"):
        _fit_mle(fun, np.zeros(2), n_obs=10, model="toy")


@pytest.mark.parametrize(("cls", "params"), SAVED)
def test_from_params_only_is_json_safe(cls: Any, params: dict[str, float]) -> None:
    model = cls.from_params(params)
    d = model.to_dict()
    text = json.dumps(d, allow_nan=False)  # no NaN: unknowns are null
    assert d["n_obs"] is None
    assert d["log_likelihood"] is None
    assert d["converged"] is None  # unknown, not "converged"
    assert set(d["standard_errors"].values()) == {None}
    again = cls.from_dict(json.loads(text))
    assert again.params_ == params
    assert again.converged_ is None
    assert np.isnan(again.n_obs_)
    assert again.to_dict() == d
    assert repr(model).endswith("; from saved parameters)")
    assert "nan" not in repr(model)


def test_fitted_to_dict_is_json_safe_and_keeps_state() -> None:
    sbg = ShiftedBetaGeo().fit([1000, 631, 468, 382, 326, 289, 262, 241])
    d = json.loads(json.dumps(sbg.to_dict(), allow_nan=False))
    assert d["converged"] is True
    assert d["n_obs"] == 1000.0
    again = ShiftedBetaGeo.from_dict(d)
    assert again.converged_ is True
    assert repr(again) == repr(sbg)
    assert "fitted on 1000 obs, log-likelihood -1680.27" in repr(sbg)


def _state(**entries: Any) -> dict[str, Any]:
    from custloyalty._state import header

    return {**header("BetaGeo"), "params": SAVED[0][1], **entries}


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (None, "needs a dict .* got NoneType"),
        ([1, 2], "needs a dict .* got list"),
        ({"params": SAVED[0][1]}, "no 'kind' key"),
        ({**_state(), "kind": "GammaGamma"}, "kind 'GammaGamma', not 'BetaGeo'"),
        ({**_state(), "format_version": 99}, "format_version 99"),
        (_state(params={"r": "x", "alpha": 1, "a": 1, "b": 1}), r"params\['r'\] must be a number"),
        (_state(params={"r": None, "alpha": 1, "a": 1, "b": 1}), r"params\['r'\] must be a num"),
        (_state(params={"r": True, "alpha": 1, "a": 1, "b": 1}), r"params\['r'\] must be a num"),
        (
            _state(params={"r": float("nan"), "alpha": 1, "a": 1, "b": 1}),
            r"params\[.r.\] must be finite and >= 9.3",
        ),
        (_state(params=[1, 2, 3, 4]), "params must be a mapping"),
        (_state(params={"r": 1.0}), "exactly the keys"),
        (_state(params={**SAVED[0][1], "a": -1.0}), r"params\['a'\] must be finite and >= 9.3"),
        (_state(standard_errors=[0.1]), "standard_errors must be a mapping"),
        (_state(standard_errors={"r": "?"}), r"standard_errors\['r'\] must be a number"),
        (_state(standard_errors={"r": -1.0}), r"standard_errors\['r'\] must be finite and >= 0"),
        (_state(standard_errors={"z": 1.0}), "standard_errors has unknown key .z."),
        (_state(log_likelihood="high"), "log_likelihood must be a number"),
        (_state(log_likelihood=float("inf")), "log_likelihood must be finite"),
        (_state(n_obs=[3]), "n_obs must be a number"),
        (_state(n_obs=-3), "n_obs must be finite and >= 0"),
        (_state(converged="yes"), "converged must be true or false"),
        (_state(time_unit="fortnight"), "time_unit must be one of"),
    ],
)
def test_from_dict_errors_are_validation_errors(data: Any, match: str) -> None:
    # issue 13.2: a hand-edited or corrupted state is refused, naming the key
    with pytest.raises(ValidationError, match=match):
        BetaGeo.from_dict(data)


def test_from_dict_model_specific_state_is_validated() -> None:
    from custloyalty._state import header

    state = {**header("GammaGamma"), "params": SAVED[2][1]}
    with pytest.raises(ValidationError, match="n_excluded must be a number"):
        GammaGamma.from_dict({**state, "n_excluded": "many"})
    with pytest.raises(ValidationError, match="n_excluded must be a whole number"):
        GammaGamma.from_dict({**state, "n_excluded": 2.5})


def test_json_round_trip_and_html() -> None:
    bg = BetaGeo.from_params(SAVED[0][1], time_unit="W")
    again = BetaGeo.from_json(bg.to_json())
    assert again.params_ == bg.params_
    assert again.time_unit_ == "W"
    assert "BetaGeo" in bg._repr_html_()
    with pytest.raises(ValidationError, match="not valid JSON"):
        BetaGeo.from_json(bg.to_json()[:-5])


def test_time_unit_stored_validated_and_saved(cdnow_sample_summary: pd.DataFrame) -> None:
    bg = BetaGeo().fit(cdnow_sample_summary, time_unit="W")
    assert bg.time_unit_ == "W"
    assert BetaGeo.from_dict(json.loads(bg.to_json())).time_unit_ == "W"
    assert BetaGeo().fit(cdnow_sample_summary).time_unit_ is None  # unknown unless given
    with pytest.raises(ValidationError, match="time_unit"):
        BetaGeo().fit(cdnow_sample_summary, time_unit="fortnight")


def test_predictions_written_once_and_lifetimes_aliases(
    cdnow_sample_summary: pd.DataFrame,
) -> None:
    from custloyalty.models._base import _TransactionModel

    s = cdnow_sample_summary.iloc[:200]
    for cls, params in ((BetaGeo, SAVED[0][1]), (ParetoNBD, SAVED[1][1])):
        for name in ("p_alive", "expected_purchases", "probability_of_n_purchases"):
            assert name not in vars(cls)  # the public methods live in the shared base only
            assert getattr(cls, name) is getattr(_TransactionModel, name)
        m = cls.from_params(params, time_unit="W")
        pd.testing.assert_series_equal(m.conditional_probability_alive(s), m.p_alive(s))
        pd.testing.assert_series_equal(
            m.conditional_expected_number_of_purchases_up_to_time(10.0, s),
            m.expected_purchases(10.0, s),
        )


def test_registry_and_top_level_export() -> None:
    import custloyalty
    from custloyalty.models import get_model

    assert custloyalty.ParetoNBD is ParetoNBD
    assert get_model("pareto_nbd") is ParetoNBD
    with pytest.raises(ValidationError, match="did you mean 'pareto_nbd'"):
        get_model("pareto_nb")


@pytest.mark.parametrize("value", [1e308, 1e-300, 2e13, 5e-14])
def test_from_dict_refuses_params_outside_the_fit_range(value: float) -> None:
    # issue 13: far outside the range a fit returns (log-parameters within +-30) the special
    # functions of the predictions overflow (BG/NBD expected purchases were NaN at b = 1e308)
    for cls, params in SAVED:
        key = cls._param_names[-1]
        with pytest.raises(ValidationError, match=rf"params\['{key}'\] must be finite and >= 9\.3"):
            cls.from_params({**params, key: value})


def test_from_params_edges_of_the_fit_range_load() -> None:
    lo, hi = np.exp(-30.0), np.exp(30.0)
    m = BetaGeo.from_params({"r": lo, "alpha": hi, "a": lo, "b": hi})
    assert m.params_["alpha"] == hi


def test_from_params_refuses_a_list() -> None:
    with pytest.raises(ValidationError, match="params must be a dict of the parameters"):
        BetaGeo.from_params([0.2, 4.4, 0.8, 2.4])  # type: ignore[arg-type]


BOOL_CALLS = [
    (lambda m: m.p_alive(frequency=[True], recency=[0.0], T=[1.0]), "frequency holds booleans"),
    (lambda m: m.p_alive(frequency=[1], recency=[0.5], T=pd.Series([True])), "T holds booleans"),
    (lambda m: m.expected_purchases(True, frequency=[1], recency=[0.5], T=[1.0]), "horizon"),
    (lambda m: m.expected_purchases_new(np.array([True])), "horizon holds booleans"),
    (lambda m: m.probability_of_n_purchases(1.0, [True, False]), "n holds booleans"),
    (
        lambda m: BetaGeo().fit(
            frequency=[1, 0], recency=[0.5, 0.0], T=[1.0, 1.0], sample_weight=[True, True]
        ),
        "sample_weight holds booleans",
    ),
    (
        lambda m: BetaGeo().fit(
            pd.DataFrame({"frequency": [1], "recency": [0.5], "T": [1.0]}),
            sample_weight=pd.array([True], dtype="boolean"),
        ),
        "sample_weight holds booleans",
    ),
]


@pytest.mark.parametrize(("call", "match"), BOOL_CALLS)
def test_booleans_are_refused_as_numbers(call: Any, match: str) -> None:
    # issue 13: True silently counted as 1 in arrays (a boolean column was already refused)
    m = BetaGeo.from_params(SAVED[0][1])
    with pytest.raises(ValidationError, match=match):
        call(m)


def test_series_with_different_indexes_are_refused() -> None:
    m = BetaGeo.from_params(SAVED[0][1])
    f = pd.Series([1, 2], index=["a", "b"])
    with pytest.raises(ValidationError, match="different indexes"):
        m.p_alive(frequency=f, recency=pd.Series([0.5, 0.5], index=["b", "a"]), T=[1.0, 1.0])
    same = m.p_alive(frequency=f, recency=pd.Series([0.5, 0.5], index=["a", "b"]), T=[1.0, 1.0])
    assert list(same.index) == ["a", "b"]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100_000 + "]" * 100_000,  # RecursionError in json
        b'{"kind": "\xff"}',  # UnicodeDecodeError
        '{"kind": "BetaGeo", "n": ' + "9" * 5000 + "}",  # int digits limit (ValueError)
    ],
)
def test_from_json_refuses_hostile_text(text: str | bytes) -> None:
    # issue 13: these ended in RecursionError / UnicodeDecodeError / ValueError
    with pytest.raises(ValidationError, match=r"BetaGeo\.from_json: the text is not valid JSON"):
        BetaGeo.from_json(text)


def test_from_dict_refuses_integers_beyond_floats_and_a_boolean_version() -> None:
    state = BetaGeo.from_params(SAVED[0][1]).to_dict()
    with pytest.raises(ValidationError, match=r"params\['r'\] must be finite"):
        BetaGeo.from_dict({**state, "params": {**SAVED[0][1], "r": 10**400}})
    with pytest.raises(ValidationError, match="format_version True"):
        BetaGeo.from_dict({**state, "format_version": True})


def test_horizon_series_of_another_index_is_refused() -> None:
    m = BetaGeo.from_params(SAVED[0][1])
    hist = pd.DataFrame({"frequency": [1, 2], "recency": [1.0, 2.0], "T": [3.0, 3.0]}, index=[7, 8])
    with pytest.raises(ValidationError, match="horizon is a Series whose index differs"):
        m.expected_purchases(pd.Series([1.0, 2.0], index=[8, 7]), hist)
    same = m.expected_purchases(pd.Series([1.0, 2.0], index=[7, 8]), hist)
    assert same.iloc[0] == m.expected_purchases(1.0, hist).iloc[0]


def test_sample_weight_series_of_another_index_is_refused() -> None:
    # issue 13: a Series of weights in another order was read by position, silently
    data = pd.DataFrame(
        {"frequency": [0, 1, 2, 3], "recency": [0.0, 1.0, 2.0, 3.0], "T": [4.0] * 4},
        index=["a", "b", "c", "d"],
    )
    w = pd.Series([1.0, 2.0, 3.0, 4.0], index=["d", "c", "b", "a"])
    with pytest.raises(ValidationError, match="sample_weight is a Series whose index differs"):
        BetaGeo().fit(data, sample_weight=w)

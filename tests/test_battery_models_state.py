"""Hostile battery of the probabilistic models and of every saved state (issue 13, done-when).

Each case is a call a careless or hostile user could make, with its one acceptable outcome:

* ``value``: a correct result, checked against an independent computation (the published
  formula written out here with scipy, a numerical integral, or the model's limit), to a
  stated tolerance;
* ``error``: our own error (``ValidationError`` / ``NotFittedError``) whose message names the
  parameter, column or key (``match``);
* ``warn``: a warning of ours (``ConvergenceWarning``, ``UndefinedMetricWarning``) with a
  result that is right all the same.

Failures would be a silently wrong number, NaN where the model has a finite limit, a stray
exception (KeyError, TypeError, a numpy RuntimeWarning: the suite turns warnings into
errors), or a modified caller input. :func:`outcome` classifies a case without asserting
(used to count the outcomes before and after the fixes; see the report of the session).
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, special, stats

from _battery import (
    BG_PUB,
    GG_PUB,
    PNBD_PUB,
    SBG_PUB,
    Case,
    Cases,
    holdout_group_means,
    run_expected,
)
from custloyalty import rfm_summary
from custloyalty.datasets import load_cdnow
from custloyalty.errors import (
    ConvergenceWarning,
    CustLoyaltyError,
    NotFittedError,
    UndefinedMetricWarning,
    ValidationError,
)
from custloyalty.models import (
    BetaGeo,
    GammaGamma,
    ParetoNBD,
    ShiftedBetaGeo,
    available_models,
    calibration_holdout,
    clv,
    cumulative_purchases,
    get_model,
)
from custloyalty.models._beta_geo import _conditional_factor_quadrature
from custloyalty.scorecard import LoyaltyScorecard
from custloyalty.segmentation import QuantileTiers, RFMScorer, TierPolicy, ValuePotentialGrid

# -- data and fitted objects (bundled data only) ---------------------------------------------

HIST = {"frequency": [0, 1, 5, 100], "recency": [0.0, 10.0, 30.0, 37.0], "T": [38.0] * 4}
LOW, HIGH = math.exp(-30.0) * 1.000001, math.exp(30.0) * 0.999999  # the range of a fit


@cache
def summary() -> pd.DataFrame:
    return rfm_summary(load_cdnow("sample"), observation_end="1997-09-30", time_unit="W")


def small() -> pd.DataFrame:
    return summary().head(200).copy()


@cache
def ref_params(model: type[Any]) -> dict[str, float]:
    return dict(model().fit(small()).params_)


@cache
def fitted() -> dict[str, Any]:
    s = summary()
    tx = load_cdnow("sample").head(3000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = LoyaltyScorecard(["frequency", "monetary"], weighting="critic").fit(tx)
        card_mm = LoyaltyScorecard(
            ["frequency", "monetary"], weighting="equal", normalisation="minmax"
        ).fit(tx)
    spend = s["total_amount"]
    return {
        "BetaGeo": BetaGeo().fit(s, time_unit="W"),
        "ParetoNBD": ParetoNBD().fit(s, time_unit="W"),
        "GammaGamma": GammaGamma().fit(s),
        "ShiftedBetaGeo": ShiftedBetaGeo().fit([1000, 631, 468, 382, 326]),
        "RFMScorer": RFMScorer(bins=3).fit(s),
        "QuantileTiers": QuantileTiers([0.2, 0.3, 0.5], labels=["a", "b", "c"]).fit(spend),
        "ValuePotentialGrid": ValuePotentialGrid().fit(spend, s["frequency"]),
        "TierPolicy": TierPolicy(
            [
                {"name": "Gold", "qualify": {"spend": 1000}, "retain": {"spend": 800}},
                {"name": "Silver", "qualify": {"spend": 300}, "retain": {"spend": 200}},
                {"name": "Member"},
            ],
            grace_periods=1,
        ),
        "LoyaltyScorecard": card,
        "LoyaltyScorecard_minmax": card_mm,
    }


def score(name: str, obj: Any) -> Any:
    """What a saved object is for: its predictions on bundled data."""
    s = summary()
    head = s.head(50)
    if name == "BetaGeo":
        return obj.p_alive(head)
    if name == "ParetoNBD":
        return obj.expected_purchases(10, head)
    if name == "GammaGamma":
        return obj.expected_spend(head)
    if name == "ShiftedBetaGeo":
        return pd.Series(obj.survival([1, 2, 3, 10]))
    if name == "RFMScorer":
        return obj.transform(s)
    if name == "QuantileTiers":
        return obj.assign(s["total_amount"])
    if name == "ValuePotentialGrid":
        return obj.assign(s["total_amount"], s["frequency"])
    if name == "TierPolicy":
        return obj.assign(pd.DataFrame({"spend": s["total_amount"].to_numpy()}, index=s.index))
    return obj.score(load_cdnow("sample").head(3000)).customers


def state(name: str, edit: Callable[[dict[str, Any]], Any] | None = None) -> dict[str, Any]:
    """A deep copy of the saved state of fitted object ``name``, edited by ``edit``."""
    d = copy.deepcopy(fitted()[name].to_dict())
    if edit is not None:
        edit(d)
    return d


def load(cls: type[Any], name: str, edit: Callable[[dict[str, Any]], Any]) -> Callable[[], Any]:
    """Load an edited state of ``name`` with ``cls.from_dict`` and score it."""

    def call() -> Any:
        obj = cls.from_dict(state(name, edit))
        return score(name if name in fitted() else "LoyaltyScorecard", obj)

    return call


# -- independent computations ---------------------------------------------------------------


def bg_p_alive(p: dict[str, float], x: Any, tx: Any, t: Any) -> Any:
    """FHL (2005) eq. 11 written out (lifetimes' conditional_probability_alive)."""
    x, tx, t = (np.asarray(v, dtype=float) for v in (x, tx, t))
    odds = (
        p["a"]
        / np.maximum(p["b"] + x - 1, 1e-300)
        * ((p["alpha"] + t) / (p["alpha"] + tx)) ** (p["r"] + x)
    )
    return np.where(x > 0, 1.0 / (1.0 + odds), 1.0)


def bg_expected(p: dict[str, float], x: Any, t: Any, h: float) -> Any:
    """FHL (2005) eq. 10 with scipy's hyp2f1, without P(alive) (lifetimes' formula)."""
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    z = h / (alpha + t + h)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * (1 - ((alpha + t) / (alpha + t + h)) ** (r + x) * hyp)


def bg_expected_integral(p: dict[str, float], x: Any, t: Any, h: float) -> Any:
    """The same as an adaptive integral over the dropout probability q ~ Beta(a, b + x).

    Substituting q = u^(1/a) removes the density's singularity at 0 (a < 1).
    """
    a = p["a"]
    out = []
    for xi, ti in zip(np.atleast_1d(x), np.atleast_1d(t), strict=True):
        k, sc, bx = p["r"] + xi, h / (p["alpha"] + ti), p["b"] + xi
        log_norm = math.log(a) + special.betaln(a, bx)

        def f(
            u: float, k: float = k, sc: float = sc, bx: float = bx, log_norm: float = log_norm
        ) -> float:
            q = u ** (1.0 / a)
            g = -math.expm1(-k * math.log1p(q * sc)) / q if q > 0 else k * sc
            return g * math.exp((bx - 1.0) * math.log1p(-q) - log_norm) if q < 1 else 0.0

        q0 = min(1.0 / sc, 0.5) if sc > 0 else 0.5  # where g bends: split the range there
        pts = sorted({min(max((q0 * c) ** a, 1e-300), 0.999) for c in (1e-3, 1e-1, 1.0, 10.0)})
        out.append(integrate.quad(f, 0.0, 1.0, points=pts, limit=400, epsabs=0.0, epsrel=1e-11)[0])
    return np.array(out)


def bg_expected_concentrated(p: dict[str, float], x: Any, t: Any, h: float) -> Any:
    """The same when Beta(a, b + x) is a point mass (a, b in the billions): p = a/(a+b+x)."""
    x, t = np.asarray(x, dtype=float), np.asarray(t, dtype=float)
    q = p["a"] / (p["a"] + p["b"] + x)
    return -np.expm1(-(p["r"] + x) * np.log1p(q * h / (p["alpha"] + t))) / q


def pnbd_p_alive(p: dict[str, float], x: float, tx: float, t: float) -> float:
    """Pareto/NBD P(alive), lifetimes' formula (FHL 2005b, eqs. 11 and 18), alpha < beta."""
    r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
    assert alpha < beta
    rsx = r + s + x

    def term(y: float) -> float:
        return (
            float(special.hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + y)))
            / (beta + y) ** rsx
        )

    a0 = term(tx) - term(t)
    return 1.0 / (1.0 + s / rsx * (alpha + t) ** (r + x) * (beta + t) ** s * a0)


def sbg_derl_integral(g: float, d: float, rate: float, n: int) -> float:
    """DERL as the expectation over the churn probability (a numerical integral)."""
    b = d + n - 1

    def f(theta: float) -> float:
        return float((1 - theta) * (1 + rate) / (rate + theta) * stats.beta.pdf(theta, g, b))

    return float(integrate.quad(f, 0.0, 1.0, limit=200)[0])


def close(want: Any, *, rtol: float = 1e-9, atol: float = 0.0) -> Callable[[Any], bool]:
    """Check against ``want`` (or ``want()``, computed when the case runs)."""

    def check(got: Any) -> bool:
        nonlocal want
        if callable(want):
            want = want()
        g = np.asarray(got.to_numpy() if hasattr(got, "to_numpy") else got, dtype=float)
        return bool(np.allclose(g, np.asarray(want, dtype=float), rtol=rtol, atol=atol))

    return check


def finite(low: float = -np.inf, high: float = np.inf) -> Callable[[Any], bool]:
    def check(got: Any) -> bool:
        if isinstance(got, dict):
            got = list(got.values())
        g = np.asarray(got.to_numpy() if hasattr(got, "to_numpy") else got, dtype=float)
        return bool(np.all(np.isfinite(g)) and np.all(g >= low) and np.all(g <= high))

    return check


def same_as_saved(name: str) -> Callable[[Any], bool]:
    def check(got: Any) -> bool:
        ref = score(name, fitted()[name])
        return bool(got.equals(ref)) if hasattr(ref, "equals") else False

    return check


# -- the cases -------------------------------------------------------------------------------


CASES = Cases(warning=ConvergenceWarning)
value, error, warn = CASES.value, CASES.error, CASES.warn


def _edit(d: dict[str, Any], path: str, new: Any) -> None:
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split("/")]
    for k in keys[:-1]:
        d = d[k]
    if new is _DEL:
        del d[keys[-1]]
    else:
        d[keys[-1]] = new


_DEL = object()


def at(path: str, new: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: _edit(d, path, new)


def _fit(model: type[Any], data: Any, **kw: Any) -> Callable[[], Any]:
    return lambda: model().fit(data, **kw).params_


def _with(col: str, row: int, v: Any) -> pd.DataFrame:
    d = small()
    d.iloc[row, d.columns.get_loc(col)] = v
    return d


_REPEAT_ROW = 0  # the first customer of the sample has repeat purchases

# 1. fits on odd summaries ---------------------------------------------------------------------
for M in (BetaGeo, ParetoNBD):
    n = M.__name__
    value(
        f"{n}.fit nullable dtypes",
        _fit(M, small().astype({"frequency": "Int64", "recency": "Float64", "T": "Float64"})),
        lambda got, M=M: got == ref_params(M),
    )
    value(
        f"{n}.fit pyarrow dtypes",
        _fit(
            M,
            small().astype(
                {
                    "frequency": "int64[pyarrow]",
                    "recency": "double[pyarrow]",
                    "T": "double[pyarrow]",
                }
            ),
        ),
        lambda got, M=M: got == ref_params(M),
    )
    error(f"{n}.fit bool frequency column", _fit(M, small().assign(frequency=True)), "'frequency'")
    error(f"{n}.fit NaN recency", _fit(M, _with("recency", 0, np.nan)), "'recency'.*missing")
    error(f"{n}.fit inf T", _fit(M, _with("T", 0, np.inf)), "'T'.*infinite")
    error(f"{n}.fit negative frequency", _fit(M, _with("frequency", 0, -1)), "'frequency'")
    error(f"{n}.fit recency > T", _fit(M, _with("recency", 0, 1e4)), "'recency'.*greater-than-T")
    error(
        f"{n}.fit non-integer frequency",
        _fit(M, small().assign(frequency=small()["frequency"] + 0.5)),
        "'frequency'.*non-integer",
    )
    error(f"{n}.fit T = 0", _fit(M, _with("T", 0, 0.0)), "'T'.*non-positive")
    error(
        f"{n}.fit recency without repeat",
        _fit(M, pd.DataFrame({"frequency": [0], "recency": [3.0], "T": [5.0]})),
        "'recency'.*where 'frequency' is 0",
    )
    warn(
        f"{n}.fit one customer",
        _fit(M, small().iloc[[_REPEAT_ROW]]),
        n,
        finite(0.0),
    )
    warn(
        f"{n}.fit all frequency 0",
        _fit(M, small().assign(frequency=0, recency=0.0)),
        n,
        finite(0.0),
    )
    warn(
        f"{n}.fit everybody buys every day",
        _fit(
            M, pd.DataFrame({"frequency": [729] * 50, "recency": [729.0] * 50, "T": [730.0] * 50})
        ),
        n,
        finite(0.0),
    )
    warn(
        f"{n}.fit counts of 1e6",
        _fit(
            M, pd.DataFrame({"frequency": [1e6, 5, 0], "recency": [99.0, 50, 0], "T": [100.0] * 3})
        ),
        n,
        finite(0.0),
    )
    for scale in (1e-6, 1e6):  # the time unit scales alpha (and beta) only
        value(
            f"{n}.fit T scaled by {scale:g}",
            _fit(M, small().assign(T=small()["T"] * scale, recency=small()["recency"] * scale)),
            lambda got, M=M, scale=scale: all(
                np.isclose(got[k], v * (scale if k in ("alpha", "beta") else 1.0), rtol=1e-5)
                for k, v in ref_params(M).items()
            ),
        )
    w = np.ones(200)
    error(
        f"{n}.fit negative weight",
        _fit(M, small(), sample_weight=np.r_[-1.0, w[1:]]),
        "sample_weight.*negative",
    )
    error(
        f"{n}.fit NaN weight",
        _fit(M, small(), sample_weight=np.r_[np.nan, w[1:]]),
        "sample_weight.*missing",
    )
    error(
        f"{n}.fit inf weight",
        _fit(M, small(), sample_weight=np.r_[np.inf, w[1:]]),
        "sample_weight.*infinite",
    )
    error(
        f"{n}.fit all-zero weights",
        _fit(M, small(), sample_weight=np.zeros(200)),
        "positive weight",
    )
    error(f"{n}.fit weight column missing", _fit(M, small(), sample_weight="wt"), "'wt' not found")
    error(
        f"{n}.fit weights too short",
        _fit(M, small(), sample_weight=np.ones(3)),
        "sample_weight has 3 values",
    )
    error(
        f"{n}.fit boolean weights",
        _fit(M, small(), sample_weight=np.ones(200, bool)),
        "sample_weight holds booleans",
        found="booleans read as numbers",
    )
    error(
        f"{n}.fit boolean frequency array",
        lambda M=M: M().fit(frequency=np.array([True, False]), recency=[1.0, 0.0], T=[3.0, 3.0]),
        "frequency holds booleans",
        found="booleans read as numbers",
    )
    for unit in ("days", "d", 7, ""):
        error(f"{n}.fit time_unit={unit!r}", _fit(M, small(), time_unit=unit), "time_unit")
    value(
        f"{n}.fit weights 2 == rows twice",
        _fit(M, small(), sample_weight=np.full(200, 2.0)),
        lambda got, M=M: all(
            np.isclose(got[k], v, rtol=1e-4)
            for k, v in M().fit(pd.concat([small(), small()])).params_.items()
        ),
    )

for M in (BetaGeo, ParetoNBD, GammaGamma):
    error(
        f"{M.__name__}.fit sample_weight Series in another order",
        lambda M=M: M().fit(
            small(), sample_weight=pd.Series(np.arange(1.0, 201.0), index=small().index[::-1])
        ),
        "sample_weight is a Series whose index differs",
        found="silently misaligned by position",
    )
value(
    "BetaGeo.fit sample_weight Series of the same index == array",
    lambda: (
        BetaGeo()
        .fit(small(), sample_weight=pd.Series(np.arange(1.0, 201.0), index=small().index))
        .params_
    ),
    lambda got: got == BetaGeo().fit(small(), sample_weight=np.arange(1.0, 201.0)).params_,
)

# 2. predictions at extreme parameters, horizons ----------------------------------------------
X, TX, TT = HIST["frequency"], HIST["recency"], HIST["T"]
bg = BetaGeo.from_params(BG_PUB)
value("BetaGeo.p_alive published", lambda: bg.p_alive(**HIST), close(bg_p_alive(BG_PUB, X, TX, TT)))
value(
    "BetaGeo.expected_purchases published (hyp2f1)",
    lambda: bg.expected_purchases(39, **HIST),
    close(bg_expected(BG_PUB, X, TT, 39) * bg_p_alive(BG_PUB, X, TX, TT), rtol=1e-8),
)
value(
    "BetaGeo.expected_purchases horizon 0", lambda: bg.expected_purchases(0.0, **HIST), close(0.0)
)
for hz in (39.0, 1e6):
    value(
        f"BetaGeo.expected_purchases horizon {hz:g} == integral",
        lambda hz=hz: bg.expected_purchases(hz, **HIST),
        close(
            lambda hz=hz: bg_expected_integral(BG_PUB, X, TT, hz) * bg_p_alive(BG_PUB, X, TX, TT),
            rtol=1e-7,
        ),
    )
for hz, match in (
    (-1.0, "horizon must be >= 0"),
    (np.nan, "horizon has 1 missing"),
    (np.inf, "horizon has 1 infinite"),
):
    error(
        f"BetaGeo.expected_purchases horizon {hz}",
        lambda hz=hz: bg.expected_purchases(hz, **HIST),
        match,
    )
    error(
        f"BetaGeo.expected_purchases_new horizon {hz}",
        lambda hz=hz: bg.expected_purchases_new(hz),
        match,
    )
    error(
        f"BetaGeo.probability_of_n_purchases horizon {hz}",
        lambda hz=hz: bg.probability_of_n_purchases(hz, 1),
        "horizon must be finite",
    )
for bad_h in (True, [True, False]):
    error(
        f"expected_purchases horizon {bad_h!r}",
        lambda bad_h=bad_h: bg.expected_purchases(
            bad_h, frequency=[0, 1], recency=[0.0, 1.0], T=[2.0, 2.0]
        ),
        "horizon holds booleans",
        found="booleans read as numbers",
    )
error(
    "expected_purchases_new horizon True",
    lambda: bg.expected_purchases_new(True),
    "horizon holds booleans",
    found="booleans read as numbers",
)
error(
    "probability_of_n_purchases n True",
    lambda: bg.probability_of_n_purchases(39, True),
    "n holds booleans",
    found="booleans read as numbers",
)
error(
    "probability_of_n_purchases horizon True",
    lambda: bg.probability_of_n_purchases(True, 1),
    "horizon holds booleans",
    found="booleans read as numbers",
)
for n_bad in (-1, 1.5, np.nan):
    error(
        f"probability_of_n_purchases n={n_bad}",
        lambda n_bad=n_bad: bg.probability_of_n_purchases(39, n_bad),
        "n must hold integers",
    )
error(
    "expected_purchases horizon too long",
    lambda: bg.expected_purchases([1, 2], **HIST),
    "horizon must be a scalar or one value per customer",
)
value(
    "BetaGeo.probability_of_n_purchases published eq. 8",
    lambda: bg.probability_of_n_purchases(39, [0, 1, 2]),
    close(
        [
            special.beta(BG_PUB["a"], BG_PUB["b"] + n)
            / special.beta(BG_PUB["a"], BG_PUB["b"])
            * stats.nbinom.pmf(n, BG_PUB["r"], BG_PUB["alpha"] / (BG_PUB["alpha"] + 39))
            + (n > 0)
            * special.beta(BG_PUB["a"] + 1, BG_PUB["b"] + n - 1)
            / special.beta(BG_PUB["a"], BG_PUB["b"])
            * stats.nbinom.sf(n - 1, BG_PUB["r"], BG_PUB["alpha"] / (BG_PUB["alpha"] + 39))
            for n in (0, 1, 2)
        ],
        rtol=1e-9,
    ),
)
value(
    "BetaGeo pmf sums to 1",
    lambda: bg.probability_of_n_purchases(39, np.arange(3000)).sum(),
    close(1.0, rtol=1e-9),
)

NO_DROP = {"r": 0.243, "alpha": 4.414, "a": 3e9, "b": 1e13}  # a fit where nobody drops out
bgx = BetaGeo.from_params(NO_DROP)
value(
    "BetaGeo a=3e9 b=1e13 p_alive",
    lambda: bgx.p_alive(**HIST),
    close(bg_p_alive(NO_DROP, X, TX, TT), rtol=1e-9),
)
for hz in (39.0, 1e6):
    value(
        f"BetaGeo a=3e9 b=1e13 expected_purchases h={hz:g}",
        lambda hz=hz: bgx.expected_purchases(hz, **HIST),
        close(
            bg_expected_concentrated(NO_DROP, X, TT, hz) * bg_p_alive(NO_DROP, X, TX, TT), rtol=1e-4
        ),
    )
value(
    "BetaGeo quadrature == hyp2f1 at a + b = 1e4",
    lambda: _conditional_factor_quadrature(
        0.243,
        4.414,
        2000.0,
        8000.0,
        np.array([0.0, 5.0]),
        np.array([38.0, 38.0]),
        np.array([39.0, 39.0]),
    ),
    close(
        bg_expected(
            {"r": 0.243, "alpha": 4.414, "a": 2000.0, "b": 8000.0}, [0.0, 5.0], [38.0, 38.0], 39.0
        ),
        rtol=1e-8,
    ),
)
value(
    "BetaGeo a -> 0: expected_purchases_new is the NBD limit r h / alpha",
    lambda: BetaGeo.from_params({**BG_PUB, "a": LOW}).expected_purchases_new([1.0, 1e6]),
    close([0.243 / 4.414, 0.243 / 4.414 * 1e6], rtol=1e-6),
)
for corner in (
    {"r": HIGH, "alpha": 1.0, "a": LOW, "b": 1.0},
    {"r": 1.0, "alpha": HIGH, "a": HIGH, "b": LOW},
    {"r": HIGH, "alpha": LOW, "a": LOW, "b": HIGH},
    {"r": LOW, "alpha": LOW, "a": HIGH, "b": LOW},
):
    m_c = BetaGeo.from_params(corner)
    value(
        f"BetaGeo corner {sorted((k, f'{v:.0e}') for k, v in corner.items())} finite",
        lambda m_c=m_c: np.r_[
            m_c.p_alive(**HIST).to_numpy(),
            m_c.expected_purchases(10, **HIST).to_numpy(),
            m_c.expected_purchases_new([0.0, 10.0]),
        ],
        finite(0.0),
        found="NaN where the model has a finite limit",
    )

pn = ParetoNBD.from_params(PNBD_PUB)
value(
    "ParetoNBD.p_alive published (lifetimes' formula)",
    lambda: pn.p_alive(frequency=[2, 5], recency=[30.0, 20.0], T=[38.0, 38.0]),
    close(
        [pnbd_p_alive(PNBD_PUB, 2, 30.0, 38.0), pnbd_p_alive(PNBD_PUB, 5, 20.0, 38.0)], rtol=1e-8
    ),
)
value(
    "ParetoNBD.expected_purchases_new eq. 17",
    lambda: pn.expected_purchases_new([1.0, 39.0]),
    close(
        [
            0.553 * 11.669 / (10.578 * (0.606 - 1)) * (1 - (11.669 / (11.669 + h)) ** (0.606 - 1))
            for h in (1.0, 39.0)
        ],
        rtol=1e-10,
    ),
)
value(
    "ParetoNBD pmf sums to 1",
    lambda: pn.probability_of_n_purchases(39, np.arange(3000)).sum(),
    close(1.0, rtol=1e-7),
)
BOUNDARY = {"r": 0.553, "alpha": 10.578, "s": 1e-7, "beta": 1e8}  # nobody drops out
pnb = ParetoNBD.from_params(BOUNDARY)
value("ParetoNBD s=1e-7 beta=1e8 p_alive -> 1", lambda: pnb.p_alive(**HIST), close(1.0, rtol=1e-6))
value(
    "ParetoNBD s=1e-7 beta=1e8 expected -> (r+x) h/(alpha+T)",
    lambda: pnb.expected_purchases(39, **HIST),
    close((0.553 + np.asarray(X)) * 39 / (10.578 + 38.0), rtol=1e-5),
)
value(
    "ParetoNBD r=1e7 alpha=1e8 finite",
    lambda: ParetoNBD.from_params({"r": 1e7, "alpha": 1e8, "s": 0.6, "beta": 11.7}).p_alive(**HIST),
    finite(0.0, 1.0),
)
value(
    "ParetoNBD s = 1 (continuity)",
    lambda: ParetoNBD.from_params({**PNBD_PUB, "s": 1.0}).expected_purchases_new(39.0),
    close(0.553 * 11.669 / 10.578 * math.log1p(39 / 11.669), rtol=1e-10),
)

value(
    "ParetoNBD r, alpha at the fit's lower bound, x = 0: P(alive) -> (beta/(beta+T))^s",
    lambda: ParetoNBD.from_params({"r": LOW, "alpha": LOW, "s": 0.606, "beta": 11.669}).p_alive(
        frequency=[0], recency=[0.0], T=[38.0]
    ),
    close((11.669 / (11.669 + 38.0)) ** 0.606, rtol=1e-9),
    found="NaN where the model has a finite limit",
)
for corner in (
    {"r": 7.8e-09, "alpha": 1.6e-03, "s": 1.1e-07, "beta": 7.3e08},
    {"r": 1.7e-08, "alpha": 4.8e12, "s": 5.1e06, "beta": 2.3e-04},
    {"r": 1.6e-12, "alpha": 3.6e-09, "s": 9.9e-09, "beta": 9.1},
):
    m_p = ParetoNBD.from_params(corner)
    value(
        f"ParetoNBD corner {sorted((k, f'{v:.0e}') for k, v in corner.items())} finite",
        lambda m_p=m_p: np.r_[
            m_p.p_alive(**HIST).to_numpy(), m_p.expected_purchases(10, **HIST).to_numpy()
        ],
        finite(0.0),
        found="NaN where the model has a finite limit",
    )
value(
    "ParetoNBD pmf at r = 1e13 (a dead part of 0) without RuntimeWarning",
    lambda: ParetoNBD.from_params(
        {"r": HIGH, "alpha": 1.0, "s": 1.0, "beta": 1.0}
    ).probability_of_n_purchases(10, [0, 1, 5]),
    finite(0.0, 1.0),
    found="stray RuntimeWarning",
)
gg = GammaGamma.from_params(GG_PUB)
value(
    "GammaGamma.expected_spend eq. 5",
    lambda: gg.expected_spend(frequency=[0, 1, 10], monetary=[np.nan, 20.0, 20.0]),
    close([6.25 * (15.44 + x * 20.0) / (6.25 * x + 3.74 - 1) for x in (0, 1, 10)], rtol=1e-12),
)
value(
    "GammaGamma $0 repeat spend: the limit p v/(p x + q - 1)",
    lambda: gg.expected_spend(frequency=[2], monetary=[0.0]),
    close(6.25 * 15.44 / (6.25 * 2 + 3.74 - 1), rtol=1e-12),
)
warn(
    "GammaGamma q <= 1: inf (the limit) with a warning",
    lambda: GammaGamma.from_params({**GG_PUB, "q": 0.5}).expected_spend(
        frequency=[0, 2], monetary=[np.nan, 10.0]
    ),
    "infinite expected spend",
    lambda got: bool(
        np.isinf(got.iloc[0]) and np.isclose(got.iloc[1], 6.25 * (15.44 + 20) / (12.5 - 0.5))
    ),
    warning=UndefinedMetricWarning,
)
error(
    "GammaGamma.expected_spend Series of different indexes",
    lambda: gg.expected_spend(
        frequency=pd.Series([1, 2], index=["a", "b"]),
        monetary=pd.Series([10.0, 30.0], index=["b", "a"]),
    ),
    "different indexes",
    found="silently misaligned by position",
)
error(
    "GammaGamma negative monetary",
    lambda: gg.expected_spend(frequency=[2], monetary=[-1.0]),
    "'monetary'.*negative",
)
error(
    "GammaGamma boolean frequency array",
    lambda: gg.expected_spend(frequency=[True], monetary=[10.0]),
    "frequency holds booleans",
    found="booleans read as numbers",
)
error(
    "GammaGamma.fit all repeat spend $0",
    _fit(GammaGamma, small().assign(monetary=0.0)),
    "no repeat customer",
)
error(
    "GammaGamma.fit inf spend",
    _fit(GammaGamma, _with("monetary", 0, np.inf)),
    "'monetary'.*infinite",
)
error(
    "GammaGamma.fit boolean weights",
    _fit(GammaGamma, small(), sample_weight=np.ones(200, bool)),
    "sample_weight holds booleans",
    found="booleans read as numbers",
)
value(
    "GammaGamma.fit spend scaled by 1e9 scales v only",
    _fit(
        GammaGamma,
        summary()[summary()["frequency"] > 0].assign(monetary=lambda d: d["monetary"] * 1e9),
    ),
    lambda got: bool(
        np.isclose(got["p"], fitted()["GammaGamma"].params_["p"], rtol=1e-6)
        and np.isclose(got["v"], fitted()["GammaGamma"].params_["v"] * 1e9, rtol=1e-6)
    ),
)

sbg = ShiftedBetaGeo.from_params(SBG_PUB)
value(
    "ShiftedBetaGeo.survival B(g, d+t)/B(g, d)",
    lambda: sbg.survival([1, 5, 12]),
    close(
        [
            math.exp(special.betaln(0.704, 1.182 + t) - special.betaln(0.704, 1.182))
            for t in (1, 5, 12)
        ],
        rtol=1e-10,
    ),
)
value(
    "ShiftedBetaGeo DERL == its integral",
    lambda: sbg.discounted_expected_residual_lifetime(0.1, renewals=[0, 4]),
    close([sbg_derl_integral(0.704, 1.182, 0.1, n) for n in (1, 5)], rtol=1e-7),
)
value(
    "ShiftedBetaGeo DERL delta=1e13: the no-churn limit (1+d)/d",
    lambda: ShiftedBetaGeo.from_params(
        {"gamma": 1.0, "delta": 1e13}
    ).discounted_expected_residual_lifetime(0.1, renewals=[0, 4]),
    close(11.0, rtol=1e-9),
    found="NaN where the model has a finite limit",
)
value(
    "ShiftedBetaGeo DERL delta=1e9 == integral",
    lambda: ShiftedBetaGeo.from_params(
        {"gamma": 2.0, "delta": 1e9}
    ).discounted_expected_residual_lifetime(0.1),
    close(11.0 * (1 - 2.0 / 1e9 * (1 + 1 / 0.1)), rtol=1e-7),
)
error(
    "ShiftedBetaGeo.fit boolean survivors",
    lambda: ShiftedBetaGeo().fit([True, False]),
    "survivors holds booleans",
    found="booleans read as numbers",
)
error(
    "ShiftedBetaGeo.fit boolean weights",
    lambda: ShiftedBetaGeo().fit([[100, 60, 40], [100, 50, 20]], sample_weight=[True, True]),
    "sample_weight holds booleans",
    found="booleans read as numbers",
)
error(
    "ShiftedBetaGeo.fit increasing", lambda: ShiftedBetaGeo().fit([100, 120]), "must not increase"
)
error(
    "ShiftedBetaGeo.fit NaN in the middle",
    lambda: ShiftedBetaGeo().fit([100, np.nan, 50]),
    "missing counts",
)
error("ShiftedBetaGeo.fit one period", lambda: ShiftedBetaGeo().fit([100]), "at least two periods")
error(
    "ShiftedBetaGeo.survival True",
    lambda: sbg.survival(True),
    "horizon holds booleans",
    found="booleans read as numbers",
)
error(
    "ShiftedBetaGeo DERL rate True",
    lambda: sbg.discounted_expected_residual_lifetime(True),
    "discount_rate holds booleans",
    found="booleans read as numbers",
)
error(
    "ShiftedBetaGeo DERL rate 0",
    lambda: sbg.discounted_expected_residual_lifetime(0.0),
    "discount_rate",
)
warn(
    "ShiftedBetaGeo.fit nobody churns",
    lambda: ShiftedBetaGeo().fit([100, 100, 100, 100]).params_,
    "ShiftedBetaGeo",
    finite(0.0),
)

# 3. array inputs, clv, the registry ---------------------------------------------------------
error(
    "p_alive Series with different indexes",
    lambda: bg.p_alive(
        frequency=pd.Series([1, 2], index=[5, 6]),
        recency=pd.Series([1.0, 1.0], index=[7, 8]),
        T=[3.0, 3.0],
    ),
    "different indexes",
    found="silently misaligned by position",
)
value(
    "p_alive Series with the same index keep it",
    lambda: bg.p_alive(
        frequency=pd.Series([1, 2], index=[5, 6]),
        recency=pd.Series([1.0, 1.0], index=[5, 6]),
        T=[3.0, 3.0],
    ),
    lambda got: (
        list(got.index) == [5, 6] and close(bg_p_alive(BG_PUB, [1, 2], [1.0, 1.0], [3.0, 3.0]))(got)
    ),
)
error(
    "p_alive table and arrays",
    lambda: bg.p_alive(pd.DataFrame(HIST), frequency=[1, 2, 3]),
    "must be a column name",
)
error(
    "p_alive missing column",
    lambda: bg.p_alive(pd.DataFrame(HIST).drop(columns="T")),
    "'T' not found",
)
error(
    "p_alive MultiIndex columns",
    lambda: bg.p_alive(
        pd.DataFrame(HIST).set_axis(
            pd.MultiIndex.from_product([["a"], ["frequency", "recency", "T"]]), axis=1
        )
    ),
    "MultiIndex",
)
error("p_alive empty table", lambda: bg.p_alive(pd.DataFrame(HIST).iloc[:0]), "empty")
error(
    "p_alive nan_policy typo",
    lambda: bg.p_alive(pd.DataFrame(HIST), nan_policy="drop"),
    "nan_policy",
)
value(
    "p_alive nan_policy omit keeps rows aligned",
    lambda: bg.p_alive(frequency=[1, np.nan], recency=[1.0, 1.0], T=[3.0, 3.0], nan_policy="omit"),
    lambda got: bool(
        np.isnan(got.iloc[1]) and np.isclose(got.iloc[0], bg_p_alive(BG_PUB, [1], [1.0], [3.0])[0])
    ),
)
error("get_model typo", lambda: get_model("bgnbd"), "did you mean 'bg_nbd'")
error("get_model None", lambda: get_model(None), "Unknown model None")
value(
    "available_models",
    available_models,
    lambda got: got == ["bg_nbd", "gamma_gamma", "pareto_nbd", "sbg"],
)
error("BetaGeo unfitted", lambda: BetaGeo().p_alive(**HIST), "not fitted", err=NotFittedError)
error(
    "from_params list",
    lambda: BetaGeo.from_params([1, 2, 3, 4]),
    "params must be a dict",
    found="stray exception",
)
error(
    "from_params string value",
    lambda: BetaGeo.from_params({**BG_PUB, "r": "0.2"}),
    r"params\['r'\] must be a number",
)
error(
    "from_params 1e308",
    lambda: BetaGeo.from_params({**BG_PUB, "b": 1e308}),
    r"params\['b'\] must be finite and >= 9.3",
    found="NaN where the model has a finite limit",
)
error(
    "from_params 1e-300",
    lambda: ParetoNBD.from_params({**PNBD_PUB, "r": 1e-300}),
    r"params\['r'\]",
    found="NaN where the model has a finite limit",
)
error(
    "from_params time_unit",
    lambda: BetaGeo.from_params(BG_PUB, time_unit="days"),
    "time_unit must be one of",
)

D = pd.DataFrame({**HIST, "monetary": [np.nan, 10.0, 20.0, 30.0]})
bgw = BetaGeo.from_params(BG_PUB, time_unit="W")


def _clv_direct(tm: Any, gg_: Any, data: pd.DataFrame, months: int, rate: float) -> Any:
    spend = gg_.expected_spend(data).to_numpy()
    per = 365.25 / 12 / 7
    cum = [np.zeros(len(data))] + [
        tm.expected_purchases(k * per, data).to_numpy() for k in range(1, months + 1)
    ]
    return spend * sum((cum[k] - cum[k - 1]) / (1 + rate) ** k for k in range(1, months + 1))


value(
    "clv == discounted increments",
    lambda: clv(bgw, gg, D),
    close(_clv_direct(bgw, gg, D, 12, 0.01), rtol=1e-12),
)
value(
    "clv $0 spend uses the limit",
    lambda: clv(bgw, gg, D.assign(monetary=[np.nan, 0.0, 0.0, 0.0])),
    close(_clv_direct(bgw, gg, D.assign(monetary=[np.nan, 0.0, 0.0, 0.0]), 12, 0.01), rtol=1e-12),
)
warn(
    "clv q <= 1: inf for one-time buyers, with a warning",
    lambda: clv(bgw, GammaGamma.from_params({**GG_PUB, "q": 0.5}), D),
    "infinite expected spend",
    lambda got: bool(np.isinf(got.iloc[0]) and np.isfinite(got.iloc[1:]).all()),
    warning=UndefinedMetricWarning,
)
for kw, match in (
    ({"horizon": 0}, "'horizon'"),
    ({"horizon": 1.5}, "'horizon'"),
    ({"horizon": True}, "'horizon'"),
    ({"discount_rate": -0.1}, "'discount_rate'"),
    ({"discount_rate": np.nan}, "'discount_rate'"),
    ({"discount_rate": True}, "discount_rate holds booleans"),
    ({"margin": 0}, "'margin'"),
    ({"margin": True}, "margin holds booleans"),
    ({"monetary": "spend"}, "'spend' not found"),
    ({"time_unit": "D"}, "fitted in 'W'"),
):
    error(
        f"clv {kw}",
        lambda kw=kw: clv(bgw, gg, D, **kw),
        match,
        found="booleans read as numbers" if "booleans" in match else "",
    )
error(
    "clv horizon 10**5 months (typed in days?)",
    lambda: clv(bgw, gg, D, horizon=10**5),
    "'horizon' parameter of clv must be an integer number of months from 1 to 1200",
    found="speed cliff (minutes)",
)
value(
    "clv horizon 1200 months == discounted increments",
    lambda: clv(bgw, gg, D.iloc[:2], horizon=1200),
    close(lambda: _clv_direct(bgw, gg, D.iloc[:2], 1200, 0.01), rtol=1e-9),
)
error(
    "expected_purchases horizon Series of another index",
    lambda: bg.expected_purchases(
        pd.Series([1.0, 2.0], index=[8, 7]),
        frequency=pd.Series([1, 2], index=[7, 8]),
        recency=[1.0, 2.0],
        T=[3.0, 3.0],
    ),
    "horizon is a Series whose index differs",
    found="silently misaligned by position",
)
value(
    "expected_purchases horizon Series of the same index",
    lambda: bg.expected_purchases(
        pd.Series([1.0, 2.0], index=[7, 8]),
        frequency=pd.Series([1, 2], index=[7, 8]),
        recency=[1.0, 2.0],
        T=[3.0, 3.0],
    ),
    close(
        lambda: (
            np.array([bg_expected(BG_PUB, [x], [3.0], h)[0] for x, h in ((1, 1.0), (2, 2.0))])
            * bg_p_alive(BG_PUB, [1, 2], [1.0, 2.0], [3.0, 3.0])
        ),
        rtol=1e-9,
    ),
)
error("clv no time unit", lambda: clv(bg, gg, D), "time unit")
error("clv models swapped", lambda: clv(gg, bgw, D), "'transaction_model'")
error(
    "clv unfitted", lambda: clv(BetaGeo(), gg, D, time_unit="W"), "not fitted", err=NotFittedError
)

# 3b. model checks ----------------------------------------------------------------------------


@cache
def holdout() -> pd.DataFrame:
    return rfm_summary(
        load_cdnow("sample"),
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
    )


def _ch(model: Any = None, data: Any = None, **kw: Any) -> Callable[[], Any]:
    return lambda: calibration_holdout(
        bgw if model is None else model, holdout() if data is None else data, **kw
    )


def _cp(model: Any = None, **kw: Any) -> Callable[[], Any]:
    return lambda: cumulative_purchases(bgw if model is None else model, load_cdnow("sample"), **kw)


value(
    "calibration_holdout == group means",
    _ch(),
    lambda got: close(holdout_group_means(bgw, holdout(), 7))(got["expected"]),
)
value(
    "calibration_holdout max_frequency 10**12 (no huge allocation)",
    _ch(max_frequency=10**12),
    lambda got: close(holdout_group_means(bgw, holdout(), 10**12))(got["expected"]),
    found="memory cliff (process killed)",
)
for mf in (0, 1.5, True, "7"):
    error(f"calibration_holdout max_frequency={mf!r}", _ch(max_frequency=mf), "'max_frequency'")
error("calibration_holdout GammaGamma", _ch(model=gg), "'model' parameter", found="stray exception")
error("calibration_holdout unfitted", _ch(model=BetaGeo()), "not fitted", err=NotFittedError)
error(
    "calibration_holdout negative holdout",
    _ch(data=holdout().assign(frequency_holdout=-1)),
    "'frequency_holdout'",
)
error(
    "calibration_holdout non-integer holdout",
    _ch(data=holdout().assign(frequency_holdout=0.5)),
    "'frequency_holdout' has .* non-integer",
    found="silently wrong number",
)
error(
    "calibration_holdout missing column",
    _ch(data=holdout().drop(columns="duration_holdout")),
    "'duration_holdout' not found",
)
value(
    "cumulative_purchases expected == sum of E[X(age)]",
    _cp(observation_end="1997-03-31"),
    lambda got: close(
        [
            sum(
                float(bgw.expected_purchases_new((d - f).days / 7.0))
                for f in pd.to_datetime(load_cdnow("sample").groupby("customer_id")["date"].min())
                if f <= d
            )
            for d in got["date"].iloc[[3, -1]]
        ],
        rtol=1e-9,
    )(got["expected"].iloc[[3, -1]]),
)
error(
    "cumulative_purchases time_unit other than the model's",
    _cp(time_unit="D"),
    "fitted in 'W'",
    found="silently wrong number",
)
value(
    "cumulative_purchases time_unit defaults to the model's",
    _cp(model=BetaGeo.from_params(BG_PUB, time_unit="D"), observation_end="1997-02-28"),
    lambda got: len(got) == 59,
    found="silently wrong number",
)
error(
    "cumulative_purchases GammaGamma", _cp(model=gg), "'model' parameter", found="stray exception"
)
error(
    "cumulative_purchases ShiftedBetaGeo",
    _cp(model=sbg),
    "'model' parameter",
    found="stray exception",
)
error("cumulative_purchases time_unit typo", _cp(time_unit="days"), "'time_unit'")
error(
    "cumulative_purchases observation_end before data",
    _cp(observation_end="1990-01-01"),
    "No purchases",
)

# 4. saved states ------------------------------------------------------------------------------
MODELS = {
    "BetaGeo": BetaGeo,
    "ParetoNBD": ParetoNBD,
    "GammaGamma": GammaGamma,
    "ShiftedBetaGeo": ShiftedBetaGeo,
}
for name, cls in MODELS.items():
    p0 = cls._param_names[0]
    error(
        f"{name}.from_json truncated",
        lambda cls=cls, name=name: cls.from_json(fitted()[name].to_json()[:-20]),
        "not valid JSON",
    )
    error(
        f"{name}.from_json of a dict",
        lambda cls=cls, name=name: cls.from_json(state(name)),
        "needs JSON text",
    )
    error(f"{name} format_version 2", load(cls, name, at("format_version", 2)), "format_version 2")
    error(
        f"{name} format_version '1'",
        load(cls, name, at("format_version", "1")),
        "format_version '1'",
    )
    error(f"{name} no params", load(cls, name, at("params", _DEL)), "no 'params' entry")
    error(
        f"{name} params a list",
        load(cls, name, at("params", [1.0, 2.0])),
        "params must be a mapping",
    )
    error(
        f"{name} extra param",
        load(cls, name, lambda d: d["params"].update(zz=1.0)),
        "exactly the keys",
    )
    error(
        f"{name} param missing",
        load(cls, name, lambda d, p0=p0: d["params"].pop(p0)),
        "exactly the keys",
    )
    for bad, match in (
        (None, "must be a number"),
        ("1.0", "must be a number"),
        ([1.0], "must be a number"),
        ({"v": 1}, "must be a number"),
        (True, "must be a number"),
        (-1.0, "must be finite and >="),
        (0.0, "must be finite and >="),
        (1e308, "must be finite and >="),
        (1e-300, "must be finite and >="),
    ):
        error(
            f"{name} params[{p0}] = {bad!r:.12}",
            load(cls, name, lambda d, p0=p0, bad=bad: d["params"].update({p0: bad})),
            rf"params\['{p0}'\] {match}",
            found="NaN where the model has a finite limit" if bad in (1e308, 1e-300) else "",
        )
    error(
        f"{name} standard_errors negative",
        load(cls, name, lambda d, p0=p0: d["standard_errors"].update({p0: -1.0})),
        rf"standard_errors\['{p0}'\]",
    )
    error(
        f"{name} standard_errors unknown key",
        load(cls, name, lambda d: d["standard_errors"].update(zz=1.0)),
        "standard_errors has unknown key .zz.",
    )
    error(
        f"{name} standard_errors a list",
        load(cls, name, at("standard_errors", [0.1, 0.2])),
        "standard_errors must be a mapping",
    )
    error(f"{name} n_obs negative", load(cls, name, at("n_obs", -1.0)), "n_obs")
    error(
        f"{name} converged 'yes'",
        load(cls, name, at("converged", "yes")),
        "converged must be true or false",
    )
    error(
        f"{name} time_unit 'days'",
        load(cls, name, at("time_unit", "days")),
        "time_unit must be one of",
    )
    error(
        f"{name} log_likelihood inf",
        load(cls, name, at("log_likelihood", "inf")),
        "log_likelihood must be a number",
    )
    value(
        f"{name} standard_errors missing: loads, scores the same",
        load(cls, name, at("standard_errors", _DEL)),
        same_as_saved(name),
    )
    value(
        f"{name} JSON round trip scores identically",
        lambda cls=cls, name=name: score(name, cls.from_json(fitted()[name].to_json())),
        same_as_saved(name),
    )


def _boundary_round_trip() -> bool:
    m = BetaGeo().fit(small().assign(frequency=0, recency=0.0))  # warns: flat likelihood
    again = BetaGeo.from_json(m.to_json())
    return bool(again.p_alive(small()).equals(m.p_alive(small())))


warn(
    "BetaGeo fitted at a boundary: JSON round trip (null standard errors) scores identically",
    _boundary_round_trip,
    "BetaGeo",
    bool,
)


@cache
def churn_card() -> LoyaltyScorecard:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LoyaltyScorecard(["frequency", "churn_risk"], weighting="equal").fit(
            load_cdnow("sample").head(3000)
        )


def _churn_state(params: dict[str, float]) -> dict[str, Any]:
    d = copy.deepcopy(churn_card().to_dict())
    d["fitted"]["metric_states"]["churn_risk"]["model"]["params"] = params
    return d


value(
    "scorecard with a Pareto/NBD churn model: JSON round trip scores identically",
    lambda: (
        LoyaltyScorecard.from_json(churn_card().to_json())
        .score(load_cdnow("sample").head(3000))
        .customers
    ),
    lambda got: bool(got.equals(churn_card().score(load_cdnow("sample").head(3000)).customers)),
)
error(
    "scorecard churn model with params out of range",
    lambda: LoyaltyScorecard.from_dict(
        _churn_state({"r": 0.5, "alpha": 10.0, "s": 1e300, "beta": 10.0})
    ),
    r"churn_risk.*params\['s'\]",
    found="NaN where the model has a finite limit",
)


error(
    "BetaGeo state into ParetoNBD",
    lambda: ParetoNBD.from_dict(state("BetaGeo")),
    "kind 'BetaGeo', not 'ParetoNBD'",
)
error(
    "GammaGamma state into BetaGeo",
    lambda: BetaGeo.from_dict(state("GammaGamma")),
    "kind 'GammaGamma'",
)
error(
    "RFMScorer state into TierPolicy",
    lambda: TierPolicy.from_dict(state("RFMScorer")),
    "kind 'RFMScorer'",
)
error("model state not a dict", lambda: BetaGeo.from_dict([1, 2]), "needs a dict")
error(
    "GammaGamma n_excluded negative",
    load(GammaGamma, "GammaGamma", at("n_excluded", -3)),
    "n_excluded",
)

for name, cls in (
    ("RFMScorer", RFMScorer),
    ("QuantileTiers", QuantileTiers),
    ("ValuePotentialGrid", ValuePotentialGrid),
    ("TierPolicy", TierPolicy),
    ("LoyaltyScorecard", LoyaltyScorecard),
    ("LoyaltyScorecard_minmax", LoyaltyScorecard),
):
    value(
        f"{name} JSON round trip scores identically",
        lambda cls=cls, name=name: score(name, cls.from_json(fitted()[name].to_json())),
        same_as_saved(name),
    )
    error(
        f"{name}.from_json truncated",
        lambda cls=cls, name=name: cls.from_json(fitted()[name].to_json()[:-15]),
        "not valid JSON",
    )
    error(
        f"{name} format_version 99", load(cls, name, at("format_version", 99)), "format_version 99"
    )

error(
    "RFMScorer edges of R one short",
    load(RFMScorer, "RFMScorer", lambda d: d["edges"]["R"].pop()),
    r"edges\['R'\] must hold 2 \(bins - 1\) values; got 1",
    found="wrong count loads silently",
)
error(
    "RFMScorer edges of F empty",
    load(RFMScorer, "RFMScorer", lambda d: d["edges"].update(F=[])),
    r"edges\['F'\] must hold 2 \(bins - 1\) values; got 0",
    found="wrong count loads silently",
)
error(
    "RFMScorer edges unsorted",
    load(RFMScorer, "RFMScorer", lambda d: d["edges"]["M"].reverse()),
    r"edges\['M'\] must be sorted",
)
error(
    "RFMScorer edges NaN",
    load(RFMScorer, "RFMScorer", lambda d: d["edges"]["M"].__setitem__(0, float("nan"))),
    r"edges\['M'\]\[0\]",
)
error("RFMScorer bins 40", load(RFMScorer, "RFMScorer", at("bins", 40)), "bins")
error("RFMScorer method typo", load(RFMScorer, "RFMScorer", at("method", "quantiles")), "method")
error(
    "QuantileTiers thresholds count",
    load(QuantileTiers, "QuantileTiers", lambda d: d["thresholds"].pop()),
    "thresholds must hold exactly 2",
)
error(
    "QuantileTiers thresholds increasing",
    load(QuantileTiers, "QuantileTiers", at("thresholds", [1.0, 2.0])),
    "non-increasing",
)
error(
    "QuantileTiers labels not strings",
    load(QuantileTiers, "QuantileTiers", at("labels", [1, 2, 3])),
    "labels must be a list of strings",
)
error(
    "ValuePotentialGrid levels a list",
    load(ValuePotentialGrid, "ValuePotentialGrid", at("levels", [2])),
    "levels must be 2 or 3",
    found="stray exception",
)
error(
    "ValuePotentialGrid levels a dict",
    load(ValuePotentialGrid, "ValuePotentialGrid", at("levels", {})),
    "levels must be 2 or 3",
    found="stray exception",
)
error(
    "ValuePotentialGrid thresholds count",
    load(ValuePotentialGrid, "ValuePotentialGrid", at("fitted_value_thresholds", [1.0, 2.0])),
    "fitted_value_thresholds must hold exactly 1",
)
error(
    "TierPolicy tier name a list",
    load(TierPolicy, "TierPolicy", at("tiers/0/name", ["Gold"])),
    r"tiers\[0\].name must be a string",
    found="bogus value loads silently",
)
error(
    "TierPolicy tier name null",
    load(TierPolicy, "TierPolicy", at("tiers/1/name", None)),
    r"tiers\[1\].name must be a string",
    found="bogus value loads silently",
)
error(
    "TierPolicy tiers a string",
    load(TierPolicy, "TierPolicy", at("tiers", "Gold")),
    "'tiers' must be a list",
)
error(
    "TierPolicy retain above qualify",
    load(TierPolicy, "TierPolicy", at("tiers/0/retain/spend", 5000.0)),
    "must not exceed",
)
error(
    "TierPolicy qualify negative",
    load(TierPolicy, "TierPolicy", at("tiers/0/qualify/spend", -1.0)),
    "qualify",
)
SC = "LoyaltyScorecard_minmax"
error(
    "scorecard weights sum 1.2",
    load(LoyaltyScorecard, SC, at("fitted/weighting/weights/purchase_days", 0.7)),
    "must sum to 1",
)
error(
    "scorecard weight negative",
    load(LoyaltyScorecard, SC, at("fitted/weighting/weights/purchase_days", -0.5)),
    r"weights\['purchase_days'\]",
)
error(
    "scorecard weight missing",
    load(LoyaltyScorecard, SC, lambda d: d["fitted"]["weighting"]["weights"].pop("total_spend")),
    "one weight per indicator",
)
error(
    "scorecard normaliser direction bogus",
    load(LoyaltyScorecard, SC, at("fitted/normalisers/total_spend/direction", "up")),
    "direction",
)
error(
    "scorecard normaliser bound NaN",
    load(LoyaltyScorecard, SC, at("fitted/normalisers/total_spend/high", None)),
    "total_spend",
)
error(
    "scorecard tier thresholds count",
    load(LoyaltyScorecard, SC, lambda d: d["fitted"]["tiers"]["thresholds"].pop()),
    "thresholds",
)
error(
    "scorecard indicator missing from active",
    load(LoyaltyScorecard, SC, at("fitted/active", ["purchase_days"])),
    "lacks the transaction indicators",
)
error(
    "scorecard percentile knots unsorted",
    load(
        LoyaltyScorecard,
        "LoyaltyScorecard",
        lambda d: d["fitted"]["normalisers"]["total_spend"]["knots"].reverse(),
    ),
    "knots",
)
error(
    "scorecard state into RFMScorer",
    lambda: RFMScorer.from_dict(state(SC)),
    "kind 'loyalty_scorecard'",
)


_BG_JSON = BetaGeo.from_params(BG_PUB, time_unit="W").to_json()
error(
    "from_json arrays nested 100000 deep",
    lambda: BetaGeo.from_json("[" * 100_000 + "]" * 100_000),
    "not valid JSON",
    found="stray exception",
)
error(
    "from_json bytes that are not UTF-8",
    lambda: BetaGeo.from_json(b'{"kind": "\xff"}'),
    "not valid JSON",
    found="stray exception",
)
error(
    "from_json an integer of 5000 digits",
    lambda: BetaGeo.from_json(_BG_JSON.replace('"r": 0.243', '"r": ' + "9" * 5000)),
    "not valid JSON",
    found="stray exception",
)
value(
    "from_json bytes with a UTF-8 BOM",
    lambda: BetaGeo.from_json(b"\xef\xbb\xbf" + _BG_JSON.encode()).params_,
    lambda got: got == BG_PUB,
)
error(
    "from_dict params[r] = 10**400 (JSON integer)",
    lambda: BetaGeo.from_dict({**json.loads(_BG_JSON), "params": {**BG_PUB, "r": 10**400}}),
    r"params\['r'\] must be finite",
    found="stray exception",
)
error(
    "from_dict format_version true",
    lambda: BetaGeo.from_dict({**json.loads(_BG_JSON), "format_version": True}),
    "format_version True",
    found="bogus value loads silently",
)
error(
    "RFMScorer bins = 10**400",
    load(RFMScorer, "RFMScorer", at("bins", 10**400)),
    "bins must be finite",
    found="stray exception",
)
error(
    "TierPolicy qualify = 10**400",
    load(TierPolicy, "TierPolicy", at("tiers/0/qualify/spend", 10**400)),
    "qualify",
    found="stray exception",
)
error(
    "TierPolicy grace_periods = 10**400",
    load(TierPolicy, "TierPolicy", at("grace_periods", 10**400)),
    "grace_periods must be a non-negative integer",
    found="stray exception",
)
error(
    "scorecard tier share = 10**400",
    load(LoyaltyScorecard, SC, at("config/tiers/shares/0", 10**400)),
    "one positive share per label",
    found="stray exception",
)


# -- the test ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_battery(case: Case) -> None:
    run_expected(case)


def test_battery_is_large_enough() -> None:
    assert len(CASES) >= 120
    assert len({c.id for c in CASES}) == len(CASES)


def outcome(case: Case) -> str:
    """Classify a case without asserting: correct / own error / warned / wrong / stray."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            got = case.call()
        except CustLoyaltyError:
            return "own error"
        except Exception:
            return "stray exception"
    ours = [w for w in seen if issubclass(w.category, ConvergenceWarning | UndefinedMetricWarning)]
    if any(w.category is RuntimeWarning for w in seen):
        return "stray exception"  # a numpy RuntimeWarning: an error under filterwarnings
    if case.expect == "error":
        return "silently wrong"
    ok = case.check is not None and case.check(got)
    if not ok:
        return "silently wrong"
    return "warned" if ours else "correct"


# -- properties and the caller's data ------------------------------------------------------


@given(
    st.sampled_from(list(MODELS)),
    st.sampled_from(["params", "standard_errors", "n_obs", "log_likelihood", "time_unit"]),
    st.one_of(
        st.none(),
        st.booleans(),
        st.text(max_size=3),
        st.floats(allow_nan=True, allow_infinity=True),
        st.lists(st.floats(), max_size=2),
        st.dictionaries(st.text(max_size=2), st.floats(), max_size=2),
    ),
)
def test_any_edited_model_state_loads_right_or_is_refused(name: str, key: str, new: Any) -> None:
    d = state(name)
    if key == "params":
        d["params"][MODELS[name]._param_names[-1]] = new
    else:
        d[key] = new
    try:
        m = MODELS[name].from_dict(d)
    except ValidationError as exc:
        message = str(exc)
    else:
        got = np.asarray(score(name, m), dtype=float)
        assert np.all(np.isfinite(got))
        return
    assert key in message


@given(
    st.floats(LOW, HIGH),
    st.floats(LOW, HIGH),
    st.floats(LOW, HIGH),
    st.floats(LOW, HIGH),
)
def test_bg_nbd_predictions_finite_over_the_fit_range(
    r: float, alpha: float, a: float, b: float
) -> None:
    m = BetaGeo.from_params({"r": r, "alpha": alpha, "a": a, "b": b})
    alive = m.p_alive(**HIST).to_numpy()
    e = m.expected_purchases(10, **HIST).to_numpy()
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(e) & (e >= 0))


@given(st.floats(LOW, HIGH), st.floats(LOW, HIGH), st.floats(LOW, HIGH), st.floats(LOW, HIGH))
def test_pareto_nbd_p_alive_finite_over_the_fit_range(
    r: float, alpha: float, s: float, beta: float
) -> None:
    m = ParetoNBD.from_params({"r": r, "alpha": alpha, "s": s, "beta": beta})
    alive = m.p_alive(**HIST).to_numpy()
    assert np.all((alive >= 0) & (alive <= 1))


def test_caller_data_unchanged() -> None:
    d = small()
    before = d.copy()
    w = np.ones(len(d))
    w0 = w.copy()
    BetaGeo().fit(d, sample_weight=w)
    GammaGamma().fit(d, sample_weight=w)
    fitted()["BetaGeo"].expected_purchases(5, d)
    clv(bgw, gg, d)
    pd.testing.assert_frame_equal(d, before)
    np.testing.assert_array_equal(w, w0)
    s = state("BetaGeo")
    s0 = json.dumps(s)
    BetaGeo.from_dict(s)
    assert json.dumps(s) == s0

"""Hostile battery of the models' predictions and helpers, round 4 (issue 13, done-when).

What is tried: every public prediction of :class:`BetaGeo`, :class:`ParetoNBD`,
:class:`GammaGamma` and :class:`ShiftedBetaGeo` after a fit or :meth:`from_params`, plus
:func:`clv`, :func:`calibration_holdout`, :func:`cumulative_purchases`, :func:`compress`,
:func:`get_model` / :func:`available_models`, with the arguments a careless or hostile user
passes: fractional, tiny, huge, empty, 2-D, object, nullable and Series horizons; durations
(``pd.Timedelta``) and complex numbers where numbers are due; shapes that do not broadcast;
classes instead of fitted models; a margin in percent; numpy integers; models fitted on
hostile bases (nobody drops out, one purchase rate for all, one customer, nobody repeats) and
models built from parameters between 1e-8 and 1e13. The cases of
``tests/test_battery_models_state.py`` (round 3: saved states, booleans, NaN / inf horizons,
misaligned Series, the BG/NBD corners) are not repeated.

Each case has one acceptable outcome:

* ``value``: the right number, checked against an independent computation written here
  (the published formula with scipy, ``scipy.integrate.quad`` of the model's integral form,
  an identity between two different computations such as the mean of the pmf against the
  expected purchases, a closed-form limit, exact ``decimal`` arithmetic), or against
  lifetimes 0.11.3 (values precomputed, see ``LIFETIMES``), with a stated tolerance;
* ``error``: our own error whose message names the parameter (``match``);
* ``warn``: a warning of ours with a result that is right all the same.

``found`` records the failure class of a case on the code before this round (counted in
the session's report): a silently wrong number, a stray exception (TypeError, ValueError,
a numpy RuntimeWarning or ComplexWarning: the suite turns warnings into errors), or a
correct call refused.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from decimal import Decimal, getcontext
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

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
from custloyalty.errors import ConvergenceWarning, UndefinedMetricWarning
from custloyalty.models import (
    BetaGeo,
    GammaGamma,
    ParetoNBD,
    ShiftedBetaGeo,
    available_models,
    calibration_holdout,
    clv,
    compress,
    cumulative_purchases,
    get_model,
)

HIST = {"frequency": [0, 1, 5, 20], "recency": [0.0, 10.0, 30.0, 37.5], "T": [38.0] * 4}
X, TX, TT = (np.asarray(HIST[k], dtype=float) for k in ("frequency", "recency", "T"))

#: lifetimes 0.11.3 (benchmarks/.venv-peers) with the published parameters set on
#: ``BetaGeoFitter`` / ``ParetoNBDFitter`` / ``GammaGammaFitter().params_``, on HIST:
#: conditional_expected_number_of_purchases_up_to_time(h, x, tx, T) ("ce"),
#: conditional_probability_alive ("pa"), expected_number_of_purchases_up_to_time ("en", at
#: 0.5 and 104), probability_of_n_purchases_up_to_time(52, n) for n = 0, 3, 10 ("pmf"),
#: conditional_expected_average_profit(x=[1, 3, 50], m=[5, 100, 0.5]) ("gg").
LIFETIMES = {
    "bg ce 0.5": [
        0.0028594690765460272,
        0.006495603891397143,
        0.0449818984608577,
        0.226943541334184,
    ],
    "bg ce 104": [0.4612789320772046, 0.9632033935237548, 5.953209997743128, 28.17065815786241],
    "bg pa": [1.0, 0.4443891844081749, 0.730353825292715, 0.955061619311553],
    "bg en": [0.02706504632509459, 2.2028051144016385],
    "bg pmf": [0.5384027142293999, 0.04999598575067686, 0.004649230986839782],
    "pn pa": [0.30041452374795263, 0.4099550257633107, 0.8371785582019259, 0.9931929934833627],
    "pn ce 0.5": [
        0.001704734844012836,
        0.006533087159766193,
        0.04770419282016173,
        0.2094689477167117,
    ],
    "pn ce 104": [0.24163136722713127, 0.9260083984160271, 6.76165526509036, 29.69040517132539],
    "gg": [14.21023359288098, 91.74034434620754, 0.8017700799390945],
}

bg = BetaGeo.from_params(BG_PUB, time_unit="W")
pn = ParetoNBD.from_params(PNBD_PUB, time_unit="W")
gg = GammaGamma.from_params(GG_PUB)
sbg = ShiftedBetaGeo.from_params(SBG_PUB)


@cache
def holdout() -> pd.DataFrame:
    return rfm_summary(
        load_cdnow("sample"),
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
    )


# -- hostile bases -----------------------------------------------------------------------------

BASES = {
    # purchases spread evenly, everybody still buying at the end: nobody drops out
    "nobody drops out": pd.DataFrame(
        {"frequency": [10, 20, 5, 8] * 10, "recency": [99.0, 99.5, 98.0, 99.9] * 10, "T": 100.0}
    ),
    # identical customers: one purchase rate for all (r, alpha -> infinity)
    "one rate for all": pd.DataFrame({"frequency": [5] * 30, "recency": [90.0] * 30, "T": 100.0}),
    "one customer": pd.DataFrame({"frequency": [3], "recency": [50.0], "T": [100.0]}),
    "nobody repeats": pd.DataFrame(
        {"frequency": [0] * 20, "recency": [0.0] * 20, "T": np.linspace(10, 100, 20)}
    ),
}


@cache
def hostile(model: str, base: str) -> Any:
    cls = {"BetaGeo": BetaGeo, "ParetoNBD": ParetoNBD}[model]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # flat likelihoods: warned
        return cls().fit(BASES[base])


# -- independent computations ------------------------------------------------------------------


def bg_p_alive(p: dict[str, float], x: Any, tx: Any, t: Any) -> Any:
    """FHL (2005) eq. 11 in logs (the odds overflow for large x otherwise)."""
    x, tx, t = (np.asarray(v, dtype=float) for v in (x, tx, t))
    log_odds = (
        np.log(p["a"])
        - np.log(np.maximum(p["b"] + x - 1, 1e-300))
        + (p["r"] + x) * (np.log(p["alpha"] + t) - np.log(p["alpha"] + tx))
    )
    return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700.0))), 1.0)


def bg_factor_quad(p: dict[str, float], x: float, t_obs: float, h: float) -> float:
    """E[Y(h) | alive at T] as scipy quad of E_p[(1 - (1 + p s)^-(r+x)) / p], p ~ Beta(a, b+x).

    The substitution p = v^(1/a) removes the density's singularity at 0.
    """
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    k, sc, bx = r + x, h / (alpha + t_obs), b + x
    log_norm = math.log(a) + special.betaln(a, bx)

    def f(v: float) -> float:
        q = v ** (1.0 / a)
        g = -math.expm1(-k * math.log1p(q * sc)) / q if q > 0 else k * sc
        return g * math.exp((bx - 1.0) * math.log1p(-q) - log_norm) if q < 1 else 0.0

    pts = sorted(
        {
            min(max((c / max(sc * max(k, 1.0), 1e-300)) ** a, 1e-300), 0.999)
            for c in (1e-2, 1.0, 1e2)
        }
    )
    return float(integrate.quad(f, 0.0, 1.0, points=pts, limit=400, epsabs=0.0, epsrel=1e-11)[0])


def sbg_survival_product(g: float, d: float, t: int) -> float:
    """S(t) = prod_{j<t} (d + j) / (g + d + j) (integer t), in logs."""
    j = np.arange(t, dtype=float)
    return float(np.exp(np.sum(np.log(d + j) - np.log(g + d + j))))


def sbg_derl_quad(g: float, d: float, rate: float, renewals: int) -> float:
    """DERL = E[(1 - th)(1 + d)/(d + th)], th ~ Beta(g, d + renewals), by scipy quad.

    The factor (1 - th) cancels the density's singularity at 1; th = v^(1/g) the one at 0:
    DERL = (1 + d) / (g B(g, b)) int_0^1 (1 - th)^b / (d + th) dv, b = delta + renewals.
    """
    b = d + renewals

    def f(v: float) -> float:
        th = math.exp(math.log(v) / g) if v > 0 else 0.0
        return math.exp(b * math.log1p(-th)) / (rate + th) if th < 1 else 0.0

    pts = [0.5, 0.9, 0.99, 0.999999]
    val = integrate.quad(f, 0.0, 1.0, points=pts, limit=400, epsabs=0.0, epsrel=1e-10)[0]
    return float((1 + rate) * val / math.exp(math.log(g) + special.betaln(g, b)))


def gg_decimal(p: dict[str, float], x: float, m: float) -> float:
    """Fader & Hardie (2013) eq. 5 in exact decimal arithmetic (no overflow)."""
    getcontext().prec = 50
    pp, q, v = (Decimal(repr(p[k])) for k in ("p", "q", "v"))
    xx, mm = Decimal(repr(x)), Decimal(repr(m))
    return float(pp * (v + xx * mm) / (pp * xx + q - 1))


def close(want: Any, *, rtol: float = 1e-9, atol: float = 0.0) -> Callable[[Any], bool]:
    """Check against ``want`` (or ``want()``, computed when the case runs)."""

    def check(got: Any) -> bool:
        w = want() if callable(want) else want
        g = np.asarray(got.to_numpy() if hasattr(got, "to_numpy") else got, dtype=float)
        return bool(np.allclose(g, np.asarray(w, dtype=float), rtol=rtol, atol=atol))

    return check


def pmf_identities(model: Any, h: float, *, rtol: float) -> Callable[[Any], bool]:
    """The pmf sums to 1 and its mean is expected_purchases_new(h): two independent routes."""

    def check(pm: Any) -> bool:
        n = np.arange(pm.shape[0])
        return bool(
            np.isclose(pm.sum(), 1.0, rtol=rtol)
            and np.isclose((n * pm).sum(), model.expected_purchases_new(h), rtol=rtol)
            and (pm >= 0).all()
        )

    return check


# -- the cases ---------------------------------------------------------------------------------


CASES = Cases(warning=UndefinedMetricWarning)
value, error, warn = CASES.value, CASES.error, CASES.warn
WRONG, STRAY, REFUSED = "silently wrong number", "stray exception", "correct call refused"
NO_HINT = "our error without the known hint"


# 1. horizons of the conditional and unconditional predictions ------------------------------
for m, key in ((bg, "bg"), (pn, "pn")):
    n = type(m).__name__
    for hz in (0.5, 104.0):
        value(
            f"{n}.expected_purchases h={hz:g} == lifetimes",
            lambda m=m, hz=hz: m.expected_purchases(hz, **HIST),
            close(LIFETIMES[f"{key} ce {hz:g}"], rtol=1e-7),
        )
    value(
        f"{n}.p_alive == lifetimes",
        lambda m=m: m.p_alive(**HIST),
        close(LIFETIMES[f"{key} pa"], rtol=1e-7),
    )
    value(
        f"{n}.churn_risk == 1 - lifetimes p_alive",
        lambda m=m: m.churn_risk(**HIST),
        close(1.0 - np.array(LIFETIMES[f"{key} pa"]), rtol=1e-6, atol=1e-12),
    )
    value(
        f"{n}.conditional_expected_number_of_purchases_up_to_time alias",
        lambda m=m: m.conditional_expected_number_of_purchases_up_to_time(0.5, **HIST),
        close(LIFETIMES[f"{key} ce 0.5"], rtol=1e-7),
    )
    for bad, match, found in (
        (pd.Timedelta(days=3), "durations", WRONG),
        (np.array([pd.Timedelta(days=1)] * 4, dtype=object), "durations", WRONG),
        (np.timedelta64(3, "D"), "durations", WRONG),
        (1 + 2j, "complex", STRAY),
        (np.array([1.0, 2.0, 3.0, 1 + 0j], dtype=object), "complex", STRAY),
        ([[1.0], [2.0], [3.0], [4.0]], "one-dimensional", ""),
        (pd.array([1, None, 3, 4], dtype="Int64"), "horizon has 1 missing", ""),
        ("ten", "non-numeric", ""),
        (None, "horizon", ""),
        ([], "horizon is empty", ""),
    ):
        error(
            f"{n}.expected_purchases horizon {type(bad).__name__} {str(bad)[:20]!r}",
            lambda m=m, bad=bad: m.expected_purchases(bad, **HIST),
            match,
            found=found,
        )
    value(
        f"{n}.expected_purchases nullable horizon with NA, omit: NaN for that customer only",
        lambda m=m: m.expected_purchases(
            pd.array([None, 104, 104, 104], dtype="Int64"), **HIST, nan_policy="omit"
        ),
        lambda got, key=key: bool(
            np.isnan(got.iloc[0])
            and np.allclose(got.iloc[1:], LIFETIMES[f"{key} ce 104"][1:], rtol=1e-7)
        ),
    )
    value(
        f"{n}.expected_purchases per-customer horizons == one by one",
        lambda m=m: m.expected_purchases(np.array([0.5, 104.0, 0.5, 104.0]), **HIST),
        close(
            [
                LIFETIMES[f"{key} ce 0.5"][0],
                LIFETIMES[f"{key} ce 104"][1],
                LIFETIMES[f"{key} ce 0.5"][2],
                LIFETIMES[f"{key} ce 104"][3],
            ],
            rtol=1e-7,
        ),
    )
    value(
        f"{n}.expected_purchases horizon 1e-300: about 0, not negative",
        lambda m=m: m.expected_purchases(1e-300, **HIST),
        lambda got: bool((got >= 0).all() and (got <= 1e-290).all()),
    )
    value(
        f"{n}.expected_purchases increasing in the horizon",
        lambda m=m: np.array([m.expected_purchases(h, **HIST).to_numpy() for h in (0, 1, 10, 1e3)]),
        lambda got: bool((np.diff(got, axis=0) > 0).all()),
    )
    table = pd.DataFrame(HIST, index=["c5", "c6", "c7", "c8"])
    value(
        f"{n}.expected_purchases horizon Series of the table's index",
        lambda m=m, table=table: m.expected_purchases(
            pd.Series([0.5, 104.0, 0.5, 104.0], index=table.index), table
        ),
        lambda got, m=m, table=table: bool(
            list(got.index) == list(table.index)
            and np.allclose(
                got, m.expected_purchases(np.array([0.5, 104.0, 0.5, 104.0]), table), rtol=1e-15
            )
        ),
    )
    error(
        f"{n}.expected_purchases horizon Series in another order than the table",
        lambda m=m, table=table: m.expected_purchases(
            pd.Series([0.5, 104.0, 0.5, 104.0], index=table.index[::-1]), table
        ),
        "horizon is a Series whose index differs",
    )
    for bad, match, found in (
        (pd.Timedelta(weeks=2), "durations", WRONG),
        (1j, "complex", STRAY),
        ([[1.0, 2.0]], "one-dimensional", ""),
        ([], "horizon is empty", ""),
    ):
        error(
            f"{n}.expected_purchases_new horizon {type(bad).__name__} {str(bad)[:20]!r}",
            lambda m=m, bad=bad: m.expected_purchases_new(bad),
            match,
            found=found,
        )
    for bad_h, bad_n, match, found in (
        ([1.0, 2.0, 3.0], [1, 2], "cannot be broadcast", STRAY),
        (52.0, 1 + 0j, "complex", STRAY),
        (52.0, pd.Timedelta(days=1), "durations", STRAY),
        (pd.Timedelta(days=1), 2, "durations", STRAY),
        (52.0, [[1, 2], [3]], "regular array", STRAY),
        (52.0, "two", "n must be a number", STRAY),
    ):
        error(
            f"{n}.probability_of_n_purchases horizon={str(bad_h)[:15]} n={str(bad_n)[:15]}",
            lambda m=m, bad_h=bad_h, bad_n=bad_n: m.probability_of_n_purchases(bad_h, bad_n),
            match,
            found=found,
        )
    value(
        f"{n}.probability_of_n_purchases horizon column x n row broadcasts",
        lambda m=m: m.probability_of_n_purchases(np.array([[10.0], [52.0]]), np.array([0, 3])),
        lambda got, m=m: bool(
            got.shape == (2, 2)
            and np.isclose(got[1, 1], m.probability_of_n_purchases(52.0, 3), rtol=1e-14)
            and np.isclose(got[0, 0], m.probability_of_n_purchases(10.0, 0), rtol=1e-14)
        ),
    )
    value(
        f"{n}.probability_of_n_purchases horizon 0: all mass at n = 0",
        lambda m=m: m.probability_of_n_purchases(0.0, [0, 1, 2]),
        close([1.0, 0.0, 0.0]),
    )
    value(
        f"{n}.conditional_probability_alive lifetimes' positional (x, tx, T)",
        lambda m=m: m.conditional_probability_alive(X, TX, TT),
        close(LIFETIMES[f"{key} pa"], rtol=1e-7),
        found=STRAY,  # TypeError: takes from 1 to 2 positional arguments
    )
    value(
        f"{n}.conditional_expected_number_of_purchases_up_to_time lifetimes' (t, x, tx, T)",
        lambda m=m: m.conditional_expected_number_of_purchases_up_to_time(104.0, X, TX, TT),
        close(LIFETIMES[f"{key} ce 104"], rtol=1e-7),
        found=STRAY,
    )
    error(
        f"{n}.conditional_probability_alive two positional arrays",
        lambda m=m: m.conditional_probability_alive(X, TX),
        "Hint: pass frequency=..., recency=..., T=... by keyword",
        found=STRAY,
    )
value(
    "BetaGeo.expected_purchases_new h=0.5, 104 == lifetimes",
    lambda: bg.expected_purchases_new([0.5, 104.0]),
    close(LIFETIMES["bg en"], rtol=1e-7),
)
value(
    "BetaGeo.probability_of_n_purchases h=52 == lifetimes",
    lambda: bg.probability_of_n_purchases(52.0, [0, 3, 10]),
    close(LIFETIMES["bg pmf"], rtol=1e-7),
)
value(
    "BetaGeo.p_alive T = 1e-12, recency = T: 1/(1 + a/(b+x-1))",
    lambda: bg.p_alive(frequency=[3], recency=[1e-12], T=[1e-12]),
    close(1.0 / (1.0 + 0.793 / (2.426 + 2.0)), rtol=1e-12),
)
value(
    "BetaGeo.p_alive frequency 1e9, long silence: 0 (eq. 11 in logs)",
    lambda: bg.p_alive(frequency=[1e9, 1e9], recency=[1.0, 38.0], T=[38.0, 38.0]),
    close(bg_p_alive(BG_PUB, [1e9, 1e9], [1.0, 38.0], [38.0, 38.0]), rtol=1e-9, atol=1e-300),
)

# 2. models fitted on hostile bases ------------------------------------------------------------
H2 = {"frequency": [0, 1, 5, 50], "recency": [0.0, 10.0, 30.0, 99.0], "T": [100.0] * 4}
for model in ("BetaGeo", "ParetoNBD"):
    for base in BASES:
        value(
            f"{model} fitted on '{base}': pmf sums to 1, its mean is expected_purchases_new",
            lambda model=model, base=base: hostile(model, base).probability_of_n_purchases(
                100.0, np.arange(3000)
            ),
            lambda got, model=model, base=base: pmf_identities(
                hostile(model, base), 100.0, rtol=1e-6
            )(got),
            found=WRONG if (model, base) == ("ParetoNBD", "one customer") else "",
        )
        value(
            f"{model} fitted on '{base}': p_alive in [0, 1], E[Y(h)] <= E[Y(h) | alive]",
            lambda model=model, base=base: (
                hostile(model, base).p_alive(**H2),
                hostile(model, base).expected_purchases(10.0, **H2),
            ),
            lambda got: bool(((got[0] >= 0) & (got[0] <= 1)).all() and np.isfinite(got[1]).all()),
        )
    for base in ("nobody drops out", "one rate for all"):
        value(
            f"{model} fitted on '{base}': expected purchases -> the no-dropout (r+x)h/(alpha+T)",
            lambda model=model, base=base: hostile(model, base).expected_purchases(10.0, **H2),
            lambda got, model=model, base=base: close(
                (hostile(model, base).params_["r"] + np.asarray(H2["frequency"]))
                * 10.0
                / (hostile(model, base).params_["alpha"] + 100.0),
                rtol=1e-3,
            )(got),
        )
value(
    "BetaGeo a = 1 (fit where nobody repeats): expected_purchases_new == quad",
    lambda: BetaGeo.from_params(
        {"r": 0.0394, "alpha": 2.54e7, "a": 1.0000001, "b": 1.0}
    ).expected_purchases_new([1.0, 10.0, 100.0]),
    close(
        lambda: [
            bg_factor_quad({"r": 0.0394, "alpha": 2.54e7, "a": 1.0000001, "b": 1.0}, 0, 0, h)
            for h in (1.0, 10.0, 100.0)
        ],
        rtol=1e-7,
    ),
    found=WRONG,  # 2.2e-9 instead of 1.55e-9: rounding x c/(a - 1)
)
for p_small_a, ref in (
    # eq. 10 with mpmath (40 digits): hyp2f1(r+x, b+x; a+b+x-1; z), x = 5, T = 100, h = 10
    ({"r": 1e4, "alpha": 1e4, "a": 0.01, "b": 0.01}, 9.840323645162056706905659786568),
    ({"r": 1e12, "alpha": 1e12, "a": 0.01, "b": 1.0}, 9.941704093344316593076402033318),
):
    value(
        f"BetaGeo small a, large r {p_small_a}: E[Y | alive] == eq. 10 (mpmath)",
        lambda p=p_small_a: (
            BetaGeo.from_params(p).expected_purchases(
                10.0, frequency=[5], recency=[100.0], T=[100.0]
            )
            / BetaGeo.from_params(p).p_alive(frequency=[5], recency=[100.0], T=[100.0])
        ),
        close(ref, rtol=1e-9),
        found=WRONG,  # 9.9058 / 9.9999 (the no-dropout value): one rule missed the bend
    )
for p_large_s in (
    {"r": 0.01, "alpha": 1e-8, "s": 1e12, "beta": 1e4},
    {"r": 1.0, "alpha": 1.0, "s": 1e6, "beta": 1e-2},
    {"r": 1e4, "alpha": 1.0, "s": 1e12, "beta": 1e4},
    {"r": 0.553, "alpha": 10.578, "s": 150.0, "beta": 11.669},
):
    m_s = ParetoNBD.from_params(p_large_s)
    value(
        f"ParetoNBD s = {p_large_s['s']:g} {p_large_s}: pmf sums to 1, mean == eq. 17",
        lambda m_s=m_s: m_s.probability_of_n_purchases(10.0, np.arange(3000)),
        lambda got, m_s=m_s: pmf_identities(m_s, 10.0, rtol=1e-9)(got),
        found=WRONG if p_large_s["s"] >= 1e6 else "",  # summed to 1.0015 at s = 1e12
    )

# 3. spend and retention at extreme parameters ----------------------------------------------
for x_, m_ in ((1e9, 1e300), (10.0, 1.7e308), (1.0, 1e-300)):
    value(
        f"GammaGamma.expected_spend x={x_:g} monetary={m_:g} == eq. 5 in decimals",
        lambda x_=x_, m_=m_: gg.expected_spend(frequency=[x_], monetary=[m_]),
        close(gg_decimal(GG_PUB, x_, m_), rtol=1e-12),
        found=STRAY if m_ > 1e299 else "",  # RuntimeWarning: overflow in x * m
    )
for p_gg in ({"p": 1e-8, "q": 1e12, "v": 1e12}, {"p": 1e12, "q": 2.0, "v": 1e-8}):
    value(
        f"GammaGamma {p_gg}: expected_spend == eq. 5 in decimals",
        lambda p_gg=p_gg: GammaGamma.from_params(p_gg).expected_spend(
            frequency=[0, 1, 40], monetary=[np.nan, 20.0, 3.5]
        ),
        close([gg_decimal(p_gg, x, m) for x, m in ((0, 0.0), (1, 20.0), (40, 3.5))], rtol=1e-12),
    )
value(
    "GammaGamma.expected_spend == lifetimes conditional_expected_average_profit",
    lambda: gg.expected_spend(frequency=[1, 3, 50], monetary=[5.0, 100.0, 0.5]),
    close(LIFETIMES["gg"], rtol=1e-9),
)
value(
    "GammaGamma.expected_spend list frequency, Series monetary: the Series' labels",
    lambda: gg.expected_spend(frequency=[1, 3], monetary=pd.Series([5.0, 100.0], index=["b", "a"])),
    lambda got: list(got.index) == ["b", "a"] and close(LIFETIMES["gg"][:2], rtol=1e-9)(got),
    found=WRONG,  # labels lost: RangeIndex
)
error(
    "GammaGamma.expected_spend monetary Timedelta",
    lambda: gg.expected_spend(frequency=[1], monetary=[pd.Timedelta(days=1)]),
    "durations",
    found=WRONG,  # 6e10, the nanoseconds
)
for g_, d_ in ((1e13, 1e13), (1e-8, 1e12), (1e12, 1e-8), (1e4, 1e-8), (2.0, 3.0)):
    m_sbg = ShiftedBetaGeo.from_params({"gamma": g_, "delta": d_})
    value(
        f"ShiftedBetaGeo gamma={g_:g} delta={d_:g}: survival == product formula",
        lambda m_sbg=m_sbg: m_sbg.survival([0, 1, 2, 10]),
        close([sbg_survival_product(g_, d_, t) for t in (0, 1, 2, 10)], rtol=1e-10),
        found=WRONG if g_ >= 1e12 and d_ >= 1e12 else "",  # S(1) 0.472 instead of 0.5
    )
    value(
        f"ShiftedBetaGeo gamma={g_:g} delta={d_:g}: churn_probability == S(t-1) - S(t)",
        lambda m_sbg=m_sbg: m_sbg.churn_probability([1, 2, 10]),
        close(
            [sbg_survival_product(g_, d_, t - 1) * g_ / (g_ + d_ + t - 1) for t in (1, 2, 10)],
            rtol=1e-10,
        ),
        found=WRONG if g_ >= 1e4 else "",  # P(T = 1) = 1.0008 > 1
    )
value(
    "ShiftedBetaGeo survival at a fraction of a period: B(g, d + t)/B(g, d)",
    lambda: sbg.survival([0.5, 2.5]),
    close(
        [
            math.exp(special.betaln(0.704, 1.182 + t) - special.betaln(0.704, 1.182))
            for t in (0.5, 2.5)
        ],
        rtol=1e-12,
    ),
)
value(
    "ShiftedBetaGeo retention(1.5) == (d + 0.5)/(g + d + 0.5)",
    lambda: sbg.retention(1.5),
    close((1.182 + 0.5) / (0.704 + 1.182 + 0.5), rtol=1e-14),
)
value(
    "ShiftedBetaGeo churn probabilities sum to 1 - S(t)",
    lambda: (
        ShiftedBetaGeo.from_params({"gamma": 2.0, "delta": 3.0})
        .churn_probability(np.arange(1, 10001))
        .sum()
    ),
    close(1.0 - sbg_survival_product(2.0, 3.0, 10000), rtol=1e-12),
)
value(
    "ShiftedBetaGeo expected_lifetime == sum of S(t) (gamma = 3, delta = 2)",
    lambda: ShiftedBetaGeo.from_params({"gamma": 3.0, "delta": 2.0}).expected_lifetime(),
    close(
        lambda: float(
            np.sum(
                ShiftedBetaGeo.from_params({"gamma": 3.0, "delta": 2.0}).survival(np.arange(10**6))
            )
        ),
        rtol=1e-6,
    ),
)
value(
    "ShiftedBetaGeo expected_lifetime gamma <= 1: inf",
    lambda: ShiftedBetaGeo.from_params({"gamma": 1.0, "delta": 5.0}).expected_lifetime(),
    lambda got: math.isinf(got),
)
for g_, d_, ref, found in (
    (1e-8, 1.0, None, ""),
    (1e4, 1.0, None, WRONG),  # 1.000131e-4 instead of 1.000082e-4: one rule, no panels
    (1.0, 1e-8, None, ""),
    # mpmath (30 digits) quad of the expectation over Beta(3, 1e4 + renewals), cut at
    # 1e-12 .. 0.999 (scipy's quad misses the spike of the density near 0)
    (3.0, 1e4, [10.963855264336168, 10.963891218826939], ""),
):
    value(
        f"ShiftedBetaGeo gamma={g_:g} delta={d_:g}: DERL == quad",
        lambda g_=g_, d_=d_: ShiftedBetaGeo.from_params(
            {"gamma": g_, "delta": d_}
        ).discounted_expected_residual_lifetime(0.1, renewals=[0, 10]),
        close(
            (lambda g_=g_, d_=d_: [sbg_derl_quad(g_, d_, 0.1, n) for n in (0, 10)])
            if ref is None
            else ref,
            rtol=1e-8,
        ),
        found=found,
    )
for bad, match, found in (
    (pd.Timedelta(days=1), "durations", ""),
    (1 + 1j, "complex", ""),
    ([[1, 2]], "1-D", ""),
    (pd.array([1, None], dtype="Int64"), "finite", ""),
    (np.array([1, "x"], dtype=object), "non-numeric", ""),
):
    error(
        f"ShiftedBetaGeo.survival {type(bad).__name__} {str(bad)[:20]!r}",
        lambda bad=bad: sbg.survival(bad),
        match,
        found=found,
    )
error("ShiftedBetaGeo.churn_probability(0)", lambda: sbg.churn_probability(0), "horizon")
error(
    "ShiftedBetaGeo DERL renewals with a boolean among objects",
    lambda: sbg.discounted_expected_residual_lifetime(
        0.1, renewals=np.array([1, True], dtype=object)
    ),
    "renewals",
)

# 4. clv ---------------------------------------------------------------------------------------
D = pd.DataFrame({**HIST, "monetary": [np.nan, 10.0, 20.0, 30.0]})
PER_MONTH_W = 365.25 / 12 / 7


def clv_direct(tm: Any, data: pd.DataFrame, months: int, rate: float, per: float) -> Any:
    """sum_k (E[Y(k u)] - E[Y((k-1) u)]) / (1 + d)^k x expected spend."""
    spend = gg.expected_spend(data).to_numpy()
    cum = [np.zeros(len(data))] + [
        tm.expected_purchases(k * per, data).to_numpy() for k in range(1, months + 1)
    ]
    return spend * sum((cum[k] - cum[k - 1]) / (1 + rate) ** k for k in range(1, months + 1))


error(
    "clv transaction model given as a class",
    lambda: clv(BetaGeo, gg, D, time_unit="W"),
    "'transaction_model' parameter of clv must be a fitted model, not the class",
    found=STRAY,  # TypeError: _check_fitted() missing 'self'
)
error(
    "clv spend model given as a class",
    lambda: clv(bg, GammaGamma, D),
    "'spend_model' parameter of clv must be a fitted",
)
error(
    "clv margin 30 (percent)",
    lambda: clv(bg, gg, D, margin=30),
    "Hint: pass margin=0.3",
    found=WRONG,  # 30 times the revenue
)
value(
    "clv margin 0.3 == 0.3 x revenue",
    lambda: clv(bg, gg, D, margin=0.3),
    close(lambda: 0.3 * clv_direct(bg, D, 12, 0.01, PER_MONTH_W), rtol=1e-12),
)
value(
    "clv discount_rate 0 == spend x E[Y(12 months)]",
    lambda: clv(bg, gg, D, discount_rate=0),
    close(
        lambda: (
            gg.expected_spend(D).to_numpy() * bg.expected_purchases(12 * PER_MONTH_W, D).to_numpy()
        ),
        rtol=1e-12,
    ),
)
value(
    "clv discount_rate 0.999 == discounted increments",
    lambda: clv(bg, gg, D, discount_rate=0.999),
    close(lambda: clv_direct(bg, D, 12, 0.999, PER_MONTH_W), rtol=1e-12),
)
value(
    "clv Pareto/NBD == discounted increments",
    lambda: clv(pn, gg, D, horizon=6),
    close(lambda: clv_direct(pn, D, 6, 0.01, PER_MONTH_W), rtol=1e-12),
)
value(
    "clv model in days == discounted increments of 30.4375 days",
    lambda: clv(BetaGeo.from_params(BG_PUB, time_unit="D"), gg, D, horizon=3),
    close(lambda: clv_direct(BetaGeo.from_params(BG_PUB), D, 3, 0.01, 365.25 / 12), rtol=1e-12),
)
value(
    "clv horizon numpy int64 == int",
    lambda: clv(bg, gg, D, horizon=np.int64(3)),
    close(lambda: clv(bg, gg, D, horizon=3), rtol=0.0),
)
value(
    "clv duplicated index labels keep every row",
    lambda: clv(bg, gg, D.set_axis(["a", "a", "b", "b"])),
    lambda got: (
        list(got.index) == ["a", "a", "b", "b"]
        and close(clv_direct(bg, D, 12, 0.01, PER_MONTH_W), rtol=1e-12)(got)
    ),
)
value(
    "clv pyarrow-backed columns == float columns",
    lambda: clv(bg, gg, D.astype("double[pyarrow]")),
    close(lambda: clv_direct(bg, D, 12, 0.01, PER_MONTH_W), rtol=1e-12),
)
value(
    "clv omit: NaN only where a repeat customer's spend is missing",
    lambda: clv(bg, gg, D.assign(monetary=[np.nan, np.nan, 20.0, 30.0]), nan_policy="omit"),
    lambda got: bool(
        np.isnan(got.iloc[1])
        and np.allclose(
            got.iloc[[0, 2, 3]], clv_direct(bg, D, 12, 0.01, PER_MONTH_W)[[0, 2, 3]], rtol=1e-12
        )
    ),
)
error("clv time_unit lower case", lambda: clv(bg, gg, D, time_unit="w"), "'time_unit'")

# 5. model checks ------------------------------------------------------------------------------
error(
    "calibration_holdout model given as a class",
    lambda: calibration_holdout(BetaGeo, holdout()),
    "'model' parameter of calibration_holdout must be a fitted model, not the class",
    found=STRAY,
)
error(
    "cumulative_purchases model given as a class",
    lambda: cumulative_purchases(ParetoNBD, load_cdnow("sample")),
    "'model' parameter of cumulative_purchases must be a fitted model, not the class",
    found=STRAY,
)


value(
    "calibration_holdout max_frequency numpy int64",
    lambda: calibration_holdout(bg, holdout(), max_frequency=np.int64(3)),
    lambda got: (
        list(got.index) == [0, 1, 2, 3]
        and close(holdout_group_means(bg, holdout(), 3), rtol=1e-12)(got["expected"])
    ),
    found=REFUSED,
)
value(
    "calibration_holdout Pareto/NBD == group means",
    lambda: calibration_holdout(pn, holdout()),
    lambda got: close(holdout_group_means(pn, holdout(), 7), rtol=1e-12)(got["expected"]),
)
value(
    "calibration_holdout holdout of length 0: expected 0",
    lambda: calibration_holdout(bg, holdout().assign(duration_holdout=0.0)),
    lambda got: bool((got["expected"] == 0).all()),
)
value(
    "calibration_holdout duplicated index labels",
    lambda: calibration_holdout(bg, holdout().set_axis(np.zeros(len(holdout()), dtype=int))),
    lambda got: close(holdout_group_means(bg, holdout(), 7), rtol=1e-12)(got["expected"]),
)
value(
    "calibration_holdout one customer",
    lambda: calibration_holdout(bg, holdout().iloc[[0]]),
    lambda got: (
        len(got) == 1
        and close(holdout_group_means(bg, holdout().iloc[[0]], 7), rtol=1e-12)(got["expected"])
    ),
)
value(
    "cumulative_purchases model without a time unit: weeks, sum of E[X(age)]",
    lambda: cumulative_purchases(BetaGeo.from_params(BG_PUB), load_cdnow("sample")),
    lambda got: close(
        lambda: cp_direct(BetaGeo.from_params(BG_PUB), got["date"].iloc[[9, 40]]), rtol=1e-10
    )(got["expected"].iloc[[9, 40]]),
)


def cp_direct(model: Any, dates: pd.Series) -> Any:
    """Sum over customers of E[X((end - first purchase day) / 7)], one customer at a time."""
    tx = load_cdnow("sample")
    first = pd.to_datetime(tx.groupby("customer_id")["date"].min())
    out = []
    for end in dates:
        age = (end - first).dt.days.to_numpy() / 7.0
        age = age[age >= 0]
        out.append(float(np.sum([model.expected_purchases_new(a) for a in age])))
    return out


# 6. compress and the registry -------------------------------------------------------------------
for args, match, found in (
    (([1, 2], [1.0], [2.0, 3.0]), "same length", WRONG),
    ((["a"], [1.0], [2.0]), "non-numeric", STRAY),
    (([1, 2], [1.0, 1.0], [2.0, 2.0], [1.0]), "sample_weight has 1 values", STRAY),
    (([1, 2], [1.0, 1.0], [2.0, 2.0], [-1.0, 1.0]), "negative", WRONG),
    (([1, 1], [1.0, 1.0], [2.0, 2.0], [np.nan, 1.0]), "sample_weight has 1 missing", WRONG),
    (([1, np.nan], [1.0, 1.0], [2.0, 2.0]), "frequency has 1 missing", WRONG),
    (([1, 1], [np.inf, 1.0], [2.0, 2.0]), "recency has 1 infinite", WRONG),
    (([True, False], [1.0, 0.0], [2.0, 2.0]), "frequency holds booleans", WRONG),
    (([1], [pd.Timedelta(days=1)], [2.0]), "durations", STRAY),
    (([[1, 2]], [[1.0, 1.0]], [[2.0, 2.0]]), "one-dimensional", WRONG),
    (([1, 2], [1.0, 1.0], [2.0, 2.0], [True, True]), "sample_weight holds booleans", WRONG),
):
    error(f"compress{args!r:.60}", lambda args=args: compress(*args), match, found=found)
value(
    "compress -0.0 and 0.0 are one row",
    lambda: compress([0, 0], [0.0, -0.0], [2.0, 2.0])[1],
    close([2.0]),
)
value(
    "compress Series of any index read by position == brute-force counts",
    lambda: compress(
        pd.Series([1, 2, 1], index=["z", "y", "x"]), [1.0, 1.0, 1.0], [5.0, 5.0, 5.0], [2, 3, 4]
    ),
    lambda got: (
        got[0].tolist() == [[1.0, 1.0, 5.0], [2.0, 1.0, 5.0]]
        and got[1].tolist() == [6.0, 3.0]
        and got[2].tolist() == [0, 1, 0]
    ),
)
value("compress empty", lambda: compress([], [], [])[0].shape, lambda got: got == (0, 3))
for name, want in (("BetaGeo", "bg_nbd"), ("BG_NBD", "bg_nbd"), ("ShiftedBetaGeo", "sbg")):
    error(
        f"get_model({name!r})",
        lambda name=name: get_model(name),
        f"did you mean '{want}'",
        found=NO_HINT,
    )
error("get_model(['bg_nbd'])", lambda: get_model(["bg_nbd"]), "Unknown model")
value(
    "available_models returns a fresh list",
    lambda: (available_models().append("x"), available_models())[1],
    lambda got: got == ["bg_nbd", "gamma_gamma", "pareto_nbd", "sbg"],
)
value(
    "get_model returns the class the registry names",
    lambda: [get_model(k) for k in available_models()],
    lambda got: got == [BetaGeo, GammaGamma, ParetoNBD, ShiftedBetaGeo],
)


# -- the runner ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_battery(case: Case) -> None:
    run_expected(case)


def test_battery_is_large_enough() -> None:
    assert len(CASES) >= 100
    assert len({c.id for c in CASES}) == len(CASES)


def test_caller_data_unchanged() -> None:
    """No prediction or helper writes into the caller's table, arrays or Series."""
    data = D.copy()
    before = copy.deepcopy(data)
    arrays = {k: np.asarray(v, dtype=float) for k, v in HIST.items()}
    arrays_before = copy.deepcopy(arrays)
    horizon = pd.Series([0.5, 104.0, 0.5, 104.0])
    h_before = horizon.copy()
    for m in (bg, pn):
        m.p_alive(data)
        m.expected_purchases(horizon, data)
        m.expected_purchases(horizon, **arrays)
        m.probability_of_n_purchases(arrays["T"], arrays["frequency"])
        m.expected_purchases_new(arrays["T"])
    gg.expected_spend(data)
    clv(bg, gg, data)
    compress(arrays["frequency"], arrays["recency"], arrays["T"], arrays["T"])
    pd.testing.assert_frame_equal(data, before)
    pd.testing.assert_series_equal(horizon, h_before)
    for k, v in arrays.items():
        np.testing.assert_array_equal(v, arrays_before[k])

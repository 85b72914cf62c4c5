"""Helpers shared by the hostile-input batteries (``tests/test_battery_*.py``).

The expected outcome of a case is one of :class:`Num` (the right value, to ``tol``),
:class:`Err` (our own exception of ``kind``, its message holding every word) or
:class:`Warns` (a warning of ``kind`` holding every word, every warning of that kind, and a
result passing ``check``); :func:`run_case` runs a case against it. A warning on the way to
an expected error fails the case (warnings are errors there), and so does any warning where a
plain value is expected.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from custloyalty.errors import CustLoyaltyError, ValidationError

#: Published parameters the model batteries predict with (CDNOW, weeks; sBG: "regular").
BG_PUB = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005
PNBD_PUB = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}  # FHL 2005b
GG_PUB = {"p": 6.25, "q": 3.74, "v": 15.44}  # Fader & Hardie 2013
SBG_PUB = {"gamma": 0.704, "delta": 1.182}  # Fader & Hardie 2007, regular customers


def drawn(call: Callable[[], Any]) -> Callable[[], Any]:
    """``call`` wrapped so that the figures it draws are closed, whatever it returns or raises."""

    def run() -> Any:
        import matplotlib.pyplot as plt

        try:
            return call()
        finally:
            plt.close("all")

    return run


@dataclass(frozen=True)
class Num:
    value: Any
    tol: float = 1e-9


@dataclass(frozen=True)
class Err:
    kind: type[Exception]
    words: tuple[str, ...]

    def __init__(self, kind: type[Exception], *words: str) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "words", words)


@dataclass(frozen=True)
class Warns:
    kind: type[Warning]
    words: tuple[str, ...]
    check: Callable[[Any], bool] = field(default=lambda _: True)


def close(got: Any, want: Any, tol: float) -> bool:
    if isinstance(want, pd.Series | pd.DataFrame):
        assert type(got) is type(want), type(got)
        if isinstance(want, pd.Series):
            pd.testing.assert_series_equal(got, want, check_exact=False, rtol=tol, atol=tol)
        else:
            pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=tol, atol=tol)
        return True
    if isinstance(want, dict):
        return got.keys() == want.keys() and all(close(got[k], want[k], tol) for k in want)
    if isinstance(want, tuple | list):
        return len(got) == len(want) and all(
            close(g, w, tol) for g, w in zip(got, want, strict=True)
        )
    if isinstance(want, bool | str) or want is None:
        return bool(got == want)
    if isinstance(want, float) and math.isnan(want):
        return math.isnan(float(got))
    return math.isclose(float(got), float(want), rel_tol=tol, abs_tol=tol)


def run_case(fn: Callable[[], Any], expected: Num | Err | Warns) -> None:
    if isinstance(expected, Err):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(CustLoyaltyError) as info:
                fn()
        assert isinstance(info.value, expected.kind), repr(info.value)
        for word in expected.words:
            assert word in str(info.value), (word, str(info.value))
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = fn()
    ours = [w for w in caught if not issubclass(w.category, DeprecationWarning)]
    if isinstance(expected, Warns):
        hits = [w for w in ours if issubclass(w.category, expected.kind)]
        assert hits, [str(w.message) for w in ours]
        assert len(hits) == len(ours), [f"{w.category.__name__}: {w.message}" for w in ours]
        text = " ".join(str(w.message) for w in hits)
        assert all(word in text for word in expected.words), text
        assert expected.check(got), got
        return
    assert not ours, [f"{w.category.__name__}: {w.message}" for w in ours]
    assert close(got, expected.value, expected.tol), (got, expected.value)


@dataclass(frozen=True)
class Case:
    """A case of the model batteries: a call and its one acceptable outcome."""

    id: str
    call: Callable[[], Any]
    expect: str  # "value" | "error" | "warn"
    match: str = ""
    check: Callable[[Any], bool] | None = None
    error: type[Exception] = ValidationError
    warning: type[Warning] = Warning
    found: str = field(default="", compare=False)  # failure class before the fixes, if any


class Cases(list[Case]):
    """The cases of one battery file, added by :meth:`value`, :meth:`error` and :meth:`warn`.

    ``warning`` is the file's default warning class of :meth:`warn`.
    """

    def __init__(self, warning: type[Warning]) -> None:
        super().__init__()
        self.warning = warning

    def value(
        self, id: str, call: Callable[[], Any], check: Callable[[Any], bool], found: str = ""
    ) -> None:
        self.append(Case(id, call, "value", check=check, found=found))

    def error(
        self,
        id: str,
        call: Callable[[], Any],
        match: str,
        found: str = "",
        err: type[Exception] = ValidationError,
    ) -> None:
        self.append(Case(id, call, "error", match=match, error=err, found=found))

    def warn(
        self,
        id: str,
        call: Callable[[], Any],
        match: str,
        check: Callable[[Any], bool],
        warning: type[Warning] | None = None,
        found: str = "",
    ) -> None:
        kind = self.warning if warning is None else warning
        self.append(Case(id, call, "warn", match=match, check=check, warning=kind, found=found))


def run_expected(case: Case) -> None:
    """Run a model-battery case: ``case.expect`` is ``"value"``, ``"error"`` or ``"warn"``.

    ``"error"``: ``case.call()`` raises ``case.error`` matching ``case.match``; ``"warn"``: it
    warns ``case.warning`` matching ``case.match`` and its result passes ``case.check``;
    ``"value"``: its result passes ``case.check``.
    """
    if case.expect == "error":
        with pytest.raises(case.error, match=case.match):
            case.call()
        return
    if case.expect == "warn":
        with pytest.warns(case.warning, match=case.match):
            got = case.call()
    else:
        got = case.call()
    assert case.check is not None
    assert case.check(got), got


def holdout_group_means(model: Any, data: pd.DataFrame, top: int) -> list[float]:
    """Expected holdout purchases averaged by calibration frequency (``top`` and more pooled).

    The reference of ``calibration_holdout``'s ``expected`` column, computed directly.
    """
    e = model.expected_purchases(data["duration_holdout"].to_numpy(), data).to_numpy()
    g = np.minimum(data["frequency"].to_numpy(), top)
    return [float(e[g == k].mean()) for k in np.unique(g)]


def cli(d: Path, *argv: str) -> tuple[int, str]:
    """Run ``custloyalty *argv -q`` in folder ``d``: the exit status and stderr.

    SystemExit (argparse) gives its code; warnings are shown on stderr as outside the tests
    (ConvergenceWarning left out); a traceback on stderr fails the case.
    """
    import contextlib
    import io
    import os

    from custloyalty.cli import main
    from custloyalty.errors import ConvergenceWarning

    err = io.StringIO()
    cwd = Path.cwd()
    os.chdir(d)
    try:
        with (
            contextlib.redirect_stderr(err),
            contextlib.redirect_stdout(io.StringIO()),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("always")
            warnings.simplefilter("ignore", ConvergenceWarning)
            try:
                code = main([*argv, "-q"])
            except SystemExit as exc:  # argparse
                code = int(exc.code or 0)
    finally:
        os.chdir(cwd)
    text = err.getvalue()
    assert "Traceback" not in text
    return code, text

"""Partial least squares path modelling (PLS-PM), as in R's plspm.

Latent constructs (image, expectations, quality, value, satisfaction, loyalty) are estimated
as weighted composites of their questionnaire items by the Wold / Lohmöller iterative
algorithm, then related by ordinary least squares along the structural paths. The
satisfaction construct gives the ACSI / ECSI satisfaction index and the paths a key-driver
analysis of satisfaction and loyalty.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty import _frames
from custloyalty._progress import counter
from custloyalty._results import Result
from custloyalty._validation import (
    check_nan_policy,
    check_option,
    check_positive,
    check_probability,
)
from custloyalty.errors import (
    CollinearityWarning,
    ConvergenceError,
    ConvergenceWarning,
    ValidationError,
)
from custloyalty.metrics._params import check_count, check_flag, check_seed

__all__ = ["PLSResult", "pls_path_model"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SCHEMES = ("centroid", "factorial", "path")
_BOOT_KINDS = ("weight", "loading", "path", "r_squared", "total_effect")
#: Condition index above which predictors are flagged as collinear (Belsley, Kuh & Welsch,
#: 1980: indices above 30 signal strong dependencies that make coefficients unstable).
COLLINEARITY_WARN = 30.0
#: Condition index above which a regression is numerically singular: its coefficients are not
#: identified (any split between the collinear predictors fits equally well).
COLLINEARITY_RAISE = 1e6


# --------------------------------------------------------------------------------------------
# the algorithm (trusts its input)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Fit:
    weights: FloatArray  # (p,) outer weights on the treated (centred / standardised) items
    scores: FloatArray  # (n, L) latent scores, mean 0, variance 1 (divisor n)
    paths: FloatArray  # (L, L) B[i, j] = effect of j on i
    r2: FloatArray  # (L,) NaN for exogenous constructs
    loadings: FloatArray  # (p,)
    iterations: int
    converged: bool


def _treat(raw: FloatArray, scaled: bool) -> FloatArray:
    x: FloatArray = raw - raw.mean(axis=0)
    if scaled:
        x = x / x.std(axis=0)
    return x


def _inner_weights(y: FloatArray, adj: BoolArray, scheme: str) -> FloatArray:
    """Inner weighting matrix E (column k gives the weights forming the inner estimate of k)."""
    if scheme == "path":
        n_lv = adj.shape[0]
        e = np.zeros((n_lv, n_lv))
        corr = np.atleast_2d(np.corrcoef(y, rowvar=False))
        for k in range(n_lv):  # loop over constructs (a handful), never over rows
            pred = np.flatnonzero(adj[k])
            if pred.size:
                e[pred, k] = np.linalg.lstsq(y[:, pred], y[:, k], rcond=None)[0]
            succ = np.flatnonzero(adj[:, k])
            if succ.size:
                e[succ, k] = corr[k, succ]
        return e
    sym = (adj | adj.T).astype(np.float64)
    corr = np.atleast_2d(np.corrcoef(y, rowvar=False)) * sym
    out: FloatArray = np.sign(corr) if scheme == "centroid" else corr
    return out


def _fit(
    x: FloatArray,
    adj: BoolArray,
    odm: FloatArray,
    mode_b: BoolArray,
    scheme: str,
    tol: float,
    max_iter: int,
) -> _Fit:
    """Lohmöller's PLS algorithm on treated items ``x`` (n, p); ``adj[i, j]``: j -> i."""
    n = x.shape[0]
    sdv = np.sqrt((n - 1) / n)
    block_of = odm.argmax(axis=1)
    w_mat = odm / (x @ odm).std(axis=0)
    w_old = w_mat.sum(axis=1)
    converged = False
    iteration = 0
    for iteration in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        y = x @ w_mat
        y = (y - y.mean(axis=0)) / y.std(axis=0, ddof=1) * sdv
        z = y @ _inner_weights(y, adj, scheme)
        w_mat = odm * (x.T @ z) / n  # mode A: covariances of items with the inner estimate
        for j in np.flatnonzero(mode_b):  # mode B: multiple regression of Z_j on its items
            rows = block_of == j
            w_mat[rows, j] = np.linalg.lstsq(x[:, rows], z[:, j], rcond=None)[0]
        w_new = w_mat.sum(axis=1)
        diff = float(np.sum((np.abs(w_old) - np.abs(w_new)) ** 2))
        if diff < tol:
            converged = True
            break
        w_old = w_new
    w_mat = w_mat / (x @ w_mat).std(axis=0)
    scores = x @ w_mat
    # sign indeterminacy: orient each construct so that most of its items load positively
    xs = x / x.std(axis=0)
    zs = scores / scores.std(axis=0)
    cross = (xs.T @ zs) / n  # correlations of every item with every construct
    sign = np.sign((np.sign(cross) * odm).sum(axis=0))
    sign[sign == 0] = -1.0
    scores = scores * sign
    w_mat = w_mat * sign
    loadings = (cross * sign * odm).sum(axis=1)
    paths, r2 = _paths(scores, adj)
    return _Fit(
        weights=w_mat.sum(axis=1),
        scores=scores,
        paths=paths,
        r2=r2,
        loadings=loadings,
        iterations=iteration,
        converged=converged,
    )


def _paths(scores: FloatArray, adj: BoolArray) -> tuple[FloatArray, FloatArray]:
    """OLS of each endogenous construct on its predecessors; returns B and R^2."""
    n_lv = adj.shape[0]
    b = np.zeros((n_lv, n_lv))
    r2 = np.full(n_lv, np.nan)
    for i in np.flatnonzero(adj.any(axis=1)):
        pred = np.flatnonzero(adj[i])
        coef = np.linalg.lstsq(scores[:, pred], scores[:, i], rcond=None)[0]
        b[i, pred] = coef
        resid = scores[:, i] - scores[:, pred] @ coef
        r2[i] = 1.0 - float(resid @ resid) / float(scores[:, i] @ scores[:, i])
    return b, r2


def _collinearity(x: FloatArray) -> tuple[float, float]:
    """Condition index sqrt(max/min eigenvalue) and largest VIF of the columns of ``x``.

    Both are computed on the correlation matrix of the columns, so they do not depend on the
    columns' scales; one column gives (1, 1) and a singular matrix (inf, inf).
    """
    if x.shape[1] < 2:
        return 1.0, 1.0
    corr = np.atleast_2d(np.corrcoef(x, rowvar=False))
    eig = np.linalg.eigvalsh(corr)
    if not np.isfinite(eig).all() or eig[0] <= eig[-1] * 1e-12:
        return float("inf"), float("inf")
    vif = np.diag(np.linalg.inv(corr))
    return float(np.sqrt(eig[-1] / eig[0])), float(vif.max())


def _collinearity_table(
    treated: FloatArray,
    scores: FloatArray,
    names: list[str],
    block_of: npt.NDArray[np.intp],
    adj: BoolArray,
    mode_b: BoolArray,
) -> pd.DataFrame:
    """Condition index and largest VIF of each regression the model runs.

    Rows: the items of each mode B block (regressed on in the outer model) and the
    predecessors of each endogenous construct with two or more (the inner model).
    """
    rows: list[tuple[str, str, int, float, float]] = []
    for j in np.flatnonzero(mode_b):
        cols = np.flatnonzero(block_of == j)
        rows.append(("outer", names[j], int(cols.size), *_collinearity(treated[:, cols])))
    for i in np.flatnonzero(adj.sum(axis=1) >= 2):
        pred = np.flatnonzero(adj[i])
        rows.append(("inner", names[i], int(pred.size), *_collinearity(scores[:, pred])))
    frame = pd.DataFrame(
        rows, columns=["model", "construct", "predictors", "condition_index", "max_vif"]
    )
    return frame.set_index(["model", "construct"])


def _check_collinearity(
    table: pd.DataFrame,
    blocks: Mapping[str, Sequence[Hashable]],
    adj: BoolArray,
    names: list[str],
    func: str,
) -> None:
    """Raise on singular regressions, warn on collinear ones (see ``COLLINEARITY_*``)."""
    for key, row in table.iterrows():  # one row per construct: a handful
        model, construct = str(key[0]), str(key[1])  # type: ignore[index]
        cond = float(row["condition_index"])
        if model == "outer":
            what = f"the items of the mode B block {construct!r} ({list(blocks[construct])})"
            fix = "use mode 'A' for this block, or drop redundant items"
        else:
            preds = [names[j] for j in np.flatnonzero(adj[names.index(str(construct))])]
            what = f"the predecessors of {construct!r} ({preds})"
            fix = (
                "merge or drop one of the collinear constructs, or check that two blocks do "
                "not hold the same answers under different names"
            )
        if cond > COLLINEARITY_RAISE:
            msg = (
                f"{func}: {what} are perfectly collinear (condition index {cond:.3g}); their "
                f"coefficients are not identified.\nHint: {fix}."
            )
            raise ValidationError(msg)
        if cond > COLLINEARITY_WARN:
            warnings.warn(
                f"{func}: {what} are collinear (condition index {cond:.3g} > "
                f"{COLLINEARITY_WARN:g}, largest VIF {float(row['max_vif']):.3g}); their "
                f"coefficients are unstable.\nHint: {fix}.",
                CollinearityWarning,
                stacklevel=3,
            )


def _total_effects(b: FloatArray) -> FloatArray:
    """Sum of all powers of the (nilpotent) path matrix: total effects T[i, j] of j on i."""
    total = np.zeros_like(b)
    power = b.copy()
    for _ in range(b.shape[0]):
        total += power
        power = power @ b
    return total


def _reachable(adj: BoolArray) -> BoolArray:
    reach = adj.copy()
    for _ in range(adj.shape[0]):
        reach = reach | ((reach.astype(np.int64) @ adj.astype(np.int64)) > 0)
    return reach


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PLSResult(Result):
    """Fitted PLS path model (outer and inner model, effects, fit, bootstrap)."""

    path_coefficients: pd.DataFrame
    """Square table: ``path_coefficients.loc[to, from]`` is the standardised path from -> to."""
    outer_weights: pd.Series
    """Outer weight of each item on the treated (centred, and standardised if ``scaled``)
    items, normalised so that each construct score has unit variance (divisor n)."""
    loadings: pd.Series
    """Correlation of each item with its construct score."""
    outer_model: pd.DataFrame
    """Per item: ``block``, ``weight``, ``loading``, ``communality`` (loading^2) and
    ``redundancy`` (communality times the block's R^2)."""
    r_squared: pd.Series
    """R^2 of each endogenous construct, in [0, 1]."""
    scores: pd.DataFrame
    """Construct scores per respondent (mean 0, variance 1), indexed like the data."""
    effects: pd.DataFrame
    """Columns ``from``, ``to``, ``direct``, ``indirect``, ``total`` for every pair of
    constructs joined by a directed path."""
    constructs: pd.DataFrame
    """Per construct: ``type``, ``mode``, ``n_items``, ``r_squared``, ``communality``,
    ``redundancy``, ``ave``, ``composite_reliability``, ``dg_rho`` and ``cronbach_alpha``.

    ``ave`` is the mean squared PLS loading of a mode A block and NaN for mode B (formative)
    blocks, as plspm's NA. ``composite_reliability`` is the Dillon-Goldstein / Joreskog rho
    computed from the **PLS loadings** (the correlations of the items with the construct
    score, as SmartPLS and seminr report it). ``dg_rho`` is plspm's ``DG.rho`` (its
    ``unidim`` table), the same formula on the loadings of the block's **first principal
    component** of the standardised items; it is NaN for mode B blocks (plspm prints 0).
    The two rhos differ slightly (0.926 vs 0.927 for the ECSI satisfaction block).
    ``cronbach_alpha`` is computed on the standardised items, as plspm's ``C.alpha``."""
    gof: float
    """Goodness of fit, sqrt(mean communality x mean R^2), in [0, 1]."""
    iterations: int
    """Iterations of the outer-weight algorithm."""
    bootstrap: pd.DataFrame | None
    """With ``bootstrap > 0``: rows (kind, name) for weights, loadings, paths, R^2 and total
    effects; columns ``original``, ``mean``, ``se``, ``ci_low``, ``ci_high`` (percentile)."""
    blocks: dict[str, list[Hashable]]
    """Items of each construct."""
    modes: dict[str, str]
    """Measurement mode (``"A"`` reflective, ``"B"`` formative) of each construct."""
    scheme: str
    """Inner weighting scheme."""
    scaled: bool
    """Whether the items were standardised."""
    n: int
    """Respondents used."""
    confidence: float
    """Confidence level of the bootstrap intervals."""
    item_stats: pd.DataFrame
    """Per item, on the raw answer scale: ``mean``, ``sd`` (divisor n), ``min`` and ``max``
    (what :meth:`index` needs; the result does not keep the respondents' answers)."""
    collinearity: pd.DataFrame
    """Condition index and largest variance inflation factor of every regression the model
    runs: the items of mode B blocks (``model="outer"``) and the predecessors of endogenous
    constructs with two or more (``model="inner"``). Above 30 the coefficients are unstable
    and a :class:`~custloyalty.errors.CollinearityWarning` was emitted."""

    def unstandardized_weights(self, construct: str) -> pd.Series:
        """Weights of a construct's items on the raw item scale, normalised to sum 1.

        Parameters
        ----------
        construct
            Name of a construct (a key of ``blocks``).

        Returns
        -------
        pandas.Series
            Weights summing to 1, indexed by item.
        """
        items = self._items(construct)
        w = self.outer_weights.loc[pd.Index(items)]
        if self.scaled:
            w = w / self.item_stats.loc[pd.Index(items), "sd"]
        out = w / w.sum()
        out.name = "weight"
        return out

    def _items(self, construct: str) -> list[Hashable]:
        if not isinstance(construct, str) or construct not in self.blocks:
            msg = f"Unknown construct {construct!r}; the model has {list(self.blocks)!r}."
            raise ValidationError(msg)
        return self.blocks[construct]

    def _index_weights(self, construct: str, scale: tuple[float, float]) -> pd.Series:
        lo, hi = _check_scale(scale, "PLSResult")
        w = self.unstandardized_weights(construct)
        stats_ = self.item_stats.loc[w.index]
        low, high = float(stats_["min"].min()), float(stats_["max"].max())
        if low < lo or high > hi:
            msg = (
                f"Construct {construct!r} has answers outside the scale [{lo:g}, {hi:g}] "
                f"(range {low:g}..{high:g}).\n"
                "Hint: pass the questionnaire's scale, e.g. scale=(0, 10)."
            )
            raise ValidationError(msg)
        if (w < 0).any() or not np.isfinite(w.to_numpy()).all():
            msg = (
                f"Construct {construct!r} has negative unstandardised weights "
                f"{w.round(4).to_dict()}; a 0-100 index needs non-negative weights."
            )
            raise ValidationError(msg)
        return w

    def index(self, construct: str, *, scale: tuple[float, float] = (1, 10)) -> float:
        r"""ACSI / ECSI-style 0-100 index of a construct (e.g. the satisfaction index).

        Parameters
        ----------
        construct
            Construct name, e.g. ``"SAT"``.
        scale
            ``(min, max)`` of the item answer scale; default ``(1, 10)``.

        Returns
        -------
        float
            Index in [0, 100], higher is better.

        Raises
        ------
        ValidationError
            Unknown construct, bad scale, or negative unstandardised weights.

        Notes
        -----
        With $\tilde w_j$ the unstandardised outer weights rescaled to sum 1 and
        $\bar x_j$ the item means, $100\,(\sum_j \tilde w_j \bar x_j - \min)/(\max - \min)$
        (Fornell et al. 1996).
        """
        lo, hi = _check_scale(scale, "PLSResult.index")
        w = self._index_weights(construct, scale)
        means = self.item_stats.loc[w.index, "mean"].to_numpy()
        level = float(means @ w.to_numpy())
        return (level - lo) / (hi - lo) * 100.0

    def index_scores(
        self, data: Any, construct: str, *, scale: tuple[float, float] = (1, 10)
    ) -> pd.Series:
        """Per-respondent 0-100 index of a construct (same weights as :meth:`index`).

        Parameters
        ----------
        data
            Survey table holding the construct's item columns: the data the model was
            fitted on, or new respondents scored with the fitted weights.
        construct
            Construct name, e.g. ``"SAT"``.
        scale
            ``(min, max)`` of the item answer scale; default ``(1, 10)``.

        Returns
        -------
        pandas.Series
            One value in [0, 100] per respondent, named ``"<construct>_index"`` and indexed
            like ``data``; on the fitted data its mean equals :meth:`index`.

        Raises
        ------
        ValidationError
            Unknown construct, missing or non-numeric item columns, answers outside
            ``scale``.
        """
        lo, hi = _check_scale(scale, "PLSResult.index_scores")
        w = self._index_weights(construct, scale)
        items = list(w.index)
        frame, _ = _frames.numeric_columns(data, items, func="PLSResult.index_scores")
        block = frame.to_numpy(dtype=np.float64)
        outside = (block < lo) | (block > hi)
        if outside.any():
            msg = (
                f"PLSResult.index_scores: {int(outside.sum())} answers of {construct!r} lie "
                f"outside the scale [{lo:g}, {hi:g}].\n"
                "Hint: pass the questionnaire's scale, e.g. scale=(0, 10)."
            )
            raise ValidationError(msg)
        out = pd.Series((block @ w.to_numpy() - lo) / (hi - lo) * 100.0, index=frame.index)
        out.name = f"{construct}_index"
        return out

    def key_drivers(self, target: str, *, scale: tuple[float, float] | None = None) -> pd.DataFrame:
        """Key-driver analysis: the effects of every upstream construct on ``target``.

        Parameters
        ----------
        target
            Construct whose drivers are wanted, e.g. ``"SAT"`` or ``"LOY"``.
        scale
            With the item scale ``(min, max)``, add a ``performance`` column (each driver's
            0-100 index) for an importance-performance map.

        Returns
        -------
        pandas.DataFrame
            Indexed by driver, sorted by decreasing ``total`` effect (the importance), with
            columns ``direct``, ``indirect``, ``total`` and optionally ``performance``.
        """
        self._items(target)
        eff = self.effects.loc[self.effects["to"] == target]
        out = eff.set_index("from")[["direct", "indirect", "total"]]
        out.index.name = "driver"
        out = out.sort_values("total", ascending=False)
        if scale is not None:
            out["performance"] = [self.index(str(c), scale=scale) for c in out.index]
        return out


def _check_scale(scale: Any, func: str | None = None) -> tuple[float, float]:
    """Validate an answer scale ``(min, max)``: two finite real numbers with min < max.

    Booleans and text are refused as bounds (``float(True)`` is 1.0 and ``float("10")`` is
    10.0, so ``scale=(False, True)`` or ``("1", "10")`` would pass as a scale otherwise), as is
    a mapping (whose keys would be read as the bounds). The single boundary of every
    function with a ``scale`` option (CSAT, CES, the satisfaction index, SERVQUAL, the PLS
    index methods).
    """
    of = f" of {func}" if func else ""
    bad = f"The 'scale' parameter{of} must be a (min, max) pair of numbers; got {scale!r:.60}."
    if isinstance(scale, str | bytes | Mapping) or not isinstance(scale, Iterable):
        raise ValidationError(bad)
    items = list(scale)
    if len(items) != 2 or any(
        isinstance(v, bool | np.bool_ | str | bytes)
        or not isinstance(v, int | float | np.integer | np.floating)
        for v in items
    ):
        raise ValidationError(bad + "\nHint: pass two numbers, e.g. scale=(1, 10).")
    lo, hi = float(items[0]), float(items[1])
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        msg = f"The 'scale' parameter{of} must satisfy min < max; got {scale!r}."
        raise ValidationError(msg)
    return lo, hi


# --------------------------------------------------------------------------------------------
# public function
# --------------------------------------------------------------------------------------------
def _spec(
    paths: Mapping[str, Sequence[str]],
    blocks: Mapping[str, Sequence[Hashable]],
    modes: Mapping[str, str] | Sequence[str] | str | None,
    func: str,
) -> tuple[list[str], dict[str, list[Hashable]], BoolArray, dict[str, str]]:
    if not isinstance(blocks, Mapping) or not blocks:
        msg = f"The 'blocks' parameter of {func} must map each construct to its item columns."
        raise ValidationError(msg)
    if not isinstance(paths, Mapping) or not paths:
        msg = (
            f"The 'paths' parameter of {func} must map each endogenous construct to its "
            "predecessors, e.g. {'SAT': ['IMAG', 'VAL']}."
        )
        raise ValidationError(msg)
    names = [str(k) for k in blocks]
    blk: dict[str, list[Hashable]] = {}
    seen: dict[Hashable, str] = {}
    for k, items in blocks.items():
        cols: list[Hashable] = [items] if isinstance(items, str) else list(items)
        if not cols:
            msg = f"Block {k!r} of {func} has no items."
            raise ValidationError(msg)
        for c in cols:
            if c in seen:
                msg = f"Item {c!r} appears in blocks {seen[c]!r} and {k!r}; use it in one block."
                raise ValidationError(msg)
            seen[c] = str(k)
        blk[str(k)] = cols
    pos = {k: i for i, k in enumerate(names)}
    adj = np.zeros((len(names), len(names)), dtype=bool)
    for to, preds in paths.items():
        plist = [preds] if isinstance(preds, str) else list(preds)
        for c in [to, *plist]:
            if str(c) not in pos:
                msg = f"Construct {c!r} in 'paths' has no block; blocks are {names!r}."
                raise ValidationError(msg)
        for fr in plist:
            if str(fr) == str(to):
                msg = f"Construct {to!r} cannot be its own predecessor."
                raise ValidationError(msg)
            adj[pos[str(to)], pos[str(fr)]] = True
    if np.linalg.matrix_power(adj.astype(np.int64), len(names)).any():
        msg = f"The 'paths' of {func} contain a cycle; PLS path models must be recursive."
        raise ValidationError(msg)
    isolated = [names[i] for i in np.flatnonzero(~(adj.any(axis=0) | adj.any(axis=1)))]
    if isolated:
        msg = f"Constructs {isolated!r} are not connected by any path."
        raise ValidationError(msg)
    given: object = modes
    if isinstance(given, pd.Series):  # labelled by construct: matched by name, not position
        _frames.check_unique_index(given.index, "modes", func=func, label="construct")
        modes = {str(k): v for k, v in given.items()}
    if modes is None or isinstance(modes, str):
        mode_map = dict.fromkeys(names, "A" if modes is None else modes)
    elif isinstance(modes, Mapping):
        mode_map = {k: str(modes.get(k, "A")) for k in names}
        extra = [k for k in modes if str(k) not in pos]
        if extra:
            msg = f"'modes' names unknown constructs {extra!r}; blocks are {names!r}."
            raise ValidationError(msg)
    else:
        mlist = list(modes)
        if len(mlist) != len(names):
            msg = f"'modes' has {len(mlist)} entries for {len(names)} blocks."
            raise ValidationError(msg)
        mode_map = dict(zip(names, (str(m) for m in mlist), strict=True))
    for m in mode_map.values():
        check_option(m, "modes", ("A", "B"), func=func)
    return names, blk, adj, mode_map


def _dg_rho_pca(x: FloatArray) -> float:
    """Dillon-Goldstein rho of a block as in plspm: loadings on its first principal component.

    ``x`` holds the standardised items of one block; the loadings are the correlations of the
    items with the first principal component of their correlation matrix.
    """
    p = int(x.shape[1])
    if p < 2:
        return 1.0
    eigval, eigvec = np.linalg.eigh(np.corrcoef(x, rowvar=False))
    lam = eigvec[:, -1] * np.sqrt(eigval[-1])  # eigh sorts eigenvalues in increasing order
    num = float(lam.sum()) ** 2
    return num / (num + p - float(lam @ lam))


def _alpha(x: FloatArray) -> float:
    k = x.shape[1]
    if k < 2:
        return float("nan")
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1.0 - item_var / total_var))


def _bootstrap(
    raw: FloatArray,
    fit0: _Fit,
    adj: BoolArray,
    odm: FloatArray,
    mode_b: BoolArray,
    args: tuple[str, bool, float, int],
    n_boot: int,
    seed: int | None,
    confidence: float,
    labels: dict[str, list[str]],
    progress: bool = False,
) -> pd.DataFrame:
    scheme, scaled, tol, max_iter = args
    rng = np.random.default_rng(seed)
    n = raw.shape[0]
    edges = np.nonzero(adj)
    endo = np.flatnonzero(adj.any(axis=1))
    reach = np.nonzero(_reachable(adj))

    def flat(f: _Fit) -> FloatArray:
        return np.concatenate(
            [f.weights, f.loadings, f.paths[edges], f.r2[endo], _total_effects(f.paths)[reach]]
        )

    draws: list[FloatArray] = []
    attempts = 0
    with counter(n_boot, enabled=progress, desc="pls_path_model bootstrap") as advance:
        while len(draws) < n_boot and attempts < 2 * n_boot + 20:
            attempts += 1
            idx = rng.integers(0, n, n)
            xb = raw[idx]
            if np.any(xb.std(axis=0) == 0):
                continue
            fb = _fit(_treat(xb, scaled), adj, odm, mode_b, scheme, tol, max_iter)
            if fb.converged:
                draws.append(flat(fb))
                advance(1)
    if len(draws) < n_boot:
        msg = f"Only {len(draws)} of {n_boot} bootstrap samples converged; intervals use those."
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    mat = np.vstack(draws) if draws else np.full((1, flat(fit0).size), np.nan)
    alpha = (1.0 - confidence) / 2.0
    index = pd.MultiIndex.from_tuples(
        [(kind, name) for kind in _BOOT_KINDS for name in labels[kind]], names=["kind", "name"]
    )
    return pd.DataFrame(
        {
            "original": flat(fit0),
            "mean": mat.mean(axis=0),
            "se": mat.std(axis=0, ddof=1) if mat.shape[0] > 1 else np.nan,
            "ci_low": np.quantile(mat, alpha, axis=0),
            "ci_high": np.quantile(mat, 1.0 - alpha, axis=0),
        },
        index=index,
    )


def pls_path_model(
    data: Any,
    /,
    *,
    paths: Mapping[str, Sequence[str]],
    blocks: Mapping[str, Sequence[Hashable]],
    modes: Mapping[str, str] | Sequence[str] | str | None = None,
    scheme: str = "centroid",
    scaled: bool = True,
    tol: float = 1e-6,
    max_iter: int = 100,
    bootstrap: int = 0,
    seed: int | None = None,
    confidence: float = 0.95,
    nan_policy: str = "raise",
    progress: bool = False,
) -> PLSResult:
    r"""Partial least squares path model (PLS-PM) of survey constructs, as R's plspm.

    Each construct (latent variable) is a weighted sum of its items; the weights come from
    the Wold / Lohmöller iterative algorithm, and the structural paths from ordinary least
    squares of each endogenous construct on its predecessors. See the "Measuring
    satisfaction and recommendation" guide for the ECSI model worked end to end.

    Parameters
    ----------
    data
        Survey table, one row per respondent, one numeric column per item.
    paths
        Structural model: each endogenous construct mapped to its predecessors, e.g.
        ``{"SAT": ["IMAG", "EXPE", "QUAL", "VAL"], "LOY": ["IMAG", "SAT"]}``. Must be
        acyclic and connect every construct.
    blocks
        Measurement model: each construct mapped to its item columns (an item belongs to one
        block). The order of ``blocks`` is the order of the constructs in the output.
    modes
        ``"A"`` (reflective, default) or ``"B"`` (formative): one string for all blocks, a
        mapping construct -> mode (or a Series indexed by construct, matched by name), or a
        sequence in block order.
    scheme
        Inner weighting scheme: ``"centroid"`` (default), ``"factorial"`` or ``"path"``.
    scaled
        ``True`` (default) standardises the items (divisor n); ``False`` only centres them,
        so the outer weights apply to raw items (use it when all items share one scale).
    tol
        Convergence tolerance on the sum of squared changes of the outer weights; default
        1e-6.
    max_iter
        Maximum iterations; default 100.
    bootstrap
        Number of bootstrap resamples for standard errors and percentile intervals (0, the
        default, for none; otherwise at least 2; plspm uses 100 to 1000).
    seed
        Seed of the bootstrap resampling.
    confidence
        Level of the bootstrap percentile intervals; default 0.95.
    nan_policy
        ``"raise"`` (default) raises on missing answers; ``"omit"`` drops respondents with
        any missing item (listwise deletion).
    progress
        Show a progress bar over the bootstrap resamples on standard error; silent by default.

    Returns
    -------
    PLSResult
        ``path_coefficients``, ``outer_weights``, ``loadings``, ``outer_model``,
        ``r_squared``, ``scores``, ``effects`` (direct, indirect, total), ``constructs``
        (communality, AVE, composite reliability, plspm's DG rho, Cronbach's alpha per
        block), ``gof`` in [0, 1] (higher is better) and ``bootstrap``; methods
        :meth:`PLSResult.index`, :meth:`PLSResult.index_scores` and
        :meth:`PLSResult.key_drivers`.

    Raises
    ------
    ValidationError
        Missing or non-numeric items, missing answers under ``nan_policy="raise"``, an item
        without variance or of extreme magnitude (beyond 1e150 or below 1e-150, whose
        variances overflow or underflow: rescale it), constructs without a block, cyclic or
        disconnected paths, unknown modes or scheme; ``max_iter`` or ``bootstrap`` not a whole
        number (a bool included), ``scaled`` or ``progress`` not a bool, ``seed`` neither None
        nor an integer >= 0.
    ConvergenceError
        The outer weights did not converge within ``max_iter`` iterations.

    See Also
    --------
    satisfaction_index : Equal- or fixed-weight 0-100 index without a path model.
    cronbach_alpha : Reliability of one block with a confidence interval.

    Notes
    -----
    Items $x_{jh}$ of block $j$ are centred (and standardised when ``scaled``). Starting from
    unit weights, each iteration computes the outer estimates
    $y_j \propto X_j w_j$ (standardised), the inner estimates
    $z_j = \sum_{i \leftrightarrow j} e_{ji}\, y_i$ with inner weights
    $e_{ji} = \operatorname{sign}\operatorname{cor}(y_j, y_i)$ (centroid),
    $\operatorname{cor}(y_j, y_i)$ (factorial) or, in the path scheme, regression
    coefficients for predecessors and correlations for successors; then new outer weights
    $w_{jh} = \frac{1}{n} x_{jh}^\top z_j$ (mode A) or
    $w_j = (X_j^\top X_j)^{-1} X_j^\top z_j$ (mode B). It stops when
    $\sum_h (|w_h^{old}| - |w_h^{new}|)^2 < \mathrm{tol}$, then rescales the weights so that
    $\operatorname{var}(X_j w_j) = 1$. Paths are OLS coefficients, loadings are
    $\operatorname{cor}(x_{jh}, y_j)$, total effects $T = \sum_{k \ge 1} B^k$, and

    $$\mathrm{GoF} = \sqrt{\overline{\mathrm{communality}} \times \overline{R^2}},\qquad
      \rho_{DG} = \frac{(\sum_h \lambda_h)^2}{(\sum_h \lambda_h)^2 + \sum_h (1 - \lambda_h^2)},
      \qquad \mathrm{AVE} = \frac{1}{p_j}\sum_h \lambda_h^2,$$

    the mean communality taken over the items of blocks with more than one item. In
    ``constructs``, ``composite_reliability`` evaluates $\rho_{DG}$ on the PLS loadings
    $\lambda_h$, whereas ``dg_rho`` (plspm's ``DG.rho``) evaluates it on the loadings of the
    block's first principal component; AVE is reported for mode A blocks only. The
    iteration, its stopping rule and the sign orientation follow plspm 0.4.x, whose
    estimates this function reproduces (to 1e-6 on the ECSI data).

    References
    ----------
    Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path
    modeling. *Computational Statistics & Data Analysis*, 48(1), 159-205.
    https://doi.org/10.1016/j.csda.2004.03.005

    Sanchez, G. (2013). *PLS Path Modeling with R*. Trowchez Editions, Berkeley.

    Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The
    American Customer Satisfaction Index: Nature, purpose, and findings. *Journal of
    Marketing*, 60(4), 7-18. https://doi.org/10.1177/002224299606000403

    Examples
    --------
    >>> from custloyalty.datasets import load_ecsi
    >>> from custloyalty.metrics import pls_path_model
    >>> survey = load_ecsi("satisfaction")
    >>> blocks = {
    ...     "IMAG": [f"imag{i}" for i in range(1, 6)],
    ...     "EXPE": [f"expe{i}" for i in range(1, 6)],
    ...     "QUAL": [f"qual{i}" for i in range(1, 6)],
    ...     "VAL": [f"val{i}" for i in range(1, 5)],
    ...     "SAT": [f"sat{i}" for i in range(1, 5)],
    ...     "LOY": [f"loy{i}" for i in range(1, 5)],
    ... }
    >>> paths = {
    ...     "EXPE": ["IMAG"],
    ...     "QUAL": ["EXPE"],
    ...     "VAL": ["EXPE", "QUAL"],
    ...     "SAT": ["IMAG", "EXPE", "QUAL", "VAL"],
    ...     "LOY": ["IMAG", "SAT"],
    ... }
    >>> pls = pls_path_model(survey, paths=paths, blocks=blocks, scaled=False)
    >>> sat = pls.path_coefficients.loc["SAT"]
    >>> round(float(sat["VAL"]), 4), round(float(pls.r_squared["SAT"]), 4)
    (0.5893, 0.7073)
    >>> round(pls.index("SAT", scale=(0, 10)), 1)  # the ECSI answers run 0..10
    68.6
    >>> pls.key_drivers("LOY")["total"].round(3).head(2).to_dict()
    {'IMAG': 0.518, 'SAT': 0.495}
    """
    func = "pls_path_model"
    policy = check_nan_policy(nan_policy, func=func)
    check_option(scheme, "scheme", SCHEMES, func=func)
    tol = check_positive(tol, "tol", func=func)
    conf = check_probability(confidence, "confidence", func=func)
    max_iter = check_count(max_iter, "max_iter", func=func, low=1)
    bootstrap = check_count(bootstrap, "bootstrap", func=func, low=0)
    if bootstrap == 1:
        msg = (
            f"The 'bootstrap' parameter of {func} must be 0 (no bootstrap) or at least 2: one "
            "resample has no spread, so its standard errors would be NaN.\nHint: plspm uses "
            "100 to 1000 resamples."
        )
        raise ValidationError(msg)
    scaled = check_flag(scaled, "scaled", func=func)
    progress = check_flag(progress, "progress", func=func)
    seed = check_seed(seed, func=func)
    names, blk, adj, mode_map = _spec(paths, blocks, modes, func)
    items = [c for cols in blk.values() for c in cols]
    frame, missing = _frames.numeric_columns(data, items, nan_policy=policy, func=func)
    if missing.any():
        frame = frame.loc[~missing]
    if len(frame) < 3:
        msg = f"{func} needs at least 3 complete respondents; got {len(frame)}."
        raise ValidationError(msg)
    raw = frame.to_numpy(dtype=np.float64)
    magnitude = np.abs(raw).max(axis=0)
    extreme = (magnitude > 1e150) | ((magnitude > 0) & (magnitude < 1e-150))
    if extreme.any():  # their squares overflow to inf, or their variances underflow to 0
        bad = [items[i] for i in np.flatnonzero(extreme)]
        msg = (
            f"{func}: items {bad[:5]!r} hold values of extreme magnitude (up to "
            f"{magnitude[extreme].max():.3g}); their variances cannot be computed in floating "
            "point.\nHint: rescale the items to their answer scale first (e.g. divide by a "
            "power of ten)."
        )
        raise ValidationError(msg)
    flat_sd = raw.std(axis=0) == 0
    if flat_sd.any():
        bad = [items[i] for i in np.flatnonzero(flat_sd)]
        msg = f"Items {bad[:5]!r} have no variance (every respondent gave the same answer)."
        raise ValidationError(msg)
    n_lv = len(names)
    block_of = np.array([names.index(b) for b, cols in blk.items() for _ in cols])
    odm = np.zeros((len(items), n_lv))
    odm[np.arange(len(items)), block_of] = 1.0
    mode_b = np.array([mode_map[k] == "B" for k in names])
    fit = _fit(_treat(raw, scaled), adj, odm, mode_b, scheme, tol, int(max_iter))
    if not fit.converged:
        msg = (
            f"{func}: the outer weights did not converge in {max_iter} iterations.\n"
            "Hint: raise max_iter, try scheme='factorial', or check blocks whose items are "
            "unrelated."
        )
        raise ConvergenceError(msg)

    item_index = pd.Index(items)
    lv_index = pd.Index(names)
    path_df = pd.DataFrame(fit.paths, index=lv_index, columns=lv_index)
    endo = adj.any(axis=1)
    r2 = pd.Series(fit.r2[endo], index=pd.Index([names[i] for i in np.flatnonzero(endo)]))
    r2.name = "r_squared"
    communality = fit.loadings**2
    r2_item = np.nan_to_num(fit.r2)[block_of]
    outer_model = pd.DataFrame(
        {
            "block": [names[j] for j in block_of],
            "weight": fit.weights,
            "loading": fit.loadings,
            "communality": communality,
            "redundancy": communality * r2_item,
        },
        index=item_index,
    )
    total = _total_effects(fit.paths)
    reach_i, reach_j = np.nonzero(_reachable(adj))
    order = np.lexsort((reach_i, reach_j))
    reach_i, reach_j = reach_i[order], reach_j[order]
    effects = pd.DataFrame(
        {
            "from": [names[j] for j in reach_j],
            "to": [names[i] for i in reach_i],
            "direct": fit.paths[reach_i, reach_j],
            "indirect": total[reach_i, reach_j] - fit.paths[reach_i, reach_j],
            "total": total[reach_i, reach_j],
        }
    )
    lam_sum = np.bincount(block_of, weights=fit.loadings, minlength=n_lv)
    lam2_sum = np.bincount(block_of, weights=communality, minlength=n_lv)
    sizes = np.bincount(block_of, minlength=n_lv)
    red_sum = np.bincount(block_of, weights=communality * r2_item, minlength=n_lv)
    treated = _treat(raw, scaled=True)
    constructs = pd.DataFrame(
        {
            "type": np.where(endo, "endogenous", "exogenous"),
            "mode": [mode_map[k] for k in names],
            "n_items": sizes,
            "r_squared": fit.r2,
            "communality": lam2_sum / sizes,
            "redundancy": red_sum / sizes,
            # AVE is a reflective (mode A) notion: plspm reports NA for formative blocks
            "ave": np.where(mode_b, np.nan, lam2_sum / sizes),
            "composite_reliability": lam_sum**2 / (lam_sum**2 + (sizes - lam2_sum)),
            "dg_rho": [
                np.nan if mode_b[j] else _dg_rho_pca(treated[:, block_of == j])
                for j in range(n_lv)  # a handful of blocks
            ],
            "cronbach_alpha": [_alpha(treated[:, block_of == j]) for j in range(n_lv)],
        },
        index=lv_index,
    )
    collinearity = _collinearity_table(
        _treat(raw, scaled), fit.scores, names, block_of, adj, mode_b
    )
    _check_collinearity(collinearity, blk, adj, names, func)
    multi = sizes[block_of] > 1
    mean_comm = float(communality[multi].mean()) if multi.any() else float("nan")
    gof = float(np.sqrt(mean_comm * float(np.mean(fit.r2[endo]))))
    boot = None
    if bootstrap:
        edges_i, edges_j = np.nonzero(adj)
        labels = {
            "weight": [str(c) for c in items],
            "loading": [str(c) for c in items],
            "path": [f"{names[j]} -> {names[i]}" for i, j in zip(edges_i, edges_j, strict=True)],
            "r_squared": [names[i] for i in np.flatnonzero(endo)],
            "total_effect": [
                f"{names[j]} -> {names[i]}"
                for i, j in zip(*np.nonzero(_reachable(adj)), strict=True)
            ],
        }
        boot = _bootstrap(
            raw,
            fit,
            adj,
            odm,
            mode_b,
            (scheme, scaled, tol, int(max_iter)),
            int(bootstrap),
            seed,
            conf,
            labels,
            progress,
        )
    return PLSResult(
        path_coefficients=path_df,
        outer_weights=pd.Series(fit.weights, index=item_index, name="weight"),
        loadings=pd.Series(fit.loadings, index=item_index, name="loading"),
        outer_model=outer_model,
        r_squared=r2,
        scores=pd.DataFrame(fit.scores, index=frame.index, columns=lv_index),
        effects=effects,
        constructs=constructs,
        gof=gof,
        iterations=fit.iterations,
        bootstrap=boot,
        blocks=blk,
        modes=mode_map,
        scheme=scheme,
        scaled=bool(scaled),
        n=int(raw.shape[0]),
        confidence=conf,
        item_stats=pd.DataFrame(
            {
                "mean": raw.mean(axis=0),
                "sd": raw.std(axis=0),
                "min": raw.min(axis=0),
                "max": raw.max(axis=0),
            },
            index=item_index,
        ),
        collinearity=collinearity,
    )

r"""Exploratory data-driven segmentation: k-means on standardised log R, F, M (scipy, seeded)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from custloyalty._results import Result
from custloyalty._validation import check_seed
from custloyalty.errors import ConvergenceError, ValidationError
from custloyalty.segmentation._rfm import RFMScorer

__all__ = ["KMeansSegmentsResult", "kmeans_elbow", "kmeans_segments"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class KMeansSegmentsResult(Result):
    """Result of :func:`kmeans_segments`."""

    labels: pd.Series
    """Cluster per customer (0 = the cluster with the best mean standardised R + F + M)."""
    centers: pd.DataFrame
    """Per cluster: size and the mean days since last purchase, frequency and monetary value."""
    inertia: float
    """Within-cluster sum of squared distances in the standardised feature space."""
    k: int
    """Number of clusters."""
    seed: int | None
    """Seed of the random initialisations."""


def _features(
    summary: Any,
    recency: Hashable,
    t: Hashable | None,
    frequency: Hashable | None,
    monetary: Hashable | None,
) -> tuple[pd.DataFrame, FloatArray]:
    metrics = RFMScorer(recency=recency, T=t, frequency=frequency, monetary=monetary).metrics(
        summary
    )
    if len(metrics) < 2:
        msg = "k-means needs at least two customers."
        raise ValidationError(msg)
    raw = metrics.to_numpy()
    if (raw < 0).any():
        msg = "k-means uses log(1 + x) features; R, F and M must be >= 0."
        raise ValidationError(msg)
    x = np.log1p(raw)
    x[:, 0] *= -1.0  # recent = high, like F and M
    sd = x.std(axis=0)
    x = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return metrics, x


def _kmeans(
    x: FloatArray, k: int, seed: int | None, n_init: int
) -> tuple[FloatArray, IntArray, float]:
    from scipy.cluster.vq import ClusterError, kmeans2  # lazy: keep `import custloyalty` light

    rng = np.random.default_rng(seed)
    best: tuple[FloatArray, IntArray, float] | None = None
    for _ in range(n_init):  # a few restarts, not a loop over customers
        try:
            # k-means++ divides by the summed squared distances, 0 when fewer than k customers
            # are distinct: numpy's "invalid value" warning would precede the ClusterError (or
            # the ConvergenceError below), which already says what went wrong.
            with np.errstate(divide="ignore", invalid="ignore"):
                cent, lab = kmeans2(x, k, minit="++", missing="raise", seed=rng)
        except ClusterError:
            continue
        inertia = float(((x - cent[lab]) ** 2).sum())
        if best is None or inertia < best[2]:
            best = (cent, lab.astype(np.int64), inertia)
    if best is None:
        n_distinct = np.unique(x, axis=0).shape[0]  # error path only
        msg = f"k-means with k={k} left a cluster empty in all {n_init} starts; try a smaller k"
        if n_distinct < k:
            msg += f" (the customers take only {n_distinct} distinct R, F, M values)"
        raise ConvergenceError(msg + ".")
    centers, labels, inertia = best
    # deterministic cluster numbering: best mean standardised value first
    order = np.argsort(-centers.sum(axis=1), kind="stable")
    relabel = np.empty(k, dtype=np.int64)
    relabel[order] = np.arange(k)
    return centers[order], relabel[labels], inertia


def _check_k(k: int, n: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= n:
        msg = f"k must be an integer in [1, number of customers = {n}]; got {k!r}."
        raise ValidationError(msg)
    return int(k)


def kmeans_segments(
    summary: Any,
    /,
    *,
    k: int = 4,
    seed: int | None = None,
    n_init: int = 10,
    recency: Hashable = "recency",
    T: Hashable | None = "T",
    frequency: Hashable | None = None,
    monetary: Hashable | None = None,
) -> KMeansSegmentsResult:
    r"""Cluster customers by k-means on standardised log R, F, M (exploratory).

    Data-driven segments are a way to *explore* the customer base: they change with the data
    and the seed, and have no business meaning until someone names them. For stable, explainable
    segments use :func:`rfm_scores` with :func:`rfm_segments`.

    Parameters
    ----------
    summary
        Customer summary (output of :func:`custloyalty.rfm_summary`).
    k
        Number of clusters (default 4); see :func:`kmeans_elbow` to choose it.
    seed
        Seed of the k-means++ initialisations: a non-negative int gives reproducible results,
        ``None`` (default) fresh randomness.
    n_init
        Number of initialisations; the one with the lowest inertia is kept.
    recency, T, frequency, monetary
        Columns, as in :func:`rfm_scores` (R = ``T - recency``, F = ``n_purchases``, M =
        ``total_amount`` by default).

    Returns
    -------
    KMeansSegmentsResult
        ``labels`` (Series named ``cluster``, indexed by customer, 0 = best cluster),
        ``centers`` (size and mean raw metrics per cluster), ``inertia``, ``k`` and ``seed``.

    Raises
    ------
    ValidationError
        Invalid summary or ``k``.
    ConvergenceError
        Every initialisation left a cluster empty.

    See Also
    --------
    kmeans_elbow : inertia and silhouette for a range of ``k``.
    rfm_segments : rule-based, explainable segments.

    Notes
    -----
    Features are :math:`z(-\log(1 + d))`, :math:`z(\log(1 + f))`, :math:`z(\log(1 + m))` with
    :math:`d` the days since the last purchase and :math:`z` the z-score. k-means minimises the
    inertia :math:`\sum_i \lVert x_i - \mu_{c(i)} \rVert^2` (Lloyd 1982), here with scipy's
    ``kmeans2`` and k-means++ starts (Arthur & Vassilvitskii 2007).

    References
    ----------
    Lloyd, S. P. (1982). Least squares quantization in PCM. *IEEE Transactions on Information
    Theory*, 28(2), 129-137. https://doi.org/10.1109/TIT.1982.1056489

    Arthur, D., & Vassilvitskii, S. (2007). k-means++: The advantages of careful seeding.
    *Proceedings of the 18th ACM-SIAM Symposium on Discrete Algorithms*, 1027-1035.

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.segmentation import kmeans_segments
    >>> summary = pd.DataFrame({
    ...     "recency": [300.0, 290.0, 310.0, 0.0, 5.0, 2.0],
    ...     "T": [310.0, 300.0, 320.0, 300.0, 310.0, 305.0],
    ...     "n_purchases": [12, 10, 15, 1, 1, 2],
    ...     "total_amount": [900.0, 800.0, 1200.0, 20.0, 15.0, 30.0],
    ... })
    >>> res = kmeans_segments(summary, k=2, seed=1)
    >>> res.labels.tolist()
    [0, 0, 0, 1, 1, 1]
    >>> res.centers["n_customers"].tolist()
    [3, 3]
    """
    metrics, x = _features(summary, recency, T, frequency, monetary)
    k = _check_k(k, x.shape[0])
    if isinstance(n_init, bool) or not isinstance(n_init, int) or n_init < 1:
        msg = f"n_init must be a positive integer; got {n_init!r}."
        raise ValidationError(msg)
    seed = check_seed(seed, func="kmeans_segments")
    _, labels, inertia = _kmeans(x, k, seed, n_init)
    lab = pd.Series(labels, index=metrics.index, name="cluster")
    centers = metrics.groupby(labels).mean()
    centers.columns = pd.Index(["mean_days_since_last", "mean_frequency", "mean_monetary"])
    centers.insert(0, "n_customers", np.bincount(labels, minlength=k))
    centers.index.name = "cluster"
    return KMeansSegmentsResult(
        labels=lab, centers=centers, inertia=inertia, k=k, seed=None if seed is None else int(seed)
    )


def _silhouette(x: FloatArray, labels: IntArray, k: int) -> float:
    from scipy.spatial.distance import cdist

    d = cdist(x, x)
    onehot = np.zeros((x.shape[0], k))
    onehot[np.arange(x.shape[0]), labels] = 1.0
    sizes = onehot.sum(axis=0)
    sums = d @ onehot  # distance of every point to every cluster, summed
    own = sizes[labels]
    a = sums[np.arange(x.shape[0]), labels] / np.maximum(own - 1, 1)
    mean_other = sums / np.where(sizes > 0, sizes, np.inf)
    mean_other[np.arange(x.shape[0]), labels] = np.inf
    b = mean_other.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(a, b), 0.0)
    return float(s.mean())


def kmeans_elbow(
    summary: Any,
    /,
    *,
    ks: Iterable[int] = range(2, 9),
    seed: int | None = None,
    n_init: int = 5,
    sample_size: int = 2000,
    recency: Hashable = "recency",
    T: Hashable | None = "T",
    frequency: Hashable | None = None,
    monetary: Hashable | None = None,
) -> pd.DataFrame:
    r"""Inertia (elbow) and mean silhouette of k-means for a range of ``k``.

    Parameters
    ----------
    summary
        Customer summary (output of :func:`custloyalty.rfm_summary`).
    ks
        Numbers of clusters to try (default 2..8).
    seed, n_init
        As in :func:`kmeans_segments`.
    sample_size
        Customers (drawn with ``seed``) on which the silhouette is computed; it needs all
        pairwise distances, so it is estimated on a sample.
    recency, T, frequency, monetary
        Columns, as in :func:`rfm_scores`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``k`` (increasing, whatever the order of ``ks``), columns ``inertia``
        (decreasing in ``k``; look for the elbow) and ``silhouette`` (in [-1, 1], higher
        means better separated clusters).

    Raises
    ------
    ValidationError
        Invalid summary or ``k``; ``ks`` that is not a list of numbers of clusters, is empty
        or names a ``k`` twice.

    See Also
    --------
    kmeans_segments : the clustering for one ``k``.

    Notes
    -----
    The silhouette of point :math:`i` is :math:`s_i = (b_i - a_i) / \max(a_i, b_i)` with
    :math:`a_i` its mean distance to its own cluster and :math:`b_i` the smallest mean distance
    to another cluster (Rousseeuw 1987); the table reports the mean over the sample.

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes: A graphical aid to the interpretation and validation
    of cluster analysis. *Journal of Computational and Applied Mathematics*, 20, 53-65.
    https://doi.org/10.1016/0377-0427(87)90125-7

    Examples
    --------
    >>> import pandas as pd
    >>> from custloyalty.segmentation import kmeans_elbow
    >>> summary = pd.DataFrame({
    ...     "recency": [300.0, 290.0, 310.0, 0.0, 5.0, 2.0],
    ...     "T": [310.0, 300.0, 320.0, 300.0, 310.0, 305.0],
    ...     "n_purchases": [12, 10, 15, 1, 1, 2],
    ...     "total_amount": [900.0, 800.0, 1200.0, 20.0, 15.0, 30.0],
    ... })
    >>> table = kmeans_elbow(summary, ks=[2, 3], seed=1)
    >>> bool(table.loc[2, "silhouette"] > 0.5)
    True
    """
    _, x = _features(summary, recency, T, frequency, monetary)
    n = x.shape[0]
    seed = check_seed(seed, func="kmeans_elbow")
    whole = isinstance(sample_size, int | np.integer) and not isinstance(sample_size, bool)
    if not whole or sample_size < 2:
        msg = (
            "The 'sample_size' parameter of kmeans_elbow must be an integer >= 2; "
            f"got {sample_size!r}."
        )
        raise ValidationError(msg)
    rng = np.random.default_rng(seed)
    sample = (
        rng.choice(n, size=min(n, int(sample_size)), replace=False) if n > sample_size else None
    )
    if isinstance(ks, str | bytes) or not isinstance(ks, Iterable):
        msg = (
            f"The 'ks' parameter of kmeans_elbow must be a list of numbers of clusters, such as "
            f"range(2, 9); got {type(ks).__name__} {ks!r:.60}.\nHint: ks=[{ks!r:.20}] for one k."
        )
        raise ValidationError(msg)
    k_list = [_check_k(k, n) for k in ks]
    if not k_list or len(set(k_list)) != len(k_list):
        msg = (
            "The 'ks' parameter of kmeans_elbow must hold at least one number of clusters, "
            f"each once; got {k_list!r}."
        )
        raise ValidationError(msg)
    rows = []
    for kk in sorted(k_list):  # a handful of k values, in increasing order (the elbow)
        _, labels, inertia = _kmeans(x, kk, seed, n_init)
        xs, ls = (x, labels) if sample is None else (x[sample], labels[sample])
        sil = _silhouette(xs, ls, kk) if kk > 1 else float("nan")
        rows.append({"k": kk, "inertia": inertia, "silhouette": sil})
    return pd.DataFrame(rows).set_index("k")

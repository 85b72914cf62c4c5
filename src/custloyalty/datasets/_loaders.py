"""Loaders for the data sets shipped inside the package."""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd

from custloyalty._validation import check_option

__all__ = ["load_cdnow", "load_ecsi"]

_CDNOW = {"master": "cdnow_master.csv.gz", "sample": "cdnow_sample.csv.gz"}
_ECSI = {"satisfaction": "ecsi_satisfaction.csv.gz", "mobi": "ecsi_mobi.csv.gz"}


@functools.lru_cache(maxsize=8)
def _read(filename: str) -> pd.DataFrame:
    ref = resources.files("custloyalty.datasets").joinpath("data", filename)
    with ref.open("rb") as fh:
        return pd.read_csv(fh, compression="gzip")


def load_cdnow(kind: str = "master") -> pd.DataFrame:
    """Load the CDNOW transactions (purchases of an online music store, 1997-1998).

    The customers of the CDNOW data first bought in the first quarter of 1997; their purchases
    are recorded to 30 June 1998. It is the reference data of the BG/NBD and Pareto/NBD
    literature and ships compressed inside the package.

    Parameters
    ----------
    kind
        ``"master"`` (23,570 customers, 69,659 rows) or ``"sample"``, the 1/10 sample of
        Fader, Hardie and Lee (2005) (2,357 customers, 6,919 rows; ``customer_id`` is the
        sample id 1..2357). The paper's calibration period is 1997-01-01 to 1997-09-30.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` (int64), ``date`` (datetime64[ns]), ``quantity`` (int64, number
        of CDs) and ``amount`` (float64, dollars), one row per purchase record. A fresh copy on
        every call.

    Raises
    ------
    ValidationError
        ``kind`` is not ``"master"`` or ``"sample"``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers" the easy way:
    An alternative to the Pareto/NBD model. *Marketing Science*, 24(2), 275-284.
    https://doi.org/10.1287/mksc.1040.0098

    Examples
    --------
    >>> from custloyalty.datasets import load_cdnow
    >>> tx = load_cdnow("sample")
    >>> tx.shape, tx["customer_id"].nunique()
    ((6919, 4), 2357)
    >>> list(tx.columns)
    ['customer_id', 'date', 'quantity', 'amount']
    """
    check_option(kind, "kind", tuple(_CDNOW), func="load_cdnow")
    raw = _read(_CDNOW[kind])
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("int64"),
            "date": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d").astype(
                "datetime64[ns]"
            ),
            "quantity": raw["quantity"].astype("int64"),
            "amount": raw["amount"].astype("float64"),
        }
    )


def load_ecsi(name: str = "satisfaction") -> pd.DataFrame:
    """Load ECSI customer-satisfaction survey data (mobile phone provider, 250 respondents).

    The classic partial-least-squares path-modelling example data of R's plspm (``satisfaction``)
    and semPLS / seminr (``mobi``); items are answered on a 10-point scale.

    Parameters
    ----------
    name
        ``"satisfaction"``: blocks ``imag1-5`` (image), ``expe1-5`` (expectations), ``qual1-5``
        (perceived quality), ``val1-4`` (perceived value), ``sat1-4`` (satisfaction), ``loy1-4``
        (loyalty) and ``gender``. ``"mobi"``: items ``CUEX1-3``, ``CUSA1-3``, ``CUSCO``,
        ``CUSL1-3``, ``IMAG1-5``, ``PERQ1-7``, ``PERV1-2``.

    Returns
    -------
    pandas.DataFrame
        One row per respondent (index 0..249), items as int64, ``gender`` as a category.

    Raises
    ------
    ValidationError
        Unknown ``name``.

    References
    ----------
    Sanchez, G. (2013). *PLS Path Modeling with R*. Trowchez Editions, Berkeley.
    Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path modeling.
    *Computational Statistics & Data Analysis*, 48(1), 159-205.
    https://doi.org/10.1016/j.csda.2004.03.005

    Examples
    --------
    >>> from custloyalty.datasets import load_ecsi
    >>> load_ecsi("satisfaction").shape
    (250, 28)
    >>> load_ecsi("mobi")[["CUSA1", "CUSA2", "CUSA3"]].max().max()
    np.int64(10)
    """
    check_option(name, "name", tuple(_ECSI), func="load_ecsi")
    out = _read(_ECSI[name]).copy()
    if "gender" in out.columns:
        out["gender"] = out["gender"].astype("category")
    return out

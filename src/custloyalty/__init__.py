"""custloyalty: customer-loyalty evaluation from transactions and surveys.

The five indicators of a loyalty evaluation system (satisfaction index, churn, recommendation
index, purchase frequency and monetary value), a composite loyalty score, and client tiering.
Importing the package is light: optional plotting and Dask support load on first use.
"""

from __future__ import annotations

from custloyalty.errors import (
    ConvergenceError,
    CustLoyaltyError,
    NotFittedError,
    ValidationError,
)
from custloyalty.summary import rfm_summary

__version__ = "0.1.0.dev0"

__all__ = [
    "ConvergenceError",
    "CustLoyaltyError",
    "NotFittedError",
    "ValidationError",
    "__version__",
    "rfm_summary",
]

"""Exceptions and warnings raised by custloyalty.

Every exception the library raises on purpose derives from :class:`CustLoyaltyError`, so a
service can catch the whole family with one ``except`` clause. Bad input raises
:class:`ValidationError`, which is also a :class:`ValueError` so that code written against
NumPy/pandas conventions keeps working.
"""

from __future__ import annotations

__all__ = [
    "AmbiguousDateWarning",
    "ConvergenceError",
    "ConvergenceWarning",
    "CustLoyaltyError",
    "CustLoyaltyWarning",
    "NotFittedError",
    "PluginError",
    "PluginWarning",
    "UndefinedMetricWarning",
    "ValidationError",
]


class CustLoyaltyError(Exception):
    """Base class of every exception raised by custloyalty."""


class ValidationError(CustLoyaltyError, ValueError):
    """Input data or an option is invalid.

    Messages name the offending column or parameter, count the bad rows and show up to five
    examples with their index labels, e.g.
    ``Column 'amount' has 3 non-numeric values (rows 4, 17, 230): 'n/a', '12,5', '-'.``
    """


class NotFittedError(CustLoyaltyError, AttributeError):
    """A model or scorecard was used before :meth:`fit` was called."""


class ConvergenceError(CustLoyaltyError, RuntimeError):
    """An optimiser failed to converge and no usable estimate exists."""


class PluginError(CustLoyaltyError, LookupError):
    """A metric name is unknown or a plugin is malformed."""


class CustLoyaltyWarning(UserWarning):
    """Base class of every warning emitted by custloyalty."""


class UndefinedMetricWarning(CustLoyaltyWarning):
    """A metric is undefined for the input (e.g. no customers at risk); NaN was returned."""


class ConvergenceWarning(CustLoyaltyWarning):
    """An optimiser stopped before meeting its tolerance; the estimate may be inaccurate."""


class PluginWarning(CustLoyaltyWarning):
    """A metric plugin could not be loaded, or its name clashes with another metric."""


class AmbiguousDateWarning(CustLoyaltyWarning):
    """Date strings fit both day-first and month-first formats; the inferred one was used."""

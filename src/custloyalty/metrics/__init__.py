"""The five indicators of the loyalty evaluation system, as functions over columns.

Behavioural indicators (from transactions): purchase frequency, monetary value, churn and
retention. Attitudinal indicators (from surveys): recommendation (NPS), CSAT / satisfaction
index, PLS path models, reliability and SERVQUAL gaps. The registry (:func:`available`,
:func:`get`, :func:`register`) names every indicator a scorecard can use, including plugins
published under the entry-point group ``custloyalty.metrics``.
"""

from __future__ import annotations

from custloyalty.metrics import (
    _builtin,  # noqa: F401  (registers the built-in indicators)
    _churn,
    _engagement,
    _frequency,
    _inputs,
    _monetary,
    _pls,
    _recommendation,
    _registry,
    _reliability,
    _satisfaction,
    _servqual,
)
from custloyalty.metrics._churn import *  # noqa: F403
from custloyalty.metrics._engagement import *  # noqa: F403
from custloyalty.metrics._frequency import *  # noqa: F403
from custloyalty.metrics._inputs import *  # noqa: F403

# shared with the scorecard and the plugin test kit (not part of __all__)
from custloyalty.metrics._inputs import SURVEY_CUSTOMER as SURVEY_CUSTOMER
from custloyalty.metrics._monetary import *  # noqa: F403

# scalar parameter checks shared with the scorecard and the analyses (not part of __all__)
from custloyalty.metrics._params import check_count as check_count
from custloyalty.metrics._params import check_flag as check_flag
from custloyalty.metrics._params import check_number as check_number
from custloyalty.metrics._params import check_seed as check_seed
from custloyalty.metrics._pls import *  # noqa: F403
from custloyalty.metrics._recommendation import *  # noqa: F403
from custloyalty.metrics._registry import *  # noqa: F403
from custloyalty.metrics._registry import SPARSE_SOURCES as SPARSE_SOURCES
from custloyalty.metrics._registry import canonical as canonical
from custloyalty.metrics._reliability import *  # noqa: F403
from custloyalty.metrics._satisfaction import *  # noqa: F403
from custloyalty.metrics._servqual import *  # noqa: F403

__all__ = [
    *_churn.__all__,
    *_engagement.__all__,
    *_frequency.__all__,
    *_inputs.__all__,
    *_monetary.__all__,
    *_pls.__all__,
    *_recommendation.__all__,
    *_registry.__all__,
    *_reliability.__all__,
    *_satisfaction.__all__,
    *_servqual.__all__,
]

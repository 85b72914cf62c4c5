"""Plots of every indicator and model check (matplotlib, imported lazily inside each function).

Install the ``plot`` extra (``pip install custloyalty[plot]``) to use them. Each function takes
the result of an indicator or check function (or a fitted model), draws on ``ax`` (a new figure
when None) and returns the matplotlib ``Axes``, so plots can be combined and restyled. Figures
summarise (bins, cells, tiers, thinned curves): their size does not grow with the number of
customers. Axes that count customers or purchases carry whole-number ticks only; titles and
axis labels give the model and the time unit.
"""

from __future__ import annotations

from custloyalty.plotting import _beyond, _indicators, _models
from custloyalty.plotting._beyond import *  # noqa: F403
from custloyalty.plotting._common import PALETTE, TIER_COLOURS
from custloyalty.plotting._indicators import *  # noqa: F403
from custloyalty.plotting._models import *  # noqa: F403

__all__ = ["PALETTE", "TIER_COLOURS", *_indicators.__all__, *_models.__all__, *_beyond.__all__]

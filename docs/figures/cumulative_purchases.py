"""Actual vs expected cumulative repeat purchases, week by week, BG/NBD on the CDNOW sample."""

import custloyalty as cl
from custloyalty.datasets import load_cdnow
from custloyalty.models import BetaGeo, cumulative_purchases
from custloyalty.plotting import plot_cumulative_purchases

tx = load_cdnow("sample")
bg = BetaGeo().fit(cl.rfm_summary(tx, observation_end="1997-09-30", time_unit="W"))
plot_cumulative_purchases(
    cumulative_purchases(bg, tx, calibration_end="1997-09-30", observation_end="1998-06-30")
)

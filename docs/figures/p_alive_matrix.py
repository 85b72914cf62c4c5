"""P(alive) over frequency and recency, BG/NBD on the CDNOW sample (39 weeks, in weeks)."""

import custloyalty as cl
from custloyalty.datasets import load_cdnow
from custloyalty.models import BetaGeo
from custloyalty.plotting import plot_p_alive_matrix

summary = cl.rfm_summary(load_cdnow("sample"), observation_end="1997-09-30", time_unit="W")
plot_p_alive_matrix(BetaGeo().fit(summary), max_frequency=15, T=39)

"""P(alive) over frequency and recency, Pareto/NBD (the scorecard's churn model), CDNOW sample."""

import custloyalty as cl
from custloyalty.datasets import load_cdnow
from custloyalty.models import ParetoNBD
from custloyalty.plotting import plot_p_alive_matrix

summary = cl.rfm_summary(load_cdnow("sample"), observation_end="1997-09-30", time_unit="W")
plot_p_alive_matrix(ParetoNBD().fit(summary), max_frequency=15, T=39)

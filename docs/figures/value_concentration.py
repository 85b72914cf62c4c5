"""Pareto curve of total spend with the ABC value tiers, CDNOW master data to 30 June 1998."""

import custloyalty as cl
from custloyalty.datasets import load_cdnow
from custloyalty.plotting import plot_pareto_curve

summary = cl.rfm_summary(load_cdnow("master"), observation_end="1998-06-30")
plot_pareto_curve(summary["total_amount"])

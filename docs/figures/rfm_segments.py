"""RFM grid of the CDNOW master data: customers and % of revenue per recency x frequency cell."""

import custloyalty as cl
from custloyalty.datasets import load_cdnow
from custloyalty.plotting import plot_rfm_segments
from custloyalty.segmentation import rfm_scores

summary = cl.rfm_summary(load_cdnow("master"), observation_end="1998-06-30")
plot_rfm_segments(rfm_scores(summary), revenue=summary["total_amount"])

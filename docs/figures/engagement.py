"""Engagement index of the CDNOW sample customers, interactions of make_interactions (one year)."""

from custloyalty.datasets import load_cdnow, make_interactions
from custloyalty.metrics import engagement_index, engagement_summary
from custloyalty.plotting import plot_engagement

tx = load_cdnow("sample")
inter = make_interactions(
    seed=7, customer_ids=tx["customer_id"].unique(), start="1997-07-01", days=365
)
index = engagement_index(engagement_summary(inter, observation_end="1998-06-30"))
plot_engagement(index)

"""Engagement index of the CDNOW sample customers, interactions of make_interactions (one year)."""

import matplotlib.pyplot as plt

from custloyalty.datasets import load_cdnow, make_interactions
from custloyalty.metrics import engagement_index, engagement_summary

tx = load_cdnow("sample")
inter = make_interactions(
    seed=7, customer_ids=tx["customer_id"].unique(), start="1997-07-01", days=365
)
index = engagement_index(engagement_summary(inter, observation_end="1998-06-30"))
_, ax = plt.subplots(figsize=(6.4, 3.6))
ax.hist(index.dropna(), bins=20, range=(0, 100), color="C0")
ax.set_xlabel("engagement index (0-100)")
ax.set_ylabel("customers")
ax.set_title(f"Engagement index, {index.notna().sum():,} customers who interacted")
